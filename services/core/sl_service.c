/* sl_service.c — the database's state, HTTP, heartbeat, events and periodic
 * work that every daemon shares.
 *
 * Threads: the heartbeat, the PUB socket and the timers belong to the loop
 * thread; the periodic work runs on libuv's pool with its own connection;
 * /healthz runs on the HTTP thread and reads one atomic. The database's state
 * (the watch) is reported from all three, under a lock. Events published off
 * the loop thread wait in a queue that a uv_async hands to the loop. */
#include "sl_service.h"

#include "sl_clock.h"
#include "sl_codec.h"
#include "sl_heartbeat.h"
#include "sl_log.h"
#include "sl_util.h"

#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- the watch ----------------------------------------------------------------- */

void
sl_dbwatch_init(sl_dbwatch_t *w)
{
    memset(w, 0, sizeof *w);
    w->up = true;
}

sl_dbwatch_say_t
sl_dbwatch_report(sl_dbwatch_t *w, bool up, const char *error, int64_t now_ms)
{
    if (!error)
        error = "";
    if (up) {
        if (w->up)
            return SL_DBWATCH_QUIET;
        w->up = true;
        w->said_ms = now_ms;
        w->error[0] = '\0';
        return SL_DBWATCH_UP;
    }
    bool news = strcmp(w->error, error) != 0;
    if (w->up) {
        w->up = false;
        w->since_ms = w->said_ms = now_ms;
        snprintf(w->error, sizeof w->error, "%s", error);
        return SL_DBWATCH_DOWN;
    }
    int64_t quiet = now_ms - w->said_ms;
    if (quiet >= SL_DBWATCH_REMIND_MS || (news && quiet >= SL_DBWATCH_REASON_MS)) {
        w->said_ms = now_ms;
        snprintf(w->error, sizeof w->error, "%s", error);
        return SL_DBWATCH_STILL_DOWN;
    }
    return SL_DBWATCH_QUIET;
}

/* --- the service ------------------------------------------------------------------ */

/* An event published off the loop thread, waiting for it. */
typedef struct {
    char *topic, *case_no, *msg_id, *json; /* owned */
} s_event_t;

struct sl_service {
    const sl_config_t *cfg;    /* borrowed */
    uv_loop_t *loop;           /* borrowed */
    uv_thread_t loop_thread;   /* the thread that runs LOOP */
    char section[32];          /* config section and heartbeat name */
    char name[48];             /* sl-<section>[.N] */
    char node[16];             /* the node's code, on every event */
    char http_addr[64];        /* [section] http if its port is not 0, else "" */
    char *conninfo;            /* [database] conninfo, with [section] db_user if the section has one */
    sl_metrics_t *metrics;     /* the daemon's registry */
    sl_gauge_t *m_db_up;       /* sl_db_up */
    sl_gauge_t *m_heap_used;   /* sl_heap_used_bytes */
    sl_gauge_t *m_heap_free;   /* sl_heap_free_bytes */
    uint64_t heap_at;          /* uv_now of the last s_heap */
    sl_bus_t *bus;             /* the process's ZeroMQ context */
    sl_events_t *events;       /* PUB, or NULL */
    sl_http_t *http;           /* /metrics, /healthz, routes; or NULL */
    sl_db_t *db;               /* the loop thread's connection (heartbeat) */
    sl_heartbeat_t *heartbeat; /* once started */
    atomic_bool db_up;         /* what /healthz says */
    pthread_mutex_t lock;      /* watch, queue */
    sl_dbwatch_t watch;        /* the database's state, for the log */
    s_event_t *queue;          /* events from other threads */
    size_t qlen, qcap;
    uv_async_t flush;           /* sends the queue on the loop */
    uv_timer_t timer;           /* periodic work */
    uv_work_t job;              /* a run in flight */
    bool busy;                  /* job queued or running */
    bool stopping;              /* no more runs */
    atomic_bool stop_asked;     /* stopping, for the run in flight (sl_service_stopping) */
    sl_db_t *work_db;           /* the runs' connection (worker thread while busy) */
    int work_rc;                /* the last run's result */
    uint64_t period_ms;         /* between the end of a run and the next */
    sl_service_work_cb *work;   /* the run */
    sl_service_after_cb *after; /* after it, on the loop */
    void *work_arg;             /* their argument */
    void (*stopped)(void *);    /* sl_service_stop_work's callback, while waiting */
    void *stopped_arg;
    int handles; /* embedded handles not yet closed */
};

