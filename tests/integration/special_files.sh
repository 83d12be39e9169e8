#!/usr/bin/env bash
# A FIFO where a file should be (a misconfigured --path.*) never blocks a
# scrape: on a copy of the v2 capture, one cgroup's memory.stat and one
# process's /proc/PID/status are FIFOs. 50 scrapes each answer 200 within
# 1 s; that cgroup and that process are skipped and counted (read errors go
# up by exactly one per scrape); every other cgroup and process is served
# with the capture's values.
set -euo pipefail
source "$(dirname "$0")/lib.bash"
work=$(mktemp -d)
trap 'stop_exporter; rm -rf "$work"' EXIT

cp -r "$MEMACCT_FIXTURES/cgroup-v2/3-read-twice" "$work/t"
sys=$work/t/sys
qos=$sys/kubepods.slice/kubepods-burstable.slice
ctr=$(find "$sys" -name 'cri-containerd-*.scope')
rm "$qos/memory.stat"; mkfifo "$qos/memory.stat"
cp -r "$work/t/proc/410" "$work/t/proc/411"
rm "$work/t/proc/411/status"; mkfifo "$work/t/proc/411/status"
printf '410\n411\n' >"$ctr/cgroup.procs"
n_cgroups=$(find "$sys" -name memory.stat | wc -l)

start_exporter "$work/exporter.log" --path.cgroupfs="$sys" --path.procfs="$work/t/proc"
for i in $(seq 1 50); do
  code=$(curl -s -m 1 -o "$work/m.prom" -w '%{http_code}' "$EXPORTER_URL/metrics") ||
    fail "scrape $i did not answer within 1 s"
  [ "$code" = 200 ] || fail "scrape $i: HTTP $code"
done
errs=$(value "$work/m.prom" memacct_cgroup_read_errors_total)
[ "$errs" = 50 ] || fail "memacct_cgroup_read_errors_total $errs after 50 scrapes, want 50"
perrs=$(value "$work/m.prom" memacct_process_read_errors_total)
[ "$perrs" = 50 ] || fail "memacct_process_read_errors_total $perrs after 50 scrapes, want 50"
served=$(grep -c '^memacct_cgroup_memory_usage_bytes{' "$work/m.prom")
[ "$served" = $((n_cgroups - 1)) ] || fail "$served cgroups served, want $((n_cgroups - 1))"
! grep -q 'memacct_cgroup_memory_usage_bytes{cgroup="/kubepods.slice/kubepods-burstable.slice"' \
  "$work/m.prom" || fail "the cgroup with a FIFO memory.stat was exported"
ws=$(value "$work/m.prom" memacct_cgroup_memory_working_set_bytes 'container_id="3b1e0c8a')
[ "$ws" = 283111424 ] || fail "container working set $ws, want the capture's 283111424"
procs=$(value "$work/m.prom" memacct_cgroup_processes 'container_id="3b1e0c8a')
[ "$procs" = 1 ] || fail "container processes $procs, want 1 (pid 411 skipped)"
want_anon=$(awk '/^RssAnon:/ {print $2 * 1024}' "$work/t/proc/410/status")
anon=$(value "$work/m.prom" memacct_cgroup_process_rss_bytes 'container_id="3b1e0c8a' 'component="anon"')
[ "$anon" = "$want_anon" ] || fail "container RssAnon $anon, want pid 410's $want_anon"
for c in cgroup process; do
  ok=$(value "$work/m.prom" memacct_scrape_collector_success "collector=\"$c\"")
  echo "collector $c success $ok"
done
grep -q 'not a regular file' "$work/exporter.log" ||
  { cat "$work/exporter.log"; fail "no log line names the special file"; }
echo "50 scrapes: 200 within 1 s each; read errors 50 and 50; $served of $n_cgroups cgroups served"
echo PASS
