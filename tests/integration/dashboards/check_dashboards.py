#!/usr/bin/env python3
"""Runs every query of the shipped Grafana dashboards, and checks the rule
file, against a live Prometheus that scrapes real exporters (driven by
dashboards_prometheus.sh; standard library only).

    check_dashboards.py --prometheus URL --src DIR --targets FILE

FILE (JSON) describes the exporters Prometheus scrapes: for each, its node
label, the cgroup root and procfs it reads, whether it is live (this host's
real cgroups) or a static tree (the v2 capture, the 100-pod tree built from
it), and its role: "fixture" (the v2 capture, whose pod kube_pod_info
names), "tree", "host".

Passes: each a selection of the dashboard variables, resolved in dashboard
order as Grafana does (each query variable's query runs with the variables
before it substituted, its regex picks the options, named groups text/value
included; options sorted; a concrete value escaped the way Grafana's
Prometheus data source escapes it, regex metacharacters for multi/All
variables), then every panel target runs as an instant query through
/api/v1/query with $__rate_interval = 30s, $__interval = 2s, $__range = 5m.
  all        the defaults: level containers, every multi-value variable All,
             the NATS pod "~any pod";
  pod        node = the v2 capture, namespace and pod = the first options (its
             pod, named by kube_pod_info), cgroup All;
  cgroup     node = the v2 capture, cgroup = its container;
  node:ROLE  level = node (root cgroup), node = each exporter's node;
  kubepods   level = kubepods, node = the tree;
  tree-pod   level = pods, node = the tree, pod = its first (named by the
             exporter's own --path.podlogs labels, no kube_pod_info);
  tree-ctr   level = containers, node = the tree, cgroup = one container.

Checks:
  - data: in the passes all, pod and cgroup, each panel query must parse and
    return at least one series; each query variable must offer an option.
    Exceptions are in ALLOW with their reason: NEVER entries cannot return
    data here, so the test fails when one does; MAYBE entries depend on the
    host and only warn.
  - totals: in every pass, each memory total listed in TOTALS (the sum of a
    panel's series) must equal, within 1%, the kernel's numbers for the
    cgroups the panel claims: usage (v2 memory.current, or MemTotal -
    MemFree for a v2 root without it; v1 memory.usage_in_bytes) or working
    set (usage - inactive_file, v1 total_inactive_file, floored at 0), read
    from the cgroup files, summed over the cgroups of the claimed level (the
    exporter's level label) that the variables select. Every target that
    reads a cgroup memory gauge is in TOTALS or in NOT_TOTALS with a reason,
    so a new panel cannot skip the check. This host's cgroups move while
    the test runs: a sampler reads their files every 50 ms and a total
    passes when it matches a sample taken during the scrape Prometheus shows
    (timestamp(up)), within 1%.
  - per stream: the JetStream stream panels show one series per stream
    although two exporters poll the server.
  - rules: every rule group loaded, every rule's health "ok", every recording
    rule returns data; the JetStream alerts active exactly for the streams
    built to trigger them, once each; every target up.
Prints one table row per query. Exit 0 ok, 1 a check failed."""

import argparse
import glob
import json
import os
import re
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import deque

RATE_INTERVAL, INTERVAL, RANGE = "30s", "2s", "5m"
DATA_PASSES = ("all", "pod", "cgroup")
TOLERANCE = 0.01

NEVER, MAYBE = "never", "maybe"
CM, JS = "memacct-container-memory", "memacct-jetstream"
EVENTS = "memory.events and failcnt (events per interval, non-zero only)"
NO_NODE_PSI = ("node = the v2 capture, which stores no proc/pressure/memory (it is "
               "proc/pressure_memory there), so no node PSI")
ONE_SERVER = ("one nats-server here, not a cluster: no replicas, leaders or missing "
              "streams (integration/jetstream_cluster checks those series)")
