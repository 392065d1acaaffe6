/* dispatch.c — sl-dispatch's server: the scan, the schedule, announcements.
 *
 * The scan is the service's periodic work (sl_service_every): it runs on a
 * worker thread with a connection of its own — calendar, list formation
 * through sl_transfer_form_list (which takes the formation lock, so of
 * several instances one forms a round's list and the others find it formed or
 * the lock busy), recomputed deadlines, then announcements — while the loop
 * thread keeps the links, the heartbeat and /healthz going on theirs. A list
 * of ten thousand transfers takes seconds; the daemon is at work, not down.
 * A lost database only makes the scan try again next time; the service says
 * so (/healthz, sl_db_up, one line). A stop is not kept waiting for the
 * scan: each step asks sl_service_stopping, a list being formed is rolled
 * back whole (one transaction: its cases stay registered and are listed at
 * the next start), announcements end after the chunk in flight. */
#include "dispatch.h"

#include "sl_calendar_db.h"
#include "sl_clock.h"
#include "sl_db.h"
#include "sl_federation.h"
#include "sl_link.h"
#include "sl_log.h"
#include "sl_metrics.h"
#include "sl_transfer.h"
#include "sl_deadline.h"
#include "sl_transfer_fsm.h"
#include "sl_unit.h"
#include "sl_util.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

struct sl_dispatch {
    const sl_config_t *cfg;       /* borrowed */
    uv_loop_t *loop;              /* borrowed */
    char node[8];                 /* the node's division code */
    char parent[8];               /* its parent's, "" at the top */
    char name[32];                /* sl-dispatch or sl-dispatch.N, for the audit */
    sl_service_t *svc;            /* metrics, bus, events, HTTP, the database's state; borrowed */
    sl_db_t *db;                  /* the links' connection (loop thread) */
    sl_calendar_cache_t *cal;     /* the scan's (worker thread) */
    bool cal_seen;                /* a calendar was loaded by this process (worker thread) */
    bool formed;                  /* the last scan issued transfers: kick the links */
    int32_t start_day;            /* first round */
    int interval;                 /* days between rounds; 0: every scan */
    int time_of_day;              /* minutes after midnight */
    int upper_margin;             /* [dispatch] upper_margin_days */
    int64_t announce_again_ms;    /* [dispatch] announce_again_seconds */
    const char *office, *contact; /* for the notices (config, borrowed) */
    sl_counter_t *m_scans, *m_lists, *m_issued, *m_announced, *m_recomputed, *m_errors;
    sl_gauge_t *m_scan_seconds;
    sl_fed_keys_t *keys; /* sealing keys for the links, or NULL without peers */
    sl_link_t **links;   /* one per peer node: [parent], each [child.CODE] */
    size_t nlinks;
};

/* Publishes transfer.issued for row ROW of R (sl_transfer_fetch's columns),
 * carrying the notice. Worker thread: the service queues it for the loop. */
static void
s_announce(void *arg, const PGresult *r, int row)
{
    sl_dispatch_t *d = arg;
    sl_counter_inc(d->m_announced);
#define F(name) PQgetvalue(r, row, PQfnumber(r, name))
    char *html = sl_transfer_notice_html_row(r, row, d->office, d->contact);
    json_t *o = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s}", "notice_no", F("notice_no"),
        "case_no", F("case_no"), "unit", F("unit_code"), "unit_name", F("unit_name"), "list_no",
        F("list_no"), "transfer_date", F("transfer_date"), "objection_deadline",
        F("objection_deadline"), "feedback_deadline", F("feedback_deadline"), "calendar_warning",
        F("calendar_warning"), "announce_count", atoi(F("announce_count")), "html", html);
    free(html);
    sl_service_publish(d->svc, "transfer.issued", F("case_no"), NULL, o);
    sl_log(SL_LOG_DEBUG, "case=%s notice=%s announced to %s", F("case_no"), F("notice_no"),
           F("unit_code"));
#undef F
}

/* Asked between the steps of a scan: the daemon is stopping. */
static bool
s_stopping(void *arg)
{
    sl_dispatch_t *d = arg;
    return sl_service_stopping(d->svc);
}

