/* sl_official.c — the register of responsible officials and tracing through
 * it. The only SQL on official_post and official_phone (DESIGN.md rule 4);
 * tracing only reads. See sl_official.h. */
#include "sl_official.h"

#include "sl_audit.h"
#include "sl_clock.h"
#include "sl_log.h"
#include "sl_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool
s_blank(const char *s)
{
    return !s || !*s;
}

int
sl_official_validate(const sl_pb_official_t *o, sl_codec_error_t *err)
{
    int32_t from, to;
    const char *missing = s_blank(o->person_id) ? "person_id"
                          : s_blank(o->name)    ? "name"
                          : s_blank(o->unit)    ? "unit"
                          : s_blank(o->title)   ? "title"
                          : s_blank(o->from)    ? "from"
                                                : NULL;
    if (missing) {
        sl_codec_error_set(err, SL_ERR_MISSING_FIELD, missing, "缺少%s",
                           strcmp(missing, "person_id") == 0 ? "人员编号"
                           : strcmp(missing, "name") == 0    ? "姓名"
                           : strcmp(missing, "unit") == 0    ? "单位"
                           : strcmp(missing, "title") == 0   ? "职务"
                                                             : "任职起始日期");
        return SL_DECLINED;
    }
    if (sl_date_parse(o->from, &from) != 0) {
        sl_codec_error_set(err, SL_ERR_BAD_FIELD, "from", "任职起始日期须为 YYYY-MM-DD");
        return SL_DECLINED;
    }
    if (!s_blank(o->to) && (sl_date_parse(o->to, &to) != 0 || to < from)) {
        sl_codec_error_set(err, SL_ERR_BAD_FIELD, "to",
                           "任职终止日期须为 YYYY-MM-DD，且不早于起始日期");
        return SL_DECLINED;
    }
    return 0;
}

void
sl_official_key(const sl_pb_official_t *o, char *out, size_t size)
{
    snprintf(out, size, "%s|%s|%s|%s", o->person_id ? o->person_id : "", o->unit ? o->unit : "",
             o->title ? o->title : "", o->from ? o->from : "");
}

const char *const *
sl_official_csv_header(void)
{
    static const char *const h[SL_OFFICIAL_CSV_COLS] = {"人员编号", "姓名",     "单位",    "职务",
                                                        "任职起始", "任职终止", "联系电话"};
    return h;
}

int
sl_official_from_fields(char *const *f, sl_pb_official_t *o, sl_codec_error_t *err)
{
    (void)err;
    safeloop__v1__official__init(o);
    o->person_id = f[0];
    o->name = f[1];
    o->unit = f[2];
    o->title = f[3];
    o->from = f[4];
    o->to = f[5];
    o->phone = f[6];
    return 0;
}

int
sl_official_apply(sl_db_t *db, const char *node, int64_t now_ms, const sl_pb_envelope_t *env,
                  const char *sender, sl_apply_result_t *res)
{
    const sl_pb_official_t *o = env->official;
    memset(res, 0, sizeof *res);
    char key[768], at[48];
    sl_official_key(o, key, sizeof key);
    sl_time_format_iso(now_ms, at, sizeof at);
    const char *p[] = {key,     o->person_id,       o->name,     o->unit, o->title,
                       o->from, o->to ? o->to : "", env->msg_id, at,      o->phone ? o->phone : ""};
    PGresult *r = NULL;
    int rc = sl_db_exec(db, &r,
                        "WITH p AS (INSERT INTO official_post (key, person_id, name, unit, title,"
                        " from_on, to_on, msg_id, recorded_at)"
                        " VALUES ($1, $2, $3, $4, $5, $6::date, nullif($7, '')::date, $8,"
                        " $9::timestamptz) ON CONFLICT (key) DO NOTHING RETURNING id),"
                        " ph AS (INSERT INTO official_phone (person_id, phone)"
                        " SELECT $2, $10 FROM p WHERE $10 <> ''"
                        " ON CONFLICT (person_id) DO UPDATE SET phone = EXCLUDED.phone)"
                        " SELECT id FROM p",
                        (int)SL_ARRAY_LEN(p), p);
    if (rc != 0) {
        sl_log(SL_LOG_ERROR, "msg_id=%s could not record official: %s", env->msg_id,
               sl_db_error(db));
        return rc;
    }
    if (PQntuples(r) != 1) {
        PQclear(r);
        sl_codec_error_set(&res->err, SL_ERR_BAD_FIELD, "from",
                           "该任职记录已登记（同一人员、单位、职务、起始日期）");
        return SL_DECLINED;
    }
    snprintf(res->ref, sizeof res->ref, "official:%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    res->topic = "official.recorded";
    char subject[200];
    snprintf(subject, sizeof subject, "official:%s", o->person_id);
    sl_actor_t actor = {.key = sender, .unit = node, .msg_id = env->msg_id};
    return sl_audit_append_subject(db, subject, now_ms, "post_recorded", &actor,
                                   json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", o->name, "unit",
                                             o->unit, "title", o->title, "from", o->from, "to",
                                             o->to ? o->to : ""));
}

const char *const *
sl_official_headers(void)
{
    static const char *const h[SL_OFFICIAL_COLS] = {"人员编号", "姓名",     "单位",
                                                    "职务",     "任职起始", "任职终止"};
    return h;
}

