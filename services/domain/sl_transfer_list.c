/* sl_transfer_list.c — forming transfer lists and issuing transfers (part of the transfer module).
 *
 * One transaction per list (sl_transfer_form_list): claim the registered
 * cases, number the list and each notice gap-free, compute the deadlines,
 * write the transfers, move each case to "transferred", audit, and for a child
 * that runs its own node put the Transfer envelope in the outbox. A transfer
 * is also issued anew after an accepted objection (sl__transfer_issue, from
 * sl_transfer_answer.c). Lock order, everywhere: transfer row, case row,
 * counter row — and a list formation skips case rows others hold — so
 * dispatchers and intake cannot deadlock. */
#include "sl_transfer_int.h"

#include "sl_audit.h"
#include "sl_case.h"
#include "sl_clock.h"
#include "sl_deadline.h"
#include "sl_log.h"
#include "sl_outbox.h"
#include "sl_sector.h"
#include "sl_supervision.h"
#include "sl_transfer_fsm.h"
#include "sl_unit.h"
#include "sl_util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The key of the transaction-scoped advisory lock list formation takes. */
#define S_FORM_LOCK "7341000000000000001"
#define S_MAX_LIST 10000
#define S_STOPPED 1 /* internal: OPTS->stop said stop, roll the list back */

/* S_STOPPED if OPTS->stop says stop, else 0. */
static int
s_stop(const sl_transfer_form_opts_t *opts)
{
    return opts->stop && opts->stop(opts->stop_arg) ? S_STOPPED : 0;
}

static const char *
s_or(const char *s, const char *def)
{
    return s ? s : def;
}

/* The Transfer envelope for a child that runs its own node, into B: CLUE and
 * V are the case's (sl_case_clue / sl_case_clue_of, the row read once). */
static void
s_outbox_transfer(sl_outbox_batch_t *b, const char *node, int64_t now_ms, sl_pb_clue_t *clue,
                  const sl_case_view_t *v, const char *case_no, const char *notice_no,
                  const char *list_no, const char *unit_code, const char *tdate, const char *odate,
                  const char *fdate)
{
    clue->channel = SAFELOOP__V1__CLUE_REPORT__CHANNEL__UPPER_TRANSFER;
    clue->origin_node = (char *)node;
    clue->upper_case_no = (char *)case_no;
    clue->upper_notice_no = (char *)notice_no;
    sl_pb_transfer_t t = SAFELOOP__V1__TRANSFER__INIT;
    t.notice_no = (char *)notice_no;
    t.from_unit = (char *)node;
    t.from_office = (char *)v->node_office;
    t.at = now_ms;
    t.case_no = (char *)case_no;
    t.list_no = (char *)list_no;
    t.to_unit = (char *)unit_code;
    t.transfer_date = (char *)tdate;
    t.objection_deadline = (char *)odate;
    t.feedback_deadline = (char *)fdate;
    t.clue = clue;
    t.repeat_count = v->repeat_count; /* 反复举报, counted on at the child */
    sl_pb_envelope_t env = SL_PB_ENVELOPE_INIT;
    char id[37];
    sl_uuid(id);
    env.msg_id = id;
    env.producer = (char *)node;
    env.sent_at = now_ms;
    env.body_case = SAFELOOP__V1__ENVELOPE__BODY_TRANSFER;
    env.transfer = &t;
    size_t len;
    uint8_t *payload = sl_codec_encode_envelope(&env, &len);
    sl_outbox_batch_add(b, unit_code, id, "transfer", payload, len, case_no);
    free(payload);
}

/* The "transferred" event's detail, as stored (the caller frees it). */
static char *
s_issued_detail(const char *notice_no, const char *unit_code, const char *uname, const char *tdate,
                const char *odate, const char *fdate, bool has_node, const char *list_no,
                const char *replaces_no, const char *warn, const char *kind, bool handling,
                const char *upper_fdate, bool upper_late)
{
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "notice_no", notice_no, "unit", unit_code,
                  "unit_name", uname, "transfer_date", tdate, "objection_deadline", odate,
                  "feedback_deadline", fdate, "delivery", has_node ? "outbox" : "event");
    if (list_no && *list_no)
        json_object_set_new(o, "list_no", json_string(list_no));
    if (replaces_no && *replaces_no)
        json_object_set_new(o, "replaces", json_string(replaces_no));
    if (*warn)
        json_object_set_new(o, "calendar_warning", json_string(warn));
    if (!handling)
        json_object_set_new(o, "kind", json_string(kind));
    if (*upper_fdate)
        json_object_set_new(o, "upper_feedback_deadline", json_string(upper_fdate));
    if (upper_late)
        json_object_set_new(o, "upper_late", json_true());
    char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
    json_decref(o);
    return text;
}

