#!/usr/bin/env bash
# Churn on this machine's real cgroup v1 memory controller: below this test's
# own memory cgroup (from /proc/self/cgroup) it makes a test root, points the
# exporter at it, and for 20 s creates and destroys 100 cgroups per second,
# each with a process started in it and killed before the cgroup is removed
# (about 50 live at a time), while a loop scrapes continuously. Every scrape
# must be a 200 that `promtool check metrics` has nothing to say about, with
# no half series: every memacct_cgroup_* sample but the read-error counter
# carries a cgroup label; per cgroup the memacct_cgroup_memory_bytes
# components are all 6 or none (and sum to usage_bytes), the process RSS
# components all 3 or none, every sample of a cgroup has the same
# identity labels and its memacct_cgroup_info adds only qos and runtime to
# them (a tenth of the cgroups are Kubernetes-shaped: level container, uid,
# container_id; qos and runtime on the info); the cgroup and process collectors never fail (a
# vanished cgroup is normal churn, README "Failures"); the exporter does not crash; no fd growth:
# the files it holds open for removed cgroups are closed within seconds
# even with no scrape after the churn, and it holds the same files after it
# as before (the test root's). All
# cgroups it made are removed at the end, even on failure.
# SKIPPED (77) where there is no writable cgroup v1 memory controller or no
# promtool. It does not test cgroup v2 (see the fixture tests).
# CHURN_SECONDS overrides the 20 s.
set -euo pipefail
source "$(dirname "$0")/lib.bash"
command -v promtool >/dev/null || skip "promtool not installed (Debian package prometheus)"
mnt=$(awk '$3=="cgroup" && $4 ~ /(^|,)memory(,|$)/ {print $2; exit}' /proc/mounts)
[ -n "$mnt" ] || skip "no cgroup v1 memory controller mounted"
own=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3; exit}' /proc/self/cgroup)
parent="$mnt$own"
[ -w "$parent" ] || skip "cgroup $parent is not writable (run as root)"
seconds=${CHURN_SECONDS:-20}

