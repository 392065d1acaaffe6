#!/usr/bin/env bash
# test_calendar.sh — `slctl calendar` against a real database.
#
# The working-day answers of the shipped notices, an import of a new year's
# notice changing the answers across the turn of the year, re-imports leaving
# identical rows, and malformed notices refused naming their line while the
# rows stay as they were.
set -euo pipefail
# shellcheck disable=SC1091
source "$SL_SOURCE/tests/system/lib.sh"

export SL_NOW=2026-11-28T09:00:00+08:00
sl_test_db calendar
dir=$SL_TEST_DIR

ctl() { "$SL_BIN/slctl" -c "$SL_TEST_INI" calendar "$@"; }
rows() { sl_psql "SELECT day, kind, name, notice_year FROM calendar_day ORDER BY day"; }
notices() { sl_psql "SELECT year, source, days, imported_at FROM calendar_notice ORDER BY year"; }

# Runs ctl with ARGS, leaving its exit code in $rc, stdout in $out, stderr in $err.
run() {
  rc=0
  "$SL_BIN/slctl" -c "$SL_TEST_INI" calendar "$@" >"$dir/out" 2>"$dir/err" || rc=$?
  out=$(cat "$dir/out")
  err=$(cat "$dir/err")
}

contains() { # NAME HAYSTACK NEEDLE
  if [[ $2 == *"$3"* ]]; then
    SL_PASSED=$((SL_PASSED + 1))
  else
    SL_FAILED=$((SL_FAILED + 1))
    printf 'FAIL: %s\n  want text containing: %s\n  got: %s\n' "$1" "$3" "$2" >&2
  fi
}

# --- answers from the shipped notices ---------------------------------------
sl_expect "spring festival 2022, +2" 2022-01-30 "$(ctl add-workdays 2022-01-28 2)"
sl_expect "spring festival 2022, +7" 2022-02-11 "$(ctl add-workdays 2022-01-28 7)"
sl_expect "national day 2021, +2" 2021-10-09 "$(ctl add-workdays 2021-09-30 2)"
sl_expect "n = 0" 2022-02-01 "$(ctl add-workdays 2022-02-01 0)"
sl_expect "make-up saturday works" yes "$(ctl is-workday 2022-01-29)"
sl_expect "spring festival is off" no "$(ctl is-workday 2022-02-01)"
sl_expect "2026-01-04 make-up sunday" yes "$(ctl is-workday 2026-01-04)"
sl_expect "ordinary saturday" no "$(ctl is-workday 2022-03-12)"
sl_expect "ordinary monday" yes "$(ctl is-workday 2022-03-14)"
run add-workdays 2022-01-28 7
sl_expect "no warning inside known years" "" "$err"

# --- bad arguments: exit 2 ----------------------------------------------------
run add-workdays 2022-02-30 1
sl_expect "bad date exits 2" 2 "$rc"
run add-workdays 2022-01-28 -1
sl_expect "negative n exits 2" 2 "$rc"
run add-workdays 2022-01-28
sl_expect "missing n exits 2" 2 "$rc"
run is-workday
sl_expect "missing date exits 2" 2 "$rc"
run import "$SL_SOURCE/schema/data/cn_calendar.csv"
sl_expect "import without --year exits 2" 2 "$rc"
run frobnicate
sl_expect "unknown subcommand exits 2" 2 "$rc"

# --- 2027 has no notice yet: weekends only, with a warning ---------------------
run add-workdays 2026-12-31 1
sl_expect "before the 2027 notice: exit 0" 0 "$rc"
sl_expect "before the 2027 notice: Friday 2027-01-01 counts" 2027-01-01 "$out"
contains "warning names the year to import" "$err" "no holiday notice is loaded for 2027"
contains "warning tells how to import" "$err" "calendar import FILE.csv --year 2027"
sl_expect "before the 2027 notice: 2027-01-01 works" yes "$(ctl is-workday 2027-01-01 2>/dev/null)"

# --- import the 2027 notice ----------------------------------------------------
cat >"$dir/2027.csv" <<'EOF'
date,kind,name
2027-01-01,holiday,New Year's Day
2027-01-02,holiday,New Year's Day
2027-01-03,holiday,New Year's Day
2027-02-06,holiday,Spring Festival
2027-02-07,holiday,Spring Festival
2027-02-08,holiday,Spring Festival
2027-02-09,holiday,Spring Festival
2027-02-10,holiday,Spring Festival
2027-02-11,holiday,Spring Festival
2027-02-12,holiday,Spring Festival
2027-02-20,workday,Spring Festival
EOF
before_rows=$(rows)
run import "$dir/2027.csv" --year 2027
sl_expect "import 2027: exit 0" 0 "$rc"
sl_expect "import 2027: output" "$(printf 'imported\t2027\t11 days')" "$out"
sl_expect "import 2027: rows" 11 "$(sl_psql "SELECT count(*) FROM calendar_day WHERE notice_year = 2027")"
sl_expect "import 2027: other years untouched" "$before_rows" \
  "$(sl_psql "SELECT day, kind, name, notice_year FROM calendar_day WHERE notice_year <> 2027 ORDER BY day")"
sl_expect "import 2027: notice row" "2027|$dir/2027.csv|11|2026-11-28" \
  "$(sl_psql "SELECT year, source, days, imported_at::date FROM calendar_notice WHERE year = 2027")"