static void
s_log_issued(const char *case_no, const char *notice_no, const char *unit_code, const char *odate,
             const char *fdate, const char *warn, const char *upper_fdate, bool upper_late)
{
    if (upper_late)
        sl_log(SL_LOG_WARN,
               "case=%s arrived after the upper deadline %s less the margin: its unit %s is due "
               "on the upper deadline itself",
               case_no, upper_fdate, unit_code);
    sl_log(SL_LOG_INFO,
           "case=%s notice=%s unit=%s transfer issued, objection by %s, "
           "feedback by %s%s",
           case_no, notice_no, unit_code, odate, fdate, *warn ? " (calendar warning)" : "");
}

int
sl__transfer_issue(sl_db_t *db, const sl_calendar_t *cal, const char *node, int64_t now_ms,
                   int64_t case_id, const char *case_no, int sector, const char *unit_code,
                   int64_t list_id, const char *list_no, int64_t replaces, const char *replaces_no,
                   const sl_actor_t *actor, char *notice_no, int64_t *transfer_id, const char *kind,
                   int upper_margin)
{
    char uname[256];
    bool has_node = false;
    int rc = sl_unit_get(db, unit_code, uname, sizeof uname, &has_node);
    if (rc != 0) {
        if (rc == 1)
            sl_log(SL_LOG_ERROR, "case=%s unit %s is not in the unit registry", case_no, unit_code);
        return rc == 1 ? -1 : rc;
    }
    const sl_sector_t *sec = sl_sector_by_value(sector);
    if (!sec) {
        sl_log(SL_LOG_ERROR, "case=%s has no known sector (%d)", case_no, sector);
        return -1;
    }
    int32_t tday = sl_ms_to_day(now_ms), oday, fday;
    int y, m, d, unknown;
    sl_date_ymd(tday, &y, &m, &d);
    sl_transfer_deadlines(cal, tday, -1, &oday, &fday, &unknown);
    bool handling = strcmp(kind, "handling") == 0, upper_late = false;
    char upper_fdate[11] = "";
    if (handling || strcmp(kind, "supervision") == 0) { /* the copy is due with its handling */
        sl_case_view_t v;
        if ((rc = sl_case_get(db, case_no, &v)) != 0)
            return rc == 1 ? -1 : rc;
        sl_deadline_under_upper(cal, tday, v.upper_objection, v.upper_feedback, upper_margin, &oday,
                                &fday, &upper_late, &unknown);
        if (v.upper_feedback >= 0)
            sl_date_format(v.upper_feedback, upper_fdate);
    }
    long long seq;
    if ((rc = sl_case_next_seq(db, "notice", y, sec->short_zh, &seq)) != 0)
        return rc;
    sl_transfer_notice_number(notice_no, 64, sec->short_zh, y, seq);
    char tdate[11], odate[11], fdate[11], warn[256], at[40], sy[16], ss[8], sq[24], cid[24],
        lid[24], rid[24];
    sl_date_format(tday, tdate);
    sl_date_format(oday, odate);
    sl_date_format(fday, fdate);
    sl_transfer_calendar_warning(unknown, warn, sizeof warn);
    sl_time_format_iso(now_ms, at, sizeof at);
    snprintf(sy, sizeof sy, "%d", y);
    snprintf(ss, sizeof ss, "%d", sector);
    snprintf(sq, sizeof sq, "%lld", seq);
    snprintf(cid, sizeof cid, "%lld", (long long)case_id);
    snprintf(lid, sizeof lid, "%lld", (long long)list_id);
    snprintf(rid, sizeof rid, "%lld", (long long)replaces);
    const char *p[] = {notice_no, sy,
                       ss,        sq,
                       cid,       list_id ? lid : NULL,
                       unit_code, has_node ? "outbox" : "event",
                       tdate,     at,
                       odate,     fdate,
                       warn,      replaces ? rid : NULL,
                       kind};
    PGresult *r;
    rc = sl_db_exec(db, &r,
                    "INSERT INTO transfer (notice_no, year, sector, seq, case_id, list_id,"
                    " unit_code, delivery, state, transfer_date, issued_at, objection_deadline,"
                    " feedback_deadline, calendar_warning, replaces, kind)"
                    " VALUES ($1, $2::int, $3::smallint, $4::int, $5::bigint, $6::bigint, $7, $8,"
                    " 'issued', $9::date, $10::timestamptz, $11::date, $12::date, $13, $14::bigint,"
                    " $15)"
                    " RETURNING id",
                    15, p);
    if (rc != 0)
        return rc;
    *transfer_id = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    if (handling && (rc = sl_case_set_status(db, case_id, sl_transfer_case_status(SL_TS_ISSUED),
                                             unit_code)) != 0)
        return rc;
    char *detail =
        s_issued_detail(notice_no, unit_code, uname, tdate, odate, fdate, has_node, list_no,
                        replaces_no, warn, kind, handling, upper_fdate, upper_late);
    sl_audit_event_t ev = {.at_ms = now_ms,
                           .kind = "transferred",
                           .actor_key = actor->key ? actor->key : "",
                           .actor_unit = actor->unit ? actor->unit : "",
                           .operator= actor->operator_name ? actor->operator_name : "",
                           .msg_id = actor->msg_id ? actor->msg_id : "",
                           .detail = detail};
    rc = sl_audit_append(db, case_id, &ev);
    free(detail);
    if (rc != 0)
        return rc;
    if (has_node) {
        sl_arena_t *a = sl_arena_new(0);
        sl_pb_clue_t *clue;
        sl_case_view_t v; /* the same row: repeat count, the node's office */
        rc = sl_case_clue(db, case_no, now_ms, true, a, &clue, &v);
        if (rc == 1)
            sl_log(SL_LOG_ERROR, "case=%s vanished while issuing %s", case_no, notice_no);
        if (rc == 0) {
            sl_outbox_batch_t b;
            sl_outbox_batch_init(&b);
            s_outbox_transfer(&b, node, now_ms, clue, &v, case_no, notice_no,
                              list_no ? list_no : "", unit_code, tdate, odate, fdate);
            rc = sl_outbox_batch_flush(db, &b, now_ms);
            sl_outbox_batch_free(&b);
        }
        sl_arena_destroy(&a);
        rc = rc == 1 ? -1 : rc;
    }
    if (rc == 0)
        s_log_issued(case_no, notice_no, unit_code, odate, fdate, warn, upper_fdate, upper_late);
    return rc;
}
/* 挂牌督办 of a major-hazard case just put on a list (R34, R62; DESIGN.md
 * "Where levels meet"): handled at this level, it is listed without a
 * command; handed to a lower government, this level's lead department for
 * the sector gets the supervising copy, a transfer of kind supervision due
 * with the lower government's feedback. *ISSUED grows by the copy. */
