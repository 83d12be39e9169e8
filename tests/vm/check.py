#!/usr/bin/env python3
"""Judges what the VM harness's guest wrote (tests/vm/README.md).

Every snapshot NAME/{before,scrape.prom,after} is compared cgroup by cgroup:
from the kernel's own files this computes every memacct_cgroup_* series the
exporter should show (the split as the README defines it, working set,
limits, events, PSI, counters, the processes' summed RSS from their status
files). Where a cgroup's files did not move between before and after (the
phase is quiescent), the scrape must equal them exactly, series for series;
where they moved, each value must lie between before and after. Then each
scenario's own picture is checked (the seed-2 shape, OOM, throttling, shmem,
churn, identity labels, the v2 root's usage, ...). Prints one block per scenario, PASS or FAIL,
and exits 1 when any failed.
It boots nothing (tests/vm/run.sh does).
Usage: check.py RESULTS_DIR [SCENARIO...]   (default: all that ran)
"""
import concurrent.futures
import glob
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    "scrape_series_check", os.path.join(HERE, "..", "integration", "scrape_series_check.py"))
series_check = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(series_check)

MIB = 1 << 20
EXTRA_LABELS = ("component", "event")
# On every series of a cgroup; memacct_cgroup_info adds qos and runtime.
IDENTITY_LABELS = ("level", "uid", "container_id")
INFO_LABELS = IDENTITY_LABELS + ("qos", "runtime")
# memory.current is charged in batches of 64 pages per CPU (memcg's per-CPU
# stock) and a batch is handed back when another cgroup charges on that CPU:
# a cgroup whose processes allocate can read 256 KiB higher and back between
# two reads that agree. nats-server answers the exporter's JetStream poll
# every second, and the high scenario allocates under throttling: their usage
# (and what derives from it) gets this much room.
USAGE_DERIVED = {("memacct_cgroup_memory_usage_bytes", None),
                 ("memacct_cgroup_memory_working_set_bytes", None),
                 ("memacct_cgroup_memory_bytes", "other")}
NPROC_GUEST = 2
STOCK_SLACK = NPROC_GUEST * 64 * 4096


class Failed(Exception):
    pass


def need(cond, msg):
    if not cond:
        raise Failed(msg)


# ---- the kernel's files, as lib.sh's dump wrote them ----

def parse_dump(path):
    """{cgroup: {"text": its sections, "files": {name: text}, "status": {pid: text}}}
    from busybox head's "==> PATH <==" sections and grep -H's "PATH:LINE"."""
    files, status = {}, {}
    cur = None
    with open(path) as f:
        for line in f:
            m = re.fullmatch(r"==> /sys/fs/cgroup(/.*)?/([^/]+) <==\n", line)
            if m:
                cur = files.setdefault(m.group(1) or "/", {}).setdefault(m.group(2), [])
                continue
            m = re.match(r"/proc/(\d+)/status:(.*\n)", line)
            if m:
                status.setdefault(int(m.group(1)), []).append(m.group(2))
            elif cur is not None and line != "\n":   # head puts a blank line between files
                cur.append(line)
    cgs = {}
    for cg, fl in files.items():
        fl = {name: "".join(lines) for name, lines in fl.items()}
        pids = [int(p) for p in fl.get("cgroup.procs", "").split() if p.isdigit()]
        st = {pid: "".join(status.get(pid, [])) for pid in pids}
        text = "".join("%s\n%s" % kv for kv in sorted(fl.items())) + \
            "".join("%d\n%s" % kv for kv in sorted(st.items()))
        cgs[cg] = {"text": text, "files": fl, "status": st}
    return cgs


def keyed(text):
    out = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and re.fullmatch(r"\d+", parts[1]):
            out[parts[0]] = int(parts[1])
    return out


def single(files, name, unset=()):
    """The number in a one-value file; None when absent, "max" or in unset."""
    v = files.get(name, "").strip()
    if not v or v == "max" or not v.isdigit() or int(v) in unset:
        return None
    return int(v)


