#!/usr/bin/env python3
"""Draws one lab of the lab family from a seed: topology, roles, habits, episodes.

usage: plan.py SEED [--kinds KIND,KIND...] [--quick]   the plan, JSON on stdout
       plan.py --lines PLAN.json                        the same plan as tab-separated
                                                        records for make-family.sh
       plan.py --hosts PLAN.json                        hosts.csv of the plan

Everything comes from random.Random(SEED): two runs of one seed draw the same
lab. --kinds forces the episode kinds (a smoke test of chosen tools), --quick
shortens the episodes and the gaps between them (smoke tests only).
Family, catalogue and what is drawn: tests/lab/README.md.
"""
import argparse
import json
import random
import sys

SITE_BASE = 76  # site k uses 10.(76+k).0.0/16
INTERNET = "198.51.100."
WEB_PORTS = [80, 443, 8080, 8443]
BACKUP_PORT = 9102  # every server runs a backup agent there
EXFIL_PORTS = [4443, 7000, 8888, 9999, 10443]
NEW_SERVICE_PORTS = [5000, 6881, 8000, 8081, 9000]
SLOW_SCAN_PORTS = [21, 22, 23, 25, 80, 110, 135, 139, 443, 445, 3306, 3389, 5900, 8080]

# Packets one visit of a habit costs, roughly (smoke runs came in a little
# below these: the estimate errs on the heavy side). The plan stretches the
# chatty habits' pauses until the lab's expected packet rate fits its drawn
# budget, which keeps a lab under 10 MB after xz.
VISIT_PACKETS = {"browse": 45, "files": 40, "mail": 12, "db": 12, "appdb": 12,
                 "rdp": 30, "admin": 30, "print": 30, "update": 150}
CHATTY = ("browse", "files", "mail", "db", "appdb", "rdp", "admin", "print")
# base pause range of each habit, seconds, before the lab's and the host's rhythm
PAUSES = {"browse": (3, 10), "files": (20, 60), "mail": (20, 90), "db": (2, 8),
          "appdb": (2, 6), "rdp": (30, 120), "admin": (20, 90), "update": (400, 1200),
          "print": (200, 900), "monitor": (55, 65), "backup": (150, 300)}


class Lab:
    """The drawn topology, and the queries the episode drawers need."""

    def __init__(self, rng):
        self.rng = rng
        self.hosts = []
        self.used = set()

    def add(self, name, addr, site, role, services=None):
        h = {"name": name, "addr": addr, "site": site, "role": role,
             "services": services or [], "habits": []}
        self.hosts.append(h)
        self.used.add(addr)
        return h

    def free_addr(self, site, subnet):
        """An unused address in 10.(76+site).SUBNET.0/24, drawn."""
        while True:
            a = "10.%d.%d.%d" % (SITE_BASE + site, subnet, self.rng.randint(10, 250))
            if a not in self.used:
                return a

    def role(self, role):
        return [h for h in self.hosts if h["role"] == role]

    def one(self, role):
        hs = self.role(role)
        return hs[0] if hs else None

    def internal(self):
        return [h for h in self.hosts if h["site"] > 0 and h["role"] != "new-device"]

    def servers(self):
        return [h for h in self.internal() if h["role"] != "workstation"]

    def ws(self):
        return self.role("workstation")

    def ports(self, h):
        """TCP ports a host serves (what the monitoring server checks)."""
        out = []
        for s in h["services"]:
            if s[0] in ("nginx", "tcp"):
                out += [int(p) for p in s[1:]]
            elif s[0] == "lab":
                out += [int(p.split(":")[0]) for p in s[1:]]
            elif s[0] == "dnsmasq":
                out.append(53)
        return out

    def has_habit(self, h, kind):
        return any(x["kind"] == kind for x in h["habits"])


# --- topology -----------------------------------------------------------------

