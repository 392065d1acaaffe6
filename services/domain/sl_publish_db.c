/* sl_publish_db.c — 三公开 in the database: drafts from the pub_* views, the
 * publication records, public summaries and holds.
 *
 * A draft is built in one pass over the view's rows: each row becomes an
 * item if sl_disclose says it may go out, or is counted (held back, summary
 * missing). The body is JSON (what every format is rendered from), hashed
 * as stored. DESIGN.md "Publication". */
#include "sl_publish_db.h"

#include "sl_clock.h"
#include "sl_log.h"
#include "sl_util.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static const char *const s_kinds[SL_PUB_KINDS] = {"list", "progress", "results", "exposure"};

const char *
sl_pub_kind_name(sl_pub_kind_t k)
{
    return k < SL_PUB_KINDS ? s_kinds[k] : "";
}

int
sl_pub_kind_parse(const char *text)
{
    for (int k = 0; k < SL_PUB_KINDS; k++)
        if (text && strcmp(text, s_kinds[k]) == 0)
            return k;
    return -1;
}

/* --- drafting ------------------------------------------------------------------ */

/* The columns of an item from view V (pub_transfer or pub_accountable, which
 * has them too): 0..17 as s_row reads them, 18 the earlier lists the case
 * comes from (大督查 …, pub_earlier), "" if none. */
#define S_ITEM_COLS_OF(v)                                                                          \
    "notice_no, transfer_date::text, feedback_deadline::text, state, progress_count::text,"        \
    " unit_name, sector_name, coalesce(division_name, division), township, subject_kind,"          \
    " subject_name, subject_surname, summary, held::text, escalated::text, overdue::text,"         \
    " coalesce(result, ''), to_char(closed_at AT TIME ZONE 'Asia/Shanghai',"                       \
    " 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), coalesce((SELECT string_agg(e.source, '、')"               \
    "  FROM pub_earlier e WHERE e.case_no = " v ".case_no), '')"
#define S_ITEM_COLS S_ITEM_COLS_OF("pub_transfer")

typedef struct {
    const sl_pub_draft_opts_t *o;
    char today[11];
    json_t *items; /* the items that go out */
    int held, missing, new_today;
    char newest[32];  /* results: the latest closed_at among the rows */
    char office[192]; /* the issuing office, printed before each notice number */
    bool accountable; /* exposure: rows of pub_accountable, columns 19.. as well */
} s_draft_t;

/* "追责问责2人；党纪政务处分1人" of an accountable row's columns 19.. (exposed,
 * exposed_where, then persons and taken for measures ⑤ ⑥ ⑦) and its result. */
static void
s_accountable(const char *const *c, const json_t *result, sl_buf_t *out)
{
    static const char *const measure[3] = {"追责问责", "查处“保护伞”", "组织处理"};
    for (int i = 0; i < 3; i++) {
        int persons = atoi(c[21 + 2 * i]);
        if (strcmp(c[22 + 2 * i], "true") != 0)
            continue;
        sl_buf_printf(out, out->len ? "；%s" : "%s", measure[i]);
        if (persons > 0)
            sl_buf_printf(out, "%d人", persons);
    }
    json_int_t n = json_integer_value(json_object_get(result, "disciplined_count"));
    if (n > 0)
        sl_buf_printf(out, "%s党纪政务处分%lld人", out->len ? "；" : "", (long long)n);
    n = json_integer_value(json_object_get(result, "criminal_count"));
    if (n > 0)
        sl_buf_printf(out, "%s刑事责任追究%lld人", out->len ? "；" : "", (long long)n);
}

