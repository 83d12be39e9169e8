#!/usr/bin/env bash
# helm_podman.sh: the image and the chart's own invocation, run for real on
# this host under podman (as root; this host's cgroups are v1/hybrid).
#  1. bash scripts/image.sh builds the image from Containerfile (offline from
#     any registry) under a test tag; inside it --version and --help work, it
#     runs as 65534:65534, and its runtime packages are exactly those of the
#     libraries the binary links (readelf -d) plus ca-certificates.
#  2. tests/helm/render renders the chart with its default values; the
#     DaemonSet's args, env, volume mounts, security context and memory limit
#     become podman options (tests/integration/pod_podman.jq): host PID, the
#     pod's own network namespace with the metrics port published on a free
#     127.0.0.1 port (the chart sets no hostNetwork, so neither does this),
#     read-only root, uid/gid 65534, every capability dropped, no new
#     privileges, the host's /sys/fs/cgroup and /proc read-only at the chart's
#     mount points. Every collector must succeed, and the series of a test
#     cgroup (below this test's own, with a process and 32 MiB of page cache)
#     must equal the kernel's files read just before and after the scrape
#     (v1; on a v2 host this part is left to tests/vm).
#  3. The old invocation (--path.cgroupfs=/host/sys/fs/cgroup, a tmpfs of
#     controller folders here) exits 1 with one line naming that path.
#  4. With nats.url set, the JetStream poller Deployment runs the same way
#     against a real nats-server on this host (reached through slirp4netns'
#     host loopback, 10.0.2.2): only the jetstream collector, and every stream
#     and account value equal to the server's own /jsz.
# Exit 77 (SKIPPED) only without root, podman, runc or mmdebstrap, or when
# podman cannot run here; any other missing tool is a failure
# (scripts/deps.sh test installs them all). Everything it starts is removed,
# even on failure; podman's layer cache is kept (the image build is then
# seconds when the sources did not change).
set -euo pipefail
source "$(dirname "$0")/lib.bash"
source "$MEMACCT_SRC/tests/helm/build.bash"
source "$(dirname "$0")/jetstream_lib.bash"

[ "$(id -u)" = 0 ] || skip "needs root (podman as root, a test cgroup)"
for tool in podman runc mmdebstrap; do
  command -v "$tool" >/dev/null || skip "$tool is not installed (bash scripts/deps.sh test installs it)"
done
for tool in jq curl nats-server python3 readelf slirp4netns; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (bash scripts/deps.sh test installs it)"
done
source "$MEMACCT_SRC/scripts/podman.bash"
podman info >/dev/null 2>&1 || skip "podman cannot run here: $(podman info 2>&1 | tail -1)"

t0=$(date +%s)
work=$(mktemp -d /var/tmp/memacct-helm-podman.XXXXXX)
JS_WORK=$work
tag=localhost/memacct-exporter:helm-podman-$$
ctrs=()
holder=""
cg=""
cleanup() {
  set +e
  local c p
  for c in "${ctrs[@]}"; do podman rm -f -t 2 "$c" >/dev/null 2>&1; done
  podman rmi "$tag" >/dev/null 2>&1
  stop_nats
  [ -n "$holder" ] && kill "$holder" 2>/dev/null && wait "$holder" 2>/dev/null
  if [ -n "$cg" ] && [ -d "$cg" ]; then
    for p in $(cat "$cg/cgroup.procs" 2>/dev/null); do echo "$p" >"$parent/cgroup.procs" 2>/dev/null; done
    echo 0 >"$cg/memory.force_empty" 2>/dev/null
    rmdir "$cg"
  fi
  rm -rf "$work"
}
trap cleanup EXIT
phase() { echo "== $* ($(($(date +%s) - t0)) s)"; }

# ---- 1. the image ------------------------------------------------------------
phase "building the image ($tag) with scripts/image.sh"
if ! bash "$MEMACCT_SRC/scripts/image.sh" "$tag" >"$work/image.log" 2>&1; then
  tail -40 "$work/image.log"
  fail "scripts/image.sh failed"
fi
in_image() { podman run --rm "${podman_flags[@]}" "$@"; }
ver=$(in_image "$tag" --version)
[ "$ver" = "memacct_exporter $(sed -n 's/^project(memacct_exporter VERSION \([0-9.]*\).*/\1/p' "$MEMACCT_SRC/CMakeLists.txt")" ] ||
  fail "--version in the image says '$ver'"
