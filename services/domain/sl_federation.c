/* sl_federation.c — receipts, answers and decisions across a link; re-sealing.
 *
 * The intake side works inside sl-intake's batch transaction: it reads the
 * case registered from an upper transfer (cases.upper_notice_no) or the
 * transfer a decision concerns, appends audit events and writes outbox rows.
 * The dispatch side re-seals reporters for the receiving node before a row's
 * first send. */
#include "sl_federation.h"

#include "sl_audit.h"
#include "sl_case.h"
#include "sl_clock.h"
#include "sl_deadline.h"
#include "sl_log.h"
#include "sl_seal.h"
#include "sl_transfer.h"
#include "sl_util.h"

#include <jansson.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void
sl_fed_key_id(const char *node, const unsigned char pk[32], char *buf, size_t size)
{
    unsigned char fp[4];
    crypto_generichash(fp, sizeof fp, pk, 32, NULL, 0);
    snprintf(buf, size, "%s:%02x%02x%02x%02x", node, fp[0], fp[1], fp[2], fp[3]);
}

/* --- intake ------------------------------------------------------------------- */

/* The common fields of an answer body, or NULL fields. */
typedef struct {
    const char *notice_no, *from_unit, *operator_name;
    int64_t at;
} s_common_t;

static bool
s_common(const sl_pb_envelope_t *env, s_common_t *c)
{
    memset(c, 0, sizeof *c);
    switch (sl_codec_body(env)) {
#define S_C(b)                                                                                     \
    c->notice_no = env->b->notice_no, c->from_unit = env->b->from_unit,                            \
    c->operator_name = env->b->operator_, c->at = env->b->at;                                      \
    return true
    case SL_BODY_RECEIPT:
        S_C(receipt);
    case SL_BODY_OBJECTION:
        S_C(objection);
    case SL_BODY_PROGRESS:
        S_C(progress);
    case SL_BODY_FEEDBACK:
        S_C(feedback);
    case SL_BODY_DECISION:
        S_C(decision);
#undef S_C
    default:
        return false;
    }
}

bool
sl_fed_is_answer_up(const sl_pb_envelope_t *env, const char *node)
{
    s_common_t c;
    return s_common(env, &c) && sl_codec_body(env) != SL_BODY_DECISION && c.from_unit &&
           strcmp(c.from_unit, node) == 0;
}

bool
sl_fed_is_upper_decision(const sl_pb_envelope_t *env, const char *parent)
{
    return parent && *parent && sl_codec_body(env) == SL_BODY_DECISION &&
           env->decision->from_unit && strcmp(env->decision->from_unit, parent) == 0;
}

/* ENV stamped with a new msg_id (into MSG_ID), NODE and NOW_MS, encoded: the
 * caller frees it. */
static uint8_t *
s_stamp(const char *node, sl_pb_envelope_t *env, int64_t now_ms, char msg_id[37], size_t *len)
{
    sl_uuid(msg_id);
    env->msg_id = msg_id;
    env->producer = (char *)node;
    env->sent_at = now_ms;
    return sl_codec_encode_envelope(env, len);
}

int
sl_fed_send(sl_db_t *db, const char *node, const char *peer, sl_pb_envelope_t *env, const char *kind,
       const char *case_no, int64_t now_ms, char msg_id[37])
{
    size_t len;
    uint8_t *payload = s_stamp(node, env, now_ms, msg_id, &len);
    int rc = sl_outbox_add(db, peer, msg_id, kind, payload, len, case_no, now_ms);
    free(payload);
    return rc;
}

void
sl_fed_send_batch(sl_outbox_batch_t *b, const char *node, const char *peer, sl_pb_envelope_t *env,
                  const char *kind, const char *case_no, int64_t now_ms, char msg_id[37])
{
    size_t len;
    uint8_t *payload = s_stamp(node, env, now_ms, msg_id, &len);
    sl_outbox_batch_add(b, peer, msg_id, kind, payload, len, case_no);
    free(payload);
}

