/* sl_appraise.c — the appraisal's figures as of a period's end, its runs.
 *
 * One statement reads every place's figures for a period: this node's
 * transfers to the place (found by their never-changing identity, their
 * state taken from the audit events recorded before the period's end) and
 * the report versions that stood then. sl_score does the arithmetic; the
 * result, with the SHA-256 of the figures read and of the rules file, is
 * stored as an appraisal_run (a draft until `slctl appraise approve`). */
#include "sl_appraise.h"

#include "sl_clock.h"
#include "sl_log.h"
#include "sl_publish_db.h"
#include "sl_ranking.h"
#include "sl_util.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The hex SHA-256 of LEN bytes at DATA into HEX. */
static void
s_sha256_hex(const void *data, size_t len, char hex[65])
{
    unsigned char d[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(d, data, len);
    sodium_bin2hex(hex, 65, d, sizeof d);
}

int
sl_appraise_rules_load(const char *path, sl_appraise_rules_t *r, char *err, size_t errlen)
{
    size_t len;
    char *text = sl_read_file(path, &len);
    if (!text) {
        snprintf(err, errlen, "could not read rules file \"%s\"", path);
        return -1;
    }
    char msg[256];
    int rc = sl_score_rules_parse(text, len, &r->r, msg, sizeof msg);
    if (rc != 0)
        snprintf(err, errlen, "rules file \"%s\": %s", path, msg);
    s_sha256_hex(text, len, r->hash);
    snprintf(r->path, sizeof r->path, "%s", path);
    free(text);
    return rc;
}

/* "YYYY-MM" with a month 01–12, or "final". */
static bool
s_period_ok(const char *p)
{
    if (strcmp(p, "final") == 0)
        return true;
    if (strlen(p) != 7 || p[4] != '-')
        return false;
    for (int i = 0; i < 7; i++)
        if (i != 4 && (p[i] < '0' || p[i] > '9'))
            return false;
    int m = atoi(p + 5);
    return m >= 1 && m <= 12;
}

/* The period's first day, the day after its last, and its end as ISO text.
 * SL_DECLINED for a bad period or "final" without a campaign. */
static int
s_bounds(sl_db_t *db, const char *period, char d0[11], char d1[11], char end[40])
{
    if (!s_period_ok(period))
        return SL_DECLINED;
    PGresult *r = NULL;
    const char *p[] = {period};
    int rc = sl_db_exec(
        db, &r,
        "SELECT d0, d1, to_char(d1::timestamp AT TIME ZONE 'Asia/Shanghai' AT TIME ZONE 'UTC',"
        "  'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
        " FROM (SELECT CASE WHEN $1 = 'final'"
        "   THEN (SELECT start_date FROM campaign ORDER BY end_date DESC, id DESC LIMIT 1)"
        "   ELSE ($1 || '-01')::date END AS d0,"
        "  CASE WHEN $1 = 'final'"
        "   THEN (SELECT end_date + 1 FROM campaign ORDER BY end_date DESC, id DESC LIMIT 1)"
        "   ELSE (($1 || '-01')::date + interval '1 month')::date END AS d1) b",
        1, p);
    if (rc != 0)
        return rc;
    if (PQgetisnull(r, 0, 0)) {
        PQclear(r);
        return SL_DECLINED;
    }
    snprintf(d0, 11, "%s", PQgetvalue(r, 0, 0));
    snprintf(d1, 11, "%s", PQgetvalue(r, 0, 1));
    snprintf(end, 40, "%s", PQgetvalue(r, 0, 2));
    PQclear(r);
    return 0;
}

/* The common part of the figures' and the explanation's statements: $1 the
 * first day, $2 the day after the last. m: the bounds as times; p: the
 * places; t: this node's handling transfers to them issued by the end (the
 * row's never-changing identity only); ev: the audit events that matter,
 * recorded by the end, from S_LOOKBACK before the start (a transfer due in
 * the period was issued at most 7 working days before its deadline, and
 * fed back after it was issued); due: the transfers whose feedback deadline,
 * as their transferred event recorded it, falls in the period, on time when
 * the first feedback came by then; esc: escalations marked in the period;
 * ver: verifications in the period with the feedback they verified; src: the
 * report versions that stood at the end (the monthly summaries, or the weekly
 * reports of a place that sent none). */
/* clang-format off */
#define S_LOOKBACK "interval '45 days'"
#define S_M                                                                                        \
    "m AS (SELECT $1::date AS d0, $2::date AS d1,"                                                 \
    "   $1::date::timestamp AT TIME ZONE 'Asia/Shanghai' AS t0,"                                   \
    "   $2::date::timestamp AT TIME ZONE 'Asia/Shanghai' AS t1)"
#define S_WITH_P(kind)                                                                             \
    "WITH " S_M ","                                                                                \
    " p AS (SELECT code, name FROM unit WHERE kind = " kind "),"                                   \
    " t AS (SELECT tr.case_id, tr.notice_no, tr.unit_code"                                         \
    "  FROM transfer tr JOIN p ON p.code = tr.unit_code CROSS JOIN m"                              \
    "  WHERE tr.kind = 'handling' AND tr.issued_at < m.t1),"                                       \
    " ev AS MATERIALIZED (SELECT e.case_id, e.seq, e.kind, e.at, e.detail::jsonb AS d,"            \
    "   e.detail::jsonb->>'notice_no' AS notice_no FROM case_event e CROSS JOIN m"                 \
    "  WHERE e.kind IN ('transferred', 'fed_back', 'escalation_marked', 'verified')"               \
    "   AND e.at >= m.t0 - " S_LOOKBACK " AND e.at < m.t1),"                                       \
    " tx AS (SELECT t.*, (ev.d->>'feedback_deadline')::date AS fdl FROM ev"                        \
    "  JOIN t ON t.case_id = ev.case_id AND t.notice_no = ev.notice_no"                            \
    "  WHERE ev.kind = 'transferred'),"                                                            \
    " fb1 AS (SELECT case_id, notice_no, min(at) AS at FROM ev WHERE kind = 'fed_back'"            \
    "  GROUP BY 1, 2),"                                                                            \
    " due AS (SELECT tx.*, coalesce((fb1.at AT TIME ZONE 'Asia/Shanghai')::date <= tx.fdl,"        \
    "   false) AS on_time FROM tx CROSS JOIN m"                                                    \
    "  LEFT JOIN fb1 ON fb1.case_id = tx.case_id AND fb1.notice_no = tx.notice_no"                 \
    "  WHERE tx.fdl >= m.d0 AND tx.fdl < m.d1),"                                                   \
    " esc AS (SELECT t.unit_code, t.notice_no, t.case_id, ev.d->>'cause' AS cause, ev.at"          \
    "  FROM ev JOIN t ON t.case_id = ev.case_id AND t.notice_no = ev.notice_no CROSS JOIN m"       \
    "  WHERE ev.kind = 'escalation_marked' AND ev.at >= m.t0),"                                    \
    " ver AS (SELECT t.unit_code, t.notice_no, t.case_id, f.fb,"                                   \
    "   coalesce(f.fb->>'conclusion', '属实') = '属实' AS found_true,"                             \
    "   coalesce((f.fb->>'closed_down')::bool, false) OR coalesce((f.fb->>'penalized')::bool,"     \
    "    false) OR coalesce((f.fb->>'production_suspended')::bool, false)"                         \
    "    OR coalesce((f.fb->>'criminal_count')::int, 0) > 0 AS measures"                           \
    "  FROM ev v JOIN t ON t.case_id = v.case_id AND t.notice_no = v.notice_no CROSS JOIN m"       \
    "  CROSS JOIN LATERAL (SELECT x.detail::jsonb->'feedback' AS fb FROM case_event x"             \
    "   WHERE x.case_id = v.case_id AND x.kind = 'fed_back'"                                       \
    "    AND x.detail::jsonb->>'notice_no' = v.notice_no AND x.seq < v.seq"                        \
    "   ORDER BY x.seq DESC LIMIT 1) f"                                                            \
    "  WHERE v.kind = 'verified' AND v.at >= m.t0),"                                               \
    " rv AS (SELECT DISTINCT ON (kind, from_unit, period) r.* FROM report_version r CROSS JOIN m"  \
    "  WHERE r.from_unit IN (SELECT code FROM p) AND r.recorded_at < m.t1"                         \
    "   AND r.period_end >= m.d0 AND r.period_end < m.d1"                                          \
    "  ORDER BY kind, from_unit, period, recorded_at DESC, id DESC),"                              \
    " src AS (SELECT rv.* FROM rv WHERE kind = 'monthly' OR NOT EXISTS (SELECT 1 FROM rv r2"       \
    "  WHERE r2.from_unit = rv.from_unit AND r2.kind = 'monthly'))"

/* A register's row known in the period m as of its end: dated (DAY, the
 * day it happened) in the period and recorded (AT) by its end, or dated
 * before the period and recorded in it. A row recorded late never changes a
 * period already past; it counts in the period it was recorded. */
#define S_KNOWN(day, at)                                                                           \
    at " < m.t1 AND (" day " >= m.d0 AND " day " < m.d1 OR " day " < m.d0 AND " at " >= m.t0)"

/* The places: the governments one level down. */
#define S_WITH S_WITH_P("'child'")

#define S_FIG(k) "coalesce(sum(coalesce((figures->>'" k "')::bigint, 0)), 0)"
/* A place's clues: cases registered in the period in its division (a
 * county's code, or a city's code without its trailing "00"s). */
#define S_PREFIX(col) "regexp_replace(" col ", '(00)+$', '')"

static const char s_figures_sql[] =
    S_WITH ","
    " fig AS (SELECT from_unit,"
    "  " S_FIG("major_hazards_rectified") " AS hz_n,"
    "  " S_FIG("major_hazards") " AS hz_d,"
    "  " S_FIG("illegal_punished") " AS pun_n,"
    "  " S_FIG("illegal_found") " AS found,"
    "  " S_FIG("closed_down") " AS clo_n,"
    "  " S_FIG("exposed") " + " S_FIG("persons_disciplined") " + "
    "  " S_FIG("persons_prosecuted") " AS acc_n"
    "  FROM src GROUP BY from_unit),"
    " rep AS (SELECT r.from_unit, count(*) FILTER (WHERE r.on_time) AS ok, count(*) AS n"
    "  FROM report r CROSS JOIN m WHERE r.from_unit IN (SELECT code FROM p)"
    "   AND r.due_at >= m.t0 AND r.due_at < m.t1 AND r.received_at < m.t1 GROUP BY 1),"
    " miss AS (SELECT rm.unit, count(*) AS n FROM report_missing rm CROSS JOIN m"
    "  WHERE rm.unit IN (SELECT code FROM p) AND rm.due_at >= m.t0 AND rm.due_at < m.t1"
    "   AND rm.noted_at < m.t1 AND NOT EXISTS (SELECT 1 FROM report r WHERE r.kind = rm.kind"
    "   AND r.from_unit = rm.unit AND r.period = rm.period AND r.received_at < m.t1)"
    "  GROUP BY 1),"
    " clue AS (SELECT c.division, count(*) AS n FROM cases c CROSS JOIN m"
    "  WHERE c.registered_at >= m.t0 AND c.registered_at < m.t1 GROUP BY 1),"
    " dueg AS (SELECT unit_code, count(*) FILTER (WHERE on_time) AS ok, count(*) AS n"
    "  FROM due GROUP BY 1),"
    " escg AS (SELECT unit_code, count(*) AS n FROM esc GROUP BY 1),"
    " verg AS (SELECT unit_code, count(*) FILTER (WHERE found_true) AS vt,"
    "  count(*) FILTER (WHERE found_true AND NOT measures) AS nm FROM ver GROUP BY 1),"
    " spot AS (SELECT i.division, count(*) AS n, count(ie.spot_check_id) AS missed"
    "  FROM spot_check sc CROSS JOIN m JOIN inspection i ON i.id = sc.inspection_id"
    "  LEFT JOIN interview_entry ie ON ie.spot_check_id = sc.id AND ie.created_at < m.t1"
    "  WHERE " S_KNOWN("sc.checked_on", "sc.recorded_at") " GROUP BY 1)"
    " SELECT p.code, p.name,"
    "  coalesce(fig.hz_n, 0), coalesce(fig.hz_d, 0), coalesce(fig.pun_n, 0),"
    "  coalesce(fig.found, 0), coalesce(fig.clo_n, 0), coalesce(fig.acc_n, 0),"
    "  coalesce(dueg.ok, 0), coalesce(dueg.n, 0), coalesce(escg.n, 0),"
    "  coalesce(rep.ok, 0), coalesce(rep.n, 0) + coalesce(miss.n, 0),"
    "  (SELECT coalesce(sum(n), 0) FROM clue WHERE clue.division LIKE "
    S_PREFIX("p.code") " || '%'),"
    "  coalesce(verg.vt, 0), coalesce(verg.nm, 0),"
    "  (SELECT coalesce(sum(missed), 0) FROM spot WHERE spot.division LIKE "
    S_PREFIX("p.code") " || '%'),"
    "  (SELECT coalesce(sum(n), 0) FROM spot WHERE spot.division LIKE "
    S_PREFIX("p.code") " || '%')"
    " FROM p LEFT JOIN fig ON fig.from_unit = p.code"
    " LEFT JOIN rep ON rep.from_unit = p.code LEFT JOIN miss ON miss.unit = p.code"
    " LEFT JOIN dueg ON dueg.unit_code = p.code LEFT JOIN escg ON escg.unit_code = p.code"
    " LEFT JOIN verg ON verg.unit_code = p.code"
    " ORDER BY p.code";

/* This level's departments ([appraise] rank_departments): this node's
 * transfers to each, the ones with a transfer due or an escalation in the
 * period; the escalations and, of them, the false completions. */
static const char s_departments_sql[] =
    S_WITH_P("'department'") ","
    " dueg AS (SELECT unit_code, count(*) FILTER (WHERE on_time) AS ok, count(*) AS n"
    "  FROM due GROUP BY 1),"
    " escg AS (SELECT unit_code, count(*) AS n,"
    "  count(*) FILTER (WHERE cause = 'FALSE_COMPLETION') AS fc FROM esc GROUP BY 1)"
    " SELECT p.code, p.name, coalesce(dueg.ok, 0), coalesce(dueg.n, 0), coalesce(escg.n, 0),"
    "  coalesce(escg.fc, 0)"
    " FROM p LEFT JOIN dueg ON dueg.unit_code = p.code LEFT JOIN escg ON escg.unit_code = p.code"
    " WHERE dueg.n > 0 OR escg.n > 0 ORDER BY p.code";

/* The accidents (a, of the registers' accident table, sl_accident: level 1
 * 一般, 2 较大, 3 重大, 4 特别重大) that count for the place whose code is
 * CODE in the period m: 较大 or worse, in its division, and known by the
 * period's end — occurred in the period and recorded by its end, or occurred
 * before it and recorded in it. As-of means what was recorded by the end: an
 * accident recorded late never changes a month already past; it counts in
 * the month it was recorded (the register keeps the first record's time: a
 * repeat of the same key is ignored). */
#define S_ACCIDENT(code)                                                                           \
    "a.level >= 2 AND a.division LIKE " S_PREFIX(code) " || '%' AND "                              \
    S_KNOWN("a.occurred_on", "a.recorded_at")

static const char s_accidents_sql[] =
    "WITH " S_M " SELECT u.code, (SELECT count(*) FROM accident a WHERE " S_ACCIDENT("u.code") ")"
    " FROM unit u CROSS JOIN m WHERE u.kind = 'child'";
/* clang-format on */

/* 较大 or worse accidents per place in [D0, D1) as of the end (S_ACCIDENT). */
static int
s_accidents(sl_db_t *db, const char *d0, const char *d1, sl_score_place_t *pl, size_t n)
{
    PGresult *r = NULL;
    const char *p[] = {d0, d1};
    int rc = sl_db_exec(db, &r, s_accidents_sql, 2, p);
    if (rc != 0) {
        sl_log(SL_LOG_ERROR, "could not count accidents: %s", sl_db_error(db));
        return rc;
    }
    for (int row = 0; row < PQntuples(r); row++)
        for (size_t i = 0; i < n; i++)
            if (strcmp(pl[i].code, PQgetvalue(r, row, 0)) == 0)
                pl[i].accidents = atoll(PQgetvalue(r, row, 1));
    PQclear(r);
    return 0;
}

static json_t *
s_rules_json(const sl_appraise_rules_t *rules)
{
    const sl_score_rules_t *r = &rules->r;
    json_t *w = json_object();
    for (int i = 0; i < SL_IND_COUNT; i++)
        json_object_set_new(w, sl_score_ind_key(i), json_real(r->weight[i]));
    return json_pack("{s:s, s:s, s:b, s:s, s:o, s:{s:f, s:f, s:f, s:I}}", "version", r->version,
                     "label", r->label, "project_defaults", r->project_defaults, "hash",
                     rules->hash, "weights", w, "triggers", "few_clues_share", r->few_clues_share,
                     "low_rectify_rate", r->low_rectify_rate, "weak_measures_share",
                     r->weak_measures_share, "accidents", (json_int_t)r->accidents);
}

static json_t *
s_place_json(const sl_appraise_rules_t *rules, const sl_score_place_t *p)
{
    json_t *comp = json_array();
    for (int i = 0; i < SL_IND_COUNT; i++)
        json_array_append_new(
            comp, json_pack("{s:s, s:s, s:I, s:I, s:f, s:f, s:b}", "key", sl_score_ind_key(i),
                            "name", sl_score_ind_name(i), "num", (json_int_t)p->ind[i].num, "den",
                            (json_int_t)p->ind[i].den, "weight", rules->r.weight[i], "score",
                            p->component[i], "failing", sl_score_ind_failing(i)));
    char why[1024];
    sl_score_reasons(&rules->r, p, why, sizeof why);
    return json_pack("{s:s, s:s, s:i, s:f, s:o, s:I, s:f, s:I, s:I, s:I, s:b, s:s}", "code",
                     p->code, "name", p->name, "rank", p->rank, "total", p->total, "components",
                     comp, "clues", (json_int_t)p->clues, "peers_median_clues",
                     p->peers_median_clues, "verified_true", (json_int_t)p->verified_true,
                     "no_measures", (json_int_t)p->no_measures, "accidents",
                     (json_int_t)p->accidents, "supervision", p->triggers != 0, "reasons", why);
}

/* The figures read, as hashed: one object per place, sorted by code (with
 * FC, a department's false completions). */
static json_t *
s_inputs_json(const sl_score_place_t *pl, size_t n, const int64_t *fc)
{
    json_t *a = json_array();
    for (size_t k = 0; k < n; k++) {
        json_t *o = json_pack(
            "{s:s, s:I, s:I, s:I, s:I}", "code", pl[k].code, "clues", (json_int_t)pl[k].clues,
            "verified_true", (json_int_t)pl[k].verified_true, "no_measures",
            (json_int_t)pl[k].no_measures, "accidents", (json_int_t)pl[k].accidents);
        for (int i = 0; i < SL_IND_COUNT; i++)
            json_object_set_new(
                o, sl_score_ind_key(i),
                json_pack("[I, I]", (json_int_t)pl[k].ind[i].num, (json_int_t)pl[k].ind[i].den));
        if (fc)
            json_object_set_new(o, "false_completions", json_integer(fc[k]));
        json_array_append_new(a, o);
    }
    return a;
}

/* The hex SHA-256 of the figures read: the places' (as before departments
 * were ranked), or places and departments together. */
static char *
s_inputs_hash(json_t *places, json_t *departments)
{
    json_t *a = departments ? json_pack("{s:O, s:O}", "places", places, "departments", departments)
                            : json_incref(places);
    char *text = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(a);
    char *hex = sl_malloc(65);
    s_sha256_hex(text, strlen(text), hex);
    free(text);
    return hex;
}

/* Ranked objects (JSON) by rank, then code. */
static int
s_cmp_rank_json(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    json_int_t rx = json_integer_value(json_object_get(x, "rank"));
    json_int_t ry = json_integer_value(json_object_get(y, "rank"));
    if (rx != ry)
        return rx < ry ? -1 : 1;
    return strcmp(json_string_value(json_object_get(x, "code")),
                  json_string_value(json_object_get(y, "code")));
}

/* This level's departments ranked for the period m ($1, $2): their JSON
 * array into *OUT and their figures' into *INPUTS. Scored with the rules'
 * feedback and escalated weights only; no supervision trigger (those are
 * the places'). */
static int
s_departments(sl_db_t *db, const sl_appraise_rules_t *rules, const char *const params[2],
              json_t **out, json_t **inputs)
{
    PGresult *r = NULL;
    int rc = sl_db_exec(db, &r, s_departments_sql, 2, params);
    if (rc != 0) {
        sl_log(SL_LOG_ERROR, "could not read the departments' figures: %s", sl_db_error(db));
        return rc;
    }
    size_t n = (size_t)PQntuples(r);
    sl_score_place_t *pl = sl_calloc(n ? n : 1, sizeof *pl);
    int64_t *fc = sl_calloc(n ? n : 1, sizeof *fc);
    for (size_t k = 0; k < n; k++) {
        int row = (int)k;
        snprintf(pl[k].code, sizeof pl[k].code, "%s", PQgetvalue(r, row, 0));
        snprintf(pl[k].name, sizeof pl[k].name, "%s", PQgetvalue(r, row, 1));
        int64_t due = atoll(PQgetvalue(r, row, 3));
        pl[k].ind[SL_IND_FEEDBACK] = (sl_score_ratio_t){atoll(PQgetvalue(r, row, 2)), due};
        pl[k].ind[SL_IND_ESCALATED] = (sl_score_ratio_t){atoll(PQgetvalue(r, row, 4)), due};
    }
    for (size_t k = 0; k < n; k++)
        fc[k] = atoll(PQgetvalue(r, (int)k, 5));
    PQclear(r);
    *inputs = s_inputs_json(pl, n, fc);
    sl_score_compute(&rules->r, pl, n);
    json_t *a = json_array();
    for (size_t k = 0; k < n; k++) {
        pl[k].triggers = 0;
        json_t *o = s_place_json(rules, &pl[k]);
        json_t *comp = json_array(); /* the ledger's two indicators only */
        size_t i;
        json_t *c;
        json_array_foreach(json_object_get(o, "components"), i, c)
        {
            if (i == SL_IND_FEEDBACK || i == SL_IND_ESCALATED)
                json_array_append(comp, c);
        }
        json_object_set_new(o, "components", comp);
        json_object_set_new(o, "false_completions", json_integer(fc[k]));
        json_array_append_new(a, o);
    }
    /* in rank order, as the places */
    json_t **v = sl_calloc(n ? n : 1, sizeof *v);
    for (size_t k = 0; k < n; k++)
        v[k] = json_array_get(a, k);
    if (n > 1)
        qsort(v, n, sizeof *v, s_cmp_rank_json);
    *out = json_array();
    for (size_t k = 0; k < n; k++)
        json_array_append(*out, v[k]);
    free(v);
    json_decref(a);
    free(pl);
    free(fc);
    return 0;
}

int
sl_appraise_compute(sl_db_t *db, const sl_appraise_rules_t *rules, const char *period,
                    bool departments, json_t **out)
{
    *out = NULL;
    char d0[11], d1[11], end[40];
    int rc = s_bounds(db, period, d0, d1, end);
    if (rc != 0)
        return rc;
    PGresult *r = NULL;
    const char *params[] = {d0, d1};
    if ((rc = sl_db_exec(db, &r, s_figures_sql, 2, params)) != 0) {
        sl_log(SL_LOG_ERROR, "could not read the figures of %s: %s", period, sl_db_error(db));
        return rc;
    }
    size_t n = (size_t)PQntuples(r);
    sl_score_place_t *pl = sl_calloc(n ? n : 1, sizeof *pl);
    for (size_t k = 0; k < n; k++) {
        int row = (int)k;
#define V(c) atoll(PQgetvalue(r, row, c))
        snprintf(pl[k].code, sizeof pl[k].code, "%s", PQgetvalue(r, row, 0));
        snprintf(pl[k].name, sizeof pl[k].name, "%s", PQgetvalue(r, row, 1));
        int64_t found = V(5);
        pl[k].ind[SL_IND_HAZARDS] = (sl_score_ratio_t){V(2), V(3)};
        pl[k].ind[SL_IND_PUNISHED] = (sl_score_ratio_t){V(4), found};
        pl[k].ind[SL_IND_CLOSED] = (sl_score_ratio_t){V(6), found};
        pl[k].ind[SL_IND_ACCOUNTABLE] = (sl_score_ratio_t){V(7), found};
        pl[k].ind[SL_IND_FEEDBACK] = (sl_score_ratio_t){V(8), V(9)};
        pl[k].ind[SL_IND_ESCALATED] = (sl_score_ratio_t){V(10), V(9)};
        pl[k].ind[SL_IND_REPORTS] = (sl_score_ratio_t){V(11), V(12)};
        pl[k].clues = V(13);
        pl[k].verified_true = V(14);
        pl[k].no_measures = V(15);
        pl[k].ind[SL_IND_SPOTCHECK] = (sl_score_ratio_t){V(16), V(17)};
#undef V
    }
    PQclear(r);
    if ((rc = s_accidents(db, d0, d1, pl, n)) != 0) {
        free(pl);
        return rc;
    }
    json_t *deps = NULL, *dep_inputs = NULL, *place_inputs = s_inputs_json(pl, n, NULL);
    if (departments && (rc = s_departments(db, rules, params, &deps, &dep_inputs)) != 0) {
        json_decref(place_inputs);
        free(pl);
        return rc;
    }
    char *inputs = s_inputs_hash(place_inputs, dep_inputs);
    json_decref(place_inputs);
    json_decref(dep_inputs);
    sl_score_compute(&rules->r, pl, n);
    sl_score_sort(pl, n);
    json_t *places = json_array();
    for (size_t k = 0; k < n; k++)
        json_array_append_new(places, s_place_json(rules, &pl[k]));
    char last[11];
    int32_t day;
    if (sl_date_parse(d1, &day) == 0)
        sl_date_format(day - 1, last);
    else
        snprintf(last, sizeof last, "%s", d1);
    *out = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:b, s:o}", "period", period, "from", d0, "to",
                     last, "as_of", end, "rules", s_rules_json(rules), "inputs_hash", inputs,
                     "accidents_register", true, "places", places);
    if (deps)
        json_object_set_new(*out, "departments", deps);
    free(inputs);
    free(pl);
    return 0;
}

