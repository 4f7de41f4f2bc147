#!/usr/bin/env python3
"""Turns a capture into the connection logs of the tools SOCs run beside
flowsad, for the reader tests: Zeek's conn.log (TSV, or JSON lines) and
Suricata's EVE (event_type flow), built from the packets themselves, so that
per-source packets and IP bytes must equal those of the capture.

usage: flowlogs.py IN.pcap zeek-tsv|zeek-json|eve OUT

Connections are keyed both ways by (protocol, addresses, ports); ICMP by
(addresses, query type), replies joined to their query. The originator is
the first packet's sender. No timeouts: one record a connection.
"""
import ipaddress
import json
import struct
import sys
from datetime import datetime, timezone

ICMP_QUERY = {0: 8, 14: 13, 16: 15, 129: 128}  # answer type -> query type
HISTORY = [(0x02, 0x10, "H"), (0x02, 0, "S"), (0x04, 0, "R"), (0x01, 0, "F")]


def frames(path):
    data = open(path, "rb").read()
    assert struct.unpack("<I", data[:4])[0] == 0xA1B2C3D4, "a little-endian pcap"
    linktype = struct.unpack("<I", data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        sec, usec, caplen, _ = struct.unpack("<IIII", data[off:off + 16])
        yield sec + usec / 1e6, linktype, data[off + 16:off + 16 + caplen]
        off += 16 + caplen


def ip_packet(linktype, frame):
    if linktype != 1:
        raise SystemExit("Ethernet captures only")
    etype, off = struct.unpack(">H", frame[12:14])[0], 14
    while etype in (0x8100, 0x88A8):
        etype, off = struct.unpack(">H", frame[off + 2:off + 4])[0], off + 4
    return frame[off:] if etype in (0x0800, 0x86DD) else None


def parse(pkt):
    """(proto, src, dst, sport, dport, ip_len, tcp_flags) or None."""
    if pkt[0] >> 4 == 4:
        ihl, length = (pkt[0] & 15) * 4, struct.unpack(">H", pkt[2:4])[0]
        if struct.unpack(">H", pkt[6:8])[0] & 0x1FFF:
            return None  # a later fragment: no ports
        proto, src, dst, l4 = pkt[9], pkt[12:16], pkt[16:20], pkt[ihl:]
    else:
        length = 40 + struct.unpack(">H", pkt[4:6])[0]
        proto, src, dst, l4 = pkt[6], pkt[8:24], pkt[24:40], pkt[40:]
        while proto in (0, 43, 60) and len(l4) >= 8:  # hop-by-hop, routing, destination
            proto, l4 = l4[0], l4[(l4[1] + 1) * 8:]
        if proto == 44:  # a fragment: the first one's ports only
            if len(l4) < 8 or struct.unpack(">H", l4[2:4])[0] & 0xFFF8:
                return None
            proto, l4 = l4[0], l4[8:]
    src, dst = str(ipaddress.ip_address(src)), str(ipaddress.ip_address(dst))
    if proto in (6, 17) and len(l4) >= 4:
        sport, dport = struct.unpack(">HH", l4[:4])
        flags = l4[13] if proto == 6 and len(l4) >= 14 else 0
        return proto, src, dst, sport, dport, length, flags
    if proto in (1, 58) and len(l4) >= 2:
        return proto, src, dst, l4[0], l4[1], length, 0
    return None


def connections(path):
    conns, order = {}, []
    for ts, linktype, frame in frames(path):
        pkt = ip_packet(linktype, frame)
        p = pkt and parse(pkt)
        if not p:
            continue
        proto, src, dst, sport, dport, length, flags = p
        if proto in (1, 58):
            query = ICMP_QUERY.get(sport, sport)
            fwd, rev = (proto, src, dst, query), (proto, dst, src, query)
        else:
            fwd, rev = (proto, src, dst, sport, dport), (proto, dst, src, dport, sport)
        key, side = (rev, "resp") if rev in conns else (fwd, "orig")
        c = conns.get(key)
        if c is None:
            c = conns[key] = {"ts": ts, "last": ts, "proto": proto, "orig_h": src,
                              "resp_h": dst, "orig_p": sport, "resp_p": dport,
                              "orig_pkts": 0, "orig_ip_bytes": 0, "resp_pkts": 0,
                              "resp_ip_bytes": 0, "history": "", "orig_flags": 0,
                              "resp_flags": 0}
            order.append(key)
        c["last"] = ts
        c[side + "_pkts"] += 1
        c[side + "_ip_bytes"] += length
        c[side + "_flags"] |= flags
        for bits, also, letter in HISTORY:
            if flags & bits == bits and (not also or flags & also):
                letter = letter if side == "orig" else letter.lower()
                if letter not in c["history"]:
                    c["history"] += letter
                break
    return [conns[k] for k in order]


def proto_name(c):
    return {6: "tcp", 17: "udp", 1: "icmp", 58: "icmp"}[c["proto"]]


def zeek_tsv(conns, out):
    fields = ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto",
              "service", "duration", "orig_bytes", "resp_bytes", "conn_state", "local_orig",
              "local_resp", "missed_bytes", "history", "orig_pkts", "orig_ip_bytes",
              "resp_pkts", "resp_ip_bytes", "tunnel_parents"]
    out.write("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n"
              "#unset_field\t-\n#path\tconn\n#open\t2026-11-29-11-00-00\n")
    out.write("#fields\t" + "\t".join(fields) + "\n")
    out.write("#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount"
              "\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount"
              "\tset[string]\n")
    for i, c in enumerate(conns):
        row = [f"{c['ts']:.6f}", f"C{i:08d}", c["orig_h"], str(c["orig_p"]), c["resp_h"],
               str(c["resp_p"]), proto_name(c), "-", f"{c['last'] - c['ts']:.6f}", "-", "-",
               "OTH", "-", "-", "0", c["history"] or "-", str(c["orig_pkts"]),
               str(c["orig_ip_bytes"]), str(c["resp_pkts"]), str(c["resp_ip_bytes"]),
               "(empty)"]
        out.write("\t".join(row) + "\n")
    out.write("#close\t2026-11-29-12-00-00\n")


