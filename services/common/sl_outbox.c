/* sl_outbox.c — adding to and measuring the outbox.
 *
 * Sending (claims with FOR UPDATE SKIP LOCKED, acks, backoff) belongs to the
 * link in sl-dispatch and is added here with it. */
#include "sl_outbox.h"

#include "sl_clock.h"
#include "sl_util.h"

#include <stdlib.h>

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
