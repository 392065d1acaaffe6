#!/usr/bin/env bash
# test_audit.sh — `slctl audit verify` against a real database: an intact chain
# passes, and each kind of tampering is named by case number and seq.
#
# Cases and their chains are made by sl-test-audit (tests/helpers), through
# sl_audit as intake will; the tampering is plain SQL, as an insider with
# database access would do it.
set -euo pipefail
: "${SL_BIN:?run through ctest}" "${SL_SOURCE:?run through ctest}"
# shellcheck disable=SC1091
source "$SL_SOURCE/tests/system/lib.sh"

die() {
  echo "test_audit: $*" >&2
  exit 1
}
for b in slctl sl-test-audit; do
  [ -x "$SL_BIN/$b" ] || die "$SL_BIN/$b is missing; build first"
done

# new_case SEQ [EVENTS] → sets CASE_ID and CASE_NO
new_case() {
  local out
  out=$("$SL_BIN/sl-test-audit" -c "$SL_TEST_INI" -n "$1" -k "${2:-5}") ||
    die "sl-test-audit could not register case $1"
  CASE_ID=${out%%$'\t'*}
  CASE_NO=${out#*$'\t'}
}

# verify → sets RC, OUT (stdout: the breaks), ERR (stderr: the summary)
verify() {
  local errf=$SL_TEST_DIR/verify.err
  RC=0
  OUT=$("$SL_BIN/slctl" -c "$SL_TEST_INI" audit verify 2>"$errf") || RC=$?
  ERR=$(cat "$errf")
}

# expect_break NAME LINE: LINE is one of verify's output lines
expect_break() {
  if grep -qxF -- "$2" <<<"$OUT"; then
    SL_PASSED=$((SL_PASSED + 1))
  else
    SL_FAILED=$((SL_FAILED + 1))
    printf 'FAIL: %s\n  want the line: %s\n  got:\n%s\n' "$1" "$2" "$OUT" >&2
  fi
}

T=$'\t'

# --- an intact chain ----------------------------------------------------------
sl_test_db audit
new_case 1
A_ID=$CASE_ID A_NO=$CASE_NO
new_case 2
B_ID=$CASE_ID B_NO=$CASE_NO
sl_expect "case number" "140728-2026-煤-000001" "$A_NO"
sl_expect "5 events per case" "5${T}5" "$(sl_psql "SELECT h.seq, count(*) FROM case_chain h JOIN case_event e ON e.case_id = h.case_id WHERE h.case_id = $A_ID GROUP BY h.seq" | tr '|' '\t')"

verify
sl_expect "intact: exit 0" 0 "$RC"
sl_expect "intact: no breaks printed" "" "$OUT"
sl_expect "intact: summary" "audit: 2 cases, 10 events checked, 0 breaks" "$ERR"

# Times go through the database exactly to the millisecond: the helper writes
# event 1 at 1769999999999 ms (…:59.999) and event 2 1001 ms later.
sl_expect "at stored exactly" "2026-02-02 10:39:59.999+08" \
  "$(sl_psql "SELECT at FROM case_event WHERE case_id = $A_ID AND seq = 1")"
sl_expect "at read back exactly" "1769999999999 1770000001000" \
  "$("$SL_BIN/sl-test-audit" -c "$SL_TEST_INI" -l "$A_ID" | cut -f2 | head -2 | paste -sd' ')"
sl_expect "list walks the chain in order" "1 2 3 4 5" \
  "$("$SL_BIN/sl-test-audit" -c "$SL_TEST_INI" -l "$A_ID" | cut -f1 | paste -sd' ')"
# Each event's prev_hash is the hash of the event before it.
sl_expect "list: links" "$(sl_psql "SELECT hash FROM case_event WHERE case_id = $A_ID AND seq < 5 ORDER BY seq")" \
  "$("$SL_BIN/sl-test-audit" -c "$SL_TEST_INI" -l "$A_ID" | cut -f4 | tail -n +2)"

# Appending to an existing case (locks the row, continues the chain).
"$SL_BIN/sl-test-audit" -c "$SL_TEST_INI" -a "$B_ID" -k 2 || die "could not append to case $B_NO"
verify
sl_expect "appended: exit 0" 0 "$RC"
sl_expect "appended: summary" "audit: 2 cases, 12 events checked, 0 breaks" "$ERR"
sl_expect "appended: head moved" "7" "$(sl_psql "SELECT seq FROM case_chain WHERE case_id = $B_ID")"

# A caller with a stale idea of the chain (it thinks case B has no events yet)
# is refused, and nothing is appended.
sl_check "stale append refused" bash -c '! "$0" -c "$1" -s "$2" 2>/dev/null' \
  "$SL_BIN/sl-test-audit" "$SL_TEST_INI" "$B_ID"
sl_expect "stale append: chain unchanged" "7|7" \
  "$(sl_psql "SELECT seq, (SELECT count(*) FROM case_event WHERE case_id = $B_ID) FROM case_chain WHERE case_id = $B_ID")"
verify
sl_expect "stale append: still intact" 0 "$RC"

# --- an edited row ------------------------------------------------------------
sl_psql "UPDATE case_event SET detail = '{\"x\":1}' WHERE seq = 3 AND case_id = $A_ID" >/dev/null
verify
sl_expect "edited detail: exit 1" 1 "$RC"
expect_break "edited detail: named" "$A_NO${T}seq 3${T}event 3: hash does not match its contents"
sl_expect "edited detail: only that break" 1 "$(grep -c . <<<"$OUT")"
sl_expect "edited detail: summary" "audit: 2 cases, 12 events checked, 1 breaks" "$ERR"

# One millisecond is enough.
sl_psql "UPDATE case_event SET at = at + interval '1 millisecond' WHERE seq = 2 AND case_id = $B_ID" >/dev/null
verify
sl_expect "edited time: exit 1" 1 "$RC"
expect_break "edited time: named" "$B_NO${T}seq 2${T}event 2: hash does not match its contents"
sl_expect "edited time: both breaks" 2 "$(grep -c . <<<"$OUT")"

# --- a second database: deletions and rewritten hashes ------------------------
sl_test_db audit2
for n in 1 2 3 4 5 6 8; do
  new_case "$n"
  eval "C${n}_ID=\$CASE_ID C${n}_NO=\$CASE_NO"
done
verify
sl_expect "second db intact" "0|audit: 7 cases, 35 events checked, 0 breaks" "$RC|$ERR"

# The encoding of sl_audit.h, recomputed in SQL: checks the C code against an
# independent implementation, and lets the test forge a "valid" event below.
sl_psql "CREATE FUNCTION f(b bytea) RETURNS bytea LANGUAGE sql AS \$\$ SELECT int8send(octet_length(b)::bigint) || b \$\$;
CREATE FUNCTION t(s text) RETURNS bytea LANGUAGE sql AS \$\$ SELECT f(convert_to(s, 'UTF8')) \$\$;
CREATE FUNCTION event_hash(e case_event) RETURNS text LANGUAGE sql AS \$\$
  SELECT encode(sha256(t('safeloop:audit:v1') || t(e.prev_hash) || f(int8send(e.seq::bigint))
    || f(int8send((extract(epoch FROM e.at) * 1000)::bigint)) || t(e.kind) || t(e.actor_key)
    || t(e.actor_unit) || t(e.operator) || t(e.msg_id) || t(e.detail)), 'hex') \$\$" >/dev/null
sl_expect "encoding recomputed in SQL" "35|35" \
  "$(sl_psql "SELECT count(*), count(*) FILTER (WHERE hash = event_hash(e)) FROM case_event e")"
sl_expect "genesis recomputed in SQL" "$(sl_psql "SELECT encode(sha256(convert_to('safeloop:case:' || case_no, 'UTF8')), 'hex') FROM cases WHERE id = $C3_ID")" \
  "$(sl_psql "SELECT prev_hash FROM case_event WHERE case_id = $C3_ID AND seq = 1")"

# 7: a case registered without any audit event (rule 8 broken by a writer).
new_case 7 0
C7_NO=$CASE_NO
# 1: a middle row deleted.
sl_psql "DELETE FROM case_event WHERE case_id = $C1_ID AND seq = 3" >/dev/null
# 2: a hash rewritten (its own check fails, and so does the next link).
sl_psql "UPDATE case_event SET hash = encode(sha256('forged'), 'hex') WHERE case_id = $C2_ID AND seq = 2" >/dev/null
# 3: an event rewritten with its hash recomputed (by event_hash above).
sl_psql "UPDATE case_event SET detail = '{}' WHERE case_id = $C3_ID AND seq = 4" >/dev/null
sl_psql "UPDATE case_event e SET hash = event_hash(e) WHERE case_id = $C3_ID AND seq = 4" >/dev/null
# 4: the last event deleted.
sl_psql "DELETE FROM case_event WHERE case_id = $C4_ID AND seq = 5" >/dev/null
# 5: the head changed.
sl_psql "UPDATE case_chain SET head = encode(sha256('x'), 'hex') WHERE case_id = $C5_ID" >/dev/null
# 6: the case renumbered: its chain no longer starts at its number's genesis.
sl_psql "UPDATE cases SET case_no = '140728-2026-煤-000099' WHERE id = $C6_ID" >/dev/null
# 8: the head's row deleted (the case looks as if it had no events yet).
sl_psql "DELETE FROM case_chain WHERE case_id = $C8_ID" >/dev/null

verify
sl_expect "tampered: exit 1" 1 "$RC"
expect_break "deleted row: the gap" "$C1_NO${T}seq 3${T}event 3 missing"
expect_break "rewritten hash: its contents" "$C2_NO${T}seq 2${T}event 2: hash does not match its contents"
expect_break "rewritten hash: the next link" "$C2_NO${T}seq 3${T}event 3: prev_hash does not match event 2"
expect_break "recomputed hash: the next link" "$C3_NO${T}seq 5${T}event 5: prev_hash does not match event 4"
expect_break "deleted tail" "$C4_NO${T}seq 5${T}case_chain.seq says 5 but the chain has 4 events"
expect_break "head changed" "$C5_NO${T}seq 5${T}chain head does not match case_chain.head"
expect_break "head's row deleted" "$C8_NO${T}seq 0${T}case_chain.seq says 0 but the chain has 5 events"
expect_break "renumbered case" "140728-2026-煤-000099${T}seq 1${T}event 1: prev_hash does not match the case number's genesis"
expect_break "unaudited case" "$C7_NO${T}seq 0${T}no audit events: the case's registration was not audited"
sl_expect "tampered: nothing else" 9 "$(grep -c . <<<"$OUT")"
sl_expect "tampered: summary" "audit: 8 cases, 33 events checked, 9 breaks" "$ERR"

sl_done || die "some checks failed"
