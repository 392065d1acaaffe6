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
huge_pages = ${SL_PG_HUGE_PAGES:-try}
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

# Reserves the huge pages (2 MiB) the cluster in DIR needs for its shared
# memory, which huge_pages = try then takes at the start instead of 4 KiB pages:
# each backend maps a shared buffer with one entry instead of two page faults
# the first time it touches it (the deadline tick's first batch after a quiet
# spell paid 25-35 ms for them, docs/operator-guide.md). As root only, only the
# pages not free already, and only while 1 GiB of memory stays available;
# never lowers the reservation. Not kept across a reboot (/etc/sysctl.d is the
# operator's, see the guide).
sl_pg_hugepages() { # DIR
  local dir=$1 bin need free rsvd size avail want
  if [ "$(id -u)" -ne 0 ]; then
    echo "pg-lib: huge pages: not root, the reservation is left as it is" >&2
    return 0
  fi
  bin=$(sl_pg_bindir) || return 1
  need=$(sl_pg_as_owner "$bin/postgres" -D "$dir/data" -C shared_memory_size_in_huge_pages \
    2>/dev/null) || need=-1
  if ! [ "$need" -gt 0 ] 2>/dev/null; then
    echo "pg-lib: huge pages: PostgreSQL cannot tell how many it needs ($need); none reserved" >&2
    return 0
  fi
  free=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)
  rsvd=$(awk '/^HugePages_Rsvd:/ {print $2}' /proc/meminfo)
  size=$(awk '/^Hugepagesize:/ {print $2}' /proc/meminfo)
  avail=$(awk '/^MemAvailable:/ {print $2}' /proc/meminfo)
  want=$(( need - (free - rsvd) ))
  if [ "$want" -le 0 ]; then
    echo "pg-lib: huge pages: $need needed, $((free - rsvd)) free already"
    return 0
  fi
  if [ $(( avail - want * size )) -lt 1048576 ]; then
    echo "pg-lib: huge pages: $want more would leave under 1 GiB available; none reserved" >&2
    return 0
  fi
  local total=$(( $(cat /proc/sys/vm/nr_hugepages) + want ))
  echo "$total" >/proc/sys/vm/nr_hugepages 2>/dev/null || true
  echo "pg-lib: huge pages: $need needed, vm.nr_hugepages now $(cat /proc/sys/vm/nr_hugepages)"
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