# (dashboard, panel title or "variable NAME", refId, pass or "*") -> (NEVER | MAYBE, reason)
ALLOW = {
    (CM, EVENTS, "A", "all"):
        (MAYBE, "memory.events moves only when one of this host's containers hits "
                "memory.high or its limit during the run (the static trees never do)"),
    (CM, EVENTS, "A", "pod"): (NEVER, "node = the v2 capture, whose memory.events never change"),
    (CM, EVENTS, "A", "cgroup"): (NEVER, "node = the v2 capture, whose memory.events never change"),
    (CM, EVENTS, "B", "all"):
        (MAYBE, "failcnt is v1 only and moves only when one of this host's containers "
                "hits its limit during the run"),
    (CM, EVENTS, "B", "pod"): (NEVER, "node = the v2 capture, which has no memory.failcnt"),
    (CM, EVENTS, "B", "cgroup"): (NEVER, "node = the v2 capture, which has no memory.failcnt"),
    (CM, "PSI: share of time stalled on memory", "C", "pod"): (NEVER, NO_NODE_PSI),
    (CM, "PSI: share of time stalled on memory", "C", "cgroup"): (NEVER, NO_NODE_PSI),
    (CM, "PSI: share of time stalled on memory", "D", "pod"): (NEVER, NO_NODE_PSI),
    (CM, "PSI: share of time stalled on memory", "D", "cgroup"): (NEVER, NO_NODE_PSI),
    (JS, "Replicas not current or offline", "A", "*"): (NEVER, ONE_SERVER),
    (JS, "Replicas not current or offline", "B", "*"): (NEVER, ONE_SERVER),
    (JS, "Replicas not current or offline", "C", "*"): (NEVER, ONE_SERVER),
    (JS, "Streams led by each server", "A", "*"): (NEVER, ONE_SERVER),
    (JS, "Streams missing from the stream list", "A", "*"): (NEVER, ONE_SERVER),
    (JS, "variable account", "", "*"):
        (NEVER, "nats-server 2.9 has no $SYS.REQ.USER.INFO, so the exporter cannot "
                "name the account and leaves the account label empty: no values "
                "(All still matches)"),
}

# Memory totals: (dashboard, panel, refIds summed) -> (quantity, claim). claim:
# "level" the level variable's level; "workload" containers and other
# cgroups with own processes outside pods and containers; "container"
# containers whatever the level variable; these three honour the pod,
# namespace and cgroup variables. "fixed:L" level L on the selected nodes,
# whatever the other variables.
TOTALS = {
    (CM, "Memory split (stacked) with limit and memory.high", ("A",)): ("usage", "level"),
    (CM, "Memory split (stacked) with limit and memory.high", ("D",)): ("ws", "level"),
    (CM, "Working set vs processes' RSS", ("A",)): ("ws", "workload"),
    (CM, "Split per cgroup (now)", ("A", "B", "C", "D", "E", "F")): ("usage", "level"),
    (CM, "Split per cgroup (now)", ("G",)): ("usage", "level"),
    (CM, "Split per cgroup (now)", ("H",)): ("ws", "level"),
    (CM, "Usage at each level (never add the lines)", ("A",)): ("usage", "fixed:root"),
    (CM, "Usage at each level (never add the lines)", ("B",)): ("usage", "fixed:kubepods"),
    (CM, "Usage at each level (never add the lines)", ("C",)): ("usage", "fixed:pod"),
    (CM, "Usage at each level (never add the lines)", ("D",)): ("usage", "fixed:container"),
    (JS, "NATS server: working-set split and stream bytes", ("A",)): ("ws", "container"),
    (JS, "NATS server: working-set split and stream bytes", ("B",)): ("ws", "container"),
}
# Targets that read a cgroup memory gauge but are no total of a level.
NOT_TOTALS = {
    (CM, "Page-cache share of the working set", "A"): "a ratio",
    (CM, "Working set vs processes' RSS", "D"): "working set minus RSS (RSS is not a cgroup file)",
    (CM, "Working set − processes' RSS, per cgroup", "A"): "per cgroup, minus RSS",
    (CM, "Top 10 by page cache (active + inactive file)", "A"): "ten cgroups, not all",
    (CM, "Top 10 by anonymous memory growth (per hour, last hour)", "A"): "a slope",
    (CM, "Anonymous memory of the top 10 growers", "A"): "ten cgroups, not all",
    (JS, "NATS server: RSS and page cache", "B"): "one part of the split, whose total the panel beside it checks",
    (JS, "NATS server: RSS and page cache", "C"): "one part of the split, whose total the panel beside it checks",
}
MEMORY_GAUGE = re.compile(r"memacct_cgroup_memory_(bytes|usage_bytes|working_set_bytes)\b")
# Panels whose series are one per stream: (dashboard, panel, refId) -> streams.
PER_STREAM = {(JS, "Stream bytes", "A"): 4, (JS, "Stream messages", "A"): 4}


def allowed(dash, where, ref, pas):
    return ALLOW.get((dash, where, ref, pas)) or ALLOW.get((dash, where, ref, "*"))