int
sl_fed_receipt_up(sl_db_t *db, const char *node, const char *parent, const char *case_no,
                  const char *upper_notice, int64_t now_ms)
{
    sl_pb_receipt_t rc_ = SAFELOOP__V1__RECEIPT__INIT;
    rc_.notice_no = (char *)upper_notice;
    rc_.from_unit = (char *)node;
    rc_.at = now_ms;
    rc_.case_no = (char *)case_no;
    sl_pb_envelope_t env = SL_PB_ENVELOPE_INIT;
    env.body_case = SAFELOOP__V1__ENVELOPE__BODY_RECEIPT;
    env.receipt = &rc_;
    char id[37];
    return sl_fed_send(db, node, parent, &env, "receipt", case_no, now_ms, id);
}

/* The case registered from upper transfer NOTICE, locked: 0 with ID, CASE_NO
 * and STATUS; 1 if none; -1 or SL_AGAIN. */
static int
s_upper_case(sl_db_t *db, const char *notice, int64_t *id, char *case_no, size_t nsize,
             char *status, size_t ssize)
{
    const char *p[] = {notice};
    PGresult *r;
    int rc = sl_db_exec(db, &r,
                        "SELECT id, case_no, status FROM cases WHERE upper_notice_no = $1"
                        " ORDER BY id DESC LIMIT 1 FOR UPDATE",
                        1, p);
    if (rc != 0)
        return rc;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return 1;
    }
    *id = atoll(PQgetvalue(r, 0, 0));
    snprintf(case_no, nsize, "%s", PQgetvalue(r, 0, 1));
    snprintf(status, ssize, "%s", PQgetvalue(r, 0, 2));
    PQclear(r);
    return 0;
}

/* Appends an audit event to case CASE_ID; DETAIL is a JSON object (consumed). */
static int
s_audit(sl_db_t *db, int64_t case_id, int64_t now_ms, const char *kind, const char *key,
        const char *unit, const char *operator_name, const char *msg_id, json_t *detail)
{
    sl_actor_t actor = {key, unit, operator_name, msg_id};
    return sl_audit_append_json(db, case_id, now_ms, kind, &actor, detail);
}