def expected(entry):
    """Every per-cgroup series the exporter should show for these files:
    {(metric, extra label value or None): number}."""
    f, e = entry["files"], {}
    if "cgroup.procs" in f:
        pids = [p for p in f["cgroup.procs"].split() if p.isdigit()]
        status = {k: 0 for k in ("RssAnon", "RssFile", "RssShmem", "VmSwap")}
        for pid in pids:
            for k, v in keyed(entry["status"].get(int(pid), "").replace(":", " ")
                              .replace(" kB", "")).items():
                status[k] = status.get(k, 0) + v * 1024
        e[("memacct_cgroup_processes", None)] = len(pids)
        for comp, key in (("anon", "RssAnon"), ("file", "RssFile"), ("shmem", "RssShmem")):
            e[("memacct_cgroup_process_rss_bytes", comp)] = status[key]
        e[("memacct_cgroup_process_swap_bytes", None)] = status["VmSwap"]
    if "memory.stat" not in f:
        return e
    st = keyed(f["memory.stat"])
    usage = single(f, "memory.current")
    if usage is not None:
        kernel = st["kernel"] if "kernel" in st else sum(
            st.get(k, 0) for k in ("kernel_stack", "pagetables", "sec_pagetables", "percpu",
                                   "slab", "vmalloc"))
        left = usage
        for comp, want in (("anon", st["anon"]), ("shmem", st["shmem"]),
                           ("file_active", st["active_file"]),
                           ("file_inactive", st["inactive_file"]), ("kernel", kernel)):
            e[("memacct_cgroup_memory_bytes", comp)] = min(want, left)
            left -= min(want, left)
        e[("memacct_cgroup_memory_bytes", "other")] = left
        e[("memacct_cgroup_memory_usage_bytes", None)] = usage
        e[("memacct_cgroup_memory_working_set_bytes", None)] = max(usage - st["inactive_file"], 0)
    for name, metric, unset in (("memory.max", "limit", ()), ("memory.high", "high", ()),
                                ("memory.low", "low", (0,)), ("memory.min", "min", (0,)),
                                ("memory.peak", "peak", ()), ("memory.swap.current", "swap", ())):
        v = single(f, name, unset)
        if v is not None:
            e[("memacct_cgroup_memory_%s_bytes" % metric, None)] = v
    for key, metric, extra in (
            ("file_mapped", "file_mapped_bytes", None), ("file_dirty", "file_dirty_bytes", None),
            ("file_writeback", "file_writeback_bytes", None),
            ("workingset_refault_file", "workingset_refault_file_total", None),
            ("workingset_refault_anon", "workingset_refault_anon_total", None),
            ("workingset_activate_file", "workingset_activate_file_total", None),
            ("workingset_activate_anon", "workingset_activate_anon_total", None),
            ("pgscan", "pgscan_total", None), ("pgsteal", "pgsteal_total", None),
            ("pgmajfault", "pgmajfault_total", None)):
        if key in st:
            e[("memacct_cgroup_memory_" + metric, extra)] = st[key]
    for event, v in keyed(f.get("memory.events", "")).items():
        if event in ("low", "high", "max", "oom", "oom_kill"):
            e[("memacct_cgroup_memory_events_total", event)] = v
    for line in f.get("memory.pressure", "").splitlines():
        m = re.fullmatch(r"(some|full) total=(\d+)", line.strip())
        if m:
            name = "waiting" if m.group(1) == "some" else "stalled"
            e[("memacct_cgroup_memory_pressure_%s_seconds_total" % name, None)] = \
                int(m.group(2)) / 1e6
    return e


# ---- the exposition ----

def parse_scrape(path):
    """{cgroup: {"series": {(metric, extra): value}, "ids": {label: value}}}
    and the samples without a cgroup label as {(metric, labels tuple): value}."""
    cgs, other = {}, {}
    with open(path) as f:
        for line in f:
            s = series_check.parse_sample(line)
            if s is None:
                continue
            name, labels, value = s
            v = float(value)
            if "cgroup" not in labels or not name.startswith("memacct_cgroup_"):
                other[(name, tuple(sorted(labels.items())))] = v
                continue
            c = cgs.setdefault(labels["cgroup"], {"series": {}, "ids": None, "info": None})
            if name == "memacct_cgroup_info":
                c["info"] = {k: labels[k] for k in INFO_LABELS if k in labels}
                continue
            extra = next((labels[k] for k in EXTRA_LABELS if k in labels), None)
            c["series"][(name, extra)] = v
            ids = {k: labels[k] for k in IDENTITY_LABELS if k in labels}
            need(c["ids"] in (None, ids), "cgroup %s: identity labels %s and %s in one scrape"
                 % (labels["cgroup"], c["ids"], ids))
            c["ids"] = ids
    return cgs, other


def fmt(v):
    return ("%d" % v) if float(v).is_integer() else ("%.6f" % v)


