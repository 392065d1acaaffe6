/* sl_transfer_answer.c — applying answers and decisions to transfers (part of the transfer module).
 *
 * Receipts, objections, progress, feedback and the issuing node's decisions
 * run inside the caller's transaction (sl_transfer_apply, within sl-intake's
 * batch), decided by the state table of sl_transfer_fsm.h. A refused answer
 * is decided before anything is written, so refusing changes nothing. An
 * upper level's withdrawal closes a case's transfers here too
 * (sl_transfer_withdraw_case). Lock order as in sl_transfer_list.c. */
#include "sl_transfer_int.h"

#include "sl_audit.h"
#include "sl_case.h"
#include "sl_closing.h"
#include "sl_clock.h"
#include "sl_deadline.h"
#include "sl_ledger.h"
#include "sl_log.h"
#include "sl_supervision.h"
#include "sl_transfer_fsm.h"
#include "sl_unit.h"
#include "sl_util.h"
#include "sl_validate.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *
s_or(const char *s, const char *def)
{
    return s ? s : def;
}

/* --- answers ------------------------------------------------------------------ */

/* The fields every answer shares, and its message. */
typedef struct {
    sl_transfer_msg_t msg;
    const char *notice_no, *from_unit, *operator_name;
    int64_t at;
} s_answer_t;

static int
s_answer_of(const sl_pb_envelope_t *env, s_answer_t *a)
{
    switch (sl_codec_body(env)) {
#define S_COMMON(b, m)                                                                             \
    a->msg = m;                                                                                    \
    a->notice_no = env->b->notice_no;                                                              \
    a->from_unit = env->b->from_unit;                                                              \
    a->operator_name = env->b->operator_;                                                          \
    a->at = env->b->at;                                                                            \
    return 0
    case SL_BODY_RECEIPT:
        S_COMMON(receipt, SL_TM_RECEIPT);
    case SL_BODY_OBJECTION:
        S_COMMON(objection, SL_TM_OBJECTION);
    case SL_BODY_PROGRESS:
        S_COMMON(progress, SL_TM_PROGRESS);
    case SL_BODY_FEEDBACK:
        S_COMMON(feedback, SL_TM_FEEDBACK);
    case SL_BODY_DECISION:
        switch (env->decision->kind) {
        case SAFELOOP__V1__DECISION__KIND__OBJECTION_ACCEPT:
            S_COMMON(decision, SL_TM_OBJECTION_ACCEPT);
        case SAFELOOP__V1__DECISION__KIND__OBJECTION_REJECT:
            S_COMMON(decision, SL_TM_OBJECTION_REJECT);
        case SAFELOOP__V1__DECISION__KIND__VERIFY_PASS:
            S_COMMON(decision, SL_TM_VERIFY_PASS);
        case SAFELOOP__V1__DECISION__KIND__VERIFY_FAIL:
            S_COMMON(decision, SL_TM_VERIFY_FAIL);
        default:
            return -1;
        }
#undef S_COMMON
    default:
        return -1;
    }
}

static const struct {
    const char *kind;  /* audit event */
    const char *topic; /* event on PUB */
} s_effects[SL_TM_COUNT] = {
    [SL_TM_RECEIPT] = {"received", "transfer.received"},
    [SL_TM_OBJECTION] = {"objected", "transfer.objected"},
    [SL_TM_PROGRESS] = {"progress", "transfer.progress"},
    [SL_TM_FEEDBACK] = {"fed_back", "feedback.received"},
    [SL_TM_OBJECTION_ACCEPT] = {"objection_accepted", "transfer.reassigned"},
    [SL_TM_OBJECTION_REJECT] = {"objection_rejected", "objection.rejected"},
    [SL_TM_VERIFY_PASS] = {"verified", "case.closed"},
    [SL_TM_VERIFY_FAIL] = {"verify_failed", "verification.failed"},
};

