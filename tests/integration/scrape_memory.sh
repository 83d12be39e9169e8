#!/usr/bin/env bash
# A scrape's memory follows its series, not its body, and --web.max-requests
# bounds how many are held at once; on a Kubernetes-shaped tree of 500 pods
# (bench/k8s_tree.sh: 1,503 cgroups, 190-byte container paths, a ~9 MB body):
#  1. three rounds of 4 concurrent scrapes, in text and gzip'd: the
#     exporter's peak RSS (VmHWM) rises by less than one body above its RSS
#     after a warm-up scrape (building each body in memory, as the exporter
#     did before it streamed, takes 4 bodies and more); asserted outside
#     ASan builds (whose allocator keeps freed memory and adds its own),
#     reported in them;
#  2. with --web.max-requests=1, a client that stops reading mid-body keeps
#     its slot (its registry is alive): another scrape gets 503 meanwhile;
#     once the first has read its body (chunked, to the last chunk, which
#     ends in '# EOF' for OpenMetrics) the next gets 200.
# It prints what it measures. Concurrency under load is load_concurrent.sh's;
# the streaming itself (chunks, gzip, aborts) is unit/test_stream_response's.
set -euo pipefail
source "$(dirname "$0")/lib.bash"
command -v python3 >/dev/null || skip "python3 not installed"
work=$(mktemp -d -p "$( [ -d /dev/shm ] && echo /dev/shm || echo /tmp)")
helper=""
cleanup() {
  set +e
  [ -n "$helper" ] && kill "$helper" 2>/dev/null && wait "$helper" 2>/dev/null
  stop_exporter
  rm -rf "$work"
}
trap cleanup EXIT
bash "$MEMACCT_SRC/bench/k8s_tree.sh" 500 "$work/tree" >/dev/null ||
  fail "bench/k8s_tree.sh could not build the tree"
paths=(--path.cgroupfs="$work/tree" --path.procfs="$MEMACCT_FIXTURES/cgroup-v2/3-read-twice/proc")
status() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$EXPORTER_PID/status"; }

# --- 1. four at once: less than one body ------------------------------------
start_exporter "$work/mem.log" "${paths[@]}"
body=$(scrape | wc -c)
rss0=$(status VmRSS)
for enc in identity gzip; do
  for _ in 1 2 3; do
    pids=()
    for _ in 1 2 3 4; do
      curl -fsS -o /dev/null -H "Accept-Encoding: $enc" "$EXPORTER_URL/metrics" & pids+=($!)
    done
    wait "${pids[@]}" || fail "a concurrent scrape failed"
  done
done
hwm=$(status VmHWM)
echo "body=$body bytes; rss after one scrape=$rss0 KiB; peak over 4 concurrent scrapes=$hwm KiB" \
  "(+$((hwm - rss0)) KiB, $(( (hwm - rss0) * 1024 * 100 / body ))% of one body)"
[ "$body" -gt 8000000 ] || fail "body of $body bytes: the tree is not what this test expects"
if grep -q libasan "/proc/$EXPORTER_PID/maps"; then
  echo "NOTE: an ASan build: RSS reported, not bounded"
else
  [ $(( (hwm - rss0) * 1024 )) -lt "$body" ] ||
    fail "4 concurrent scrapes took $((hwm - rss0)) KiB, not less than one body ($body bytes)"
fi
stop_exporter

# --- 2. a stalled reader keeps its --web.max-requests slot -------------------
start_exporter "$work/slot.log" "${paths[@]}" --web.max-requests=1
port=${EXPORTER_URL##*:}
# Reads the status line and a little, says "stalled", waits for "go", then
# reads to the end and checks the chunked body ended with its last chunk.
cat >"$work/stall.py" <<'PY'
import os, socket, sys, time
port, stalled, go = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", port))
s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
          b"Accept: application/openmetrics-text; version=1.0.0\r\n\r\n")
data = s.recv(1000)
open(stalled, "w").close()
while not os.path.exists(go):
    time.sleep(0.05)
while True:
    d = s.recv(1 << 16)
    if not d:
        break
    data += d
head, _, rest = data.partition(b"\r\n\r\n")
ok = head.startswith(b"HTTP/1.1 200") and b"transfer-encoding: chunked" in head.lower()
body = b""
while ok:
    size, _, rest = rest.partition(b"\r\n")
    n = int(size, 16)
    if n == 0:
        ok = rest == b"\r\n"
        break
    body, rest = body + rest[:n], rest[n + 2:]
print("stalled reader: %s, %d body bytes, ends with %r" % ("complete" if ok else "INCOMPLETE",
      len(body), body[-6:]))
sys.exit(0 if ok and body.endswith(b"# EOF\n") else 1)
PY
python3 "$work/stall.py" "$port" "$work/stalled" "$work/go" & helper=$!
for _ in $(seq 1 200); do [ -e "$work/stalled" ] && break; sleep 0.05; done
[ -e "$work/stalled" ] || fail "the stalled reader got no response"
sleep 0.3
code=$(curl -sS -o /dev/null -w '%{http_code}' "$EXPORTER_URL/metrics")
echo "a scrape while the first reader stalls: $code"
[ "$code" = 503 ] || fail "expected 503 while a scrape's body is still being sent (got $code)"
touch "$work/go"
wait "$helper" || fail "the stalled reader's body was not complete"
helper=""
code=$(curl -sS -o /dev/null -w '%{http_code}' "$EXPORTER_URL/metrics")
echo "a scrape after it finished: $code"
[ "$code" = 200 ] || fail "expected 200 once the first body was sent (got $code)"
echo PASS
