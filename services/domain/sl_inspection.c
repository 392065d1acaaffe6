/* sl_inspection.c — the register of inspections (检查记录, R81–R82).
 *
 * Validation and the key are pure; recording, the link to the clue a problem
 * became and listing are the only SQL on table inspection (DESIGN.md rule 4).
 * See sl_inspection.h. */
#include "sl_inspection.h"

#include "sl_audit.h"
#include "sl_clock.h"
#include "sl_log.h"
#include "sl_register.h"
#include "sl_sector.h"
#include "sl_subject.h"
#include "sl_util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool
s_blank(const char *s)
{
    return !s || !*s;
}

int
sl_inspection_validate(const sl_pb_inspection_t *in, const sl_route_map_t *routes,
                       sl_codec_error_t *err)
{
    int32_t day;
    if (s_blank(in->unit_name)) {
        sl_codec_error_set(err, SL_ERR_MISSING_FIELD, "unit_name", "缺少被检查单位名称");
        return SL_DECLINED;
    }
    if (s_blank(in->credit_code)) {
        sl_codec_error_set(err, SL_ERR_MISSING_FIELD, "credit_code", "缺少统一社会信用代码");
        return SL_DECLINED;
    }
    if (strlen(in->credit_code) != 18) {
        sl_codec_error_set(err, SL_ERR_BAD_FIELD, "credit_code",
                           "统一社会信用代码须为 18 位：“%.40s”", in->credit_code);
        return SL_DECLINED;
    }
    if (!sl_sector_by_value((int)in->sector)) {
        sl_codec_error_set(err, SL_ERR_UNKNOWN_SECTOR, NULL, "行业领域未填写或不在 16 个之列");
        return SL_DECLINED;
    }
    if (s_blank(in->division)) {
        sl_codec_error_set(err, SL_ERR_MISSING_FIELD, "division", "缺少所在县级行政区划代码");
        return SL_DECLINED;
    }
    if (routes && !sl_route_known(routes, in->division)) {
        sl_codec_error_set(err, SL_ERR_UNKNOWN_DIVISION, NULL, "未知的县级行政区划代码“%.12s”",
                           in->division);
        return SL_DECLINED;
    }
    if (routes && !sl_route_in_territory(routes, in->division)) {
        sl_codec_error_set(err, SL_ERR_BAD_FIELD, "division", "被检查单位（%.12s）不在本节点辖区内",
                           in->division);
        return SL_DECLINED;
    }
    if (s_blank(in->inspecting_body)) {
        sl_codec_error_set(err, SL_ERR_MISSING_FIELD, "inspecting_body", "缺少检查主体");
        return SL_DECLINED;
    }
    if (s_blank(in->inspected_on)) {
        sl_codec_error_set(err, SL_ERR_MISSING_FIELD, "inspected_on", "缺少检查日期");
        return SL_DECLINED;
    }
    if (sl_date_parse(in->inspected_on, &day) != 0) {
        sl_codec_error_set(err, SL_ERR_BAD_FIELD, "inspected_on",
                           "检查日期须为 YYYY-MM-DD：“%.20s”", in->inspected_on);
        return SL_DECLINED;
    }
    return 0;
}

void
sl_inspection_key(const sl_pb_inspection_t *in, char *out, size_t size)
{
    snprintf(out, size, "%s|%s|%s", in->credit_code ? in->credit_code : "",
             in->inspected_on ? in->inspected_on : "",
             in->inspecting_body ? in->inspecting_body : "");
}

