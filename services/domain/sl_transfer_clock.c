/* sl_transfer_clock.c — the clocks of transfers in the database (part of the transfer module).
 *
 * The tick locks the due rows (FOR UPDATE SKIP LOCKED, after the leader lock;
 * of its share, sl_transfer_share_t, when connections take them side by side),
 * decides in C row by row (sl_deadline_check) and writes back set-based: one
 * statement for the transfers' clocks, one for the escalation marks, and the
 * audit events gathered into the transaction's sl_transfer_clock_tx_t, which
 * appends them through sl_audit_append_many (the heads in one look-up,
 * chained in C, one insert) with whatever the raising of the same
 * transaction adds (sl_escalation_tick). The events go out only after
 * COMMIT, so a crash repeats nothing that was committed and loses nothing
 * that was not. */
#include "sl_transfer_clock.h"

#include "sl_audit.h"
#include "sl_clock.h"
#include "sl_closing.h"
#include "sl_deadline.h"
#include "sl_log.h"
#include "sl_transfer.h"
#include "sl_transfer_fsm.h"
#include "sl_util.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static int32_t
s_day(const char *s)
{
    int32_t d;
    return s && *s && sl_date_parse(s, &d) == 0 ? d : -1;
}

/* What a tick transaction gathers -------------------------------------------- */

static int s_held_flush(sl_db_t *db, sl_transfer_clock_tx_t *tx);
static void s_held_free(sl_transfer_clock_tx_t *tx);

static void
s_tx_free(sl_transfer_clock_tx_t *tx)
{
    for (size_t k = 0; k < tx->nev; k++)
        free(tx->evs[k].json);
    free(tx->evs);
    free(tx->marks);
    free(tx->case_ids);
    free(tx->audit);
    s_held_free(tx);
    sl_arena_destroy(&tx->a);
    memset(tx, 0, sizeof *tx);
}

/* Writes the marks TX still holds, not raised (deferred). */
static int
s_marks_unraised(sl_db_t *db, sl_transfer_clock_tx_t *tx)
{
    int rc = sl_transfer_escalations_insert(db, tx->marks, NULL, NULL, tx->nmarks, tx->now_ms, 0);
    tx->nmarks = 0;
    return rc;
}

int
sl_transfer_clock_tx_begin(sl_db_t *db, sl_transfer_clock_tx_t *tx, bool *busy)
{
    memset(tx, 0, sizeof *tx);
    int rc;
    if (!busy) {
        rc = sl_db_begin(db); /* a helper: its instance's leader holds the lock */
    } else {
        *busy = false;
        bool leader;
        rc = sl_db_begin_leader(db, SL_DEADLINE_LOCK, &leader);
        if (rc == 0 && !leader) {
            *busy = true;
            return 0;
        }
    }
    if (rc != 0)
        return rc;
    tx->a = sl_arena_new(0);
    return 1;
}

long
sl_transfer_clock_tx_end(sl_db_t *db, sl_transfer_clock_tx_t *tx, long n, sl_transfer_clock_cb *cb,
                         void *arg)
{
    int rc;
    if (n >= 0 && ((rc = s_held_flush(db, tx)) != 0 || (rc = s_marks_unraised(db, tx)) != 0 ||
                   (rc = sl_transfer_clock_tx_flush(db, tx)) != 0 || (rc = sl_db_commit(db)) != 0))
        n = rc;
    if (n < 0)
        sl_db_rollback(db);
    for (size_t k = 0; k < tx->nev && n >= 0 && cb; k++)
        cb(arg, tx->evs[k].topic, tx->evs[k].case_no, tx->evs[k].json);
    s_tx_free(tx);
    return n;
}

const char *
sl_transfer_clock_tx_event(sl_transfer_clock_tx_t *tx, const char *topic, const char *case_no,
                           char *json)
{
    if (tx->nev == tx->capev) {
        tx->capev = tx->capev ? tx->capev * 2 : 64;
        tx->evs = sl_realloc(tx->evs, tx->capev * sizeof *tx->evs);
    }
    tx->evs[tx->nev].topic = topic;
    tx->evs[tx->nev].case_no = sl_arena_strdup(tx->a, case_no);
    tx->evs[tx->nev++].json = json;
    return json;
}

