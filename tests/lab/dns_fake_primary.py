#!/usr/bin/python3
"""A primary that misbehaves on updates, for tests/lab/dns_errors.test.sh.

  dns_fake_primary.py MODE LISTEN_PORT UPSTREAM_PORT

On 127.0.0.1:LISTEN_PORT, UDP queries are relayed to 127.0.0.1:UPSTREAM_PORT (so reading the
records works). TCP connections (where ferry sends its updates) get, by MODE:
  silent     no answer at all (ferry must time out)
  unsigned   NOERROR without a TSIG record (ferry must not trust it)
Nothing is ever changed. Exits when its stdin closes.
"""
import socket
import struct
import sys
import threading

mode, listen, upstream = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
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


def read_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def serve(conn):
    if mode == "silent":
        held.append(conn)  # read nothing, answer nothing
        return
    try:
        (length,) = struct.unpack("!H", read_exact(conn, 2))
        request = read_exact(conn, length)
        # Same ID, QR set, opcode UPDATE (5), rcode NOERROR, no records: an unsigned "success".
        reply = request[:2] + struct.pack("!BBHHHH", 0x80 | (5 << 3), 0, 0, 0, 0, 0)
        conn.sendall(struct.pack("!H", len(reply)) + reply)
    except (EOFError, OSError):
        pass
    finally:
        conn.close()


def accept():
    while True:
        conn, _ = tcp.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


threading.Thread(target=relay, daemon=True).start()
threading.Thread(target=accept, daemon=True).start()
print("ready", flush=True)
sys.stdin.read()
