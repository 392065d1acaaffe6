/* sl_outbox.h — the outbox: envelopes other nodes must receive (DESIGN.md rule 3).
 *
 * Rows are added in the same transaction as the state change that causes
 * them; sl-dispatch alone sends them and marks them delivered on the peer's
 * Ack. All SQL on the outbox table lives here. */
#ifndef SL_OUTBOX_H
#define SL_OUTBOX_H

#include "sl_db.h"

#include <stddef.h>
#include <stdint.h>

/* Adds one envelope (already encoded, msg_id inside it) for node PEER, to be
 * sent from NOW_MS on. Inside the caller's transaction; 0, -1 or SL_AGAIN. */
int sl_outbox_add(sl_db_t *db, const char *peer, const char *msg_id, const char *body_kind,
                  const void *payload, size_t len, const char *case_no, int64_t now_ms);

/* Undelivered, unparked rows for PEER (NULL: all peers), or -1 on error. */
long sl_outbox_depth(sl_db_t *db, const char *peer);

#endif
