#!/usr/bin/env bash
# Body size and series of one scrape on a Kubernetes-shaped tree of N pods
# (bench/k8s_tree.sh: pod slices with a pause and an app container, ~190-byte
# container paths, files from the v2 capture). Not a test: it prints, for
# each N and each configuration, the /metrics body in bytes (plain and
# gzip), the samples in it, the series of one app container (samples with
# its container_id) and the bytes per cgroup.
# Usage: bash bench/k8s_body.sh [N ...]   (default: 100 1000)
#   MEMACCT_BIN=path   the exporter to measure (default: a Release build in
#                      build-bench/); e.g. an older build, for a before/after
#   BODY_CONFIGS       ;-separated flag sets (default: the default flags;
#                      --collector.cgroup.families=all; levels container,pod);
#                      BODY_CONFIGS= (empty) measures the default flags only
# Everything runs on 127.0.0.1; the trees live in a temporary directory
# (/dev/shm when there is one), removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
Ns=("$@"); [ ${#Ns[@]} -gt 0 ] || Ns=(100 1000)
if [ -z "${MEMACCT_BIN:-}" ]; then
  cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build-bench -j"$(nproc)" --target memacct_exporter >/dev/null
  MEMACCT_BIN=build-bench/memacct_exporter
fi
IFS=';' read -r -a configs <<<"${BODY_CONFIGS-;--collector.cgroup.families=all;--collector.cgroup.levels=container,pod}"
[ ${#configs[@]} -gt 0 ] || configs=("")
source bench/k8s_lib.bash

printf '%-6s %-8s %-48s %12s %12s %9s %10s %13s\n' pods cgroups flags body gzip samples per_ctr bytes/cgroup
for n in "${Ns[@]}"; do
  tree=$base/tree-$n
  bash bench/k8s_tree.sh "$n" "$tree"
  cgroups=$(find "$tree" -type d | wc -l)
  app=$(head -n1 "$tree.app_ids")
  for cfg in "${configs[@]}"; do
    # shellcheck disable=SC2086 # cfg is a list of flags
    k8s_start "$MEMACCT_BIN" "$tree" $cfg
    curl -fsS -o "$base/body" "$url"
    curl -fsS -H 'Accept-Encoding: gzip' -o "$base/body.gz" "$url"
    k8s_stop
    body=$(stat -c %s "$base/body")
    gz=$(stat -c %s "$base/body.gz")
    samples=$(grep -vc '^#' "$base/body")
    per_ctr=$(grep -c "container_id=\"$app\"" "$base/body")
    printf '%-6s %-8s %-48s %12s %12s %9s %10s %13s\n' "$n" "$cgroups" "${cfg:-(defaults)}" \
      "$body" "$gz" "$samples" "$per_ctr" "$((body / cgroups))"
  done
  rm -rf "$tree" "$tree.app_ids" "$tree.pods"
done
