/* sl_transfer_two.c — 两移交 once per clue, by the level that handles it (part of the transfer
 * module).
 *
 * The police transfer (涉嫌犯罪) and the discipline transfer (涉嫌失职渎职) of
 * a clue are issued once across the federation, by the node whose government
 * holds the case as its own — the level whose lead department handles it, not
 * each level it passes through (R27, R28, R36; DESIGN.md "Where levels
 * meet"). A node that hands the case down records that the transfer is the
 * lower level's duty; a verification case raised by escalation issues none
 * again. They are issued when the case goes on a list with its flag, when a
 * handling feedback reports the suspicion found by the check, or on
 * `slctl case refer` (Decision REFER_POLICE / REFER_DISCIPLINE, through
 * intake). sl_transfer_two_duty is the rule, pure; the rest reads the facts
 * and issues through sl__transfer_issue. */
#include "sl_transfer_int.h"

#include "sl_audit.h"
#include "sl_case.h"
#include "sl_log.h"
#include "sl_util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

sl_transfer_two_duty_t
sl_transfer_two_duty(const char *channel, bool handed_down, bool exists)
{
    if (channel && strcmp(channel, "escalation") == 0)
        return SL_TWO_ESCALATION;
    if (handed_down)
        return SL_TWO_BELOW;
    return exists ? SL_TWO_ISSUED : SL_TWO_ISSUE;
}

static const char *const s_kinds[2] = {"police", "discipline"};

/* The duty of case CASE_ID for transfer KIND (police, discipline): whether
 * this node issues it. A transfer of KIND exists already if one was issued
 * for the case or for another case here of the same upper case (the same
 * clue, handed down again after a false completion). 0, -1 or SL_AGAIN. */
static int
s_duty(sl_db_t *db, int64_t case_id, const char *kind, sl_transfer_two_duty_t *duty)
{
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)case_id);
    const char *p[] = {id, kind};
    PGresult *r;
    int rc =
        sl_db_exec(db, &r,
                   "SELECT c.channel, coalesce(u.kind, '') = 'child',"
                   " EXISTS (SELECT 1 FROM transfer t JOIN cases o ON o.id = t.case_id"
                   "   WHERE t.kind = $2 AND (o.id = c.id OR (c.upper_case_no IS NOT NULL"
                   "     AND o.upper_case_no = c.upper_case_no)))"
                   " FROM cases c LEFT JOIN unit u ON u.code = c.unit_code WHERE c.id = $1::bigint",
                   2, p);
    if (rc != 0)
        return rc;
    if (PQntuples(r) == 0) {
        PQclear(r);
        sl_log(SL_LOG_ERROR, "case id %s vanished while deciding its %s transfer", id, kind);
        return -1;
    }
    *duty = sl_transfer_two_duty(PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1)[0] == 't',
                                 PQgetvalue(r, 0, 2)[0] == 't');
    PQclear(r);
    return 0;
}

int
sl__transfer_issue_two(sl_db_t *db, const sl_calendar_t *cal, const char *node, int64_t now_ms,
                       int64_t case_id, const char *case_no, int sector, bool police,
                       bool discipline, int64_t list_id, const char *list_no,
                       const sl_actor_t *actor, long *issued, sl_transfer_two_duty_t *duties)
{
    bool want[2] = {police, discipline};
    for (int k = 0; k < 2; k++) {
        if (duties)
            duties[k] = SL_TWO_ISSUED;
        if (!want[k])
            continue;
        sl_transfer_two_duty_t duty;
        int rc = s_duty(db, case_id, s_kinds[k], &duty);
        if (rc != 0)
            return rc;
        if (duties)
            duties[k] = duty;
        if (duty == SL_TWO_BELOW) {
            /* the lower government holds the case: the transfer is its duty */
            json_t *o = json_pack("{s:s}", "kind", s_kinds[k]);
            if ((rc = sl_audit_append_json(db, case_id, now_ms, "two_transfers_below", actor, o)) !=
                0)
                return rc;
            continue;
        }
        if (duty != SL_TWO_ISSUE)
            continue;
        char unit[48], notice[64];
        int64_t tid;
        snprintf(unit, sizeof unit, "%s:%s", node, s_kinds[k]);
        if ((rc = sl__transfer_issue(db, cal, node, now_ms, case_id, case_no, sector, unit, list_id,
                                     list_no, 0, NULL, actor, notice, &tid, s_kinds[k], 0)) != 0)
            return rc;
        if (issued)
            (*issued)++;
    }
    return 0;
}

