#!/usr/bin/env bash
# Scrape benchmark against the read floor, on real cgroup v1/v2 memory cgroups.
# Usage (as root): bash bench/run.sh [N ...]   (default: 100 1000 3000)
#   BENCH_SCRAPES=50       scrapes timed per N
#   BENCH_RSS_SCRAPES=10000 scrapes for the RSS-flatness run at N=1000 (0: skip)
# For each N it creates N memory cgroups below this shell's own memory cgroup,
# one sleeping process in each, runs the exporter with only the cgroup and
# process collectors over that subtree, and reports in the same run the
# exporter's median /metrics latency, the read floor's median pass over the
# same files, and their ratio. Everything it creates is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
Ns=("$@"); [ ${#Ns[@]} -gt 0 ] || Ns=(100 1000 3000)
scrapes=${BENCH_SCRAPES:-50}
rss_scrapes=${BENCH_RSS_SCRAPES:-10000}

cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-bench -j"$(nproc)" --target memacct_exporter read_floor scrape_timer >/dev/null
bin=build-bench/memacct_exporter

if mnt=$(awk '$3=="cgroup" && $4 ~ /(^|,)memory(,|$)/ {print $2; exit}' /proc/mounts) && [ -n "$mnt" ]; then
  own=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3; exit}' /proc/self/cgroup)
else
  mnt=$(awk '$3=="cgroup2" {print $2; exit}' /proc/mounts)
  own=$(awk -F: '$1=="0" {print $3; exit}' /proc/self/cgroup)
fi
root="$mnt$own/memacct-bench-$$"
pids=()
exporter=""
cleanup() {
  set +e
  [ -n "$exporter" ] && kill "$exporter" && wait "$exporter"
  [ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null && wait 2>/dev/null
  if [ -d "$root" ]; then
    find "$root" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null
    rmdir "$root"
  fi
}
trap cleanup EXIT
mkdir "$root"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
field() { sed -n "s/.*$1=\([0-9]*\).*/\1/p"; }

# A peer for the /proc side, when installed: Debian's prometheus-process-exporter
# grouping every process by name, smaps and threads off (the closest to our
# status-only read). Both it and ours are timed with curl here (it answers
# chunked), in the same run, on the same processes.
peer=$(command -v prometheus-process-exporter || true)
peer_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
peer_cfg=$(mktemp)
printf 'process_names:\n  - name: "{{.Comm}}"\n    cmdline: [".+"]\n' > "$peer_cfg"
curl_median_us() {  # URL COUNT
  local args=(); for _ in $(seq "$2"); do args+=(-o /dev/null "$1"); done
  curl -s -w '%{time_total}\n' "${args[@]}" |
    python3 -c 'import sys, statistics; print(int(statistics.median(float(l) for l in sys.stdin) * 1e6))'
}
peers=()

printf '%-6s %-10s %-12s %-12s %-7s %-10s\n' N processes scrape_us floor_us ratio body_KiB
have=0
for N in "${Ns[@]}"; do
  while [ "$have" -lt "$N" ]; do
    d="$root/cg-$have"; mkdir "$d"
    sleep 100000 & pids+=($!); echo $! > "$d/cgroup.procs"
    have=$((have + 1))
  done
  "$bin" --path.cgroupfs="$root" --web.listen-address=127.0.0.1:"$port" \
    --no-collector.node --no-collector.self --log.level=warn & exporter=$!
  for _ in $(seq 50); do curl -fs "127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  build-bench/bench/scrape_timer 127.0.0.1 "$port" /metrics 3 >/dev/null   # warm-up
  s=$(build-bench/bench/scrape_timer 127.0.0.1 "$port" /metrics "$scrapes")
  f=$(build-bench/bench/read_floor "$root" /proc "$scrapes")
  su=$(echo "$s" | field median_us); fu=$(echo "$f" | field median_us)
  printf '%-6s %-10s %-12s %-12s %-7s %-10s\n' "$N" "$(echo "$f" | field processes)" "$su" "$fu" \
    "$(python3 -c "print(f'{$su/$fu:.2f}')")" "$(( $(echo "$s" | field body_bytes) / 1024 ))"
  if [ "$N" = 1000 ] && [ "$rss_scrapes" -gt 0 ]; then
    build-bench/bench/scrape_timer 127.0.0.1 "$port" /metrics 100 >/dev/null
    r100=$(rss_kib "$exporter")
    build-bench/bench/scrape_timer 127.0.0.1 "$port" /metrics $((rss_scrapes - 100)) >/dev/null
    rN=$(rss_kib "$exporter")
    echo "RSS at N=1000: ${r100} KiB after 100 scrapes, ${rN} KiB after ${rss_scrapes}"
  fi
  if [ -n "$peer" ]; then
    ours=$(curl_median_us "127.0.0.1:$port/metrics" 20)
    "$peer" -config.path "$peer_cfg" -web.listen-address 127.0.0.1:"$peer_port" \
      -gather-smaps=false -threads=false >/dev/null 2>&1 & pe=$!
    for _ in $(seq 50); do curl -fs "127.0.0.1:$peer_port/metrics" >/dev/null && break; sleep 0.1; done
    theirs=$(curl_median_us "127.0.0.1:$peer_port/metrics" 20)
    kill "$pe"; wait "$pe" 2>/dev/null || true
    peers+=("$(printf '%-6s %-22s %-26s' "$N" "$ours" "$theirs")")
  fi
  kill "$exporter"; wait "$exporter" || true; exporter=""
done
rm -f "$peer_cfg"
if [ ${#peers[@]} -gt 0 ]; then
  echo
  echo "Peer on the same processes (all host processes, not only the N; median of 20 curl scrapes, µs):"
  printf '%-6s %-22s %-26s\n' N memacct_exporter prometheus-process-exporter
  printf '%s\n' "${peers[@]}"
fi
