/* sl_rollup_db.c — the weekly report drafted from the ledger and the
 * children's reports.
 *
 * Three reads of this node's ledger (cases registered in the week, results
 * verified in it, annex 6's items), one of the children's reports for the
 * week; the arithmetic is sl_rollup.c's. */
#include "sl_rollup_db.h"

#include "sl_clock.h"
#include "sl_codec.h"
#include "sl_ledger.h"
#include "sl_log.h"
#include "sl_util.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* A case this node counts itself: not handed to a child, not forwarded up. */
#define S_OWN "c.route NOT IN ('child', 'parent')"
/* An illegal act (非法违法行为): any case that is not only a major hazard. */
#define S_ILLEGAL "(cardinality(c.violations) > 0 OR NOT c.major_hazard)"
/* The feedback of transfer t as jsonb ('{}' if unreadable). */
#define S_FB "(CASE WHEN t.feedback LIKE '{%' THEN t.feedback::jsonb ELSE '{}'::jsonb END)"

/* The row of group LABEL among R's own rows (a county's townships), made if new. */
static sl_rollup_row_t *
s_own_row(sl_rollup_report_t *r, size_t *cap, const char *label)
{
    bool county = strcmp(r->level, "county") == 0;
    const char *name = !county ? (strcmp(r->level, "province") == 0 ? "省直各部门" : "市直各部门")
                       : label[0] ? label
                                  : "县本级";
    for (size_t i = 0; i < r->n_rows; i++)
        if (strcmp(r->rows[i].label, name) == 0)
            return &r->rows[i];
    if (r->n_rows == *cap) {
        *cap = *cap ? 2 * *cap : 16;
        r->rows = sl_realloc(r->rows, *cap * sizeof *r->rows);
    }
    sl_rollup_row_t *row = &r->rows[r->n_rows++];
    memset(row, 0, sizeof *row);
    snprintf(row->label, sizeof row->label, "%s", name);
    snprintf(row->unit, sizeof row->unit, "%s", county ? "" : r->node);
    return row;
}

static int
s_own(sl_db_t *db, sl_rollup_report_t *r, const char *from, const char *to, size_t *cap)
{
    const char *p[] = {from, to};
    PGresult *q;
    int rc =
        sl_db_exec(db, &q,
                   "SELECT c.township, count(*) FILTER (WHERE " S_ILLEGAL "),"
                   " count(*) FILTER (WHERE c.major_hazard)"
                   " FROM cases c WHERE c.registered_at >= $1::timestamptz"
                   "  AND c.registered_at < $2::timestamptz AND " S_OWN " GROUP BY 1 ORDER BY 1",
                   2, p);
    if (rc != 0)
        return rc;
    for (int i = 0; i < PQntuples(q); i++) {
        sl_rollup_row_t *row = s_own_row(r, cap, PQgetvalue(q, i, 0));
        row->v[SL_FIG_ILLEGAL_FOUND] += atoll(PQgetvalue(q, i, 1));
        row->v[SL_FIG_MAJOR_HAZARDS] += atoll(PQgetvalue(q, i, 2));
    }
    PQclear(q);
    rc = sl_db_exec(
        db, &q,
        "SELECT c.township,"
        " count(*) FILTER (WHERE " S_ILLEGAL " AND (coalesce((f->>'penalized')::bool, false)"
        "  OR coalesce((f->>'production_suspended')::bool, false)"
        "  OR coalesce((f->>'closed_down')::bool, false)"
        "  OR coalesce((f->>'license_revoked')::bool, false)"
        "  OR coalesce((f->>'license_suspended')::bool, false))),"
        " count(*) FILTER (WHERE c.major_hazard"
        "  AND coalesce((f->>'major_hazard_rectified')::bool, false)),"
        " coalesce(sum(coalesce((f->>'penalty_fen')::bigint, 0)), 0),"
        " count(*) FILTER (WHERE coalesce((f->>'production_suspended')::bool, false)),"
        " count(*) FILTER (WHERE coalesce((f->>'license_revoked')::bool, false)"
        "  OR coalesce((f->>'license_suspended')::bool, false)),"
        " count(*) FILTER (WHERE coalesce((f->>'closed_down')::bool, false)),"
        " coalesce(sum(coalesce((f->>'disciplined_count')::int, 0)), 0),"
        " coalesce(sum(coalesce((f->>'criminal_count')::int, 0)), 0),"
        " count(*) FILTER (WHERE coalesce((f->>'exposed')::bool, false))"
        " FROM transfer t JOIN cases c ON c.id = t.case_id, LATERAL (SELECT " S_FB " AS f) fb"
        " WHERE t.kind = 'handling' AND t.decision = 'verify_pass'"
        "  AND t.decided_at >= $1::timestamptz AND t.decided_at < $2::timestamptz AND " S_OWN
        " GROUP BY 1 ORDER BY 1",
        2, p);
    if (rc != 0)
        return rc;
    static const sl_fig_t cols[] = {
        SL_FIG_ILLEGAL_PUNISHED,    SL_FIG_MAJOR_HAZARDS_RECTIFIED, SL_FIG_FINE_FEN,
        SL_FIG_SUSPENDED,           SL_FIG_LICENCES_REVOKED,        SL_FIG_CLOSED_DOWN,
        SL_FIG_PERSONS_DISCIPLINED, SL_FIG_PERSONS_PROSECUTED,      SL_FIG_EXPOSED};
    for (int i = 0; i < PQntuples(q); i++) {
        sl_rollup_row_t *row = s_own_row(r, cap, PQgetvalue(q, i, 0));
        for (size_t k = 0; k < sizeof cols / sizeof cols[0]; k++)
            row->v[cols[k]] += atoll(PQgetvalue(q, i, (int)k + 1));
    }
    PQclear(q);
    return 0;
}