int
sl_appraise_store(sl_db_t *db, const json_t *result, const char *by, int64_t now_ms, long long *id)
{
    char now[40];
    sl_time_format_iso(now_ms, now, sizeof now);
    char *text = json_dumps(result, JSON_COMPACT);
    char *svg = sl_appraise_svg(result);
    const json_t *rules = json_object_get(result, "rules");
    const char *p[] = {json_string_value(json_object_get(result, "period")),
                       json_string_value(json_object_get(result, "as_of")),
                       now,
                       by,
                       json_string_value(json_object_get(rules, "version")),
                       json_string_value(json_object_get(rules, "hash")),
                       json_string_value(json_object_get(result, "inputs_hash")),
                       text,
                       svg};
    PGresult *r = NULL;
    int rc = sl_db_exec(db, &r,
                        "INSERT INTO appraisal_run (month, as_of, computed_at, computed_by,"
                        " rules_version, rules_hash, inputs_hash, result, svg)"
                        " VALUES ($1, $2::timestamptz, $3::timestamptz, $4, $5, $6, $7, $8::jsonb,"
                        "  $9) RETURNING id",
                        9, p);
    free(text);
    free(svg);
    if (rc != 0) {
        sl_log(SL_LOG_ERROR, "could not store the appraisal of %s: %s", p[0], sl_db_error(db));
        return rc;
    }
    *id = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    sl_log(SL_LOG_INFO, "appraisal of %s stored as run %lld (rules %s, inputs %.12s)", p[0], *id,
           p[4], p[6]);
    return 0;
}