class Snap:
    """One snapshot: the kernel's files before and after one scrape."""

    def __init__(self, results, name):
        self.name = name
        d = os.path.join(results, name)
        need(os.path.exists(os.path.join(d, "scrape.prom")), "%s: no snapshot" % name)
        need(not os.path.exists(os.path.join(d, "scrape.err")), "%s: the scrape failed" % name)
        self.before = parse_dump(os.path.join(d, "before"))
        self.after = parse_dump(os.path.join(d, "after"))
        self.cgroups, self.other = parse_scrape(os.path.join(d, "scrape.prom"))
        self.attempts = int(open(os.path.join(d, "attempts")).read())
        self.slack_used = []

    def quiescent(self, cg):
        return self.before[cg]["text"] == self.after[cg]["text"]

    def compare(self, cg, tally, slack, required=None):
        """Problems of one cgroup: exact when quiescent, else within bounds,
        but usage, working set and other within slack bytes; counts the
        cgroup and its series in tally[how]. With required (metric names),
        a quiescent cgroup may lack series of other metrics (an exporter with
        its default families), never one of those."""
        exp_b, exp_a = expected(self.before[cg]), expected(self.after[cg])
        got = self.cgroups.get(cg, {"series": {}})["series"]
        got = {k: v for k, v in got.items() if k[0] != "memacct_cgroup_process_pss_bytes"}
        problems = []
        def off(k, want):
            loose = slack if k in USAGE_DERIVED else 0
            if k in USAGE_DERIVED and got[k] != want and abs(got[k] - want) <= loose:
                self.slack_used.append("%s %s %+d B" % (k[0].replace("memacct_cgroup_", ""),
                                                         k[1] or "", got[k] - want))
            return abs(got[k] - want) > loose + 1e-9 * max(1.0, abs(want))
        if self.quiescent(cg):
            for k in sorted(set(exp_b) | set(got), key=str):
                if k not in got and required is not None and k[0] not in required:
                    continue
                if k not in got:
                    problems.append("%s %s missing (kernel: %s)" % (k[0], k[1] or "", fmt(exp_b[k])))
                elif k not in exp_b:
                    problems.append("%s %s = %s, not in the kernel's files" % (k[0], k[1] or "",
                                                                               fmt(got[k])))
                elif off(k, exp_b[k]):
                    problems.append("%s %s = %s, kernel %s" % (k[0], k[1] or "", fmt(got[k]),
                                                                fmt(exp_b[k])))
            how = "exact"
        else:
            for k in sorted(set(exp_b) & set(exp_a) & set(got), key=str):
                lo, hi = min(exp_b[k], exp_a[k]), max(exp_b[k], exp_a[k])
                if off(k, min(max(got[k], lo), hi)):
                    problems.append("%s %s = %s, kernel moved %s..%s" % (
                        k[0], k[1] or "", fmt(got[k]), fmt(exp_b[k]), fmt(exp_a[k])))
            how = "between"
        t = tally.setdefault(how, [0, 0])
        t[0] += 1
        t[1] += len(exp_b) if required is None else len(set(exp_b) & set(got))
        return ["%s %s: %s" % (self.name, cg, p) for p in problems]

    def check_all(self, out, allow_motion=False, slack=0, skip=("/",), required=None):
        """Compares every dumped cgroup; a cgroup that moved is a failure
        unless allow_motion; slack and required as in compare."""
        problems, tally = [], {}
        for cg in self.before:
            if cg in skip:
                continue
            problems += self.compare(cg, tally, slack, required)
            if not allow_motion and not self.quiescent(cg):
                problems.append("%s %s: still moving after %d attempts" % (self.name, cg,
                                                                        self.attempts))
        out.append("  %s (%d attempt%s): %s; %d wrong" % (
            self.name, self.attempts, "" if self.attempts == 1 else "s", ", ".join(
                "%d cgroup(s) %s (%d series)" % (n, how, k) for how, (n, k) in
                sorted(tally.items())), len(problems)))
        if self.slack_used:
            out.append("    within the per-CPU charge stock: " + ", ".join(self.slack_used))
        return problems

    def v(self, cg, metric, extra=None):
        series = self.cgroups.get(cg, {"series": {}})["series"]
        need((metric, extra) in series, "%s: no %s{cgroup=\"%s\"%s}" % (
            self.name, metric, cg, ', ..="%s"' % extra if extra else ""))
        return series[(metric, extra)]

    def row(self, cg):
        """The numbers of the README's seed-2 table, from the scrape."""
        split = "memacct_cgroup_memory_bytes"
        rss = sum(self.v(cg, "memacct_cgroup_process_rss_bytes", c)
                  for c in ("anon", "file", "shmem"))
        return {"usage": self.v(cg, "memacct_cgroup_memory_usage_bytes"),
                "ws": self.v(cg, "memacct_cgroup_memory_working_set_bytes"),
                "anon": self.v(cg, split, "anon"), "shmem": self.v(cg, split, "shmem"),
                "file_active": self.v(cg, split, "file_active"),
                "file_inactive": self.v(cg, split, "file_inactive"),
                "kernel": self.v(cg, split, "kernel"), "rss": rss}


def snapshots(res, scenario, phases, out, problems, **check):
    """Loads each phase's snapshot of a scenario and compares it (check_all
    with **check) into problems."""
    snaps = [Snap(res, "%s/%s" % (scenario, p)) for p in phases]
    for s in snaps:
        problems += s.check_all(out, **check)
    return snaps


def table(out, snaps, cg):
    cols = ("usage", "ws", "anon", "shmem", "file_active", "file_inactive", "kernel", "rss")
    out.append("  %-16s" % "phase (MiB)" + "".join("%14s" % c for c in cols))
    rows = {}
    for s in snaps:
        rows[s.name] = s.row(cg)
        out.append("  %-16s" % s.name.split("/")[-1] +
                   "".join("%14.2f" % (rows[s.name][c] / MIB) for c in cols))
    return [rows[s.name] for s in snaps]


# ---- the scenarios ----

