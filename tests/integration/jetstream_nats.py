#!/usr/bin/env python3
"""Test helper for tests/integration/jetstream_*.sh: a minimal NATS client
(raw protocol over a loopback socket, no cnats, so the tests do not check the
exporter with the library it uses) to create streams and publish, and the
comparison of a scrape against nats-server's own monitoring endpoint
(/jsz?accounts=true&streams=true&config=true, with &consumers=true for the
consumers). Standard library only.

  jetstream_nats.py [--auth ...] values-setup PORT
  jetstream_nats.py [--auth ...] mkstreams PORT N STORAGE
  jetstream_nats.py [--auth ...] mkconsumers PORT N
  jetstream_nats.py [--auth ...] publish PORT SUBJECT COUNT
  jetstream_nats.py [--auth ...] publish-bulk PORT SUBJECT COUNT SIZE
  jetstream_nats.py [--auth ...] read-back PORT STREAM PASSES
  jetstream_nats.py [--auth ...] consumers-setup PORT READY_FILE
  jetstream_nats.py [--auth ...] cluster-setup PORT
  jetstream_nats.py [--auth ...] api PORT SUBJECT [JSON]
  jetstream_nats.py compare MONPORT METRICS_FILE SCRAPE_UNIX_TIME [--exported N]
  jetstream_nats.py compare-consumers MONPORT METRICS_FILE SCRAPE_UNIX_TIME
  jetstream_nats.py metric METRICS_FILE NAME [label=value ...]
"""
import argparse
import datetime
import itertools
import json
import re
import socket
import ssl
import sys
import time
import urllib.request


