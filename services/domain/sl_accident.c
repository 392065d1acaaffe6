/* sl_accident.c — the register of accidents (事故记录, R53, R60).
 *
 * Validation, the key and the level names are pure; recording and listing
 * are the only SQL on tables accident and accident_owner (DESIGN.md rule 4).
 * See sl_accident.h. */
#include "sl_accident.h"

#include "sl_audit.h"
#include "sl_clock.h"
#include "sl_log.h"
#include "sl_register.h"
#include "sl_sector.h"
#include "sl_util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const s_levels[] = {"", "一般", "较大", "重大", "特别重大"};

int
sl_accident_level(const char *s)
{
    for (int v = 1; v <= 4; v++)
        if (strcmp(s, s_levels[v]) == 0)
            return v;
    const ProtobufCEnumValue *ev =
        protobuf_c_enum_descriptor_get_value_by_name(&safeloop__v1__accident__level__descriptor, s);
    return ev && ev->value > 0 ? ev->value : 0;
}

const char *
sl_accident_level_name(int v)
{
    return v >= 1 && v <= 4 ? s_levels[v] : "";
}

bool
sl_accident_traced(const sl_pb_accident_t *a)
{
    return a->level >= SAFELOOP__V1__ACCIDENT__LEVEL__LARGER || a->concealed;
}

int
sl_accident_validate(const sl_pb_accident_t *a, const sl_route_map_t *routes, sl_codec_error_t *err)
{
    int32_t day;
    if (!a->occurred_on || sl_date_parse(a->occurred_on, &day) != 0) {
        sl_codec_error_set(err, SL_ERR_BAD_FIELD, "occurred_on", "事故日期须为 YYYY-MM-DD");
        return SL_DECLINED;
    }
    if (!a->division || !*a->division) {
        sl_codec_error_set(err, SL_ERR_MISSING_FIELD, "division", "缺少所在县级行政区划代码");
        return SL_DECLINED;
    }
    if (routes && !sl_route_in_territory(routes, a->division)) {
        sl_codec_error_set(err, SL_ERR_UNKNOWN_DIVISION, NULL,
                           "行政区划代码“%.12s”未知或不在本节点辖区内", a->division);
        return SL_DECLINED;
    }
    if (!a->subject_name || !*a->subject_name) {
        sl_codec_error_set(err, SL_ERR_MISSING_FIELD, "subject_name", "缺少事故单位");
        return SL_DECLINED;
    }
    if (!sl_sector_by_value((int)a->sector)) {
        sl_codec_error_set(err, SL_ERR_UNKNOWN_SECTOR, NULL, "行业领域未填写或不在 16 个之列");
        return SL_DECLINED;
    }
    if (!*sl_accident_level_name((int)a->level)) {
        sl_codec_error_set(err, SL_ERR_BAD_FIELD, "level",
                           "事故等级须为一般、较大、重大或特别重大");
        return SL_DECLINED;
    }
    if (a->deaths < 0 || a->injuries < 0) {
        sl_codec_error_set(err, SL_ERR_BAD_FIELD, a->deaths < 0 ? "deaths" : "injuries",
                           "伤亡人数不能为负数");
        return SL_DECLINED;
    }
    return 0;
}

void
sl_accident_key(const sl_pb_accident_t *a, char *out, size_t size)
{
    snprintf(out, size, "%s|%s|%s", a->division ? a->division : "",
             a->occurred_on ? a->occurred_on : "", a->subject_name ? a->subject_name : "");
}

const char *const *
sl_accident_csv_header(void)
{
    static const char *const h[SL_ACCIDENT_CSV_COLS] = {
        "事故日期",      "县级行政区划代码", "乡镇（街道）", "事故地点",
        "事故单位",      "统一社会信用代码", "行业领域",     "事故等级",
        "死亡人数",      "受伤人数",         "瞒报",         "事故简况",
        "个体经营者姓名"};
    return h;
}

/* A count column: a non-negative whole number ("" is 0); -1 if not. */
static int
s_count(const char *s)
{
    if (!*s)
        return 0;
    char *end;
    long v = strtol(s, &end, 10);
    return *end || v < 0 || v > 100000 ? -1 : (int)v;
}

int
sl_accident_from_fields(char *const *f, sl_pb_accident_t *a, sl_codec_error_t *err)
{
    safeloop__v1__accident__init(a);
    a->occurred_on = f[0];
    a->division = f[1];
    a->township = f[2];
    a->place = f[3];
    a->subject_name = f[4];
    a->credit_code = f[5];
    a->sector = (Safeloop__V1__Sector)sl_register_sector(f[6]);
    if (!a->sector) {
        sl_codec_error_set(err, SL_ERR_UNKNOWN_SECTOR, NULL, "未知的行业领域“%.40s”", f[6]);
        return SL_DECLINED;
    }
    a->level = (Safeloop__V1__Accident__Level)sl_accident_level(f[7]);
    int deaths = s_count(f[8]), injuries = s_count(f[9]), concealed = sl_register_yes_no(f[10]);
    if (deaths < 0 || injuries < 0) {
        sl_codec_error_set(err, SL_ERR_BAD_FIELD, deaths < 0 ? "deaths" : "injuries",
                           "伤亡人数须为非负整数");
        return SL_DECLINED;
    }
    if (concealed < 0) {
        sl_codec_error_set(err, SL_ERR_BAD_FIELD, "concealed", "“瞒报”须填“是”或“否”");
        return SL_DECLINED;
    }
    a->deaths = deaths;
    a->injuries = injuries;
    a->concealed = concealed;
    a->description = f[11];
    a->owner_name = f[12];
    return 0;
}