# To a file: grep -q would close the pipe early and podman's attach fails
# writing the rest of --help (broken pipe).
in_image "$tag" --help >"$work/help.txt" || fail "--help failed in the image"
grep -q -- '--path.sysfs' "$work/help.txt" || fail "--help in the image does not list --path.sysfs"
user=$(podman image inspect --format '{{.Config.User}}' "$tag")
[ "$user" = 65534:65534 ] || fail "image user is '$user', want 65534:65534"
entry=$(podman image inspect --format '{{json .Config.Entrypoint}}' "$tag")
[ "$entry" = '["/usr/bin/memacct_exporter"]' ] || fail "image entrypoint is $entry"
# The runtime packages: those owning the libraries the binary links, less
# libc6 (in every base), plus ca-certificates; nothing to build with.
cid=$(podman create "${podman_flags[@]}" "$tag")
podman cp "$cid:/usr/bin/memacct_exporter" "$work/memacct_exporter" && podman rm "$cid" >/dev/null
mapfile -t needed < <(readelf -d "$work/memacct_exporter" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
have=$(in_image --user 0 --entrypoint sh "$tag" -c 'for so in "$@"; do dpkg -S "*/$so"; done' _ "${needed[@]}" |
  cut -d: -f1 | sed 's/, /\n/g' | { sort -u | grep -vx libc6; echo ca-certificates; } | sort -u | tr '\n' ' ')
listed=$(sed -n '/^FROM \${BASE}$/,$p' "$MEMACCT_SRC/Containerfile" | tr -d '\\' |
  sed -n '/apt-get install/,/apt-get clean/p' | tr ' ' '\n' | grep -E '^[a-z0-9][a-z0-9.+-]+$' |
  grep -vxE 'apt-get|install|clean|rm|DEBIAN_FRONTEND=noninteractive' | sort -u | tr '\n' ' ')
[ "$have" = "$listed" ] || fail "Containerfile installs [$listed], the binary needs [$have]"
in_image --user 0 --entrypoint sh "$tag" -c 'dpkg -l | awk "/^ii/ {print \$2}" | grep -E -- "-dev(:|$)|^(gcc|g\+\+|cpp|cmake|make|pkg-config|binutils)(-[0-9]+)?(:|$)"' &&
  fail "the image holds build packages (above)"
echo "image: $ver, user $user, entrypoint $entry, $(podman image inspect --format '{{.Size}}' "$tag" | awk '{printf "%.1f MB", $1 / 1e6}'), runtime packages: $listed"

# ---- 2. the chart's DaemonSet, as the kubelet would run it -----------------------
# kubelet's log folders, which the chart mounts for pod names: this host is
# no Kubernetes node, so the test's own empty ones stand in for
# /var/log/containers and /var/log/pods (pod_podman.jq maps /var/log/* there).
mkdir -p "$work/varlog/containers" "$work/varlog/pods"
phase "rendering the chart (tests/helm/render)"
# The renderer's Go build cache lives on in the build tree (seconds, not 20).
gowork=${MEMACCT_BUILD:-$work}/helm-podman-go
mkdir -p "$gowork"
why=$(build_helmcheck "$gowork") || { echo "$why"; fail "tests/helm/render does not build"; }
cp "$gowork/helmcheck" "$work/helmcheck"
"$work/helmcheck" template -strict -json -chart "$MEMACCT_SRC/helm/memacct-exporter" >"$work/default.json"
# pod_run NAME KIND RENDERED.json PORT [podman options...] -- starts the
# workload's container detached, waits for /healthz on 127.0.0.1:PORT.
pod_run() {
  local name=$1 kind=$2 rendered=$3 port=$4
  shift 4
  jq --arg kind "$kind" --arg port "$port" --arg logroot "$work/varlog" -f "$MEMACCT_SRC/tests/integration/pod_podman.jq" "$rendered" >"$work/$name.spec.json"
  mapfile -t popts < <(jq -r '.podman[]' "$work/$name.spec.json")
  mapfile -t cargs < <(jq -r '.args[]' "$work/$name.spec.json")
  echo "$kind of $(jq -r .image "$work/$name.spec.json") as $tag: podman run ${popts[*]} $* $tag ${cargs[*]}"
  ctrs+=("$name")
  podman run -d --name "$name" "${podman_flags[@]}" "${popts[@]}" "$@" "$tag" "${cargs[@]}" >/dev/null
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && return 0
    [ "$(podman inspect --format '{{.State.Running}}' "$name")" = true ] || break
    sleep 0.1
  done
  podman logs "$name"
  fail "$kind container did not answer /healthz on 127.0.0.1:$port"
}

mnt=$(awk '$3 == "cgroup" && $4 ~ /(^|,)memory(,|$)/ {print $2; exit}' /proc/mounts)
if [ -n "$mnt" ]; then
  own=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3; exit}' /proc/self/cgroup)
  parent="$mnt$own"
  name="memacct-helm-podman-$$"
  mkdir "$parent/$name" || fail "cannot create a cgroup below $parent"
  cg="$parent/$name"
  echo $((512 * 1024 * 1024)) >"$cg/memory.limit_in_bytes"
  sleep 600 & holder=$!
  echo "$holder" >"$cg/cgroup.procs"
  in_cg() { bash -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' _ "$cg" "$@"; }
  in_cg dd if=/dev/zero of="$work/file" bs=1M count=32 status=none
  in_cg cat "$work/file" >/dev/null
  in_cg cat "$work/file" >/dev/null
  sel="cgroup=\"${own%/}/$name\""
fi

phase "running the DaemonSet's container"
port=$(free_port)
pod_run ds DaemonSet "$work/default.json" "$port"
url="http://127.0.0.1:$port"

# The kernel's own numbers for the test cgroup, in the exporter's terms (v1:
# total_* of memory.stat, the split given out of usage in order anon, shmem,
# active file, inactive file, kernel; working set = usage - inactive file).
kernel_view() {
  local p rss=0 n=0 kmem=0
  [ -r "$cg/memory.kmem.usage_in_bytes" ] && kmem=$(cat "$cg/memory.kmem.usage_in_bytes")
  for p in $(cat "$cg/cgroup.procs"); do
    rss=$((rss + $(awk '/^RssAnon:/ {print $2 * 1024}' "/proc/$p/status")))
    n=$((n + 1))
  done
  awk -v usage="$(cat "$cg/memory.usage_in_bytes")" -v kmem="$kmem" -v limit="$(cat "$cg/memory.limit_in_bytes")" \
    -v rss="$rss" -v n="$n" '
    {st[$1] = $2}
    END {
      left = usage
      split("total_rss total_shmem total_active_file total_inactive_file kmem", keys, " ")
      split("anon shmem file_active file_inactive kernel", names, " ")
      st["kmem"] = kmem
      for (i = 1; i <= 5; i++) { c = st[keys[i]] < left ? st[keys[i]] : left; left -= c; printf "%s=%.0f ", names[i], c }
      ws = usage > st["total_inactive_file"] ? usage - st["total_inactive_file"] : 0
      printf "other=%.0f usage=%.0f working_set=%.0f limit=%.0f processes=%d rss_anon=%.0f\n",
        left, usage, ws, limit, n, rss
    }' "$cg/memory.stat"
}
exporter_view() {
  local f=$1 c out=""
  for c in anon shmem file_active file_inactive kernel other; do
    out+="$c=$(value "$f" memacct_cgroup_memory_bytes "$sel" "component=\"$c\"") "
  done
  out+="usage=$(value "$f" memacct_cgroup_memory_usage_bytes "$sel") "
  out+="working_set=$(value "$f" memacct_cgroup_memory_working_set_bytes "$sel") "
  out+="limit=$(value "$f" memacct_cgroup_memory_limit_bytes "$sel") "
  out+="processes=$(value "$f" memacct_cgroup_processes "$sel") "
  out+="rss_anon=$(value "$f" memacct_cgroup_process_rss_bytes "$sel" 'component="anon"')"
  echo "$out"
}

