#!/usr/bin/env bash
# lib.sh — helpers for shell system tests (sourced).
#
#   sl_test_db NAME     a fresh database made from the migrated template, and an
#                       INI for node 140728 pointing at it: exports SL_TEST_INI,
#                       SL_TEST_DBNAME, SL_TEST_DIR (a private temp dir); all
#                       dropped/removed when the test exits
#   sl_psql "SQL"       runs SQL on that database, unaligned tuples-only output
#   sl_check NAME CMD…  runs CMD; counts a pass, or prints the failure and counts it
#   sl_expect NAME WANT GOT   compares two strings the same way
#   sl_done             prints "N passed, M failed" and exits non-zero on failure
set -euo pipefail
: "${SL_TEST_STATE:?run through ctest}" "${SL_BIN:?}" "${SL_SOURCE:?}"
# shellcheck disable=SC1091
source "$SL_TEST_STATE/pg.env"
source "$SL_SOURCE/deploy/pg-lib.sh"

SL_PASSED=0
SL_FAILED=0
SL_CLEANUP=()

sl__cleanup() {
  local c
  for c in "${SL_CLEANUP[@]}"; do eval "$c" || true; done
}
trap sl__cleanup EXIT

sl_test_db() { # NAME [NODE_CODE]
  local name=$1 code=${2:-140728}
  SL_TEST_DBNAME="t_${name}_$$_${RANDOM}"
  SL_TEST_DIR=$(mktemp -d "/tmp/sl-test-${name}.XXXXXX")
  sl_pg_psql "$SL_PG_HOST" postgres -c "CREATE DATABASE \"$SL_TEST_DBNAME\" TEMPLATE sl_template" >/dev/null
  SL_CLEANUP+=("sl_pg_psql '$SL_PG_HOST' postgres -c 'DROP DATABASE IF EXISTS \"$SL_TEST_DBNAME\" WITH (FORCE)' >/dev/null 2>&1")
  SL_CLEANUP+=("rm -rf '$SL_TEST_DIR'")
  SL_TEST_INI=$SL_TEST_DIR/$code.ini
  cat >"$SL_TEST_INI" <<EOT
[node]
code = $code
run_dir = $SL_TEST_DIR/run
var_dir = $SL_TEST_DIR
[database]
conninfo = host=$SL_PG_HOST port=$SL_PG_PORT dbname=$SL_TEST_DBNAME user=postgres
EOT
  export SL_TEST_INI SL_TEST_DBNAME SL_TEST_DIR
}

sl_psql() {
  sl_pg_psql "$SL_PG_HOST" "$SL_TEST_DBNAME" -A -t -c "$1"
}

sl_check() { # NAME CMD...
  local name=$1
  shift
  if "$@"; then
    SL_PASSED=$((SL_PASSED + 1))
  else
    SL_FAILED=$((SL_FAILED + 1))
    echo "FAIL: $name (command: $*)" >&2
  fi
}

sl_expect() { # NAME WANT GOT
  if [ "$2" == "$3" ]; then
    SL_PASSED=$((SL_PASSED + 1))
  else
    SL_FAILED=$((SL_FAILED + 1))
    printf 'FAIL: %s\n  want: %s\n  got:  %s\n' "$1" "$2" "$3" >&2
  fi
}

sl_done() {
  echo "$SL_PASSED passed, $SL_FAILED failed"
  [ "$SL_FAILED" -eq 0 ]
}
