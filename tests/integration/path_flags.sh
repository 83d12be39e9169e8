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

for mode in v1 v2; do
  start_exporter "$work/$mode.log" --path.sysfs="$work/$mode" --path.procfs="$MEMACCT_FIXTURES/cgroup-$mode/3-read-twice/proc"
  scrape > "$work/$mode.prom"
  stop_exporter
  ws=$(value "$work/$mode.prom" memacct_cgroup_memory_working_set_bytes 'container_id="3b1e0c8a')
  [ "$ws" = 283111424 ] || fail "$mode: container working set $ws, want 283111424"
  echo "$mode: container working set $ws via --path.sysfs"
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
echo PASS
