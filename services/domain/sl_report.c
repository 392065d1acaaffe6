/* sl_report.c — reports owed upward and the campaigns that set them.
 *
 * Due instants are computed in C (sl_deadline.h) from each campaign's rules;
 * the database answers only which units sent what. */
#include "sl_report.h"

#include "sl_clock.h"
#include "sl_deadline.h"
#include "sl_log.h"
#include "sl_transfer_clock.h"
#include "sl_util.h"

#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static const char *const s_lists[] = {"隐患整改", "惩治处罚", "约谈问责",
                                      "挂牌督办", "联合惩戒", "选树提升"};

static bool
s_six(const char *name)
{
    for (size_t i = 0; i < 6; i++)
        if (name && strcmp(name, s_lists[i]) == 0)
            return true;
    return false;
}

static int
s_missing(const char *v, const char *path, const char *zh, sl_codec_error_t *err)
{
    if (v && v[0])
        return 0;
    sl_codec_error_set(err, SL_ERR_MISSING_FIELD, path, "缺少%s %s", zh, path);
    return SL_DECLINED;
}

int
sl_report_validate(const sl_pb_envelope_t *env, sl_codec_error_t *err)
{
    if (sl_codec_body(env) == SL_BODY_WEEKLY_REPORT) {
        const sl_pb_weekly_report_t *w = env->weekly_report;
        if (s_missing(w->from_unit, "from_unit", "报送单位", err) ||
            s_missing(w->period_start, "period_start", "周期起始日", err) ||
            s_missing(w->period_end, "period_end", "周期截止日", err))
            return SL_DECLINED;
        int32_t a, b;
        sl_report_period_t p;
        if (sl_date_parse(w->period_start, &a) != 0 || sl_date_parse(w->period_end, &b) != 0 ||
            sl_deadline_weekly_period(a, b, 1, 600, &p) != 0) {
            sl_codec_error_set(err, SL_ERR_BAD_FIELD, "period_start",
                               "周报告周期须为周一至周日（%s～%s）", w->period_start,
                               w->period_end);
            return SL_DECLINED;
        }
        for (size_t i = 0; i < w->n_figures; i++)
            if (w->figures[i]->value < 0) {
                char path[96];
                snprintf(path, sizeof path, "figures.%s", w->figures[i]->key);
                sl_codec_error_set(err, SL_ERR_BAD_FIELD, path, "统计数不能为负（%s）",
                                   w->figures[i]->key);
                return SL_DECLINED;
            }
        return 0;
    }
    const sl_pb_monthly_report_t *m = env->monthly_report;
    if (s_missing(m->from_unit, "from_unit", "报送单位", err) ||
        s_missing(m->month, "month", "月份", err))
        return SL_DECLINED;
    sl_report_period_t p;
    if (sl_deadline_monthly_period(m->month, &p) != 0) {
        sl_codec_error_set(err, SL_ERR_BAD_FIELD, "month", "月份格式应为 YYYY-MM（%s）", m->month);
        return SL_DECLINED;
    }
    for (size_t i = 0; i < m->n_lists; i++)
        if (!s_six(m->lists[i]->list) || m->lists[i]->count < 0) {
            char path[48];
            snprintf(path, sizeof path, "lists[%zu].list", i);
            sl_codec_error_set(err, SL_ERR_BAD_FIELD, path, "不是六个清单之一或数目为负（%s）",
                               m->lists[i]->list ? m->lists[i]->list : "");
            return SL_DECLINED;
        }
    for (size_t i = 0; i < m->n_entries; i++)
        if (!s_six(m->entries[i]->list)) {
            char path[48];
            snprintf(path, sizeof path, "entries[%zu].list", i);
            sl_codec_error_set(err, SL_ERR_BAD_FIELD, path, "不是六个清单之一（%s）",
                               m->entries[i]->list ? m->entries[i]->list : "");
            return SL_DECLINED;
        }
    return 0;
}

int
sl_report_validate_county(const sl_pb_envelope_t *env, sl_codec_error_t *err)
{
    if (sl_codec_body(env) != SL_BODY_WEEKLY_REPORT)
        return 0;
    const sl_pb_weekly_report_t *w = env->weekly_report;
    size_t negative = 0;
    for (size_t i = 0; i < w->n_typical_cases; i++) {
        const sl_pb_typical_case_t *c = w->typical_cases[i];
        if (c->negative && c->title && c->title[0] && c->facts && c->facts[0])
            negative++;
    }
    if (negative >= 2)
        return 0;
    sl_codec_error_set(err, "too_few_negative_cases", NULL,
                       "县级周报告至少应附2个负面典型案例（附件5，含标题和基本案情），本次%zu个",
                       negative);
    return SL_DECLINED;
}

