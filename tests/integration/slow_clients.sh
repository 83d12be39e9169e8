#!/usr/bin/env bash
# Connection exhaustion, on loopback, with bounded loops (about 70 s):
#  1. five rounds of 1,100 connections from 127.0.0.2 trickling a request one
#     byte a second and 2,000 idle ones from 127.0.0.3 (3,100 open, above
#     select()'s 1,024; --web.max-connections=4096, no per-address cap) while
#     a scraper on 127.0.0.1 keeps getting /healthz and /metrics, each within
#     1 s; the exporter holds them all; its threads are the same after every
#     round and its RSS after the last round is within 10 % (+1 MiB) of the
#     RSS after the second (the first warms up malloc's per-thread arenas;
#     not asserted in an ASan build, whose allocator keeps freed memory);
#  2. the default --web.max-connections-per-ip (64): 200 connections from one
#     address, the rest are closed at once, another address is served;
#  3. --web.read-timeout=2s: tricklers and idle connections are cut about 2 s
#     after they opened although every byte restarts the idle timeout, while
#     a kept-alive connection that waits 4 s between two requests is not;
#  4. --web.connection-timeout=2s closes idle connections (read deadline off);
#  5. --web.max-connections=50 held by 50 idle connections: a new one is not
#     served, and is again once they are gone.
# It prints every number it measures. It does not load the exporter with
# many real scrapes (load_concurrent.sh does).
set -euo pipefail
source "$(dirname "$0")/lib.bash"
command -v python3 >/dev/null || skip "python3 not installed"
# 3,100 client sockets here plus 3,100 in the exporter.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge 8000 ] ||
  skip "open files limit $(ulimit -n) (hard $(ulimit -Hn)) below 8000"
python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.2", 0))' 2>/dev/null ||
  skip "cannot bind 127.0.0.2 (loopback is not 127.0.0.0/8)"
