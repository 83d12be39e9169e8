#!/usr/bin/env bash
# Installs the Debian 12 packages memacct_exporter needs, only those missing.
# Usage: scripts/deps.sh build|image|test
# build: compiler, CMake and the libraries; image: what scripts/image.sh needs
# (podman with runc, iptables for its bridge network, mmdebstrap for the
# Debian base); test: build and image, and the real components the tests drive
# (nats-server, prometheus/promtool, curl, tmux, chromium, go, and qemu,
# busybox-static, e2fsprogs and strace for the cgroup v2 VM of tests/vm, ...).
set -euo pipefail
build=(build-essential cmake pkg-config libmicrohttpd-dev libcgroup-dev libnats-dev
       libjson-c-dev libssl-dev zlib1g-dev libyaml-dev libcrypt-dev)
image=(podman runc iptables mmdebstrap)
case "${1:-build}" in
  build) want=("${build[@]}") ;;
  image) want=("${image[@]}") ;;
  test) want=("${build[@]}" "${image[@]}") ;;
  *) echo "usage: scripts/deps.sh build|image|test" >&2; exit 2 ;;
esac
if [ "${1:-build}" = test ]; then
  # slirp4netns: helm_podman's JetStream poller reaches nats-server on this host's loopback.
  want+=(slirp4netns libcmocka-dev nats-server prometheus curl openssl jq python3 python3-prometheus-client valgrind clang
         libclang-rt-14-dev tmux chromium chromium-driver golang-go
         golang-github-masterminds-sprig-dev golang-gopkg-yaml.v2-dev
         golang-gopkg-yaml.v3-dev
         qemu-system-x86 busybox-static e2fsprogs strace)
  # node and npm for the chart's schema check (tests/helm): Debian's when none is on PATH.
  command -v npm >/dev/null || want+=(nodejs npm)
fi
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
