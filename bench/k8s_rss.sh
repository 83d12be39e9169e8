#!/usr/bin/env bash
# Exporter memory on a Kubernetes-shaped tree of N pods (bench/k8s_tree.sh:
# 3N + 3 cgroups, ~190-byte container paths, files from the v2 capture).
# Not a test: for each N it prints the exporter's RSS (KiB) idle, its peak
# (VmHWM) over one scrape, over three rounds of 4 concurrent scrapes in
# text and in gzip, and of 8 (half gzip'd: the chart's web.maxRequests), a
# fresh exporter for each, so each peak is its own; the body, and the
# median scrape time (bench/scrape_timer, keep-alive);
# then RSS after every 1,000 of BENCH_RSS_SCRAPES sequential scrapes of
# RSS_PODS pods (flatness; half of each 1,000 in text, half gzip'd).
# Usage: bash bench/k8s_rss.sh [N ...]   (default: 100 1000)
#   MEMACCT_BIN=path     the exporter to measure (default: a Release build in
#                        build-bench/); e.g. an older build, for a before/after
#   BENCH_RSS_SCRAPES=N  scrapes of the flatness run (default 10000; 0: skip)
#   RSS_PODS=N           pods of the flatness run (default 100)
# Everything runs on 127.0.0.1; the trees live in a temporary directory
# (/dev/shm when there is one), removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
Ns=("$@"); [ ${#Ns[@]} -gt 0 ] || Ns=(100 1000)
rss_scrapes=${BENCH_RSS_SCRAPES:-10000}
rss_pods=${RSS_PODS:-100}
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-bench -j"$(nproc)" --target memacct_exporter scrape_timer >/dev/null
bin=${MEMACCT_BIN:-build-bench/memacct_exporter}
timer=build-bench/bench/scrape_timer
source bench/k8s_lib.bash
status() { k8s_status "$@"; }
start() { k8s_start "$bin" "$@"; }
stop() { k8s_stop; }
rounds() {  # N ENCODING...: three rounds of N concurrent scrapes, cycling
  local n=$1; shift  # through the Accept-Encoding values given
  local encs=("$@")
  for _ in 1 2 3; do
    local pids=()
    for i in $(seq 0 $((n - 1))); do
      curl -fsS -o /dev/null -H "Accept-Encoding: ${encs[i % ${#encs[@]}]}" "$url" & pids+=($!)
    done
    wait "${pids[@]}"
  done
}

printf '%-6s %-8s %12s %9s %14s %12s %12s %12s %10s\n' pods cgroups body idle_KiB \
  one_scrape_KiB 4x_text_KiB 4x_gzip_KiB 8x_mixed_KiB scrape_ms
for n in "${Ns[@]}"; do
  tree=$base/tree-$n
  bash bench/k8s_tree.sh "$n" "$tree"
  cgroups=$(find "$tree" -type d | wc -l)
  start "$tree"
  idle=$(status VmRSS)
  body=$(curl -fsS "$url" | wc -c)
  one=$(status VmHWM)
  ms=$("$timer" 127.0.0.1 "$port" /metrics 11 | sed -n 's/.*median_us=\([0-9]*\).*/\1/p')
  stop
  start "$tree"; rounds 4 identity; text=$(status VmHWM); stop
  start "$tree"; rounds 4 gzip; gz=$(status VmHWM); stop
  start "$tree"; rounds 8 identity gzip; eight=$(status VmHWM); stop
  printf '%-6s %-8s %12s %9s %14s %12s %12s %12s %10s\n' "$n" "$cgroups" "$body" "$idle" "$one" \
    "$text" "$gz" "$eight" "$((ms / 1000))"
  rm -rf "$tree" "$tree.app_ids" "$tree.pods"
done

if [ "$rss_scrapes" -gt 0 ]; then
  tree=$base/tree-rss
  bash bench/k8s_tree.sh "$rss_pods" "$tree"
  start "$tree"
  left=$rss_scrapes series=""
  while [ "$left" -gt 0 ]; do  # in rounds of 1,000, half of them gzip'd
    k=$((left < 1000 ? left : 1000))
    "$timer" 127.0.0.1 "$port" /metrics $((k / 2 + k % 2)) >/dev/null
    for _ in $(seq $((k / 2))); do curl -fsS -o /dev/null -H 'Accept-Encoding: gzip' "$url"; done
    left=$((left - k)) series="$series $(status VmRSS)"
  done
  echo "RSS at $rss_pods pods after each 1,000 of $rss_scrapes scrapes (KiB):$series" \
    "(peak $(status VmHWM))"
  stop
fi
