/* sl_heartbeat.h — a daemon's heartbeat in the node's database.
 *
 * Every few seconds the daemon upserts its row of daemon_state (version, pid,
 * host, HTTP address, last beat); on a clean stop it records stopped_at. Queue
 * health (slctl status, the status page) reads the rows: a daemon whose beat is
 * older than a few intervals is down or stuck. */
#ifndef SL_HEARTBEAT_H
#define SL_HEARTBEAT_H

#include "sl_db.h"

#include <uv.h>

#define SL_HEARTBEAT_MS 5000 /* how often a daemon beats */

typedef struct sl_heartbeat sl_heartbeat_t;

/* After each beat, with its result (0, -1 or SL_AGAIN) and the connection
 * (sl_db_error says why it failed). The beat is the daemon's probe of the
 * database (sl_service). */
typedef void(sl_heartbeat_cb)(int rc, const sl_db_t *db, void *arg);

/* Beats now and every SL_HEARTBEAT_MS on LOOP through DB (a connection for
 * the loop thread, borrowed). DAEMON is "intake", "dispatch", …; HTTP its
 * "host:port" or NULL. A beat that finds its connection stale tries once
 * more on a fresh one; a failed beat is logged at debug, reported to CB (may
 * be NULL) and tried again as soon as the connection's backoff allows (at
 * most SL_HEARTBEAT_MS later). The timer runs on the loop: a loop
 * blocked by long work beats no more, so long work belongs off the loop. */
sl_heartbeat_t *sl_heartbeat_new(uv_loop_t *loop, sl_db_t *db, const char *daemon, int instance,
                                 const char *http, sl_heartbeat_cb *cb, void *arg);
/* Records the clean stop and closes the timer (freed by the loop). */
void sl_heartbeat_destroy(sl_heartbeat_t **p);

#endif
