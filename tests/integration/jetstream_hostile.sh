#!/usr/bin/env bash
# A hostile or broken NATS server never gets the exporter stuck: against
# jetstream_fake.py (loopback, one misbehaviour per run) the exporter, polling
# every second with a 2 s budget, keeps answering /metrics within 1 s, reports
# memacct_jetstream_up 0 and counts the failed polls, logs one line for them,
# and exits within 2 s of SIGTERM. The misbehaviours:
#   info     sends INFO and never answers CONNECT (a hung handshake)
#   garbage  answers CONNECT with bytes that are not NATS
#   badjson  answers every API request with something that is not JSON
#   pages    answers the stream list with the same page for ever: the
#            second request ends the poll (limit repeated_page)
#   endless  a new page at every offset, the total never reached: 1,024
#            requests end the poll (limit pages)
#   huge     one 50 MB reply: refused past 4 MiB (limit reply_bytes)
#   bigtotal "total": 1e400: refused, not read as 2^64 - 1
#   flaky    works once, drops the connection, then hangs every reconnect
#   cpages   a stream's consumer list repeats the same page for ever: the
#            second request ends the poll (limit repeated_page)
#   chuge    a 50 MB consumer list reply, among the requests in flight:
#            dropped past 4 MiB in flight (limit reply_bytes)
#   chang    a consumer list never answered: the poll's budget ends it
# Then SIGTERM in each NATS state with a long budget (30 s): in a hung
# handshake, while cnats reconnects to a hung server, while consumer lists
# are awaited, and between polls.
set -euo pipefail
source "$(dirname "$0")/jetstream_lib.bash"
js_require
trap 'stop_fake; js_cleanup' EXIT

# scrape_fast FILE: one scrape that must answer within 1 s.
scrape_fast() {
  local t
  t=$(curl -fsS -m 5 -o "$1" -w '%{time_total}' "$EXPORTER_URL/metrics") || fail "scrape failed"
  python3 -c "import sys; sys.exit(0 if $t < 1.0 else 1)" || fail "scrape took $t s"
}

# term_within_2s LOG: SIGTERM, then the exporter must be gone within 2 s
# with status 0 and a clean log (no sanitizer report).
term_within_2s() {
  local log=$1 t0 rc=0
  t0=$(date +%s%N)
  kill -TERM "$EXPORTER_PID"
  for _ in $(seq 40); do kill -0 "$EXPORTER_PID" 2>/dev/null || break; sleep 0.05; done
  local ms=$((($(date +%s%N) - t0) / 1000000))
  if kill -0 "$EXPORTER_PID" 2>/dev/null; then
    kill -KILL "$EXPORTER_PID"; wait "$EXPORTER_PID" 2>/dev/null || true; EXPORTER_PID=""
    cat "$log"; fail "still running ${ms} ms after SIGTERM"
  fi
  wait "$EXPORTER_PID" || rc=$?
  EXPORTER_PID=""
  [ "$rc" = 0 ] || { cat "$log"; fail "exit status $rc after SIGTERM"; }
  grep -q 'ERROR: \(Address\|Leak\|Undefined\)Sanitizer\|runtime error:' "$log" && { cat "$log"; fail "sanitizer report"; }
  grep -q 'did not stop in time' "$log" && { cat "$log"; fail "the poller had to be left running"; }
  echo "  SIGTERM: gone in ${ms} ms"
}

# hostile MODE WANT_IN_LOG [FAKE_ARGS]: the checks of the header comment.
hostile() {
  local mode=$1 want=$2 log="$JS_WORK/exporter-$1.log" m="$JS_WORK/metrics-$1.prom"
  start_fake "$mode" "${@:3}"
  # A 50 MB reply can still be arriving at SIGTERM: cnats then leaks its
  # parse buffer (lsan_cnats_parser.supp says why). Only for those modes.
  local lsan=${LSAN_OPTIONS:-}
  case $mode in huge|chuge) lsan="${lsan:+$lsan:}suppressions=$(cd "$(dirname "$0")" && pwd)/lsan_cnats_parser.supp" ;; esac
  LSAN_OPTIONS=$lsan js_exporter "$log" --nats.poll-timeout=2s --no-collector.process
  wait_metric "$m" '^memacct_jetstream_poll_errors_total [3-9]' 20 || { cat "$log"; fail "$mode: fewer than 3 failed polls"; }
  for _ in 1 2 3 4 5; do scrape_fast "$m"; sleep 0.2; done
  [ "$(value "$m" memacct_jetstream_up)" = 0 ] || fail "$mode: up is not 0"
  grep -q '^memacct_jetstream_stream_' "$m" && fail "$mode: stream series from a hostile server"
  local n; n=$(grep -c 'JetStream poll failed' "$log" || true)
  [ "$n" = 1 ] || { cat "$log"; fail "$mode: $n 'poll failed' lines (want 1)"; }
  grep -qF -- "$want" "$log" || { cat "$log"; fail "$mode: the log line does not say '$want'"; }
  echo "$mode: up 0, $(value "$m" memacct_jetstream_poll_errors_total) failed polls, one line:"
  grep 'JetStream poll failed' "$log" | sed 's/^/  /'
  term_within_2s "$log"
  stop_fake
}