/* The run's columns as JSON: the result with "run" beside it. */
#define S_RUN_COLS                                                                                 \
    "result::text, json_build_object('id', id, 'status', status, 'computed_at', computed_at,"      \
    " 'computed_by', computed_by, 'approved_by', approved_by, 'approved_at', approved_at,"         \
    " 'exported_at', exported_at, 'published_at', published_at)::text, svg"

static json_t *
s_run_json(PGresult *r, int row)
{
    json_t *o = json_loads(PQgetvalue(r, row, 0), 0, NULL);
    if (!o)
        return NULL;
    json_object_set_new(o, "run", json_loads(PQgetvalue(r, row, 1), 0, NULL));
    json_object_set_new(o, "svg", json_string(PQgetvalue(r, row, 2)));
    return o;
}

int
sl_appraise_show(sl_db_t *db, const char *period, json_t **out)
{
    *out = NULL;
    PGresult *r = NULL;
    const char *p[] = {period};
    int rc = sl_db_exec(db, &r,
                        "SELECT " S_RUN_COLS " FROM appraisal_run WHERE month = $1"
                        " ORDER BY status = 'approved' DESC, id DESC LIMIT 1",
                        1, p);
    if (rc != 0)
        return rc;
    if (PQntuples(r) == 1)
        *out = s_run_json(r, 0);
    PQclear(r);
    return 0;
}