/* One scan, on the worker thread with DB (the work's connection). */
static int
s_scan(sl_db_t *db, void *arg)
{
    sl_dispatch_t *d = arg;
    sl_counter_inc(d->m_scans);
    uint64_t t0 = uv_hrtime();
    d->formed = false;
    int rc = sl_db_connect(db);
    const sl_calendar_t *cal = NULL;
    bool reloaded = false;
    if (rc == 0)
        rc = sl_calendar_cache_get(d->cal, db, &cal, &reloaded);
    if (rc != 0 || !cal)
        goto fail;
    int64_t now = sl_now_ms();
    sl_transfer_actor_t actor = {
        .key = d->name, .unit = d->node, .operator_name = "", .msg_id = ""};
    if (reloaded || !d->cal_seen) {
        long n = sl_transfer_recompute(db, cal, now, &actor);
        if (n < 0) {
            rc = (int)n;
            goto fail;
        }
        sl_counter_add(d->m_recomputed, (uint64_t)n);
        d->cal_seen = true;
    }
    /* a stop rolls back the list in flight (formed again at the next start) */
    sl_transfer_form_opts_t opts = {
        .upper_margin = d->upper_margin, .cfg = d->cfg, .stop = s_stopping, .stop_arg = d};
    /* cases from above go on at once, in an on-demand list of their own */
    sl_transfer_formed_t up;
    if ((rc = sl_transfer_form_upper_list(db, cal, d->node, now, &opts, &actor, &up)) != 0)
        goto fail;
    if (up.items > 0) {
        d->formed = true;
        sl_counter_inc(d->m_lists);
        sl_counter_add(d->m_issued, (uint64_t)up.items);
    }
    if (s_stopping(d))
        return 0;
    int32_t round = -1;
    bool due = d->interval == 0;
    if (!due) {
        round = sl_transfer_round(d->start_day, d->interval, d->time_of_day, now);
        due = round >= 0;
    }
    if (due) {
        sl_transfer_formed_t f;
        if ((rc = sl_transfer_form_list(db, cal, d->node, now, round, false, &opts, &actor, &f)) !=
            0)
            goto fail;
        if (f.items > 0) {
            d->formed = true; /* transfers to child nodes wait: kicked after the scan */
            sl_counter_inc(d->m_lists);
            sl_counter_add(d->m_issued, (uint64_t)f.items);
        } else if (f.busy) {
            sl_log(SL_LOG_DEBUG, "another dispatcher is forming a list");
        }
        if (f.stopped)
            return 0;
    }
    uint64_t t1 = uv_hrtime();
    long n = sl_transfer_announce(db, sl_now_ms(), d->announce_again_ms, s_announce, s_stopping, d);
    if (n < 0) {
        rc = (int)n;
        goto fail;
    }
    double secs = (double)(uv_hrtime() - t1) / 1e9;
    if (secs >= 1.0)
        sl_log(SL_LOG_INFO, "announced %ld transfers not yet received in %.1f s", n, secs);
    sl_gauge_set(d->m_scan_seconds, (double)(uv_hrtime() - t0) / 1e9);
    return 0;
fail:
    sl_counter_inc(d->m_errors);
    return rc ? rc : SL_AGAIN;
}

/* Back on the loop after a scan. */
static void
s_scanned(int rc, void *arg)
{
    sl_dispatch_t *d = arg;
    if (rc == 0 && d->formed)
        for (size_t i = 0; i < d->nlinks; i++)
            sl_link_kick(d->links[i]);
}

static void
s_metrics(sl_dispatch_t *d)
{
    sl_metrics_t *m = sl_service_metrics(d->svc);
    d->m_scans = sl_metrics_counter(m, "sl_dispatch_scans_total", "Scans run", NULL);
    d->m_lists = sl_metrics_counter(m, "sl_dispatch_lists_total", "Transfer lists formed", NULL);
    d->m_issued = sl_metrics_counter(m, "sl_dispatch_transfers_issued_total",
                                     "Transfers issued in lists this process formed", NULL);
    d->m_announced =
        sl_metrics_counter(m, "sl_dispatch_announcements_total",
                           "transfer.issued events for transfers not yet received", NULL);
    d->m_recomputed =
        sl_metrics_counter(m, "sl_dispatch_deadlines_recomputed_total",
                           "Transfers whose deadlines a calendar import changed", NULL);
    d->m_errors = sl_metrics_counter(m, "sl_dispatch_scan_errors_total",
                                     "Scans that stopped on a database error", NULL);
    d->m_scan_seconds =
        sl_metrics_gauge(m, "sl_dispatch_scan_seconds", "Duration of the last scan", NULL);
}

/* Before a row's first send: its reporter sealed for the receiving node. */
static int
s_prepare_row(void *arg, const char *peer, sl_outbox_row_t *row, char *reason, size_t size)
{
    sl_dispatch_t *d = arg;
    return sl_fed_reseal(d->db, d->keys, peer, row, d->name, sl_now_ms(), reason, size);
}