static int
s_supervise(sl_db_t *db, const sl_calendar_t *cal, const char *node, int64_t now_ms,
            const sl_case_claim_t *c, int64_t list_id, const char *list_no,
            const sl_transfer_form_opts_t *opts, const sl_actor_t *actor, long *issued)
{
    bool below = strchr(c->unit_code, ':') == NULL; /* a child government, not a department */
    if (!below) {
        char leader[128], title[64];
        sl__supervision_leader(opts->cfg, c->sector, leader, sizeof leader, title, sizeof title);
        bool listed;
        return sl_supervision_list_auto(db, c->id, now_ms, leader, title, actor, &listed);
    }
    return sl__transfer_supervision_copy(db, cal, node, now_ms, c->id, c->case_no, c->sector,
                                         list_id, list_no, actor, opts->upper_margin, issued);
}

/* The two transfers (两移交) of a case just put on a list, as its flags
 * (suspected_crime, suspected_dereliction) ask and the once-per-clue rule
 * allows (sl__transfer_issue_two), and its 挂牌督办 if it has a major hazard
 * or is listed already (s_supervise: listed here, or the copy when it goes
 * to a lower government). *ISSUED grows by the transfers issued. */
static int
s_issue_two(sl_db_t *db, const sl_calendar_t *cal, const char *node, int64_t now_ms,
            const sl_case_claim_t *c, int64_t list_id, const char *list_no,
            const sl_transfer_form_opts_t *opts, const sl_actor_t *actor, long *issued)
{
    sl_case_view_t v;
    int rc = sl_case_get(db, c->case_no, &v);
    if (rc == 1) {
        sl_log(SL_LOG_ERROR, "case=%s vanished while forming its list", c->case_no);
        return -1;
    }
    if (rc != 0)
        return rc;
    if ((rc = sl__transfer_issue_two(db, cal, node, now_ms, c->id, c->case_no, c->sector,
                                     v.suspected_crime, v.suspected_dereliction, list_id, list_no,
                                     actor, issued, NULL)) != 0)
        return rc;
    /* a major hazard, or a case the office listed by hand before its list */
    return v.major_hazard || v.supervised
               ? s_supervise(db, cal, node, now_ms, c, list_id, list_no, opts, actor, issued)
               : 0;
}

