/* sl_outbox.c — adding to and measuring the outbox.
 *
 * The link (sl_link.c) reads rows oldest first and marks them delivered or
 * parked on the peer's ack; only one sl-dispatch instance sends to a peer at a
 * time (its leader lock), so no claim is needed. */
#include "sl_outbox.h"

#include "sl_clock.h"
#include "sl_util.h"

#include <stdlib.h>
#include <string.h>

int
sl_outbox_add(sl_db_t *db, const char *peer, const char *msg_id, const char *body_kind,
              const void *payload, size_t len, const char *case_no, int64_t now_ms)
{
    char at[40];
    sl_time_format_iso(now_ms, at, sizeof at);
    const char *v[] = {peer, msg_id, body_kind, payload, case_no, at};
    int lengths[] = {0, 0, 0, (int)len, 0, 0};
    int formats[] = {0, 0, 0, 1, 0, 0};
    return sl_db_execb(db, NULL,
                       "INSERT INTO outbox (peer, msg_id, body_kind, payload, case_no,"
                       " created_at, next_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
                       6, v, lengths, formats);
}

enum { B_PEER, B_MSG, B_KIND, B_PAYLOAD, B_CASE, B_AT, B_N };

static const sl_db_type_t s_batch_types[B_N] = {SL_DB_TEXT,  SL_DB_TEXT, SL_DB_TEXT,
                                                SL_DB_BYTEA, SL_DB_TEXT, SL_DB_TSTZ};

void
sl_outbox_batch_init(sl_outbox_batch_t *b)
{
    sl_db_bin_init(&b->cols, B_N, s_batch_types);
    b->n = 0;
}

void
sl_outbox_batch_add(sl_outbox_batch_t *b, const char *peer, const char *msg_id,
                    const char *body_kind, const void *payload, size_t len, const char *case_no)
{
    sl_db_bin_text(&b->cols, B_PEER, peer);
    sl_db_bin_text(&b->cols, B_MSG, msg_id);
    sl_db_bin_text(&b->cols, B_KIND, body_kind);
    sl_db_bin_bytea(&b->cols, B_PAYLOAD, payload ? payload : "", len);
    sl_db_bin_text(&b->cols, B_CASE, case_no);
    b->n++;
}

int
sl_outbox_batch_flush(sl_db_t *db, sl_outbox_batch_t *b, int64_t now_ms)
{
    int rc = 0;
    if (b->n > 0) {
        /* the binary arrays: the payloads' bytes as they are, no hex either side */
        sl_db_bin_time(&b->cols, B_AT, now_ms); /* one element: the instant */
        rc = sl_db_bin_defer(db,
                             "INSERT INTO outbox (peer, msg_id, body_kind, payload, case_no,"
                             " created_at, next_at)"
                             " SELECT u.peer, u.msg, u.kind, u.payload, u.case_no,"
                             " ($6::timestamptz[])[1], ($6::timestamptz[])[1]"
                             " FROM unnest($1::text[], $2::text[], $3::text[],"
                             " $4::bytea[], $5::text[]) WITH ORDINALITY"
                             " AS u(peer, msg, kind, payload, case_no, k) ORDER BY u.k",
                             &b->cols);
    }
    sl_outbox_batch_free(b);
    sl_outbox_batch_init(b);
    return rc;
}

void
sl_outbox_batch_free(sl_outbox_batch_t *b)
{
    sl_db_bin_free(&b->cols);
    b->n = 0;
}

long
sl_outbox_depth(sl_db_t *db, const char *peer)
{
    const char *p[] = {peer};
    PGresult *r;
    if (sl_db_exec(db, &r,
                   "SELECT count(*) FROM outbox WHERE delivered_at IS NULL"
                   " AND parked_reason IS NULL AND ($1::text IS NULL OR peer = $1)",
                   1, p) != 0)
        return -1;
    long n = atol(PQgetvalue(r, 0, 0));
    PQclear(r);
    return n;
}

