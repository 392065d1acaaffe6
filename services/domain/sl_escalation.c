/* sl_escalation.c — escalation (提级核查): raising, receiving, listing.
 *
 * Raising runs inside sl-deadline's transaction, with the clocks that marked
 * what it raises (sl_escalation_tick); receiving inside sl-intake's
 * batch transaction. A verification case is an ordinary registered case routed
 * to this node's lead department for the sector (channel and route
 * "escalation"), so sl-dispatch hands it over on the next transfer list with
 * its own notice and deadlines; escalated_case links it to what it verifies. */
#include "sl_escalation.h"

#include "sl_audit.h"
#include "sl_case.h"
#include "sl_clock.h"
#include "sl_federation.h"
#include "sl_log.h"
#include "sl_sector.h"
#include "sl_supervision.h"
#include "sl_transfer_clock.h"
#include "sl_unit.h"
#include "sl_util.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static int
s_cause(const char *name)
{
    if (strcmp(name, "OVERDUE") == 0)
        return SAFELOOP__V1__ESCALATION__CAUSE__OVERDUE;
    if (strcmp(name, "ACCEPTED_NOT_HANDLED") == 0)
        return SAFELOOP__V1__ESCALATION__CAUSE__ACCEPTED_NOT_HANDLED;
    if (strcmp(name, "RECTIFY_OVERDUE") == 0)
        return SAFELOOP__V1__ESCALATION__CAUSE__RECTIFY_OVERDUE;
    return SAFELOOP__V1__ESCALATION__CAUSE__FALSE_COMPLETION;
}

static const char *
s_cause_name(int cause)
{
    switch (cause) {
    case SAFELOOP__V1__ESCALATION__CAUSE__OVERDUE:
        return "OVERDUE";
    case SAFELOOP__V1__ESCALATION__CAUSE__ACCEPTED_NOT_HANDLED:
        return "ACCEPTED_NOT_HANDLED";
    case SAFELOOP__V1__ESCALATION__CAUSE__FALSE_COMPLETION:
        return "FALSE_COMPLETION";
    case SAFELOOP__V1__ESCALATION__CAUSE__RECTIFY_OVERDUE:
        return "RECTIFY_OVERDUE";
    default:
        return NULL;
    }
}

const char *
sl_escalation_cause_zh(const char *name)
{
    return strcmp(name, "OVERDUE") == 0                ? "逾期未办结"
           : strcmp(name, "ACCEPTED_NOT_HANDLED") == 0 ? "接而不办"
           : strcmp(name, "RECTIFY_OVERDUE") == 0      ? "整改逾期"
                                                       : "虚假办结";
}

/* Parses a smallint[] literal "{1,3}" into VALS (at most 12). */
static int
s_link(sl_db_t *db, int64_t case_id, const char *origin_node, const char *origin_case_no,
       const char *notice_no, const char *cause, const char *receiver, const char *from_case_id,
       const char *msg_id, const char *now)
{
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)case_id);
    const char *p[] = {id,       origin_node,  origin_case_no, notice_no, cause,
                       receiver, from_case_id, msg_id,         now};
    PGresult *r;
    int rc = sl_db_exec(db, &r,
                        "INSERT INTO escalated_case (case_id, origin_node, origin_case_no,"
                        " notice_no, cause, receiver_unit, from_case_id, msg_id, opened_at)"
                        " VALUES ($1::bigint, $2, $3, $4, $5, $6, $7::bigint, $8, $9)",
                        9, p);
    if (rc == 0)
        PQclear(r);
    return rc;
}

/* A mark raised, not yet written. */
typedef struct {
    const sl_transfer_escalation_t *e; /* the mark (id 0: made by this transaction's clocks) */
    const char *to, *ref;              /* where it went */
} s_mark_t;

/* Writes the *N gathered MARKS — raised_at on those in the table, the new
 * ones inserted raised — and the envelopes in OUTBOX (deferred: they travel
 * with the transaction's next statement). TX holds the new marks' instant. */