/* A unit's name and delivery, looked up once per list. */
typedef struct {
    char code[48];  /* unit.code */
    char name[256]; /* unit.name */
    bool has_node;  /* a child that runs its own node: the transfer goes by the outbox */
} s_unit_t;

typedef struct {
    s_unit_t *v;   /* the units met so far */
    size_t n, cap; /* used, allocated */
} s_units_t;

/* Unit CODE from UNITS, looked up on first use: 0 with *OUT, -1 (logged) if it
 * is not in the registry, SL_AGAIN. */
static int
s_unit(sl_db_t *db, s_units_t *units, const char *code, const char *case_no, const s_unit_t **out)
{
    for (size_t k = 0; k < units->n; k++) {
        if (strcmp(units->v[k].code, code) == 0) {
            *out = &units->v[k];
            return 0;
        }
    }
    if (units->n == units->cap) {
        units->cap = units->cap ? units->cap * 2 : 16;
        units->v = sl_realloc(units->v, units->cap * sizeof *units->v);
    }
    s_unit_t *u = &units->v[units->n];
    snprintf(u->code, sizeof u->code, "%s", code);
    int rc = sl_unit_get(db, code, u->name, sizeof u->name, &u->has_node);
    if (rc != 0) {
        if (rc == 1)
            sl_log(SL_LOG_ERROR, "case=%s unit %s is not in the unit registry", case_no, code);
        return rc == 1 ? -1 : rc;
    }
    *out = &units->v[units->n++];
    return 0;
}

/* What a set-based run writes for one transfer. */
enum { R_NOTICE, R_SECTOR, R_SEQ, R_CASE, R_UNIT, R_DELIVERY, R_ODATE, R_FDATE, R_WARN, R_N };

/* Issues the handling transfers of the N cases C (none with two transfers or
 * 挂牌督办 to follow), set-based: the notice numbers reserved per sector in
 * one statement each, the transfers inserted in one, the "transferred"
 * events in one (chained by sl_audit_append_many, which moves their heads in
 * one), the cases' status in one, and the envelopes for child nodes in one;
 * the same rows, numbers and events as sl__transfer_issue for each in turn.
 * ROWS[i] is case i's row in FETCHED (sl_case_fetch_many). OPTS->stop is
 * asked before each round trip. 0, -1, SL_AGAIN or S_STOPPED. */