static void
s_row(void *arg, const char *const *c)
{
    s_draft_t *d = arg;
    sl_disclose_item_t it = {
        .state = c[3],
        .feedback_deadline = c[2],
        .progress_count = atoi(c[4]),
        .subject_kind = c[9],
        .subject_name = c[10],
        .subject_surname = c[11],
        .summary = c[12],
        .held = strcmp(c[13], "true") == 0,
        .escalated = strcmp(c[14], "true") == 0,
        .overdue = strcmp(c[15], "true") == 0,
    };
    if (c[17][0] && strcmp(c[17], d->newest) > 0)
        snprintf(d->newest, sizeof d->newest, "%s", c[17]);
    sl_disclose_t why = sl_disclose_check(&it);
    if (why == SL_DISCLOSE_HELD) {
        d->held++;
        return;
    }
    if (why == SL_DISCLOSE_MISSING) {
        d->missing++;
        return;
    }
    if (strcmp(c[1], d->today) == 0)
        d->new_today++;
    char subject[256];
    sl_disclose_subject(&it, d->o->person, subject, sizeof subject);
    sl_buf_t place, result, notice;
    sl_buf_init(&place);
    sl_buf_init(&result);
    sl_buf_init(&notice);
    sl_buf_printf(&notice, "%s%s", d->office, c[0]);
    sl_buf_printf(&place, "%s%s", c[7], c[8]);
    json_t *r = c[16][0] ? json_loads(c[16], 0, NULL) : NULL;
    sl_disclose_result(r, &result);
    json_t *item = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "index",
                             (json_int_t)json_array_size(d->items) + 1, "notice_no", notice.data,
                             "date", c[1], "subject", subject, "place",
                             place.data ? place.data : "", "sector", c[6], "summary", c[12], "unit",
                             c[5], "deadline", c[2], "status", sl_disclose_status(&it, d->today));
    if (result.len)
        json_object_set_new(item, "result", json_string(result.data));
    if (c[18][0])
        json_object_set_new(item, "earlier", json_string(c[18]));
    if (d->accountable) {
        sl_buf_t acc;
        sl_buf_init(&acc);
        s_accountable(c, r, &acc);
        json_object_set_new(item, "section", json_string("问责曝光"));
        if (acc.len)
            json_object_set_new(item, "accountable", json_string(acc.data));
        if (strcmp(c[19], "true") == 0 && c[20][0])
            json_object_set_new(item, "exposed_where", json_string(c[20]));
        json_object_set_new(item, "title", json_string(subject));
        sl_buf_free(&acc);
    }
    json_decref(r);
    json_array_append_new(d->items, item);
    sl_buf_free(&place);
    sl_buf_free(&result);
    sl_buf_free(&notice);
}

/* A typical case of pub_typical (附件5; negative: 反面典型案例, else 选树提升):
 * title, keywords, summary (要旨), facts, outcome, analysis, advice,
 * negative, sector, division name, township, held. */
static void
s_typical_row(void *arg, const char *const *c)
{
    s_draft_t *d = arg;
    if (strcmp(c[11], "true") == 0) {
        d->held++;
        return;
    }
    bool negative = strcmp(c[7], "true") == 0;
    char *place = sl_asprintf("%s%s", c[9], c[10]);
    char *title = c[0][0] ? sl_strdup(c[0]) : sl_asprintf("%s%s领域正面典型", place, c[8]);
    json_t *item = json_pack("{s:I, s:s, s:b, s:s, s:s, s:s, s:s}", "index",
                             (json_int_t)json_array_size(d->items) + 1, "section",
                             negative ? "反面典型案例" : "选树提升", "typical", 1, "title", title,
                             "place", place, "sector", c[8], "facts", c[3]);
    static const char *const keys[] = {"keywords", "gist", NULL, "outcome", "analysis", "advice"};
    for (int i = 0; i < 6; i++)
        if (keys[i] && c[1 + i][0])
            json_object_set_new(item, keys[i], json_string(c[1 + i]));
    json_object_set_new(item, "facts_label", json_string(negative ? "基本案情" : "典型事迹"));
    json_array_append_new(d->items, item);
    free(place);
    free(title);
}

#define S_TYPICAL_SQL(negative)                                                                    \
    "SELECT title, keywords, summary, facts, outcome, analysis, advice, negative::text,"           \
    " sector_name, division_name, township, held::text FROM pub_typical WHERE " negative           \
    " ORDER BY made_at, case_no"

/* The units held accountable: S_ITEM_COLS, then s_accountable's columns. */
#define S_ACCOUNTABLE_SQL                                                                          \
    "SELECT " S_ITEM_COLS_OF("pub_accountable") ", exposed::text, exposed_where,"                  \
                                                " accountability_persons::text,"                   \
                                                " accountability::text, umbrella_persons::text,"   \
                                                " umbrella::text, organisational_persons::text,"   \
                                                " organisational::text FROM pub_accountable"       \
                                                " ORDER BY closed_at, id"

/* The exposure (曝光), campaign to date: the negative typical cases, the
 * units held accountable (pub_accountable, through s_row), the positive
 * examples. */
static int
s_exposure(sl_db_t *db, s_draft_t *d)
{
    int rc = sl_db_rows(db, S_TYPICAL_SQL("negative"), 0, NULL, s_typical_row, d);
    d->accountable = true;
    if (rc == 0)
        rc = sl_db_rows(db, S_ACCOUNTABLE_SQL, 0, NULL, s_row, d);
    d->accountable = false;
    if (rc == 0)
        rc = sl_db_rows(db, S_TYPICAL_SQL("NOT negative"), 0, NULL, s_typical_row, d);
    return rc;
}