class Prom:
    def __init__(self, url):
        self.url = url.rstrip("/")

    def get(self, path, **params):
        q = urllib.parse.urlencode(params, doseq=True)
        req = urllib.request.Request(f"{self.url}{path}?{q}" if q else self.url + path)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return json.load(r)
        except urllib.error.HTTPError as e:  # 400/422 carry a JSON error body
            try:
                return json.load(e)
            except ValueError:
                return {"status": "error", "error": f"HTTP {e.code}"}

    def query(self, expr, at=None):
        """(error or None, result list) of an instant query at `at` (or now)."""
        params = {"query": expr}
        if at is not None:
            params["time"] = f"{at:.3f}"
        d = self.get("/api/v1/query", **params)
        if d.get("status") != "success":
            return f"{d.get('errorType', '')}: {d.get('error', d)}", []
        data = d["data"]
        if data["resultType"] in ("scalar", "string"):
            return None, [{"metric": {}, "value": data["result"]}]
        return None, data["result"]


# --- the kernel's numbers ---------------------------------------------------------


def read_int(path):
    with open(path, encoding="ascii") as f:
        return int(f.read().split()[0])


def stat_field(path, key):
    with open(path, encoding="ascii") as f:
        for line in f:
            k, _, v = line.partition(" ")
            if k == key:
                return int(v)
    raise KeyError(f"{key} not in {path}")


class Kernel:
    """Usage, working set and "has own processes" of every cgroup below a
    root, read from the files (v1 or v2, as the exporter decides)."""

    def __init__(self, root, procfs):
        self.root, self.procfs = root, procfs
        self.v1 = os.path.exists(os.path.join(root, "memory.usage_in_bytes"))

    def usage(self, d):
        if self.v1:
            return read_int(os.path.join(d, "memory.usage_in_bytes"))
        cur = os.path.join(d, "memory.current")
        if os.path.exists(cur):
            return read_int(cur)
        meminfo = {}
        with open(os.path.join(self.procfs, "meminfo"), encoding="ascii") as f:
            for line in f:
                k, v = line.split(":", 1)
                meminfo[k] = int(v.split()[0]) * 1024
        return meminfo["MemTotal"] - meminfo["MemFree"]

    def read(self):
        out = {}
        for d, _, _ in os.walk(self.root):
            rel = "/" + os.path.relpath(d, self.root).replace(os.sep, "/")
            rel = "/" if rel == "/." else rel
            try:
                usage = self.usage(d)
                inactive = stat_field(os.path.join(d, "memory.stat"),
                                      "total_inactive_file" if self.v1 else "inactive_file")
                with open(os.path.join(d, "cgroup.procs"), encoding="ascii") as f:
                    procs = any(line.strip() for line in f)
            except (OSError, KeyError, ValueError):
                continue  # a cgroup removed while walked
            out[rel] = {"usage": usage, "ws": max(usage - inactive, 0), "procs": procs}
        return out


class Sampler(threading.Thread):
    """Reads a live Kernel every 50 ms; keeps the last 30 s of samples."""

    def __init__(self, kernel):
        super().__init__(daemon=True)
        self.kernel, self.samples, self.lock = kernel, deque(maxlen=600), threading.Lock()

    def run(self):
        while True:
            t0 = time.time()
            snap = self.kernel.read()
            with self.lock:
                self.samples.append((t0, time.time(), snap))
            time.sleep(0.05)

    def around(self, ts, before=0.3, after=0.7):
        with self.lock:
            return [s for t0, t1, s in self.samples if ts - before <= t1 and t0 <= ts + after]


# --- Grafana's variable handling ----------------------------------------------


def regular_escape(v):
    """prometheusRegularEscape: single-value variables."""
    return v.replace("\\", "\\\\").replace("'", "\\\\'")


def special_regex_escape(v):
    """prometheusSpecialRegexEscape: values of multi-value / All variables go
    into =~ matchers, so regex metacharacters are escaped (twice: the PromQL
    string literal eats one backslash)."""
    v = v.replace("\\", "\\\\\\\\")
    return re.sub(r"[$^*{}\[\]'+?.()|]", lambda m: "\\\\" + m.group(0), v)


BUILTINS = {"__rate_interval": RATE_INTERVAL, "__interval": INTERVAL,
            "__range": RANGE, "__range_s": "300", "__interval_ms": "2000"}
VAR_RE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)")


def substitute(expr, values, defined):
    """Replaces $var, ${var}, [[var]] with the formatted values; raises on a
    variable the dashboard does not define."""
    def repl(m):
        name = m.group(1) or m.group(2) or m.group(3)
        if name in BUILTINS:
            return BUILTINS[name]
        if name not in defined:
            raise KeyError(f"${name} is not a variable of the dashboard")
        if name not in values:
            raise KeyError(f"${name} is used before it is defined")
        return values[name]
    return VAR_RE.sub(repl, expr)


