/* sl_closing.c — the result of the check, and the rules for closing a case.
 *
 * s_conclusions names the four conclusions; the feedback's new fields are
 * stored beside the older ones in transfer.feedback (JSON) and printed from
 * there. Whether a case was escalated is read from transfer_escalation, the
 * node's own record of every 提级核查 it marked and raised. Closing on a plan
 * leaves its date on the transfer; the rectification clock and a re-report
 * reopen a closed transfer through the state table. */
#include "sl_closing.h"

#include "sl_clock.h"
#include "sl_escalation.h"
#include "sl_federation.h"
#include "sl_log.h"
#include "sl_unit.h"
#include "sl_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name; /* the wire enum's */
    const char *zh;
} s_conclusions[SL_CONCLUSION_COUNT] = {
    [SL_CONCLUSION_UNSPECIFIED] = {"", "未填写"},
    [SL_CONCLUSION_SUBSTANTIATED] = {"SUBSTANTIATED", "属实"},
    [SL_CONCLUSION_PARTLY] = {"PARTLY_SUBSTANTIATED", "部分属实"},
    [SL_CONCLUSION_UNSUBSTANTIATED] = {"UNSUBSTANTIATED", "不属实"},
    [SL_CONCLUSION_NO_EVIDENCE] = {"NO_EVIDENCE", "查无实据"},
};

const char *
sl_closing_conclusion_name(int c)
{
    return c >= 0 && c < SL_CONCLUSION_COUNT ? s_conclusions[c].name : "";
}

const char *
sl_closing_conclusion_zh(int c)
{
    return c >= 0 && c < SL_CONCLUSION_COUNT ? s_conclusions[c].zh : "";
}

int
sl_closing_conclusion_parse(const char *name)
{
    for (int c = 1; name && *name && c < SL_CONCLUSION_COUNT; c++)
        if (strcmp(name, s_conclusions[c].name) == 0 || strcmp(name, s_conclusions[c].zh) == 0)
            return c;
    return -1;
}

bool
sl_closing_needs_rectification(int c)
{
    return c != SL_CONCLUSION_UNSUBSTANTIATED && c != SL_CONCLUSION_NO_EVIDENCE;
}

static json_t *
s_measure_json(const sl_pb_measure_t *m)
{
    return json_pack("{s:i, s:s}", "persons", (int)m->persons, "detail",
                     m->detail ? m->detail : "");
}

/* The measures ⑤–⑦: JSON key, label. */
static const struct {
    const char *key, *zh;
} s_measures[] = {
    {"accountability", "⑤追责问责（应发现未发现、应处罚未处罚）"},
    {"protective_umbrella", "⑥查处“保护伞”"},
    {"organisational", "⑦组织处理"},
};

void
sl_closing_feedback_json(const sl_pb_feedback_t *f, json_t *o)
{
    if (f->conclusion > 0)
        json_object_set_new(o, "conclusion",
                            json_string(sl_closing_conclusion_name((int)f->conclusion)));
    if (f->license_suspended)
        json_object_set_new(o, "license_suspended", json_true());
    if (f->exposed) {
        json_object_set_new(o, "exposed", json_true());
        json_object_set_new(o, "exposed_where", json_string(f->exposed_where));
    }
    const sl_pb_measure_t *m[] = {f->accountability, f->protective_umbrella, f->organisational};
    for (size_t i = 0; i < SL_ARRAY_LEN(m); i++)
        if (m[i])
            json_object_set_new(o, s_measures[i].key, s_measure_json(m[i]));
    if (f->rectify_responsible && *f->rectify_responsible)
        json_object_set_new(o, "rectify_responsible", json_string(f->rectify_responsible));
}

int
sl_closing_criminal_persons(const char *kind, int count, bool case_has_police)
{
    if (kind && strcmp(kind, "handling") == 0 && case_has_police)
        return 0; /* the police's figure stands */
    return count;
}

/* --- printing a result ----------------------------------------------------------- */

static const char *
s_str(json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v ? v : "";
}

static const char *
s_yes(json_t *o, const char *key)
{
    return json_is_true(json_object_get(o, key)) ? "是" : "否";
}