def zeek_json(conns, out):
    for i, c in enumerate(conns):
        rec = {"ts": c["ts"], "uid": f"C{i:08d}", "id.orig_h": c["orig_h"],
               "id.orig_p": c["orig_p"], "id.resp_h": c["resp_h"], "id.resp_p": c["resp_p"],
               "proto": proto_name(c), "duration": c["last"] - c["ts"],
               "conn_state": "OTH", "history": c["history"], "orig_pkts": c["orig_pkts"],
               "orig_ip_bytes": c["orig_ip_bytes"], "resp_pkts": c["resp_pkts"],
               "resp_ip_bytes": c["resp_ip_bytes"]}
        if not rec["history"]:
            del rec["history"]
        out.write(json.dumps(rec) + "\n")


def iso(ts):
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f+0000")


def eve(conns, out):
    for i, c in enumerate(conns):
        icmp = c["proto"] in (1, 58)
        rec = {"timestamp": iso(c["last"]), "flow_id": i, "event_type": "flow",
               "src_ip": c["orig_h"], "dest_ip": c["resp_h"],
               "proto": {6: "TCP", 17: "UDP", 1: "ICMP", 58: "IPv6-ICMP"}[c["proto"]],
               "flow": {"pkts_toserver": c["orig_pkts"], "pkts_toclient": c["resp_pkts"],
                        "bytes_toserver": c["orig_ip_bytes"],
                        "bytes_toclient": c["resp_ip_bytes"], "start": iso(c["ts"]),
                        "end": iso(c["last"]), "state": "closed", "reason": "timeout"}}
        if icmp:
            rec["icmp_type"], rec["icmp_code"] = c["orig_p"], c["resp_p"]
        else:
            rec["src_port"], rec["dest_port"] = c["orig_p"], c["resp_p"]
        if c["proto"] == 6:
            rec["tcp"] = {"tcp_flags": f"{c['orig_flags'] | c['resp_flags']:02x}",
                          "tcp_flags_ts": f"{c['orig_flags']:02x}",
                          "tcp_flags_tc": f"{c['resp_flags']:02x}"}
        out.write(json.dumps(rec) + "\n")
        if i % 50 == 0:  # other event types are passed over
            out.write(json.dumps({"timestamp": iso(c["ts"]), "event_type": "stats"}) + "\n")


def main():
    src, kind, dst = sys.argv[1:4]
    conns = connections(src)
    with open(dst, "w") as out:
        {"zeek-tsv": zeek_tsv, "zeek-json": zeek_json, "eve": eve}[kind](conns, out)


if __name__ == "__main__":
    main()