def variable_query(q):
    """(kind, promql, label) of a Grafana Prometheus variable query."""
    q = q.strip()
    m = re.match(r"^label_values\((.*),\s*([A-Za-z_]\w*)\s*\)$", q, re.S)
    if m:
        return "label_values", m.group(1), m.group(2)
    m = re.match(r"^query_result\((.*)\)$", q, re.S)
    if m:
        return "query_result", m.group(1), None
    raise ValueError(f"unsupported variable query {q!r}")


def js_regex(r):
    """A Grafana /regex/flags string as a Python pattern."""
    m = re.match(r"^/(.*)/([a-z]*)$", r, re.S)
    body, flags = (m.group(1), m.group(2)) if m else (r, "")
    body = body.replace("(?<", "(?P<").replace("(?P<=", "(?<=").replace("(?P<!", "(?<!")
    return re.compile(body, re.I if "i" in flags else 0)


def options_of(kind, label, result, regex):
    """The (text, value) options Grafana builds from a variable query's result."""
    texts = []
    for s in result:
        metric = dict(s["metric"])
        if kind == "label_values":
            if label in metric and metric[label] != "":
                texts.append(metric[label])
            continue
        # query_result: Grafana's text is name{k="v",...} value timestamp_ms.
        name = metric.pop("__name__", "")
        labels = ",".join(f'{k}="{v}"' for k, v in metric.items())
        ts, val = s["value"]
        texts.append(f"{name}{{{labels}}} {val} {int(float(ts) * 1000)}")
    opts = []
    for t in texts:
        if not regex:
            opts.append((t, t))
            continue
        m = js_regex(regex).search(t)
        if not m:
            continue
        g = m.groupdict()
        if "value" in g or "text" in g:
            v = g.get("value") or g.get("text")
            opts.append((g.get("text") or v, v))
        elif m.groups():
            opts.append((m.group(1), m.group(1)))
        else:
            opts.append((t, t))
    seen, out = set(), []
    for o in sorted(opts, key=lambda o: o[0]):
        if o[1] not in seen:
            seen.add(o[1])
            out.append(o)
    return out


# Pass -> {variable: choice}; a variable not named takes its default (All,
# or a single-value variable's current value; the NATS pod "~any pod").
# Choices: ("node", ROLE), ("first",), ("deepest",), ("value", V).
PASSES = {
    "all": {},
    "pod": {"node": ("node", "fixture"), "namespace": ("first",), "pod": ("first",)},
    "cgroup": {"node": ("node", "fixture"), "cgroup": ("deepest",)},
    "node:fixture": {"node": ("node", "fixture"), "level": ("value", "root")},
    "node:tree": {"node": ("node", "tree"), "level": ("value", "root")},
    "node:host": {"node": ("node", "host"), "level": ("value", "root")},
    "kubepods": {"node": ("node", "tree"), "level": ("value", "kubepods")},
    "tree-pod": {"node": ("node", "tree"), "level": ("value", "pod"), "pod": ("first",)},
    "tree-ctr": {"node": ("node", "tree"), "cgroup": ("first",)},
}
# The JetStream dashboard has no level variable; its passes are the first three.
DASH_PASSES = {CM: list(PASSES), JS: list(DATA_PASSES)}


def choose(var, opts, spec, nodes):
    """(label shown, raw value) for one variable; None raw value = All."""
    name, has_all = var["name"], var.get("includeAll")
    if var.get("type") == "custom":
        val = spec[1] if spec and spec[0] == "value" else var["current"]["value"]
        return val, val
    if not spec:
        if has_all:
            return "All", None
        for t, v in opts:            # the NATS pod variable: "~any pod"
            if v == ".*":
                return t, v
        return opts[0] if opts else ("(none)", "")
    if spec[0] == "node":
        want = nodes[spec[1]]
        if not any(v == want for _, v in opts):
            raise RuntimeError(f"variable {name} does not offer {want}: {opts}")
        return want, want
    real = [o for o in opts if o[1] != ".*"]
    if not real:
        return ("All", None) if has_all else ("(none)", "")
    if spec[0] == "deepest":
        return max(real, key=lambda o: (o[1].count("/"), o[1]))
    return real[0]


def format_value(var, raw, opts):
    if raw is None:  # All
        if var.get("allValue") is not None:
            return var["allValue"]
        vals = [special_regex_escape(v) for _, v in opts]
        return "(" + "|".join(vals) + ")" if len(vals) != 1 else vals[0]
    if var.get("multi") or var.get("includeAll"):
        return special_regex_escape(raw)
    return regular_escape(raw)