void
sl_transfer_clock_tx_audit(sl_transfer_clock_tx_t *tx, int64_t case_id, int64_t now_ms,
                           const char *kind, const sl_actor_t *actor, const char *msg_id,
                           const char *detail)
{
    if (tx->naudit == tx->capaudit) {
        tx->capaudit = tx->capaudit ? tx->capaudit * 2 : 64;
        tx->case_ids = sl_realloc(tx->case_ids, tx->capaudit * sizeof *tx->case_ids);
        tx->audit = sl_realloc(tx->audit, tx->capaudit * sizeof *tx->audit);
    }
    tx->case_ids[tx->naudit] = case_id;
    tx->audit[tx->naudit++] =
        (sl_audit_event_t){.at_ms = now_ms,
                           .kind = kind,
                           .actor_key = actor->key,
                           .actor_unit = actor->unit,
                           .operator= actor->operator_name,
                           .msg_id = msg_id ? sl_arena_strdup(tx->a, msg_id) : actor->msg_id,
                           .detail = detail};
}

int
sl_transfer_clock_tx_flush_then(sl_db_t *db, sl_transfer_clock_tx_t *tx,
                                sl_audit_meanwhile_fn *meanwhile, void *arg)
{
    int rc = sl_audit_append_many_then(db, tx->case_ids, tx->audit, tx->naudit, meanwhile, arg);
    tx->naudit = 0;
    return rc;
}

int
sl_transfer_clock_tx_flush(sl_db_t *db, sl_transfer_clock_tx_t *tx)
{
    return sl_transfer_clock_tx_flush_then(db, tx, NULL, NULL);
}

/* The clocks ------------------------------------------------------------------ */

/* What a tick writes to transfer_clock (and, for a calendar warning or
 * 整改逾期, to transfer), gathered row by row and written set-based by
 * s_flush (the marks are kept in the transaction's TX). */
typedef struct sl_transfer_clock_writes {
    sl_db_bin_t up;    /* id, next due_at, four flags; binary arrays */
    sl_db_cols_t wide; /* id, warning, 整改逾期: the rows with one (written to transfer) */
    size_t nup;        /* rows in up */
    size_t nwide;      /* rows in wide */
} s_writes_t;

enum { UP_ID, UP_NEXT, UP_ACCEPT, UP_REMIND, UP_OVERDUE, UP_NOT_HANDLED, UP_AT, UP_N };
enum { WIDE_ID, WIDE_WARN, WIDE_RECTIFY, WIDE_N };

static void
s_writes_init(s_writes_t *w)
{
    static const sl_db_type_t types[UP_N] = {SL_DB_INT8, SL_DB_TSTZ, SL_DB_BOOL, SL_DB_BOOL,
                                             SL_DB_BOOL, SL_DB_BOOL, SL_DB_TSTZ};
    memset(w, 0, sizeof *w);
    sl_db_bin_init(&w->up, UP_N, types);
    sl_db_cols_init(&w->wide, WIDE_N);
}

static void
s_writes_free(s_writes_t *w)
{
    sl_db_bin_free(&w->up);
    sl_db_cols_free(&w->wide);
}

/* Defers the clocks W gathered, in one statement (two when a row has a
 * calendar warning or 整改逾期; they travel with the transaction's next
 * statement), at the instant NOW_MS, and empties W. */