static bool
s_health(sl_buf_t *reason, void *arg)
{
    sl_service_t *s = arg;
    if (atomic_load(&s->db_up))
        return true;
    sl_buf_puts(reason, "database unreachable");
    return false;
}

static void
s_watch(sl_service_t *s, bool up, const char *error)
{
    pthread_mutex_lock(&s->lock);
    int64_t now = sl_now_ms();
    int64_t since = s->watch.since_ms;
    sl_dbwatch_say_t say = sl_dbwatch_report(&s->watch, up, error, now);
    atomic_store(&s->db_up, up);
    sl_gauge_set(s->m_db_up, up ? 1 : 0);
    pthread_mutex_unlock(&s->lock);
    switch (say) {
    case SL_DBWATCH_DOWN:
        sl_log(SL_LOG_WARN, "database unreachable, retrying with backoff up to %d s: %s",
               SL_DB_RETRY_MAX_MS / 1000, error);
        break;
    case SL_DBWATCH_STILL_DOWN:
        sl_log(SL_LOG_WARN, "down_s=%.0f database still unreachable: %s",
               (double)(now - since) / 1000.0, error);
        break;
    case SL_DBWATCH_UP:
        sl_log(SL_LOG_INFO, "down_s=%.0f reconnected to database", (double)(now - since) / 1000.0);
        break;
    case SL_DBWATCH_QUIET:
        break;
    }
}

void
sl_service_db_report(sl_service_t *s, int rc, sl_db_t *db)
{
    if (rc == SL_AGAIN && sl_db_connect(db) == 0)
        rc = 0; /* a stale connection (the server restarted), not a lost database */
    if (rc == 0)
        s_watch(s, true, NULL);
    else if (rc == SL_AGAIN)
        s_watch(s, false, sl_db_error(db));
}

bool
sl_service_db_up(const sl_service_t *s)
{
    return atomic_load(&s->db_up);
}

/* The allocator's figures with each beat: bytes the program holds and bytes
 * free inside the heap (not returned to the system), so resident memory that
 * grows tells a leak (used grows) from the allocator's keeping (free grows).
 * Each beat also gives free pages at the heaps' ends and between their
 * chunks back to the system (glibc's arenas keep them otherwise). */
static void
s_heap(sl_service_t *s)
{
    uint64_t now = uv_now(s->loop);
    if (s->heap_at && now - s->heap_at < SL_HEARTBEAT_MS) /* beats come faster while down */
        return;
    s->heap_at = now;
    malloc_trim(0);
    struct mallinfo2 mi = mallinfo2();
    sl_gauge_set(s->m_heap_used, (double)(mi.uordblks + mi.hblkhd));
    sl_gauge_set(s->m_heap_free, (double)mi.fordblks);
}

/* A failed beat means the database cannot take this daemon's writes, whatever
 * the reason (down, read-only after a failover, disk full). */
static void
s_on_beat(int rc, const sl_db_t *db, void *arg)
{
    sl_service_t *s = arg;
    s_heap(s);
    if (rc == 0)
        s_watch(s, true, NULL);
    else
        s_watch(s, false, sl_db_error(db));
}

/* --- events ------------------------------------------------------------------ */

static void
s_send(sl_service_t *s, const char *topic, const char *case_no, const char *msg_id,
       const char *json)
{
    sl_pb_event_t ev = SL_PB_EVENT_INIT;
    ev.topic = (char *)topic;
    ev.at = sl_now_ms();
    ev.node = s->node;
    ev.case_no = (char *)(case_no ? case_no : "");
    ev.msg_id = (char *)(msg_id ? msg_id : "");
    ev.json = (char *)json;
    size_t len;
    uint8_t *bytes = sl_codec_encode_event(&ev, &len);
    sl_events_publish(s->events, topic, bytes, len);
    free(bytes);
}

