/* sl_plan.c — implementation plans, tracked as a report due. The only SQL on
 * plan_due, implementation_plan and plan_missing (DESIGN.md rule 4). See
 * sl_plan.h. */
#include "sl_plan.h"

#include "sl_audit.h"
#include "sl_clock.h"
#include "sl_log.h"
#include "sl_transfer_clock.h"
#include "sl_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
sl_plan_validate(const sl_pb_plan_t *p, sl_codec_error_t *err)
{
    int32_t day;
    if (!p->from_unit || !*p->from_unit || !p->title || !*p->title) {
        sl_codec_error_set(err, SL_ERR_MISSING_FIELD,
                           !p->from_unit || !*p->from_unit ? "from_unit" : "title",
                           "实施方案须有报送单位和方案名称");
        return SL_DECLINED;
    }
    if (!p->submitted_on || sl_date_parse(p->submitted_on, &day) != 0) {
        sl_codec_error_set(err, SL_ERR_BAD_FIELD, "submitted_on", "印发日期须为 YYYY-MM-DD");
        return SL_DECLINED;
    }
    return 0;
}

void
sl_plan_key(const sl_pb_plan_t *p, char *out, size_t size)
{
    snprintf(out, size, "%s", p->from_unit ? p->from_unit : "");
}

const char *const *
sl_plan_csv_header(void)
{
    static const char *const h[SL_PLAN_CSV_COLS] = {"单位", "方案名称", "印发日期"};
    return h;
}

int
sl_plan_from_fields(char *const *f, sl_pb_plan_t *p, sl_codec_error_t *err)
{
    (void)err;
    safeloop__v1__implementation_plan__init(p);
    p->from_unit = f[0];
    p->title = f[1];
    p->submitted_on = f[2];
    return 0;
}

int
sl_plan_apply(sl_db_t *db, const char *node, int64_t now_ms, const sl_pb_envelope_t *env,
              const char *sender, sl_apply_result_t *res)
{
    const sl_pb_plan_t *p = env->plan;
    memset(res, 0, sizeof *res);
    char at[48];
    sl_time_format_iso(now_ms, at, sizeof at);
    const char *pp[] = {p->from_unit, p->title, p->submitted_on, at, env->msg_id};
    int rc = sl_db_exec(db, NULL,
                        "INSERT INTO implementation_plan (unit, title, submitted_on, received_at,"
                        " msg_id) VALUES ($1, $2, $3::date, $4::timestamptz, $5)"
                        " ON CONFLICT (unit) DO UPDATE SET title = EXCLUDED.title,"
                        " submitted_on = EXCLUDED.submitted_on, msg_id = EXCLUDED.msg_id",
                        5, pp);
    if (rc != 0) {
        sl_log(SL_LOG_ERROR, "msg_id=%s could not record implementation plan: %s", env->msg_id,
               sl_db_error(db));
        return rc;
    }
    snprintf(res->ref, sizeof res->ref, "plan:%.80s", p->from_unit);
    res->topic = "report.received";
    char subject[300];
    snprintf(subject, sizeof subject, "plan:%s", p->from_unit);
    sl_actor_t actor = {.key = sender, .unit = node, .msg_id = env->msg_id};
    return sl_audit_append_subject(
        db, subject, now_ms, "plan_received", &actor,
        json_pack("{s:s, s:s}", "title", p->title, "submitted_on", p->submitted_on));
}

int
sl_plan_set_due(sl_db_t *db, const char *campaign, int32_t day)
{
    char d[11];
    sl_date_format(day, d);
    const char *p[] = {campaign, d};
    PGresult *r = NULL;
    int rc = sl_db_exec(db, &r,
                        "INSERT INTO plan_due (campaign_id, due_on)"
                        " SELECT id, $2::date FROM campaign WHERE name = $1"
                        " ON CONFLICT (campaign_id) DO UPDATE SET due_on = EXCLUDED.due_on"
                        " RETURNING 1",
                        2, p);
    if (rc != 0)
        return rc;
    rc = PQntuples(r) == 1 ? 0 : 1;
    PQclear(r);
    return rc;
}