work=$(mktemp -d)
helpers=()
cleanup() {
  set +e
  for p in "${helpers[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  stop_exporter
  rm -rf "$work"
}
trap cleanup EXIT
fx="$MEMACCT_FIXTURES/cgroup-v2/6-over-high"
paths=(--path.cgroupfs="$fx/sys" --path.procfs="$fx/proc" --no-collector.node)
nfds() { ls "/proc/$EXPORTER_PID/fd" | wc -l; }
threads() { awk '/^Threads:/ {print $2}' "/proc/$EXPORTER_PID/status"; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$EXPORTER_PID/status"; }
port() { echo "${EXPORTER_URL##*:}"; }
field() { sed -n "s/.*\b$2=\([-0-9.]*\).*/\1/p" "$1"; } # FILE KEY
wait_file() {  # FILE WHAT
  for _ in $(seq 1 400); do [ -s "$1" ] && return 0; sleep 0.05; done
  fail "$2 did not get ready"
}

# flood.py PORT SLOW SLOW_IP IDLE IDLE_IP HOLD_S READY: opens SLOW
# connections from SLOW_IP that send a request line and then one header
# byte a second, and IDLE ones from IDLE_IP that send nothing; writes
# "open" to READY; for HOLD_S seconds trickles and watches for the server
# closing them; prints how many it closed and each one's lifetime.
cat >"$work/flood.py" <<'PY'
import os, select, socket, sys, time
port, nslow, slow_ip, nidle, idle_ip, hold, ready = sys.argv[1:]
port, nslow, nidle, hold = int(port), int(nslow), int(nidle), float(hold)
socks, opened, slow = [], {}, set()
t_start = time.time()
for i in range(nslow + nidle):
    s = socket.socket()
    s.bind((slow_ip if i < nslow else idle_ip, 0))
    s.settimeout(10)
    s.connect(("127.0.0.1", port))
    s.setblocking(False)
    opened[s.fileno()] = time.time()
    if i < nslow:
        slow.add(s.fileno())
        s.send(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    socks.append(s)
t0 = time.time()
with open(ready + ".tmp", "w") as f:
    f.write("open\n")
os.rename(ready + ".tmp", ready)
life, next_byte = {}, t0 + 1
by_fd = {s.fileno(): s for s in socks}
poller = select.poll()
for s in socks:
    poller.register(s, select.POLLIN)
def closed(fd):
    life[fd] = time.time() - opened[fd]
    poller.unregister(fd)
while time.time() - t0 < hold and len(life) < len(socks):
    if time.time() >= next_byte:
        next_byte += 1
        for fd in slow:
            if fd not in life:
                try:
                    by_fd[fd].send(b"a")
                except OSError:
                    closed(fd)
    for fd, _ in poller.poll(50):
        if fd in life:
            continue
        try:
            data = by_fd[fd].recv(4096)
        except (ConnectionResetError, BrokenPipeError):
            data = b""
        except BlockingIOError:
            continue
        if not data:
            closed(fd)
ts = sorted(life.values())
print("opened=%d opening_took_s=%.2f closed_by_server=%d min_lifetime_s=%.2f "
      "max_lifetime_s=%.2f" % (len(socks), t0 - t_start, len(ts), ts[0] if ts else -1,
                               ts[-1] if ts else -1))
PY

# scraper.py PORT SECONDS: from 127.0.0.1, /healthz and /metrics in turn,
# each on a new connection with a 1 s budget, for SECONDS; prints the count,
# failures and the slowest answer.
cat >"$work/scraper.py" <<'PY'
import http.client, sys, time
port, secs = int(sys.argv[1]), float(sys.argv[2])
n = ok = 0
worst = 0.0
errors = {}
end = time.time() + secs
while time.time() < end:
    path = "/healthz" if n % 2 == 0 else "/metrics"
    n += 1
    t = time.time()
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=1,
                                       source_address=("127.0.0.1", 0))
        c.request("GET", path)
        r = c.getresponse()
        body = r.read()
        c.close()
        if r.status == 200 and (path == "/healthz" or b"memacct_cgroup_memory_bytes" in body):
            ok += 1
        else:
            errors["HTTP %d" % r.status] = errors.get("HTTP %d" % r.status, 0) + 1
    except Exception as e:
        errors[type(e).__name__] = errors.get(type(e).__name__, 0) + 1
    worst = max(worst, time.time() - t)
    time.sleep(0.05)
print("requests=%d ok=%d worst_ms=%.0f errors=%s" % (n, ok, worst * 1000, errors or "none"))
PY

# --- 1. 1,100 tricklers and 2,000 idle, five rounds --------------------------
start_exporter "$work/e1.log" "${paths[@]}" --web.max-connections=4096 \
  --web.max-connections-per-ip=0 --web.read-timeout=60s
fd_base=$(nfds)
rounds=()
for round in 1 2 3 4 5; do
  rm -f "$work/ready"
  python3 "$work/flood.py" "$(port)" 1100 127.0.0.2 2000 127.0.0.3 6 "$work/ready" \
    >"$work/flood$round.out" &
  flood=$!; helpers+=("$flood")
  wait_file "$work/ready" "round $round's 3,100 connections"
  sleep 0.5
  held=$(( $(nfds) - fd_base ))
  python3 "$work/scraper.py" "$(port)" 4 >"$work/scrape$round.out"
  wait "$flood"; helpers=()
  sleep 0.5
  curl -fsS -m 2 "$EXPORTER_URL/healthz" >/dev/null
  rss=$(rss_kb) th=$(threads)
  echo "round $round: exporter held $held connections; $(cat "$work/scrape$round.out");" \
    "flood: $(cat "$work/flood$round.out"); after: rss_kb=$rss threads=$th fds=$(nfds)"
  rounds+=("$rss $th")
  [ "$held" -ge 3090 ] || fail "round $round: the exporter held only $held of 3,100 connections"
  [ "$(field "$work/scrape$round.out" requests)" = "$(field "$work/scrape$round.out" ok)" ] ||
    fail "round $round: a /healthz or /metrics request failed during the flood"
  [ "$(field "$work/scrape$round.out" worst_ms)" -lt 1000 ] ||
    fail "round $round: an answer took 1 s or more"
  [ "$(field "$work/flood$round.out" closed_by_server)" = 0 ] ||
    fail "round $round: the exporter closed flood connections (no cap was set)"
done
# Round 1 warms up (each worker's first allocations make its malloc arena).
read -r rss1 th1 <<<"${rounds[0]}"
read -r rss2 _ <<<"${rounds[1]}"
read -r rss5 th5 <<<"${rounds[4]}"
echo "rss_kb after rounds 1, 2 and 5: $rss1 $rss2 $rss5 (peak $(awk '/^VmHWM:/ {print $2}' \
  "/proc/$EXPORTER_PID/status")); threads $th1 -> $th5"
[ "$th5" = "$th1" ] || fail "threads changed across rounds ($th1 -> $th5)"
# ASan's allocator keeps freed memory (and its leak check at exit covers
# leaks there): the RSS bound is for the normal allocator.
if grep -q libasan "/proc/$EXPORTER_PID/maps"; then
  echo "NOTE: an ASan build: RSS reported, not bounded"
else
  awk -v a="$rss2" -v b="$rss5" 'BEGIN {exit !(b <= a * 1.10 + 1024)}' ||
    fail "RSS grew across rounds ($rss2 kB after round 2 -> $rss5 kB after round 5)"
fi
stop_exporter

# --- 2. the per-address cap (default 64) --------------------------------------
start_exporter "$work/e2.log" "${paths[@]}"
rm -f "$work/ready"
python3 "$work/flood.py" "$(port)" 0 127.0.0.2 200 127.0.0.2 3 "$work/ready" >"$work/cap.out" &
flood=$!; helpers+=("$flood")
wait_file "$work/ready" "200 connections from 127.0.0.2"
python3 "$work/scraper.py" "$(port)" 1 >"$work/cap_scrape.out"
wait "$flood"; helpers=()
echo "200 connections from 127.0.0.2 (default cap 64): $(cat "$work/cap.out");" \
  "scraper on 127.0.0.1: $(cat "$work/cap_scrape.out")"
[ "$(field "$work/cap.out" closed_by_server)" = 136 ] ||
  fail "want 136 of 200 connections from one address closed at once (cap 64)"
[ "$(field "$work/cap_scrape.out" requests)" = "$(field "$work/cap_scrape.out" ok)" ] ||
  fail "another address was not served while one address was at its cap"
stop_exporter

# --- 3. --web.read-timeout=2s ---------------------------------------------------
start_exporter "$work/e3.log" "${paths[@]}" --web.read-timeout=2s
rm -f "$work/ready"
python3 "$work/flood.py" "$(port)" 50 127.0.0.2 50 127.0.0.3 8 "$work/ready" >"$work/rt.out" &
flood=$!; helpers+=("$flood")
# Meanwhile a kept-alive connection asks twice, 4 s apart: within the idle
# timeout (30 s), so the read deadline does not cut it.
python3 - "$(port)" >"$work/keepalive.out" <<'PY'
import http.client, sys, time
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=5)
codes = []
for i in range(2):
    c.request("GET", "/healthz")
    r = c.getresponse(); r.read(); codes.append(r.status)
    if i == 0:
        time.sleep(4)