int
sl_fed_answer_up(sl_db_t *db, const char *node, const char *parent, const sl_pb_envelope_t *env,
                 const char *sender, int64_t now_ms, sl_apply_result_t *res)
{
    memset(res, 0, sizeof *res);
    s_common_t c;
    s_common(env, &c);
    if (!parent || !*parent) {
        sl_codec_error_set(&res->err, SL_ERR_NOT_PERMITTED, NULL, "%s",
                           "本节点没有上级节点，无从向上答复");
        return SL_DECLINED;
    }
    int64_t case_id;
    char case_no[64], status[16];
    int rc =
        s_upper_case(db, c.notice_no, &case_id, case_no, sizeof case_no, status, sizeof status);
    if (rc < 0)
        return rc;
    if (rc == 1) {
        sl_codec_error_set(&res->err, SL_ERR_UNKNOWN_TRANSFER, NULL,
                           "本节点没有上级交办书 %.120s 登记的问题线索", c.notice_no);
        return SL_DECLINED;
    }
    snprintf(res->case_no, sizeof res->case_no, "%s", case_no);
    snprintf(res->ref, sizeof res->ref, "%s", c.notice_no);
    /* Each level answers for itself: feedback only after this level verified. */
    if (sl_codec_body(env) == SL_BODY_FEEDBACK && strcmp(status, "closed") != 0) {
        char code[64];
        snprintf(code, sizeof code, "%s%s", SL_ERR_WRONG_STATE, status);
        sl_codec_error_set(&res->err, code, NULL,
                           "问题线索 %s 本级尚未核查办结（状态 %s），不能向上级反馈", case_no, status);
        return SL_DECLINED;
    }
    /* The same body, as this node's, under a new msg_id, naming our case. */
    sl_pb_envelope_t up = *env;
    sl_pb_receipt_t rc_;
    sl_pb_objection_t ob;
    sl_pb_progress_t pr;
    sl_pb_feedback_t fb;
    switch (sl_codec_body(env)) {
    case SL_BODY_RECEIPT:
        rc_ = *env->receipt, rc_.case_no = case_no, up.receipt = &rc_;
        break;
    case SL_BODY_OBJECTION:
        ob = *env->objection, ob.case_no = case_no, up.objection = &ob;
        break;
    case SL_BODY_PROGRESS:
        pr = *env->progress, pr.case_no = case_no, up.progress = &pr;
        break;
    default:
        fb = *env->feedback, fb.case_no = case_no, up.feedback = &fb;
        break;
    }
    char id[37];
    const char *kind = sl_codec_body_kind(env);
    if ((rc = sl_fed_send(db, node, parent, &up, kind, case_no, now_ms, id)) != 0)
        return rc;
    json_t *d = json_pack("{s:s, s:s, s:s, s:s}", "notice_no", c.notice_no, "body", kind, "to",
                          parent, "outbox_msg_id", id);
    if ((rc = s_audit(db, case_id, now_ms, "answered_up", sender, node, c.operator_name,
                      env->msg_id, d)) != 0)
        return rc;
    /* the level's own feedback is up: the watch of the upper deadline ends */
    if (sl_codec_body(env) == SL_BODY_FEEDBACK &&
        (rc = sl_case_upper_answered(db, case_id, now_ms)) != 0)
        return rc;
    snprintf(res->state, sizeof res->state, "%s", status);
    res->topic = "upper.answered";
    sl_log(SL_LOG_INFO, "case=%s notice=%s %s sent up to %s", case_no, c.notice_no, kind, parent);
    return 0;
}

/* The upper level accepted the objection: the case is no longer this level's,
 * so neither are the transfers this node made of it. Each open one is closed
 * as withdrawn (its clocks stop: sl-deadline sees it closed) and audited on
 * the case; one to a child node is withdrawn there too, by the same decision
 * sent down for its notice. 0, -1 or SL_AGAIN. */
static int
s_withdraw_own(sl_db_t *db, const char *node, int64_t case_id, const char *case_no,
               int64_t now_ms, const char *sender, const sl_pb_decision_t *dc, const char *msg_id)
{
    const char *reason = "上级异议成立，交办已撤回";
    sl_transfer_withdrawn_t *w;
    long n = sl_transfer_withdraw_case(db, case_id, now_ms, reason, &w);
    if (n < 0)
        return (int)n;
    int rc = 0;
    for (long i = 0; rc == 0 && i < n; i++) {
        const char *notice = w[i].notice_no, *unit = w[i].unit_code;
        json_t *d = json_pack("{s:s, s:s, s:s, s:s}", "notice_no", notice, "unit", unit,
                              "upper_notice_no", dc->notice_no, "reason", reason);
        rc = s_audit(db, case_id, now_ms, "transfer_withdrawn", sender, dc->from_unit,
                     dc->operator_, msg_id, d);
        if (rc == 0 && w[i].by_outbox) {
            sl_pb_decision_t down = *dc;
            down.notice_no = (char *)notice;
            down.case_no = (char *)case_no;
            down.from_unit = (char *)node;
            down.reason = (char *)reason;
            sl_pb_envelope_t env = SL_PB_ENVELOPE_INIT;
            env.body_case = SAFELOOP__V1__ENVELOPE__BODY_DECISION;
            env.decision = &down;
            char id[37];
            rc = sl_fed_send(db, node, unit, &env, "decision", case_no, now_ms, id);
        }
        if (rc == 0)
            sl_log(SL_LOG_INFO, "case=%s notice=%s withdrawn from %s: the upper level accepted"
                                " the objection", case_no, notice, unit);
    }
    free(w);
    return rc;
}