static int
s_flush(sl_db_t *db, int64_t now_ms, s_writes_t *w)
{
    int rc = 0;
    if (w->nup > 0) {
        sl_db_bin_time(&w->up, UP_AT, now_ms); /* one element: the instant */
        rc = sl_db_bin_defer(
            db,
            "UPDATE transfer_clock k SET due_at = u.next,"
            " accepted_at = CASE WHEN u.acc THEN ($7::timestamptz[])[1] ELSE k.accepted_at END,"
            " reminded_at = CASE WHEN u.rem THEN ($7::timestamptz[])[1] ELSE k.reminded_at END,"
            " overdue_at = CASE WHEN u.ovd THEN ($7::timestamptz[])[1] ELSE k.overdue_at END,"
            " not_handled_at = CASE WHEN u.nh THEN ($7::timestamptz[])[1]"
            "                  ELSE k.not_handled_at END"
            " FROM unnest($1::bigint[], $2::timestamptz[], $3::bool[], $4::bool[], $5::bool[],"
            "  $6::bool[]) AS u(id, next, acc, rem, ovd, nh)"
            " WHERE k.transfer_id = u.id",
            &w->up);
    }
    /* the rare calendar warning and 整改逾期 stay on transfer (the reports
     * read them): only a tick with one touches transfer */
    if (rc == 0 && w->nwide > 0) {
        char now[40];
        sl_time_format_iso(now_ms, now, sizeof now);
        const char *const *c = sl_db_cols_params(&w->wide);
        const char *q[] = {c[WIDE_ID], c[WIDE_WARN], c[WIDE_RECTIFY], now};
        rc = sl_db_defer(db,
                         "UPDATE transfer t SET"
                         " calendar_warning = CASE WHEN u.warn <> '' AND t.calendar_warning = ''"
                         "                    THEN u.warn ELSE t.calendar_warning END,"
                         " rectify_overdue_at = CASE WHEN u.rov THEN $4::timestamptz"
                         "                      ELSE t.rectify_overdue_at END"
                         " FROM unnest($1::bigint[], $2::text[], $3::bool[]) AS u(id, warn, rov)"
                         " WHERE t.id = u.id",
                         4, q);
    }
    s_writes_free(w);
    s_writes_init(w);
    return rc;
}

static void
s_held_free(sl_transfer_clock_tx_t *tx)
{
    if (tx->held)
        s_writes_free(tx->held);
    free(tx->held);
    tx->held = NULL;
}

/* Defers the clocks' writes TX holds. */
static int
s_held_flush(sl_db_t *db, sl_transfer_clock_tx_t *tx)
{
    if (!tx->held)
        return 0;
    int rc = s_flush(db, tx->now_ms, tx->held);
    s_held_free(tx);
    return rc;
}

int
sl_transfer_clock_tx_send(sl_db_t *db, sl_transfer_clock_tx_t *tx)
{
    int rc = s_held_flush(db, tx);
    return rc != 0 ? rc : sl_db_send_deferred(db);
}

/* Keeps the mark CAUSE of the due row ROW of R in TX. A mark whose unit is
 * unknown is never raised (sl_transfer_escalations_pending joins unit) and
 * one already there is left as it is, so either is written unraised now. */
static void
s_mark(sl_transfer_clock_tx_t *tx, PGresult *r, int row, int64_t case_id, const char *cause,
       const char *reason)
{
#define V(c) sl_arena_strdup(tx->a, PQgetvalue(r, row, c))
    if (tx->nmarks == tx->capmarks) {
        tx->capmarks = tx->capmarks ? tx->capmarks * 2 : 64;
        tx->marks = sl_realloc(tx->marks, tx->capmarks * sizeof *tx->marks);
    }
    char have[64];
    snprintf(have, sizeof have, ",%s,", cause);
    char *causes = V(22); /* "{OVERDUE,...}" as ",OVERDUE,...," */
    causes[0] = ',';
    if (causes[1])
        causes[strlen(causes) - 1] = ',';
    tx->marks[tx->nmarks++] = (sl_transfer_escalation_t){
        .transfer_id = atoll(PQgetvalue(r, row, 0)),
        .case_id = case_id,
        .cause = cause,
        .reason = reason,
        .msg_id = "",
        .notice_no = V(3),
        .unit_code = V(4),
        .unit_kind = PQgetisnull(r, row, 19) || strstr(causes, have) ? NULL : V(19),
        .transfer_date = V(21),
        .feedback_deadline = V(10),
        .case_no = V(2),
        .unit_name = V(20),
    };
#undef V
}