static json_t *
s_feedback_json(const sl_pb_feedback_t *f)
{
    json_t *o = json_object();
    json_object_set_new(o, "violation_nature", json_string(f->violation_nature));
    json_object_set_new(o, "production_suspended", json_boolean(f->production_suspended));
    json_object_set_new(o, "closed_down", json_boolean(f->closed_down));
    json_object_set_new(o, "penalized", json_boolean(f->penalized));
    json_object_set_new(o, "penalty_fen", json_integer(f->penalty_fen));
    json_object_set_new(o, "license_revoked", json_boolean(f->license_revoked));
    json_object_set_new(o, "major_hazard_rectified", json_boolean(f->major_hazard_rectified));
    json_object_set_new(o, "escalated_verification", json_boolean(f->escalated_verification));
    json_object_set_new(o, "credit_punished", json_boolean(f->credit_punished));
    json_object_set_new(o, "disciplined_count", json_integer(f->disciplined_count));
    json_object_set_new(o, "criminal_count", json_integer(f->criminal_count));
    json_object_set_new(o, "interviews", json_integer(f->interviews));
    json_object_set_new(o, "measures", json_string(s_or(f->measures, "")));
    json_object_set_new(o, "result_text", json_string(s_or(f->result_text, "")));
    json_object_set_new(o, "rectified", json_boolean(f->rectified));
    json_object_set_new(o, "rectify_by", json_string(s_or(f->rectify_by, "")));
    if (f->category && *f->category)
        json_object_set_new(o, "category", json_string(f->category));
    if (f->subject_kind) /* the check's finding overrides the clue's (三公开) */
        json_object_set_new(o, "subject_kind",
                            json_string(sl_case_subject_kind((int)f->subject_kind)));
    char signed_at[40];
    sl_time_format_iso(f->sign_off->signed_at, signed_at, sizeof signed_at);
    json_object_set_new(o, "sign_off",
                        json_pack("{s:s, s:s, s:s}", "leader_name", f->sign_off->leader_name,
                                  "leader_title", f->sign_off->leader_title, "signed_at",
                                  signed_at));
    if (f->police_result && *f->police_result) {
        json_object_set_new(o, "police_filed", json_boolean(f->police_filed));
        json_object_set_new(o, "police_result", json_string(f->police_result));
    }
    if (f->discipline_result && *f->discipline_result)
        json_object_set_new(o, "discipline_result", json_string(f->discipline_result));
    sl_closing_feedback_json(f, o);
    /* 两移交 found by the check, and the lower level's own transfers' outcomes */
    if (f->crime_found)
        json_object_set_new(o, "crime_found", json_true());
    if (f->dereliction_found)
        json_object_set_new(o, "dereliction_found", json_true());
    if (f->police_outcome && *f->police_outcome)
        json_object_set_new(o, "police_outcome", json_string(f->police_outcome));
    if (f->discipline_outcome && *f->discipline_outcome)
        json_object_set_new(o, "discipline_outcome", json_string(f->discipline_outcome));
    return o;
}

static void
s_refuse(sl_apply_result_t *res, const char *code, const char *detail, const char *text)
{
    sl_codec_error_set(&res->err, code, detail, "%s", text);
}

/* The case's status after its transfer of KIND moved to NEXT. The case
 * follows its handling transfer; the police's and the discipline
 * commission's transfers run beside it. A verification that closes the last
 * open transfer closes the case (*CLOSED); a verified handling transfer whose
 * case still has another open is "verified". Locks the case's transfers. */
static int
s_case_follow(sl_db_t *db, int64_t case_id, const char *kind, sl_transfer_state_t next,
              bool *closed)
{
    *closed = false;
    bool handling = strcmp(kind, "handling") == 0;
    if (next != SL_TS_CLOSED)
        return handling ? sl_case_set_status(db, case_id, sl_transfer_case_status(next), NULL) : 0;
    char cid[24];
    snprintf(cid, sizeof cid, "%lld", (long long)case_id);
    const char *p[] = {cid};
    PGresult *r;
    int rc = sl_db_exec(db, &r,
                        "SELECT count(*) FILTER (WHERE state <> 'closed'"
                        "   AND kind <> 'supervision') FROM" /* open supervision never blocks */
                        " (SELECT state, kind FROM transfer WHERE case_id = $1::bigint ORDER BY id"
                        "  FOR UPDATE) t",
                        1, p);
    if (rc != 0)
        return rc;
    long open = atol(PQgetvalue(r, 0, 0));
    PQclear(r);
    if (open == 0) {
        *closed = true;
        return sl_case_set_status(db, case_id, sl_transfer_case_status(SL_TS_CLOSED), NULL);
    }
    return handling ? sl_case_set_status(db, case_id, "verified", NULL) : 0;
}