/* Member units against each campaign's plan date, as of $1 (a date). */
#define S_OWED                                                                                     \
    "SELECT u.code, u.name, d.due_on, p.received_at, d.campaign_id, c.name AS campaign"            \
    " FROM plan_due d JOIN campaign c ON c.id = d.campaign_id"                                     \
    " CROSS JOIN unit u LEFT JOIN implementation_plan p ON p.unit = u.code"                        \
    " WHERE u.kind IN ('department', 'child')"

const char *const *
sl_plan_headers(void)
{
    static const char *const h[SL_PLAN_COLS] = {"单位", "单位名称", "报送期限", "收到时间", "状态"};
    return h;
}

int
sl_plan_rows(sl_db_t *db, int64_t now_ms, sl_db_row_cb *cb, void *arg)
{
    char today[11];
    sl_date_format(sl_ms_to_day(now_ms), today);
    const char *p[] = {today};
    return sl_db_rows(db,
                      "SELECT o.code, o.name, o.due_on::text,"
                      " coalesce(to_char(o.received_at AT TIME ZONE 'Asia/Shanghai',"
                      "  'YYYY-MM-DD HH24:MI'), ''),"
                      " CASE WHEN o.received_at IS NULL THEN"
                      "  CASE WHEN o.due_on < $1::date THEN '未报' ELSE '待报' END"
                      " WHEN (o.received_at AT TIME ZONE 'Asia/Shanghai')::date <= o.due_on"
                      "  THEN '按时' ELSE '逾期' END"
                      " FROM (" S_OWED ") o ORDER BY o.due_on, o.code",
                      1, p, cb, arg);
}

long
sl_plan_check(sl_db_t *db, int64_t now_ms, bool *busy, sl_report_event_cb *cb, void *arg)
{
    *busy = false;
    bool leader;
    int rc = sl_db_begin_leader(db, SL_DEADLINE_LOCK, &leader);
    if (rc != 0)
        return rc;
    if (!leader) {
        *busy = true;
        return 0;
    }
    char today[11], now[40];
    sl_date_format(sl_ms_to_day(now_ms), today);
    sl_time_format_iso(now_ms, now, sizeof now);
    const char *p[] = {today, now};
    PGresult *r = NULL;
    rc = sl_db_exec(db, &r,
                    "WITH owed AS (" S_OWED " AND p.received_at IS NULL AND d.due_on < $1::date)"
                    " , noted AS (INSERT INTO plan_missing (campaign_id, unit, due_on, noted_at)"
                    " SELECT campaign_id, code, due_on, $2::timestamptz FROM owed"
                    " ON CONFLICT DO NOTHING RETURNING campaign_id, unit)"
                    " SELECT o.campaign, o.code, o.name, o.due_on::text FROM noted n"
                    " JOIN owed o ON o.campaign_id = n.campaign_id AND o.code = n.unit"
                    " ORDER BY o.code",
                    2, p);
    if (rc != 0 || (rc = sl_db_commit(db)) != 0) {
        sl_log(SL_LOG_ERROR, "could not note missing implementation plans: %s", sl_db_error(db));
        PQclear(r);
        sl_db_rollback(db);
        return rc;
    }
    long n = PQntuples(r);
    for (long i = 0; i < n; i++) {
        json_t *o =
            json_pack("{s:s, s:s, s:s, s:s, s:s}", "campaign", PQgetvalue(r, (int)i, 0), "unit",
                      PQgetvalue(r, (int)i, 1), "unit_name", PQgetvalue(r, (int)i, 2), "kind",
                      "plan", "due_on", PQgetvalue(r, (int)i, 3));
        char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(o);
        if (cb)
            cb(arg, "report.missing", text);
        free(text);
    }
    PQclear(r);
    return n;
}
