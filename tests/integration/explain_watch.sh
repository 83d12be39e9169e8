#!/usr/bin/env bash
# `memacct_exporter explain --watch 1` in a real terminal (a detached tmux
# pane): it draws in colour (a TTY), redraws in place, and when the captured
# container moves from phase 2-write200M to 3-read-twice under it (the file
# read twice: its pages go to the active list) the change column shows the
# working set +200 MiB while the processes' RSS stays put, and the sentence
# turns to page cache no process maps. Ctrl-C ends it. It does not test the
# numbers of every phase (tests/unit/test_explain.c does).
set -euo pipefail
source "$(dirname "$0")/lib.bash"
command -v tmux >/dev/null || skip "tmux is not installed (Debian package tmux)"

CID=3b1e0c8a9f7d6e5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c
work=$(mktemp -d)
sock="memacct-explain-watch-$$"
out="${MEMACCT_BUILD:-$work}/explain_watch"
mkdir -p "$out"
cleanup() {
  tmux -L "$sock" kill-server 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# A writable copy of phase 2, changed into phase 3 while explain watches.
cp -r "$MEMACCT_FIXTURES/cgroup-v2/2-write200M/." "$work/tree"

capture() { tmux -L "$sock" capture-pane -p -J -t explain "$@"; }

# wait_for TEXT SECONDS: until the pane shows TEXT.
wait_for() {
  local text=$1 secs=$2
  for _ in $(seq 1 $((secs * 10))); do
    capture | grep -qF -- "$text" && return 0
    sleep 0.1
  done
  capture > "$out/timeout.txt" || true
  cat "$out/timeout.txt"
  fail "the pane never showed: $text"
}

# A wide pane so no row wraps; TERM as a real terminal's.
tmux -L "$sock" -f /dev/null new-session -d -s explain -x 400 -y 60 \
  "env TERM=xterm-256color NO_COLOR= '$MEMACCT_BIN' explain --watch 1 \
   --path.cgroupfs='$work/tree/sys' --path.procfs='$work/tree/proc' $CID; \
   echo EXITED \$?; sleep 30"

wait_for "sample 1, change since the first sample" 10
capture > "$out/sample1.txt"
capture -e > "$out/sample1.ansi"
grep -qF -- "  -> anon 64.1 MiB is most of the working set 69.7 MiB" "$out/sample1.txt" ||
  fail "sample 1 lacks the anon diagnosis: $(cat "$out/sample1.txt")"
# Colours on a terminal (SGR sequences in the pane).
grep -q $'\e\\[' "$out/sample1.ansi" || fail "no colours on a terminal"
# The table redraws in place: one banner on screen, not a scroll of them.
[ "$(grep -c 'memacct_exporter explain --watch 1s' "$out/sample1.txt")" = 1 ] ||
  fail "more than one banner on screen"

# Phase 3 under its feet.
cp -r "$MEMACCT_FIXTURES/cgroup-v2/3-read-twice/sys/." "$work/tree/sys/"
cp -r "$MEMACCT_FIXTURES/cgroup-v2/3-read-twice/proc/." "$work/tree/proc/"
wait_for "active page cache that no process maps" 10
sleep 1.5 # one more redraw, so no sample read a half-copied tree
capture > "$out/sample_n.txt"
[ "$(grep -c 'memacct_exporter explain --watch 1s' "$out/sample_n.txt")" = 1 ] ||
  fail "more than one banner on screen"
grep -qE 'sample [0-9]+, change since the first sample' "$out/sample_n.txt" ||
  fail "no banner"
# USAGE +256 KiB, WSET +200 MiB, ANON +52 KiB, ACTIVE +200 MiB, INACTIVE
# -200 MiB, RSS +52 KiB: the working set grew by the page cache, not by RSS.
change=$(grep -F 'change since the first sample' "$out/sample_n.txt" | tail -1)
echo "$change" | grep -qE '^ +\+256 KiB +\+200 MiB +\+52 KiB +0 +\+200 MiB +-200 MiB +0 +\+204 KiB +\+52 KiB +0 ' ||
  fail "change row not as expected: $change"
grep -qF -- "  -> working set 270 MiB, 199 MiB of it active page cache that no process maps: reclaimable, not a leak" \
  "$out/sample_n.txt" || fail "no page cache diagnosis: $(cat "$out/sample_n.txt")"
capture -e > "$out/sample_n.ansi"

# Ctrl-C stops it (the default SIGINT disposition; the pane's shell goes
# with it, or prints EXITED).
tmux -L "$sock" send-keys -t explain C-c
stopped=""
for _ in $(seq 1 50); do
  if ! tmux -L "$sock" has-session -t explain 2>/dev/null || capture | grep -q '^EXITED'; then
    stopped=1
    break
  fi
  sleep 0.1
done
[ -n "$stopped" ] || fail "Ctrl-C did not stop explain --watch"
! pgrep -f -- "--path.cgroupfs=$work/tree/sys" >/dev/null || fail "explain still running after Ctrl-C"
echo "explain --watch in tmux: colours, in-place redraw, +200 MiB working set from page cache; captures in $out"
echo PASS
