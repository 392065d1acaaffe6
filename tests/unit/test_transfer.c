/* test_transfer.c — unit tests of the transfer state machine, its deadlines,
 * the dispatch schedule, notice numbers, the annex-3 notice and the
 * validation of answers.
 *
 * Every (state, message) pair of sl_transfer_fsm is checked against a table
 * written out here independently, so a changed cell fails the test; the
 * deadlines are checked on the shipped State Council notices across the 2022
 * Spring Festival, National Day 2021 and an ordinary week. */
#include "sl_calendar.h"
#include "sl_clock.h"
#include "sl_codec.h"
#include "sl_notice.h"
#include "sl_transfer.h"
#include "sl_deadline.h"
#include "sl_transfer_fsm.h"
#include "sl_util.h"
#include "sl_validate.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static int32_t
D(const char *s)
{
    int32_t day;
    if (sl_date_parse(s, &day) != 0)
        fail_msg("bad date in test: %s", s);
    return day;
}

static void
s_assert_date(int32_t day, const char *want)
{
    char buf[11];
    sl_date_format(day, buf);
    assert_string_equal(buf, want);
}

/* The shipped calendar 2021–2026, those years' notices marked loaded. */
static int
s_setup(void **state)
{
    char *path = sl_asprintf("%s/schema/data/cn_calendar.csv", SL_SOURCE_DIR);
    size_t len;
    char *text = sl_read_file(path, &len);
    free(path);
    if (!text)
        return -1;
    sl_calendar_day_t *days;
    size_t n;
    char *err = NULL;
    int rc = sl_calendar_parse_csv(text, len, 0, &days, &n, &err);
    free(text);
    if (rc != 0) {
        free(err);
        return -1;
    }
    sl_calendar_t *cal = sl_calendar_new();
    for (size_t i = 0; i < n; i++)
        sl_calendar_add(cal, days[i].day, days[i].kind);
    sl_calendar_days_free(days, n);
    for (int y = 2021; y <= 2026; y++)
        sl_calendar_add_year(cal, y);
    *state = cal;
    return 0;
}

static int
s_teardown(void **state)
{
    sl_calendar_t *cal = *state;
    sl_calendar_destroy(&cal);
    return 0;
}

/* The expected machine: next state name, or the refusal code. */
// clang-format off
static const char *const s_expect[SL_TS_COUNT][SL_TM_COUNT] = {
    /*               receipt                 objection               progress
                     feedback                accept                  reject
                     verify_pass             verify_fail             reopen */
    [SL_TS_ISSUED] = {"received", "objected", "wrong_state:issued", "wrong_state:issued",
                      "wrong_state:issued", "wrong_state:issued", "wrong_state:issued",
                      "wrong_state:issued", "wrong_state:issued"},
    [SL_TS_RECEIVED] = {"wrong_state:received", "objected", "in_progress", "fed_back",
                        "wrong_state:received", "wrong_state:received", "wrong_state:received",
                        "wrong_state:received", "wrong_state:received"},
    [SL_TS_OBJECTED] = {"wrong_state:objected", "wrong_state:objected", "wrong_state:objected",
                        "wrong_state:objected", "closed", "received", "wrong_state:objected",
                        "wrong_state:objected", "wrong_state:objected"},
    [SL_TS_IN_PROGRESS] = {"wrong_state:in_progress", "objected", "in_progress", "fed_back",
                           "wrong_state:in_progress", "wrong_state:in_progress",
                           "wrong_state:in_progress", "wrong_state:in_progress",
                           "wrong_state:in_progress"},
    [SL_TS_FED_BACK] = {"wrong_state:fed_back", "wrong_state:fed_back", "wrong_state:fed_back",
                        "wrong_state:fed_back", "wrong_state:fed_back", "wrong_state:fed_back",
                        "closed", "received", "wrong_state:fed_back"},
    [SL_TS_CLOSED] = {"wrong_state:closed", "wrong_state:closed", "wrong_state:closed",
                      "wrong_state:closed", "wrong_state:closed", "wrong_state:closed",
                      "wrong_state:closed", "wrong_state:closed", "fed_back"},
};
// clang-format on

