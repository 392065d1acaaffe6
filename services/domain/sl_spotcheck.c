/* sl_spotcheck.c — the city's spot checks of its counties' inspections (抽查, R83).
 *
 * The sample is pure (splitmix64 from the stored seed); the draw, the results,
 * the 约谈问责 list and sending a result down are the only SQL on their tables.
 * See sl_spotcheck.h. */
#include "sl_spotcheck.h"

#include "sl_audit.h"
#include "sl_clock.h"
#include "sl_federation.h"
#include "sl_inspection.h"
#include "sl_log.h"
#include "sl_util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- the sample (pure) ------------------------------------------------------- */

size_t
sl_spotcheck_size(size_t n, int share)
{
    if (n == 0 || share <= 0)
        return 0;
    size_t k = (n * (size_t)(share > 100 ? 100 : share) + 99) / 100;
    return k < 1 ? 1 : k > n ? n : k;
}

/* splitmix64: a small, well-mixed generator whose stream the seed fixes. */
static uint64_t
s_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Fisher–Yates over V[0..N) with STATE. */
static void
s_shuffle(size_t *v, size_t n, uint64_t *state)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(s_next(state) % i);
        size_t t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

size_t
sl_spotcheck_sample(const char *const *townships, size_t n, int share, uint64_t seed, size_t *out)
{
    size_t k = sl_spotcheck_size(n, share);
    if (k == 0)
        return 0;
    /* group[i]: the township group of unit i, groups numbered by first appearance */
    size_t *group = sl_calloc(n, sizeof *group);
    size_t *first = sl_calloc(n, sizeof *first); /* first unit of each group */
    size_t ngroups = 0;
    for (size_t i = 0; i < n; i++) {
        size_t g = 0;
        while (g < ngroups && strcmp(townships[first[g]], townships[i]) != 0)
            g++;
        if (g == ngroups)
            first[ngroups++] = i;
        group[i] = g;
    }
    /* members of each group, contiguous: start[g] .. start[g+1] in byg */
    size_t *start = sl_calloc(ngroups + 1, sizeof *start);
    size_t *byg = sl_calloc(n, sizeof *byg);
    for (size_t i = 0; i < n; i++)
        start[group[i] + 1]++;
    for (size_t g = 0; g < ngroups; g++)
        start[g + 1] += start[g];
    size_t *fill = sl_calloc(ngroups, sizeof *fill);
    for (size_t i = 0; i < n; i++)
        byg[start[group[i]] + fill[group[i]]++] = i;
    uint64_t state = seed;
    for (size_t g = 0; g < ngroups; g++)
        s_shuffle(byg + start[g], start[g + 1] - start[g], &state);
    size_t *order = sl_calloc(ngroups, sizeof *order);
    for (size_t g = 0; g < ngroups; g++)
        order[g] = g;
    s_shuffle(order, ngroups, &state);
    size_t m = 0;
    for (size_t round = 0; m < k; round++)
        for (size_t j = 0; j < ngroups && m < k; j++) {
            size_t g = order[j];
            if (start[g] + round < start[g + 1])
                out[m++] = byg[start[g] + round];
        }
    free(group);
    free(first);
    free(start);
    free(byg);
    free(fill);
    free(order);
    return m;
}

int
sl_spotcheck_validate(const sl_pb_spot_check_t *sc, sl_codec_error_t *err)
{
    int32_t day;
    if (!sc->inspection_key || !*sc->inspection_key) {
        sl_codec_error_set(err, SL_ERR_MISSING_FIELD, "inspection_key", "缺少所抽查的检查记录");
        return SL_DECLINED;
    }
    if (!sc->checking_body || !*sc->checking_body) {
        sl_codec_error_set(err, SL_ERR_MISSING_FIELD, "checking_body", "缺少抽查主体");
        return SL_DECLINED;
    }
    if (!sc->checked_on || sl_date_parse(sc->checked_on, &day) != 0) {
        sl_codec_error_set(err, SL_ERR_BAD_FIELD, "checked_on", "抽查日期须为 YYYY-MM-DD");
        return SL_DECLINED;
    }
    return 0;
}