static void
s_flush(uv_async_t *a)
{
    sl_service_t *s = a->data;
    pthread_mutex_lock(&s->lock);
    s_event_t *q = s->queue;
    size_t n = s->qlen;
    s->queue = NULL;
    s->qlen = s->qcap = 0;
    pthread_mutex_unlock(&s->lock);
    for (size_t i = 0; i < n; i++) {
        if (s->events)
            s_send(s, q[i].topic, q[i].case_no, q[i].msg_id, q[i].json);
        free(q[i].topic);
        free(q[i].case_no);
        free(q[i].msg_id);
        free(q[i].json);
    }
    free(q);
}

/* Sends JSON (owned) now on the loop thread, or queues it for the loop. */
static void
s_publish(sl_service_t *s, const char *topic, const char *case_no, const char *msg_id, char *json)
{
    uv_thread_t self = uv_thread_self();
    if (uv_thread_equal(&self, &s->loop_thread)) {
        s_send(s, topic, case_no, msg_id, json);
        free(json);
        return;
    }
    pthread_mutex_lock(&s->lock);
    if (s->qlen == s->qcap) {
        s->qcap = s->qcap ? 2 * s->qcap : 64;
        s->queue = sl_realloc(s->queue, s->qcap * sizeof *s->queue);
    }
    s->queue[s->qlen++] = (s_event_t){sl_strdup(topic), sl_strdup(case_no ? case_no : ""),
                                      sl_strdup(msg_id ? msg_id : ""), json};
    pthread_mutex_unlock(&s->lock);
    uv_async_send(&s->flush);
}

void
sl_service_publish(sl_service_t *s, const char *topic, const char *case_no, const char *msg_id,
                   json_t *o)
{
    char *json = s->events && o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(o);
    if (s->events)
        s_publish(s, topic, case_no, msg_id, json ? json : sl_strdup("{}"));
}

void
sl_service_publish_json(sl_service_t *s, const char *topic, const char *case_no, const char *msg_id,
                        const char *json)
{
    if (s->events)
        s_publish(s, topic, case_no, msg_id, sl_strdup(json ? json : "{}"));
}

/* --- periodic work ----------------------------------------------------------- */

static void s_run(uv_timer_t *t);

static void
s_job(uv_work_t *req)
{
    sl_service_t *s = req->data;
    s->work_rc = s->work(s->work_db, s->work_arg);
    sl_service_db_report(s, s->work_rc, s->work_db); /* here: it may reconnect */
}

static void
s_job_done(uv_work_t *req, int status)
{
    sl_service_t *s = req->data;
    s->busy = false;
    int rc = status == 0 ? s->work_rc : -1;
    if (s->after)
        s->after(rc, s->work_arg);
    s_flush(&s->flush); /* the run's events before anything that follows */
    if (s->stopping) {
        if (s->stopped) {
            void (*done)(void *) = s->stopped;
            s->stopped = NULL;
            done(s->stopped_arg);
        }
        return;
    }
    uv_timer_start(&s->timer, s_run, s->period_ms, 0);
}

static void
s_run(uv_timer_t *t)
{
    sl_service_t *s = t->data;
    if (s->busy || s->stopping)
        return;
    s->busy = true;
    s->job.data = s;
    if (uv_queue_work(s->loop, &s->job, s_job, s_job_done) != 0) {
        sl_log(SL_LOG_ERROR, "could not queue the periodic work");
        abort(); /* cannot happen with a valid loop and callbacks */
    }
}

void
sl_service_every(sl_service_t *s, uint64_t period_ms, sl_service_work_cb *work,
                 sl_service_after_cb *after, void *arg)
{
    s->period_ms = period_ms;
    s->work = work;
    s->after = after;
    s->work_arg = arg;
    if (!s->work_db)
        s->work_db = sl_db_new(s->conninfo);
    uv_timer_start(&s->timer, s_run, 0, 0);
}