static void
test_every_pair(void **state)
{
    (void)state;
    /* inside the objection window */
    sl_transfer_guard_t open = {.today = D("2022-01-28"), .objection_deadline = D("2022-01-30")};
    for (int s = 0; s < SL_TS_COUNT; s++) {
        for (int m = 0; m < SL_TM_COUNT; m++) {
            sl_transfer_outcome_t out;
            sl_transfer_step((sl_transfer_state_t)s, (sl_transfer_msg_t)m, &open, &out);
            const char *got = out.applied ? sl_transfer_state_name(out.next) : out.code;
            if (strcmp(got, s_expect[s][m]) != 0)
                fail_msg("%s × %s: got %s, want %s", sl_transfer_state_name(s),
                         sl_transfer_msg_name(m), got, s_expect[s][m]);
            assert_true(out.applied ? out.code[0] == '\0' : out.text[0] != '\0');
        }
    }
}

static void
test_objection_window(void **state)
{
    (void)state;
    sl_transfer_outcome_t out;
    sl_transfer_guard_t last = {.today = D("2022-01-30"), .objection_deadline = D("2022-01-30")};
    sl_transfer_guard_t late = {.today = D("2022-01-31"), .objection_deadline = D("2022-01-30")};
    const sl_transfer_state_t may[] = {SL_TS_ISSUED, SL_TS_RECEIVED, SL_TS_IN_PROGRESS};
    for (size_t i = 0; i < SL_ARRAY_LEN(may); i++) {
        sl_transfer_step(may[i], SL_TM_OBJECTION, &last, &out);
        assert_true(out.applied); /* the whole last day counts */
        assert_int_equal(out.next, SL_TS_OBJECTED);
        sl_transfer_step(may[i], SL_TM_OBJECTION, &late, &out);
        assert_false(out.applied);
        assert_string_equal(out.code, "objection_window_closed");
        assert_non_null(strstr(out.text, "2022-01-30"));
    }
    /* the state decides first: a closed transfer is closed, whatever the date */
    sl_transfer_step(SL_TS_CLOSED, SL_TM_OBJECTION, &late, &out);
    assert_string_equal(out.code, "wrong_state:closed");
    /* the window guards objections only */
    for (int m = 0; m < SL_TM_COUNT; m++) {
        if (m == SL_TM_OBJECTION)
            continue;
        for (int s = 0; s < SL_TS_COUNT; s++) {
            sl_transfer_outcome_t a, b;
            sl_transfer_step((sl_transfer_state_t)s, (sl_transfer_msg_t)m, &late, &a);
            sl_transfer_step((sl_transfer_state_t)s, (sl_transfer_msg_t)m, NULL, &b);
            assert_int_equal(a.applied, b.applied);
            assert_string_equal(a.code, b.code);
        }
    }
    /* out-of-range values are refused, not undefined */
    sl_transfer_step(SL_TS_COUNT, SL_TM_RECEIPT, NULL, &out);
    assert_false(out.applied);
    sl_transfer_step(SL_TS_ISSUED, SL_TM_COUNT, NULL, &out);
    assert_false(out.applied);
}

static void
test_names(void **state)
{
    (void)state;
    for (int s = 0; s < SL_TS_COUNT; s++)
        assert_int_equal(sl_transfer_state_parse(sl_transfer_state_name(s)), s);
    assert_int_equal(sl_transfer_state_parse("nonsense"), -1);
    assert_string_equal(sl_transfer_case_status(SL_TS_ISSUED), "transferred");
    assert_string_equal(sl_transfer_case_status(SL_TS_FED_BACK), "fed_back");
    assert_string_equal(sl_transfer_case_status(SL_TS_CLOSED), "closed");
}

/* transfer day → objection (no receipt), feedback */
static void
s_deadlines(const sl_calendar_t *cal, const char *tday, int32_t rday, const char *obj,
            const char *fb, int unknown_want)
{
    int32_t o, f;
    int unknown = -1;
    sl_transfer_deadlines(cal, D(tday), rday, &o, &f, &unknown);
    s_assert_date(o, obj);
    s_assert_date(f, fb);
    assert_int_equal(unknown, unknown_want);
}