static int
s_raised_flush(sl_db_t *db, int64_t now_ms, s_mark_t *marks, size_t *n, sl_outbox_batch_t *outbox,
               const sl_transfer_clock_tx_t *tx)
{
    int rc = sl_outbox_batch_flush(db, outbox, now_ms);
    if (*n == 0 || rc != 0)
        return rc;
    int64_t *ids = sl_calloc(*n, sizeof *ids);
    sl_transfer_escalation_t *fresh = sl_calloc(*n, sizeof *fresh);
    const char **to = sl_calloc(2 * *n, sizeof *to), **ref = sl_calloc(2 * *n, sizeof *ref);
    size_t nold = 0, nnew = 0;
    for (size_t i = 0; i < *n; i++) {
        if (marks[i].e->id) {
            ids[nold] = marks[i].e->id, to[nold] = marks[i].to, ref[nold++] = marks[i].ref;
        } else {
            to[*n + nnew] = marks[i].to, ref[*n + nnew] = marks[i].ref;
            fresh[nnew++] = *marks[i].e;
        }
    }
    rc = sl_transfer_escalations_raised(db, ids, to, ref, nold, now_ms);
    if (rc == 0)
        rc = sl_transfer_escalations_insert(db, fresh, to + *n, ref + *n, nnew, tx->now_ms, now_ms);
    free(ids);
    free(fresh);
    free(to);
    free(ref);
    *n = 0;
    return rc;
}

/* s_raised_flush's arguments, for s_send_raised. */
typedef struct {
    int64_t now_ms;
    s_mark_t *marks;
    size_t *n;
    sl_outbox_batch_t *outbox;
    const sl_transfer_clock_tx_t *tx;
} s_raised_t;

/* s_raised_flush, then sends what it wrote (sl_db_send_deferred): called
 * once the chains are locked, so the database writes the envelopes and the
 * marks while the events are hashed. */
static int
s_send_raised(sl_db_t *db, void *arg)
{
    s_raised_t *r = arg;
    int rc = s_raised_flush(db, r->now_ms, r->marks, r->n, r->outbox, r->tx);
    return rc != 0 ? rc : sl_db_send_deferred(db);
}

/* A case's row in the facts (sl_case_fetch_many), looked up by number. */
typedef struct {
    const char *case_no; /* borrowed from the result */
    int row;
} s_facts_key_t;

static int
s_facts_cmp(const void *x, const void *y)
{
    return strcmp(((const s_facts_key_t *)x)->case_no, ((const s_facts_key_t *)y)->case_no);
}

