#!/usr/bin/env bash
# A real 3-server JetStream cluster on loopback (nats-server n1, n2, n3,
# cluster C1, server tags n1..n3) with R1 streams placed one per server and
# R3 streams, and one exporter on each server (polling every second):
#   - every stream is exported exactly once by each exporter, with the same
#     values, whichever server it is connected to, and the same replica
#     view: one leader (the one STREAM.INFO names), the followers current;
#   - a follower of R3A killed (SIGTERM): within two poll intervals the
#     exporter on a survivor shows it offline and not current on R3A and
#     R3B, lagging R3A after messages published since, and its R1 stream
#     missing (counted in memacct_jetstream_poll_streams{result="missing"},
#     served with its last values); restarted, it is current again;
#   - the meta leader killed (SIGKILL): the exporter on a survivor keeps
#     serving the last values with memacct_jetstream_up 0 until a new
#     leader answers, then it is up again, without a restart.
# nats-server 2.9 marks a replica offline only when its server says it is
# shutting down; after a SIGKILL it shows as not current, lagging, its
# last_seen growing, and each stream list waits 4 s for the streams it led
# alone (hence a poll budget of 8 s).
# Wall time about 30-60 s here (2 cores, ASan).
set -euo pipefail
source "$(dirname "$0")/jetstream_lib.bash"
js_require
declare -a NS_PID NS_PORT NS_MON NS_ROUTE EX_PID EX_URL
cluster_cleanup() {  # (a failing wait here would hang bash 5.2's EXIT trap under set -e)
  local i
  for i in 1 2 3; do
    if [ -n "${EX_PID[$i]:-}" ]; then kill -TERM "${EX_PID[$i]}" 2>/dev/null || true; wait "${EX_PID[$i]}" 2>/dev/null || true; fi
    if [ -n "${NS_PID[$i]:-}" ]; then kill -KILL "${NS_PID[$i]}" 2>/dev/null || true; wait "${NS_PID[$i]}" 2>/dev/null || true; fi
  done
  rm -rf "$JS_WORK"
}
trap cluster_cleanup EXIT
t_start=$(date +%s)

for i in 1 2 3; do
  NS_PORT[$i]=$(free_port); NS_MON[$i]=$(free_port); NS_ROUTE[$i]=$(free_port)
done
routes="nats-route://127.0.0.1:${NS_ROUTE[1]}, nats-route://127.0.0.1:${NS_ROUTE[2]}, nats-route://127.0.0.1:${NS_ROUTE[3]}"
for i in 1 2 3; do
  cat > "$JS_WORK/n$i.conf" <<EOF
server_name: n$i
listen: 127.0.0.1:${NS_PORT[$i]}
http: 127.0.0.1:${NS_MON[$i]}
server_tags: ["n$i"]
jetstream { store_dir: "$JS_WORK/store-n$i" }
cluster { name: C1, listen: 127.0.0.1:${NS_ROUTE[$i]}, routes: [$routes] }
EOF
done
start_server() {  # I
  nats-server -c "$JS_WORK/n$1.conf" -l "$JS_WORK/n$1.log" &
  NS_PID[$1]=$!
}
kill_server() {  # I [SIGNAL]
  kill -"${2:-KILL}" "${NS_PID[$1]}"; wait "${NS_PID[$1]}" 2>/dev/null || true; NS_PID[$1]=""
}
meta_leader() {  # I: the meta leader as server I sees it ("" when none)
  curl -fsS -m 2 "http://127.0.0.1:${NS_MON[$1]}/jsz" 2>/dev/null |
    python3 -c 'import json,sys; print((json.load(sys.stdin).get("meta_cluster") or {}).get("leader",""))' 2>/dev/null || true
}
for i in 1 2 3; do start_server "$i"; done
meta=""
for _ in $(seq 300); do
  meta=$(meta_leader 1)
  [ -n "$meta" ] && [ "$(meta_leader 2)" = "$meta" ] && [ "$(meta_leader 3)" = "$meta" ] && break
  meta=""; sleep 0.1
done
[ -n "$meta" ] || { cat "$JS_WORK"/n*.log | tail -30; fail "no meta leader elected"; }
python3 "$JS_PY" cluster-setup "${NS_PORT[1]}"
echo "cluster up, meta leader $meta, streams created after $(($(date +%s) - t_start)) s"

stream_info() {  # PORT STREAM -> "leader follower follower"
  python3 "$JS_PY" api "$1" "\$JS.API.STREAM.INFO.$2" | python3 -c '
import json, sys
c = json.load(sys.stdin).get("cluster", {})
print(c.get("leader", ""), *sorted(r["name"] for r in c.get("replicas", [])))'
}