compared=""
for try in $(seq 1 10); do
  curl -fsS "$url/metrics" >"$work/ds.prom"
  [ -z "$cg" ] && break
  before=$(kernel_view)
  curl -fsS "$url/metrics" >"$work/ds.prom"
  after=$(kernel_view)
  if [ "$before" = "$after" ]; then
    compared=$(exporter_view "$work/ds.prom")
    [ "$compared" = "$before" ] || fail "test cgroup: the exporter says [$compared], the kernel's files [$before]"
    # The chart keeps the exporter's default families: events and file off.
    ! grep -q '^memacct_cgroup_memory_failcnt_total' "$work/ds.prom" ||
      fail "the chart's DaemonSet exports failcnt: not the default families"
    break
  fi
  sleep 0.5
done
mapfile -t success < <(grep '^memacct_scrape_collector_success{' "$work/ds.prom")
for want in cgroup process node; do
  printf '%s\n' "${success[@]}" | grep -qF "collector=\"$want\"" || fail "no memacct_scrape_collector_success for $want"
done
for line in "${success[@]}"; do
  [ "${line##* }" = 1 ] || { podman logs ds; fail "a collector failed: $line"; }
done
echo "collectors: ${#success[@]}, all memacct_scrape_collector_success 1 ($(grep -c '^memacct_cgroup_memory_usage_bytes{' "$work/ds.prom") cgroups)"
! grep -q '^memacct_jetstream_' "$work/ds.prom" || fail "the DaemonSet's exporter serves JetStream series"
if [ -n "$cg" ]; then
  [ -n "$compared" ] || fail "test cgroup: the kernel's files kept changing over 10 scrapes"
  echo "test cgroup $sel equals its kernel files (try $try): $compared"
