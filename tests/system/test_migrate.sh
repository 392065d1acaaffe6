#!/usr/bin/env bash
# test_migrate.sh — migrations are idempotent, daemons check the schema version,
# and a bad config stops a program with exit 2 naming file, line and key.
source "$SL_SOURCE/tests/system/lib.sh"

# A database with no schema at all.
sl_test_db migrate
sl_pg_psql "$SL_PG_HOST" postgres -c "DROP DATABASE \"$SL_TEST_DBNAME\" WITH (FORCE)" >/dev/null
sl_pg_psql "$SL_PG_HOST" postgres -c "CREATE DATABASE \"$SL_TEST_DBNAME\"" >/dev/null
latest=$("$SL_BIN/slctl" --version | sed 's/.*schema \([0-9]*\).*/\1/')

out=$("$SL_BIN/slctl" -c "$SL_TEST_INI" migrate)
sl_expect "first migrate applies every migration" "schema	$latest	migrated" "$(tail -n1 <<<"$out")"
sl_expect "first migrate lists 001" "applied	001_foundation.sql" "$(head -n1 <<<"$out")"
rows1=$(sl_psql "SELECT count(*) FROM division")","$(sl_psql "SELECT count(*) FROM calendar_day")","$(sl_psql "SELECT count(*) FROM unit")
out=$("$SL_BIN/slctl" -c "$SL_TEST_INI" migrate)
sl_expect "second migrate changes nothing" "schema	$latest	current" "$out"
rows2=$(sl_psql "SELECT count(*) FROM division")","$(sl_psql "SELECT count(*) FROM calendar_day")","$(sl_psql "SELECT count(*) FROM unit")
sl_expect "reference data loaded once" "$rows1" "$rows2"
sl_expect "the sixteen sectors and OTHER" "17" "$(sl_psql "SELECT count(*) FROM sector")"
sl_expect "twelve violations" "12" "$(sl_psql "SELECT count(*) FROM violation")"
sl_expect "node row" "140728|平遥县|county|140700" "$(sl_psql "SELECT code, name, level, parent FROM node")"
sl_expect "lead department unit" "平遥县应急管理局" "$(sl_psql "SELECT name FROM unit WHERE code = '140728:emergency'")"
sl_expect "fire service at county level" "平遥县消防救援大队" "$(sl_psql "SELECT name FROM unit WHERE code = '140728:fire'")"
sl_expect "ecology: a branch of the city bureau" "晋中市生态环境局平遥分局" "$(sl_psql "SELECT name FROM unit WHERE code = '140728:ecology'")"
sl_expect "natural resources at county level" "平遥县自然资源局" "$(sl_psql "SELECT name FROM unit WHERE code = '140728:resources'")"
sl_expect "sector OTHER led by the emergency bureau" "140728:emergency" "$(sl_psql "SELECT unit_code FROM sector_lead WHERE sector = 17")"
sl_expect "holiday names in Chinese" "元旦|holiday" "$(sl_psql "SELECT name, kind FROM calendar_day WHERE day = '2022-12-31'")"
sl_expect "2022-12-31 belongs to the 2023 notice" "2023" "$(sl_psql "SELECT notice_year FROM calendar_day WHERE day = '2022-12-31'")"

# The daemon refuses a schema it does not know, saying what to run.
mkdir -p "$SL_TEST_DIR/keys"
"$SL_BIN/slctl" keys gen --dir "$SL_TEST_DIR/keys" >/dev/null
cat >>"$SL_TEST_INI" <<EOT
[keys]
seal_public = $SL_TEST_DIR/keys/seal.pub
[intake]
endpoint = tcp://127.0.0.1:0
EOT
sl_psql "DELETE FROM schema_migrations WHERE version = $latest" >/dev/null
set +e
err=$(timeout 60 "$SL_BIN/sl-intake" -c "$SL_TEST_INI" 2>&1); rc=$?
set -e
sl_expect "older schema: sl-intake exits 1" 1 "$rc"
sl_check "older schema: says to migrate" grep -q "run \`slctl -c $SL_TEST_INI migrate\`" <<<"$err"
sl_psql "INSERT INTO schema_migrations (version, name) VALUES ($latest, 'x'), (999, 'future')" >/dev/null
set +e
err=$(timeout 60 "$SL_BIN/sl-intake" -c "$SL_TEST_INI" 2>&1); rc=$?
set -e
sl_expect "newer schema: sl-intake exits 1" 1 "$rc"
sl_check "newer schema: says to upgrade" grep -q "newer than this build knows" <<<"$err"
set +e
err=$("$SL_BIN/slctl" -c "$SL_TEST_INI" migrate 2>&1); rc=$?
set -e
sl_expect "migrate refuses a newer schema" 1 "$rc"

# A bad config: exit 2 naming file, line and key — for daemons and slctl alike.
bad=$SL_TEST_DIR/bad.ini
printf '[node]\ncode = 140728\n[database]\nconninfo = x\n[intake]\nbatch_max = lots\n' >"$bad"
for prog in sl-intake slctl; do
  set +e
  if [ $prog = slctl ]; then err=$("$SL_BIN/slctl" -c "$bad" migrate 2>&1); rc=$?
  else err=$("$SL_BIN/$prog" -c "$bad" 2>&1); rc=$?; fi
  set -e
  sl_expect "$prog: bad value exits 2" 2 "$rc"
  sl_check "$prog: names file, line and key" grep -q "$bad:6: \[intake\] batch_max" <<<"$err"
done
printf '[node]\ncode = 140728\nbogus = 1\n' >"$bad"
set +e; err=$("$SL_BIN/sl-intake" -c "$bad" 2>&1); rc=$?; set -e
sl_expect "unknown key exits 2" 2 "$rc"
sl_check "unknown key named" grep -q "$bad:3: \[node\] bogus" <<<"$err"

sl_done
