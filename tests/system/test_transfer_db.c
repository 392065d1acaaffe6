/* test_transfer_db.c — transfers in the database against the fixture's
 * cluster: a transfer list formed from the registered cases (numbers, state,
 * the case's status, nothing formed when nothing waits), answers applied by
 * sl_transfer_apply inside the caller's transaction (receipt, progress, an
 * objection accepted by the node and the case transferred anew), and the
 * refusals (unknown transfer, wrong origin, wrong state) writing nothing. Each
 * case runs on a database of its own from the template (sl_test_pg.h). */
#include "sl_calendar.h"
#include "sl_calendar_db.h"
#include "sl_codec.h"
#include "sl_db.h"
#include "sl_test_pg.h"
#include "sl_transfer.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define NOW 1779933600000LL /* Thursday 2026-05-28 10:00 +08:00 */
#define COAL 1
#define UNIT "140728:emergency"

static sl_transfer_formed_t
s_form(sl_db_t *db, const char *const *subjects)
{
    return sl_test_form_list(db, NOW, subjects, UNIT);
}

/* One case about SUBJECT transferred at NOW; returns its notice number (new
 * string). */
static char *
s_one(sl_db_t *db, const char *subject)
{
    const char *subjects[] = {subject, NULL};
    assert_int_equal(s_form(db, subjects).items, 1);
    return sl_test_value(db, "SELECT notice_no FROM transfer");
}

/* An answer or decision: BODY is one of env's oneof members. */
typedef struct {
    sl_pb_envelope_t env;
    sl_pb_receipt_t receipt;
    sl_pb_progress_t progress;
    sl_pb_objection_t objection;
    sl_pb_decision_t decision;
} s_msg_t;

static void
s_msg_init(s_msg_t *m)
{
    m->env = (sl_pb_envelope_t)SAFELOOP__V1__ENVELOPE__INIT;
    m->env.msg_id = "answer-1";
    m->env.producer = "test";
    m->receipt = (sl_pb_receipt_t)SAFELOOP__V1__RECEIPT__INIT;
    m->progress = (sl_pb_progress_t)SAFELOOP__V1__PROGRESS__INIT;
    m->objection = (sl_pb_objection_t)SAFELOOP__V1__OBJECTION__INIT;
    m->decision = (sl_pb_decision_t)SAFELOOP__V1__DECISION__INIT;
}

static void
s_receipt(s_msg_t *m, const char *notice, const char *from)
{
    s_msg_init(m);
    m->receipt.notice_no = (char *)notice;
    m->receipt.from_unit = (char *)from;
    m->receipt.at = NOW;
    m->receipt.receiver_name = "李科长";
    m->env.body_case = SAFELOOP__V1__ENVELOPE__BODY_RECEIPT;
    m->env.receipt = &m->receipt;
}

static void
s_progress(s_msg_t *m, const char *notice, const char *text)
{
    s_msg_init(m);
    m->progress.notice_no = (char *)notice;
    m->progress.from_unit = UNIT;
    m->progress.at = NOW;
    m->progress.text = (char *)text;
    m->env.body_case = SAFELOOP__V1__ENVELOPE__BODY_PROGRESS;
    m->env.progress = &m->progress;
}

/* Applies M in a transaction of its own (committed when applied, rolled
 * back when refused); returns sl_transfer_apply's result code. */
static int
s_apply(sl_db_t *db, s_msg_t *m, sl_transfer_result_t *res)
{
    sl_calendar_t *cal = NULL;
    assert_int_equal(sl_calendar_load(db, &cal), 0);
    assert_int_equal(sl_db_begin(db), 0);
    int rc = sl_transfer_apply(db, cal, "140728", NOW, &m->env, "test-key",
                               SL_TRANSFER_UPPER_MARGIN, res);
    assert_int_equal(rc == 0 ? sl_db_commit(db) : sl_db_rollback(db), 0);
    sl_calendar_destroy(&cal);
    return rc;
}

/* Everything of the transfers and the audit chains, to compare before and
 * after a refusal. */