def scenario_threaded(res, out, problems):
    s = Snap(res, "threaded/1")
    problems += s.check_all(out)
    out.append("  " + open(os.path.join(res, "threaded", "types")).read().strip()
               .replace("\n", "\n  "))
    for cg in ("/thr", "/thr/t1"):
        got = s.cgroups.get(cg, {"series": {}})["series"]
        out.append("  exported for %s: %s" % (cg, ", ".join(
            "%s%s=%s" % (k[0].replace("memacct_cgroup_", ""), "{%s}" % k[1] if k[1] else "",
                         fmt(v)) for k, v in sorted(got.items(), key=str)
            if k[0].startswith("memacct_cgroup_process") or k[0] in (
                "memacct_cgroup_processes", "memacct_cgroup_memory_usage_bytes"))))
    need("threaded" in open(os.path.join(res, "threaded", "types")).read(),
         "/thr/t1 is not threaded")
    scrapes = sorted(glob.glob(os.path.join(res, "**", "*.prom"), recursive=True))
    bad = []
    for path in scrapes:
        text = open(path).read()
        for coll in ("cgroup", "process"):
            if 'memacct_scrape_collector_success{collector="%s"} 1\n' % coll not in text:
                bad.append("%s: %s collector not 1" % (os.path.relpath(path, res), coll))
    out.append("  collector success: cgroup and process 1 in %d of %d scrapes of the whole run"
               % (len(scrapes) - len(set(b.split(":")[0] for b in bad)), len(scrapes)))
    problems += bad[:5]


def scenario_root(res, out, problems):
    s = Snap(res, "root/1")
    st_b, st_a = (keyed(d["/"]["files"]["memory.stat"]) for d in (s.before, s.after))
    out.append("  root cgroup files: " + " ".join(open(os.path.join(res, "root", "root-files"))
                                                  .read().split()))
    root = s.cgroups.get("/", {"series": {}})["series"]
    names = sorted(set(k[0].replace("memacct_cgroup_", "") for k in root))
    out.append("  exported for \"/\": %s" % (", ".join(names) or "nothing"))
    split = {k[1]: fmt(v) for k, v in root.items() if k[0] == "memacct_cgroup_memory_bytes"}
    out.append("  memacct_cgroup_memory_bytes{cgroup=\"/\"}: %s" % (split or "absent"))
    mi = [keyed(open(os.path.join(res, "root", "meminfo." + w)).read().replace(":", " ")
                .replace(" kB", "")) for w in ("before", "after")]
    used = lambda st, m: (m["MemTotal"] - m["MemFree"]) * 1024
    ws = lambda st, m: max(used(st, m) - st["inactive_file"], 0)
    for label, f in (("MemTotal-MemFree (runc's and cAdvisor's root usage)", used),
                     ("that minus the root memory.stat's inactive_file (the node working set)",
                      ws)):
        out.append("  kernel %s: %s .. %s" % (label, fmt(f(st_b, mi[0])), fmt(f(st_a, mi[1]))))
    # The root is never still (the guest's shell, the exporter): the kernel's
    # two reads bracket the scrape, with 4 MiB of room for what moved
    # between the exporter's own reads of meminfo and memory.stat.
    slack = 4 * MIB
    for metric, f in (("memacct_cgroup_memory_usage_bytes", used),
                      ("memacct_cgroup_memory_working_set_bytes", ws)):
        need((metric, None) in root, "%s{cgroup=\"/\"} is absent" % metric)
        lo, hi = sorted((f(st_b, mi[0]), f(st_a, mi[1])))
        v = root[(metric, None)]
        out.append("  %s{cgroup=\"/\"} = %s" % (metric, fmt(v)))
        if not lo - slack <= v <= hi + slack:
            problems.append("root: %s = %s, outside the kernel's %s..%s" % (
                metric, fmt(v), fmt(lo), fmt(hi)))
    usage = root[("memacct_cgroup_memory_usage_bytes", None)]
    parts = sum(v for k, v in root.items() if k[0] == "memacct_cgroup_memory_bytes")
    if parts != usage:
        problems.append("root: the split sums to %s, usage %s" % (fmt(parts), fmt(usage)))
    need(root[("memacct_cgroup_memory_working_set_bytes", None)] ==
         max(usage - root[("memacct_cgroup_memory_bytes", "file_inactive")], 0),
         "root: working set is not usage - file_inactive")


def scenario_seed2(res, out, problems):
    cg = "/seed2.slice/app.scope"
    snaps = snapshots(res, "seed2", ("1-anon", "2-write", "3-read-twice"), out, problems)
    r1, r2, r3 = table(out, snaps, cg)
    file_size = 100 * MIB
    need(r2["file_inactive"] - r1["file_inactive"] >= 0.95 * file_size,
         "writing 100 MiB raised file_inactive by only %.1f MiB" %
         ((r2["file_inactive"] - r1["file_inactive"]) / MIB))
    need(r2["ws"] - r1["ws"] < 0.25 * file_size, "writing alone raised the working set by %.1f MiB"
         % ((r2["ws"] - r1["ws"]) / MIB))
    need(r3["ws"] - r2["ws"] >= 0.95 * file_size, "reading twice raised the working set by only "
         "%.1f MiB" % ((r3["ws"] - r2["ws"]) / MIB))
    need(r3["file_active"] - r2["file_active"] >= 0.95 * file_size,
         "reading twice raised file_active by only %.1f MiB" %
         ((r3["file_active"] - r2["file_active"]) / MIB))
    need(abs(r3["anon"] - r1["anon"]) <= MIB, "anon moved by %d bytes" % (r3["anon"] - r1["anon"]))
    need(abs(r3["rss"] - r1["rss"]) <= MIB, "process RSS moved by %d bytes" % (r3["rss"] - r1["rss"]))
    out.append("  working set +%.1f MiB, file_active +%.1f MiB, anon %+d B, RSS %+d B (1 -> 3)" % (
        (r3["ws"] - r1["ws"]) / MIB, (r3["file_active"] - r1["file_active"]) / MIB,
        r3["anon"] - r1["anon"], r3["rss"] - r1["rss"]))


