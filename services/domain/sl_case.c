/* sl_case.c — registering clues as cases, in batches, with repeat linking.
 *
 * A batch costs five statements: look up open cases about the same subjects
 * (locked), take the numbers from the counters (locked rows: two intake
 * instances cannot take the same number, and a rollback gives numbers back),
 * insert the cases, insert their audit events, update the touched cases'
 * chain heads and repeat counts. */
#include "sl_case.h"

#include "sl_audit.h"
#include "sl_clock.h"
#include "sl_closing.h"
#include "sl_deadline.h"
#include "sl_log.h"
#include "sl_sector.h"
#include "sl_subject.h"
#include "sl_transfer.h"
#include "sl_util.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

void
sl_case_number(char *buf, size_t size, const char *node, int year, const char *sector_short,
               long long seq)
{
    snprintf(buf, size, "%s-%d-%s-%06lld", node, year, sector_short, seq);
}

/* A case whose chain this batch extends: an open case found by the look-up,
 * or one registered in this batch. */
typedef struct {
    int64_t id;              /* 0 until inserted, for new cases */
    char case_no[64];
    char division[8];
    int sector;
    char *key;               /* subject key */
    char *credit;            /* normalised credit code, "" if none */
    int32_t seq;             /* chain: last seq */
    char head[SL_AUDIT_HEX_LEN + 1]; /* chain: last hash */
    int repeats;             /* repeat_count after the batch */
    bool is_new;             /* registered in this batch */
    bool closed;             /* a closed case: the first repeat reopens it */
    size_t reg;              /* new cases: the reg that registers it */
    bool touched;            /* chain or count changed */
} s_chain_t;

typedef struct {
    s_chain_t *v;
    size_t n, cap;
} s_chains_t;

static s_chain_t *
s_chain_add(s_chains_t *c)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 32;
        c->v = sl_realloc(c->v, c->cap * sizeof *c->v);
    }
    s_chain_t *x = &c->v[c->n++];
    memset(x, 0, sizeof *x);
    return x;
}

/* The batch's chains indexed by subject, so matching N clues to chains is
 * linear, not N × chains: each chain under (sector, division, name key) and,
 * if it has one, (sector, division, credit code). Entries are chain indices;
 * a look-up returns candidates that the caller checks in full. */
typedef struct {
    uint64_t h;
    size_t chain; /* SIZE_MAX: an empty slot */
} s_slot_t;

typedef struct {
    s_slot_t *slot;
    size_t mask;
} s_index_t;

static uint64_t
s_subject_hash(int sector, const char *division, char kind, const char *text)
{
    uint64_t h = sl_fnv1a(SL_FNV1A_INIT, &sector, sizeof sector);
    h = sl_fnv1a(h, division, strlen(division) + 1); /* with its NUL: a separator */
    h = sl_fnv1a(h, &kind, 1);
    return text ? sl_fnv1a(h, text, strlen(text)) : h;
}

/* Room for CHAINS chains (two entries each) at most a quarter full. */
static void
s_index_init(s_index_t *x, size_t chains)
{
    size_t size = 16;
    while (size < 8 * chains)
        size *= 2;
    x->slot = sl_calloc(size, sizeof *x->slot);
    for (size_t i = 0; i < size; i++)
        x->slot[i].chain = SIZE_MAX;
    x->mask = size - 1;
}

static void
s_index_put(s_index_t *x, uint64_t h, size_t chain)
{
    size_t i = (size_t)h & x->mask;
    while (x->slot[i].chain != SIZE_MAX)
        i = (i + 1) & x->mask;
    x->slot[i].h = h;
    x->slot[i].chain = chain;
}

static void
s_index_chain(s_index_t *x, const s_chains_t *c, size_t k)
{
    const s_chain_t *ch = &c->v[k];
    s_index_put(x, s_subject_hash(ch->sector, ch->division, 'k', ch->key), k);
    if (ch->credit && *ch->credit)
        s_index_put(x, s_subject_hash(ch->sector, ch->division, 'c', ch->credit), k);
}

/* The first chain (lowest index) under H that MATCH accepts, or SIZE_MAX. */
static size_t
s_index_first(const s_index_t *x, uint64_t h, bool (*match)(size_t, void *), void *arg)
{
    size_t best = SIZE_MAX;
    for (size_t i = (size_t)h & x->mask; x->slot[i].chain != SIZE_MAX; i = (i + 1) & x->mask) {
        if (x->slot[i].h == h && x->slot[i].chain < best && match(x->slot[i].chain, arg))
            best = x->slot[i].chain;
    }
    return best;
}

static const char *
s_channel_name(int channel)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
        &safeloop__v1__clue_report__channel__descriptor, channel);
    return v ? v->name : "OTHER";
}

/* The audit detail of a registration or a repeat: a new JSON text. */
static char *
s_detail_of(const sl_pb_clue_t *c, const char *route, const char *unit_code, bool repeat,
            int repeat_count)
{
    const sl_sector_t *sec = sl_sector_by_value((int)c->sector);
    json_t *o = json_object();
    json_object_set_new(o, "channel", json_string(s_channel_name((int)c->channel)));
    json_object_set_new(o, "received_at", json_integer(c->received_at));
    if (repeat) {
        json_object_set_new(o, "repeat_count", json_integer(repeat_count));
        json_object_set_new(o, "subject", json_string(c->subject->name));
        sl_closing_repeat_facts(c, o); /* the repeat's own facts stay on the case */
    } else {
        json_object_set_new(o, "sector", json_string(sec ? sec->name : ""));
        json_object_set_new(o, "division", json_string(c->place->division));
        json_object_set_new(o, "route", json_string(route));
        json_object_set_new(o, "unit", json_string(unit_code ? unit_code : ""));
    }
    if (c->source_ref && *c->source_ref)
        json_object_set_new(o, "source_ref", json_string(c->source_ref));
    char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
    json_decref(o);
    return text;
}

/* A malloc'ed string moved into A. */
static const char *
s_into(sl_arena_t *a, char *s)
{
    const char *copy = sl_arena_strdup(a, s);
    free(s);
    return copy;
}

void
sl_case_reg_prep(sl_case_prep_t *p, sl_arena_t *a, const sl_pb_clue_t *clue, const char *route,
                 const char *unit_code)
{
    p->key = s_into(a, sl_subject_key(clue->subject->name));
    p->credit = s_into(a, sl_subject_credit(clue->subject->credit_code));
    p->detail = s_into(a, s_detail_of(clue, route, unit_code, false, 0));
}

static int
s_cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Step 0: one transaction-scoped advisory lock per (division, sector) the
 * batch registers in, taken in key order before the repeat look-up. Two
 * instances (or batches) registering clues about the same subject at the same
 * moment would otherwise each miss the other's uncommitted case and open two;
 * with the lock the second waits for the first to commit, and its look-up (a
 * new statement, so a new snapshot) sees the first's case and joins it. Key
 * order, like the counters', keeps concurrent batches free of deadlocks. */
static int
s_lock_subjects(sl_db_t *db, const sl_case_reg_t *regs, size_t n)
{
    int64_t *k = sl_calloc(n, sizeof *k);
    for (size_t i = 0; i < n; i++) {
        /* FNV-1a of "division:sector" in [2^62, 2^63), away from hashtext's
         * 32-bit keys; meeting another key by chance only makes one wait */
        char text[48];
        snprintf(text, sizeof text, "case-subject:%s:%d", regs[i].clue->place->division,
                 (int)regs[i].clue->sector);
        uint64_t h = sl_fnv1a(SL_FNV1A_INIT, text, strlen(text));
        k[i] = (int64_t)((h >> 2) | (1ULL << 62));
    }
    qsort(k, n, sizeof *k, s_cmp_i64);
    sl_buf_t arr;
    sl_buf_init(&arr);
    sl_db_array_begin(&arr);
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || k[i] != k[i - 1])
            sl_db_array_add_int(&arr, k[i]);
    }
    sl_db_array_end(&arr);
    free(k);
    const char *p[] = {arr.data};
    /* deferred: sent with the look-up, which starts once the locks are held */
    int rc = sl_db_defer(db,
                        "SELECT count(pg_advisory_xact_lock(k))"
                        " FROM (SELECT k FROM unnest($1::bigint[]) AS k ORDER BY k) AS s",
                        1, p);
    sl_buf_free(&arr);
    return rc;
}