int
sl_fed_upper_decision(sl_db_t *db, const char *node, const sl_pb_envelope_t *env,
                      const char *sender, int64_t now_ms, sl_apply_result_t *res)
{
    memset(res, 0, sizeof *res);
    const sl_pb_decision_t *dc = env->decision;
    int64_t case_id;
    char case_no[64], status[16];
    int rc =
        s_upper_case(db, dc->notice_no, &case_id, case_no, sizeof case_no, status, sizeof status);
    if (rc < 0)
        return rc;
    if (rc == 1) {
        sl_codec_error_set(&res->err, SL_ERR_UNKNOWN_TRANSFER, NULL,
                           "本节点没有上级交办书 %.120s 登记的问题线索", dc->notice_no);
        return SL_DECLINED;
    }
    snprintf(res->case_no, sizeof res->case_no, "%s", case_no);
    snprintf(res->ref, sizeof res->ref, "%s", dc->notice_no);
    const char *kind, *next = NULL;
    switch (dc->kind) {
    case SAFELOOP__V1__DECISION__KIND__OBJECTION_ACCEPT:
        kind = "upper_objection_accepted", next = "closed"; /* withdrawn from this level */
        break;
    case SAFELOOP__V1__DECISION__KIND__OBJECTION_REJECT:
        kind = "upper_objection_rejected";
        break;
    case SAFELOOP__V1__DECISION__KIND__VERIFY_PASS:
        kind = "upper_verified", next = "closed";
        break;
    case SAFELOOP__V1__DECISION__KIND__VERIFY_FAIL:
        /* 虚假办结: handled again — back on this node's next transfer list */
        kind = "false_completion";
        if (strcmp(status, "closed") == 0)
            next = "registered";
        break;
    default:
        sl_codec_error_set(&res->err, SL_ERR_BAD_FIELD, "kind", "%s", "不支持的上级决定类型");
        return SL_DECLINED;
    }
    json_t *d = json_pack("{s:s, s:s, s:s}", "notice_no", dc->notice_no, "from", status, "to",
                          next ? next : status);
    if (dc->reason && *dc->reason)
        json_object_set_new(d, "reason", json_string(dc->reason));
    if (dc->case_no && *dc->case_no)
        json_object_set_new(d, "upper_case_no", json_string(dc->case_no));
    if (next && (rc = sl_case_set_status(db, case_id, next, NULL)) != 0) {
        json_decref(d);
        return rc;
    }
    if ((rc = s_audit(db, case_id, now_ms, kind, sender, dc->from_unit, dc->operator_, env->msg_id,
                      d)) != 0)
        return rc;
    if (dc->kind == SAFELOOP__V1__DECISION__KIND__OBJECTION_ACCEPT &&
        ((rc = s_withdraw_own(db, node, case_id, case_no, now_ms, sender, dc, env->msg_id)) != 0 ||
         (rc = sl_case_upper_withdrawn(db, case_id, now_ms)) != 0))
        return rc; /* withdrawn: nothing is owed upward, the upper watch ends */
    snprintf(res->state, sizeof res->state, "%s", next ? next : status);
    res->topic = strcmp(kind, "false_completion") == 0 ? "case.reopened"
                 : next                                ? "case.closed"
                                                       : "upper.decision";
    sl_log(SL_LOG_INFO, "case=%s notice=%s upper decision %s", case_no, dc->notice_no, kind);
    return 0;
}

/* An objection of this level's unit against the transfer of case CASE_ID,
 * which came from above under UPPER (its last day to object ODATE, "" if not
 * known): relayed at once to PARENT, the issuer, while the upper window is
 * open (sl_deadline_upper_objection_open), so the level above can re-route
 * it; past it decided here only, and the case's history says why. Audited
 * "objection_relayed_up" or "objection_kept_local". 0, -1 or SL_AGAIN. */