long
sl_escalation_step(sl_db_t *db, const char *node, const char *parent, int64_t now_ms, long limit,
                   const sl_actor_t *actor, sl_transfer_clock_tx_t *tx)
{
    char now[40];
    sl_time_format_iso(now_ms, now, sizeof now);
    sl_arena_t *a = sl_arena_new(0);
    PGresult *facts_r = NULL;
    s_mark_t *marks = NULL;
    size_t nmarks = 0;
    sl_outbox_batch_t outbox;
    sl_outbox_batch_init(&outbox);
    int rc = 0;
    sl_transfer_escalation_t *pending;
    long n = sl_transfer_escalations_pending(db, limit, a, &pending);
    if (n < 0) {
        rc = (int)n;
        goto fail;
    }
    /* then the marks this transaction's clocks made (TX), raised as they are
     * written; those that cannot be raised stay for sl_transfer_clock_tx_end */
    size_t nnew = 0;
    for (size_t k = 0; k < tx->nmarks; k++)
        nnew += tx->marks[k].unit_kind != NULL;
    if (nnew > 0) {
        sl_transfer_escalation_t *all = sl_arena_calloc(a, ((size_t)n + nnew) * sizeof *all);
        memcpy(all, pending, (size_t)n * sizeof *all);
        size_t kept = 0;
        for (size_t k = 0; k < tx->nmarks; k++) {
            if (tx->marks[k].unit_kind)
                all[n++] = tx->marks[k];
            else
                tx->marks[kept++] = tx->marks[k];
        }
        tx->nmarks = kept;
        pending = all;
    }
    if (n == 0)
        goto done; /* the idle tick: one look at the pending marks */
    /* set-based: the cases' facts in one query, the marks, the envelopes and
     * the audit events (the caller's TX) written together */
    const char **nos = sl_arena_calloc(a, ((size_t)n + 1) * sizeof *nos);
    for (long i = 0; i < n; i++)
        nos[i] = pending[i].case_no;
    if ((rc = sl_case_fetch_many(db, nos, (size_t)n, &facts_r)) != 0)
        goto fail;
    /* the clocks' writes (held: the reads above do not depend on them) go to
     * the database now, which writes them while the envelopes are built */
    if ((rc = sl_transfer_clock_tx_send(db, tx)) != 0)
        goto fail;
    int nrows = PQntuples(facts_r);
    s_facts_key_t *rows = sl_arena_calloc(a, ((size_t)nrows + 1) * sizeof *rows);
    for (int k = 0; k < nrows; k++)
        rows[k] = (s_facts_key_t){PQgetvalue(facts_r, k, 0), k};
    qsort(rows, (size_t)nrows, sizeof *rows, s_facts_cmp);
    marks = sl_calloc((size_t)n + 1, sizeof *marks);
    for (long i = 0; i < n; i++) {
        const sl_transfer_escalation_t *e = &pending[i];
        const char *cause = e->cause, *notice = e->notice_no, *unit = e->unit_code;
        const char *case_no = e->case_no;
        s_facts_key_t key = {case_no, 0};
        const s_facts_key_t *found = bsearch(&key, rows, (size_t)nrows, sizeof *rows, s_facts_cmp);
        if (!found) {
            sl_log(SL_LOG_ERROR, "case=%s vanished while raising its escalation", case_no);
            rc = -1;
            goto fail;
        }
        sl_pb_clue_t *facts = sl_case_clue_of(facts_r, found->row, now_ms, false, a, NULL);
        int sector = (int)facts->sector;
        char to[16], ref[96] = "";
        if (strcmp(e->unit_kind, "child") == 0) {
            /* The receiver is a child node: this node is the level above. */
            const sl_sector_t *sec = sl_sector_by_value(sector);
            char dept[48];
            if (sl_unit_lead(db, sector, dept, sizeof dept) != 0)
                snprintf(dept, sizeof dept, "%s:%s", node, sec ? sec->dept_key : "emergency");
            char desc[4096], viol[128];
            snprintf(
                desc, sizeof desc, "提级核查（%s）：原交办文号%s，原承办单位%s，原线索编号%s。%s",
                sl_escalation_cause_zh(cause), notice, e->unit_name, case_no, facts->description);
            sl_case_new_t c = {.sector = sector,
                               .subject_name = facts->subject->name,
                               .credit_code = facts->subject->credit_code,
                               .division = facts->place->division,
                               .township = facts->place->township,
                               .address = facts->place->address,
                               .violations = sl_case_violations_literal(facts, viol, sizeof viol),
                               .violation_text = facts->violation_text,
                               .sector_text = facts->sector_text,
                               .description = desc,
                               .major_hazard = facts->major_hazard,
                               .suspected_crime = facts->suspected_crime,
                               .suspected_dereliction = facts->suspected_dereliction,
                               .channel = "escalation",
                               .route = "escalation",
                               .unit_code = dept,
                               .msg_id = e->msg_id[0] ? e->msg_id : "sl-deadline"};
            json_t *d = json_pack("{s:s, s:s, s:s, s:s}", "escalated_from", case_no, "notice_no",
                                  notice, "cause", cause, "receiver", unit);
            char *detail = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
            json_decref(d);
            int64_t new_id;
            rc = sl_case_open(db, node, now_ms, &c, actor->key, actor->unit, detail, ref, &new_id);
            free(detail);
            char from_id[24];
            snprintf(from_id, sizeof from_id, "%lld", (long long)e->case_id);
            if (rc == 0)
                rc = s_link(db, new_id, node, case_no, notice, cause, unit, from_id, e->msg_id,
                            now);
            if (rc != 0)
                goto fail;
            snprintf(to, sizeof to, "verification");
        } else if (parent && parent[0]) {
            /* One of this node's own units: the parent verifies. */
            sl_pb_envelope_t env = SL_PB_ENVELOPE_INIT;
            sl_pb_escalation_t esc = SAFELOOP__V1__ESCALATION__INIT;
            env.body_case = SAFELOOP__V1__ENVELOPE__BODY_ESCALATION;
            env.escalation = &esc;
            esc.notice_no = (char *)notice;
            esc.origin_node = (char *)node;
            esc.operator_ = "";
            esc.at = now_ms;
            esc.case_no = (char *)case_no;
            esc.cause = s_cause(cause);
            esc.receiver_unit = (char *)unit;
            esc.receiver_unit_name = (char *)e->unit_name;
            esc.transfer_date = (char *)e->transfer_date;
            esc.feedback_deadline = (char *)e->feedback_deadline;
            esc.detail = (char *)e->reason;
            esc.clue = facts;
            facts->channel = SAFELOOP__V1__CLUE_REPORT__CHANNEL__LOWER_NODE;
            facts->received_at = now_ms;
            facts->origin_node = (char *)node;
            facts->forwarded_case_no = (char *)case_no;
            char id[37];
            sl_fed_send_batch(&outbox, node, parent, &env, "escalation", case_no, now_ms, id);
            snprintf(to, sizeof to, "parent");
            snprintf(ref, sizeof ref, "%s", parent);
        } else {
            /* The top node: on its own supervision list (which audits the
             * case itself: what was gathered goes first) */
            if ((rc = s_raised_flush(db, now_ms, marks, &nmarks, &outbox, tx)) != 0 ||
                (rc = sl_transfer_clock_tx_flush(db, tx)) != 0)
                goto fail;
            if ((rc = sl_supervision_list_escalated(db, e->case_id, now_ms, e->msg_id, ref,
                                                    sizeof ref)) != 0)
                goto fail;
            snprintf(to, sizeof to, "supervision");
        }
        json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "case_no", case_no, "notice_no",
                              notice, "unit", unit, "cause", cause, "to", to, "ref", ref);
        const char *detail = sl_transfer_clock_tx_event(
            tx, "case.escalated", case_no, json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS));
        json_decref(o);
        marks[nmarks++] =
            (s_mark_t){.e = e, .to = sl_arena_strdup(a, to), .ref = sl_arena_strdup(a, ref)};
        sl_transfer_clock_tx_audit(tx, e->case_id, now_ms, "escalated", actor, e->msg_id, detail);
        sl_log(SL_LOG_INFO, "case=%s notice=%s escalated (%s) to %s %s", case_no, notice, cause, to,
               ref);
    }
    /* the events gathered so far (the clocks' too) are appended here, not at
     * the end of the transaction, so the marks and envelopes can be written
     * while they are hashed */
    s_raised_t raised = {now_ms, marks, &nmarks, &outbox, tx};
    if ((rc = sl_transfer_clock_tx_flush_then(db, tx, s_send_raised, &raised)) != 0)
        goto fail;
    goto done;
