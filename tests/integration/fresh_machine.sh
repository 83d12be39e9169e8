#!/usr/bin/env bash
# fresh_machine.sh: the README's first command on a Debian 12 where nothing
# was installed. mmdebstrap makes a fresh bookworm root (--variant=minbase,
# from Debian's mirror, nothing cached from an earlier run), the source tree
# is copied in (git ls-files: tracked files and new ones git does not
# ignore, no build folders), and `bash scripts/run.sh` runs inside it through
# chroot with the host's /proc, /sys and /dev bound in (recursive binds made
# slaves, so nothing propagates back; unmounted by the trap whatever
# happens). run.sh must install what the build needs itself (apt inside the
# root downloads it), build without the test packages, and start the
# exporter, which must then serve /metrics to curl on this host with cgroup
# series: every collector succeeding and this test's own cgroup among them.
# Needs root, mmdebstrap, git, curl and Debian's mirror; exit 77 (SKIPPED)
# only without root or mmdebstrap (scripts/deps.sh test installs it).
# Takes 3-5 minutes, most of it apt and the compiler inside the root.
set -euo pipefail
source "$(dirname "$0")/lib.bash"

[ "$(id -u)" = 0 ] || skip "needs root (mmdebstrap, chroot, bind mounts)"
command -v mmdebstrap >/dev/null || skip "mmdebstrap is not installed (bash scripts/deps.sh test installs it)"
for tool in git curl; do command -v "$tool" >/dev/null || fail "$tool is not installed"; done

t0=$(date +%s)
phase() { echo "== $* ($(($(date +%s) - t0)) s)"; }
work=$(mktemp -d /var/tmp/memacct-fresh.XXXXXX)
fs=$work/fs
run_pid=""
cleanup() {
  set +e
  # The exporter (or the build before it) and everything it started: the
  # process group of the setsid below.
  if [ -n "$run_pid" ]; then
    kill -TERM -- "-$run_pid" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 -- "-$run_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$run_pid" 2>/dev/null
    wait "$run_pid" 2>/dev/null
  fi
  local m
  for m in dev sys proc; do
    mountpoint -q "$fs/$m" && { umount -R "$fs/$m" || umount -R -l "$fs/$m"; }
  done
  # Never delete through a mount that is still there.
  if grep -qF " $work/" /proc/mounts; then
    echo "mounts are left below $work; not removing it" >&2
  else
    rm -rf --one-file-system "$work"
  fi
}
trap cleanup EXIT

phase "mmdebstrap --variant=minbase bookworm (a fresh Debian 12 root)"
mmdebstrap --quiet --variant=minbase bookworm "$fs"

phase "copying the source tree in (git ls-files)"
dest=$fs/root/memacct_exporter
mkdir -p "$dest"
git -C "$MEMACCT_SRC" ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' f; do [ -e "$MEMACCT_SRC/$f" ] && printf '%s\0' "$f"; done |
  tar -C "$MEMACCT_SRC" --null -T - -cf - | tar -C "$dest" -xf -
echo "$(find "$dest" -type f | wc -l) files"

for m in proc sys dev; do
  mount --rbind "/$m" "$fs/$m"
  mount --make-rslave "$fs/$m"
done

phase "bash scripts/run.sh inside it (apt, cmake, build, start)"
port=$(free_port)
setsid chroot "$fs" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  HOME=/root TERM=dumb bash -c 'cd /root/memacct_exporter && exec bash scripts/run.sh "$@"' _ \
  --web.listen-address="127.0.0.1:$port" >"$work/run.log" 2>&1 &
run_pid=$!
url="http://127.0.0.1:$port"
# Give up 560 s after the start, before ctest's 600 s limit kills this test
# without its trap (which would leave the binds and the exporter behind).
while [ $(($(date +%s) - t0)) -lt 560 ]; do
  curl -fsS "$url/healthz" >/dev/null 2>&1 && break
  kill -0 "$run_pid" 2>/dev/null || { tail -40 "$work/run.log"; fail "scripts/run.sh stopped (above)"; }
  sleep 0.1
done
curl -fsS "$url/healthz" >/dev/null 2>&1 || { tail -40 "$work/run.log"; fail "no exporter on $url within 560 s"; }
phase "the exporter answers on $url"

curl -fsS "$url/metrics" >"$work/metrics.prom"
mapfile -t success < <(grep '^memacct_scrape_collector_success{' "$work/metrics.prom")
grep -q 'collector="cgroup"} 1$' "$work/metrics.prom" || fail "cgroup collector: ${success[*]}"
for line in "${success[@]}"; do [ "${line##* }" = 1 ] || fail "a collector failed: $line"; done
own=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ || $2 == "" {print $3; exit}' /proc/self/cgroup)
n=$(grep -c '^memacct_cgroup_memory_usage_bytes{' "$work/metrics.prom" || true)
[ "$n" -ge 1 ] || fail "no cgroup series"
grep -q "^memacct_cgroup_memory_usage_bytes{cgroup=\"$own\"" "$work/metrics.prom" ||
  fail "this test's own cgroup $own is not among the $n cgroups"
chroot "$fs" dpkg-query -W -f='${Status}' libcmocka-dev 2>/dev/null | grep -q 'install ok installed' &&
  fail "run.sh installed libcmocka-dev (a test package)"
echo "$n cgroups (this test's $own among them), ${#success[@]} collectors all succeeding;" \
  "$(chroot "$fs" dpkg-query -W -f='.\n' | wc -l) packages in the root, no cmocka"
phase PASS
