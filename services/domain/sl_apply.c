/* sl_apply.c — what an inbound body means, and applying a batch of them.
 *
 * Moved out of sl-intake's server so that the daemon keeps the transport
 * (sockets, queue, worker thread, retry, acks, events) and this module the
 * meaning: sl_permit decides who may send a body; the validators and the
 * routing map decide whether and where it goes (sl_apply_prepare, pure); one
 * transaction stores and applies a batch through the module each body belongs
 * to (sl_apply_batch). DESIGN.md "Intake" and "Where things are". */
#include "sl_apply.h"

#include "sl_accident.h"
#include "sl_case.h"
#include "sl_clock.h"
#include "sl_escalation.h"
#include "sl_federation.h"
#include "sl_finding.h"
#include "sl_inbox.h"
#include "sl_inspection.h"
#include "sl_log.h"
#include "sl_official.h"
#include "sl_plan.h"
#include "sl_pledge.h"
#include "sl_publish_db.h"
#include "sl_report.h"
#include "sl_sector.h"
#include "sl_spotcheck.h"
#include "sl_supervision.h"
#include "sl_transfer.h"
#include "sl_util.h"
#include "sl_validate.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

const char *
sl_apply_msg_id(const sl_apply_item_t *it)
{
    return it->env && it->env->msg_id ? it->env->msg_id : "";
}

static void
s_reject(sl_apply_item_t *it, const char *code, const char *detail, const char *text)
{
    sl_codec_error_set(&it->err, code, detail, "%s", text);
    it->state = SL_APPLY_REJECT;
}

sl_pb_clue_t *
sl_apply_clue(const sl_pb_envelope_t *env)
{
    if (!env)
        return NULL;
    if (sl_codec_body(env) == SL_BODY_CLUE)
        return env->clue;
    if (sl_codec_body(env) == SL_BODY_TRANSFER)
        return env->transfer->clue;
    return NULL;
}

/* --- preparing: who may send it, is it valid, where it goes (pure) ------------ */

/* Escalations and reports (up from children and units), and the office's
 * public notes (三公开), are validated and applied by their own modules, not
 * the transfer module. */
static bool
s_upward(const sl_pb_envelope_t *env)
{
    sl_body_t b = sl_codec_body(env);
    return b == SL_BODY_ESCALATION || b == SL_BODY_WEEKLY_REPORT ||
           b == SL_BODY_MONTHLY_REPORT || b == SL_BODY_PUBLIC_NOTE;
}

static int
s_validate_upward(const sl_pb_envelope_t *env, sl_codec_error_t *err)
{
    switch (sl_codec_body(env)) {
    case SL_BODY_ESCALATION:
        return sl_escalation_validate(env, err);
    case SL_BODY_PUBLIC_NOTE:
        return sl_pub_note_validate(env, err);
    default:
        return sl_report_validate(env, err);
    }
}

/* Register rows (issue 18): an inspection, a spot check's result, an accident,
 * an official's post, an earlier finding, a liaison, a commitment, a plan. */
static bool
s_register(const sl_pb_envelope_t *env)
{
    sl_body_t b = sl_codec_body(env);
    return b == SL_BODY_INSPECTION || b == SL_BODY_SPOT_CHECK || b == SL_BODY_ACCIDENT ||
           b == SL_BODY_OFFICIAL || b == SL_BODY_FINDING || b == SL_BODY_LIAISON ||
           b == SL_BODY_COMMITMENT || b == SL_BODY_PLAN;
}

static int
s_validate_register(const sl_apply_ctx_t *ctx, const sl_pb_envelope_t *env, sl_codec_error_t *err)
{
    if (sl_codec_body(env) == SL_BODY_SPOT_CHECK)
        return sl_spotcheck_validate(env->spot_check, err);
    if (sl_codec_body(env) == SL_BODY_ACCIDENT)
        return sl_accident_validate(env->accident, ctx->routes, err);
    if (sl_codec_body(env) == SL_BODY_OFFICIAL)
        return sl_official_validate(env->official, err);
    if (sl_codec_body(env) == SL_BODY_FINDING)
        return sl_finding_prepare(env->finding, ctx->routes, err);
    if (sl_codec_body(env) == SL_BODY_LIAISON)
        return sl_liaison_validate(env->liaison, err);
    if (sl_codec_body(env) == SL_BODY_COMMITMENT)
        return sl_commitment_validate(env->commitment, ctx->routes, err);
    if (sl_codec_body(env) == SL_BODY_PLAN)
        return sl_plan_validate(env->plan, err);
    return sl_inspection_validate(env->inspection, ctx->routes, err);
}

