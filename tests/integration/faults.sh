#!/usr/bin/env bash
# Faults on a copy of the cgroup v2 fixture tree, scraped through the real
# exporter:
#  - one cgroup's memory.stat is a directory (read: EISDIR), another's
#    memory.current reads EIO (a symlink to /proc/self/mem: reading address 0
#    of the exporter's own memory), a third cgroup lost its files between the
#    walk's readdir and the open (dangling symlink: ENOENT): the two broken
#    ones are skipped and counted in memacct_cgroup_read_errors_total, the
#    vanished one is skipped silently, memacct_scrape_collector_success
#    {collector="cgroup"} is 0, every other cgroup is exported whole, the
#    scrape is a 200 promtool has nothing to say about, the failure is
#    logged once (back-off), and success is back to 1 when the files are;
#  - cgroup.procs lists pids missing from the procfs copy (processes that
#    exited between the listing and the read): memacct_process_vanished_total
#    counts them, the process collector still succeeds;
#  - a listed process whose status reads EIO is skipped and counted in
#    memacct_process_read_errors_total, not as a vanished one; the rest of
#    its cgroup is still summed and the collector succeeds.
# It does not test real cgroups (churn_cgroups.sh does) nor NATS faults.
set -euo pipefail
source "$(dirname "$0")/lib.bash"
work=$(mktemp -d)
trap 'stop_exporter; rm -rf "$work"' EXIT
cp -r "$MEMACCT_FIXTURES/cgroup-v2/6-over-high" "$work/fx"
sys="$work/fx/sys" proc="$work/fx/proc"
burst=/kubepods.slice/kubepods-burstable.slice
pod=$burst/kubepods-burstable-pod1f2e3d4c_5b6a_4789_9abc_def012345678.slice
ctr=$pod/cri-containerd-3b1e0c8a9f7d6e5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c.scope
need_promtool

get() {  # N: scrape to $work/N.prom, check HTTP 200 and promtool
  local code; code=$(curl -sS -o "$work/$1.prom" -w '%{http_code}' "$EXPORTER_URL/metrics")
  [ "$code" = 200 ] || fail "scrape $1: HTTP $code"
  local out; out=$(promtool check metrics <"$work/$1.prom" 2>&1) || true
  [ -z "$out" ] || { echo "$out"; fail "scrape $1: promtool check metrics complained"; }
}
components() {  # FILE CGROUP -> number of memacct_cgroup_memory_bytes samples
  grep -c "^memacct_cgroup_memory_bytes{cgroup=\"$2\"," "$1" || true
}
success() { value "$1" memacct_scrape_collector_success "collector=\"$2\""; }

# --- 1. unreadable and vanished cgroup files -----------------------------------
start_exporter "$work/e1.log" --path.cgroupfs="$sys" --path.procfs="$proc" --no-collector.node
get base
[ "$(success "$work/base.prom" cgroup)" = 1 ] || fail "baseline: cgroup collector failed"
[ "$(value "$work/base.prom" memacct_cgroup_read_errors_total)" = 0 ] || fail "baseline read errors"

mv "$sys$burst/memory.stat" "$work/burst.memory.stat"
mkdir "$sys$burst/memory.stat"                       # EISDIR
mv "$sys$pod/memory.current" "$work/pod.memory.current"
ln -s /proc/self/mem "$sys$pod/memory.current"       # EIO
mkdir "$sys/gone.slice"                               # removed mid-walk: ENOENT
ln -s "$work/nonexistent" "$sys/gone.slice/memory.stat"
ln -s "$work/nonexistent" "$sys/gone.slice/memory.current"

get f1
get f2
for n in f1 f2; do
  echo "faulty scrape $n: cgroup success=$(success "$work/$n.prom" cgroup)" \
    "process success=$(success "$work/$n.prom" process)" \
    "read_errors_total=$(value "$work/$n.prom" memacct_cgroup_read_errors_total)" \
    "series=$(grep -vc '^#' "$work/$n.prom")"
done
[ "$(success "$work/f1.prom" cgroup)" = 0 ] || fail "cgroup success is not 0 with broken files"
[ "$(value "$work/f1.prom" memacct_cgroup_read_errors_total)" = 2 ] ||
  fail "read errors after one faulty scrape: want 2 (EISDIR, EIO; the vanished one not counted)"
[ "$(value "$work/f2.prom" memacct_cgroup_read_errors_total)" = 4 ] ||
  fail "read errors after two faulty scrapes: want 4"
[ "$(success "$work/f1.prom" process)" = 1 ] || fail "the process collector failed too"
for cg in / /kubepods.slice "$ctr"; do
  [ "$(components "$work/f1.prom" "$cg")" = 6 ] || fail "cgroup $cg is not exported whole"
done
for cg in "$burst" "$pod" /gone.slice; do
  [ "$(components "$work/f1.prom" "$cg")" = 0 ] || fail "broken cgroup $cg still has a split"
  if grep -q "^memacct_cgroup_memory_[a-z_]*{cgroup=\"$cg\"" "$work/f1.prom"; then
    fail "broken cgroup $cg still has memacct_cgroup_memory_* series"
  fi