char *
sl_closing_result_text(const char *feedback_json)
{
    sl_buf_t b;
    sl_buf_init(&b);
    json_t *o = feedback_json ? json_loads(feedback_json, 0, NULL) : NULL;
    if (!json_is_object(o)) {
        json_decref(o);
        sl_buf_puts(&b, "");
        return sl_buf_steal(&b);
    }
    int c = sl_closing_conclusion_parse(s_str(o, "conclusion"));
    sl_buf_printf(&b, "核查结论\t%s\n", sl_closing_conclusion_zh(c < 0 ? 0 : c));
    sl_buf_printf(&b, "违法性质\t%s\n", s_str(o, "violation_nature"));
    sl_buf_printf(&b, "停产整顿\t%s\n", s_yes(o, "production_suspended"));
    sl_buf_printf(&b, "关闭取缔\t%s\n", s_yes(o, "closed_down"));
    json_int_t fen = json_integer_value(json_object_get(o, "penalty_fen"));
    if (json_is_true(json_object_get(o, "penalized")))
        sl_buf_printf(&b, "行政处罚\t是（罚款%lld.%02lld元）\n", (long long)(fen / 100),
                      (long long)(fen % 100));
    else
        sl_buf_puts(&b, "行政处罚\t否\n");
    sl_buf_printf(&b, "暂扣证照\t%s\n", s_yes(o, "license_suspended"));
    sl_buf_printf(&b, "吊销证照\t%s\n", s_yes(o, "license_revoked"));
    sl_buf_printf(&b, "重大事故隐患已整改\t%s\n", s_yes(o, "major_hazard_rectified"));
    sl_buf_printf(&b, "失信企业联合惩戒\t%s\n", s_yes(o, "credit_punished"));
    sl_buf_printf(&b, "党纪政务处分\t%lld人\n",
                  (long long)json_integer_value(json_object_get(o, "disciplined_count")));
    sl_buf_printf(&b, "刑事责任追究\t%lld人\n",
                  (long long)json_integer_value(json_object_get(o, "criminal_count")));
    if (json_is_true(json_object_get(o, "exposed")))
        sl_buf_printf(&b, "公开曝光\t是（%s）\n", s_str(o, "exposed_where"));
    else
        sl_buf_puts(&b, "公开曝光\t否\n");
    for (size_t i = 0; i < SL_ARRAY_LEN(s_measures); i++) {
        json_t *m = json_object_get(o, s_measures[i].key);
        if (json_is_object(m))
            sl_buf_printf(&b, "%s\t是：%s（%lld人）\n", s_measures[i].zh, s_str(m, "detail"),
                          (long long)json_integer_value(json_object_get(m, "persons")));
        else
            sl_buf_printf(&b, "%s\t否\n", s_measures[i].zh);
    }
    if (json_is_true(json_object_get(o, "rectified")))
        sl_buf_puts(&b, "整改情况\t已整改到位\n");
    else if (*s_str(o, "rectify_by"))
        sl_buf_printf(&b, "整改情况\t未整改，整改期限%s，责任人%s\n", s_str(o, "rectify_by"),
                      *s_str(o, "rectify_responsible") ? s_str(o, "rectify_responsible")
                                                       : "（未指定）");
    else if (!sl_closing_needs_rectification(c))
        sl_buf_puts(&b, "整改情况\t无需整改（核查不属实或查无实据）\n");
    else
        sl_buf_puts(&b, "整改情况\t未整改，无整改计划\n");
    if (json_is_true(json_object_get(o, "escalated_verification")))
        sl_buf_puts(&b, "承办单位自报提级核查\t是\n");
    json_decref(o);
    return sl_buf_steal(&b);
}

/* --- reading ------------------------------------------------------------------ */