static void
s_item_add(sl_rollup_report_t *r, size_t *cap, const sl_rollup_item_t *it)
{
    if (r->n_items == *cap) {
        *cap = *cap ? 2 * *cap : 64;
        r->items = sl_realloc(r->items, *cap * sizeof *r->items);
    }
    r->items[r->n_items++] = *it;
}

static int
s_items(sl_db_t *db, sl_rollup_report_t *r, const char *from, const char *to, size_t *cap)
{
    const char *p[] = {from, to};
    PGresult *q;
    int rc = sl_db_exec(
        db, &q,
        "SELECT c.case_no, c.subject_name,"
        " EXISTS (SELECT 1 FROM transfer_escalation e WHERE e.case_id = c.id)"
        "  OR EXISTS (SELECT 1 FROM escalated_case x WHERE x.from_case_id = c.id),"
        " coalesce(d.name, '') || c.township,"
        " coalesce(nullif(fb.f->>'category', ''), c.category),"
        " CASE WHEN 5 = ANY(c.violations) THEN '瞒报事故' WHEN c.major_hazard THEN '重大隐患'"
        "  ELSE '非法违法行为' END,"
        " concat_ws('；', nullif((SELECT string_agg(v.text, '；' ORDER BY v.code) FROM violation v"
        "  WHERE v.code = ANY(c.violations)), ''), nullif(c.violation_text, ''),"
        "  CASE WHEN c.violation_text = '' AND cardinality(c.violations) = 0"
        "   THEN nullif(c.description, '') END),"
        " coalesce(fb.f->>'violation_nature', ''),"
        " coalesce(nullif(fb.f->>'measures', ''), fb.f->>'result_text', '')"
        " FROM cases c LEFT JOIN division d ON d.code = c.division"
        " LEFT JOIN LATERAL (SELECT " S_FB " AS f FROM transfer t WHERE t.case_id = c.id"
        "  AND t.kind = 'handling' AND t.feedback IS NOT NULL ORDER BY t.id DESC LIMIT 1) fb"
        "  ON true"
        " WHERE c.registered_at >= $1::timestamptz AND c.registered_at < $2::timestamptz"
        "  AND " S_OWN " ORDER BY c.registered_at, c.id",
        2, p);
    if (rc != 0)
        return rc;
    for (int i = 0; i < PQntuples(q); i++) {
#define V(k) sl_arena_strdup(r->arena, PQgetvalue(q, i, k))
        sl_rollup_item_t it = {.case_no = V(0),
                               .subject = V(1),
                               .escalated = PQgetvalue(q, i, 2)[0] == 't',
                               .place = V(3),
                               .category = V(4),
                               .kind = V(5),
                               .detail = V(6),
                               .nature = V(7),
                               .measures = V(8)};
#undef V
        s_item_add(r, cap, &it);
    }
    PQclear(q);
    return 0;
}