fail:
    n = rc;
done:
    sl_outbox_batch_free(&outbox);
    PQclear(facts_r);
    free(marks);
    sl_arena_destroy(&a);
    return n;
}

/* sl_escalation_cb through the events of a sl_transfer_clock_tx_t. */
typedef struct {
    sl_escalation_cb *cb;
    void *arg;
} s_escalated_cb_t;

static void
s_on_escalated(void *arg, const char *topic, const char *case_no, const char *json)
{
    s_escalated_cb_t *c = arg;
    (void)topic;
    if (c->cb)
        c->cb(c->arg, case_no, json);
}

long
sl_escalation_raise(sl_db_t *db, const char *node, const char *parent, int64_t now_ms, long limit,
                    const sl_actor_t *actor, bool *busy, sl_escalation_cb *cb, void *arg)
{
    sl_transfer_clock_tx_t tx;
    int rc = sl_transfer_clock_tx_begin(db, &tx, busy);
    if (rc <= 0)
        return rc;
    long n = sl_escalation_step(db, node, parent, now_ms, limit, actor, &tx);
    s_escalated_cb_t c = {cb, arg};
    return sl_transfer_clock_tx_end(db, &tx, n, s_on_escalated, &c);
}

long
sl_escalation_tick(sl_db_t *db, const sl_calendar_t *cal, const char *node, const char *parent,
                   int64_t now_ms, int not_handled_days, long limit,
                   const sl_transfer_share_t *share, const sl_actor_t *actor, bool *busy,
                   long *raised, sl_transfer_clock_cb *cb, void *arg)
{
    *raised = 0;
    sl_transfer_clock_tx_t tx;
    int rc = sl_transfer_clock_tx_begin(db, &tx, busy);
    if (rc <= 0)
        return rc;
    long n = sl_transfer_clock_step(db, cal, now_ms, not_handled_days, limit, share, actor, &tx);
    long m = n < 0 ? 0 : sl_escalation_step(db, node, parent, now_ms, limit, actor, &tx);
    long r = sl_transfer_clock_tx_end(db, &tx, n < 0 ? n : m < 0 ? m : n, cb, arg);
    if (n >= 0 && m < 0 && m != SL_AGAIN) {
        /* the raising failed: the clocks go on without it, as when apart */
        *raised = m;
        return sl_transfer_clock_tick(db, cal, now_ms, not_handled_days, limit, actor, busy, cb,
                                      arg);
    }
    if (r >= 0)
        *raised = m;
    return r;
}