static int
s_issue_run(sl_db_t *db, const sl_calendar_t *cal, const char *node, int64_t now_ms,
            const sl_case_claim_t *c, const int *rows, size_t n, const PGresult *fetched,
            int64_t list_id, const char *list_no, const sl_actor_t *actor,
            const sl_transfer_form_opts_t *opts, s_units_t *units)
{
    int upper_margin = opts->upper_margin;
    int32_t tday = sl_ms_to_day(now_ms);
    int y, m, d, rc = 0;
    sl_date_ymd(tday, &y, &m, &d);
    long count[SL_SECTOR_COUNT + 2] = {0};
    long long next[SL_SECTOR_COUNT + 2] = {0};
    for (size_t i = 0; i < n; i++) {
        if (!sl_sector_by_value(c[i].sector) || c[i].sector > SL_SECTOR_COUNT + 1) {
            sl_log(SL_LOG_ERROR, "case=%s has no known sector (%d)", c[i].case_no, c[i].sector);
            return -1;
        }
        count[c[i].sector]++;
    }
    for (int k = 0; k < SL_SECTOR_COUNT + 2; k++) {
        if (count[k] == 0)
            continue;
        long long last;
        if ((rc = sl_case_next_seqs(db, "notice", y, sl_sector_by_value(k)->short_zh, count[k],
                                    &last)) != 0)
            return rc;
        next[k] = last - count[k] + 1;
    }
    char tdate[11], at[40], sy[16], lid[24];
    sl_date_format(tday, tdate);
    sl_time_format_iso(now_ms, at, sizeof at);
    snprintf(sy, sizeof sy, "%d", y);
    snprintf(lid, sizeof lid, "%lld", (long long)list_id);
    sl_db_cols_t cols;
    sl_db_cols_init(&cols, R_N);
    sl_buf_t *col = cols.col;
    int64_t *ids = sl_calloc(n, sizeof *ids);
    const char **unit_codes = sl_calloc(n, sizeof *unit_codes);
    sl_audit_event_t *evs = sl_calloc(n, sizeof *evs);
    char **details = sl_calloc(n, sizeof *details);
    typedef struct {
        char notice[64], odate[11], fdate[11], warn[256], upper_fdate[11];
        bool upper_late;
    } s_line_t;
    s_line_t *lines = sl_calloc(n, sizeof *lines);
    sl_outbox_batch_t outbox;
    sl_outbox_batch_init(&outbox);
    sl_arena_t *a = sl_arena_new(0);
    for (size_t i = 0; i < n; i++) {
        const s_unit_t *u;
        if ((rc = s_unit(db, units, c[i].unit_code, c[i].case_no, &u)) != 0)
            goto done;
        const sl_sector_t *sec = sl_sector_by_value(c[i].sector);
        s_line_t *l = &lines[i];
        int32_t oday, fday;
        int unknown;
        sl_transfer_deadlines(cal, tday, -1, &oday, &fday, &unknown);
        sl_case_view_t v;
        sl_case_view_of(fetched, rows[i], &v);
        sl_deadline_under_upper(cal, tday, v.upper_objection, v.upper_feedback, upper_margin, &oday,
                                &fday, &l->upper_late, &unknown);
        if (v.upper_feedback >= 0)
            sl_date_format(v.upper_feedback, l->upper_fdate);
        long long seq = next[c[i].sector]++;
        sl_transfer_notice_number(l->notice, sizeof l->notice, sec->short_zh, y, seq);
        sl_date_format(oday, l->odate);
        sl_date_format(fday, l->fdate);
        sl_transfer_calendar_warning(unknown, l->warn, sizeof l->warn);
        sl_db_array_add(&col[R_NOTICE], l->notice);
        sl_db_array_add_int(&col[R_SECTOR], c[i].sector);
        sl_db_array_add_int(&col[R_SEQ], seq);
        sl_db_array_add_int(&col[R_CASE], c[i].id);
        sl_db_array_add(&col[R_UNIT], c[i].unit_code);
        sl_db_array_add(&col[R_DELIVERY], u->has_node ? "outbox" : "event");
        sl_db_array_add(&col[R_ODATE], l->odate);
        sl_db_array_add(&col[R_FDATE], l->fdate);
        sl_db_array_add(&col[R_WARN], l->warn);
        ids[i] = c[i].id;
        unit_codes[i] = c[i].unit_code;
        details[i] = s_issued_detail(l->notice, c[i].unit_code, u->name, tdate, l->odate, l->fdate,
                                     u->has_node, list_no, NULL, l->warn, "handling", true,
                                     l->upper_fdate, l->upper_late);
        evs[i] = (sl_audit_event_t){.at_ms = now_ms,
                                    .kind = "transferred",
                                    .actor_key = actor->key ? actor->key : "",
                                    .actor_unit = actor->unit ? actor->unit : "",
                                    .operator= actor->operator_name ? actor->operator_name : "",
                                    .msg_id = actor->msg_id ? actor->msg_id : "",
                                    .detail = details[i]};
        if (u->has_node) {
            sl_case_view_t cv;
            sl_pb_clue_t *clue = sl_case_clue_of(fetched, rows[i], now_ms, true, a, &cv);
            s_outbox_transfer(&outbox, node, now_ms, clue, &cv, c[i].case_no, l->notice,
                              list_no ? list_no : "", c[i].unit_code, tdate, l->odate, l->fdate);
        }
    }
    if ((rc = s_stop(opts)) != 0)
        goto done;
    const char *const *cp = sl_db_cols_params(&cols);
    const char *p[R_N + 4];
    memcpy(p, cp, R_N * sizeof *p);
    p[R_N] = sy, p[R_N + 1] = lid, p[R_N + 2] = tdate, p[R_N + 3] = at;
    if ((rc = sl_db_defer(
             db,
             "INSERT INTO transfer (notice_no, year, sector, seq, case_id, list_id, unit_code,"
             " delivery, state, transfer_date, issued_at, objection_deadline, feedback_deadline,"
             " calendar_warning, replaces, kind)"
             " SELECT u.notice, $10::int, u.sector, u.seq, u.case_id, $11::bigint, u.unit,"
             " u.delivery, 'issued', $12::date, $13::timestamptz, u.odate, u.fdate, u.warn, NULL,"
             " 'handling'"
             " FROM unnest($1::text[], $2::smallint[], $3::int[], $4::bigint[], $5::text[],"
             "  $6::text[], $7::date[], $8::date[], $9::text[]) WITH ORDINALITY"
             "  AS u(notice, sector, seq, case_id, unit, delivery, odate, fdate, warn, k)"
             " ORDER BY u.k",
             R_N + 4, p)) != 0 ||
        (rc = sl_audit_append_many(db, ids, evs, n)) != 0 || (rc = s_stop(opts)) != 0 ||
        (rc = sl_case_set_status_many(db, ids, sl_transfer_case_status(SL_TS_ISSUED), unit_codes,
                                      n)) != 0 ||
        (rc = sl_outbox_batch_flush(db, &outbox, now_ms)) != 0)
        goto done;
    for (size_t i = 0; i < n; i++)
        s_log_issued(c[i].case_no, lines[i].notice, c[i].unit_code, lines[i].odate, lines[i].fdate,
                     lines[i].warn, lines[i].upper_fdate, lines[i].upper_late);
done:
    sl_arena_destroy(&a);
    sl_outbox_batch_free(&outbox);
    for (size_t i = 0; i < n; i++)
        free(details[i]);
    free(details);
    free(evs);
    free(unit_codes);
    free(ids);
    free(lines);
    sl_db_cols_free(&cols);
    return rc;
}

