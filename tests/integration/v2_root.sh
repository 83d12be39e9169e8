#!/usr/bin/env bash
# The cgroup v2 root has no memory.current. Its usage is what the node uses,
# MemTotal - MemFree of /proc/meminfo (runc's and cAdvisor's rule for the
# root), and its working set usage - the root memory.stat's inactive_file:
# the node working set kubelet's eviction watches. On a copy of the v2
# capture whose top cgroup is made a root (memory.current removed), the root
# gets usage, working set and a split that sums to usage exactly.
set -euo pipefail
source "$(dirname "$0")/lib.bash"
work=$(mktemp -d)
trap 'stop_exporter; rm -rf "$work"' EXIT

cp -r "$MEMACCT_FIXTURES/cgroup-v2/3-read-twice" "$work/t"
rm "$work/t/sys/memory.current" "$work/t/sys/memory.max" "$work/t/sys/memory.peak"
start_exporter "$work/exporter.log" --path.cgroupfs="$work/t/sys" --path.procfs="$work/t/proc"
scrape >"$work/m.prom"
kb() { awk -v k="$1:" '$1 == k {print $2}' "$work/t/proc/meminfo"; }
want=$(( ($(kb MemTotal) - $(kb MemFree)) * 1024 ))
usage=$(value "$work/m.prom" memacct_cgroup_memory_usage_bytes 'cgroup="/"')
[ "$usage" = "$want" ] || fail "root usage $usage, want MemTotal-MemFree $want"
inactive=$(awk '$1 == "inactive_file" {print $2}' "$work/t/sys/memory.stat")
ws=$(value "$work/m.prom" memacct_cgroup_memory_working_set_bytes 'cgroup="/"')
[ "$ws" = $((want - inactive)) ] || fail "root working set $ws, want $((want - inactive))"
sum=$(grep '^memacct_cgroup_memory_bytes{cgroup="/",' "$work/m.prom" | awk '{s += $NF} END {printf "%d", s}')
[ "$sum" = "$want" ] || fail "root split sums to $sum, want usage $want"
ok=$(value "$work/m.prom" memacct_scrape_collector_success 'collector="cgroup"')
[ "$ok" = 1 ] || fail "cgroup collector success $ok"
echo "v2 root: usage $usage = MemTotal-MemFree, working set $ws, split sums to usage"
# explain reads the root the same way.
ex=$("$MEMACCT_BIN" explain --path.cgroupfs="$work/t/sys" --path.procfs="$work/t/proc" --json / |
  python3 -c 'import json,sys; c=json.load(sys.stdin)["cgroups"][0]; print(c["cgroup"], c["usage_bytes"], c["working_set_bytes"])')
[ "$ex" = "/ $want $((want - inactive))" ] || fail "explain's root row: $ex, want / $want $((want - inactive))"
echo "explain: root usage and working set as the metrics"
echo PASS
