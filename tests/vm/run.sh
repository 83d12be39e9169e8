#!/usr/bin/env bash
# Boots the VM harness's guest once under qemu with TCG (no KVM needed):
# Debian 12's cloud kernel and the initramfs from tests/vm/build.sh, 2 vCPUs,
# 1 GiB, the console on OUTDIR/console.log, a 256 MiB raw results disk that
# the guest writes /results to as a tar. Extracts it to OUTDIR/results and
# prints the console. SCENARIO... (default: all) go to the guest as
# memacct_scenarios=. Exits 77 with "SKIPPED: reason" where qemu, busybox,
# e2fsprogs or the kernel package cannot be had; 1 when the guest wrote no
# results. It does not judge them (tests/vm/check.py does).
# Usage: tests/vm/run.sh OUTDIR [SCENARIO...]
# Env: MEMACCT_BIN, MEMACCT_BUILD (as ctest sets them); VM_TIMEOUT (240 s).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 1 ] || { echo "usage: $0 OUTDIR [SCENARIO...]" >&2; exit 2; }
out=$1; shift
scenarios=$(IFS=,; echo "${*:-all}")
command -v qemu-system-x86_64 >/dev/null ||
  { echo "SKIPPED: qemu-system-x86_64 not installed (Debian package qemu-system-x86)"; exit 77; }
rc=0
vars=$(bash "$here/build.sh") || rc=$?
[ "$rc" = 0 ] || { echo "$vars"; exit "$rc"; }
kernel=$(sed -n 's/^KERNEL=//p' <<<"$vars")
initramfs=$(sed -n 's/^INITRAMFS=//p' <<<"$vars")

rm -rf "$out"
mkdir -p "$out/results"
truncate -s 256M "$out/results.img"
start=$(date +%s.%N)
rc=0
timeout "${VM_TIMEOUT:-240}" qemu-system-x86_64 -accel tcg,thread=multi -smp 2 -m 1024 \
  -nodefaults -no-reboot -display none -monitor none \
  -kernel "$kernel" -initrd "$initramfs" \
  -append "console=ttyS0 loglevel=1 panic=-1 memacct_scenarios=$scenarios" \
  -serial "file:$out/console.log" \
  -drive "file=$out/results.img,format=raw,if=virtio" || rc=$?
end=$(date +%s.%N)
cat "$out/console.log"
echo "qemu: exit $rc after $(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.1f", b - a}') s"
[ "$rc" = 0 ] || { echo "FAIL: qemu exit status $rc (124: past ${VM_TIMEOUT:-240} s)" >&2; exit 1; }
tar -xf "$out/results.img" -C "$out/results" 2>/dev/null && [ -e "$out/results/timeline" ] ||
  { echo "FAIL: the guest wrote no results (see the console above)" >&2; exit 1; }
