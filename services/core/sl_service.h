/* sl_service.h — what every daemon serves besides its work: the database's
 * state, /metrics and /healthz, the heartbeat, events, and periodic work off
 * the loop.
 *
 * sl_daemon_main makes one per daemon from the daemon's config section (its
 * `http` and `events` keys), waits for the database with it, and hands it to
 * the daemon's start; the daemon registers its metrics on it, adds HTTP
 * routes, opens its own sockets on its bus and reports how its own database
 * work went (sl_service_db_report). The service's heartbeat probes the
 * database every SL_HEARTBEAT_MS on a connection of its own, so a lost
 * database is noticed within one beat even when no work arrives: /healthz
 * answers 503 and sl_db_up is 0 until the database answers again. The state
 * is logged once per change, with a reminder at most every
 * SL_DBWATCH_REMIND_MS. Long work runs off the loop (sl_service_every), so
 * heartbeats and /healthz never wait on it. */
#ifndef SL_SERVICE_H
#define SL_SERVICE_H

#include "sl_bus.h"
#include "sl_config.h"
#include "sl_db.h"
#include "sl_http.h"
#include "sl_metrics.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

typedef struct sl_service sl_service_t;

/* --- the database's state (pure: reports in, what to say out) --------------- */

#define SL_DBWATCH_REMIND_MS 60000 /* a "still down" line at most this often */
#define SL_DBWATCH_REASON_MS 10000 /* a new reason while down, at most this often */

/* What a report means for the log. */
typedef enum {
    SL_DBWATCH_QUIET = 0,  /* nothing new: say nothing */
    SL_DBWATCH_DOWN,       /* it was up and is down now */
    SL_DBWATCH_STILL_DOWN, /* a reminder, or a new reason */
    SL_DBWATCH_UP          /* it was down and answers again */
} sl_dbwatch_say_t;

typedef struct {
    bool up;          /* as last reported (starts up) */
    int64_t since_ms; /* when it went down */
    int64_t said_ms;  /* when a line was last said about it */
    char error[256];  /* the reason last said */
} sl_dbwatch_t;

/* Starts as up. */
void sl_dbwatch_init(sl_dbwatch_t *w);
/* Records that the database was (UP) or was not reachable at NOW_MS (ERROR:
 * why not, may be NULL) and returns what to log. */
sl_dbwatch_say_t sl_dbwatch_report(sl_dbwatch_t *w, bool up, const char *error, int64_t now_ms);

/* --- the service -------------------------------------------------------------- */

/* Made for the daemon of config SECTION ("intake", …; also its heartbeat
 * name): the metrics registry, the bus, the PUB socket ([SECTION] events, if
 * set), the HTTP server ([SECTION] http; not listening yet) and the
 * heartbeat's connection (not connected yet). NULL on failure (logged). */
sl_service_t *sl_service_new(const sl_config_t *cfg, uv_loop_t *loop, const char *section);
/* Connects the service's connection, retrying with the connection's backoff
 * for up to WAIT_MS (the database may start after the daemon), then checks
 * the schema version. Between attempts the loop turns (without waiting), so
 * a stop signal is handled while the database is away; STOPPED (or NULL) is
 * asked after each turn. 0, 1 if STOPPED said so (a stop while waiting), or
 * -1 (logged: what failed, what to run). */
int sl_service_wait_db(sl_service_t *s, int wait_ms, bool (*stopped)(void *), void *arg);
/* Starts listening on HTTP and beating. 0, or -1 (logged). */
int sl_service_start(sl_service_t *s);
/* Stops HTTP (no route is called after this), periodic work and the
 * heartbeat (recording the clean stop). Before the daemon's server goes. */
void sl_service_stop(sl_service_t *s);
/* Stops what sl_service_stop did not and frees everything; every socket the
 * daemon opened on the bus must be destroyed first. Accepts *p == NULL. */
void sl_service_destroy(sl_service_t **p);

/* Borrowed parts; NULL http when the port is 0 (add routes before start). */
sl_metrics_t *sl_service_metrics(sl_service_t *s);
sl_bus_t *sl_service_bus(sl_service_t *s);
sl_http_t *sl_service_http(sl_service_t *s);
/* The loop thread's connection (the heartbeat's): for short statements on the
 * loop thread, e.g. at start. Borrowed. */
sl_db_t *sl_service_db(sl_service_t *s);
/* The database role the daemon of config SECTION connects as: [SECTION]
 * db_user with "{code}" replaced by the node's code, or NULL when the section
 * has no such key (the node's own role). Caller frees. */
char *sl_service_db_user(const sl_config_t *cfg, const char *section);
/* [database] conninfo as that role, with [database] passfile when both are
 * set (slctl migrate writes the role's password there). Caller frees. */
char *sl_service_role_conninfo(const sl_config_t *cfg, const char *section);
/* The conninfo the service connects with ([database] conninfo, as the role
 * [SECTION] db_user names if the section has that key), for a connection of
 * the daemon's own (e.g. its HTTP thread's). Borrowed. */
const char *sl_service_conninfo(const sl_service_t *s);
/* The config's instance-qualified program name: "sl-dispatch", "sl-dispatch.2". */
const char *sl_service_name(const sl_service_t *s);

/* Reports how the daemon's own database work on DB went: RC 0 (the database
 * answered), SL_AGAIN (it did not: DB's error says why) or anything else (an
 * SQL error: says nothing about reachability, ignored). After SL_AGAIN, DB
 * tries to reconnect (within its backoff): a connection that was only stale
 * is no lost database. Call on the thread that uses DB. */
void sl_service_db_report(sl_service_t *s, int rc, sl_db_t *db);
/* True unless the database's last answer was a failure. Any thread. */
bool sl_service_db_up(const sl_service_t *s);

/* Publishes event TOPIC with JSON O (consumed; NULL: {}) for CASE_NO and
 * MSG_ID (NULL: ""), as the node's; does nothing without an events
 * endpoint. Any thread: off the loop thread it is queued and sent by the
 * loop. */
void sl_service_publish(sl_service_t *s, const char *topic, const char *case_no, const char *msg_id,
                        json_t *o);
/* The same with the JSON as text (borrowed; NULL: {}). */
void sl_service_publish_json(sl_service_t *s, const char *topic, const char *case_no,
                             const char *msg_id, const char *json);

/* Periodic work: runs on a worker thread with a database connection of its
 * own (borrowed for the call); returns 0, -1 (SQL error, logged by the work)
 * or SL_AGAIN (database down). */
typedef int(sl_service_work_cb)(sl_db_t *db, void *arg);
/* Back on the loop thread after each run, with its result. */
typedef void(sl_service_after_cb)(int rc, void *arg);
/* Runs WORK now and then PERIOD_MS after each run ends; AFTER (may be NULL)
 * follows each run on the loop. The result feeds the database's state. One
 * periodic work per service. */
void sl_service_every(sl_service_t *s, uint64_t period_ms, sl_service_work_cb *work,
                      sl_service_after_cb *after, void *arg);
/* Stops the periodic work: DONE(ARG) runs on the loop once no run is in
 * flight (at once if none is). */
void sl_service_stop_work(sl_service_t *s, void (*done)(void *), void *arg);
/* True once sl_service_stop_work was called: a long run asks it between its
 * steps and ends early where that is safe. Any thread. */
bool sl_service_stopping(const sl_service_t *s);

#endif