int
sl_outbox_next_skipping(sl_db_t *db, const char *peer, const int64_t *skip, size_t nskip,
                        int limit, sl_outbox_row_t **rows, size_t *n)
{
    sl_buf_t a;
    sl_buf_init(&a);
    sl_db_array_begin(&a);
    for (size_t i = 0; i < nskip; i++)
        sl_db_array_add_int(&a, skip[i]);
    sl_db_array_end(&a);
    char lim[16];
    snprintf(lim, sizeof lim, "%d", limit);
    const char *p[] = {peer, a.data, lim};
    PGresult *r;
    *rows = NULL;
    *n = 0;
    int rc = sl_db_exec(db, &r,
                        "SELECT id, msg_id, payload, attempts, body_kind, coalesce(case_no, '')"
                        " FROM outbox WHERE peer = $1 AND delivered_at IS NULL"
                        " AND parked_reason IS NULL AND id <> ALL($2::bigint[])"
                        " ORDER BY id LIMIT $3::int",
                        3, p);
    sl_buf_free(&a);
    if (rc != 0)
        return rc;
    int rows_n = PQntuples(r);
    *rows = sl_calloc((size_t)(rows_n ? rows_n : 1), sizeof **rows);
    for (int i = 0; i < rows_n; i++) {
        sl_outbox_row_t *row = &(*rows)[i];
        row->id = atoll(PQgetvalue(r, i, 0));
        snprintf(row->msg_id, sizeof row->msg_id, "%s", PQgetvalue(r, i, 1));
        unsigned char *b = PQunescapeBytea((const unsigned char *)PQgetvalue(r, i, 2), &row->len);
        row->payload = sl_malloc(row->len ? row->len : 1);
        memcpy(row->payload, b, row->len);
        PQfreemem(b);
        row->attempts = atoi(PQgetvalue(r, i, 3));
        snprintf(row->body_kind, sizeof row->body_kind, "%s", PQgetvalue(r, i, 4));
        snprintf(row->case_no, sizeof row->case_no, "%s", PQgetvalue(r, i, 5));
    }
    *n = (size_t)rows_n;
    PQclear(r);
    return 0;
}

int
sl_outbox_replace_rows(sl_db_t *db, const sl_outbox_row_t *rows, size_t n)
{
    sl_db_cols_t cols;
    sl_db_cols_init(&cols, 2);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!rows[i].replaced)
            continue;
        sl_db_array_add_int(&cols.col[0], rows[i].id);
        sl_db_array_add_bytea(&cols.col[1], rows[i].payload, rows[i].len);
        k++;
    }
    int rc = 0;
    if (k > 0)
        rc = sl_db_exec(db, NULL,
                        "UPDATE outbox o SET payload = u.p"
                        " FROM unnest($1::bigint[], $2::bytea[]) AS u(id, p)"
                        " WHERE o.id = u.id AND o.delivered_at IS NULL",
                        2, sl_db_cols_params(&cols));
    sl_db_cols_free(&cols);
    return rc;
}

int
sl_outbox_release(sl_db_t *db, int64_t id)
{
    char sid[24];
    snprintf(sid, sizeof sid, "%lld", (long long)id);
    const char *p[] = {sid};
    PGresult *r;
    int rc = sl_db_exec(db, &r,
                        "UPDATE outbox SET parked_reason = NULL, ack_status = NULL"
                        " WHERE id = $1::bigint AND parked_reason IS NOT NULL RETURNING id",
                        1, p);
    if (rc != 0)
        return rc;
    rc = PQntuples(r) == 1 ? 0 : 1;
    PQclear(r);
    return rc;
}

void
sl_outbox_rows_free(sl_outbox_row_t *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++)
        free(rows[i].payload);
    free(rows);
}

int
sl_outbox_delivered(sl_db_t *db, const int64_t *ids, const char *const *status, size_t n,
                    int64_t now_ms)
{
    if (n == 0)
        return 0;
    sl_db_cols_t cols;
    sl_db_cols_init(&cols, 2);
    for (size_t i = 0; i < n; i++) {
        sl_db_array_add_int(&cols.col[0], ids[i]);
        sl_db_array_add(&cols.col[1], status[i]);
    }
    char at[40];
    sl_time_format_iso(now_ms, at, sizeof at);
    const char *const *cp = sl_db_cols_params(&cols);
    const char *p[] = {cp[0], cp[1], at};
    int rc = sl_db_exec(db, NULL,
                        "UPDATE outbox o SET delivered_at = $3, ack_status = u.st,"
                        " attempts = o.attempts + 1"
                        " FROM unnest($1::bigint[], $2::text[]) AS u(id, st)"
                        " WHERE o.id = u.id AND o.delivered_at IS NULL",
                        3, p);
    sl_db_cols_free(&cols);
    return rc;
}

