#!/usr/bin/env bash
# Load: 64 concurrent clients (tests/integration/scrape_client.c) scrape the
# real exporter over the cgroup v2 fixture tree for 30 s, a third each in
# text, OpenMetrics and gzip. Zero failed requests (and, with
# --web.max-requests=64, zero 503s); the exporter's RSS at the end no more
# than 10% above its RSS after a warm-up of the same mix; no fd growth.
# Then the --web.max-requests cap: with 2, eight concurrent scrapes of a
# 2,000-cgroup tree get exactly two 200s and six 503s, and nothing fails
# otherwise.
# It prints every number it measures. It does not test real cgroups
# (churn_cgroups.sh does) or idle connections (slow_clients.sh does).
# LOAD_SECONDS overrides the 30 s (e.g. for a quick local run).
set -euo pipefail
source "$(dirname "$0")/lib.bash"
need_promtool
client="${MEMACCT_BUILD:?}/tests/scrape_client"
[ -x "$client" ] || fail "$client not built"
seconds=${LOAD_SECONDS:-30}
work=$(mktemp -d)
cleanup() {
  set +e
  stop_exporter
  rm -rf "$work"
}
trap cleanup EXIT

fx="$MEMACCT_FIXTURES/cgroup-v2/6-over-high"
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$EXPORTER_PID/status"; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$EXPORTER_PID/status"; }
threads() { awk '/^Threads:/ {print $2}' "/proc/$EXPORTER_PID/status"; }
nfds() { ls "/proc/$EXPORTER_PID/fd" | wc -l; }
# libmicrohttpd closes the sockets of finished connection threads lazily, on
# its listen thread's next wake-up: two cheap requests flush that list, so fd
# counts compare like with like.
settle() {
  sleep 0.5
  for _ in 1 2; do curl -fsS "$EXPORTER_URL/healthz" >/dev/null; sleep 0.2; done
}
port() { echo "${EXPORTER_URL##*:}"; }
field() { sed -n "s/.*\b$2=\([^ ]*\).*/\1/p" <<<"$1"; } # LINE KEY

# --- 1. 64 clients, 30 s, --web.max-requests=64 -----------------------------
start_exporter "$work/load.log" --path.cgroupfs="$fx/sys" --path.procfs="$fx/proc" \
  --web.max-requests=64
# mix SECONDS TAG: 22 + 21 + 21 = 64 clients at once, one format each
# (text, OpenMetrics, gzip); results in $work/TAG.{text,om,gzip}.out.
mix() {
  local p; p=$(port)
  "$client" --port "$p" --concurrency 22 --duration "$1" >"$work/$2.text.out" &
  local c1=$!
  "$client" --port "$p" --concurrency 21 --duration "$1" \
    --header 'Accept: application/openmetrics-text; version=1.0.0' >"$work/$2.om.out" &
  local c2=$!
  "$client" --port "$p" --concurrency 21 --duration "$1" \
    --header 'Accept-Encoding: gzip' >"$work/$2.gzip.out" &
  local c3=$!
  if [ "$1" -ge 10 ]; then
    sleep $(($1 / 2))
    echo "mid-run: threads=$(threads) fds=$(nfds) rss_kb=$(rss_kb)"
  fi
  wait $c1 $c2 $c3
}

settle
fd_start=$(nfds)
# The warm-up is the same mix as the run (gzip's zlib state, malloc's
# arenas), so the RSS measured after it is the steady state.
mix 5 warm
echo "warm-up (5 s, 64 clients): $(head -1 "$work/warm.text.out")"
settle
rss0=$(rss_kb) fd0=$(nfds)
mix "$seconds" run
settle
rss1=$(rss_kb) fd1=$(nfds) hwm=$(hwm_kb)

total_req=0 total_ok=0 total_bad=0
for f in text om gzip; do
  line=$(head -1 "$work/run.$f.out")
  echo "$f: $line"
  sed -n 2p "$work/run.$f.out"
  total_req=$((total_req + $(field "$line" requests)))
  total_ok=$((total_ok + $(field "$line" ok)))
  total_bad=$((total_bad + $(field "$line" failed) + $(field "$line" status_503)))
