/* sl_transfer_supervise.c — 挂牌督办 where levels meet (part of the transfer module).
 *
 * Which node lists a case for supervision and which gives its lead
 * department the supervising copy (DESIGN.md "Where levels meet"): the node
 * whose department handles the case lists it — a major hazard when it is
 * transferred (sl_transfer_list.c), illegal production ordered to stop
 * (measure ③) when the handling Feedback reports it (here); a node whose case
 * is with a lower government gives its lead department for the sector the
 * supervising copy once the case is under 挂牌督办 — when it is handed down
 * with a major hazard or listed here, when the lower government reports the
 * stop, or when `case supervise` lists it here. Inside the caller's
 * transaction. */
#include "sl_transfer_int.h"

#include "sl_case.h"
#include "sl_log.h"
#include "sl_sector.h"
#include "sl_supervision.h"
#include "sl_unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

sl_transfer_supervise_t
sl_transfer_supervise_rule(bool under_supervision, const char *unit_code, bool has_copy)
{
    if (!under_supervision || !unit_code || !*unit_code)
        return SL_SUPERVISE_NONE;
    if (strchr(unit_code, ':')) /* a department of this level's: the case is handled here */
        return SL_SUPERVISE_LIST_HERE;
    return has_copy ? SL_SUPERVISE_NONE : SL_SUPERVISE_COPY_BELOW; /* a lower government */
}

void
sl__supervision_leader(const sl_config_t *cfg, int sector, char *leader, size_t lsize, char *title,
                       size_t tsize)
{
    const sl_sector_t *sec = sl_sector_by_value(sector);
    const char *conf = cfg && sec ? sl_config_str(cfg, "supervision", sec->short_zh) : NULL;
    snprintf(leader, lsize, "%s", conf ? conf : "");
    char *sp = strchr(leader, ' ');
    if (sp)
        *sp++ = '\0';
    snprintf(title, tsize, "%s", sp ? sp : "");
}

int
sl__transfer_supervision_copy(sl_db_t *db, const sl_calendar_t *cal, const char *node,
                              int64_t now_ms, int64_t case_id, const char *case_no, int sector,
                              int64_t list_id, const char *list_no, const sl_actor_t *actor,
                              int upper_margin, long *issued)
{
    char lead[48], notice[64];
    int rc = sl_unit_lead(db, sector, lead, sizeof lead);
    if (rc != 0) {
        if (rc == 1)
            sl_log(SL_LOG_WARN, "case=%s no lead department for its sector: no supervising copy",
                   case_no);
        return rc == 1 ? 0 : rc;
    }
    int64_t tid;
    if ((rc = sl__transfer_issue(db, cal, node, now_ms, case_id, case_no, sector, lead, list_id,
                                 list_no, 0, NULL, actor, notice, &tid, "supervision",
                                 upper_margin)) != 0)
        return rc;
    if (issued)
        (*issued)++;
    return 0;
}

/* Case CASE_ID's open handling transfer's unit (UNIT, "" if none), whether
 * it has a supervising copy already, its number and sector; locks the case's
 * transfers. 0, -1 or SL_AGAIN. */
static int
s_where(sl_db_t *db, int64_t case_id, char *unit, size_t usize, bool *has_copy, char *case_no,
        size_t nsize, int *sector)
{
    char cid[24];
    snprintf(cid, sizeof cid, "%lld", (long long)case_id);
    const char *p[] = {cid};
    PGresult *r;
    int rc = sl_db_exec(db, &r,
                        "SELECT c.case_no, c.sector,"
                        " coalesce((SELECT t.unit_code FROM transfer t WHERE t.case_id = c.id"
                        "  AND t.kind = 'handling' AND t.state <> 'closed'"
                        "  ORDER BY t.id DESC LIMIT 1), ''),"
                        " EXISTS (SELECT 1 FROM transfer t WHERE t.case_id = c.id"
                        "  AND t.kind = 'supervision')"
                        " FROM cases c WHERE c.id = $1::bigint FOR UPDATE",
                        1, p);
    if (rc != 0)
        return rc;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return -1;
    }
    snprintf(case_no, nsize, "%s", PQgetvalue(r, 0, 0));
    *sector = atoi(PQgetvalue(r, 0, 1));
    snprintf(unit, usize, "%s", PQgetvalue(r, 0, 2));
    *has_copy = strcmp(PQgetvalue(r, 0, 3), "t") == 0;
    PQclear(r);
    return 0;
}