/* The facts of transfer TID's case the six lists carry, one row in *R:
 * notice_no, unit, unit name, case_no, subject, feedback, the case's unit and
 * its name, whether the case went to the police, major_hazard. */
static int
s_ledger_facts(sl_db_t *db, int64_t tid, PGresult **r)
{
    char sid[24];
    snprintf(sid, sizeof sid, "%lld", (long long)tid);
    const char *p[] = {sid};
    return sl_db_exec(db, r,
                      "SELECT t.notice_no, t.unit_code, u.name, c.case_no, c.subject_name,"
                      " coalesce(t.feedback, ''), coalesce(c.unit_code, ''),"
                      " coalesce(cu.name, ''),"
                      " EXISTS (SELECT 1 FROM transfer p WHERE p.case_id = t.case_id"
                      "         AND p.kind = 'police'), c.major_hazard"
                      " FROM transfer t JOIN cases c ON c.id = t.case_id"
                      " JOIN unit u ON u.code = t.unit_code"
                      " LEFT JOIN unit cu ON cu.code = c.unit_code WHERE t.id = $1::bigint",
                      1, p);
}

/* After transfer TID passed verification (核查通过): the six-list entries of
 * its feedback; when its case closed with it, the end of the case's listed
 * supervision (验收销号, SUPERVISE_END, with its 挂牌督办 entry) and the
 * case's "case_closed" event. */
static int
s_verified(sl_db_t *db, int64_t tid, int64_t case_id, const char *kind, bool case_closed,
           int64_t now_ms, const sl_actor_t *actor)
{
    PGresult *r;
    int rc = s_ledger_facts(db, tid, &r);
    if (rc != 0)
        return rc;
#define V(k) PQgetvalue(r, 0, k)
    sl_ledger_case_t lc = {
        .case_no = V(3), .notice_no = V(0), .unit = V(1), .unit_name = V(2), .subject_name = V(4)};
    sl_ledger_result_t result;
    sl_ledger_item_t items[SL_LEDGER_MAX_ITEMS];
    size_t n = 0;
    if (strcmp(kind, "supervision") == 0) {
        /* a supervision report: the six lists count the handling, not the copy */
    } else if (sl_ledger_result_parse(V(5), kind, &result) == 0) {
        result.criminal_count =
            sl_closing_criminal_persons(kind, result.criminal_count, V(8)[0] == 't');
        n = sl_ledger_map(&result, items);
    } else
        sl_log(SL_LOG_WARN, "case=%s notice=%s verified without a readable feedback", V(3), V(0));
    rc = sl_ledger_record(db, case_id, &lc, items, n, now_ms, actor);
    if (rc == 0 && case_closed) {
        sl_supervision_ended_t ended;
        rc = sl_supervision_end(db, case_id, now_ms, actor, &ended);
        if (rc == 0 && ended.ended) {
            sl_ledger_item_t it;
            sl_ledger_supervision_item(ended.leader, ended.title, ended.since, &it);
            sl_ledger_case_t cc = lc;
            cc.unit = V(6);
            cc.unit_name = V(7);
            rc = sl_ledger_record(db, case_id, &cc, &it, 1, now_ms, actor);
        }
        if (rc == 0)
            rc = sl_audit_append_json(db, case_id, now_ms, "case_closed", actor,
                         json_pack("{s:s, s:s}", "notice_no", V(0), "status", "closed"));
    }
#undef V
    PQclear(r);
    return rc;
}

/* A handling feedback on case CASE_ID (transfer TID) that leaves a major
 * hazard open: the 隐患整改 list holds it from then, with its 整改时限 and
 * 责任人 (sl_ledger_open_hazard_item), once per case; its 已整改 entry follows
 * at verification (s_verified). */
