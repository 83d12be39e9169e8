#!/usr/bin/env bash
# JetStream consumers against the server's own word: a real nats-server
# with push and pull consumers, durable and ephemeral, a work queue with
# unacked messages and redeliveries (ack-pending at max_ack_pending), a pull
# request waiting, a push consumer nobody listens to and one that is
# caught up (jetstream_nats.py consumers-setup), then every exported
# consumer value compared with /jsz?consumers=true. Then what the poll
# saves the server: an idle stream's consumers are reused from the poll
# before (memacct_jetstream_poll_consumer_lists), and are asked again, with
# the server's values, once a message arrives. Then --nats.consumer-exclude
# and --nats.max-consumers: what is left out is counted, the counts add up
# to the listed total, and streams past the cap are not asked.
set -euo pipefail
source "$(dirname "$0")/jetstream_lib.bash"
need_promtool
js_require
SETUP_PID=""
trap '[ -n "$SETUP_PID" ] && kill "$SETUP_PID" 2>/dev/null; js_cleanup' EXIT

start_nats
# The setup stays connected: its pull request keeps waiting.
python3 "$JS_PY" consumers-setup "$NATS_PORT" "$JS_WORK/ready" > "$JS_WORK/setup.log" 2>&1 &
SETUP_PID=$!
for _ in $(seq 150); do [ -s "$JS_WORK/ready" ] && break; sleep 0.1; done
[ -s "$JS_WORK/ready" ] || { cat "$JS_WORK/setup.log"; fail "consumers-setup did not finish"; }
eph=$(cat "$JS_WORK/ready")
ready=$(now)
js_exporter "$JS_WORK/exporter.log"
m="$JS_WORK/metrics.prom"
wait_fresh_poll "$m" "$ready" 20 || { cat "$JS_WORK/exporter.log"; fail "no fresh JetStream poll"; }
scrape_time=$(now)
scrape > "$m"
python3 "$JS_PY" compare-consumers "$NATS_MON" "$m" "$scrape_time" || fail "consumer values differ from /jsz"
python3 "$JS_PY" compare "$NATS_MON" "$m" "$scrape_time" || fail "stream values differ from /jsz"

check() {  # STREAM CONSUMER METRIC WANT
  local v; v=$(value "$m" "memacct_jetstream_consumer_$3" "stream=\"$1\",consumer=\"$2\"")
  [ "$v" = "$4" ] || fail "$1/$2 $3 = $v, want $4"
}
# The work queue: 3 unacked = max_ack_pending, 2 of them redelivered, the
# first acked (its ack floor), 6 after the last delivered (seq 4).
check JOBS worker ack_pending_messages 3
check JOBS worker max_ack_pending 3
check JOBS worker redelivered_messages 2
check JOBS worker pending_messages 6
check JOBS worker ack_floor_stream_seq 1
check JOBS worker delivered_stream_seq 4
check JOBS waiter waiting_requests 1
check LOG audit pending_messages 6      # push, nobody subscribed
check LOG audit delivered_stream_seq 0
check LOG tail pending_messages 0       # push, subscribed: all delivered
check LOG tail delivered_stream_seq 6
check LOG "$eph" ack_floor_stream_seq 2 # ephemeral pull, 2 acked
grep -q "^memacct_jetstream_consumer_info{stream=\"LOG\",consumer=\"$eph\",account=\"\",kind=\"pull\",durable=\"false\",ack_policy=\"explicit\"} 1$" "$m" ||
  fail "the ephemeral consumer's info series is not as expected"
grep -q '^memacct_jetstream_consumer_info{stream="LOG",consumer="tail",account="",kind="push",durable="true",ack_policy="none"} 1$' "$m" ||
  fail "tail's info series is not as expected"
grep -q 'memacct_jetstream_consumer_last_delivery_age_seconds{stream="LOG",consumer="audit"' "$m" &&
  fail "a last delivery age for a consumer that delivered nothing"
[ "$(value "$m" memacct_jetstream_poll_consumers 'result="exported"')" = 6 ] || fail "exported consumers != 6"
[ "$(value "$m" memacct_jetstream_poll_consumers_listed)" = 6 ] || fail "listed consumers != 6"
out=$(promtool check metrics < "$m" 2>&1) || true
[ -z "$out" ] && echo "promtool check metrics: silent" || { echo "$out"; fail "promtool check metrics complained"; }

