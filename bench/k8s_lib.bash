# Sourced, not run: what bench/k8s_body.sh and bench/k8s_rss.sh share, from
# the repository root. Sets proc (the v2 capture's procfs), base (a
# temporary directory, in /dev/shm when there is one, removed at exit with
# the exporter still running), port, url (/metrics) and health (/healthz);
# k8s_start BIN TREE [FLAGS...] runs the exporter on TREE and waits until it
# answers (its pid in exporter), k8s_stop stops it, k8s_status FIELD reads a
# field of its /proc status (VmRSS, VmHWM: KiB).
proc=tests/fixture/cgroup-v2/3-read-twice/proc
base=$(mktemp -d -p "$( [ -d /dev/shm ] && echo /dev/shm || echo /tmp)")
exporter=""
k8s_cleanup() {
  set +e
  [ -n "$exporter" ] && kill "$exporter" && wait "$exporter"
  rm -rf "$base"
}
trap k8s_cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port/metrics
health=http://127.0.0.1:$port/healthz

k8s_start() {  # BIN TREE [FLAGS...]
  local bin=$1 tree=$2; shift 2
  "$bin" --web.listen-address=127.0.0.1:"$port" --path.cgroupfs="$tree" --path.procfs="$proc" \
    "$@" >"$base/log" 2>&1 &
  exporter=$!
  for _ in $(seq 1 200); do curl -fs -o /dev/null "$health" && break; sleep 0.1; done
  kill -0 "$exporter" || { cat "$base/log"; exit 1; }
}
k8s_stop() { kill "$exporter"; wait "$exporter" || true; exporter=""; }
k8s_status() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$exporter/status"; }