int
sl_closing_escalated(sl_db_t *db, int64_t case_id, char *buf, size_t size)
{
    char cid[24];
    snprintf(cid, sizeof cid, "%lld", (long long)case_id);
    const char *p[] = {cid};
    PGresult *r;
    int rc = sl_db_exec(db, &r,
                        "SELECT e.cause, e.raised_at IS NOT NULL FROM transfer_escalation e"
                        " WHERE e.case_id = $1::bigint ORDER BY e.id",
                        1, p);
    if (rc != 0)
        return rc;
    size_t at = (size_t)snprintf(buf, size, "%s", PQntuples(r) ? "是：" : "否");
    for (int i = 0; i < PQntuples(r) && at < size; i++)
        at += (size_t)snprintf(buf + at, size - at, "%s%s（%s）", i ? "、" : "",
                               sl_escalation_cause_zh(PQgetvalue(r, i, 0)),
                               PQgetvalue(r, i, 1)[0] == 't' ? "已提级" : "待提级");
    PQclear(r);
    return 0;
}

int
sl_closing_results(sl_db_t *db, int64_t case_id, sl_db_row_cb *cb, void *arg)
{
    char cid[24];
    snprintf(cid, sizeof cid, "%lld", (long long)case_id);
    const char *p[] = {cid};
    return sl_db_rows(db,
                      "SELECT notice_no, kind, state, feedback FROM transfer"
                      " WHERE case_id = $1::bigint AND feedback IS NOT NULL ORDER BY id",
                      1, p, cb, arg);
}

/* --- 销号 only what is fixed -------------------------------------------------------- */

int
sl_closing_facts_parse(const char *feedback_json, sl_closing_facts_t *out)
{
    memset(out, 0, sizeof *out);
    out->rectify_by = -1;
    json_t *o = feedback_json ? json_loads(feedback_json, 0, NULL) : NULL;
    if (!json_is_object(o)) {
        json_decref(o);
        return -1;
    }
    int c = sl_closing_conclusion_parse(s_str(o, "conclusion"));
    out->conclusion = c < 0 ? SL_CONCLUSION_UNSPECIFIED : c;
    out->rectified = json_is_true(json_object_get(o, "rectified"));
    int32_t day;
    if (*s_str(o, "rectify_by") && sl_date_parse(s_str(o, "rectify_by"), &day) == 0)
        out->rectify_by = day;
    out->has_responsible = *s_str(o, "rectify_responsible") != '\0';
    json_decref(o);
    return 0;
}

int
sl_closing_may_close(const sl_closing_facts_t *f, int32_t today, int32_t *plan_day,
                     sl_codec_error_t *err)
{
    *plan_day = -1;
    if (!sl_closing_needs_rectification(f->conclusion) || f->rectified)
        return 0;
    if (f->rectify_by < 0) {
        sl_codec_error_set(err, SL_ERR_NOT_RECTIFIED, NULL,
                           "问题隐患尚未整改到位，也没有整改计划（整改期限 rectify_by 和责任人 "
                           "rectify_responsible），不能验收销号");
        return SL_DECLINED;
    }
    if (!f->has_responsible) {
        sl_codec_error_set(err, SL_ERR_NOT_RECTIFIED, NULL,
                           "问题隐患尚未整改到位，整改计划缺少责任人（rectify_responsible），"
                           "不能验收销号");
        return SL_DECLINED;
    }
    if (f->rectify_by < today) {
        char d[11];
        sl_date_format(f->rectify_by, d);
        sl_codec_error_set(err, SL_ERR_NOT_RECTIFIED, NULL,
                           "整改期限%s已过仍未整改到位，不能按整改计划销号", d);
        return SL_DECLINED;
    }
    *plan_day = f->rectify_by;
    return 0;
}

int
sl_closing_verify_check(sl_db_t *db, int64_t transfer_id, int32_t today, int32_t *plan_day,
                        sl_codec_error_t *err)
{
    char tid[24];
    snprintf(tid, sizeof tid, "%lld", (long long)transfer_id);
    const char *p[] = {tid};
    PGresult *r;
    int rc = sl_db_exec(db, &r, "SELECT coalesce(feedback, '') FROM transfer WHERE id = $1::bigint",
                        1, p);
    if (rc != 0)
        return rc;
    sl_closing_facts_t f;
    /* no readable feedback reads as nothing rectified and no plan */
    sl_closing_facts_parse(PQntuples(r) ? PQgetvalue(r, 0, 0) : NULL, &f);
    PQclear(r);
    return sl_closing_may_close(&f, today, plan_day, err);
}