bool
sl_service_stopping(const sl_service_t *s)
{
    return atomic_load(&s->stop_asked);
}

void
sl_service_stop_work(sl_service_t *s, void (*done)(void *), void *arg)
{
    s->stopping = true;
    atomic_store(&s->stop_asked, true);
    uv_timer_stop(&s->timer);
    if (s->busy) {
        s->stopped = done;
        s->stopped_arg = arg;
    } else if (done) {
        done(arg);
    }
}

/* --- life ------------------------------------------------------------------------- */

char *
sl_service_db_user(const sl_config_t *cfg, const char *section)
{
    const char *sec, *key;
    bool has = false;
    for (size_t i = 0; sl_config_key_at(i, &sec, &key); i++)
        if (strcmp(sec, section) == 0 && strcmp(key, "db_user") == 0)
            has = true;
    const char *user = has ? sl_config_str(cfg, section, "db_user") : NULL;
    if (!user || !*user)
        return NULL;
    sl_buf_t b;
    sl_buf_init(&b);
    for (const char *p = user; *p; p++) {
        if (strncmp(p, "{code}", 6) == 0) {
            sl_buf_puts(&b, sl_config_node(cfg));
            p += 5;
        } else {
            sl_buf_append(&b, p, 1);
        }
    }
    return sl_buf_steal(&b);
}

char *
sl_service_role_conninfo(const sl_config_t *cfg, const char *section)
{
    const char *base = sl_config_str(cfg, "database", "conninfo");
    char *user = sl_service_db_user(cfg, section);
    const char *pass = sl_config_str(cfg, "database", "passfile");
    sl_buf_t b;
    sl_buf_init(&b);
    sl_buf_puts(&b, base);
    if (user)
        sl_buf_printf(&b, " user=%s", user);
    if (user && pass && *pass)
        sl_buf_printf(&b, " passfile=%s", pass);
    free(user);
    return sl_buf_steal(&b);
}

sl_service_t *
sl_service_new(const sl_config_t *cfg, uv_loop_t *loop, const char *section)
{
    sl_service_t *s = sl_calloc(1, sizeof *s);
    s->cfg = cfg;
    s->loop = loop;
    s->loop_thread = uv_thread_self();
    snprintf(s->section, sizeof s->section, "%s", section);
    int inst = sl_config_instance(cfg);
    if (inst > 1)
        snprintf(s->name, sizeof s->name, "sl-%s.%d", section, inst);
    else
        snprintf(s->name, sizeof s->name, "sl-%s", section);
    snprintf(s->node, sizeof s->node, "%s", sl_config_node(cfg));
    pthread_mutex_init(&s->lock, NULL);
    sl_dbwatch_init(&s->watch);
    atomic_init(&s->db_up, true);
    atomic_init(&s->stop_asked, false);
    uv_async_init(loop, &s->flush, s_flush);
    uv_timer_init(loop, &s->timer);
    s->flush.data = s->timer.data = s;
    s->handles = 2;
    uv_unref((uv_handle_t *)&s->flush);
    s->metrics = sl_metrics_new();
    s->m_db_up = sl_metrics_gauge(s->metrics, "sl_db_up",
                                  "1 if the database answered the last heartbeat or work", NULL);
    sl_gauge_set(s->m_db_up, 1);
    s->m_heap_used = sl_metrics_gauge(s->metrics, "sl_heap_used_bytes",
                                      "Bytes the daemon holds from the allocator (mallinfo2)", NULL);
    s->m_heap_free = sl_metrics_gauge(s->metrics, "sl_heap_free_bytes",
                                      "Bytes free inside the allocator's heaps, not returned", NULL);
    s->conninfo = sl_service_role_conninfo(cfg, section);
    s->db = sl_db_new(s->conninfo);
    if (!(s->bus = sl_bus_new()))
        goto fail;
    const char *events = sl_config_str(cfg, section, "events");
    if (events && !(s->events = sl_events_new(s->bus, loop, events)))
        goto fail;
    const char *http = sl_config_str(cfg, section, "http");
    if (sl_http_from_hostport(http, s->metrics, s_health, s, &s->http) != 0)
        goto fail;
    if (s->http)
        snprintf(s->http_addr, sizeof s->http_addr, "%s", http);
    return s;
fail:
    sl_service_destroy(&s);
    return NULL;
}