def draw_topology(lab):
    rng = lab.rng
    n_hosts = rng.randint(20, 60)
    n_sites = rng.randint(2, 4)
    servers = [("web", 1), ("dns", 1), ("ssh", 1), ("mail", 1), ("db", 1), ("fs", 1),
               ("mon", 1), ("bak", 1)]
    if rng.random() < 0.4:
        servers.append(("web", 2))
    if rng.random() < 0.4:
        servers.append(("ssh", 2))
    if rng.random() < 0.75:
        servers.append(("rdp", 1))
    servers += [("prn", i + 1) for i in range(rng.randint(0, 2))]
    db_port = rng.choice([3306, 5432])
    share = rng.choice(["smb", "http"])
    for role, i in servers:
        # the name service and the monitoring server sit at the first site
        site = 1 if role in ("dns", "mon") else rng.randint(1, n_sites)
        name = role if i == 1 and role != "prn" else "%s%d" % (role, i)
        lab.add(name, lab.free_addr(site, 1), site, role, server_services(rng, role, db_port, share))
    n_ws = n_hosts - len(servers)
    # every site gets at least three workstations, the rest are drawn
    per_site = [3] * n_sites
    for _ in range(n_ws - 3 * n_sites):
        per_site[rng.randrange(n_sites)] += 1
    for s, n in enumerate(per_site, start=1):
        for i in range(n):
            lab.add("w%d%02d" % (s, i + 1), lab.free_addr(s, 0), s, "workstation")
    draw_internet(lab)
    return n_sites


def server_services(rng, role, db_port, share):
    agent = "%d:send" % BACKUP_PORT
    if role == "web":
        ports = sorted(rng.sample(WEB_PORTS, rng.randint(1, 2)))
        return [["nginx"] + [str(p) for p in ports], ["lab", agent]]
    if role == "dns":
        return [["dnsmasq"], ["lab", agent]]
    if role == "ssh":
        return [["lab", "22:chat", agent]]
    if role == "mail":
        return [["tcp", "25"], ["lab", agent]]
    if role == "db":
        return [["lab", "%d:send" % db_port, agent]]
    if role == "fs":
        if share == "smb":
            return [["lab", "445:send", agent]]
        return [["nginx", str(rng.choice([8000, 8080, 80]))], ["lab", agent]]
    if role == "rdp":
        return [["lab", "3389:chat", agent]]
    if role == "prn":
        return [["lab", "9100:sink"]]
    return [["lab", agent]]  # mon, bak


def draw_internet(lab):
    """A web site and an update mirror, and the C2/exfil host (the same one
    when the lab draws a single internet host)."""
    rng = lab.rng
    lab.exfil_port = rng.choice(EXFIL_PORTS)
    c2_services = [["lab", "%d:sink" % lab.exfil_port, "3333:chat"], ["dnsmasq"]]
    ext = lab.add("ext", INTERNET + "10", 0, "internet", [["nginx", "80", "443"], ["tcp", "25"]])
    if rng.random() < 0.5:
        ext["services"] += c2_services
        lab.c2 = ext
    else:
        lab.c2 = lab.add("c2", INTERNET + str(rng.randint(20, 240)), 0, "internet",
                         [["nginx", "80"]] + c2_services)
    lab.ext = ext
    words = ["cdn", "sync", "telemetry", "update", "static", "api", "metrics", "img"]
    lab.beacon_name = "%s-%s.example" % (rng.choice(words), rng.choice(words))
    lab.tunnel_domain = "t%d.%s.example" % (rng.randint(1, 99), rng.choice(words))


# --- habits ---------------------------------------------------------------------

def web_items(lab):
    """name@addr:port of every web site a browser visits."""
    items = []
    for h in lab.role("web"):
        for p in lab.ports(h):
            if p != BACKUP_PORT:
                items.append("%s.lab.example@%s:%d" % (h["name"], h["addr"], p))
    items.append("www.ext.example@%s:80" % lab.ext["addr"])
    items.append("www.ext.example@%s:443" % lab.ext["addr"])
    return items


def habit_args(lab, kind):
    fs, db, mail = lab.one("fs"), lab.one("db"), lab.one("mail")
    if kind == "browse":
        return web_items(lab)
    if kind == "files":
        port = [p for p in lab.ports(fs) if p != BACKUP_PORT][0]
        return ["smb" if port == 445 else "http", "fs.lab.example", fs["addr"], str(port)]
    if kind == "mail":
        return ["mail.lab.example", mail["addr"]]
    if kind in ("db", "appdb"):
        return [db["addr"], str(lab.ports(db)[0])]
    if kind == "rdp":
        return [lab.one("rdp")["addr"], "3389", "10", "40"]
    if kind == "admin":
        ssh = lab.rng.choice(lab.role("ssh"))
        return [ssh["addr"], "22", "5", "60"]
    if kind == "update":
        return ["updates.ext.example@%s:80" % lab.ext["addr"], "update-%d.bin" % lab.rng.randint(1, 3)]
    if kind == "print":
        return [lab.rng.choice(lab.role("prn"))["addr"]]
    if kind == "monitor":
        return ["%s:%s" % (h["addr"], ",".join(str(p) for p in lab.ports(h)))
                for h in lab.internal() if h["role"] != "mon"]
    if kind == "backup":
        return [h["addr"] for h in lab.servers() if BACKUP_PORT in lab.ports(h) and h["role"] != "bak"]
    raise ValueError(kind)


