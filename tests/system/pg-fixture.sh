#!/usr/bin/env bash
# pg-fixture.sh — one throwaway PostgreSQL cluster per test run (ctest fixture).
#
#   pg-fixture.sh start   initdb + start on a unix socket in a private temp dir,
#                         create the template database sl_template and migrate it
#                         (SL_PG_RESERVE_HUGE_PAGES=1: reserve its huge pages
#                         first; SL_PG_HUGE_PAGES: its huge_pages, default try)
#   pg-fixture.sh stop    stop the cluster and remove its directory
#
# PostgreSQL refuses to run as root, so as root the cluster runs as the
# postgres user in a directory that user owns (outside the clone, which that
# user may not be able to enter). Writes $SL_TEST_STATE/pg.env for the tests.
set -euo pipefail
: "${SL_TEST_STATE:?}" "${SL_BIN:?}"
source "$(dirname "$0")/../../deploy/pg-lib.sh"

env_file=$SL_TEST_STATE/pg.env

stop() {
  if [ -f "$env_file" ]; then
    # shellcheck disable=SC1090
    source "$env_file"
    sl_pg_stop "$SL_PG_DIR" || true
    rm -rf "$SL_PG_DIR"
    rm -f "$env_file"
  fi
}

case "${1:-}" in
start)
  stop
  mkdir -p "$SL_TEST_STATE"
  dir=$(mktemp -d /tmp/sl-test-pg.XXXXXX)
  sl_pg_init "$dir"
  # the benchmarks' cluster, as the operator guide sets one up (tests/bench/run.sh)
  [ "${SL_PG_RESERVE_HUGE_PAGES:-}" = 1 ] && sl_pg_hugepages "$dir"
  sl_pg_start "$dir"
  cat >"$env_file" <<EOT
SL_PG_DIR=$dir
SL_PG_HOST=$dir/sock
SL_PG_PORT=5432
SL_PG_PASSFILE=$SL_TEST_STATE/pgpass
EOT
  rm -f "$SL_TEST_STATE/pgpass"
  sl_pg_psql "$dir/sock" postgres -c "CREATE DATABASE sl_template" >/dev/null
  cat >"$SL_TEST_STATE/template.ini" <<EOT
[node]
code = 140728
[database]
conninfo = host=$dir/sock port=5432 dbname=sl_template user=postgres
passfile = $SL_TEST_STATE/pgpass
EOT
  "$SL_BIN/slctl" -c "$SL_TEST_STATE/template.ini" migrate >/dev/null
  echo "fixture: cluster at $dir, template migrated"
  ;;
stop)
  stop
  echo "fixture: stopped"
  ;;
*)
  echo "usage: $0 start|stop" >&2
  exit 2
  ;;
esac