hostile info 'no NATS handshake within the poll'"'"'s 2000 ms'
hostile garbage 'kind=other'
hostile badjson '$JS.API.INFO: not JSON'
hostile bigtotal 'is not a stream count'

# limit MODE LIMIT MAX_REQUESTS_PER_POLL: a hostile list ends in a counted
# limit, drawing a bounded number of requests per poll.
limit() {
  local mode=$1 lim=$2 max=$3 m="$JS_WORK/metrics-$1.prom"
  local hits polls reqs
  hits=$(value "$m" memacct_jetstream_poll_limit_hits_total "limit=\"$lim\"")
  polls=$(value "$m" memacct_jetstream_poll_errors_total)
  [ "$hits" -ge 3 ] && [ "$hits" = "$polls" ] || fail "$mode: limit $lim hit $hits times in $polls failed polls"
  reqs=$(cat "$FAKE_PORT_FILE.requests")
  [ "$reqs" -le $(((polls + 2) * max)) ] || fail "$mode: $reqs list requests for $polls polls (at most $max each)"
  echo "  limit $lim: $hits hits, $reqs list requests for $polls polls"
}
hostile pages 'repeats an earlier one'
limit pages repeated_page 2
hostile endless 'more than 1024 pages'
limit endless pages 1024
hostile huge 'larger than the 4096 KiB cap'
limit huge reply_bytes 1
hostile cpages 'repeats the one before'
limit cpages repeated_page 3
hostile chuge 'replies passing 4096 KiB in flight were dropped'
limit chuge reply_bytes 2
hostile chang "consumer lists: no reply within the poll's 2000 ms"

# flaky: one good poll, then the connection drops and every reconnect hangs.
start_fake flaky
log="$JS_WORK/exporter-flaky.log" m="$JS_WORK/metrics-flaky.prom"
js_exporter "$log" --nats.poll-timeout=2s --no-collector.process
wait_metric "$m" '^memacct_jetstream_up 1$' 10 || { cat "$log"; fail "flaky: never up"; }
wait_metric "$m" '^memacct_jetstream_poll_errors_total [3-9]' 20 || { cat "$log"; fail "flaky: reconnects did not fail"; }
scrape_fast "$m"
[ "$(value "$m" memacct_jetstream_up)" = 0 ] || fail "flaky: up is not 0"
[ "$(value "$m" memacct_jetstream_stream_messages 'stream="S0000000"')" = 0 ] || fail "flaky: the last values are not served stale"
grep -q 'no NATS handshake within' "$log" || { cat "$log"; fail "flaky: the hung reconnect is not logged"; }
echo "flaky: up 0 after the drop, last values served, $(value "$m" memacct_jetstream_poll_errors_total) failed polls"
term_within_2s "$log"
stop_fake

# SIGTERM in each state, with a 30 s budget that must not delay it.
start_fake info
log="$JS_WORK/exporter-term-handshake.log"
js_exporter "$log" --nats.poll-timeout=30s --no-collector.process
sleep 1.5   # the first poll is in the hung handshake now
echo "SIGTERM in a hung handshake:"
term_within_2s "$log"
stop_fake

start_fake flaky
log="$JS_WORK/exporter-term-reconnect.log" m="$JS_WORK/metrics-term.prom"
js_exporter "$log" --nats.poll-timeout=30s --no-collector.process
wait_metric "$m" '^memacct_jetstream_up 1$' 10 || { cat "$log"; fail "flaky: never up"; }
sleep 3     # the connection was dropped at 2 s; the next poll hangs reconnecting
echo "SIGTERM while reconnecting to a hung server:"
term_within_2s "$log"
stop_fake

start_fake chang
log="$JS_WORK/exporter-term-consumers.log"
js_exporter "$log" --nats.poll-timeout=30s --no-collector.process
# The stream list, then the consumer list the fake never answers.
for _ in $(seq 100); do [ "$(cat "$FAKE_PORT_FILE.requests" 2>/dev/null)" = 2 ] && break; sleep 0.05; done
[ "$(cat "$FAKE_PORT_FILE.requests")" = 2 ] || fail "chang: the consumer list was not asked"
sleep 0.5   # the poll waits for the consumer list's reply now
echo "SIGTERM while consumer lists are awaited:"
term_within_2s "$log"
stop_fake

start_fake flaky
log="$JS_WORK/exporter-term-idle.log"
js_exporter "$log" --nats.poll-interval=60s --no-collector.process
wait_metric "$m" '^memacct_jetstream_up 1$' 10 || { cat "$log"; fail "flaky: never up"; }
echo "SIGTERM between polls, connected:"
term_within_2s "$log"
stop_fake
echo PASS