const char *
sl_spotcheck_missed(bool insp_found, bool insp_punished, bool sc_found, bool sc_should_punish)
{
    bool unfound = sc_found && !insp_found;
    bool unpunished = sc_should_punish && !insp_punished;
    return unfound && unpunished ? "应发现未发现、应处罚未处罚"
           : unfound             ? "应发现未发现"
           : unpunished          ? "应处罚未处罚"
                                 : NULL;
}

/* --- the draw ---------------------------------------------------------------- */

typedef struct {
    char **ids;       /* inspection ids */
    char **townships; /* their township keys */
    size_t n;
} s_pop_t;

static void
s_pop_row(void *arg, const char *const *cols)
{
    s_pop_t *p = arg;
    p->ids = sl_realloc(p->ids, (p->n + 1) * sizeof *p->ids);
    p->townships = sl_realloc(p->townships, (p->n + 1) * sizeof *p->townships);
    p->ids[p->n] = sl_strdup(cols[0]);
    p->townships[p->n++] = sl_strdup(cols[1]);
}

static void
s_pop_free(s_pop_t *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->ids[i]);
        free(p->townships[i]);
    }
    free(p->ids);
    free(p->townships);
}

int
sl_spotcheck_draw(sl_db_t *db, const char *division, int sector, int share, uint64_t seed,
                  const char *operator_name, int64_t now_ms, int64_t *draw_id, size_t *picked,
                  size_t *population)
{
    s_pop_t pop = {0};
    size_t *out = NULL;
    PGresult *r = NULL;
    char sec[8], shr[8], sd[24], at[48], pops[24];
    snprintf(sec, sizeof sec, "%d", sector);
    snprintf(shr, sizeof shr, "%d", share);
    snprintf(sd, sizeof sd, "%" PRId64, (int64_t)seed); /* bigint keeps the bits */
    sl_time_format_iso(now_ms, at, sizeof at);
    int rc = sl_db_begin(db);
    if (rc != 0)
        return rc;
    /* one unit per credit code (its latest inspection), in a stable order */
    const char *p1[] = {division, sec};
    if ((rc = sl_db_rows(db,
                         "SELECT id, township_key FROM (SELECT DISTINCT ON (credit_code) id,"
                         " township_key FROM inspection WHERE division = $1"
                         " AND sector = $2::smallint"
                         " ORDER BY credit_code, inspected_on DESC, id DESC) u ORDER BY id",
                         2, p1, s_pop_row, &pop)) != 0)
        goto fail;
    out = sl_calloc(pop.n ? pop.n : 1, sizeof *out);
    *picked = sl_spotcheck_sample((const char *const *)pop.townships, pop.n, share, seed, out);
    *population = pop.n;
    snprintf(pops, sizeof pops, "%zu", pop.n);
    const char *p2[] = {division, sec, shr, sd, pops, at, operator_name ? operator_name : ""};
    if ((rc = sl_db_exec(db, &r,
                         "INSERT INTO spot_draw (division, sector, share, seed, population,"
                         " drawn_at, operator) VALUES ($1, $2::smallint, $3::int, $4::bigint,"
                         " $5::int, $6::timestamptz, $7) RETURNING id",
                         7, p2)) != 0)
        goto fail;
    *draw_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    char did[24];
    snprintf(did, sizeof did, "%" PRId64, *draw_id);
    PQclear(r);
    r = NULL;
    sl_buf_t ids;
    sl_buf_init(&ids);
    sl_db_array_begin(&ids);
    for (size_t i = 0; i < *picked; i++)
        sl_db_array_add(&ids, pop.ids[out[i]]);
    sl_db_array_end(&ids);
    const char *p3[] = {did, ids.data};
    rc = sl_db_exec(
        db, NULL,
        "INSERT INTO spot_draw_item (draw_id, pos, inspection_id)"
        " SELECT $1::bigint, o, id FROM unnest($2::bigint[]) WITH ORDINALITY AS u(id, o)",
        2, p3);
    sl_buf_free(&ids);
    if (rc != 0)
        goto fail;
    char subject[40];
    snprintf(subject, sizeof subject, "spot_draw:%s", did);
    sl_actor_t actor = {.key = "slctl", .operator_name = operator_name};
    if ((rc = sl_audit_append_subject(db, subject, now_ms, "drawn", &actor,
                                      json_pack("{s:s, s:i, s:i, s:s, s:i, s:i}", "division",
                                                division, "sector", sector, "share", share, "seed",
                                                sd, "population", (int)pop.n, "picked",
                                                (int)*picked))) != 0)
        goto fail;
    rc = sl_db_commit(db);
    if (rc != 0)
        goto fail;
    s_pop_free(&pop);
    free(out);
    return 0;
fail:
    sl_log(SL_LOG_ERROR, "could not draw a spot-check sample of %s: %s", division, sl_db_error(db));
    PQclear(r);
    sl_db_rollback(db);
    s_pop_free(&pop);
    free(out);
    return rc;
}

