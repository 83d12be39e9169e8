#!/usr/bin/env python3
"""A hostile fake NATS server for tests/integration/jetstream_hostile.sh:
loopback only, one mode per run, standard library only. It speaks just
enough of the NATS protocol (INFO, CONNECT/PING/PONG, SUB, PUB/HPUB, MSG) to
misbehave at one chosen step:

  info     sends INFO, then reads and never answers (a hung handshake)
  garbage  sends INFO, then answers CONNECT with bytes that are not NATS
  badjson  completes the handshake; every API reply is not JSON
  pages    answers $JS.API.STREAM.LIST with the same full page forever
           (total 10^9, so the total is never reached)
  endless  answers $JS.API.STREAM.LIST with a new one-stream page at every
           offset, total 10^9: a list that never ends
  huge     answers $JS.API.STREAM.LIST with one reply of --huge-mb MB
  bigtotal answers $JS.API.STREAM.LIST with "total": 1e400
  flaky    the first connection works (one stream) and is dropped after 2 s;
           every later one is sent INFO only (a hung reconnect)
  cpages   one stream with 1,000 consumers; $JS.API.CONSUMER.LIST.<stream>
           answers the same full page forever (total 10^9)
  chuge    one stream with a consumer; its consumer list is one reply of
           --huge-mb MB
  chang    one stream with a consumer; its consumer list is never answered

  jetstream_fake.py MODE PORT_FILE [--huge-mb N] [--lifetime S]

It binds 127.0.0.1 on a free port, writes the port to PORT_FILE, counts the
STREAM.LIST and CONSUMER.LIST requests it answered in PORT_FILE.requests, and exits after
--lifetime seconds (default 120) whatever happens.
"""
import argparse
import json
import os
import socket
import sys
import threading
import time

INFO = {"server_id": "FAKE", "server_name": "fake", "version": "2.9.10", "proto": 1,
        "go": "go1", "host": "127.0.0.1", "port": 0, "headers": True,
        "max_payload": 1048576, "jetstream": True}


def stream(i, consumers=0):
    return {"config": {"name": "S%07d" % i, "retention": "limits", "storage": "memory",
                       "max_bytes": -1, "max_msgs": -1, "max_age": 0, "num_replicas": 1,
                       "discard": "old"},
            "state": {"messages": 0, "bytes": 0, "first_seq": 0, "last_seq": 0,
                      "consumer_count": consumers}}


def consumer(i):
    return {"stream_name": "S0000000", "name": "C%07d" % i,
            "config": {"durable_name": "C%07d" % i, "ack_policy": "explicit"},
            "delivered": {"consumer_seq": 0, "stream_seq": 0},
            "ack_floor": {"consumer_seq": 0, "stream_seq": 0},
            "num_ack_pending": 0, "num_redelivered": 0, "num_waiting": 0, "num_pending": 0}


CONSUMER_PAGE = json.dumps({"total": 10 ** 9, "offset": 0, "limit": 256,
                            "consumers": [consumer(i) for i in range(256)]}).encode()
CONSUMER_MODES = {"cpages": 1000, "chuge": 1, "chang": 1}


PAGE = json.dumps({"type": "io.nats.jetstream.api.v1.stream_list_response",
                   "total": 10 ** 9, "offset": 0, "limit": 256,
                   "streams": [stream(i) for i in range(256)]}).encode()
ACCOUNT = json.dumps({"memory": 0, "storage": 0, "streams": 1, "consumers": 0,
                      "limits": {}, "api": {"total": 1, "errors": 0}}).encode()


