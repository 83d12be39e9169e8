#!/usr/bin/env bash
# Bad input at start-up: one clear line naming the flag or path, non-zero
# exit, no crash (--web.max-connections beyond the open files hard limit
# too, and the soft limit raised to the hard one when it fits). Also --help
# and --version, and a clean exit on SIGTERM.
set -euo pipefail
source "$(dirname "$0")/lib.bash"
work=$(mktemp -d)
trap 'stop_exporter; rm -rf "$work"' EXIT

run_as=()  # a prefix that runs the exporter as another user (setpriv ...)
expect_error() {  # EXPECTED_SUBSTRING ARGS...
  local want=$1; shift
  local rc=0
  "${run_as[@]}" "$MEMACCT_BIN" "$@" >"$work/out" 2>"$work/err" </dev/null || rc=$?
  [ "$rc" -ne 0 ] || fail "exit 0 for: $*"
  [ "$rc" -lt 128 ] || fail "crashed (rc $rc) for: $*"
  grep -qF -- "$want" "$work/err" || { cat "$work/err"; fail "no '$want' in the error for: $*"; }
  [ "$(wc -l < "$work/err")" -eq 1 ] || { cat "$work/err"; fail "more than one line for: $*"; }
  echo "ok: $* -> $(cat "$work/err")"
}

expect_error "unknown flag --bogus" --bogus
expect_error "--path.cgroupfs needs a value" --path.cgroupfs
expect_error "--path.cgroupfs: cannot open /nonexistent" --path.cgroupfs=/nonexistent
expect_error "is not a memory cgroup" --path.cgroupfs="$work"
expect_error "--collector.cgroup.include: invalid regex" --collector.cgroup.include='('
expect_error "--no-collector.bogus: no such collector" --no-collector.bogus
expect_error "--web.max-requests: invalid value" --web.max-requests=many
expect_error "--log.level: unknown level" --log.level=loud
expect_error "--web.listen-address: invalid address" --web.listen-address=nonsense
v2sys="$MEMACCT_FIXTURES/cgroup-v2/3-read-twice/sys"
expect_error '--collector.cgroup.levels: unknown name "containers"' \
  --path.cgroupfs="$v2sys" --collector.cgroup.levels=pod,containers
expect_error '--collector.cgroup.families: unknown name "oom"' \
  --path.cgroupfs="$v2sys" --collector.cgroup.families=split,oom

# An unreadable root. Root reads a mode 000 directory, so as root this one
# run is made as nobody (setpriv, util-linux), who may only traverse $work.
mkdir "$work/locked"; chmod 000 "$work/locked"
if [ "$(id -u)" -eq 0 ]; then
  chmod 711 "$work"
  run_as=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
fi
expect_error "cannot open $work/locked: Permission denied" --path.cgroupfs="$work/locked"
run_as=()

# A port already in use.
fixture="$MEMACCT_FIXTURES/cgroup-v2/3-read-twice"
start_exporter "$work/first.log" --path.cgroupfs="$fixture/sys" --path.procfs="$fixture/proc"
port=${EXPORTER_URL##*:}
expect_error "cannot listen on 127.0.0.1:$port: Address already in use" \
  --web.listen-address=127.0.0.1:"$port" --path.cgroupfs="$fixture/sys"

# --web.max-connections above 1,024: the open files soft limit is raised to
# the hard one; past the hard one the exporter refuses with one line.
hard=$(ulimit -Hn)
if [ "$hard" = unlimited ] || [ "$hard" -ge 4000 ]; then
  (
    ulimit -Sn 1024
    "$MEMACCT_BIN" --web.listen-address=127.0.0.1:"$(free_port)" --web.max-connections=3000 \
      --path.cgroupfs="$fixture/sys" >"$work/nofile.log" 2>&1 &
    p=$!
    for _ in $(seq 1 100); do
      grep -q msg=listening "$work/nofile.log" && break
      sleep 0.05
    done
    soft=$(awk '/^Max open files/ {print $4}' "/proc/$p/limits")
    kill -TERM "$p"; wait "$p" || true
    echo "ok: --web.max-connections=3000 with a soft limit of 1024: raised to $soft"
    [ "$soft" = "$hard" ] || fail "open files soft limit $soft, want the hard one ($hard)"
  ) || exit 1
fi
(
  ulimit -Sn 1000; ulimit -Hn 1000
  expect_error "--web.max-connections=3000 needs 3512 open files, above this process's hard limit of 1000" \
    --web.max-connections=3000 --path.cgroupfs="$fixture/sys"
) || exit 1

# To a file: grep -q would close the pipe early and SIGPIPE the exporter.
"$MEMACCT_BIN" --help >"$work/help"
grep -q -- '--path.cgroupfs' "$work/help" || fail "--help does not list --path.cgroupfs"
"$MEMACCT_BIN" --version | grep -Eq '^memacct_exporter [0-9]+\.[0-9]+\.[0-9]+' || fail "--version"

# SIGTERM: exits 0 and logs the shutdown.
pid=$EXPORTER_PID
kill -TERM "$pid"; rc=0; wait "$pid" || rc=$?
EXPORTER_PID=""
[ "$rc" -eq 0 ] || fail "exit status $rc after SIGTERM"
grep -q 'msg="shutting down" signal=SIGTERM' "$work/first.log" || fail "no shutdown log line"
echo PASS