int
sl_spotcheck_draw_get(sl_db_t *db, int64_t draw_id, char division[16], int *sector, int *share,
                      uint64_t *seed)
{
    char did[24];
    snprintf(did, sizeof did, "%" PRId64, draw_id);
    const char *p[] = {did};
    PGresult *r = NULL;
    int rc = sl_db_exec(
        db, &r, "SELECT division, sector, share, seed FROM spot_draw WHERE id = $1::bigint", 1, p);
    if (rc != 0)
        return rc;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return 1;
    }
    snprintf(division, 16, "%s", PQgetvalue(r, 0, 0));
    *sector = atoi(PQgetvalue(r, 0, 1));
    *share = atoi(PQgetvalue(r, 0, 2));
    *seed = (uint64_t)strtoll(PQgetvalue(r, 0, 3), NULL, 10);
    PQclear(r);
    return 0;
}

int
sl_spotcheck_draw_rows(sl_db_t *db, int64_t draw_id, sl_db_row_cb *cb, void *arg)
{
    char did[24];
    snprintf(did, sizeof did, "%" PRId64, draw_id);
    const char *p[] = {did};
    return sl_db_rows(db,
                      "SELECT d.pos, i.key, i.unit_name, i.township, i.inspecting_body,"
                      " i.inspected_on::text FROM spot_draw_item d"
                      " JOIN inspection i ON i.id = d.inspection_id"
                      " WHERE d.draw_id = $1::bigint ORDER BY d.pos",
                      1, p, cb, arg);
}

/* --- results and the 约谈问责 list --------------------------------------------- */