/* Adds (ADD) or sets the integers of the JSON object TEXT into V at the index
 * INDEX gives each key (keys it does not know, -1, are skipped). */
static void
s_json_counts(const char *text, int (*index)(const char *), int64_t *v, bool add)
{
    json_t *o = json_loads(text, 0, NULL);
    const char *key;
    json_t *x;
    json_object_foreach(o, key, x)
    {
        int k = index(key);
        if (k >= 0 && json_is_integer(x))
            v[k] = (add ? v[k] : 0) + json_integer_value(x);
    }
    json_decref(o);
}

/* Row I of Q (code, name, …, received, on time in columns 4 and 5) names a
 * child; a report not received, or late, is added to MISSING[*N]. Returns
 * whether a report was received. */
static bool
s_child_seen(sl_arena_t *arena, PGresult *q, int i, sl_rollup_child_t *missing, size_t *n)
{
    bool got = PQgetvalue(q, i, 4)[0] == 't';
    if (!got || PQgetvalue(q, i, 5)[0] != 't')
        missing[(*n)++] = (sl_rollup_child_t){sl_arena_strdup(arena, PQgetvalue(q, i, 0)),
                                              sl_arena_strdup(arena, PQgetvalue(q, i, 1)), got};
    return got;
}

/* The weekly reports of the children: a row each (missing if none), their
 * annex 6 items after this node's. */
static int
s_children(sl_db_t *db, sl_rollup_report_t *r, size_t *cap, size_t *icap)
{
    const char *p[] = {r->period_start};
    PGresult *q;
    int rc = sl_db_exec(db, &q,
                        "SELECT u.code, coalesce(d.name, u.name), coalesce(r.figures::text, ''),"
                        " r.body, r.id IS NOT NULL, coalesce(r.on_time, false)"
                        " FROM unit u LEFT JOIN division d ON d.code = u.division"
                        " LEFT JOIN report r ON r.kind = 'weekly'"
                        "  AND r.from_unit = u.code AND r.period = $1"
                        " WHERE u.kind = 'child' ORDER BY u.code",
                        1, p);
    if (rc != 0)
        return rc;
    int n = PQntuples(q);
    r->missing = sl_arena_calloc(r->arena, (size_t)(n + 1) * sizeof *r->missing);
    for (int i = 0; i < n; i++) {
        if (r->n_rows == *cap) {
            *cap = *cap ? 2 * *cap : 16;
            r->rows = sl_realloc(r->rows, *cap * sizeof *r->rows);
        }
        sl_rollup_row_t *row = &r->rows[r->n_rows++];
        memset(row, 0, sizeof *row);
        snprintf(row->label, sizeof row->label, "%s", PQgetvalue(q, i, 1));
        snprintf(row->unit, sizeof row->unit, "%s", PQgetvalue(q, i, 0));
        if (!s_child_seen(r->arena, q, i, r->missing, &r->n_missing)) {
            row->missing = true;
            continue;
        }
        s_json_counts(PQgetvalue(q, i, 2), sl_rollup_key_index, row->v, false);
        size_t len;
        unsigned char *raw = PQunescapeBytea((const unsigned char *)PQgetvalue(q, i, 3), &len);
        const sl_pb_weekly_report_t *w =
            raw ? (const sl_pb_weekly_report_t *)sl_codec_unpack(
                      r->arena, &safeloop__v1__weekly_report__descriptor, raw, len)
                : NULL;
        if (!w)
            sl_log(SL_LOG_WARN, "weekly report of %s for %s unreadable: its items left out",
                   row->unit, r->period_start);
        for (size_t k = 0; w && k < w->n_items; k++) {
            const Safeloop__V1__ListedItem *li = w->items[k];
            sl_rollup_item_t it = {.case_no = li->case_no,
                                   .subject = li->subject_name,
                                   .escalated = li->escalated,
                                   .place = li->township,
                                   .category = li->category,
                                   .kind = li->kind,
                                   .detail = li->problem,
                                   .nature = li->nature,
                                   .measures = li->measures};
            s_item_add(r, icap, &it);
        }
        PQfreemem(raw);
    }
    PQclear(q);
    return 0;
}

