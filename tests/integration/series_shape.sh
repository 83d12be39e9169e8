#!/usr/bin/env bash
# Series people can afford, through the real binary and HTTP:
#   - by default a container carries at most 20 series: 20 on a copy of the
#     v2 capture whose container has memory.low and memory.min set (the
#     worst case of the default families), each one named here;
#   - memacct_cgroup_info is 1 per cgroup and the only series with qos and
#     runtime; every per-cgroup series has a level;
#   - --collector.cgroup.levels=container,pod exports those two levels only;
#   - --collector.cgroup.families=all adds the opt-in families (37 for the
#     container here, 33 for its pod);
#   - /metrics?collect[]=NAME (node_exporter's parameter, repeatable,
#     URL-encoded or not) runs only the named collectors; a name that is no
#     collector or is off gets 400 with the reason; other arguments are
#     ignored.
# Every body passes promtool check metrics. Needs curl and promtool.
set -euo pipefail
source "$(dirname "$0")/lib.bash"
command -v promtool >/dev/null || skip "promtool not installed (Debian package prometheus)"
work=$(mktemp -d)
trap 'stop_exporter; rm -rf "$work"' EXIT

cid=3b1e0c8a9f7d6e5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c
cp -r "$MEMACCT_FIXTURES/cgroup-v2/3-read-twice" "$work/fx"
ctr=$(find "$work/fx/sys" -type d -name "cri-containerd-$cid.scope")
echo 1048576 >"$ctr/memory.low"
echo 524288 >"$ctr/memory.min"
args=(--path.cgroupfs="$work/fx/sys" --path.procfs="$work/fx/proc")

check() { promtool check metrics <"$1" || fail "promtool complained about $1"; }

# --- the default -----------------------------------------------------------
start_exporter "$work/default.log" "${args[@]}"
scrape >"$work/default.prom"
check "$work/default.prom"
grep "container_id=\"$cid\"" "$work/default.prom" | sed 's/{.*//' | sort | uniq -c >"$work/names"
cat >"$work/want" <<'W'
      1 memacct_cgroup_info
      6 memacct_cgroup_memory_bytes
      1 memacct_cgroup_memory_high_bytes
      1 memacct_cgroup_memory_limit_bytes
      1 memacct_cgroup_memory_low_bytes
      1 memacct_cgroup_memory_min_bytes
      1 memacct_cgroup_memory_pressure_stalled_seconds_total
      1 memacct_cgroup_memory_pressure_waiting_seconds_total
      1 memacct_cgroup_memory_usage_bytes
      1 memacct_cgroup_memory_working_set_bytes
      1 memacct_cgroup_memory_workingset_refault_file_total
      3 memacct_cgroup_process_rss_bytes
      1 memacct_cgroup_processes
W
n=$(grep -c "container_id=\"$cid\"" "$work/default.prom")
echo "series with the container's id by default: $n"
[ "$n" = 20 ] || { cat "$work/names"; fail "the container carries $n series, want 20"; }
diff "$work/want" "$work/names" || fail "the container's default series differ"
[ "$(value "$work/default.prom" memacct_cgroup_memory_low_bytes "container_id=\"$cid\"")" = 1048576 ] ||
  fail "memory.low"
[ "$(value "$work/default.prom" memacct_cgroup_info "container_id=\"$cid\"" 'level="container"' \
  'qos="burstable"' 'runtime="containerd"')" = 1 ] || fail "the container's info"
[ "$(grep -c '^memacct_cgroup_info{' "$work/default.prom")" = 5 ] || fail "not one info per cgroup"
[ "$(grep -c 'qos="' "$work/default.prom")" = 2 ] || fail "qos is on series other than the info"
grep '^memacct_cgroup_' "$work/default.prom" |
  grep -Ev '^memacct_cgroup_(read_errors_total|files_open|files_uncached_total) ' |
  grep -v 'level="' && fail "a per-cgroup series without a level"
for lv in root kubepods qos pod container; do
  [ "$(grep -c "^memacct_cgroup_info{.*level=\"$lv\"" "$work/default.prom")" = 1 ] ||
    fail "not one cgroup at level $lv"
done

# --- collect[] ---------------------------------------------------------------
code=$(curl -sS -o "$work/node.prom" -w '%{http_code}' "$EXPORTER_URL/metrics?collect%5B%5D=node&collect[]=self&x=1")
[ "$code" = 200 ] || fail "collect[]=node&collect[]=self answered $code"
check "$work/node.prom"
grep -q '^memacct_cgroup_' "$work/node.prom" && fail "collect[]=node,self still has cgroup series"
grep -q '^memacct_node_memory_mem_total_bytes ' "$work/node.prom" || fail "collect[]=node has no node series"
[ "$(grep -c '^memacct_scrape_collector_success{' "$work/node.prom")" = 2 ] ||
  fail "collect[]=node,self reports other collectors"
code=$(curl -sS -o "$work/bad.txt" -w '%{http_code}' "$EXPORTER_URL/metrics?collect[]=cgroup&collect[]=jetstream")
echo "collect[]=jetstream (off): $code $(cat "$work/bad.txt")"
[ "$code" = 400 ] || fail "collect[]=jetstream (off) answered $code"
grep -q 'collect\[\]=jetstream: no such collector, or it is off (on: cgroup, process, node, self)' "$work/bad.txt" ||
  fail "the 400 does not say why"
code=$(curl -sS -o /dev/null -w '%{http_code}' "$EXPORTER_URL/metrics?collect[]=")
[ "$code" = 400 ] || fail "an empty collect[] answered $code"
stop_exporter

# --- levels and families -----------------------------------------------------
start_exporter "$work/levels.log" "${args[@]}" --collector.cgroup.levels=container,pod \
  --collector.cgroup.families=all
scrape >"$work/levels.prom"
check "$work/levels.prom"
levels=$(grep -o 'level="[a-z]*"' "$work/levels.prom" | sort | uniq -c | tr -s ' ' | tr '\n' ';')
echo "levels=container,pod, families=all: $levels"
[ "$levels" = " 37 level=\"container\"; 33 level=\"pod\";" ] || fail "levels: $levels"
[ "$(value "$work/levels.prom" memacct_cgroup_memory_peak_bytes "container_id=\"$cid\"")" = \
  "$(cat "$ctr/memory.peak")" ] || fail "the peak family's value"
echo PASS
