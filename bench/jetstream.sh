#!/usr/bin/env bash
# JetStream poll benchmark: for each N (default 1000 10000) a real
# nats-server (memory storage: 10,000 file streams exceed the open-file limit
# of one server here) gets N streams; then, in the same run, a bare paged
# $JS.API.STREAM.LIST walk by a minimal raw-protocol client (the floor: one
# request per page, reply bytes read, no decoding) and the exporter's own poll
# (memacct_jetstream_poll_duration_seconds, median of 10 polls: page requests,
# JSON decoding, filtering and the snapshot swap). Target: exporter <= 2x the
# bare walk. Then memory: the exporter with only the self collector, without
# NATS (the baseline) and with N streams, --nats.max-streams=0 (all held) and
# the default cap: VmRSS and VmHWM after 12 polls at 1 s with no scrape (what
# polling costs), then after one scrape (what the scrape itself costs), and
# the body's size. Target: polls <= 16 MiB above the baseline at 10,000
# streams. Loopback only; everything is stopped at the end.
# Usage: bash bench/jetstream.sh [N ...]
set -euo pipefail
cd "$(dirname "$0")/.."
Ns=("$@"); [ ${#Ns[@]} -gt 0 ] || Ns=(1000 10000)
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-bench -j"$(nproc)" --target memacct_exporter >/dev/null
work=$(mktemp -d)
nats=""; exporter=""
cleanup() {
  set +e
  [ -n "$exporter" ] && kill "$exporter" && wait "$exporter"
  [ -n "$nats" ] && kill "$nats" && wait "$nats"
  rm -rf "$work"
}
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
py=tests/integration/jetstream_nats.py

# mem LABEL ARGS...: one exporter, 12 s of polls, then one scrape; prints a row.
mem() {
  local label=$1; shift
  local ep; ep=$(port)
  build-bench/memacct_exporter --web.listen-address=127.0.0.1:"$ep" --no-collector.cgroup \
    --no-collector.process --no-collector.node --log.level=warn "$@" & exporter=$!
  sleep 12
  local before after body
  before=$(awk '/^VmRSS/{r=$2} /^VmHWM/{h=$2} END{printf "%.1f %.1f", r/1024, h/1024}' /proc/$exporter/status)
  body=$(curl -fs "127.0.0.1:$ep/metrics" | wc -c)
  after=$(awk '/^VmRSS/{r=$2} /^VmHWM/{h=$2} END{printf "%.1f %.1f", r/1024, h/1024}' /proc/$exporter/status)
  read -r r1 h1 <<<"$before"; read -r r2 h2 <<<"$after"
  printf '%-22s %-10s %-10s %-12s %-10s\n' "$label" "$r1" "$h1" "$h2" "$((body / 1024))"
  kill "$exporter"; wait "$exporter" || true; exporter=""
}

printf '%-7s %-14s %-16s %-7s\n' streams bare_walk_ms exporter_poll_ms ratio
memrows=()
for N in "${Ns[@]}"; do
  np=$(port); ep=$(port)
  nats-server -js -sd "$work/store-$N" -a 127.0.0.1 -p "$np" -l "$work/nats-$N.log" & nats=$!
  for _ in $(seq 100); do python3 -c "import socket; socket.create_connection(('127.0.0.1',$np))" 2>/dev/null && break; sleep 0.1; done
  python3 "$py" mkstreams "$np" "$N" memory >/dev/null
  bare=$(python3 - "$np" "$py" <<'PY'
import importlib.util, json, statistics, sys, time
spec = importlib.util.spec_from_file_location("jn", sys.argv[2]); jn = importlib.util.module_from_spec(spec)
spec.loader.exec_module(jn)
n = jn.Nats(int(sys.argv[1]), timeout=60)
times = []
for _ in range(5):
    t0, offset, total = time.time(), 0, None
    while total is None or offset < total:
        raw = n.request("$JS.API.STREAM.LIST", json.dumps({"offset": offset}))
        # the page's counters only: the floor does not decode the streams
        head = json.loads(raw[:raw.index(b'"streams"')].rstrip(b", ") + b"}") if b'"streams"' in raw else json.loads(raw)
        total, offset = head["total"], offset + head["limit"]
    times.append(time.time() - t0)
print("%.1f" % (statistics.median(times) * 1000))
PY
)
  build-bench/memacct_exporter --web.listen-address=127.0.0.1:"$ep" --nats.url=nats://127.0.0.1:"$np" \
    --nats.poll-interval=1 --nats.poll-timeout=60 --no-collector.cgroup --no-collector.process \
    --no-collector.node --log.level=warn & exporter=$!
  polls=()
  last=""
  for _ in $(seq 600); do
    m=$(curl -fs "127.0.0.1:$ep/metrics" | awk '/^memacct_jetstream_poll_duration_seconds /{d=$2} /^memacct_jetstream_last_poll_success_timestamp_seconds /{t=$2} END{print t, d}')
    read -r t d <<<"$m"
    if [ -n "${t:-}" ] && [ "$t" != "$last" ] && [ "$t" != 0 ]; then polls+=("$d"); last=$t; fi
    [ ${#polls[@]} -ge 11 ] && break
    sleep 0.3
  done
  exp=$(printf '%s\n' "${polls[@]:1}" | python3 -c 'import sys, statistics; print("%.1f" % (statistics.median(float(l) for l in sys.stdin) * 1000))')
  printf '%-7s %-14s %-16s %-7s\n' "$N" "$bare" "$exp" "$(python3 -c "print(f'{$exp/$bare:.2f}')")"
  kill "$exporter"; wait "$exporter" || true; exporter=""
  memrows+=("$(mem "$N streams, no cap" --nats.url=nats://127.0.0.1:"$np" --nats.poll-interval=1 \
    --nats.poll-timeout=60 --nats.max-streams=0)")
  memrows+=("$(mem "$N streams, default cap" --nats.url=nats://127.0.0.1:"$np" \
    --nats.poll-interval=1 --nats.poll-timeout=60)")
  kill "$nats"; wait "$nats" || true; nats=""
done
echo
printf '%-22s %-10s %-10s %-12s %-10s\n' "memory (MiB)" polls_rss polls_hwm scrape_hwm body_KiB
mem "no NATS (baseline)"
printf '%s\n' "${memrows[@]}"
