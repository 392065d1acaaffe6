/* deadline.c — sl-deadline's server: the tick, the events, /metrics.
 *
 * The tick is the service's periodic work (sl_service_every): it runs on a
 * worker thread with a connection of its own, so however long one takes, the
 * loop keeps beating and /healthz keeps answering. A tick reads only what is
 * due (transfer_clock.due_at, pending escalation rows, campaigns), so its cost
 * follows what is due, not what is open. A lost database only makes the tick
 * try again next time; the service says so (/healthz, sl_db_up, one line). */
#include "deadline.h"

#include "sl_calendar_db.h"
#include "sl_clock.h"
#include "sl_db.h"
#include "sl_escalation.h"
#include "sl_log.h"
#include "sl_metrics.h"
#include "sl_plan.h"
#include "sl_report.h"
#include "sl_case.h"
#include "sl_transfer_clock.h"
#include "sl_unit.h"
#include "sl_util.h"

#include <stdlib.h>
#include <string.h>

#define S_BATCH 1000 /* transfers (escalations) per transaction */

struct sl_deadline {
    const sl_config_t *cfg; /* borrowed */
    uv_loop_t *loop;        /* borrowed */
    char node[8];           /* the node's division code */
    char parent[8];         /* its parent's, "" at the top */
    char name[32];          /* sl-deadline or sl-deadline.N, for the audit */
    int not_handled_days;   /* [deadline] not_handled_days */
    sl_service_t *svc;         /* metrics, events, HTTP, the database's state; borrowed */
    sl_calendar_cache_t *cal;  /* the tick's (worker thread) */
    sl_counter_t *m_ticks, *m_accepted, *m_reminders, *m_overdue, *m_not_handled, *m_escalated,
        *m_missing, *m_phases, *m_errors, *m_busy, *m_upper_reminders, *m_upper_overdue;
    sl_gauge_t *m_tick_seconds;
};

static void
s_on_clock(void *arg, const char *topic, const char *case_no, const char *json)
{
    sl_deadline_t *d = arg;
    if (strcmp(topic, "case.escalated") == 0)
        sl_counter_inc(d->m_escalated);
    else if (strcmp(topic, "deadline.accepted") == 0)
        sl_counter_inc(d->m_accepted);
    else if (strcmp(topic, "deadline.reminder") == 0)
        sl_counter_inc(d->m_reminders);
    else if (strcmp(topic, "deadline.overdue") == 0)
        sl_counter_inc(d->m_overdue);
    else if (strcmp(topic, "deadline.not_handled") == 0)
        sl_counter_inc(d->m_not_handled);
    sl_service_publish_json(d->svc, topic, case_no, NULL, json);
}

static void
s_on_upper(void *arg, const char *topic, const char *case_no, const char *json)
{
    sl_deadline_t *d = arg;
    sl_counter_inc(strcmp(topic, "deadline.upper_overdue") == 0 ? d->m_upper_overdue
                                                                : d->m_upper_reminders);
    sl_service_publish_json(d->svc, topic, case_no, NULL, json);
}

static void
s_on_report(void *arg, const char *topic, const char *json)
{
    sl_deadline_t *d = arg;
    sl_counter_inc(strcmp(topic, "report.missing") == 0 ? d->m_missing : d->m_phases);
    sl_service_publish_json(d->svc, topic, NULL, NULL, json);
}

/* One tick on the worker thread with DB, the work's connection. */
static int
s_tick(sl_db_t *db, void *arg)
{
    sl_deadline_t *d = arg;
    sl_counter_inc(d->m_ticks);
    uint64_t t0 = uv_hrtime();
    int rc = sl_db_connect(db);
    const sl_calendar_t *cal = NULL;
    if (rc == 0)
        rc = sl_calendar_cache_get(d->cal, db, &cal, NULL);
    if (rc != 0 || !cal)
        goto down;
    int64_t now = sl_now_ms();
    sl_transfer_actor_t actor = {
        .key = d->name, .unit = d->node, .operator_name = "", .msg_id = ""};
    bool busy = false;
    long n, m, looked = 0, raised = 0, raise_rc = 0;
    /* the clocks and the raising of what they marked, one transaction a batch */
    do {
        n = sl_escalation_tick(db, cal, d->node, d->parent, now, d->not_handled_days, S_BATCH,
                               &actor, &busy, &m, s_on_clock, d);
        if (n < 0) {
            rc = (int)n;
            goto down;
        }
        looked += n;
        if (m < 0)
            raise_rc = m; /* the clocks went on; the raising is tried next tick */
        else
            raised += m;
    } while ((n == S_BATCH || m >= S_BATCH) && !busy);
    double clocks_ms = (double)(uv_hrtime() - t0) / 1e6;
    /* cases from above: the deadline this level owes upward (its own warning) */
    do {
        n = sl_case_upper_watch(db, cal, now, SL_DEADLINE_LOCK, S_BATCH, &actor, &busy, s_on_upper,
                                d);
        if (n < 0) {
            rc = (int)n;
            goto down;
        }
        looked += n;
    } while (n == S_BATCH && !busy);
    if (raise_rc) {
        rc = (int)raise_rc;
        goto down;
    }
    if (!busy && (n = sl_report_check(db, now, &busy, s_on_report, d)) < 0) {
        rc = (int)n;
        goto down;
    }
    if (!busy && (n = sl_plan_check(db, now, &busy, s_on_report, d)) < 0) {
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
        sl_log(SL_LOG_INFO,
               "tick: %ld transfers due, %ld escalations raised, %.1f ms"
               " (clocks and raising %.1f ms)",
               looked, raised, ms, clocks_ms);
    return 0;
down:
    sl_counter_inc(d->m_errors);
    return rc ? rc : SL_AGAIN;
}

static void
s_metrics(sl_deadline_t *d)
{
    sl_metrics_t *m = sl_service_metrics(d->svc);
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
    d->m_upper_reminders =
        sl_metrics_counter(m, "sl_deadline_upper_reminders_total",
                           "Reminders of the deadline owed upward (cases from above)", NULL);
    d->m_upper_overdue =
        sl_metrics_counter(m, "sl_deadline_upper_overdue_total",
                           "Cases from above past the deadline owed upward, not fed back", NULL);
    d->m_tick_seconds =
        sl_metrics_gauge(m, "sl_deadline_tick_seconds", "Duration of the last tick", NULL);
}

sl_deadline_t *
sl_deadline_new(const sl_config_t *cfg, uv_loop_t *loop, sl_service_t *svc)
{
    sl_deadline_t *d = sl_calloc(1, sizeof *d);
    d->cfg = cfg;
    d->loop = loop;
    d->svc = svc;
    snprintf(d->node, sizeof d->node, "%s", sl_config_node(cfg));
    snprintf(d->name, sizeof d->name, "%s", sl_service_name(svc));
    d->not_handled_days = (int)sl_config_int(cfg, "deadline", "not_handled_days");
    s_metrics(d);
    d->cal = sl_calendar_cache_new();
    if (sl_unit_node(sl_service_db(svc), d->node, d->parent, sizeof d->parent) != 0)
        goto fail;
    uint64_t every = (uint64_t)sl_config_int(cfg, "deadline", "tick_seconds") * 1000;
    sl_service_every(svc, every, s_tick, NULL, d);
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
    sl_service_stop_work(d->svc, done, arg);
}

void
sl_deadline_destroy(sl_deadline_t **p)
{
    if (!p || !*p)
        return;
    sl_deadline_t *d = *p;
    sl_calendar_cache_destroy(&d->cal);
    free(d);
    *p = NULL;
}
