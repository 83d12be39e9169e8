#!/bin/sh
# Runs one libFuzzer target for ctest (tests/fuzz/CMakeLists.txt registers it):
#   run_fuzz.sh fuzz   BIN WORK SEEDS REGRESSIONS SECONDS RUNS
#     a bounded fuzzing run; new inputs go to WORK (a build-dir folder), the
#     seed corpus and the regressions are read only, crash artifacts go next
#     to WORK; tests/fuzz/<target>.dict is used when it exists;
#   run_fuzz.sh replay BIN REGRESSIONS
#     runs each saved crashing input once (passes when there are none).
# It does not build anything (scripts/fuzz.sh does).
set -eu
mode=$1 bin=$2
case $mode in
fuzz)
  work=$3 seeds=$4 regr=$5 secs=$6 runs=$7
  mkdir -p "$work" "$work.artifacts"
  set -- "$work" "$seeds"
  [ -d "$regr" ] && set -- "$@" "$regr"
  # tests/fuzz/<target>.dict, when there is one, next to the seed corpus.
  dict=$(dirname "$seeds")/../$(basename "$bin").dict
  [ -f "$dict" ] && set -- -dict="$dict" "$@"
  exec "$bin" -max_total_time="$secs" -runs="$runs" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -print_final_stats=1 -artifact_prefix="$work.artifacts/" "$@"
  ;;
replay)
  regr=$3
  n=0
  if [ -d "$regr" ]; then
    for f in "$regr"/*; do
      [ -f "$f" ] || continue
      n=$((n + 1))
      "$bin" "$f" >/dev/null 2>&1 || { echo "regression input fails again: $f"; "$bin" "$f"; exit 1; }
    done
  fi
  echo "replayed $n regression input(s)"
  ;;
*)
  echo "usage: run_fuzz.sh fuzz|replay ..." >&2
  exit 2
  ;;
esac