# --- what a panel claims ----------------------------------------------------------


class Model:
    """The cgroups behind each node label: the exporter's labels (level, uid,
    container_id, namespace) and the kernel's numbers."""

    def __init__(self, prom, targets):
        self.prom, self.targets = prom, targets
        self.static, self.samplers = {}, {}
        for t in targets:
            k = Kernel(t["root"], t["procfs"])
            if t["live"]:
                self.samplers[t["node"]] = Sampler(k)
                self.samplers[t["node"]].start()
            else:
                self.static[t["node"]] = k.read()

    def labels_at(self, at):
        """{node: {cgroup: labels}} from memacct_cgroup_info, and kube_pod_info's
        {uid: namespace}, at time `at`."""
        _, res = self.prom.query("memacct_cgroup_info", at)
        out = {}
        for s in res:
            m = s["metric"]
            out.setdefault(m.get("node", ""), {})[m["cgroup"]] = m
        _, res = self.prom.query("max by (uid, namespace) (kube_pod_info)", at)
        return out, {s["metric"]["uid"]: s["metric"]["namespace"] for s in res}

    def scrape_time(self, node, at):
        _, res = self.prom.query(f'timestamp(up{{node="{node}"}})', at)
        return float(res[0]["value"][1]) if res else None


def claimed(claim, lb, vals, sel, ksm):
    """Whether cgroup (labels lb, kernel values vals) is in what the panel
    claims to show under selection sel."""
    level = lb.get("level")
    if claim.startswith("fixed:"):
        return level == claim[6:]
    if claim == "level" and level != sel["level"]:
        return False
    if claim == "container" and level != "container":
        return False
    if claim == "workload" and not (level == "container" or (
            level == "other" and not lb.get("uid") and not lb.get("container_id") and vals["procs"])):
        return False
    if sel["pod"] is not None and lb.get("uid") != sel["pod"]:
        return False
    if sel["cgroup"] is not None and lb["cgroup"] != sel["cgroup"]:
        return False
    if sel["namespace"] is not None:
        own = lb.get("namespace")
        if own is not None and own != sel["namespace"]:
            return False
        if lb.get("uid") in ksm and ksm[lb["uid"]] != sel["namespace"]:
            return False
    return True


def expected_totals(model, sel, quantity, claim, at):
    """The kernel totals the panel may show: one per live sample taken while
    Prometheus scraped (one value when every selected node is static)."""
    labels, ksm = model.labels_at(at)
    static_sum, live = 0, []
    for node, cgs in labels.items():
        if sel["node"] is not None and node != sel["node"]:
            continue
        if node in model.static:
            for path, lb in cgs.items():
                vals = model.static[node].get(path)
                if vals and claimed(claim, lb, vals, sel, ksm):
                    static_sum += vals[quantity]
        elif node in model.samplers:
            ts = model.scrape_time(node, at)
            snaps = model.samplers[node].around(ts) if ts else []
            live.append([sum(s[p][quantity] for p, lb in cgs.items()
                             if p in s and claimed(claim, lb, s[p], sel, ksm)) for s in snaps])
    totals = [static_sum]
    for choices in live:
        totals = [t + c for t in totals for c in choices][:4000]
    return totals, bool(live)


# --- the checks -----------------------------------------------------------------


def walk_panels(panels):
    for p in panels:
        yield p
        yield from walk_panels(p.get("panels", []))


def shorten(expr, n):
    e = re.sub(r"\s+", " ", expr).strip()
    return e if len(e) <= n else e[:n - 3] + "..."


def total_of(res):
    return sum(float(s["value"][1]) for s in res)