def add_habit(lab, h, kind, rhythm):
    lo, hi = PAUSES[kind]
    if kind == "monitor":
        f = 1.0  # once a minute, whatever the lab's pace
    elif kind == "backup":
        f = lab.rng.uniform(0.6, 1.6)
    else:
        f = rhythm * lab.rng.uniform(0.6, 1.6)
    h["habits"].append({"kind": kind, "pause": [round(lo * f, 1), round(hi * f, 1)],
                        "args": habit_args(lab, kind)})


def draw_habits(lab):
    rng = lab.rng
    rhythm = rng.uniform(0.7, 1.5)  # this lab's pace
    weights = {"browse": 10, "files": 4, "mail": 3, "db": 2, "update": 3}
    if lab.role("rdp"):
        weights["rdp"] = 2
    if lab.role("prn"):
        weights["print"] = 1
    kinds = list(weights)
    wss = lab.ws()
    admins = rng.sample(wss, rng.randint(2, 4))
    for h in wss:
        picked = ["admin"] if h in admins else []
        n = rng.randint(1, 3)
        while len(picked) < n:
            k = rng.choices(kinds, [weights[k] for k in kinds])[0]
            if k not in picked:
                picked.append(k)
        for k in picked:
            add_habit(lab, h, k, rhythm)
    for h in lab.servers():
        if h["role"] == "mon":
            add_habit(lab, h, "monitor", rhythm)
        elif h["role"] == "bak":
            add_habit(lab, h, "backup", rhythm)
        elif h["role"] == "web":
            add_habit(lab, h, "appdb", rhythm)
        if h["role"] != "prn" and rng.random() < 0.7:
            add_habit(lab, h, "update", rhythm)
    fit_budget(lab, rng.randint(55, 85))
    return rhythm


def expected_pps(lab):
    total = 0.0
    for h in lab.hosts:
        for x in h["habits"]:
            mean = sum(x["pause"]) / 2
            if x["kind"] == "monitor":
                ports = sum(len([p for p in a.split(":")[1].split(",") if p]) for a in x["args"])
                total += (2 * len(x["args"]) + 7 * ports) / mean
            elif x["kind"] == "backup":
                total += 200 * len(x["args"]) / mean
            else:
                total += VISIT_PACKETS[x["kind"]] / (mean + 1)
    return total


def fit_budget(lab, pps):
    """Stretches the chatty habits' pauses until the lab expects at most PPS
    packets a second (without episodes)."""
    lab.budget_pps = pps
    est = expected_pps(lab)
    if est <= pps:
        return
    chatty = sum(VISIT_PACKETS[x["kind"]] / (sum(x["pause"]) / 2 + 1)
                 for h in lab.hosts for x in h["habits"] if x["kind"] in CHATTY)
    stretch = chatty / max(chatty - (est - pps), chatty * 0.1)
    for h in lab.hosts:
        for x in h["habits"]:
            if x["kind"] in CHATTY:
                x["pause"] = [round(p * stretch, 1) for p in x["pause"]]


# --- episodes -------------------------------------------------------------------
# Each drawer takes (lab, src, quick) and returns (bound seconds, targets, args).
# `dur` is how long a timed tool runs; the bound leaves it room to finish.

def dur(lab, lo, hi, quick):
    return min(lab.rng.randint(lo, hi), 45) if quick else lab.rng.randint(lo, hi)


def other(lab, hosts, src):
    return [h for h in hosts if h["name"] != src["name"]]