static void
test_deadlines(void **state)
{
    const sl_calendar_t *cal = *state;
    /* Spring Festival 2022: Jan 29 (Sat) and 30 (Sun) work, Jan 31–Feb 6 off */
    s_deadlines(cal, "2022-01-28", -1, "2022-01-30", "2022-02-11", 0);
    /* received on Jan 30: two working days after it are Feb 7 and 8 */
    s_deadlines(cal, "2022-01-28", D("2022-01-30"), "2022-02-08", "2022-02-11", 0);
    /* National Day 2021: Oct 1–7 off, Oct 9 (Sat) works */
    s_deadlines(cal, "2021-09-30", -1, "2021-10-09", "2021-10-15", 0);
    /* an ordinary week: Tuesday → Thursday, and the Thursday after next */
    s_deadlines(cal, "2022-03-15", -1, "2022-03-17", "2022-03-24", 0);
    /* a Friday: over the weekend */
    s_deadlines(cal, "2022-03-18", -1, "2022-03-22", "2022-03-29", 0);
    /* 2027 has no notice: weekends only, and the year is named */
    s_deadlines(cal, "2027-09-30", -1, "2027-10-04", "2027-10-11", 2027);
    /* the last days of 2026 reach into 2027 only with the feedback deadline */
    s_deadlines(cal, "2026-12-21", -1, "2026-12-23", "2026-12-30", 0);
    s_deadlines(cal, "2026-12-28", -1, "2026-12-30", "2027-01-06", 2027);
    char warn[256];
    sl_transfer_calendar_warning(2027, warn, sizeof warn);
    assert_non_null(strstr(warn, "2027年"));
    assert_non_null(strstr(warn, "slctl calendar import FILE.csv --year 2027"));
    sl_transfer_calendar_warning(0, warn, sizeof warn);
    assert_string_equal(warn, "");
}

static int64_t
T(const char *iso)
{
    int64_t ms;
    if (sl_time_parse_iso(iso, &ms) != 0)
        fail_msg("bad time in test: %s", iso);
    return ms;
}

static void
test_rounds(void **state)
{
    (void)state;
    int32_t start = D("2022-01-11");
    int nine = 9 * 60;
    /* before the first round */
    assert_int_equal(sl_transfer_round(start, 2, nine, T("2022-01-10T12:00:00+08:00")), -1);
    assert_int_equal(sl_transfer_round(start, 2, nine, T("2022-01-11T08:59:00+08:00")), -1);
    /* every other day (隔日交办) at 09:00 */
    assert_int_equal(sl_transfer_round(start, 2, nine, T("2022-01-11T09:00:00+08:00")), start);
    assert_int_equal(sl_transfer_round(start, 2, nine, T("2022-01-12T18:00:00+08:00")), start);
    assert_int_equal(sl_transfer_round(start, 2, nine, T("2022-01-13T08:00:00+08:00")), start);
    assert_int_equal(sl_transfer_round(start, 2, nine, T("2022-01-13T09:30:00+08:00")),
                     D("2022-01-13"));
    /* daily */
    assert_int_equal(sl_transfer_round(start, 1, nine, T("2022-02-01T10:00:00+08:00")),
                     D("2022-02-01"));
    assert_int_equal(sl_transfer_round(start, 1, nine, T("2022-02-01T08:00:00+08:00")),
                     D("2022-01-31"));
    /* interval 0 has no schedule: lists form on every scan */
    assert_int_equal(sl_transfer_round(start, 0, nine, T("2022-02-01T10:00:00+08:00")), -1);
}

static void
test_numbers(void **state)
{
    (void)state;
    char buf[64];
    sl_transfer_notice_number(buf, sizeof buf, "煤", 2021, 1);
    assert_string_equal(buf, "（煤）移〔2021〕1号");
    sl_transfer_notice_number(buf, sizeof buf, "非煤", 2026, 17);
    assert_string_equal(buf, "（非煤）移〔2026〕17号");
    sl_transfer_list_number(buf, sizeof buf, 2022, 3);
    assert_string_equal(buf, "交办清单〔2022〕第3期");
}

