# Shared helpers for the integration tests (sourced, not run): free loopback
# ports, starting/stopping the real exporter, scraping and reading one
# sample's value. Everything listens on 127.0.0.1 only.

: "${MEMACCT_BIN:?MEMACCT_BIN must point at the memacct_exporter binary}"
: "${MEMACCT_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${MEMACCT_FIXTURES:=$MEMACCT_SRC/tests/fixture}"

skip() { echo "SKIPPED: $*"; exit 77; }
# A test whose checks include promtool skips as a whole without it, never
# passes with that check left out.
need_promtool() { command -v promtool >/dev/null || skip "promtool not installed (Debian package prometheus)"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

# memcheck LOG CMD ARGS...: runs CMD under valgrind in its place (exec: run
# it with & and $! is valgrind), failing with status 99 on an invalid access,
# an uninitialised value or a definitely lost block, with valgrind.supp's
# third-party suppressions; the report goes to LOG.
memcheck() {
  local log=$1; shift
  exec valgrind --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
    --error-exitcode=99 --track-origins=yes --num-callers=30 \
    --suppressions="$(dirname "${BASH_SOURCE[0]}")/valgrind.supp" --log-file="$log" "$@"
}

# stop_memcheck DIR NAME: SIGTERM to the exporter memcheck runs
# (EXPORTER_PID; its logs DIR/NAME.log and DIR/NAME.valgrind.log). Valgrind
# must exit 0 and the exporter must log its clean shutdown.
stop_memcheck() {
  local dir=$1 name=$2 rc=0
  kill -TERM "$EXPORTER_PID"
  wait "$EXPORTER_PID" || rc=$?
  EXPORTER_PID=""
  echo "$name: valgrind exit status $rc"
  grep -E 'in use at exit|total heap usage|definitely lost|ERROR SUMMARY' "$dir/$name.valgrind.log" || true
  if [ "$rc" != 0 ]; then
    cat "$dir/$name.valgrind.log"
    tail -5 "$dir/$name.log"
    fail "$name: valgrind reported errors or the exporter exited $rc"
  fi
  grep -q 'shutting down' "$dir/$name.log" || fail "$name: no clean shutdown logged"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_exporter LOGFILE ARGS... : starts the exporter on a free port, sets
# EXPORTER_PID and EXPORTER_URL, waits until /healthz answers.
start_exporter() {
  local log=$1; shift
  local port; port=$(free_port)
  "$MEMACCT_BIN" --web.listen-address=127.0.0.1:"$port" "$@" >"$log" 2>&1 &
  EXPORTER_PID=$!
  EXPORTER_URL="http://127.0.0.1:$port"
  for _ in $(seq 1 100); do
    curl -fsS "$EXPORTER_URL/healthz" >/dev/null 2>&1 && return 0
    kill -0 "$EXPORTER_PID" 2>/dev/null || { cat "$log"; fail "exporter exited at start"; }
    sleep 0.05
  done
  cat "$log"; fail "exporter did not answer on $EXPORTER_URL"
}

stop_exporter() {
  [ -n "${EXPORTER_PID:-}" ] || return 0
  kill -TERM "$EXPORTER_PID" 2>/dev/null || true
  wait "$EXPORTER_PID" 2>/dev/null || true
  EXPORTER_PID=""
}

scrape() { curl -fsS "$EXPORTER_URL/metrics"; }

# value FILE NAME LABEL_SUBSTRING... : the value of the one sample of NAME
# whose line contains every given substring; fails when not exactly one.
value() {
  local file=$1 name=$2; shift 2
  local lines; lines=$(grep -E "^${name}(\{| )" "$file" || true)
  for s in "$@"; do lines=$(printf '%s\n' "$lines" | grep -F -- "$s" || true); done
  local n; n=$(printf '%s' "$lines" | grep -c . || true)
  [ "$n" = 1 ] || fail "expected one sample of $name matching [$*], found $n"
  printf '%s\n' "$lines" | awk '{print $NF}'
}

# v1_memory_parent: sets MEMCG_OWN (this shell's memory cgroup, "/a/b") and
# MEMCG_PARENT (its directory on the v1 memory controller, where a test may
# create its own cgroups), or skips the test when there is no writable one.
v1_memory_parent() {
  local mnt
  mnt=$(awk '$3=="cgroup" && $4 ~ /(^|,)memory(,|$)/ {print $2; exit}' /proc/mounts)
  [ -n "$mnt" ] || skip "no cgroup v1 memory controller mounted (cgroup v2 hosts: see the device note in README)"
  MEMCG_OWN=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3; exit}' /proc/self/cgroup)
  MEMCG_PARENT="$mnt$MEMCG_OWN"
  [ -w "$MEMCG_PARENT" ] || skip "cgroup $MEMCG_PARENT is not writable (run as root)"
}
