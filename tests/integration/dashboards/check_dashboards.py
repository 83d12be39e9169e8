#!/usr/bin/env python3
"""Runs every query of the shipped Grafana dashboards, and checks the rule
file, against a live Prometheus that scrapes real exporters (driven by
dashboards_prometheus.sh; standard library only).

    check_dashboards.py --prometheus URL --src DIR --fixture-instance HOST:PORT
                        --nats-instance HOST:PORT

For each dashboard and each of three variable selections ("passes"):
  all     every multi-value variable at "All" (its allValue, ".*"); the
          single-value NATS pod variable at its "~any pod" option (".*");
  pod     node = the fixture exporter, namespace and pod = the first option
          their queries give (the fixture's pod, joined through kube_pod_info),
          cgroup = All: what a user sees after picking a pod (JetStream
          dashboard: poller = its one option, account and stream = All);
  cgroup  node = the fixture exporter, namespace and pod = All, cgroup = the
          deepest cgroup on offer (the container): picking a cgroup instead;
the variables are resolved in dashboard order as Grafana does: each query
variable's query runs with the variables before it substituted, its regex
picks the options (named groups text/value included), options are sorted
(sort 1: alphabetical), and a concrete value is escaped the way Grafana's
Prometheus data source escapes it (regex metacharacters for multi/All
variables). Then every panel target runs as an instant query through
/api/v1/query with $__rate_interval = 30s, $__interval = 2s, $__range = 5m.

Each panel query must parse (status success) and return at least one series;
each query variable must offer at least one option. Exceptions are listed in
ALLOW below, each with its reason. Entries marked NEVER cannot return data in
this environment, so the test fails when one does (the list stays honest);
entries marked MAYBE depend on what the host does during the run (a cgroup
hitting its limit) and only print a warning when they return data.

With the pod selected, the tables that join kube_pod_info must show its
namespace and pod on every row. Also: every rule group of the rule file is
loaded and every rule's health is "ok"; every recording rule returns data;
the JetStream alerts are pending or firing exactly for the streams built to
trigger them and for no other; every scrape target is up. Prints one table
row per query. Exit 0 ok, 1 a check failed."""

import argparse
import glob
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

RATE_INTERVAL, INTERVAL, RANGE = "30s", "2s", "5m"
PASSES = ("all", "pod", "cgroup")

NEVER, MAYBE = "never", "maybe"
CM, JS = "memacct-container-memory", "memacct-jetstream"
V1_FIXTURE_STATIC = ("the v2 fixture's memory.events never change (a capture) and "
                     "the host is cgroup v1, which has no memory.events")
FAILCNT = ("memory.failcnt only moves when a host cgroup hits its v1 limit during "
           "the run (the fixture is v2: no failcnt)")
# (dashboard, panel title or "variable NAME" or "rule NAME", refId, pass or "*")
#   -> (NEVER | MAYBE, reason)
ALLOW = {
    (CM, "memory.events and failcnt (events per interval, non-zero only)", "A", "*"):
        (NEVER, V1_FIXTURE_STATIC),
    (CM, "memory.events and failcnt (events per interval, non-zero only)", "B", "all"):
        (MAYBE, FAILCNT),
    (CM, "memory.events and failcnt (events per interval, non-zero only)", "B", "pod"):
        (NEVER, "node = the v2 fixture, which has no memory.failcnt"),
    (CM, "memory.events and failcnt (events per interval, non-zero only)", "B", "cgroup"):
        (NEVER, "node = the v2 fixture, which has no memory.failcnt"),
    (CM, "PSI: share of time stalled on memory", "C", "pod"):
        (NEVER, "node = the fixture, whose capture has no proc/pressure/memory "
                "(it is stored as proc/pressure_memory), so no node PSI"),
    (CM, "PSI: share of time stalled on memory", "C", "cgroup"):
        (NEVER, "node = the fixture, whose capture has no proc/pressure/memory "
                "(it is stored as proc/pressure_memory), so no node PSI"),
    (CM, "PSI: share of time stalled on memory", "D", "pod"):
        (NEVER, "node = the fixture, whose capture has no proc/pressure/memory "
                "(it is stored as proc/pressure_memory), so no node PSI"),
    (CM, "PSI: share of time stalled on memory", "D", "cgroup"):
        (NEVER, "node = the fixture, whose capture has no proc/pressure/memory "
                "(it is stored as proc/pressure_memory), so no node PSI"),
    (JS, "variable account", "", "*"):
        (NEVER, "nats-server 2.9 has no $SYS.REQ.USER.INFO, so the exporter cannot "
                "name the account and leaves the account label empty: no values "
                "(All still matches)"),
}


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

    def query(self, expr):
        """(error or None, result list) of an instant query at now."""
        d = self.get("/api/v1/query", query=expr)
        if d.get("status") != "success":
            return f"{d.get('errorType', '')}: {d.get('error', d)}", []
        data = d["data"]
        if data["resultType"] in ("scalar", "string"):
            return None, [{"metric": {}, "value": data["result"]}]
        return None, data["result"]


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