static void
test_notice_html(void **state)
{
    (void)state;
    sl_notice_t n = {.notice_no = "（煤）移〔2022〕1号",
                     .list_no = "交办清单〔2022〕第1期",
                     .office = "平遥县“百日攻坚”集中行动领导组办公室",
                     .receiver = "平遥县应急管理局",
                     .case_no = "140728-2022-煤-000001",
                     .received_date = "2022-01-27",
                     .channel = "HOTLINE",
                     .subject = "<script>某煤业</script> & Co",
                     .place = "平遥县",
                     .sector = "煤矿",
                     .transfer_date = "2022-01-28",
                     .objection_deadline = "2022-01-30",
                     .feedback_deadline = "2022-02-11",
                     .suspected_crime = true,
                     .calendar_warning = ""};
    char *html = sl_notice_html(&n);
    assert_non_null(strstr(html, "<!DOCTYPE html>"));
    assert_non_null(strstr(html, "（煤）移〔2022〕1号"));
    assert_non_null(strstr(html, "平遥县应急管理局："));
    assert_non_null(strstr(html, "2022年1月27日，平遥县“百日攻坚”集中行动领导组办公室接到群众"
                                 "通过举报热线反映"));
    assert_non_null(strstr(html, "2022年1月30日前"));
    assert_non_null(strstr(html, "2022年2月11日前"));
    assert_non_null(strstr(html, "我办已同时移送公安机关依法调查处理"));
    assert_non_null(strstr(html, "@media print"));
    assert_non_null(strstr(html, "（代章）"));
    /* values are escaped */
    assert_null(strstr(html, "<script>"));
    assert_non_null(strstr(html, "&lt;script&gt;某煤业&lt;/script&gt; &amp; Co"));
    assert_null(strstr(html, "提示："));
    free(html);
    n.calendar_warning = "2027年节假日安排未导入";
    n.replaces = "（煤）移〔2022〕2号";
    n.list_no = "";
    html = sl_notice_html(&n);
    assert_non_null(strstr(html, "提示：2027年节假日安排未导入"));
    assert_non_null(strstr(html, "原交办文号（煤）移〔2022〕2号的交办事项因异议成立而改派"));
    free(html);
}

static void
s_expect_code(const sl_pb_envelope_t *env, const char *code)
{
    sl_codec_error_t err = {{0}, {0}};
    int rc = sl_validate_answer(env, &err);
    if (!code) {
        if (rc != 0)
            fail_msg("expected valid, got %s (%s)", err.code, err.text);
        return;
    }
    assert_int_equal(rc, SL_DECLINED);
    assert_string_equal(err.code, code);
    assert_true(err.text[0] != '\0');
}

static void
test_validate_answers(void **state)
{
    (void)state;
    sl_pb_envelope_t env = SL_PB_ENVELOPE_INIT;
    env.msg_id = "m1";
    sl_pb_feedback_t fb = SAFELOOP__V1__FEEDBACK__INIT;
    sl_pb_sign_off_t so = SAFELOOP__V1__SIGN_OFF__INIT;
    env.body_case = SAFELOOP__V1__ENVELOPE__BODY_FEEDBACK;
    env.feedback = &fb;
    s_expect_code(&env, "missing_field:notice_no");
    fb.notice_no = "（煤）移〔2022〕1号";
    s_expect_code(&env, "missing_field:from_unit");
    fb.from_unit = "140728:emergency";
    s_expect_code(&env, "missing_field:violation_nature");
    fb.violation_nature = "非法违法生产经营";
    s_expect_code(&env, "missing_signoff");
    fb.sign_off = &so;
    so.leader_name = "王县长";
    s_expect_code(&env, "missing_signoff");
    so.leader_title = "县长";
    s_expect_code(&env, "missing_signoff"); /* no time */
    so.signed_at = 1643331600000;
    s_expect_code(&env, NULL);
    fb.penalty_fen = -1;
    s_expect_code(&env, "bad_field:penalty_fen");
    fb.penalty_fen = 0;
    fb.rectify_by = "2022-02-30";
    s_expect_code(&env, "bad_field:rectify_by");

    sl_pb_receipt_t rc = SAFELOOP__V1__RECEIPT__INIT;
    env.body_case = SAFELOOP__V1__ENVELOPE__BODY_RECEIPT;
    env.receipt = &rc;
    rc.notice_no = "n";
    rc.from_unit = "140728:emergency";
    s_expect_code(&env, "missing_field:at");
    rc.at = 1643331600000;
    s_expect_code(&env, NULL);

    sl_pb_objection_t ob = SAFELOOP__V1__OBJECTION__INIT;
    env.body_case = SAFELOOP__V1__ENVELOPE__BODY_OBJECTION;
    env.objection = &ob;
    ob.notice_no = "n";
    ob.from_unit = "140728:emergency";
    ob.reason = "  ";
    s_expect_code(&env, "missing_field:reason");

    sl_pb_progress_t pr = SAFELOOP__V1__PROGRESS__INIT;
    env.body_case = SAFELOOP__V1__ENVELOPE__BODY_PROGRESS;
    env.progress = &pr;
    pr.notice_no = "n";
    pr.from_unit = "u";
    s_expect_code(&env, "missing_field:text");

    sl_pb_decision_t dc = SAFELOOP__V1__DECISION__INIT;
    env.body_case = SAFELOOP__V1__ENVELOPE__BODY_DECISION;
    env.decision = &dc;
    dc.notice_no = "n";
    dc.from_unit = "140728";
    s_expect_code(&env, "missing_field:kind");
    dc.kind = SAFELOOP__V1__DECISION__KIND__OBJECTION_REJECT;
    s_expect_code(&env, "missing_field:reason");
    dc.kind = SAFELOOP__V1__DECISION__KIND__OBJECTION_ACCEPT;
    s_expect_code(&env, NULL);
    /* SUPERVISE names its case, not a notice (test_ledger.c has the rest);
     * SUPERVISE_END is recorded when a listed case closes, never sent */
    dc.kind = SAFELOOP__V1__DECISION__KIND__SUPERVISE;
    s_expect_code(&env, "missing_field:case_no");
    dc.kind = SAFELOOP__V1__DECISION__KIND__SUPERVISE_END;
    s_expect_code(&env, "bad_field:kind");

    env.body_case = SAFELOOP__V1__ENVELOPE__BODY__NOT_SET;
    s_expect_code(&env, "unknown_body");
}