/* 整改率 per county (division) and per handling unit, campaign to date. */
static json_t *
s_rates(sl_db_t *db, int *rc)
{
    PGresult *r;
    *rc = sl_db_exec(db, &r,
                     "SELECT g, count(*) FILTER (WHERE major_hazard),"
                     " count(*) FILTER (WHERE major_hazard AND state = 'closed'"
                     "  AND (result::json->>'major_hazard_rectified') = 'true')"
                     " FROM (SELECT coalesce(division_name, division) AS g, major_hazard, state,"
                     "  result FROM pub_transfer WHERE kind = 'handling'"
                     "  UNION ALL SELECT unit_name, major_hazard, state, result FROM pub_transfer"
                     "  WHERE kind = 'handling') x GROUP BY g"
                     " HAVING count(*) FILTER (WHERE major_hazard) > 0 ORDER BY g",
                     0, NULL);
    if (*rc != 0)
        return NULL;
    json_t *a = json_array();
    for (int i = 0; i < PQntuples(r); i++) {
        long found = atol(PQgetvalue(r, i, 1)), done = atol(PQgetvalue(r, i, 2));
        char rate[16];
        sl_disclose_rate(done, found, rate, sizeof rate);
        json_array_append_new(a,
                              json_pack("{s:s, s:i, s:i, s:s}", "place", PQgetvalue(r, i, 0),
                                        "found", (int)found, "rectified", (int)done, "rate", rate));
    }
    PQclear(r);
    return a;
}

/* ISO week "2026-W49" of DAY. */
static void
s_week(int32_t day, char *out, size_t size)
{
    int wd = sl_date_weekday(day);   /* 0 = Monday */
    int32_t thursday = day - wd + 3; /* the ISO year is the Thursday's */
    int y, m, dd;
    sl_date_ymd(thursday, &y, &m, &dd);
    int32_t jan1 = sl_date_from_ymd(y, 1, 1);
    /* bounded, so a Release build (-O2) sees the text fits */
    snprintf(out, size, "%04d-W%02d", y % 10000, ((thursday - jan1) / 7 + 1) % 100);
}

static void
s_node(sl_db_t *db, char *name, size_t nsize, char *office, size_t osize, char *code, int *rc)
{
    PGresult *r;
    *rc = sl_db_exec(db, &r, "SELECT code, name, office_short FROM pub_node", 0, NULL);
    if (*rc != 0)
        return;
    if (PQntuples(r) == 1) {
        snprintf(code, 8, "%s", PQgetvalue(r, 0, 0));
        snprintf(name, nsize, "%s", PQgetvalue(r, 0, 1));
        if (PQgetvalue(r, 0, 2)[0])
            snprintf(office, osize, "%s", PQgetvalue(r, 0, 2));
        else
            snprintf(office, osize, "%s“百日攻坚”办", name);
    }
    PQclear(r);
}

/* Inserts the draft (or, with APPROVED_BY, the publication already issued):
 * body hashed as stored. */
static int
s_insert(sl_db_t *db, const char *kind, const char *period, const char *title, json_t *body,
         int items, int held, int missing, int64_t corrects, const char *reason,
         const sl_pub_draft_opts_t *o, const char *approved_by, int64_t *id)
{
    char *text = json_dumps(body, JSON_COMPACT);
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)text, strlen(text));
    char hex[crypto_hash_sha256_BYTES * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    char at[40], ni[16], nh[16], nm[16], cs[24];
    sl_time_format_iso(o->now_ms, at, sizeof at);
    snprintf(ni, sizeof ni, "%d", items);
    snprintf(nh, sizeof nh, "%d", held);
    snprintf(nm, sizeof nm, "%d", missing);
    snprintf(cs, sizeof cs, "%lld", (long long)corrects);
    const char *p[] = {kind,       period, title,
                       text,       hex,    ni,
                       nh,         nm,     corrects ? cs : NULL,
                       at,         o->by,  reason ? reason : "",
                       approved_by};
    PGresult *r;
    int rc = sl_db_exec(db, &r,
                        "INSERT INTO publication (kind, period, title, body, hash, items, held,"
                        " missing, corrects, drafted_at, drafted_by, state, reason, approved_by,"
                        " approved_at)"
                        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,"
                        "  CASE WHEN $13::text IS NULL THEN 'draft' ELSE 'issued' END, $12, $13,"
                        "  CASE WHEN $13::text IS NULL THEN NULL ELSE $10::timestamptz END)"
                        " RETURNING id",
                        13, p);
    if (rc == 0) {
        *id = atoll(PQgetvalue(r, 0, 0));
        PQclear(r);
    }
    free(text);
    return rc;
}

/* Builds and inserts the body of KIND for PERIOD (results: the items after
 * AFTER, or those of ONLY, a JSON array of notice numbers). */