def live_sample(lab, src, n):
    """N live internal addresses, mostly workstations (they answer with RSTs)."""
    wss = other(lab, lab.ws(), src)
    srv = other(lab, lab.servers(), src)
    k = min(len(srv), max(1, n // 4))
    return [h["addr"] for h in lab.rng.sample(wss, min(len(wss), n - k)) + lab.rng.sample(srv, k)]


def ws_range(lab, src):
    """A site's workstation /24 with its live addresses."""
    site = lab.rng.randint(1, max(h["site"] for h in lab.internal()))
    live = [h["addr"] for h in other(lab, lab.ws(), src) if h["site"] == site]
    return "10.%d.0.0/24" % (SITE_BASE + site), live


def server_port(lab, src, roles):
    cands = [h for h in other(lab, lab.servers(), src) if h["role"] in roles]
    h = lab.rng.choice(cands)
    return h, [p for p in lab.ports(h) if p != BACKUP_PORT][0]


def ep_port_scan(lab, src, quick):
    t = lab.rng.choice(other(lab, lab.servers(), src))
    return 90, [t["addr"]], []


def ep_connect_scan(lab, src, quick):
    ts = lab.rng.sample(other(lab, lab.servers(), src), 2)
    return 120, [t["addr"] for t in ts], []


def ep_slow_scan(lab, src, quick):
    d = dur(lab, 180, 240, quick)
    targets = live_sample(lab, src, lab.rng.randint(10, 15))
    n_ports = max(2, min(len(SLOW_SCAN_PORTS), round(d / (len(targets) * 1.5))))
    ports = sorted(lab.rng.sample(SLOW_SCAN_PORTS, n_ports))
    delay_ms = int(1000 * d / (len(targets) * n_ports))
    return d + 60, targets, [",".join(map(str, ports)), str(delay_ms)]


def ep_subnet_scan(lab, src, quick):
    net, live = ws_range(lab, src)
    return 120, live, [net]


def ep_ping_sweep(lab, src, quick):
    net, live = ws_range(lab, src)
    return 90, live, [net]


def ep_udp_scan(lab, src, quick):
    t = lab.rng.choice(other(lab, lab.servers(), src))
    return 120, [t["addr"]], []


def ep_telnet_sweep(lab, src, quick):
    return 90, live_sample(lab, src, lab.rng.randint(20, 35)), []


def ep_lateral_smb(lab, src, quick):
    targets = live_sample(lab, src, lab.rng.randint(15, 30))
    fs = lab.one("fs")
    if 445 in lab.ports(fs) and fs["addr"] not in targets and fs is not src:
        targets.append(fs["addr"])  # one of them answers
    return 120, targets, []


def ep_syn_flood(lab, src, quick):
    t, port = server_port(lab, src, ("web", "mail", "ssh", "db"))
    d, pps = dur(lab, 20, 40, quick), lab.rng.randint(200, 400)
    return d + 15, [t["addr"]], [str(port), str(pps), str(d)]


def ep_udp_flood(lab, src, quick):
    t = lab.rng.choice(other(lab, lab.servers(), src))
    d, pps = dur(lab, 20, 40, quick), lab.rng.randint(200, 400)
    port = lab.rng.choice([53, 123, 161, 514, 1900])
    return d + 15, [t["addr"]], [str(port), str(pps), str(d)]


def ep_ssh_guess_fast(lab, src, quick):
    t = lab.rng.choice(other(lab, lab.role("ssh"), src))
    d = dur(lab, 40, 60, quick)
    return d + 15, [t["addr"]], [str(d)]


def ep_ssh_guess_slow(lab, src, quick):
    t = lab.rng.choice(other(lab, lab.role("ssh"), src))
    d = dur(lab, 120, 240, quick)
    return d + 15, [t["addr"]], [str(d)]


def ep_rdp_burst(lab, src, quick):
    return 90, [lab.one("rdp")["addr"]], [str(lab.rng.randint(200, 400))]


def ep_db_pull(lab, src, quick):
    db = lab.one("db")
    return 120, [db["addr"]], [str(lab.ports(db)[0]), str(lab.rng.randint(4, 8))]


def ep_share_pull(lab, src, quick):
    fs = lab.one("fs")
    port = [p for p in lab.ports(fs) if p != BACKUP_PORT][0]
    return 120, [fs["addr"]], ["smb" if port == 445 else "http", str(port), str(lab.rng.randint(25, 50))]


def ep_exfil_upload(lab, src, quick):
    d, rate = dur(lab, 30, 50, quick), lab.rng.randint(200, 400)
    return d + 15, [lab.c2["addr"]], [str(lab.exfil_port), str(rate), str(d)]


def ep_reverse_upload(lab, src, quick):
    t = lab.rng.choice(other(lab, lab.ws(), src))
    return 60, [t["addr"]], [t["name"], str(lab.rng.randint(3, 6))]


def ep_nxdomain_burst(lab, src, quick):
    return 90, [lab.one("dns")["addr"]], [str(lab.rng.randint(300, 500))]


def ep_dns_tunnel(lab, src, quick):
    d, rate = dur(lab, 120, 240, quick), lab.rng.randint(3, 6)
    return d + 15, [lab.one("dns")["addr"]], [lab.tunnel_domain, str(rate), str(d)]


def ep_beaconing(lab, src, quick):
    d, every = dur(lab, 240, 360, quick), lab.rng.randint(5, 20)
    if quick:
        every = 5
    return d + 15, [lab.c2["addr"]], [lab.beacon_name, str(every), str(d)]


def ep_new_device(lab, src, quick):
    ts = lab.rng.sample(other(lab, lab.servers(), src), 3)
    d = dur(lab, 120, 180, quick)
    return d + 15, [t["addr"] for t in ts], [str(d)] + web_items(lab)


def ep_new_service(lab, src, quick):
    clients = lab.rng.sample(other(lab, lab.ws(), src), lab.rng.randint(3, 5))
    d = dur(lab, 150, 240, quick)
    return d + 15, [c["addr"] for c in clients], \
        [str(lab.rng.choice(NEW_SERVICE_PORTS)), str(d)] + [c["name"] for c in clients]


def ep_dir_busting(lab, src, quick):
    t = lab.rng.choice(other(lab, lab.role("web"), src))
    port = [p for p in lab.ports(t) if p != BACKUP_PORT][0]
    return 120, [t["addr"]], [str(port), str(lab.rng.randint(300, 600))]


def ep_spam_burst(lab, src, quick):
    mail = lab.one("mail")
    t = lab.ext if lab.rng.random() < 0.5 or mail is src else mail
    return 90, [t["addr"]], [str(lab.rng.randint(150, 300))]


def ep_mining(lab, src, quick):
    d = dur(lab, 180, 300, quick)
    return d + 15, [lab.c2["addr"]], [str(d)]


def ep_icmp_tunnel(lab, src, quick):
    d = dur(lab, 120, 180, quick)
    return d + 15, [lab.c2["addr"]], [str(lab.rng.randint(800, 1200)), str(lab.rng.randint(3, 6)), str(d)]


# kind: (who attacks, drawer). who: ws (a workstation), any (a workstation or
# a server), server, new (a device that did not exist before)
CATALOGUE = {
    "port-scan": ("any", ep_port_scan), "connect-scan": ("any", ep_connect_scan),
    "slow-scan": ("ws", ep_slow_scan), "subnet-scan": ("any", ep_subnet_scan),
    "ping-sweep": ("any", ep_ping_sweep), "udp-scan": ("any", ep_udp_scan),
    "telnet-sweep": ("any", ep_telnet_sweep), "lateral-smb": ("ws", ep_lateral_smb),
    "syn-flood": ("any", ep_syn_flood), "udp-flood": ("any", ep_udp_flood),
    "ssh-guess-fast": ("any", ep_ssh_guess_fast), "ssh-guess-slow": ("ws", ep_ssh_guess_slow),
    "rdp-burst": ("ws", ep_rdp_burst), "db-pull": ("ws", ep_db_pull),
    "share-pull": ("ws", ep_share_pull), "exfil-upload": ("any", ep_exfil_upload),
    "reverse-upload": ("server", ep_reverse_upload), "nxdomain-burst": ("any", ep_nxdomain_burst),
    "dns-tunnel": ("ws", ep_dns_tunnel), "beaconing": ("any", ep_beaconing),
    "new-device": ("new", ep_new_device), "new-service": ("ws", ep_new_service),
    "dir-busting": ("any", ep_dir_busting), "spam-burst": ("any", ep_spam_burst),
    "mining": ("any", ep_mining), "icmp-tunnel": ("any", ep_icmp_tunnel),
}
SCANS = {"port-scan", "connect-scan", "slow-scan", "subnet-scan", "ping-sweep", "udp-scan",
         "telnet-sweep", "lateral-smb"}
SLOW = {"slow-scan", "ssh-guess-slow", "dns-tunnel", "beaconing", "new-device", "new-service",
        "mining", "icmp-tunnel"}


def draw_kinds(lab, forced):
    if forced:
        return forced
    usable = [k for k in CATALOGUE if k != "rdp-burst" or lab.role("rdp")]
    while True:
        kinds = lab.rng.sample(usable, lab.rng.randint(12, 14))
        if len(SCANS.intersection(kinds)) >= 3 and len(SLOW.intersection(kinds)) >= 3:
            return kinds


# the role a kind aims at: its source is never a host of that role
TARGET_ROLE = {"dir-busting": "web", "ssh-guess-fast": "ssh", "ssh-guess-slow": "ssh",
               "rdp-burst": "rdp", "db-pull": "db", "share-pull": "fs", "spam-burst": "mail"}


def src_fits(lab, kind, h):
    """Whether host H may be the source of KIND: the benign scanner-like
    servers stay benign, a kind never comes from the role it aims at, and a
    'never did it before' kind comes from a host that never did it."""
    if h["role"] in ("mon", "bak", "dns", "new-device") or h["role"] == TARGET_ROLE.get(kind):
        return False
    if kind == "db-pull" and (lab.has_habit(h, "db") or h["role"] == "web"):
        return False
    if kind == "share-pull" and lab.has_habit(h, "files"):
        return False
    return True


def pool(lab, kind, who):
    if who == "server" or who == "any-server":
        hs = lab.servers()
    else:
        hs = lab.ws()
    return [h for h in hs if src_fits(lab, kind, h)]


def schedule(lab, eps, quick):
    """Start offsets: drawn gaps, not a grid, scaled so that the attack period
    lasts a drawn 18-21 minutes whatever the number of episodes. Redrawn
    until at least two episodes overlap (the slow ones usually do)."""
    rng = lab.rng
    while True:
        rng.shuffle(eps)
        gaps = [rng.randint(10, 25) if quick else rng.randint(45, 115) for _ in eps[1:]]
        if not quick and gaps:
            span = rng.randint(1080, 1260) - eps[-1]["est"]
            gaps = [max(30, round(g * span / sum(gaps))) for g in gaps]
        t = rng.randint(0, 20)
        for e, gap in zip(eps, gaps + [0]):
            e["start"] = t
            t += gap
        overlaps = sum(1 for a in eps for b in eps
                       if a["start"] < b["start"] < a["start"] + a["est"])
        if overlaps >= 2 or len(eps) < 3:
            return


def assign_sources(lab, eps):
    """Sources: some attackers strike twice (different kinds, minutes apart),
    at least two episodes come from servers, the rest from distinct hosts."""
    rng = lab.rng
    who = {e["id"]: CATALOGUE[e["kind"]][0] for e in eps}
    # 'any' episodes that come from a server this time
    anys = [e for e in eps if who[e["id"]] == "any"]
    n_srv = sum(1 for e in eps if who[e["id"]] == "server")
    for e in rng.sample(anys, min(len(anys), max(0, 2 - n_srv) + rng.randint(0, 1))):
        who[e["id"]] = "any-server"
    taken = set()
    # attackers that strike twice
    for _ in range(rng.randint(1, 2)):
        pairs = [(a, b) for a in eps for b in eps
                 if b["start"] - a["start"] >= 150 and a["kind"] != b["kind"]
                 and "src" not in a and "src" not in b
                 and who[a["id"]] in ("ws", "any") and who[b["id"]] in ("ws", "any")]
        rng.shuffle(pairs)
        for a, b in pairs:
            both = [h for h in pool(lab, a["kind"], "ws")
                    if src_fits(lab, b["kind"], h) and h["name"] not in taken]
            if both:
                h = rng.choice(both)
                a["src"] = b["src"] = h
                taken.add(h["name"])
                break
    for e in eps:
        if "src" in e:
            continue
        if who[e["id"]] == "new":
            site = rng.randint(1, max(h["site"] for h in lab.internal()))
            e["src"] = lab.add("nd%d" % e["id"], lab.free_addr(site, 0), site, "new-device")
            continue
        cands = pool(lab, e["kind"], who[e["id"]])
        fresh = [h for h in cands if h["name"] not in taken] or cands
        e["src"] = rng.choice(fresh)
        taken.add(e["src"]["name"])


def draw_episodes(lab, forced, quick):
    # a first, rough duration of each kind for the overlap check
    est = {k: 60 for k in CATALOGUE}
    est.update({k: 45 if quick else 200 for k in SLOW})
    eps = [{"id": i + 1, "kind": k, "est": est[k]} for i, k in enumerate(draw_kinds(lab, forced))]
    schedule(lab, eps, quick)
    assign_sources(lab, eps)
    out = []
    for e in sorted(eps, key=lambda e: e["start"]):
        bound, targets, args = CATALOGUE[e["kind"]][1](lab, e["src"], quick)
        out.append({"id": e["id"], "kind": e["kind"], "src": e["src"]["name"],
                    "src_addr": e["src"]["addr"], "start": e["start"], "bound": bound,
                    "targets": targets, "args": args})
    return out


def draw(seed, forced=None, quick=False):
    rng = random.Random(seed)
    lab = Lab(rng)
    n_sites = draw_topology(lab)
    rhythm = draw_habits(lab)
    episodes = draw_episodes(lab, forced, quick)
    dns = lab.one("dns")
    records = [["%s.lab.example" % h["name"], h["addr"]] for h in lab.internal()]
    records += [["www.ext.example", lab.ext["addr"]], ["updates.ext.example", lab.ext["addr"]],
                [lab.beacon_name, lab.c2["addr"]]]
    return {
        "seed": seed,
        "sites": [{"site": k, "net": "10.%d.0.0/16" % (SITE_BASE + k)} for k in range(1, n_sites + 1)],
        "rhythm": round(rhythm, 2),
        "budget_pps": lab.budget_pps,
        "expected_pps": round(expected_pps(lab), 1),
        "dns": dns["addr"],
        "c2": lab.c2["addr"],
        "tunnel_domain": lab.tunnel_domain,
        "dns_records": records,
        "hosts": lab.hosts,
        "episodes": episodes,
    }


# --- the driver's view ------------------------------------------------------------

def lines(plan):
    """Tab-separated records, one thing to do a line: dns (resolver, C2,
    tunnel domain), record (a DNS name), host, service, habit, episode (id
    start bound kind src src_addr targets args)."""
    out = ["dns\t%s\t%s\t%s" % (plan["dns"], plan["c2"], plan["tunnel_domain"])]
    for name, addr in plan["dns_records"]:
        out.append("record\t%s\t%s" % (name, addr))
    for h in plan["hosts"]:
        if h["role"] == "new-device":
            continue  # the episode makes it
        out.append("\t".join(["host", h["name"], h["addr"], str(h["site"]), h["role"]]))
        for s in h["services"]:
            out.append("\t".join(["service", h["name"]] + s))
    for h in plan["hosts"]:
        for x in h["habits"]:
            out.append("\t".join(["habit", h["name"], x["kind"], "%g" % x["pause"][0],
                                  "%g" % x["pause"][1]] + x["args"]))
    for e in plan["episodes"]:
        out.append("\t".join(["episode", str(e["id"]), str(e["start"]), str(e["bound"]), e["kind"],
                              e["src"], e["src_addr"], " ".join(e["targets"])] + e["args"]))
    return "\n".join(out) + "\n"


def hosts_csv(plan):
    out = ["name,address,site,role,habits"]
    for h in plan["hosts"]:
        out.append("%s,%s,%d,%s,%s" % (h["name"], h["addr"], h["site"], h["role"],
                                       " ".join(x["kind"] for x in h["habits"])))
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description="Draw one lab of the lab family.")
    ap.add_argument("seed", nargs="?", type=int)
    ap.add_argument("--kinds", help="comma-separated episode kinds instead of drawn ones")
    ap.add_argument("--quick", action="store_true", help="short episodes and gaps (smoke tests)")
    ap.add_argument("--lines", metavar="PLAN", help="print PLAN.json as records for the driver")
    ap.add_argument("--hosts", metavar="PLAN", help="print PLAN.json's hosts as CSV")
    a = ap.parse_args()
    if a.lines or a.hosts:
        with open(a.lines or a.hosts) as f:
            plan = json.load(f)
        sys.stdout.write(lines(plan) if a.lines else hosts_csv(plan))
        return
    if a.seed is None:
        ap.error("a seed is needed")
    forced = a.kinds.split(",") if a.kinds else None
    for k in forced or []:
        if k not in CATALOGUE:
            ap.error("unknown kind %s (known: %s)" % (k, " ".join(CATALOGUE)))
    json.dump(draw(a.seed, forced, a.quick), sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