static int
s_link_add(sl_dispatch_t *d, const char *peer, const char *endpoint, const char *peer_public)
{
    sl_link_opts_t o = {
        .peer = peer,
        .endpoint = endpoint,
        .peer_public = peer_public,
        .our_public = sl_config_str(d->cfg, "keys", "curve_public"),
        .our_secret = sl_config_str(d->cfg, "keys", "curve_secret"),
        .window = (int)sl_config_int(d->cfg, "dispatch", "window"),
        .retry_min_ms = (int)sl_config_int(d->cfg, "dispatch", "retry_min_ms"),
        .retry_max_ms = (int)sl_config_int(d->cfg, "dispatch", "retry_max_ms"),
        .ack_timeout_ms = (int)sl_config_int(d->cfg, "dispatch", "ack_timeout_ms"),
        .instance = d->name,
        .prepare = s_prepare_row,
        .prepare_arg = d,
    };
    sl_link_t *l =
        sl_link_new(sl_service_bus(d->svc), d->loop, d->db, sl_service_metrics(d->svc), &o);
    if (!l)
        return -1;
    d->links = sl_realloc(d->links, (d->nlinks + 1) * sizeof *d->links);
    d->links[d->nlinks++] = l;
    return 0;
}

/* One link per peer the config names (DESIGN.md rule 3: sl-dispatch alone sends). */
static int
s_links(sl_dispatch_t *d)
{
    const char *const *names;
    size_t n = sl_config_family(d->cfg, "child", &names);
    bool parent = sl_config_has(d->cfg, "parent", "code");
    if (!parent && n == 0)
        return 0;
    char *err = NULL;
    if (!(d->keys = sl_fed_keys_load(d->cfg, &err))) {
        sl_log(SL_LOG_ERROR, "%s (make the node's keys with `slctl keys gen`)", err);
        free(err);
        return -1;
    }
    if (parent && s_link_add(d, sl_config_str(d->cfg, "parent", "code"),
                             sl_config_str(d->cfg, "parent", "endpoint"),
                             sl_config_str(d->cfg, "parent", "public_key")) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char section[32];
        snprintf(section, sizeof section, "child.%s", names[i]);
        if (s_link_add(d, names[i], sl_config_str(d->cfg, section, "endpoint"),
                       sl_config_str(d->cfg, section, "public_key")) != 0)
            return -1;
    }
    return 0;
}

sl_dispatch_t *
sl_dispatch_new(const sl_config_t *cfg, uv_loop_t *loop, sl_service_t *svc)
{
    sl_dispatch_t *d = sl_calloc(1, sizeof *d);
    d->cfg = cfg;
    d->loop = loop;
    d->svc = svc;
    snprintf(d->node, sizeof d->node, "%s", sl_config_node(cfg));
    snprintf(d->name, sizeof d->name, "%s", sl_service_name(svc));
    d->interval = (int)sl_config_int(cfg, "dispatch", "interval_days");
    d->time_of_day = (int)sl_config_int(cfg, "dispatch", "time_of_day");
    d->upper_margin = sl_transfer_upper_margin(cfg);
    d->announce_again_ms = sl_config_int(cfg, "dispatch", "announce_again_seconds") * 1000;
    d->start_day = sl_config_has(cfg, "dispatch", "start_date")
                       ? (int32_t)sl_config_int(cfg, "dispatch", "start_date")
                       : sl_ms_to_day(sl_now_ms());
    d->office = sl_config_str(cfg, "dispatch", "office");
    d->contact = sl_config_str(cfg, "dispatch", "contact");
    s_metrics(d);
    d->db = sl_db_new(sl_service_conninfo(svc));
    d->cal = sl_calendar_cache_new();
    if (sl_unit_node(sl_service_db(svc), d->node, d->parent, sizeof d->parent) != 0)
        goto fail;
    if (s_links(d) != 0)
        goto fail;
    uint64_t every = (uint64_t)sl_config_int(cfg, "dispatch", "scan_seconds") * 1000;
    sl_service_every(svc, every, s_scan, s_scanned, d);
    char start[11];
    sl_date_format(d->start_day, start);
    sl_log(SL_LOG_INFO, "sl-dispatch scanning every %llu s; rounds %s%s%s",
           (unsigned long long)(every / 1000), d->interval ? "from " : "on every scan",
           d->interval ? start : "",
           sl_config_str(cfg, "dispatch", "events") ? "" : "; no events endpoint");
    return d;
fail:
    sl_dispatch_destroy(&d);
    return NULL;
}

void
sl_dispatch_drain(sl_dispatch_t *d, void (*done)(void *), void *arg)
{
    sl_service_stop_work(d->svc, done, arg);
}

void
sl_dispatch_destroy(sl_dispatch_t **p)
{
    if (!p || !*p)
        return;
    sl_dispatch_t *d = *p;
    for (size_t i = 0; i < d->nlinks; i++)
        sl_link_destroy(&d->links[i]);
    free(d->links);
    sl_fed_keys_destroy(&d->keys);
    /* the links' socket handles are embedded: run the loop so they close */
    uv_run(d->loop, UV_RUN_NOWAIT);
    sl_calendar_cache_destroy(&d->cal);
    sl_db_destroy(&d->db);
    free(d);
    *p = NULL;
}