static int
s_build(sl_db_t *db, sl_pub_kind_t kind, const char *period, const char *after, const char *only,
        int64_t corrects, const char *reason, const sl_pub_draft_opts_t *o, int64_t *id)
{
    s_draft_t d = {.o = o, .items = json_array()};
    sl_date_format(sl_ms_to_day(o->now_ms), d.today);
    char name[128] = "", office[192] = "", code[8] = "";
    int rc;
    s_node(db, name, sizeof name, office, sizeof office, code, &rc);
    json_t *rates = NULL;
    snprintf(d.office, sizeof d.office, "%s", office);
    if (rc == 0 && kind == SL_PUB_RESULTS)
        rates = s_rates(db, &rc);
    if (rc != 0)
        goto done;
    const char *sql =
        kind == SL_PUB_LIST ? "SELECT " S_ITEM_COLS " FROM pub_transfer WHERE kind = 'handling'"
                              " ORDER BY transfer_date DESC, id"
        : kind == SL_PUB_PROGRESS ? "SELECT " S_ITEM_COLS
                                    " FROM pub_transfer WHERE kind = 'handling'"
                                    " AND state <> 'closed' ORDER BY transfer_date, id"
        : only ? "SELECT " S_ITEM_COLS " FROM pub_transfer WHERE kind = 'handling'"
                 " AND state = 'closed' AND notice_no IN"
                 " (SELECT json_array_elements_text($1::json)) ORDER BY closed_at, id"
               : "SELECT " S_ITEM_COLS " FROM pub_transfer WHERE kind = 'handling'"
                 " AND state = 'closed' AND closed_at > coalesce($1::timestamp, '-infinity')"
                 "  AT TIME ZONE 'Asia/Shanghai' ORDER BY closed_at, id";
    const char *p[] = {only ? only : after};
    rc = kind == SL_PUB_EXPOSURE
             ? s_exposure(db, &d)
             : sl_db_rows(db, sql, kind == SL_PUB_RESULTS ? 1 : 0, p, s_row, &d);
    if (rc != 0)
        goto done;
    if (((kind == SL_PUB_RESULTS && !only) || (kind == SL_PUB_EXPOSURE && !period)) &&
        json_array_size(d.items) + d.held + d.missing == 0)
        goto done; /* nothing closed since the last; nothing to expose */
    char per[40], title[512], date_cn[64];
    int y, m, dd;
    sl_date_ymd(sl_ms_to_day(o->now_ms), &y, &m, &dd);
    snprintf(date_cn, sizeof date_cn, "%d年%d月%d日", y, m, dd);
    if (period)
        snprintf(per, sizeof per, "%s", period);
    else if (kind == SL_PUB_RESULTS)
        snprintf(per, sizeof per, "%s", d.newest);
    else if (kind == SL_PUB_PROGRESS || kind == SL_PUB_EXPOSURE || o->weekly_list)
        s_week(sl_ms_to_day(o->now_ms), per, sizeof per);
    else
        snprintf(per, sizeof per, "%s", d.today);
    const char *wk = strstr(per, "-W");
    if (kind == SL_PUB_LIST && !wk)
        snprintf(title, sizeof title, "%s安全生产问题线索交办清单（%s）", name, date_cn);
    else if (kind == SL_PUB_LIST)
        snprintf(title, sizeof title, "%s安全生产问题线索交办清单（%.4s年第%s周）", name, per,
                 wk + 2);
    else if (kind == SL_PUB_PROGRESS)
        snprintf(title, sizeof title, "%s问题线索查处整改进展情况（%.4s年第%s周）", name, per,
                 wk ? wk + 2 : "");
    else if (kind == SL_PUB_EXPOSURE)
        snprintf(title, sizeof title, "%s典型案例和问责曝光（%.4s年第%s周）", name, per,
                 wk ? wk + 2 : "");
    else
        snprintf(title, sizeof title, "%s问题线索办理结果（%s）", name, date_cn);
    json_t *body = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:O, s:i, s:i}", "kind",
                             sl_pub_kind_name(kind), "period", per, "title", title, "node", code,
                             "node_name", name, "office", office, "date", d.today, "items", d.items,
                             "held", d.held, "missing", d.missing);
    if (kind == SL_PUB_LIST && d.new_today == 0 && !o->weekly_list)
        json_object_set_new(body, "empty_text", json_string("今日无新增交办"));
    if (d.held + d.missing > 0)
        json_object_set_new(body, "held_text",
                            json_sprintf("另有%d项依法暂缓公开。", d.held + d.missing));
    if (rates)
        json_object_set(body, "rates", rates);
    rc = s_insert(db, sl_pub_kind_name(kind), per, title, body, (int)json_array_size(d.items),
                  d.held, d.missing, corrects, reason, o, NULL, id);
    json_decref(body);
done:
    json_decref(rates);
    json_decref(d.items);
    return rc;
}

