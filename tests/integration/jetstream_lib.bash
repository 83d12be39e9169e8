# Shared helpers of the jetstream_*.sh integration tests (sourced, not run;
# named .bash so CTest does not register it). On top of lib.bash: a real
# nats-server with JetStream file storage in a temporary directory, on a free
# loopback port, with its monitoring endpoint (/jsz) on another; the exporter
# started against it with the fixture cgroupfs; waiting for a metric.
# Everything listens on 127.0.0.1 only; js_cleanup stops what was started.

source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
JS_PY="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/jetstream_nats.py"
JS_FIXTURE="$MEMACCT_FIXTURES/cgroup-v2/3-read-twice"
JS_FAKE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/jetstream_fake.py"
FAKE_PID=""

js_require() {
  command -v nats-server >/dev/null || skip "nats-server not installed (Debian package nats-server)"
  command -v python3 >/dev/null || skip "python3 not installed"
  command -v curl >/dev/null || skip "curl not installed"
  JS_WORK=$(mktemp -d)
  trap js_cleanup EXIT
}

js_cleanup() {
  stop_exporter
  stop_nats
  rm -rf "$JS_WORK"
}

# start_nats [CONFIG_FILE]: starts nats-server with JetStream (file store in
# $JS_STORE, default $JS_WORK/store). The first call picks free ports; later calls (a restart)
# reuse them. Sets NATS_PID, NATS_PORT, NATS_MON, NATS_URL.
start_nats() {
  local conf=${1:-}
  : "${NATS_PORT:=$(free_port)}"
  : "${NATS_MON:=$(free_port)}"
  NATS_URL="nats://127.0.0.1:$NATS_PORT"
  local args=(-js -sd "${JS_STORE:-$JS_WORK/store}" -a 127.0.0.1 -p "$NATS_PORT" -m "$NATS_MON"
              -l "$JS_WORK/nats-server.log")
  [ -n "$conf" ] && args=(-c "$conf" "${args[@]}")
  nats-server "${args[@]}" &
  NATS_PID=$!
  for _ in $(seq 1 200); do
    curl -fsS "http://127.0.0.1:$NATS_MON/healthz" >/dev/null 2>&1 && return 0
    kill -0 "$NATS_PID" 2>/dev/null || { cat "$JS_WORK/nats-server.log"; fail "nats-server exited at start"; }
    sleep 0.05
  done
  cat "$JS_WORK/nats-server.log"; fail "nats-server did not become healthy"
}

stop_nats() {   # [SIGNAL]
  [ -n "${NATS_PID:-}" ] || return 0
  kill -"${1:-TERM}" "$NATS_PID" 2>/dev/null || true
  wait "$NATS_PID" 2>/dev/null || true
  NATS_PID=""
}

# js_exporter LOG ARGS...: the exporter against $NATS_URL, polling every
# second, cgroup metrics from a fixture capture.
js_exporter() {
  local log=$1; shift
  start_exporter "$log" --nats.url="$NATS_URL" --nats.poll-interval=1 \
    --path.cgroupfs="$JS_FIXTURE/sys" --path.procfs="$JS_FIXTURE/proc" "$@"
}

# wait_metric FILE REGEX SECONDS: scrapes into FILE until a line matches.
wait_metric() {
  local file=$1 re=$2 secs=$3 i
  for i in $(seq 1 $((secs * 10))); do
    scrape > "$file" 2>/dev/null || true
    grep -Eq -- "$re" "$file" && return 0
    sleep 0.1
  done
  return 1
}

# wait_fresh_poll FILE SINCE SECONDS: scrapes until a successful poll has
# started after SINCE (Unix time), so the values include what was done
# before SINCE: a poll that ended after SINCE may have started before it, the
# one after that did not.
wait_fresh_poll() {
  local file=$1 since=$2 secs=$3 i ts
  for i in $(seq 1 $((secs * 10))); do
    scrape > "$file" 2>/dev/null || true
    ts=$(awk '$1=="memacct_jetstream_last_poll_success_timestamp_seconds"{print $2}' "$file")
    if [ -n "$ts" ] && python3 -c "import sys; sys.exit(0 if $ts > $since else 1)"; then
      since=$ts
      break
    fi
    sleep 0.1
  done
  for i in $(seq 1 $((secs * 10))); do
    scrape > "$file" 2>/dev/null || true
    ts=$(awk '$1=="memacct_jetstream_last_poll_success_timestamp_seconds"{print $2}' "$file")
    if [ -n "$ts" ] && python3 -c "import sys; sys.exit(0 if $ts > $since else 1)"; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}

now() { python3 -c 'import time; print("%.3f" % time.time())'; }

# start_fake MODE [ARGS]: jetstream_fake.py misbehaving as MODE (its header
# lists them) on a free loopback port; sets FAKE_PID, NATS_URL and
# FAKE_PORT_FILE. Callers trap stop_fake.
start_fake() {
  FAKE_PORT_FILE="$JS_WORK/fake-$1.port"
  rm -f "$FAKE_PORT_FILE"
  python3 "$JS_FAKE" "$1" "$FAKE_PORT_FILE" --lifetime 120 "${@:2}" &
  FAKE_PID=$!
  for _ in $(seq 100); do [ -s "$FAKE_PORT_FILE" ] && break; sleep 0.05; done
  [ -s "$FAKE_PORT_FILE" ] || fail "the fake server did not start"
  NATS_URL="nats://127.0.0.1:$(cat "$FAKE_PORT_FILE")"
}

stop_fake() {
  [ -n "$FAKE_PID" ] || return 0
  kill "$FAKE_PID" 2>/dev/null || true
  wait "$FAKE_PID" 2>/dev/null || true
  FAKE_PID=""
}