int
sl_transfer_supervise(sl_db_t *db, const sl_calendar_t *cal, const sl_config_t *cfg,
                      const char *node, int64_t now_ms, int64_t case_id, const char *unit_code,
                      const sl_actor_t *actor)
{
    char unit[48], case_no[64];
    bool has_copy;
    int sector;
    int rc = s_where(db, case_id, unit, sizeof unit, &has_copy, case_no, sizeof case_no, &sector);
    if (rc != 0)
        return rc;
    if (unit_code) /* the transfer that reported it, closed or not */
        snprintf(unit, sizeof unit, "%s", unit_code);
    switch (sl_transfer_supervise_rule(true, unit, has_copy)) {
    case SL_SUPERVISE_LIST_HERE: {
        char leader[128], title[64];
        sl__supervision_leader(cfg, sector, leader, sizeof leader, title, sizeof title);
        bool listed;
        if ((rc = sl_supervision_list_auto(db, case_id, now_ms, leader, title, actor, &listed)) ==
                0 &&
            listed)
            sl_log(SL_LOG_INFO, "case=%s listed for supervision: ordered to stop (measure ③)",
                   case_no);
        return rc;
    }
    case SL_SUPERVISE_COPY_BELOW:
        /* the node's margin, as sl-dispatch uses it: the copy is due with the
         * lower government's feedback */
        return sl__transfer_supervision_copy(
            db, cal, node, now_ms, case_id, case_no, sector, 0, NULL, actor,
            sl_transfer_upper_margin(cfg), NULL);
    default:
        return 0;
    }
}

int
sl_transfer_supervise_after(sl_db_t *db, const sl_calendar_t *cal, const sl_config_t *cfg,
                            const char *node, int64_t now_ms, const sl_pb_envelope_t *env,
                            const char *sender)
{
    const char *notice = NULL, *from = NULL, *op = NULL;
    bool listing = false;
    if (sl_codec_body(env) == SL_BODY_FEEDBACK && env->feedback->production_suspended)
        notice = env->feedback->notice_no, from = env->feedback->from_unit,
        op = env->feedback->operator_;
    else if (sl_supervision_is(env)) /* case supervise: listed here */
        listing = true, from = node, op = env->decision->operator_;
    else
        return 0;
    PGresult *r;
    int rc;
    if (listing) {
        const char *p[] = {env->decision->case_no};
        rc = sl_db_exec(db, &r,
                        "SELECT c.id, '' FROM cases c WHERE c.case_no = $1"
                        " AND EXISTS (SELECT 1 FROM supervision s WHERE s.case_id = c.id"
                        "  AND s.status = 'listed')",
                        1, p);
    } else {
        const char *p[] = {notice};
        rc = sl_db_exec(db, &r,
                        "SELECT t.case_id, t.unit_code FROM transfer t WHERE t.notice_no = $1"
                        " AND t.kind = 'handling'",
                        1, p);
    }
    if (rc != 0)
        return rc;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return 0;
    }
    int64_t case_id = atoll(PQgetvalue(r, 0, 0));
    char unit[48];
    snprintf(unit, sizeof unit, "%s", PQgetvalue(r, 0, 1));
    PQclear(r);
    sl_actor_t actor = {.key = sender, .unit = from, .operator_name = op, .msg_id = env->msg_id};
    return sl_transfer_supervise(db, cal, cfg, node, now_ms, case_id, *unit ? unit : NULL, &actor);
}
