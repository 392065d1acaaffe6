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
    struct s_helper *helpers; /* [deadline] tick_connections - 1 of them */
    size_t nhelpers;
    bool led;                  /* the last tick's transactions held the leader lock */
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

/* An event of a helper's transaction, kept for the tick to publish. */
typedef struct {
    char *topic, *case_no, *json;
} s_event_t;

/* A helper: while the tick's transaction holds the leader lock, a batch of
 * its own on a connection of its own, in a thread of its own (the clocks and
 * raising of up to LIMIT transfers, sl_escalation_tick with BUSY NULL); the
 * rows it takes are SKIP LOCKED against the tick's. Its events are kept until
 * the tick has joined it and published from the tick's thread. */
typedef struct s_helper {
    sl_deadline_t *d;
    sl_db_t *db;                      /* owned */
    const sl_calendar_t *cal;         /* the tick's, for the batch */
    const sl_transfer_actor_t *actor; /* the tick's */
    int64_t now;
    long limit;
    sl_transfer_share_t share; /* of the due transfers: its own, beside the tick's */
    long n, m; /* transfers looked at, escalations raised; or an error each */
    s_event_t *evs;
    size_t nev, cap;
    uv_thread_t thread;
} s_helper_t;

static void
s_keep(void *arg, const char *topic, const char *case_no, const char *json)
{
    s_helper_t *h = arg;
    if (h->nev == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 64;
        h->evs = sl_realloc(h->evs, h->cap * sizeof *h->evs);
    }
    h->evs[h->nev++] = (s_event_t){sl_strdup(topic), sl_strdup(case_no), sl_strdup(json)};
}

static void
s_help(void *arg)
{
    s_helper_t *h = arg;
    sl_log_hold();
    h->m = 0;
    int rc = sl_db_connect(h->db);
    h->n = rc != 0 ? rc
                   : sl_escalation_tick(h->db, h->cal, h->d->node, h->d->parent, h->now,
                                        h->d->not_handled_days, h->limit, &h->share, h->actor, NULL,
                                        &h->m, s_keep, h);
    sl_log_release();
}

/* Joins helper H, publishes its events, adds its counts to *LOOKED and
 * *RAISED (a raising's error to *RAISE_RC) and tells whether its batch was
 * full. A helper's lost connection or failed batch is logged and counted;
 * the tick goes on (what it would have done waits for the next round). */
static bool
s_join(sl_deadline_t *d, s_helper_t *h, long *looked, long *raised, long *raise_rc)
{
    uv_thread_join(&h->thread);
    for (size_t k = 0; k < h->nev; k++) {
        s_on_clock(d, h->evs[k].topic, h->evs[k].case_no, h->evs[k].json);
        free(h->evs[k].topic);
        free(h->evs[k].case_no);
        free(h->evs[k].json);
    }
    h->nev = 0;
    if (h->n < 0) {
        sl_counter_inc(d->m_errors);
        sl_log(h->n == SL_AGAIN ? SL_LOG_DEBUG : SL_LOG_WARN,
               "a tick's helper connection could not do its batch: %s", sl_db_error(h->db));
        return false;
    }
    *looked += h->n;
    if (h->m < 0)
        *raise_rc = h->m;
    else
        *raised += h->m;
    return h->n == h->limit || h->m >= h->limit;
}