class Conn:
    def __init__(self, sock, args, counter):
        self.s, self.args, self.counter, self.buf = sock, args, counter, b""

    def line(self):
        while b"\r\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise EOFError
            self.buf += d
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def payload(self, n):
        while len(self.buf) < n + 2:
            d = self.s.recv(65536)
            if not d:
                raise EOFError
            self.buf += d
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def reply(self, subject, sid, data):
        self.s.sendall(b"MSG %s %s %d\r\n" % (subject, sid, len(data)) + data + b"\r\n")

    def run(self):
        mode = self.args.mode
        info = dict(INFO, port=self.s.getsockname()[1])
        self.s.sendall(b"INFO " + json.dumps(info).encode() + b"\r\n")
        if mode == "flaky":
            self.counter[1] += 1
            if self.counter[1] > 1:
                mode = "info"
            else:
                threading.Timer(2.0, lambda: self.s.shutdown(socket.SHUT_RDWR)).start()
        if mode == "info":
            while self.s.recv(65536):
                pass
            return
        subs = {}
        while True:
            line = self.line()
            op = line.split(b" ", 1)[0].upper()
            if op == b"CONNECT":
                if mode == "garbage":
                    self.s.sendall(b"\x00\xff HELLO? \x1b[31m" * 64 + b"\r\n")
                    while self.s.recv(65536):
                        pass
                    return
            elif op == b"PING":
                self.s.sendall(b"PONG\r\n")
            elif op == b"SUB":
                parts = line.split()
                subs[parts[1]] = parts[-1]
            elif op in (b"PUB", b"HPUB"):
                parts = line.split()
                data = self.payload(int(parts[-1]))
                if op == b"HPUB":
                    data = data[int(parts[-2]):]
                self.answer(parts[1], parts[2] if len(parts) > 3 else None, subs, data)

    def answer(self, subject, reply, subs, data):
        if reply is None:
            return
        sid = None
        for pat, s in subs.items():
            if (pat.endswith(b".*") or pat.endswith(b".>")) and reply.startswith(pat[:-1]):
                sid = s
        if sid is None:
            return
        mode = self.args.mode
        if mode == "badjson" and subject.startswith(b"$JS."):
            self.reply(reply, sid, b"<html>not json</html>")
        elif subject == b"$JS.API.INFO":
            self.reply(reply, sid, ACCOUNT)
        elif subject == b"$JS.API.STREAM.LIST":
            self.counter[0] += 1
            if mode == "pages":
                self.reply(reply, sid, PAGE)
            elif mode == "endless":
                offset = json.loads(data or b"{}").get("offset", 0)
                self.reply(reply, sid, json.dumps({"total": 10 ** 9, "offset": offset, "limit": 1,
                                                   "streams": [stream(offset)]}).encode())
            elif mode == "huge":
                filler = b" " * (self.args.huge_mb << 20)
                self.reply(reply, sid, b'{"total":1,"streams":[]' + filler + b"}")
            elif mode == "flaky":
                self.reply(reply, sid, b'{"total":1,"offset":0,"limit":256,"streams":['
                           + json.dumps(stream(0)).encode() + b"]}")
            elif mode == "bigtotal":
                self.reply(reply, sid, b'{"total":1e400,"offset":0,"limit":256,"streams":['
                           + json.dumps(stream(0)).encode() + b"]}")
            elif mode in CONSUMER_MODES:
                self.reply(reply, sid, json.dumps({"total": 1, "offset": 0, "limit": 256, "streams": [
                    stream(0, CONSUMER_MODES[mode])]}).encode())
        elif subject == b"$JS.API.CONSUMER.LIST.S0000000" and mode in CONSUMER_MODES:
            self.counter[0] += 1
            if mode == "cpages":
                self.reply(reply, sid, CONSUMER_PAGE)
            elif mode == "chuge":
                filler = b" " * (self.args.huge_mb << 20)
                self.reply(reply, sid, b'{"total":1,"consumers":[]' + filler + b"}")
            # chang: no answer
        else:  # $SYS.REQ.USER.INFO and anything else: no responders, as nats-server 2.9
            self.s.sendall(b"HMSG %s %s 16 16\r\nNATS/1.0 503\r\n\r\n\r\n" % (reply, sid))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["info", "garbage", "badjson", "pages", "endless", "huge", "bigtotal",
                                       "flaky", "cpages", "chuge", "chang"])
    ap.add_argument("port_file")
    ap.add_argument("--huge-mb", type=int, default=50)
    ap.add_argument("--lifetime", type=float, default=120)
    args = ap.parse_args()
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(16)
    counter = [0, 0]  # STREAM.LIST requests, connections
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % ls.getsockname()[1])
    os.rename(tmp, args.port_file)

    def serve(sock):
        try:
            Conn(sock, args, counter).run()
        except (OSError, EOFError, ValueError, IndexError):
            pass
        finally:
            sock.close()

    def count():
        # Written aside and renamed: a reader never sees the file empty.
        while True:
            with open(args.port_file + ".requests.tmp", "w") as f:
                f.write("%d\n" % counter[0])
            os.rename(args.port_file + ".requests.tmp", args.port_file + ".requests")
            time.sleep(0.1)

    threading.Thread(target=count, daemon=True).start()
    ls.settimeout(0.5)
    end = time.time() + args.lifetime
    while time.time() < end:
        try:
            sock, _ = ls.accept()
        except socket.timeout:
            continue
        threading.Thread(target=serve, args=(sock,), daemon=True).start()
    sys.exit(0)


if __name__ == "__main__":
    main()