done
# The process collector reads only cgroup.procs: it still covers them all but
# the vanished one (no cgroup.procs).
[ "$(value "$work/f1.prom" memacct_cgroup_processes "cgroup=\"$ctr\"")" = 1 ] ||
  fail "process count of the container is wrong"
grep -q "^memacct_cgroup_processes{cgroup=\"/gone.slice\"" "$work/f1.prom" &&
  fail "the vanished cgroup has a process count"
logged=$(grep -c 'Is a directory\|Input/output error' "$work/e1.log" || true)
echo "log lines about the failure after 2 faulty scrapes: $logged"
grep 'Is a directory\|Input/output error' "$work/e1.log" | head -2
[ "$logged" = 1 ] || fail "want the collector failure logged once (back-off), got $logged lines"

# Recovery: files back, success back to 1, the counter kept.
rmdir "$sys$burst/memory.stat"
mv "$work/burst.memory.stat" "$sys$burst/memory.stat"
rm "$sys$pod/memory.current"
mv "$work/pod.memory.current" "$sys$pod/memory.current"
rm -r "$sys/gone.slice"
get r1
echo "after repair: cgroup success=$(success "$work/r1.prom" cgroup)" \
  "read_errors_total=$(value "$work/r1.prom" memacct_cgroup_read_errors_total)"
[ "$(success "$work/r1.prom" cgroup)" = 1 ] || fail "cgroup success did not come back"
[ "$(value "$work/r1.prom" memacct_cgroup_read_errors_total)" = 4 ] || fail "the counter was reset"
for cg in "$burst" "$pod"; do
  [ "$(components "$work/r1.prom" "$cg")" = 6 ] || fail "cgroup $cg did not come back"
done
stop_exporter

# --- 2. processes vanishing between the listing and the read -------------------
printf '410\n999991\n999992\n' >"$sys$ctr/cgroup.procs"
printf '999993\n' >"$sys$pod/cgroup.procs"
start_exporter "$work/e2.log" --path.cgroupfs="$sys" --path.procfs="$proc" --no-collector.node
get v1
get v2
for n in v1 v2; do
  echo "vanishing pids scrape $n: process success=$(success "$work/$n.prom" process)" \
    "vanished_total=$(value "$work/$n.prom" memacct_process_vanished_total)" \
    "container processes=$(value "$work/$n.prom" memacct_cgroup_processes "cgroup=\"$ctr\"")"
done
[ "$(success "$work/v1.prom" process)" = 1 ] || fail "process collector failed on vanished pids"
[ "$(value "$work/v1.prom" memacct_process_vanished_total)" = 3 ] || fail "want 3 vanished"
[ "$(value "$work/v2.prom" memacct_process_vanished_total)" = 6 ] || fail "want 6 vanished"
[ "$(value "$work/v1.prom" memacct_cgroup_processes "cgroup=\"$ctr\"")" = 1 ] ||
  fail "the live process is not counted"
[ "$(value "$work/v1.prom" memacct_cgroup_processes "cgroup=\"$pod\"")" = 0 ] ||
  fail "a vanished process is counted"
[ "$(value "$work/v1.prom" memacct_cgroup_process_rss_bytes "cgroup=\"$ctr\"" 'component="anon"')" \
  = "$(value "$work/base.prom" memacct_cgroup_process_rss_bytes "cgroup=\"$ctr\"" 'component="anon"')" ] ||
  fail "the live process's RSS changed"
stop_exporter

# --- 3. a listed process whose status reads EIO ----------------------------------
mkdir -p "$proc/999994"
ln -s /proc/self/mem "$proc/999994/status"
printf '999994\n' >"$sys$pod/cgroup.procs"
start_exporter "$work/e3.log" --path.cgroupfs="$sys" --path.procfs="$proc" --no-collector.node
get p1
echo "unreadable status: process success=$(success "$work/p1.prom" process)" \
  "vanished_total=$(value "$work/p1.prom" memacct_process_vanished_total)" \
  "read_errors_total=$(value "$work/p1.prom" memacct_process_read_errors_total)" \
  "cgroup success=$(success "$work/p1.prom" cgroup)"
[ "$(success "$work/p1.prom" process)" = 1 ] || fail "one unreadable status failed the whole collector"
[ "$(value "$work/p1.prom" memacct_process_read_errors_total)" = 1 ] ||
  fail "the unreadable status is not counted in memacct_process_read_errors_total"
[ "$(success "$work/p1.prom" cgroup)" = 1 ] || fail "the cgroup collector failed too"
[ "$(value "$work/p1.prom" memacct_cgroup_processes "cgroup=\"$ctr\"")" = 1 ] ||
  fail "the other cgroups' processes are not exported"
[ "$(value "$work/p1.prom" memacct_cgroup_processes "cgroup=\"$pod\"")" = 0 ] ||
  fail "the unreadable process is counted in its cgroup"
echo PASS
