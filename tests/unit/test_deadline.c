/* test_deadline.c — the clocks of sl_deadline.h on the shipped calendar:
 * reminders a working day before (across Spring Festival 2022 and its make-up
 * Sunday), overdue the day after, 接而不办 counting from the receipt or the
 * last progress, the objection window, catching up after downtime, calendar
 * warnings, report due dates of a campaign's weeks and months, phase
 * boundaries. */
#include "sl_calendar.h"
#include "sl_clock.h"
#include "sl_deadline.h"
#include "sl_util.h"

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

static int64_t
T(const char *iso)
{
    int64_t ms;
    if (sl_time_parse_iso(iso, &ms) != 0)
        fail_msg("bad time in test: %s", iso);
    return ms;
}

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

static sl_clock_facts_t
s_facts(const char *objection, const char *feedback)
{
    sl_clock_facts_t f = {.state = SL_TS_ISSUED,
                          .receipt_day = -1,
                          .last_progress_day = -1,
                          .fed_back_day = -1,
                          .objection_deadline = D(objection),
                          .feedback_deadline = D(feedback),
                          .not_handled_days = 3};
    return f;
}

static void
test_reminder_and_overdue(void **state)
{
    const sl_calendar_t *cal = *state;
    /* issued 2022-01-28: objection by 01-30, feedback by 02-11 (a Friday) */
    sl_clock_facts_t f = s_facts("2022-01-30", "2022-02-11");
    sl_clock_due_t d;
    sl_deadline_check(cal, &f, T("2022-01-28T09:00:00+08:00"), &d);
    assert_false(d.accept || d.remind || d.overdue || d.not_handled);
    assert_int_equal(d.next_ms, T("2022-01-31T00:00:00+08:00")); /* the window closes */
    sl_deadline_check(cal, &f, T("2022-02-09T23:59:59+08:00"), &d);
    assert_true(d.accept);
    assert_false(d.remind);
    f.accepted = true;
    sl_deadline_check(cal, &f, T("2022-02-09T23:59:59+08:00"), &d);
    assert_int_equal(d.remind_day, D("2022-02-10"));
    assert_int_equal(d.next_ms, T("2022-02-10T00:00:00+08:00"));
    sl_deadline_check(cal, &f, T("2022-02-10T00:00:00+08:00"), &d);
    assert_true(d.remind);
    assert_false(d.overdue);
    f.reminded = true;
    sl_deadline_check(cal, &f, T("2022-02-10T08:00:00+08:00"), &d);
    assert_false(d.remind);
    assert_int_equal(d.next_ms, T("2022-02-12T00:00:00+08:00")); /* the end of 02-11 */
    sl_deadline_check(cal, &f, T("2022-02-11T23:59:59+08:00"), &d);
    assert_false(d.overdue);
    sl_deadline_check(cal, &f, T("2022-02-12T00:00:00+08:00"), &d);
    assert_true(d.overdue);
    f.overdue = true;
    sl_deadline_check(cal, &f, T("2022-03-01T00:00:00+08:00"), &d);
    assert_false(d.overdue || d.remind);
    assert_int_equal(d.next_ms, SL_DEADLINE_NEVER);
}

static void
test_reminder_across_spring_festival(void **state)
{
    const sl_calendar_t *cal = *state;
    /* 2022-02-07 is the first working day after the holiday (01-31 … 02-06);
     * the working day before it is Sunday 01-30, a make-up working day. */
    assert_int_equal(sl_deadline_prev_workday(cal, D("2022-02-07"), NULL), D("2022-01-30"));
    /* and before Monday 2022-01-10 is Friday 01-07 */
    assert_int_equal(sl_deadline_prev_workday(cal, D("2022-01-10"), NULL), D("2022-01-07"));
    /* after National Day 2021 (10-01 … 10-07): Thursday 09-30 */
    assert_int_equal(sl_deadline_prev_workday(cal, D("2021-10-08"), NULL), D("2021-09-30"));
}