/* Step 1: open cases about the same subjects, locked; appended to CHAINS.
 * For each clue, four index look-ups (cases_repeat by name key, cases_credit
 * by credit code, and their closed-case twins), in a LATERAL subquery that
 * OFFSET 0 keeps from being flattened: the planner cannot turn the look-ups
 * into a join that reads every open case. It did: while a growing table's
 * statistics lagged, it chose a merge join that sorted all open cases on
 * every batch (15 ms a batch at 20,000 open cases on the bench, and growing
 * with the table), where the look-ups take 1–2 ms. One join with "name OR
 * credit" could only use the index's (division, sector) prefix. */
static int
s_lookup(sl_db_t *db, sl_case_reg_t *regs, const char *const *keys, const char *const *credits,
         size_t n,
         s_chains_t *chains)
{
    static const sl_db_type_t types[] = {SL_DB_TEXT, SL_DB_INT4, SL_DB_TEXT, SL_DB_TEXT};
    sl_db_bin_t cols;
    sl_db_bin_init(&cols, 4, types);
    for (size_t i = 0; i < n; i++) {
        sl_db_bin_text(&cols, 0, regs[i].clue->place->division);
        sl_db_bin_int(&cols, 1, regs[i].clue->sector);
        sl_db_bin_text(&cols, 2, keys[i]);
        sl_db_bin_text(&cols, 3, credits[i]);
    }
    PGresult *r;
    int rc = sl_db_bin_exec(
        db, &r,
        "SELECT id, case_no, division, sector, subject_key, credit, repeat_count, closed FROM ("
        " SELECT DISTINCT m.* FROM unnest($1::text[], $2::int[], $3::text[], $4::text[])"
        "   AS k(division, sector, skey, credit)"
        " CROSS JOIN LATERAL ("
        "  SELECT c.id, c.case_no, c.division, c.sector, c.subject_key,"
        "   coalesce(c.credit_code, '') AS credit, c.repeat_count, c.status = 'closed' AS closed"
        "  FROM cases c WHERE c.division = k.division AND c.sector = k.sector"
        "   AND c.subject_key = k.skey AND c.status <> 'closed'"
        "  UNION ALL"
        "  SELECT c.id, c.case_no, c.division, c.sector, c.subject_key, c.credit_code,"
        "   c.repeat_count, false"
        "  FROM cases c WHERE k.credit <> '' AND c.division = k.division AND c.sector = k.sector"
        "   AND c.credit_code = k.credit AND c.status <> 'closed' AND c.credit_code IS NOT NULL"
        /* closed cases too (009's indexes): a re-report after 销号 reopens one */
        "  UNION ALL"
        "  SELECT c.id, c.case_no, c.division, c.sector, c.subject_key,"
        "   coalesce(c.credit_code, ''), c.repeat_count, true"
        "  FROM cases c WHERE c.division = k.division AND c.sector = k.sector"
        "   AND c.subject_key = k.skey AND c.status = 'closed'"
        "  UNION ALL"
        "  SELECT c.id, c.case_no, c.division, c.sector, c.subject_key, c.credit_code,"
        "   c.repeat_count, true"
        "  FROM cases c WHERE k.credit <> '' AND c.division = k.division AND c.sector = k.sector"
        "   AND c.credit_code = k.credit AND c.status = 'closed' AND c.credit_code IS NOT NULL"
        "  OFFSET 0) AS m) AS u"
        /* open cases first, oldest first; then closed ones, latest first */
        " ORDER BY closed, CASE WHEN closed THEN -id ELSE id END",
        &cols);
    sl_db_bin_free(&cols);
    if (rc != 0)
        return rc;
    sl_buf_t ids;
    sl_buf_init(&ids);
    sl_db_array_begin(&ids);
    for (int i = 0; i < PQntuples(r); i++) {
        s_chain_t *c = s_chain_add(chains);
        c->id = atoll(PQgetvalue(r, i, 0));
        snprintf(c->case_no, sizeof c->case_no, "%s", PQgetvalue(r, i, 1));
        snprintf(c->division, sizeof c->division, "%s", PQgetvalue(r, i, 2));
        c->sector = atoi(PQgetvalue(r, i, 3));
        c->key = sl_strdup(PQgetvalue(r, i, 4));
        c->credit = sl_strdup(PQgetvalue(r, i, 5));
        c->repeats = atoi(PQgetvalue(r, i, 6));
        c->closed = PQgetvalue(r, i, 7)[0] == 't';
        sl_db_array_add_int(&ids, c->id);
    }
    sl_db_array_end(&ids);
    PQclear(r);
    /* Lock what a repeat will change, in id order (no deadlock between
     * instances), then read the chain heads and what a repeat changes by a
     * statement of its own: it sees what the transaction the lock waited for
     * wrote (sl_audit.h). */
    if (chains->n > 0) {
        const char *p[] = {ids.data};
        rc = sl_audit_lock_cases(db, ids.data);
        if (rc == 0)
            rc = sl_db_exec(db, &r,
                            "SELECT c.id, coalesce(h.seq, 0), coalesce(h.head, ''),"
                            " c.repeat_count, c.status = 'closed'"
                            " FROM cases c LEFT JOIN case_chain h ON h.case_id = c.id"
                            " WHERE c.id = ANY($1::bigint[])",
                            1, p);
        for (int i = 0; rc == 0 && i < PQntuples(r); i++) {
            int64_t id = atoll(PQgetvalue(r, i, 0));
            for (size_t k = 0; k < chains->n; k++) {
                s_chain_t *c = &chains->v[k];
                if (c->id != id)
                    continue;
                c->seq = atoi(PQgetvalue(r, i, 1));
                snprintf(c->head, sizeof c->head, "%s", PQgetvalue(r, i, 2));
                c->repeats = atoi(PQgetvalue(r, i, 3));
                c->closed = PQgetvalue(r, i, 4)[0] == 't';
            }
        }
        if (rc == 0)
            PQclear(r);
    }
    sl_buf_free(&ids);
    return rc;
}

/* Step 2: numbers. COUNT[s] new cases of sector s → FIRST[s], the first number. */
static int
s_number(sl_db_t *db, int year, const int *count, long long *first)
{
    sl_db_cols_t cols;
    sl_db_cols_init(&cols, 2);
    for (int s = 1; s <= SL_SECTOR_COUNT; s++) {
        if (count[s] == 0)
            continue;
        sl_db_array_add(&cols.col[0], sl_sector_by_value(s)->short_zh);
        sl_db_array_add_int(&cols.col[1], count[s]);
    }
    char y[16];
    snprintf(y, sizeof y, "%d", year);
    const char *const *cp = sl_db_cols_params(&cols);
    const char *p[] = {y, cp[0], cp[1]};
    PGresult *r;
    /* Rows are locked in key order, so concurrent batches cannot deadlock. */
    int rc = sl_db_exec(db, &r,
                        "INSERT INTO counter (scope, year, key, value)"
                        " SELECT 'case', $1::int, k, n FROM unnest($2::text[], $3::bigint[])"
                        "   AS u(k, n) ORDER BY k"
                        " ON CONFLICT (scope, year, key)"
                        " DO UPDATE SET value = counter.value + excluded.value"
                        " RETURNING key, value",
                        3, p);
    sl_db_cols_free(&cols);
    if (rc != 0)
        return rc;
    for (int i = 0; i < PQntuples(r); i++) {
        const sl_sector_t *sec = sl_sector_by_short(PQgetvalue(r, i, 0));
        if (sec)
            first[sec->value] = atoll(PQgetvalue(r, i, 1)) - count[sec->value] + 1;
    }
    PQclear(r);
    return 0;
}

