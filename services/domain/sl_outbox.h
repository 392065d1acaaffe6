/* sl_outbox.h — the outbox: envelopes other nodes must receive (DESIGN.md rule 3).
 *
 * Rows are added in the same transaction as the state change that causes
 * them; sl-dispatch alone sends them and marks them delivered on the peer's
 * Ack. All SQL on the outbox table lives here. */
#ifndef SL_OUTBOX_H
#define SL_OUTBOX_H

#include "sl_db.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Adds one envelope (already encoded, msg_id inside it) for node PEER, to be
 * sent from NOW_MS on. Inside the caller's transaction; 0, -1 or SL_AGAIN. */
int sl_outbox_add(sl_db_t *db, const char *peer, const char *msg_id, const char *body_kind,
                  const void *payload, size_t len, const char *case_no, int64_t now_ms);

/* Envelopes gathered for one multi-row insert, for a caller that adds many in
 * one transaction (a list of transfers, a tick's escalations). */
typedef struct {
    sl_db_bin_t cols;  /* peer, msg_id, body_kind, payload (bytea), case_no: binary arrays */
    size_t n;          /* envelopes gathered */
} sl_outbox_batch_t;

void sl_outbox_batch_init(sl_outbox_batch_t *b);
/* As sl_outbox_add, into B (everything copied). */
void sl_outbox_batch_add(sl_outbox_batch_t *b, const char *peer, const char *msg_id,
                         const char *body_kind, const void *payload, size_t len,
                         const char *case_no);
/* Inserts what B gathered, to be sent from NOW_MS on, in one statement
 * (deferred: it travels with the transaction's next statement, which reports
 * its errors), in the order added, and empties B. 0. */
int sl_outbox_batch_flush(sl_db_t *db, sl_outbox_batch_t *b, int64_t now_ms);
void sl_outbox_batch_free(sl_outbox_batch_t *b);

/* Undelivered, unparked rows for PEER (NULL: all peers), or -1 on error. */
long sl_outbox_depth(sl_db_t *db, const char *peer);

/* One row taken for sending. */
typedef struct {
    int64_t id;        /* outbox.id: sending order */
    char msg_id[72];   /* the envelope's */
    uint8_t *payload;  /* the encoded envelope, owned */
    size_t len;
    int attempts;      /* sends before this one */
    char body_kind[16]; /* "clue", "transfer", "receipt", … */
    char case_no[64];  /* this node's case it concerns, "" if none */
    bool replaced;     /* the payload was rewritten before the first send: store it */
} sl_outbox_row_t;

void sl_outbox_rows_free(sl_outbox_row_t *rows, size_t n);
/* Up to LIMIT undelivered, unparked rows for PEER, oldest first, leaving out
 * the NSKIP rows in SKIP (those in flight): rows commit out of id order (two
 * writers), so a row with a lower id than one already taken may appear later
 * and must not be passed over. *ROWS is a new array (free with
 * sl_outbox_rows_free). 0, -1, SL_AGAIN. */
int sl_outbox_next_skipping(sl_db_t *db, const char *peer, const int64_t *skip, size_t nskip,
                            int limit, sl_outbox_row_t **rows, size_t *n);
/* Stores the payload of every row of ROWS[0..N) marked replaced, in one
 * statement inside the caller's transaction. 0, -1, SL_AGAIN. */
int sl_outbox_replace_rows(sl_db_t *db, const sl_outbox_row_t *rows, size_t n);
/* Releases parked row ID (an operator fixed the cause): it is sent again.
 * 0 released, 1 no such parked row, -1 or SL_AGAIN. */
int sl_outbox_release(sl_db_t *db, int64_t id);
/* Marks N rows delivered at NOW_MS with the peer's ack status (ACCEPTED or
 * DUPLICATE). 0, -1, SL_AGAIN. */
int sl_outbox_delivered(sl_db_t *db, const int64_t *ids, const char *const *status, size_t n,
                        int64_t now_ms);
/* Parks a row the peer rejected for good, with REASON; never sent again
 * unless an operator releases it. */
int sl_outbox_park(sl_db_t *db, int64_t id, const char *reason, int64_t now_ms);
/* Counts N more attempts on the rows. */
int sl_outbox_attempted(sl_db_t *db, const int64_t *ids, size_t n);

/* Per-peer figures for operators. */
typedef struct {
    char peer[8];       /* the peer's division code */
    long depth;         /* undelivered, unparked rows */
    double oldest_s;    /* age in seconds of the oldest of them (0 if none) */
    long parked;        /* rows parked with a reason */
    long delivered;     /* rows delivered */
} sl_outbox_stats_t;

/* Figures for every peer that has rows (and for PEERS[0..NPEERS) even with
 * none), at NOW_MS. *STATS is a new array the caller frees. 0, -1, SL_AGAIN. */
int sl_outbox_stats(sl_db_t *db, const char *const *peers, size_t npeers, int64_t now_ms,
                    sl_outbox_stats_t **stats, size_t *n);
/* Parked rows (id, peer, msg_id, kind, reason) for `slctl link parked`. */
typedef void(sl_outbox_parked_cb)(void *arg, int64_t id, const char *peer, const char *msg_id,
                                  const char *kind, const char *reason);
int sl_outbox_parked(sl_db_t *db, sl_outbox_parked_cb *cb, void *arg);

#endif
