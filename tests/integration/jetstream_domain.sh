#!/usr/bin/env bash
# JetStream domains and API prefixes: a hub nats-server (JetStream domain
# "hub") and a leaf node (its own JetStream domain "spoke") connected to it.
# Exporters connected to the hub only:
#   --nats.domain=spoke           the leaf's streams and consumers, equal to
#                                 the leaf's own /jsz;
#   --nats.api-prefix='$JS.spoke.API'  the same, through the prefix;
#   neither                       the hub's streams only;
#   --nats.domain=nosuch          up 0, the log says why.
set -euo pipefail
source "$(dirname "$0")/jetstream_lib.bash"
js_require
LEAF_PID=""
trap 'if [ -n "$LEAF_PID" ]; then kill "$LEAF_PID" 2>/dev/null || true; wait "$LEAF_PID" 2>/dev/null || true; fi; js_cleanup' EXIT

leaf_listen=$(free_port)
cat > "$JS_WORK/hub.conf" <<EOF
server_name: hub
jetstream { domain: hub }
leafnodes { listen: 127.0.0.1:$leaf_listen }
EOF
start_nats "$JS_WORK/hub.conf"
hub_port=$NATS_PORT hub_mon=$NATS_MON
leaf_port=$(free_port) leaf_mon=$(free_port)
cat > "$JS_WORK/leaf.conf" <<EOF
server_name: leaf
listen: 127.0.0.1:$leaf_port
http: 127.0.0.1:$leaf_mon
jetstream { store_dir: "$JS_WORK/leaf-store", domain: spoke }
leafnodes { remotes: [ { url: "nats-leaf://127.0.0.1:$leaf_listen" } ] }
EOF
nats-server -c "$JS_WORK/leaf.conf" -l "$JS_WORK/leaf.log" &
LEAF_PID=$!
# The leaf's API answers through the hub once the leaf connection is up.
for _ in $(seq 100); do
  python3 "$JS_PY" api "$hub_port" '$JS.spoke.API.INFO' 2>/dev/null | grep -q '"streams"' && break
  sleep 0.1
done
python3 "$JS_PY" api "$hub_port" '$JS.spoke.API.INFO' | grep -q '"streams"' ||
  { cat "$JS_WORK/leaf.log"; fail "the leaf's JetStream domain does not answer through the hub"; }

python3 "$JS_PY" values-setup "$leaf_port"   # the values test's streams, on the leaf
python3 "$JS_PY" api "$hub_port" '$JS.API.STREAM.CREATE.HUBS' '{"name":"HUBS","subjects":["hubs.>"]}' >/dev/null
python3 "$JS_PY" publish "$hub_port" hubs.x 4
ready=$(now)
m="$JS_WORK/metrics.prom"

# on_leaf ARGS...: an exporter on the hub, reading the leaf's domain.
on_leaf() {
  js_exporter "$JS_WORK/exporter-$1.log" "$@"
  wait_fresh_poll "$m" "$ready" 20 || { cat "$JS_WORK/exporter-$1.log"; fail "$1: no fresh poll"; }
  local t; t=$(now); scrape > "$m"
  python3 "$JS_PY" compare "$leaf_mon" "$m" "$t" || fail "$1: values differ from the leaf's /jsz"
  python3 "$JS_PY" compare-consumers "$leaf_mon" "$m" "$t" || fail "$1: consumers differ from the leaf's /jsz"
  grep -q 'stream="HUBS"' "$m" && fail "$1: the hub's stream among the leaf's"
  echo "$1: the leaf's $(grep -c '^memacct_jetstream_stream_bytes{' "$m") streams, equal to its /jsz"
  stop_exporter
}
NATS_URL="nats://127.0.0.1:$hub_port"
on_leaf --nats.domain=spoke
on_leaf '--nats.api-prefix=$JS.spoke.API'

js_exporter "$JS_WORK/exporter-hub.log"
wait_fresh_poll "$m" "$ready" 20 || fail "hub: no fresh poll"
[ "$(grep -c '^memacct_jetstream_stream_bytes{' "$m")" = 1 ] || fail "hub: not only its own stream"
[ "$(value "$m" memacct_jetstream_stream_messages 'stream="HUBS"')" = 4 ] || fail "hub: HUBS messages"
stop_exporter
echo "no domain: the hub's stream only"

js_exporter "$JS_WORK/exporter-nosuch.log" --nats.domain=nosuch --nats.poll-timeout=2s
wait_metric "$m" '^memacct_jetstream_poll_errors_total [1-9]' 20 || fail "nosuch: no failed poll"
[ "$(value "$m" memacct_jetstream_up)" = 0 ] || fail "nosuch: up"
grep -q 'memacct_jetstream_stream_' "$m" && fail "nosuch: stream series"
grep -qF '$JS.nosuch.API.INFO: no responder' "$JS_WORK/exporter-nosuch.log" ||
  { cat "$JS_WORK/exporter-nosuch.log"; fail "nosuch: the log does not say which API did not answer"; }
echo "an unknown domain: up 0; $(grep -o 'err="[^"]*"' "$JS_WORK/exporter-nosuch.log" | head -1)"
echo PASS