/* The campaign's weekly deadline at this node's level, if it has one (l). */
#define S_LEVEL                                                                                    \
    "LEFT JOIN campaign_level l ON l.campaign_id = c.id AND l.level = (SELECT level FROM node)"

/* The weekly rules of the campaign named NAME, or else of one running on DAY
 * (defaults: Monday, 10:00). */
static int
s_weekly_rules(sl_db_t *db, const char *name, int32_t day, int *dow, int *time)
{
    *dow = 1;
    *time = 600;
    char d[11];
    sl_date_format(day, d);
    const char *p[] = {name && name[0] ? name : NULL, d};
    PGresult *r;
    int rc = sl_db_exec(db, &r,
                        "SELECT coalesce(l.weekly_dow, c.weekly_dow, 1),"
                        " coalesce(l.weekly_time, c.weekly_time) FROM campaign c " S_LEVEL
                        " WHERE ($1::text IS NOT NULL AND c.name = $1)"
                        "    OR ($1::text IS NULL AND $2::date BETWEEN c.start_date AND c.end_date)"
                        " ORDER BY c.start_date DESC LIMIT 1",
                        2, p);
    if (rc != 0)
        return rc;
    if (PQntuples(r) > 0) {
        *dow = atoi(PQgetvalue(r, 0, 0));
        *time = atoi(PQgetvalue(r, 0, 1));
    }
    PQclear(r);
    return 0;
}

