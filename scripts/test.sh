#!/usr/bin/env bash
# Installs what is missing, builds memacct_exporter three ways and runs every test:
# 1. an ASan+UBSan build running the unit, fixture and integration tests;
# 2. a clang libFuzzer build running every fuzz target briefly and replaying
#    the saved regression inputs (bash scripts/fuzz.sh runs them longer);
# 3. a warnings-as-errors build running the whole suite (unit, fixture,
#    integration: real cgroups, nats-server, promtool, Prometheus).
# The last lines are ctest's summary of the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh test
# The Helm chart's schema check uses pinned npm packages (tests/helm/package-lock.json).
[ -d tests/helm/node_modules ] || npm ci --prefix tests/helm --no-audit --no-fund --loglevel=error
jobs=$(nproc)

echo "== sanitizer build (ASan+UBSan): unit, fixture and integration tests"
# Every process's sanitizer report (the exporter's leak check at SIGTERM
# included, whose exit status the tests do not see) goes to a file here; any
# file is a failure. valgrind_scrape and valgrind_jetstream cannot run an
# ASan binary, and load_concurrent's RSS bound is for the normal allocator:
# they run in the plain build below, and so does vm_cgroup_v2, which boots
# the plain exporter in a VM. helm_podman and fresh_machine build the exporter
# themselves (in the image, in a fresh Debian root), not this build's: they
# run once, below.
cmake -S . -B build-asan -DMEMACCT_WERROR=ON -DMEMACCT_SANITIZE=ON -DMEMACCT_BENCH=OFF >/dev/null
cmake --build build-asan -j"$jobs" >/dev/null
san_logs=$(mktemp -d)
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:log_path=$san_logs/asan \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$san_logs/ubsan \
  ctest --test-dir build-asan -E 'valgrind_|load_concurrent|helm_podman|fresh_machine|vm_cgroup_v2' --output-on-failure
if [ -n "$(ls -A "$san_logs")" ]; then
  echo "sanitizer reports:"; cat "$san_logs"/*; exit 1
fi
rm -rf "$san_logs"

echo "== fuzz build (clang, libFuzzer+ASan+UBSan): 10 s per target, saved regressions replayed"
CC=clang cmake -S . -B build-fuzz -DMEMACCT_FUZZ=ON -DMEMACCT_BENCH=OFF >/dev/null
cmake --build build-fuzz -j"$jobs" --target fuzz_targets >/dev/null
ctest --test-dir build-fuzz -L fuzz --output-on-failure

echo "== warnings-as-errors build: the whole suite"
cmake -S . -B build-test -DMEMACCT_WERROR=ON >/dev/null
cmake --build build-test -j"$jobs" >/dev/null
ctest --test-dir build-test --output-on-failure