static int
s_open_hazard(sl_db_t *db, int64_t tid, int64_t case_id, const sl_pb_feedback_t *f,
              int64_t now_ms, const sl_actor_t *actor)
{
    PGresult *r;
    int rc = s_ledger_facts(db, tid, &r);
    if (rc != 0)
        return rc;
    if (PQntuples(r) == 0 || strcmp(PQgetvalue(r, 0, 9), "t") != 0 ||
        (rc = sl_ledger_has_item(db, case_id, SL_LEDGER_OPEN_HAZARD)) != 0) {
        PQclear(r);
        return rc < 0 ? rc : 0;
    }
#define V(k) PQgetvalue(r, 0, k)
    sl_ledger_case_t lc = {
        .case_no = V(3), .notice_no = V(0), .unit = V(1), .unit_name = V(2), .subject_name = V(4)};
#undef V
    sl_ledger_item_t it;
    sl_ledger_open_hazard_item(f->rectify_by, f->rectify_responsible, &it);
    rc = sl_ledger_record(db, case_id, &lc, &it, 1, now_ms, actor);
    PQclear(r);
    return rc;
}

/* A failed verification (虚假办结) marks transfer TID for escalation, cause
 * FALSE_COMPLETION, once per transfer and cause (the deadline daemon raises
 * it); the marking is audited. */
static int
s_false_completion(sl_db_t *db, int64_t tid, int64_t case_id, const char *notice_no,
                   const char *reason, int64_t now_ms, const sl_actor_t *actor)
{
    char sid[24], cid[24], at[40];
    snprintf(sid, sizeof sid, "%lld", (long long)tid);
    snprintf(cid, sizeof cid, "%lld", (long long)case_id);
    sl_time_format_iso(now_ms, at, sizeof at);
    const char *p[] = {sid, cid, at, reason ? reason : "", actor->msg_id ? actor->msg_id : ""};
    PGresult *r;
    int rc = sl_db_exec(db, &r,
                        "INSERT INTO transfer_escalation (transfer_id, case_id, cause, marked_at,"
                        " reason, msg_id)"
                        " VALUES ($1::bigint, $2::bigint, 'FALSE_COMPLETION', $3::timestamptz,"
                        " $4, $5) ON CONFLICT (transfer_id, cause) DO NOTHING RETURNING id",
                        5, p);
    if (rc != 0)
        return rc;
    bool marked = PQntuples(r) > 0;
    PQclear(r);
    if (!marked)
        return 0; /* marked before: once per transfer and cause */
    sl_log(SL_LOG_INFO, "notice=%s false completion: marked for escalation", notice_no);
    return sl_audit_append_json(db, case_id, now_ms, "escalation_marked", actor,
                   json_pack("{s:s, s:s, s:s}", "notice_no", notice_no, "cause", "FALSE_COMPLETION",
                             "reason", reason ? reason : ""));
}