static int
s_handling(sl_db_t *db, sl_rollup_report_t *r, const char *from, const char *to)
{
    const char *p[] = {from, to};
    PGresult *q;
    int rc =
        sl_db_exec(db, &q,
                   "SELECT (SELECT count(*) FROM cases c WHERE c.registered_at >= $1::timestamptz"
                   "  AND c.registered_at < $2::timestamptz),"
                   " (SELECT count(*) FROM transfer t WHERE t.issued_at >= $1::timestamptz"
                   "  AND t.issued_at < $2::timestamptz),"
                   " (SELECT count(*) FROM transfer t WHERE t.fed_back_at >= $1::timestamptz"
                   "  AND t.fed_back_at < $2::timestamptz)",
                   2, p);
    if (rc != 0)
        return rc;
    r->clues = atoll(PQgetvalue(q, 0, 0));
    r->transfers = atoll(PQgetvalue(q, 0, 1));
    r->feedbacks = atoll(PQgetvalue(q, 0, 2));
    PQclear(q);
    return 0;
}

static int
s_typical(sl_db_t *db, sl_rollup_report_t *r, const char *from)
{
    const char *p[] = {from};
    PGresult *q;
    int rc = sl_db_exec(db, &q,
                        "SELECT c.case_no, t.title, t.keywords, t.summary, t.facts, t.outcome,"
                        " t.analysis, t.advice, t.negative FROM typical_case t"
                        " JOIN cases c ON c.id = t.case_id WHERE t.made_at >= $1::timestamptz"
                        " ORDER BY t.id",
                        1, p);
    if (rc != 0)
        return rc;
    r->n_typical = (size_t)PQntuples(q);
    r->typical = sl_arena_calloc(r->arena, (r->n_typical + 1) * sizeof *r->typical);
    for (int i = 0; i < PQntuples(q); i++) {
#define V(k) sl_arena_strdup(r->arena, PQgetvalue(q, i, k))
        r->typical[i] = (sl_rollup_typical_t){
            V(0), V(1), V(2), V(3), V(4), V(5), V(6), V(7), PQgetvalue(q, i, 8)[0] == 't'};
#undef V
    }
    PQclear(q);
    return 0;
}

/* The instants that start business days FIRST and END (Asia/Shanghai), as
 * ISO text: the period [FROM, TO). */
static void
s_bounds(int32_t first, int32_t end, char from[40], char to[40])
{
    sl_time_format_iso(sl_day_to_ms(first), from, 40);
    sl_time_format_iso(sl_day_to_ms(end), to, 40);
}

/* This node's own: code, name, level into the arena. */
static int
s_node(sl_db_t *db, sl_arena_t *arena, const char **code, const char **name, const char **level)
{
    PGresult *q;
    int rc = sl_db_exec(db, &q, "SELECT code, name, level FROM node", 0, NULL);
    if (rc != 0)
        return rc;
    if (PQntuples(q) != 1) {
        PQclear(q);
        sl_log(SL_LOG_ERROR, "could not draft the report: the node is not set (migrate)");
        return -1;
    }
    *code = sl_arena_strdup(arena, PQgetvalue(q, 0, 0));
    *name = sl_arena_strdup(arena, PQgetvalue(q, 0, 1));
    *level = sl_arena_strdup(arena, PQgetvalue(q, 0, 2));
    PQclear(q);
    return 0;
}