def choose(var, opts, pas, fixture_instance):
    """(label shown, raw value) the pass selects; None raw value = All."""
    name = var["name"]
    has_all = var.get("includeAll")
    if (pas == "all" or name in ("account", "stream")
            or (pas == "cgroup" and name in ("namespace", "pod"))):
        if has_all:
            return "All", None
        for t, v in opts:            # the NATS pod variable: "~any pod"
            if v == ".*":
                return t, v
        return (opts[0] if opts else ("(none)", ""))
    if name == "node":
        if not any(v == fixture_instance for _, v in opts):
            raise RuntimeError(f"node variable does not offer {fixture_instance}: {opts}")
        return fixture_instance, fixture_instance
    if name == "cgroup":
        if pas == "pod":
            return "All", None
        if not opts:
            return ("All", None) if has_all else ("(none)", "")
        deepest = max(opts, key=lambda o: (o[1].count("/"), o[1]))
        return deepest
    if not opts:
        return ("All", None) if has_all else ("(none)", "")
    return opts[0]


def format_value(var, raw, opts):
    if raw is None:  # All
        if var.get("allValue") is not None:
            return var["allValue"]
        vals = [special_regex_escape(v) for _, v in opts]
        return "(" + "|".join(vals) + ")" if len(vals) != 1 else vals[0]
    if var.get("multi") or var.get("includeAll"):
        return special_regex_escape(raw)
    return regular_escape(raw)


# --- the checks -----------------------------------------------------------------


def walk_panels(panels):
    for p in panels:
        yield p
        yield from walk_panels(p.get("panels", []))


def shorten(expr, n):
    e = re.sub(r"\s+", " ", expr).strip()
    return e if len(e) <= n else e[:n - 3] + "..."


def check_dashboard(prom, path, fixture_instance, rows, errors, warnings):
    dash = os.path.splitext(os.path.basename(path))[0]
    d = json.load(open(path, encoding="utf-8"))
    variables = d.get("templating", {}).get("list", [])
    defined = {v["name"] for v in variables}
    results = {}  # (where, ref) -> {pass: (n, expr)}
    order = []
    chosen = {p: [] for p in PASSES}

    def record(where, ref, pas, n, expr, err=None):
        key = (where, ref)
        if key not in results:
            results[key] = {}
            order.append(key)
        results[key][pas] = (n, expr, err)

    for pas in PASSES:
        values = {}
        for v in variables:
            name, typ = v["name"], v.get("type")
            if typ == "datasource":
                values[name] = "prometheus"
                continue
            if typ in ("textbox", "constant"):
                values[name] = regular_escape(str(v.get("query", "")))
                continue
            if typ in ("custom", "interval"):
                cur = v.get("current", {}).get("value") or str(v.get("query", "")).split(",")[0]
                values[name] = cur if isinstance(cur, str) else cur[0]
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
            record(f"variable {name}", "", pas, len(opts), expr, err)
            shown, raw = choose(v, opts, pas, fixture_instance)
            values[name] = format_value(v, raw, opts)
            chosen[pas].append(f"{name}={shown}")
        for p in walk_panels(d.get("panels", [])):
            for t in p.get("targets", []):
                try:
                    expr = substitute(t["expr"], values, defined)
                except KeyError as e:
                    errors.append(f"{dash} panel {p.get('title')!r} {t.get('refId')}: {e}")
                    continue
                err, res = prom.query(expr)
                record(p.get("title", "?"), t.get("refId", ""), pas, len(res), expr, err)
                # Tables that add namespace and pod from kube_pod_info: with
                # the pod selected, every row of it must have them.
                if pas == "pod" and "group_left (namespace, pod)" in t["expr"]:
                    for s in res:
                        m = s["metric"]
                        if m.get("uid") and not (m.get("namespace") and m.get("pod")):
                            errors.append(f"{dash} panel {p.get('title')!r} {t.get('refId')}: "
                                          f"row for uid {m['uid']} has no namespace/pod from "
                                          f"kube_pod_info: {m}")

    for pas in PASSES:
        print(f"  {dash} pass {pas:<6}: " + ", ".join(chosen[pas]))
    for where, ref in order:
        marks = []
        for pas in PASSES:
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
            rname = r.get("name")
            if r.get("health") != "ok" or r.get("lastError"):
                errors.append(f"rule {rname} in {name}: health {r.get('health')!r} "
                              f"{r.get('lastError', '')}")
        print(f"  group {name:<28} {len(g['rules']):2} rules, health "
              + ",".join(sorted({r.get('health', '?') for r in g['rules']}))
              + f", last evaluation {g.get('evaluationTime', 0) * 1000:.1f} ms")
    loaded = {r.get("name") for g in groups.values() for r in g["rules"]}
    for n in want_records + want_alerts:
        if n not in loaded:
            errors.append(f"rule {n} is not loaded")
    rec_rows = []
    for rec in want_records:
        err, res = prom.query(rec)
        rec_rows.append((rec, len(res)))
        if err:
            errors.append(f"recording rule {rec}: {err}")
        elif not res and not allowed("rules", f"rule {rec}", "", "*"):
            errors.append(f"recording rule {rec}: no series")
    for rec, n in rec_rows:
        print(f"  record {rec:<66} {n:3} series")
    return len(want_groups), nrules