done
# A scrape after the load must still be a good one.
scrape >"$work/after.prom"
grep -q '^memacct_scrape_collector_success{collector="cgroup"} 1$' "$work/after.prom" ||
  fail "cgroup collector failed after the load"
out=$(promtool check metrics <"$work/after.prom" 2>&1) || true
[ -z "$out" ] || { echo "$out"; fail "promtool complained after the load"; }

pct=$(awk -v a="$rss0" -v b="$rss1" 'BEGIN {printf "%.1f", (b - a) * 100 / a}')
echo "requests=$total_req ok=$total_ok failed_or_503=$total_bad ($((total_req / seconds))/s over ${seconds}s)"
echo "rss_kb: after_warmup=$rss0 end=$rss1 change=${pct}% peak(VmHWM)=$hwm"
echo "fds: at_start=$fd_start after_warmup=$fd0 end=$fd1"
[ "$total_bad" = 0 ] || fail "$total_bad requests failed or got 503"
[ "$total_ok" -gt 0 ] || fail "no request succeeded"
# Growth is what a leak shows; a drop (glibc returning free arena tops,
# about +-1 MB of noise on ~11 MB here) is not a failure.
awk -v a="$rss0" -v b="$rss1" 'BEGIN {exit !((b - a) * 10 <= a)}' ||
  fail "RSS grew by more than 10% ($rss0 kB -> $rss1 kB)"
[ "$fd1" -le "$fd0" ] || fail "fd count grew from $fd0 to $fd1"
stop_exporter

# --- 2. --web.max-requests=2: eight slow scrapes, two served, six 503 --------
# A fixture tree of 2,000 cgroups: a scrape takes a few hundred ms (a FIFO
# no longer holds one: files are read only when regular), so two scrapes are
# in flight while the other six, sent at the same moment, arrive.
python3 - "$fx/sys" "$work/big" <<'EOF'
import os, shutil, sys
src, dst = sys.argv[1], sys.argv[2]
shutil.copytree(src, dst)
files = {f: open(os.path.join(src, f), "rb").read() for f in os.listdir(src)
         if os.path.isfile(os.path.join(src, f)) and f.startswith(("memory.", "cgroup."))}
for i in range(2000):
    d = os.path.join(dst, "big.slice", "c%d" % i)
    os.makedirs(d)
    for f, b in files.items():
        with open(os.path.join(d, f), "wb") as fh:
            fh.write(b"" if f == "cgroup.procs" else b)
EOF
start_exporter "$work/cap.log" --path.cgroupfs="$work/big" --path.procfs="$fx/proc" \
  --web.max-requests=2 --no-collector.node
t0=$(date +%s.%N)
scrape >/dev/null
one_ms=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.0f", (b - a) * 1000}')
"$client" --port "$(port)" --concurrency 8 --requests 1 --timeout 20 >"$work/cap.out"
line=$(head -1 "$work/cap.out")
echo "max-requests=2, 8 concurrent scrapes of 2,000 cgroups (one alone: $one_ms ms): $line"
sed -n 2p "$work/cap.out"
[ "$one_ms" -ge 50 ] || fail "a scrape took $one_ms ms: too fast to hold two in flight"
[ "$(field "$line" ok)" = 2 ] || fail "expected 2 scrapes served"
[ "$(field "$line" status_503)" = 6 ] || fail "expected 6 scrapes refused with 503"
# failed counts anything that is neither 200 nor 503.
[ "$(field "$line" failed)" = 0 ] || fail "requests failed other than with 503"
scrape >"$work/cap.prom"
grep -q '^memacct_scrape_collector_success{collector="cgroup"} 1$' "$work/cap.prom" ||
  fail "cgroup collector did not succeed after the capped scrapes"
echo PASS