/* A fetched row by its case number, sorted to find each claimed case's row. */
typedef struct {
    const char *case_no; /* borrowed from the result */
    int row;             /* its row */
} s_row_t;

static int
s_row_cmp(const void *a, const void *b)
{
    return strcmp(((const s_row_t *)a)->case_no, ((const s_row_t *)b)->case_no);
}

/* Sets the item count of list LIST_ID (after the two transfers added some). */
static int
s_list_items(sl_db_t *db, int64_t list_id, long items)
{
    char lid[24], n[24];
    snprintf(lid, sizeof lid, "%lld", (long long)list_id);
    snprintf(n, sizeof n, "%ld", items);
    const char *p[] = {lid, n};
    return sl_db_exec(db, NULL, "UPDATE transfer_list SET items = $2::int WHERE id = $1::bigint", 2,
                      p);
}

/* The sl_case_fetch rows of the N claimed CASES in one query (*FETCHED) and
 * each case's row in it (*ROWS, a new array). 0, -1 (a case vanished) or
 * SL_AGAIN. */
static int
s_claimed_rows(sl_db_t *db, const sl_case_claim_t *cases, long n, PGresult **fetched, int **rows)
{
    const char **nos = sl_calloc((size_t)n + 1, sizeof *nos);
    for (long i = 0; i < n; i++)
        nos[i] = cases[i].case_no;
    int rc = sl_case_fetch_many(db, nos, (size_t)n, fetched);
    free(nos);
    if (rc != 0)
        return rc;
    int nr = PQntuples(*fetched);
    s_row_t *order = sl_calloc((size_t)nr + 1, sizeof *order);
    for (int k = 0; k < nr; k++)
        order[k] = (s_row_t){PQgetvalue(*fetched, k, 0), k};
    qsort(order, (size_t)nr, sizeof *order, s_row_cmp);
    *rows = sl_calloc((size_t)n + 1, sizeof **rows);
    for (long i = 0; i < n && rc == 0; i++) {
        s_row_t key = {cases[i].case_no, 0};
        const s_row_t *hit = bsearch(&key, order, (size_t)nr, sizeof *order, s_row_cmp);
        if (hit) {
            (*rows)[i] = hit->row;
        } else {
            sl_log(SL_LOG_ERROR, "case=%s vanished while forming its list", cases[i].case_no);
            rc = -1;
        }
    }
    free(order);
    return rc;
}

/* sl_transfer_form_list and sl_transfer_form_upper_list: FROM_ABOVE takes
 * only the cases transferred from above, on demand. */