static char *
s_snapshot(sl_db_t *db)
{
    return sl_test_value(db, "SELECT (SELECT string_agg(to_jsonb(t)::text, ',' ORDER BY id)"
                             " FROM transfer t) || (SELECT count(*) FROM case_event)::text");
}

/* Two registered cases become one list of two transfers, numbered 1 and 2,
 * issued to the unit, the cases "transferred"; with nothing registered, no
 * list is formed. */
static void
test_list_formed_from_registered_cases(void **state)
{
    sl_test_fix_t *f = *state;
    const char *subjects[] = {"甲煤业有限公司", "乙煤业有限公司", NULL};
    sl_transfer_formed_t out = s_form(f->db, subjects);
    assert_int_equal(out.items, 2);
    assert_true(out.list_no[0] != '\0');
    assert_true(out.list_id > 0);
    assert_false(out.busy);
    sl_test_assert_value(f->db,
                         "SELECT string_agg(seq || ':' || state || ':' || unit_code || ':' ||"
                         " transfer_date, ',' ORDER BY seq) FROM transfer",
                         "1:issued:140728:emergency:2026-05-28,"
                         "2:issued:140728:emergency:2026-05-28");
    sl_test_assert_value(f->db, "SELECT string_agg(DISTINCT status, ',') FROM cases",
                         "transferred");
    sl_test_assert_value(f->db, "SELECT count(*) FROM case_event WHERE kind = 'transferred'", "2");

    sl_calendar_t *cal = NULL;
    assert_int_equal(sl_calendar_load(f->db, &cal), 0);
    sl_transfer_actor_t actor = {.key = "sl-dispatch", .unit = "140728"};
    sl_transfer_formed_t again;
    assert_int_equal(sl_transfer_form_list(f->db, cal, "140728", NOW, -1, true,
                                           &(sl_transfer_form_opts_t){.upper_margin = 1}, &actor,
                                           &again),
                     0);
    sl_calendar_destroy(&cal);
    assert_string_equal(again.list_no, "");
    assert_int_equal(again.items, 0);
    sl_test_assert_value(f->db, "SELECT count(*) FROM transfer_list", "1");
    sl_test_audit_intact(f->db);
}

/* N (up to 4) registered cases, clues "m-a", "m-b", …, the second suspected
 * of a crime (issued one by one, with a police transfer; the unit exists). */
static void
s_register_mixed(sl_db_t *db, int n)
{
    static const char *const subjects[] = {"甲煤业有限公司", "乙煤业有限公司", "丙煤业有限公司",
                                           "丁煤业有限公司"};
    char no[64], msg_id[8];
    for (int i = 0; i < n && i < 4; i++) {
        snprintf(msg_id, sizeof msg_id, "m-%c", 'a' + i);
        sl_test_register(db, NOW, subjects[i], COAL, UNIT, msg_id, no);
    }
    assert_int_equal(sl_db_exec(db, NULL,
                                "UPDATE cases SET suspected_crime = true"
                                " WHERE source_msg_id = 'm-b'",
                                0, NULL),
                     0);
    assert_int_equal(sl_db_exec(db, NULL,
                                "INSERT INTO unit (code, kind, name, dept_key)"
                                " VALUES ('140728:police', 'police', '平遥县公安局', 'police')"
                                " ON CONFLICT (code) DO NOTHING",
                                0, NULL),
                     0);
}

/* The transfers issued, "clue:kind:seq" in number order, are WANT. */
static void
s_assert_issued(sl_db_t *db, const char *want)
{
    sl_test_assert_value(db,
                         "SELECT string_agg(c.source_msg_id || ':' || t.kind || ':' || t.seq, ','"
                         " ORDER BY t.seq) FROM transfer t JOIN cases c ON c.id = t.case_id",
                         want);
}

/* A list mixing cases with only their handling transfer (issued set-based)
 * and one suspected of a crime (issued one by one, its police transfer right
 * after its own): the notice numbers run in the order the cases were
 * claimed, as if each were issued in turn, with one "transferred" event per
 * transfer and every chain intact. */