int
sl_pub_draft(sl_db_t *db, sl_pub_kind_t kind, const sl_pub_draft_opts_t *o, int64_t *id)
{
    *id = 0;
    int rc = sl_db_begin(db);
    if (rc != 0)
        return rc;
    /* one drafter at a time (several instances, slctl publish now) */
    rc = sl_db_exec(db, NULL, "LOCK TABLE publication IN SHARE ROW EXCLUSIVE MODE", 0, NULL);
    PGresult *r = NULL;
    char after[40] = "";
    if (rc == 0 && kind == SL_PUB_RESULTS) {
        rc = sl_db_exec(db, &r,
                        "SELECT coalesce(max(period), '') FROM publication"
                        " WHERE kind = 'results'",
                        0, NULL);
        if (rc == 0)
            snprintf(after, sizeof after, "%s", PQgetvalue(r, 0, 0));
    } else if (rc == 0) {
        char per[16];
        if (kind == SL_PUB_PROGRESS || kind == SL_PUB_EXPOSURE || o->weekly_list)
            s_week(sl_ms_to_day(o->now_ms), per, sizeof per);
        else
            sl_date_format(sl_ms_to_day(o->now_ms), per);
        const char *p[] = {sl_pub_kind_name(kind), per};
        rc = sl_db_exec(db, &r, "SELECT 1 FROM publication WHERE kind = $1 AND period = $2", 2, p);
        if (rc == 0 && PQntuples(r) > 0) {
            PQclear(r);
            return sl_db_rollback(db) == 0 ? 0 : -1; /* drafted already */
        }
    }
    if (r)
        PQclear(r);
    if (rc == 0)
        rc = s_build(db, kind, NULL, after[0] ? after : NULL, NULL, 0, NULL, o, id);
    if (rc == 0)
        rc = sl_db_commit(db);
    else
        sl_db_rollback(db);
    if (rc != 0)
        *id = 0;
    return rc;
}

int
sl_pub_release(sl_db_t *db, const char *kind, const char *period, const char *title_tail,
               json_t *body, const char *by, int64_t now_ms, int64_t *id)
{
    *id = 0;
    char name[128] = "", office[192] = "", code[8] = "";
    int rc;
    s_node(db, name, sizeof name, office, sizeof office, code, &rc);
    if (rc != 0)
        return rc;
    char *title = sl_asprintf("%s%s", name, title_tail);
    json_object_set_new(body, "kind", json_string(kind));
    json_object_set_new(body, "period", json_string(period));
    json_object_set_new(body, "title", json_string(title));
    json_object_set_new(body, "node", json_string(code));
    json_object_set_new(body, "node_name", json_string(name));
    json_object_set_new(body, "office", json_string(office));
    sl_pub_draft_opts_t o = {.by = by, .now_ms = now_ms};
    rc = s_insert(db, kind, period, title, body,
                  (int)json_array_size(json_object_get(body, "items")), 0, 0, 0, NULL, &o, by, id);
    free(title);
    return rc;
}

int
sl_pub_correct(sl_db_t *db, int64_t id, const char *reason, const sl_pub_draft_opts_t *o,
               int64_t *new_id)
{
    *new_id = 0;
    char ids[24];
    snprintf(ids, sizeof ids, "%lld", (long long)id);
    const char *p[] = {ids};
    PGresult *r;
    int rc = sl_db_begin(db);
    if (rc == 0)
        rc = sl_db_exec(db, &r,
                        "SELECT kind, period, (SELECT json_agg(i->>'notice_no')"
                        "  FROM json_array_elements(body::json->'items') i)::text"
                        " FROM publication WHERE id = $1 AND state = 'issued'",
                        1, p);
    if (rc != 0) {
        sl_db_rollback(db);
        return rc;
    }
    if (PQntuples(r) == 0) {
        PQclear(r);
        sl_db_rollback(db);
        return 1;
    }
    int kind = sl_pub_kind_parse(PQgetvalue(r, 0, 0));
    if (kind < 0) { /* released by another module (a ranking): not drafted here */
        PQclear(r);
        sl_db_rollback(db);
        return 1;
    }
    char *period = sl_strdup(PQgetvalue(r, 0, 1));
    char *only = sl_strdup(PQgetisnull(r, 0, 2) ? "[]" : PQgetvalue(r, 0, 2));
    PQclear(r);
    rc = s_build(db, (sl_pub_kind_t)kind, period, NULL, kind == SL_PUB_RESULTS ? only : NULL, id,
                 reason, o, new_id);
    if (rc == 0)
        rc = sl_db_commit(db);
    else
        sl_db_rollback(db);
    free(period);
    free(only);
    return rc;
}

/* --- approval and listing ------------------------------------------------------ */