int
sl_report_apply(sl_db_t *db, int64_t now_ms, const sl_pb_envelope_t *env, sl_apply_result_t *res)
{
    memset(res, 0, sizeof *res);
    bool weekly = sl_codec_body(env) == SL_BODY_WEEKLY_REPORT;
    const char *from = weekly ? env->weekly_report->from_unit : env->monthly_report->from_unit;
    PGresult *r;
    const char *up[] = {from};
    int rc = sl_db_exec(db, &r,
                        "SELECT u.kind = 'child' AND coalesce(d.level, '') = 'county' FROM unit u"
                        " LEFT JOIN division d ON d.code = u.division WHERE u.code = $1"
                        " AND (u.kind IN ('department', 'police', 'child')"
                        "  OR u.kind = 'member' AND u.weekly_report)",
                        1, up);
    if (rc != 0)
        return rc;
    bool known = PQntuples(r) > 0;
    bool county = known && PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    if (county && sl_report_validate_county(env, &res->err) != 0)
        return SL_DECLINED;
    if (!known) {
        sl_codec_error_set(&res->err, SL_ERR_BAD_FIELD, "from_unit",
                           "%s 不是向本节点报送的单位（本级部门、公安或下级政府）", from);
        return SL_DECLINED;
    }
    sl_report_period_t p;
    json_t *fig = json_object();
    if (weekly) {
        const sl_pb_weekly_report_t *w = env->weekly_report;
        int32_t a, b;
        int dow, time;
        sl_date_parse(w->period_start, &a);
        sl_date_parse(w->period_end, &b);
        if ((rc = s_weekly_rules(db, w->campaign, a, &dow, &time)) != 0) {
            json_decref(fig);
            return rc;
        }
        sl_deadline_weekly_period(a, b, dow, time, &p);
        for (size_t i = 0; i < w->n_figures; i++)
            json_object_set_new(fig, w->figures[i]->key, json_integer(w->figures[i]->value));
    } else {
        const sl_pb_monthly_report_t *m = env->monthly_report;
        sl_deadline_monthly_period(m->month, &p);
        for (size_t i = 0; i < m->n_figures; i++)
            json_object_set_new(fig, m->figures[i]->key, json_integer(m->figures[i]->value));
        json_t *lists = json_object();
        for (size_t i = 0; i < m->n_lists; i++)
            json_object_set_new(lists, m->lists[i]->list, json_integer(m->lists[i]->count));
        json_object_set_new(fig, "six_lists", lists);
        json_object_set_new(fig, "six_list_entries", json_integer((json_int_t)m->n_entries));
    }
    char *figures = json_dumps(fig, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(fig);
    char now[40], due[40], ps[11], pe[11];
    sl_time_format_iso(now_ms, now, sizeof now);
    sl_time_format_iso(p.due_ms, due, sizeof due);
    sl_date_format(p.start, ps);
    sl_date_format(p.end, pe);
    bool on_time = now_ms <= p.due_ms;
    size_t len;
    uint8_t *body = sl_codec_pack(sl_codec_body_msg(env), &len);
    const char *values[] = {weekly ? "weekly" : "monthly",
                            from,
                            p.period,
                            ps,
                            pe,
                            now,
                            due,
                            on_time ? "t" : "f",
                            env->msg_id,
                            figures,
                            (const char *)body};
    int lengths[11] = {0};
    int formats[11] = {0};
    lengths[10] = (int)len;
    formats[10] = 1;
    rc = sl_db_execb(
        db, &r,
        "INSERT INTO report (kind, from_unit, period, period_start, period_end, received_at,"
        " due_at, on_time, msg_id, figures, body, updated_at)"
        " VALUES ($1, $2, $3, $4::date, $5::date, $6::timestamptz, $7::timestamptz, $8::bool,"
        "  $9, $10::jsonb, $11::bytea, $6::timestamptz)"
        " ON CONFLICT (kind, from_unit, period) DO UPDATE SET figures = excluded.figures,"
        "  body = excluded.body, msg_id = excluded.msg_id, updated_at = excluded.updated_at"
        " RETURNING on_time",
        11, values, lengths, formats);
    free(figures);
    free(body);
    if (rc != 0)
        return rc;
    on_time = PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    snprintf(res->ref, sizeof res->ref, "%s:%s:%s", weekly ? "weekly" : "monthly", p.period,
             on_time ? "on_time" : "late");
    snprintf(res->state, sizeof res->state, "%s", on_time ? "on_time" : "late");
    res->topic = "report.received";
    sl_log(SL_LOG_INFO, "msg_id=%s %s report of %s for %s received %s", env->msg_id,
           weekly ? "weekly" : "monthly", from, p.period, on_time ? "on time" : "late");
    return 0;
}

/* --- what is owed ------------------------------------------------------- */

typedef struct {
    sl_buf_t kinds, periods, dues;
    size_t n;
} s_owed_t;

static void
s_owed_add(void *arg, const sl_report_period_t *p)
{
    s_owed_t *o = arg;
    char due[40];
    sl_time_format_iso(p->due_ms, due, sizeof due);
    sl_db_array_add(&o->kinds, p->monthly ? "monthly" : "weekly");
    sl_db_array_add(&o->periods, p->period);
    sl_db_array_add(&o->dues, due);
    o->n++;
}

typedef struct {
    int64_t id;
    char name[256];
    sl_campaign_rules_t rules;
    int64_t phases_seen, reports_seen; /* INT64_MIN: never */
} s_campaign_t;

static int
s_campaigns(sl_db_t *db, bool lock, s_campaign_t **out, size_t *n)
{
    PGresult *r;
    int rc = sl_db_exec(
        db, &r,
        lock ? "SELECT c.id, c.name, c.start_date::text, c.end_date::text,"
               " CASE WHEN c.weekly_dow IS NULL THEN 0 ELSE coalesce(l.weekly_dow, c.weekly_dow)"
               " END, coalesce(l.weekly_time, c.weekly_time), c.monthly,"
               " coalesce((extract(epoch FROM c.phases_seen) * 1000)::bigint::text, ''),"
               " coalesce((extract(epoch FROM c.reports_seen) * 1000)::bigint::text, '')"
               " FROM campaign c " S_LEVEL " ORDER BY c.id FOR UPDATE OF c SKIP LOCKED"
             : "SELECT c.id, c.name, c.start_date::text, c.end_date::text,"
               " CASE WHEN c.weekly_dow IS NULL THEN 0 ELSE coalesce(l.weekly_dow, c.weekly_dow)"
               " END, coalesce(l.weekly_time, c.weekly_time), c.monthly, '', ''"
               " FROM campaign c " S_LEVEL " ORDER BY c.id",
        0, NULL);
    if (rc != 0)
        return rc;
    *n = (size_t)PQntuples(r);
    *out = sl_calloc(*n + 1, sizeof **out);
    for (size_t i = 0; i < *n; i++) {
        s_campaign_t *c = &(*out)[i];
        c->id = atoll(PQgetvalue(r, (int)i, 0));
        snprintf(c->name, sizeof c->name, "%s", PQgetvalue(r, (int)i, 1));
        sl_date_parse(PQgetvalue(r, (int)i, 2), &c->rules.start_day);
        sl_date_parse(PQgetvalue(r, (int)i, 3), &c->rules.end_day);
        c->rules.weekly_dow = atoi(PQgetvalue(r, (int)i, 4));
        c->rules.weekly_time = atoi(PQgetvalue(r, (int)i, 5));
        c->rules.monthly = PQgetvalue(r, (int)i, 6)[0] == 't';
        const char *ps = PQgetvalue(r, (int)i, 7), *rs = PQgetvalue(r, (int)i, 8);
        c->phases_seen = ps[0] ? atoll(ps) : INT64_MIN;
        c->reports_seen = rs[0] ? atoll(rs) : INT64_MIN;
    }
    PQclear(r);
    return 0;
}

/* The units that owe the periods of O and have not sent them on time:
 * unit, name, kind, period, due, received (late) or "". */
static int
s_owed_query(sl_db_t *db, s_owed_t *o, PGresult **r)
{
    sl_db_array_end(&o->kinds);
    sl_db_array_end(&o->periods);
    sl_db_array_end(&o->dues);
    const char *p[] = {o->kinds.data, o->periods.data, o->dues.data};
    return sl_db_exec(
        db, r,
        "SELECT u.code, u.name, p.k, p.pd, to_char(p.due, 'YYYY-MM-DD HH24:MI'),"
        " coalesce(to_char(r.received_at, 'YYYY-MM-DD HH24:MI'), ''), p.due::text"
        " FROM unnest($1::text[], $2::text[], $3::timestamptz[]) WITH ORDINALITY"
        "   AS p(k, pd, due, o)"
        " CROSS JOIN unit u"
        " LEFT JOIN report r ON r.kind = p.k AND r.from_unit = u.code AND r.period = p.pd"
        " WHERE (u.kind IN ('department', 'police', 'child')"
        "        OR u.kind = 'member' AND u.weekly_report)"
        "   AND (r.id IS NULL OR r.received_at > p.due)"
        " ORDER BY p.o, u.code",
        3, p);
}

static void
s_owed_init(s_owed_t *o)
{
    memset(o, 0, sizeof *o);
    sl_db_array_begin(&o->kinds);
    sl_db_array_begin(&o->periods);
    sl_db_array_begin(&o->dues);
}

static void
s_owed_free(s_owed_t *o)
{
    sl_buf_free(&o->kinds);
    sl_buf_free(&o->periods);
    sl_buf_free(&o->dues);
}

int
sl_report_missing(sl_db_t *db, int64_t now_ms, sl_report_missing_cb *cb, void *arg)
{
    s_campaign_t *cs;
    size_t nc;
    int rc = s_campaigns(db, false, &cs, &nc);
    if (rc != 0)
        return rc;
    s_owed_t o;
    s_owed_init(&o);
    for (size_t i = 0; i < nc; i++)
        sl_deadline_report_periods(&cs[i].rules, INT64_MIN, now_ms, s_owed_add, &o);
    free(cs);
    PGresult *r;
    if ((rc = s_owed_query(db, &o, &r)) == 0)
        sl_db_each_row(r, cb, arg);
    s_owed_free(&o);
    return rc;
}

typedef struct {
    const char **topics;
    char **jsons;
    size_t n, cap;
} s_evs_t;

static void
s_evs_add(s_evs_t *e, const char *topic, json_t *o)
{
    if (e->n == e->cap) {
        e->cap = e->cap ? 2 * e->cap : 16;
        e->topics = sl_realloc(e->topics, e->cap * sizeof *e->topics);
        e->jsons = sl_realloc(e->jsons, e->cap * sizeof *e->jsons);
    }
    e->topics[e->n] = topic;
    e->jsons[e->n++] = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
}

typedef struct {
    const s_campaign_t *c;
    sl_phase_t *phases;
    s_evs_t *evs;
} s_phase_ctx_t;

static void
s_phase_event(void *arg, size_t i, bool begins, int64_t at_ms)
{
    s_phase_ctx_t *x = arg;
    char at[40], a[11], b[11];
    sl_time_format_iso(at_ms, at, sizeof at);
    sl_date_format(x->phases[i].start_day, a);
    sl_date_format(x->phases[i].end_day, b);
    s_evs_add(x->evs, "campaign.phase",
              json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "campaign", x->c->name, "phase",
                        x->phases[i].name, "boundary", begins ? "begins" : "ends", "at", at,
                        "start_date", a, "end_date", b));
    sl_log(SL_LOG_INFO, "campaign %s: phase %s %s", x->c->name, x->phases[i].name,
           begins ? "begins" : "ends");
}