static void
test_list_mixed_numbers_in_claim_order(void **state)
{
    sl_test_fix_t *f = *state;
    s_register_mixed(f->db, 4);
    const char *none[] = {NULL};
    sl_transfer_formed_t out = s_form(f->db, none);
    assert_int_equal(out.items, 5);
    s_assert_issued(f->db, "m-a:handling:1,m-b:handling:2,m-b:police:3,m-c:handling:4,"
                           "m-d:handling:5");
    sl_test_assert_value(f->db,
                         "SELECT string_agg(DISTINCT status || ':' || unit_code, ',') FROM cases",
                         "transferred:140728:emergency");
    sl_test_assert_value(f->db,
                         "SELECT count(*) || ':' || count(DISTINCT detail::jsonb->>'notice_no')"
                         " FROM case_event WHERE kind = 'transferred'",
                         "5:5");
    sl_test_assert_value(f->db, "SELECT value FROM counter WHERE scope = 'notice'", "5");
    sl_test_audit_intact(f->db);
}

/* A case issued in a set-based run and one issued one by one (it has a
 * police transfer to follow) get the same rows: the handling transfer's
 * columns but its number, the case's status, unit and chain head (the
 * last event's hash, in the one statement that moves the status), and the
 * same "transferred" event but its notice number. */
static void
test_list_set_based_rows_as_one_by_one(void **state)
{
    sl_test_fix_t *f = *state;
    s_register_mixed(f->db, 2);
    const char *none[] = {NULL};
    assert_int_equal(s_form(f->db, none).items, 3);
    sl_test_assert_value(
        f->db,
        "SELECT count(DISTINCT to_jsonb(t) - '{id,notice_no,seq,case_id}'::text[])"
        " || ':' || count(*) FROM transfer t WHERE kind = 'handling'",
        "1:2");
    /* each transfer of the set-based INSERT got its clock row, due (021) */
    sl_test_assert_value(f->db,
                         "SELECT count(*) FROM transfer t LEFT JOIN transfer_clock k"
                         " ON k.transfer_id = t.id WHERE k.due_at IS DISTINCT FROM '-infinity'",
                         "0");
    sl_test_assert_value(f->db,
                         "SELECT count(DISTINCT (detail::jsonb - 'notice_no')::text) || ':' ||"
                         " count(*) FROM case_event WHERE kind = 'transferred'"
                         " AND detail::jsonb->>'kind' IS NULL",
                         "1:2");
    sl_test_assert_value(f->db,
                         "SELECT string_agg(c.source_msg_id || ':' || c.status || ':' ||"
                         " c.unit_code || ':' || h.seq || ':' || (h.head = e.hash),"
                         " ',' ORDER BY c.id)"
                         " FROM cases c JOIN case_chain h ON h.case_id = c.id"
                         " JOIN case_event e ON e.case_id = c.id"
                         " AND e.seq = (SELECT max(seq) FROM case_event WHERE case_id = c.id)",
                         "m-a:transferred:140728:emergency:2:true,"
                         "m-b:transferred:140728:emergency:3:true");
    sl_test_audit_intact(f->db);
}

/* Says stop at its Nth question (the int ARG counts down). */
static bool
s_stop_at(void *arg)
{
    int *left = arg;
    return --*left <= 0;
}

/* Asked to stop at each step in turn, list formation rolls everything back
 * (no transfer, list, number or event; the cases stay registered) and says
 * so; the next formation issues the same list as if nothing had happened. */
