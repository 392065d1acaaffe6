#!/usr/bin/env bash
# quickstart.sh — install what is missing, build, and run the demo on a
# PostgreSQL cluster of its own.
#
#   deploy/quickstart.sh            run in the foreground; Ctrl-C stops everything
#   deploy/quickstart.sh --detach   return once every node is ready
#   deploy/quickstart.sh --stop     stop all that a detached run started
#
# Writes var/endpoints.env (one NAME=value a line) for scripts and other
# systems; see docs/DESIGN.md "The demo and var/endpoints.env". Never touches a
# system cluster: the demo's cluster listens only on a unix socket of its own.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
var=$top/var
source "$top/deploy/pg-lib.sh"

# The demo federation: 山西省 → 晋中市 → 平遥县, 介休市; each node its own
# database in the one demo cluster, linked to its parent and children.
# Ports are 7000 + 100*index + offset.
NODES=(140000 140700 140728 140781)
declare -A NODE_NAME=([140000]=山西省 [140700]=晋中市 [140728]=平遥县 [140781]=介休市)
declare -A NODE_INDEX=([140000]=1 [140700]=2 [140728]=3 [140781]=4)
declare -A NODE_PARENT=([140000]= [140700]=140000 [140728]=140700 [140781]=140700)
DAEMONS=(intake dispatch deadline publish appraise)

mode=foreground
case "${1:-}" in
  "") ;;
  --detach) mode=detach ;;
  --stop) mode=stop ;;
  -h|--help)
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
    exit 0 ;;
  *) echo "quickstart: unknown option $1 (try --help)" >&2; exit 2 ;;
esac

say() { echo "quickstart: $*"; }

# Where the cluster lives: var/pg, or (as root) a postgres-owned directory
# outside the clone, linked from var/pg.
pg_dir() {
  if [ "$(id -u)" -eq 0 ]; then
    echo "/var/tmp/safeloop-demo-$(printf '%s' "$top" | md5sum | cut -c1-10)"
  else
    echo "$var/pg-data"
  fi
}