long
sl_report_check(sl_db_t *db, int64_t now_ms, bool *busy, sl_report_event_cb *cb, void *arg)
{
    *busy = false;
    char now[40];
    sl_time_format_iso(now_ms, now, sizeof now);
    s_evs_t evs = {0};
    s_campaign_t *cs = NULL;
    size_t nc = 0;
    PGresult *r = NULL;
    bool leader;
    int rc = sl_db_begin_leader(db, SL_DEADLINE_LOCK, &leader);
    if (rc != 0)
        return rc;
    if (!leader) {
        *busy = true;
        return 0;
    }
    if ((rc = s_campaigns(db, true, &cs, &nc)) != 0)
        goto fail;
    for (size_t i = 0; i < nc; i++) {
        s_campaign_t *c = &cs[i];
        char id[24];
        snprintf(id, sizeof id, "%lld", (long long)c->id);
        /* phases */
        const char *pp[] = {id};
        if ((rc = sl_db_exec(db, &r,
                             "SELECT name, start_date::text, end_date::text FROM campaign_phase"
                             " WHERE campaign_id = $1::bigint ORDER BY seq",
                             1, pp)) != 0)
            goto fail;
        size_t np = (size_t)PQntuples(r);
        sl_phase_t *ph = sl_calloc(np + 1, sizeof *ph);
        for (size_t k = 0; k < np; k++) {
            ph[k].name = PQgetvalue(r, (int)k, 0);
            sl_date_parse(PQgetvalue(r, (int)k, 1), &ph[k].start_day);
            sl_date_parse(PQgetvalue(r, (int)k, 2), &ph[k].end_day);
        }
        s_phase_ctx_t x = {c, ph, &evs};
        sl_deadline_phase_boundaries(ph, np, c->phases_seen, now_ms, s_phase_event, &x);
        free(ph);
        PQclear(r);
        r = NULL;
        /* reports due since the last look */
        s_owed_t o;
        s_owed_init(&o);
        sl_deadline_report_periods(&c->rules, c->reports_seen, now_ms, s_owed_add, &o);
        if (o.n > 0) {
            rc = s_owed_query(db, &o, &r);
            s_owed_free(&o);
            if (rc != 0)
                goto fail;
            for (int k = 0; k < PQntuples(r); k++) {
                if (PQgetvalue(r, k, 5)[0])
                    continue; /* came late, but before this look: not missing now */
                const char *mp[] = {PQgetvalue(r, k, 2), PQgetvalue(r, k, 0), PQgetvalue(r, k, 3),
                                    PQgetvalue(r, k, 6), now};
                PGresult *m;
                if ((rc = sl_db_exec(db, &m,
                                     "INSERT INTO report_missing (kind, unit, period, due_at,"
                                     " noted_at) VALUES ($1, $2, $3, $4::timestamptz,"
                                     " $5::timestamptz) ON CONFLICT DO NOTHING RETURNING 1",
                                     5, mp)) != 0)
                    goto fail;
                bool fresh = PQntuples(m) > 0;
                PQclear(m);
                if (fresh)
                    s_evs_add(&evs, "report.missing",
                              json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "campaign", c->name,
                                        "unit", PQgetvalue(r, k, 0), "unit_name",
                                        PQgetvalue(r, k, 1), "kind", PQgetvalue(r, k, 2), "period",
                                        PQgetvalue(r, k, 3), "due_at", PQgetvalue(r, k, 4)));
            }
            PQclear(r);
            r = NULL;
        } else {
            s_owed_free(&o);
        }
        const char *sp[] = {id, now};
        PGresult *u;
        if ((rc = sl_db_exec(db, &u,
                             "UPDATE campaign SET phases_seen = $2::timestamptz,"
                             " reports_seen = $2::timestamptz WHERE id = $1::bigint",
                             2, sp)) != 0)
            goto fail;
        PQclear(u);
    }
    if ((rc = sl_db_commit(db)) != 0)
        goto fail;
    for (size_t k = 0; k < evs.n; k++)
        if (cb)
            cb(arg, evs.topics[k], evs.jsons[k]);
    rc = (int)evs.n;
    goto done;
