#!/usr/bin/env python3
"""Rewrites an Ethernet pcap into another link type, for decoder tests.

usage: relink.py IN.pcap OUT.pcap KIND
KIND: raw (LINKTYPE_RAW), sll (Linux cooked v1), sll2 (Linux cooked v2),
      null (BSD loopback, little-endian family), qinq (Ethernet with an
      802.1ad and an 802.1Q tag). Non-IP frames are kept as they are
      possible in each type (dropped for raw and null, which cannot carry them).
The original length grows or shrinks with the header; timestamps are kept.
"""
import struct
import sys

LINKTYPES = {"raw": 101, "sll": 113, "sll2": 276, "null": 0, "qinq": 1}


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
    raise SystemExit(f"unknown kind {kind}")


def main():
    src, dst, kind = sys.argv[1:4]
    with open(src, "rb") as f:
        data = f.read()
    magic, major, minor, zone, sigfigs, snaplen, linktype = struct.unpack("<IHHiIII", data[:24])
    assert magic == 0xA1B2C3D4 and linktype == 1, "expects a little-endian Ethernet pcap"
    out = [struct.pack("<IHHiIII", magic, major, minor, zone, sigfigs, snaplen + 8,
                       LINKTYPES[kind])]
    off = 24
    while off + 16 <= len(data):
        sec, usec, caplen, origlen = struct.unpack("<IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + caplen]
        off += 16 + caplen
        new = relink(frame, kind)
        if new is None:
            continue
        delta = len(new) - len(frame)
        out.append(struct.pack("<IIII", sec, usec, len(new), origlen + delta) + new)
    with open(dst, "wb") as f:
        f.write(b"".join(out))


if __name__ == "__main__":
    main()