def check_dashboard(prom, path, nodes, model, rows, errors, warnings, total_rows):
    dash = os.path.splitext(os.path.basename(path))[0]
    d = json.load(open(path, encoding="utf-8"))
    variables = d.get("templating", {}).get("list", [])
    defined = {v["name"] for v in variables}
    panels = list(walk_panels(d.get("panels", [])))
    results, order = {}, []  # (where, ref) -> {pass: (n, expr, err)}
    passes = DASH_PASSES[dash]
    chosen = {p: [] for p in passes}

    # Every cgroup memory gauge is a checked total or says why not.
    listed = {(dash, title, r) for (db, title, refs) in TOTALS if db == dash for r in refs}
    for p in panels:
        for t in p.get("targets", []):
            key = (dash, p.get("title"), t.get("refId"))
            if MEMORY_GAUGE.search(t.get("expr", "")) and key not in listed and key not in NOT_TOTALS:
                errors.append(f"{dash} panel {p.get('title')!r} {t.get('refId')}: reads a cgroup "
                              "memory gauge but is neither in TOTALS nor in NOT_TOTALS")
    for (db, title, refs) in TOTALS:
        if db == dash and not any(p.get("title") == title for p in panels):
            errors.append(f"TOTALS names panel {title!r}, which {dash} does not have")

    def record(where, ref, pas, n, expr, err=None):
        key = (where, ref)
        if key not in results:
            results[key] = {}
            order.append(key)
        results[key][pas] = (n, expr, err)

    for pas in passes:
        spec, values, raw = PASSES[pas], {}, {}
        for v in variables:
            name, typ = v["name"], v.get("type")
            if typ == "datasource":
                values[name] = "prometheus"
                continue
            if typ in ("textbox", "constant"):
                values[name] = regular_escape(str(v.get("query", "")))
                continue
            if typ == "custom":
                shown, r = choose(v, [], spec.get(name), nodes)
                values[name], raw[name] = regular_escape(r), r
                chosen[pas].append(f"{name}={shown}")
                continue
            q = v.get("query")
            q = q.get("query", "") if isinstance(q, dict) else (q or "")
            kind, promql, label = variable_query(q)
            try:
                expr = substitute(promql, values, defined)
            except KeyError as e:
                errors.append(f"{dash} variable {name}: {e}")
                values[name] = ".*"
                continue
            err, res = prom.query(expr)
            opts = [] if err else options_of(kind, label, res, v.get("regex", ""))
            if pas in DATA_PASSES:
                record(f"variable {name}", "", pas, len(opts), expr, err)
            shown, r = choose(v, opts, spec.get(name), nodes)
            values[name], raw[name] = format_value(v, r, opts), r
            chosen[pas].append(f"{name}={shown}")
        sel = {"level": raw.get("level", "container"), "node": raw.get("node"),
               "pod": raw.get("pod"), "cgroup": raw.get("cgroup"),
               "namespace": raw.get("namespace")}
        if sel["pod"] == ".*":
            sel["pod"] = None
        at = time.time()
        got = {}
        for p in panels:
            for t in p.get("targets", []):
                try:
                    expr = substitute(t["expr"], values, defined)
                except KeyError as e:
                    errors.append(f"{dash} panel {p.get('title')!r} {t.get('refId')}: {e}")
                    continue
                err, res = prom.query(expr, at)
                got[(p.get("title"), t.get("refId"))] = (err, res, expr)
                if pas in DATA_PASSES:
                    record(p.get("title", "?"), t.get("refId", ""), pas, len(res), expr, err)
                # Tables that add namespace and pod from kube_pod_info: with
                # the pod selected, every row of it must have them.
                if pas == "pod" and "group_left (namespace, pod)" in t["expr"]:
                    for s in res:
                        m = s["metric"]
                        if m.get("uid") and not (m.get("namespace") and m.get("pod")):
                            errors.append(f"{dash} panel {p.get('title')!r} {t.get('refId')}: "
                                          f"row for uid {m['uid']} has no namespace/pod: {m}")
                n_streams = PER_STREAM.get((dash, p.get("title"), t.get("refId")))
                if n_streams and pas == "all" and len(res) != n_streams:
                    errors.append(f"{dash} panel {p.get('title')!r} {t.get('refId')}: {len(res)} "
                                  f"series, want one per stream ({n_streams}) whatever the "
                                  f"number of pollers")
        for (db, title, refs), (quantity, claim) in TOTALS.items():
            if db != dash:
                continue
            check_total(prom, model, dash, pas, title, refs, quantity, claim, sel, got, at,
                        errors, total_rows)

    for pas in passes:
        print(f"  {dash} pass {pas:<12}: " + ", ".join(chosen[pas]))
    for where, ref in order:
        marks = []
        for pas in DATA_PASSES:
            n, expr, err = results[(where, ref)].get(pas, (0, "", "not run"))
            a = allowed(dash, where, ref, pas)
            what = f"{dash}: {where} {ref} [{pas}]"
            if err:
                errors.append(f"{what}: query failed: {err}\n    {expr}")
                marks.append("ERR")
            elif n == 0 and not a:
                errors.append(f"{what}: no data\n    {expr}")
                marks.append("0 !")
            elif n == 0:
                marks.append("0 a")
            elif a and a[0] == NEVER:
                errors.append(f"{what}: allow-listed as impossible here ({a[1]}) but "
                              f"returned {n} series: remove it from ALLOW")
                marks.append(f"{n} !")
            elif a:
                warnings.append(f"{what}: allow-listed ({a[1]}) but returned {n} series")
                marks.append(f"{n} w")
            else:
                marks.append(str(n))
        expr = results[(where, ref)]["all"][1]
        rows.append((dash.replace("memacct-", ""), where, ref, marks, expr))