const char *
sl_case_violations_literal(const sl_pb_clue_t *c, char *buf, size_t size)
{
    size_t at = 0;
    at += (size_t)snprintf(buf, size, "{");
    for (size_t i = 0; i < c->n_violations && at + 8 < size; i++)
        at += (size_t)snprintf(buf + at, size - at, "%s%d", i ? "," : "", (int)c->violations[i]);
    snprintf(buf + at, size - at, "}");
    return buf;
}

/* Step 3: the new cases' rows, every event of the batch (ROWS, N: s_events)
 * and the new cases' chain heads, in one statement; sets the new cases' ids
 * and every row's case id. */
static int
s_insert(sl_db_t *db, int64_t now_ms, sl_case_reg_t *regs, s_chains_t *chains,
         const size_t *chain_of, sl_audit_row_t *rows, size_t n)
{
    enum { NO, YEAR, SECTOR, SEQ, AT, CHANNEL, RECEIVED, NAME, KEY, CREDIT, DIVISION, TOWNSHIP,
           ADDRESS, VIOLATIONS, VTEXT, STEXT, UOFFICE, DESC, MAJOR, CRIME, DERELICT, REPORTER, ROUTE,
           UNIT, MSG, UPPER_CASE, UPPER_NOTICE, REPEATS, CATEGORY, SKIND, NCOLS };
    static const sl_db_type_t types[NCOLS] = {
        [NO] = SL_DB_TEXT,        [YEAR] = SL_DB_INT4,       [SECTOR] = SL_DB_INT2,
        [SEQ] = SL_DB_INT4,       [AT] = SL_DB_TSTZ,         [CHANNEL] = SL_DB_TEXT,
        [RECEIVED] = SL_DB_TSTZ,  [NAME] = SL_DB_TEXT,       [KEY] = SL_DB_TEXT,
        [CREDIT] = SL_DB_TEXT,    [DIVISION] = SL_DB_TEXT,   [TOWNSHIP] = SL_DB_TEXT,
        [ADDRESS] = SL_DB_TEXT,   [VIOLATIONS] = SL_DB_TEXT, [VTEXT] = SL_DB_TEXT,
        [STEXT] = SL_DB_TEXT,     [UOFFICE] = SL_DB_TEXT,    [DESC] = SL_DB_TEXT,
        [MAJOR] = SL_DB_BOOL,     [CRIME] = SL_DB_BOOL,      [DERELICT] = SL_DB_BOOL,
        [REPORTER] = SL_DB_BYTEA, [ROUTE] = SL_DB_TEXT,      [UNIT] = SL_DB_TEXT,
        [MSG] = SL_DB_TEXT,       [UPPER_CASE] = SL_DB_TEXT, [UPPER_NOTICE] = SL_DB_TEXT,
        [REPEATS] = SL_DB_INT4,   [CATEGORY] = SL_DB_TEXT,   [SKIND] = SL_DB_TEXT};
    sl_db_bin_t cols;
    sl_db_bin_init(&cols, NCOLS, types);
    size_t fresh = 0;
    for (size_t k = 0; k < chains->n; k++) {
        s_chain_t *ch = &chains->v[k];
        if (!ch->is_new)
            continue;
        sl_case_reg_t *r = &regs[ch->reg];
        const sl_pb_clue_t *c = r->clue;
        char viol[128];
        int year, seqno;
        const char *dash = strrchr(ch->case_no, '-');
        seqno = atoi(dash + 1);
        year = atoi(strchr(ch->case_no, '-') + 1);
        sl_db_bin_text(&cols, NO, ch->case_no);
        sl_db_bin_int(&cols, YEAR, year);
        sl_db_bin_int(&cols, SECTOR, c->sector);
        sl_db_bin_int(&cols, SEQ, seqno);
        sl_db_bin_time(&cols, AT, now_ms);
        sl_db_bin_text(&cols, CHANNEL, s_channel_name((int)c->channel));
        sl_db_bin_time(&cols, RECEIVED, c->received_at);
        sl_db_bin_text(&cols, NAME, c->subject->name);
        sl_db_bin_text(&cols, KEY, ch->key);
        sl_db_bin_text(&cols, CREDIT, *ch->credit ? ch->credit : NULL);
        sl_db_bin_text(&cols, DIVISION, c->place->division);
        sl_db_bin_text(&cols, TOWNSHIP, c->place->township ? c->place->township : "");
        sl_db_bin_text(&cols, ADDRESS, c->place->address ? c->place->address : "");
        sl_db_bin_text(&cols, VIOLATIONS, sl_case_violations_literal(c, viol, sizeof viol));
        sl_db_bin_text(&cols, VTEXT, c->violation_text ? c->violation_text : "");
        sl_db_bin_text(&cols, STEXT, c->sector_text ? c->sector_text : "");
        sl_db_bin_text(&cols, UOFFICE, c->upper_office ? c->upper_office : "");
        sl_db_bin_text(&cols, DESC, c->description ? c->description : "");
        sl_db_bin_bool(&cols, MAJOR, c->major_hazard);
        sl_db_bin_bool(&cols, CRIME, c->suspected_crime);
        sl_db_bin_bool(&cols, DERELICT, c->suspected_dereliction);
        sl_db_bin_bytea(&cols, REPORTER, r->reporter_sealed, r->reporter_sealed_len);
        sl_db_bin_text(&cols, ROUTE, r->route);
        sl_db_bin_text(&cols, UNIT, r->unit_code);
        sl_db_bin_text(&cols, MSG, r->msg_id);
        sl_db_bin_text(&cols, UPPER_CASE,
                       c->upper_case_no && *c->upper_case_no ? c->upper_case_no : NULL);
        sl_db_bin_text(&cols, UPPER_NOTICE,
                       c->upper_notice_no && *c->upper_notice_no ? c->upper_notice_no : NULL);
        sl_db_bin_int(&cols, REPEATS, ch->repeats);
        sl_db_bin_text(&cols, CATEGORY, c->category ? c->category : "");
        sl_db_bin_text(&cols, SKIND, sl_case_subject_kind((int)c->subject_kind));
        fresh++;
    }
    if (fresh == 0) {
        sl_db_bin_free(&cols);
        return 0;
    }
    const char **nos = sl_calloc(n, sizeof *nos);
    for (size_t i = 0; i < n; i++) {
        const s_chain_t *ch = &chains->v[chain_of[i]];
        rows[i].case_id = ch->is_new ? 0 : ch->id;
        nos[i] = ch->case_no;
    }
    /* the new cases' heads, where their events of this batch end */
    const char **fnos = sl_calloc(fresh, sizeof *fnos), **fheads = sl_calloc(fresh, sizeof *fheads);
    int32_t *fseqs = sl_calloc(fresh, sizeof *fseqs);
    size_t nf = 0;
    for (size_t k = 0; k < chains->n; k++) {
        const s_chain_t *ch = &chains->v[k];
        if (ch->is_new) {
            fnos[nf] = ch->case_no, fseqs[nf] = ch->seq, fheads[nf] = ch->head;
            nf++;
        }
    }
    int rc = sl_audit_insert_rows_with(
        db,
        "WITH fresh AS ("
        " INSERT INTO cases (case_no, year, sector, seq, status, registered_at, channel,"
        " received_at, subject_name, subject_key, credit_code, division, township, address,"
        " violations, violation_text, description, major_hazard, suspected_crime,"
        " suspected_dereliction, reporter_sealed, route, unit_code, source_msg_id,"
        " upper_case_no, upper_notice_no, repeat_count, sector_text, upper_office, category,"
        "  subject_kind)"
        " SELECT no, y, s, q, 'registered', at, ch, rc, nm, k, cr, dv, tw, ad, v::smallint[], vt,"
        "        ds, mh, sc, sd, rp, ro, un, mi, uc, un2, reps, st, uo, cat, sk"
        " FROM unnest($1::text[], $2::int[], $3::smallint[], $4::int[], $5::timestamptz[],"
        "  $6::text[], $7::timestamptz[], $8::text[], $9::text[], $10::text[], $11::text[],"
        "  $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[],"
        "  $18::text[], $19::bool[], $20::bool[], $21::bool[], $22::bytea[], $23::text[],"
        "  $24::text[], $25::text[], $26::text[], $27::text[], $28::int[], $29::text[],"
        "  $30::text[])"
        " AS u(no, y, s, q, at, ch, rc, nm, k, cr, dv, tw, ad, v, vt, st, uo, ds, mh, sc, sd, rp,"
        "      ro, un, mi, uc, un2, reps, cat, sk)"
        " RETURNING id, case_no)",
        &cols, rows, nos, n, fnos, fseqs, fheads, nf);
    sl_db_bin_free(&cols);
    free(nos);
    free(fnos);
    free(fseqs);
    free(fheads);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        s_chain_t *ch = &chains->v[chain_of[i]];
        if (ch->is_new && rows[i].case_id > 0)
            ch->id = rows[i].case_id;
    }
    return 0;
}