def check_alerts(prom, errors):
    """The JetStream alerts must be active (pending: their for: is 15m) for
    exactly the streams the test built to trigger them; the poller and
    collector alerts must not be active."""
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
                      "want exactly stream UNBOUNDED")
    got = streams("MemacctJetStreamStreamNearLimit")
    if got != [("NEARFULL", "bytes", "new")]:
        errors.append(f"MemacctJetStreamStreamNearLimit active for {got}, want exactly "
                      "NEARFULL (limit=bytes, discard=new)")
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
        print(f"  {t['labels'].get('job', '?'):<20} {t['scrapeUrl']:<40} {t['health']:<5} "
              f"{t.get('lastScrapeDuration', 0) * 1000:7.1f} ms {t.get('lastError', '')}")
        if t["health"] != "up":
            errors.append(f"target {t['scrapeUrl']} is {t['health']}: {t.get('lastError')}")
    if len(targets) != want:
        errors.append(f"{len(targets)} active targets, want {want}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--prometheus", required=True)
    ap.add_argument("--src", required=True)
    ap.add_argument("--fixture-instance", required=True)
    ap.add_argument("--targets", type=int, default=3)
    args = ap.parse_args()
    prom = Prom(args.prometheus)
    errors, warnings, rows = [], [], []

    print("== targets")
    check_targets(prom, errors, args.targets)
    print("== rule groups and recording rules")
    ngroups, nrules = check_rules(prom, args.src, errors)
    print("== active alerts")
    nalerts = check_alerts(prom, errors)
    print("== dashboards: variables chosen per pass")
    dashes = sorted(glob.glob(os.path.join(args.src, "dashboards/*.json")))
    for path in dashes:
        check_dashboard(prom, path, args.fixture_instance, rows, errors, warnings)

    print("== dashboard queries: series returned per pass (all | pod | cgroup); "
          "a = allow-listed, ! = failure, w = warning")
    tw = max(len(r[1]) for r in rows)
    tw = min(tw, 52)
    print(f"{'dashboard':<17} {'panel / variable':<{tw}} {'ref':<3} {'all':>5} {'pod':>5} "
          f"{'cgroup':>6}  query (pass all)")
    for dash, where, ref, marks, expr in rows:
        print(f"{dash:<17} {shorten(where, tw):<{tw}} {ref:<3} {marks[0]:>5} {marks[1]:>5} "
              f"{marks[2]:>6}  {shorten(expr, 90)}")

    print("== allow-list (a query listed here may return nothing)")
    for (dash, where, ref, pas), (mode, why) in ALLOW.items():
        print(f"  {dash.replace('memacct-', '')}: {where} {ref} [{pas}] {mode}: {why}")
    nq = len(rows) * len(PASSES)
    for w in warnings:
        print("WARNING: " + w)
    print(f"summary: {len(dashes)} dashboards, {len(rows)} queries x {len(PASSES)} passes = "
          f"{nq} instant queries; {ngroups} rule groups, {nrules} rules; "
          f"{nalerts} active alerts; {len(errors)} failures, {len(warnings)} warnings")
    for e in errors:
        print("FAIL: " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
