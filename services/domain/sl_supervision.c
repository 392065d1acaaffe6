/* sl_supervision.c — listing major-hazard cases for supervision, and ending it.
 *
 * A listing is refused before anything is written (unknown case, closed, or
 * a case with neither a major hazard nor measure ③ listed without the
 * office's reason); listing a listed case changes its leader. The unique
 * index on listed rows backs the check against a concurrent listing. */
#include "sl_supervision.h"

#include "sl_audit.h"
#include "sl_case.h"
#include "sl_clock.h"
#include "sl_log.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *
s_or(const char *s)
{
    return s ? s : "";
}

bool
sl_supervision_is(const sl_pb_envelope_t *env)
{
    return sl_codec_body(env) == SL_BODY_DECISION &&
           env->decision->kind == SAFELOOP__V1__DECISION__KIND__SUPERVISE;
}

int
sl_supervision_apply(sl_db_t *db, const char *node, int64_t now_ms, const sl_pb_envelope_t *env,
                     const char *sender, sl_apply_result_t *res)
{
    memset(res, 0, sizeof *res);
    const sl_pb_decision_t *d = env->decision;
    sl_case_view_t v;
    int rc = sl_case_for_decision(db, node, d, "挂牌督办", &res->err, &v);
    if (rc != 0)
        return rc;
    snprintf(res->case_no, sizeof res->case_no, "%s", v.case_no);
    int64_t case_id = v.id;
    PGresult *r;
    bool major = v.major_hazard;
    bool closed = strcmp(v.status, "closed") == 0;
    if (closed) {
        sl_codec_error_set(&res->err, SL_ERR_WRONG_STATE, "closed",
                           "该事项已办结销号，不能挂牌督办");
        return SL_DECLINED;
    }
    char cid[24];
    snprintf(cid, sizeof cid, "%lld", (long long)case_id);
    const char *p1[] = {cid};
    if ((rc = sl_db_exec(db, &r,
                         "SELECT leader FROM supervision WHERE case_id = $1::bigint"
                         " AND status = 'listed'",
                         1, p1)) != 0)
        return rc;
    bool listed = PQntuples(r) > 0;
    char was[160] = "";
    if (listed)
        snprintf(was, sizeof was, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    const char *leader = d->leader->leader_name;
    const char *title = s_or(d->leader->leader_title);
    bool have_reason = d->reason && *d->reason;
    if (!listed && !major && !have_reason) {
        /* the plan lists major hazards and measure ③ by itself; any other case
         * is listed by hand, on the office's stated reason */
        sl_codec_error_set(&res->err, SL_ERR_MISSING_FIELD, "reason",
                           "%s "
                           "未标记重大事故隐患，也未责令停产停业整顿；对其他问题线索挂牌督办，请说"
                           "明理由（--reason）",
                           res->case_no);
        return SL_DECLINED;
    }
    if (listed) {
        /* listed already (automatically, or before): the leader changes */
        const char *pu[] = {cid, leader, title};
        if ((rc = sl_db_exec(db, NULL,
                             "UPDATE supervision SET leader = $2, leader_title = $3"
                             " WHERE case_id = $1::bigint AND status = 'listed'",
                             3, pu)) != 0)
            return rc;
        sl_actor_t actor = {
            .key = sender, .unit = node, .operator_name = d->operator_, .msg_id = env->msg_id};
        json_t *o = json_pack("{s:s, s:s, s:s}", "leader", leader, "leader_title", title,
                              "was_leader", was);
        if ((rc = sl_audit_append_json(db, case_id, now_ms, "supervisor_changed", &actor, o)) != 0)
            return rc;
        snprintf(res->ref, sizeof res->ref, "supervision:leader");
        snprintf(res->state, sizeof res->state, "listed");
        res->topic = "case.supervised";
        sl_log(SL_LOG_INFO, "case=%s supervision leader now %s", res->case_no, leader);
        return 0;
    }
    char at[40];
    sl_time_format_iso(now_ms, at, sizeof at);
    const char *p2[] = {cid, leader, title, at, s_or(d->operator_), env->msg_id};
    if ((rc = sl_db_exec(db, &r,
                         "INSERT INTO supervision (case_id, leader, leader_title, listed_at,"
                         " listed_by, msg_id, status)"
                         " VALUES ($1::bigint, $2, $3, $4::timestamptz, $5, $6, 'listed')"
                         " RETURNING id",
                         6, p2)) != 0)
        return rc;
    long long id = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    sl_actor_t actor = {
        .key = sender, .unit = node, .operator_name = d->operator_, .msg_id = env->msg_id};
    json_t *o = json_pack("{s:s, s:s, s:s, s:I}", "decision", "SUPERVISE", "leader", leader,
                          "leader_title", title, "supervision_id", (json_int_t)id);
    if (d->reason && *d->reason)
        json_object_set_new(o, "reason", json_string(d->reason));
    if ((rc = sl_audit_append_json(db, case_id, now_ms, "supervised", &actor, o)) != 0)
        return rc;
    snprintf(res->ref, sizeof res->ref, "supervision:%lld", id);
    snprintf(res->state, sizeof res->state, "listed");
    res->topic = "case.supervised";
    sl_log(SL_LOG_INFO, "case=%s listed for supervision under %s", res->case_no, leader);
    return 0;
}

int
sl_supervision_list_escalated(sl_db_t *db, int64_t case_id, int64_t now_ms, const char *msg_id,
                              char *ref, size_t size)
{
    char id[24], now[40];
    snprintf(id, sizeof id, "%lld", (long long)case_id);
    sl_time_format_iso(now_ms, now, sizeof now);
    const char *sp[] = {id, now, msg_id};
    PGresult *s;
    int rc = sl_db_exec(db, &s,
                        "INSERT INTO supervision (case_id, leader, leader_title, listed_at,"
                        " listed_by, msg_id, status)"
                        " VALUES ($1::bigint, '', '', $2::timestamptz, 'sl-deadline', $3, 'listed')"
                        " ON CONFLICT (case_id) WHERE status = 'listed' DO NOTHING RETURNING id",
                        3, sp);
    if (rc != 0)
        return rc;
    snprintf(ref, size, "%s", PQntuples(s) ? PQgetvalue(s, 0, 0) : "already");
    PQclear(s);
    return 0;
}

int
sl_supervision_end(sl_db_t *db, int64_t case_id, int64_t now_ms, const sl_actor_t *actor,
                   sl_supervision_ended_t *out)
{
    memset(out, 0, sizeof *out);
    char cid[24], at[40];
    snprintf(cid, sizeof cid, "%lld", (long long)case_id);
    sl_time_format_iso(now_ms, at, sizeof at);
    const char *p[] = {cid, at};
    PGresult *r;
    int rc = sl_db_exec(db, &r,
                        "UPDATE supervision SET status = 'ended', ended_at = $2::timestamptz"
                        " WHERE case_id = $1::bigint AND status = 'listed'"
                        " RETURNING id, leader, leader_title,"
                        " (listed_at AT TIME ZONE 'Asia/Shanghai')::date::text",
                        2, p);
    if (rc != 0)
        return rc;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return 0;
    }
    out->ended = true;
    long long id = atoll(PQgetvalue(r, 0, 0));
    snprintf(out->leader, sizeof out->leader, "%s", PQgetvalue(r, 0, 1));
    snprintf(out->title, sizeof out->title, "%s", PQgetvalue(r, 0, 2));
    snprintf(out->since, sizeof out->since, "%s", PQgetvalue(r, 0, 3));
    PQclear(r);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I}", "decision", "SUPERVISE_END", "leader",
                          out->leader, "leader_title", out->title, "since", out->since,
                          "supervision_id", (json_int_t)id);
    return sl_audit_append_json(db, case_id, now_ms, "supervise_end", actor, o);
}