def scenario_files(res, out, problems):
    """explain --files on the 6.1 kernel (no cachestat: mmap+mincore)."""
    d = os.path.join(res, "files")
    rep = json.load(open(os.path.join(d, "explain.json")))
    stats = [keyed(open(os.path.join(d, "memory.stat." + p)).read()) for p in ("before", "after")]
    active_file = max(st["active_file"] for st in stats)
    need(rep["cgroup"] == "/files.slice/app.scope", "explain names cgroup %r" % rep["cgroup"])
    names = [os.path.basename(r["path"]) for r in rep["files"]]
    out.append("  files (cached MiB, method): " + ", ".join(
        "%s %.2f %s" % (n, r["cached_bytes"] / MIB, r["method"]) for n, r in zip(names, rep["files"])))
    need(names[:3] == ["f16", "f8", "f4"], "the first files are %s, want f16 f8 f4" % names[:3])
    three = rep["files"][:3]
    for n, r in zip(names, three):
        size = int(n[1:]) * MIB
        need(r["size_bytes"] == size, "%s: size_bytes %d, want %d" % (n, r["size_bytes"], size))
        need(abs(r["cached_bytes"] - size) * 100 <= size,
             "%s: cached_bytes %d, not within 1 %% of %d" % (n, r["cached_bytes"], size))
        need(r["method"] == "mincore", "%s: method %r, want mincore (6.1 has no cachestat)"
             % (n, r["method"]))
    cached = sum(r["cached_bytes"] for r in three)
    out.append("  the three files hold %.2f MiB of active_file %.2f MiB (%.1f %%)" % (
        cached / MIB, active_file / MIB, 100.0 * cached / active_file if active_file else 0))
    need(active_file > 0, "memory.stat's active_file is 0")
    need(cached * 100 >= active_file * 95, "the three files explain < 95 % of active_file")


def scenario_jetstream(res, out, problems):
    cg = "/nats.slice/server.scope"
    # nats-server has timers of its own and answers the exporter's polls: it
    # may not stand still; then its values are checked within bounds.
    snaps = snapshots(res, "jetstream", ("0-idle", "1-filled", "2-read-twice"), out, problems,
                      allow_motion=True, slack=STOCK_SLACK)
    r0, r1, r2 = table(out, snaps, cg)
    params = dict(kv.split("=") for kv in open(os.path.join(res, "jetstream", "params")).read()
                  .split())
    msgs, size = int(params["msgs"]), int(params["size"])
    sel = ("memacct_jetstream_stream_bytes",
           (("account", ""), ("storage", "file"), ("stream", "VM")))
    need(sel in snaps[2].other, "no memacct_jetstream_stream_bytes for VM")
    stream_bytes = snaps[2].other[sel]
    jsz = json.load(open(os.path.join(res, "jetstream", "jsz.json")))
    state = next(sd["state"] for ad in jsz["account_details"] for sd in ad["stream_detail"]
                 if sd["name"] == "VM")
    out.append("  stream VM: %d messages, exporter %s bytes, server /jsz %d bytes" % (
        state["messages"], fmt(stream_bytes), state["bytes"]))
    need(state["messages"] == msgs, "the stream holds %d messages, not %d" % (state["messages"], msgs))
    need(stream_bytes == state["bytes"], "exporter's stream bytes differ from /jsz")
    need(stream_bytes >= msgs * size, "stream bytes below the payload")
    cache1 = r1["file_active"] + r1["file_inactive"] - r0["file_active"] - r0["file_inactive"]
    need(cache1 >= 0.95 * stream_bytes, "filling the stream added %.1f MiB of page cache for "
         "%.1f MiB of stream" % (cache1 / MIB, stream_bytes / MIB))
    need(r2["file_active"] - r1["file_active"] >= 0.9 * stream_bytes,
         "reading the stream twice raised file_active by only %.1f MiB" %
         ((r2["file_active"] - r1["file_active"]) / MIB))
    need(r2["ws"] - r0["ws"] >= stream_bytes, "the working set grew less than the stream")
    out.append("  page cache +%.1f MiB on fill; file_active +%.1f MiB after two reads; "
               "working set +%.1f MiB, server RSS +%.1f MiB (0 -> 2)" % (
                   cache1 / MIB, (r2["file_active"] - r1["file_active"]) / MIB,
                   (r2["ws"] - r0["ws"]) / MIB, (r2["rss"] - r0["rss"]) / MIB))