stop_all() {
  local pidf pid
  shopt -s nullglob
  for pidf in "$var"/run/*/*.pid; do
    pid=$(cat "$pidf" 2>/dev/null || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$pidf"
  done
  shopt -u nullglob
  local dir
  dir=$(pg_dir)
  if [ -f "$dir/data/postmaster.pid" ]; then
    sl_pg_stop "$dir" && say "stopped the demo cluster"
  fi
}

if [ "$mode" = stop ]; then
  stop_all
  say "stopped"
  exit 0
fi

# 1. Dependencies and build.
bash "$top/deploy/install-deps.sh"
cmake -S "$top" -B "$top/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$top/build" -j"$(nproc 2>/dev/null || echo 2)" >"$top/build/quickstart-build.log" 2>&1 || {
  tail -n 40 "$top/build/quickstart-build.log" >&2; echo "quickstart: build failed" >&2; exit 1; }
bin=$top/build/bin

# 2. The cluster.
mkdir -p "$var/nodes" "$var/keys" "$var/run" "$var/log" "$var/site"
dir=$(pg_dir)
if [ ! -d "$dir/data" ]; then
  say "creating the demo cluster in $dir"
  sl_pg_init "$dir"
fi
[ "$dir" = "$var/pg-data" ] || ln -sfn "$dir" "$var/pg"
if ! sl_pg_as_owner "$(sl_pg_bindir)/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
  sl_pg_start "$dir"
fi
sock=$dir/sock

port() { echo $((7000 + 100 * NODE_INDEX[$1] + $2)); }
# Per daemon: the offsets of its events and HTTP ports.
declare -A EV_OFF=([intake]=1 [dispatch]=11 [deadline]=21 [publish]=31 [appraise]=41)
declare -A HTTP_OFF=([intake]=2 [dispatch]=12 [deadline]=22 [publish]=32 [appraise]=42)

# 3. Each node: keys first (every node's public keys go into its parent's
# and children's configs), then config, database, schema. One demo producer
# key pair that every demo node accepts clues from.
demo=$var/keys/demo-producer
[ -f "$demo/curve.key" ] || "$bin/slctl" keys gen --curve-only --dir "$demo" >/dev/null
for code in "${NODES[@]}"; do
  [ -f "$var/keys/$code/curve.key" ] || "$bin/slctl" keys gen --dir "$var/keys/$code" >/dev/null
done
# The [parent] and [child.CODE] sections of node $1: endpoints, CURVE and
# sealing public keys of the demo nodes it links to.
links() {
  local code=$1 p=${NODE_PARENT[$1]} c
  if [ -n "$p" ]; then
    printf '\n; the parent node %s %s\n[parent]\ncode = %s\nendpoint = tcp://127.0.0.1:%s\npublic_key = %s\nseal_public = %s\n' \
      "$p" "${NODE_NAME[$p]}" "$p" "$(port "$p" 0)" "$var/keys/$p/curve.pub" "$var/keys/$p/seal.pub"
  fi
  for c in "${NODES[@]}"; do
    [ "${NODE_PARENT[$c]}" = "$code" ] || continue
    printf '\n[child.%s]\nname = %s\nendpoint = tcp://127.0.0.1:%s\npublic_key = %s\nseal_public = %s\n' \
      "$c" "${NODE_NAME[$c]}" "$(port "$c" 0)" "$var/keys/$c/curve.pub" "$var/keys/$c/seal.pub"
  done
}
# Member units of node $1 that lead no sector but receive transfers (the
# plan's 成员 list): at 晋中市 the development zone (which owes the weekly
# report), the commerce bureau and the traffic police.
members() {
  [ "$1" = 140700 ] || return 0
  printf '\n; member units the plan names\n[unit.devzone]\nname = 晋中开发区管委会\nweekly_report = true\n'
  printf '[unit.commerce]\nname = 晋中市商务局\n[unit.traffic]\nname = 晋中市公安局交通警察支队\n'
}
env_out=$var/endpoints.env.tmp
{
  echo "SL_DEMO_PRODUCER_PUBLIC=$demo/curve.pub"
  echo "SL_DEMO_PRODUCER_SECRET=$demo/curve.key"
} >"$env_out"
for code in "${NODES[@]}"; do
  ini=$var/nodes/$code.ini
  keys=$var/keys/$code
  run=$var/run/$code
  mkdir -p "$run"
  chmod 700 "$run"
  cat >"$ini" <<EOT
; demo node $code ${NODE_NAME[$code]} — written by deploy/quickstart.sh; every key
; is documented in deploy/example-node.ini.
[node]
code = $code
name = ${NODE_NAME[$code]}
run_dir = $run
var_dir = $var

[database]
conninfo = host=$sock port=5432 dbname=sl_$code user=postgres
; each daemon connects as its own role (db_user below, made by slctl
; migrate), with the password migrate writes here (scram-sha-256)
passfile = $var/pgpass

; slctl's read-only commands; administration keeps [database] conninfo
[ctl]
db_user = sl_{code}_ctl

[keys]
curve_public = $keys/curve.pub
curve_secret = $keys/curve.key
seal_public = $keys/seal.pub
seal_secret = $keys/seal.key

[log]
level = info

[intake]
endpoint = tcp://127.0.0.1:$(port "$code" 0)
ipc = ipc://$run/intake.sock
events = tcp://127.0.0.1:$(port "$code" 1)
http = 127.0.0.1:$(port "$code" 2)
db_user = sl_{code}_intake

[dispatch]
interval_days = 0
scan_seconds = 2
retry_max_ms = 5000
events = tcp://127.0.0.1:$(port "$code" 11)
http = 127.0.0.1:$(port "$code" 12)
db_user = sl_{code}_dispatch

[deadline]
events = tcp://127.0.0.1:$(port "$code" 21)
http = 127.0.0.1:$(port "$code" 22)
db_user = sl_{code}_deadline

; 三公开: drafts wait for slctl publish approve ID --by NAME; the site is
; served on http (/site/) and written to site_dir
[publish]
events = tcp://127.0.0.1:$(port "$code" 31)
http = 127.0.0.1:$(port "$code" 32)
site_dir = $var/site/$code
templates = $top/templates
tick_seconds = 5
[appraise]
events = tcp://127.0.0.1:$(port "$code" 41)
http = 127.0.0.1:$(port "$code" 42)
db_user = sl_{code}_appraise
; the project's default rules (weights, triggers) from the source tree
rules = $top/deploy/appraise-rules.ini

; the demo producer (var/keys/demo-producer): may submit clues
[producer.demo]
public_key = $demo/curve.pub
may_send = clue
EOT
  links "$code" >>"$ini"
  members "$code" >>"$ini"
  if ! sl_pg_psql "$sock" postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'sl_$code'" | grep -q 1; then
    sl_pg_psql "$sock" postgres -c "CREATE DATABASE sl_$code" >/dev/null
  fi
  "$bin/slctl" -c "$ini" migrate >/dev/null
  {
    echo "SL_${code}_CONFIG=$ini"
    echo "SL_${code}_PUBLIC=$keys/curve.pub"
    echo "SL_${code}_INTAKE=tcp://127.0.0.1:$(port "$code" 0)"
    echo "SL_${code}_IPC=ipc://$run/intake.sock"
    echo "SL_${code}_STATUS=http://127.0.0.1:$(port "$code" "${HTTP_OFF[intake]}")/status"
    echo "SL_${code}_SITE=http://127.0.0.1:$(port "$code" "${HTTP_OFF[publish]}")/site/"
    for d in "${DAEMONS[@]}"; do
      [ -x "$bin/sl-$d" ] || continue
      D=${d^^}
      echo "SL_${code}_${D}_EVENTS=tcp://127.0.0.1:$(port "$code" "${EV_OFF[$d]}")"
      echo "SL_${code}_${D}_METRICS=http://127.0.0.1:$(port "$code" "${HTTP_OFF[$d]}")/metrics"
    done
  } >>"$env_out"
done

# 4. The daemons that this build has.
started=()
for code in "${NODES[@]}"; do
  for d in "${DAEMONS[@]}"; do
    exe=$bin/sl-$d
    [ -x "$exe" ] || continue
    pidf=$var/run/$code/sl-$d.pid
    if [ -f "$pidf" ] && kill -0 "$(cat "$pidf")" 2>/dev/null; then continue; fi
    "$exe" -c "$var/nodes/$code.ini" >>"$var/log/$code-$d.log" 2>&1 &
    echo $! >"$pidf"
    started+=("$code/sl-$d")
  done
done
mv "$env_out" "$var/endpoints.env"

# 5. Ready: every daemon answers /healthz (or has died: then show its log).
for code in "${NODES[@]}"; do
  for d in "${DAEMONS[@]}"; do
    pidf=$var/run/$code/sl-$d.pid
    [ -f "$pidf" ] || continue
    url=http://127.0.0.1:$(port "$code" "${HTTP_OFF[$d]}")/healthz
    for i in $(seq 1 600); do
      if ! kill -0 "$(cat "$pidf")" 2>/dev/null; then
        echo "quickstart: sl-$d of node $code did not start; its log:" >&2
        tail -n 20 "$var/log/$code-$d.log" >&2 || true
        stop_all
        exit 1
      fi
      curl -fs -o /dev/null "$url" && break
      [ "$i" -eq 600 ] && { echo "quickstart: sl-$d of node $code is not healthy after 60 s ($url)" >&2; stop_all; exit 1; }
      sleep 0.1
    done
  done
done
say "ready: ${#NODES[@]} node(s) (${NODES[*]}), daemons: ${started[*]:-none}"
say "endpoints: $var/endpoints.env"

if [ "$mode" = detach ]; then
  say "running in the background; stop with deploy/quickstart.sh --stop"
  exit 0
fi
trap 'echo; stop_all; say "stopped"; exit 0' INT TERM
say "press Ctrl-C to stop"
while true; do sleep 1; done
