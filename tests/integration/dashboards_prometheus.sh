#!/usr/bin/env bash
# dashboards_prometheus.sh: the shipped dashboards and rules against a real
# Prometheus fed by real exporters, on three cgroup hierarchies. Everything
# listens on 127.0.0.1 (free ports) and lives in one temporary directory,
# removed with every process this test started, even on failure:
#   - nats-server -js with four streams (tests/integration/dashboards/
#     nats_js.py): UNBOUNDED (no limits), NEARFULL (max_bytes 64 KiB, discard
#     new, filled > 90%), MEMORY (memory storage), AGEONLY (max_age only);
#   - three exporters, each a target with the labels the Helm chart's
#     ServiceMonitor gives (node; and cluster):
#       host     this host's real cgroups (read-only), every cgroup family on,
#                polling that server every 2 s;
#       fixture  the cgroup v2 capture 3-read-twice (a Kubernetes pod, uid
#                label), every family on, polling the same server: two
#                pollers, so the stream alerts and panels must not double;
#       tree     a Kubernetes-shaped tree of DASH_PODS (100) pods built from
#                that capture by bench/k8s_tree.sh (3N + 3 cgroups), default
#                families, with a kubelet-style log directory for
#                --path.podlogs, so its pods are named by the exporter's own
#                namespace/pod labels;
#   - a kube-state-metrics stand-in: kube_pod_info for the capture's pod
#     UID (named nats-0 so the JetStream dashboard's NATS pod list finds it)
#     and one pod that is not on any node scraped here;
#   - Prometheus 2.x, scrape and evaluation interval 2 s, loading
#     dashboards/rules/memacct.rules.yml.
# After DASH_SETTLE_S (default 20) seconds of scrapes, dashboards/
# check_dashboards.py runs every panel and variable query of every
# dashboards/*.json in several variable selections through /api/v1/query:
# every query must return data (with a stated allow-list), and every memory
# total must equal the kernel's numbers for the level the panel claims,
# within 1%: at the default variables, for each node's root cgroup,
# kubepods, one pod and one container. It also checks rule health, the
# recording rules, the JetStream alerts (once per stream) and the targets.
# Exit 0 ok, 1 a check failed, 77 skipped (prometheus, nats-server or
# python3 missing). Root is not needed.
set -euo pipefail
source "$(dirname "$0")/lib.bash"
HERE=$(cd "$(dirname "$0")" && pwd)

command -v prometheus >/dev/null || skip "prometheus not installed (Debian package prometheus)"
command -v promtool >/dev/null || skip "promtool not installed (Debian package prometheus)"
command -v nats-server >/dev/null || skip "nats-server not installed (Debian package nats-server)"
command -v python3 >/dev/null || skip "python3 not installed"
command -v curl >/dev/null || skip "curl not installed"

SETTLE=${DASH_SETTLE_S:-20}
PODS=${DASH_PODS:-100}
FIX="$MEMACCT_FIXTURES/cgroup-v2/3-read-twice"
CLUSTER=test-cluster
RULES="$MEMACCT_SRC/dashboards/rules/memacct.rules.yml"
POD_UID=1f2e3d4c-5b6a-4789-9abc-def012345678
[ -d "$FIX/sys" ] || fail "fixture $FIX is missing"

