#!/usr/bin/env bash
# JetStream values against the server's own word: a real nats-server with
# streams of every limit shape (with and without max_age/max_bytes/max_msgs,
# file and memory, empty, sealed, workqueue with a consumer, interior
# deletes), known messages published, then every exported stream and
# account value compared with /jsz?accounts=true&streams=true&config=true
# (nats-server -m), not with cnats. Then message age: the oldest age grows
# with wall time, an empty stream exports none, and a new message moves the
# newest age back to about 0. promtool has nothing to say about the output.
set -euo pipefail
source "$(dirname "$0")/jetstream_lib.bash"
need_promtool
js_require

start_nats
python3 "$JS_PY" values-setup "$NATS_PORT"
published=$(now)
js_exporter "$JS_WORK/exporter.log"
m="$JS_WORK/metrics.prom"
wait_fresh_poll "$m" "$published" 20 || { cat "$JS_WORK/exporter.log"; fail "no fresh JetStream poll"; }
scrape_time=$(now)
scrape > "$m"
grep -q '^memacct_jetstream_up 1$' "$m" || fail "memacct_jetstream_up is not 1"
python3 "$JS_PY" compare "$NATS_MON" "$m" "$scrape_time" || fail "exported values differ from /jsz"

# The judgements, spelled out (compare derives them from /jsz too).
check() {  # STREAM METRIC WANT
  local v; v=$(value "$m" "memacct_jetstream_stream_$2" "stream=\"$1\"")
  [ "$v" = "$3" ] || fail "$1 $2 = $v, want $3"
}
check UNBOUNDED retention_unbounded 1
check ORDERS retention_unbounded 0
check SEALED retention_unbounded 0        # sealed: cannot grow
check WORK retention_unbounded 0          # workqueue, and max_bytes
check TIMEONLY retention_time_bounded_only 1
check ORDERS retention_time_bounded_only 0 # max_age and max_bytes
check MEMCAPPED messages 100
check MEMCAPPED first_seq 31
check ORDERS deleted_messages 2
check WORK consumers 1
grep -q 'memacct_jetstream_stream_oldest_message_age_seconds{stream="EMPTY"' "$m" &&
  fail "an empty stream exports an oldest message age"
grep -q 'memacct_jetstream_stream_newest_message_age_seconds{stream="EMPTY"' "$m" &&
  fail "an empty stream exports a newest message age"
grep -q 'memacct_jetstream_stream_limit_utilization_ratio{stream="UNBOUNDED"' "$m" &&
  fail "utilization exported for a stream without limits"
grep -q 'memacct_jetstream_stream_info{stream="WORK",account="",storage="file",retention="workqueue",discard="new",replicas="1",nats_cluster=""} 1' "$m" ||
  fail "WORK's info series is not as expected"

out=$(promtool check metrics < "$m" 2>&1) || true
[ -z "$out" ] && echo "promtool check metrics: silent" || { echo "$out"; fail "promtool check metrics complained"; }

# Age grows with wall time, between polls and across them.
a1=$(value "$m" memacct_jetstream_stream_oldest_message_age_seconds 'stream="ORDERS"')
t1=$scrape_time
sleep 3
t2=$(now); scrape > "$m"
a2=$(value "$m" memacct_jetstream_stream_oldest_message_age_seconds 'stream="ORDERS"')
python3 - "$a1" "$a2" "$t1" "$t2" <<'EOF' || fail "oldest message age did not grow with wall time"
import sys
a1, a2, t1, t2 = map(float, sys.argv[1:])
print("oldest age ORDERS: %.3f s, then %.3f s after %.3f s of wall time" % (a1, a2, t2 - t1))
sys.exit(0 if abs((a2 - a1) - (t2 - t1)) < 0.5 and a1 > 0 else 1)
EOF

# A new message: newest age back near 0 while the oldest keeps its age.
python3 "$JS_PY" publish "$NATS_PORT" timeonly.b 1
since=$(now)
wait_fresh_poll "$m" "$since" 20 || fail "no fresh poll after publishing"
n=$(value "$m" memacct_jetstream_stream_newest_message_age_seconds 'stream="TIMEONLY"')
o=$(value "$m" memacct_jetstream_stream_oldest_message_age_seconds 'stream="TIMEONLY"')
python3 -c "import sys; sys.exit(0 if float('$n') < 3 and float('$o') > float('$n') + 2 else 1)" ||
  fail "after a publish: newest age $n, oldest $o"
python3 "$JS_PY" compare "$NATS_MON" "$m" "$(now)" || fail "values differ from /jsz after a publish"
stop_exporter

# Several URLs, a dead one first: the live one is used.
dead=$(free_port)
start_exporter "$JS_WORK/multi.log" --nats.url="nats://127.0.0.1:$dead, $NATS_URL" \
  --nats.poll-interval=1 --path.cgroupfs="$JS_FIXTURE/sys" --path.procfs="$JS_FIXTURE/proc"
wait_metric "$m" '^memacct_jetstream_up 1$' 15 || { cat "$JS_WORK/multi.log"; fail "not up with a dead URL first"; }
echo "two URLs, the first dead: up 1"
echo PASS