int
sl_outbox_park(sl_db_t *db, int64_t id, const char *reason, int64_t now_ms)
{
    char sid[24], at[40];
    snprintf(sid, sizeof sid, "%lld", (long long)id);
    sl_time_format_iso(now_ms, at, sizeof at);
    const char *p[] = {sid, reason, at};
    return sl_db_exec(db, NULL,
                      "UPDATE outbox SET parked_reason = $2, ack_status = 'REJECTED',"
                      " attempts = attempts + 1, next_at = $3 WHERE id = $1::bigint",
                      3, p);
}

int
sl_outbox_attempted(sl_db_t *db, const int64_t *ids, size_t n)
{
    if (n == 0)
        return 0;
    sl_buf_t a;
    sl_buf_init(&a);
    sl_db_array_begin(&a);
    for (size_t i = 0; i < n; i++)
        sl_db_array_add_int(&a, ids[i]);
    sl_db_array_end(&a);
    const char *p[] = {a.data};
    int rc = sl_db_exec(db, NULL,
                        "UPDATE outbox SET attempts = attempts + 1 WHERE id = ANY($1::bigint[])",
                        1, p);
    sl_buf_free(&a);
    return rc;
}

int
sl_outbox_stats(sl_db_t *db, const char *const *peers, size_t npeers, int64_t now_ms,
                sl_outbox_stats_t **stats, size_t *n)
{
    sl_buf_t a;
    sl_buf_init(&a);
    sl_db_array_begin(&a);
    for (size_t i = 0; i < npeers; i++)
        sl_db_array_add(&a, peers[i]);
    sl_db_array_end(&a);
    char at[40];
    sl_time_format_iso(now_ms, at, sizeof at);
    const char *p[] = {a.data, at};
    PGresult *r;
    *stats = NULL;
    *n = 0;
    int rc = sl_db_exec(
        db, &r,
        "SELECT p.peer,"
        " count(o.id) FILTER (WHERE o.delivered_at IS NULL AND o.parked_reason IS NULL),"
        " coalesce(extract(epoch FROM $2::timestamptz - min(o.created_at)"
        "   FILTER (WHERE o.delivered_at IS NULL AND o.parked_reason IS NULL)), 0),"
        " count(o.id) FILTER (WHERE o.parked_reason IS NOT NULL),"
        " count(o.id) FILTER (WHERE o.delivered_at IS NOT NULL)"
        " FROM (SELECT unnest($1::text[]) AS peer UNION SELECT DISTINCT peer FROM outbox) p"
        " LEFT JOIN outbox o ON o.peer = p.peer GROUP BY p.peer ORDER BY p.peer",
        2, p);
    sl_buf_free(&a);
    if (rc != 0)
        return rc;
    int rows = PQntuples(r);
    *stats = sl_calloc((size_t)(rows ? rows : 1), sizeof **stats);
    for (int i = 0; i < rows; i++) {
        sl_outbox_stats_t *st = &(*stats)[i];
        snprintf(st->peer, sizeof st->peer, "%s", PQgetvalue(r, i, 0));
        st->depth = atol(PQgetvalue(r, i, 1));
        st->oldest_s = atof(PQgetvalue(r, i, 2));
        st->parked = atol(PQgetvalue(r, i, 3));
        st->delivered = atol(PQgetvalue(r, i, 4));
    }
    *n = (size_t)rows;
    PQclear(r);
    return 0;
}

int
sl_outbox_parked(sl_db_t *db, sl_outbox_parked_cb *cb, void *arg)
{
    PGresult *r;
    int rc = sl_db_exec(db, &r,
                        "SELECT id, peer, msg_id, body_kind, parked_reason FROM outbox"
                        " WHERE parked_reason IS NOT NULL ORDER BY id",
                        0, NULL);
    if (rc != 0)
        return rc;
    for (int i = 0; i < PQntuples(r); i++)
        cb(arg, atoll(PQgetvalue(r, i, 0)), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
           PQgetvalue(r, i, 3), PQgetvalue(r, i, 4));
    PQclear(r);
    return 0;
}