int
sl_rollup_weekly(sl_db_t *db, int32_t monday, sl_rollup_report_t **out)
{
    *out = NULL;
    sl_rollup_report_t *r = sl_calloc(1, sizeof *r);
    r->arena = sl_arena_new(0);
    sl_date_format(monday, r->period_start);
    sl_date_format(monday + 6, r->period_end);
    char from[40], to[40];
    s_bounds(monday, monday + 7, from, to);
    int rc = s_node(db, r->arena, &r->node, &r->node_name, &r->level);
    if (rc != 0)
        goto fail;
    size_t cap = 0, icap = 0;
    if (strcmp(r->level, "county") != 0)
        s_own_row(r, &cap, ""); /* 市直各部门 even when it counted nothing */
    if ((rc = s_own(db, r, from, to, &cap)) != 0 || (rc = s_items(db, r, from, to, &icap)) != 0 ||
        (rc = s_children(db, r, &cap, &icap)) != 0 || (rc = s_handling(db, r, from, to)) != 0 ||
        (rc = s_typical(db, r, from)) != 0)
        goto fail;
    sl_rollup_total(r->rows, r->n_rows, &r->total, &r->incomplete);
    *out = r;
    return 0;
fail:
    sl_rollup_report_destroy(&r);
    return rc;
}

static int
s_list_index(const char *name)
{
    for (int i = 0; i < 6; i++)
        if (name && strcmp(sl_ledger_list_name(i), name) == 0)
            return i;
    return -1;
}

static void
s_entry_add(sl_rollup_month_t *m, size_t *cap, const sl_rollup_entry_t *e)
{
    if (m->n_entries == *cap) {
        *cap = *cap ? 2 * *cap : 64;
        m->entries = sl_realloc(m->entries, *cap * sizeof *m->entries);
    }
    m->entries[m->n_entries++] = *e;
}

int
sl_rollup_monthly(sl_db_t *db, const char *month, sl_rollup_month_t **out)
{
    *out = NULL;
    sl_rollup_month_t *m = sl_calloc(1, sizeof *m);
    m->arena = sl_arena_new(0);
    snprintf(m->month, sizeof m->month, "%s", month);
    size_t cap = 0;
    PGresult *q = NULL;
    int rc = s_node(db, m->arena, &m->node, &m->node_name, &m->level);
    if (rc != 0)
        goto fail;
    const char *p[] = {month};
    if ((rc = sl_db_exec(db, &q,
                         "SELECT e.list, e.item, e.case_no,"
                         " CASE WHEN e.notice_no = '' THEN ''"
                         "  ELSE (SELECT office_short FROM node) || e.notice_no END,"
                         " e.unit, e.unit_name, e.subject_name, e.entry_date::text, e.persons,"
                         " e.amount_fen, e.details FROM ledger_entry e"
                         " LEFT JOIN cases c ON c.id = e.case_id"
                         " WHERE e.month = $1 AND (c.id IS NULL OR c.route <> 'child')"
                         " ORDER BY e.id",
                         1, p)) != 0)
        goto fail;
    for (int i = 0; i < PQntuples(q); i++) {
#define V(k) sl_arena_strdup(m->arena, PQgetvalue(q, i, k))
        sl_rollup_entry_t e = {V(0),
                               V(1),
                               V(2),
                               V(3),
                               V(4),
                               V(5),
                               V(6),
                               V(7),
                               V(10),
                               atoi(PQgetvalue(q, i, 8)),
                               atoll(PQgetvalue(q, i, 9)),
                               ""};
#undef V
        int k = s_list_index(e.list);
        if (k >= 0)
            m->counts[k]++;
        s_entry_add(m, &cap, &e);
    }
    PQclear(q);
    q = NULL;
    if ((rc = sl_db_exec(db, &q,
                         "SELECT u.code, coalesce(d.name, u.name),"
                         " coalesce(r.figures->'six_lists', '{}')::text, r.body,"
                         " r.id IS NOT NULL, coalesce(r.on_time, false)"
                         " FROM unit u LEFT JOIN division d ON d.code = u.division"
                         " LEFT JOIN report r ON r.kind = 'monthly' AND r.from_unit = u.code"
                         "  AND r.period = $1 WHERE u.kind = 'child' ORDER BY u.code",
                         1, p)) != 0)
        goto fail;
    int n = PQntuples(q);
    m->missing = sl_arena_calloc(m->arena, (size_t)(n + 1) * sizeof *m->missing);
    for (int i = 0; i < n; i++) {
        if (!s_child_seen(m->arena, q, i, m->missing, &m->n_missing))
            continue;
        const char *name = sl_arena_strdup(m->arena, PQgetvalue(q, i, 1));
        s_json_counts(PQgetvalue(q, i, 2), s_list_index, m->counts, true);
        size_t len;
        unsigned char *raw = PQunescapeBytea((const unsigned char *)PQgetvalue(q, i, 3), &len);
        const sl_pb_monthly_report_t *mr =
            raw ? (const sl_pb_monthly_report_t *)sl_codec_unpack(
                      m->arena, &safeloop__v1__monthly_report__descriptor, raw, len)
                : NULL;
        for (size_t k = 0; mr && k < mr->n_entries; k++) {
            const Safeloop__V1__SixListEntry *se = mr->entries[k];
            sl_rollup_entry_t e = {se->list,    se->item,    se->case_no,      "",
                                   se->unit,    "",          se->subject_name, se->entry_date,
                                   se->details, se->persons, se->amount_fen,   name};
            s_entry_add(m, &cap, &e);
        }
        PQfreemem(raw);
    }
    PQclear(q);
    *out = m;
    return 0;
fail:
    PQclear(q);
    sl_rollup_month_destroy(&m);
    return rc;
}

