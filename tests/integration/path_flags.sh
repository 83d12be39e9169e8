#!/usr/bin/env bash
# --path.sysfs without --path.cgroupfs: the exporter looks under
# <sysfs>/fs/cgroup, taking the v1 memory hierarchy (fs/cgroup/memory) when
# there is one, else the unified v2 root: how a container sees a host /sys
# mounted at /host/sys.
# With both cgroup collectors off, no cgroup root is set up at all (main sets
# it up once, only for those who use it): a missing cgroupfs does not stop
# the exporter, and /explain (which reads cgroups) answers 404.
set -euo pipefail
source "$(dirname "$0")/lib.bash"
work=$(mktemp -d)
trap 'stop_exporter; rm -rf "$work"' EXIT

mkdir -p "$work/v2/fs" "$work/v1/fs/cgroup"
ln -s "$MEMACCT_FIXTURES/cgroup-v2/3-read-twice/sys" "$work/v2/fs/cgroup"
ln -s "$MEMACCT_FIXTURES/cgroup-v1/3-read-twice/sys" "$work/v1/fs/cgroup/memory"

# hybrid: a v1 memory hierarchy beside the unified one (systemd's hybrid
# layout): the v1 memory hierarchy is the one with the numbers.
mkdir -p "$work/hybrid/fs/cgroup"
ln -s "$MEMACCT_FIXTURES/cgroup-v1/3-read-twice/sys" "$work/hybrid/fs/cgroup/memory"
ln -s "$MEMACCT_FIXTURES/cgroup-v2/3-read-twice/sys" "$work/hybrid/fs/cgroup/unified"
for mode in v1 v2 hybrid; do
  fixture=$mode
  [ "$mode" = hybrid ] && fixture=v1
  start_exporter "$work/$mode.log" --path.sysfs="$work/$mode" --path.procfs="$MEMACCT_FIXTURES/cgroup-$fixture/3-read-twice/proc"
  scrape > "$work/$mode.prom"
  stop_exporter
  ws=$(value "$work/$mode.prom" memacct_cgroup_memory_working_set_bytes 'container_id="3b1e0c8a')
  [ "$ws" = 283111424 ] || fail "$mode: container working set $ws, want 283111424"
  # The v1 capture is a cgroupfs-driver node (/kubepods/burstable/...), the
  # v2 one a systemd-driver node (/kubepods.slice/...): which hierarchy was read.
  kind=v2 && grep -q '^memacct_cgroup_memory_usage_bytes{cgroup="/kubepods/burstable"' "$work/$mode.prom" && kind=v1
  [ "$kind" = "$fixture" ] || fail "$mode: read the $kind hierarchy, want $fixture"
  echo "$mode: container working set $ws via --path.sysfs, from the $kind hierarchy"
done
start_exporter "$work/nocg.log" --path.cgroupfs="$work/nonexistent" \
  --no-collector.cgroup --no-collector.process
scrape > "$work/nocg.prom"
ok=$(value "$work/nocg.prom" memacct_scrape_collector_success 'collector="node"')
[ "$ok" = 1 ] || fail "node collector success $ok without cgroup collectors"
! grep -q '^memacct_cgroup_' "$work/nocg.prom" || fail "cgroup series with the cgroup collector off"
code=$(curl -s -o /dev/null -w '%{http_code}' "$EXPORTER_URL/explain")
[ "$code" = 404 ] || fail "/explain without cgroup collectors: HTTP $code, want 404"
stop_exporter
echo "no cgroup collectors: starts without a cgroup root, /explain 404"
# With them on, the same missing root stops it with one line naming the flag.
rc=0
"$MEMACCT_BIN" --web.listen-address=127.0.0.1:"$(free_port)" --path.cgroupfs="$work/nonexistent" \
  >"$work/err.out" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "missing cgroup root: exit $rc, want 1"
grep -q -- "--path.cgroupfs" "$work/err.out" || { cat "$work/err.out"; fail "error does not name --path.cgroupfs"; }
[ "$(wc -l <"$work/err.out")" = 1 ] || { cat "$work/err.out"; fail "more than one line"; }
echo "missing cgroup root with the cgroup collector on: $(cat "$work/err.out")"

# A wrong --path.sysfs: one line naming the flag, the path looked at and
# what it must hold. The first is a host /sys/fs/cgroup of a v1 or hybrid
# node given as if it were the memory cgroup (a tmpfs of controller folders:
# what --path.cgroupfs=/host/sys/fs/cgroup met there); the second a path
# with no cgroupfs at all.
mkdir -p "$work/tmpfs-of-controllers/fs/cgroup/cpu" "$work/tmpfs-of-controllers/fs/cgroup/memory"
below="(no cgroup v1 memory hierarchy in fs/cgroup/memory below it)"
for case in "--path.sysfs=$work/tmpfs-of-controllers|--path.sysfs=$work/tmpfs-of-controllers $below: $work/tmpfs-of-controllers/fs/cgroup is not a memory cgroup (no memory.usage_in_bytes, memory.current or cgroup.controllers with memory.stat)" \
  "--path.cgroupfs=$work/tmpfs-of-controllers/fs/cgroup|--path.cgroupfs: $work/tmpfs-of-controllers/fs/cgroup is not a memory cgroup" \
  "--path.sysfs=$work/nonexistent|--path.sysfs=$work/nonexistent $below: cannot open $work/nonexistent/fs/cgroup: No such file or directory"; do
  flag=${case%%|*} want=${case#*|}
  rc=0
  "$MEMACCT_BIN" --web.listen-address=127.0.0.1:"$(free_port)" "$flag" >"$work/err.out" 2>&1 || rc=$?
  [ "$rc" = 1 ] || { cat "$work/err.out"; fail "$flag: exit $rc, want 1"; }
  [ "$(wc -l <"$work/err.out")" = 1 ] || { cat "$work/err.out"; fail "$flag: more than one line"; }
  grep -qF -- "${flag%%=*}" "$work/err.out" || { cat "$work/err.out"; fail "$flag: error does not name ${flag%%=*}"; }
  grep -qF -- "$want" "$work/err.out" || { cat "$work/err.out"; fail "$flag: error does not say: $want"; }
  echo "$flag: $(cat "$work/err.out")"
done
echo PASS
