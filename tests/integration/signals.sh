#!/usr/bin/env bash
# Stray signals are logged and ignored, never fatal: SIGUSR1, SIGUSR2,
# SIGALRM, SIGIO (logged as SIGPOLL), SIGPROF, SIGVTALRM, SIGPWR and a real-time signal each give
# one "signal ignored" line naming it, and the exporter keeps serving. SIGHUP
# without --web.config.file logs that there is nothing to reload (with one,
# web_config.sh tests the reload). SIGINT then stops it with status 0.
# It does not test SIGTERM (cli_errors.sh does) or SIGQUIT (left fatal, to
# dump core on purpose).
set -euo pipefail
source "$(dirname "$0")/lib.bash"
work=$(mktemp -d)
trap 'stop_exporter; rm -rf "$work"' EXIT
fx="$MEMACCT_FIXTURES/cgroup-v2/3-read-twice"
start_exporter "$work/e.log" --path.cgroupfs="$fx/sys" --path.procfs="$fx/proc"
pid=$EXPORTER_PID
sent=(USR1 USR2 ALRM IO PROF VTALRM PWR RTMIN+3)
want=(USR1 USR2 ALRM POLL PROF VTALRM PWR RTMIN+3) # glibc names SIGIO SIGPOLL
for s in "${sent[@]}" HUP; do
  kill -s "$s" "$pid"
  sleep 0.05
  kill -0 "$pid" 2>/dev/null || { cat "$work/e.log"; fail "SIG$s ended the exporter"; }
done
for _ in $(seq 1 40); do
  [ "$(grep -c 'msg="signal ignored"' "$work/e.log")" -ge "${#want[@]}" ] && break
  sleep 0.05
done
for s in "${want[@]}"; do
  grep -q "level=warn msg=\"signal ignored\" signal=SIG$s\$" "$work/e.log" ||
    { cat "$work/e.log"; fail "no 'signal ignored' line for SIG$s"; }
done
grep -q 'msg="reload: no --web.config.file, nothing to reload"' "$work/e.log" ||
  fail "SIGHUP without a web config was not logged"
curl -fsS -o /dev/null "$EXPORTER_URL/metrics" || fail "no scrape after the signals"
echo "ok: ${#want[@]} stray signals and SIGHUP logged and ignored; still serving"
kill -INT "$pid"
rc=0; wait "$pid" || rc=$?
EXPORTER_PID=""
[ "$rc" = 0 ] || fail "exit status $rc after SIGINT"
grep -q 'msg="shutting down" signal=SIGINT' "$work/e.log" || fail "no shutdown line for SIGINT"
echo PASS
