#!/usr/bin/env python3
"""Lab TCP services of the lab family, one listener per PORT:MODE argument.

  chat  a banner, then an answer to every line until the client leaves: the
        shape of an interactive session (ssh, rdp, a mining pool)
  send  a banner, then per line: `get N` answers N bytes (file share, database
        export, backup agent), `quit` closes, anything else gets a short reply
  sink  reads and discards until the client leaves (printer, upload sink)

What the capture needs is the connection shape, not the protocols. The bulk
bytes are random, as compressed files and backups are. Runs until killed.
"""
import os
import socket
import sys
import threading

BANNERS = {22: b"SSH-2.0-lab\r\n", 445: b"lab-smb ready\r\n", 3306: b"lab-db ready\r\n",
           5432: b"lab-db ready\r\n", 3389: b"lab-rdp ready\r\n", 3333: b'{"pool":"lab"}\n'}
BULK = os.urandom(1 << 20)
IDLE = 120  # seconds a silent client may stay


def send_bytes(conn, n):
    while n > 0:
        chunk = BULK[: min(n, len(BULK))]
        conn.sendall(chunk)
        n -= len(chunk)


def serve(conn, port, mode):
    with conn:
        conn.settimeout(IDLE)
        try:
            if mode == "sink":
                while conn.recv(65536):
                    pass
                return
            conn.sendall(BANNERS.get(port, b"hello\r\n"))
            for line in conn.makefile("rb"):
                words = line.split()
                if mode == "send" and words[:1] == [b"quit"]:
                    return
                if mode == "send" and words[:1] == [b"get"] and len(words) == 2 and words[1].isdigit():
                    send_bytes(conn, min(int(words[1]), 64 << 20))
                else:
                    conn.sendall(b"ok " + line[:64].strip() + b"\r\n")
        except OSError:
            pass


def listen(port, mode):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("0.0.0.0", port))
    srv.listen(128)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn, port, mode), daemon=True).start()


def main():
    specs = [a.split(":") for a in sys.argv[1:]]
    if not specs or any(len(s) != 2 or s[1] not in ("chat", "send", "sink") for s in specs):
        sys.exit("usage: lab-service.py PORT:chat|send|sink ...")
    for port, mode in specs[1:]:
        threading.Thread(target=listen, args=(int(port), mode), daemon=True).start()
    listen(int(specs[0][0]), specs[0][1])


if __name__ == "__main__":
    main()