def scenario_oom(res, out, problems):
    cg = "/oom.slice/app.scope"
    s0, s1 = snapshots(res, "oom", ("0-before", "1-killed"), out, problems)
    ev = "memacct_cgroup_memory_events_total"
    need(s0.v(cg, ev, "oom_kill") == 0, "oom_kill before the workload ran")
    need(s1.v(cg, ev, "oom_kill") == 1, "oom_kill = %s after one OOM kill" % fmt(s1.v(cg, ev, "oom_kill")))
    need(s1.v(cg, ev, "oom") >= 1 and s1.v(cg, ev, "max") >= 1, "no oom or max event")
    need(s1.v(cg, "memacct_cgroup_memory_limit_bytes") == 48 * MIB, "limit is not 48 MiB")
    need(s1.v(cg, "memacct_cgroup_processes") == 0, "the killed process is still counted")
    status = open(os.path.join(res, "oom", "exit")).read().strip()
    need(status.endswith(" 137"), "vm_hold was not killed: " + status)
    out.append("  events after: max=%s oom=%s oom_kill=%s; %s" % tuple(
        [fmt(s1.v(cg, ev, e)) for e in ("max", "oom", "oom_kill")] + [status]))


def scenario_high(res, out, problems):
    cg = "/high.slice/app.scope"
    before, after = snapshots(res, "high", ("0-before", "3-after"), out, problems)
    # A process allocating under throttling charges in per-CPU batches too:
    # the same room as nats-server's (see STOCK_SLACK).
    moving = snapshots(res, "high", ("1-throttled", "2-throttled"), out, problems,
                       allow_motion=True, slack=STOCK_SLACK)
    snaps = [before] + moving + [after]
    ev, psi = "memacct_cgroup_memory_events_total", "memacct_cgroup_memory_pressure_waiting_seconds_total"
    high = [s.v(cg, ev, "high") for s in snaps]
    some = [s.v(cg, psi) for s in snaps]
    out.append("  high events %s; PSI some seconds %s" % (
        " -> ".join(fmt(h) for h in high), " -> ".join("%.3f" % p for p in some)))
    need(high[0] == 0 and some[0] == 0, "events or pressure before the workload ran")
    need(0 < high[1] < high[2] <= high[3], "high events did not grow while throttled")
    need(0 < some[1] < some[2] <= some[3], "PSI some did not grow while throttled")
    need(snaps[3].v(cg, "memacct_cgroup_memory_high_bytes") == 32 * MIB, "high is not 32 MiB")


def scenario_shmem(res, out, problems):
    cg = "/shm.slice/app.scope"
    snaps = snapshots(res, "shmem", ("1-mapped", "2-exited", "3-deleted"), out, problems)
    r1, r2, r3 = table(out, snaps, cg)
    size = 32 * MIB
    need(size <= r1["shmem"] <= size + MIB, "shmem %d with a 32 MiB tmpfs file" % r1["shmem"])
    # vm_hold's own binary lies on the initramfs, which is shmem too.
    rss_shmem = snaps[0].v(cg, "memacct_cgroup_process_rss_bytes", "shmem")
    need(size <= rss_shmem <= size + 2 * MIB, "RssShmem %d with 32 MiB mapped" % rss_shmem)
    need(size <= r2["shmem"] <= size + MIB and snaps[1].v(cg, "memacct_cgroup_processes") == 0,
         "shmem did not stay charged after the process exited")
    need(r3["shmem"] < MIB, "shmem stayed after the file was deleted")


def scenario_k8s(res, out, problems):
    s = Snap(res, "k8s/1")
    problems += s.check_all(out)
    rows = [line.split() for line in open(os.path.join(HERE, "guest", "k8s_layout.txt"))
            if line.strip() and not line.startswith("#")]
    wrong = 0
    for path, *want in rows:
        want = {k: v for k, v in zip(("uid", "container_id", "qos", "runtime"), want) if v != "-"}
        need(path in s.cgroups, "cgroup %s not exported" % path)
        info = s.cgroups[path]["info"] or {}
        need(info.get("level") == s.cgroups[path]["ids"].get("level"),
             "cgroup %s: level %s on its info, %s on its series" % (
                 path, info.get("level"), s.cgroups[path]["ids"].get("level")))
        got = {k: v for k, v in info.items() if k != "level"}
        if got != want:
            wrong += 1
            problems.append("%s: memacct_cgroup_info labels %s, expected %s" % (path, got, want))
    out.append("  identity labels: %d of %d cgroups as expected" % (len(rows) - wrong, len(rows)))


# The chart scenario: what a pod reads of its own, outside the chart's mount
# points: its image (the dynamic loader, the libraries, glibc's and GnuTLS's
# configuration under /etc), and its own /proc and /sys: the exporter's own
# process entries and /proc/stat's boot time (the self collector), glibc's
# CPU count and malloc's overcommit setting. Any other path, /proc/PID or
# /sys/fs/cgroup above all, is the host read past the chart's mounts.
CHART_OWN = re.compile(r"/(etc|usr|lib|lib64|bin)/.*|/proc/(self|thread-self)(/.*)?|/proc/stat"
                       r"|/proc/sys/vm/overcommit_memory|/sys/devices/system/cpu/.*")
