#!/usr/bin/env bash
# Live test on this machine's real cgroup v1 memory controller: a process in a
# fresh cgroup (created below this test's own cgroup, removed at the end)
# writes a 200 MiB file and reads it twice. The scrape must show the working
# set and file_active up by >= 180 MiB while the processes' RSS moves < 16 MiB:
# the page-cache picture this exporter exists for.
set -euo pipefail
source "$(dirname "$0")/lib.bash"

v1_memory_parent
own=$MEMCG_OWN
parent=$MEMCG_PARENT

name="memacct-live-$$"
cg="$parent/$name"
work=$(mktemp -d /var/tmp/memacct-live.XXXXXX)
holder=""
cleanup() {
  set +e
  stop_exporter
  [ -n "$holder" ] && kill "$holder" 2>/dev/null && wait "$holder" 2>/dev/null
  if [ -d "$cg" ]; then
    # Move anything left back to the parent, drop the cache, remove the cgroup.
    for p in $(cat "$cg/cgroup.procs" 2>/dev/null); do echo "$p" > "$parent/cgroup.procs" 2>/dev/null || true; done
    echo 0 > "$cg/memory.force_empty" 2>/dev/null || true
    rmdir "$cg" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
mkdir "$cg" || skip "cannot create a cgroup below $parent"

# A process that lives in the cgroup for the whole test (the process
# collector must see it), and a runner for commands inside the cgroup.
sleep 600 & holder=$!
echo "$holder" > "$cg/cgroup.procs"
in_cg() { bash -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' _ "$cg" "$@"; }

start_exporter "$work/exporter.log" --collector.cgroup.include="/$name\$" \
  --no-collector.node --no-collector.self

sel="cgroup=\"$own/$name\""
[ "$own" = / ] && sel="cgroup=\"/$name\""
snapshot() {  # FILE -> "ws file_active rss_total processes"
  scrape > "$1"
  local ws fa ra rf rs np
  ws=$(value "$1" memacct_cgroup_memory_working_set_bytes "$sel")
  fa=$(value "$1" memacct_cgroup_memory_bytes "$sel" 'component="file_active"')
  ra=$(value "$1" memacct_cgroup_process_rss_bytes "$sel" 'component="anon"')
  rf=$(value "$1" memacct_cgroup_process_rss_bytes "$sel" 'component="file"')
  rs=$(value "$1" memacct_cgroup_process_rss_bytes "$sel" 'component="shmem"')
  np=$(value "$1" memacct_cgroup_processes "$sel")
  echo "$ws $fa $((ra + rf + rs)) $np"
}

read -r ws0 fa0 rss0 np0 < <(snapshot "$work/before.prom")
in_cg dd if=/dev/zero of="$work/file" bs=1M count=200 status=none
in_cg cat "$work/file" > /dev/null
in_cg cat "$work/file" > /dev/null
read -r ws1 fa1 rss1 np1 < <(snapshot "$work/after.prom")

# The split must still add up to usage exactly after the workload.
usage=$(value "$work/after.prom" memacct_cgroup_memory_usage_bytes "$sel")
sum=$(grep -F "$sel" "$work/after.prom" | grep '^memacct_cgroup_memory_bytes{' | awk '{s+=$NF} END {printf "%.0f", s}')

MiB=$((1024 * 1024))
echo "before: working_set=$ws0 file_active=$fa0 process_rss=$rss0 processes=$np0"
echo "after:  working_set=$ws1 file_active=$fa1 process_rss=$rss1 processes=$np1 usage=$usage components_sum=$sum"
echo "delta:  working_set=$(((ws1 - ws0) / MiB)) MiB file_active=$(((fa1 - fa0) / MiB)) MiB process_rss=$(((rss1 - rss0) / 1024)) KiB"
[ "$np1" -ge 1 ] || fail "the holder process is not counted in the cgroup"
[ $((ws1 - ws0)) -ge $((180 * MiB)) ] || fail "working set grew by less than 180 MiB"
[ $((fa1 - fa0)) -ge $((180 * MiB)) ] || fail "file_active grew by less than 180 MiB"
[ $((rss1 - rss0)) -lt $((16 * MiB)) ] || fail "process RSS grew by 16 MiB or more"
[ "$sum" = "$usage" ] || fail "components sum to $sum, usage is $usage"
promtool check metrics < "$work/after.prom" || fail "promtool check metrics complained"
echo "PASS"