static void
test_catch_up_after_downtime(void **state)
{
    const sl_calendar_t *cal = *state;
    sl_clock_facts_t f = s_facts("2022-01-30", "2022-02-11");
    sl_clock_due_t d;
    /* down from before the window closed until after the deadline: all at once */
    sl_deadline_check(cal, &f, T("2022-02-20T10:00:00+08:00"), &d);
    assert_true(d.accept && d.remind && d.overdue);
    assert_int_equal(d.next_ms, SL_DEADLINE_NEVER);
}

static void
test_states(void **state)
{
    const sl_calendar_t *cal = *state;
    sl_clock_due_t d;
    int64_t late = T("2022-02-20T10:00:00+08:00");
    /* an objection waiting for a decision: no acceptance, no feedback clocks */
    sl_clock_facts_t f = s_facts("2022-01-30", "2022-02-11");
    f.state = SL_TS_OBJECTED;
    sl_deadline_check(cal, &f, late, &d);
    assert_false(d.accept || d.remind || d.overdue || d.not_handled);
    /* fed back on time: accepted, nothing else */
    f.state = SL_TS_FED_BACK;
    f.fed_back_day = D("2022-02-11");
    sl_deadline_check(cal, &f, late, &d);
    assert_true(d.accept);
    assert_false(d.remind || d.overdue);
    /* fed back a day late: overdue all the same (not finished on time) */
    f.fed_back_day = D("2022-02-12");
    sl_deadline_check(cal, &f, late, &d);
    assert_true(d.overdue);
    /* closed after an accepted objection: nothing */
    f = s_facts("2022-01-30", "2022-02-11");
    f.state = SL_TS_CLOSED;
    sl_deadline_check(cal, &f, late, &d);
    assert_false(d.accept || d.remind || d.overdue || d.not_handled);
    assert_int_equal(d.next_ms, SL_DEADLINE_NEVER);
}

static void
test_not_handled(void **state)
{
    const sl_calendar_t *cal = *state;
    /* received Tuesday 2022-01-04; 3 working days without progress: 01-05,
     * 01-06, 01-07 → flagged when Friday 01-07 ends */
    sl_clock_facts_t f = s_facts("2022-01-06", "2022-01-12");
    f.state = SL_TS_RECEIVED;
    f.receipt_day = D("2022-01-04");
    f.accepted = f.reminded = true;
    sl_clock_due_t d;
    sl_deadline_check(cal, &f, T("2022-01-07T23:00:00+08:00"), &d);
    assert_false(d.not_handled);
    assert_int_equal(d.idle_until, D("2022-01-07"));
    assert_int_equal(d.next_ms, T("2022-01-08T00:00:00+08:00"));
    sl_deadline_check(cal, &f, T("2022-01-08T00:00:00+08:00"), &d);
    assert_true(d.not_handled);
    /* progress on Thursday 01-06 restarts the count: 01-07, 01-10, 01-11 */
    f.state = SL_TS_IN_PROGRESS;
    f.last_progress_day = D("2022-01-06");
    sl_deadline_check(cal, &f, T("2022-01-10T12:00:00+08:00"), &d);
    assert_false(d.not_handled);
    assert_int_equal(d.idle_until, D("2022-01-11"));
    sl_deadline_check(cal, &f, T("2022-01-12T00:00:00+08:00"), &d);
    assert_true(d.not_handled);
    /* across Spring Festival: received 01-28 (Fri), then 01-29 and 01-30 are
     * make-up working days, 01-31 … 02-06 holidays */
    f = s_facts("2022-01-30", "2022-02-11");
    f.state = SL_TS_RECEIVED;
    f.receipt_day = D("2022-01-28");
    f.not_handled_days = 3;
    sl_deadline_check(cal, &f, T("2022-01-28T12:00:00+08:00"), &d);
    assert_int_equal(d.idle_until, D("2022-02-07"));
    /* an issued transfer (no receipt) is never 接而不办 */
    f.state = SL_TS_ISSUED;
    f.receipt_day = -1;
    sl_deadline_check(cal, &f, T("2022-03-28T12:00:00+08:00"), &d);
    assert_false(d.not_handled);
    assert_true(d.overdue);
}