int
sl_escalation_validate(const sl_pb_envelope_t *env, sl_codec_error_t *err)
{
    const sl_pb_escalation_t *e = env->escalation;
    static const struct {
        size_t off;
        const char *path, *zh;
    } req[] = {
        {offsetof(sl_pb_escalation_t, notice_no), "notice_no", "交办文号"},
        {offsetof(sl_pb_escalation_t, origin_node), "origin_node", "提级核查发起节点"},
        {offsetof(sl_pb_escalation_t, case_no), "case_no", "原线索编号"},
    };
    for (size_t i = 0; i < sizeof req / sizeof req[0]; i++) {
        const char *v = *(char *const *)((const char *)e + req[i].off);
        if (!v || !v[0]) {
            sl_codec_error_set(err, SL_ERR_MISSING_FIELD, req[i].path, "缺少%s %s", req[i].zh,
                               req[i].path);
            return SL_DECLINED;
        }
    }
    if (!s_cause_name(e->cause)) {
        sl_codec_error_set(err, SL_ERR_MISSING_FIELD, "cause", "缺少提级核查原因 cause");
        return SL_DECLINED;
    }
    if (!e->clue || !e->clue->subject || !e->clue->subject->name || !e->clue->subject->name[0]) {
        sl_codec_error_set(err, SL_ERR_MISSING_FIELD, "clue.subject.name", "缺少核查对象名称");
        return SL_DECLINED;
    }
    if (!e->clue->place || !e->clue->place->division || !e->clue->place->division[0]) {
        sl_codec_error_set(err, SL_ERR_MISSING_FIELD, "clue.place.division", "缺少所在地");
        return SL_DECLINED;
    }
    if (!sl_sector_by_value((int)e->clue->sector)) {
        sl_codec_error_set(err, SL_ERR_UNKNOWN_SECTOR, NULL, "领域无效（%d）",
                           (int)e->clue->sector);
        return SL_DECLINED;
    }
    return 0;
}