def check_total(prom, model, dash, pas, title, refs, quantity, claim, sel, got, at, errors,
                total_rows):
    """One memory total against the kernel; a total that involves this host's
    live cgroups is tried again (new query time) up to three times."""
    for attempt in range(3):
        res_all, bad = [], None
        for r in refs:
            err, res, expr = got.get((title, r), ("no such target", [], ""))
            if err:
                bad = err
            res_all += res
        if bad:
            errors.append(f"{dash} {title!r} {'+'.join(refs)} [{pas}]: {bad}")
            return
        total = total_of(res_all)
        want, live = expected_totals(model, sel, quantity, claim, at)
        ok = any(abs(total - w) <= TOLERANCE * max(w, 1) for w in want)
        if not want:
            ok = False
        if ok or not live or attempt == 2:
            break
        time.sleep(1)
        at = time.time()
        for r in refs:
            expr = got[(title, r)][2]
            err, res = prom.query(expr, at)
            got[(title, r)] = (err, res, expr)
    near = min(want, key=lambda w: abs(total - w)) if want else 0
    dev = (total - near) / near if near else (0.0 if total == 0 else float("inf"))
    total_rows.append((dash.replace("memacct-", ""), title, "+".join(refs), pas, quantity,
                       claim, total, near, dev, "live" if live else "static", attempt + 1))
    if not ok:
        level = sel["level"] if claim == "level" else claim.replace("fixed:", "")
        errors.append(f"{dash} {title!r} {'+'.join(refs)} [{pas}]: total {total:.0f} B, the "
                      f"kernel's {quantity} of the cgroups it claims ({level}) is {near:.0f} B "
                      f"({dev * 100:+.2f}%, tolerance {TOLERANCE * 100:.0f}%)")


def check_rules(prom, src, errors):
    text = open(os.path.join(src, "dashboards/rules/memacct.rules.yml"), encoding="utf-8").read()
    want_groups = re.findall(r"^\s*- name:\s*(\S+)", text, re.M)
    want_records = re.findall(r"^\s*- record:\s*(\S+)", text, re.M)
    want_alerts = re.findall(r"^\s*- alert:\s*(\S+)", text, re.M)
    d = prom.get("/api/v1/rules")
    groups = {g["name"]: g for g in d.get("data", {}).get("groups", [])}
    nrules = 0
    for name in want_groups:
        g = groups.get(name)
        if not g:
            errors.append(f"rule group {name} is not loaded")
            continue
        for r in g["rules"]:
            nrules += 1
            if r.get("health") != "ok" or r.get("lastError"):
                errors.append(f"rule {r.get('name')} in {name}: health {r.get('health')!r} "
                              f"{r.get('lastError', '')}")
        print(f"  group {name:<28} {len(g['rules']):2} rules, health "
              + ",".join(sorted({r.get('health', '?') for r in g['rules']}))
              + f", last evaluation {g.get('evaluationTime', 0) * 1000:.1f} ms")
    loaded = {r.get("name") for g in groups.values() for r in g["rules"]}
    for n in want_records + want_alerts:
        if n not in loaded:
            errors.append(f"rule {n} is not loaded")
    for rec in want_records:
        err, res = prom.query(rec)
        print(f"  record {rec:<66} {len(res):3} series")
        if err:
            errors.append(f"recording rule {rec}: {err}")
        elif not res:
            errors.append(f"recording rule {rec}: no series")
    return len(want_groups), nrules


