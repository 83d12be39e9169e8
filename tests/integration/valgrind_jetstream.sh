#!/usr/bin/env bash
# Valgrind (memcheck) on the real binary with the JetStream poller, in two
# parts. (1) A real nats-server holding the values test's streams and
# consumers, the exporter under valgrind polling it every second: streams
# and consumers equal /jsz (jetstream_nats.py compare, compare-consumers),
# /explain renders the stream rows, the server dying gives up 0 with the
# last values and its return up 1 (a new connection, the old one freed).
# (2) jetstream_fake.py misbehaving (a hung handshake, garbage, bad JSON, a
# repeated or endless stream list, a 1e400 total, a repeated or never
# answered consumer list, a connection that works once then hangs): each
# until two polls failed. After each, SIGTERM: valgrind must exit 0 (no
# invalid read or write, no use of uninitialised values, no definitely lost
# block). Suppressions: tests/integration/valgrind.supp, third-party frames
# only. Left out: the 50 MB replies (huge, chuge), where cnats leaks its read
# buffer if SIGTERM comes mid-reply (lsan_cnats_parser.supp), TLS and the
# credential forms (jetstream_hostile, jetstream_tls and jetstream_auth run
# them under ASan). It runs only on a build without sanitizers
# (scripts/test.sh's plain stage).
set -euo pipefail
source "$(dirname "$0")/jetstream_lib.bash"
command -v valgrind >/dev/null || skip "valgrind not installed (Debian package valgrind)"
js_require

start_nats
python3 "$JS_PY" values-setup "$NATS_PORT"
published=$(now)

# start_vg NAME ARGS...: the exporter under valgrind (fixture cgroupfs,
# polling every second); sets EXPORTER_PID (js_cleanup stops it on failure).
start_vg() {
  local name=$1 port; shift
  port=$(free_port)
  EXPORTER_URL="http://127.0.0.1:$port"
  memcheck "$JS_WORK/$name.valgrind.log" "$MEMACCT_BIN" --web.listen-address=127.0.0.1:"$port" \
    --nats.url="$NATS_URL" --nats.poll-interval=1 --path.cgroupfs="$JS_FIXTURE/sys" \
    --path.procfs="$JS_FIXTURE/proc" "$@" >"$JS_WORK/$name.log" 2>&1 &
  EXPORTER_PID=$!
}

# --- 1. a real server -----------------------------------------------------------
start_vg real --nats.poll-timeout=8s
m="$JS_WORK/m.prom"
wait_metric "$m" '^memacct_jetstream_consumer_pending_messages\{stream="WORK"' 120 ||
  { cat "$JS_WORK/real.log" "$JS_WORK/real.valgrind.log"; fail "no consumer series under valgrind"; }
wait_fresh_poll "$m" "$published" 60 || fail "no fresh poll under valgrind"
scrape_time=$(now)
scrape > "$m"
python3 "$JS_PY" compare "$NATS_MON" "$m" "$scrape_time" || fail "stream values differ from /jsz under valgrind"
python3 "$JS_PY" compare-consumers "$NATS_MON" "$m" "$scrape_time" ||
  fail "consumer values differ from /jsz under valgrind"
[ "$(value "$m" memacct_jetstream_poll_consumers_listed)" = 2 ] || fail "consumers listed != 2"
curl -fsS "$EXPORTER_URL/explain" > "$JS_WORK/explain.html"
grep -q '<tr data-stream="WORK"' "$JS_WORK/explain.html" || fail "/explain has no WORK row"
for _ in 1 2 3 4 5; do
  curl -fsS -o /dev/null --compressed "$EXPORTER_URL/metrics"
done

# The server dies: up 0, the last values kept; it comes back: up 1.
stop_nats
wait_metric "$m" '^memacct_jetstream_up 0$' 60 || fail "up never 0 with the server dead"
grep -q '^memacct_jetstream_consumer_pending_messages{stream="WORK"' "$m" ||
  fail "last consumer values not served with the server dead"
start_nats
wait_metric "$m" '^memacct_jetstream_up 1$' 60 || fail "up never 1 with the server back"
echo "server killed and back: up 0 then 1 under valgrind"

stop_memcheck "$JS_WORK" real

# --- 2. a hostile server ----------------------------------------------------------
trap 'stop_fake; js_cleanup' EXIT
for mode in info garbage badjson pages endless bigtotal cpages chang flaky; do
  start_fake "$mode"
  start_vg "$mode" --nats.poll-timeout=2s --no-collector.process
  wait_metric "$JS_WORK/$mode.prom" '^memacct_jetstream_poll_errors_total ([2-9]|[1-9][0-9]+)$' 90 ||
    { cat "$JS_WORK/$mode.log"; fail "$mode: fewer than 2 failed polls under valgrind"; }
  [ "$(value "$JS_WORK/$mode.prom" memacct_jetstream_up)" = 0 ] || fail "$mode: up is not 0"
  stop_memcheck "$JS_WORK" "$mode"
  stop_fake
done
echo PASS