/* Routes CLUE (validated) for IT: its route, and the unit when it stays in
 * the territory (a child's government, or this level's lead department for
 * the sector). True if it stays; false if it goes to the parent. */
static bool
s_route(const sl_apply_ctx_t *ctx, sl_apply_item_t *it, const sl_pb_clue_t *clue)
{
    it->route = sl_route_clue(ctx->routes, clue->place->division, (int)clue->sector);
    if (it->route.kind == SL_ROUTE_CHILD)
        snprintf(it->unit, sizeof it->unit, "%s", it->route.child);
    else if (it->route.kind == SL_ROUTE_DEPARTMENT)
        snprintf(it->unit, sizeof it->unit, "%s", it->route.unit);
    else
        return false;
    return true;
}

/* A transfer from the parent (DESIGN.md "Federation"): its clue becomes a case
 * of this node (channel UPPER_TRANSFER, the upper case and notice numbers),
 * routed inside this node's territory like any clue. */
static void
s_prepare_transfer(const sl_apply_ctx_t *ctx, sl_apply_item_t *it)
{
    sl_pb_transfer_t *t = it->env->transfer;
    if (!t->notice_no || !*t->notice_no) {
        s_reject(it, SL_ERR_MISSING_FIELD, "notice_no", "交办书须有交办文号");
        return;
    }
    if (!t->case_no || !*t->case_no) {
        s_reject(it, SL_ERR_MISSING_FIELD, "case_no", "交办书须有上级线索编号");
        return;
    }
    if (!t->clue) {
        s_reject(it, SL_ERR_MISSING_FIELD, "clue", "交办书须附问题线索");
        return;
    }
    if (!t->to_unit || strcmp(t->to_unit, ctx->node) != 0) {
        s_reject(it, SL_ERR_BAD_FIELD, "to_unit", "交办书的承办单位不是本节点");
        return;
    }
    /* the upper dates are kept on the case (sl_case_set_upper): dates or none */
    const char *dates[] = {t->transfer_date, t->objection_deadline, t->feedback_deadline};
    static const char *const names[] = {"transfer_date", "objection_deadline", "feedback_deadline"};
    for (int i = 0; i < 3; i++) {
        int32_t day;
        if (dates[i] && *dates[i] && sl_date_parse(dates[i], &day) != 0) {
            s_reject(it, SL_ERR_BAD_FIELD, names[i], "交办书的日期格式有误");
            return;
        }
    }
    sl_pb_clue_t *clue = t->clue;
    clue->channel = SAFELOOP__V1__CLUE_REPORT__CHANNEL__UPPER_TRANSFER;
    clue->upper_case_no = t->case_no;
    clue->upper_notice_no = t->notice_no;
    clue->upper_office = t->from_office;
    clue->origin_node = t->from_unit;
    if (sl_validate_clue(clue, ctx->routes, &it->err) != 0) {
        it->state = SL_APPLY_REJECT;
        return;
    }
    if (!s_route(ctx, it, clue)) {
        s_reject(it, SL_ERR_BAD_FIELD, "clue.place.division", "交办事项的地点不在本节点辖区内");
        return;
    }
    it->state = SL_APPLY_VALID;
}

void
sl_apply_prepare(const sl_apply_ctx_t *ctx, sl_apply_item_t *it)
{
    assert(it->env && it->state == SL_APPLY_NEW);
    if (sl_permit(it->principal, it->env, ctx->node, &it->err) != 0) {
        it->state = SL_APPLY_REJECT;
        it->not_permitted = true;
    } else if (sl_codec_body(it->env) == SL_BODY_TRANSFER) {
        s_prepare_transfer(ctx, it);
    } else if (sl_codec_body(it->env) == SL_BODY_CLUE) {
        sl_pb_clue_t *clue = it->env->clue;
        if (sl_validate_clue(clue, ctx->routes, &it->err) != 0) {
            it->state = SL_APPLY_REJECT;
        } else {
            it->state = SL_APPLY_VALID;
            if (!s_route(ctx, it, clue) && !ctx->parent[0])
                s_reject(it, SL_ERR_UNKNOWN_DIVISION, NULL,
                         "地点不在本节点辖区内，且本节点没有上级节点");
        }
    } else if (s_upward(it->env)) {
        it->state = s_validate_upward(it->env, &it->err) == 0 ? SL_APPLY_VALID : SL_APPLY_REJECT;
    } else if (s_register(it->env)) {
        it->state =
            s_validate_register(ctx, it->env, &it->err) == 0 ? SL_APPLY_VALID : SL_APPLY_REJECT;
    } else {
        /* answers and decisions: unknown_body for anything else */
        it->state = sl_validate_answer(it->env, &it->err) == 0 ? SL_APPLY_VALID : SL_APPLY_REJECT;
    }
}

