#!/usr/bin/env bash
# Held files on this machine's real cgroup v1 memory controller (README,
# "Reading the files"): below this test's own memory cgroup it makes 12
# cgroups (one nested, one with a sleeping process) and scrapes them with
# the exporter four ways: the default, --collector.cgroup.max-open-files=0,
# --collector.cgroup.max-open-files=7, and a hard RLIMIT_NOFILE of 1100
# (below the 1,280 fds kept for connections and the rest). Every way gives
# the same cgroup and process series, value for value (second scrape).
# By default every file read is held open (5 per cgroup on v1 with the
# default families: memory.stat, kmem and usage, limit, cgroup.procs), none
# is read with open/read/close, and every held fd is numbered 1,280 or above
# (select() users keep 0..1023); with 0 or the low rlimit none is held and
# every read is counted in memacct_cgroup_files_uncached_total; with 7,
# exactly 7 are held. The exporter raises its soft RLIMIT_NOFILE to the hard
# one (started with 1024:4096, it runs with 4096). A cgroup removed with no
# scrape after it has its files closed within 2 s.
# SKIPPED (77) where there is no writable cgroup v1 memory controller.
set -euo pipefail
source "$(dirname "$0")/lib.bash"
v1_memory_parent
command -v prlimit >/dev/null || skip "prlimit not installed (Debian package util-linux)"

troot="$MEMCG_PARENT/memacct-kept-$$"
work=$(mktemp -d /var/tmp/memacct-kept.XXXXXX)
holder=""
cleanup() {
  set +e
  stop_exporter
  [ -n "$holder" ] && kill "$holder" 2>/dev/null && wait "$holder" 2>/dev/null
  sleep 0.1
  [ -d "$troot" ] && find "$troot" -depth -type d -exec rmdir {} \; 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
mkdir "$troot" || skip "cannot create a cgroup below $MEMCG_PARENT"
for i in $(seq 0 9); do mkdir "$troot/c$i"; done
mkdir "$troot/c3/inner"
sleep 600 & holder=$!
echo "$holder" >"$troot/c5/cgroup.procs"
n_cgroups=12 # c0..c9, c3/inner and the test root itself
files_per_cgroup=5

# A wrapper that starts the exporter under an RLIMIT_NOFILE of $1.
limited() {
  printf '#!/bin/sh\nexec prlimit --nofile=%s -- "%s" "$@"\n' "$1" "$MEMACCT_BIN" >"$work/limited"
  chmod +x "$work/limited"
}
# run NAME ARGS...: two scrapes; NAME.prom is the second, NAME.series its
# cgroup and process series (without the held-file counters).
run() {
  local name=$1; shift
  start_exporter "$work/$name.log" --path.cgroupfs="$troot" --no-collector.node \
    --no-collector.self "$@"
  scrape >/dev/null
  scrape >"$work/$name.prom"
  grep -E '^memacct_(cgroup|process)_' "$work/$name.prom" |
    grep -Ev '^memacct_cgroup_files_(open|uncached_total) ' | sort >"$work/$name.series"
  grep -q '^memacct_cgroup_memory_usage_bytes{cgroup="/c3/inner"' "$work/$name.series" ||
    fail "$name: the nested cgroup is not exported"
}
held() { value "$work/$1.prom" memacct_cgroup_files_open; }
uncached() { value "$work/$1.prom" memacct_cgroup_files_uncached_total; }

run default
pid=$EXPORTER_PID
[ "$(held default)" = $((n_cgroups * files_per_cgroup)) ] ||
  fail "default: $(held default) files held, want $((n_cgroups * files_per_cgroup))"
[ "$(uncached default)" = 0 ] || fail "default: $(uncached default) uncached reads, want 0"
# Every held file is one of the test's cgroups', numbered from 1,280 up.
low=0 high=0
for fd in /proc/"$pid"/fd/*; do
  target=$(readlink "$fd" || true)
  case $target in "$troot"/*) ;; *) continue ;; esac
  n=${fd##*/}
  if [ "$n" -ge 1280 ]; then high=$((high + 1)); else low=$((low + 1)); fi
done
echo "default: $(held default) files held, fds >= 1280: $high, below: $low"
[ "$low" = 0 ] && [ "$high" = "$(held default)" ] || fail "held fds below 1280: $low"

stop_exporter

run none --collector.cgroup.max-open-files=0
[ "$(held none)" = 0 ] || fail "max-open-files=0: $(held none) files held"
# Two scrapes, each reading every file once with open/read/close; the
# counter is written by the cgroup collector, before the second scrape's
# process collector reads the 12 cgroup.procs.
want=$((n_cgroups * (2 * files_per_cgroup - 1)))
[ "$(uncached none)" = "$want" ] || fail "max-open-files=0: $(uncached none) uncached reads, want $want"
stop_exporter

run seven --collector.cgroup.max-open-files=7
[ "$(held seven)" = 7 ] || fail "max-open-files=7: $(held seven) files held, want 7"
[ "$(uncached seven)" -gt 0 ] || fail "max-open-files=7: no uncached read counted"
stop_exporter

limited 1100:1100
MEMACCT_BIN=$work/limited run rlimit
[ "$(held rlimit)" = 0 ] || fail "hard RLIMIT_NOFILE 1100: $(held rlimit) files held, want 0"
[ "$(uncached rlimit)" -gt 0 ] || fail "hard RLIMIT_NOFILE 1100: no uncached read counted"
stop_exporter

limited 1024:4096
MEMACCT_BIN=$work/limited run raised
soft=$(awk '/^Max open files/ {print $4}' "/proc/$EXPORTER_PID/limits")
[ "$soft" = 4096 ] || fail "the soft RLIMIT_NOFILE was not raised to the hard 4096 ($soft)"
[ "$(held raised)" = $((n_cgroups * files_per_cgroup)) ] ||
  fail "rlimit 1024:4096: $(held raised) files held"

for name in none seven rlimit raised; do
  diff "$work/default.series" "$work/$name.series" >"$work/$name.diff" ||
    { head -20 "$work/$name.diff"; fail "$name: the series differ from the default's"; }
done
echo "default, max-open-files=0, =7, hard rlimit 1100 and 1024:4096:" \
  "$(wc -l <"$work/default.series") identical cgroup and process samples"

# Removed with no scrape after: its files are closed by the exporter's poll.
# (Last: removing a cgroup moves its parent's usage for a while.)
pid=$EXPORTER_PID
open_below() { for fd in /proc/"$pid"/fd/*; do readlink "$fd" || true; done | grep -c "$1" || true; }
[ "$(open_below /c3/inner/)" = "$files_per_cgroup" ] || fail "c3/inner's files are not held"
rmdir "$troot/c3/inner"
for _ in $(seq 20); do
  [ "$(open_below /c3/inner/)" = 0 ] && break
  sleep 0.1
done
[ "$(open_below /c3/inner/)" = 0 ] || fail "the removed cgroup's files are still open"
echo PASS
