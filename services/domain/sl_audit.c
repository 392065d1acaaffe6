/* sl_audit.c — the per-case audit chain: hashing, appending, verifying, listing.
 *
 * The only module that writes case_event and case_chain (the chains' heads,
 * migration 022; DESIGN.md rule 4). The encoding that is hashed is documented
 * in sl_audit.h; changing it breaks every stored chain, so it carries a
 * version tag. */
#include "sl_audit.h"

#include "sl_clock.h"
#include "sl_log.h"
#include "sl_util.h"

#include <assert.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_TAG "safeloop:audit:v1"
#define S_GENESIS_PREFIX "safeloop:case:"
#define S_SUBJECT_PREFIX "safeloop:" /* then "<kind>:<id>": a case is the subject "case:<no>" */
#define S_FETCH_ROWS "2000" /* rows per FETCH while verifying */

/* Pure part ------------------------------------------------------------------ */

static void
s_hex(const unsigned char digest[crypto_hash_sha256_BYTES], char out_hex[SL_AUDIT_HEX_LEN + 1])
{
    sodium_bin2hex(out_hex, SL_AUDIT_HEX_LEN + 1, digest, crypto_hash_sha256_BYTES);
}

static void
s_be64(unsigned char out[8], uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        out[i] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
}

/* F(x): 8-byte big-endian length, then the bytes. */
static void
s_field(crypto_hash_sha256_state *st, const void *data, size_t n)
{
    unsigned char len[8];
    s_be64(len, (uint64_t)n);
    crypto_hash_sha256_update(st, len, sizeof len);
    if (n)
        crypto_hash_sha256_update(st, data, n);
}

static void
s_field_str(crypto_hash_sha256_state *st, const char *s)
{
    s = s ? s : "";
    s_field(st, s, strlen(s));
}

static void
s_field_int(crypto_hash_sha256_state *st, int64_t v)
{
    unsigned char b[8];
    s_be64(b, (uint64_t)v);
    s_field(st, b, sizeof b);
}

static const char *
s_detail(const sl_audit_event_t *ev)
{
    return ev->detail ? ev->detail : "{}";
}

static const char *
s_str(const char *s)
{
    return s ? s : "";
}

/* SHA-256(PREFIX || NAME) as hex: the genesis of a chain. */
static void
s_genesis(const char *prefix, const char *name, char out_hex[SL_AUDIT_HEX_LEN + 1])
{
    crypto_hash_sha256_state st;
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const unsigned char *)prefix, strlen(prefix));
    crypto_hash_sha256_update(&st, (const unsigned char *)s_str(name), strlen(s_str(name)));
    crypto_hash_sha256_final(&st, digest);
    s_hex(digest, out_hex);
}

void
sl_audit_genesis(const char *case_no, char out_hex[SL_AUDIT_HEX_LEN + 1])
{
    s_genesis(S_GENESIS_PREFIX, case_no, out_hex);
}

void
sl_audit_genesis_of(const char *subject, char out_hex[SL_AUDIT_HEX_LEN + 1])
{
    s_genesis(S_SUBJECT_PREFIX, subject, out_hex);
}

void
sl_audit_hash(const char *prev_hex, const sl_audit_event_t *ev, char out_hex[SL_AUDIT_HEX_LEN + 1])
{
    crypto_hash_sha256_state st;
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_init(&st);
    s_field_str(&st, S_TAG);
    s_field_str(&st, prev_hex);
    s_field_int(&st, ev->seq);
    s_field_int(&st, ev->at_ms);
    s_field_str(&st, ev->kind);
    s_field_str(&st, ev->actor_key);
    s_field_str(&st, ev->actor_unit);
    s_field_str(&st, ev->operator);
    s_field_str(&st, ev->msg_id);
    s_field_str(&st, s_detail(ev));
    crypto_hash_sha256_final(&st, digest);
    s_hex(digest, out_hex);
}

/* Appending ------------------------------------------------------------------ */