start=$(date +%s)
work=$(mktemp -d "${TMPDIR:-/tmp}/memacct-dash.XXXXXX")
pids=()
names=()
status=1
cleanup() {
  set +e
  local i p
  stop_exporter  # one that start_exporter gave up on
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[$i]}" 2>/dev/null
  done
  for p in "${pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  if [ "$status" -ne 0 ]; then
    for f in "$work"/*.log; do
      [ -f "$f" ] || continue
      echo "--- last lines of $(basename "$f")"
      tail -n 15 "$f"
    done
  fi
  rm -rf "$work"
}
trap cleanup EXIT
started() { pids+=("$1"); names+=("$2"); }

wait_http() {  # URL WHAT PID
  for _ in $(seq 1 300); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    kill -0 "$3" 2>/dev/null || fail "$2 exited at start"
    sleep 0.1
  done
  fail "$2 did not answer on $1"
}

# --- NATS with JetStream, and the streams -------------------------------------
nats_port=$(free_port)
mkdir "$work/jetstream"
nats-server -js -sd "$work/jetstream" -a 127.0.0.1 -p "$nats_port" >"$work/nats-server.log" 2>&1 &
started $! nats-server
python3 "$HERE/dashboards/nats_js.py" "127.0.0.1:$nats_port" setup ||
  fail "could not set up the JetStream streams"

# --- the cgroup trees -----------------------------------------------------------
# This host's memory cgroup root: v2 when the unified root has the memory
# controller, else the v1 memory hierarchy.
if grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
  host_root=/sys/fs/cgroup
else
  host_root=$(awk '$3=="cgroup" && $4 ~ /(^|,)memory(,|$)/ {print $2; exit}' /proc/mounts)
fi
[ -n "$host_root" ] && [ -d "$host_root" ] || skip "no memory cgroup hierarchy on this host"
bash "$MEMACCT_SRC/bench/k8s_tree.sh" "$PODS" "$work/tree" >/dev/null ||
  fail "bench/k8s_tree.sh could not build the tree"
# kubelet's log names for the tree's app containers (pause containers have
# no log): /var/log/pods/<ns>_<pod>_<uid>/<container>/ and the link
# /var/log/containers/<pod>_<ns>_<container>-<id>.log.
mkdir -p "$work/podlogs/containers" "$work/podlogs/pods"
i=0
while read -r uid app; do
  ns=team-$((i % 3)) pod=web-$i
  mkdir -p "$work/podlogs/pods/${ns}_${pod}_$uid/app"
  ln -s "../pods/${ns}_${pod}_$uid/app/0.log" "$work/podlogs/containers/${pod}_${ns}_app-$app.log"
  i=$((i + 1))
done <"$work/tree.pods"

# --- the three exporters --------------------------------------------------------
# Every cgroup family on where the panels need them (the default leaves
# events, reclaim, file, peak and swap off); the tree keeps the default.
start_exporter "$work/exporter-host.log" --collector.cgroup.families=all \
  --path.cgroupfs="$host_root" \
  --nats.url="nats://127.0.0.1:$nats_port" --nats.poll-interval=2s
started "$EXPORTER_PID" exporter-host
host_inst=${EXPORTER_URL#http://}
start_exporter "$work/exporter-fixture.log" --collector.cgroup.families=all \
  --path.cgroupfs="$FIX/sys" --path.procfs="$FIX/proc" \
  --nats.url="nats://127.0.0.1:$nats_port" --nats.poll-interval=2s
started "$EXPORTER_PID" exporter-fixture
fixture_inst=${EXPORTER_URL#http://}
start_exporter "$work/exporter-tree.log" --path.cgroupfs="$work/tree" --path.procfs="$FIX/proc" \
  --path.podlogs="$work/podlogs"
started "$EXPORTER_PID" exporter-tree
tree_inst=${EXPORTER_URL#http://}
EXPORTER_PID=""  # cleanup() stops them, not lib.bash's stop_exporter
curl -fsS "http://$fixture_inst/metrics" >"$work/fixture.prom" ||
  fail "cannot scrape the fixture exporter"
grep -q "uid=\"$POD_UID\"" "$work/fixture.prom" ||
  fail "the fixture exporter does not label pod $POD_UID"
curl -fsS "http://$tree_inst/metrics" >"$work/tree.prom" || fail "cannot scrape the tree exporter"
named=$(grep -c '^memacct_cgroup_info{.*level="pod".*pod="web-' "$work/tree.prom" || true)
[ "$named" = "$PODS" ] || fail "the tree exporter names $named of $PODS pods from --path.podlogs"
host_node=$(hostname 2>/dev/null || echo host)
cat >"$work/targets.json" <<EOF
[{"role": "host", "node": "$host_node", "root": "$host_root", "procfs": "/proc", "live": true},
 {"role": "fixture", "node": "v2-capture", "root": "$FIX/sys", "procfs": "$FIX/proc", "live": false},
 {"role": "tree", "node": "k8s-tree", "root": "$work/tree", "procfs": "$FIX/proc", "live": false}]
EOF

# --- kube-state-metrics stand-in ----------------------------------------------
cat >"$work/kube-state-metrics.prom" <<EOF
# HELP kube_pod_info Information about pod.
# TYPE kube_pod_info gauge
kube_pod_info{namespace="messaging",pod="nats-0",uid="$POD_UID",host_ip="10.0.0.11",pod_ip="10.244.1.17",node="node-a",created_by_kind="StatefulSet",created_by_name="nats",priority_class="",host_network="false"} 1
kube_pod_info{namespace="default",pod="web-6d4cf56db6-x7k2p",uid="9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",host_ip="10.0.0.12",pod_ip="10.244.2.9",node="node-b",created_by_kind="ReplicaSet",created_by_name="web-6d4cf56db6",priority_class="",host_network="false"} 1
EOF
ksm_port=$(free_port)
python3 "$HERE/dashboards/serve_metrics.py" "$ksm_port" "$work/kube-state-metrics.prom" \
  >"$work/kube-state-metrics.log" 2>&1 &
started $! kube-state-metrics
wait_http "http://127.0.0.1:$ksm_port/metrics" kube-state-metrics "$!"

# --- Prometheus ----------------------------------------------------------------
prom_port=$(free_port)
cat >"$work/prometheus.yml" <<EOF
global:
  scrape_interval: 2s
  scrape_timeout: 2s
  evaluation_interval: 2s
rule_files:
  - "$RULES"
scrape_configs:
  - job_name: memacct
    static_configs:
      - targets: ["$host_inst"]
        labels: {node: "$host_node", cluster: $CLUSTER}
      - targets: ["$fixture_inst"]
        labels: {node: v2-capture, cluster: $CLUSTER}
      - targets: ["$tree_inst"]
        labels: {node: k8s-tree, cluster: $CLUSTER}
  - job_name: kube-state-metrics
    static_configs:
      - targets: ["127.0.0.1:$ksm_port"]
EOF
promtool check config "$work/prometheus.yml" >"$work/promtool.log" 2>&1 || {
  cat "$work/promtool.log"; fail "promtool check config"; }
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$prom_port" >"$work/prometheus.log" 2>&1 &
started $! prometheus
prom_pid=$!
prom="http://127.0.0.1:$prom_port"
wait_http "$prom/-/ready" prometheus "$prom_pid"
echo "prometheus: $(prometheus --version 2>&1 | head -n1)"
echo "nats-server: $(nats-server --version 2>&1) on 127.0.0.1:$nats_port"
echo "exporters: host $host_inst ($host_root, JetStream), fixture $fixture_inst ($FIX, JetStream),"
echo "  tree $tree_inst ($PODS pods, $(find "$work/tree" -type d | wc -l) cgroups)"
echo "prometheus: $prom, kube-state-metrics stand-in 127.0.0.1:$ksm_port"

# All four targets up, then let the windows fill.
for _ in $(seq 1 100); do
  up=$(curl -fsS "$prom/api/v1/query" --data-urlencode 'query=count(up == 1)' |
    python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else 0)')
  [ "$up" = 4 ] && break
  sleep 0.2
done
[ "$up" = 4 ] || fail "only $up of 4 targets are up"
echo "all targets up after $(($(date +%s) - start)) s; collecting for $SETTLE s"
sleep "$SETTLE"
for p in "${!pids[@]}"; do
  kill -0 "${pids[$p]}" 2>/dev/null || fail "${names[$p]} exited during the run"
done

python3 "$HERE/dashboards/check_dashboards.py" --prometheus "$prom" --src "$MEMACCT_SRC" \
  --targets "$work/targets.json" || fail "dashboard and rule checks failed"
status=0
echo "PASS ($(($(date +%s) - start)) s)"