static int
s_objection_up(sl_db_t *db, const char *node, const char *parent, const sl_pb_envelope_t *env,
               int64_t case_id, const char *case_no, const char *upper, const char *odate,
               int64_t now_ms)
{
    int32_t oday = -1;
    if (*odate)
        sl_date_parse(odate, &oday);
    const sl_pb_objection_t *o = env->objection;
    int rc;
    if (!sl_deadline_upper_objection_open(oday, sl_ms_to_day(now_ms))) {
        char why[256];
        snprintf(why, sizeof why, "上级交办的异议期已于%s届满，该异议由本级决定，不再报送上级",
                 odate);
        json_t *d = json_pack("{s:s, s:s, s:s, s:s}", "notice_no", o->notice_no,
                              "upper_notice_no", upper, "upper_objection_deadline", odate,
                              "reason", why);
        if ((rc = s_audit(db, case_id, now_ms, "objection_kept_local", node, node, "",
                          env->msg_id, d)) != 0)
            return rc;
        sl_log(SL_LOG_WARN, "case=%s notice=%s objection decided here only: the upper window"
                            " closed on %s", case_no, o->notice_no, odate);
        return 0;
    }
    /* the unit's objection, as this level's, to the issuer above; a unit
     * suggested here means nothing there: it stays in the reason */
    sl_pb_objection_t up = *o;
    char reason[1024];
    snprintf(reason, sizeof reason, "%s%s%s", o->reason,
             o->suggested_unit && *o->suggested_unit ? "（承办单位建议改由：" : "",
             o->suggested_unit && *o->suggested_unit ? o->suggested_unit : "");
    if (o->suggested_unit && *o->suggested_unit)
        snprintf(reason + strlen(reason), sizeof reason - strlen(reason), "%s", "）");
    up.reason = reason;
    up.suggested_unit = "";
    up.notice_no = (char *)upper;
    up.from_unit = (char *)node;
    up.case_no = (char *)case_no;
    up.operator_ = "";
    sl_pb_envelope_t e = SL_PB_ENVELOPE_INIT;
    e.body_case = SAFELOOP__V1__ENVELOPE__BODY_OBJECTION;
    e.objection = &up;
    char id[37];
    if ((rc = sl_fed_send(db, node, parent, &e, "objection", case_no, now_ms, id)) != 0)
        return rc;
    json_t *d = json_pack("{s:s, s:s, s:s, s:s}", "notice_no", o->notice_no, "upper_notice_no",
                          upper, "to", parent, "outbox_msg_id", id);
    if ((rc = s_audit(db, case_id, now_ms, "objection_relayed_up", node, node, "", env->msg_id,
                      d)) != 0)
        return rc;
    sl_log(SL_LOG_INFO, "case=%s notice=%s objection relayed up to %s under %s", case_no,
           o->notice_no, parent, upper);
    return 0;
}

