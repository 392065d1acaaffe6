#!/usr/bin/env bash
# run.sh — the benchmarks: install what is missing, build a Release tree in
# build-bench, and run every test labelled "bench" through ctest (which starts
# the PostgreSQL fixture they require). Figures go to stdout; pass options for
# the benchmarks through the environment (e.g. SL_BENCH_PRODUCERS=4).
set -uo pipefail
cd "$(dirname "$0")/../.."
top=$PWD
jobs=$(nproc 2>/dev/null || echo 2)

bash deploy/install-deps.sh || { echo "bench: installing dependencies failed" >&2; exit 1; }

dir=build-bench
echo "== build $dir (Release)"
cmake -S "$top" -B "$top/$dir" -DSL_WERROR=ON -DCMAKE_BUILD_TYPE=Release >/dev/null || exit 1
cmake --build "$top/$dir" -j"$jobs" >"$top/$dir/build.log" 2>&1 || {
  tail -n 60 "$top/$dir/build.log"; exit 1; }
echo "== bench $dir"
cd "$top/$dir" && ctest -L bench -V --timeout 1800