/* The route a registration records. */
static const char *
s_route_name(const sl_apply_item_t *it)
{
    return it->route.kind == SL_ROUTE_CHILD ? "child" : "department";
}

void
sl_apply_prep(sl_apply_item_t *it, sl_arena_t *a)
{
    const sl_pb_clue_t *clue = it->env ? sl_apply_clue(it->env) : NULL;
    if (it->state != SL_APPLY_VALID || !clue || it->route.kind == SL_ROUTE_PARENT)
        return;
    sl_case_reg_prep(&it->prep, a, clue, s_route_name(it), it->unit);
    it->prepped = true;
}

/* --- applying: one batch in one transaction ---------------------------------- */

typedef struct {
    sl_apply_item_t **items;
    size_t n;
} s_batch_t;

/* For each msg_id stored before (sl_inbox_find's rows: msg_id, case_no,
 * ref): every copy in the batch is a duplicate with the original's result. */
static void
s_found(void *arg, const char *const *cols)
{
    s_batch_t *b = arg;
    for (size_t i = 0; i < b->n; i++) {
        sl_apply_item_t *it = b->items[i];
        if (it->state == SL_APPLY_VALID && strcmp(sl_apply_msg_id(it), cols[0]) == 0) {
            it->state = SL_APPLY_DUP;
            it->stored_before = true;
            snprintf(it->case_no, sizeof it->case_no, "%s", cols[1]);
            snprintf(it->ref, sizeof it->ref, "%s", cols[2]);
        }
    }
}

/* Forwards a clue outside the territory to the parent through the outbox. */
static int
s_forward(const sl_apply_ctx_t *ctx, sl_db_t *db, sl_apply_item_t *it, int64_t now)
{
    sl_pb_envelope_t fwd = SL_PB_ENVELOPE_INIT;
    fwd.body_case = SAFELOOP__V1__ENVELOPE__BODY_CLUE;
    sl_pb_clue_t clue = *it->env->clue;
    clue.channel = SAFELOOP__V1__CLUE_REPORT__CHANNEL__LOWER_NODE;
    clue.origin_node = (char *)ctx->node;
    fwd.clue = &clue;
    char id[37];
    int rc = sl_fed_send(db, ctx->node, ctx->parent, &fwd, "clue", NULL, now, id);
    snprintf(it->ref, sizeof it->ref, "forwarded:%s", ctx->parent);
    return rc;
}

/* What a module's apply decided for IT: accepted (case, ref, topic), or a
 * refusal of this envelope only (then 0). -1 / SL_AGAIN pass through. */
static int
s_take_result(sl_apply_item_t *it, int rc, const sl_apply_result_t *res)
{
    snprintf(it->case_no, sizeof it->case_no, "%s", res->case_no);
    snprintf(it->ref, sizeof it->ref, "%s", res->ref);
    if (rc == SL_DECLINED) {
        it->err = res->err;
        it->state = SL_APPLY_REJECT;
        it->refused = true;
        return 0;
    }
    if (rc == 0) {
        it->state = SL_APPLY_ACCEPTED;
        it->topic = res->topic;
    }
    return rc;
}

/* Applies an answer or decision through the transfer module (a listing for
 * supervision through the supervision module; a referral, 两移交 after the
 * check, through sl_transfer_refer_apply), inside the
 * batch's transaction. A refusal rejects only this envelope (nothing was
 * written for it). 0, or -1 / SL_AGAIN for the whole attempt. */