/* Releases run ID (approved BY at NOW_MS) as the portal's ranking: a
 * publication of kind "ranking", already issued, in the caller's
 * transaction; sl-publish writes its page, chart, JSON and CSV. */
static int
s_release(sl_db_t *db, const char *id, const char *by, int64_t now_ms)
{
    PGresult *r = NULL;
    const char *p[] = {id};
    int rc = sl_db_exec(db, &r, "SELECT result::text, svg FROM appraisal_run WHERE id = $1::bigint",
                        1, p);
    if (rc != 0)
        return rc;
    json_t *res = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
    char *svg = sl_strdup(PQgetvalue(r, 0, 1));
    PQclear(r);
    if (!res) {
        free(svg);
        return -1;
    }
    const char *period = json_string_value(json_object_get(res, "period"));
    json_t *body = sl_ranking_body(res, by, svg);
    char tail[96];
    if (strcmp(period, "final") == 0)
        snprintf(tail, sizeof tail, "集中行动综合考评结果");
    else
        snprintf(tail, sizeof tail, "%.4s年%d月集中行动考评排队结果", period, atoi(period + 5));
    int64_t pid;
    rc = sl_pub_release(db, "ranking", period, tail, body, by, now_ms, &pid);
    if (rc == 0)
        sl_log(SL_LOG_INFO, "appraisal of %s released as publication %lld", period, (long long)pid);
    else
        sl_log(SL_LOG_ERROR, "could not release the appraisal of %s: %s", period, sl_db_error(db));
    json_decref(body);
    json_decref(res);
    free(svg);
    return rc;
}

