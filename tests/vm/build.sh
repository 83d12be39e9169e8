#!/usr/bin/env bash
# Builds what the VM harness boots (tests/vm/README.md), cached in
# $MEMACCT_BUILD/vm/ so reruns are fast:
#   kernel/<package>/vmlinuz and its modules: Debian 12's newest
#     linux-image-6.1.0-*-cloud-amd64-unsigned, fetched once with apt-get
#     download (brd for ext4 on a RAM disk; virtio for the results disk);
#   initramfs.cpio: busybox-static, mke2fs, nats-server, the exporter
#     ($MEMACCT_BIN), the workload programs (tests/vm/*.c) and the guest
#     scripts (tests/vm/guest/), each with its shared libraries (ldd);
#     rebuilt only when one of those files changed;
#   chart/args and chart/mounts: the chart's DaemonSet container args and
#     hostPath mounts with its default values (tests/helm/render, Go), for
#     the guest's chart scenario, with strace and a user 65534 to run them.
# Prints "KERNEL=<path>" and "INITRAMFS=<path>". Exits 77 with "SKIPPED:
# reason" when a tool or the kernel package cannot be had; fails (1) when
# the chart cannot be rendered, jq or strace is missing (scripts/deps.sh
# test installs them): the chart scenario is never left out. It does not boot.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${MEMACCT_BIN:?MEMACCT_BIN must point at the memacct_exporter binary}"
: "${MEMACCT_BUILD:?MEMACCT_BUILD must point at the build directory}"
vmdir="$MEMACCT_BUILD/vm"
progs="$MEMACCT_BUILD/tests/vm"
skip() { echo "SKIPPED: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

busybox=/bin/busybox
[ -x "$busybox" ] && ! ldd "$busybox" >/dev/null 2>&1 ||
  skip "no static busybox at $busybox (Debian package busybox-static)"
for tool in mke2fs:e2fsprogs nats-server:nats-server apt-get:apt dpkg-deb:dpkg; do
  command -v "${tool%%:*}" >/dev/null || skip "${tool%%:*} not installed (Debian package ${tool#*:})"
done
for p in vm_hold vm_churn vm_jetstream; do
  [ -x "$progs/$p" ] || fail "$progs/$p is not built (cmake --build $MEMACCT_BUILD)"
done
for tool in jq strace; do
  command -v "$tool" >/dev/null || fail "$tool not installed (bash scripts/deps.sh test installs it)"
done
mkdir -p "$vmdir/kernel" "$vmdir/chart"

# The chart's DaemonSet invocation with its default values, translated as
# helm_podman does (tests/integration/pod_podman.jq: a command, env that is
# not a literal or a volume that is not a hostPath stops it): its args, one
# a line, and its hostPath mounts, "HOSTPATH MOUNTPATH ro|rw" a line. Env
# would not reach the guest, so any env stops it here.
source "$here/../helm/build.bash"
why=$(build_helmcheck "$vmdir/chart") || fail "tests/helm/render does not build: $why"
"$vmdir/chart/helmcheck" template -strict -json -chart "$here/../../helm/memacct-exporter" \
  > "$vmdir/chart/default.json" || fail "the chart does not render with its default values (above)"
jq --arg kind DaemonSet --arg port 9913 --arg logroot "" -f "$here/../integration/pod_podman.jq" \
  "$vmdir/chart/default.json" > "$vmdir/chart/pod.json" || fail "pod_podman.jq cannot translate the chart's DaemonSet (above)"
jq -e 'any(.podman[]; . == "--env") | not' "$vmdir/chart/pod.json" >/dev/null ||
  fail "the chart's DaemonSet sets env, which the VM's chart scenario does not pass"
jq -r '.args[]' "$vmdir/chart/pod.json" > "$vmdir/chart/args"
jq -r '.podman as $o | range($o | length - 1) | select($o[.] == "--volume") | $o[. + 1] | split(":")
       | "\(.[0]) \(.[1]) \(.[2] | split(",")[0])"' "$vmdir/chart/pod.json" > "$vmdir/chart/mounts"
[ -s "$vmdir/chart/args" ] && [ -s "$vmdir/chart/mounts" ] || fail "no args or mounts in the chart's DaemonSet"

# The kernel: the newest cloud kernel apt knows, else the newest cached one.
pattern='^linux-image-6\.1\.0-[0-9]+-cloud-amd64-unsigned$'
newest() { apt-cache search --names-only "$pattern" 2>/dev/null | awk '{print $1}' | sort -V | tail -1; }
pkg=$(newest)
if [ -z "$pkg" ] && [ ! -e "$vmdir/kernel/current" ] && [ "$(id -u)" = 0 ]; then
  apt-get update -qq >/dev/null 2>&1 || true
  pkg=$(newest)
fi
if [ -z "$pkg" ]; then
  pkg=$(ls "$vmdir/kernel" 2>/dev/null | grep -E "$pattern" | sort -V | tail -1 || true)
  [ -n "$pkg" ] || skip "apt knows no linux-image-6.1.0-*-cloud-amd64-unsigned (apt-get update?) and none is cached"
fi
kdir="$vmdir/kernel/$pkg"
if [ ! -e "$kdir/done" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  fetch() { (cd "$tmp" && apt-get download -o APT::Sandbox::User=root "$pkg" >/dev/null 2>&1); }
  # Stale lists name a version the mirror has dropped: refresh once.
  fetch || { [ "$(id -u)" = 0 ] && apt-get update -qq >/dev/null 2>&1 && pkg=$(newest) &&
             kdir="$vmdir/kernel/$pkg" && fetch; } ||
    skip "apt-get download $pkg failed (no network to the Debian mirror?)"
  dpkg-deb -x "$tmp"/"$pkg"_*.deb "$tmp/x"
  rm -rf "$kdir"; mkdir -p "$kdir/modules"
  cp "$tmp"/x/boot/vmlinuz-* "$kdir/vmlinuz"
  # brd: ext4 on a RAM disk (real page cache); virtio: the results disk.
  # Load order = dependency order (modinfo depends=).
  for m in block/brd virtio/virtio_ring virtio/virtio virtio/virtio_pci_legacy_dev \
           virtio/virtio_pci_modern_dev virtio/virtio_pci block/virtio_blk; do
    src=$(ls "$tmp"/x/lib/modules/*/kernel/drivers/"$m".ko* 2>/dev/null | head -1)
    [ -n "$src" ] || fail "$pkg has no drivers/$m.ko"
    case "$src" in
      *.ko) cp "$src" "$kdir/modules/" ;;
      *.ko.xz) xz -dc "$src" > "$kdir/modules/$(basename "$src" .xz)" ;;
      *) fail "$src: unknown module compression" ;;
    esac
    basename "$m" >> "$kdir/modules/order"
  done
  touch "$kdir/done"
  # Only the newest kernel is kept.
  find "$vmdir/kernel" -mindepth 1 -maxdepth 1 -type d ! -name "$pkg" -exec rm -rf {} +
  rm -rf "$tmp"; trap - EXIT
fi
ln -sfn "$pkg" "$vmdir/kernel/current"

# The initramfs: rebuilt when any input file changed (content hash).
inputs=("$busybox" "$(command -v mke2fs)" "$(command -v nats-server)" "$MEMACCT_BIN"
        "$progs/vm_hold" "$progs/vm_churn" "$progs/vm_jetstream" "$here"/guest/*
        "$(command -v strace)" "$vmdir/chart/args" "$vmdir/chart/mounts" "$kdir"/modules/*.ko "$0")
key=$(sha256sum "${inputs[@]}" | sha256sum | cut -c1-64)
if [ "$(cat "$vmdir/initramfs.key" 2>/dev/null)" != "$key" ] || [ ! -s "$vmdir/initramfs.cpio" ]; then
  root="$vmdir/root"
  rm -rf "$root"
  mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,mnt,results,lib/modules,vm,etc}
  cp "$busybox" "$root/bin/busybox"
  # put BIN DEST: the binary at DEST and every library ldd names at its path.
  put() {
    install -D -m 0755 "$1" "$root$2"
    ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' |
      while read -r lib; do
        [ -e "$root$lib" ] || install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
      done
  }
  put "$(command -v mke2fs)" /sbin/mke2fs
  put "$(command -v nats-server)" /bin/nats-server
  put "$MEMACCT_BIN" /bin/memacct_exporter
  put "$(command -v strace)" /bin/strace
  for p in vm_hold vm_churn vm_jetstream; do put "$progs/$p" "/bin/$p"; done
  cp "$kdir"/modules/*.ko "$kdir/modules/order" "$root/lib/modules/"
  cp "$here"/guest/*.sh "$here"/guest/*.txt "$root/vm/"
  cp "$vmdir/chart/args" "$root/vm/chart.args"
  cp "$vmdir/chart/mounts" "$root/vm/chart.mounts"
  install -m 0755 "$here/guest/init" "$root/init"
  printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n' > "$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
  echo "127.0.0.1 localhost" > "$root/etc/hosts"
  (cd "$root" && find . | LC_ALL=C sort | "$busybox" cpio -o -H newc 2>/dev/null) > "$vmdir/initramfs.cpio.tmp"
  mv "$vmdir/initramfs.cpio.tmp" "$vmdir/initramfs.cpio"
  echo "$key" > "$vmdir/initramfs.key"
fi
echo "KERNEL=$kdir/vmlinuz"
echo "INITRAMFS=$vmdir/initramfs.cpio"