static int
s_apply_answer(const sl_apply_ctx_t *ctx, sl_db_t *db, sl_apply_item_t *it,
               const sl_calendar_t *cal, int64_t now)
{
    sl_apply_result_t res;
    int rc = sl_supervision_is(it->env)
                 ? sl_supervision_apply(db, ctx->node, now, it->env, it->sender, &res)
             : sl_transfer_is_refer(it->env)
                 ? sl_transfer_refer_apply(db, cal, ctx->node, now, it->env, it->sender, &res)
                 : sl_transfer_apply(db, cal, ctx->node, now, it->env, it->sender,
                                     sl_transfer_upper_margin(ctx->cfg), &res);
    if (rc == 0) /* under 挂牌督办 now: listed here, or the copy for a case below */
        rc = sl_transfer_supervise_after(db, cal, ctx->cfg, ctx->node, now, it->env, it->sender);
    return s_take_result(it, rc, &res);
}

/* Applies an escalation (a verification case here), a report or a public
 * note, inside the batch's transaction; a refusal rejects only this
 * envelope. 0, or -1 / SL_AGAIN for the whole attempt. */
static int
s_apply_upward(const sl_apply_ctx_t *ctx, sl_db_t *db, sl_apply_item_t *it, int64_t now)
{
    sl_apply_result_t res;
    int rc;
    switch (sl_codec_body(it->env)) {
    case SL_BODY_ESCALATION:
        rc = sl_escalation_apply(db, ctx->node, now, it->env, it->sender, &res);
        break;
    case SL_BODY_PUBLIC_NOTE:
        rc = sl_pub_note_apply(db, ctx->node, now, it->env, it->sender, &res);
        break;
    default:
        rc = sl_report_apply(db, now, it->env, &res);
    }
    return s_take_result(it, rc, &res);
}

/* Registers CLUE, which register row IT brought, as a case routed like any
 * clue (when it stays in the territory); *CASE_NO gets its number ("" if it
 * went nowhere). 0, -1 or SL_AGAIN. */
static int
s_register_clue(const sl_apply_ctx_t *ctx, sl_db_t *db, sl_apply_item_t *it,
                const sl_pb_clue_t *clue, int64_t now, char case_no[64])
{
    case_no[0] = '\0';
    if (!s_route(ctx, it, clue))
        return 0;
    sl_case_reg_t reg = {.clue = clue,
                         .msg_id = sl_apply_msg_id(it),
                         .actor_key = it->sender,
                         .actor_unit = "",
                         .operator_name = "",
                         .route = it->route.kind == SL_ROUTE_CHILD ? "child" : "department",
                         .unit_code = it->unit};
    int rc = sl_case_register(db, ctx->node, now, &reg, 1);
    if (rc == 0)
        snprintf(case_no, 64, "%s", reg.case_no);
    return rc;
}

/* Records a register row: a spot check's result, an accident, an official's
 * post, a liaison, a commitment or a plan through its module; an inspection or an earlier finding
 * through its module, and then its problem becomes a case (an inspection's
 * only where it was recorded, channel INSPECTION) linked to it; an
 * inspection recorded here goes up to the parent with the outbox. A refusal
 * rejects only this envelope. 0, or -1 / SL_AGAIN for the whole attempt. */
static int
s_apply_register(const sl_apply_ctx_t *ctx, sl_db_t *db, sl_apply_item_t *it, int64_t now)
{
    sl_apply_result_t res;
    int rc;
    int64_t id = 0;
    sl_body_t b = sl_codec_body(it->env);
    /* the rows that only their module records */
    int (*apply)(sl_db_t *, const char *, int64_t, const sl_pb_envelope_t *, const char *,
                 sl_apply_result_t *) = b == SL_BODY_SPOT_CHECK   ? sl_spotcheck_apply
                                        : b == SL_BODY_ACCIDENT   ? sl_accident_apply
                                        : b == SL_BODY_OFFICIAL   ? sl_official_apply
                                        : b == SL_BODY_LIAISON    ? sl_liaison_apply
                                        : b == SL_BODY_COMMITMENT ? sl_commitment_apply
                                        : b == SL_BODY_PLAN       ? sl_plan_apply
                                                                  : NULL;
    if (apply) {
        rc = apply(db, ctx->node, now, it->env, it->sender, &res);
        return s_take_result(it, rc, &res);
    }
    if (b == SL_BODY_FINDING) {
        rc = sl_finding_apply(db, now, it->env, &id, &res);
        if (rc == 0 &&
            (rc = s_register_clue(ctx, db, it, it->env->finding->clue, now, res.case_no)) == 0)
            rc = sl_finding_link_case(db, id, res.case_no, now, sl_apply_msg_id(it));
        return s_take_result(it, rc, &res);
    }
    sl_pb_inspection_t *in = it->env->inspection;
    bool wants_clue = false;
    rc = sl_inspection_apply(db, ctx->node, now, it->env, it->sender, &id, &wants_clue, &res);
    if (rc == 0 && wants_clue) {
        sl_pb_clue_t clue;
        sl_pb_subject_t subject;
        sl_pb_place_t place;
        sl_inspection_clue(in, now, &clue, &subject, &place);
        if ((rc = s_register_clue(ctx, db, it, &clue, now, res.case_no)) == 0 && res.case_no[0])
            rc = sl_inspection_link_case(db, id, res.case_no, now, sl_apply_msg_id(it));
    }
    if (rc == 0 && !*in->origin_node && ctx->parent[0]) {
        sl_pb_envelope_t up = SL_PB_ENVELOPE_INIT;
        sl_pb_inspection_t copy = *in;
        copy.origin_node = (char *)ctx->node;
        up.body_case = SAFELOOP__V1__ENVELOPE__BODY_INSPECTION;
        up.inspection = &copy;
        char mid[37];
        rc = sl_fed_send(db, ctx->node, ctx->parent, &up, "inspection", NULL, now, mid);
    }
    return s_take_result(it, rc, &res);
}