long
sl_transfer_clock_step(sl_db_t *db, const sl_calendar_t *cal, int64_t now_ms, int not_handled_days,
                       long limit, const sl_transfer_share_t *share, const sl_actor_t *actor,
                       sl_transfer_clock_tx_t *tx)
{
    char now[40], lim[24];
    sl_time_format_iso(now_ms, now, sizeof now);
    snprintf(lim, sizeof lim, "%ld", limit);
    char si[12], sc[12];
    snprintf(si, sizeof si, "%d", share ? share->index : 0);
    snprintf(sc, sizeof sc, "%d", share ? share->count : 1);
    PGresult *r = NULL;
    long n = 0;
    s_writes_t w;
    s_writes_init(&w);
    /* writes an earlier step kept go first, at that step's instant */
    int rc = s_held_flush(db, tx);
    if (rc != 0)
        goto fail;
    tx->now_ms = now_ms;
    const char *p[] = {now, lim, sc, si};
    rc = sl_db_exec(
        db, &r,
        "SELECT t.id, t.case_id, c.case_no, t.notice_no, t.unit_code, t.state,"
        " coalesce(t.receipt_date::text, ''), coalesce(t.last_progress_at::date::text, ''),"
        " coalesce(t.fed_back_at::date::text, ''), t.objection_deadline::text,"
        " t.feedback_deadline::text, k.accepted_at IS NOT NULL, k.reminded_at IS NOT NULL,"
        " k.overdue_at IS NOT NULL, k.not_handled_at IS NOT NULL, t.calendar_warning,"
        " t.rectify_by IS NOT NULL, coalesce(t.rectify_by::text, ''),"
        " t.rectify_overdue_at IS NOT NULL, u.kind, coalesce(u.name, ''),"
        " coalesce(t.transfer_date::text, ''),"
        " ARRAY(SELECT x.cause FROM transfer_escalation x WHERE x.transfer_id = t.id)::text"
        " FROM transfer_clock k JOIN transfer t ON t.id = k.transfer_id"
        " JOIN cases c ON c.id = t.case_id LEFT JOIN unit u ON u.code = t.unit_code"
        " WHERE k.due_at <= $1::timestamptz"
        " AND ($3::int <= 1 OR k.transfer_id % $3::int = $4::int) ORDER BY k.due_at"
        " LIMIT $2::int FOR UPDATE OF k, t SKIP LOCKED",
        4, p);
    if (rc != 0)
        goto fail;
    n = PQntuples(r);
    /* what follows writes the batch as arrays: planned once, not for each
     * batch's values (the due SELECT above stays planned for its instant:
     * generic plans for all of a session made an idle tick 4 -> 20-35 ms) */
    if (n > 0 && (rc = sl_db_plan_generic(db)) != 0)
        goto fail;
    for (long i = 0; i < n; i++) {
#define V(c) PQgetvalue(r, (int)i, c)
        sl_clock_facts_t f = {
            .state = (sl_transfer_state_t)sl_transfer_state_parse(V(5)),
            .receipt_day = s_day(V(6)),
            .last_progress_day = s_day(V(7)),
            .fed_back_day = s_day(V(8)),
            .objection_deadline = s_day(V(9)),
            .feedback_deadline = s_day(V(10)),
            .accepted = V(11)[0] == 't',
            .reminded = V(12)[0] == 't',
            .overdue = V(13)[0] == 't',
            .not_handled = V(14)[0] == 't',
            .not_handled_days = not_handled_days,
            .plan = V(16)[0] == 't',
            .rectify_by = s_day(V(17)),
            .rectify_overdue = V(18)[0] == 't',
        };
        sl_clock_due_t due;
        sl_deadline_check(cal, &f, now_ms, &due);
        int64_t case_id = atoll(V(1));
        char warn[256] = "";
        if (due.unknown_year && !V(15)[0])
            sl_transfer_calendar_warning(due.unknown_year, warn, sizeof warn);
        int64_t id = atoll(V(0));
        sl_db_bin_int(&w.up, UP_ID, id);
        if (due.next_ms != SL_DEADLINE_NEVER)
            sl_db_bin_time(&w.up, UP_NEXT, due.next_ms);
        else
            sl_db_bin_null(&w.up, UP_NEXT);
        sl_db_bin_bool(&w.up, UP_ACCEPT, due.accept);
        sl_db_bin_bool(&w.up, UP_REMIND, due.remind);
        sl_db_bin_bool(&w.up, UP_OVERDUE, due.overdue);
        sl_db_bin_bool(&w.up, UP_NOT_HANDLED, due.not_handled);
        w.nup++;
        if (warn[0] || due.rectify_overdue) {
            sl_db_array_add_int(&w.wide.col[WIDE_ID], id);
            sl_db_array_add(&w.wide.col[WIDE_WARN], warn);
            sl_db_array_add_bool(&w.wide.col[WIDE_RECTIFY], due.rectify_overdue);
            w.nwide++;
        }
        struct {
            bool on;
            const char *kind, *topic, *cause, *reason;
        } acts[] = {
            {due.accept, "objection_window_closed", "deadline.accepted", NULL, NULL},
            {due.remind, "reminded", "deadline.reminder", NULL, NULL},
            {due.overdue, "overdue", "deadline.overdue", "OVERDUE", "逾期未办结"},
            {due.not_handled, "not_handled", "deadline.not_handled", "ACCEPTED_NOT_HANDLED",
             "接而不办"},
            {due.rectify_overdue, "rectify_overdue", "deadline.rectify_overdue", "RECTIFY_OVERDUE",
             "整改逾期：整改期限已过仍未整改到位"},
        };
        for (size_t k = 0; k < sizeof acts / sizeof acts[0]; k++) {
            if (!acts[k].on)
                continue;
            char rd[11] = "", iu[11] = "";
            if (due.remind_day >= 0)
                sl_date_format(due.remind_day, rd);
            if (due.idle_until >= 0)
                sl_date_format(due.idle_until, iu);
            json_t *o =
                json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "notice_no", V(3), "case_no", V(2),
                          "unit", V(4), "state", V(5), "objection_deadline", V(9),
                          "feedback_deadline", V(10), "clock", acts[k].kind);
            if (rd[0] && k == 1)
                json_object_set_new(o, "remind_day", json_string(rd));
            if (iu[0] && k == 3)
                json_object_set_new(o, "idle_until", json_string(iu));
            if (k == 4)
                json_object_set_new(o, "rectify_by", json_string(V(17)));
            const char *detail = sl_transfer_clock_tx_event(
                tx, acts[k].topic, V(2), json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS));
            json_decref(o);
            if (acts[k].cause)
                s_mark(tx, r, (int)i, case_id, acts[k].cause, acts[k].reason);
            sl_transfer_clock_tx_audit(tx, case_id, now_ms, acts[k].kind, actor, NULL, detail);
            sl_log(SL_LOG_INFO, "case=%s notice=%s %s", V(2), V(3), acts[k].kind);
            bool reopened = false; /* 整改逾期: back to verification (sl_closing.h) */
            /* the reopening reads and appends after what was gathered so far */
            if (k == 4 &&
                ((rc = s_flush(db, now_ms, &w)) != 0 || (rc = s_marks_unraised(db, tx)) != 0 ||
                 (rc = sl_transfer_clock_tx_flush(db, tx)) != 0))
                goto fail;
            if (k == 4 && (rc = sl_transfer_reopen(db, case_id, atoll(V(0)), "RECTIFY_OVERDUE",
                                                   json_pack("{s:s}", "rectify_by", V(17)), now_ms,
                                                   actor, &reopened)) != 0)
                goto fail;
            if (reopened)
                sl_transfer_clock_tx_event(tx, "case.reopened", V(2), sl_strdup(detail));
        }
