/* sl_deadline.c — the clocks sl-deadline watches, pure.
 *
 * Every rule is a function of the facts, the calendar and the instant passed
 * in; nothing here reads the clock or the database. */
#include "sl_deadline.h"

#include "sl_clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
s_year(int32_t day)
{
    int y, m, d;
    sl_date_ymd(day, &y, &m, &d);
    return y;
}

int32_t
sl_deadline_prev_workday(const sl_calendar_t *cal, int32_t day, int *unknown_year)
{
    int unknown = 0;
    int32_t d = day - 1;
    while (!sl_calendar_is_workday(cal, d))
        d--;
    for (int32_t x = d; x < day && !unknown; x++)
        if (!sl_calendar_year_known(cal, s_year(x)))
            unknown = s_year(x);
    if (unknown_year)
        *unknown_year = unknown;
    return d;
}

/* Due at AT: act now, or keep it as a candidate for the next look. */
static bool
s_clock(int64_t at, int64_t now_ms, int64_t *next)
{
    if (at <= now_ms)
        return true;
    if (at < *next)
        *next = at;
    return false;
}

void
sl_deadline_check(const sl_calendar_t *cal, const sl_clock_facts_t *f, int64_t now_ms,
                  sl_clock_due_t *out)
{
    memset(out, 0, sizeof *out);
    out->next_ms = SL_DEADLINE_NEVER;
    out->remind_day = out->idle_until = -1;
    bool open =
        f->state == SL_TS_ISSUED || f->state == SL_TS_RECEIVED || f->state == SL_TS_IN_PROGRESS;
    bool handling = f->state == SL_TS_RECEIVED || f->state == SL_TS_IN_PROGRESS;
    int unknown;

    if (!f->accepted && f->state != SL_TS_OBJECTED && f->state != SL_TS_CLOSED)
        out->accept = s_clock(sl_day_to_ms(f->objection_deadline + 1), now_ms, &out->next_ms);

    if (open && !f->reminded) {
        out->remind_day = sl_deadline_prev_workday(cal, f->feedback_deadline, &unknown);
        if (unknown && !out->unknown_year)
            out->unknown_year = unknown;
        out->remind = s_clock(sl_day_to_ms(out->remind_day), now_ms, &out->next_ms);
    }

    if (!f->overdue) {
        if (open)
            out->overdue = s_clock(sl_day_to_ms(f->feedback_deadline + 1), now_ms, &out->next_ms);
        else if (f->fed_back_day > f->feedback_deadline &&
                 (f->state == SL_TS_FED_BACK || f->state == SL_TS_CLOSED))
            out->overdue = true; /* fed back, but late: not finished on time */
    }

    if (handling && !f->not_handled && f->receipt_day >= 0 && f->not_handled_days > 0) {
        int32_t last = f->receipt_day;
        if (f->last_progress_day > last)
            last = f->last_progress_day;
        out->idle_until = sl_calendar_add_workdays(cal, last, f->not_handled_days, &unknown);
        if (unknown && !out->unknown_year)
            out->unknown_year = unknown;
        out->not_handled = s_clock(sl_day_to_ms(out->idle_until + 1), now_ms, &out->next_ms);
    }

    if (f->state == SL_TS_CLOSED && f->plan && !f->rectify_overdue)
        out->rectify_overdue = s_clock(sl_day_to_ms(f->rectify_by + 1), now_ms, &out->next_ms);
}

void
sl_deadline_upper_check(const sl_calendar_t *cal, int32_t upper_feedback, bool reminded,
                        bool overdue, int64_t now_ms, sl_clock_due_t *out)
{
    sl_clock_facts_t f = {.state = SL_TS_IN_PROGRESS,
                          .receipt_day = -1,
                          .last_progress_day = -1,
                          .fed_back_day = -1,
                          .objection_deadline = upper_feedback,
                          .feedback_deadline = upper_feedback,
                          .accepted = true,
                          .reminded = reminded,
                          .overdue = overdue};
    sl_deadline_check(cal, &f, now_ms, out);
}

bool
sl_deadline_upper_objection_open(int32_t upper_objection, int32_t today)
{
    return upper_objection < 0 || today <= upper_objection;
}

int64_t
sl_deadline_weekly_due(int32_t monday, int dow, int time)
{
    return sl_day_to_ms(monday + 7 + (dow - 1)) + (int64_t)time * 60000;
}

int64_t
sl_deadline_monthly_due(int y, int m)
{
    return m == 12 ? sl_day_to_ms(sl_date_from_ymd(y + 1, 1, 1))
                   : sl_day_to_ms(sl_date_from_ymd(y, m + 1, 1));
}

int
sl_deadline_weekly_period(int32_t start, int32_t end, int dow, int time, sl_report_period_t *p)
{
    if (sl_date_weekday(start) != 0 || end != start + 6)
        return -1;
    memset(p, 0, sizeof *p);
    p->monthly = false;
    p->start = start;
    p->end = end;
    sl_date_format(start, p->period);
    p->due_ms = sl_deadline_weekly_due(start, dow > 0 ? dow : 1, time >= 0 ? time : 600);
    return 0;
}

int
sl_deadline_monthly_period(const char *month, sl_report_period_t *p)
{
    int y, m;
    char tail;
    if (!month || strlen(month) != 7 || sscanf(month, "%4d-%2d%c", &y, &m, &tail) != 2 ||
        month[4] != '-' || y < 2000 || y > 2200 || m < 1 || m > 12)
        return -1;
    memset(p, 0, sizeof *p);
    p->monthly = true;
    p->start = sl_date_from_ymd(y, m, 1);
    p->due_ms = sl_deadline_monthly_due(y, m);
    p->end = sl_ms_to_day(p->due_ms) - 1;
    snprintf(p->period, sizeof p->period, "%04d-%02d", y, m);
    return 0;
}

