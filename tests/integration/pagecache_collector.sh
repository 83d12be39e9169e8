#!/usr/bin/env bash
# The optional pagecache collector on this machine's real cgroup v1 memory
# controller. Below this test's own memory cgroup it makes a
# Kubernetes-shaped container cgroup (kubepods/burstable/pod<uid>/<id>, so
# its level is container) whose process writes a 20 MiB and a 4 MiB file,
# reads them twice and holds them open. With --collector.pagecache
# --collector.pagecache.top=1, memacct_cgroup_page_cache_file_bytes has
# exactly one series for the container, the 20 MiB file, within 1 %; with
# top 2 both files; without the flag the collector is not run at all (no
# success series, no page cache series).
set -euo pipefail
source "$(dirname "$0")/lib.bash"
v1_memory_parent
mnt=${MEMCG_PARENT%"$MEMCG_OWN"}
base="$MEMCG_PARENT/memacct-pcc-$$"
uid=0f1e2d3c-4b5a-4978-8abc-def012345678
cid=$(printf 'a%.0s' $(seq 1 64))
ctr="$base/kubepods/burstable/pod$uid/$cid"
work=$(mktemp -d /var/tmp/memacct-pcc.XXXXXX)
holder=""
cleanup() {
  set +e
  stop_exporter
  [ -n "$holder" ] && { kill "$holder"; wait "$holder"; } 2>/dev/null
  for d in "$ctr" "$base/kubepods/burstable/pod$uid" "$base/kubepods/burstable" "$base/kubepods" "$base"; do
    [ -d "$d" ] || continue
    for p in $(cat "$d/cgroup.procs" 2>/dev/null); do echo "$p" > "$MEMCG_PARENT/cgroup.procs"; done
    rmdir "$d"
  done
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$ctr" || skip "cannot create cgroups below $MEMCG_PARENT"
bash -c '
  echo $$ > "$1/cgroup.procs" || exit 1
  cd "$2"
  dd if=/dev/zero of=f20 bs=1M count=20 status=none; cat f20 f20 > /dev/null
  dd if=/dev/zero of=f4 bs=1M count=4 status=none; cat f4 f4 > /dev/null
  exec 3<f20 4<f4
  touch ready
  exec sleep 600' _ "$ctr" "$work" &
holder=$!
for _ in $(seq 1 300); do [ -e "$work/ready" ] && break; sleep 0.1; done
[ -e "$work/ready" ] || fail "holder not ready"
rel=${ctr#"$mnt"}
inc="--collector.cgroup.include=^${rel%/kubepods/*}"
mib=$((1024 * 1024))

for top in 1 2; do
  start_exporter "$work/e$top.log" --path.cgroupfs="$mnt" "$inc" --collector.pagecache \
    --collector.pagecache.top=$top --no-collector.node
  scrape > "$work/m$top.prom"
  stop_exporter
  [ "$(value "$work/m$top.prom" memacct_scrape_collector_success 'collector="pagecache"')" = 1 ] ||
    fail "pagecache collector failed: $(cat "$work/e$top.log")"
  n=$(grep -c "^memacct_cgroup_page_cache_file_bytes{.*container_id=\"$cid\"" "$work/m$top.prom" || true)
  [ "$n" = "$top" ] || fail "top $top: $n series for the container"
  got=$(value "$work/m$top.prom" memacct_cgroup_page_cache_file_bytes "file=\"$work/f20\"" 'level="container"')
  d=$(( got > 20 * mib ? got - 20 * mib : 20 * mib - got ))
  [ $((d * 100)) -le $((20 * mib)) ] || fail "f20 cached $got, not within 1 % of 20 MiB"
  dur=$(value "$work/m$top.prom" memacct_scrape_collector_duration_seconds 'collector="pagecache"')
  echo "top $top: $n series; f20 cached $got; collector took $dur s"
done
got4=$(value "$work/m2.prom" memacct_cgroup_page_cache_file_bytes "file=\"$work/f4\"")
[ $(( (got4 > 4 * mib ? got4 - 4 * mib : 4 * mib - got4) * 100 )) -le $((4 * mib)) ] ||
  fail "f4 cached $got4, not within 1 % of 4 MiB"

start_exporter "$work/off.log" --path.cgroupfs="$mnt" "$inc" --no-collector.node
scrape > "$work/off.prom"
! grep -q 'collector="pagecache"' "$work/off.prom" || fail "the pagecache collector ran while off"
! grep -q '^memacct_cgroup_page_cache_file_bytes' "$work/off.prom" || fail "page cache series while off"
echo "off by default: not run"
echo PASS
