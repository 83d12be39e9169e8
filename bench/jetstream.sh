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
# the body's size (and, once the consumers below exist, with N streams and
# N consumers, no caps). Target: polls <= 16 MiB above the baseline at
# 10,000 streams. Then the server's cost: a durable pull consumer on every stream
# (a third have a message pending), and the server's CPU time (its
# threads' schedstat, less its idle rate) for one
# /jsz?accounts=true&streams=true&consumers=true&config=true (what the NATS
# exporter asks, the same data) against one exporter poll: the first (every
# consumer list asked) and the steady ones (unchanged, settled streams' consumers
# reused), with the poll's API requests; /jsz and the steady polls measured
# in alternation, each with the garbage collection it causes, medians.
# Target: a steady poll <= /jsz.
# Loopback only; everything is stopped at the end.
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

# server_cpu N NATS_PID PORT MONPORT: one row of the server's CPU ms (its
# threads' schedstat, in ns) per
# /jsz and per exporter poll: the first poll (every consumer list asked),
# then rounds of one /jsz request and the next steady poll (unchanged,
# settled streams' consumers reused) in back-to-back windows, each with the
# garbage collection it causes, so that both see the same machine; medians,
# with the steady poll's requests.
server_cpu() {
  python3 - "$@" "$(port)" <<'PY'
import glob, statistics, subprocess, sys, time, urllib.request
n, pid, np, mp, ep = (int(a) for a in sys.argv[1:])
def cpu():  # the server's threads' CPU time, in ns (schedstat), as seconds
    t = 0
    for f in glob.glob("/proc/%d/task/*/schedstat" % pid):
        try:
            t += int(open(f).read().split()[0])
        except OSError:
            pass
    return t / 1e9
def scrape():
    try:
        body = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % ep, timeout=5).read().decode()
    except OSError:
        return {}
    return {l.rsplit(" ", 1)[0]: float(l.rsplit(" ", 1)[1]) for l in body.splitlines()
            if l.startswith("memacct_jetstream_")}
def next_poll(after):
    while True:
        m = scrape()
        t = m.get("memacct_jetstream_last_poll_success_timestamp_seconds", 0)
        if t > after:
            return t, m
        time.sleep(0.05)
ASKED = 'memacct_jetstream_poll_consumer_lists{result="asked"}'
JSZ = "http://127.0.0.1:%d/jsz?accounts=true&streams=true&consumers=true&config=true" % mp
SETTLE = 1.5  # after each, for the garbage collection it causes
c0, w0 = cpu(), time.time(); time.sleep(2.0); idle = (cpu() - c0) / (time.time() - w0)
interval = 4 if n <= 2000 else 8
c0 = cpu()
exporter = subprocess.Popen(["build-bench/memacct_exporter", "--web.listen-address=127.0.0.1:%d" % ep,
    "--nats.url=nats://127.0.0.1:%d" % np, "--nats.poll-interval=%d" % interval,
    "--nats.poll-timeout=60", "--nats.max-streams=0", "--nats.max-consumers=0",
    "--no-collector.cgroup", "--no-collector.process", "--no-collector.node", "--log.level=warn"])
try:
    t, m = next_poll(0)  # the first poll asks every consumer list
    time.sleep(SETTLE)
    first, first_asked = (cpu() - c0) * 1000, m.get(ASKED, 0)
    t, m = next_poll(t)
    time.sleep(SETTLE)
    # Contiguous windows, each holding one /jsz or one poll and what it
    # leaves the garbage collector, less the idle rate.
    jsz, polls, reqs, asked = [], [], [], []
    c, w = cpu(), time.time()
    for _ in range(16 if n <= 2000 else 10):
        urllib.request.urlopen(JSZ, timeout=120).read()
        time.sleep(SETTLE)
        c1, w1 = cpu(), time.time()
        jsz.append(((c1 - c) - idle * (w1 - w)) * 1000)
        t, m = next_poll(t)
        time.sleep(SETTLE)
        c, w = cpu(), time.time()
        polls.append(((c - c1) - idle * (w - w1)) * 1000)
        reqs.append(m.get("memacct_jetstream_poll_requests", 0))
        asked.append(m.get(ASKED, 0))
finally:
    exporter.terminate(); exporter.wait()
j, p = statistics.median(jsz), statistics.median(polls)
print("%-7d %-9d %-10.0f %-18s %-19.0f %-9.0f %-11.0f %-9.2f %.2f" % (
    n, n, j, "%.0f (%d lists)" % (first, first_asked), p, statistics.mean(reqs),
    statistics.mean(asked), p / j, first / j))
PY
}

printf '%-7s %-14s %-16s %-7s\n' streams bare_walk_ms exporter_poll_ms ratio
memrows=()
cpurows=()
for N in "${Ns[@]}"; do
  np=$(port); ep=$(port)
  mp=$(port)
  nats-server -js -sd "$work/store-$N" -a 127.0.0.1 -p "$np" -m "$mp" -l "$work/nats-$N.log" & nats=$!
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
  # The server's CPU per poll, with a consumer on every stream.
  python3 "$py" mkconsumers "$np" "$N" >/dev/null
  cpurows+=("$(server_cpu "$N" "$nats" "$np" "$mp")")
  memrows+=("$(mem "$N + $N consumers, no caps" --nats.url=nats://127.0.0.1:"$np" \
    --nats.poll-interval=1 --nats.poll-timeout=60 --nats.max-streams=0 --nats.max-consumers=0)")
  kill "$nats"; wait "$nats" || true; nats=""
done
echo
printf '%-22s %-10s %-10s %-12s %-10s\n' "memory (MiB)" polls_rss polls_hwm scrape_hwm body_KiB
mem "no NATS (baseline)"
printf '%s\n' "${memrows[@]}"
echo
printf '%-7s %-9s %-10s %-18s %-19s %-9s %-11s %-9s %s\n' streams consumers jsz_cpu_ms \
  first_poll_cpu_ms steady_poll_cpu_ms requests lists_asked steady/jsz first/jsz
printf '%s\n' "${cpurows[@]}"