# Reuse: JOBS's worker has unacked messages (acks and redeliveries can come
# at any time), so JOBS is asked every poll; LOG's and IDLE's consumers
# cannot change without a stream change or a client acting (nothing
# unacked; nothing to deliver, or nobody pulling or subscribed with
# something to deliver), so most polls take them from the poll before.
reused=0
for _ in 1 2 3 4 5 6; do
  wait_fresh_poll "$m" "$(now)" 20 || fail "no fresh poll"
  r=$(value "$m" memacct_jetstream_poll_consumer_lists 'result="reused"')
  a=$(value "$m" memacct_jetstream_poll_consumer_lists 'result="asked"')
  [ $((r + a)) = 3 ] || fail "asked $a + reused $r consumer lists, want 3 streams"
  [ "$a" -ge 1 ] || fail "JOBS's consumer list not asked: its worker has unacked messages"
  reused=$((reused + r))
done
[ "$reused" -ge 6 ] || fail "LOG's and IDLE's consumers reused $reused times in 6 polls (want >= 6)"
echo "consumer lists reused $reused times in 6 polls (LOG and IDLE, 2 a poll at most)"
python3 "$JS_PY" compare-consumers "$NATS_MON" "$m" "$(now)" || fail "reused consumer values differ from /jsz"
# A message on IDLE: its stream changed, so the next poll asks, and the
# values are the server's again.
python3 "$JS_PY" publish "$NATS_PORT" idle.x 1
since=$(now)
wait_fresh_poll "$m" "$since" 20 || fail "no fresh poll after publishing"
check IDLE idle pending_messages 1
python3 "$JS_PY" compare-consumers "$NATS_MON" "$m" "$(now)" || fail "consumer values differ from /jsz after a publish"
stop_exporter

# Cardinality: waiter excluded, then at most 2 in (stream, consumer)
# order: IDLE/idle and JOBS/worker. LOG (3 consumers) lies past the cap
# and is not asked: its consumers are counted dropped.
js_exporter "$JS_WORK/exporter2.log" --nats.consumer-exclude='^waiter$' --nats.max-consumers=2
wait_metric "$m" '^memacct_jetstream_up 1$' 20 || fail "capped exporter never up"
[ "$(grep -c '^memacct_jetstream_consumer_pending_messages{' "$m")" = 2 ] || fail "consumer cap not applied"
check IDLE idle pending_messages 1
check JOBS worker pending_messages 6
[ "$(value "$m" memacct_jetstream_poll_consumers 'result="filtered"')" = 1 ] || fail "filtered count"
[ "$(value "$m" memacct_jetstream_poll_consumers 'result="dropped"')" = 3 ] || fail "dropped count"
[ "$(value "$m" memacct_jetstream_poll_consumers_listed)" = 6 ] || fail "listed count"
[ "$(awk '/^memacct_jetstream_poll_consumers\{/{s+=$2} END{print s}' "$m")" = 6 ] ||
  fail "memacct_jetstream_poll_consumers does not add up to the listed total"
[ "$(value "$m" memacct_jetstream_poll_consumer_lists 'result="asked"')" -le 2 ] ||
  fail "streams past the consumer cap were asked"
d1=$(value "$m" memacct_jetstream_consumers_dropped_total)
wait_fresh_poll "$m" "$(now)" 20 || fail "no fresh poll"
d2=$(value "$m" memacct_jetstream_consumers_dropped_total)
[ "$d1" -ge 3 ] && [ "$d2" -ge $((d1 + 3)) ] || fail "consumers dropped counter $d1 then $d2"
echo "consumer cap 2: exported 2, filtered 1, dropped 3 per poll, counter $d1 -> $d2"
stop_exporter

js_exporter "$JS_WORK/exporter3.log" --nats.consumer-include='^(worker|tail)$'
wait_metric "$m" '^memacct_jetstream_up 1$' 20 || fail "include exporter never up"
got=$(grep '^memacct_jetstream_consumer_pending_messages{' "$m" | sed 's/.*consumer="\([^"]*\)".*/\1/' | tr '\n' ' ')
[ "$got" = "worker tail " ] || fail "--nats.consumer-include kept [$got]"
[ "$(value "$m" memacct_jetstream_poll_consumers 'result="filtered"')" = 4 ] || fail "include: filtered count"
echo "consumer include: [$got], 4 filtered"
echo PASS