troot="$parent/memacct-churn-$$"
work=$(mktemp -d /var/tmp/memacct-churn.XXXXXX)
churner=""
scraper=""
cleanup() {
  set +e
  [ -n "$scraper" ] && kill "$scraper" 2>/dev/null && wait "$scraper" 2>/dev/null
  [ -n "$churner" ] && kill -TERM "$churner" 2>/dev/null && wait "$churner" 2>/dev/null
  stop_exporter
  if [ -d "$troot" ]; then
    # Kill what is left in any test cgroup, then remove them deepest first.
    for procs in $(find "$troot" -name cgroup.procs); do
      for p in $(cat "$procs" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
    done
    sleep 0.2
    find "$troot" -depth -type d -exec rmdir {} \; 2>/dev/null
    [ -d "$troot" ] && echo "WARNING: could not remove $troot" >&2
  fi
  rm -rf "$work"
}
trap cleanup EXIT
mkdir "$troot" || skip "cannot create a cgroup below $parent"

# churn.py ROOT SECONDS RATE: every 1/RATE s makes cg-N with a `sleep` in it
# and destroys the oldest once 50 are live (kill the process, reap it, rmdir).
# Prints what it did. SIGTERM ends it early (still cleaning up).
cat >"$work/churn.py" <<'PY'
import os, signal, subprocess, sys, time
root, seconds, rate = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
live = []          # (path, Popen)
made = removed = rm_fail = spawned = 0
stop = False
def on_term(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, on_term)
def destroy(path, p):
    global removed, rm_fail
    p.kill()
    p.wait()
    for _ in range(50):
        try:
            os.rmdir(path)
            removed += 1
            return
        except OSError:
            time.sleep(0.002)   # the task may still be leaving the cgroup
    rm_fail += 1
t0 = time.time()
n = 0
while not stop and time.time() - t0 < seconds:
    due = t0 + n / rate
    now = time.time()
    if due > now:
        time.sleep(due - now)
    path = "%s/cg-%d" % (root, n)
    if n % 10 == 0:         # some nesting: the walk meets removed subtrees too
        path = "%s/cg-%d/inner" % (root, n)
        os.mkdir(os.path.dirname(path))
    elif n % 10 == 5:       # Kubernetes-shaped: level, uid, container_id; info: qos, runtime
        pod = "%s/kubepods-burstable-pod%08x_1111_2222_3333_444455556666.slice" % (root, n)
        path = "%s/cri-containerd-%064x.scope" % (pod, n)
        os.mkdir(pod)
    os.mkdir(path)
    made += 1
    p = subprocess.Popen(["sleep", "60"])
    spawned += 1
    with open(path + "/cgroup.procs", "w") as f:
        f.write(str(p.pid))
    live.append((path, p))
    n += 1
    if len(live) > 50:
        path, p = live.pop(0)
        destroy(path, p)
        if path.endswith("/inner") or path.endswith(".scope"):
            os.rmdir(os.path.dirname(path))
elapsed = time.time() - t0
for path, p in live:
    destroy(path, p)
    if path.endswith("/inner") or path.endswith(".scope"):
        os.rmdir(os.path.dirname(path))
print("churn: %.1f s, cgroups created=%d removed=%d rmdir_failures=%d processes started=%d "
      "(%.0f cgroups/s)" % (elapsed, made, removed, rm_fail, spawned, made / elapsed))
PY

start_exporter "$work/exporter.log" --path.cgroupfs="$troot" --no-collector.node
pid=$EXPORTER_PID
nfds() { ls "/proc/$pid/fd" | wc -l; }
settle() { for _ in 1 2; do curl -fsS "$EXPORTER_URL/healthz" >/dev/null; sleep 0.2; done; }
# Two scrapes first: the exporter holds the test root's files from then on
# (README, "Reading the files"); the baseline counts them.
curl -fsS -o "$work/warm.prom" "$EXPORTER_URL/metrics"
curl -fsS -o "$work/warm.prom" "$EXPORTER_URL/metrics"
settle
fd0=$(nfds)
held0=$(grep '^memacct_cgroup_files_open ' "$work/warm.prom" | cut -d' ' -f2)

mkdir "$work/scrapes"
(
  i=0
  while [ ! -e "$work/stop" ]; do
    i=$((i + 1))
    curl -sS -m 10 -o "$work/scrapes/$i.prom" -w '%{http_code}\n' "$EXPORTER_URL/metrics" \
      >"$work/scrapes/$i.code" 2>&1 || echo "curl failed" >>"$work/scrapes/$i.code"
  done
) &
scraper=$!
python3 "$work/churn.py" "$troot" "$seconds" 100 >"$work/churn.out" &
churner=$!
wait "$churner" || fail "the churner failed"
churner=""
touch "$work/stop"
wait "$scraper"
scraper=""
cat "$work/churn.out"
kill -0 "$pid" 2>/dev/null || { tail -20 "$work/exporter.log"; fail "the exporter died"; }

# Check every scrape: HTTP 200, promtool silent, no half series
# (scrape_series_check.py).

n=$(ls "$work/scrapes"/*.code | wc -l)
not200=$(grep -Lx 200 "$work/scrapes"/*.code | wc -l)
# promtool on every scrape, two at a time; it prints nothing for a good one.
ls "$work/scrapes"/*.prom | xargs -P 2 -n 1 sh -c \
  'out=$(promtool check metrics <"$1" 2>&1); [ -z "$out" ] || printf "%s: %s\n" "$1" "$out"' _ \
  >"$work/promtool.out" 2>&1 || true
promtool_bad=$(grep -c '\.prom: ' "$work/promtool.out" || true)
head -3 "$work/promtool.out"
ok=true
python3 "$(dirname "$0")/scrape_series_check.py" "$work/scrapes"/*.prom | tee "$work/series.out" || ok=false
# A tenth of the churned cgroups are Kubernetes-shaped: some scrape must show
# one as a container with its memacct_cgroup_info.
grep -q 'container_cgroups_total=[1-9]' "$work/series.out" ||
  fail "no scrape showed a Kubernetes-shaped container with its memacct_cgroup_info"
# No scrape since the churner removed its last cgroups: their held files
# are closed by the exporter's own poll (once a second), not by a scrape.
for _ in $(seq 25); do [ "$(nfds)" -le "$fd0" ] && break; sleep 0.2; done
fd1=$(nfds)
last="$work/scrapes/$n.prom"
held_peak=$(cat "$work"/scrapes/*.prom | sed -n 's/^memacct_cgroup_files_open //p' | sort -n | tail -1)
echo "scrapes during churn: $n ($(awk -v n="$n" -v s="$seconds" 'BEGIN {printf "%.1f", n / s}')/s)," \
  "not 200: $not200, promtool complaints: $promtool_bad"
echo "exporter fds: before=$fd0 after=$fd1 (no scrape between); files held: $held0 at the start," \
  "at most $held_peak during the churn;" \
  "$(grep '^memacct_cgroup_read_errors_total' "$last" || echo 'no read error counter')"
grep 'level=warn\|level=error' "$work/exporter.log" | head -3 || true
[ "$not200" = 0 ] || { cat "$(grep -Lx 200 "$work/scrapes"/*.code | head -1)"; fail "$not200 scrapes were not 200"; }
[ "$promtool_bad" = 0 ] || fail "promtool complained about $promtool_bad scrapes"
$ok || fail "some scrapes had half series or a failed cgroup/process collector"
[ "$n" -ge 20 ] || fail "only $n scrapes in $seconds s"
[ "$fd1" -le "$fd0" ] || fail "fd count grew from $fd0 to $fd1"
[ "${held0:-0}" -ge 5 ] || fail "the test root's files are not held after a scrape ($held0)"
[ "${held_peak:-0}" -gt "$held0" ] || fail "no churned cgroup's files were ever held"
curl -fsS -o "$work/final.prom" "$EXPORTER_URL/metrics"
[ "$(grep '^memacct_cgroup_files_open ' "$work/final.prom" | cut -d' ' -f2)" = "$held0" ] ||
  fail "after the churn $(grep '^memacct_cgroup_files_open ' "$work/final.prom") files held, want $held0"
grep -q 'rmdir_failures=0' "$work/churn.out" || fail "the churner could not remove some cgroups"
echo PASS