start_exporters() {
  local i port
  for i in 1 2 3; do
    port=$(free_port)
    "$MEMACCT_BIN" --web.listen-address=127.0.0.1:"$port" --nats.url="nats://127.0.0.1:${NS_PORT[$i]}" \
      --nats.poll-interval=1 --nats.poll-timeout=8s --path.cgroupfs="$JS_FIXTURE/sys" \
      --path.procfs="$JS_FIXTURE/proc" --no-collector.process --no-collector.node \
      > "$JS_WORK/exporter-n$i.log" 2>&1 &
    EX_PID[$i]=$!
    EX_URL[$i]="http://127.0.0.1:$port"
  done
}
scrape_n() {  # I FILE
  curl -fsS -m 5 "${EX_URL[$1]}/metrics?collect[]=jetstream" > "$2" 2>/dev/null
}
wait_n() {  # I FILE REGEX SECONDS: scrapes exporter I until a line matches
  local i
  for i in $(seq 1 $(($4 * 10))); do
    scrape_n "$1" "$2" || true
    grep -Eq -- "$3" "$2" && return 0
    sleep 0.1
  done
  return 1
}
start_exporters
streams="R1_N1 R1_N2 R1_N3 R3A R3B"
read -r r3a_leader _ <<<"$(stream_info "${NS_PORT[1]}" R3A)"
for i in 1 2 3; do
  m="$JS_WORK/m$i.prom"
  wait_n "$i" "$m" '^memacct_jetstream_stream_replica_leader\{stream="R3B".* 1$' 20 ||
    { cat "$JS_WORK/exporter-n$i.log"; fail "exporter on n$i: no stream list with R3B's leader"; }
  # Each stream once, with the values published.
  got=$(grep '^memacct_jetstream_stream_messages{' "$m" | sed 's/.*stream="\([^"]*\)".*/\1/' | sort | tr '\n' ' ')
  [ "$got" = "$streams " ] || fail "exporter on n$i exports [$got], want [$streams ]"
  [ "$(value "$m" memacct_jetstream_stream_messages 'stream="R3A"')" = 5 ] || fail "n$i: R3A messages"
  [ "$(value "$m" memacct_jetstream_stream_messages 'stream="R1_N1"')" = 2 ] || fail "n$i: R1_N1 messages"
  [ "$(value "$m" memacct_jetstream_consumer_pending_messages 'stream="R3A",consumer="c"')" = 5 ] ||
    fail "n$i: R3A's consumer"
  [ "$(value "$m" memacct_jetstream_poll_streams 'result="missing"')" = 0 ] || fail "n$i: missing streams"
  # One leader per R3 stream, the one the server names; its followers current.
  [ "$(grep -c '^memacct_jetstream_stream_replica_leader{stream="R3A".* 1$' "$m")" = 1 ] ||
    fail "n$i: not exactly one leader of R3A"
  [ "$(value "$m" memacct_jetstream_stream_replica_leader 'stream="R3A"' "server=\"$r3a_leader\"")" = 1 ] ||
    fail "n$i: R3A's leader is not $r3a_leader"
  for s in n1 n2 n3; do
    [ "$(value "$m" memacct_jetstream_stream_replica_current 'stream="R3A"' "server=\"$s\"")" = 1 ] ||
      fail "n$i: R3A's replica on $s is not current"
    [ "$(value "$m" memacct_jetstream_stream_replica_offline 'stream="R3A"' "server=\"$s\"")" = 0 ] ||
      fail "n$i: R3A's replica on $s is offline"
  done
  # An R1 stream is clustered too: its leader is the server it lives on.
  [ "$(value "$m" memacct_jetstream_stream_replica_leader 'stream="R1_N2"' 'server="n2"')" = 1 ] ||
    fail "n$i: R1_N2 is not led by n2"
  # The cluster each stream is placed in, on its info series.
  for s in $streams; do
    [ "$(value "$m" memacct_jetstream_stream_info "stream=\"$s\"" 'nats_cluster="C1"')" = 1 ] ||
      fail "n$i: $s's info has no nats_cluster=\"C1\""
  done
done
echo "3 exporters, one per server: each exports $streams once; R3A led by $r3a_leader"
for i in 2 3; do
  diff <(grep -E '^memacct_jetstream_stream_(messages|bytes|last_seq)' "$JS_WORK/m1.prom") \
       <(grep -E '^memacct_jetstream_stream_(messages|bytes|last_seq)' "$JS_WORK/m$i.prom") ||
    fail "the exporters on n1 and n$i disagree"
done

# Kill a follower F of R3A that is not the meta leader; watch from the
# third server X (neither F nor the meta leader).
f="" x=""
for s in n1 n2 n3; do
  [ "$s" != "$r3a_leader" ] && [ "$s" != "$meta" ] && [ -z "$f" ] && f=$s