/* The day's figures grouped by GROUP (an SQL expression over case c). */
static int
s_day_rows(sl_db_t *db, sl_rollup_day_t *d, const char *group, const char *const *p,
           sl_rollup_day_row_t **rows, size_t *n)
{
    char sql[2048];
    snprintf(sql, sizeof sql,
             "SELECT g, sum(a), sum(b), sum(f), sum(o), sum(e) FROM ("
             " SELECT %1$s AS g, 1 AS a, 0 AS b, 0 AS f, 0 AS o, 0 AS e FROM cases c"
             "  WHERE c.registered_at >= $1::timestamptz AND c.registered_at < $2::timestamptz"
             " UNION ALL SELECT %1$s, 0, 1, 0, 0, 0 FROM transfer t JOIN cases c"
             "  ON c.id = t.case_id WHERE t.issued_at >= $1::timestamptz"
             "  AND t.issued_at < $2::timestamptz"
             " UNION ALL SELECT %1$s, 0, 0, 1, 0, 0 FROM transfer t JOIN cases c"
             "  ON c.id = t.case_id WHERE t.fed_back_at >= $1::timestamptz"
             "  AND t.fed_back_at < $2::timestamptz"
             " UNION ALL SELECT %1$s, 0, 0, 0, 1, 0 FROM transfer t JOIN cases c"
             "  ON c.id = t.case_id WHERE t.state IN ('issued', 'received', 'objected',"
             "  'in_progress') AND t.feedback_deadline < $3::date"
             " UNION ALL SELECT %1$s, 0, 0, 0, 0, 1 FROM transfer_escalation x JOIN cases c"
             "  ON c.id = x.case_id WHERE x.marked_at >= $1::timestamptz"
             "  AND x.marked_at < $2::timestamptz"
             ") z GROUP BY g ORDER BY g",
             group);
    PGresult *q;
    int rc = sl_db_exec(db, &q, sql, 3, p);
    if (rc != 0)
        return rc;
    *n = (size_t)PQntuples(q);
    *rows = sl_arena_calloc(d->arena, (*n + 1) * sizeof **rows);
    for (size_t i = 0; i < *n; i++) {
        sl_rollup_day_row_t *r = &(*rows)[i];
        r->label = sl_arena_strdup(d->arena, PQgetvalue(q, (int)i, 0));
        r->clues = atoll(PQgetvalue(q, (int)i, 1));
        r->transfers = atoll(PQgetvalue(q, (int)i, 2));
        r->answers = atoll(PQgetvalue(q, (int)i, 3));
        r->overdue = atoll(PQgetvalue(q, (int)i, 4));
        r->escalated = atoll(PQgetvalue(q, (int)i, 5));
    }
    PQclear(q);
    return 0;
}

