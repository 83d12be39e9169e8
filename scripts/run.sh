#!/usr/bin/env bash
# Installs what is missing, builds memacct_exporter and runs it on this host
# (listening on :9913; extra arguments are passed to the exporter).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh build
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMEMACCT_BENCH=OFF -DMEMACCT_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" --target memacct_exporter
exec ./build/memacct_exporter "$@"