/* Step 2b: chains the batch's audit events in C (pure): each clue adds
 * "registered" to its new case or "repeated" to the case it joins. Fills ROWS
 * (case ids are set once the new cases are inserted) and the chains' heads. */
static void
s_events(int64_t now_ms, sl_case_reg_t *regs, size_t n, s_chains_t *chains,
         const size_t *chain_of, sl_audit_row_t *rows, char **details)
{
    for (size_t i = 0; i < n; i++) {
        s_chain_t *ch = &chains->v[chain_of[i]];
        sl_case_reg_t *r = &regs[i];
        bool repeat = r->repeated;
        if (repeat)
            ch->repeats++;
        if (r->upper_repeat_count > ch->repeats)
            ch->repeats = r->upper_repeat_count; /* counted at the level above */
        if (repeat || !r->prep)
            details[i] = s_detail_of(r->clue, r->route, r->unit_code, repeat, ch->repeats);
        sl_audit_row_t *row = &rows[i];
        row->ev.seq = ch->seq + 1;
        row->ev.at_ms = now_ms;
        row->ev.kind = repeat ? "repeated" : "registered";
        row->ev.actor_key = r->actor_key;
        row->ev.actor_unit = r->actor_unit;
        row->ev.operator = r->operator_name;
        row->ev.msg_id = r->msg_id;
        row->ev.detail = details[i] ? details[i] : r->prep->detail;
        if (ch->seq == 0)
            sl_audit_genesis(ch->case_no, row->prev_hash);
        else
            snprintf(row->prev_hash, sizeof row->prev_hash, "%s", ch->head);
        sl_audit_hash(row->prev_hash, &row->ev, row->hash);
        ch->seq++;
        memcpy(ch->head, row->hash, sizeof ch->head);
        ch->touched = true;
        r->repeat_count = ch->repeats;
        snprintf(r->case_no, sizeof r->case_no, "%s", ch->case_no);
    }
}

/* Step 4: the events, unless s_insert inserted them with the new cases (a
 * batch of repeats only), and the heads and repeat counts of the cases that
 * existed and took repeat reports (new cases were inserted with theirs). */
static int
s_store_events(sl_db_t *db, sl_case_reg_t *regs, size_t n, s_chains_t *chains,
               const size_t *chain_of, sl_audit_row_t *rows, bool stored)
{
    for (size_t i = 0; i < n; i++) {
        rows[i].case_id = chains->v[chain_of[i]].id;
        regs[i].case_id = rows[i].case_id;
    }
    int rc = stored ? 0 : sl_audit_insert_rows(db, rows, n);
    if (rc != 0)
        return rc;
    int64_t *ids = sl_calloc(chains->n, sizeof *ids);
    int32_t *seqs = sl_calloc(chains->n, sizeof *seqs);
    const char **heads = sl_calloc(chains->n, sizeof *heads);
    sl_db_cols_t cols;
    sl_db_cols_init(&cols, 2);
    size_t nrep = 0;
    for (size_t k = 0; k < chains->n; k++) {
        s_chain_t *ch = &chains->v[k];
        if (ch->is_new || !ch->touched)
            continue;
        ids[nrep] = ch->id, seqs[nrep] = ch->seq, heads[nrep] = ch->head;
        sl_db_array_add_int(&cols.col[0], ch->id);
        sl_db_array_add_int(&cols.col[1], ch->repeats);
        nrep++;
    }
    rc = sl_audit_set_heads(db, ids, seqs, heads, nrep);
    if (nrep > 0 && rc == 0)
        rc = sl_db_defer(db,
                        "UPDATE cases c SET repeat_count = u.repeats"
                        " FROM unnest($1::bigint[], $2::int[]) AS u(id, repeats) WHERE c.id = u.id",
                        2, sl_db_cols_params(&cols));
    sl_db_cols_free(&cols);
    free(ids);
    free(seqs);
    free(heads);
    return rc;
}

/* Step 5: a repeat of a closed case reopens it; a repeat of a case a child
 * node holds is passed down to it (sl_closing.h). A transfer from above about
 * the subject of a closed case here (REOPEN_OF[i], the case's id) counts as
 * its repeat and reopens it, beside the transfer's own case. */
static int
s_after_repeats(sl_db_t *db, const char *node, int64_t now_ms, sl_case_reg_t *regs, size_t n,
                const int64_t *reopen_of)
{
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        sl_case_reg_t *r = &regs[i];
        if (!r->repeated && !reopen_of[i])
            continue;
        sl_actor_t actor = {.key = r->actor_key,
                            .unit = r->actor_unit,
                            .operator_name = r->operator_name,
                            .msg_id = r->msg_id};
        if (reopen_of[i]) {
            char id[24];
            snprintf(id, sizeof id, "%lld", (long long)reopen_of[i]);
            const char *p[] = {id};
            PGresult *res;
            if ((rc = sl_db_exec(db, &res,
                                 "UPDATE cases SET repeat_count = repeat_count + 1"
                                 " WHERE id = $1::bigint RETURNING repeat_count",
                                 1, p)) != 0)
                break;
            json_t *d = json_pack("{s:i, s:s, s:s}", "repeat_count", atoi(PQgetvalue(res, 0, 0)),
                                  "by_case_no", r->case_no, "upper_notice_no",
                                  r->clue->upper_notice_no ? r->clue->upper_notice_no : "");
            PQclear(res);
            sl_closing_repeat_facts(r->clue, d);
            rc = sl_transfer_reopen(db, reopen_of[i], 0, "REPEAT", d, now_ms, &actor, &r->reopened);
            continue;
        }
        if (r->reopened) {
            json_t *d = json_pack("{s:i}", "repeat_count", r->repeat_count);
            if ((rc = sl_transfer_reopen(db, r->case_id, 0, "REPEAT", d, now_ms, &actor,
                                         &r->reopened)) != 0)
                break;
        }
        rc = sl_closing_pass_repeat(db, node, now_ms, r->case_id, r->clue, r->repeat_count);
    }
    return rc;
}

/* A clue and what may join it (s_index_first's MATCH). */
typedef struct {
    const s_chains_t *chains;
    const sl_pb_clue_t *clue;
    const char *key, *credit;
    bool own_case; /* a transfer from above: only a closed case (it reopens it) */
} s_match_t;

static bool
s_match(size_t k, void *arg)
{
    const s_match_t *m = arg;
    const s_chain_t *ch = &m->chains->v[k];
    return ch->sector == (int)m->clue->sector &&
           strcmp(ch->division, m->clue->place->division) == 0 &&
           sl_subject_same(ch->key, ch->credit, m->key, m->credit) && (!m->own_case || ch->closed);
}