int
sl_pub_approve(sl_db_t *db, int64_t id, const char *by, int64_t now_ms)
{
    char ids[24], at[40];
    snprintf(ids, sizeof ids, "%lld", (long long)id);
    sl_time_format_iso(now_ms, at, sizeof at);
    const char *p[] = {ids, by, at};
    PGresult *r;
    int rc = sl_db_exec(db, &r,
                        "UPDATE publication SET state = 'issued', approved_by = $2,"
                        " approved_at = $3 WHERE id = $1 AND state = 'draft' RETURNING id",
                        3, p);
    if (rc != 0)
        return rc;
    rc = PQntuples(r) == 1 ? 0 : 1;
    PQclear(r);
    return rc;
}

long
sl_pub_approve_kind(sl_db_t *db, sl_pub_kind_t kind, const char *by, int64_t now_ms)
{
    char at[40];
    sl_time_format_iso(now_ms, at, sizeof at);
    const char *p[] = {sl_pub_kind_name(kind), by, at};
    PGresult *r;
    int rc = sl_db_exec(db, &r,
                        "UPDATE publication SET state = 'issued', approved_by = $2,"
                        " approved_at = $3 WHERE kind = $1 AND state = 'draft'"
                        " AND corrects IS NULL",
                        3, p);
    if (rc != 0)
        return rc;
    long n = atol(PQcmdTuples(r));
    PQclear(r);
    return n;
}

#define S_PUB_COLS                                                                                 \
    "p.id, p.kind, p.period, p.title, p.state, p.hash, p.drafted_at::text,"                        \
    " coalesce(p.approved_by, ''), coalesce(to_char(p.approved_at AT TIME ZONE"                    \
    " 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI'), ''), p.items, p.held, p.missing,"                    \
    " coalesce(p.corrects, 0), coalesce((SELECT max(c.id) FROM publication c"                      \
    "  WHERE c.corrects = p.id AND c.state = 'issued'), 0), p.reason"

typedef struct {
    sl_pub_row_cb *cb;
    void *arg;
} s_each_t;

static void
s_pub_row(void *arg, const char *const *c)
{
    s_each_t *e = arg;
    sl_pub_row_t row = {
        .id = atoll(c[0]),
        .kind = c[1],
        .period = c[2],
        .title = c[3],
        .state = c[4],
        .hash = c[5],
        .drafted_at = c[6],
        .approved_by = c[7],
        .approved_at = c[8],
        .items = atoi(c[9]),
        .held = atoi(c[10]),
        .missing = atoi(c[11]),
        .corrects = atoll(c[12]),
        .corrected_by = atoll(c[13]),
        .reason = c[14],
        .body = c[15] ? c[15] : "",
    };
    e->cb(e->arg, &row);
}

int
sl_pub_each(sl_db_t *db, bool drafts_only, bool issued_only, bool with_body, sl_pub_row_cb *cb,
            void *arg)
{
    s_each_t e = {cb, arg};
    const char *sql =
        with_body     ? (issued_only ? "SELECT " S_PUB_COLS ", p.body FROM publication p"
                                       " WHERE p.state = 'issued' ORDER BY p.id"
                                     : "SELECT " S_PUB_COLS ", p.body FROM publication p ORDER BY p.id")
        : drafts_only ? "SELECT " S_PUB_COLS ", NULL FROM publication p WHERE p.state = 'draft'"
                        " ORDER BY p.id"
        : issued_only ? "SELECT " S_PUB_COLS ", NULL FROM publication p WHERE p.state = 'issued'"
                        " ORDER BY p.id"
                      : "SELECT " S_PUB_COLS ", NULL FROM publication p ORDER BY p.id";
    return sl_db_rows(db, sql, 0, NULL, s_pub_row, &e);
}

int
sl_pub_get(sl_db_t *db, int64_t id, sl_pub_row_cb *cb, void *arg)
{
    char ids[24];
    snprintf(ids, sizeof ids, "%lld", (long long)id);
    const char *p[] = {ids};
    PGresult *r;
    int rc = sl_db_exec(db, &r, "SELECT " S_PUB_COLS ", p.body FROM publication p WHERE p.id = $1",
                        1, p);
    if (rc != 0)
        return rc;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return 1;
    }
    s_each_t e = {cb, arg};
    sl_db_each_row(r, s_pub_row, &e); /* clears R */
    return 0;
}

