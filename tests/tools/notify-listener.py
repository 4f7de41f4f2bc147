#!/usr/bin/env python3
"""Listens on a unix datagram socket as systemd's NOTIFY_SOCKET does and
appends every message it receives to a file, one line per variable
assignment, until it is terminated or a time limit passes.

usage: notify-listener.py SOCKET OUTPUT SECONDS
"""
import os
import socket
import sys
import time


def main():
    path, out, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    if os.path.exists(path):
        os.unlink(path)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    end = time.monotonic() + seconds
    with open(out, "a") as f:
        while time.monotonic() < end:
            s.settimeout(max(0.05, end - time.monotonic()))
            try:
                data = s.recv(4096)
            except socket.timeout:
                continue
            for line in data.decode("utf-8", "replace").split("\n"):
                if line:
                    f.write(line + "\n")
            f.flush()


if __name__ == "__main__":
    main()