#undef V
    }
    /* kept for sl_transfer_clock_tx_send (a caller with reads to do first)
     * or sl_transfer_clock_tx_end */
    if (w.nup > 0) {
        tx->held = sl_malloc(sizeof *tx->held);
        *tx->held = w;
        s_writes_init(&w);
    }
    goto done;
fail:
    n = rc;
done:
    PQclear(r);
    s_writes_free(&w);
    return n;
}

long
sl_transfer_clock_tick(sl_db_t *db, const sl_calendar_t *cal, int64_t now_ms, int not_handled_days,
                       long limit, const sl_actor_t *actor, bool *busy, sl_transfer_clock_cb *cb,
                       void *arg)
{
    sl_transfer_clock_tx_t tx;
    int rc = sl_transfer_clock_tx_begin(db, &tx, busy);
    if (rc <= 0)
        return rc;
    long n = sl_transfer_clock_step(db, cal, now_ms, not_handled_days, limit, NULL, actor, &tx);
    return sl_transfer_clock_tx_end(db, &tx, n, cb, arg);
}

int
sl_transfer_clock_list(sl_db_t *db, sl_transfer_clock_row_cb *cb, void *arg)
{
    return sl_db_rows(
        db,
        "SELECT t.notice_no, c.case_no, t.unit_code, t.feedback_deadline::text, t.state,"
        " concat_ws('、', CASE WHEN k.reminded_at IS NOT NULL THEN '已提醒' END,"
        "  CASE WHEN k.overdue_at IS NOT NULL THEN '已逾期' END,"
        "  CASE WHEN k.not_handled_at IS NOT NULL THEN '接而不办' END,"
        "  CASE WHEN EXISTS (SELECT 1 FROM transfer_escalation e WHERE e.transfer_id = t.id"
        "       AND e.cause = 'FALSE_COMPLETION') THEN '虚假办结' END,"
        "  CASE WHEN EXISTS (SELECT 1 FROM transfer_escalation e WHERE e.transfer_id = t.id"
        "       AND e.raised_at IS NOT NULL) THEN '已提级核查' END),"
        " t.calendar_warning"
        " FROM transfer t JOIN transfer_clock k ON k.transfer_id = t.id"
        " JOIN cases c ON c.id = t.case_id"
        " WHERE (t.state <> 'closed' AND (k.reminded_at IS NOT NULL OR k.overdue_at IS NOT NULL"
        "        OR k.not_handled_at IS NOT NULL))"
        "    OR t.id IN (SELECT transfer_id FROM transfer_escalation)"
        " ORDER BY t.feedback_deadline, t.id",
        0, NULL, cb, arg);
}

