#!/usr/bin/env python3
"""Checks scrapes taken while cgroups come and go (integration/churn_cgroups.sh
on this host's v1 hierarchy, tests/vm/check.py's churn scenario on live v2):
every sample parses; every memacct_cgroup_* sample but the read-error and
held-file counters carries a cgroup label; per cgroup the memacct_cgroup_memory_bytes components
are all 6 or none (and sum to usage_bytes), the process RSS components all 3
or none, every sample of a cgroup carries the same identity labels, and a
cgroup with memory series has a memacct_cgroup_info carrying them plus qos
and runtime (a cgroup without the memory controller, such as a threaded
one, has process series only); the
cgroup and process collectors succeeded. Prints up to 5 bad scrapes and one
summary line; exits 1 when any scrape is bad. It does not lint the format
(promtool does) or compare values with the kernel.
Usage: scrape_series_check.py FILE.prom...
"""
import re
import sys

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
# memacct_cgroup_* series about the exporter's own reading, not a cgroup.
EXPORTER_WIDE = {"memacct_cgroup_read_errors_total", "memacct_cgroup_files_open",
                 "memacct_cgroup_files_uncached_total"}
COMPONENTS = sorted(["anon", "shmem", "file_active", "file_inactive", "kernel", "other"])


def parse_sample(line):
    """(name, labels dict, value string) of one exposition line; None for a
    comment or blank line; raises ValueError for anything else."""
    line = line.rstrip("\n")
    if line.startswith("#") or not line.strip():
        return None
    m = SAMPLE.match(line)
    if not m:
        raise ValueError("unparsable line: " + line[:120])
    return m.group(1), dict(LABEL.findall(m.group(3) or "")), m.group(4)


def check_scrape(text, stats):
    """The problems of one scrape (a list of strings); adds to stats."""
    comps, usage, rss, ident, info = {}, {}, {}, {}, {}
    problems = []
    success = {}
    for line in text.splitlines():
        try:
            s = parse_sample(line)
        except ValueError as e:
            problems.append(str(e))
            continue
        if s is None:
            continue
        name, labels, value = s
        if name == "memacct_scrape_collector_success":
            success[labels.get("collector")] = value
        if not name.startswith("memacct_cgroup_") or name in EXPORTER_WIDE:
            continue
        cg = labels.get("cgroup")
        if cg is None:
            problems.append("no cgroup label: " + line[:120])
            continue
        # Every sample of a cgroup carries the same identity labels; its
        # memacct_cgroup_info adds qos and runtime to them.
        if name == "memacct_cgroup_info":
            info[cg] = labels
            continue
        idl = tuple(sorted((k, v) for k, v in labels.items() if k not in ("component", "event")))
        if ident.setdefault(cg, idl) != idl:
            problems.append("cgroup %s: labels %s then %s" % (cg, ident[cg], idl))
        if name == "memacct_cgroup_memory_bytes":
            comps.setdefault(cg, []).append((labels.get("component"), int(value)))
        elif name == "memacct_cgroup_memory_usage_bytes":
            usage[cg] = int(value)
        elif name == "memacct_cgroup_process_rss_bytes":
            rss.setdefault(cg, []).append(labels.get("component"))
    memory = {cg for cg in usage} | {cg for cg in comps}
    for cg, idl in ident.items():
        il = info.get(cg)
        if il is None and cg not in memory:
            continue  # process series only: no memory controller (a threaded cgroup)
        if il is None:
            problems.append("cgroup %s has no memacct_cgroup_info" % cg)
        elif tuple(sorted((k, v) for k, v in il.items() if k not in ("qos", "runtime"))) != idl:
            problems.append("cgroup %s: info %s, series %s" % (cg, il, idl))
    for cg, cs in comps.items():
        names = sorted(c for c, _ in cs)
        if names != COMPONENTS:
            problems.append("cgroup %s has components %s" % (cg, names))
        elif cg not in usage or sum(v for _, v in cs) != usage[cg]:
            problems.append("cgroup %s: components do not sum to usage" % cg)
    for cg, cs in rss.items():
        if sorted(cs) != ["anon", "file", "shmem"]:
            problems.append("cgroup %s has rss components %s" % (cg, cs))
    for coll in ("cgroup", "process"):
        if success.get(coll) != "1":
            problems.append("%s collector success=%s" % (coll, success.get(coll)))
            stats["failed_" + coll] = stats.get("failed_" + coll, 0) + 1
    stats["scrapes"] += 1
    stats["max_cgroups"] = max(stats["max_cgroups"], len(usage))
    stats["split_cgroups"] += len(comps)
    stats["k8s_cgroups"] = stats.get("k8s_cgroups", 0) + sum(
        1 for v in info.values()
        if v.get("runtime") == "containerd" and v.get("qos") == "burstable"
        and v.get("level") == "container" and len(v.get("container_id", "")) == 64)
    return problems


def check_files(paths, out=print):
    """Checks every file; prints up to 5 bad ones and a summary line through
    out. Returns the number of bad scrapes."""
    bad = 0
    stats = {"scrapes": 0, "max_cgroups": 0, "split_cgroups": 0}
    for path in paths:
        with open(path) as f:
            problems = check_scrape(f.read(), stats)
        if problems:
            bad += 1
            if bad <= 5:
                out("%s: %s" % (path, "; ".join(problems[:5])))
    out("checked scrapes=%d bad=%d max_cgroups_in_one_scrape=%d cgroups_with_split_total=%d "
        "container_cgroups_total=%d cgroup_collector_failed=%d process_collector_failed=%d" %
        (stats["scrapes"], bad, stats["max_cgroups"], stats["split_cgroups"],
         stats.get("k8s_cgroups", 0), stats.get("failed_cgroup", 0),
         stats.get("failed_process", 0)))
    return bad


if __name__ == "__main__":
    sys.exit(1 if check_files(sys.argv[1:]) else 0)