int
sl_case_register(sl_db_t *db, const char *node, int64_t now_ms, sl_case_reg_t *regs, size_t n)
{
    if (n == 0)
        return 0;
    /* the subjects' keys: prepared, or worked out here (OWN: to free) */
    const char **keys = sl_calloc(n, sizeof *keys), **credits = sl_calloc(n, sizeof *credits);
    char **own = sl_calloc(2 * n, sizeof *own);
    size_t *chain_of = sl_calloc(n, sizeof *chain_of);
    sl_audit_row_t *rows = sl_calloc(n, sizeof *rows);
    char **details = sl_calloc(n, sizeof *details);
    int64_t *reopen_of = sl_calloc(n, sizeof *reopen_of);
    s_chains_t chains = {0};
    sl_case_reg_t *all = regs, *live = NULL;
    size_t all_n = n, *pos = NULL;
    int rc;
    for (size_t i = 0; i < n; i++) {
        if (regs[i].prep) {
            keys[i] = regs[i].prep->key;
            credits[i] = regs[i].prep->credit;
        } else {
            keys[i] = own[2 * i] = sl_subject_key(regs[i].clue->subject->name);
            credits[i] = own[2 * i + 1] = sl_subject_credit(regs[i].clue->subject->credit_code);
        }
        regs[i].repeated = false;
        regs[i].reopened = false;
        regs[i].case_no[0] = '\0';
    }
    if ((rc = s_lock_subjects(db, regs, n)) != 0 ||
        (rc = s_lookup(db, regs, keys, credits, n, &chains)) != 0)
        goto done;
    /* Clues whose envelopes a msg_id look-up that travelled with this one
     * found stored before: out of the batch, in order (LIVE, their places in
     * ALL at POS); their outputs stay empty. */
    size_t nlive = 0;
    for (size_t i = 0; i < n; i++)
        nlive += !(regs[i].stored_before && *regs[i].stored_before);
    if (nlive < n) {
        live = sl_calloc(n, sizeof *live);
        pos = sl_calloc(n, sizeof *pos);
        for (size_t i = 0, j = 0; i < n; i++) {
            if (!(regs[i].stored_before && *regs[i].stored_before)) {
                live[j] = regs[i], keys[j] = keys[i], credits[j] = credits[i], pos[j] = i;
                j++;
            }
        }
        regs = live;
        n = nlive;
        if (n == 0)
            goto done;
    }
    size_t existing = chains.n;

    /* Each clue joins the oldest open case about its subject, or starts one:
     * the first chain, in the look-up's order, that sl_subject_same accepts. */
    int count[SL_SECTOR_COUNT + 1] = {0};
    s_index_t index;
    s_index_init(&index, existing + n);
    for (size_t k = 0; k < existing; k++)
        s_index_chain(&index, &chains, k);
    for (size_t i = 0; i < n; i++) {
        const sl_pb_clue_t *c = regs[i].clue;
        s_match_t m = {&chains, c, keys[i], credits[i], regs[i].own_case};
        size_t found = s_index_first(
            &index, s_subject_hash((int)c->sector, c->place->division, 'k', keys[i]), s_match, &m);
        if (credits[i] && *credits[i]) {
            size_t by_credit = s_index_first(
                &index, s_subject_hash((int)c->sector, c->place->division, 'c', credits[i]),
                s_match, &m);
            if (by_credit < found)
                found = by_credit;
        }
        if (found != SIZE_MAX && regs[i].own_case) {
            /* a transfer from above is a case of its own; the closed case of its
             * subject here is reopened by it all the same */
            reopen_of[i] = chains.v[found].id;
            chains.v[found].closed = false;
            found = SIZE_MAX;
        }
        if (found != SIZE_MAX) {
            regs[i].repeated = true;
            regs[i].reopened = chains.v[found].closed; /* the first repeat reopens it */
            chains.v[found].closed = false;
            chain_of[i] = found;
            continue;
        }
        s_chain_t *ch = s_chain_add(&chains);
        ch->is_new = true;
        ch->reg = i;
        snprintf(ch->division, sizeof ch->division, "%s", c->place->division);
        ch->sector = (int)c->sector;
        ch->key = sl_strdup(keys[i]);
        ch->credit = sl_strdup(credits[i]);
        chain_of[i] = chains.n - 1;
        s_index_chain(&index, &chains, chains.n - 1);
        count[c->sector]++;
    }
    free(index.slot);
    if (chains.n > existing) {
        int y, m, d;
        sl_date_ymd(sl_ms_to_day(now_ms), &y, &m, &d);
        long long first[SL_SECTOR_COUNT + 1] = {0};
        if ((rc = s_number(db, y, count, first)) != 0)
            goto done;
        for (size_t k = existing; k < chains.n; k++) {
            s_chain_t *ch = &chains.v[k];
            sl_case_number(ch->case_no, sizeof ch->case_no, node, y,
                           sl_sector_by_value(ch->sector)->short_zh, first[ch->sector]++);
        }
    }
    s_events(now_ms, regs, n, &chains, chain_of, rows, details);
    bool fresh = chains.n > existing;
    if (fresh && (rc = s_insert(db, now_ms, regs, &chains, chain_of, rows, n)) != 0)
        goto done;
    for (size_t k = existing; k < chains.n; k++) {
        if (chains.v[k].id <= 0) { /* not returned: cannot happen */
            sl_log(SL_LOG_ERROR, "case=%s registration returned no id", chains.v[k].case_no);
            rc = -1;
            goto done;
        }
    }
    if ((rc = s_store_events(db, regs, n, &chains, chain_of, rows, fresh)) == 0)
        rc = s_after_repeats(db, node, now_ms, regs, n, reopen_of);
done:
    for (size_t k = 0; live && k < n; k++) {
        sl_case_reg_t *to = &all[pos[k]];
        memcpy(to->case_no, live[k].case_no, sizeof to->case_no);
        to->case_id = live[k].case_id;
        to->repeated = live[k].repeated;
        to->repeat_count = live[k].repeat_count;
        to->reopened = live[k].reopened;
    }
    free(live);
    free(pos);
    for (size_t i = 0; i < all_n; i++) {
        free(own[2 * i]);
        free(own[2 * i + 1]);
        free(details[i]);
    }
    free(own);
    free(details);
    free(reopen_of);
    free(rows);
    for (size_t k = 0; k < chains.n; k++) {
        free(chains.v[k].key);
        free(chains.v[k].credit);
    }
    free(chains.v);
    free(keys);
    free(credits);
    free(chain_of);
    return rc;
}

int
sl_case_list(sl_db_t *db, long limit, sl_case_row_cb *cb, void *arg)
{
    char lim[32];
    snprintf(lim, sizeof lim, "%ld", limit > 0 ? limit : 0);
    const char *p[] = {limit > 0 ? lim : NULL};
    PGresult *r;
    int rc = sl_db_exec(db, &r,
                        "SELECT c.case_no, c.status, s.enum_name, c.division || ' ' || d.name,"
                        " c.subject_name, coalesce(c.unit_code, ''), c.repeat_count"
                        " FROM cases c JOIN sector s ON s.code = c.sector"
                        " JOIN division d ON d.code = c.division"
                        " ORDER BY c.id DESC LIMIT $1::bigint",
                        1, p);
    if (rc != 0)
        return rc;
    for (int i = 0; i < PQntuples(r); i++)
        cb(arg, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
           PQgetvalue(r, i, 3), PQgetvalue(r, i, 4), PQgetvalue(r, i, 5),
           atoi(PQgetvalue(r, i, 6)));
    PQclear(r);
    return 0;
}

int
sl_case_id(sl_db_t *db, const char *case_no, int64_t *id)
{
    const char *p[] = {case_no};
    PGresult *r;
    int rc = sl_db_exec(db, &r, "SELECT id FROM cases WHERE case_no = $1", 1, p);
    if (rc != 0)
        return rc;
    rc = PQntuples(r) ? 0 : 1;
    if (rc == 0)
        *id = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    return rc;
}