long
sl_transfer_escalations_pending(sl_db_t *db, long limit, sl_arena_t *a,
                                sl_transfer_escalation_t **out)
{
    *out = NULL;
    char lim[24];
    snprintf(lim, sizeof lim, "%ld", limit);
    const char *p[] = {lim};
    PGresult *r;
    int rc = sl_db_exec(db, &r,
                        "SELECT e.id, e.case_id, e.cause, e.reason, e.msg_id, t.notice_no,"
                        " t.unit_code, u.kind, t.transfer_date::text, t.feedback_deadline::text,"
                        " c.case_no, u.name, e.transfer_id"
                        " FROM transfer_escalation e JOIN transfer t ON t.id = e.transfer_id"
                        " JOIN cases c ON c.id = e.case_id JOIN unit u ON u.code = t.unit_code"
                        " WHERE e.raised_at IS NULL ORDER BY e.id LIMIT $1::int"
                        " FOR UPDATE OF e SKIP LOCKED",
                        1, p);
    if (rc != 0)
        return rc;
    long n = PQntuples(r);
    sl_transfer_escalation_t *e = sl_arena_calloc(a, ((size_t)n + 1) * sizeof *e);
    for (long i = 0; i < n; i++) {
#define V(c) sl_arena_strdup(a, PQgetvalue(r, (int)i, c))
        e[i].id = atoll(PQgetvalue(r, (int)i, 0));
        e[i].case_id = atoll(PQgetvalue(r, (int)i, 1));
        e[i].cause = V(2);
        e[i].reason = V(3);
        e[i].msg_id = V(4);
        e[i].notice_no = V(5);
        e[i].unit_code = V(6);
        e[i].unit_kind = V(7);
        e[i].transfer_date = V(8);
        e[i].feedback_deadline = V(9);
        e[i].case_no = V(10);
        e[i].unit_name = V(11);
        e[i].transfer_id = atoll(PQgetvalue(r, (int)i, 12));
#undef V
    }
    PQclear(r);
    *out = e;
    return n;
}

