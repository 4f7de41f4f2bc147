#!/usr/bin/env python3
"""One round of the lab's monitoring server: for each ADDR:PORT,PORT... it
sends an ICMP echo request (waiting up to a second for the reply), then opens
and closes a TCP connection to each port. Needs root (raw ICMP socket).

usage: monitor.py ADDR:[PORT,...] ...
"""
import os
import select
import socket
import struct
import sys
import time


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def echo(sock, addr, ident, seq):
    payload = b"lab-monitor".ljust(32, b".")
    head = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
    packet = struct.pack("!BBHHH", 8, 0, checksum(head + payload), ident, seq) + payload
    sock.sendto(packet, (addr, 0))
    deadline = time.time() + 1
    while time.time() < deadline:
        ready, _, _ = select.select([sock], [], [], max(0, deadline - time.time()))
        if not ready:
            return False
        data, (src, _) = sock.recvfrom(2048)
        ihl = (data[0] & 0x0F) * 4
        kind, _, _, rid, rseq = struct.unpack("!BBHHH", data[ihl:ihl + 8])
        if src == addr and kind == 0 and rid == ident and rseq == seq:
            return True
    return False


def tcp_check(addr, port):
    try:
        socket.create_connection((addr, port), timeout=2).close()
        return True
    except OSError:
        return False


def main():
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    ident = os.getpid() & 0xFFFF
    for seq, target in enumerate(sys.argv[1:], start=1):
        addr, _, ports = target.partition(":")
        echo(sock, addr, ident, seq)
        for p in filter(None, ports.split(",")):
            tcp_check(addr, int(p))


if __name__ == "__main__":
    main()