run add-workdays 2026-12-31 1
sl_expect "after the 2027 notice: new year's day is off" 2027-01-04 "$out"
sl_expect "after the 2027 notice: no warning" "" "$err"
sl_expect "after the 2027 notice: 2027-01-01 off" no "$(ctl is-workday 2027-01-01)"
sl_expect "after the 2027 notice: make-up saturday" yes "$(ctl is-workday 2027-02-20)"
sl_expect "after the 2027 notice: across spring festival" 2027-02-15 "$(ctl add-workdays 2027-02-05 1)"
sl_expect "list --year 2027, first line" "$(printf "2027-01-01\t放假\tNew Year's Day\t2027")" \
  "$(ctl list --year 2027 | head -n 1)"
sl_expect "list --year 2027, lines" 11 "$(ctl list --year 2027 | wc -l)"
sl_expect "list, all lines" "$(sl_psql "SELECT count(*) FROM calendar_day")" "$(ctl list | wc -l)"

# --- the same file twice: identical rows ---------------------------------------
once=$(rows)
run import "$dir/2027.csv" --year 2027
sl_expect "import 2027 again: exit 0" 0 "$rc"
sl_expect "import 2027 again: identical rows" "$once" "$(rows)"

# --- malformed notices: refused naming the line, nothing changed ---------------
good_rows=$(rows)
good_notices=$(notices)
bad() { # NAME FILE LINE REASON
  run import "$2" --year 2027
  sl_expect "$1: exit 1" 1 "$rc"
  contains "$1: names file and line" "$err" "slctl: $2:$3: $4"
  sl_expect "$1: nothing printed" "" "$out"
  sl_expect "$1: rows unchanged" "$good_rows" "$(rows)"
  sl_expect "$1: notices unchanged" "$good_notices" "$(notices)"
}
printf 'date,kind,name\n2027-01-01,holiday,New Year\n2027-02-30,holiday,Spring Festival\n' >"$dir/bad-date.csv"
bad "bad date" "$dir/bad-date.csv" 3 "bad date"
printf 'date,kind,name\n2027-01-01,holiday,New Year\n2027-01-02,holiday,New Year\n2027-01-05,workday,New Year\n' >"$dir/tuesday.csv"
bad "workday on a tuesday" "$dir/tuesday.csv" 4 "make-up workday 2027-01-05 is not a Saturday or Sunday"
printf 'date,kind,name\n2027-01-01,holiday\n' >"$dir/fields.csv"
bad "wrong field count" "$dir/fields.csv" 2 "expected 3 fields"
printf 'date,kind,name\n2027-01-01,holiday,New Year\n2027-01-01,holiday,New Year\n' >"$dir/dup.csv"
bad "duplicate date" "$dir/dup.csv" 3 "date 2027-01-01 is listed twice"
printf 'date,kind,name\n2025-12-31,holiday,New Year\n' >"$dir/year.csv"
bad "date outside the notice's years" "$dir/year.csv" 2 "date 2025-12-31 is outside the notice's years 2026-2027"
printf 'date,kind,name\n2027-01-01,day off,New Year\n' >"$dir/kind.csv"
bad "unknown kind" "$dir/kind.csv" 2 "unknown kind"
: >"$dir/empty.csv"
bad "empty file" "$dir/empty.csv" 1 "empty file"
run import "$dir/missing.csv" --year 2027
sl_expect "missing file: exit 1" 1 "$rc"
sl_expect "missing file: rows unchanged" "$good_rows" "$(rows)"

# --- re-import of the shipped 2023 notice (with 2022-12-31): same rows ---------
awk -F, 'NR == 1 || $1 ~ /^2023-/ || $1 == "2022-12-31"' \
  "$SL_SOURCE/schema/data/cn_calendar.csv" >"$dir/2023.csv"
n2023=$(($(wc -l <"$dir/2023.csv") - 1))
sl_expect "2023 notice as shipped" "$n2023" \
  "$(sl_psql "SELECT count(*) FROM calendar_day WHERE notice_year = 2023")"
run import "$dir/2023.csv" --year 2023
sl_expect "re-import 2023: exit 0" 0 "$rc"
sl_expect "re-import 2023: output" "$(printf 'imported\t2023\t%d days' "$n2023")" "$out"
sl_expect "re-import 2023: same rows" "$good_rows" "$(rows)"
sl_expect "re-import 2023: 2022-12-31 stays in the 2023 notice" "holiday|2023" \
  "$(sl_psql "SELECT kind, notice_year FROM calendar_day WHERE day = '2022-12-31'")"
sl_expect "re-import 2023: notice source" "$dir/2023.csv|$n2023" \
  "$(sl_psql "SELECT source, days FROM calendar_notice WHERE year = 2023")"

# --- a date listed by another notice: the import wins --------------------------
n2026=$(sl_psql "SELECT count(*) FROM calendar_day WHERE notice_year = 2026")
{ cat "$dir/2027.csv"; echo "2026-10-10,workday,National Day"; } >"$dir/2027b.csv"
run import "$dir/2027b.csv" --year 2027
sl_expect "import takes over a day: exit 0" 0 "$rc"
sl_expect "import takes over a day: one row, now 2027's" "workday|2027" \
  "$(sl_psql "SELECT kind, notice_year FROM calendar_day WHERE day = '2026-10-10'")"
sl_expect "import takes over a day: 2026 has one fewer" "$((n2026 - 1))" \
  "$(sl_psql "SELECT count(*) FROM calendar_day WHERE notice_year = 2026")"
sl_expect "import takes over a day: still a working day" yes "$(ctl is-workday 2026-10-10)"

sl_done
