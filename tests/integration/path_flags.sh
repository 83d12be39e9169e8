#!/usr/bin/env bash
# --path.sysfs without --path.cgroupfs: the exporter looks under
# <sysfs>/fs/cgroup, taking the v1 memory hierarchy (fs/cgroup/memory) when
# there is one, else the unified v2 root: how a container sees a host /sys
# mounted at /host/sys.
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
echo PASS
