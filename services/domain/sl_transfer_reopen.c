/* sl_transfer_reopen.c — a plan's date on a closed transfer, and reopening a closed one (part of
 * the transfer module).
 *
 * The writes of the closing rules (sl_closing.h) on the transfer table: a
 * verify-pass on an accepted rectification plan leaves the plan's date on the
 * transfer for sl-deadline's rectification clock (sl_transfer_clock.c), and a
 * closed transfer goes back to verification by the state table's transition
 * closed → fed_back (SL_TM_REOPEN) — when the plan's date passes unrectified
 * or a re-report of the case's subject arrives (sl_case_register). Both run
 * inside the caller's transaction. */
#include "sl_transfer_int.h"

#include "sl_audit.h"
#include "sl_case.h"
#include "sl_clock.h"
#include "sl_log.h"
#include "sl_transfer_fsm.h"
#include "sl_util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
sl_transfer_plan_accept(sl_db_t *db, int64_t transfer_id, int64_t case_id, int32_t plan_day,
                        int64_t now_ms, const sl_actor_t *actor)
{
    char tid[24], day[11];
    snprintf(tid, sizeof tid, "%lld", (long long)transfer_id);
    if (plan_day < 0) { /* closed rectified: an earlier plan is done with */
        const char *p[] = {tid};
        return sl_db_exec(db, NULL,
                          "UPDATE transfer SET rectify_by = NULL WHERE id = $1::bigint"
                          " AND rectify_by IS NOT NULL",
                          1, p);
    }
    sl_date_format(plan_day, day);
    const char *p[] = {tid, day};
    PGresult *r;
    int rc =
        sl_db_exec(db, &r,
                   "UPDATE transfer SET rectify_by = $2::date, rectify_overdue_at = NULL"
                   " WHERE id = $1::bigint"
                   " RETURNING notice_no, coalesce(feedback::json->>'rectify_responsible', '')",
                   2, p);
    if (rc != 0)
        return rc;
    json_t *d = json_pack("{s:s, s:s, s:s}", "notice_no", PQntuples(r) ? PQgetvalue(r, 0, 0) : "",
                          "rectify_by", day, "rectify_responsible",
                          PQntuples(r) ? PQgetvalue(r, 0, 1) : "");
    PQclear(r);
    return sl_audit_append_json(db, case_id, now_ms, "plan_accepted", actor, d);
}

int
sl_transfer_reopen(sl_db_t *db, int64_t case_id, int64_t transfer_id, const char *cause,
                   json_t *detail, int64_t now_ms, const sl_actor_t *actor, bool *reopened)
{
    if (reopened)
        *reopened = false;
    char cid[24], tid[24], now[40];
    snprintf(cid, sizeof cid, "%lld", (long long)case_id);
    snprintf(tid, sizeof tid, "%lld", (long long)transfer_id);
    sl_time_format_iso(now_ms, now, sizeof now);
    const char *p[] = {cid, tid};
    PGresult *r;
    int rc = sl_db_exec(db, &r,
                        "SELECT id, state, notice_no FROM transfer WHERE case_id = $1::bigint"
                        " AND kind = 'handling' AND replaced_by IS NULL"
                        " AND ($2::bigint = 0 OR id = $2::bigint)"
                        " ORDER BY id DESC LIMIT 1 FOR UPDATE",
                        2, p);
    if (rc != 0) {
        json_decref(detail);
        return rc;
    }
    sl_transfer_outcome_t out = {.applied = false};
    if (PQntuples(r) > 0)
        sl_transfer_step((sl_transfer_state_t)sl_transfer_state_parse(PQgetvalue(r, 0, 1)),
                         SL_TM_REOPEN, NULL, &out);
    if (!out.applied) { /* not closed: nothing to reopen */
        PQclear(r);
        json_decref(detail);
        return 0;
    }
    char id[24], notice[96];
    snprintf(id, sizeof id, "%s", PQgetvalue(r, 0, 0));
    snprintf(notice, sizeof notice, "%s", PQgetvalue(r, 0, 2));
    PQclear(r);
    const char *next = sl_transfer_state_name(out.next);
    const char *up[] = {id, next, now, cause};
    if ((rc = sl_db_exec(db, NULL,
                         "UPDATE transfer SET state = $2, closed_at = NULL, decision = 'reopen',"
                         " decision_reason = $4, decided_at = $3::timestamptz"
                         " WHERE id = $1::bigint",
                         4, up)) != 0 ||
        (rc = sl_case_set_status(db, case_id, sl_transfer_case_status(out.next), NULL)) != 0) {
        json_decref(detail);
        return rc;
    }
    json_t *d = json_is_object(detail) ? detail : json_object();
    if (d != detail)
        json_decref(detail);
    json_object_set_new(d, "notice_no", json_string(notice));
    json_object_set_new(d, "cause", json_string(cause));
    json_object_set_new(d, "from", json_string("closed"));
    json_object_set_new(d, "to", json_string(next));
    sl_log(SL_LOG_INFO, "notice=%s reopened for verification (%s)", notice, cause);
    if ((rc = sl_audit_append_json(db, case_id, now_ms, "reopened", actor, d)) == 0 && reopened)
        *reopened = true;
    return rc;
}
