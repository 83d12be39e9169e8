# jetstream: nats-server with JetStream file storage on ext4 in its own
# cgroup; a client in another fills the stream VM (MSGS messages of SIZE
# bytes), then reads it twice. Quiescent snapshots of the server's cgroup
# when idle, filled (after the exporter's poll saw every message) and after
# the reads; the server's /jsz at the end.
d=$RESULTS/jetstream
msgs=1024 size=32768
srv=/nats.slice/server.scope cli=/nats.slice/client.scope
mkcg $srv; mkcg $cli
spawn_in $srv /dev/null nats-server -js -sd $DATA/js -a 127.0.0.1 -p 4222 -m 8222 -l $d/nats-server.log
nats=$!
wait_metric $d/up.prom '^memacct_jetstream_up 1$' 60 || { echo "exporter never polled nats-server"; exit 1; }
snap jetstream/0-idle $srv
run_in $cli vm_jetstream fill nats://127.0.0.1:4222 $msgs $size || exit 1
sync
wait_metric $d/polled.prom "^memacct_jetstream_stream_messages\{.*stream=\"VM\".*\} $msgs\$" 30 ||
  { echo "no poll saw $msgs messages"; exit 1; }
snap jetstream/1-filled $srv
run_in $cli vm_jetstream read nats://127.0.0.1:4222 $msgs $size || exit 1
run_in $cli vm_jetstream read nats://127.0.0.1:4222 $msgs $size || exit 1
snap jetstream/2-read-twice $srv
echo "msgs=$msgs size=$size" > $d/params
timeout 20 wget -q -O $d/jsz.json "http://127.0.0.1:8222/jsz?streams=true"
kill -TERM $nats; wait $nats
rm -rf $DATA/js
rmcg /nats.slice