int
sl_rollup_daily(sl_db_t *db, int32_t day, sl_rollup_day_t **out)
{
    *out = NULL;
    sl_rollup_day_t *d = sl_calloc(1, sizeof *d);
    d->arena = sl_arena_new(0);
    sl_date_format(day, d->day);
    char from[40], to[40];
    s_bounds(day, day + 1, from, to);
    const char *p[] = {from, to, d->day};
    int rc = s_node(db, d->arena, &d->node, &d->node_name, &d->level);
    if (rc == 0)
        rc = s_day_rows(db, d,
                        "coalesce((SELECT name FROM division WHERE code = c.division), c.division)",
                        p, &d->by_county, &d->n_county);
    if (rc == 0)
        rc = s_day_rows(db, d, "coalesce((SELECT name FROM sector WHERE code = c.sector), '')", p,
                        &d->by_sector, &d->n_sector);
    if (rc != 0) {
        sl_rollup_day_destroy(&d);
        return rc;
    }
    d->total.label = "合计";
    for (size_t i = 0; i < d->n_county; i++) {
        d->total.clues += d->by_county[i].clues;
        d->total.transfers += d->by_county[i].transfers;
        d->total.answers += d->by_county[i].answers;
        d->total.overdue += d->by_county[i].overdue;
        d->total.escalated += d->by_county[i].escalated;
    }
    *out = d;
    return 0;
}

void
sl_rollup_day_destroy(sl_rollup_day_t **p)
{
    if (!*p)
        return;
    sl_arena_destroy(&(*p)->arena);
    free(*p);
    *p = NULL;
}

void
sl_rollup_month_destroy(sl_rollup_month_t **p)
{
    if (!*p)
        return;
    free((*p)->entries);
    sl_arena_destroy(&(*p)->arena);
    free(*p);
    *p = NULL;
}

void
sl_rollup_report_destroy(sl_rollup_report_t **p)
{
    if (!*p)
        return;
    free((*p)->rows);
    free((*p)->items);
    sl_arena_destroy(&(*p)->arena);
    free(*p);
    *p = NULL;
}

int
sl_rollup_typical_make(sl_db_t *db, const char *case_no, const sl_rollup_typical_t *t,
                       const char *operator_name, int64_t now_ms)
{
    if (!t->title || !t->title[0] || !t->facts || !t->facts[0] || !t->keywords || !t->keywords[0]) {
        sl_log(SL_LOG_ERROR, "case=%s typical case needs title, keywords and facts", case_no);
        return SL_DECLINED;
    }
    size_t words = 1;
    for (const char *s = t->keywords; (s = strstr(s, "、")) != NULL; s += strlen("、"))
        words++;
    if (words < 3 || words > 5) {
        sl_log(SL_LOG_ERROR, "case=%s typical case needs 3 to 5 keywords separated by 、, has %zu",
               case_no, words);
        return SL_DECLINED;
    }
    char at[40];
    sl_time_format_iso(now_ms, at, sizeof at);
#define S(x) ((x) ? (x) : "")
    const char *p[] = {
        case_no,         t->title,       t->keywords,  S(t->summary),           t->facts,
        S(t->outcome),   S(t->analysis), S(t->advice), t->negative ? "t" : "f", at,
        S(operator_name)};
#undef S
    PGresult *q;
    int rc = sl_db_exec(
        db, &q,
        "INSERT INTO typical_case (case_id, title, keywords, summary, facts, outcome, analysis,"
        " advice, negative, made_at, operator)"
        " SELECT id, $2, $3, $4, $5, $6, $7, $8, $9::bool, $10::timestamptz, $11 FROM cases"
        " WHERE case_no = $1"
        " ON CONFLICT (case_id) DO UPDATE SET title = excluded.title,"
        "  keywords = excluded.keywords, summary = excluded.summary, facts = excluded.facts,"
        "  outcome = excluded.outcome, analysis = excluded.analysis, advice = excluded.advice,"
        "  negative = excluded.negative, made_at = excluded.made_at,"
        "  operator = excluded.operator RETURNING id",
        11, p);
    if (rc != 0)
        return rc;
    bool made = PQntuples(q) > 0;
    PQclear(q);
    if (!made) {
        sl_log(SL_LOG_ERROR, "case=%s no such case", case_no);
        return SL_DECLINED;
    }
    return 0;
}