# Series every cgroup has with the exporter's default families.
CHART_REQUIRED = {"memacct_cgroup_memory_bytes", "memacct_cgroup_memory_usage_bytes",
                  "memacct_cgroup_memory_working_set_bytes", "memacct_cgroup_processes",
                  "memacct_cgroup_process_rss_bytes"}


def traced_paths(path):
    """(every path the chart's exporter named in a file syscall, problems)
    from strace -f -y: the lines from its execve on (before it: su and sh),
    a path relative to a dirfd joined to the fd's path; fstat of an open fd
    (AT_EMPTY_PATH: its open was judged) left out."""
    lines = open(path).read().splitlines()
    start = next((i for i, l in enumerate(lines) if 'execve("/bin/memacct_exporter"' in l), None)
    need(start is not None and lines[start].endswith("= 0"),
         "the trace holds no successful execve of /bin/memacct_exporter")
    paths, problems = set(), []
    string = r'"((?:[^"\\]|\\.)*)"'
    for line in lines[start:]:
        m = re.match(r"\d+\s+(\w+)\((.*)", line)
        if not m:
            continue   # "<... resumed>", signals
        args = m.group(2)
        a = re.match(string, args)
        b = re.match(r"(?:AT_FDCWD|-?\d+)<([^>]*)>, " + string, args)
        if a:
            p = a.group(1)
        elif b and b.group(2) == "":
            continue
        elif b:
            p = b.group(2) if b.group(2).startswith("/") else os.path.join(b.group(1), b.group(2))
        else:
            problems.append("trace: no path in " + line[:160])
            continue
        paths.add(os.path.normpath(p) if p.startswith("/") else "./" + p)
    return paths, problems


def scenario_chart(res, out, problems):
    d = os.path.join(res, "chart")
    args = open(os.path.join(d, "chart.args")).read().splitlines()
    mounts = [line.split() for line in open(os.path.join(d, "chart.mounts")).read().splitlines()]
    out.append("  the chart's args: " + " ".join(args))
    # 1. Exactly the chart's args, as the chart's user, its host paths bound.
    cmdline = open(os.path.join(d, "cmdline")).read().splitlines()
    need(cmdline == ["/bin/memacct_exporter"] + args, "the exporter ran as %s" % cmdline)
    ids = open(os.path.join(d, "ids")).read().split()
    need(ids == ["Uid:"] + ["65534"] * 4 + ["Gid:"] + ["65534"] * 4, "ran as %s" % " ".join(ids))
    info = {}
    for line in open(os.path.join(d, "mountinfo")):
        f = line.split()
        sep = f.index("-")
        info[f[4]] = (f[5].split(",")[0], f[sep + 1])
    for host, at, mode in mounts:
        need(at in info, "%s is not bound at %s" % (host, at))
        need(info[at][0] == mode, "%s is mounted %s, the chart says %s" % (at, info[at][0], mode))
    out.append("  bound: " + ", ".join("%s at %s (%s, %s)" % (h, a, *info[a]) for h, a, _ in mounts))
    need(info[next(a for h, a, _ in mounts if h == "/sys/fs/cgroup")][1] == "cgroup2",
         "the chart's cgroupfs mount is not cgroup2")
    # 2. Every collector succeeds; the pod's cgroups equal their kernel files
    # (the exporter's default families), found below the unified root.
    s = Snap(res, "chart/1")
    problems += s.check_all(out, required=CHART_REQUIRED)
    success = {dict(k[1]).get("collector"): v for k, v in s.other.items()
               if k[0] == "memacct_scrape_collector_success"}
    out.append("  collectors: " + ", ".join("%s=%s" % (c, fmt(v)) for c, v in sorted(success.items())))
    need({"cgroup", "process", "node"} <= set(success), "collectors missing: %s" % sorted(success))
    problems += ["collector %s: success %s" % (c, fmt(v)) for c, v in success.items() if v != 1]
    for cg in ("/", "/harness", "/memacct"):
        need(cg in s.cgroups, "cgroup %s of the unified root not exported" % cg)
    need(s.cgroups["/"]["ids"].get("level") == "root", "\"/\" is not the root level")
    # 3. Pod names from the podlogs folder, on every series of the pod.
    pod = "/kubepods.slice/kubepods-pod0a1b2c3d_0000_4000_8000_000000000001.slice"
    app = pod + "/cri-containerd-" + "a1" * 32 + ".scope"
    want = {pod: {"namespace": "kube-system", "pod": "web-0"},
            app: {"namespace": "kube-system", "pod": "web-0", "container": "app"}}
    seen, wrong = {cg: 0 for cg in want}, {}
    with open(os.path.join(d, "1", "scrape.prom")) as f:
        for line in f:
            sample = series_check.parse_sample(line)
            if sample is None or sample[1].get("cgroup") not in want:
                continue
            cg, labels = sample[1]["cgroup"], sample[1]
            got = {k: labels[k] for k in ("namespace", "pod", "container") if k in labels}
            seen[cg] += 1
            if got != want[cg]:
                wrong.setdefault(cg, []).append("%s has %s" % (sample[0], got))
    for cg, n in seen.items():
        need(n > 0, "no series of " + cg)
    problems += ["%s: %d of %d series not labelled %s (%s, ...)" % (cg, len(w), seen[cg], want[cg], w[0])
                 for cg, w in wrong.items()]
    out.append("  pod names: %s" % ", ".join("%d series of %s" % (n, cg.split("/")[-1][:40])
                                             for cg, n in seen.items()))
    # 4. Nothing read outside the mount points but the pod's own files.
    paths, bad = traced_paths(os.path.join(d, "trace"))
    problems += bad[:5]
    points = [at for _, at, _ in mounts]
    def inside(p):
        return any(p == at or p.startswith(at + "/") or at.startswith(p + "/") for at in points)
    outside = sorted(p for p in paths if not inside(p) and not CHART_OWN.fullmatch(p))
    problems += ["read outside the chart's mount points: " + p for p in outside[:10]]
    per_point = {at: sum(1 for p in paths if p == at or p.startswith(at + "/")) for at in points}
    out.append("  paths named: %d; at or below each mount point: %s; outside them, the pod's "
               "own: %s" % (len(paths), ", ".join("%s %d" % kv for kv in per_point.items()),
                            " ".join(sorted(set(re.sub(r"^(/[^/]+/[^/]+).*", r"\1", p)
                                                for p in paths if not inside(p) and p not in outside)))))
    problems += ["nothing read at " + at for at, n in per_point.items() if n == 0]


