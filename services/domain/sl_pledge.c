/* sl_pledge.c — liaison persons and safety commitments. The only SQL on
 * liaison, liaison_phone and commitment (DESIGN.md rule 4). See sl_pledge.h. */
#include "sl_pledge.h"

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

/* Appends the audit event KIND on SUBJECT for ENV, sent by SENDER at NODE. */
static int
s_audit(sl_db_t *db, const char *subject, int64_t now_ms, const char *kind, const char *node,
        const sl_pb_envelope_t *env, const char *sender, json_t *detail)
{
    sl_actor_t actor = {.key = sender, .unit = node, .msg_id = env->msg_id};
    return sl_audit_append_subject(db, subject, now_ms, kind, &actor, detail);
}

/* --- liaisons ------------------------------------------------------------------ */

int
sl_liaison_validate(const sl_pb_liaison_t *l, sl_codec_error_t *err)
{
    const char *missing = s_blank(l->unit)                                 ? "unit"
                          : s_blank(l->name)                               ? "name"
                          : s_blank(l->post)                               ? "post"
                          : s_blank(l->office_phone) && s_blank(l->mobile) ? "mobile"
                                                                           : NULL;
    if (missing) {
        sl_codec_error_set(err, SL_ERR_MISSING_FIELD, missing,
                           "联络人须有单位、姓名、职务和联系电话");
        return SL_DECLINED;
    }
    return 0;
}

void
sl_liaison_key(const sl_pb_liaison_t *l, char *out, size_t size)
{
    snprintf(out, size, "%s|%s|%s|%s|%s", s_blank(l->unit) ? "" : l->unit,
             s_blank(l->name) ? "" : l->name, s_blank(l->post) ? "" : l->post,
             s_blank(l->office_phone) ? "" : l->office_phone, s_blank(l->mobile) ? "" : l->mobile);
}

const char *const *
sl_liaison_csv_header(void)
{
    static const char *const h[SL_LIAISON_CSV_COLS] = {"单位", "姓名", "职务", "办公电话", "手机"};
    return h;
}

int
sl_liaison_from_fields(char *const *f, sl_pb_liaison_t *l, sl_codec_error_t *err)
{
    (void)err;
    safeloop__v1__liaison__init(l);
    l->unit = f[0];
    l->name = f[1];
    l->post = f[2];
    l->office_phone = f[3];
    l->mobile = f[4];
    return 0;
}

int
sl_liaison_apply(sl_db_t *db, const char *node, int64_t now_ms, const sl_pb_envelope_t *env,
                 const char *sender, sl_apply_result_t *res)
{
    const sl_pb_liaison_t *l = env->liaison;
    memset(res, 0, sizeof *res);
    char at[48];
    sl_time_format_iso(now_ms, at, sizeof at);
    const char *p[] = {l->unit,
                       l->name,
                       l->post,
                       at,
                       env->msg_id,
                       s_blank(l->office_phone) ? "" : l->office_phone,
                       s_blank(l->mobile) ? "" : l->mobile};
    int rc = sl_db_exec(db, NULL,
                        "WITH l AS (INSERT INTO liaison (unit, name, post, since, msg_id)"
                        " VALUES ($1, $2, $3, $4::timestamptz, $5) ON CONFLICT (unit) DO UPDATE"
                        " SET name = EXCLUDED.name, post = EXCLUDED.post, since = EXCLUDED.since,"
                        " msg_id = EXCLUDED.msg_id RETURNING unit)"
                        " INSERT INTO liaison_phone (unit, office_phone, mobile)"
                        " SELECT unit, $6, $7 FROM l ON CONFLICT (unit) DO UPDATE"
                        " SET office_phone = EXCLUDED.office_phone, mobile = EXCLUDED.mobile",
                        (int)SL_ARRAY_LEN(p), p);
    if (rc != 0) {
        sl_log(SL_LOG_ERROR, "msg_id=%s could not record liaison: %s", env->msg_id,
               sl_db_error(db));
        return rc;
    }
    snprintf(res->ref, sizeof res->ref, "liaison:%.80s", l->unit);
    res->topic = "liaison.recorded";
    char subject[300];
    snprintf(subject, sizeof subject, "liaison:%s", l->unit);
    return s_audit(db, subject, now_ms, "liaison_set", node, env, sender,
                   json_pack("{s:s, s:s}", "name", l->name, "post", l->post));
}

const char *const *
sl_liaison_headers(void)
{
    static const char *const h[SL_LIAISON_COLS] = {"单位", "联络人", "职务", "登记时间"};
    return h;
}

int
sl_liaison_rows(sl_db_t *db, sl_db_row_cb *cb, void *arg)
{
    return sl_db_rows(db,
                      "SELECT unit, name, post,"
                      " to_char(since AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')"
                      " FROM liaison ORDER BY unit",
                      0, NULL, cb, arg);
}

int
sl_liaison_contact_rows(sl_db_t *db, sl_db_row_cb *cb, void *arg)
{
    return sl_db_rows(db,
                      "SELECT l.unit, l.name, l.post, coalesce(p.office_phone, ''),"
                      " coalesce(p.mobile, '') FROM liaison l"
                      " LEFT JOIN liaison_phone p ON p.unit = l.unit ORDER BY l.unit",
                      0, NULL, cb, arg);
}

/* --- commitments ------------------------------------------------------------- */

static const char *const s_publicity[] = {"", "电视台", "张贴", "其他"};

int
sl_commitment_publicity(const char *s)
{
    for (int v = 1; v <= 3; v++)
        if (strcmp(s, s_publicity[v]) == 0)
            return v;
    const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value_by_name(
        &safeloop__v1__commitment__publicity__descriptor, s);
    return ev && ev->value > 0 ? ev->value : 0;
}

