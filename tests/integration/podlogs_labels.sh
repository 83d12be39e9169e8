#!/usr/bin/env bash
# --path.podlogs: a kubelet-style /var/log tree built here maps the fixture's
# container id to namespace/pod/container labels on every per-cgroup series
# (cgroup and process collectors) and on memacct_cgroup_info, the pod slice
# gets namespace/pod, and
# cgroups the tree does not know keep the plain labels. A bad --path.podlogs
# is a start-up error naming the flag.
set -euo pipefail
source "$(dirname "$0")/lib.bash"
work=$(mktemp -d)
trap 'stop_exporter; rm -rf "$work"' EXIT

uid=1f2e3d4c-5b6a-4789-9abc-def012345678
cid=3b1e0c8a9f7d6e5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c
log="$work/var/log"
mkdir -p "$log/containers" "$log/pods/messaging_nats-0_$uid/nats"
touch "$log/pods/messaging_nats-0_$uid/nats/0.log"
ln -s "../pods/messaging_nats-0_$uid/nats/0.log" "$log/containers/nats-0_messaging_nats-$cid.log"

f="$MEMACCT_FIXTURES/cgroup-v2/3-read-twice"
start_exporter "$work/exporter.log" --path.cgroupfs="$f/sys" --path.procfs="$f/proc" --path.podlogs="$log"
scrape > "$work/out.prom"

ws=$(value "$work/out.prom" memacct_cgroup_memory_working_set_bytes "container_id=\"$cid\"" \
  'namespace="messaging"' 'pod="nats-0"' 'container="nats"')
[ "$ws" = 283111424 ] || fail "container working set $ws"
value "$work/out.prom" memacct_cgroup_process_rss_bytes "container_id=\"$cid\"" 'pod="nats-0"' \
  'container="nats"' 'component="anon"' >/dev/null
pod_lines=$(grep '^memacct_cgroup_memory_usage_bytes{' "$work/out.prom" | grep "uid=\"$uid\"" | grep -v container_id)
echo "$pod_lines" | grep -q 'namespace="messaging",pod="nats-0"}' || fail "pod slice lacks namespace/pod: $pod_lines"
grep '^memacct_cgroup_memory_usage_bytes{cgroup="/",level="root"}' "$work/out.prom" >/dev/null || fail "root cgroup labels changed"
info=$(value "$work/out.prom" memacct_cgroup_info "container_id=\"$cid\"" 'level="container"' \
  'namespace="messaging"' 'pod="nats-0"' 'container="nats"' 'qos="burstable"' 'runtime="containerd"')
[ "$info" = 1 ] || fail "container info $info"
promtool check metrics < "$work/out.prom" || fail "promtool complained"
stop_exporter

rc=0; "$MEMACCT_BIN" --path.cgroupfs="$f/sys" --path.podlogs="$work/nope" 2>"$work/err" || rc=$?
[ "$rc" -ne 0 ] && grep -q 'path.podlogs\|nope' "$work/err" || { cat "$work/err"; fail "a missing --path.podlogs is not a clear start-up error"; }
echo "error for a missing --path.podlogs: $(cat "$work/err")"
echo PASS
