#!/usr/bin/env python3
"""Writes the shipped Grafana dashboards (memacct-*.json) from the panel
definitions below; the JSON files are its output, committed beside it.

    python3 dashboards/generate.py          rewrite the JSON files
    python3 dashboards/generate.py --check  exit 1 if they are out of date

Edit this file, not the JSON, then run it (tests/integration/rules.sh runs
--check). Panels use only the exporter's raw metrics and kube_pod_info, so
the dashboards work without the recording rules in rules/memacct.rules.yml;
where a rule exists, the panel computes the same expression.

Levels. The kernel's counters of a cgroup include its children's, so a sum
over several levels counts the same memory again. Every per-cgroup query
picks one level through the exporter's level label: the level variable
(default containers) or, where a panel says so, a fixed one (workloads:
containers, and outside Kubernetes and Docker cgroups with processes of
their own; or each level on a line of its own). A default view never sums
across levels; tests/integration/dashboards_prometheus.sh checks every
memory total against the kernel's numbers.

Variables (container dashboard): datasource; cluster and node (target labels
that the Helm chart's ServiceMonitor sets: node from the pod's node name;
cluster where Prometheus or relabeling sets it); level; namespace and pod,
from kube-state-metrics' kube_pod_info joined on the uid label, or from the
exporter's own namespace and pod labels (--path.podlogs); the pod
variable's values are pod UIDs, shown as namespace/pod; cgroup, the cgroups
of the selected level. Standard library only."""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DS = {"type": "prometheus", "uid": "${datasource}"}

# --- PromQL building blocks -------------------------------------------------

# Where: the cluster and node variables.
WHERE = 'cluster=~"$cluster", node=~"$node"'
# Which cgroups: namespace (the exporter's own label where --path.podlogs
# sets it; "|" keeps series without the label), pod (its UID) and cgroup.
PICK = 'namespace=~"$namespace|", uid=~"$pod", cgroup=~"$cgroup"'
SEL = f"{WHERE}, {PICK}"
LEVEL = 'level="$level"'
# The namespace variable for series without their own namespace label: drop
# cgroups of pods in other namespaces (kube_pod_info). With namespace "All"
# (".*") or no kube-state-metrics this removes nothing, so cgroups outside
# Kubernetes stay.
NS = 'unless on (uid) kube_pod_info{namespace!~"$namespace"}'
# Workloads: containers, and cgroups of level "other" outside any pod and
# container with processes of their own (services outside Kubernetes).
# Processes live there (on cgroup v2 only leaves hold processes), so the
# panels that set RSS beside memory use this level; so do the alerts
# (cgroup:memacct_cgroup_info:workload in rules/memacct.rules.yml).
CONTAINER = 'level="container"'
OTHER_LEAF = 'level="other", uid="", container_id=""'
OWN_PROCS = "memacct_cgroup_processes > 0"


def sel(*parts):
    return ", ".join(p for p in parts if p)


def cg(metric, matchers="", level=LEVEL):
    """A per-cgroup metric at one level, filtered by the dashboard variables."""
    return f"({metric}{{{sel(SEL, level, matchers)}}} {NS})"


def cgr(fn, metric, matchers="", rng="$__rate_interval"):
    """fn(metric[rng]) over the selected cgroups of the level (rate, increase, deriv)."""
    return f"({fn}({metric}{{{sel(SEL, LEVEL, matchers)}}}[{rng}]) {NS})"


def wl(metric, matchers=""):
    """A per-cgroup metric of the selected workloads (see OTHER_LEAF)."""
    return (f"(({metric}{{{sel(SEL, CONTAINER, matchers)}}} or "
            f"({metric}{{{sel(SEL, OTHER_LEAF, matchers)}}} and ignoring (component) {OWN_PROCS})) {NS})")


def comp(name, level=LEVEL):
    """One component of the split, without the component label."""
    return ("sum without (component) ("
            + cg("memacct_cgroup_memory_bytes", f'component="{name}"', level) + ")")


def named(expr):
    """Adds namespace and pod from kube_pod_info where the uid joins; rows
    without a match (no kube-state-metrics, not a pod) keep their own
    labels (the exporter's namespace and pod with --path.podlogs)."""
    return (f"({expr} * on (uid) group_left (namespace, pod) "
            f"max by (uid, namespace, pod) (kube_pod_info)) "
            f"or ignoring (namespace, pod) {expr}")


FILE = 'component=~"file_active|file_inactive"'
ANON = 'component="anon"'
COMPONENTS = ["anon", "shmem", "file_active", "file_inactive", "kernel", "other"]
COLORS = {
    "anon": "red", "shmem": "purple", "file_active": "orange",
    "file_inactive": "yellow", "kernel": "blue", "other": "text",
}
# Level words for the panels' descriptions.
AT_LEVEL = ("Level: the one the level variable picks (default: containers); "
            "the panel never adds several levels together. ")
AT_WORKLOADS = ("Level: workloads, whatever the level variable says: "
                "containers, and outside Kubernetes and Docker the cgroups with "
                "processes of their own (services). Processes live there, so "
                "RSS compares with their memory. ")
AT_NODE = "Level: the node (/proc/meminfo and /proc/vmstat), not cgroups. "

# --- panel builders ---------------------------------------------------------


class Layout:
    """Places panels left to right, rows top to bottom, and numbers them."""

    def __init__(self):
        self.panels, self.x, self.y, self.h, self.next_id = [], 0, 0, 0, 1

    def row(self, title):
        self.newline()
        self.panels.append({"type": "row", "title": title, "collapsed": False,
                            "id": self._id(), "panels": [],
                            "gridPos": {"h": 1, "w": 24, "x": 0, "y": self.y}})
        self.y += 1

    def add(self, panel, w, h):
        if self.x + w > 24:
            self.newline()
        panel["id"] = self._id()
        panel["gridPos"] = {"h": h, "w": w, "x": self.x, "y": self.y}
        self.panels.append(panel)
        self.x += w
        self.h = max(self.h, h)

    def newline(self):
        self.y += self.h
        self.x, self.h = 0, 0

    def _id(self):
        self.next_id += 1
        return self.next_id - 1


def target(expr, legend="", ref="A", instant=False, table=False):
    t = {"datasource": DS, "editorMode": "code", "expr": expr, "refId": ref,
         "legendFormat": legend or "__auto", "range": not instant,
         "instant": instant}
    if table:
        t["format"] = "table"
    return t