/* One tick (s_tick) with DB, the work's connection. */
static int
s_tick_logged(sl_db_t *db, sl_deadline_t *d)
{
    sl_counter_inc(d->m_ticks);
    uint64_t t0 = uv_hrtime();
    sl_db_prepare_statements(db); /* the same few statements every tick */
    int rc = sl_db_connect(db);
    const sl_calendar_t *cal = NULL;
    if (rc == 0)
        rc = sl_calendar_cache_get(d->cal, db, &cal, NULL);
    if (rc != 0 || !cal)
        goto down;
    int64_t now = sl_now_ms();
    sl_transfer_actor_t actor = {
        .key = d->name, .unit = d->node, .operator_name = "", .msg_id = ""};
    bool busy = false, full;
    long n, m, looked = 0, raised = 0, raise_rc = 0;
    /* the clocks and the raising of what they marked, one transaction a
     * batch; with helpers (an instance that led the last time), a round is
     * the tick's batch and one from each helper, side by side, each on its
     * own share of the due transfers (sl_transfer_share_t: share 0 the
     * tick's, i + 1 helper i's). A helper that fails leaves its share
     * untaken: the rounds after it are the tick's alone, on every share. */
    long limit = S_BATCH / (long)(1 + d->nhelpers);
    bool alone = false;
    do {
        size_t want = d->led && !alone ? d->nhelpers : 0, nh = want;
        for (size_t i = 0; i < nh; i++) {
            s_helper_t *h = &d->helpers[i];
            h->cal = cal, h->actor = &actor, h->now = now, h->limit = limit;
            h->share = (sl_transfer_share_t){(int)i + 1, (int)want + 1};
            if (uv_thread_create(&h->thread, s_help, h) != 0)
                nh = i; /* fewer helpers this round */
        }
        long own = nh ? limit : S_BATCH; /* alone, the tick takes the whole batch */
        /* the tick takes share 0 beside all its helpers, any if one did not start */
        sl_transfer_share_t share = {0, nh == want ? (int)nh + 1 : 1};
        n = sl_escalation_tick(db, cal, d->node, d->parent, now, d->not_handled_days, own, &share,
                               &actor, &busy, &m, s_on_clock, d);
        full = n == own || m >= own;
        for (size_t i = 0; i < nh; i++) {
            full |= s_join(d, &d->helpers[i], &looked, &raised, &raise_rc);
            if (d->helpers[i].n < 0)
                alone = full = true; /* its share waits for the next round */
        }
        if (n < 0) {
            rc = (int)n;
            goto down;
        }
        d->led = !busy;
        looked += n;
        if (m < 0)
            raise_rc = m; /* the clocks went on; the raising is tried next tick */
        else
            raised += m;
    } while (full && !busy);
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
               " (clocks and raising %.1f ms, %zu connection(s))",
               looked, raised, ms, clocks_ms, 1 + (d->led ? d->nhelpers : 0));
    return 0;
down:
    sl_counter_inc(d->m_errors);
    return rc ? rc : SL_AGAIN;
}

/* One tick on the worker thread; its lines (one or two a transfer due) are
 * written in one go at its end (sl_log_hold). */
static int
s_tick(sl_db_t *db, void *arg)
{
    sl_log_hold();
    int rc = s_tick_logged(db, arg);
    sl_log_release();
    return rc;
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
    d->nhelpers = (size_t)sl_config_int(cfg, "deadline", "tick_connections") - 1;
    d->helpers = sl_calloc(d->nhelpers + 1, sizeof *d->helpers);
    for (size_t i = 0; i < d->nhelpers; i++) {
        d->helpers[i].d = d;
        d->helpers[i].db = sl_db_new(sl_service_conninfo(svc));
        sl_db_prepare_statements(d->helpers[i].db);
    }
    s_metrics(d);
    d->cal = sl_calendar_cache_new();
    if (sl_unit_node(sl_service_db(svc), d->node, d->parent, sizeof d->parent) != 0)
        goto fail;
    uint64_t every = (uint64_t)sl_config_int(cfg, "deadline", "tick_seconds") * 1000;
    sl_service_every(svc, every, s_tick, NULL, d);
    sl_log(SL_LOG_INFO,
           "sl-deadline ticking every %llu s over %zu connection(s); not handled after %d working"
           " days%s%s",
           (unsigned long long)(every / 1000), 1 + d->nhelpers, d->not_handled_days,
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
    for (size_t i = 0; i < d->nhelpers; i++) {
        sl_db_destroy(&d->helpers[i].db);
        free(d->helpers[i].evs);
    }
    free(d->helpers);
    sl_calendar_cache_destroy(&d->cal);
    free(d);
    *p = NULL;
}