int
sl_transfer_apply(sl_db_t *db, const sl_calendar_t *cal, const char *node, int64_t now_ms,
                  const sl_pb_envelope_t *env, const char *sender, int upper_margin,
                  sl_apply_result_t *res)
{
    memset(res, 0, sizeof *res);
    s_answer_t a;
    if (s_answer_of(env, &a) != 0) {
        s_refuse(res, SL_ERR_UNKNOWN_BODY, NULL, "不是对交办书的答复或决定");
        return SL_DECLINED;
    }
    const char *p1[] = {a.notice_no};
    PGresult *r;
    int rc = sl_db_exec(db, &r,
                        "SELECT t.id, t.state, t.case_id, c.case_no, t.unit_code,"
                        " t.transfer_date, t.objection_deadline, t.sector,"
                        " coalesce(t.suggested_unit, ''), t.notice_no, t.kind"
                        " FROM transfer t JOIN cases c ON c.id = t.case_id"
                        " WHERE t.notice_no = $1 FOR UPDATE OF t",
                        1, p1);
    if (rc != 0)
        return rc;
    if (PQntuples(r) == 0) {
        PQclear(r);
        char text[256];
        snprintf(text, sizeof text, "本节点没有编号为 %.120s 的交办书", a.notice_no);
        s_refuse(res, SL_ERR_UNKNOWN_TRANSFER, NULL, text);
        return SL_DECLINED;
    }
    int64_t tid = atoll(PQgetvalue(r, 0, 0));
    int state = sl_transfer_state_parse(PQgetvalue(r, 0, 1));
    int64_t case_id = atoll(PQgetvalue(r, 0, 2));
    snprintf(res->case_no, sizeof res->case_no, "%s", PQgetvalue(r, 0, 3));
    char unit[48], suggested[48];
    snprintf(unit, sizeof unit, "%s", PQgetvalue(r, 0, 4));
    int32_t tday = 0, oday = 0;
    sl_date_parse(PQgetvalue(r, 0, 5), &tday);
    sl_date_parse(PQgetvalue(r, 0, 6), &oday);
    int sector = atoi(PQgetvalue(r, 0, 7));
    snprintf(suggested, sizeof suggested, "%s", PQgetvalue(r, 0, 8));
    snprintf(res->ref, sizeof res->ref, "%s", PQgetvalue(r, 0, 9));
    char kind[16];
    snprintf(kind, sizeof kind, "%s", PQgetvalue(r, 0, 10));
    PQclear(r);
    if (state < 0) {
        sl_log(SL_LOG_ERROR, "notice=%s has an unknown state", a.notice_no);
        return -1;
    }

    /* Who may send it: the transfer's unit answers; this node decides. */
    bool decision = a.msg >= SL_TM_OBJECTION_ACCEPT;
    const char *must = decision ? node : unit;
    if (strcmp(a.from_unit, must) != 0) {
        char text[256];
        snprintf(text, sizeof text, "%s只能由 %s 发送，收到的发送单位是 %.40s",
                 decision ? "对交办书的决定" : "对该交办书的答复", must, a.from_unit);
        s_refuse(res, SL_ERR_WRONG_ORIGIN, NULL, text);
        return SL_DECLINED;
    }
    int32_t today = sl_ms_to_day(now_ms);
    sl_transfer_guard_t guard = {.today = today, .objection_deadline = oday};
    sl_transfer_outcome_t out;
    sl_transfer_step((sl_transfer_state_t)state, a.msg, &guard, &out);
    if (!out.applied) {
        s_refuse(res, out.code, NULL, out.text);
        return SL_DECLINED;
    }

    /* Checks beyond the table, still before any write. */
    int64_t at = a.at > 0 ? a.at : now_ms;
    int32_t rday = sl_ms_to_day(at);
    char target[48] = "", target_name[256] = "";
    if (a.msg == SL_TM_RECEIPT && (rday < tday || rday > today)) {
        s_refuse(res, SL_ERR_BAD_FIELD, "at", "签收日期须在交办日期与今天之间");
        return SL_DECLINED;
    }
    if (a.msg == SL_TM_FEEDBACK && sl_validate_feedback_kind(env->feedback, kind, &res->err) != 0)
        return SL_DECLINED;
    int32_t plan_day = -1; /* 销号 only what is fixed (sl_closing.h) */
    bool handling_pass = a.msg == SL_TM_VERIFY_PASS && strcmp(kind, "handling") == 0;
    if (handling_pass && (rc = sl_closing_verify_check(db, tid, today, &plan_day, &res->err)) != 0)
        return rc;
    if (a.msg == SL_TM_OBJECTION_ACCEPT) {
        const char *to = env->decision->to_unit;
        snprintf(target, sizeof target, "%s", to && *to ? to : suggested);
        if (!*target) {
            s_refuse(res, SL_ERR_MISSING_FIELD, "to_unit",
                     "异议成立须指定改派单位（to_unit），异议也未建议承办单位");
            return SL_DECLINED;
        }
        bool has_node;
        rc = sl_unit_get(db, target, target_name, sizeof target_name, &has_node);
        if (rc < 0)
            return rc;
        if (rc == 1 || strcmp(target, unit) == 0) {
            char text[256];
            snprintf(text, sizeof text, "%s %.40s",
                     rc == 1 ? "本节点没有单位" : "改派单位与原承办单位相同：", target);
            s_refuse(res, SL_ERR_BAD_FIELD, "to_unit", text);
            return SL_DECLINED;
        }
    }

    /* Writes. */
    sl_actor_t actor = {.key = sender,
                                 .unit = a.from_unit,
                                 .operator_name = a.operator_name,
                                 .msg_id = env->msg_id};
    char sid[24], at_s[40], now_s[40];
    snprintf(sid, sizeof sid, "%lld", (long long)tid);
    sl_time_format_iso(at, at_s, sizeof at_s);
    sl_time_format_iso(now_ms, now_s, sizeof now_s);
    const char *next = sl_transfer_state_name(out.next);
    json_t *detail = json_pack("{s:s, s:s, s:s}", "notice_no", res->ref, "from",
                               sl_transfer_state_name((sl_transfer_state_t)state), "to", next);
    switch (a.msg) {
    case SL_TM_RECEIPT: {
        int32_t o2, f2;
        int unknown;
        sl_transfer_deadlines(cal, tday, rday, &o2, &f2, &unknown);
        char rdate[11], odate[11], warn[256];
        sl_date_format(rday, rdate);
        sl_date_format(o2, odate);
        sl_transfer_calendar_warning(unknown, warn, sizeof warn);
        const char *rn = env->receipt->receiver_name;
        const char *p[] = {sid, next, rdate, at_s, rn && *rn ? rn : NULL, odate, warn};
        rc = sl_db_exec(db, NULL,
                        "UPDATE transfer SET state = $2, receipt_date = $3::date,"
                        " received_at = $4::timestamptz, receiver_name = $5,"
                        " objection_deadline = $6::date, calendar_warning = $7"
                        " WHERE id = $1::bigint",
                        7, p);
        json_object_set_new(detail, "receipt_date", json_string(rdate));
        json_object_set_new(detail, "objection_deadline", json_string(odate));
        if (rn && *rn)
            json_object_set_new(detail, "receiver_name", json_string(rn));
        break;
    }
    case SL_TM_OBJECTION: {
        const sl_pb_objection_t *o = env->objection;
        const char *p[] = {sid, next, o->reason,
                           o->suggested_unit && *o->suggested_unit ? o->suggested_unit : NULL,
                           now_s};
        rc = sl_db_exec(db, NULL,
                        "UPDATE transfer SET state = $2, objection_reason = $3,"
                        " suggested_unit = $4, objected_at = $5::timestamptz"
                        " WHERE id = $1::bigint",
                        5, p);
        json_object_set_new(detail, "reason", json_string(o->reason));
        if (o->suggested_unit && *o->suggested_unit)
            json_object_set_new(detail, "suggested_unit", json_string(o->suggested_unit));
        break;
    }
    case SL_TM_PROGRESS: {
        const char *p[] = {sid, next, at_s};
        rc = sl_db_exec(db, NULL,
                        "UPDATE transfer SET state = $2, progress_count = progress_count + 1,"
                        " last_progress_at = $3::timestamptz WHERE id = $1::bigint",
                        3, p);
        json_object_set_new(detail, "text", json_string(env->progress->text));
        break;
    }
    case SL_TM_FEEDBACK: {
        json_t *fb = s_feedback_json(env->feedback);
        char *fbt = json_dumps(fb, JSON_COMPACT | JSON_SORT_KEYS);
        const char *p[] = {sid, next, now_s, fbt};
        rc = sl_db_exec(db, NULL,
                        "UPDATE transfer SET state = $2, fed_back_at = $3::timestamptz,"
                        " feedback = $4 WHERE id = $1::bigint",
                        4, p);
        free(fbt);
        json_object_set_new(detail, "feedback", fb);
        break;
    }
    default: { /* decisions */
        const sl_pb_decision_t *dc = env->decision;
        bool closes = out.next == SL_TS_CLOSED;
        const char *p[] = {sid,
                           next,
                           sl_transfer_msg_name(a.msg),
                           dc->reason && *dc->reason ? dc->reason : NULL,
                           now_s,
                           closes ? now_s : NULL};
        rc = sl_db_exec(db, NULL,
                        "UPDATE transfer SET state = $2, decision = $3, decision_reason = $4,"
                        " decided_at = $5::timestamptz, closed_at = $6::timestamptz"
                        " WHERE id = $1::bigint",
                        6, p);
        if (dc->reason && *dc->reason)
            json_object_set_new(detail, "reason", json_string(dc->reason));
        if (a.msg == SL_TM_OBJECTION_ACCEPT)
            json_object_set_new(detail, "to_unit", json_string(target));
        break;
    }
    }
    if (rc != 0) {
        json_decref(detail);
        return rc;
    }
    bool case_closed = false;
    if (a.msg != SL_TM_OBJECTION_ACCEPT &&
        (rc = s_case_follow(db, case_id, kind, out.next, &case_closed)) != 0) {
        json_decref(detail);
        return rc;
    }
    if (strcmp(kind, "handling") != 0)
        json_object_set_new(detail, "kind", json_string(kind));
    if ((rc = sl_audit_append_json(db, case_id, now_ms, s_effects[a.msg].kind, &actor, detail)) != 0)
        return rc;
    if (a.msg == SL_TM_VERIFY_PASS &&
        (rc = s_verified(db, tid, case_id, kind, case_closed, now_ms, &actor)) != 0)
        return rc;
    if (a.msg == SL_TM_FEEDBACK && strcmp(kind, "handling") == 0 &&
        !env->feedback->major_hazard_rectified &&
        (rc = s_open_hazard(db, tid, case_id, env->feedback, now_ms, &actor)) != 0)
        return rc;
    if (a.msg == SL_TM_FEEDBACK && strcmp(kind, "handling") == 0 &&
        (env->feedback->crime_found || env->feedback->dereliction_found)) {
        /* the check found it: 两移交 now, by the level that handles the case */
        const sl_pb_feedback_t *f = env->feedback;
        if ((rc = sl_case_set_suspected(db, case_id, f->crime_found, f->dereliction_found)) != 0 ||
            (rc = sl__transfer_issue_two(db, cal, node, now_ms, case_id, res->case_no, sector,
                                         f->crime_found, f->dereliction_found, 0, NULL, &actor,
                                         NULL, NULL)) != 0)
            return rc;
    }
    if (handling_pass &&
        (rc = sl_transfer_plan_accept(db, tid, case_id, plan_day, now_ms, &actor)) != 0)
        return rc;
    if (a.msg == SL_TM_VERIFY_FAIL &&
        (rc = s_false_completion(db, tid, case_id, res->ref, env->decision->reason, now_ms,
                                 &actor)) != 0)
        return rc;
    if (a.msg == SL_TM_OBJECTION_ACCEPT) {
        /* The case goes to the other unit under a new notice. */
        char old[96], notice[64];
        int64_t new_id;
        snprintf(old, sizeof old, "%s", res->ref);
        sl_actor_t issuer = {
            .key = sender, .unit = node, .operator_name = a.operator_name, .msg_id = env->msg_id};
        if ((rc = sl__transfer_issue(db, cal, node, now_ms, case_id, res->case_no, sector, target,
                                     0, NULL, tid, old, &issuer, notice, &new_id, kind,
                                     upper_margin)) != 0)
            return rc;
        char nid[24];
        snprintf(nid, sizeof nid, "%lld", (long long)new_id);
        const char *p[] = {sid, nid};
        if ((rc = sl_db_exec(db, NULL,
                             "UPDATE transfer SET replaced_by = $2::bigint WHERE id = $1::bigint",
                             2, p)) != 0)
            return rc;
        snprintf(res->ref, sizeof res->ref, "%s", notice);
    }
    snprintf(res->state, sizeof res->state, "%s", next);
    res->topic = s_effects[a.msg].topic;
    if (a.msg == SL_TM_VERIFY_PASS && !case_closed)
        res->topic = "transfer.verified"; /* another transfer of the case is still open */
    return 0;
}

