#!/usr/bin/env bash
# Builds the container image from Containerfile with podman and tags it
# memacct-exporter:dev (or the tag given as $1), with no container registry:
# the Debian 12 base is a bookworm root made by mmdebstrap from Debian's
# mirror the way debian:bookworm-slim is made (minbase, merged /usr without
# the usrmerge package and its perl, no manuals, docs or translations) and
# imported into podman as localhost/memacct-base:bookworm, made again when
# more than 7 days old.
# Installs podman, runc, iptables and mmdebstrap when missing. Run as root.
# For a real registry: podman build -f Containerfile -t REGISTRY/NAME:TAG .
set -euo pipefail
cd "$(dirname "$0")/.."
tag=${1:-memacct-exporter:dev}
bash scripts/deps.sh image
source scripts/podman.bash
base=localhost/memacct-base:bookworm

created=$(podman image inspect --format '{{.Created.Unix}}' "$base" 2>/dev/null || echo 0)
if [ $(($(date +%s) - created)) -gt $((7 * 86400)) ]; then
  root=$(mktemp -d /var/tmp/memacct-base.XXXXXX)
  trap 'rm -rf "$root"' EXIT
  echo "== making the Debian 12 base with mmdebstrap"
  mmdebstrap --quiet --variant=minbase --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' --aptopt='APT::Install-Recommends "false"' \
    bookworm "$root/rootfs.tar"
  podman import --quiet "$root/rootfs.tar" "$base" >/dev/null
fi

echo "== building $tag from Containerfile on $base"
podman build "${podman_flags[@]}" --pull=never --build-arg BASE="$base" \
  -f Containerfile -t "$tag" .
podman run --rm "${podman_flags[@]}" "$tag" --version