int
sl_fed_after_answer(sl_db_t *db, const char *node, const char *parent, const sl_pb_envelope_t *env,
                    int64_t now_ms)
{
    sl_body_t body = sl_codec_body(env);
    if (body != SL_BODY_DECISION && body != SL_BODY_PROGRESS && body != SL_BODY_OBJECTION)
        return 0;
    const char *notice = body == SL_BODY_DECISION   ? env->decision->notice_no
                         : body == SL_BODY_PROGRESS ? env->progress->notice_no
                                                    : env->objection->notice_no;
    const char *p[] = {notice};
    PGresult *r;
    int rc = sl_db_exec(db, &r,
                        "SELECT t.unit_code, t.delivery, c.case_no,"
                        " coalesce(c.upper_notice_no, ''), t.kind, c.id,"
                        " coalesce(c.upper_objection_deadline::text, '')"
                        " FROM transfer t JOIN cases c ON c.id = t.case_id WHERE t.notice_no = $1",
                        1, p);
    if (rc != 0)
        return rc;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return 0;
    }
    char unit[48], delivery[16], case_no[64], upper[96], kind[16], odate[11];
    snprintf(unit, sizeof unit, "%s", PQgetvalue(r, 0, 0));
    snprintf(delivery, sizeof delivery, "%s", PQgetvalue(r, 0, 1));
    snprintf(case_no, sizeof case_no, "%s", PQgetvalue(r, 0, 2));
    snprintf(upper, sizeof upper, "%s", PQgetvalue(r, 0, 3));
    snprintf(kind, sizeof kind, "%s", PQgetvalue(r, 0, 4));
    int64_t case_id = atoll(PQgetvalue(r, 0, 5));
    snprintf(odate, sizeof odate, "%s", PQgetvalue(r, 0, 6));
    PQclear(r);
    char id[37];
    if (body == SL_BODY_OBJECTION) {
        if (!*upper || !parent || !*parent || strcmp(kind, "handling") != 0)
            return 0;
        return s_objection_up(db, node, parent, env, case_id, case_no, upper, odate, now_ms);
    }
    if (body == SL_BODY_DECISION) {
        if (strcmp(delivery, "outbox") != 0)
            return 0;
        /* The child runs a node: the decision goes down to it. */
        sl_pb_decision_t dc = *env->decision;
        dc.from_unit = (char *)node;
        dc.case_no = case_no;
        sl_pb_envelope_t down = SL_PB_ENVELOPE_INIT;
        down.body_case = SAFELOOP__V1__ENVELOPE__BODY_DECISION;
        down.decision = &dc;
        return sl_fed_send(db, node, unit, &down, "decision", case_no, now_ms, id);
    }
    if (!*upper || !parent || !*parent)
        return 0;
    /* Progress at this level on a case from above: the upper transfer hears it. */
    sl_pb_progress_t pr = *env->progress;
    pr.notice_no = upper;
    pr.from_unit = (char *)node;
    pr.case_no = case_no;
    pr.operator_ = "";
    sl_pb_envelope_t up = SL_PB_ENVELOPE_INIT;
    up.body_case = SAFELOOP__V1__ENVELOPE__BODY_PROGRESS;
    up.progress = &pr;
    return sl_fed_send(db, node, parent, &up, "progress", case_no, now_ms, id);
}

/* --- sl-dispatch: re-sealing ---------------------------------------------------- */

typedef struct {
    char code[8];         /* the peer's division code */
    unsigned char pk[32]; /* its sealing public key */
    char key_id[48];
    sl_sealer_t *sealer; /* seals for PK; a fresh batch key every S_REKEY records */
    int uses;
} s_peer_key_t;

#define S_REKEY 256 /* records sealed under one batch key (one crypto_box_seal) */

struct sl_fed_keys {
    char node[8];
    unsigned char pk[32], sk[32];
    bool has_sk;
    unsigned char last_sealed[SL_SEAL_SEALED_KEY_BYTES]; /* the batch key opened last … */
    unsigned char last_key[32];                          /* … and what it opened to */
    bool has_last;
    char key_id[48];
    s_peer_key_t *peers;
    size_t npeers;
};

static void
s_peer_add(sl_fed_keys_t *k, const char *code, const char *path)
{
    unsigned char pk[32];
    char *err = NULL;
    if (!path)
        return;
    if (sl_seal_key_load(path, pk, &err) != 0) {
        sl_log(SL_LOG_WARN, "peer=%s %s: reporters for it cannot be sealed", code, err);
        free(err);
        return;
    }
    k->peers = sl_realloc(k->peers, (k->npeers + 1) * sizeof *k->peers);
    s_peer_key_t *p = &k->peers[k->npeers++];
    snprintf(p->code, sizeof p->code, "%s", code);
    memcpy(p->pk, pk, sizeof pk);
    sl_fed_key_id(code, pk, p->key_id, sizeof p->key_id);
    p->sealer = NULL; /* made on first use */
    p->uses = 0;
}

