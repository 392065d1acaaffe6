/* sl_transfer_clock.h — the clocks of transfers in the database (part of the transfer module).
 *
 * The home of the SQL on transfer_clock (a transfer's due_at, accepted_at,
 * reminded_at, overdue_at, not_handled_at; schema/021) and of the OVERDUE and
 * ACCEPTED_NOT_HANDLED rows of transfer_escalation (DESIGN.md rule 4; the
 * FALSE_COMPLETION rows are written by verification in sl_transfer.c). A tick
 * reads only the transfers whose due_at has come (an index range scan), lets
 * sl_deadline_check decide, writes flags, escalation marks and audit events
 * in one transaction and sets each transfer's next due_at. */
#ifndef SL_TRANSFER_CLOCK_H
#define SL_TRANSFER_CLOCK_H

#include "sl_arena.h"
#include "sl_audit.h"
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

/* A transfer_escalation mark not yet raised, with the transfer and case it
 * concerns. Strings live in the arena passed to sl_transfer_escalations_pending
 * (or the sl_transfer_clock_tx_t of the clocks that made it). */
typedef struct {
    int64_t id;                    /* transfer_escalation.id; 0: made by this transaction's
                                      clocks, not yet written */
    int64_t transfer_id;           /* the transfer */
    int64_t case_id;               /* the case escalated */
    const char *cause;             /* overdue, accepted_not_handled, false_completion */
    const char *reason;            /* the mark's reason text */
    const char *msg_id;            /* the envelope that caused it, "" if a clock did */
    const char *notice_no;         /* the transfer's notice */
    const char *unit_code;         /* its receiving unit */
    const char *unit_kind;         /* unit.kind: "child" for a child node; NULL for a mark
                                      of this transaction's clocks that is not to be raised
                                      (one is there already, or the unit is unknown) */
    const char *transfer_date;     /* YYYY-MM-DD */
    const char *feedback_deadline; /* YYYY-MM-DD */
    const char *case_no;           /* the case's number */
    const char *unit_name;         /* the receiving unit's name */
} sl_transfer_escalation_t;

/* What one sl-deadline transaction gathers before its COMMIT: the audit
 * events, appended together (sl_audit_append_many: one look-up, one insert,
 * one move of each case's head however many steps added to it), and the
 * events published after COMMIT. Filled by sl_transfer_clock_step and
 * sl_escalation_step, so the clocks and the raising of what they marked share
 * one transaction. */
typedef struct {
    int64_t *case_ids;       /* the audit events' cases */
    sl_audit_event_t *audit; /* the events, in chain order; strings in A or borrowed */
    size_t naudit, capaudit; /* used, allocated */
    struct {
        const char *topic; /* static */
        char *case_no;     /* in A */
        char *json;        /* owned */
    } * evs;               /* to publish after COMMIT, in order */
    size_t nev, capev;     /* used, allocated */
    sl_transfer_escalation_t *marks; /* the marks the clocks made, not yet written:
                                        sl_escalation_step writes them raised, or
                                        sl_transfer_clock_tx_end unraised */
    size_t nmarks, capmarks;         /* used, allocated */
    int64_t now_ms;                  /* the clocks' instant (the marks' marked_at) */
    sl_arena_t *a;         /* the strings kept until the transaction ends */
    struct sl_transfer_clock_writes *held; /* the clocks' last writes, not yet deferred:
                                              sl_transfer_clock_tx_send or _end writes them */
} sl_transfer_clock_tx_t;

/* Begins an sl-deadline transaction: BEGIN, then the leader lock
 * (SL_DEADLINE_LOCK); TX is initialised when this instance leads. Returns 1
 * if it leads, 0 if another instance holds the lock (*BUSY set, rolled back),
 * or -1 / SL_AGAIN. BUSY NULL: a helper's transaction (sl-deadline's
 * [deadline] tick_connections), begun while a transaction of its own
 * instance holds the lock on another connection — no lock taken, 1 or an
 * error; the rows it works on are taken with SKIP LOCKED, so the leader's
 * and the helpers' are never the same. The functions below that take BUSY
 * pass it here. */
int sl_transfer_clock_tx_begin(sl_db_t *db, sl_transfer_clock_tx_t *tx, bool *busy);
/* Ends the transaction whose steps returned N: if N >= 0, appends TX's audit
 * events, commits, then calls CB for each event kept, in order; otherwise, or
 * if that fails, rolls back. Frees TX. Returns N or the error. */