int
sl_appraise_approve(sl_db_t *db, const char *period, const char *by, int64_t now_ms, char *why,
                    size_t whylen)
{
    char now[40];
    sl_time_format_iso(now_ms, now, sizeof now);
    PGresult *r = NULL;
    int rc = sl_db_begin(db);
    if (rc != 0)
        return rc;
    const char *p[] = {period, by, now};
    rc = sl_db_exec(db, &r,
                    "SELECT id, status, coalesce(approved_by, '') FROM appraisal_run"
                    " WHERE month = $1 ORDER BY status = 'approved' DESC, id DESC LIMIT 1"
                    " FOR UPDATE",
                    1, p);
    if (rc != 0)
        goto fail;
    if (PQntuples(r) == 0) {
        snprintf(why, whylen, "%s尚无考评结果，请先运行 slctl appraise run", period);
        rc = SL_DECLINED;
    } else if (strcmp(PQgetvalue(r, 0, 1), "approved") == 0) {
        snprintf(why, whylen, "%s的考评结果已由%s审定", period, PQgetvalue(r, 0, 2));
        rc = SL_DECLINED;
    }
    PQclear(r);
    if (rc != 0)
        goto fail;
    rc = sl_db_exec(db, &r,
                    "UPDATE appraisal_run SET status = 'approved', approved_by = $2,"
                    " approved_at = $3::timestamptz WHERE id = (SELECT id FROM appraisal_run"
                    " WHERE month = $1 ORDER BY id DESC LIMIT 1) RETURNING id",
                    3, p);
    if (rc != 0)
        goto fail;
    char id[24];
    snprintf(id, sizeof id, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    /* the monthly ranking is released by this approval alone; the final
     * evaluation waits for its export too (sl_appraise_mark_exported) */
    if (strcmp(period, "final") != 0 && (rc = s_release(db, id, by, now_ms)) != 0)
        goto fail;
    return sl_db_commit(db);
fail:
    sl_db_rollback(db);
    return rc;
}

int
sl_appraise_explain(sl_db_t *db, const char *period, const char *place, json_t **out)
{
    *out = NULL;
    char d0[11], d1[11], end[40];
    int rc = s_bounds(db, period, d0, d1, end);
    if (rc != 0)
        return rc;
    const char *p[] = {d0, d1, place};
    PGresult *r = NULL;
    rc = sl_db_exec(
        db, &r,
        S_WITH
        " SELECT"
        " (SELECT coalesce(json_agg(json_build_object('notice_no', d.notice_no,"
        "   'case_no', c.case_no, 'feedback_deadline', d.fdl, 'on_time', d.on_time)"
        "   ORDER BY d.fdl, d.notice_no), '[]') FROM due d JOIN cases c ON c.id = d.case_id"
        "  WHERE d.unit_code = $3)::text,"
        " (SELECT coalesce(json_agg(json_build_object('notice_no', e.notice_no,"
        "   'case_no', c.case_no, 'cause', e.cause, 'at', e.at) ORDER BY e.at), '[]')"
        "  FROM esc e JOIN cases c ON c.id = e.case_id WHERE e.unit_code = $3)::text,"
        " (SELECT coalesce(json_agg(json_build_object('notice_no', v.notice_no,"
        "   'case_no', c.case_no, 'found_true', v.found_true, 'measures', v.measures)"
        "   ORDER BY c.case_no), '[]') FROM ver v JOIN cases c ON c.id = v.case_id"
        "  WHERE v.unit_code = $3)::text,"
        " (SELECT coalesce(json_agg(json_build_object('kind', s.kind, 'period', s.period,"
        "   'recorded_at', s.recorded_at, 'msg_id', s.msg_id, 'figures', s.figures)"
        "   ORDER BY s.kind, s.period), '[]') FROM src s WHERE s.from_unit = $3)::text,"
        " (SELECT coalesce(json_agg(c.case_no ORDER BY c.case_no), '[]') FROM cases c"
        "  CROSS JOIN m WHERE c.registered_at >= m.t0 AND c.registered_at < m.t1"
        "   AND c.division LIKE " S_PREFIX(
            "$3") " || '%')::text,"
                  " (SELECT coalesce(json_agg(json_build_object('checked_on', sc.checked_on,"
                  "   'unit', i.unit_name, 'inspecting_body', i.inspecting_body,"
                  "   'checking_body', sc.checking_body, 'missed', ie.reason)"
                  "   ORDER BY sc.checked_on, sc.id), '[]') FROM spot_check sc CROSS JOIN m"
                  "  JOIN inspection i ON i.id = sc.inspection_id"
                  "  LEFT JOIN interview_entry ie ON ie.spot_check_id = sc.id AND ie.created_at < "
                  "m.t1"
                  "  WHERE " S_KNOWN(
                      "sc.checked_on",
                      "sc.recorded_at") " AND i.division LIKE " S_PREFIX("$3") " || '%')::text,"
                                                                               " (SELECT "
                                                                               "coalesce(json_agg("
                                                                               "json_build_object('"
                                                                               "occurred_on', "
                                                                               "a.occurred_on,"
                                                                               "   'recorded_at', "
                                                                               "a.recorded_at, "
                                                                               "'level', a.level, "
                                                                               "'subject', "
                                                                               "a.subject_name,"
                                                                               "   'deaths', "
                                                                               "a.deaths) ORDER BY "
                                                                               "a.occurred_on, "
                                                                               "a.id), '[]')"
                                                                               "  FROM accident a "
                                                                               "CROSS JOIN m "
                                                                               "WHERE " S_ACCIDENT(
                                                                                   "$3") ")::text",
        3, p);
    if (rc != 0) {
        sl_log(SL_LOG_ERROR, "could not explain %s for %s: %s", place, period, sl_db_error(db));
        return rc;
    }
    *out = json_pack(
        "{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "period", period, "place", place,
        "as_of", end, "transfers_due", json_loads(PQgetvalue(r, 0, 0), 0, NULL), "escalations",
        json_loads(PQgetvalue(r, 0, 1), 0, NULL), "verified",
        json_loads(PQgetvalue(r, 0, 2), 0, NULL), "reports",
        json_loads(PQgetvalue(r, 0, 3), 0, NULL), "clues", json_loads(PQgetvalue(r, 0, 4), 0, NULL),
        "spot_checks", json_loads(PQgetvalue(r, 0, 5), 0, NULL), "accidents",
        json_loads(PQgetvalue(r, 0, 6), 0, NULL));
    PQclear(r);
    return 0;
}

int
sl_appraise_mark_exported(sl_db_t *db, const char *period, int64_t now_ms, char *why, size_t whylen)
{
    char now[40];
    sl_time_format_iso(now_ms, now, sizeof now);
    const char *p[] = {period, now};
    PGresult *r = NULL;
    int rc = sl_db_begin(db);
    if (rc != 0)
        return rc;
    rc = sl_db_exec(db, &r,
                    "UPDATE appraisal_run a SET exported_at = coalesce(a.exported_at,"
                    "  $2::timestamptz) FROM (SELECT id, exported_at IS NULL AS first,"
                    "  approved_by FROM appraisal_run WHERE month = $1 AND status = 'approved'"
                    "  FOR UPDATE) o WHERE a.id = o.id RETURNING a.id, o.first, o.approved_by",
                    2, p);
    if (rc != 0)
        goto fail;
    if (PQntuples(r) == 0) {
        PQclear(r);
        snprintf(why, whylen, "%s的考评结果尚未审定，审定后方可导出（slctl appraise approve）",
                 period);
        rc = SL_DECLINED;
        goto fail;
    }
    char id[24], by[128];
    snprintf(id, sizeof id, "%s", PQgetvalue(r, 0, 0));
    snprintf(by, sizeof by, "%s", PQgetvalue(r, 0, 2));
    bool first = PQgetvalue(r, 0, 1)[0] == 't';
    PQclear(r);
    /* the final evaluation: released with its first export */
    if (first && strcmp(period, "final") == 0 && (rc = s_release(db, id, by, now_ms)) != 0)
        goto fail;
    return sl_db_commit(db);
fail:
    sl_db_rollback(db);
    return rc;
}

long
sl_appraise_publish_due(sl_db_t *db, int64_t now_ms, sl_appraise_published_cb *cb, void *arg)
{
    char now[40];
    sl_time_format_iso(now_ms, now, sizeof now);
    const char *p[] = {now};
    PGresult *r = NULL;
    int rc = sl_db_exec(db, &r,
                        "UPDATE appraisal_run SET published_at = $1::timestamptz"
                        " WHERE status = 'approved' AND published_at IS NULL"
                        "  AND (month <> 'final' OR exported_at IS NOT NULL)"
                        " RETURNING " S_RUN_COLS,
                        1, p);
    if (rc != 0)
        return rc;
    long n = PQntuples(r);
    for (int i = 0; i < (int)n; i++) {
        json_t *o = s_run_json(r, i);
        if (o) {
            json_object_del(o, "svg");
            cb(arg, o);
            json_decref(o);
        }
    }
    PQclear(r);
    return n;
}

int
sl_appraise_months_due(sl_db_t *db, int64_t now_ms, char (*months)[8], int max)
{
    char now[40], lim[16];
    sl_time_format_iso(now_ms, now, sizeof now);
    snprintf(lim, sizeof lim, "%d", max);
    const char *p[] = {now, lim};
    PGresult *r = NULL;
    int rc = sl_db_exec(
        db, &r,
        "WITH g AS (SELECT date_trunc('month', ($1::timestamptz AT TIME ZONE 'Asia/Shanghai')"
        "   - interval '1 month')::date AS d"
        "  UNION SELECT generate_series(date_trunc('month', c.start_date),"
        "   date_trunc('month', c.end_date), interval '1 month')::date FROM campaign c)"
        " SELECT to_char(d, 'YYYY-MM') FROM g"
        " WHERE (d + interval '1 month')::timestamp AT TIME ZONE 'Asia/Shanghai' <= $1::timestamptz"
        "  AND NOT EXISTS (SELECT 1 FROM appraisal_run a WHERE a.month = to_char(g.d, 'YYYY-MM'))"
        " ORDER BY d LIMIT $2::int",
        2, p);
    if (rc != 0)
        return rc;
    int n = PQntuples(r);
    for (int i = 0; i < n; i++)
        snprintf(months[i], 8, "%s", PQgetvalue(r, i, 0));
    PQclear(r);
    return n;
}

char *
sl_appraise_svg(const json_t *result)
{
    const json_t *places = json_object_get(result, "places");
    const json_t *rules = json_object_get(result, "rules");
    size_t n = json_array_size(places);
    double max = 0;
    for (size_t i = 0; i < n; i++) {
        double t = json_number_value(json_object_get(json_array_get(places, i), "total"));
        if (t > max)
            max = t;
    }
    if (max <= 0)
        max = 1;
    int w = 760, left = 200, bar = 460, row = 28, top = 56;
    int h = top + (int)n * row + 40;
    sl_buf_t b;
    sl_buf_init(&b);
    sl_buf_printf(&b,
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                  " viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"14\">\n"
                  "<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n"
                  "<text x=\"%d\" y=\"24\" font-size=\"18\" text-anchor=\"middle\">",
                  w, h, w, h, w / 2);
    const char *period = json_string_value(json_object_get(result, "period"));
    if (strcmp(period, "final") == 0)
        sl_buf_puts(&b, "集中行动综合考评排队");
    else
        sl_buf_printf(&b, "%.4s年%d月考评排队", period, atoi(period + 5));
    sl_buf_printf(&b,
                  "</text>\n<text x=\"%d\" y=\"44\" font-size=\"12\" text-anchor=\"middle\""
                  " fill=\"#555555\">考评规则：",
                  w / 2);
    sl_buf_html(&b, json_string_value(json_object_get(rules, "version")));
    if (json_is_true(json_object_get(rules, "project_defaults")))
        sl_buf_puts(&b, "（项目默认规则）");
    sl_buf_puts(&b, "</text>\n");
    for (size_t i = 0; i < n; i++) {
        const json_t *p = json_array_get(places, i);
        double t = json_number_value(json_object_get(p, "total"));
        int y = top + (int)i * row;
        int len = (int)(bar * t / max + 0.5);
        bool sup = json_is_true(json_object_get(p, "supervision"));
        sl_buf_printf(&b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">第%d名　", left - 8, y + 18,
                      (int)json_integer_value(json_object_get(p, "rank")));
        sl_buf_html(&b, json_string_value(json_object_get(p, "name")));
        sl_buf_printf(&b,
                      "</text>\n<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"20\" fill=\"%s\"/>\n"
                      "<text x=\"%d\" y=\"%d\">%.2f%s</text>\n",
                      left, y + 4, len, sup ? "#c0392b" : "#2e6da4", left + len + 6, y + 18, t,
                      sup ? "（重点督导）" : "");
    }
    sl_buf_printf(&b,
                  "<text x=\"%d\" y=\"%d\" font-size=\"12\" fill=\"#555555\">截至%s，"
                  "红色为列入重点督导的地方</text>\n</svg>\n",
                  left, h - 14, json_string_value(json_object_get(result, "to")));
    return sl_buf_steal(&b);
}