sl_fed_keys_t *
sl_fed_keys_load(const sl_config_t *cfg, char **err)
{
    if (sodium_init() < 0) {
        *err = sl_strdup("libsodium could not be initialised");
        return NULL;
    }
    sl_fed_keys_t *k = sl_calloc(1, sizeof *k);
    sodium_mlock(k->sk, sizeof k->sk);
    sodium_mlock(k->last_key, sizeof k->last_key);
    snprintf(k->node, sizeof k->node, "%s", sl_config_node(cfg));
    if (sl_seal_key_load(sl_config_str(cfg, "keys", "seal_public"), k->pk, err) != 0) {
        sl_fed_keys_destroy(&k);
        return NULL;
    }
    sl_fed_key_id(k->node, k->pk, k->key_id, sizeof k->key_id);
    char *e2 = NULL;
    const char *skp = sl_config_str(cfg, "keys", "seal_secret");
    if (skp && sl_seal_key_load(skp, k->sk, &e2) == 0) {
        k->has_sk = true;
    } else {
        sl_log(SL_LOG_WARN,
               "%s: reporters sealed for this node cannot be re-sealed for its peers; such "
               "outbox rows are parked",
               e2 ? e2 : "no [keys] seal_secret");
        free(e2);
    }
    if (sl_config_has(cfg, "parent", "code"))
        s_peer_add(k, sl_config_str(cfg, "parent", "code"),
                   sl_config_str(cfg, "parent", "seal_public"));
    const char *const *names;
    size_t n = sl_config_family(cfg, "child", &names);
    for (size_t i = 0; i < n; i++) {
        char section[32];
        snprintf(section, sizeof section, "child.%s", names[i]);
        s_peer_add(k, names[i], sl_config_str(cfg, section, "seal_public"));
    }
    return k;
}

void
sl_fed_keys_destroy(sl_fed_keys_t **p)
{
    if (!p || !*p)
        return;
    sodium_munlock((*p)->sk, sizeof(*p)->sk);
    sodium_munlock((*p)->last_key, sizeof(*p)->last_key);
    for (size_t i = 0; i < (*p)->npeers; i++)
        sl_sealer_destroy(&(*p)->peers[i].sealer);
    free((*p)->peers);
    free(*p);
    *p = NULL;
}

bool
sl_fed_keys_can_open(const sl_fed_keys_t *k)
{
    return k->has_sk;
}

/* The clue of a body that carries one. */
static sl_pb_clue_t *
s_clue(sl_pb_envelope_t *env)
{
    switch (sl_codec_body(env)) {
    case SL_BODY_CLUE:
        return env->clue;
    case SL_BODY_TRANSFER:
        return env->transfer->clue;
    case SL_BODY_ESCALATION:
        return env->escalation->clue;
    default:
        return NULL;
    }
}