long
sl_transfer_withdraw_case(sl_db_t *db, int64_t case_id, int64_t now_ms, const char *reason,
                          sl_transfer_withdrawn_t **out)
{
    *out = NULL;
    char sid[24], now[40];
    snprintf(sid, sizeof sid, "%lld", (long long)case_id);
    sl_time_format_iso(now_ms, now, sizeof now);
    const char *p[] = {sid, now, reason};
    PGresult *r;
    int rc = sl_db_exec(db, &r,
                        "UPDATE transfer SET state = 'closed', closed_at = $2::timestamptz,"
                        " decision = 'withdrawn', decision_reason = $3,"
                        " decided_at = $2::timestamptz"
                        " WHERE case_id = $1::bigint AND state <> 'closed'"
                        " RETURNING notice_no, unit_code, delivery",
                        3, p);
    if (rc != 0)
        return rc;
    long n = PQntuples(r);
    if (n > 0)
        *out = sl_calloc((size_t)n, sizeof **out);
    for (long i = 0; i < n; i++) {
        snprintf((*out)[i].notice_no, sizeof (*out)[i].notice_no, "%s", PQgetvalue(r, (int)i, 0));
        snprintf((*out)[i].unit_code, sizeof (*out)[i].unit_code, "%s", PQgetvalue(r, (int)i, 1));
        (*out)[i].by_outbox = strcmp(PQgetvalue(r, (int)i, 2), "outbox") == 0;
    }
    PQclear(r);
    return n;
}
