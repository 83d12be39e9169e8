#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz/ with clang (ASan + UBSan) in
# build-fuzz/ and runs each one for SECONDS (default 60): first the saved
# crashing inputs of tests/fuzz/regressions/<target>/ are replayed, then it
# fuzzes from the seed corpus tests/fuzz/corpus/<target>/ (new inputs are
# kept in build-fuzz/, never in the source tree). A crash is copied into
# tests/fuzz/regressions/<target>/ so the fuzz ctest replays it from then on;
# fix the parser, commit the fix with the input. Ends with one line per
# target (executions, coverage, result) and exits 1 if any target crashed.
# Usage: bash scripts/fuzz.sh [SECONDS] [TARGET...]
# It does not install anything (scripts/deps.sh test does: clang,
# libclang-rt-14-dev) and does not touch the other build dirs.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
command -v clang >/dev/null || { echo "clang not installed (Debian: clang libclang-rt-14-dev)"; exit 1; }
jobs=$(nproc)

echo "== building the fuzz targets in build-fuzz (clang, -fsanitize=fuzzer,address,undefined)"
CC=clang cmake -S . -B build-fuzz -DMEMACCT_FUZZ=ON -DMEMACCT_BENCH=OFF >/dev/null
cmake --build build-fuzz -j"$jobs" --target fuzz_targets >/dev/null

bin=build-fuzz/tests/fuzz
if [ $# -gt 0 ]; then
  targets=("$@")
else
  targets=()
  for f in tests/fuzz/fuzz_*.c; do targets+=("$(basename "$f" .c)"); done
fi
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1
summary=()
failed=0
for t in "${targets[@]}"; do
  regr=tests/fuzz/regressions/$t
  work=$bin/corpus/$t
  art=$bin/artifacts/$t
  mkdir -p "$work" "$art"
  log=$bin/$t.log
  if ! sh tests/fuzz/run_fuzz.sh replay "$bin/$t" "$regr"; then
    summary+=("$t: a saved regression input crashes again")
    failed=1
    continue
  fi
  echo "== $t: fuzzing for ${secs}s (log: $log)"
  dirs=("$work" "tests/fuzz/corpus/$t")
  [ -d "$regr" ] && dirs+=("$regr")
  [ -f "tests/fuzz/$t.dict" ] && dirs=(-dict="tests/fuzz/$t.dict" "${dirs[@]}")
  rc=0
  "$bin/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$art/" "${dirs[@]}" >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
  corp=$(ls "$work" | wc -l)
  if [ "$rc" = 0 ]; then
    summary+=("$t: ok, ${execs:-?} executions, ${cov:-cov: ?}, ${corp} inputs in the work corpus")
  else
    failed=1
    grep -E 'ERROR:|runtime error|SUMMARY' "$log" | head -5
    mkdir -p "$regr"
    for a in "$art"/*; do
      [ -f "$a" ] || continue
      cp "$a" "$regr/$(basename "$a")"
      echo "saved $regr/$(basename "$a")"
    done
    summary+=("$t: CRASHED (exit $rc) after ${execs:-?} executions; input saved in $regr/, log $log")
  fi
done
echo "== fuzz summary (${secs}s per target)"
printf '%s\n' "${summary[@]}"
exit "$failed"
