#!/usr/bin/env bash
# run.sh [SECONDS] [TARGET...] — builds the libFuzzer targets of tests/fuzz with clang
# (ASan + UBSan, CMake option SL_FUZZ: the libraries and the targets only) in
# build-fuzz/ and runs each for SECONDS (default 30; `tests/fuzz/run.sh 600`
# is the long run). Each starts from its seeds in tests/fuzz/corpus/<target>/
# and grows a working corpus in build-fuzz/corpus/<target>/ (not committed).
# A finding is written to build-fuzz/findings/<target>/ and fails the run:
# copy it into tests/fuzz/corpus/<target>/ with the fix, and ctest
# fuzz.<target> replays it from then on. Prints exec/s and cov: per target.
# TARGETs (e.g. fuzz_csv) run only those; default all. SL_FUZZ_JOBS (2) targets
# build and run at a time.
set -uo pipefail
cd "$(dirname "$0")/../.."
top=$PWD
secs=${1:-30}
shift $(($# > 0 ? 1 : 0))
only=("$@")
dir=$top/build-fuzz
jobs=${SL_FUZZ_JOBS:-2}

command -v clang >/dev/null || { echo "fuzz: clang is not installed" >&2; exit 1; }
echo "== build $dir"
mkdir -p "$dir"
CC=clang cmake -S "$top" -B "$dir" -DSL_FUZZ=ON -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null &&
  cmake --build "$dir" -j"$jobs" >"$dir/build.log" 2>&1 || {
  tail -n 60 "$dir/build.log"; echo "fuzz: build failed" >&2; exit 1; }

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$top/tests/lsan.supp
# One target's run: its log in $dir/<target>.log, its summary line (ending
# "ok" or "FINDING") in $dir/<target>.summary, which the caller reads.
fuzz_one() { # TARGET-BINARY
  local bin=$1 t
  t=$(basename "$bin")
  local seeds=$top/tests/fuzz/corpus/$t work=$dir/corpus/$t findings=$dir/findings/$t
  local log=$dir/$t.log rc
  mkdir -p "$work" "$findings"
  "$bin" -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$findings/" "$work" "$seeds" >"$log" 2>&1
  rc=$?
  local last execs rate cov ft corp
  last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$')
  cov=$(echo "$last" | grep -o 'cov: [0-9]*' | grep -o '[0-9]*')
  ft=$(echo "$last" | grep -o 'ft: [0-9]*' | grep -o '[0-9]*')
  corp=$(echo "$last" | grep -o 'corp: [0-9]*' | grep -o '[0-9]*')
  if [ $rc -ne 0 ]; then
    echo "fuzz: $t FOUND A PROBLEM (exit $rc); the input is in $findings/, the log in $log:" >&2
    grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -n 10 >&2
  fi
  printf '%-14s %6ss %10s execs %8s exec/s  cov: %-6s ft: %-6s corpus: %-5s %s\n' \
    "$t" "$secs" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" \
    "$([ $rc -eq 0 ] && echo ok || echo FINDING)" >"$dir/$t.summary"
}

# The targets run $jobs at a time (each is one process on one core).
status=0
targets=()
for bin in "$dir"/fuzz/fuzz_*; do
  t=$(basename "$bin")
  if [ ${#only[@]} -gt 0 ] && [[ " ${only[*]} " != *" $t "* ]]; then continue; fi
  targets+=("$t")
  rm -f "$dir/$t.summary"
  echo "== fuzz $t for ${secs}s"
  fuzz_one "$bin" &
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
done
wait
# The outcome is read from the summaries, not from wait's statuses (a job
# that ended between two waits is no longer one wait -n reports).
echo "== fuzz summary"
for t in "${targets[@]}"; do
  if [ -s "$dir/$t.summary" ]; then
    cat "$dir/$t.summary"
    grep -q ' ok$' "$dir/$t.summary" || status=1
  else
    echo "$t: no summary (its run died)"; status=1
  fi
done
exit $status
