#!/usr/bin/env bash
# rules.sh: checks what ships in dashboards/ without a running Prometheus:
#   - promtool check rules on dashboards/rules/memacct.rules.yml;
#   - promtool test rules on dashboards/rules/tests/*.yml;
#   - every alert has a severity label (info|warning|critical), summary,
#     description and a runbook_url ending in #runbook-<alertname lowercase>,
#     and at least one test where it fires and one where it stays silent;
#     recording rules are named level:metric:operation;
#   - one alert per incident: every alert on per-cgroup series joins
#     cgroup:memacct_cgroup_info:workload (containers and leaf services, not
#     their ancestors); every JetStream stream (and replica) alert takes
#     the max by stream, every consumer alert the max by stream and
#     consumer, without instance, pod or node (once per stream or consumer,
#     however many exporters poll it);
#   - every dashboard JSON loads, has schemaVersion and a datasource variable
#     named "datasource", uses no datasource uid but ${datasource}, and every
#     panel target has an expr; every panel's description says its level
#     ("Level: ..."); every per-cgroup selector in a panel names
#     one level (level="..."), so that no panel sums across levels; the
#     panel and variable queries parse as
#     PromQL (promtool check rules on them, Grafana variables substituted);
#   - every memacct_* / kube_* name in the rules and dashboards is a metric
#     the exporter exports (the list below) or kube_pod_info;
#   - dashboards/generate.py --check: the JSON is what the generator writes;
#   - README.md, once it has "### Runbook: " sections, has one per alert.
# It does not run the queries against data (another test does that).
# Exit 0 ok, 1 a check failed, 77 skipped (no promtool). Needs python3.
set -u