int
sl_escalation_apply(sl_db_t *db, const char *node, int64_t now_ms, const sl_pb_envelope_t *env,
                    const char *sender, sl_apply_result_t *res)
{
    memset(res, 0, sizeof *res);
    const sl_pb_escalation_t *e = env->escalation;
    const char *cause = s_cause_name(e->cause);
    char now[40];
    sl_time_format_iso(now_ms, now, sizeof now);
    PGresult *r;
    const char *op[] = {e->origin_node};
    int rc = sl_db_exec(db, &r,
                        "SELECT d.name FROM unit u JOIN division d ON d.code = u.division"
                        " WHERE u.code = $1 AND u.kind = 'child'",
                        1, op);
    if (rc != 0)
        return rc;
    bool child = PQntuples(r) > 0;
    char origin_name[128] = "";
    if (child)
        snprintf(origin_name, sizeof origin_name, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    if (!child) {
        sl_codec_error_set(&res->err, SL_ERR_WRONG_ORIGIN, NULL,
                           "%s 不是本节点的下级节点，不能向本节点提级核查", e->origin_node);
        return SL_DECLINED;
    }
    const char *dp[] = {e->origin_node, e->notice_no, cause};
    if ((rc = sl_db_exec(db, &r,
                         "SELECT c.case_no FROM escalated_case x JOIN cases c ON c.id = x.case_id"
                         " WHERE x.origin_node = $1 AND x.notice_no = $2 AND x.cause = $3",
                         3, dp)) != 0)
        return rc;
    if (PQntuples(r) > 0) {
        snprintf(res->case_no, sizeof res->case_no, "%s", PQgetvalue(r, 0, 0));
        PQclear(r);
        snprintf(res->ref, sizeof res->ref, "escalation:%s", e->case_no);
        res->topic = NULL;
        return 0;
    }
    PQclear(r);
    const sl_pb_clue_t *cl = e->clue;
    const sl_sector_t *sec = sl_sector_by_value((int)cl->sector);
    char dept[48];
    if (sl_unit_lead(db, (int)cl->sector, dept, sizeof dept) != 0)
        snprintf(dept, sizeof dept, "%s:%s", node, sec->dept_key);
    sl_buf_t viol;
    sl_buf_init(&viol);
    sl_buf_puts(&viol, "{");
    for (size_t i = 0; i < cl->n_violations; i++)
        sl_buf_printf(&viol, "%s%d", i ? "," : "", (int)cl->violations[i]);
    sl_buf_puts(&viol, "}");
    char desc[4096];
    const char *rname = e->receiver_unit_name && *e->receiver_unit_name ? e->receiver_unit_name
                        : e->receiver_unit                              ? e->receiver_unit
                                                                        : "";
    snprintf(desc, sizeof desc,
             "提级核查（%s）：原交办文号%s（%s交办），原承办单位%s，原线索编号%s。%s%s",
             sl_escalation_cause_zh(cause), e->notice_no, origin_name, rname, e->case_no,
             e->detail ? e->detail : "", cl->description ? cl->description : "");
    sl_case_new_t c = {.sector = (int)cl->sector,
                       .subject_name = cl->subject->name,
                       .credit_code = cl->subject->credit_code,
                       .division = cl->place->division,
                       .township = cl->place->township,
                       .address = cl->place->address,
                       .violations = viol.data ? viol.data : "{}",
                       .violation_text = cl->violation_text,
                       .sector_text = cl->sector_text,
                       .description = desc,
                       .major_hazard = cl->major_hazard,
                       .suspected_crime = cl->suspected_crime,
                       .suspected_dereliction = cl->suspected_dereliction,
                       .channel = "escalation",
                       .route = "escalation",
                       .unit_code = dept,
                       .msg_id = env->msg_id};
    json_t *d = json_pack("{s:s, s:s, s:s, s:s}", "escalated_from", e->case_no, "origin_node",
                          e->origin_node, "notice_no", e->notice_no, "cause", cause);
    char *detail = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(d);
    int64_t id;
    rc = sl_case_open(db, node, now_ms, &c, sender, e->origin_node, detail, res->case_no, &id);
    free(detail);
    sl_buf_free(&viol);
    if (rc == 0)
        rc = s_link(db, id, e->origin_node, e->case_no, e->notice_no, cause,
                    e->receiver_unit ? e->receiver_unit : "", NULL, env->msg_id, now);
    if (rc != 0)
        return rc;
    snprintf(res->ref, sizeof res->ref, "escalation:%s", e->case_no);
    snprintf(res->state, sizeof res->state, "registered");
    res->topic = "case.escalated";
    sl_log(SL_LOG_INFO, "case=%s msg_id=%s verification of %s %s (%s) from %s", res->case_no,
           env->msg_id, e->case_no, e->notice_no, cause, e->origin_node);
    return 0;
}

int
sl_escalation_list(sl_db_t *db, sl_escalation_row_cb *cb, void *arg)
{
    return sl_db_rows(
        db,
        "SELECT t.notice_no, c.case_no, t.unit_code, e.cause,"
        " to_char(e.marked_at, 'YYYY-MM-DD HH24:MI'),"
        " coalesce(to_char(e.raised_at, 'YYYY-MM-DD HH24:MI'), ''), coalesce(e.raised_to, ''),"
        " coalesce(e.raised_ref, ''), 0 AS o, e.id"
        " FROM transfer_escalation e JOIN transfer t ON t.id = e.transfer_id"
        " JOIN cases c ON c.id = e.case_id"
        " UNION ALL"
        " SELECT x.notice_no, x.origin_case_no, x.receiver_unit, x.cause,"
        " to_char(x.opened_at, 'YYYY-MM-DD HH24:MI'), to_char(x.opened_at, 'YYYY-MM-DD HH24:MI'),"
        " 'received:' || x.origin_node, c.case_no, 1, x.case_id"
        " FROM escalated_case x JOIN cases c ON c.id = x.case_id"
        " WHERE x.origin_node <> (SELECT code FROM node)"
        " ORDER BY 9, 10",
        0, NULL, cb, arg);
}
