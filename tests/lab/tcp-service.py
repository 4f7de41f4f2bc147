#!/usr/bin/env python3
"""Lab TCP service: on each given port, greet with a banner, answer one line, close.

Stands in for an SSH server and a database on the lab's "ssh" host: what the
capture needs is their connection shape (handshake, a few small segments each
way, orderly close), not their protocols. Runs until killed.
"""
import socket
import sys
import threading

BANNERS = {22: b"SSH-2.0-lab\r\n", 3306: b"lab-db ready\r\n"}


def serve_client(conn):
    with conn:
        conn.settimeout(3)
        try:
            conn.sendall(BANNERS.get(conn.getsockname()[1], b"hello\r\n"))
            line = conn.recv(256)
            if line:
                conn.sendall(b"ok " + line[:64])
        except OSError:
            pass


def listen(port):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("0.0.0.0", port))
    srv.listen(128)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve_client, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    ports = [int(p) for p in sys.argv[1:]] or [22]
    for p in ports[1:]:
        threading.Thread(target=listen, args=(p,), daemon=True).start()
    listen(ports[0])
