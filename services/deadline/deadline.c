/* deadline.c — sl-deadline's server: the tick, the events, /metrics.
 *
 * One timer drives everything; each tick runs to its end inside the timer's
 * callback (blocking libpq on the daemon's own connection). A tick reads only
 * what is due (transfer.due_at, pending escalation rows, campaigns), so its
 * cost follows what is due, not what is open. A lost database only makes the
 * tick try again next time; /healthz says so. */
#include "deadline.h"

#include "sl_bus.h"
#include "sl_calendar_db.h"
#include "sl_clock.h"
#include "sl_codec.h"
#include "sl_db.h"
#include "sl_escalation.h"
#include "sl_heartbeat.h"
#include "sl_http.h"
#include "sl_log.h"
#include "sl_metrics.h"
#include "sl_plan.h"
#include "sl_report.h"
#include "sl_transfer_clock.h"
#include "sl_unit.h"
#include "sl_util.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define S_BATCH 1000 /* transfers per transaction */

struct sl_deadline {
    const sl_config_t *cfg; /* borrowed */
    uv_loop_t *loop;        /* borrowed */
    char node[8];           /* the node's division code */
    char parent[8];         /* its parent's, "" at the top */
    char name[32];          /* sl-deadline or sl-deadline.N, for the audit */
    int not_handled_days;   /* [deadline] not_handled_days */
    sl_db_t *db;
    sl_calendar_cache_t *cal;
    sl_bus_t *bus;
    sl_events_t *events; /* PUB, or NULL */
    sl_metrics_t *metrics;
    sl_http_t *http;
    uv_timer_t tick;           /* every tick_seconds */
    atomic_bool db_up;         /* for /healthz (read on the HTTP thread) */
    sl_heartbeat_t *heartbeat; /* this instance's row in daemon_state */
    sl_counter_t *m_ticks, *m_accepted, *m_reminders, *m_overdue, *m_not_handled, *m_escalated,
        *m_missing, *m_phases, *m_errors, *m_busy;
    sl_gauge_t *m_db_up, *m_tick_seconds;
};

static void
s_publish(sl_deadline_t *d, const char *topic, const char *case_no, const char *json)
{
    if (!d->events)
        return;
    sl_pb_event_t ev = SL_PB_EVENT_INIT;
    ev.topic = (char *)topic;
    ev.at = sl_now_ms();
    ev.node = d->node;
    ev.case_no = (char *)(case_no ? case_no : "");
    ev.msg_id = "";
    ev.json = (char *)json;
    size_t len;
    uint8_t *bytes = sl_codec_encode_event(&ev, &len);
    sl_events_publish(d->events, topic, bytes, len);
    free(bytes);
}

static void
s_on_clock(void *arg, const char *topic, const char *case_no, const char *json)
{
    sl_deadline_t *d = arg;
    if (strcmp(topic, "deadline.accepted") == 0)
        sl_counter_inc(d->m_accepted);
    else if (strcmp(topic, "deadline.reminder") == 0)
        sl_counter_inc(d->m_reminders);
    else if (strcmp(topic, "deadline.overdue") == 0)
        sl_counter_inc(d->m_overdue);
    else
        sl_counter_inc(d->m_not_handled);
    s_publish(d, topic, case_no, json);
}

static void
s_on_escalated(void *arg, const char *case_no, const char *json)
{
    sl_deadline_t *d = arg;
    sl_counter_inc(d->m_escalated);
    s_publish(d, "case.escalated", case_no, json);
}

static void
s_on_report(void *arg, const char *topic, const char *json)
{
    sl_deadline_t *d = arg;
    sl_counter_inc(strcmp(topic, "report.missing") == 0 ? d->m_missing : d->m_phases);
    s_publish(d, topic, NULL, json);
}