static void
test_calendar_warning(void **state)
{
    const sl_calendar_t *cal = *state;
    /* 2027 has no notice loaded: a deadline there is counted on weekends only
     * and the year is reported */
    sl_clock_facts_t f = s_facts("2027-01-06", "2027-01-12");
    sl_clock_due_t d;
    sl_deadline_check(cal, &f, T("2027-01-04T09:00:00+08:00"), &d);
    assert_int_equal(d.unknown_year, 2027);
    assert_int_equal(d.remind_day, D("2027-01-11"));
    f = s_facts("2026-03-06", "2026-03-12");
    sl_deadline_check(cal, &f, T("2026-03-04T09:00:00+08:00"), &d);
    assert_int_equal(d.unknown_year, 0);
}

typedef struct {
    char lines[32][64];
    size_t n;
} s_seen_t;

static void
s_period(void *arg, const sl_report_period_t *p)
{
    s_seen_t *s = arg;
    char due[40];
    sl_time_format_iso(p->due_ms, due, sizeof due);
    snprintf(s->lines[s->n++], 64, "%s %s %.16s", p->monthly ? "M" : "W", p->period, due);
}

static void
test_report_periods(void **state)
{
    (void)state;
    /* the seed campaign: 2021-12-27 … 2022-04-06, Monday 10:00, month end */
    sl_campaign_rules_t r = {D("2021-12-27"), D("2022-04-06"), 1, 600, true};
    s_seen_t s = {0};
    size_t n =
        sl_deadline_report_periods(&r, INT64_MIN, T("2022-01-10T10:00:00+08:00"), s_period, &s);
    assert_int_equal(n, 3);
    assert_string_equal(s.lines[0], "M 2021-12 2022-01-01T00:00");
    assert_string_equal(s.lines[1], "W 2021-12-27 2022-01-03T10:00");
    assert_string_equal(s.lines[2], "W 2022-01-03 2022-01-10T10:00");
    /* one millisecond before Monday 10:00 the week before is not yet due */
    memset(&s, 0, sizeof s);
    n = sl_deadline_report_periods(&r, T("2022-01-03T10:00:00+08:00"),
                                   T("2022-01-10T09:59:59+08:00"), s_period, &s);
    assert_int_equal(n, 0);
    /* the whole campaign: 15 weeks (12-27 … the week of 04-04) and 5 months */
    memset(&s, 0, sizeof s);
    n = sl_deadline_report_periods(&r, INT64_MIN, T("2022-06-01T00:00:00+08:00"), s_period, &s);
    assert_int_equal(n, 15 + 5);
    assert_string_equal(s.lines[n - 1], "M 2022-04 2022-05-01T00:00");
    /* a weekly report names its period Monday to Sunday */
    sl_report_period_t p;
    assert_int_equal(sl_deadline_weekly_period(D("2022-01-03"), D("2022-01-09"), 1, 600, &p), 0);
    assert_int_equal(p.due_ms, T("2022-01-10T10:00:00+08:00"));
    assert_int_equal(sl_deadline_weekly_period(D("2022-01-04"), D("2022-01-10"), 1, 600, &p), -1);
    assert_int_equal(sl_deadline_monthly_period("2022-02", &p), 0);
    assert_int_equal(p.due_ms, T("2022-03-01T00:00:00+08:00"));
    assert_int_equal(p.end, D("2022-02-28"));
    assert_int_equal(sl_deadline_monthly_period("2022-13", &p), -1);
    /* another campaign, other rules: Friday 17:00, no monthly report */
    sl_campaign_rules_t r2 = {D("2023-03-01"), D("2023-03-20"), 5, 17 * 60, false};
    memset(&s, 0, sizeof s);
    n = sl_deadline_report_periods(&r2, INT64_MIN, T("2023-12-31T00:00:00+08:00"), s_period, &s);
    assert_int_equal(n, 4); /* weeks of 02-27, 03-06, 03-13, 03-20 */
    assert_string_equal(s.lines[0], "W 2023-02-27 2023-03-10T17:00");
}