int
sl_spotcheck_apply(sl_db_t *db, const char *node, int64_t now_ms, const sl_pb_envelope_t *env,
                   const char *sender, sl_apply_result_t *res)
{
    const sl_pb_spot_check_t *sc = env->spot_check;
    memset(res, 0, sizeof *res);
    char at[48];
    sl_time_format_iso(now_ms, at, sizeof at);
    PGresult *r = NULL;
    const char *p1[] = {sc->inspection_key};
    int rc = sl_db_exec(db, &r,
                        "SELECT id, problem_found, punished, inspecting_body, division,"
                        " origin_node FROM inspection WHERE key = $1 FOR UPDATE",
                        1, p1);
    if (rc != 0)
        return rc;
    if (PQntuples(r) != 1) {
        PQclear(r);
        sl_codec_error_set(&res->err, SL_ERR_BAD_FIELD, "inspection_key",
                           "没有该检查记录：“%.120s”", sc->inspection_key);
        return SL_DECLINED;
    }
    char insp_id[24], body[256], division[16], origin[16];
    snprintf(insp_id, sizeof insp_id, "%s", PQgetvalue(r, 0, 0));
    bool found = PQgetvalue(r, 0, 1)[0] == 't', punished = PQgetvalue(r, 0, 2)[0] == 't';
    snprintf(body, sizeof body, "%s", PQgetvalue(r, 0, 3));
    snprintf(division, sizeof division, "%s", PQgetvalue(r, 0, 4));
    snprintf(origin, sizeof origin, "%s", PQgetvalue(r, 0, 5));
    PQclear(r);
    r = NULL;
    const char *p2[] = {insp_id,
                        sc->checked_on,
                        sc->checking_body,
                        sc->findings ? sc->findings : "",
                        sc->problem_found ? "t" : "f",
                        sc->should_punish ? "t" : "f",
                        sc->from_unit ? sc->from_unit : "",
                        env->msg_id,
                        at};
    if ((rc = sl_db_exec(db, &r,
                         "INSERT INTO spot_check (inspection_id, checked_on, checking_body,"
                         " findings, problem_found, should_punish, from_unit, msg_id, recorded_at)"
                         " VALUES ($1::bigint, $2::date, $3, $4, $5::bool, $6::bool, $7, $8,"
                         " $9::timestamptz) ON CONFLICT DO NOTHING RETURNING id",
                         (int)SL_ARRAY_LEN(p2), p2)) != 0)
        return rc;
    if (PQntuples(r) != 1) {
        PQclear(r);
        sl_codec_error_set(&res->err, SL_ERR_BAD_FIELD, "checked_on",
                           "该抽查结果已登记（同一检查记录、同一日期、同一抽查主体）");
        return SL_DECLINED;
    }
    char sc_id[24];
    snprintf(sc_id, sizeof sc_id, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    r = NULL;
    snprintf(res->ref, sizeof res->ref, "spot_check:%s", sc_id);
    res->topic = "spot_check.recorded";
    char subject[SL_INSPECTION_SUBJECT_MAX];
    snprintf(subject, sizeof subject, "inspection:%s", sc->inspection_key);
    sl_actor_t actor = {.key = sender,
                        .unit = sc->from_unit && *sc->from_unit ? sc->from_unit : node,
                        .msg_id = env->msg_id};
    if ((rc = sl_audit_append_subject(
             db, subject, now_ms, "spot_checked", &actor,
             json_pack("{s:s, s:s, s:b, s:b}", "body", sc->checking_body, "on", sc->checked_on,
                       "problem_found", sc->problem_found, "should_punish", sc->should_punish))) !=
        0)
        return rc;
    const char *why = sl_spotcheck_missed(found, punished, sc->problem_found, sc->should_punish);
    if (why) {
        const char *p3[] = {sc_id, insp_id, body, division, why, at};
        if ((rc = sl_db_exec(db, &r,
                             "INSERT INTO interview_entry (spot_check_id, inspection_id,"
                             " inspecting_body, division, reason, created_at)"
                             " VALUES ($1::bigint, $2::bigint, $3, $4, $5, $6::timestamptz)"
                             " RETURNING id",
                             6, p3)) != 0)
            return rc;
        snprintf(res->ref, sizeof res->ref, "interview:%s", PQgetvalue(r, 0, 0));
        PQclear(r);
        res->topic = "interview.listed";
        if ((rc = sl_audit_append_subject(db, subject, now_ms, "interview_listed", &actor,
                                          json_pack("{s:s, s:s}", "body", body, "reason", why))) !=
            0)
            return rc;
    }
    if (origin[0]) {
        /* the county that inspected gets the result */
        sl_pb_envelope_t down = SL_PB_ENVELOPE_INIT;
        sl_pb_spot_check_t copy = *sc;
        copy.from_unit = (char *)node;
        down.body_case = SAFELOOP__V1__ENVELOPE__BODY_SPOT_CHECK;
        down.spot_check = &copy;
        char id[37];
        if ((rc = sl_fed_send(db, node, origin, &down, "spot_check", NULL, now_ms, id)) != 0)
            return rc;
    }
    return 0;
}

const char *const *
sl_interview_headers(void)
{
    static const char *const h[SL_INTERVIEW_COLS] = {"编号",       "县（市、区）", "检查主体",
                                                     "被检查单位", "检查日期",     "抽查主体",
                                                     "抽查日期",   "事由"};
    return h;
}

int
sl_interview_rows(sl_db_t *db, sl_db_row_cb *cb, void *arg)
{
    return sl_db_rows(db,
                      "SELECT e.id, d.name, e.inspecting_body, i.unit_name, i.inspected_on::text,"
                      " s.checking_body, s.checked_on::text, e.reason FROM interview_entry e"
                      " JOIN inspection i ON i.id = e.inspection_id"
                      " JOIN spot_check s ON s.id = e.spot_check_id"
                      " JOIN division d ON d.code = e.division ORDER BY e.id",
                      0, NULL, cb, arg);
}