/* The columns sl_case_fetch documents, before its WHERE. */
#define S_FETCH_SQL \
    "SELECT c.case_no, c.status, s.enum_name AS sector, s.name AS sector_zh, c.division," \
    " d.name AS division_name, c.township, c.address, c.subject_name," \
    " coalesce(c.credit_code, '') AS credit_code, c.channel, c.received_at, c.registered_at," \
    " c.route, coalesce(c.unit_code, '') AS unit_code, coalesce(u.name, '') AS unit_name," \
    " c.repeat_count, array_to_string(c.violations, ',') AS violations, c.violation_text," \
    " c.sector_text, c.upper_office, (SELECT office_short FROM node) AS node_office," \
    " c.subject_kind," \
    " c.description, c.major_hazard, c.suspected_crime, c.suspected_dereliction," \
    " coalesce(c.upper_case_no, '') AS upper_case_no," \
    "  coalesce(c.upper_notice_no, '') AS upper_notice_no, c.reporter_sealed, c.id, c.category," \
    " coalesce(c.upper_transfer_date::text, '') AS upper_transfer_date," \
    " coalesce(c.upper_objection_deadline::text, '') AS upper_objection_deadline," \
    " coalesce(c.upper_feedback_deadline::text, '') AS upper_feedback_deadline," \
    " coalesce(c.upper_list_no, '') AS upper_list_no," \
    " coalesce(c.upper_answered_at::text, '') AS upper_answered_at," \
    " c.upper_overdue_at IS NOT NULL AS upper_overdue," \
    " c.upper_withdrawn_at IS NOT NULL AS upper_withdrawn," \
    " EXISTS (SELECT 1 FROM supervision sv WHERE sv.case_id = c.id" \
    "         AND sv.status = 'listed') AS supervised" \
    " FROM cases c JOIN sector s ON s.code = c.sector" \
    " JOIN division d ON d.code = c.division LEFT JOIN unit u ON u.code = c.unit_code"

int
sl_case_fetch(sl_db_t *db, const char *case_no, PGresult **res)
{
    const char *p[] = {case_no};
    return sl_db_exec(db, res, S_FETCH_SQL " WHERE c.case_no = $1", 1, p);
}

int
sl_case_fetch_many(sl_db_t *db, const char *const *case_nos, size_t n, PGresult **res)
{
    sl_db_cols_t nos;
    sl_db_cols_init(&nos, 1);
    for (size_t i = 0; i < n; i++)
        sl_db_array_add(&nos.col[0], case_nos[i]);
    int rc = sl_db_exec(db, res, S_FETCH_SQL " WHERE c.case_no = ANY ($1::text[])", 1,
                        sl_db_cols_params(&nos));
    sl_db_cols_free(&nos);
    return rc;
}

long
sl_case_claim_registered(sl_db_t *db, long limit, bool from_above, sl_case_claim_t **out)
{
    char lim[32];
    snprintf(lim, sizeof lim, "%ld", limit > 0 ? limit : 1000000);
    const char *p[] = {lim, from_above ? "t" : "f"};
    PGresult *r;
    *out = NULL;
    int rc = sl_db_exec(db, &r,
                        "SELECT id, case_no, sector, unit_code FROM cases"
                        " WHERE status = 'registered' AND unit_code IS NOT NULL"
                        " AND (NOT $2::bool OR upper_notice_no IS NOT NULL)"
                        " ORDER BY id LIMIT $1::bigint FOR UPDATE SKIP LOCKED",
                        2, p);
    if (rc != 0)
        return rc;
    long n = PQntuples(r);
    *out = sl_calloc(n > 0 ? (size_t)n : 1, sizeof **out);
    for (long i = 0; i < n; i++) {
        sl_case_claim_t *c = &(*out)[i];
        c->id = atoll(PQgetvalue(r, (int)i, 0));
        snprintf(c->case_no, sizeof c->case_no, "%s", PQgetvalue(r, (int)i, 1));
        c->sector = atoi(PQgetvalue(r, (int)i, 2));
        snprintf(c->unit_code, sizeof c->unit_code, "%s", PQgetvalue(r, (int)i, 3));
    }
    PQclear(r);
    return n;
}

int
sl_case_next_seq(sl_db_t *db, const char *scope, int year, const char *key, long long *seq)
{
    return sl_case_next_seqs(db, scope, year, key, 1, seq);
}

int
sl_case_next_seqs(sl_db_t *db, const char *scope, int year, const char *key, long count,
                  long long *seq)
{
    char y[16], n[24];
    snprintf(y, sizeof y, "%d", year);
    snprintf(n, sizeof n, "%ld", count);
    const char *p[] = {scope, y, key, n};
    PGresult *r;
    int rc = sl_db_exec(db, &r,
                        "INSERT INTO counter (scope, year, key, value)"
                        " VALUES ($1, $2::int, $3, $4::bigint)"
                        " ON CONFLICT (scope, year, key) DO UPDATE"
                        " SET value = counter.value + $4::bigint RETURNING value",
                        4, p);
    if (rc != 0)
        return rc;
    *seq = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    return 0;
}

int
sl_case_set_status_many(sl_db_t *db, const int64_t *case_ids, const char *status,
                        const char *const *unit_codes, size_t n)
{
    if (n == 0)
        return 0;
    sl_db_cols_t cols;
    sl_db_cols_init(&cols, 2);
    for (size_t i = 0; i < n; i++) {
        sl_db_array_add_int(&cols.col[0], case_ids[i]);
        sl_db_array_add(&cols.col[1], unit_codes[i]);
    }
    const char *const *c = sl_db_cols_params(&cols);
    const char *p[] = {c[0], c[1], status};
    int rc = sl_db_defer(db,
                         "UPDATE cases c SET status = $3, unit_code = coalesce(u.unit, c.unit_code)"
                         " FROM unnest($1::bigint[], $2::text[]) AS u(id, unit) WHERE c.id = u.id",
                         3, p);
    sl_db_cols_free(&cols);
    return rc;
}

int
sl_case_set_status(sl_db_t *db, int64_t case_id, const char *status, const char *unit_code)
{
    char id[32];
    snprintf(id, sizeof id, "%lld", (long long)case_id);
    const char *p[] = {id, status, unit_code};
    return sl_db_exec(db, NULL,
                      "UPDATE cases SET status = $2, unit_code = coalesce($3, unit_code)"
                      " WHERE id = $1::bigint",
                      3, p);
}

int
sl_case_open(sl_db_t *db, const char *node, int64_t now_ms, const sl_case_new_t *c,
             const char *actor_key, const char *actor_unit, const char *detail, char *case_no,
             int64_t *id)
{
    const sl_sector_t *sec = sl_sector_by_value(c->sector);
    if (!sec) {
        sl_log(SL_LOG_ERROR, "could not open a case: unknown sector %d", c->sector);
        return -1;
    }
    int y, m, d;
    sl_date_ymd(sl_ms_to_day(now_ms), &y, &m, &d);
    char year[8], at[40], sector[8];
    snprintf(year, sizeof year, "%d", y);
    snprintf(sector, sizeof sector, "%d", c->sector);
    sl_time_format_iso(now_ms, at, sizeof at);
    PGresult *r;
    long long seq;
    int rc = sl_case_next_seq(db, "case", y, sec->short_zh, &seq);
    if (rc != 0)
        return rc;
    sl_case_number(case_no, 64, node, y, sec->short_zh, seq);
    char seqs[24];
    snprintf(seqs, sizeof seqs, "%lld", seq);
    char *key = sl_subject_key(c->subject_name ? c->subject_name : "");
    char *credit = c->credit_code && c->credit_code[0] ? sl_subject_credit(c->credit_code) : NULL;
#define S(x) ((x) ? (x) : "")
    const char *p[] = {case_no, year, sector, seqs, at, S(c->channel), S(c->subject_name), key,
                       credit && credit[0] ? credit : NULL, S(c->division), S(c->township), S(c->address),
                       c->violations && c->violations[0] ? c->violations : "{}",
                       S(c->violation_text), S(c->description), c->major_hazard ? "t" : "f",
                       c->suspected_crime ? "t" : "f", c->suspected_dereliction ? "t" : "f",
                       S(c->route), c->unit_code, S(c->msg_id), c->upper_case_no,
                       c->upper_notice_no, S(c->sector_text)};
#undef S
    rc = sl_db_exec(
        db, &r,
        "INSERT INTO cases (case_no, year, sector, seq, status, registered_at, channel,"
        " received_at, subject_name, subject_key, credit_code, division, township, address,"
        " violations, violation_text, description, major_hazard, suspected_crime,"
        " suspected_dereliction, route, unit_code, source_msg_id, upper_case_no,"
        " upper_notice_no, sector_text)"
        " VALUES ($1, $2::int, $3::smallint, $4::int, 'registered', $5::timestamptz, $6,"
        "  $5::timestamptz, $7, $8, $9, $10, $11, $12, $13::smallint[], $14, $15, $16::bool,"
        "  $17::bool, $18::bool, $19, $20, $21, $22, $23, $24) RETURNING id",
        24, p);
    free(key);
    free(credit);
    if (rc != 0)
        return rc;
    *id = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    sl_audit_event_t ev = {.at_ms = now_ms,
                           .kind = "registered",
                           .actor_key = actor_key,
                           .actor_unit = actor_unit,
                           .operator = "",
                           .msg_id = c->msg_id,
                           .detail = detail};
    return sl_audit_append(db, *id, &ev);
}