const char *
sl_commitment_publicity_name(int v)
{
    return v >= 1 && v <= 3 ? s_publicity[v] : "";
}

int
sl_commitment_validate(const sl_pb_commitment_t *c, const sl_route_map_t *routes,
                       sl_codec_error_t *err)
{
    int32_t day;
    if (s_blank(c->unit_name) || s_blank(c->signer)) {
        sl_codec_error_set(err, SL_ERR_MISSING_FIELD,
                           s_blank(c->unit_name) ? "unit_name" : "signer",
                           "承诺书须有承诺单位和承诺人");
        return SL_DECLINED;
    }
    if (s_blank(c->division) || (routes && !sl_route_in_territory(routes, c->division))) {
        sl_codec_error_set(err, SL_ERR_UNKNOWN_DIVISION, NULL,
                           "行政区划代码“%.12s”未知或不在本节点辖区内", c->division);
        return SL_DECLINED;
    }
    if (s_blank(c->signed_on) || sl_date_parse(c->signed_on, &day) != 0) {
        sl_codec_error_set(err, SL_ERR_BAD_FIELD, "signed_on", "签署日期须为 YYYY-MM-DD");
        return SL_DECLINED;
    }
    if (!*sl_commitment_publicity_name((int)c->publicity)) {
        sl_codec_error_set(err, SL_ERR_BAD_FIELD, "publicity", "公开方式须为电视台、张贴或其他");
        return SL_DECLINED;
    }
    return 0;
}

void
sl_commitment_key(const sl_pb_commitment_t *c, char *out, size_t size)
{
    snprintf(out, size, "%s|%s|%s", s_blank(c->unit_name) ? "" : c->unit_name,
             s_blank(c->signer) ? "" : c->signer, s_blank(c->signed_on) ? "" : c->signed_on);
}

const char *const *
sl_commitment_csv_header(void)
{
    static const char *const h[SL_COMMITMENT_CSV_COLS] = {
        "承诺单位", "统一社会信用代码", "县级行政区划代码", "承诺人", "签署日期", "公开方式"};
    return h;
}

int
sl_commitment_from_fields(char *const *f, sl_pb_commitment_t *c, sl_codec_error_t *err)
{
    (void)err;
    safeloop__v1__commitment__init(c);
    c->unit_name = f[0];
    c->credit_code = f[1];
    c->division = f[2];
    c->signer = f[3];
    c->signed_on = f[4];
    c->publicity = (Safeloop__V1__Commitment__Publicity)sl_commitment_publicity(f[5]);
    return 0;
}

int
sl_commitment_apply(sl_db_t *db, const char *node, int64_t now_ms, const sl_pb_envelope_t *env,
                    const char *sender, sl_apply_result_t *res)
{
    const sl_pb_commitment_t *c = env->commitment;
    memset(res, 0, sizeof *res);
    char key[768], pub[8], at[48];
    sl_commitment_key(c, key, sizeof key);
    snprintf(pub, sizeof pub, "%d", (int)c->publicity);
    sl_time_format_iso(now_ms, at, sizeof at);
    const char *p[] = {key,         c->unit_name, s_blank(c->credit_code) ? "" : c->credit_code,
                       c->division, c->signer,    c->signed_on,
                       pub,         env->msg_id,  at};
    PGresult *r = NULL;
    int rc = sl_db_exec(db, &r,
                        "INSERT INTO commitment (key, unit_name, credit_code, division, signer,"
                        " signed_on, publicity, msg_id, recorded_at) VALUES ($1, $2, $3, $4, $5,"
                        " $6::date, $7::smallint, $8, $9::timestamptz)"
                        " ON CONFLICT (key) DO NOTHING RETURNING id",
                        (int)SL_ARRAY_LEN(p), p);
    if (rc != 0) {
        sl_log(SL_LOG_ERROR, "msg_id=%s could not record commitment: %s", env->msg_id,
               sl_db_error(db));
        return rc;
    }
    if (PQntuples(r) != 1) {
        PQclear(r);
        sl_codec_error_set(&res->err, SL_ERR_BAD_FIELD, "signed_on", "该承诺书已登记");
        return SL_DECLINED;
    }
    snprintf(res->ref, sizeof res->ref, "commitment:%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    res->topic = "commitment.recorded";
    char subject[800];
    snprintf(subject, sizeof subject, "commitment:%s", key);
    return s_audit(
        db, subject, now_ms, "recorded", node, env, sender,
        json_pack("{s:s, s:i}", "division", c->division, "publicity", (int)c->publicity));
}

const char *const *
sl_commitment_headers(void)
{
    static const char *const h[SL_COMMITMENT_COLS] = {
        "承诺单位", "统一社会信用代码", "县（市、区）", "承诺人", "签署日期", "公开方式"};
    return h;
}

int
sl_commitment_rows(sl_db_t *db, sl_db_row_cb *cb, void *arg)
{
    return sl_db_rows(db,
                      "SELECT c.unit_name, c.credit_code, d.name, c.signer, c.signed_on::text,"
                      " (ARRAY['电视台','张贴','其他'])[c.publicity] FROM commitment c"
                      " JOIN division d ON d.code = c.division ORDER BY c.id",
                      0, NULL, cb, arg);
}

int
sl_commitment_count_rows(sl_db_t *db, sl_db_row_cb *cb, void *arg)
{
    return sl_db_rows(db,
                      "SELECT d.name, count(*), count(*) FILTER (WHERE c.publicity = 1),"
                      " count(*) FILTER (WHERE c.publicity = 2) FROM commitment c"
                      " JOIN division d ON d.code = c.division GROUP BY d.code, d.name"
                      " ORDER BY d.code",
                      0, NULL, cb, arg);
}