else
  echo "no cgroup v1 memory controller: the test-cgroup comparison is left to tests/vm (cgroup v2)"
fi
podman rm -f -t 2 ds >/dev/null

# ---- 3. the old invocation fails clearly -------------------------------------------
phase "the old --path.cgroupfs=/host/sys/fs/cgroup"
jq '(.[] | select(.kind == "DaemonSet") | .spec.template.spec.containers[0].args) |=
  map(if . == "--path.sysfs=/host/sys" then "--path.cgroupfs=/host/sys/fs/cgroup" else . end)' \
  "$work/default.json" >"$work/old.json"
jq --arg kind DaemonSet --arg port "$(free_port)" --arg logroot "$work/varlog" -f "$MEMACCT_SRC/tests/integration/pod_podman.jq" "$work/old.json" >"$work/old.spec.json"
mapfile -t popts < <(jq -r '.podman[]' "$work/old.spec.json")
mapfile -t cargs < <(jq -r '.args[]' "$work/old.spec.json")
rc=0
podman run --rm "${podman_flags[@]}" "${popts[@]}" "$tag" "${cargs[@]}" >"$work/old.out" 2>&1 || rc=$?
if [ -n "$mnt" ]; then
  [ "$rc" = 1 ] || { cat "$work/old.out"; fail "--path.cgroupfs=/host/sys/fs/cgroup: exit $rc, want 1"; }
  [ "$(wc -l <"$work/old.out")" = 1 ] && grep -qF -- "--path.cgroupfs: /host/sys/fs/cgroup is not a memory cgroup" "$work/old.out" ||
    { cat "$work/old.out"; fail "--path.cgroupfs=/host/sys/fs/cgroup: not one line naming the path and what it must hold"; }
  echo "exit 1: $(cat "$work/old.out")"
fi

# ---- 4. the JetStream poller Deployment ------------------------------------------
phase "running the JetStream poller's container against nats-server"
start_nats
python3 "$JS_PY" mkstreams "$NATS_PORT" 3 file >/dev/null
python3 "$JS_PY" publish "$NATS_PORT" s.1.x 50 >/dev/null
"$work/helmcheck" template -strict -json -chart "$MEMACCT_SRC/helm/memacct-exporter" \
  -f <(printf 'nats: {url: "nats://10.0.2.2:%s", pollInterval: 1s}\n' "$NATS_PORT") >"$work/nats.json"
jport=$(free_port)
pod_run js Deployment "$work/nats.json" "$jport" --network slirp4netns:allow_host_loopback=true
ok=""
for _ in $(seq 1 100); do
  when=$(date +%s)
  curl -fsS "http://127.0.0.1:$jport/metrics" >"$work/js.prom"
  if grep -q '^memacct_jetstream_up 1$' "$work/js.prom" && grep -q '^memacct_jetstream_stream_messages{' "$work/js.prom"; then
    ok=1
    break
  fi
  sleep 0.2
done
[ -n "$ok" ] || { podman logs js; fail "the poller never reported memacct_jetstream_up 1 with streams"; }
python3 "$JS_PY" compare "$NATS_MON" "$work/js.prom" "$when" || fail "the poller's series differ from nats-server's /jsz"
collectors=$(sed -n 's/^memacct_scrape_collector_success{collector="\([a-z]*\)"} 1$/\1/p' "$work/js.prom" | sort | tr '\n' ' ')
[ "$collectors" = "jetstream self " ] || fail "poller collectors: [$collectors], want [jetstream self]"
! grep -qE '^memacct_(cgroup|node)_' "$work/js.prom" || fail "the poller serves cgroup or node series"
echo "poller: $(grep -c '^memacct_jetstream_stream_messages{' "$work/js.prom") streams equal to /jsz; collectors $collectors"
phase "PASS"