static int
s_form(sl_db_t *db, const sl_calendar_t *cal, const char *node, int64_t now_ms, int32_t round_date,
       bool wait, bool from_above, const sl_transfer_form_opts_t *opts, const sl_actor_t *actor,
       sl_transfer_formed_t *out)
{
    memset(out, 0, sizeof *out);
    sl_case_claim_t *cases = NULL;
    PGresult *r = NULL, *fetched = NULL;
    int *rows = NULL;
    s_units_t units = {0};
    long n = 0; /* cases claimed */
    int rc = sl_db_begin(db);
    if (rc != 0)
        return rc;
    if ((rc = sl_db_exec(db, &r,
                         wait ? "SELECT pg_advisory_xact_lock(" S_FORM_LOCK ") IS NULL"
                              : "SELECT NOT pg_try_advisory_xact_lock(" S_FORM_LOCK ")",
                         0, NULL)) != 0)
        goto fail;
    out->busy = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    r = NULL;
    if (out->busy)
        goto done;
    char rdate[11];
    if (round_date >= 0) {
        sl_date_format(round_date, rdate);
        const char *p[] = {rdate};
        if ((rc = sl_db_exec(db, &r, "SELECT 1 FROM transfer_list WHERE round_date = $1::date", 1,
                             p)) != 0)
            goto fail;
        out->already = PQntuples(r) > 0;
        PQclear(r);
        r = NULL;
        if (out->already)
            goto done;
    }
    n = sl_case_claim_registered(db, S_MAX_LIST, from_above, &cases);
    if (n < 0) {
        rc = (int)n;
        goto fail;
    }
    if (n == 0)
        goto done;
    int32_t today = sl_ms_to_day(now_ms);
    int y, m, d;
    sl_date_ymd(today, &y, &m, &d);
    long long seq;
    if ((rc = sl_case_next_seq(db, "list", y, node, &seq)) != 0)
        goto fail;
    sl_transfer_list_number(out->list_no, sizeof out->list_no, y, seq);
    char sy[16], sq[24], ldate[11], at[40], items[24];
    snprintf(sy, sizeof sy, "%d", y);
    snprintf(sq, sizeof sq, "%lld", seq);
    snprintf(items, sizeof items, "%ld", n);
    sl_date_format(today, ldate);
    sl_time_format_iso(now_ms, at, sizeof at);
    char *who = sl_asprintf("%s%s%s", s_or(actor->key, ""),
                            actor->operator_name && *actor->operator_name ? ":" : "",
                            s_or(actor->operator_name, ""));
    const char *p[] = {out->list_no, sy, sq, ldate, round_date >= 0 ? rdate : NULL, at, who, items};
    rc = sl_db_exec(db, &r,
                    "INSERT INTO transfer_list (list_no, year, seq, list_date, round_date,"
                    " formed_at, formed_by, items)"
                    " VALUES ($1, $2::int, $3::int, $4::date, $5::date, $6::timestamptz, $7,"
                    " $8::int) RETURNING id",
                    8, p);
    free(who);
    if (rc != 0)
        goto fail;
    out->list_id = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    r = NULL;
    sl_log(SL_LOG_INFO, "list=%s forming the transfer list: %ld registered cases", out->list_no, n);
    /* The claimed cases' rows in one query; runs of cases with nothing but
     * their handling transfer are issued set-based, the others one by one. */
    if ((rc = s_stop(opts)) != 0 || (rc = s_claimed_rows(db, cases, n, &fetched, &rows)) != 0)
        goto fail;
    for (long i = 0; i < n;) {
        long j = i;
        for (; j < n; j++) {
            sl_case_view_t v;
            sl_case_view_of(fetched, rows[j], &v);
            if (v.suspected_crime || v.suspected_dereliction || v.major_hazard || v.supervised)
                break;
        }
        if (j > i &&
            (rc = s_issue_run(db, cal, node, now_ms, &cases[i], &rows[i], (size_t)(j - i), fetched,
                              out->list_id, out->list_no, actor, opts, &units)) != 0)
            goto fail;
        if (j == n)
            break;
        char notice[64];
        int64_t tid;
        if ((rc = s_stop(opts)) != 0 ||
            (rc = sl__transfer_issue(db, cal, node, now_ms, cases[j].id, cases[j].case_no,
                                     cases[j].sector, cases[j].unit_code, out->list_id,
                                     out->list_no, 0, NULL, actor, notice, &tid, "handling",
                                     opts->upper_margin)) != 0)
            goto fail;
        if ((rc = s_issue_two(db, cal, node, now_ms, &cases[j], out->list_id, out->list_no, opts,
                              actor, &out->items)) != 0)
            goto fail;
        i = j + 1;
    }
    if (out->items > 0 && (rc = s_list_items(db, out->list_id, n + out->items)) != 0)
        goto fail;
    out->items += n;
done:
    if ((rc = sl_db_commit(db)) != 0)
        goto fail;
    if (out->items > 0)
        sl_log(SL_LOG_INFO, "list=%s transfer list formed with %ld transfers", out->list_no,
               out->items);
    free(cases);
    PQclear(fetched);
    free(rows);
    free(units.v);
    return 0;
fail:
    if (rc == -1)
        sl_log(SL_LOG_ERROR, "could not form a transfer list: %s", sl_db_error(db));
    if (rc == S_STOPPED)
        sl_log(SL_LOG_INFO,
               "list=%s stopping: rolled back, its %ld cases stay registered for the next "
               "list",
               out->list_no, n);
    PQclear(r);
    sl_db_rollback(db);
    free(cases);
    PQclear(fetched);
    free(rows);
    free(units.v);
    memset(out, 0, sizeof *out);
    if (rc != S_STOPPED)
        return rc;
    out->stopped = true;
    return 0;
}

