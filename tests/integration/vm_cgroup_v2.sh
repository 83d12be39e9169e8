#!/usr/bin/env bash
# Live cgroup v2, with no lent machine: boots Debian 12's own cloud kernel
# under qemu with TCG (tests/vm/README.md) once, runs every scenario in the
# guest (the seed-2 picture on ext4, nats-server with JetStream, OOM kill,
# memory.high throttling, shmem, Kubernetes layouts and static pods, the
# Helm chart's DaemonSet args and mounts, a threaded subtree, the v2 root,
# 1000 cgroups of churn) against the exporter built here, and judges on the
# host with tests/vm/check.py: every value equal to the kernel's own files to
# the byte where the phase was quiescent. Prints the harness's wall time.
# Fails when the chart's renderer (Go) does not build. SKIPPED (77) where
# qemu, busybox-static, e2fsprogs, nats-server or the kernel package cannot
# be had, or when MEMACCT_BIN is a sanitizer build (the guest runs the plain
# build: scripts/test.sh's warnings-as-errors build runs this test).
set -euo pipefail
source "$(dirname "$0")/lib.bash"
t0=$(date +%s.%N)
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}'; }
command -v python3 >/dev/null || skip "python3 not installed"
if ldd "$MEMACCT_BIN" | grep -Eq 'lib(asan|ubsan)'; then
  skip "$MEMACCT_BIN is a sanitizer build; the VM boots the plain build (scripts/test.sh's third build)"
fi
out="$MEMACCT_BUILD/vm/run"
rc=0
bash "$MEMACCT_SRC/tests/vm/run.sh" "$out" || rc=$?
[ "$rc" = 77 ] && exit 77
[ "$rc" = 0 ] || fail "the VM run failed (exit $rc)"
t_vm=$(since "$t0")
rc=0
python3 "$MEMACCT_SRC/tests/vm/check.py" "$out/results" || rc=$?
echo "harness wall time: $(since "$t0") s (build and boot with every scenario: $t_vm s)"
[ "$rc" = 0 ] || fail "some scenarios failed (results in $out/results)"
echo PASS