def targets(*specs, **kw):
    return [target(e, l, chr(ord("A") + i), **kw) for i, (e, l) in enumerate(specs)]


def timeseries(title, desc, tgts, unit="bytes", stack=False, overrides=None,
               fill=10, minv=None, maxv=None, legend_calcs=("lastNotNull", "max")):
    custom = {"drawStyle": "line", "lineWidth": 1, "fillOpacity": fill,
              "showPoints": "never", "spanNulls": False,
              "stacking": {"mode": "normal" if stack else "none", "group": "A"},
              "axisPlacement": "auto", "gradientMode": "none"}
    defaults = {"unit": unit, "custom": custom, "color": {"mode": "palette-classic"}}
    if minv is not None:
        defaults["min"] = minv
    if maxv is not None:
        defaults["max"] = maxv
    return {"type": "timeseries", "title": title, "description": desc,
            "datasource": DS, "targets": tgts,
            "fieldConfig": {"defaults": defaults, "overrides": overrides or []},
            "options": {"legend": {"showLegend": True, "displayMode": "table",
                                   "placement": "bottom", "calcs": list(legend_calcs)},
                        "tooltip": {"mode": "multi", "sort": "desc"}}}


def line_override(name, color, dash=True):
    """A series drawn as a line on top of a stack, not stacked itself."""
    props = [{"id": "custom.stacking", "value": {"mode": "none", "group": "A"}},
             {"id": "custom.fillOpacity", "value": 0},
             {"id": "custom.lineWidth", "value": 2},
             {"id": "color", "value": {"mode": "fixed", "fixedColor": color}}]
    if dash:
        props.append({"id": "custom.lineStyle",
                      "value": {"fill": "dash", "dash": [10, 10]}})
    return {"matcher": {"id": "byName", "options": name}, "properties": props}


def color_override(name, color):
    return {"matcher": {"id": "byName", "options": name},
            "properties": [{"id": "color", "value": {"mode": "fixed", "fixedColor": color}}]}


def stat(title, desc, tgts, unit="none", thresholds=None, mappings=None):
    steps = thresholds or [{"color": "green", "value": None}]
    return {"type": "stat", "title": title, "description": desc, "datasource": DS,
            "targets": tgts,
            "fieldConfig": {"defaults": {"unit": unit, "mappings": mappings or [],
                                         "thresholds": {"mode": "absolute", "steps": steps},
                                         "color": {"mode": "thresholds"}},
                            "overrides": []},
            "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                        "colorMode": "background", "graphMode": "none", "justifyMode": "auto",
                        "orientation": "auto", "textMode": "value_and_name",
                        "percentChangeColorMode": "standard", "showPercentChange": False,
                        "wideLayout": True}}


def table(title, desc, tgts, renames, hide=(), unit="bytes", overrides=None, sort=None):
    exclude = {"Time": True, "job": True, "__name__": True}
    exclude.update({h: True for h in hide})
    transformations = [{"id": "merge", "options": {}}] if len(tgts) > 1 else []
    transformations.append({"id": "organize", "options": {
        "excludeByName": exclude, "indexByName": {}, "renameByName": renames}})
    p = {"type": "table", "title": title, "description": desc, "datasource": DS,
         "targets": tgts, "transformations": transformations,
         "fieldConfig": {"defaults": {"unit": unit, "custom": {
             "align": "auto", "filterable": True, "cellOptions": {"type": "auto"}, "inspect": False}},
                         "overrides": overrides or []},
         "options": {"showHeader": True, "cellHeight": "sm", "frameIndex": 0}}
    if sort:
        p["options"]["sortBy"] = [{"displayName": sort, "desc": True}]
    return p


def columns_table(title, desc, per, matchers, cols, sort):
    """A table of one instant query per column: cols (metric, column name,
    unit), each aggregated by per and filtered by matchers; bytes by default."""
    return table(
        title, desc,
        [target(f"{per} ({m}{{{matchers}}})", ref=chr(ord("A") + i), instant=True, table=True)
         for i, (m, _, _) in enumerate(cols)],
        {f"Value #{chr(ord('A') + i)}": n for i, (_, n, _) in enumerate(cols)},
        sort=sort,
        overrides=[{"matcher": {"id": "byName", "options": n},
                    "properties": [{"id": "unit", "value": u}]}
                   for _, n, u in cols if u != "bytes"])


def text(title, content):
    return {"type": "text", "title": title, "options": {"mode": "markdown", "content": content}}


# --- variables --------------------------------------------------------------


def var_datasource():
    return {"name": "datasource", "label": "Data source", "type": "datasource",
            "query": "prometheus", "hide": 0, "refresh": 1,
            "regex": "", "options": [], "skipUrlSync": False}