long sl_transfer_clock_tx_end(sl_db_t *db, sl_transfer_clock_tx_t *tx, long n,
                              sl_transfer_clock_cb *cb, void *arg);
/* Keeps an event to publish after COMMIT: TOPIC static, CASE_NO copied, JSON
 * consumed (it also serves as an audit event's detail). Returns JSON. */
const char *sl_transfer_clock_tx_event(sl_transfer_clock_tx_t *tx, const char *topic,
                                       const char *case_no, char *json);
/* Adds audit event KIND at NOW_MS by ACTOR with MSG_ID (copied; NULL: the
 * actor's) and DETAIL (borrowed: a JSON kept with sl_transfer_clock_tx_event)
 * on case CASE_ID, after those gathered before. */
void sl_transfer_clock_tx_audit(sl_transfer_clock_tx_t *tx, int64_t case_id, int64_t now_ms,
                                const char *kind, const sl_actor_t *actor, const char *msg_id,
                                const char *detail);
/* Sends the clocks' writes TX holds to the database at once
 * (sl_db_send_deferred), so it writes them while the caller builds what comes
 * next; the statements held back before them go too. 0, -1 or SL_AGAIN. */
int sl_transfer_clock_tx_send(sl_db_t *db, sl_transfer_clock_tx_t *tx);
/* Appends the audit events gathered (sl_audit_append_many) and forgets them;
 * before anything that appends to the same chains itself. 0, -1 or SL_AGAIN. */
int sl_transfer_clock_tx_flush(sl_db_t *db, sl_transfer_clock_tx_t *tx);
/* The same through sl_audit_append_many_then: MEANWHILE(DB, ARG) runs once
 * the chains are locked, before the events are hashed. */
int sl_transfer_clock_tx_flush_then(sl_db_t *db, sl_transfer_clock_tx_t *tx,
                                    sl_audit_meanwhile_fn *meanwhile, void *arg);

/* One connection's share of the due transfers when several take them side by
 * side: those whose id % COUNT == INDEX. Without it (NULL, or COUNT <= 1) a
 * connection takes any; SKIP LOCKED keeps two off the same transfer either
 * way, the share keeps them from reading and joining each other's. */
typedef struct sl_transfer_share {
    int index, count;
} sl_transfer_share_t;

/* The work of sl_transfer_clock_tick inside the caller's transaction (which
 * holds the leader lock), on SHARE of the due transfers (NULL: any): the
 * transfers' writes are kept in TX until sl_transfer_clock_tx_send or
 * sl_transfer_clock_tx_end defers them, the audit events and the events to
 * publish are gathered into TX. Returns the number of transfers looked at, or
 * -1 / SL_AGAIN (the caller rolls back). */
long sl_transfer_clock_step(sl_db_t *db, const sl_calendar_t *cal, int64_t now_ms,
                            int not_handled_days, long limit, const sl_transfer_share_t *share,
                            const sl_actor_t *actor, sl_transfer_clock_tx_t *tx);

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

/* Locks up to LIMIT marks not yet raised, oldest first, skipping those another
 * transaction holds (FOR UPDATE SKIP LOCKED), inside the caller's transaction.
 * Returns how many with *OUT an array in A, or -1 / SL_AGAIN. */
long sl_transfer_escalations_pending(sl_db_t *db, long limit, sl_arena_t *a,
                                     sl_transfer_escalation_t **out);

/* Inserts the N marks MARKS (their id 0) marked at MARKED_MS, each raised at
 * RAISED_MS to TO[i] as REF[i], or not yet raised if TO is NULL, in one
 * statement (deferred; a mark already there for the transfer and cause is
 * left as it is). 0. */
int sl_transfer_escalations_insert(sl_db_t *db, const sl_transfer_escalation_t *marks,
                                   const char *const *to, const char *const *ref, size_t n,
                                   int64_t marked_ms, int64_t raised_ms);

/* Marks IDS were raised at NOW_MS, each to TO[i] ("verification", "parent",
 * "supervision") as REF[i], in one statement (deferred: it travels with the transaction's next
 * statement, which reports its errors). 0. */
int sl_transfer_escalations_raised(sl_db_t *db, const int64_t *ids, const char *const *to,
                                   const char *const *ref, size_t n, int64_t now_ms);

#endif
