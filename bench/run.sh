#!/usr/bin/env bash
# Scrape benchmark against the read floors, on real cgroup v1/v2 memory cgroups.
# Usage (as root): bash bench/run.sh [N ...]   (default: 100 1000 3000)
#   BENCH_SCRAPES=50        scrapes timed per N (and floor passes)
#   BENCH_PROCS=0           1: one sleeping process in each cgroup (the scrape
#                           and the kept and plain floors then read their status)
#   BENCH_FLAGS=            extra exporter flags, e.g. --collector.cgroup.max-open-files=0
#   BENCH_BIN=              an exporter binary to time instead of this tree's
#                           Release build (e.g. an older one, for "before")
#   BENCH_RSS_SCRAPES=10000 scrapes for an RSS-flatness run at N=1000 (0: skip)
# For each N it creates N memory cgroups below this shell's own memory cgroup
# (and only there), runs the exporter in a cgroup of its own next to them
# with only the cgroup and process collectors over that subtree, and reports
# in the same run, round by round (bench/keptfd_floor.c: one scrape and one
# pass of each floor per round, medians): the exporter's /metrics latency
# over one keep-alive connection and the floors over the same tree (kept:
# the exporter's files held open and re-read with pread, plus the re-walk;
# plain: the same files with open/read/close; naive3: open/read/close of
# memory.stat, usage and limit) and the ratios;
# the body, the samples of one cgroup, the files the exporter holds, its
# peak RSS over 20 scrapes one at a time and over 4 clients scraping at once
# (20 each), and its cgroup's kernel memory (held files cost ~4 KiB each).
# Everything it creates is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
Ns=("$@"); [ ${#Ns[@]} -gt 0 ] || Ns=(100 1000 3000)
scrapes=${BENCH_SCRAPES:-50}
procs=${BENCH_PROCS:-0}
rss_scrapes=${BENCH_RSS_SCRAPES:-10000}
read -r -a extra <<<"${BENCH_FLAGS:-}"

cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-bench -j"$(nproc)" --target memacct_exporter keptfd_floor scrape_timer >/dev/null
bin=${BENCH_BIN:-build-bench/memacct_exporter}

if mnt=$(awk '$3=="cgroup" && $4 ~ /(^|,)memory(,|$)/ {print $2; exit}' /proc/mounts) && [ -n "$mnt" ]; then
  own=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3; exit}' /proc/self/cgroup)
  v1=1
else
  mnt=$(awk '$3=="cgroup2" {print $2; exit}' /proc/mounts)
  own=$(awk -F: '$1=="0" {print $3; exit}' /proc/self/cgroup)
  v1=0
fi
root="$mnt$own/memacct-bench-$$"
expcg="$mnt$own/memacct-bench-exporter-$$"
pids=()
exporter=""
cleanup() {
  set +e
  [ -n "$exporter" ] && kill "$exporter" && wait "$exporter"
  [ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null && wait 2>/dev/null
  sleep 0.2
  if [ -d "$root" ]; then
    find "$root" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null
    rmdir "$root"
  fi
  [ -d "$expcg" ] && rmdir "$expcg"
}
trap cleanup EXIT
mkdir "$root" "$expcg"
body=$(mktemp)

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
field() { sed -n "s/.*$1=\([0-9]*\).*/\1/p"; }
hwm_kib() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }
kmem_kib() {  # the exporter's cgroup's kernel memory
  if [ "$v1" = 1 ]; then echo $(( $(cat "$expcg/memory.kmem.usage_in_bytes") / 1024 ))
  else awk '$1=="kernel" {print int($2 / 1024)}' "$expcg/memory.stat"; fi
}
ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }

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

echo "exporter: $bin ${extra[*]:-}; processes in the cgroups: $procs; $scrapes scrapes and floor passes per N"
printf '%-5s %-6s %-9s %-9s %-6s %-9s %-6s %-9s %-8s %-7s %-6s %-8s %-8s %-8s\n' \
  N procs scrape_us kept_us /kept naive3_us /naive plain_us body_KiB samples held \
  rss1_KiB rss4_KiB kmem_KiB
have=0
for N in "${Ns[@]}"; do
  while [ "$have" -lt "$N" ]; do
    d="$root/cg-$have"; mkdir "$d"
    if [ "$procs" = 1 ]; then sleep 100000 & pids+=($!); echo $! > "$d/cgroup.procs"; fi
    have=$((have + 1))
  done
  sh -c 'echo $$ > "$1/cgroup.procs"; shift; exec "$@"' _ "$expcg" \
    "$bin" --path.cgroupfs="$root" --web.listen-address=127.0.0.1:"$port" \
    --no-collector.node --no-collector.self --log.level=warn "${extra[@]}" & exporter=$!
  for _ in $(seq 50); do curl -fs "127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  build-bench/bench/scrape_timer 127.0.0.1 "$port" /metrics 3 >/dev/null   # warm-up
  f=$(build-bench/bench/keptfd_floor "$root" /proc "$scrapes" 127.0.0.1 "$port" /metrics)
  curl -fs "127.0.0.1:$port/metrics" >"$body"
  samples=$(grep -c 'cgroup="/cg-0"' "$body" || true)
  held=$(sed -n 's/^memacct_cgroup_files_open //p' "$body"); held=${held:--}
  echo 5 >"/proc/$exporter/clear_refs"   # VmHWM starts again from VmRSS
  build-bench/bench/scrape_timer 127.0.0.1 "$port" /metrics 20 >/dev/null
  rss1=$(hwm_kib "$exporter")
  echo 5 >"/proc/$exporter/clear_refs"
  clients=()
  for _ in 1 2 3 4; do
    build-bench/bench/scrape_timer 127.0.0.1 "$port" /metrics 20 >/dev/null & clients+=($!)
  done
  wait "${clients[@]}"
  rss4=$(hwm_kib "$exporter")
  su=$(echo "$f" | field scrape_median_us); ku=$(echo "$f" | field kept_median_us)
  nu=$(echo "$f" | field naive3_median_us); pu=$(echo "$f" | field plain_median_us)
  printf '%-5s %-6s %-9s %-9s %-6s %-9s %-6s %-9s %-8s %-7s %-6s %-8s %-8s %-8s\n' \
    "$N" "$(echo "$f" | field processes)" "$su" "$ku" "$(ratio "$su" "$ku")" "$nu" \
    "$(ratio "$su" "$nu")" "$pu" "$(( $(echo "$f" | field body_bytes) / 1024 ))" "$samples" \
    "$held" "$rss1" "$rss4" "$(kmem_kib)"
  if [ "$N" = 1000 ] && [ "$rss_scrapes" -gt 0 ]; then
    build-bench/bench/scrape_timer 127.0.0.1 "$port" /metrics 100 >/dev/null
    r100=$(awk '/^VmRSS/ {print $2}' "/proc/$exporter/status")
    build-bench/bench/scrape_timer 127.0.0.1 "$port" /metrics $((rss_scrapes - 100)) >/dev/null
    rN=$(awk '/^VmRSS/ {print $2}' "/proc/$exporter/status")
    echo "RSS at N=1000: ${r100} KiB after 100 scrapes, ${rN} KiB after ${rss_scrapes}"
  fi
  if [ -n "$peer" ] && [ "$procs" = 1 ]; then
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
rm -f "$peer_cfg" "$body"
if [ ${#peers[@]} -gt 0 ]; then
  echo
  echo "Peer on the same processes (all host processes, not only the N; median of 20 curl scrapes, µs):"
  printf '%-6s %-22s %-26s\n' N memacct_exporter prometheus-process-exporter
  printf '%s\n' "${peers[@]}"
fi