int
sl_supervision_list(sl_db_t *db, bool all, sl_supervision_row_cb *cb, void *arg)
{
    const char *p[] = {all ? "t" : "f"};
    return sl_db_rows(
        db,
        "SELECT c.case_no, c.subject_name,"
        " coalesce(c.unit_code, '') || CASE WHEN u.name IS NULL THEN '' ELSE ' ' || u.name END,"
        " s.leader || CASE WHEN s.leader_title = '' THEN '' ELSE '（' || s.leader_title || '）'"
        " END, (s.listed_at AT TIME ZONE 'Asia/Shanghai')::date::text, s.status"
        " FROM supervision s JOIN cases c ON c.id = s.case_id"
        " LEFT JOIN unit u ON u.code = c.unit_code"
        " WHERE $1::bool OR s.status = 'listed' ORDER BY s.id",
        1, p, cb, arg);
}

int
sl_supervision_list_auto(sl_db_t *db, int64_t case_id, int64_t now_ms, const char *leader,
                         const char *title, const sl_actor_t *actor, bool *listed)
{
    char id[24], at[40];
    snprintf(id, sizeof id, "%lld", (long long)case_id);
    sl_time_format_iso(now_ms, at, sizeof at);
    const char *p[] = {id, s_or(leader), s_or(title), at, s_or(actor->key)};
    PGresult *r;
    int rc = sl_db_exec(db, &r,
                        "INSERT INTO supervision (case_id, leader, leader_title, listed_at,"
                        " listed_by, status)"
                        " VALUES ($1::bigint, $2, $3, $4::timestamptz, $5, 'listed')"
                        " ON CONFLICT (case_id) WHERE status = 'listed' DO NOTHING RETURNING id",
                        5, p);
    if (rc != 0)
        return rc;
    *listed = PQntuples(r) > 0;
    long long sid = *listed ? atoll(PQgetvalue(r, 0, 0)) : 0;
    PQclear(r);
    if (!*listed)
        return 0;
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:I, s:b}", "decision", "SUPERVISE", "leader", s_or(leader),
                  "leader_title", s_or(title), "supervision_id", (json_int_t)sid, "auto", 1);
    return sl_audit_append_json(db, case_id, now_ms, "supervised", actor, o);
}