print("keepalive_codes=%s same_connection=%s" % (codes, c.sock is not None))
PY
wait "$flood"; helpers=()
echo "--web.read-timeout=2s, 50 tricklers and 50 idle: $(cat "$work/rt.out");" \
  "kept-alive connection: $(cat "$work/keepalive.out")"
[ "$(field "$work/rt.out" closed_by_server)" = 100 ] || fail "not every connection was cut"
awk -v a="$(field "$work/rt.out" min_lifetime_s)" -v b="$(field "$work/rt.out" max_lifetime_s)" \
  'BEGIN {exit !(a >= 1.5 && b <= 4)}' || fail "connections were not cut about 2 s after opening"
grep -q 'keepalive_codes=\[200, 200\] same_connection=True' "$work/keepalive.out" ||
  fail "a kept-alive connection waiting between requests was cut"
stop_exporter

# --- 4. --web.connection-timeout=2s closes idle connections ---------------------
start_exporter "$work/e4.log" "${paths[@]}" --web.connection-timeout=2s --web.read-timeout=0
rm -f "$work/ready"
python3 "$work/flood.py" "$(port)" 0 127.0.0.1 50 127.0.0.3 8 "$work/ready" >"$work/idle.out" &
flood=$!; helpers+=("$flood")
wait "$flood"; helpers=()
echo "--web.connection-timeout=2s, 50 idle: $(cat "$work/idle.out")"
[ "$(field "$work/idle.out" closed_by_server)" = 50 ] || fail "idle connections were not closed"
awk -v a="$(field "$work/idle.out" min_lifetime_s)" -v b="$(field "$work/idle.out" max_lifetime_s)" \
  'BEGIN {exit !(a >= 1.5 && b <= 6)}' || fail "idle connections lived $a..$b s, want about 2 s"
stop_exporter

# --- 5. --web.max-connections=50 ------------------------------------------------
start_exporter "$work/e5.log" "${paths[@]}" --web.max-connections=50 --web.connection-timeout=3s
rm -f "$work/ready"
python3 "$work/flood.py" "$(port)" 0 127.0.0.1 50 127.0.0.3 5 "$work/ready" >"$work/max.out" &
flood=$!; helpers+=("$flood")
wait_file "$work/ready" "50 idle connections"
sleep 0.3
code=$(curl -sS -m 1 -o /dev/null -w '%{http_code}' "$EXPORTER_URL/healthz" 2>/dev/null || true)
wait "$flood"; helpers=()
after=$(curl -sS -m 5 -o /dev/null -w '%{http_code}' "$EXPORTER_URL/healthz" 2>/dev/null || true)
echo "--web.max-connections=50 held by 50 idle: a new one got '$code';" \
  "after they were closed: '$after'; $(cat "$work/max.out")"
[ "$code" != 200 ] || fail "a connection past --web.max-connections was served at once"
[ "$after" = 200 ] || fail "the exporter did not serve again after the idle connections closed"
echo PASS
