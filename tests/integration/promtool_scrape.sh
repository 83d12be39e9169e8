#!/usr/bin/env bash
# promtool check metrics on live scrapes: this host's real cgroups (whatever
# libcgroup discovers) and both fixture captures must produce output promtool
# has nothing to say about. Also checks the HTTP surface: Content-Type, /,
# /healthz, 404, 405.
set -euo pipefail
source "$(dirname "$0")/lib.bash"
command -v promtool >/dev/null || skip "promtool not installed (Debian package prometheus)"
work=$(mktemp -d)
trap 'stop_exporter; rm -rf "$work"' EXIT

check() {  # NAME ARGS...
  local name=$1; shift
  start_exporter "$work/$name.log" "$@"
  scrape > "$work/$name.prom"
  local n; n=$(grep -vc '^#' "$work/$name.prom")
  local out; out=$(promtool check metrics < "$work/$name.prom" 2>&1) || true
  [ -z "$out" ] || { echo "$out"; fail "$name: promtool check metrics complained"; }
  grep -q '^memacct_scrape_collector_success{collector="cgroup"} 1$' "$work/$name.prom" ||
    fail "$name: cgroup collector did not succeed"
  echo "$name: $n samples, promtool silent"
}

check host
# The exporter's own process metrics come from /proc/self even when
# --path.procfs points elsewhere.
for mode in cgroup-v1 cgroup-v2; do
  f="$MEMACCT_FIXTURES/$mode/6-over-high"
  stop_exporter
  check "$mode" --path.cgroupfs="$f/sys" --path.procfs="$f/proc" --no-collector.node
  grep -q '^process_resident_memory_bytes ' "$work/$mode.prom" || fail "no process_resident_memory_bytes"
done

ctype=$(curl -fsS -o /dev/null -w '%{content_type}' "$EXPORTER_URL/metrics")
[ "$ctype" = "text/plain; version=0.0.4; charset=utf-8" ] || fail "Content-Type is '$ctype'"
curl -fsS "$EXPORTER_URL/" | grep 'href="metrics"' >/dev/null || fail "landing page has no metrics link"
[ "$(curl -fsS "$EXPORTER_URL/healthz")" = ok ] || fail "/healthz is not ok"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$EXPORTER_URL/nope")" = 404 ] || fail "unknown path is not 404"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$EXPORTER_URL/metrics")" = 405 ] || fail "POST is not 405"
echo PASS