/* 两移交 once per clue, by the level that handles the case (issue 16 §2). */
static void
test_two_transfers_duty(void **state)
{
    (void)state;
    /* this level's department handles it: issue, once */
    assert_int_equal(sl_transfer_two_duty("HOTLINE", false, false), SL_TWO_ISSUE);
    assert_int_equal(sl_transfer_two_duty("UPPER_TRANSFER", false, false), SL_TWO_ISSUE);
    assert_int_equal(sl_transfer_two_duty("HOTLINE", false, true), SL_TWO_ISSUED);
    /* handed down to a lower government: its duty, whatever the channel */
    assert_int_equal(sl_transfer_two_duty("HOTLINE", true, false), SL_TWO_BELOW);
    assert_int_equal(sl_transfer_two_duty("UPPER_TRANSFER", true, false), SL_TWO_BELOW);
    /* a verification case raised by escalation issues none again */
    assert_int_equal(sl_transfer_two_duty("escalation", false, false), SL_TWO_ESCALATION);
    assert_int_equal(sl_transfer_two_duty("escalation", true, false), SL_TWO_ESCALATION);
    assert_int_equal(sl_transfer_two_duty(NULL, false, false), SL_TWO_ISSUE);
}

/* 挂牌督办 where levels meet: the node whose department handles the case
 * lists it; one whose case is with a lower government gives its lead
 * department the copy, once; a case not under 挂牌督办 gets neither. */
static void
test_supervise_rule(void **state)
{
    (void)state;
    assert_int_equal(sl_transfer_supervise_rule(true, "140728:emergency", false),
                     SL_SUPERVISE_LIST_HERE);
    assert_int_equal(sl_transfer_supervise_rule(true, "140728:emergency", true),
                     SL_SUPERVISE_LIST_HERE);
    assert_int_equal(sl_transfer_supervise_rule(true, "140728", false), SL_SUPERVISE_COPY_BELOW);
    assert_int_equal(sl_transfer_supervise_rule(true, "140728", true), SL_SUPERVISE_NONE);
    assert_int_equal(sl_transfer_supervise_rule(false, "140728", false), SL_SUPERVISE_NONE);
    assert_int_equal(sl_transfer_supervise_rule(false, "140728:emergency", false),
                     SL_SUPERVISE_NONE);
    assert_int_equal(sl_transfer_supervise_rule(true, "", false), SL_SUPERVISE_NONE);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_pair),
        cmocka_unit_test(test_objection_window),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_deadlines),
        cmocka_unit_test(test_rounds),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_notice_html),
        cmocka_unit_test(test_validate_answers),
        cmocka_unit_test(test_two_transfers_duty),
        cmocka_unit_test(test_supervise_rule),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