static void
test_list_stopped_rolls_back(void **state)
{
    sl_test_fix_t *f = *state;
    s_register_mixed(f->db, 3);
    char *before = s_snapshot(f->db);
    sl_calendar_t *cal = NULL;
    assert_int_equal(sl_calendar_load(f->db, &cal), 0);
    sl_transfer_actor_t actor = {.key = "sl-dispatch", .unit = "140728"};
    for (int at = 1; at <= 5; at++) { /* before the rows, the run's two round trips, m-b, m-c */
        int left = at;
        sl_transfer_form_opts_t opts = {.upper_margin = 1, .stop = s_stop_at, .stop_arg = &left};
        sl_transfer_formed_t out;
        assert_int_equal(
            sl_transfer_form_list(f->db, cal, "140728", NOW, -1, true, &opts, &actor, &out), 0);
        assert_true(out.stopped);
        assert_int_equal(out.items, 0);
        char *after = s_snapshot(f->db);
        assert_string_equal(after, before);
        free(after);
        sl_test_assert_value(f->db,
                             "SELECT (SELECT count(*) FROM transfer_list) || ':' ||"
                             " (SELECT count(*) FROM counter WHERE scope IN ('notice', 'list'))"
                             " || ':' || (SELECT string_agg(DISTINCT status, ',') FROM cases)",
                             "0:0:registered");
    }
    sl_calendar_destroy(&cal);
    const char *none[] = {NULL};
    sl_transfer_formed_t out = s_form(f->db, none);
    assert_false(out.stopped);
    assert_int_equal(out.items, 4);
    s_assert_issued(f->db, "m-a:handling:1,m-b:handling:2,m-b:police:3,m-c:handling:4");
    sl_test_assert_value(f->db, "SELECT string_agg(seq::text, ',') FROM transfer_list", "1");
    sl_test_audit_intact(f->db);
    free(before);
}

/* The unit signs for its transfer, then reports progress: the transfer's
 * state and the case's status follow, each step audited. */
static void
test_receipt_then_progress(void **state)
{
    sl_test_fix_t *f = *state;
    char *notice = s_one(f->db, "丙煤业有限公司");
    s_msg_t m;
    sl_transfer_result_t res;
    s_receipt(&m, notice, UNIT);
    assert_int_equal(s_apply(f->db, &m, &res), 0);
    assert_string_equal(res.state, "received");
    assert_string_equal(res.ref, notice);
    assert_string_equal(res.topic, "transfer.received");
    sl_test_assert_value(f->db,
                         "SELECT t.state || ':' || c.status || ':' || t.receiver_name FROM"
                         " transfer t JOIN cases c ON c.id = t.case_id",
                         "received:received:李科长");

    s_progress(&m, notice, "已派员现场核查");
    assert_int_equal(s_apply(f->db, &m, &res), 0);
    assert_string_equal(res.state, "in_progress");
    sl_test_assert_value(f->db, "SELECT string_agg(kind, ',' ORDER BY seq) FROM case_event",
                         "registered,transferred,received,progress");
    sl_test_audit_intact(f->db);
    free(notice);
}

/* The deadline clock's touch (migrations 007, 020, 021): a new transfer is due
 * at once; once the tick has set its next instant, an announcement's stamp
 * leaves it, a receipt makes it due again. */
static void
test_clock_touched_by_what_it_reads(void **state)
{
    sl_test_fix_t *f = *state;
    char *notice = s_one(f->db, "庚煤业有限公司");
    sl_test_assert_value(f->db, "SELECT due_at FROM transfer_clock", "-infinity");
    assert_int_equal(sl_db_exec(f->db, NULL, "UPDATE transfer_clock SET due_at = NULL", 0, NULL), 0);
    assert_int_equal(sl_db_exec(f->db, NULL,
                                "UPDATE transfer SET announced_at = now(),"
                                " announce_count = announce_count + 1",
                                0, NULL),
                     0);
    sl_test_assert_value(f->db, "SELECT coalesce(due_at::text, 'null') FROM transfer_clock",
                         "null");
    s_msg_t m;
    sl_transfer_result_t res;
    s_receipt(&m, notice, UNIT);
    assert_int_equal(s_apply(f->db, &m, &res), 0);
    sl_test_assert_value(f->db, "SELECT due_at FROM transfer_clock", "-infinity");
    free(notice);
}

/* Refused answers write nothing: an unknown notice, an answer from another
 * unit, a progress report before the receipt. */