int
sl_transfer_escalations_insert(sl_db_t *db, const sl_transfer_escalation_t *marks,
                               const char *const *to, const char *const *ref, size_t n,
                               int64_t marked_ms, int64_t raised_ms)
{
    if (n == 0)
        return 0;
    char marked[40], raised[40];
    sl_time_format_iso(marked_ms, marked, sizeof marked);
    sl_time_format_iso(raised_ms, raised, sizeof raised);
    enum { TRANSFER, CASE, CAUSE, REASON, TO, REF, NCOLS };
    sl_db_cols_t cols;
    sl_db_cols_init(&cols, NCOLS);
    sl_buf_t *c = cols.col;
    for (size_t i = 0; i < n; i++) {
        sl_db_array_add_int(&c[TRANSFER], marks[i].transfer_id);
        sl_db_array_add_int(&c[CASE], marks[i].case_id);
        sl_db_array_add(&c[CAUSE], marks[i].cause);
        sl_db_array_add(&c[REASON], marks[i].reason);
        sl_db_array_add(&c[TO], to ? to[i] : NULL);
        sl_db_array_add(&c[REF], ref ? ref[i] : NULL);
    }
    const char *const *a = sl_db_cols_params(&cols);
    const char *p[] = {a[TRANSFER], a[CASE], a[CAUSE], a[REASON],
                       a[TO],       a[REF],  marked,   to ? raised : NULL};
    int rc = sl_db_defer(db,
                         "INSERT INTO transfer_escalation (transfer_id, case_id, cause,"
                         " marked_at, reason, raised_at, raised_to, raised_ref)"
                         " SELECT u.t, u.c, u.cause, $7::timestamptz, u.reason, $8::timestamptz,"
                         " u.too, u.ref"
                         " FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[],"
                         "  $5::text[], $6::text[]) AS u(t, c, cause, reason, too, ref)"
                         " ON CONFLICT (transfer_id, cause) DO NOTHING",
                         8, p);
    sl_db_cols_free(&cols);
    return rc;
}

int
sl_transfer_escalations_raised(sl_db_t *db, const int64_t *ids, const char *const *to,
                               const char *const *ref, size_t n, int64_t now_ms)
{
    if (n == 0)
        return 0;
    char now[40];
    sl_time_format_iso(now_ms, now, sizeof now);
    sl_db_cols_t cols;
    sl_db_cols_init(&cols, 3);
    for (size_t i = 0; i < n; i++) {
        sl_db_array_add_int(&cols.col[0], ids[i]);
        sl_db_array_add(&cols.col[1], to[i]);
        sl_db_array_add(&cols.col[2], ref[i]);
    }
    const char *const *c = sl_db_cols_params(&cols);
    const char *p[] = {c[0], c[1], c[2], now};
    int rc = sl_db_defer(db,
                         "UPDATE transfer_escalation e SET raised_at = $4::timestamptz,"
                         " raised_to = u.too, raised_ref = u.ref"
                         " FROM unnest($1::bigint[], $2::text[], $3::text[]) AS u(id, too, ref)"
                         " WHERE e.id = u.id",
                         4, p);
    sl_db_cols_free(&cols);
    return rc;
}
