/* sl_transfer_clock.h — the clocks of transfers in the database (part of the transfer module).
 *
 * The home of the SQL on the clock columns of transfer (due_at, accepted_at,
 * reminded_at, overdue_at, not_handled_at) and of the OVERDUE and
 * ACCEPTED_NOT_HANDLED rows of transfer_escalation (DESIGN.md rule 4; the
 * FALSE_COMPLETION rows are written by verification in sl_transfer.c). A tick
 * reads only the transfers whose due_at has come (an index range scan), lets
 * sl_deadline_check decide, writes flags, escalation marks and audit events
 * in one transaction and sets each transfer's next due_at. */
#ifndef SL_TRANSFER_CLOCK_H
#define SL_TRANSFER_CLOCK_H

#include "sl_calendar.h"
#include "sl_db.h"
#include "sl_transfer.h"

#include <stdbool.h>
#include <stdint.h>

/* The advisory lock key every sl-deadline transaction takes first
 * (pg_try_advisory_xact_lock): of several instances one acts. */
#define SL_DEADLINE_LOCK 0x736c646cLL

/* One thing a tick did, for the event it publishes after commit: TOPIC is
 * "deadline.accepted", "deadline.reminder", "deadline.overdue" or
 * "deadline.not_handled"; JSON is the event's body. Borrowed for the call. */
typedef void(sl_transfer_clock_cb)(void *arg, const char *topic, const char *case_no,
                                   const char *json);

/* Acts on up to LIMIT transfers whose due_at <= NOW_MS, in one transaction
 * under the SL_DEADLINE_LOCK leader lock: records what sl_deadline_check says
 * is due (flags, escalation marks, calendar warnings, audit events), sets the
 * next due_at, commits, then calls CB for each action. NOT_HANDLED_DAYS is
 * [deadline] not_handled_days. Returns the number of transfers looked at (0
 * also when another instance holds the lock: *BUSY set), or -1 / SL_AGAIN
 * (rolled back). */
long sl_transfer_clock_tick(sl_db_t *db, const sl_calendar_t *cal, int64_t now_ms,
                            int not_handled_days, long limit, const sl_actor_t *actor,
                            bool *busy, sl_transfer_clock_cb *cb, void *arg);

/* One line of `slctl overdue`: notice_no, case_no, unit_code, feedback_deadline,
 * state, flags ("已提醒", "已逾期", "接而不办", "虚假办结", "已提级核查" joined
 * by "、"), calendar_warning: 7 strings, borrowed for the call. */
typedef sl_db_row_cb sl_transfer_clock_row_cb;
/* Calls CB for each open transfer that was reminded, is overdue or not
 * handled, or carries an escalation mark, by feedback deadline. 0, -1 or
 * SL_AGAIN. */
int sl_transfer_clock_list(sl_db_t *db, sl_transfer_clock_row_cb *cb, void *arg);

/* A transfer_escalation mark not yet raised, with the transfer and case it
 * concerns. Strings live in the arena passed to sl_transfer_escalations_pending. */
typedef struct {
    int64_t id;                /* transfer_escalation.id */
    int64_t case_id;           /* the case escalated */
    const char *cause;         /* overdue, accepted_not_handled, false_completion */
    const char *reason;        /* the mark's reason text */
    const char *msg_id;        /* the envelope that caused it, "" if a clock did */
    const char *notice_no;     /* the transfer's notice */
    const char *unit_code;     /* its receiving unit */
    const char *unit_kind;     /* unit.kind: "child" for a child node */
    const char *transfer_date; /* YYYY-MM-DD */
    const char *feedback_deadline; /* YYYY-MM-DD */
    const char *case_no;       /* the case's number */
    const char *unit_name;     /* the receiving unit's name */
} sl_transfer_escalation_t;

/* Locks up to LIMIT marks not yet raised, oldest first, skipping those another
 * transaction holds (FOR UPDATE SKIP LOCKED), inside the caller's transaction.
 * Returns how many with *OUT an array in A, or -1 / SL_AGAIN. */
long sl_transfer_escalations_pending(sl_db_t *db, long limit, sl_arena_t *a,
                                     sl_transfer_escalation_t **out);

/* Marks IDS were raised at NOW_MS, each to TO[i] ("verification", "parent",
 * "supervision") as REF[i], in one statement (deferred: it travels with the transaction's next
 * statement, which reports its errors). 0. */
int sl_transfer_escalations_raised(sl_db_t *db, const int64_t *ids, const char *const *to,
                                   const char *const *ref, size_t n, int64_t now_ms);

#endif