/* A transfer from the parent, just registered as IT's case: its dates kept on
 * the case, the parent gets this node's receipt (outbox). 0, -1 or SL_AGAIN. */
static int
s_registered_transfer(const sl_apply_ctx_t *ctx, sl_db_t *db, sl_apply_item_t *it, int64_t now)
{
    const sl_pb_transfer_t *t = it->env->transfer;
    snprintf(it->ref, sizeof it->ref, "%s", t->notice_no);
    it->topic = "case.registered";
    /* the upper deadline binds: its dates stay on the case here */
    int rc = sl_case_set_upper(db, it->case_no, t->transfer_date, t->objection_deadline,
                               t->feedback_deadline, t->list_no);
    if (rc != 0)
        return rc;
    if (!ctx->parent[0])
        return 0; /* an operator's test transfer at the top node: nobody to answer */
    return sl_fed_receipt_up(db, ctx->node, ctx->parent, it->case_no, t->notice_no, now);
}

/* An answer or decision, wherever it belongs: this node's answer for an
 * upper transfer goes up, the parent's decision acts on the case registered
 * from its transfer, anything else is for one of this node's own transfers
 * (and then may travel on: sl_fed_after_answer). 0, or -1 / SL_AGAIN. */
static int
s_apply_linked(const sl_apply_ctx_t *ctx, sl_db_t *db, sl_apply_item_t *it,
               const sl_calendar_t *cal, int64_t now)
{
    bool up = sl_fed_is_answer_up(it->env, ctx->node);
    bool down = !up && sl_fed_is_upper_decision(it->env, ctx->parent);
    if (!up && !down) {
        int rc = s_apply_answer(ctx, db, it, cal, now);
        if (rc == 0 && it->state == SL_APPLY_ACCEPTED)
            rc = sl_fed_after_answer(db, ctx->node, ctx->parent, it->env, now);
        return rc;
    }
    sl_apply_result_t res;
    int rc = up ? sl_fed_answer_up(db, ctx->node, ctx->parent, it->env, it->sender, now, &res)
                : sl_fed_upper_decision(db, ctx->node, it->env, it->sender, now, &res);
    return s_take_result(it, rc, &res);
}

/* One valid item in the order of its msg_id, then of its position. */
typedef struct {
    const char *msg_id; /* the item's */
    size_t pos;         /* its position in the batch */
} s_key_t;

static int
s_cmp_key(const void *a, const void *b)
{
    const s_key_t *x = a, *y = b;
    int c = strcmp(x->msg_id, y->msg_id);
    return c ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

/* FIRST[i]: the position of the first item still valid with item i's msg_id
 * (i itself if it is the first); items not valid map to themselves.
 * O(n log n): batches hold hundreds. */
static void
s_first_of(sl_apply_item_t **items, size_t n, size_t *first)
{
    s_key_t *order = sl_calloc(n ? n : 1, sizeof *order);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        first[i] = i;
        if (items[i]->state == SL_APPLY_VALID)
            order[m++] = (s_key_t){sl_apply_msg_id(items[i]), i};
    }
    qsort(order, m, sizeof *order, s_cmp_key);
    for (size_t j = 1; j < m; j++) {
        if (strcmp(order[j].msg_id, order[j - 1].msg_id) == 0)
            first[order[j].pos] = first[order[j - 1].pos];
    }
    free(order);
}