int
sl_pub_issued_sig(sl_db_t *db, char *out, size_t size)
{
    PGresult *r;
    int rc = sl_db_exec(db, &r,
                        "SELECT count(*) || ':' || coalesce(max(id), 0) || ':'"
                        " || coalesce(max(approved_at)::text, '') FROM publication"
                        " WHERE state = 'issued'",
                        0, NULL);
    if (rc != 0)
        return rc;
    snprintf(out, size, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return 0;
}

int
sl_pub_issued_after(sl_db_t *db, int64_t after, sl_pub_row_cb *cb, void *arg)
{
    char ids[24];
    snprintf(ids, sizeof ids, "%lld", (long long)after);
    const char *p[] = {ids};
    s_each_t e = {cb, arg};
    return sl_db_rows(db,
                      "SELECT " S_PUB_COLS ", NULL FROM publication p"
                      " WHERE p.state = 'issued' AND p.id > $1 ORDER BY p.id",
                      1, p, s_pub_row, &e);
}

static void
s_id_row(void *arg, const char *const *c)
{
    sl_pub_ids_t *ids = arg;
    if (ids->n == ids->cap) {
        ids->cap = ids->cap ? 2 * ids->cap : 64;
        ids->v = sl_realloc(ids->v, ids->cap * sizeof *ids->v);
    }
    ids->v[ids->n++] = atoll(c[0]);
}

int
sl_pub_issued_ids(sl_db_t *db, sl_pub_ids_t *ids)
{
    return sl_db_rows(db, "SELECT id FROM publication WHERE state = 'issued' ORDER BY id", 0, NULL,
                      s_id_row, ids);
}

int
sl_pub_status(sl_db_t *db, sl_pub_status_t *st)
{
    PGresult *r;
    int rc = sl_db_exec(
        db, &r,
        "SELECT count(*) FILTER (WHERE state = 'draft'),"
        " coalesce(extract(epoch FROM now() - min(drafted_at) FILTER (WHERE state = 'draft')), 0),"
        " count(*) FILTER (WHERE state = 'issued'),"
        " coalesce((SELECT missing FROM publication WHERE kind = 'list' ORDER BY id DESC LIMIT 1), "
        "0),"
        " coalesce((SELECT held FROM publication WHERE kind = 'list' ORDER BY id DESC LIMIT 1), 0)"
        " FROM publication",
        0, NULL);
    if (rc != 0)
        return rc;
    *st = (sl_pub_status_t){.drafts = atol(PQgetvalue(r, 0, 0)),
                            .oldest_s = atof(PQgetvalue(r, 0, 1)),
                            .issued = atol(PQgetvalue(r, 0, 2)),
                            .missing = atoi(PQgetvalue(r, 0, 3)),
                            .held = atoi(PQgetvalue(r, 0, 4))};
    PQclear(r);
    return 0;
}

int
sl_pub_grant(sl_db_t *db, const char *role)
{
    const char *p[] = {role};
    return sl_db_exec(db, NULL, "SELECT sl_publish_grant($1)", 1, p);
}

/* --- the office's summary and holds ------------------------------------------- */

static int
s_case_public(sl_db_t *db, const char *case_no, const char *sql, int n, const char *const *vals,
              const char *kind, json_t *detail, const sl_actor_t *actor, int64_t now_ms)
{
    PGresult *r;
    const char *p[] = {case_no};
    int rc = sl_db_exec(db, &r, "SELECT id FROM cases WHERE case_no = $1 FOR UPDATE", 1, p);
    if (rc != 0)
        goto fail;
    if (PQntuples(r) == 0) {
        PQclear(r);
        json_decref(detail);
        return 1;
    }
    int64_t case_id = atoll(PQgetvalue(r, 0, 0));
    char ids[24], at[40];
    snprintf(ids, sizeof ids, "%lld", (long long)case_id);
    sl_time_format_iso(now_ms, at, sizeof at);
    PQclear(r);
    const char *params[8] = {ids, at, actor->operator_name ? actor->operator_name : "",
                             actor->msg_id ? actor->msg_id : ""};
    for (int i = 0; i < n; i++)
        params[4 + i] = vals[i];
    if ((rc = sl_db_exec(db, NULL, sql, 4 + n, params)) != 0)
        goto fail;
    return sl_audit_append_json(db, case_id, now_ms, kind, actor, detail);
fail:
    json_decref(detail);
    return rc;
}

/* Sets text column COL (summary, positive) of case CASE_NO's public record,
 * with COL_by and COL_at; audited as KIND. */
static int
s_case_public_text(sl_db_t *db, const char *case_no, const char *col, const char *kind,
                   const char *text, const sl_actor_t *actor, int64_t now_ms)
{
    const char *v[] = {text};
    char *sql = sl_asprintf("INSERT INTO case_public (case_id, %1$s, %1$s_by, %1$s_at, msg_id)"
                            " VALUES ($1, $5, $3, $2, $4) ON CONFLICT (case_id) DO UPDATE SET"
                            " %1$s = $5, %1$s_by = $3, %1$s_at = $2, msg_id = $4",
                            col);
    int rc = s_case_public(db, case_no, sql, 1, v, kind, json_pack("{s:s}", "text", text), actor,
                           now_ms);
    free(sql);
    return rc;
}

int
sl_case_public_summary(sl_db_t *db, const char *case_no, const char *text, const sl_actor_t *actor,
                       int64_t now_ms)
{
    return s_case_public_text(db, case_no, "summary", "public_summary", text, actor, now_ms);
}

int
sl_case_public_hold(sl_db_t *db, const char *case_no, bool hold, const char *reason,
                    const sl_actor_t *actor, int64_t now_ms)
{
    const char *v[] = {hold ? "true" : "false", reason ? reason : ""};
    return s_case_public(
        db, case_no,
        "INSERT INTO case_public (case_id, held, hold_reason, held_by, held_at,"
        " msg_id) VALUES ($1, $5, $6, $3, $2, $4) ON CONFLICT (case_id) DO UPDATE"
        " SET held = $5, hold_reason = $6, held_by = $3, held_at = $2, msg_id = $4",
        2, v, "public_hold", json_pack("{s:b, s:s}", "held", hold, "reason", reason ? reason : ""),
        actor, now_ms);
}

int
sl_case_public_positive(sl_db_t *db, const char *case_no, const char *text, const sl_actor_t *actor,
                        int64_t now_ms)
{
    return s_case_public_text(db, case_no, "positive", "public_positive", text, actor, now_ms);
}

/* --- the PublicNote body (through intake) -------------------------------------- */

#define S_NOTE_MAX_CHARS 1000

static size_t
s_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

int
sl_pub_note_validate(const sl_pb_envelope_t *env, sl_codec_error_t *err)
{
    const sl_pb_public_note_t *n = env->public_note;
    if (!n->case_no || !*n->case_no) {
        sl_codec_error_set(err, SL_ERR_MISSING_FIELD, "case_no", "须有线索编号");
        return SL_DECLINED;
    }
    bool needs_text = n->kind == SAFELOOP__V1__PUBLIC_NOTE__KIND__SUMMARY ||
                      n->kind == SAFELOOP__V1__PUBLIC_NOTE__KIND__HOLD ||
                      n->kind == SAFELOOP__V1__PUBLIC_NOTE__KIND__POSITIVE;
    if (!needs_text && n->kind != SAFELOOP__V1__PUBLIC_NOTE__KIND__RELEASE) {
        sl_codec_error_set(err, SL_ERR_BAD_FIELD, "kind", "未知的公开事项类型");
        return SL_DECLINED;
    }
    if (needs_text && (!n->text || !*n->text)) {
        sl_codec_error_set(
            err, SL_ERR_MISSING_FIELD, "text",
            n->kind == SAFELOOP__V1__PUBLIC_NOTE__KIND__SUMMARY    ? "须有公开摘要的文字"
            : n->kind == SAFELOOP__V1__PUBLIC_NOTE__KIND__POSITIVE ? "须有正面典型的文字"
                                                                   : "暂缓公开须说明理由");
        return SL_DECLINED;
    }
    if (n->text && s_chars(n->text) > S_NOTE_MAX_CHARS) {
        sl_codec_error_set(err, SL_ERR_BAD_FIELD, "text", "文字不得超过%d字", S_NOTE_MAX_CHARS);
        return SL_DECLINED;
    }
    return 0;
}

int
sl_pub_note_apply(sl_db_t *db, const char *node, int64_t now_ms, const sl_pb_envelope_t *env,
                  const char *sender, sl_apply_result_t *res)
{
    memset(res, 0, sizeof *res);
    const sl_pb_public_note_t *n = env->public_note;
    sl_actor_t actor = {
        .key = sender, .unit = node, .operator_name = n->operator_, .msg_id = env->msg_id};
    int64_t at = n->at ? n->at : now_ms;
    int rc =
        n->kind == SAFELOOP__V1__PUBLIC_NOTE__KIND__SUMMARY
            ? sl_case_public_summary(db, n->case_no, n->text, &actor, at)
        : n->kind == SAFELOOP__V1__PUBLIC_NOTE__KIND__POSITIVE
            ? sl_case_public_positive(db, n->case_no, n->text, &actor, at)
            : sl_case_public_hold(db, n->case_no, n->kind == SAFELOOP__V1__PUBLIC_NOTE__KIND__HOLD,
                                  n->text, &actor, at);
    if (rc == 1) {
        sl_codec_error_set(&res->err, SL_ERR_UNKNOWN_CASE, NULL,
                           "本节点没有线索编号为 %.80s 的问题线索", n->case_no);
        return SL_DECLINED;
    }
    if (rc != 0)
        return rc;
    snprintf(res->case_no, sizeof res->case_no, "%s", n->case_no);
    res->topic = "case.public_note";
    return 0;
}
