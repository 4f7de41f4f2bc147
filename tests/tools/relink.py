#!/usr/bin/env python3
"""Rewrites an Ethernet pcap into another link type, for decoder tests.

usage: relink.py IN.pcap OUT.pcap KIND
KIND: raw (LINKTYPE_RAW), sll (Linux cooked v1), sll2 (Linux cooked v2),
      null (BSD loopback, little-endian family), qinq (Ethernet with an
      802.1ad and an 802.1Q tag), mpls (two labels), pppoe (a PPPoE
      session), gre (IP in GRE between two tunnel endpoints), vxlan (the
      whole frame in VXLAN), vxlan8472 (the same on UDP 8472), pppoe-pfc (a
      PPPoE session, PPP's protocol in one byte), erspan (the whole frame in
      an ERSPAN type II mirror session), frag6 (IPv6 packets whose payload
      passes 8 bytes cut in two fragments, a Destination Options header
      after the fragment header). Non-IP frames are kept as they are possible in each
      type (dropped where only IP can be carried).
The original length grows or shrinks with the header; timestamps are kept.
"""
import struct
import sys

LINKTYPES = {"raw": 101, "sll": 113, "sll2": 276, "null": 0, "qinq": 1, "mpls": 1, "pppoe": 1,
             "pppoe-pfc": 1, "gre": 1, "vxlan": 1, "vxlan8472": 1, "erspan": 1, "frag6": 1}
OUTER_MACS = bytes(range(0xA0, 0xAC))


def outer_ipv4(proto, payload_len):
    """An IPv4 header between the tunnel endpoints 10.200.0.1 and 10.200.0.2."""
    return struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + payload_len, 0, 0, 64, proto, 0,
                       bytes([10, 200, 0, 1]), bytes([10, 200, 0, 2]))


def tunnel(frame, origlen, kind):
    """The frame wrapped for a tunnel kind, its lengths from origlen."""
    etype = struct.unpack(">H", frame[12:14])[0]
    if kind in ("vxlan", "vxlan8472"):
        inner = struct.pack(">BBHI", 0x08, 0, 0, 0x123400)
        port = 8472 if kind == "vxlan8472" else 4789
        udp = struct.pack(">HHHH", 50000, port, 8 + len(inner) + origlen, 0)
        head = outer_ipv4(17, len(udp) + len(inner) + origlen) + udp + inner
    elif kind == "erspan":
        gre = struct.pack(">HHI", 0x1000, 0x88BE, 1)
        erspan = struct.pack(">HHI", 0x1001, 0, 0)
        head = outer_ipv4(47, len(gre) + len(erspan) + origlen) + gre + erspan
    else:  # gre: IP only
        if etype not in (0x0800, 0x86DD):
            return None
        gre = struct.pack(">HH", 0, etype)
        return OUTER_MACS + b"\x08\x00" + outer_ipv4(47, len(gre) + origlen - 14) + gre + \
            frame[14:]
    return OUTER_MACS + b"\x08\x00" + head + frame


def relink(frame, kind):
    dst, src, ethertype, payload = frame[:6], frame[6:12], frame[12:14], frame[14:]
    etype = struct.unpack(">H", ethertype)[0]
    if kind == "raw":
        return payload if etype in (0x0800, 0x86DD) else None
    if kind == "null":
        family = {0x0800: 2, 0x86DD: 10}.get(etype)
        return None if family is None else struct.pack("<I", family) + payload
    if kind == "sll":
        return struct.pack(">HHH", 0, 1, 6) + src + b"\0\0" + ethertype + payload
    if kind == "sll2":
        return ethertype + b"\0\0" + struct.pack(">I", 2) + struct.pack(">HBB", 1, 0, 6) + \
            src + b"\0\0" + payload
    if kind == "qinq":
        return dst + src + struct.pack(">HHHH", 0x88A8, 7, 0x8100, 100) + ethertype + payload
    if kind == "mpls":
        if etype not in (0x0800, 0x86DD):
            return None
        return dst + src + struct.pack(">HII", 0x8847, 16 << 12 | 64, 17 << 12 | 1 << 8 | 64) + \
            payload
    if kind == "pppoe":
        if etype not in (0x0800, 0x86DD):
            return None
        ppp = 0x0021 if etype == 0x0800 else 0x0057
        return dst + src + struct.pack(">HBBHHH", 0x8864, 0x11, 0, 0x1234, len(payload) + 2,
                                       ppp) + payload
    if kind == "pppoe-pfc":
        if etype not in (0x0800, 0x86DD):
            return None
        ppp = 0x21 if etype == 0x0800 else 0x57
        return dst + src + struct.pack(">HBBHHB", 0x8864, 0x11, 0, 0x1234, len(payload) + 1,
                                       ppp) + payload
    raise SystemExit(f"unknown kind {kind}")


def fragments6(frame):
    """An IPv6 frame as two fragments (or as it is: not IPv6, extension headers, short)."""
    head, ip = frame[:14], frame[14:]
    if struct.unpack(">H", frame[12:14])[0] != 0x86DD or len(ip) < 40 + 9 or \
            ip[6] not in (6, 17, 58):
        return [frame]
    upper = ip[40:40 + struct.unpack(">H", ip[4:6])[0]]
    body = bytes([ip[6], 0, 1, 4, 0, 0, 0, 0]) + upper  # destination options, PadN
    cut = 8 + 8
    frags = []
    for off, part, more in ((0, body[:cut], 1), (cut, body[cut:], 0)):
        fh = struct.pack(">BBHI", 60, 0, off | more, 0x2a)
        v6 = ip[:4] + struct.pack(">H", len(fh) + len(part)) + bytes([44]) + ip[7:40]
        frags.append(head + v6 + fh + part)
    return frags


def main():
    src, dst, kind = sys.argv[1:4]
    with open(src, "rb") as f:
        data = f.read()
    magic, major, minor, zone, sigfigs, snaplen, linktype = struct.unpack("<IHHiIII", data[:24])
    assert magic == 0xA1B2C3D4 and linktype == 1, "expects a little-endian Ethernet pcap"
    out = [struct.pack("<IHHiIII", magic, major, minor, zone, sigfigs, snaplen + 64,
                       LINKTYPES[kind])]
    off = 24
    while off + 16 <= len(data):
        sec, usec, caplen, origlen = struct.unpack("<IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + caplen]
        off += 16 + caplen
        if kind == "frag6":
            for new in fragments6(frame[:origlen]):
                out.append(struct.pack("<IIII", sec, usec, len(new), len(new)) + new)
            continue
        new = tunnel(frame, origlen, kind) if kind in ("gre", "vxlan", "vxlan8472", "erspan") \
            else relink(frame, kind)
        if new is None:
            continue
        delta = len(new) - len(frame)
        out.append(struct.pack("<IIII", sec, usec, len(new), origlen + delta) + new)
    with open(dst, "wb") as f:
        f.write(b"".join(out))


if __name__ == "__main__":
    main()