size_t
sl_deadline_report_periods(const sl_campaign_rules_t *r, int64_t after_ms, int64_t upto_ms,
                           sl_report_period_cb *cb, void *arg)
{
    /* Weekly and monthly periods merged in due order: both lists ascend. */
    sl_report_period_t w, mo;
    bool have_w = false, have_m = false;
    int32_t monday = r->start_day - sl_date_weekday(r->start_day);
    int y, m, d;
    sl_date_ymd(r->start_day, &y, &m, &d);
    size_t n = 0;
    for (;;) {
        while (!have_w && r->weekly_dow > 0 && monday <= r->end_day) {
            sl_deadline_weekly_period(monday, monday + 6, r->weekly_dow, r->weekly_time, &w);
            monday += 7;
            have_w = w.due_ms > after_ms && w.due_ms <= upto_ms;
            if (w.due_ms > upto_ms)
                monday = r->end_day + 1; /* later weeks are later still */
        }
        while (!have_m && r->monthly && sl_date_from_ymd(y, m, 1) <= r->end_day) {
            char month[8];
            snprintf(month, sizeof month, "%04d-%02d", y, m);
            sl_deadline_monthly_period(month, &mo);
            if (++m == 13)
                m = 1, y++;
            have_m = mo.due_ms > after_ms && mo.due_ms <= upto_ms;
            if (mo.due_ms > upto_ms)
                y = 99999;
        }
        if (!have_w && !have_m)
            return n;
        const sl_report_period_t *p = !have_m || (have_w && w.due_ms <= mo.due_ms) ? &w : &mo;
        if (p == &w)
            have_w = false;
        else
            have_m = false;
        cb(arg, p);
        n++;
    }
}

typedef struct {
    int64_t at;
    size_t i;
    bool begins;
} s_boundary_t;

static int
s_boundary_cmp(const void *a, const void *b)
{
    const s_boundary_t *x = a, *y = b;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    if (x->begins != y->begins)
        return x->begins ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

size_t
sl_deadline_phase_boundaries(const sl_phase_t *phases, size_t n, int64_t after_ms, int64_t upto_ms,
                             sl_phase_cb *cb, void *arg)
{
    s_boundary_t *b = calloc(2 * n + 1, sizeof *b);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t s = sl_day_to_ms(phases[i].start_day), e = sl_day_to_ms(phases[i].end_day + 1);
        if (s > after_ms && s <= upto_ms)
            b[k++] = (s_boundary_t){s, i, true};
        if (e > after_ms && e <= upto_ms)
            b[k++] = (s_boundary_t){e, i, false};
    }
    qsort(b, k, sizeof *b, s_boundary_cmp);
    for (size_t j = 0; j < k; j++)
        cb(arg, b[j].i, b[j].begins, b[j].at);
    free(b);
    return k;
}

/* --- a transfer's deadlines and the dispatch rounds (moved from sl_transfer_fsm.c) --- */

void
sl_transfer_deadlines(const sl_calendar_t *cal, int32_t transfer_day, int32_t receipt_day,
                      int32_t *objection, int32_t *feedback, int *unknown_year)
{
    int u1 = 0, u2 = 0;
    int32_t from = receipt_day >= 0 ? receipt_day : transfer_day;
    *objection = sl_calendar_add_workdays(cal, from, 2, &u1);
    *feedback = sl_calendar_add_workdays(cal, transfer_day, 7, &u2);
    if (unknown_year)
        *unknown_year = u1 && (!u2 || u1 < u2) ? u1 : u2;
}

void
sl_deadline_under_upper(const sl_calendar_t *cal, int32_t transfer_day, int32_t upper_objection,
                        int32_t upper_feedback, int margin, int32_t *objection, int32_t *feedback,
                        bool *late, int *unknown_year)
{
    *late = false;
    if (upper_objection >= 0 && *objection > upper_objection)
        *objection = upper_objection < transfer_day ? transfer_day : upper_objection;
    if (upper_feedback < 0)
        return;
    int32_t due = upper_feedback;
    for (int i = 0; i < margin; i++) {
        int u = 0;
        due = sl_deadline_prev_workday(cal, due, &u);
        if (u && unknown_year && !*unknown_year)
            *unknown_year = u;
    }
    if (due < transfer_day) {
        due = upper_feedback;
        *late = true;
    }
    if (*feedback > due)
        *feedback = due;
}

void
sl_transfer_calendar_warning(int unknown_year, char *buf, size_t size)
{
    if (unknown_year <= 0) {
        if (size)
            buf[0] = '\0';
        return;
    }
    snprintf(buf, size,
             "%d年节假日安排未导入，期限暂按周末计算；请导入：slctl calendar import "
             "FILE.csv --year %d",
             unknown_year, unknown_year);
}

int32_t
sl_transfer_round(int32_t start_day, int interval_days, int time_of_day_min, int64_t now_ms)
{
    if (interval_days <= 0)
        return -1;
    int32_t today = sl_ms_to_day(now_ms);
    if (today < start_day)
        return -1;
    int64_t minutes = (now_ms - sl_day_to_ms(today)) / 60000;
    int32_t round = start_day + (today - start_day) / interval_days * interval_days;
    if (round == today && minutes < time_of_day_min)
        round -= interval_days;
    return round >= start_day ? round : -1;
}
