#!/usr/bin/env bash
# run.sh — the benchmarks and their one table: install what is missing, build a
# Release tree in build-bench, run the tests labelled "bench" through ctest
# (which starts the PostgreSQL fixture they require), then print the table
# (tests/bench/table.py) from the BENCH line each prints and write it to
# build-bench/bench-table.txt; the full output goes to build-bench/bench.log.
# The benchmarks' PostgreSQL cluster has its shared memory in huge pages, as
# the operator guide sets a node's up: the fixture reserves them
# (vm.nr_hugepages, as root; the reservation stays after the run). The
# deadline tick runs three times: five batches after a warm-up tick (the
# figure of a daemon that has run a while: their median), one batch as its
# connections' first tick with work, and five again on 4 KiB pages.
# Intake runs four times: 1, 8 and 32 producers as fast as acks come back
# (each beside the replay of its own transaction in the same run), and one
# producer at a steady 1,000/s for the ack latency. Sizes come from the
# environment (SL_BENCH_*; see each bench_*.py), e.g. SL_BENCH_ONLY=deadline
# to run one benchmark.
set -uo pipefail
cd "$(dirname "$0")/../.."
top=$PWD
jobs=$(nproc 2>/dev/null || echo 2)
jobs=$(( jobs > 2 ? 2 : jobs ))

bash deploy/install-deps.sh || { echo "bench: installing dependencies failed" >&2; exit 1; }

dir=${SL_BENCH_BUILD:-build-bench}
echo "== build $dir (Release)"
cmake -S "$top" -B "$top/$dir" -DSL_WERROR=ON -DCMAKE_BUILD_TYPE=Release >/dev/null || exit 1
cmake --build "$top/$dir" -j"$jobs" >"$top/$dir/build.log" 2>&1 || {
  tail -n 60 "$top/$dir/build.log"; exit 1; }
export SL_PG_RESERVE_HUGE_PAGES=1
log=$top/$dir/bench.log
: >"$log"
rc=0
# bench NAME [VAR=VALUE...]: one benchmark through ctest, its output into the log
bench() {
  local name=$1; shift
  if [ -n "${SL_BENCH_ONLY:-}" ] && [[ " $SL_BENCH_ONLY " != *" ${name#bench_} "* ]]; then
    return 0
  fi
  echo "== $name $*" | tee -a "$log"
  (cd "$top/$dir" && env "$@" ctest -R "^bench\.$name\$" -V --timeout 3600) >>"$log" 2>&1 || {
    echo "bench: $name failed (see $log)" >&2; rc=1; }
  grep -h "BENCH " "$log" | tail -n 1 | sed 's/^[0-9]*: //'
}
bench bench_intake SL_BENCH_PRODUCERS=1 SL_BENCH_ENVELOPES=${SL_BENCH_INTAKE_1:-40000}
bench bench_intake SL_BENCH_PRODUCERS=8 SL_BENCH_ENVELOPES=${SL_BENCH_INTAKE_8:-10000}
bench bench_intake SL_BENCH_PRODUCERS=32 SL_BENCH_ENVELOPES=${SL_BENCH_INTAKE_32:-2500}
bench bench_intake SL_BENCH_PRODUCERS=1 SL_BENCH_RATE=1000 SL_BENCH_NO_DB=1 \
  SL_BENCH_ENVELOPES=${SL_BENCH_LATENCY_ENVELOPES:-30000}
bench bench_link SL_BENCH_LINK_BACKLOG=${SL_BENCH_LINK_BACKLOG:-100000}
bench bench_deadline SL_BENCH_OPEN=${SL_BENCH_OPEN:-1000000} SL_BENCH_DUE=${SL_BENCH_DUE:-1000}
bench bench_deadline SL_BENCH_OPEN=${SL_BENCH_OPEN:-1000000} SL_BENCH_DUE=${SL_BENCH_DUE:-1000} \
  SL_BENCH_WARM=0 SL_BENCH_REPEAT=1
bench bench_deadline SL_BENCH_OPEN=${SL_BENCH_OPEN:-1000000} SL_BENCH_DUE=${SL_BENCH_DUE:-1000} \
  SL_PG_HUGE_PAGES=off
bench bench_dispatch_backlog SL_BENCH_CASES=${SL_BENCH_DISPATCH_CASES:-50000} \
  SL_BENCH_SECONDS=${SL_BENCH_DISPATCH_SECONDS:-60}
bench bench_publish SL_BENCH_CASES=${SL_BENCH_PUBLISH_CASES:-100000}
bench bench_reports SL_BENCH_CASES=${SL_BENCH_REPORT_CASES:-1000000}
bench bench_appraise SL_BENCH_CASES=${SL_BENCH_APPRAISE_CASES:-1000000}
echo "== the table (also in $dir/bench-table.txt)"
/usr/bin/python3 "$top/tests/bench/table.py" "$log" --out "$top/$dir/bench-table.txt"
exit $rc
