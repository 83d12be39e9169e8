#!/usr/bin/env python3
"""Creates JetStream streams on a NATS server and publishes to them, through
the plain NATS client protocol on a socket (there is no nats CLI on Debian;
standard library only). Used by dashboards_prometheus.sh.

    nats_js.py HOST:PORT setup    wait for the server, create the streams
                                  below, a durable pull consumer on
                                  UNBOUNDED, publish, take and ack one

Streams (names are what the test expects):
  UNBOUNDED  file, no max_age/max_bytes/max_msgs: the retention-unbounded alert
  NEARFULL   file, max_bytes 64 KiB, discard new, filled to > 90%: the
             near-limit alert and the byte utilisation panel
  MEMORY     memory storage, max_msgs 1000, max_age 1 h
  AGEONLY    file, max_age 2 h only ("age limit only" = 1)
Prints one line per stream: name, messages, bytes."""

import json
import socket
import sys
import time


class Nats:
    def __init__(self, host, port, timeout=5.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""
        self.n = 0
        info = self._line()
        if not info.startswith(b"INFO "):
            raise RuntimeError(f"no INFO from the server: {info!r}")
        self.info = json.loads(info[5:])
        self._send(b'CONNECT {"verbose":false,"pedantic":false,"lang":"python",'
                   b'"version":"0","protocol":1,"headers":false}\r\nPING\r\n')
        self._until_pong()
        self.inbox = "_INBOX.memacct%d" % (time.time_ns() % 10**9)
        self._send(f"SUB {self.inbox}.* 1\r\n".encode())

    def _send(self, data):
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise RuntimeError("the NATS server closed the connection")
        self.buf += chunk

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _bytes(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def _next(self):
        """The next protocol message: ('MSG', subject, payload, reply or
        None), ('PONG',)."""
        while True:
            line = self._line()
            if line.startswith(b"MSG "):
                parts = line.split()
                reply = parts[3].decode() if len(parts) == 5 else None
                return ("MSG", parts[1].decode(), self._bytes(int(parts[-1])), reply)
            if line == b"PING":
                self._send(b"PONG\r\n")
            elif line == b"PONG":
                return ("PONG",)
            elif line.startswith(b"-ERR"):
                raise RuntimeError(line.decode(errors="replace"))
            # +OK, INFO updates: ignored

    def _until_pong(self):
        while self._next()[0] != "PONG":
            pass

    def request(self, subject, payload=b""):
        self.n += 1
        reply = f"{self.inbox}.{self.n}"
        if isinstance(payload, (dict, list)):
            payload = json.dumps(payload).encode()
        self._send(f"PUB {subject} {reply} {len(payload)}\r\n".encode() + payload + b"\r\n")
        while True:
            m = self._next()
            if m[0] == "MSG" and m[1] == reply:
                return json.loads(m[2]) if m[2] else {}


    def take_one(self, stream, consumer):
        """Pulls one message from a pull consumer and acks it (the ack as a
        request: the server answers once it has applied it)."""
        self.n += 1
        inbox = f"{self.inbox}.{self.n}"
        body = b'{"batch":1}'
        self._send(f"PUB $JS.API.CONSUMER.MSG.NEXT.{stream}.{consumer} {inbox} "
                   f"{len(body)}\r\n".encode() + body + b"\r\n")
        while True:
            m = self._next()
            if m[0] == "MSG" and m[3] and m[3].startswith(f"$JS.ACK.{stream}.{consumer}."):
                self.request(m[3], b"+ACK")
                return


STREAMS = [
    {"name": "UNBOUNDED", "subjects": ["unbounded.>"], "storage": "file"},
    {"name": "NEARFULL", "subjects": ["nearfull.>"], "storage": "file",
     "max_bytes": 65536, "discard": "new"},
    {"name": "MEMORY", "subjects": ["memory.>"], "storage": "memory",
     "max_msgs": 1000, "max_age": 3600 * 10**9},
    {"name": "AGEONLY", "subjects": ["ageonly.>"], "storage": "file",
     "max_age": 7200 * 10**9},
]


def connect(addr, wait_s=20.0):
    host, port = addr.rsplit(":", 1)
    deadline = time.monotonic() + wait_s
    while True:
        try:
            nc = Nats(host, int(port))
            # JetStream answers once it is enabled.
            info = nc.request("$JS.API.INFO")
            if "error" not in info:
                return nc
            nc.sock.close()
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"nats_js.py: no JetStream server on {addr}")
        time.sleep(0.2)


def setup(addr):
    nc = connect(addr)
    for cfg in STREAMS:
        r = nc.request("$JS.API.STREAM.CREATE." + cfg["name"], cfg)
        if "error" in r:
            raise SystemExit(f"nats_js.py: creating {cfg['name']}: {r['error']}")
    r = nc.request("$JS.API.CONSUMER.DURABLE.CREATE.UNBOUNDED.worker",
                   {"stream_name": "UNBOUNDED",
                    "config": {"durable_name": "worker", "ack_policy": "explicit"}})
    if "error" in r:
        raise SystemExit(f"nats_js.py: creating consumer: {r['error']}")
    body = b"x" * 1000
    for i in range(50):
        nc.request(f"unbounded.orders.{i % 5}", body)
        nc.request(f"memory.events.{i % 3}", body[:200])
        nc.request("ageonly.logs", body[:300])
    # The worker takes and acks one message: it has a last delivery and
    # a last ack, 49 pending.
    nc.take_one("UNBOUNDED", "worker")
    # NEARFULL: publish until the server refuses (discard new): it is then
    # within one message of max_bytes.
    for i in range(200):
        r = nc.request("nearfull.data", body)
        if "error" in r:
            break
    for cfg in STREAMS:
        st = nc.request("$JS.API.STREAM.INFO." + cfg["name"]).get("state", {})
        print(f"stream {cfg['name']:<10} storage={cfg['storage']:<6} "
              f"messages={st.get('messages')} bytes={st.get('bytes')}")
        if not st.get("messages"):
            raise SystemExit(f"nats_js.py: stream {cfg['name']} is empty")
    nc.sock.close()


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[2] != "setup":
        raise SystemExit(__doc__)
    setup(sys.argv[1])