bool
sl_transfer_is_refer(const sl_pb_envelope_t *env)
{
    return sl_codec_body(env) == SL_BODY_DECISION &&
           (env->decision->kind == SAFELOOP__V1__DECISION__KIND__REFER_POLICE ||
            env->decision->kind == SAFELOOP__V1__DECISION__KIND__REFER_DISCIPLINE);
}

int
sl_transfer_refer_apply(sl_db_t *db, const sl_calendar_t *cal, const char *node, int64_t now_ms,
                        const sl_pb_envelope_t *env, const char *sender, sl_apply_result_t *res)
{
    memset(res, 0, sizeof *res);
    const sl_pb_decision_t *d = env->decision;
    bool police = d->kind == SAFELOOP__V1__DECISION__KIND__REFER_POLICE;
    sl_case_view_t v;
    int rc = sl_case_for_decision(db, node, d, "移交", &res->err, &v);
    if (rc != 0)
        return rc;
    snprintf(res->case_no, sizeof res->case_no, "%s", v.case_no);
    if (strcmp(v.status, "registered") == 0) {
        /* not yet on a list: the flag is enough, the list issues it */
        sl_codec_error_set(&res->err, SL_ERR_WRONG_STATE, "registered", "%s",
                           "该问题线索尚未交办，请在登记时标记涉嫌犯罪或涉嫌失职渎职");
        return SL_DECLINED;
    }
    sl_transfer_two_duty_t duty;
    if ((rc = s_duty(db, v.id, police ? "police" : "discipline", &duty)) != 0)
        return rc;
    if (duty == SL_TWO_BELOW) {
        sl_codec_error_set(&res->err, SL_ERR_WRONG_STATE, "handed_down",
                           "问题线索 %s 已交下级政府办理，%s由下级按权责移交", v.case_no,
                           police ? "移交公安机关" : "移交纪检监察机关");
        return SL_DECLINED;
    }
    if (duty != SL_TWO_ISSUE) {
        sl_codec_error_set(&res->err, SL_ERR_WRONG_STATE, "referred",
                           "问题线索 %s 已%s，不再重复移交", v.case_no,
                           police ? "移交公安机关" : "移交纪检监察机关");
        return SL_DECLINED;
    }
    if ((rc = sl_case_set_suspected(db, v.id, police, !police)) != 0)
        return rc;
    sl_actor_t actor = {
        .key = sender, .unit = node, .operator_name = d->operator_, .msg_id = env->msg_id};
    json_t *o =
        json_pack("{s:s, s:s}", "kind", police ? "police" : "discipline", "reason", d->reason);
    if ((rc = sl_audit_append_json(db, v.id, now_ms, "referred", &actor, o)) != 0)
        return rc;
    PGresult *r;
    const char *p[] = {v.case_no};
    if ((rc = sl_db_exec(db, &r, "SELECT sector FROM cases WHERE case_no = $1", 1, p)) != 0)
        return rc;
    int sector = atoi(PQgetvalue(r, 0, 0));
    PQclear(r);
    long n = 0;
    if ((rc = sl__transfer_issue_two(db, cal, node, now_ms, v.id, v.case_no, sector, police,
                                     !police, 0, NULL, &actor, &n, NULL)) != 0)
        return rc;
    snprintf(res->ref, sizeof res->ref, "%s", police ? "police" : "discipline");
    snprintf(res->state, sizeof res->state, "referred");
    res->topic = "case.referred";
    sl_log(SL_LOG_INFO, "case=%s referred to the %s", v.case_no, police ? "police" : "discipline");
    return 0;
}