static void
s_boundary(void *arg, size_t i, bool begins, int64_t at_ms)
{
    s_seen_t *s = arg;
    char at[40];
    sl_time_format_iso(at_ms, at, sizeof at);
    snprintf(s->lines[s->n++], 64, "%zu %s %.16s", i, begins ? "begins" : "ends", at);
}

static void
test_phase_boundaries(void **state)
{
    (void)state;
    sl_phase_t ph[] = {{"自查自纠", D("2021-12-27"), D("2022-01-10")},
                       {"集中整治", D("2022-01-01"), D("2022-03-31")},
                       {"综合督导", D("2022-01-01"), D("2022-03-31")},
                       {"工作总结", D("2022-04-01"), D("2022-04-06")}};
    s_seen_t s = {0};
    size_t n = sl_deadline_phase_boundaries(ph, 4, T("2021-12-31T00:00:00+08:00"),
                                            T("2022-01-11T00:00:00+08:00"), s_boundary, &s);
    assert_int_equal(n, 3);
    assert_string_equal(s.lines[0], "1 begins 2022-01-01T00:00");
    assert_string_equal(s.lines[1], "2 begins 2022-01-01T00:00");
    assert_string_equal(s.lines[2], "0 ends 2022-01-11T00:00");
    memset(&s, 0, sizeof s);
    n = sl_deadline_phase_boundaries(ph, 4, T("2022-01-11T00:00:00+08:00"),
                                     T("2022-04-01T00:00:00+08:00"), s_boundary, &s);
    assert_int_equal(n, 3); /* two ends at 04-01 00:00 and the summary begins, begins first */
    assert_string_equal(s.lines[0], "3 begins 2022-04-01T00:00");
    assert_string_equal(s.lines[1], "1 ends 2022-04-01T00:00");
}

/* The upper deadline binds (R25): 省 issues on 2025-03-03, feedback by
 * 03-12; the city passes it on the next day, due one working day before
 * (03-11), the county the day after, one before that (03-10); a margin
 * across a weekend and across 国庆节; a case that arrives after the margin
 * (a link was down) is due on the upper deadline itself, flagged late; the
 * objection window is cut to the upper one, never before the transfer day. */
static void
test_under_upper(void **state)
{
    const sl_calendar_t *cal = *state;
    int32_t o, f;
    bool late;
    int u = 0;
    sl_transfer_deadlines(cal, D("2025-03-03"), -1, &o, &f, &u);
    assert_int_equal(f, D("2025-03-12"));
    int32_t po = o, pf = f;
    /* the city, a day later */
    sl_transfer_deadlines(cal, D("2025-03-04"), -1, &o, &f, &u);
    assert_int_equal(f, D("2025-03-13"));
    sl_deadline_under_upper(cal, D("2025-03-04"), po, pf, 1, &o, &f, &late, &u);
    assert_int_equal(f, D("2025-03-11"));
    assert_int_equal(o, po);
    assert_false(late);
    /* the county, a day after the city */
    int32_t co = o, cf = f;
    sl_transfer_deadlines(cal, D("2025-03-05"), -1, &o, &f, &u);
    sl_deadline_under_upper(cal, D("2025-03-05"), co, cf, 1, &o, &f, &late, &u);
    assert_int_equal(f, D("2025-03-10"));
    assert_true(f < cf && cf < pf);
    assert_false(late);
    /* margin 0: the upper deadline itself; margin 2 */
    sl_transfer_deadlines(cal, D("2025-03-04"), -1, &o, &f, &u);
    sl_deadline_under_upper(cal, D("2025-03-04"), po, pf, 0, &o, &f, &late, &u);
    assert_int_equal(f, D("2025-03-12"));
    sl_transfer_deadlines(cal, D("2025-03-04"), -1, &o, &f, &u);
    sl_deadline_under_upper(cal, D("2025-03-04"), po, pf, 2, &o, &f, &late, &u);
    assert_int_equal(f, D("2025-03-10"));
    /* across a weekend: Monday's deadline less one is Friday */
    sl_transfer_deadlines(cal, D("2025-03-03"), -1, &o, &f, &u);
    sl_deadline_under_upper(cal, D("2025-03-03"), -1, D("2025-03-10"), 1, &o, &f, &late, &u);
    assert_int_equal(f, D("2025-03-07"));
    /* across 国庆节: 10-09 less one is 09-30 */
    sl_transfer_deadlines(cal, D("2025-09-26"), -1, &o, &f, &u);
    sl_deadline_under_upper(cal, D("2025-09-26"), -1, D("2025-10-09"), 1, &o, &f, &late, &u);
    assert_int_equal(f, D("2025-09-30"));
    assert_false(late);
    /* arrives after the margin: due on the upper deadline, late */
    sl_transfer_deadlines(cal, D("2025-03-12"), -1, &o, &f, &u);
    sl_deadline_under_upper(cal, D("2025-03-12"), po, pf, 1, &o, &f, &late, &u);
    assert_int_equal(f, D("2025-03-12"));
    assert_true(late);
    /* the upper window already closed: the child's ends on its transfer day */
    assert_int_equal(o, D("2025-03-12"));
    /* nothing from above: the level's own deadlines */
    sl_transfer_deadlines(cal, D("2025-03-04"), -1, &o, &f, &u);
    sl_deadline_under_upper(cal, D("2025-03-04"), -1, -1, 1, &o, &f, &late, &u);
    assert_int_equal(f, D("2025-03-13"));
    assert_false(late);
}