static void
s_tick_once(sl_deadline_t *d)
{
    sl_counter_inc(d->m_ticks);
    uint64_t t0 = uv_hrtime();
    int rc = sl_db_connect(d->db);
    const sl_calendar_t *cal = NULL;
    if (rc == 0)
        rc = sl_calendar_cache_get(d->cal, d->db, &cal, NULL);
    if (rc != 0 || !cal)
        goto down;
    int64_t now = sl_now_ms();
    sl_transfer_actor_t actor = {
        .key = d->name, .unit = d->node, .operator_name = "", .msg_id = ""};
    bool busy = false;
    long n, looked = 0, raised = 0;
    do {
        n = sl_transfer_clock_tick(d->db, cal, now, d->not_handled_days, S_BATCH, &actor, &busy,
                                   s_on_clock, d);
        if (n < 0) {
            rc = (int)n;
            goto down;
        }
        looked += n;
    } while (n == S_BATCH && !busy);
    do {
        n = sl_escalation_raise(d->db, d->node, d->parent, now, 100, &actor, &busy, s_on_escalated,
                                d);
        if (n < 0) {
            rc = (int)n;
            goto down;
        }
        raised += n;
    } while (n == 100 && !busy);
    if (!busy && (n = sl_report_check(d->db, now, &busy, s_on_report, d)) < 0) {
        rc = (int)n;
        goto down;
    }
    if (!busy && (n = sl_plan_check(d->db, now, &busy, s_on_report, d)) < 0) {
        rc = (int)n; /* implementation plans (sl_plan.h) */
        goto down;
    }
    if (busy) {
        sl_counter_inc(d->m_busy);
        sl_log(SL_LOG_DEBUG, "another sl-deadline instance holds the leader lock");
    }
    double ms = (double)(uv_hrtime() - t0) / 1e6;
    sl_gauge_set(d->m_tick_seconds, ms / 1000.0);
    if (looked > 0 || raised > 0)
        sl_log(SL_LOG_INFO, "tick: %ld transfers due, %ld escalations raised, %.1f ms", looked,
               raised, ms);
    sl_http_db_up(&d->db_up, d->m_db_up, true);
    return;
down:
    sl_counter_inc(d->m_errors);
    if (rc == SL_AGAIN || !sl_db_connected(d->db)) {
        sl_http_db_up(&d->db_up, d->m_db_up, false);
        sl_log(SL_LOG_WARN, "database unavailable; trying again in %lld s",
               sl_config_int(d->cfg, "deadline", "tick_seconds"));
    }
}

static void
s_tick(uv_timer_t *t)
{
    s_tick_once(t->data);
}

static int
s_http(sl_deadline_t *d)
{
    if (sl_http_from_hostport(sl_config_str(d->cfg, "deadline", "http"), d->metrics,
                              sl_http_health_db, &d->db_up,
                              &d->http) != 0)
        return -1;
    return d->http ? sl_http_start(d->http) : 0;
}

static void
s_metrics(sl_deadline_t *d)
{
    sl_metrics_t *m = d->metrics = sl_metrics_new();
    d->m_ticks = sl_metrics_counter(m, "sl_deadline_ticks_total", "Ticks run", NULL);
    d->m_accepted = sl_metrics_counter(m, "sl_deadline_accepted_total",
                                       "Objection windows closed (transfer stands accepted)", NULL);
    d->m_reminders = sl_metrics_counter(m, "sl_deadline_reminders_total",
                                        "Reminders one working day before the deadline", NULL);
    d->m_overdue =
        sl_metrics_counter(m, "sl_deadline_overdue_total", "Transfers marked overdue", NULL);
    d->m_not_handled = sl_metrics_counter(m, "sl_deadline_not_handled_total",
                                          "Transfers marked accepted but not handled", NULL);
    d->m_escalated = sl_metrics_counter(m, "sl_deadline_escalations_total",
                                        "Escalations raised (提级核查)", NULL);
    d->m_missing = sl_metrics_counter(m, "sl_deadline_reports_missing_total",
                                      "Reports noted missing when due", NULL);
    d->m_phases = sl_metrics_counter(m, "sl_deadline_phase_events_total",
                                     "Campaign phase boundaries evented", NULL);
    d->m_errors = sl_metrics_counter(m, "sl_deadline_tick_errors_total",
                                     "Ticks that stopped on a database error", NULL);
    d->m_busy = sl_metrics_counter(m, "sl_deadline_not_leader_total",
                                   "Ticks that found another instance holding the lock", NULL);
    d->m_tick_seconds =
        sl_metrics_gauge(m, "sl_deadline_tick_seconds", "Duration of the last tick", NULL);
    d->m_db_up = sl_metrics_gauge(m, "sl_db_up", "1 if the database answered the last tick", NULL);
    sl_gauge_set(d->m_db_up, 1);
}