/* Case CASE_NO's sl_case_fetch row: 0 with *R (the caller PQclears), 1 if
 * unknown, -1 or SL_AGAIN. */
static int
s_fetch_one(sl_db_t *db, const char *case_no, PGresult **r)
{
    int rc = sl_case_fetch(db, case_no, r);
    if (rc != 0)
        return rc;
    if (PQntuples(*r) == 0) {
        PQclear(*r);
        return 1;
    }
    return 0;
}

/* violations "1,3" → repeated int32 in ARENA. */
static void
s_violations_parse(sl_arena_t *a, const char *text, sl_pb_clue_t *c)
{
    size_t n = 0;
    for (const char *s = text; *s; s++)
        n += *s == ',';
    if (!*text)
        return;
    c->violations = sl_arena_alloc(a, (n + 1) * sizeof *c->violations);
    char *end;
    for (const char *s = text; *s; s = *end ? end + 1 : end) {
        c->violations[c->n_violations++] = (int32_t)strtol(s, &end, 10);
        if (end == s)
            break;
    }
}

/* A timestamptz as PostgreSQL prints it ("2021-11-15 09:00:00+08", an
 * offset of hours only) in ms; FALLBACK if it does not parse. */
static int64_t
s_pg_ms(const char *text, int64_t fallback)
{
    int64_t ms;
    char buf[64];
    if (sl_time_parse_iso(text, &ms) == 0)
        return ms;
    snprintf(buf, sizeof buf, "%s:00", text);
    return sl_time_parse_iso(buf, &ms) == 0 ? ms : fallback;
}

/* The case's sealed reporter (column reporter_sealed of an sl_case_fetch
 * result) onto CLUE, decoded into A; nothing if there is none. The record is
 * sealed for this node's key; sl-dispatch re-seals it for a child before the
 * first send (sl_fed_reseal). */
static void
s_attach_reporter(const PGresult *r, int row, sl_arena_t *a, sl_pb_clue_t *clue)
{
    int col = PQfnumber(r, "reporter_sealed");
    if (col < 0 || PQgetisnull(r, row, col))
        return;
    size_t len;
    unsigned char *b = PQunescapeBytea((const unsigned char *)PQgetvalue(r, row, col), &len);
    if (!b)
        return;
    clue->sealed_reporter = (sl_pb_sealed_reporter_t *)sl_codec_unpack(
        a, &safeloop__v1__sealed_reporter__descriptor, b, len);
    PQfreemem(b);
}

/* Row ROW of an sl_case_fetch result as a view. */
static void
s_view(const PGresult *r, int row, sl_case_view_t *out)
{
    memset(out, 0, sizeof *out);
#define F(name) PQgetvalue(r, row, PQfnumber(r, name))
    out->id = atoll(F("id"));
    snprintf(out->case_no, sizeof out->case_no, "%s", F("case_no"));
    snprintf(out->status, sizeof out->status, "%s", F("status"));
    out->major_hazard = strcmp(F("major_hazard"), "t") == 0;
    out->supervised = strcmp(F("supervised"), "t") == 0;
    out->suspected_crime = strcmp(F("suspected_crime"), "t") == 0;
    out->suspected_dereliction = strcmp(F("suspected_dereliction"), "t") == 0;
    out->repeat_count = atoi(F("repeat_count"));
    out->upper_objection = -1;
    out->upper_feedback = -1;
    if (*F("upper_objection_deadline"))
        sl_date_parse(F("upper_objection_deadline"), &out->upper_objection);
    if (*F("upper_feedback_deadline"))
        sl_date_parse(F("upper_feedback_deadline"), &out->upper_feedback);
    snprintf(out->node_office, sizeof out->node_office, "%s", F("node_office"));
#undef F
}

void
sl_case_view_of(const PGresult *r, int row, sl_case_view_t *out)
{
    s_view(r, row, out);
}

sl_pb_clue_t *
sl_case_clue_of(const PGresult *r, int row, int64_t now_ms, bool with_reporter, sl_arena_t *a,
                sl_case_view_t *view)
{
#define F(name) sl_arena_strdup(a, PQgetvalue(r, row, PQfnumber(r, name)))
    sl_pb_clue_t *clue = sl_arena_calloc(a, sizeof *clue);
    sl_pb_subject_t *subj = sl_arena_calloc(a, sizeof *subj);
    sl_pb_place_t *place = sl_arena_calloc(a, sizeof *place);
    *clue = (sl_pb_clue_t)SAFELOOP__V1__CLUE_REPORT__INIT;
    *subj = (sl_pb_subject_t)SAFELOOP__V1__SUBJECT__INIT;
    *place = (sl_pb_place_t)SAFELOOP__V1__PLACE__INIT;
    clue->received_at = s_pg_ms(PQgetvalue(r, row, PQfnumber(r, "received_at")), now_ms);
    subj->name = F("subject_name");
    subj->credit_code = F("credit_code");
    clue->subject = subj;
    place->division = F("division");
    place->township = F("township");
    place->address = F("address");
    clue->place = place;
    const sl_sector_t *sec = sl_sector_by_name(PQgetvalue(r, row, PQfnumber(r, "sector")));
    clue->sector = sec ? (Safeloop__V1__Sector)sec->value : 0;
    s_violations_parse(a, PQgetvalue(r, row, PQfnumber(r, "violations")), clue);
    clue->violation_text = F("violation_text");
    clue->sector_text = F("sector_text");
    clue->category = F("category");
    clue->subject_kind = sl_case_subject_kind_value(PQgetvalue(r, row, PQfnumber(r, "subject_kind")));
    clue->description = F("description");
    clue->major_hazard = strcmp(PQgetvalue(r, row, PQfnumber(r, "major_hazard")), "t") == 0;
    clue->suspected_crime = strcmp(PQgetvalue(r, row, PQfnumber(r, "suspected_crime")), "t") == 0;
    clue->suspected_dereliction =
        strcmp(PQgetvalue(r, row, PQfnumber(r, "suspected_dereliction")), "t") == 0;
#undef F
    if (with_reporter)
        s_attach_reporter(r, row, a, clue);
    if (view)
        s_view(r, row, view);
    return clue;
}

int
sl_case_clue(sl_db_t *db, const char *case_no, int64_t now_ms, bool with_reporter, sl_arena_t *a,
             sl_pb_clue_t **out, sl_case_view_t *view)
{
    *out = NULL;
    PGresult *r;
    int rc = s_fetch_one(db, case_no, &r);
    if (rc != 0)
        return rc;
    *out = sl_case_clue_of(r, 0, now_ms, with_reporter, a, view);
    PQclear(r);
    return 0;
}

int
sl_case_get(sl_db_t *db, const char *case_no, sl_case_view_t *out)
{
    memset(out, 0, sizeof *out);
    PGresult *r;
    int rc = s_fetch_one(db, case_no, &r);
    if (rc != 0)
        return rc;
    s_view(r, 0, out);
    PQclear(r);
    return 0;
}

int
sl_case_set_upper(sl_db_t *db, const char *case_no, const char *transfer_date,
                  const char *objection_deadline, const char *feedback_deadline,
                  const char *list_no)
{
#define N(s) ((s) && *(s) ? (s) : NULL)
    const char *p[] = {case_no, N(transfer_date), N(objection_deadline), N(feedback_deadline),
                       N(list_no)};
#undef N
    return sl_db_exec(db, NULL,
                      "UPDATE cases SET upper_transfer_date = $2::date,"
                      " upper_objection_deadline = $3::date, upper_feedback_deadline = $4::date,"
                      " upper_list_no = $5 WHERE case_no = $1",
                      5, p);
}