/* The child's own watch of the deadline it owes upward: reminded from the
 * start of the working day before (Friday for a Monday), overdue from the
 * day after; each once; nothing before. */
static void
test_upper_watch(void **state)
{
    const sl_calendar_t *cal = *state;
    sl_clock_due_t due;
    sl_deadline_upper_check(cal, D("2025-03-10"), false, false, T("2025-03-06T18:00:00+08:00"),
                            &due);
    assert_false(due.remind);
    assert_false(due.overdue);
    assert_int_equal(due.next_ms, T("2025-03-07T00:00:00+08:00"));
    sl_deadline_upper_check(cal, D("2025-03-10"), false, false, T("2025-03-07T09:00:00+08:00"),
                            &due);
    assert_true(due.remind);
    assert_int_equal(due.remind_day, D("2025-03-07"));
    assert_false(due.overdue);
    assert_false(due.accept || due.not_handled || due.rectify_overdue);
    sl_deadline_upper_check(cal, D("2025-03-10"), true, false, T("2025-03-10T23:59:00+08:00"),
                            &due);
    assert_false(due.remind);
    assert_false(due.overdue);
    sl_deadline_upper_check(cal, D("2025-03-10"), true, false, T("2025-03-11T00:00:00+08:00"),
                            &due);
    assert_true(due.overdue);
    sl_deadline_upper_check(cal, D("2025-03-10"), true, true, T("2025-03-12T00:00:00+08:00"), &due);
    assert_false(due.overdue);
    assert_int_equal(due.next_ms, SL_DEADLINE_NEVER);
}

/* An objection at this level against a case from above reaches the level
 * above while the upper window is open (its last day included), not after;
 * with no upper window known the level above judges its own. */
static void
test_upper_objection_relay(void **state)
{
    (void)state;
    assert_true(sl_deadline_upper_objection_open(D("2025-03-05"), D("2025-03-04")));
    assert_true(sl_deadline_upper_objection_open(D("2025-03-05"), D("2025-03-05")));
    assert_false(sl_deadline_upper_objection_open(D("2025-03-05"), D("2025-03-06")));
    assert_true(sl_deadline_upper_objection_open(-1, D("2025-03-06")));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reminder_and_overdue),
        cmocka_unit_test(test_reminder_across_spring_festival),
        cmocka_unit_test(test_catch_up_after_downtime),
        cmocka_unit_test(test_states),
        cmocka_unit_test(test_not_handled),
        cmocka_unit_test(test_calendar_warning),
        cmocka_unit_test(test_report_periods),
        cmocka_unit_test(test_phase_boundaries),
        cmocka_unit_test(test_under_upper),
        cmocka_unit_test(test_upper_watch),
        cmocka_unit_test(test_upper_objection_relay),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