def var_query(name, label, query, regex="", multi=True, include_all=True,
              all_value=".*", hide=0, sort=1, desc=""):
    v = {"name": name, "label": label, "type": "query", "datasource": DS,
         "query": {"query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
         "regex": regex, "refresh": 2, "multi": multi, "includeAll": include_all,
         "hide": hide, "sort": sort, "options": [], "skipUrlSync": False}
    if include_all:
        v["current"] = {"selected": True, "text": ["All"], "value": ["$__all"]}
    if include_all and all_value is not None:
        v["allValue"] = all_value
    if desc:
        v["description"] = desc
    return v


def var_textbox(name, label, value, desc=""):
    return {"name": name, "label": label, "type": "textbox", "query": value,
            "current": {"selected": False, "text": value, "value": value},
            "options": [{"selected": True, "text": value, "value": value}],
            "hide": 0, "description": desc, "skipUrlSync": False}


def var_custom(name, label, options, default, desc=""):
    """A single-value custom variable; options are (text, value) pairs."""
    text = next(t for t, v in options if v == default)
    return {"name": name, "label": label, "type": "custom",
            "query": ",".join(f"{t} : {v}" for t, v in options),
            "current": {"selected": True, "text": text, "value": default},
            "options": [{"selected": v == default, "text": t, "value": v} for t, v in options],
            "multi": False, "includeAll": False, "hide": 0, "description": desc,
            "skipUrlSync": False}


CLUSTER_VAR = var_query(
    "cluster", "Cluster", "label_values(memacct_build_info, cluster)",
    desc="The cluster label: set by Thanos, Mimir or a federating Prometheus, or on "
         "the targets (the Helm chart's serviceMonitor.cluster). Without it: All.")
NODE_VAR = var_query(
    "node", "Node", 'label_values(memacct_build_info{cluster=~"$cluster"}, node)',
    desc="The node label, which the Helm chart's ServiceMonitor sets from the pod's "
         "node name (__meta_kubernetes_pod_node_name). Elsewhere add it by "
         "relabeling; without it only All works.")
LEVEL_VAR = var_custom(
    "level", "Level",
    [("containers", "container"), ("pods", "pod"), ("QoS classes", "qos"),
     ("kubepods", "kubepods"), ("node (root cgroup)", "root"), ("other cgroups", "other")],
    "container",
    desc="The cgroup level the panels sum over (the exporter's level label). A "
         "parent counts its children's memory again, so one level at a time.")
NAMESPACE_VAR = var_query(
    "namespace", "Namespace",
    f'query_result(count by (namespace) (kube_pod_info and on (uid) memacct_cgroup_info{{{WHERE}}}) '
    f'or count by (namespace) (memacct_cgroup_info{{{WHERE}, namespace!=""}}))',
    regex='/namespace="([^"]+)"/',
    desc="From kube-state-metrics (kube_pod_info, joined on the pod UID) or the "
         "exporter's own namespace label (--path.podlogs). Empty without both.")


def pod_var(extra_filter="", **kw):
    return var_query(
        "pod", "Pod",
        'query_result(max by (nspod, uid) ('
        f'label_join(kube_pod_info{{namespace=~"$namespace"{extra_filter}}}, "nspod", "/", "namespace", "pod") '
        f'and on (uid) memacct_cgroup_info{{{WHERE}}} '
        f'or label_join(memacct_cgroup_info{{{WHERE}, level="pod", pod!="", namespace=~"$namespace"{extra_filter}}}, '
        '"nspod", "/", "namespace", "pod")))',
        regex='/nspod="(?<text>[^"]+)".*uid="(?<value>[^"]+)"/',
        desc="Pods from kube_pod_info or the exporter's own pod label "
             "(--path.podlogs); the value is the pod UID that the cgroup series "
             "carry. Empty without both: use the cgroup variable.",
        **kw)


def cgroup_var(level=LEVEL):
    return var_query(
        "cgroup", "cgroup",
        f'query_result(count by (cgroup) (memacct_cgroup_info{{{WHERE}, {level}, '
        f'namespace=~"$namespace|", uid=~"$pod"}} {NS}))',
        regex='/cgroup="([^"]+)"/',
        desc="cgroup paths of the selected level on the selected nodes, narrowed by "
             "namespace and pod.")


def dashboard(uid, title, desc, tags, variables, panels):
    return {
        "uid": uid, "title": title, "description": desc, "tags": tags,
        "editable": True, "graphTooltip": 1, "fiscalYearStartMonth": 0,
        "liveNow": False, "refresh": "30s", "schemaVersion": 39, "version": 1,
        "time": {"from": "now-6h", "to": "now"}, "timepicker": {},
        "timezone": "browser", "weekStart": "",
        "annotations": {"list": []},
        "links": [{"type": "dashboards", "tags": ["memacct"], "asDropdown": False,
                   "includeVars": True, "keepTime": True, "title": "memacct",
                   "icon": "external link", "targetBlank": False, "tooltip": "", "url": ""}],
        "templating": {"list": variables},
        "panels": panels,
    }


# --- container memory dashboard --------------------------------------------


def container_dashboard():
    L = Layout()
    L.add(text("How to read this", """\
**Working set** = usage − inactive page cache: what the kubelet and
`container_memory_working_set_bytes` call memory. It is split here into parts
that add up: **anon** (heap, stacks: the leak candidate), **shmem** (tmpfs,
/dev/shm), **file_active** (page cache read more than once: hot, but
reclaimable), **kernel**, **other**; plus **file_inactive**, which usage
counts and the working set does not. When the working set grows while anon
and the processes' RSS stay flat, it is page cache, not a leak.

**Level** picks which cgroups the panels add up: containers (the default),
pods, QoS classes, kubepods, the node (root cgroup) or other cgroups. A
parent counts its children's memory again, so a panel shows one level at a
time; each panel's description says which. Then pick a pod (or a
cgroup)."""), 24, 6)

    L.row("Memory split (the selected level)")
    split = timeseries(
        "Memory split (stacked) with limit and memory.high",
        AT_LEVEL + "memacct_cgroup_memory_bytes by component, summed over the "
        "selected cgroups of that level; the components add up to their usage. "
        "Lines: the summed memory limits (memory.max / limit_in_bytes) and "
        "memory.high (v2) of the cgroups that have one, and the working set.",
        targets((f"sum by (component) ({cg('memacct_cgroup_memory_bytes')})", "{{component}}"),
                (f"sum({cg('memacct_cgroup_memory_limit_bytes')})", "limit"),
                (f"sum({cg('memacct_cgroup_memory_high_bytes')})", "memory.high"),
                (f"sum({cg('memacct_cgroup_memory_working_set_bytes')})", "working set")),
        stack=True, fill=60,
        overrides=[line_override("limit", "dark-red"),
                   line_override("memory.high", "dark-orange"),
                   line_override("working set", "super-light-blue", dash=False)]
        + [color_override(c, col) for c, col in COLORS.items()])
    L.add(split, 16, 10)
    L.add(timeseries(
        "Page-cache share of the working set",
        AT_LEVEL + "file_active over the working set, summed over the selected "
        "cgroups: the part of the working set the kernel can reclaim. Per cgroup "
        "it is the recording rule "
        "cgroup:memacct_cgroup_memory_file_active_per_working_set:ratio.",
        targets((f"sum({comp('file_active')}) / (sum({cg('memacct_cgroup_memory_working_set_bytes')}) > 0)",
                 "file_active / working set")),
        unit="percentunit", minv=0, maxv=1, fill=0), 8, 10)

    L.row("Working set vs the processes' RSS (workloads)")
    ws_wl = wl("memacct_cgroup_memory_working_set_bytes")
    rss_wl = f"sum without (component) ({wl('memacct_cgroup_process_rss_bytes')})"
    L.add(timeseries(
        "Working set vs processes' RSS",
        AT_WORKLOADS + "Summed over the selected workloads. RSS is what their "
        "processes map (memacct_cgroup_process_rss_bytes); the gap is memory charged "
        "to the cgroups that no process maps: page cache of files read or written, "
        "tmpfs, kernel memory.",
        targets((f"sum({ws_wl})", "working set"),
                (f"sum({rss_wl})", "processes' RSS"),
                (f"sum by (component) ({wl('memacct_cgroup_process_rss_bytes')})",
                 "RSS {{component}}"),
                (f"sum({ws_wl}) - sum({rss_wl})", "gap: charged, not mapped")),
        fill=0,
        overrides=[line_override("working set", "super-light-blue", dash=False),
                   line_override("processes' RSS", "green", dash=False),
                   line_override("gap: charged, not mapped", "orange")]), 12, 9)
    L.add(timeseries(
        "Working set − processes' RSS, per cgroup",
        AT_WORKLOADS + "Per workload: the memory no process maps. Large and growing "
        "while RSS is flat: page cache or tmpfs, not a leak. Shared pages counted in "
        "several processes' RSS can make it negative.",
        targets((f"{ws_wl} - {rss_wl}", "{{cgroup}}")),
        fill=0), 12, 9)

    L.row("Page cache: hot or stale (the selected level)")
    L.add(timeseries(
        "Refaults and activations (pages/s)",
        AT_LEVEL + "Per cgroup. workingset_refault: evicted pages read back in (the "
        "cache is too small); workingset_activate: refaulted pages hot enough to go "
        "straight to the active list. High file refaults = reads that should hit the "
        "cache go to disk. File refaults: exporter family pressure (on by default); "
        "the others: family reclaim (--collector.cgroup.families).",
        targets((cgr("rate", "memacct_cgroup_memory_workingset_refault_file_total"),
                 "{{cgroup}} refault file"),
                (cgr("rate", "memacct_cgroup_memory_workingset_refault_anon_total"),
                 "{{cgroup}} refault anon"),
                (cgr("rate", "memacct_cgroup_memory_workingset_activate_file_total"),
                 "{{cgroup}} activate file"),
                (cgr("rate", "memacct_cgroup_memory_workingset_activate_anon_total"),
                 "{{cgroup}} activate anon")),
        unit="short", fill=0), 12, 9)
    L.add(timeseries(
        "Reclaim: pgscan, pgsteal, major faults (pages/s)",
        AT_LEVEL + "Per cgroup. pgscan: pages the reclaimer looked at; pgsteal: "
        "pages it freed; pgmajfault: faults that needed I/O. Scanning much more than "
        "stealing means the cgroup's memory is hot. Exporter family reclaim "
        "(--collector.cgroup.families).",
        targets((cgr("rate", "memacct_cgroup_memory_pgscan_total"), "{{cgroup}} pgscan"),
                (cgr("rate", "memacct_cgroup_memory_pgsteal_total"), "{{cgroup}} pgsteal"),
                (cgr("rate", "memacct_cgroup_memory_pgmajfault_total"), "{{cgroup}} pgmajfault")),
        unit="short", fill=0), 12, 9)

    L.row("Pressure and memory.events (the selected level)")
    node = WHERE
    L.add(timeseries(
        "PSI: share of time stalled on memory",
        AT_LEVEL + "Per cgroup, and for each selected node: some = at least one task "
        "waited for memory; full = all non-idle tasks waited at once (lost wall time).",
        targets((cgr("rate", "memacct_cgroup_memory_pressure_waiting_seconds_total"),
                 "{{cgroup}} some (waiting)"),
                (cgr("rate", "memacct_cgroup_memory_pressure_stalled_seconds_total"),
                 "{{cgroup}} full (stalled)"),
                (f'rate(memacct_node_memory_pressure_waiting_seconds_total{{{node}}}'
                 '[$__rate_interval])', "node {{node}} some (waiting)"),
                (f'rate(memacct_node_memory_pressure_stalled_seconds_total{{{node}}}'
                 '[$__rate_interval])', "node {{node}} full (stalled)")),
        unit="percentunit", minv=0, fill=0), 12, 9)
    L.add(timeseries(
        "memory.events and failcnt (events per interval, non-zero only)",
        AT_LEVEL + "Per cgroup. v2 memory.events: high (throttled at memory.high), "
        "max (hit the limit), oom, oom_kill (a process was killed), low. v1: failcnt "
        "(limit hits). Exporter family events (--collector.cgroup.families).",
        targets((f"{cgr('increase', 'memacct_cgroup_memory_events_total')} > 0",
                 "{{cgroup}} {{event}}"),
                (f"{cgr('increase', 'memacct_cgroup_memory_failcnt_total')} > 0",
                 "{{cgroup}} failcnt")),
        unit="short", fill=0, legend_calcs=("sum", "max")), 12, 9)

    L.row("Top cgroups (the selected level)")
    top_cache = f"topk(10, sum without (component) ({cg('memacct_cgroup_memory_bytes', FILE)}))"
    L.add(table(
        "Top 10 by page cache (active + inactive file)",
        AT_LEVEL + "Page cache charged to each cgroup now. namespace and pod come "
        "from kube_pod_info where it is there, else from the exporter's labels.",
        [target(named(top_cache), ref="A", instant=True, table=True)],
        {"Value": "page cache"}, sort="page cache"), 12, 9)
    anon_growth = (f"topk(10, 3600 * sum without (component) "
                   f"({cgr('deriv', 'memacct_cgroup_memory_bytes', ANON, '1h')}))")
    L.add(table(
        "Top 10 by anonymous memory growth (per hour, last hour)",
        AT_LEVEL + "Least-squares slope of anon over the last hour, per hour. Steady "
        "growth here, toward the limit, is what a leak looks like.",
        [target(named(anon_growth), ref="A", instant=True, table=True)],
        {"Value": "anon growth / h"}, sort="anon growth / h"), 12, 9)
    L.add(timeseries(
        "Anonymous memory of the top 10 growers",
        AT_LEVEL + "anon of the cgroups whose anonymous memory grew fastest over the "
        "last hour.",
        targets((f"{comp('anon')} and ignoring (component) {anon_growth}", "{{cgroup}}")),
        fill=0), 24, 9)

    L.row("Per-cgroup split (the selected level)")
    cols = [(comp(c), c) for c in COMPONENTS] + [
        (cg("memacct_cgroup_memory_usage_bytes"), "usage"),
        (cg("memacct_cgroup_memory_working_set_bytes"), "working set"),
        (f"sum without (component) ({cg('memacct_cgroup_process_rss_bytes')})",
         "own processes' RSS"),
        (cg("memacct_cgroup_memory_limit_bytes"), "limit"),
        (cg("memacct_cgroup_processes"), "processes")]
    tg = [target(e, ref=chr(ord("A") + i), instant=True, table=True) for i, (e, _) in enumerate(cols)]
    renames = {f"Value #{chr(ord('A') + i)}": n for i, (_, n) in enumerate(cols)}
    L.add(table(
        "Split per cgroup (now)",
        AT_LEVEL + "One row per selected cgroup of that level: the components (they "
        "add up to usage), working set, the RSS and number of the cgroup's own "
        "processes (a pod or QoS slice has none: its processes are in its "
        "containers) and the limit. Do not add rows of different levels.",
        tg, renames, sort="working set",
        overrides=[{"matcher": {"id": "byName", "options": "processes"},
                    "properties": [{"id": "unit", "value": "none"}]}]), 24, 10)

    L.row("Node")
    L.add(timeseries(
        "Usage at each level (never add the lines)",
        "Level: one line per level, on the selected nodes: the node (root cgroup), "
        "kubepods, the pods summed and the containers summed. Each line holds the "
        "next: the gap from the node to kubepods is system services, the kernel and "
        "memory no cgroup is charged for; from pods to containers, the pod slices' "
        "own charge.",
        targets(*[(f'sum(memacct_cgroup_memory_usage_bytes{{{WHERE}, level="{lv}"}})', name)
                  for lv, name in [("root", "node (root)"), ("kubepods", "kubepods"),
                                   ("pod", "pods"), ("container", "containers")]]),
        fill=0), 12, 9)
    L.add(timeseries(
        "Node memory (meminfo, selected nodes)",
        AT_NODE + "/proc/meminfo: anon pages, shmem, active and inactive page cache, "
        "slab; lines MemTotal and MemAvailable.",
        # The exporter names meminfo fields in snake_case (MemTotal ->
        # memacct_node_memory_mem_total_bytes); legends keep the kernel's names.
        targets(*[(f"sum(memacct_node_memory_{m}_bytes{{{node}}})", f)
                  for m, f in [("anon_pages", "AnonPages"), ("shmem", "Shmem"),
                               ("active_file", "Active(file)"),
                               ("inactive_file", "Inactive(file)"),
                               ("slab_reclaimable", "SReclaimable"),
                               ("slab_unreclaimable", "SUnreclaim")]],
                (f"sum(memacct_node_memory_mem_total_bytes{{{node}}})", "MemTotal"),
                (f"sum(memacct_node_memory_mem_available_bytes{{{node}}})", "MemAvailable"),
                (f"sum(memacct_node_memory_cached_bytes{{{node}}})", "Cached"),
                (f"sum(memacct_node_memory_dirty_bytes{{{node}}}) + "
                 f"sum(memacct_node_memory_writeback_bytes{{{node}}})", "Dirty + Writeback")),
        stack=True, fill=50,
        overrides=[line_override("MemTotal", "dark-red"),
                   line_override("MemAvailable", "green"),
                   line_override("Cached", "yellow", dash=False),
                   line_override("Dirty + Writeback", "purple", dash=False)]), 12, 9)
    L.add(timeseries(
        "Node reclaim and refaults (pages/s)",
        AT_NODE + "/proc/vmstat: pgscan and pgsteal by kswapd (background) and direct "
        "(in the allocating task: latency), workingset refaults and activations "
        "(file, anon), major faults.",
        targets((f"rate(memacct_node_pgscan_total{{{node}}}[$__rate_interval])",
                 "{{node}} pgscan {{mode}}"),
                (f"rate(memacct_node_pgsteal_total{{{node}}}[$__rate_interval])",
                 "{{node}} pgsteal {{mode}}"),
                (f"rate(memacct_node_workingset_refault_file_total{{{node}}}[$__rate_interval])",
                 "{{node}} refault file"),
                (f"rate(memacct_node_workingset_refault_anon_total{{{node}}}[$__rate_interval])",
                 "{{node}} refault anon"),
                (f"rate(memacct_node_workingset_activate_file_total{{{node}}}[$__rate_interval])",
                 "{{node}} activate file"),
                (f"rate(memacct_node_workingset_activate_anon_total{{{node}}}[$__rate_interval])",
                 "{{node}} activate anon"),
                (f"rate(memacct_node_pgmajfault_total{{{node}}}[$__rate_interval])",
                 "{{node}} pgmajfault")),
        unit="short", fill=0), 24, 9)

    L.row("Exporter")
    L.add(timeseries(
        "Collector success", "Level: one line per exporter and collector. "
        "memacct_scrape_collector_success: 1 ok, 0 failed.",
        targets((f"memacct_scrape_collector_success{{{node}}}", "{{instance}} {{collector}}")),
        unit="none", fill=0, minv=0, maxv=1), 12, 7)
    L.add(timeseries(
        "Collector duration", "Level: one line per exporter and collector. "
        "memacct_scrape_collector_duration_seconds.",
        targets((f"memacct_scrape_collector_duration_seconds{{{node}}}",
                 "{{instance}} {{collector}}")),
        unit="s", fill=0), 12, 7)

    return dashboard(
        "memacct-container-memory", "memacct / Container memory",
        "Container memory split into parts that add up (anon, shmem, active and "
        "inactive page cache, kernel), beside the processes' RSS: a leak or page "
        "cache? One cgroup level at a time (containers by default).",
        ["memacct", "memory", "kubernetes"],
        [var_datasource(), CLUSTER_VAR, NODE_VAR, LEVEL_VAR, NAMESPACE_VAR, pod_var(),
         cgroup_var()],
        L.panels)


# --- JetStream dashboard ----------------------------------------------------


def jetstream_dashboard():
    L = Layout()
    cl = 'cluster=~"$cluster"'
    js = f'{cl}, account=~"$account", stream=~"$stream"'
    acct = f'{cl}, account=~"$account"'
    # One series per stream (per account) however many exporters poll it: the
    # chart runs one poller per NATS cluster, but nothing here assumes it.
    per_stream = "max by (cluster, account, stream, storage)"
    per_account = "max by (cluster, account)"
    POLLERS = "Level: one line per exporter that polls JetStream. "
    STREAMS = ("Level: one line per stream, the max over every exporter that polls "
               "it (never their sum). ")
    ACCOUNTS = "Level: one line per account, the max over the exporters that poll it. "

    L.row("Poller health")
    L.add(stat("JetStream up", POLLERS + "memacct_jetstream_up: the last poll succeeded.",
               targets((f"memacct_jetstream_up{{{cl}}}", "{{instance}}")),
               thresholds=[{"color": "red", "value": None}, {"color": "green", "value": 1}],
               mappings=[{"type": "value", "options": {
                   "0": {"text": "down", "index": 0}, "1": {"text": "up", "index": 1}}}]), 6, 5)
    L.add(stat("Since the last successful poll",
               POLLERS + "time() − memacct_jetstream_last_poll_success_timestamp_seconds. "
               "The poll interval is --nats.poll-interval (15 s by default).",
               targets((f"time() - memacct_jetstream_last_poll_success_timestamp_seconds{{{cl}}}",
                        "{{instance}}")),
               unit="s", thresholds=[{"color": "green", "value": None},
                                     {"color": "orange", "value": 60},
                                     {"color": "red", "value": 600}]), 6, 5)
    L.add(timeseries("Poll duration", POLLERS + "memacct_jetstream_poll_duration_seconds.",
                     targets((f"memacct_jetstream_poll_duration_seconds{{{cl}}}", "{{instance}}")),
                     unit="s", fill=0), 6, 5)
    L.add(timeseries("Poll errors, dropped streams and consumers (per interval)",
                     POLLERS + "memacct_jetstream_poll_errors_total, "
                     "streams_dropped_total (streams beyond --nats.max-streams) and "
                     "consumers_dropped_total (consumers beyond --nats.max-consumers).",
                     targets((f"increase(memacct_jetstream_poll_errors_total{{{cl}}}[$__rate_interval])",
                              "{{instance}} errors"),
                             (f"increase(memacct_jetstream_streams_dropped_total{{{cl}}}[$__rate_interval])",
                              "{{instance}} dropped streams"),
                             (f"increase(memacct_jetstream_consumers_dropped_total{{{cl}}}[$__rate_interval])",
                              "{{instance}} dropped consumers")),
                     unit="short", fill=0), 6, 5)

    L.row("Streams")
    L.add(timeseries("Stream bytes", STREAMS + "memacct_jetstream_stream_bytes.",
                     targets((f"{per_stream} (memacct_jetstream_stream_bytes{{{js}}})",
                              "{{account}}/{{stream}} ({{storage}})")), fill=0), 12, 9)
    L.add(timeseries("Stream messages", STREAMS + "memacct_jetstream_stream_messages.",
                     targets((f"{per_stream} (memacct_jetstream_stream_messages{{{js}}})",
                              "{{account}}/{{stream}}")), unit="short", fill=0), 12, 9)
    L.add(timeseries("Oldest message age",
                     STREAMS + "now − time of the stream's first message. The alert "
                     "MemacctJetStreamOldestMessageTooOld fires above 24 h unless max_age "
                     "keeps messages longer. Absent for empty streams.",
                     targets((f"{per_stream} (memacct_jetstream_stream_oldest_message_age_seconds{{{js}}})",
                              "{{account}}/{{stream}}")),
                     unit="s", fill=0), 12, 9)
    L.add(timeseries("Limit utilization",
                     STREAMS + "Stream size over max_bytes and message count over "
                     "max_msgs (0..1). MemacctJetStreamStreamNearLimit fires above 90%.",
                     targets((f"max by (cluster, account, stream, storage, limit) "
                              f"(memacct_jetstream_stream_limit_utilization_ratio{{{js}}})",
                              "{{account}}/{{stream}} {{limit}}")),
                     unit="percentunit", minv=0, maxv=1, fill=0), 12, 9)

    unb = f"{per_stream} (memacct_jetstream_stream_retention_unbounded{{{js}}}) == 1"
    L.add(table(
        "Unbounded streams",
        STREAMS + "Limits retention with no max_age, max_bytes or max_msgs: they keep "
        "every message until storage runs out (alert "
        "MemacctJetStreamStreamRetentionUnbounded).",
        [target(f"{per_stream} (memacct_jetstream_stream_bytes{{{js}}}) and ({unb})",
                ref="A", instant=True, table=True),
         target(f"{per_stream} (memacct_jetstream_stream_messages{{{js}}}) and ({unb})",
                ref="B", instant=True, table=True),
         target(f"{per_stream} (memacct_jetstream_stream_oldest_message_age_seconds{{{js}}}) and ({unb})",
                ref="C", instant=True, table=True)],
        {"Value #A": "bytes", "Value #B": "messages", "Value #C": "oldest message age"},
        sort="bytes",
        overrides=[{"matcher": {"id": "byName", "options": "messages"},
                    "properties": [{"id": "unit", "value": "short"}]},
                   {"matcher": {"id": "byName", "options": "oldest message age"},
                    "properties": [{"id": "unit", "value": "s"}]}]), 12, 9)
    cols = [("memacct_jetstream_stream_bytes", "bytes", "bytes"),
            ("memacct_jetstream_stream_max_bytes", "max_bytes", "bytes"),
            ("memacct_jetstream_stream_messages", "messages", "short"),
            ("memacct_jetstream_stream_max_messages", "max_msgs", "short"),
            ("memacct_jetstream_stream_max_age_seconds", "max_age", "s"),
            ("memacct_jetstream_stream_oldest_message_age_seconds", "oldest", "s"),
            ("memacct_jetstream_stream_consumers", "consumers", "none"),
            ("memacct_jetstream_stream_retention_time_bounded_only", "age limit only", "none")]
    L.add(columns_table(
        "Streams: size against limits",
        STREAMS + "max_bytes, max_msgs and max_age as configured: 0 or −1 mean "
        "unlimited. \"age limit only\" = 1: bounded by max_age alone, so size follows "
        "the publish rate.",
        per_stream, js, cols, "bytes"), 12, 9)

    L.row("Consumers")
    cons = f'{js}, consumer=~"$consumer"'
    per_consumer = "max by (cluster, account, stream, consumer)"
    CONSUMERS = ("Level: one line per consumer, the max over every exporter that polls "
                 "it (never their sum). ")
    L.add(timeseries(
        "Consumer pending messages",
        CONSUMERS + "Messages of the stream the consumer has not delivered yet "
        "(num_pending). MemacctJetStreamConsumerPendingGrowing fires when it has grown "
        "in every 5 minutes of the last 15.",
        targets((f"{per_consumer} (memacct_jetstream_consumer_pending_messages{{{cons}}})",
                 "{{stream}}/{{consumer}}")), unit="short", fill=0), 12, 9)
    L.add(timeseries(
        "Consumer ack pending against max_ack_pending",
        CONSUMERS + "Messages delivered and not acknowledged, over the consumer's "
        "max_ack_pending (0..1; consumers without a limit are left out). At 1 the "
        "server delivers nothing more: MemacctJetStreamConsumerAckPendingAtMax fires "
        "after 15 minutes there.",
        targets((f"{per_consumer} (memacct_jetstream_consumer_ack_pending_messages{{{cons}}}) / "
                 f"({per_consumer} (memacct_jetstream_consumer_max_ack_pending{{{cons}}}) > 0)",
                 "{{stream}}/{{consumer}}")),
        unit="percentunit", minv=0, maxv=1, fill=0), 12, 9)
    L.add(timeseries(
        "Redelivered messages and waiting pull requests",
        CONSUMERS + "Messages delivered more than once and not acknowledged yet "
        "(num_redelivered: clients that fail or time out), and the pull requests waiting "
        "for messages (num_waiting: how many clients are pulling).",
        targets((f"{per_consumer} (memacct_jetstream_consumer_redelivered_messages{{{cons}}})",
                 "{{stream}}/{{consumer}} redelivered"),
                (f"{per_consumer} (memacct_jetstream_consumer_waiting_requests{{{cons}}})",
                 "{{stream}}/{{consumer}} waiting pulls")),
        unit="short", fill=0), 12, 9)
    ccols = [("memacct_jetstream_consumer_pending_messages", "pending", "short"),
             ("memacct_jetstream_consumer_ack_pending_messages", "ack pending", "short"),
             ("memacct_jetstream_consumer_max_ack_pending", "max_ack_pending", "short"),
             ("memacct_jetstream_consumer_redelivered_messages", "redelivered", "short"),
             ("memacct_jetstream_consumer_waiting_requests", "waiting pulls", "short"),
             ("memacct_jetstream_consumer_last_delivery_age_seconds", "last delivery", "s"),
             ("memacct_jetstream_consumer_last_ack_age_seconds", "last ack", "s")]
    L.add(columns_table(
        "Consumers",
        CONSUMERS + "The consumers of the selected streams, the largest backlog first. "
        "last delivery and last ack: how long ago (absent when the server reports "
        "none). max_ack_pending −1 or 0: unlimited.",
        per_consumer, cons, ccols, "pending"), 12, 9)

    L.row("Clustered streams: leaders and replicas")
    per_replica = "max by (cluster, account, stream, server)"
    REPLICAS = ("Level: one line per replica (stream and server), the max over every "
                "exporter that polls it. ")
    L.add(table(
        "Replicas not current or offline",
        REPLICAS + "Replicas that their stream's leader reports offline or not caught "
        "up, with how far behind (operations) and how long since it last heard from them. "
        "MemacctJetStreamReplicaLagging fires after 10 minutes. nats-server 2.9 marks a "
        "replica offline only when its server shut down cleanly; after a crash it shows "
        "not current, its last_seen growing.",
        [target(f"{per_replica} (memacct_jetstream_stream_replica_lag{{{js}}}) and on "
                f"(cluster, account, stream, server) ({per_replica} "
                f"(memacct_jetstream_stream_replica_current{{{js}}}) == 0 or {per_replica} "
                f"(memacct_jetstream_stream_replica_offline{{{js}}}) == 1)",
                ref="A", instant=True, table=True),
         target(f"{per_replica} (memacct_jetstream_stream_replica_last_seen_seconds{{{js}}}) and on "
                f"(cluster, account, stream, server) ({per_replica} "
                f"(memacct_jetstream_stream_replica_current{{{js}}}) == 0 or {per_replica} "
                f"(memacct_jetstream_stream_replica_offline{{{js}}}) == 1)",
                ref="B", instant=True, table=True),
         target(f"{per_replica} (memacct_jetstream_stream_replica_offline{{{js}}}) and on "
                f"(cluster, account, stream, server) ({per_replica} "
                f"(memacct_jetstream_stream_replica_current{{{js}}}) == 0 or {per_replica} "
                f"(memacct_jetstream_stream_replica_offline{{{js}}}) == 1)",
                ref="C", instant=True, table=True)],
        {"Value #A": "lag", "Value #B": "last seen", "Value #C": "offline"},
        sort="lag", unit="short",
        overrides=[{"matcher": {"id": "byName", "options": "last seen"},
                    "properties": [{"id": "unit", "value": "s"}]}]), 12, 8)
    L.add(timeseries(
        "Streams led by each server",
        "Level: one line per NATS server, the streams it leads (max over the exporters "
        "for each stream, then counted). A server that leads nothing after a restart "
        "has not taken leaderships back.",
        targets((f"count by (cluster, server) ({per_replica} "
                 f"(memacct_jetstream_stream_replica_leader{{{js}}}) == 1)", "{{server}}")),
        unit="short", fill=0), 6, 8)
    L.add(timeseries(
        "Streams missing from the stream list",
        "Level: one line per account, the streams whose leader did not answer the last "
        "poll's stream list (memacct_jetstream_stream_missing: their series hold the last "
        "values seen), the max over the exporters for each stream, then counted.",
        targets((f"count by (cluster, account) ({per_stream.replace(', storage', '')} "
                 f"(memacct_jetstream_stream_missing{{{js}}}) == 1)", "{{account}} missing")),
        unit="short", fill=0), 6, 8)

    L.row("Accounts")
    L.add(timeseries(
        "Account storage: used vs reserved",
        ACCOUNTS + "File and memory storage used by each account, and what its "
        "JetStream limits reserve (0 = no reservation).",
        targets((f"{per_account} (memacct_jetstream_account_storage_bytes{{{acct}}})",
                 "{{account}} file used"),
                (f"{per_account} (memacct_jetstream_account_reserved_storage_bytes{{{acct}}})",
                 "{{account}} file reserved"),
                (f"{per_account} (memacct_jetstream_account_memory_bytes{{{acct}}})",
                 "{{account}} memory used"),
                (f"{per_account} (memacct_jetstream_account_reserved_memory_bytes{{{acct}}})",
                 "{{account}} memory reserved")),
        fill=0, overrides=[{"matcher": {"id": "byRegexp", "options": ".* reserved"},
                            "properties": [{"id": "custom.lineStyle",
                                            "value": {"fill": "dash", "dash": [10, 10]}}]}]), 12, 8)
    L.add(timeseries(
        "Account API requests and errors (per second)",
        ACCOUNTS + "JetStream API calls per account and the ones that failed.",
        targets((f"{per_account} (rate(memacct_jetstream_account_api_requests_total{{{acct}}}[$__rate_interval]))",
                 "{{account}} requests"),
                (f"{per_account} (rate(memacct_jetstream_account_api_errors_total{{{acct}}}[$__rate_interval]))",
                 "{{account}} errors")),
        unit="reqps", fill=0), 6, 8)
    L.add(timeseries(
        "Account streams and consumers", ACCOUNTS.strip(),
        targets((f"{per_account} (memacct_jetstream_account_streams{{{acct}}})", "{{account}} streams"),
                (f"{per_account} (memacct_jetstream_account_consumers{{{acct}}})", "{{account}} consumers")),
        unit="short", fill=0), 6, 8)

    L.row("NATS server container: memory beside its streams")
    ws_parts = [c for c in COMPONENTS if c != "file_inactive"]
    WS_PARTS = 'component=~"' + "|".join(ws_parts) + '"'
    NATS = ("Level: containers, of the NATS pod picked above (its server and, where "
            "the runtime has one, pause container); with \"~any pod\", every container "
            "on the selected nodes. ")
    L.add(timeseries(
        "NATS server: working-set split and stream bytes",
        NATS + "The working set, split (anon, shmem, file_active, kernel, other add up "
        "to it), beside the bytes its streams hold. File-storage streams that are read "
        "show up as file_active page cache, not as a leak; memory-storage streams are "
        "anon.",
        targets((f"sum by (component) ({cg('memacct_cgroup_memory_bytes', WS_PARTS, CONTAINER)})",
                 "{{component}}"),
                (f"sum({cg('memacct_cgroup_memory_working_set_bytes', '', CONTAINER)})", "working set"),
                (f"sum({cg('memacct_cgroup_memory_limit_bytes', '', CONTAINER)})", "limit"),
                (f"sum by (storage) ({per_stream} (memacct_jetstream_stream_bytes{{{acct}}}))",
                 "stream bytes ({{storage}})")),
        stack=True, fill=60,
        overrides=[line_override("working set", "super-light-blue", dash=False),
                   line_override("limit", "dark-red"),
                   line_override("stream bytes (file)", "green"),
                   line_override("stream bytes (memory)", "dark-green")]
        + [color_override(c, COLORS[c]) for c in ws_parts]), 16, 10)
    L.add(timeseries(
        "NATS server: RSS and page cache",
        NATS + "The NATS processes' RSS against the page cache and anon charged to "
        "their containers.",
        targets((f"sum({cg('memacct_cgroup_process_rss_bytes', '', CONTAINER)})", "processes' RSS"),
                (f"sum({cg('memacct_cgroup_memory_bytes', FILE, CONTAINER)})", "page cache"),
                (f"sum({cg('memacct_cgroup_memory_bytes', ANON, CONTAINER)})", "anon")),
        fill=0), 8, 10)

    nats_pod = pod_var(', pod=~"$nats_pod_regex"', multi=False, include_all=False)
    # One extra option, "~any pod" (value ".*"), for clusters without pod
    # names or NATS outside Kubernetes; it sorts last.
    nats_pod["query"]["query"] = (
        nats_pod["query"]["query"][:-1] + ' or label_replace(label_replace(vector(1), '
        '"nspod", "~any pod", "", ""), "uid", ".*", "", ""))')
    nats_pod["description"] = ("The NATS server's pod (pods whose name matches the "
                               "NATS pod regex; value: the pod UID). \"~any pod\" "
                               "matches every cgroup: then pick the cgroup.")
    return dashboard(
        "memacct-jetstream", "memacct / JetStream",
        "JetStream streams: size, messages, oldest message age, retention limits, their "
        "consumers' backlogs and acks, clustered streams' replicas, and account storage, "
        "one series per stream (consumer, replica) however many exporters poll it, "
        "beside the NATS server container's memory split.",
        ["memacct", "nats", "jetstream"],
        [var_datasource(), CLUSTER_VAR,
         var_query("account", "Account",
                   f'label_values(memacct_jetstream_account_storage_bytes{{{cl}}}, account)'),
         var_query("stream", "Stream",
                   f'label_values(memacct_jetstream_stream_bytes{{{cl}, account=~"$account"}}, stream)'),
         var_query("consumer", "Consumer",
                   f'label_values(memacct_jetstream_consumer_pending_messages{{{cl}, '
                   f'account=~"$account", stream=~"$stream"}}, consumer)'),
         NODE_VAR, NAMESPACE_VAR,
         var_textbox("nats_pod_regex", "NATS pod regex", ".*(nats|jetstream).*",
                     "Regex on pod names that the Pod list is drawn from."),
         nats_pod, cgroup_var(CONTAINER)],
        L.panels)


def render(d):
    return json.dumps(d, indent=2, ensure_ascii=False) + "\n"


def main():
    outputs = {"memacct-container-memory.json": render(container_dashboard()),
               "memacct-jetstream.json": render(jetstream_dashboard())}
    check = "--check" in sys.argv[1:]
    stale = []
    for name, content in outputs.items():
        path = os.path.join(HERE, name)
        if check:
            try:
                with open(path, encoding="utf-8") as f:
                    if f.read() != content:
                        stale.append(name)
            except FileNotFoundError:
                stale.append(name)
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(content)
            print(f"wrote {path}")
    if stale:
        print("out of date (run python3 dashboards/generate.py): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