void
sl_inspection_clue(const sl_pb_inspection_t *in, int64_t now_ms, sl_pb_clue_t *clue,
                   sl_pb_subject_t *subject, sl_pb_place_t *place)
{
    safeloop__v1__clue_report__init(clue);
    safeloop__v1__subject__init(subject);
    safeloop__v1__place__init(place);
    subject->name = in->unit_name;
    subject->credit_code = in->credit_code;
    place->division = in->division;
    place->township = in->township;
    clue->channel = SAFELOOP__V1__CLUE_REPORT__CHANNEL__INSPECTION;
    clue->received_at = now_ms;
    clue->subject = subject;
    clue->place = place;
    clue->sector = in->sector;
    clue->description = in->findings;
    clue->source_ref = in->inspecting_body; /* 检查主体 */
}

const char *const *
sl_inspection_csv_header(void)
{
    static const char *const h[SL_INSPECTION_CSV_COLS] = {
        "被检查单位", "统一社会信用代码", "行业领域", "县级行政区划代码", "乡镇（街道）",
        "检查主体",   "检查日期",         "检查发现", "发现问题",         "已处罚"};
    return h;
}

int
sl_inspection_from_fields(char *const *f, sl_pb_inspection_t *in, sl_codec_error_t *err)
{
    safeloop__v1__inspection__init(in);
    in->unit_name = f[0];
    in->credit_code = f[1];
    in->sector = (Safeloop__V1__Sector)sl_register_sector(f[2]);
    if (!in->sector) {
        sl_codec_error_set(err, SL_ERR_UNKNOWN_SECTOR, NULL, "未知的行业领域“%.40s”", f[2]);
        return SL_DECLINED;
    }
    in->division = f[3];
    in->township = f[4];
    in->inspecting_body = f[5];
    in->inspected_on = f[6];
    in->findings = f[7];
    int found = sl_register_yes_no(f[8]), punished = sl_register_yes_no(f[9]);
    if (found < 0 || punished < 0) {
        sl_codec_error_set(err, SL_ERR_BAD_FIELD, found < 0 ? "problem_found" : "punished",
                           "“%s”须填“是”或“否”", found < 0 ? "发现问题" : "已处罚");
        return SL_DECLINED;
    }
    in->problem_found = found;
    in->punished = punished;
    return 0;
}

/* The audit subject of an inspection with key KEY. */
static void
s_subject(const char *key, char *out, size_t size)
{
    snprintf(out, size, "inspection:%s", key);
}

int
sl_inspection_apply(sl_db_t *db, const char *node, int64_t now_ms, const sl_pb_envelope_t *env,
                    const char *sender, int64_t *id, bool *wants_clue, sl_apply_result_t *res)
{
    const sl_pb_inspection_t *in = env->inspection;
    memset(res, 0, sizeof *res);
    *wants_clue = false;
    char key[SL_INSPECTION_KEY_MAX], sector[8], at[48];
    sl_inspection_key(in, key, sizeof key);
    /* no township lists in the divisions data: names compared as a subject's are */
    char *town = sl_subject_key(in->township ? in->township : "");
    snprintf(sector, sizeof sector, "%d", (int)in->sector);
    sl_time_format_iso(now_ms, at, sizeof at);
    const char *p[] = {key,
                       in->unit_name,
                       in->credit_code,
                       sector,
                       in->division,
                       in->township ? in->township : "",
                       town,
                       in->inspecting_body,
                       in->inspected_on,
                       in->findings ? in->findings : "",
                       in->problem_found ? "t" : "f",
                       in->punished ? "t" : "f",
                       in->origin_node ? in->origin_node : "",
                       env->msg_id,
                       at};
    PGresult *r = NULL;
    int rc = sl_db_exec(db, &r,
                        "INSERT INTO inspection (key, unit_name, credit_code, sector, division,"
                        " township, township_key, inspecting_body, inspected_on, findings,"
                        " problem_found, punished, origin_node, msg_id, recorded_at)"
                        " VALUES ($1, $2, $3, $4::smallint, $5, $6, $7, $8, $9::date, $10,"
                        " $11::bool, $12::bool, $13, $14, $15::timestamptz)"
                        " ON CONFLICT (key) DO NOTHING RETURNING id",
                        (int)SL_ARRAY_LEN(p), p);
    free(town);
    if (rc != 0) {
        sl_log(SL_LOG_ERROR, "msg_id=%s could not record inspection: %s", env->msg_id,
               sl_db_error(db));
        return rc;
    }
    if (PQntuples(r) != 1) {
        PQclear(r);
        sl_codec_error_set(&res->err, SL_ERR_BAD_FIELD, "inspected_on",
                           "该检查记录已登记（同一单位、同一日期、同一检查主体）");
        return SL_DECLINED;
    }
    *id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    snprintf(res->ref, sizeof res->ref, "inspection:%" PRId64, *id);
    res->topic = "inspection.recorded";
    *wants_clue = in->problem_found && s_blank(in->origin_node);
    char subject[SL_INSPECTION_SUBJECT_MAX];
    s_subject(key, subject, sizeof subject);
    sl_actor_t actor = {.key = sender,
                        .unit = s_blank(in->origin_node) ? node : in->origin_node,
                        .msg_id = env->msg_id};
    json_t *d = json_pack("{s:s, s:s, s:i, s:s, s:b, s:b}", "unit", in->unit_name, "body",
                          in->inspecting_body, "sector", (int)in->sector, "division", in->division,
                          "problem_found", in->problem_found, "punished", in->punished);
    return sl_audit_append_subject(db, subject, now_ms, "recorded", &actor, d);
}