static int
s_connect_db(sl_deadline_t *d)
{
    for (int attempt = 0; attempt < 60; attempt++) {
        if (sl_db_connect(d->db) == 0)
            return sl_schema_check(d->db, sl_config_path(d->cfg));
        uv_sleep(1000);
    }
    sl_log(SL_LOG_ERROR, "could not connect to the database for a minute: %s", sl_db_error(d->db));
    return -1;
}

sl_deadline_t *
sl_deadline_new(const sl_config_t *cfg, uv_loop_t *loop)
{
    sl_deadline_t *d = sl_calloc(1, sizeof *d);
    d->cfg = cfg;
    d->loop = loop;
    snprintf(d->node, sizeof d->node, "%s", sl_config_node(cfg));
    int inst = sl_config_instance(cfg);
    if (inst > 1)
        snprintf(d->name, sizeof d->name, "sl-deadline.%d", inst);
    else
        snprintf(d->name, sizeof d->name, "sl-deadline");
    d->not_handled_days = (int)sl_config_int(cfg, "deadline", "not_handled_days");
    atomic_init(&d->db_up, true);
    uv_timer_init(loop, &d->tick);
    d->tick.data = d;
    s_metrics(d);
    d->db = sl_db_new(sl_config_str(cfg, "database", "conninfo"));
    d->cal = sl_calendar_cache_new();
    if (s_connect_db(d) != 0 || sl_unit_node(d->db, d->node, d->parent, sizeof d->parent) != 0)
        goto fail;
    if (!(d->bus = sl_bus_new()))
        goto fail;
    const char *events = sl_config_str(cfg, "deadline", "events");
    if (events && !(d->events = sl_events_new(d->bus, loop, events)))
        goto fail;
    if (s_http(d) != 0)
        goto fail;
    d->heartbeat = sl_heartbeat_new(
        loop, d->db, "deadline", inst,
        sl_config_int(cfg, "deadline", "http") > 0 ? sl_config_str(cfg, "deadline", "http") : NULL);
    uint64_t every = (uint64_t)sl_config_int(cfg, "deadline", "tick_seconds") * 1000;
    uv_timer_start(&d->tick, s_tick, 0, every);
    sl_log(SL_LOG_INFO, "sl-deadline ticking every %llu s; not handled after %d working days%s%s",
           (unsigned long long)(every / 1000), d->not_handled_days,
           d->parent[0] ? "; escalates to " : "; top node", d->parent);
    return d;
fail:
    sl_deadline_destroy(&d);
    return NULL;
}

void
sl_deadline_drain(sl_deadline_t *d, void (*done)(void *), void *arg)
{
    uv_timer_stop(&d->tick);
    done(arg);
}

static void
s_closed(uv_handle_t *h)
{
    (void)h;
}

void
sl_deadline_destroy(sl_deadline_t **p)
{
    if (!p || !*p)
        return;
    sl_deadline_t *d = *p;
    sl_http_destroy(&d->http);
    sl_heartbeat_destroy(&d->heartbeat);
    sl_events_destroy(&d->events);
    uv_close((uv_handle_t *)&d->tick, s_closed);
    uv_run(d->loop, UV_RUN_NOWAIT);
    sl_bus_destroy(&d->bus);
    sl_calendar_cache_destroy(&d->cal);
    sl_db_destroy(&d->db);
    sl_metrics_destroy(&d->metrics);
    free(d);
    *p = NULL;
}