int
sl_apply_batch(const sl_apply_ctx_t *ctx, sl_db_t *db, sl_apply_item_t **items, size_t n,
               int64_t now, sl_apply_outcome_t *out)
{
    int rc;
    out->sqlstate[0] = out->sqlerror[0] = '\0';
    out->commit_s = -1;
    s_batch_t b = {items, n};
    const char **ids = sl_calloc(n, sizeof *ids);
    sl_case_reg_t *regs = sl_calloc(n, sizeof *regs);
    size_t *reg_item = sl_calloc(n, sizeof *reg_item);
    sl_inbox_row_t *rows = sl_calloc(n, sizeof *rows);
    sl_dead_letter_t *dead = sl_calloc(n, sizeof *dead);
    size_t *first = sl_calloc(n, sizeof *first);
    size_t nids = 0, nregs = 0, nrows = 0, ndead = 0;

    /* A msg_id twice in one batch: the second is a duplicate of the first. */
    s_first_of(items, n, first);
    for (size_t i = 0; i < n; i++) {
        if (items[i]->state == SL_APPLY_VALID && first[i] == i)
            ids[nids++] = sl_apply_msg_id(items[i]);
    }
    /* The clues this node registers (not forwarded), each the first of its
     * msg_id. Whether an envelope was stored before is not known yet: the
     * msg_id look-up travels with the repeat look-up in one round trip, and
     * sl_case_register leaves out the clues it found (stored_before). */
    for (size_t i = 0; i < n; i++) {
        sl_apply_item_t *it = items[i];
        if (it->state != SL_APPLY_VALID || first[i] != i || !sl_apply_clue(it->env) ||
            it->route.kind == SL_ROUTE_PARENT)
            continue;
        sl_case_reg_t *r = &regs[nregs];
        r->clue = sl_apply_clue(it->env);
        bool transfer = sl_codec_body(it->env) == SL_BODY_TRANSFER;
        /* a transfer re-sent for a repeat report joins the case it repeats */
        r->own_case = transfer && !it->env->transfer->repeat;
        r->upper_repeat_count = transfer ? it->env->transfer->repeat_count : 0;
        r->msg_id = sl_apply_msg_id(it);
        r->actor_key = it->sender;
        r->actor_unit = it->principal && it->principal->kind != SL_PRINCIPAL_LOCAL
                            ? (it->principal->unit[0] ? it->principal->unit : it->principal->name)
                            : "";
        r->operator_name = "";
        r->route = s_route_name(it);
        r->unit_code = it->unit;
        r->prep = it->prepped ? &it->prep : NULL;
        r->reporter_sealed = it->sealed_rep;
        r->reporter_sealed_len = it->sealed_rep_len;
        r->stored_before = &it->stored_before;
        reg_item[nregs++] = i;
    }
    /* BEGIN travels with the look-ups; the last writes with COMMIT (sl_db_defer) */
    if ((rc = sl_db_begin_deferred(db)) != 0)
        goto done;
    if ((rc = nregs > 0 ? sl_inbox_find_deferred(db, ids, nids, s_found, &b)
                        : sl_inbox_find(db, ids, nids, s_found, &b)) != 0 ||
        (rc = sl_case_register(db, ctx->node, now, regs, nregs)) != 0)
        goto fail;
    /* Stored before (s_found) marks every copy; of the rest, the first of
     * each msg_id is applied and its copies answer with its result. */
    for (size_t i = 0; i < n; i++) {
        sl_apply_item_t *it = items[i];
        if (it->state != SL_APPLY_VALID)
            continue;
        if (first[i] != i) {
            it->state = SL_APPLY_DUP; /* result filled in after registration */
            continue;
        }
        if (sl_apply_clue(it->env) && it->route.kind == SL_ROUTE_PARENT) {
            if ((rc = s_forward(ctx, db, it, now)) != 0)
                goto fail;
            it->state = SL_APPLY_ACCEPTED;
        }
    }
    for (size_t k = 0; k < nregs; k++) {
        sl_apply_item_t *it = items[reg_item[k]];
        if (it->stored_before)
            continue;
        it->state = SL_APPLY_ACCEPTED;
        snprintf(it->case_no, sizeof it->case_no, "%s", regs[k].case_no);
        it->repeated = regs[k].repeated;
        it->repeat_count = regs[k].repeat_count;
        it->reopened = regs[k].reopened;
        if (it->repeated)
            snprintf(it->ref, sizeof it->ref, "repeat:%d", it->repeat_count);
        if (sl_codec_body(it->env) == SL_BODY_TRANSFER && !it->env->transfer->repeat &&
            (rc = s_registered_transfer(ctx, db, it, now)) != 0)
            goto fail;
    }
    /* Answers and decisions, one by one in arrival order (sl_transfer.h). */
    const sl_calendar_t *cal = NULL;
    for (size_t i = 0; i < n; i++) {
        if (items[i]->state != SL_APPLY_VALID || sl_apply_clue(items[i]->env))
            continue;
        if (!cal && (rc = sl_calendar_cache_get(ctx->cal, db, &cal, NULL)) != 0)
            goto fail;
        if ((rc = s_upward(items[i]->env)     ? s_apply_upward(ctx, db, items[i], now)
                  : s_register(items[i]->env) ? s_apply_register(ctx, db, items[i], now)
                                              : s_apply_linked(ctx, db, items[i], cal, now)) != 0)
            goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        sl_apply_item_t *it = items[i];
        if (it->state == SL_APPLY_DUP && !it->case_no[0] && !it->ref[0] && first[i] != i) {
            const sl_apply_item_t *orig = items[first[i]];
            if (orig->state == SL_APPLY_ACCEPTED) {
                memcpy(it->case_no, orig->case_no, sizeof it->case_no);
                memcpy(it->ref, orig->ref, sizeof it->ref);
            } else if (orig->refused) {
                it->err = orig->err; /* the first was refused: so is its copy */
                it->state = SL_APPLY_REJECT;
                it->refused = true;
            }
        }
        if (it->state == SL_APPLY_ACCEPTED) {
            sl_inbox_row_t *row = &rows[nrows++];
            row->msg_id = sl_apply_msg_id(it);
            row->producer = it->env->producer;
            row->sender = it->sender;
            row->body_kind = sl_codec_body_kind(it->env);
            row->received_ms = it->received_ms;
            row->raw = it->stored;
            row->raw_len = it->stored_len;
            row->case_no = it->case_no[0] ? it->case_no : NULL;
            row->ref = it->ref[0] ? it->ref : NULL;
        } else if (it->state == SL_APPLY_REJECT) {
            sl_dead_letter_t *d = &dead[ndead++];
            d->msg_id = it->env && it->env->msg_id && *it->env->msg_id ? it->env->msg_id : NULL;
            d->producer = it->env ? it->env->producer : NULL;
            d->sender = it->sender;
            d->received_ms = it->received_ms;
            d->code = it->err.code;
            d->text = it->err.text;
            d->raw = it->stored;
            d->raw_len = it->stored_len;
            d->raw_sealed = it->raw_sealed;
        }
    }
    if ((rc = sl_inbox_insert(db, rows, nrows)) != 0 ||
        (rc = sl_inbox_dead_letters(db, dead, ndead)) != 0)
        goto fail;
    int64_t t0 = (int64_t)uv_hrtime();
    rc = sl_db_commit(db);
    out->commit_s = (double)((int64_t)uv_hrtime() - t0) / 1e9;
    if (rc == 0)
        goto done;
fail:
    if (rc == -1)
        sl_log(SL_LOG_WARN, "batch of %zu rolled back: %s", n, sl_db_error(db));
    snprintf(out->sqlstate, sizeof out->sqlstate, "%s", sl_db_sqlstate(db));
    snprintf(out->sqlerror, sizeof out->sqlerror, "%s", sl_db_error(db));
    sl_db_rollback(db);
    /* Undo what this attempt decided, so a retry starts afresh. */
    for (size_t i = 0; i < n; i++) {
        sl_apply_item_t *it = items[i];
        it->stored_before = false;
        if (it->state == SL_APPLY_DUP || it->state == SL_APPLY_ACCEPTED || it->refused) {
            it->state = SL_APPLY_VALID;
            it->refused = false;
            it->topic = NULL;
            it->case_no[0] = it->ref[0] = '\0';
            it->repeated = it->reopened = false;
        }
    }
done:
    free(ids);
    free(regs);
    free(reg_item);
    free(rows);
    free(dead);
    free(first);
    return rc;
}