int
sl_transfer_form_list(sl_db_t *db, const sl_calendar_t *cal, const char *node, int64_t now_ms,
                      int32_t round_date, bool wait, const sl_transfer_form_opts_t *opts,
                      const sl_actor_t *actor, sl_transfer_formed_t *out)
{
    return s_form(db, cal, node, now_ms, round_date, wait, false, opts, actor, out);
}

int
sl_transfer_form_upper_list(sl_db_t *db, const sl_calendar_t *cal, const char *node, int64_t now_ms,
                            const sl_transfer_form_opts_t *opts, const sl_actor_t *actor,
                            sl_transfer_formed_t *out)
{
    return s_form(db, cal, node, now_ms, -1, false, true, opts, actor, out);
}

long
sl_transfer_announce(sl_db_t *db, int64_t now_ms, int64_t again_ms, sl_transfer_announce_cb *cb,
                     sl_transfer_stop_cb *stop, void *arg)
{
    char at[40], before[40], after[24] = "0", limit[24];
    sl_time_format_iso(now_ms, at, sizeof at);
    sl_time_format_iso(now_ms - again_ms, before, sizeof before);
    snprintf(limit, sizeof limit, "%d", SL_TRANSFER_ANNOUNCE_CHUNK);
    long total = 0;
    for (;;) {
        if (stop && stop(arg))
            return total; /* the rest at the next scan */
        const char *p[] = {at, after, limit, before};
        PGresult *r;
        int rc = sl_db_exec(db, &r,
                            "WITH a AS (UPDATE transfer SET announced_at = $1::timestamptz,"
                            "   announce_count = announce_count + 1"
                            "   WHERE id IN (SELECT id FROM transfer WHERE state = 'issued'"
                            "     AND delivery = 'event' AND id > $2::bigint"
                            "     AND (announced_at IS NULL OR announced_at <= $4::timestamptz)"
                            "     ORDER BY id LIMIT $3::int) RETURNING id)"
                            " SELECT coalesce(array_agg(id ORDER BY id)::text, '{}'),"
                            " coalesce(max(id), 0), count(*) FROM a",
                            4, p);
        if (rc != 0)
            return rc;
        long n = atol(PQgetvalue(r, 0, 2));
        snprintf(after, sizeof after, "%s", PQgetvalue(r, 0, 1));
        const char *ids[] = {PQgetvalue(r, 0, 0)};
        PGresult *rows = NULL;
        rc = n > 0 ? sl_db_exec(db, &rows,
                                SL__TRANSFER_FETCH " WHERE t.id = ANY ($1::bigint[]) ORDER BY t.id",
                                1, ids)
                   : 0;
        PQclear(r);
        if (rc != 0)
            return rc;
        for (int i = 0; rows && i < PQntuples(rows); i++)
            cb(arg, rows, i);
        PQclear(rows);
        total += n;
        if (n < SL_TRANSFER_ANNOUNCE_CHUNK)
            return total;
        sl_log(SL_LOG_INFO, "announcing the transfers not yet received: %ld so far", total);
    }
}