SRC=${MEMACCT_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
RULES=$SRC/dashboards/rules/memacct.rules.yml
TESTS=$SRC/dashboards/rules/tests

if ! command -v promtool >/dev/null 2>&1; then
	echo "SKIPPED: promtool not installed"
	exit 77
fi
if ! command -v python3 >/dev/null 2>&1; then
	echo "FAIL: python3 is needed to check the dashboards"
	exit 1
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failed=0
fail() { echo "FAIL: $*"; failed=1; }

echo "promtool: $(promtool --version 2>&1 | head -n1)"
echo "source:   $SRC"

echo "== promtool check rules ${RULES#"$SRC"/}"
promtool check rules "$RULES" || fail "promtool check rules"

shopt -s nullglob
tests=("$TESTS"/*.yml)
if [ ${#tests[@]} -eq 0 ]; then
	fail "no rule tests in ${TESTS#"$SRC"/}"
else
	echo "== promtool test rules ${tests[*]#"$SRC"/}"
	promtool test rules "${tests[@]}" || fail "promtool test rules"
fi

echo "== rules, tests, dashboards: structure and names"
python3 - "$SRC" "$TMP/queries.yml" <<'PY' || failed=1
import glob, json, os, re, sys

src, queries_out = sys.argv[1], sys.argv[2]
errors = []
def err(msg): errors.append(msg); print("FAIL: " + msg)

# The exporter's metrics (README's metric tables, the reference for names): the
# contract the queries use. meminfo gauges are snake_case (mem_total_bytes).
METRICS = set("""
memacct_cgroup_memory_bytes memacct_cgroup_memory_usage_bytes
memacct_cgroup_memory_working_set_bytes memacct_cgroup_memory_limit_bytes
memacct_cgroup_memory_high_bytes memacct_cgroup_memory_low_bytes
memacct_cgroup_memory_min_bytes memacct_cgroup_memory_peak_bytes
memacct_cgroup_memory_swap_bytes memacct_cgroup_memory_file_mapped_bytes
memacct_cgroup_memory_file_dirty_bytes memacct_cgroup_memory_file_writeback_bytes
memacct_cgroup_memory_events_total memacct_cgroup_memory_failcnt_total
memacct_cgroup_memory_pressure_waiting_seconds_total
memacct_cgroup_memory_pressure_stalled_seconds_total
memacct_cgroup_memory_workingset_refault_file_total
memacct_cgroup_memory_workingset_refault_anon_total
memacct_cgroup_memory_workingset_activate_file_total
memacct_cgroup_memory_workingset_activate_anon_total memacct_cgroup_memory_pgscan_total
memacct_cgroup_memory_pgsteal_total memacct_cgroup_memory_pgmajfault_total
memacct_cgroup_info memacct_cgroup_processes memacct_cgroup_process_rss_bytes
memacct_cgroup_process_swap_bytes memacct_cgroup_process_pss_bytes
memacct_node_memory_mem_total_bytes memacct_node_memory_mem_available_bytes
memacct_node_memory_cached_bytes memacct_node_memory_active_file_bytes
memacct_node_memory_inactive_file_bytes memacct_node_memory_shmem_bytes
memacct_node_memory_dirty_bytes memacct_node_memory_writeback_bytes
memacct_node_memory_anon_pages_bytes memacct_node_memory_slab_reclaimable_bytes
memacct_node_memory_slab_unreclaimable_bytes memacct_node_memory_kernel_stack_bytes
memacct_node_memory_page_tables_bytes memacct_node_memory_swap_total_bytes
memacct_node_memory_swap_free_bytes memacct_node_memory_pressure_waiting_seconds_total
memacct_node_memory_pressure_stalled_seconds_total
memacct_node_workingset_refault_file_total memacct_node_workingset_refault_anon_total
memacct_node_workingset_activate_file_total memacct_node_workingset_activate_anon_total
memacct_node_pgscan_total memacct_node_pgsteal_total memacct_node_pgmajfault_total
memacct_jetstream_stream_bytes memacct_jetstream_stream_messages
memacct_jetstream_stream_first_seq memacct_jetstream_stream_last_seq
memacct_jetstream_stream_oldest_message_age_seconds
memacct_jetstream_stream_newest_message_age_seconds
memacct_jetstream_stream_consumers memacct_jetstream_stream_subjects
memacct_jetstream_stream_deleted_messages memacct_jetstream_stream_max_age_seconds
memacct_jetstream_stream_max_bytes memacct_jetstream_stream_max_messages
memacct_jetstream_stream_max_messages_per_subject memacct_jetstream_stream_info
memacct_jetstream_stream_retention_unbounded
memacct_jetstream_stream_retention_time_bounded_only
memacct_jetstream_stream_limit_utilization_ratio
memacct_jetstream_account_storage_bytes memacct_jetstream_account_memory_bytes
memacct_jetstream_account_reserved_storage_bytes
memacct_jetstream_account_reserved_memory_bytes memacct_jetstream_account_streams
memacct_jetstream_account_consumers memacct_jetstream_account_api_requests_total
memacct_jetstream_account_api_errors_total
memacct_jetstream_account_max_storage_bytes memacct_jetstream_account_max_memory_bytes
memacct_jetstream_account_max_streams memacct_jetstream_account_max_consumers
memacct_jetstream_up memacct_jetstream_poll_streams memacct_jetstream_poll_streams_listed
memacct_jetstream_last_poll_success_timestamp_seconds
memacct_jetstream_poll_duration_seconds memacct_jetstream_poll_errors_total
memacct_jetstream_streams_dropped_total memacct_jetstream_poll_limit_hits_total
memacct_jetstream_stream_missing memacct_jetstream_stream_replica_leader
memacct_jetstream_stream_replica_current memacct_jetstream_stream_replica_offline
memacct_jetstream_stream_replica_lag memacct_jetstream_stream_replica_last_seen_seconds
memacct_jetstream_consumer_pending_messages memacct_jetstream_consumer_ack_pending_messages
memacct_jetstream_consumer_redelivered_messages memacct_jetstream_consumer_waiting_requests
memacct_jetstream_consumer_delivered_stream_seq memacct_jetstream_consumer_ack_floor_stream_seq
memacct_jetstream_consumer_last_delivery_age_seconds memacct_jetstream_consumer_last_ack_age_seconds
memacct_jetstream_consumer_max_ack_pending memacct_jetstream_consumer_info
memacct_jetstream_poll_consumers memacct_jetstream_poll_consumers_listed
memacct_jetstream_consumers_dropped_total memacct_jetstream_poll_consumer_lists
memacct_jetstream_poll_requests
memacct_build_info memacct_scrape_collector_duration_seconds
memacct_scrape_collector_success memacct_cgroup_read_errors_total
memacct_process_vanished_total
kube_pod_info
""".split())
RECORD_RE = re.compile(r"^[a-z][a-z0-9_]*:[a-zA-Z_][a-zA-Z0-9_]*:[a-z0-9_]+$")
RULE_NAME_RE = re.compile(r"\b[a-z][a-z0-9_]*:[a-zA-Z_][a-zA-Z0-9_]*:[a-z0-9_]+\b")
NAME_RE = re.compile(r"\b((?:memacct|kube)_[a-zA-Z0-9_]*)")

def unknown_names(expr, records):
    """Metric-looking names in expr that are neither exported nor recorded."""
    bad = set()
    for rec in RULE_NAME_RE.findall(expr):
        if rec not in records:
            bad.add(rec)
    stripped = RULE_NAME_RE.sub(" ", expr)
    stripped = re.sub(r'"(?:[^"\\]|\\.)*"', '""', stripped)  # label values
    for name in NAME_RE.findall(stripped):
        if name not in METRICS:
            bad.add(name)
    return sorted(bad)

# --- rules ---------------------------------------------------------------
rules_path = os.path.join(src, "dashboards/rules/memacct.rules.yml")
rules_text = open(rules_path, encoding="utf-8").read()
try:
    import yaml
except ImportError:
    yaml = None

def load_rules():
    if yaml:
        doc = yaml.safe_load(rules_text)
        return [r for g in doc["groups"] for r in g["rules"]]
    # Fallback without PyYAML: the file's own block layout.
    rules, cur, key = [], None, None
    for line in rules_text.splitlines():
        m = re.match(r"^\s*- (alert|record): *(\S+)", line)
        if m:
            cur = {m.group(1): m.group(2)}; rules.append(cur); key = None
            continue
        if cur is None:
            continue
        m = re.match(r"^\s+(expr|severity|summary|description|runbook_url):\s*(.*)$", line)
        if m:
            key = m.group(1)
            val = m.group(2).strip().strip('"')
            if key == "severity":
                cur.setdefault("labels", {})["severity"] = val
            elif key == "expr":
                cur["expr"] = "" if val in ("|", ">-", ">") else val
            else:
                cur.setdefault("annotations", {})[key] = val or "(block)"
        elif key == "expr" and line.strip() and not line.strip().startswith("#"):
            cur["expr"] += " " + line.strip()
    return rules

rules = load_rules()
records = {r["record"] for r in rules if "record" in r}
alerts = [r for r in rules if "alert" in r]
print(f"rules: {len(records)} recording rules, {len(alerts)} alerts "
      f"({'PyYAML' if yaml else 'line parser'})")
for rec in sorted(records):
    if not RECORD_RE.match(rec):
        err(f"recording rule {rec}: not named level:metric:operation")
for r in rules:
    name = r.get("alert") or r.get("record")
    for bad in unknown_names(r.get("expr", ""), records):
        err(f"rule {name}: {bad} is not an exported metric nor a recording rule")
for a in alerts:
    name = a["alert"]
    sev = a.get("labels", {}).get("severity")
    if sev not in ("info", "warning", "critical"):
        err(f"alert {name}: severity label is {sev!r}")
    ann = a.get("annotations", {})
    for k in ("summary", "description", "runbook_url"):
        if not ann.get(k):
            err(f"alert {name}: no {k} annotation")
    want = "#runbook-" + name.lower()
    if not ann.get("runbook_url", "").endswith(want):
        err(f"alert {name}: runbook_url does not end in {want}")
    print(f"  alert {name}: severity={sev}, runbook {want}")

# One alert per incident.
for a in alerts:
    name, expr = a["alert"], a.get("expr", "")
    if re.search(r"\bcgroup:|memacct_cgroup_", expr) and "cgroup:memacct_cgroup_info:workload" not in expr:
        err(f"alert {name}: reads per-cgroup series but does not join "
            "cgroup:memacct_cgroup_info:workload: it would fire once per ancestor")
    if "memacct_jetstream_stream_" in expr or "memacct_jetstream_consumer_" in expr:
        bys = re.findall(r"max by \(([^)]*)\)", expr)
        if not bys or any(re.search(r"\b(instance|pod|node)\b", b) for b in bys):
            err(f"alert {name}: a stream alert must take max by (stream, ...) without "
                "instance, pod or node, to fire once per stream")
    if "memacct_jetstream_consumer_" in expr:
        if any(not re.search(r"\bconsumer\b", b) for b in re.findall(r"max by \(([^)]*)\)", expr)):
            err(f"alert {name}: a consumer alert must take max by (..., stream, consumer) "
                "to fire once per consumer")

# --- rule tests: each alert fires somewhere and stays silent somewhere ----
fires, silent = set(), set()
for path in sorted(glob.glob(os.path.join(src, "dashboards/rules/tests/*.yml"))):
    text = open(path, encoding="utf-8").read()
    for m in re.finditer(r"alertname:\s*(\S+)\s*\n\s*exp_alerts:\s*(\[\s*\])?", text):
        (silent if m.group(2) else fires).add(m.group(1))
for a in alerts:
    name = a["alert"]
    if name not in fires:
        err(f"alert {name}: no test where it fires")
    if name not in silent:
        err(f"alert {name}: no test where it stays silent")
print(f"tests: {len(fires)} alerts tested firing, {len(silent)} tested silent")

# --- dashboards ----------------------------------------------------------
def walk_panels(panels):
    for p in panels:
        yield p
        yield from walk_panels(p.get("panels", []))

def datasource_refs(node, path="$"):
    """(path, value) of every "datasource" key anywhere in the JSON."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "datasource":
                yield path + "." + k, v
            yield from datasource_refs(v, path + "." + k)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from datasource_refs(v, f"{path}[{i}]")

DS_OK = ("${datasource}", "$datasource")
queries = []  # (where, promql)

def substitute(expr, textboxes):
    expr = re.sub(r"\$__rate_interval|\$\{__rate_interval\}|\$__interval|\$\{__interval\}"
                  r"|\$__range|\$\{__range\}", "5m", expr)
    for name, value in textboxes.items():
        expr = expr.replace("${" + name + "}", value).replace("$" + name, value)
    return re.sub(r"\$\{[A-Za-z0-9_]+(?::[a-z]+)?\}|\$[A-Za-z_][A-Za-z0-9_]*", ".*", expr)

def variable_promql(q):
    """The PromQL inside a Grafana Prometheus variable query, or None."""
    q = q.strip()
    m = re.match(r"^label_values\((.*),\s*[A-Za-z_][A-Za-z0-9_]*\s*\)$", q, re.S)
    if m:
        return m.group(1)
    if re.match(r"^label_values\(\s*[A-Za-z_][A-Za-z0-9_]*\s*\)$", q):
        return None
    m = re.match(r"^query_result\((.*)\)$", q, re.S)
    if m:
        return m.group(1)
    m = re.match(r"^metrics\((.*)\)$", q, re.S)
    if m:
        return None
    return q

dash_files = sorted(glob.glob(os.path.join(src, "dashboards/*.json")))
if not dash_files:
    err("no dashboards/*.json")
for path in dash_files:
    rel = os.path.relpath(path, src)
    try:
        d = json.load(open(path, encoding="utf-8"))
    except (OSError, ValueError) as e:
        err(f"{rel}: does not load as JSON: {e}")
        continue
    if not isinstance(d.get("schemaVersion"), int):
        err(f"{rel}: no integer schemaVersion")
    variables = d.get("templating", {}).get("list", [])
    vnames = {v.get("name"): v for v in variables}
    dsv = vnames.get("datasource")
    if not dsv or dsv.get("type") != "datasource" or dsv.get("query") != "prometheus":
        err(f"{rel}: no variable 'datasource' of type datasource (prometheus)")
    for want in ("cluster", "node", "namespace", "pod", "cgroup"):
        if want not in vnames:
            err(f"{rel}: no variable {want}")
    for where, ref in datasource_refs(d):
        if isinstance(ref, dict):
            if ref.get("uid") not in DS_OK:
                err(f"{rel}: {where} uid is {ref.get('uid')!r}, not ${{datasource}}")
        elif ref not in DS_OK:
            err(f"{rel}: {where} is {ref!r}, not ${{datasource}}")
    textboxes = {v["name"]: str(v.get("query", "")) for v in variables
                 if v.get("type") in ("textbox", "constant", "custom")
                 and v.get("type") != "custom"}
    for v in variables:
        if v.get("type") != "query":
            continue
        q = v.get("query")
        q = q.get("query", "") if isinstance(q, dict) else (q or "")
        if not q:
            err(f"{rel}: variable {v['name']} has no query")
            continue
        pq = variable_promql(q)
        if pq is not None:
            queries.append((f"{rel} variable {v['name']}", substitute(pq, textboxes)))
    ids, panels, ntargets = set(), 0, 0
    for p in walk_panels(d.get("panels", [])):
        panels += 1
        title = p.get("title", "?")
        if p.get("id") in ids:
            err(f"{rel}: panel id {p.get('id')} used twice")
        ids.add(p.get("id"))
        if "gridPos" not in p:
            err(f"{rel}: panel {title!r} has no gridPos")
        if p.get("type") not in ("row", "text") and not p.get("targets"):
            err(f"{rel}: panel {title!r} has no targets")
        if p.get("type") not in ("row", "text") and "Level:" not in p.get("description", ""):
            err(f"{rel}: panel {title!r}: its description does not say its level (\"Level: ...\")")
        for t in p.get("targets", []):
            ntargets += 1
            expr = t.get("expr", "")
            if not isinstance(expr, str) or not expr.strip():
                err(f"{rel}: panel {title!r} target {t.get('refId')} has no expr")
                continue
            queries.append((f"{rel} panel {title!r} {t.get('refId')}", substitute(expr, textboxes)))
            # Every per-cgroup selector picks one level. The one bare name
            # allowed is the workload filter "and ignoring (component)
            # memacct_cgroup_processes > 0" (a filter, never summed).
            for m in re.finditer(r"(memacct_cgroup_[a-z_]+)(\{[^}]*\})?", expr):
                if m.group(2) is None:
                    if not (m.group(1) == "memacct_cgroup_processes"
                            and expr[:m.start()].endswith("and ignoring (component) ")):
                        err(f"{rel}: panel {title!r} {t.get('refId')}: {m.group(1)} without a "
                            "level matcher")
                elif not re.search(r'(^|[{,]\s*)level="', m.group(2)):
                    err(f"{rel}: panel {title!r} {t.get('refId')}: {m.group(1)}{m.group(2)[:40]}... "
                        "has no level=\"...\" matcher: it would sum across levels")
    print(f"{rel}: schemaVersion {d.get('schemaVersion')}, {len(variables)} variables, "
          f"{panels} panels, {ntargets} targets")

for where, q in queries:
    for bad in unknown_names(q, records):
        err(f"{where}: {bad} is not an exported metric (or kube_pod_info)")

# One recording rule per query, for promtool to parse.
with open(queries_out, "w", encoding="utf-8") as f:
    f.write("groups:\n  - name: dashboard_queries\n    rules:\n")
    for i, (where, q) in enumerate(queries):
        f.write(f"      # {where}\n      - record: dashboard_query_{i}\n")
        f.write("        expr: " + json.dumps(q) + "\n")
print(f"queries: {len(queries)} panel and variable queries written for promtool")

# --- README runbook sections ------------------------------------------------
readme = os.path.join(src, "README.md")
text = open(readme, encoding="utf-8").read() if os.path.exists(readme) else ""
if "### Runbook: " in text:
    for a in alerts:
        if f"### Runbook: {a['alert']}\n" not in text:
            err(f"README.md: no section '### Runbook: {a['alert']}'")
    print("README.md: runbook sections checked")
else:
    print("README.md: no '### Runbook: ' sections yet, not checked")

sys.exit(1 if errors else 0)
PY

if [ -s "$TMP/queries.yml" ]; then
	echo "== promtool check rules (dashboard queries as PromQL)"
	if ! out=$(promtool check rules "$TMP/queries.yml" 2>&1); then
		echo "$out"
		fail "a dashboard query does not parse"
	else
		echo "$out" | tail -n1
	fi
fi

if [ -f "$SRC/dashboards/generate.py" ]; then
	echo "== dashboards/generate.py --check"
	python3 "$SRC/dashboards/generate.py" --check || fail "dashboards differ from generate.py's output"
fi

if [ "$failed" -ne 0 ]; then
	echo "rules.sh: FAILED"
	exit 1
fi
echo "rules.sh: all checks passed"
