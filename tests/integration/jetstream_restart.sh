#!/usr/bin/env bash
# A dead NATS never fails or slows a scrape: kill nats-server (SIGKILL) under
# a running exporter polling every second. Within two poll intervals
# memacct_jetstream_up is 0, the cgroup metrics are still served, the last
# stream values are still served (default: kept stale) with the last
# success time unchanged, and a second exporter with --nats.stale-after=2
# drops them. Restart nats-server on the same port: up is 1 again, without
# restarting the exporter, with the same values. The poller logs the outage
# without a flood.
set -euo pipefail
source "$(dirname "$0")/jetstream_lib.bash"
js_require

start_nats
python3 "$JS_PY" values-setup "$NATS_PORT"
published=$(now)
m="$JS_WORK/metrics.prom"

# The second exporter (stale-after) first, then the main one: start_exporter
# keeps one EXPORTER_URL, so remember the first's.
js_exporter "$JS_WORK/stale.log" --nats.stale-after=2
STALE_URL=$EXPORTER_URL STALE_PID=$EXPORTER_PID
EXPORTER_PID=""
trap 'kill "$STALE_PID" 2>/dev/null; wait "$STALE_PID" 2>/dev/null; js_cleanup' EXIT
js_exporter "$JS_WORK/exporter.log"
wait_fresh_poll "$m" "$published" 20 || fail "no fresh poll"
python3 "$JS_PY" compare "$NATS_MON" "$m" "$(now)" || fail "values differ from /jsz before the kill"
before_ts=$(value "$m" memacct_jetstream_last_poll_success_timestamp_seconds)
before_bytes=$(value "$m" memacct_jetstream_stream_bytes 'stream="ORDERS"')

stop_nats KILL
killed=$(now)
wait_metric "$m" '^memacct_jetstream_up 0$' 3 || fail "up not 0 within two poll intervals"
down_after=$(python3 -c "print('%.2f' % ($(now) - $killed))")
echo "up 0 after ${down_after} s (poll interval 1 s)"
grep -q '^memacct_cgroup_memory_usage_bytes{' "$m" || fail "cgroup metrics not served while NATS is down"
grep -q '^memacct_scrape_collector_success{collector="jetstream"} 1$' "$m" ||
  fail "the jetstream collector failed the scrape"
[ "$(value "$m" memacct_jetstream_stream_bytes 'stream="ORDERS"')" = "$before_bytes" ] ||
  fail "stale values not kept"
sleep 2.5   # a few failed polls
t0=$(now); scrape > "$m"; t1=$(now)
python3 -c "import sys; sys.exit(0 if $t1 - $t0 < 1 else 1)" || fail "scrape slow while NATS is down"
[ "$(value "$m" memacct_jetstream_last_poll_success_timestamp_seconds)" = "$before_ts" ] ||
  fail "last success time moved while NATS is down"
errs=$(value "$m" memacct_jetstream_poll_errors_total)
[ "$errs" -ge 2 ] || fail "poll_errors_total $errs after 3 s down"
grep -q '^memacct_jetstream_stream_oldest_message_age_seconds{stream="ORDERS"' "$m" ||
  fail "stale ages not served"
curl -fsS "$STALE_URL/metrics" > "$JS_WORK/stale.prom"
grep -q '^memacct_jetstream_up 0$' "$JS_WORK/stale.prom" || fail "stale-after exporter: up not 0"
grep -q '^memacct_jetstream_stream_' "$JS_WORK/stale.prom" && fail "--nats.stale-after=2 kept stream values"
grep -q '^memacct_jetstream_account_' "$JS_WORK/stale.prom" && fail "--nats.stale-after=2 kept account values"
grep -q '^memacct_jetstream_last_poll_success_timestamp_seconds ' "$JS_WORK/stale.prom" ||
  fail "--nats.stale-after dropped the last success time"

start_nats   # same ports, same store
restarted=$(now)
wait_metric "$m" '^memacct_jetstream_up 1$' 15 || { cat "$JS_WORK/exporter.log"; fail "up not 1 again"; }
echo "up 1 again $(python3 -c "print('%.2f' % ($(now) - $restarted))") s after the restart"
wait_fresh_poll "$m" "$restarted" 20 || fail "no fresh poll after the restart"
python3 "$JS_PY" compare "$NATS_MON" "$m" "$(now)" || fail "values differ from /jsz after the restart"
for i in $(seq 1 50); do
  curl -fsS "$STALE_URL/metrics" > "$JS_WORK/stale.prom"
  grep -q '^memacct_jetstream_stream_bytes{stream="ORDERS"' "$JS_WORK/stale.prom" && break
  sleep 0.2
done
grep -q '^memacct_jetstream_up 1$' "$JS_WORK/stale.prom" || fail "stale-after exporter not up again"
grep -q '^memacct_jetstream_stream_bytes{stream="ORDERS"' "$JS_WORK/stale.prom" ||
  fail "stale-after exporter did not serve streams again"

# Log: the outage is a few lines, not one per failed poll.
lines=$(grep -c 'JetStream poll failed' "$JS_WORK/exporter.log" || true)
cat "$JS_WORK/exporter.log"
[ "$lines" -ge 1 ] && [ "$lines" -le 2 ] || fail "$lines 'poll failed' lines for one outage"
grep -q 'JetStream poll recovered' "$JS_WORK/exporter.log" || fail "no recovery line"
echo PASS
