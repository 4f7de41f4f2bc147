#!/usr/bin/env python3
"""What a SOC gets from a run: alert-level figures against a lab's episodes.

usage: alert-eval.py --labels LABELS.csv --alerts ALERTS.jsonl --window SECONDS
                     [--scores SCORES.csv] [--from EPOCH] [--slack SECONDS] [--json]

LABELS: src_ip,start_epoch,end_epoch,kind (tests/lab), then optionally targets
(the addresses the episode aimed at, separated by spaces; an address or a
CIDR) and any further columns, which are ignored. ALERTS: the JSON lines of
`flowsad run --jsonl` (one document a line; the ends of incidents, event.kind
"event", are passed over). SCORES: `flowsad score`
CSV over the same traffic, for the ranking AUC per (window, source) and for
the benign host-hours. Only windows ending after --from count (the period
after training).

An alert is true when its source is the attacker of an episode whose time
[start - slack, end + slack] overlaps the alert's window; an episode is alerted while it lasts
when a true alert's window overlaps it; its delay is from the episode's start
to the end of the first such window (when the alert can exist at the
earliest). False alerts are given per 10 benign host-hours: samples of
sources not attacking at the time, times the window length.

Besides: answering_false, the false alerts whose source is a target of an
episode overlapping the alert's window (a host alerted for answering a scan
or a flood); slow_delay_max, the longest delay among the alerted slow
episodes (a kind naming "slow", beaconing or dns-tunnel, or lasting over two
minutes); late, the episodes first alerted more than 300 s after their start;
missed_detail, the missed episodes' source, kind and start; and, when the
alerts carry flowsad.incident.id, the distinct incidents among the true and
the false alerts (incidents_true, incidents_false; incidents: all).
"""
import argparse
import csv
import ipaddress
import json
import sys
from datetime import datetime, timezone


def epoch(iso):
    return int(datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp())


SLACK = 0


def overlaps(ws, w, ep):
    return ws <= ep["end"] + SLACK and ep["start"] - SLACK < ws + w


def attacker_at(src, ws, w, episodes):
    return [e for e in episodes if e["src"] == src and overlaps(ws, w, e)]


SLOW_KINDS = ("beaconing", "dns-tunnel")
SLOW_SECONDS = 120
LATE_SECONDS = 300


def is_slow(ep):
    return "slow" in ep["kind"] or ep["kind"] in SLOW_KINDS or ep["end"] - ep["start"] > SLOW_SECONDS


def targets(field):
    """A targets field as networks (an address is a /32 or /128)."""
    nets = []
    for t in (field or "").split():
        try:
            nets.append(ipaddress.ip_network(t, strict=False))
        except ValueError:
            sys.exit(f"alert-eval: labels: not an address or network in targets: {t!r}")
    return nets


def targeted_at(src, ws, w, episodes):
    """Episodes overlapping the window that aimed at src."""
    try:
        ip = ipaddress.ip_address(src)
    except ValueError:
        return []
    return [e for e in episodes
            if overlaps(ws, w, e) and any(ip.version == n.version and ip in n for n in e["targets"])]


def incident_id(doc):
    f = doc.get("flowsad")
    inc = f.get("incident") if isinstance(f, dict) else None
    return inc.get("id") if isinstance(inc, dict) else None


def auc(pos, neg):
    if not pos or not neg:
        return float("nan")
    ranked = sorted([(s, 1) for s in pos] + [(s, 0) for s in neg])
    # rank-sum with ties averaged
    rank_sum, i = 0.0, 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        mid = (i + j + 1) / 2
        rank_sum += mid * sum(1 for k in range(i, j) if ranked[k][1])
        i = j
    return (rank_sum - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--labels", required=True)
    ap.add_argument("--alerts", required=True)
    ap.add_argument("--window", type=int, required=True)
    ap.add_argument("--scores")
    ap.add_argument("--from", dest="start", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    # labels are whole seconds (`date +%s` as the tool started and ended), and an
    # exporter's clock may lead the capture's by a fraction of one
    ap.add_argument("--slack", type=int, default=0)
    a = ap.parse_args()
    w = a.window
    global SLACK
    SLACK = a.slack

    episodes = [{"src": r["src_ip"].strip(), "start": int(r["start_epoch"]), "end": int(r["end_epoch"]),
                 "kind": r["kind"].strip(), "targets": targets(r.get("targets"))}
                for r in csv.DictReader(open(a.labels, newline="")) if r.get("src_ip")]
    alerts = []
    for line in open(a.alerts):
        if line.strip():
            doc = json.loads(line)
            if doc["event"].get("kind", "alert") != "alert":
                continue  # the end of an incident: no alert of its own
            ws = epoch(doc["event"]["start"])
            if ws + w > a.start:
                alerts.append((ws, doc["source"]["ip"], doc))
    true_alerts = answering = 0
    first = {}
    incidents = {True: set(), False: set()}
    for ws, src, doc in alerts:
        hit = attacker_at(src, ws, w, episodes)
        true_alerts += bool(hit)
        if not hit and targeted_at(src, ws, w, episodes):
            answering += 1
        inc = incident_id(doc)
        if inc is not None:
            incidents[bool(hit)].add(str(inc))
        for e in hit:
            key = (e["src"], e["start"])
            first[key] = min(first.get(key, ws + w), ws + w)
    false_alerts = len(alerts) - true_alerts
    alerted = [e for e in episodes if (e["src"], e["start"]) in first]
    delays = sorted(first[(e["src"], e["start"])] - e["start"] for e in alerted)
    slow = [first[(e["src"], e["start"])] - e["start"] for e in alerted if is_slow(e)]
    missed = [e for e in episodes if e not in alerted]

    out = {
        "alerts": len(alerts), "true": true_alerts, "false": false_alerts,
        "precision": true_alerts / len(alerts) if alerts else float("nan"),
        "episodes": len(episodes), "episodes_alerted": len(alerted),
        "missed": [e["kind"] for e in missed],
        "delay_median": delays[len(delays) // 2] if delays else float("nan"),
        "delay_max": delays[-1] if delays else float("nan"),
        "answering_false": answering,
        "slow_episodes": sum(1 for e in episodes if is_slow(e)),
        "slow_delay_max": max(slow) if slow else float("nan"),
        "late": [{"src": e["src"], "kind": e["kind"], "start": e["start"],
                  "delay": first[(e["src"], e["start"])] - e["start"]}
                 for e in alerted if first[(e["src"], e["start"])] - e["start"] > LATE_SECONDS],
        "missed_detail": [{"src": e["src"], "kind": e["kind"], "start": e["start"]} for e in missed],
    }
    if incidents[True] or incidents[False]:
        out["incidents_true"] = len(incidents[True])
        out["incidents_false"] = len(incidents[False])
        out["incidents"] = len(incidents[True] | incidents[False])
    if a.scores:
        pos, neg, benign = [], [], 0
        for r in csv.DictReader(open(a.scores)):
            ws = epoch(r["window_start"])
            if ws + w <= a.start:
                continue
            if attacker_at(r["src_ip"], ws, w, episodes):
                pos.append(float(r["raw_score"]))
            else:
                neg.append(float(r["raw_score"]))
                benign += 1
        hours = benign * w / 3600
        out["benign_host_hours"] = hours
        out["false_per_10_host_hours"] = 10 * false_alerts / hours if hours else float("nan")
        out["auc"] = auc(pos, neg)
    if a.json:
        json.dump(out, sys.stdout)
        print()
    else:
        for k, v in out.items():
            print(f"{k}: {v:.4g}" if isinstance(v, float) else f"{k}: {v}")


if __name__ == "__main__":
    main()