/* --- a re-report reopens ------------------------------------------------------------ */

void
sl_closing_repeat_facts(const sl_pb_clue_t *c, json_t *o)
{
    const struct {
        const char *key, *value;
    } texts[] = {
        {"township", c->place ? c->place->township : NULL},
        {"address", c->place ? c->place->address : NULL},
        {"credit_code", c->subject ? c->subject->credit_code : NULL},
        {"violation_text", c->violation_text},
        {"description", c->description},
    };
    for (size_t i = 0; i < SL_ARRAY_LEN(texts); i++)
        if (texts[i].value && *texts[i].value)
            json_object_set_new(o, texts[i].key, json_string(texts[i].value));
    if (c->n_violations > 0) {
        json_t *v = json_array();
        for (size_t i = 0; i < c->n_violations; i++)
            json_array_append_new(v, json_integer(c->violations[i]));
        json_object_set_new(o, "violations", v);
    }
    if (c->major_hazard)
        json_object_set_new(o, "major_hazard", json_true());
    if (c->suspected_crime)
        json_object_set_new(o, "suspected_crime", json_true());
    if (c->suspected_dereliction)
        json_object_set_new(o, "suspected_dereliction", json_true());
}

int
sl_closing_pass_repeat(sl_db_t *db, const char *node, int64_t now_ms, int64_t case_id,
                       const sl_pb_clue_t *clue, int repeat_count)
{
    char cid[24];
    snprintf(cid, sizeof cid, "%lld", (long long)case_id);
    const char *p[] = {cid};
    PGresult *r;
    int rc = sl_db_exec(db, &r,
                        "SELECT t.notice_no, coalesce(l.list_no, ''), t.unit_code,"
                        " t.transfer_date::text, t.objection_deadline::text,"
                        " t.feedback_deadline::text, c.case_no"
                        " FROM transfer t JOIN unit u ON u.code = t.unit_code"
                        " JOIN cases c ON c.id = t.case_id"
                        " LEFT JOIN transfer_list l ON l.id = t.list_id"
                        " WHERE t.case_id = $1::bigint AND t.kind = 'handling'"
                        " AND t.replaced_by IS NULL AND u.has_node"
                        " ORDER BY t.id DESC LIMIT 1",
                        1, p);
    if (rc != 0)
        return rc;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return 0; /* no child holds the case */
    }
#define V(c) PQgetvalue(r, 0, c)
    sl_pb_clue_t c = *clue; /* the repeat's facts, as the receiving child registers them */
    c.channel = SAFELOOP__V1__CLUE_REPORT__CHANNEL__UPPER_TRANSFER;
    c.origin_node = (char *)node;
    c.upper_case_no = V(6);
    c.upper_notice_no = V(0);
    char office[256];
    if ((rc = sl_unit_office(db, office, sizeof office)) < 0) {
        PQclear(r);
        return rc;
    }
    sl_pb_transfer_t t = SAFELOOP__V1__TRANSFER__INIT;
    t.notice_no = V(0);
    t.from_unit = (char *)node;
    t.from_office = office;
    t.at = now_ms;
    t.case_no = V(6);
    t.list_no = V(1);
    t.to_unit = V(2);
    t.transfer_date = V(3);
    t.objection_deadline = V(4);
    t.feedback_deadline = V(5);
    t.clue = &c;
    t.repeat = true;
    t.repeat_count = repeat_count;
    sl_pb_envelope_t env = SL_PB_ENVELOPE_INIT;
    env.body_case = SAFELOOP__V1__ENVELOPE__BODY_TRANSFER;
    env.transfer = &t;
    char id[37];
    rc = sl_fed_send(db, node, V(2), &env, "transfer", V(6), now_ms, id);
    sl_log(SL_LOG_INFO, "case=%s notice=%s repeat report %d passed to %s", V(6), V(0), repeat_count,
           V(2));
#undef V
    PQclear(r);
    return rc;
}