def check_alerts(prom, errors):
    """The JetStream alerts must be active (pending: their for: is 15m)
    exactly once for each stream the test built to trigger them, although
    two exporters poll it; the poller and collector alerts must not be."""
    d = prom.get("/api/v1/alerts")
    active = d.get("data", {}).get("alerts", [])
    for a in sorted(active, key=lambda a: (a["labels"]["alertname"], str(a["labels"]))):
        lb = a["labels"]
        ident = ",".join(f"{k}={lb[k]}" for k in ("stream", "limit", "discard", "cgroup", "collector")
                         if k in lb)
        print(f"  {a['state']:<8} {lb['alertname']:<44} {shorten(ident, 70)}")

    def streams(name):
        return sorted((a["labels"].get("stream"), a["labels"].get("limit"), a["labels"].get("discard"))
                      for a in active if a["labels"]["alertname"] == name)
    got = streams("MemacctJetStreamStreamRetentionUnbounded")
    if got != [("UNBOUNDED", None, None)]:
        errors.append(f"MemacctJetStreamStreamRetentionUnbounded active for {got}, "
                      "want exactly stream UNBOUNDED, once")
    got = streams("MemacctJetStreamStreamNearLimit")
    if got != [("NEARFULL", "bytes", "new")]:
        errors.append(f"MemacctJetStreamStreamNearLimit active for {got}, want exactly "
                      "NEARFULL (limit=bytes, discard=new), once")
    for name in ("MemacctJetStreamPollerDown", "MemacctCollectorFailing",
                 "MemacctJetStreamOldestMessageTooOld"):
        bad = [a["labels"] for a in active if a["labels"]["alertname"] == name]
        if bad:
            errors.append(f"{name} is active: {bad}")
    return len(active)


def check_targets(prom, errors, want):
    d = prom.get("/api/v1/targets", state="active")
    targets = d.get("data", {}).get("activeTargets", [])
    for t in targets:
        print(f"  {t['labels'].get('job', '?'):<20} {t['labels'].get('node', ''):<22} "
              f"{t['scrapeUrl']:<34} {t['health']:<5} "
              f"{t.get('lastScrapeDuration', 0) * 1000:7.1f} ms {t.get('lastError', '')}")
        if t["health"] != "up":
            errors.append(f"target {t['scrapeUrl']} is {t['health']}: {t.get('lastError')}")
    if len(targets) != want:
        errors.append(f"{len(targets)} active targets, want {want}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--prometheus", required=True)
    ap.add_argument("--src", required=True)
    ap.add_argument("--targets", required=True, help="JSON file describing the exporters")
    args = ap.parse_args()
    prom = Prom(args.prometheus)
    targets = json.load(open(args.targets, encoding="utf-8"))
    nodes = {t["role"]: t["node"] for t in targets}
    errors, warnings, rows, total_rows = [], [], [], []
    model = Model(prom, targets)
    time.sleep(1)  # the live sampler's first second

    print("== targets")
    check_targets(prom, errors, len(targets) + 1)
    print("== rule groups and recording rules")
    ngroups, nrules = check_rules(prom, args.src, errors)
    print("== active alerts")
    nalerts = check_alerts(prom, errors)
    print("== dashboards: variables chosen per pass")
    dashes = sorted(glob.glob(os.path.join(args.src, "dashboards/*.json")))
    for path in dashes:
        check_dashboard(prom, path, nodes, model, rows, errors, warnings, total_rows)

    print("== dashboard queries: series returned per pass (all | pod | cgroup); "
          "a = allow-listed, ! = failure, w = warning")
    tw = min(max(len(r[1]) for r in rows), 52)
    print(f"{'dashboard':<17} {'panel / variable':<{tw}} {'ref':<3} {'all':>5} {'pod':>5} "
          f"{'cgroup':>6}  query (pass all)")
    for dash, where, ref, marks, expr in rows:
        print(f"{dash:<17} {shorten(where, tw):<{tw}} {ref:<3} {marks[0]:>5} {marks[1]:>5} "
              f"{marks[2]:>6}  {shorten(expr, 90)}")
    print("== memory totals against the kernel (panel total, kernel total, deviation)")
    for dash, title, refs, pas, q, claim, total, near, dev, kind, tries in total_rows:
        print(f"  {dash:<17} {shorten(title, 40):<40} {refs:<11} {pas:<12} {q:<5} "
              f"{claim:<15} {total:16.0f} {near:16.0f} {dev * 100:+7.3f}% {kind}"
              + (f" ({tries} tries)" if tries > 1 else ""))
    print("== allow-list (a query listed here may return nothing)")
    for (dash, where, ref, pas), (mode, why) in ALLOW.items():
        print(f"  {dash.replace('memacct-', '')}: {where} {ref} [{pas}] {mode}: {why}")
    for w in warnings:
        print("WARNING: " + w)
    print(f"summary: {len(dashes)} dashboards, {len(rows)} queries x {len(DATA_PASSES)} data "
          f"passes; {len(total_rows)} memory totals checked against the kernel; "
          f"{ngroups} rule groups, {nrules} rules; {nalerts} active alerts; "
          f"{len(errors)} failures, {len(warnings)} warnings")
    for e in errors:
        print("FAIL: " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