int
sl_fed_reseal(sl_db_t *db, sl_fed_keys_t *k, const char *peer, sl_outbox_row_t *row,
              const char *actor, int64_t now_ms, char *reason, size_t size)
{
    if (strcmp(row->body_kind, "clue") != 0 && strcmp(row->body_kind, "transfer") != 0 &&
        strcmp(row->body_kind, "escalation") != 0)
        return 0;
    sl_arena_t *a = sl_arena_new(0);
    sl_pb_envelope_t *env;
    sl_codec_error_t err;
    int rc = 0;
    uint8_t *plain = NULL, *payload = NULL;
    size_t plen = 0;
    if (sl_codec_decode_envelope(a, row->payload, row->len, SIZE_MAX, &env, &err) != 0) {
        snprintf(reason, size, "undecodable: %s", err.text);
        rc = SL_DECLINED;
        goto done;
    }
    sl_pb_clue_t *clue = s_clue(env);
    if (!clue || !clue->sealed_reporter)
        goto done; /* no reporter: nothing to seal */
    s_peer_key_t *pk = NULL;
    for (size_t i = 0; i < k->npeers; i++)
        if (strcmp(k->peers[i].code, peer) == 0)
            pk = &k->peers[i];
    const sl_pb_sealed_reporter_t *sr = clue->sealed_reporter;
    if (pk && sr->key_id && strcmp(sr->key_id, pk->key_id) == 0)
        goto done; /* sealed for the peer already */
    if (!pk) {
        snprintf(reason, size,
                 "no_seal_key: 未配置节点 %s 的加密公钥（seal_public），举报人信息无法为其加密",
                 peer);
        rc = SL_DECLINED;
        goto done;
    }
    if (!k->has_sk || !sr->key_id || strcmp(sr->key_id, k->key_id) != 0) {
        snprintf(reason, size, "reporter_unsealable: 举报人信息用密钥 %s 加密，本节点%s无法重新加密",
                 sr->key_id ? sr->key_id : "?", k->has_sk ? "不持有该私钥，" : "未配置解密私钥，");
        rc = SL_DECLINED;
        goto done;
    }
    /* Records sealed in one batch share their sealed key: open it once. */
    if (!k->has_last || sr->sealed_key.len != sizeof k->last_sealed ||
        sodium_memcmp(k->last_sealed, sr->sealed_key.data, sizeof k->last_sealed) != 0) {
        k->has_last = sl_seal_open_key(k->pk, k->sk, sr->sealed_key.data, sr->sealed_key.len,
                                       k->last_key) == 0;
        if (k->has_last)
            memcpy(k->last_sealed, sr->sealed_key.data, sizeof k->last_sealed);
    }
    if (k->has_last)
        plain = sl_seal_open_with(k->last_key, sr->nonce.data, sr->nonce.len, sr->ciphertext.data,
                                  sr->ciphertext.len, NULL, &plen);
    if (!plain) {
        snprintf(reason, size, "reporter_unsealable: 举报人信息无法用本节点解密私钥打开");
        rc = SL_DECLINED;
        goto done;
    }
    if (!pk->sealer)
        pk->sealer = sl_sealer_new(pk->pk);
    else if (pk->uses % S_REKEY == 0)
        sl_sealer_rekey(pk->sealer);
    pk->uses++;
    char old_id[64];
    snprintf(old_id, sizeof old_id, "%s", sr->key_id);
    clue->sealed_reporter = sl_seal_reporter(pk->sealer, pk->key_id, plain, plen, a);
    size_t len;
    payload = sl_codec_encode_envelope(env, &len);
    /* The link stores the new bytes (resends must be the same); the audit
     * goes in the same transaction. */
    if (row->case_no[0]) {
        int64_t case_id;
        int found = sl_case_id(db, row->case_no, &case_id);
        if (found < 0) {
            rc = found;
            goto done;
        }
        if (found == 0) {
            json_t *d = json_pack("{s:s, s:s, s:s, s:s}", "to", peer, "from_key", old_id, "to_key",
                                  pk->key_id, "msg_id", row->msg_id);
            if ((rc = s_audit(db, case_id, now_ms, "reporter_resealed", actor, k->node, "",
                              row->msg_id, d)) != 0)
                goto done;
        }
    }
    free(row->payload);
    row->payload = payload;
    row->len = len;
    row->replaced = true;
    payload = NULL;
    sl_log(SL_LOG_INFO, "peer=%s msg_id=%s case=%s reporter re-sealed for %s", peer, row->msg_id,
           row->case_no[0] ? row->case_no : "-", pk->key_id);
done:
    if (plain) {
        sodium_memzero(plain, plen);
        free(plain);
    }
    free(payload);
    sl_arena_destroy(&a);
    return rc;
}
