#!/usr/bin/python3
"""A primary that never answers updates, for the timeout test of tests/lab/dns_errors.test.sh.

  dns_silent_primary.py LISTEN_PORT UPSTREAM_PORT

On 127.0.0.1:LISTEN_PORT, UDP queries are relayed to 127.0.0.1:UPSTREAM_PORT (so reading the
records works), while TCP connections (where ferry sends its updates) are accepted and never
answered. Exits when its stdin closes.
"""
import socket
import sys
import threading

listen, upstream = int(sys.argv[1]), int(sys.argv[2])
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.bind(("127.0.0.1", listen))
tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
tcp.bind(("127.0.0.1", listen))
tcp.listen(8)
held = []


def relay():
    while True:
        data, client = udp.recvfrom(65535)
        up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        up.settimeout(2)
        try:
            up.sendto(data, ("127.0.0.1", upstream))
            udp.sendto(up.recv(65535), client)
        except OSError:
            pass
        finally:
            up.close()


def swallow():
    while True:
        conn, _ = tcp.accept()
        held.append(conn)  # read nothing, answer nothing


threading.Thread(target=relay, daemon=True).start()
threading.Thread(target=swallow, daemon=True).start()
print("ready", flush=True)
sys.stdin.read()
