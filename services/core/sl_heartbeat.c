/* sl_heartbeat.c — upsert daemon_state on a timer; all SQL on that table is here
 * (sl_status reads it). */
#include "sl_heartbeat.h"

#include "sl_clock.h"
#include "sl_log.h"
#include "sl_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct sl_heartbeat {
    uv_timer_t timer;
    sl_db_t *db;          /* borrowed */
    sl_heartbeat_cb *cb;  /* told each beat's result, or NULL */
    void *arg;            /* its argument */
    char daemon[32];
    char instance[12];
    char pid[16];
    char host[128];
    char http[64];
    char started[40];
};

static int
s_upsert(sl_heartbeat_t *h, const char *now)
{
    const char *p[] = {h->daemon, h->instance, SL_VERSION, h->pid, h->host, h->http, h->started,
                       now};
    return sl_db_exec(h->db, NULL,
                      "INSERT INTO daemon_state (daemon, instance, version, pid, host, http,"
                      " started_at, beat_at) VALUES ($1, $2::int, $3, $4::int, $5, $6, $7, $8)"
                      " ON CONFLICT (daemon, instance) DO UPDATE SET version = $3, pid = $4::int,"
                      " host = $5, http = $6, started_at = $7, beat_at = $8, stopped_at = NULL",
                      8, p);
}

static void
s_beat(uv_timer_t *t)
{
    sl_heartbeat_t *h = t->data;
    char now[40];
    sl_time_format_iso(sl_now_ms(), now, sizeof now);
    int rc = s_upsert(h, now);
    if (rc == SL_AGAIN)
        rc = s_upsert(h, now); /* a stale connection (server restarted): once more, afresh */
    if (rc != 0)
        sl_log(SL_LOG_DEBUG, "could not record the heartbeat: %s", sl_db_error(h->db));
    /* After a failure the next beat comes as soon as the connection may try
     * again (its backoff), so a database back after a restart sees the beat
     * at once rather than up to an interval later. */
    uint64_t next = SL_HEARTBEAT_MS;
    if (rc != 0) {
        int wait = sl_db_retry_in_ms(h->db);
        next = wait < 250 ? 250 : (uint64_t)wait < next ? (uint64_t)wait : next;
    }
    uv_timer_start(&h->timer, s_beat, next, 0);
    if (h->cb)
        h->cb(rc, h->db, h->arg);
}

sl_heartbeat_t *
sl_heartbeat_new(uv_loop_t *loop, sl_db_t *db, const char *daemon, int instance, const char *http,
                 sl_heartbeat_cb *cb, void *arg)
{
    sl_heartbeat_t *h = sl_calloc(1, sizeof *h);
    h->db = db;
    h->cb = cb;
    h->arg = arg;
    snprintf(h->daemon, sizeof h->daemon, "%s", daemon);
    snprintf(h->instance, sizeof h->instance, "%d", instance);
    snprintf(h->pid, sizeof h->pid, "%d", (int)getpid());
    if (gethostname(h->host, sizeof h->host) != 0)
        snprintf(h->host, sizeof h->host, "?");
    h->host[sizeof h->host - 1] = '\0';
    snprintf(h->http, sizeof h->http, "%s", http ? http : "");
    sl_time_format_iso(sl_now_ms(), h->started, sizeof h->started);
    uv_timer_init(loop, &h->timer);
    h->timer.data = h;
    uv_unref((uv_handle_t *)&h->timer); /* a heartbeat alone keeps no loop alive */
    uv_timer_start(&h->timer, s_beat, 0, 0); /* each beat arms the next */
    return h;
}

static void
s_free(uv_handle_t *handle)
{
    free(handle->data);
}

void
sl_heartbeat_destroy(sl_heartbeat_t **p)
{
    if (!p || !*p)
        return;
    sl_heartbeat_t *h = *p;
    char now[40];
    sl_time_format_iso(sl_now_ms(), now, sizeof now);
    const char *params[] = {h->daemon, h->instance, now};
    if (sl_db_connected(h->db))
        sl_db_exec(h->db, NULL,
                   "UPDATE daemon_state SET stopped_at = $3 WHERE daemon = $1 AND instance = $2::int",
                   3, params);
    uv_timer_stop(&h->timer);
    uv_close((uv_handle_t *)&h->timer, s_free);
    *p = NULL;
}
