#!/usr/bin/env bash
# pg-lib.sh — start and stop private PostgreSQL clusters (sourced by the
# quickstart and the test fixture). Unix socket only, in DIR/sock.
#
# PostgreSQL refuses to run as root: as root, DIR is handed to the postgres
# user and the server runs as that user (runuser).

sl_pg_bindir() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  command -v initdb >/dev/null && { dirname "$(command -v initdb)"; return 0; }
  echo "pg-lib: no PostgreSQL server binaries (initdb) found; run deploy/install-deps.sh" >&2
  return 1
}

# Runs a command as the cluster's owner.
sl_pg_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

sl_pg_init() { # DIR
  local dir=$1 bin
  bin=$(sl_pg_bindir)
  mkdir -p "$dir/sock"
  [ "$(id -u)" -eq 0 ] && chown -R postgres: "$dir"
  chmod 700 "$dir"
  sl_pg_as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 \
    --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
    echo "pg-lib: initdb failed:" >&2; cat "$dir/initdb.log" >&2; return 1; }
  cat >>"$dir/data/postgresql.conf" <<EOT
listen_addresses = ''
unix_socket_directories = '$dir/sock'
unix_socket_permissions = 0777
max_connections = 300
shared_buffers = 256MB
synchronous_commit = on
fsync = on
log_min_messages = warning
timezone = 'Asia/Shanghai'
EOT
  # the daemons' roles (members of sl_daemons, made by slctl migrate) sign in
  # with their passwords ([database] passfile); the administrator (postgres:
  # migrate, the tests' checks) stays on trust in these private clusters
  local hba=$dir/data/pg_hba.conf
  { printf 'local all +sl_daemons scram-sha-256\nhost all +sl_daemons 127.0.0.1/32 scram-sha-256\n'
    cat "$hba"; } >"$dir/hba.tmp"
  cat "$dir/hba.tmp" >"$hba" # keeps the file's owner
  rm -f "$dir/hba.tmp"
  # the socket directory must be reachable by clients running as root or others
  chmod 755 "$dir" "$dir/sock"
}

sl_pg_start() { # DIR
  local dir=$1 bin
  bin=$(sl_pg_bindir)
  sl_pg_as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null || {
    echo "pg-lib: the server did not start:" >&2; tail -n 20 "$dir/server.log" >&2; return 1; }
}

sl_pg_stop() { # DIR
  local dir=$1 bin
  bin=$(sl_pg_bindir)
  [ -f "$dir/data/postmaster.pid" ] || return 0
  sl_pg_as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
}

sl_pg_psql() { # SOCKDIR DBNAME ARGS...
  local host=$1 db=$2
  shift 2
  psql -X -q -v ON_ERROR_STOP=1 -h "$host" -p 5432 -U postgres -d "$db" "$@"
}