static void
test_refusals_write_nothing(void **state)
{
    sl_test_fix_t *f = *state;
    char *notice = s_one(f->db, "丁煤业有限公司");
    char *before = s_snapshot(f->db);
    s_msg_t m;
    sl_transfer_result_t res;

    s_receipt(&m, "140728-2026-煤-交-999999", UNIT);
    assert_int_equal(s_apply(f->db, &m, &res), SL_DECLINED);
    assert_string_equal(res.err.code, "unknown_transfer");

    s_receipt(&m, notice, "140728:market");
    assert_int_equal(s_apply(f->db, &m, &res), SL_DECLINED);
    assert_string_equal(res.err.code, "wrong_origin");

    s_progress(&m, notice, "未签收先报进展");
    assert_int_equal(s_apply(f->db, &m, &res), SL_DECLINED);
    assert_string_equal(res.err.code, "wrong_state:issued");

    char *after = s_snapshot(f->db);
    assert_string_equal(after, before);
    free(after);
    free(before);
    free(notice);
}

/* The unit objects, naming another; the node accepts: the transfer closes
 * and a new one goes to the unit the decision names. */
static void
test_objection_accepted_transfers_anew(void **state)
{
    sl_test_fix_t *f = *state;
    char *notice = s_one(f->db, "戊煤业有限公司");
    s_msg_t m;
    sl_transfer_result_t res;
    s_receipt(&m, notice, UNIT);
    assert_int_equal(s_apply(f->db, &m, &res), 0);

    s_msg_init(&m);
    m.objection.notice_no = notice;
    m.objection.from_unit = UNIT;
    m.objection.at = NOW;
    m.objection.reason = "该企业属市场监管部门监管";
    m.objection.suggested_unit = "140728:market";
    m.env.body_case = SAFELOOP__V1__ENVELOPE__BODY_OBJECTION;
    m.env.objection = &m.objection;
    assert_int_equal(s_apply(f->db, &m, &res), 0);
    assert_string_equal(res.state, "objected");

    s_msg_init(&m);
    m.decision.notice_no = notice;
    m.decision.from_unit = "140728";
    m.decision.at = NOW;
    m.decision.kind = SAFELOOP__V1__DECISION__KIND__OBJECTION_ACCEPT;
    m.decision.reason = "异议成立";
    m.decision.to_unit = "140728:market";
    m.env.body_case = SAFELOOP__V1__ENVELOPE__BODY_DECISION;
    m.env.decision = &m.decision;
    assert_int_equal(s_apply(f->db, &m, &res), 0);
    assert_string_not_equal(res.ref, notice); /* the new transfer's number */
    sl_test_assert_value(f->db,
                         "SELECT string_agg(state || ':' || unit_code, ',' ORDER BY id)"
                         " FROM transfer",
                         "closed:140728:emergency,issued:140728:market");
    sl_test_assert_value(f->db, "SELECT unit_code FROM cases", "140728:market");
    sl_test_audit_intact(f->db);
    free(notice);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_list_formed_from_registered_cases, sl_test_fix_setup,
                                        sl_test_fix_teardown),
        cmocka_unit_test_setup_teardown(test_list_mixed_numbers_in_claim_order, sl_test_fix_setup,
                                        sl_test_fix_teardown),
        cmocka_unit_test_setup_teardown(test_list_set_based_rows_as_one_by_one, sl_test_fix_setup,
                                        sl_test_fix_teardown),
        cmocka_unit_test_setup_teardown(test_list_stopped_rolls_back, sl_test_fix_setup,
                                        sl_test_fix_teardown),
        cmocka_unit_test_setup_teardown(test_receipt_then_progress, sl_test_fix_setup,
                                        sl_test_fix_teardown),
        cmocka_unit_test_setup_teardown(test_clock_touched_by_what_it_reads, sl_test_fix_setup,
                                        sl_test_fix_teardown),
        cmocka_unit_test_setup_teardown(test_refusals_write_nothing, sl_test_fix_setup,
                                        sl_test_fix_teardown),
        cmocka_unit_test_setup_teardown(test_objection_accepted_transfers_anew, sl_test_fix_setup,
                                        sl_test_fix_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