/* Stamps COLUMN (a fixed name) of case CASE_ID from above at NOW_MS, once. */
static int
s_upper_stamp(sl_db_t *db, int64_t case_id, int64_t now_ms, const char *column)
{
    char id[24], at[40], sql[256];
    snprintf(id, sizeof id, "%lld", (long long)case_id);
    sl_time_format_iso(now_ms, at, sizeof at);
    snprintf(sql, sizeof sql,
             "UPDATE cases SET %s = $2::timestamptz WHERE id = $1::bigint"
             " AND upper_feedback_deadline IS NOT NULL AND %s IS NULL",
             column, column);
    const char *p[] = {id, at};
    return sl_db_exec(db, NULL, sql, 2, p);
}

int
sl_case_upper_answered(sl_db_t *db, int64_t case_id, int64_t now_ms)
{
    return s_upper_stamp(db, case_id, now_ms, "upper_answered_at");
}

int
sl_case_upper_withdrawn(sl_db_t *db, int64_t case_id, int64_t now_ms)
{
    return s_upper_stamp(db, case_id, now_ms, "upper_withdrawn_at");
}

long
sl_case_upper_watch(sl_db_t *db, const sl_calendar_t *cal, int64_t now_ms, long long key,
                    long limit, const sl_actor_t *actor, bool *busy, sl_case_upper_cb *cb,
                    void *arg)
{
    *busy = false;
    bool leader;
    int rc = sl_db_begin_leader(db, key, &leader);
    if (rc != 0)
        return rc;
    if (!leader) {
        *busy = true;
        return 0;
    }
    char today[11], lim[24], at[40];
    sl_date_format(sl_ms_to_day(now_ms), today);
    snprintf(lim, sizeof lim, "%ld", limit);
    sl_time_format_iso(now_ms, at, sizeof at);
    const char *p[] = {today, lim};
    PGresult *r = NULL;
    /* a reminder falls at most a fortnight before (the longest holiday) */
    if ((rc = sl_db_exec(db, &r,
                         "SELECT id, case_no, upper_feedback_deadline::text,"
                         " upper_reminded_at IS NOT NULL, coalesce(upper_notice_no, ''),"
                         " coalesce(upper_office, '')"
                         " FROM cases WHERE upper_feedback_deadline IS NOT NULL"
                         " AND upper_answered_at IS NULL AND upper_overdue_at IS NULL"
                         " AND upper_withdrawn_at IS NULL" /* withdrawn: nothing owed up */
                         " AND upper_feedback_deadline <= $1::date + 15"
                         " ORDER BY upper_feedback_deadline, id LIMIT $2::int"
                         " FOR UPDATE SKIP LOCKED",
                         2, p)) != 0)
        goto fail;
    int n = PQntuples(r);
    char **topics = sl_calloc((size_t)n * 2 + 1, sizeof *topics);
    char **nos = sl_calloc((size_t)n * 2 + 1, sizeof *nos);
    char **bodies = sl_calloc((size_t)n * 2 + 1, sizeof *bodies);
    size_t nev = 0;
    long acted = 0;
    for (int i = 0; i < n; i++) {
#define V(c) PQgetvalue(r, i, c)
        int32_t day;
        if (sl_date_parse(V(2), &day) != 0)
            continue;
        sl_clock_due_t due;
        sl_deadline_upper_check(cal, day, V(3)[0] == 't', false, now_ms, &due);
        if (!due.remind && !due.overdue)
            continue;
        acted++;
        const char *up[] = {V(0), at, due.remind ? "t" : "f", due.overdue ? "t" : "f"};
        if ((rc = sl_db_exec(db, NULL,
                             "UPDATE cases SET"
                             " upper_reminded_at = CASE WHEN $3::bool THEN $2::timestamptz"
                             "   ELSE upper_reminded_at END,"
                             " upper_overdue_at = CASE WHEN $4::bool THEN $2::timestamptz"
                             "   ELSE upper_overdue_at END WHERE id = $1::bigint",
                             4, up)) != 0)
            goto fail_events;
        static const char *const kinds[2] = {"upper_reminded", "upper_overdue"};
        static const char *const tops[2] = {"deadline.upper_reminder", "deadline.upper_overdue"};
        bool on[2] = {due.remind, due.overdue};
        for (int k = 0; k < 2; k++) {
            if (!on[k])
                continue;
            json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "case_no", V(1), "upper_notice_no", V(4),
                                  "upper_feedback_deadline", V(2), "clock", kinds[k]);
            bodies[nev] = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
            topics[nev] = (char *)tops[k];
            nos[nev++] = sl_strdup(V(1));
            if ((rc = sl_audit_append_json(db, atoll(V(0)), now_ms, kinds[k], actor, o)) != 0)
                goto fail_events;
            sl_log(k ? SL_LOG_WARN : SL_LOG_INFO, "case=%s %s: owed upward by %s", V(1), kinds[k],
                   V(2));
        }
#undef V
    }
    PQclear(r);
    r = NULL;
    if ((rc = sl_db_commit(db)) != 0)
        goto fail_events;
    for (size_t k = 0; k < nev; k++)
        if (cb)
            cb(arg, topics[k], nos[k], bodies[k]);
    rc = 0;
fail_events:
    for (size_t k = 0; k < nev; k++) {
        free(nos[k]);
        free(bodies[k]);
    }
    free(topics);
    free(nos);
    free(bodies);
    if (rc == 0)
        return acted;
fail:
    if (rc == -1)
        sl_log(SL_LOG_ERROR, "could not watch the deadlines owed upward: %s", sl_db_error(db));
    PQclear(r);
    sl_db_rollback(db);
    return rc;
}

int
sl_case_set_suspected(sl_db_t *db, int64_t case_id, bool crime, bool dereliction)
{
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)case_id);
    const char *p[] = {id, crime ? "t" : "f", dereliction ? "t" : "f"};
    return sl_db_exec(db, NULL,
                      "UPDATE cases SET suspected_crime = suspected_crime OR $2::bool,"
                      " suspected_dereliction = suspected_dereliction OR $3::bool"
                      " WHERE id = $1::bigint",
                      3, p);
}

int
sl_case_for_decision(sl_db_t *db, const char *node, const sl_pb_decision_t *d, const char *what,
                     sl_codec_error_t *err, sl_case_view_t *out)
{
    if (strcmp(d->from_unit, node) != 0) {
        sl_codec_error_set(err, SL_ERR_WRONG_ORIGIN, NULL,
                           "%s只能由本节点 %s 决定，收到的发送单位是 %.40s", what, node,
                           d->from_unit);
        return SL_DECLINED;
    }
    int rc = sl_case_get(db, d->case_no, out);
    if (rc == 1) {
        sl_codec_error_set(err, SL_ERR_UNKNOWN_CASE, NULL, "本节点没有线索编号为 %.80s 的问题线索",
                           d->case_no);
        return SL_DECLINED;
    }
    return rc;
}

const char *
sl_case_subject_kind(int kind)
{
    switch (kind) {
    case SAFELOOP__V1__CLUE_REPORT__SUBJECT_KIND__NATURAL_PERSON:
        return "自然人";
    case SAFELOOP__V1__CLUE_REPORT__SUBJECT_KIND__INDIVIDUAL_BUSINESS:
        return "个体工商户";
    default:
        return "单位";
    }
}

int
sl_case_subject_kind_value(const char *text)
{
    if (text && strcmp(text, "自然人") == 0)
        return SAFELOOP__V1__CLUE_REPORT__SUBJECT_KIND__NATURAL_PERSON;
    if (text && strcmp(text, "个体工商户") == 0)
        return SAFELOOP__V1__CLUE_REPORT__SUBJECT_KIND__INDIVIDUAL_BUSINESS;
    return SAFELOOP__V1__CLUE_REPORT__SUBJECT_KIND__ENTITY;
}
