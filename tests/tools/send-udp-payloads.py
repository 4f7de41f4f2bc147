#!/usr/bin/env python3
"""Sends the UDP payloads of a capture (Ethernet/IPv4, little-endian pcap) to
HOST:PORT, in order, paced: replays captured flow export to a collector.

usage: send-udp-payloads.py CAPTURE HOST PORT
"""
import socket
import struct
import sys
import time


def payloads(path):
    data = open(path, "rb").read()
    off = 24
    while off + 16 <= len(data):
        _, _, caplen, _ = struct.unpack("<IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + caplen]
        off += 16 + caplen
        if len(frame) < 42 or frame[12:14] != b"\x08\x00" or frame[23] != 17:
            continue
        ihl = (frame[14] & 0x0F) * 4
        yield frame[14 + ihl + 8:]


def main():
    path, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sent = 0
    for p in payloads(path):
        sock.sendto(p, (host, port))
        sent += 1
        if sent % 50 == 0:
            time.sleep(0.005)  # let the collector keep up: loopback drops nothing then
    print(sent)


if __name__ == "__main__":
    main()
