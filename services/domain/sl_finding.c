/* sl_finding.c — earlier findings as clues, and the special ledger. The only
 * SQL on earlier_finding (DESIGN.md rule 4). See sl_finding.h. */
#include "sl_finding.h"

#include "sl_audit.h"
#include "sl_clock.h"
#include "sl_log.h"
#include "sl_register.h"
#include "sl_util.h"
#include "sl_validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const s_lists[] = {"", "大督查", "大盘点", "大起底", "近三年举报"};

int
sl_finding_source(const char *s)
{
    for (int v = 1; v <= 4; v++)
        if (strcmp(s, s_lists[v]) == 0)
            return v;
    const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value_by_name(
        &safeloop__v1__earlier_finding__source_list__descriptor, s);
    return ev && ev->value > 0 ? ev->value : 0;
}

const char *
sl_finding_source_name(int v)
{
    return v >= 1 && v <= 4 ? s_lists[v] : "";
}

int
sl_finding_prepare(sl_pb_finding_t *f, const sl_route_map_t *routes, sl_codec_error_t *err)
{
    if (!*sl_finding_source_name((int)f->source_list)) {
        sl_codec_error_set(err, SL_ERR_BAD_FIELD, "source_list",
                           "来源清单须为大督查、大盘点、大起底或近三年举报");
        return SL_DECLINED;
    }
    if (!f->source_ref || !*f->source_ref) {
        sl_codec_error_set(err, SL_ERR_MISSING_FIELD, "source_ref", "缺少原清单中的编号");
        return SL_DECLINED;
    }
    if (!f->clue) {
        sl_codec_error_set(err, SL_ERR_MISSING_FIELD, "clue", "缺少问题线索");
        return SL_DECLINED;
    }
    if (!f->clue->channel)
        f->clue->channel = SAFELOOP__V1__CLUE_REPORT__CHANNEL__OTHER;
    if (sl_validate_clue(f->clue, routes, err) != 0)
        return SL_DECLINED;
    if (routes && !sl_route_in_territory(routes, f->clue->place->division)) {
        sl_codec_error_set(err, SL_ERR_BAD_FIELD, "clue.place.division",
                           "前期排查问题的地点不在本节点辖区内");
        return SL_DECLINED;
    }
    return 0;
}

void
sl_finding_key(const sl_pb_finding_t *f, char *out, size_t size)
{
    snprintf(out, size, "%d|%s", (int)f->source_list, f->source_ref ? f->source_ref : "");
}

const char *const *
sl_finding_csv_header(void)
{
    static const char *const h[SL_FINDING_CSV_COLS] = {
        "来源清单",         "原编号",       "被举报单位", "统一社会信用代码", "行业领域",
        "县级行政区划代码", "乡镇（街道）", "问题描述",   "重大事故隐患"};
    return h;
}

int
sl_finding_from_fields(char *const *f, int64_t received_ms, sl_finding_row_t *row,
                       sl_codec_error_t *err)
{
    safeloop__v1__earlier_finding__init(&row->finding);
    safeloop__v1__clue_report__init(&row->clue);
    safeloop__v1__subject__init(&row->subject);
    safeloop__v1__place__init(&row->place);
    row->finding.source_list = (Safeloop__V1__EarlierFinding__SourceList)sl_finding_source(f[0]);
    row->finding.source_ref = f[1];
    row->finding.clue = &row->clue;
    row->clue.subject = &row->subject;
    row->clue.place = &row->place;
    row->subject.name = f[2];
    row->subject.credit_code = f[3];
    row->clue.sector = (Safeloop__V1__Sector)sl_register_sector(f[4]);
    row->place.division = f[5];
    row->place.township = f[6];
    row->clue.description = f[7];
    row->clue.received_at = received_ms;
    int major = sl_register_yes_no(f[8]);
    if (major < 0) {
        sl_codec_error_set(err, SL_ERR_BAD_FIELD, "clue.major_hazard",
                           "“重大事故隐患”须填“是”或“否”");
        return SL_DECLINED;
    }
    row->clue.major_hazard = major;
    return 0;
}

int
sl_finding_apply(sl_db_t *db, int64_t now_ms, const sl_pb_envelope_t *env, int64_t *id,
                 sl_apply_result_t *res)
{
    const sl_pb_finding_t *f = env->finding;
    memset(res, 0, sizeof *res);
    char list[8], at[48];
    snprintf(list, sizeof list, "%d", (int)f->source_list);
    sl_time_format_iso(now_ms, at, sizeof at);
    const char *p[] = {list, f->source_ref, env->msg_id, at};
    PGresult *r = NULL;
    int rc = sl_db_exec(db, &r,
                        "INSERT INTO earlier_finding (source_list, source_ref, msg_id, recorded_at)"
                        " VALUES ($1::smallint, $2, $3, $4::timestamptz)"
                        " ON CONFLICT (source_list, source_ref) DO NOTHING RETURNING id",
                        4, p);
    if (rc != 0) {
        sl_log(SL_LOG_ERROR, "msg_id=%s could not record earlier finding: %s", env->msg_id,
               sl_db_error(db));
        return rc;
    }
    if (PQntuples(r) != 1) {
        PQclear(r);
        sl_codec_error_set(&res->err, SL_ERR_BAD_FIELD, "source_ref",
                           "该问题已导入（同一来源清单、同一编号）");
        return SL_DECLINED;
    }
    *id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    res->topic = "case.registered";
    return 0;
}

int
sl_finding_link_case(sl_db_t *db, int64_t id, const char *case_no, int64_t now_ms,
                     const char *msg_id)
{
    char ids[24];
    snprintf(ids, sizeof ids, "%lld", (long long)id);
    const char *p[] = {ids, case_no};
    PGresult *r = NULL;
    int rc = sl_db_exec(db, &r,
                        "UPDATE earlier_finding SET case_no = $2 WHERE id = $1::bigint"
                        " RETURNING source_list || '|' || source_ref",
                        2, p);
    if (rc != 0 || PQntuples(r) != 1) {
        sl_log(SL_LOG_ERROR, "case_no=%s could not link earlier finding %s: %s", case_no, ids,
               sl_db_error(db));
        PQclear(r);
        return rc ? rc : -1;
    }
    char subject[600];
    snprintf(subject, sizeof subject, "finding:%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    sl_actor_t actor = {.key = "sl-intake", .msg_id = msg_id};
    return sl_audit_append_subject(db, subject, now_ms, "registered_as_case", &actor,
                                   json_pack("{s:s}", "case_no", case_no));
}

const char *const *
sl_finding_headers(void)
{
    static const char *const h[SL_FINDING_COLS] = {"来源清单",   "原编号",   "案件编号",
                                                   "被举报单位", "行业领域", "县（市、区）",
                                                   "办理状态",   "登记时间"};
    return h;
}

int
sl_finding_rows(sl_db_t *db, sl_db_row_cb *cb, void *arg)
{
    return sl_db_rows(
        db,
        "SELECT (ARRAY['大督查','大盘点','大起底','近三年举报'])[f.source_list], f.source_ref,"
        " coalesce(f.case_no, ''), coalesce(c.subject_name, ''), coalesce(s.name, ''),"
        " coalesce(d.name, ''), coalesce(c.status, ''),"
        " coalesce(to_char(c.registered_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD'), '')"
        " FROM earlier_finding f LEFT JOIN cases c ON c.case_no = f.case_no"
        " LEFT JOIN sector s ON s.code = c.sector LEFT JOIN division d ON d.code = c.division"
        " ORDER BY f.source_list, f.id",
        0, NULL, cb, arg);
}