static void
s_pause_over(uv_timer_t *t)
{
    (void)t;
}

int
sl_service_wait_db(sl_service_t *s, int wait_ms, bool (*stopped)(void *), void *arg)
{
    uint64_t t0 = uv_hrtime();
    bool said = false;
    for (;;) {
        if (sl_db_connect(s->db) == 0)
            return sl_schema_check(s->db, sl_config_path(s->cfg));
        if (!said) {
            sl_log(SL_LOG_WARN, "waiting up to %d s for the database: %s", wait_ms / 1000,
                   sl_db_error(s->db));
            said = true;
        }
        int64_t waited = (int64_t)((uv_hrtime() - t0) / 1000000);
        if (waited >= wait_ms)
            break;
        /* the backoff's pause on the loop (the periodic work's timer, not
         * started yet, keeps it alive): a stop signal ends the wait at once */
        int pause = sl_db_retry_in_ms(s->db);
        uv_timer_start(&s->timer, s_pause_over, (uint64_t)(pause > 0 ? pause : 10), 0);
        uv_run(s->loop, UV_RUN_ONCE);
        uv_timer_stop(&s->timer);
        if (stopped && stopped(arg)) {
            sl_log(SL_LOG_INFO, "stopped while waiting for the database");
            return 1;
        }
    }
    sl_log(SL_LOG_ERROR, "could not connect to the database for %d s: %s", wait_ms / 1000,
           sl_db_error(s->db));
    return -1;
}

int
sl_service_start(sl_service_t *s)
{
    if (s->http && sl_http_start(s->http) != 0)
        return -1;
    s->heartbeat = sl_heartbeat_new(s->loop, s->db, s->section, sl_config_instance(s->cfg),
                                    s->http_addr[0] ? s->http_addr : NULL, s_on_beat, s);
    return 0;
}

void
sl_service_stop(sl_service_t *s)
{
    sl_http_destroy(&s->http);
    sl_service_stop_work(s, NULL, NULL);
    /* a run still in flight uses work_db: let it end before anything goes */
    while (s->busy)
        uv_run(s->loop, UV_RUN_ONCE);
    sl_heartbeat_destroy(&s->heartbeat);
}

static void
s_closed(uv_handle_t *h)
{
    sl_service_t *s = h->data;
    s->handles--;
}

void
sl_service_destroy(sl_service_t **p)
{
    sl_service_t *s = *p;
    if (!s)
        return;
    *p = NULL;
    sl_service_stop(s);
    s_flush(&s->flush);
    sl_events_destroy(&s->events);
    uv_close((uv_handle_t *)&s->flush, s_closed);
    uv_close((uv_handle_t *)&s->timer, s_closed);
    while (s->handles > 0)
        uv_run(s->loop, UV_RUN_NOWAIT);
    sl_bus_destroy(&s->bus);
    sl_db_destroy(&s->work_db);
    sl_db_destroy(&s->db);
    free(s->conninfo);
    sl_metrics_destroy(&s->metrics);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

sl_metrics_t *
sl_service_metrics(sl_service_t *s)
{
    return s->metrics;
}

sl_bus_t *
sl_service_bus(sl_service_t *s)
{
    return s->bus;
}

sl_http_t *
sl_service_http(sl_service_t *s)
{
    return s->http;
}

sl_db_t *
sl_service_db(sl_service_t *s)
{
    return s->db;
}

const char *
sl_service_conninfo(const sl_service_t *s)
{
    return s->conninfo;
}

const char *
sl_service_name(const sl_service_t *s)
{
    return s->name;
}