done
for s in n1 n2 n3; do [ "$s" != "$f" ] && [ "$s" != "$meta" ] && x=$s; done
fi_=${f#n} xi=${x#n}
echo "killing follower $f (meta leader $meta); watching from $x"
t_kill=$(now)
kill_server "$fi_" TERM
python3 "$JS_PY" publish "${NS_PORT[$xi]}" r3a.y 3
m="$JS_WORK/mx.prom"
wait_n "$xi" "$m" "^memacct_jetstream_stream_replica_offline\\{stream=\"R3A\",account=\"[^\"]*\",server=\"$f\"\\} 1\$" 10 ||
  { cat "$JS_WORK/exporter-n$xi.log"; fail "R3A's replica on $f never offline"; }
wait_n "$xi" "$m" "^memacct_jetstream_stream_replica_lag\\{stream=\"R3A\",account=\"[^\"]*\",server=\"$f\"\\} [1-9]" 10 ||
  fail "R3A's replica on $f does not lag"
t_seen=$(now)
python3 -c "import sys; d = $t_seen - $t_kill; print('offline and lag seen %.1f s after the kill' % d); sys.exit(0 if d <= 2 * 1 + 1.5 else 1)" ||
  fail "offline/lag took more than two poll intervals"
echo "lag $(value "$m" memacct_jetstream_stream_replica_lag 'stream="R3A"' "server=\"$f\"") operations"
[ "$(value "$m" memacct_jetstream_stream_replica_current 'stream="R3A"' "server=\"$f\"")" = 0 ] || fail "R3A on $f still current"
[ "$(value "$m" memacct_jetstream_stream_replica_offline 'stream="R3B"' "server=\"$f\"")" = 1 ] || fail "R3B on $f not offline"
[ "$(value "$m" memacct_jetstream_stream_messages 'stream="R3A"')" = 8 ] || fail "R3A messages after the kill"
# F's R1 stream: the list names it missing; counted, served with the last values.
wait_n "$xi" "$m" "^memacct_jetstream_stream_missing\\{stream=\"R1_${f^^}\",account=\"[^\"]*\"\\} 1\$" 10 ||
  fail "R1_${f^^} is not missing"
[ "$(value "$m" memacct_jetstream_poll_streams 'result="missing"')" = 1 ] || fail "missing streams not counted"
[ "$(value "$m" memacct_jetstream_poll_streams 'result="exported"')" = 4 ] || fail "exported != 4"
[ "$(awk '/^memacct_jetstream_poll_streams\{/{s+=$2} END{print s}' "$m")" = "$(value "$m" memacct_jetstream_poll_streams_listed)" ] ||
  fail "the stream results do not add up to the listed total"
want_msgs=0; [ "$f" = n1 ] && want_msgs=2
[ "$(value "$m" memacct_jetstream_stream_messages "stream=\"R1_${f^^}\"")" = "$want_msgs" ] ||
  fail "R1_${f^^} is not served with its last values"
[ "$(value "$m" memacct_jetstream_up)" = 1 ] || fail "a missing stream made the poll fail"
echo "$f down: R3A/R3B replica offline, R3A lagging, R1_${f^^} missing (counted, last values served)"

# F back: current again, nothing missing.
start_server "$fi_"
wait_n "$xi" "$m" "^memacct_jetstream_stream_replica_current\\{stream=\"R3A\",account=\"[^\"]*\",server=\"$f\"\\} 1\$" 30 ||
  fail "R3A's replica on $f never current again"
wait_n "$xi" "$m" '^memacct_jetstream_poll_streams\{result="missing"\} 0$' 30 || fail "R1_${f^^} still missing"
echo "$f back: current, nothing missing"

# Kill the meta leader: X's exporter serves the last values with up 0 until
# a new leader answers, then it is up again; same process, no restart.
mi=${meta#n}
before=$(value "$m" memacct_jetstream_stream_messages 'stream="R3A"')
errs=$(value "$m" memacct_jetstream_poll_errors_total)
kill_server "$mi"
wait_n "$xi" "$m" '^memacct_jetstream_up 0$' 15 || fail "up never 0 without a meta leader"
[ "$(value "$m" memacct_jetstream_stream_messages 'stream="R3A"')" = "$before" ] || fail "last values not served while down"
grep -q '^memacct_jetstream_consumer_pending_messages{stream="R3A"' "$m" || fail "consumer values not served while down"
t_down=$(now)
wait_n "$xi" "$m" '^memacct_jetstream_up 1$' 40 || { cat "$JS_WORK/exporter-n$xi.log"; fail "never up again after a new meta leader"; }
kill -0 "${EX_PID[$xi]}" || fail "the exporter on $x exited"
[ "$(value "$m" memacct_jetstream_poll_errors_total)" -gt "$errs" ] || fail "no failed poll counted"
[ "$(value "$m" memacct_jetstream_stream_messages 'stream="R3A"')" = 8 ] || fail "R3A after the new leader"
# SIGKILL: 2.9 does not mark the dead server offline; it is not current and
# the leader has not heard from it since the kill.
wait_n "$xi" "$m" "^memacct_jetstream_stream_replica_current\\{stream=\"R3B\",account=\"[^\"]*\",server=\"$meta\"\\} 0\$" 20 ||
  fail "R3B's replica on the dead $meta is still current"
seen=$(value "$m" memacct_jetstream_stream_replica_last_seen_seconds 'stream="R3B"' "server=\"$meta\"")
python3 -c "import sys; sys.exit(0 if float('$seen') >= 2 else 1)" || fail "R3B's replica on $meta last seen $seen s ago"
echo "the dead $meta: not current on R3B, last seen $seen s before the poll"
echo "meta leader $meta killed: up 0 with the last values, up again $(python3 -c "print('%.1f' % ($(now) - $t_down))") s later (new leader $(meta_leader "$xi"))"
echo "wall time $(($(date +%s) - t_start)) s"
echo PASS