int
sl_audit_append_known(sl_db_t *db, int64_t case_id, const char *case_no, int32_t prev_seq,
                      const char *prev_head, const sl_audit_event_t *ev, char *new_head)
{
    assert(ev && case_no && prev_seq >= 0);
    sl_audit_event_t e = *ev;
    e.seq = prev_seq + 1;
    char prev[SL_AUDIT_HEX_LEN + 1], hash[SL_AUDIT_HEX_LEN + 1];
    if (prev_seq == 0)
        sl_audit_genesis(case_no, prev);
    else
        snprintf(prev, sizeof prev, "%s", s_str(prev_head));
    sl_audit_hash(prev, &e, hash);

    char id[24], seq[16], at[48];
    snprintf(id, sizeof id, "%" PRId64, case_id);
    snprintf(seq, sizeof seq, "%" PRId32, e.seq);
    /* Timestamp text, not a float: the stored instant is exactly at_ms. */
    sl_time_format_iso(e.at_ms, at, sizeof at);
    const char *head_now = prev_seq == 0 ? "" : prev;
    const char *p[] = {id,
                       seq,
                       at,
                       s_str(e.kind),
                       s_str(e.actor_key),
                       s_str(e.actor_unit),
                       s_str(e.operator),
                       s_str(e.msg_id),
                       s_detail(&e),
                       prev,
                       hash,
                       head_now};
    PGresult *r = NULL;
    /* Locks the case's row (as an UPDATE of cases would: the lock order of
     * 022), moves the head only if it is where the caller says — the first
     * event writes the head's row, which must not exist yet — and inserts
     * only if it moved: one round trip, and a wrong PREV_SEQ appends nothing. */
    char sql[1024];
    snprintf(sql, sizeof sql,
             "WITH lk AS (SELECT id FROM cases WHERE id = $1::bigint FOR NO KEY UPDATE),"
             " moved AS (%s)"
             " INSERT INTO case_event (case_id, seq, at, kind, actor_key, actor_unit,"
             "   operator, msg_id, detail, prev_hash, hash)"
             " SELECT case_id, $2::int, $3::timestamptz, $4, $5, $6, $7, $8, $9, $10, $11"
             "   FROM moved",
             prev_seq == 0 ? "INSERT INTO case_chain (case_id, seq, head)"
                             " SELECT id, $2::int, $11::text FROM lk WHERE $12::text = ''"
                             " ON CONFLICT (case_id) DO NOTHING RETURNING case_id"
                           : "UPDATE case_chain SET seq = $2::int, head = $11::text"
                             " WHERE case_id = (SELECT id FROM lk) AND seq = $2::int - 1"
                             " AND head = $12::text RETURNING case_id");
    int rc = sl_db_exec(db, &r, sql, (int)SL_ARRAY_LEN(p), p);
    if (rc != 0) {
        sl_log(SL_LOG_ERROR, "case_no=%s could not append audit event %s: %s", case_no, seq,
               sl_db_error(db));
        return rc;
    }
    long n = strtol(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    if (n != 1) {
        sl_log(SL_LOG_ERROR,
               "case_no=%s could not append audit event %s: the case's chain is not at seq %d",
               case_no, seq, (int)prev_seq);
        return -1;
    }
    if (new_head)
        memcpy(new_head, hash, sizeof hash);
    return 0;
}

int
sl_audit_lock_cases(sl_db_t *db, const char *ids)
{
    const char *p[] = {ids};
    return sl_db_defer(
        db, "SELECT 1 FROM cases WHERE id = ANY ($1::bigint[]) ORDER BY id FOR UPDATE", 1, p);
}

/* Locks the rows of the cases IDS names (sl_audit_lock_cases), then reads
 * their numbers and heads (id, case_no, seq, head; ordered by id) by a
 * statement of its own, pipelined after the lock. */
static int
s_lock_heads(sl_db_t *db, const char *ids, PGresult **r)
{
    const char *p[] = {ids};
    int rc = sl_audit_lock_cases(db, ids);
    return rc != 0 ? rc
                   : sl_db_exec(db, r,
                                "SELECT c.id, c.case_no, coalesce(h.seq, 0), coalesce(h.head, '')"
                                " FROM cases c LEFT JOIN case_chain h ON h.case_id = c.id"
                                " WHERE c.id = ANY ($1::bigint[]) ORDER BY c.id",
                                1, p);
}

int
sl_audit_append(sl_db_t *db, int64_t case_id, const sl_audit_event_t *ev)
{
    char id[24], ids[32];
    snprintf(id, sizeof id, "%" PRId64, case_id);
    snprintf(ids, sizeof ids, "{%s}", id);
    PGresult *r = NULL;
    int rc = s_lock_heads(db, ids, &r);
    if (rc != 0) {
        sl_log(SL_LOG_ERROR, "case_id=%s could not lock case for its audit chain: %s", id,
               sl_db_error(db));
        return rc;
    }
    if (PQntuples(r) != 1) {
        sl_log(SL_LOG_ERROR, "case_id=%s could not append audit event: no such case", id);
        rc = -1;
        goto fail;
    }
    rc = sl_audit_append_known(db, case_id, PQgetvalue(r, 0, 1),
                               (int32_t)strtol(PQgetvalue(r, 0, 2), NULL, 10), PQgetvalue(r, 0, 3),
                               ev, NULL);
fail:
    PQclear(r);
    return rc;
}

enum { S_EV_ID, S_EV_NO, S_EV_SEQ, S_EV_AT, S_EV_KIND, S_EV_KEY, S_EV_UNIT, S_EV_OPERATOR,
       S_EV_MSG, S_EV_DETAIL, S_EV_PREV, S_EV_HASH, S_EV_NCOLS };

/* The events' columns, added to COLS; returns the index of the first. A
 * case_id 0 goes as NULL with CASE_NOS[i] (NULL: no case numbers, all known). */
static int
s_event_cols(sl_db_bin_t *cols, const sl_audit_row_t *rows, const char *const *case_nos,
             size_t n)
{
    static const sl_db_type_t types[S_EV_NCOLS] = {
        SL_DB_INT8, SL_DB_TEXT, SL_DB_INT4, SL_DB_TSTZ, SL_DB_TEXT, SL_DB_TEXT,
        SL_DB_TEXT, SL_DB_TEXT, SL_DB_TEXT, SL_DB_TEXT, SL_DB_TEXT, SL_DB_TEXT};
    int f = sl_db_bin_more(cols, S_EV_NCOLS, types);
    for (size_t i = 0; i < n; i++) {
        const sl_audit_row_t *r = &rows[i];
        if (r->case_id)
            sl_db_bin_int(cols, f + S_EV_ID, r->case_id);
        else
            sl_db_bin_null(cols, f + S_EV_ID);
        sl_db_bin_text(cols, f + S_EV_NO, case_nos ? case_nos[i] : NULL);
        sl_db_bin_int(cols, f + S_EV_SEQ, r->ev.seq);
        sl_db_bin_time(cols, f + S_EV_AT, r->ev.at_ms); /* exactly at_ms, as hashed */
        sl_db_bin_text(cols, f + S_EV_KIND, s_str(r->ev.kind));
        sl_db_bin_text(cols, f + S_EV_KEY, s_str(r->ev.actor_key));
        sl_db_bin_text(cols, f + S_EV_UNIT, s_str(r->ev.actor_unit));
        sl_db_bin_text(cols, f + S_EV_OPERATOR, s_str(r->ev.operator));
        sl_db_bin_text(cols, f + S_EV_MSG, s_str(r->ev.msg_id));
        sl_db_bin_text(cols, f + S_EV_DETAIL, s_detail(&r->ev));
        sl_db_bin_text(cols, f + S_EV_PREV, r->prev_hash);
        sl_db_bin_text(cols, f + S_EV_HASH, r->hash);
    }
    return f;
}

/* The INSERT of the events whose columns start at parameter $F+1; FRESH: rows
 * without a case id take the id of the fresh case of their number. */
static void
s_event_insert(sl_buf_t *sql, int f, bool fresh)
{
    sl_buf_printf(sql,
                  "INSERT INTO case_event (case_id, seq, at, kind, actor_key, actor_unit,"
                  " operator, msg_id, detail, prev_hash, hash)"
                  " SELECT %s, e.seq, e.at, e.kind, e.k, e.u, e.op, e.mi, e.d, e.p, e.h"
                  " FROM unnest($%d::bigint[], $%d::text[], $%d::int[], $%d::timestamptz[],"
                  " $%d::text[], $%d::text[], $%d::text[], $%d::text[], $%d::text[], $%d::text[],"
                  " $%d::text[], $%d::text[])"
                  " AS e(id, no, seq, at, kind, k, u, op, mi, d, p, h)%s",
                  fresh ? "coalesce(e.id, f.id)" : "e.id", f + 1, f + 2, f + 3, f + 4, f + 5,
                  f + 6, f + 7, f + 8, f + 9, f + 10, f + 11, f + 12,
                  fresh ? " LEFT JOIN fresh f ON e.id IS NULL AND f.case_no = e.no"
                          " RETURNING case_id, hash"
                        : "");
}

int
sl_audit_insert_rows(sl_db_t *db, const sl_audit_row_t *rows, size_t n)
{
    if (n == 0)
        return 0;
    sl_db_bin_t cols;
    sl_db_bin_init(&cols, 0, NULL);
    int f = s_event_cols(&cols, rows, NULL, n);
    sl_buf_t sql;
    sl_buf_init(&sql);
    s_event_insert(&sql, f, false);
    int rc = sl_db_bin_defer(db, sql.data, &cols);
    sl_buf_free(&sql);
    sl_db_bin_free(&cols);
    return rc;
}

int
sl_audit_insert_rows_with(sl_db_t *db, const char *with, sl_db_bin_t *cols, sl_audit_row_t *rows,
                          const char *const *case_nos, size_t n, const char *const *fresh_nos,
                          const int32_t *fresh_seqs, const char *const *fresh_heads, size_t nfresh)
{
    int f = s_event_cols(cols, rows, case_nos, n);
    static const sl_db_type_t types[] = {SL_DB_TEXT, SL_DB_INT4, SL_DB_TEXT};
    int h = sl_db_bin_more(cols, 3, types);
    for (size_t k = 0; k < nfresh; k++) {
        sl_db_bin_text(cols, h, fresh_nos[k]);
        sl_db_bin_int(cols, h + 1, fresh_seqs[k]);
        sl_db_bin_text(cols, h + 2, fresh_heads[k]);
    }
    sl_buf_t sql;
    sl_buf_init(&sql);
    /* the fresh cases' heads: a CTE that nothing reads still runs */
    sl_buf_printf(&sql,
                  "%s, chain AS (INSERT INTO case_chain (case_id, seq, head)"
                  " SELECT f.id, h.seq, h.head FROM unnest($%d::text[], $%d::int[], $%d::text[])"
                  " AS h(no, seq, head) JOIN fresh f ON f.case_no = h.no) ",
                  with, h + 1, h + 2, h + 3);
    s_event_insert(&sql, f, true);
    PGresult *r;
    int rc = sl_db_bin_exec(db, &r, sql.data, cols);
    sl_buf_free(&sql);
    if (rc != 0)
        return rc;
    /* Rows come back in the order they went in, in practice: try the next
     * row first, search only if that is not it. */
    size_t next = 0;
    for (int k = 0; k < PQntuples(r); k++) {
        const char *hash = PQgetvalue(r, k, 1);
        size_t i = next < n && strcmp(rows[next].hash, hash) == 0 ? next : n;
        for (size_t j = 0; i == n && j < n; j++) {
            if (strcmp(rows[j].hash, hash) == 0)
                i = j;
        }
        if (i < n) {
            rows[i].case_id = strtoll(PQgetvalue(r, k, 0), NULL, 10);
            next = i + 1;
        }
    }
    PQclear(r);
    return 0;
}

int
sl_audit_set_heads(sl_db_t *db, const int64_t *case_ids, const int32_t *seqs,
                   const char *const *heads, size_t n)
{
    if (n == 0)
        return 0;
    sl_db_cols_t cols;
    sl_db_cols_init(&cols, 3);
    for (size_t i = 0; i < n; i++) {
        sl_db_array_add_int(&cols.col[0], case_ids[i]);
        sl_db_array_add_int(&cols.col[1], seqs[i]);
        sl_db_array_add(&cols.col[2], heads[i]);
    }
    int rc = sl_db_defer(db,
                         "INSERT INTO case_chain (case_id, seq, head)"
                         " SELECT u.id, u.seq, u.head"
                         " FROM unnest($1::bigint[], $2::int[], $3::text[]) AS u(id, seq, head)"
                         " ON CONFLICT (case_id) DO UPDATE SET seq = excluded.seq,"
                         " head = excluded.head",
                         3, sl_db_cols_params(&cols));
    sl_db_cols_free(&cols);
    return rc;
}

/* A case's head while a batch is chained (sl_audit_append_many). */
typedef struct {
    int64_t id;                      /* cases.id */
    const char *case_no;             /* borrowed from the look-up's result */
    int32_t seq;                     /* case_chain.seq as the batch moves it */
    char head[SL_AUDIT_HEX_LEN + 1]; /* case_chain.head likewise */
} s_head_t;

static int
s_head_cmp(const void *a, const void *b)
{
    int64_t x = ((const s_head_t *)a)->id, y = ((const s_head_t *)b)->id;
    return x < y ? -1 : x > y;
}

/* sl_audit_append_many and sl_audit_append_many_then. */
static int
s_append_many(sl_db_t *db, const int64_t *case_ids, const sl_audit_event_t *evs, size_t n,
              sl_audit_meanwhile_fn *meanwhile, void *arg)
{
    if (n == 0)
        return meanwhile ? meanwhile(db, arg) : 0;
    sl_db_cols_t ids;
    sl_db_cols_init(&ids, 1);
    for (size_t i = 0; i < n; i++)
        sl_db_array_add_int(&ids.col[0], case_ids[i]);
    PGresult *r = NULL;
    int rc = s_lock_heads(db, sl_db_cols_params(&ids)[0], &r);
    sl_db_cols_free(&ids);
    if (rc != 0) {
        sl_log(SL_LOG_ERROR, "could not lock %zu cases for their audit chains: %s", n,
               sl_db_error(db));
        return rc;
    }
    if (meanwhile && (rc = meanwhile(db, arg)) != 0) {
        PQclear(r);
        return rc;
    }
    size_t nh = (size_t)PQntuples(r);
    s_head_t *heads = sl_calloc(nh + 1, sizeof *heads);
    for (size_t k = 0; k < nh; k++) {
        heads[k].id = strtoll(PQgetvalue(r, (int)k, 0), NULL, 10);
        heads[k].case_no = PQgetvalue(r, (int)k, 1);
        heads[k].seq = (int32_t)strtol(PQgetvalue(r, (int)k, 2), NULL, 10);
        snprintf(heads[k].head, sizeof heads[k].head, "%s", PQgetvalue(r, (int)k, 3));
    }
    sl_audit_row_t *rows = sl_calloc(n, sizeof *rows);
    for (size_t i = 0; i < n; i++) {
        s_head_t key = {.id = case_ids[i]};
        s_head_t *h = bsearch(&key, heads, nh, sizeof *heads, s_head_cmp);
        if (!h) {
            sl_log(SL_LOG_ERROR, "case_id=%" PRId64 " could not append audit event: no such case",
                   case_ids[i]);
            rc = -1;
            goto done;
        }
        sl_audit_row_t *row = &rows[i];
        row->case_id = h->id;
        row->ev = evs[i];
        row->ev.seq = h->seq + 1;
        if (h->seq == 0)
            sl_audit_genesis(h->case_no, row->prev_hash);
        else
            memcpy(row->prev_hash, h->head, sizeof row->prev_hash);
        sl_audit_hash(row->prev_hash, &row->ev, row->hash);
        h->seq = row->ev.seq;
        memcpy(h->head, row->hash, sizeof h->head);
    }
    if ((rc = sl_audit_insert_rows(db, rows, n)) != 0)
        goto done;
    int64_t *hid = sl_calloc(nh + 1, sizeof *hid);
    int32_t *hseq = sl_calloc(nh + 1, sizeof *hseq);
    const char **hhead = sl_calloc(nh + 1, sizeof *hhead);
    for (size_t k = 0; k < nh; k++)
        hid[k] = heads[k].id, hseq[k] = heads[k].seq, hhead[k] = heads[k].head;
    rc = sl_audit_set_heads(db, hid, hseq, hhead, nh);
    free(hid);
    free(hseq);
    free(hhead);
done:
    free(rows);
    free(heads);
    PQclear(r);
    return rc;
}

int
sl_audit_append_many(sl_db_t *db, const int64_t *case_ids, const sl_audit_event_t *evs, size_t n)
{
    return s_append_many(db, case_ids, evs, n, NULL, NULL);
}

int
sl_audit_append_many_then(sl_db_t *db, const int64_t *case_ids, const sl_audit_event_t *evs,
                          size_t n, sl_audit_meanwhile_fn *meanwhile, void *arg)
{
    return s_append_many(db, case_ids, evs, n, meanwhile, arg);
}

/* Reading -------------------------------------------------------------------- */

/* Columns of an event as both verify and list select them, from column FIRST. */
#define S_EVENT_COLS                                                                               \
    "e.seq, (extract(epoch FROM e.at) * 1000)::bigint, e.kind, e.actor_key, e.actor_unit,"         \
    " e.operator, e.msg_id, e.detail, e.prev_hash, e.hash"

static void
s_event_from_row(const PGresult *r, int row, int first, sl_audit_event_t *ev, const char **prev,
                 const char **hash)
{
    ev->seq = (int32_t)strtol(PQgetvalue(r, row, first), NULL, 10);
    ev->at_ms = strtoll(PQgetvalue(r, row, first + 1), NULL, 10);
    ev->kind = PQgetvalue(r, row, first + 2);
    ev->actor_key = PQgetvalue(r, row, first + 3);
    ev->actor_unit = PQgetvalue(r, row, first + 4);
    ev->operator= PQgetvalue(r, row, first + 5);
    ev->msg_id = PQgetvalue(r, row, first + 6);
    ev->detail = PQgetvalue(r, row, first + 7);
    *prev = PQgetvalue(r, row, first + 8);
    *hash = PQgetvalue(r, row, first + 9);
}

int
sl_audit_list(sl_db_t *db, int64_t case_id, sl_audit_event_cb cb, void *arg)
{
    char id[24];
    snprintf(id, sizeof id, "%" PRId64, case_id);
    const char *p[] = {id};
    PGresult *r = NULL;
    int rc = sl_db_exec(db, &r,
                        "SELECT " S_EVENT_COLS " FROM case_event e WHERE e.case_id = $1"
                        " ORDER BY e.seq",
                        1, p);
    if (rc != 0) {
        sl_log(SL_LOG_ERROR, "case_id=%s could not read audit events: %s", id, sl_db_error(db));
        return rc;
    }
    int n = PQntuples(r);
    for (int i = 0; i < n; i++) {
        sl_audit_event_t ev;
        const char *prev, *hash;
        s_event_from_row(r, i, 0, &ev, &prev, &hash);
        if (cb)
            cb(arg, &ev, prev, hash);
    }
    PQclear(r);
    return n;
}

/* Verifying ------------------------------------------------------------------ */

/* The case being walked. */
typedef struct {
    int64_t id;        /* cases.id; 0 before the first row */
    char *case_no;     /* cases.case_no; owned */
    int32_t audit_seq; /* case_chain.seq (0 without a row) */
    char *audit_head;  /* case_chain.head ('' without a row); owned */
    int32_t next;      /* the seq the next event should have */
    int32_t last_seq;  /* seq of the last event seen, 0 if none */
    long events;       /* events seen */
    char *prev;        /* stored hash of the last event seen (genesis at first); owned */
    bool linked;       /* the last event seen is the previous seq, so the link is checkable */
    bool subject;      /* a register's subject ("inspection:…"), not a case: case_no is the subject */
} s_walk_t;

typedef struct {
    sl_audit_break_cb cb; /* where breaks go */
    void *arg;            /* its argument */
    int breaks;           /* found so far */
} s_report_t;

static void s_break(s_report_t *rep, const s_walk_t *w, int32_t seq, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
s_break(s_report_t *rep, const s_walk_t *w, int32_t seq, const char *fmt, ...)
{
    char reason[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    rep->breaks++;
    if (rep->cb)
        rep->cb(rep->arg, w->case_no, seq, reason);
}

static void
s_walk_clear(s_walk_t *w)
{
    free(w->case_no);
    free(w->audit_head);
    free(w->prev);
    memset(w, 0, sizeof *w);
}

static void
s_walk_start(s_walk_t *w, const PGresult *r, int row, bool subject)
{
    s_walk_clear(w);
    w->subject = subject;
    w->id = strtoll(PQgetvalue(r, row, 0), NULL, 10);
    w->case_no = sl_strdup(PQgetvalue(r, row, 1));
    w->audit_seq = (int32_t)strtol(PQgetvalue(r, row, 2), NULL, 10);
    w->audit_head = sl_strdup(PQgetvalue(r, row, 3));
    w->next = 1;
    w->linked = true;
    char genesis[SL_AUDIT_HEX_LEN + 1];
    if (subject)
        sl_audit_genesis_of(w->case_no, genesis);
    else
        sl_audit_genesis(w->case_no, genesis);
    w->prev = sl_strdup(genesis);
}

static void
s_walk_event(s_walk_t *w, s_report_t *rep, const PGresult *r, int row)
{
    sl_audit_event_t ev;
    const char *prev, *hash;
    s_event_from_row(r, row, 4, &ev, &prev, &hash);
    bool linked = w->linked;
    if (ev.seq < w->next) {
        /* The key (case_id, seq) makes this a seq below 1. */
        s_break(rep, w, ev.seq, "event %d: seq out of order", (int)ev.seq);
        linked = false;
    } else if (ev.seq > w->next) {
        if (ev.seq == w->next + 1)
            s_break(rep, w, w->next, "event %d missing", (int)w->next);
        else
            s_break(rep, w, w->next, "events %d to %d missing", (int)w->next, (int)ev.seq - 1);
        linked = false;
    }
    char want[SL_AUDIT_HEX_LEN + 1];
    sl_audit_hash(prev, &ev, want);
    if (strcmp(want, hash) != 0)
        s_break(rep, w, ev.seq, "event %d: hash does not match its contents", (int)ev.seq);
    if (linked && strcmp(prev, w->prev) != 0) {
        if (ev.seq == 1)
            s_break(rep, w, ev.seq, "event 1: prev_hash does not match the case number's genesis");
        else
            s_break(rep, w, ev.seq, "event %d: prev_hash does not match event %d", (int)ev.seq,
                    (int)ev.seq - 1);
    }
    free(w->prev);
    w->prev = sl_strdup(hash);
    w->next = ev.seq >= w->next ? ev.seq + 1 : w->next;
    w->last_seq = ev.seq;
    w->linked = true;
    w->events++;
}

static void
s_walk_finish(s_walk_t *w, s_report_t *rep)
{
    if (w->id == 0)
        return;
    const char *heads = w->subject ? "audit_subject" : "case_chain"; /* where the head is kept */
    if (w->events == 0 && w->audit_seq == 0)
        s_break(rep, w, 0, "no audit events: the case's registration was not audited");
    else if (w->last_seq != w->audit_seq) {
        if (w->events == w->last_seq)
            s_break(rep, w, w->audit_seq, "%s.seq says %d but the chain has %ld events", heads,
                    (int)w->audit_seq, w->events);
        else
            s_break(rep, w, w->audit_seq, "%s.seq says %d but the chain ends at event %d", heads,
                    (int)w->audit_seq, (int)w->last_seq);
    } else if (strcmp(w->prev, w->audit_head) != 0)
        s_break(rep, w, w->audit_seq, "chain head does not match %s.head", heads);
}

/* Walks the chains the cursor sl_audit_walk returns (id, name, head seq, head,
 * S_EVENT_COLS; ordered by id, seq), counting into *NCHAINS and *NEVENTS. */
static int
s_walk_cursor(sl_db_t *db, bool subject, s_report_t *rep, long *nchains, long *nevents)
{
    s_walk_t w = {0};
    PGresult *r = NULL;
    int rc;
    for (;;) {
        if ((rc = sl_db_exec(db, &r, "FETCH " S_FETCH_ROWS " FROM sl_audit_walk", 0, NULL)) != 0)
            break;
        int n = PQntuples(r);
        for (int i = 0; i < n; i++) {
            int64_t id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
            if (id != w.id) {
                s_walk_finish(&w, rep);
                s_walk_start(&w, r, i, subject);
                (*nchains)++;
            }
            if (!PQgetisnull(r, i, 4)) {
                s_walk_event(&w, rep, r, i);
                (*nevents)++;
            }
        }
        PQclear(r);
        r = NULL;
        if (n == 0)
            break;
    }
    if (rc == 0)
        s_walk_finish(&w, rep);
    s_walk_clear(&w);
    return rc;
}

int
sl_audit_verify(sl_db_t *db, sl_audit_break_cb cb, void *arg, long *cases_checked,
                long *events_checked)
{
    s_report_t rep = {.cb = cb, .arg = arg};
    long ncases = 0, nevents = 0, nsubjects = 0;
    int rc;
    /* One snapshot for the whole walk: an append committed meanwhile is either
     * wholly seen (event and head) or not at all. */
    if ((rc = sl_db_exec(db, NULL, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL)) !=
        0)
        goto fail;
    if ((rc = sl_db_exec(
             db, NULL,
             "DECLARE sl_audit_walk NO SCROLL CURSOR FOR"
             " SELECT c.id, c.case_no, coalesce(h.seq, 0), coalesce(h.head, ''), " S_EVENT_COLS
             " FROM cases c LEFT JOIN case_chain h ON h.case_id = c.id"
             " LEFT JOIN case_event e ON e.case_id = c.id ORDER BY c.id, e.seq",
             0, NULL)) != 0 ||
        (rc = s_walk_cursor(db, false, &rep, &ncases, &nevents)) != 0 ||
        (rc = sl_db_exec(db, NULL, "CLOSE sl_audit_walk", 0, NULL)) != 0)
        goto fail;
    /* Then every register row's chain (a subject), numbered in the walk. */
    if ((rc = sl_db_exec(db, NULL,
                         "DECLARE sl_audit_walk NO SCROLL CURSOR FOR"
                         " SELECT dense_rank() OVER (ORDER BY c.subject), c.subject, c.seq,"
                         " c.head, " S_EVENT_COLS
                         " FROM audit_subject c LEFT JOIN subject_event e"
                         " ON e.subject = c.subject ORDER BY c.subject, e.seq",
                         0, NULL)) != 0 ||
        (rc = s_walk_cursor(db, true, &rep, &nsubjects, &nevents)) != 0)
        goto fail;
    sl_log(SL_LOG_DEBUG, "audit: %ld register rows' chains checked", nsubjects);
    if ((rc = sl_db_exec(db, NULL, "COMMIT", 0, NULL)) != 0)
        goto fail;
    if (cases_checked)
        *cases_checked = ncases;
    if (events_checked)
        *events_checked = nevents;
    return rep.breaks;
fail:
    sl_log(SL_LOG_ERROR, "could not verify the audit chains: %s", sl_db_error(db));
    sl_db_rollback(db);
    if (cases_checked)
        *cases_checked = ncases;
    if (events_checked)
        *events_checked = nevents;
    return rc;
}

int
sl_audit_append_json(sl_db_t *db, int64_t case_id, int64_t now_ms, const char *kind,
                     const sl_actor_t *actor, json_t *detail)
{
    char *text = json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
    json_decref(detail);
    sl_audit_event_t ev = {.at_ms = now_ms,
                           .kind = kind,
                           .actor_key = actor->key ? actor->key : "",
                           .actor_unit = actor->unit ? actor->unit : "",
                           .operator= actor->operator_name ? actor->operator_name : "",
                           .msg_id = actor->msg_id ? actor->msg_id : "",
                           .detail = text};
    int rc = sl_audit_append(db, case_id, &ev);
    free(text);
    return rc;
}

int
sl_audit_append_subject(sl_db_t *db, const char *subject, int64_t now_ms, const char *kind,
                        const sl_actor_t *actor, json_t *detail)
{
    char *text = json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
    json_decref(detail);
    PGresult *r = NULL;
    const char *p1[] = {subject};
    /* Creates the chain on its first event and locks its head. */
    int rc = sl_db_exec(db, NULL,
                        "INSERT INTO audit_subject (subject) VALUES ($1)"
                        " ON CONFLICT (subject) DO NOTHING",
                        1, p1);
    if (rc == 0)
        rc = sl_db_exec(db, &r, "SELECT seq, head FROM audit_subject WHERE subject = $1 FOR UPDATE",
                        1, p1);
    if (rc != 0 || PQntuples(r) != 1) {
        sl_log(SL_LOG_ERROR, "subject=%s could not lock its audit chain: %s", subject,
               sl_db_error(db));
        rc = rc ? rc : -1;
        goto done;
    }
    int32_t prev_seq = (int32_t)strtol(PQgetvalue(r, 0, 0), NULL, 10);
    sl_audit_event_t e = {.seq = prev_seq + 1,
                          .at_ms = now_ms,
                          .kind = kind,
                          .actor_key = s_str(actor->key),
                          .actor_unit = s_str(actor->unit),
                          .operator= s_str(actor->operator_name),
                          .msg_id = s_str(actor->msg_id),
                          .detail = text};
    char prev[SL_AUDIT_HEX_LEN + 1], hash[SL_AUDIT_HEX_LEN + 1];
    if (prev_seq == 0)
        sl_audit_genesis_of(subject, prev);
    else
        snprintf(prev, sizeof prev, "%s", PQgetvalue(r, 0, 1));
    sl_audit_hash(prev, &e, hash);
    char seq[16], at[48];
    snprintf(seq, sizeof seq, "%" PRId32, e.seq);
    sl_time_format_iso(e.at_ms, at, sizeof at);
    const char *p[] = {subject, seq,      at,          kind, e.actor_key, e.actor_unit,
                       e.operator, e.msg_id, s_detail(&e), prev, hash};
    rc = sl_db_exec(db, NULL,
                    "WITH moved AS (UPDATE audit_subject SET seq = $2::int, head = $11"
                    "  WHERE subject = $1 RETURNING subject)"
                    " INSERT INTO subject_event (subject, seq, at, kind, actor_key, actor_unit,"
                    "   operator, msg_id, detail, prev_hash, hash)"
                    " SELECT subject, $2::int, $3::timestamptz, $4, $5, $6, $7, $8, $9, $10, $11"
                    "   FROM moved",
                    (int)SL_ARRAY_LEN(p), p);
    if (rc != 0)
        sl_log(SL_LOG_ERROR, "subject=%s could not append audit event %s: %s", subject, seq,
               sl_db_error(db));
done:
    PQclear(r);
    free(text);
    return rc;
}
