#!/usr/bin/env bash
# Paging and cardinality: 2,000 file-storage streams (the server lists 256 a
# page) must all be exported with the server's values, and the poll time is
# printed. Then --nats.stream-exclude and --nats.max-streams: what is left
# out is counted (memacct_jetstream_poll_streams, whose results add up to
# memacct_jetstream_poll_streams_listed, and the dropped counter
# grows poll after poll). MEMACCT_JS_STREAMS=N and MEMACCT_JS_STORAGE=memory
# change the count and storage (10,000 file streams need more than 20,000
# open files in nats-server; 10,000 memory streams were measured by hand).
set -euo pipefail
source "$(dirname "$0")/jetstream_lib.bash"
js_require
n=${MEMACCT_JS_STREAMS:-2000}
storage=${MEMACCT_JS_STORAGE:-file}

start_nats
python3 "$JS_PY" mkstreams "$NATS_PORT" "$n" "$storage"
created=$(now)
js_exporter "$JS_WORK/exporter.log" --nats.poll-timeout=30 --nats.max-streams=0
m="$JS_WORK/metrics.prom"
wait_fresh_poll "$m" "$created" 60 || { cat "$JS_WORK/exporter.log"; fail "no fresh JetStream poll"; }
scrape_time=$(now)
scrape > "$m"
grep -q '^memacct_jetstream_up 1$' "$m" || fail "memacct_jetstream_up is not 1"
got=$(grep -c '^memacct_jetstream_stream_bytes{' "$m")
[ "$got" = "$n" ] || fail "exported $got streams, want $n"
[ "$(value "$m" memacct_jetstream_poll_streams_listed)" = "$n" ] || fail "listed != $n"
[ "$(value "$m" memacct_jetstream_account_streams)" = "$n" ] || fail "account streams != $n"
python3 "$JS_PY" compare "$NATS_MON" "$m" "$scrape_time" || fail "exported values differ from /jsz"
# Five polls' durations, to see the spread.
durs=""
for i in 1 2 3 4 5; do
  wait_fresh_poll "$m" "$(now)" 30 || fail "no fresh poll"
  durs="$durs $(value "$m" memacct_jetstream_poll_duration_seconds)"
done
echo "POLL TIME: $n $storage streams, poll_duration_seconds:$durs"
t0=$(now); scrape > /dev/null; t1=$(now)
echo "SCRAPE TIME: $(python3 -c "print('%.3f' % ($t1 - $t0))") s for $(wc -c < "$m") bytes"
stop_exporter

# Cardinality control: exclude names ending in 7 (n/10), then cap.
cap=500
js_exporter "$JS_WORK/exporter2.log" --nats.poll-timeout=30 --nats.stream-exclude='7$' \
  --nats.max-streams=$cap
wait_metric "$m" '^memacct_jetstream_up 1$' 30 || fail "capped exporter never up"
filtered=$((n / 10)); dropped=$((n - filtered - cap))
[ "$(grep -c '^memacct_jetstream_stream_bytes{' "$m")" = "$cap" ] || fail "cap not applied"
grep -q 'memacct_jetstream_stream_bytes{stream="S[0-9]*7"' "$m" && fail "excluded stream exported"
[ "$(value "$m" memacct_jetstream_poll_streams 'result="filtered"')" = "$filtered" ] || fail "filtered count"
[ "$(value "$m" memacct_jetstream_poll_streams 'result="dropped"')" = "$dropped" ] || fail "dropped count"
[ "$(value "$m" memacct_jetstream_poll_streams 'result="exported"')" = "$cap" ] || fail "exported count"
[ "$(value "$m" memacct_jetstream_poll_streams_listed)" = "$n" ] || fail "listed count"
# The results are disjoint: their sum is the listed total.
[ "$(awk '/^memacct_jetstream_poll_streams\{/{s+=$2} END{print s}' "$m")" = "$n" ] ||
  fail "sum of memacct_jetstream_poll_streams is not the listed total"
d1=$(value "$m" memacct_jetstream_streams_dropped_total)
wait_fresh_poll "$m" "$(now)" 30 || fail "no fresh poll"
d2=$(value "$m" memacct_jetstream_streams_dropped_total)
[ "$d1" -ge "$dropped" ] && [ "$d2" -ge $((d1 + dropped)) ] || fail "dropped counter $d1 then $d2"
# The first $cap names that pass the filter, in byte order.
last=$(grep '^memacct_jetstream_stream_bytes{' "$m" | sed 's/.*stream="\([^"]*\)".*/\1/' | sort | tail -1)
[ "$last" = "S00554" ] || [ "$n" != 2000 ] || fail "kept streams are not the first $cap names (last $last)"
echo "cap $cap: exported $cap, filtered $filtered, dropped $dropped per poll, counter $d1 -> $d2"
echo PASS
