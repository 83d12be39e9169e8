#!/usr/bin/env bash
# Valgrind (memcheck) on the real binary, twice: (1) the exporter serves the
# cgroup v2 fixture tree (all collectors but jetstream, PSS on) and is scraped
# 60 times (text, OpenMetrics, gzip; sequential and 4 at once, plus /,
# /healthz, a 404 and a 405); (2) the same on a broken copy (EISDIR, EIO and
# malformed cgroup files, vanished and unreadable processes: the error
# paths), 20 scrapes. Each then gets SIGTERM, and valgrind must exit 0: no
# invalid read or write, no use of uninitialised values, no definitely lost
# block (--errors-for-leak-kinds=definite --error-exitcode=99). Third-party
# frames only may be suppressed, in tests/integration/valgrind.supp (each
# entry says why). It prints the heap and leak summaries. It does not fail
# on possibly lost/still reachable blocks, and does not cover JetStream
# (valgrind_jetstream does).
set -euo pipefail
source "$(dirname "$0")/lib.bash"
command -v valgrind >/dev/null || skip "valgrind not installed (Debian package valgrind)"
client="${MEMACCT_BUILD:?}/tests/scrape_client"
[ -x "$client" ] || fail "$client not built"
work=$(mktemp -d)
cleanup() {
  set +e
  [ -n "${EXPORTER_PID:-}" ] && kill -KILL "$EXPORTER_PID" 2>/dev/null && wait "$EXPORTER_PID" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fx="$MEMACCT_FIXTURES/cgroup-v2/6-over-high"
# Starts the exporter under valgrind on TREE; sets EXPORTER_PID, port, EXPORTER_URL.
start_vg() {  # NAME TREE
  port=$(free_port)
  EXPORTER_URL="http://127.0.0.1:$port"
  memcheck "$work/$1.valgrind.log" "$MEMACCT_BIN" --web.listen-address=127.0.0.1:"$port" \
    --path.cgroupfs="$2/sys" --path.procfs="$2/proc" --collector.process.pss >"$work/$1.log" 2>&1 &
  EXPORTER_PID=$!
  local up=false
  for _ in $(seq 1 300); do
    curl -fsS "$EXPORTER_URL/healthz" >/dev/null 2>&1 && { up=true; break; }
    kill -0 "$EXPORTER_PID" 2>/dev/null || break
    sleep 0.1
  done
  $up || { cat "$work/$1.log" "$work/$1.valgrind.log"; fail "$1: exporter under valgrind did not answer"; }
}

# --- 1. the fixture as captured ------------------------------------------------
start_vg clean "$fx"
t0=$(date +%s.%N)
n=0
for i in $(seq 1 15); do
  curl -fsS -o "$work/t.prom" "$EXPORTER_URL/metrics"
  curl -fsS -o "$work/o.prom" -H 'Accept: application/openmetrics-text; version=1.0.0' \
    "$EXPORTER_URL/metrics"
  curl -fsS -o "$work/g.prom" --compressed "$EXPORTER_URL/metrics"
  n=$((n + 3))
done
grep -q '^memacct_scrape_collector_success{collector="cgroup"} 1$' "$work/t.prom" ||
  fail "cgroup collector did not succeed under valgrind"
tail -1 "$work/o.prom" | grep -qx '# EOF' || fail "OpenMetrics output does not end in # EOF"
grep -q '^memacct_cgroup_process_pss_bytes' "$work/g.prom" || fail "no PSS series"
# 4 keep-alive clients at once, 4 requests each, one of them gzip.
conc=$("$client" --port "$port" --concurrency 4 --requests 3 --timeout 60)
conc_gz=$("$client" --port "$port" --concurrency 1 --requests 3 --timeout 60 \
  --header 'Accept-Encoding: gzip')
n=$((n + 15))
echo "concurrent: $conc"
echo "concurrent gzip: $conc_gz"
for out in "$conc" "$conc_gz"; do
  grep -q ' failed=0 ' <<<"$out" || fail "concurrent scrapes failed under valgrind"
  grep -q ' status_503=0 ' <<<"$out" || fail "concurrent scrapes got 503"
done
curl -fsS -o /dev/null "$EXPORTER_URL/"
curl -s -o /dev/null "$EXPORTER_URL/nope"
curl -s -o /dev/null -X POST -d x=1 "$EXPORTER_URL/metrics"
t1=$(date +%s.%N)
echo "$n scrapes under valgrind in $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}') s"

stop_memcheck "$work" clean

# --- 2. error paths: unreadable cgroup files, vanished and unreadable processes --
cp -r "$fx" "$work/bad"
burst="$work/bad/sys/kubepods.slice/kubepods-burstable.slice"
rm "$burst/memory.stat" && mkdir "$burst/memory.stat"         # EISDIR
rm "$burst/memory.events" && ln -s /proc/self/mem "$burst/memory.events"  # EIO
printf 'anon x\n' >"$work/bad/sys/kubepods.slice/memory.stat"  # malformed
printf '1\n999991\n410\n999994\n' >"$burst/cgroup.procs"      # vanished pids
mkdir -p "$work/bad/proc/999994" && ln -s /proc/self/mem "$work/bad/proc/999994/status"
start_vg faults "$work/bad"
for i in $(seq 1 10); do
  curl -fsS -o "$work/b.prom" "$EXPORTER_URL/metrics"
  curl -fsS -o /dev/null --compressed -H 'Accept: application/openmetrics-text' "$EXPORTER_URL/metrics"
done
grep -q '^memacct_scrape_collector_success{collector="cgroup"} 0$' "$work/b.prom" ||
  fail "faults: the cgroup collector did not report the broken files"
echo "faults: 20 scrapes, $(grep '^memacct_cgroup_read_errors_total' "$work/b.prom")," \
  "$(grep '^memacct_process_vanished_total' "$work/b.prom")"
stop_memcheck "$work" faults
echo PASS