def scenario_churn(res, out, problems):
    d = os.path.join(res, "churn")
    churner = open(os.path.join(d, "churner.out")).read().strip()
    out.append("  " + churner)
    m = re.search(r"created=(\d+) removed=(\d+) rmdir_failures=(\d+)", churner)
    need(m, "the churner printed no totals")
    need(int(m.group(1)) >= 300 and m.group(1) == m.group(2) and m.group(3) == "0",
         "the churner did not make and remove 300 cgroups or more")
    rcs = sorted(glob.glob(os.path.join(d, "scrapes", "*.rc")))
    failed = [p for p in rcs if open(p).read().strip() != "0"]
    out.append("  scrapes during churn: %d, failed: %d" % (len(rcs), len(failed)))
    need(len(rcs) >= 10, "only %d scrapes during churn" % len(rcs))
    problems += ["%s: wget exit %s" % (os.path.basename(p), open(p).read().strip())
                 for p in failed[:5]]
    proms = [p[:-3] + ".prom" for p in rcs if p not in failed]
    lines = []
    if series_check.check_files(proms, out=lines.append):
        problems.append("half series or failed collectors: " + "; ".join(lines[:3]))
    out.append("  " + lines[-1])
    if shutil.which("promtool"):
        def lint(path):   # promtool prints nothing for a clean exposition
            with open(path, "rb") as f:
                r = subprocess.run(["promtool", "check", "metrics"], stdin=f,
                                   capture_output=True, timeout=120)
            return path if r.stdout.strip() or r.stderr.strip() else None
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            lint_bad = [p for p in pool.map(lint, proms) if p]
        out.append("  promtool check metrics: %d of %d scrapes clean" % (
            len(proms) - len(lint_bad), len(proms)))
        problems += ["promtool complains about %s" % os.path.basename(p) for p in lint_bad[:3]]
    else:
        out.append("  promtool not installed: the scrapes' format was not linted")
    dying = dict(line.split(None, 1) for line in open(os.path.join(d, "dying")).read().splitlines())
    fds = dict(line.split() for line in open(os.path.join(d, "fds")).read().splitlines())
    out.append("  nr_dying_descendants: baseline %s, right after %s, final %s; exporter fds %s -> %s"
               % (dying["baseline"], dying["peak-after"], dying["final"], fds["before"],
                  fds["after"]))
    need(int(dying["final"].split()[0]) <= int(dying["baseline"]),
         "nr_dying_descendants did not come back to its baseline")
    need(int(fds["after"]) <= int(fds["before"]), "the exporter's open fds grew")


SCENARIOS = ["threaded", "root", "seed2", "files", "jetstream", "oom", "high", "shmem", "k8s",
             "chart", "churn"]


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    res = sys.argv[1]
    ran = [line.split() for line in open(os.path.join(res, "timeline"))]
    wanted = sys.argv[2:] or [r[0] for r in ran]
    failed = 0
    for name in wanted:
        out = []
        row = next((r for r in ran if r[0] == name), None)
        problems = []
        try:
            need(row is not None, "did not run")
            need(row[3] == "0", "the guest script exited %s: %s" % (row[3], " | ".join(
                open(os.path.join(res, name, "log")).read().strip().splitlines()[-3:])))
            globals()["scenario_" + name](res, out, problems)
        except Failed as e:
            problems.append(str(e))
        except (OSError, KeyError, ValueError) as e:
            problems.append("incomplete results: %r" % e)
        verdict = "FAIL" if problems else "PASS"
        failed += verdict == "FAIL"
        took = " (%.1f s in the guest)" % (float(row[2]) - float(row[1])) if row else ""
        print("%s %s%s" % (verdict, name, took))
        for line in out:
            print(line)
        for p in problems[:20]:
            print("  problem: " + p)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