int
sl_inspection_link_case(sl_db_t *db, int64_t id, const char *case_no, int64_t now_ms,
                        const char *msg_id)
{
    char ids[24];
    snprintf(ids, sizeof ids, "%" PRId64, id);
    const char *p[] = {ids, case_no};
    PGresult *r = NULL;
    int rc = sl_db_exec(db, &r,
                        "UPDATE inspection SET case_no = $2 WHERE id = $1::bigint"
                        " RETURNING key",
                        2, p);
    if (rc != 0 || PQntuples(r) != 1) {
        sl_log(SL_LOG_ERROR, "case_no=%s could not link inspection %s: %s", case_no, ids,
               sl_db_error(db));
        PQclear(r);
        return rc ? rc : -1;
    }
    char subject[SL_INSPECTION_SUBJECT_MAX];
    s_subject(PQgetvalue(r, 0, 0), subject, sizeof subject);
    PQclear(r);
    sl_actor_t actor = {.key = "sl-intake", .msg_id = msg_id};
    return sl_audit_append_subject(db, subject, now_ms, "clue_registered", &actor,
                                   json_pack("{s:s}", "case_no", case_no));
}

const char *const *
sl_inspection_headers(void)
{
    static const char *const h[SL_INSPECTION_COLS] = {
        "编号",     "被检查单位", "统一社会信用代码", "行业领域", "县（市、区）", "乡镇（街道）",
        "检查主体", "检查日期",   "检查发现",         "发现问题", "已处罚",       "线索编号"};
    return h;
}

int
sl_inspection_rows(sl_db_t *db, const char *division, int sector, sl_db_row_cb *cb, void *arg)
{
    char sec[8];
    snprintf(sec, sizeof sec, "%d", sector);
    const char *p[] = {division ? division : "", sec};
    return sl_db_rows(db,
                      "SELECT i.id, i.unit_name, i.credit_code, s.name, d.name, i.township,"
                      " i.inspecting_body, i.inspected_on::text, i.findings,"
                      " CASE WHEN i.problem_found THEN '是' ELSE '否' END,"
                      " CASE WHEN i.punished THEN '是' ELSE '否' END, coalesce(i.case_no, '')"
                      " FROM inspection i JOIN sector s ON s.code = i.sector"
                      " JOIN division d ON d.code = i.division"
                      " WHERE ($1 = '' OR i.division = $1) AND ($2::int = 0 OR i.sector = $2::int)"
                      " ORDER BY i.id",
                      2, p, cb, arg);
}
