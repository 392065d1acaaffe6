/* sl_deadline.h — the clocks sl-deadline watches, pure (DESIGN.md "Deadlines and escalation").
 *
 * Values in, values out, on an sl_calendar_t: when a transfer's objection
 * window closes (it stands accepted), when its reminder falls (the working day
 * before the feedback deadline), when it is overdue (the day after the feedback
 * deadline), when a received transfer counts as accepted but not handled
 * (接而不办: no progress and no feedback for N working days); when a campaign's
 * weekly and monthly reports fall due and when its phases begin and end; and
 * the deadlines themselves (2 working days to object, 7 to feed back:
 * sl_transfer_deadlines) and the dispatch rounds (sl_transfer_round). All
 * instants are ms since the Unix epoch, days are Asia/Shanghai business dates
 * (sl_clock.h). sl_transfer_clock.c and sl_report.c apply the answers. */
#ifndef SL_DEADLINE_H
#define SL_DEADLINE_H

#include "sl_calendar.h"
#include "sl_transfer_fsm.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SL_DEADLINE_NEVER INT64_MAX /* no clock pending */

/* What the clocks of one transfer depend on. Days are -1 when not set. */
typedef struct {
    sl_transfer_state_t state;
    int32_t receipt_day;        /* 签收 day, -1: none */
    int32_t last_progress_day;  /* the last progress report's day, -1: none */
    int32_t fed_back_day;       /* the feedback's day, -1: none */
    int32_t objection_deadline; /* last day to object */
    int32_t feedback_deadline;  /* last day to feed back */
    bool accepted;              /* already recorded: the window closed */
    bool reminded;              /* already reminded */
    bool overdue;               /* already marked overdue */
    bool not_handled;           /* already marked 接而不办 */
    int not_handled_days;       /* [deadline] not_handled_days */
    bool plan;                  /* closed on an accepted rectification plan (sl_closing.h) */
    int32_t rectify_by;         /* plan: its date, the last day allowed */
    bool rectify_overdue;       /* plan: already marked 整改逾期 */
} sl_clock_facts_t;

/* What is due now, and when to look again. */
typedef struct {
    bool accept;        /* record: the objection window has closed */
    bool remind;        /* send the reminder */
    bool overdue;       /* mark overdue (cause OVERDUE) */
    bool not_handled;   /* mark 接而不办 (cause ACCEPTED_NOT_HANDLED) */
    bool rectify_overdue; /* mark 整改逾期 (cause RECTIFY_OVERDUE) and reopen */
    int64_t next_ms;    /* the earliest pending clock after now; SL_DEADLINE_NEVER: none */
    int32_t remind_day; /* the reminder's day (-1 if no reminder applies) */
    int32_t idle_until; /* last day of the 接而不办 count (-1 if it does not apply) */
    int unknown_year;   /* a year counted whose holiday notice is missing, 0 if none */
} sl_clock_due_t;

/* Decides the clocks of F at NOW_MS on CAL into OUT. Pure. Clocks that have
 * passed are all due at once (a daemon that was down catches up), each only
 * while its flag in F is not yet set:
 *   accept      at the end of objection_deadline, unless objected or closed;
 *   remind      at the start of the working day before feedback_deadline,
 *               while issued, received or in progress;
 *   overdue     at the end of feedback_deadline while issued, received or in
 *               progress, or at once if the feedback came after it;
 *   not_handled at the end of the NOT_HANDLED_DAYS-th working day after the
 *               later of the receipt and the last progress, while received or
 *               in progress;
 *   rectify_overdue at the end of rectify_by while closed on a plan (整改逾期). */
void sl_deadline_check(const sl_calendar_t *cal, const sl_clock_facts_t *f, int64_t now_ms,
                       sl_clock_due_t *out);

/* The watch a level keeps on the deadline it owes upward for a case from
 * above (UPPER_FEEDBACK), until its own feedback is sent up: the reminder at
 * the start of the working day before, overdue at the end of the day itself
 * — the rules of sl_deadline_check for an open transfer, each once (REMINDED,
 * OVERDUE: already recorded). OUT's remind, overdue, remind_day, next_ms and
 * unknown_year are set; the rest is false / -1. Pure. */
void sl_deadline_upper_check(const sl_calendar_t *cal, int32_t upper_feedback, bool reminded,
                             bool overdue, int64_t now_ms, sl_clock_due_t *out);

/* Whether an objection raised at this level against a transfer of a case
 * from above still reaches the level above (DESIGN.md "Where levels meet"):
 * true while TODAY is on or before UPPER_OBJECTION, the upper transfer's last
 * day to object (-1: not known, the level above judges its own window).
 * Past it the objection is decided here only. Pure. */
bool sl_deadline_upper_objection_open(int32_t upper_objection, int32_t today);

/* The working day before DAY; *UNKNOWN_YEAR (if not NULL) gets its year when
 * that year's notice is not loaded (weekends only were counted), else 0. */
int32_t sl_deadline_prev_workday(const sl_calendar_t *cal, int32_t day, int *unknown_year);

