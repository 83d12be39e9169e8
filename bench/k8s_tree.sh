#!/usr/bin/env bash
# Builds a Kubernetes-shaped cgroup v2 tree of N pods in DIR (which must not
# exist), for body-size and series benchmarks with --path.cgroupfs:
#   /  /kubepods.slice  /kubepods.slice/kubepods-burstable.slice
#   N x  kubepods-burstable-pod<uid>.slice  (the systemd driver's names)
#          cri-containerd-<64 hex>.scope    (the pause container)
#          cri-containerd-<64 hex>.scope    (the app container)
# = 3N + 3 cgroups; a container's path is 190 bytes, about the ~200 of a real
# node. Every cgroup's files are copied from the same level of the v2
# capture tests/fixture/cgroup-v2/3-read-twice/sys (its containers list pid
# 3477, which the capture's proc/ has: use --path.procfs=<capture>/proc).
# Usage: bash bench/k8s_tree.sh N DIR. Prints the app containers' ids to
# DIR.app_ids, one a line, and "<pod uid> <app container id>" to DIR.pods
# (tests/integration/dashboards_prometheus.sh names the pods from it). It
# reads and writes nothing else.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 N DIR" >&2; exit 2; }
n=$1 dir=$2
if ! [[ $n =~ ^[1-9][0-9]*$ ]]; then echo "$0: N must be a positive number" >&2; exit 2; fi
[ ! -e "$dir" ] || { echo "$0: $dir exists" >&2; exit 2; }
src=$(cd "$(dirname "$0")/.." && pwd)/tests/fixture/cgroup-v2/3-read-twice/sys
qos_src=$src/kubepods.slice/kubepods-burstable.slice
pod_src=$(echo "$qos_src"/kubepods-burstable-pod*.slice)
ctr_src=$(echo "$pod_src"/cri-containerd-*.scope)

files() {  # FROM TO: the regular files of FROM (not its subdirectories)
  mkdir -p "$2"
  find "$1" -maxdepth 1 -type f -exec cp -t "$2" {} +
}
files "$src" "$dir"
files "$src/kubepods.slice" "$dir/kubepods.slice"
qos=$dir/kubepods.slice/kubepods-burstable.slice
files "$qos_src" "$qos"
# One pod as a template, copied N times under new names.
tmpl=$(mktemp -d)
trap 'rm -rf "$tmpl"' EXIT
files "$pod_src" "$tmpl/pod"
files "$ctr_src" "$tmpl/pod/pause"
files "$ctr_src" "$tmpl/pod/app"
: >"$dir.app_ids"
: >"$dir.pods"
for i in $(seq 1 "$n"); do
  uid=$(printf '%08x_%04x_4%03x_8%03x_%012x' "$i" "$((i % 65536))" "$((i % 4096))" "$((i % 4096))" "$i")
  pause=$(printf '%064x' "$((2 * i))")
  app=$(printf 'a%063x' "$((2 * i + 1))")
  pod=$qos/kubepods-burstable-pod$uid.slice
  cp -r "$tmpl/pod" "$pod"
  mv "$pod/pause" "$pod/cri-containerd-$pause.scope"
  mv "$pod/app" "$pod/cri-containerd-$app.scope"
  echo "$app" >>"$dir.app_ids"
  echo "${uid//_/-} $app" >>"$dir.pods"
done