int
sl_accident_apply(sl_db_t *db, const char *node, int64_t now_ms, const sl_pb_envelope_t *env,
                  const char *sender, sl_apply_result_t *res)
{
    const sl_pb_accident_t *a = env->accident;
    memset(res, 0, sizeof *res);
    char key[768], sector[8], level[8], deaths[16], injuries[16], at[48];
    sl_accident_key(a, key, sizeof key);
    snprintf(sector, sizeof sector, "%d", (int)a->sector);
    snprintf(level, sizeof level, "%d", (int)a->level);
    snprintf(deaths, sizeof deaths, "%d", (int)a->deaths);
    snprintf(injuries, sizeof injuries, "%d", (int)a->injuries);
    sl_time_format_iso(now_ms, at, sizeof at);
    bool traced = sl_accident_traced(a);
    const char *p[] = {key,
                       a->occurred_on,
                       a->division,
                       a->township ? a->township : "",
                       a->place ? a->place : "",
                       a->subject_name,
                       a->credit_code ? a->credit_code : "",
                       sector,
                       level,
                       deaths,
                       injuries,
                       a->concealed ? "t" : "f",
                       a->description ? a->description : "",
                       traced ? "t" : "f",
                       env->msg_id,
                       at,
                       a->owner_name ? a->owner_name : ""};
    PGresult *r = NULL;
    int rc = sl_db_exec(db, &r,
                        "WITH a AS (INSERT INTO accident (key, occurred_on, division, township,"
                        " place, subject_name, credit_code, sector, level, deaths, injuries,"
                        " concealed, description, traced, msg_id, recorded_at)"
                        " VALUES ($1, $2::date, $3, $4, $5, $6, $7, $8::smallint, $9::smallint,"
                        " $10::int, $11::int, $12::bool, $13, $14::bool, $15, $16::timestamptz)"
                        " ON CONFLICT (key) DO NOTHING RETURNING id),"
                        " o AS (INSERT INTO accident_owner (accident_id, owner_name)"
                        " SELECT id, $17 FROM a WHERE $17 <> '')"
                        " SELECT id FROM a",
                        (int)SL_ARRAY_LEN(p), p);
    if (rc != 0) {
        sl_log(SL_LOG_ERROR, "msg_id=%s could not record accident: %s", env->msg_id,
               sl_db_error(db));
        return rc;
    }
    if (PQntuples(r) != 1) {
        PQclear(r);
        sl_codec_error_set(&res->err, SL_ERR_BAD_FIELD, "occurred_on",
                           "该事故已登记（同一地区、同一日期、同一事故单位）");
        return SL_DECLINED;
    }
    snprintf(res->ref, sizeof res->ref, "accident:%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    res->topic = traced ? "accident.traced" : "accident.recorded";
    char subject[800];
    snprintf(subject, sizeof subject, "accident:%s", key);
    sl_actor_t actor = {.key = sender, .unit = node, .msg_id = env->msg_id};
    return sl_audit_append_subject(db, subject, now_ms, "recorded", &actor,
                                   json_pack("{s:s, s:i, s:i, s:i, s:b, s:b}", "subject",
                                             a->subject_name, "level", (int)a->level, "deaths",
                                             (int)a->deaths, "injuries", (int)a->injuries,
                                             "concealed", a->concealed, "traced", traced));
}

const char *const *
sl_accident_headers(void)
{
    static const char *const h[SL_ACCIDENT_COLS] = {
        "编号",     "事故日期", "县（市、区）", "乡镇（街道）", "事故地点", "事故单位",
        "行业领域", "事故等级", "死亡人数",     "受伤人数",     "瞒报",     "启动责任追溯"};
    return h;
}

int
sl_accident_rows(sl_db_t *db, sl_db_row_cb *cb, void *arg)
{
    return sl_db_rows(db,
                      "SELECT a.id, a.occurred_on::text, d.name, a.township, a.place,"
                      " a.subject_name, s.name, (ARRAY['一般','较大','重大','特别重大'])[a.level],"
                      " a.deaths, a.injuries, CASE WHEN a.concealed THEN '是' ELSE '否' END,"
                      " CASE WHEN a.traced THEN '是' ELSE '否' END"
                      " FROM accident a JOIN sector s ON s.code = a.sector"
                      " JOIN division d ON d.code = a.division ORDER BY a.id",
                      0, NULL, cb, arg);
}

int
sl_accident_focus_rows(sl_db_t *db, sl_db_row_cb *cb, void *arg)
{
    return sl_db_rows(db,
                      "SELECT d.name, a.township, count(*), sum(a.deaths),"
                      " max(a.occurred_on)::text FROM accident a"
                      " JOIN division d ON d.code = a.division WHERE a.level >= 2"
                      " GROUP BY d.name, a.division, a.township ORDER BY a.division, a.township",
                      0, NULL, cb, arg);
}