class Nats:
    def __init__(self, port, user=None, password=None, token=None, tls=None, timeout=10):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""
        info = self._line()
        if not info.startswith(b"INFO"):
            raise RuntimeError("not a NATS server: %r" % info)
        if tls:  # (ca, cert, key): NATS upgrades after the plain INFO
            ctx = ssl.create_default_context(cafile=tls[0])
            if tls[1]:
                ctx.load_cert_chain(tls[1], tls[2])
            self.s = ctx.wrap_socket(self.s, server_hostname="127.0.0.1")
        c = {"verbose": False, "pedantic": False, "headers": True, "no_responders": True,
             "protocol": 1, "lang": "python-test", "version": "0"}
        if user is not None:
            c["user"], c["pass"] = user, password
        if token is not None:
            c["auth_token"] = token
        self.s.sendall(b"CONNECT " + json.dumps(c).encode() + b"\r\nPING\r\n")
        line = self._line()
        if line.startswith(b"-ERR"):
            raise RuntimeError(line.decode())
        self.inbox = "_INBOX.jstest%d" % id(self)
        self.s.sendall(("SUB %s.* 1\r\n" % self.inbox).encode())
        self.seq = itertools.count()

    def _fill(self):
        d = self.s.recv(1 << 20)
        if not d:
            raise EOFError("server closed the connection")
        self.buf += d

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _payload(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        d, self.buf = self.buf[:n], self.buf[n + 2:]
        return d

    def _msg(self):
        subj, data, _, _ = self._msg_full()
        return subj, data

    def request(self, subj, data=b""):
        if isinstance(data, str):
            data = data.encode()
        rep = "%s.%d" % (self.inbox, next(self.seq))
        self.s.sendall(("PUB %s %s %d\r\n" % (subj, rep, len(data))).encode() + data + b"\r\n")
        while True:
            s, d = self._msg()
            if s == rep:
                return d

    def js(self, api, obj=None):
        r = json.loads(self.request("$JS.API." + api, json.dumps(obj) if obj is not None else b""))
        if "error" in r:
            raise RuntimeError("%s: %s" % (api, r["error"]))
        return r

    def pub(self, subj, data=b"", reply=None):
        """Publishes without waiting for anything."""
        if isinstance(data, str):
            data = data.encode()
        r = (" " + reply) if reply else ""
        self.s.sendall(("PUB %s%s %d\r\n" % (subj, r, len(data))).encode() + data + b"\r\n")

    def sub(self, subj, sid):
        self.s.sendall(("SUB %s %d\r\n" % (subj, sid)).encode())

    def fetch(self, stream, consumer, batch, expires_s=0.5):
        """A pull request for up to batch messages: [(ack subject, data)]
        of those delivered before it expires. Messages come on the inbox's
        subscription with their own subject; the end is a status message
        (404 none, 408 expired) on the inbox."""
        inbox = "%s.fetch%d" % (self.inbox, next(self.seq))
        body = json.dumps({"batch": batch, "expires": int(expires_s * 1e9)})
        self.pub("$JS.API.CONSUMER.MSG.NEXT.%s.%s" % (stream, consumer), body, inbox)
        mine = "$JS.ACK.%s.%s." % (stream, consumer)
        got = []
        while len(got) < batch:
            subj, data, reply, status = self._msg_full()
            if status and subj == inbox:
                break
            if reply and reply.startswith(mine):
                got.append((reply, data))
        return got

    def _msg_full(self):
        """The next MSG/HMSG: (subject, payload, reply, status or None)."""
        while True:
            line = self._line()
            if line == b"PING":
                self.s.sendall(b"PONG\r\n")
                continue
            if line in (b"PONG", b"+OK"):
                continue
            if line.startswith(b"-ERR"):
                raise RuntimeError(line.decode())
            p = line.split()
            if p[0] == b"MSG":
                reply = p[3].decode() if len(p) == 5 else None
                return p[1].decode(), self._payload(int(p[-1])), reply, None
            if p[0] == b"HMSG":
                reply = p[3].decode() if len(p) == 6 else None
                hl = int(p[-2])
                d = self._payload(int(p[-1]))
                head = d[:hl].split(b"\r\n")[0].split()
                status = head[1].decode() if len(head) > 1 else None
                return p[1].decode(), d[hl:], reply, status

    def ack_sync(self, ack_subject):
        """+ACK as a request: the server answers once it has applied it."""
        self.request(ack_subject, b"+ACK")

    def publish(self, subj, data):
        r = json.loads(self.request(subj, data))
        if "error" in r:
            raise RuntimeError("publish %s: %s" % (subj, r["error"]))
        return r


def client(args, port):
    tls = (args.tls_ca, args.tls_cert, args.tls_key) if args.tls_ca else None
    return Nats(port, user=args.user, password=args.password, token=args.token, tls=tls)


SEC = 1000000000

# The values test's streams: every limit combination the metrics judge, both
# storages, and the states (empty, interior deletes, consumers, sealed).
VALUE_STREAMS = [
    {"name": "ORDERS", "subjects": ["orders.>"], "storage": "file",
     "max_age": 3600 * SEC, "max_bytes": 10 << 20},
    {"name": "UNBOUNDED", "subjects": ["unbounded.>"], "storage": "file"},
    {"name": "MEMCAPPED", "subjects": ["mem.>"], "storage": "memory",
     "max_msgs": 100, "max_msgs_per_subject": 10},
    {"name": "TIMEONLY", "subjects": ["timeonly.>"], "storage": "file", "max_age": 86400 * SEC},
    {"name": "EMPTY", "subjects": ["empty.>"], "storage": "memory"},
    {"name": "SEALED", "subjects": ["sealed.>"], "storage": "file"},
    {"name": "WORK", "subjects": ["work.>"], "storage": "file", "retention": "workqueue",
     "discard": "new", "max_bytes": 1 << 20},
]


def values_setup(args):
    n = client(args, args.port)
    for cfg in VALUE_STREAMS:
        n.js("STREAM.CREATE." + cfg["name"], cfg)
    for i in range(25):
        n.publish("orders.%s" % ("eu", "us", "asia")[i % 3], "order-%04d" % i)
    n.js("STREAM.MSG.DELETE.ORDERS", {"seq": 2})
    n.js("STREAM.MSG.DELETE.ORDERS", {"seq": 7})
    for i in range(10):
        n.publish("unbounded.x", "u" * (100 * (i + 1)))
    for i in range(130):  # past max_msgs: the oldest go, first_seq moves
        n.publish("mem.%d" % (i % 20), "m%d" % i)
    for i in range(3):
        n.publish("timeonly.a", "t%d" % i)
    for i in range(2):
        n.publish("sealed.a", "s%d" % i)
    cfg = dict(next(c for c in VALUE_STREAMS if c["name"] == "SEALED"))
    cfg["sealed"] = True
    n.js("STREAM.UPDATE.SEALED", cfg)
    for i in range(5):
        n.publish("work.jobs", "job%d" % i)
    n.js("CONSUMER.DURABLE.CREATE.WORK.worker",
         {"stream_name": "WORK", "config": {"durable_name": "worker", "ack_policy": "explicit"}})
    n.js("CONSUMER.DURABLE.CREATE.ORDERS.audit",
         {"stream_name": "ORDERS", "config": {"durable_name": "audit", "ack_policy": "none"}})


def consumers_setup(args):
    """The consumers test's state, then stays connected (its pull request
    keeps waiting) until killed, answering the server's PINGs:
      JOBS  work queue: "worker" (durable pull, max_ack_pending 3, ack_wait
            1 s): 3 delivered, 1 acked, the 2 others redelivered after
            ack_wait with one more: 3 unacked = max_ack_pending, 2
            redeliveries; "waiter" (durable pull on an empty subject) with a
            pull request waiting
      LOG   "audit" (durable push, nobody subscribed: nothing delivered),
            "tail" (durable push, subscribed: all delivered), and an
            ephemeral pull consumer with 2 of 6 delivered and acked
      IDLE  "idle" (durable pull), caught up with an empty stream
    Writes READY_FILE once done."""
    n = client(args, args.port)
    n.js("STREAM.CREATE.JOBS", {"name": "JOBS", "subjects": ["jobs.>"], "storage": "file",
                                "retention": "workqueue"})
    n.js("STREAM.CREATE.LOG", {"name": "LOG", "subjects": ["log.>"], "storage": "memory"})
    n.js("STREAM.CREATE.IDLE", {"name": "IDLE", "subjects": ["idle.>"], "storage": "file"})
    for i in range(10):
        n.publish("jobs.a", "job%d" % i)
    for i in range(6):
        n.publish("log.x", "line%d" % i)
    n.js("CONSUMER.DURABLE.CREATE.JOBS.worker", {"stream_name": "JOBS", "config": {
        "durable_name": "worker", "ack_policy": "explicit", "ack_wait": SEC,
        "max_ack_pending": 3, "filter_subject": "jobs.a"}})
    n.js("CONSUMER.DURABLE.CREATE.JOBS.waiter", {"stream_name": "JOBS", "config": {
        "durable_name": "waiter", "ack_policy": "explicit", "filter_subject": "jobs.b"}})
    n.js("CONSUMER.DURABLE.CREATE.LOG.audit", {"stream_name": "LOG", "config": {
        "durable_name": "audit", "ack_policy": "none", "deliver_subject": "audit.out"}})
    n.sub("tail.out", 50)
    n.js("CONSUMER.DURABLE.CREATE.LOG.tail", {"stream_name": "LOG", "config": {
        "durable_name": "tail", "ack_policy": "none", "deliver_subject": "tail.out"}})
    eph = n.js("CONSUMER.CREATE.LOG", {"stream_name": "LOG", "config": {
        "ack_policy": "explicit", "inactive_threshold": 600 * SEC}})["name"]
    n.js("CONSUMER.DURABLE.CREATE.IDLE.idle", {"stream_name": "IDLE", "config": {
        "durable_name": "idle", "ack_policy": "explicit"}})

    got = n.fetch("JOBS", "worker", 3)
    assert len(got) == 3, got
    n.ack_sync(got[0][0])
    time.sleep(1.3)  # ack_wait: the two unacked are due again
    got = n.fetch("JOBS", "worker", 3)
    assert len(got) == 3, got
    for ack, _ in n.fetch("LOG", eph, 2):
        n.ack_sync(ack)
    time.sleep(0.7)  # the pull requests above have expired
    # A pull request that waits (for 10 minutes) on an empty subject.
    n.pub("$JS.API.CONSUMER.MSG.NEXT.JOBS.waiter",
          json.dumps({"batch": 1, "expires": 600 * SEC}), n.inbox + ".waiting")
    n.request("$JS.API.INFO")  # the server has read the pull request
    with open(args.ready, "w") as f:
        f.write(eph + "\n")
    n.s.settimeout(None)
    while True:
        n._msg_full()  # tail.out deliveries; PINGs are answered inside


def cluster_setup(args):
    """The cluster test's streams: R1_N1, R1_N2, R1_N3 (one replica, placed
    by tag on server n1, n2, n3), R3A and R3B (three replicas); R3A gets 5
    messages and a durable consumer. Retries while the cluster is still
    forming (no meta leader yet, peers not known)."""
    n = client(args, args.port)
    specs = [("R1_N%d" % i, 1, {"tags": ["n%d" % i]}) for i in (1, 2, 3)]
    specs += [("R3A", 3, None), ("R3B", 3, None)]
    for name, replicas, placement in specs:
        cfg = {"name": name, "subjects": [name.lower() + ".>"], "storage": "file",
               "num_replicas": replicas}
        if placement:
            cfg["placement"] = placement
        for attempt in range(100):
            try:
                n.js("STREAM.CREATE." + name, cfg)
                break
            except RuntimeError:
                if attempt == 99:
                    raise
                time.sleep(0.2)
    for i in range(5):
        n.publish("r3a.x", "m%d" % i)
    for i in range(2):
        n.publish("r1_n1.x", "m%d" % i)
    n.js("CONSUMER.DURABLE.CREATE.R3A.c", {"stream_name": "R3A", "config": {
        "durable_name": "c", "ack_policy": "explicit"}})


def api(args):
    """One request; prints the reply (JSON)."""
    n = client(args, args.port)
    print(n.request(args.subject, args.json or b"").decode())


def mkstreams(args):
    n = client(args, args.port)
    t0 = time.time()
    for i in range(args.count):
        name = "S%05d" % i
        n.js("STREAM.CREATE." + name, {"name": name, "subjects": ["s.%d.>" % i],
                                       "storage": args.storage, "max_msgs": 1000})
        if i % 3 == 0:  # a third with messages, the rest empty
            n.publish("s.%d.x" % i, "m%d" % i)
    print("created %d %s streams in %.1f s" % (args.count, args.storage, time.time() - t0))


def mkconsumers(args):
    """A durable pull consumer "c" on each of mkstreams' first N streams
    (on the third with a message it has that message pending)."""
    n = client(args, args.port)
    t0 = time.time()
    for i in range(args.count):
        name = "S%05d" % i
        n.js("CONSUMER.DURABLE.CREATE.%s.c" % name, {"stream_name": name, "config": {
            "durable_name": "c", "ack_policy": "explicit"}})
    print("created %d consumers in %.1f s" % (args.count, time.time() - t0))


def publish(args):
    n = client(args, args.port)
    for i in range(args.count):
        n.publish(args.subject, "p%d" % i)


def read_back(args):
    """Reads every message of a stream by sequence ($JS.API.STREAM.MSG.GET),
    as a consumer catching up would: the server reads its message blocks."""
    n = client(args, args.port)
    info = n.js("STREAM.INFO." + args.stream)["state"]
    t0 = time.time()
    for _ in range(args.passes):
        for seq in range(info["first_seq"], info["last_seq"] + 1):
            n.js("STREAM.MSG.GET." + args.stream, {"seq": seq})
    print("read %d messages %d times in %.1f s" % (info["messages"], args.passes, time.time() - t0))


def publish_bulk(args):
    n = client(args, args.port)
    t0 = time.time()
    for i in range(args.count):
        n.publish(args.subject, (b"%08d" % i) * (args.size // 8))
    print("published %d x %d bytes in %.1f s" % (args.count, args.size, time.time() - t0))


# --- reading a scrape ---

LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?')


def read_metrics(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            m = LINE.match(line)
            if not m:
                raise ValueError("unparsable line: %r" % line)
            labels = dict((k, v.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\"))
                          for k, v in LABEL.findall(m.group(2) or ""))
            out.append((m.group(1), labels, float(m.group(3))))
    return out


def parse_ts(s):
    """Go RFC 3339 with nanoseconds, UTC -> Unix seconds (float)."""
    if s.startswith("0001-"):
        return None
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z$", s)
    base = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S").replace(
        tzinfo=datetime.timezone.utc).timestamp()
    return base + (int(m.group(2).ljust(9, "0")[:9]) / 1e9 if m.group(2) else 0)


def compare(args):
    jsz = json.loads(urllib.request.urlopen(
        "http://127.0.0.1:%d/jsz?accounts=true&streams=true&config=true" % args.monport,
        timeout=10).read())
    ms = read_metrics(args.metrics)
    errors = []
    checked = 0

    accounts = jsz.get("account_details") or []
    if len(accounts) != 1:
        errors.append("expected one JetStream account in /jsz, got %d" % len(accounts))
        accounts = accounts[:1]
    acct = accounts[0] if accounts else {"stream_detail": []}

    per = {}
    for name, labels, v in ms:
        if name.startswith("memacct_jetstream_stream_"):
            per.setdefault(labels.get("stream"), []).append((name, labels, v))

    streams = {s["name"]: s for s in acct.get("stream_detail") or []}
    exported = set(per)
    if args.exported is None:
        if exported != set(streams):
            errors.append("exported streams differ from /jsz: missing %s, extra %s" % (
                sorted(set(streams) - exported)[:10], sorted(exported - set(streams))[:10]))
    elif len(exported) != args.exported:
        errors.append("exported %d streams, want %d" % (len(exported), args.exported))

    def one(series, metric, extra=None):
        found = [(l, v) for n, l, v in series if n == metric and
                 all(l.get(k) == x for k, x in (extra or {}).items())]
        return found

    for sname in sorted(exported & set(streams)):
        st = streams[sname]
        cfg, state = st["config"], st["state"]
        series = per[sname]
        want = {
            "memacct_jetstream_stream_bytes": state["bytes"],
            "memacct_jetstream_stream_messages": state["messages"],
            "memacct_jetstream_stream_first_seq": state["first_seq"],
            "memacct_jetstream_stream_last_seq": state["last_seq"],
            "memacct_jetstream_stream_consumers": state.get("consumer_count", 0),
            "memacct_jetstream_stream_subjects": state.get("num_subjects", 0),
            "memacct_jetstream_stream_deleted_messages": state.get("num_deleted", 0),
            "memacct_jetstream_stream_max_age_seconds": cfg.get("max_age", 0) / 1e9,
            "memacct_jetstream_stream_max_bytes": cfg.get("max_bytes", -1),
            "memacct_jetstream_stream_max_messages": cfg.get("max_msgs", -1),
            "memacct_jetstream_stream_max_messages_per_subject": cfg.get("max_msgs_per_subject", -1),
        }
        limits = cfg.get("retention") == "limits" and not cfg.get("sealed", False)
        no_size = cfg.get("max_bytes", -1) <= 0 and cfg.get("max_msgs", -1) <= 0
        want["memacct_jetstream_stream_retention_unbounded"] = int(
            limits and no_size and cfg.get("max_age", 0) <= 0)
        want["memacct_jetstream_stream_retention_time_bounded_only"] = int(
            limits and no_size and cfg.get("max_age", 0) > 0)
        for metric, w in want.items():
            f = one(series, metric)
            checked += 1
            if len(f) != 1:
                errors.append("%s %s: %d series" % (sname, metric, len(f)))
                continue
            labels, v = f[0]
            if v != float(w):
                errors.append("%s %s = %r, server says %r" % (sname, metric, v, w))
            if labels.get("storage") != cfg["storage"]:
                errors.append("%s %s storage=%r, server says %r" % (
                    sname, metric, labels.get("storage"), cfg["storage"]))

        info = one(series, "memacct_jetstream_stream_info")
        checked += 1
        wi = {"retention": cfg["retention"], "discard": cfg["discard"],
              "storage": cfg["storage"], "replicas": str(cfg["num_replicas"]),
              # /jsz names a cluster for a lone server too (a leaf's is
              # its server name); a stream is in one only with a meta group.
              "nats_cluster": (st.get("cluster") or {}).get("name", "")
              if jsz.get("meta_cluster") else ""}
        if len(info) != 1 or any(info[0][0].get(k) != x for k, x in wi.items()):
            errors.append("%s info %r, server says %r" % (sname, info, wi))

        for limit, num, den in (("bytes", state["bytes"], cfg.get("max_bytes", -1)),
                                ("messages", state["messages"], cfg.get("max_msgs", -1))):
            f = one(series, "memacct_jetstream_stream_limit_utilization_ratio", {"limit": limit})
            checked += 1
            if den <= 0:
                if f:
                    errors.append("%s utilization %s exported with no limit" % (sname, limit))
            elif len(f) != 1 or abs(f[0][1] - num / den) > 1e-12:
                errors.append("%s utilization %s = %r, want %r" % (sname, limit, f, num / den))

        for metric, ts in (("memacct_jetstream_stream_oldest_message_age_seconds", "first_ts"),
                           ("memacct_jetstream_stream_newest_message_age_seconds", "last_ts")):
            f = one(series, metric)
            checked += 1
            t = parse_ts(state[ts])
            if state["messages"] == 0:
                if f:
                    errors.append("%s %s exported for an empty stream" % (sname, metric))
                continue
            if len(f) != 1:
                errors.append("%s %s: %d series" % (sname, metric, len(f)))
                continue
            want_age = args.scrape_time - t
            if abs(f[0][1] - want_age) > 1.5:
                errors.append("%s %s = %.3f, want %.3f (scrape time - %s)" % (
                    sname, metric, f[0][1], want_age, ts))

    # Account: one label set; values against /jsz's account and server view.
    acc = {n: v for n, l, v in ms if n.startswith("memacct_jetstream_account_")}
    wa = {
        "memacct_jetstream_account_storage_bytes": acct.get("storage", 0),
        "memacct_jetstream_account_memory_bytes": acct.get("memory", 0),
        "memacct_jetstream_account_streams": len(streams),
        "memacct_jetstream_account_consumers": sum(
            s["state"].get("consumer_count", 0) for s in streams.values()),
        # single account: the server's reservations are the account's
        "memacct_jetstream_account_reserved_storage_bytes": jsz.get("reserved_storage", 0),
        "memacct_jetstream_account_reserved_memory_bytes": jsz.get("reserved_memory", 0),
    }
    for metric, w in wa.items():
        checked += 1
        if acc.get(metric) != float(w):
            errors.append("%s = %r, server says %r" % (metric, acc.get(metric), w))
    api = acct.get("api", {})
    for metric, key in (("memacct_jetstream_account_api_requests_total", "total"),
                        ("memacct_jetstream_account_api_errors_total", "errors")):
        checked += 1
        v = acc.get(metric)
        # The exporter's own polls count too: its value is the server's at
        # its last poll, so never above what /jsz says now.
        if v is None or v > api.get(key, 0) or (key == "total" and v <= 0):
            errors.append("%s = %r, server says %r now" % (metric, v, api.get(key)))

    for e in errors[:40]:
        print("MISMATCH:", e)
    print("compared %d streams, %d values against /jsz: %d mismatches" % (
        len(exported & set(streams)), checked, len(errors)))
    return 1 if errors else 0


def compare_consumers(args):
    jsz = json.loads(urllib.request.urlopen(
        "http://127.0.0.1:%d/jsz?accounts=true&streams=true&consumers=true&config=true"
        % args.monport, timeout=10).read())
    ms = read_metrics(args.metrics)
    errors, checked = [], 0
    want = {}
    for acct in jsz.get("account_details") or []:
        for st in acct.get("stream_detail") or []:
            for c in st.get("consumer_detail") or []:
                want[(st["name"], c["name"])] = c
    got = {}
    for name, labels, v in ms:
        if name.startswith("memacct_jetstream_consumer_"):
            got.setdefault((labels.get("stream"), labels.get("consumer")), []).append(
                (name, labels, v))
    if set(got) != set(want):
        errors.append("exported consumers differ from /jsz: missing %s, extra %s" % (
            sorted(set(want) - set(got)), sorted(set(got) - set(want))))
    for key in sorted(set(got) & set(want)):
        c, series = want[key], got[key]
        cfg = c.get("config", {})

        def one(metric):
            f = [(l, v) for n, l, v in series if n == metric]
            if len(f) != 1:
                errors.append("%s %s: %d series" % (key, metric, len(f)))
                return None
            return f[0]
        values = {
            "memacct_jetstream_consumer_pending_messages": c.get("num_pending", 0),
            "memacct_jetstream_consumer_ack_pending_messages": c.get("num_ack_pending", 0),
            "memacct_jetstream_consumer_redelivered_messages": c.get("num_redelivered", 0),
            "memacct_jetstream_consumer_waiting_requests": c.get("num_waiting", 0),
            "memacct_jetstream_consumer_delivered_stream_seq": c["delivered"]["stream_seq"],
            "memacct_jetstream_consumer_ack_floor_stream_seq": c["ack_floor"]["stream_seq"],
            "memacct_jetstream_consumer_max_ack_pending": cfg.get("max_ack_pending", -1),
        }
        for metric, w in values.items():
            checked += 1
            f = one(metric)
            if f and f[1] != float(w):
                errors.append("%s %s = %r, server says %r" % (key, metric, f[1], w))
        for metric, part in (("memacct_jetstream_consumer_last_delivery_age_seconds", "delivered"),
                             ("memacct_jetstream_consumer_last_ack_age_seconds", "ack_floor")):
            checked += 1
            ts = c[part].get("last_active")
            f = [(l, v) for n, l, v in series if n == metric]
            if ts is None or ts.startswith("0001-"):
                if f:
                    errors.append("%s %s exported, the server reports none" % (key, metric))
                continue
            wa = args.scrape_time - parse_ts(ts)
            if len(f) != 1 or abs(f[0][1] - wa) > 1.5:
                errors.append("%s %s = %r, want %.3f" % (key, metric, f, wa))
        checked += 1
        info = one("memacct_jetstream_consumer_info")
        wi = {"kind": "push" if cfg.get("deliver_subject") else "pull",
              "durable": "true" if cfg.get("durable_name") else "false",
              "ack_policy": cfg.get("ack_policy")}
        if info and any(info[0].get(k) != x for k, x in wi.items()):
            errors.append("%s info %r, server says %r" % (key, info[0], wi))
    for e in errors[:40]:
        print("MISMATCH:", e)
    print("compared %d consumers, %d values against /jsz?consumers=true: %d mismatches" % (
        len(set(got) & set(want)), checked, len(errors)))
    return 1 if errors else 0


def metric(args):
    want = dict(a.split("=", 1) for a in args.labels)
    found = [v for n, l, v in read_metrics(args.metrics)
             if n == args.name and all(l.get(k) == x for k, x in want.items())]
    if len(found) != 1:
        print("expected one %s%r, found %d" % (args.name, want, len(found)), file=sys.stderr)
        return 1
    print(repr(found[0]))
    return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--user")
    p.add_argument("--password")
    p.add_argument("--token")
    p.add_argument("--tls-ca")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("values-setup")
    s.add_argument("port", type=int)
    s = sub.add_parser("consumers-setup")
    s.add_argument("port", type=int)
    s.add_argument("ready")
    s = sub.add_parser("cluster-setup")
    s.add_argument("port", type=int)
    s = sub.add_parser("api")
    s.add_argument("port", type=int)
    s.add_argument("subject")
    s.add_argument("json", nargs="?")
    s = sub.add_parser("compare-consumers")
    s.add_argument("monport", type=int)
    s.add_argument("metrics")
    s.add_argument("scrape_time", type=float)
    s = sub.add_parser("mkstreams")
    s.add_argument("port", type=int)
    s.add_argument("count", type=int)
    s.add_argument("storage", choices=["file", "memory"])
    s = sub.add_parser("mkconsumers")
    s.add_argument("port", type=int)
    s.add_argument("count", type=int)
    s = sub.add_parser("publish")
    s.add_argument("port", type=int)
    s.add_argument("subject")
    s.add_argument("count", type=int)
    s = sub.add_parser("read-back")
    s.add_argument("port", type=int)
    s.add_argument("stream")
    s.add_argument("passes", type=int)
    s = sub.add_parser("publish-bulk")
    s.add_argument("port", type=int)
    s.add_argument("subject")
    s.add_argument("count", type=int)
    s.add_argument("size", type=int)
    s = sub.add_parser("compare")
    s.add_argument("monport", type=int)
    s.add_argument("metrics")
    s.add_argument("scrape_time", type=float)
    s.add_argument("--exported", type=int)
    s = sub.add_parser("metric")
    s.add_argument("metrics")
    s.add_argument("name")
    s.add_argument("labels", nargs="*")
    args = p.parse_args()
    fn = {"values-setup": values_setup, "consumers-setup": consumers_setup,
          "cluster-setup": cluster_setup, "api": api,
          "compare-consumers": compare_consumers, "mkstreams": mkstreams, "mkconsumers": mkconsumers, "publish": publish,
          "publish-bulk": publish_bulk, "read-back": read_back,
          "compare": compare, "metric": metric}[args.cmd]
    sys.exit(fn(args) or 0)


if __name__ == "__main__":
    main()