/* A campaign's reporting rules. */
typedef struct {
    int32_t start_day, end_day; /* the campaign's first and last day */
    int weekly_dow;             /* 1 = Monday … 7 = Sunday; 0: no weekly report */
    int weekly_time;            /* minutes after midnight, e.g. 600 = 10:00 */
    bool monthly;               /* a monthly (six-list) report by each month's end */
} sl_campaign_rules_t;

/* One report owed. */
typedef struct {
    bool monthly;       /* false: weekly */
    int32_t start, end; /* the period covered */
    char period[11];    /* weekly: the Monday "YYYY-MM-DD"; monthly: "YYYY-MM" */
    int64_t due_ms;     /* the instant it is due by */
} sl_report_period_t;

/* The weekly report covering the week that starts on Monday MONDAY is due on
 * the following week's day DOW (1 = Monday) at TIME minutes: e.g. Monday
 * 10:00 for the week before. */
int64_t sl_deadline_weekly_due(int32_t monday, int dow, int time);
/* The monthly report of month Y-M is due by its end: the next month's first
 * instant. */
int64_t sl_deadline_monthly_due(int y, int m);

/* Calls CB for every report R owes whose due instant lies in (AFTER_MS,
 * UPTO_MS], in due order: a weekly report for each week (Monday to Sunday)
 * that overlaps the campaign, a monthly one for each month that overlaps it.
 * Returns how many. */
typedef void(sl_report_period_cb)(void *arg, const sl_report_period_t *p);
size_t sl_deadline_report_periods(const sl_campaign_rules_t *r, int64_t after_ms, int64_t upto_ms,
                                  sl_report_period_cb *cb, void *arg);

/* The period (and due instant) a report names: weekly by its Monday (-1 if
 * START is not a Monday or END is not START + 6), monthly by "YYYY-MM" (-1 if
 * malformed). Fills P; 0 or -1. DOW/TIME as in the campaign (default 1, 600). */
int sl_deadline_weekly_period(int32_t start, int32_t end, int dow, int time, sl_report_period_t *p);
int sl_deadline_monthly_period(const char *month, sl_report_period_t *p);

/* A campaign phase boundary: a phase begins at the start of its first day and
 * ends at the end of its last. */
typedef struct {
    const char *name;
    int32_t start_day, end_day;
} sl_phase_t;
/* Calls CB(ARG, phase index, true for a beginning / false for an end, the
 * instant) for each boundary of PHASES[0..N) in (AFTER_MS, UPTO_MS], in time
 * order (ties: index order, beginnings first). Returns how many. */
typedef void(sl_phase_cb)(void *arg, size_t i, bool begins, int64_t at_ms);
size_t sl_deadline_phase_boundaries(const sl_phase_t *phases, size_t n, int64_t after_ms,
                                    int64_t upto_ms, sl_phase_cb *cb, void *arg);

/* --- a transfer's deadlines and the dispatch rounds ---------------------------- */

/* The deadlines of a transfer issued on TRANSFER_DAY (and received on
 * RECEIPT_DAY, or -1 while no receipt is recorded):
 *   objection = the 2nd working day after the receipt day (or the transfer
 *               day while there is none), feedback = the 7th working day after
 *   the transfer day. *UNKNOWN_YEAR gets the first year counted whose holiday
 * notice is not in CAL (0 if none): the deadlines then count weekends only
 * there and the caller records a warning. */
void sl_transfer_deadlines(const sl_calendar_t *cal, int32_t transfer_day, int32_t receipt_day,
                           int32_t *objection, int32_t *feedback, int *unknown_year);
/* The deadlines of a transfer issued on TRANSFER_DAY for a case transferred
 * from above (DESIGN.md "Where levels meet"), whose upper objection and
 * feedback deadlines are UPPER_OBJECTION and UPPER_FEEDBACK: the upper
 * deadline binds. *FEEDBACK (this level's own 7 working days on entry) becomes
 * the earlier of itself and UPPER_FEEDBACK less MARGIN working days (the
 * level's own verification and sign-off); when that day lies before
 * TRANSFER_DAY (a link was down) it is UPPER_FEEDBACK itself and *LATE is
 * set. *OBJECTION is cut to UPPER_OBJECTION, and never before TRANSFER_DAY.
 * A deadline of -1 (none from above) leaves its value alone. Pure. */
void sl_deadline_under_upper(const sl_calendar_t *cal, int32_t transfer_day,
                             int32_t upper_objection, int32_t upper_feedback, int margin,
                             int32_t *objection, int32_t *feedback, bool *late, int *unknown_year);
/* The warning text for UNKNOWN_YEAR (0: ""), into BUF. */
void sl_transfer_calendar_warning(int unknown_year, char *buf, size_t size);

/* The scheduled dispatch round due at NOW_MS: rounds fall on START_DAY and
 * every INTERVAL_DAYS after it, at TIME_OF_DAY_MIN minutes after midnight
 * (Asia/Shanghai). Returns the date of the latest round whose time has come,
 * or -1 before the first one (and for INTERVAL_DAYS <= 0: no schedule). */
int32_t sl_transfer_round(int32_t start_day, int interval_days, int time_of_day_min,
                          int64_t now_ms);

#endif