fail:
    PQclear(r);
    sl_db_rollback(db);
done:
    for (size_t k = 0; k < evs.n; k++)
        free(evs.jsons[k]);
    free(evs.topics);
    free(evs.jsons);
    free(cs);
    return rc;
}

int
sl_campaign_add(sl_db_t *db, const char *name, int32_t start_day, int32_t end_day, int weekly_dow,
                int weekly_time, bool monthly, const sl_campaign_phase_t *phases, size_t n,
                const sl_campaign_level_t *levels, size_t nl)
{
    for (size_t i = 0; i < nl; i++)
        if (strcmp(levels[i].level, "province") != 0 && strcmp(levels[i].level, "city") != 0 &&
            strcmp(levels[i].level, "county") != 0) {
            sl_log(SL_LOG_ERROR, "campaign %s: unknown level %s", name, levels[i].level);
            return SL_DECLINED;
        }
    if (end_day < start_day) {
        sl_log(SL_LOG_ERROR, "campaign %s ends before it starts", name);
        return SL_DECLINED;
    }
    for (size_t i = 0; i < n; i++)
        if (phases[i].end_day < phases[i].start_day) {
            sl_log(SL_LOG_ERROR, "phase %s ends before it starts", phases[i].name);
            return SL_DECLINED;
        }
    char a[11], b[11], dow[8], tm[8];
    sl_date_format(start_day, a);
    sl_date_format(end_day, b);
    snprintf(dow, sizeof dow, "%d", weekly_dow);
    snprintf(tm, sizeof tm, "%d", weekly_time);
    int rc = sl_db_begin(db);
    if (rc != 0)
        return rc;
    PGresult *r;
    const char *p[] = {name, a, b, weekly_dow > 0 ? dow : NULL, tm, monthly ? "t" : "f"};
    if ((rc = sl_db_exec(db, &r,
                         "INSERT INTO campaign (name, start_date, end_date, weekly_dow,"
                         " weekly_time, monthly) VALUES ($1, $2::date, $3::date, $4::int,"
                         " $5::int, $6::bool) ON CONFLICT (name) DO NOTHING RETURNING id",
                         6, p)) != 0)
        goto fail;
    if (PQntuples(r) == 0) {
        PQclear(r);
        sl_db_rollback(db);
        sl_log(SL_LOG_ERROR, "campaign %s exists already", name);
        return SL_DECLINED;
    }
    char id[24];
    snprintf(id, sizeof id, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    for (size_t i = 0; i < n; i++) {
        char seq[24], s[11], e[11];
        snprintf(seq, sizeof seq, "%zu", i + 1);
        sl_date_format(phases[i].start_day, s);
        sl_date_format(phases[i].end_day, e);
        const char *pp[] = {id, seq, phases[i].name, s, e};
        if ((rc = sl_db_exec(db, &r,
                             "INSERT INTO campaign_phase (campaign_id, seq, name, start_date,"
                             " end_date) VALUES ($1::bigint, $2::int, $3, $4::date, $5::date)",
                             5, pp)) != 0)
            goto fail;
        PQclear(r);
    }
    for (size_t i = 0; i < nl; i++) {
        char d[8], t[8];
        snprintf(d, sizeof d, "%d", levels[i].weekly_dow);
        snprintf(t, sizeof t, "%d", levels[i].weekly_time);
        const char *lp[] = {id, levels[i].level, d, t};
        if ((rc = sl_db_exec(db, &r,
                             "INSERT INTO campaign_level (campaign_id, level, weekly_dow,"
                             " weekly_time) VALUES ($1::bigint, $2, $3::int, $4::int)",
                             4, lp)) != 0)
            goto fail;
        PQclear(r);
    }
    return sl_db_commit(db);
fail:
    sl_db_rollback(db);
    return rc;
}

int
sl_campaign_list(sl_db_t *db, sl_campaign_row_cb *cb, void *arg)
{
    return sl_db_rows(
        db,
        "SELECT c.name, c.start_date::text, c.end_date::text,"
        " CASE WHEN c.weekly_dow IS NULL THEN '' ELSE"
        "  (ARRAY['周一','周二','周三','周四','周五','周六','周日'])"
        "  [coalesce(l.weekly_dow, c.weekly_dow)] || ' ' ||"
        "  lpad((coalesce(l.weekly_time, c.weekly_time) / 60)::text, 2, '0') || ':' ||"
        "  lpad((coalesce(l.weekly_time, c.weekly_time) % 60)::text, 2, '0') END,"
        " CASE WHEN c.monthly THEN '月底' ELSE '' END,"
        " coalesce((SELECT string_agg(p.name || ' ' || p.start_date || '～' || p.end_date, '；'"
        "  ORDER BY p.seq) FROM campaign_phase p WHERE p.campaign_id = c.id), '')"
        " FROM campaign c " S_LEVEL " ORDER BY c.start_date, c.id",
        0, NULL, cb, arg);
}