int
sl_official_rows(sl_db_t *db, sl_db_row_cb *cb, void *arg)
{
    return sl_db_rows(
        db,
        "SELECT person_id, name, unit, title, from_on::text, coalesce(to_on::text, '')"
        " FROM official_post ORDER BY person_id, from_on, id",
        0, NULL, cb, arg);
}

int
sl_official_persons(sl_db_t *db, const char *who, sl_db_row_cb *cb, void *arg)
{
    PGresult *r = NULL;
    const char *p[] = {who};
    int rc = sl_db_exec(db, &r,
                        "WITH m AS (SELECT * FROM official_post WHERE person_id = $1),"
                        " n AS (SELECT * FROM official_post WHERE name = $1"
                        "  AND NOT EXISTS (SELECT 1 FROM m))"
                        " SELECT person_id, min(name), string_agg(unit || ' ' || title || ' '"
                        "  || from_on || '～' || coalesce(to_on::text, ''), '；' ORDER BY from_on)"
                        " FROM (SELECT * FROM m UNION ALL SELECT * FROM n) x"
                        " GROUP BY person_id ORDER BY person_id",
                        1, p);
    if (rc != 0)
        return rc;
    int n = PQntuples(r);
    sl_db_each_row(r, cb, arg);
    return n;
}

/* The signer a case event names: a feedback's sign-off leader. */
#define S_SIGNER                                                                                   \
    "coalesce(e.detail::jsonb #>> '{feedback,sign_off,leader_name}',"                              \
    " e.detail::jsonb #>> '{sign_off,leader_name}')"

/* Every step that names a person, from the audit chain at the time it named
 * them: a feedback's signer (with the unit that fed back), a supervising
 * leader when listed or changed (with the title; an automatic listing with no
 * leader names no one). */
#define S_NAMED                                                                                    \
    "SELECT c.case_no, '签发' AS role, e.at, e.actor_unit AS u, '' AS t,"                        \
    " " S_SIGNER " AS n, e.seq FROM case_event e JOIN cases c ON c.id = e.case_id"                 \
    " WHERE " S_SIGNER " <> ''"                                                                    \
    " UNION ALL SELECT c.case_no, '挂牌督办', e.at, '',"                                        \
    " coalesce(e.detail::jsonb ->> 'leader_title', ''), e.detail::jsonb ->> 'leader', e.seq"      \
    " FROM case_event e JOIN cases c ON c.id = e.case_id"                                          \
    " WHERE e.kind IN ('supervised', 'supervisor_changed')"                                       \
    " AND coalesce(e.detail::jsonb ->> 'leader', '') <> ''"

int
sl_official_trace_person(sl_db_t *db, const char *person_id, sl_db_row_cb *cb, void *arg)
{
    const char *p[] = {person_id};
    return sl_db_rows(
        db,
        "WITH named AS (" S_NAMED "),"
        " fit AS (SELECT named.*, (SELECT array_agg(DISTINCT q.person_id ORDER BY q.person_id)"
        "  FROM official_post q WHERE q.name = named.n AND (q.unit = named.u"
        "  OR q.unit = (SELECT name FROM unit WHERE code = named.u)"
        "  OR (named.u = '' AND q.title = named.t)) AND named.at::date >= q.from_on"
        "  AND (q.to_on IS NULL OR named.at::date <= q.to_on)) AS who FROM named)"
        " SELECT f.case_no, f.role, to_char(f.at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD "
        "HH24:MI'),"
        " CASE WHEN f.u <> '' THEN f.u ELSE f.t END,"
        " (SELECT string_agg(p.unit || ' ' || p.title, '；') FROM official_post p"
        "   WHERE p.person_id = $1 AND f.at::date >= p.from_on"
        "   AND (p.to_on IS NULL OR f.at::date <= p.to_on)),"
        " CASE WHEN cardinality(f.who) > 1 THEN 'ambiguous: ' || array_to_string(f.who, ',')"
        "  ELSE '' END"
        " FROM fit f WHERE $1 = ANY(f.who) ORDER BY f.at, f.case_no",
        1, p, cb, arg);
}

int
sl_official_trace_case(sl_db_t *db, const char *case_no, sl_db_row_cb *cb, void *arg)
{
    const char *p[] = {case_no};
    return sl_db_rows(
        db,
        "WITH ev AS (SELECT e.seq, e.at, e.kind, e.actor_unit AS u, e.operator,"
        "  coalesce(" S_SIGNER ","
        "   CASE WHEN e.kind LIKE 'supervis%' THEN e.detail::jsonb ->> 'leader' END, '') AS n,"
        "  coalesce(e.detail::jsonb ->> 'leader_title', '') AS t"
        "  FROM case_event e JOIN cases c ON c.id = e.case_id WHERE c.case_no = $1)"
        " SELECT ev.seq, to_char(ev.at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI'),"
        " ev.kind, ev.u, ev.operator, ev.n,"
        " coalesce((SELECT CASE WHEN count(DISTINCT q.person_id) > 1 THEN 'ambiguous: ' ELSE '' END"
        "   || string_agg(DISTINCT q.person_id, ',') FROM official_post q"
        "   WHERE ev.n <> '' AND q.name = ev.n AND (q.unit = ev.u"
        "   OR q.unit = (SELECT name FROM unit WHERE code = ev.u) OR q.title = ev.t)"
        "   AND ev.at::date >= q.from_on AND (q.to_on IS NULL OR ev.at::date <= q.to_on)), '')"
        " FROM ev ORDER BY ev.seq",
        1, p, cb, arg);
}
