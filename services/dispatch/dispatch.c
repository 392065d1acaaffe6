/* dispatch.c — sl-dispatch's server: the scan, the schedule, announcements.
 *
 * One timer drives everything. Each scan runs to its end inside the timer's
 * callback (blocking libpq on the daemon's own connection): calendar, list
 * formation through sl_transfer_form_list (which takes the formation lock, so
 * of several instances one forms a round's list and the others find it
 * formed or the lock busy), recomputed deadlines, then announcements. A lost
 * database only makes the scan try again next time; /healthz says so. */
#include "dispatch.h"

#include "sl_bus.h"
#include "sl_calendar_db.h"
#include "sl_clock.h"
#include "sl_codec.h"
#include "sl_db.h"
#include "sl_heartbeat.h"
#include "sl_federation.h"
#include "sl_http.h"
#include "sl_link.h"
#include "sl_log.h"
#include "sl_metrics.h"
#include "sl_transfer.h"
#include "sl_deadline.h"
#include "sl_transfer_fsm.h"
#include "sl_unit.h"
#include "sl_util.h"

#include <jansson.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct sl_dispatch {
    const sl_config_t *cfg; /* borrowed */
    uv_loop_t *loop;        /* borrowed */
    char node[8];           /* the node's division code */
    char parent[8];         /* its parent's, "" at the top */
    char name[32];          /* sl-dispatch or sl-dispatch.N, for the audit */
    sl_db_t *db;
    sl_calendar_cache_t *cal;
    bool cal_seen; /* a calendar was loaded by this process */
    sl_bus_t *bus;
    sl_events_t *events; /* PUB, or NULL */
    sl_metrics_t *metrics;
    sl_http_t *http;
    uv_timer_t scan;              /* every scan_seconds */
    int32_t start_day;            /* first round */
    int interval;                 /* days between rounds; 0: every scan */
    int time_of_day;              /* minutes after midnight */
    const char *office, *contact; /* for the notices (config, borrowed) */
    atomic_bool db_up;            /* for /healthz (read on the HTTP thread) */
    sl_heartbeat_t *heartbeat;    /* this instance's row in daemon_state */
    sl_counter_t *m_scans, *m_lists, *m_issued, *m_announced, *m_recomputed, *m_errors;
    sl_gauge_t *m_db_up;
    sl_fed_keys_t *keys;  /* sealing keys for the links, or NULL without peers */
    sl_link_t **links;    /* one per peer node: [parent], each [child.CODE] */
    size_t nlinks;
};

/* Publishes transfer.issued for NOTICE_NO, carrying the notice. */
static void
s_announce(void *arg, const char *notice_no)
{
    sl_dispatch_t *d = arg;
    sl_counter_inc(d->m_announced);
    if (!d->events)
        return;
    PGresult *r;
    if (sl_transfer_fetch(d->db, notice_no, &r) != 0)
        return;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return;
    }
#define F(name) PQgetvalue(r, 0, PQfnumber(r, name))
    char *html = sl_transfer_notice_html(r, d->office, d->contact);
    json_t *o = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s}", "notice_no", notice_no,
        "case_no", F("case_no"), "unit", F("unit_code"), "unit_name", F("unit_name"), "list_no",
        F("list_no"), "transfer_date", F("transfer_date"), "objection_deadline",
        F("objection_deadline"), "feedback_deadline", F("feedback_deadline"), "calendar_warning",
        F("calendar_warning"), "announce_count", atoi(F("announce_count")), "html", html);
    char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    free(html);
    sl_pb_event_t ev = SL_PB_EVENT_INIT;
    ev.topic = "transfer.issued";
    ev.at = sl_now_ms();
    ev.node = d->node;
    ev.case_no = F("case_no");
    ev.msg_id = "";
    ev.json = text;
    size_t len;
    uint8_t *bytes = sl_codec_encode_event(&ev, &len);
    sl_events_publish(d->events, ev.topic, bytes, len);
    sl_log(SL_LOG_DEBUG, "case=%s notice=%s announced to %s", F("case_no"), notice_no,
           F("unit_code"));
#undef F
    free(bytes);
    free(text);
    PQclear(r);
}

static void
s_scan_once(sl_dispatch_t *d)
{
    sl_counter_inc(d->m_scans);
    int rc = sl_db_connect(d->db);
    const sl_calendar_t *cal = NULL;
    bool reloaded = false;
    if (rc == 0)
        rc = sl_calendar_cache_get(d->cal, d->db, &cal, &reloaded);
    if (rc != 0 || !cal)
        goto down;
    int64_t now = sl_now_ms();
    sl_transfer_actor_t actor = {
        .key = d->name, .unit = d->node, .operator_name = "", .msg_id = ""};
    if (reloaded || !d->cal_seen) {
        long n = sl_transfer_recompute(d->db, cal, now, &actor);
        if (n < 0) {
            rc = (int)n;
            goto down;
        }
        sl_counter_add(d->m_recomputed, (uint64_t)n);
        d->cal_seen = true;
    }
    int32_t round = -1;
    bool due = d->interval == 0;
    if (!due) {
        round = sl_transfer_round(d->start_day, d->interval, d->time_of_day, now);
        due = round >= 0;
    }
    if (due) {
        sl_transfer_formed_t f;
        if ((rc = sl_transfer_form_list(d->db, cal, d->node, now, round, false, &actor, &f)) != 0)
            goto down;
        if (f.items > 0) {
            for (size_t i = 0; i < d->nlinks; i++)
                sl_link_kick(d->links[i]); /* transfers to child nodes wait */
            sl_counter_inc(d->m_lists);
            sl_counter_add(d->m_issued, (uint64_t)f.items);
        } else if (f.busy) {
            sl_log(SL_LOG_DEBUG, "another dispatcher is forming a list");
        }
    }
    long n = sl_transfer_announce(d->db, sl_now_ms(), s_announce, d);
    if (n < 0) {
        rc = (int)n;
        goto down;
    }
    sl_http_db_up(&d->db_up, d->m_db_up, true);
    return;
down:
    sl_counter_inc(d->m_errors);
    if (rc == SL_AGAIN || !sl_db_connected(d->db)) {
        sl_http_db_up(&d->db_up, d->m_db_up, false);
        sl_log(SL_LOG_WARN, "database unavailable; scanning again in %lld s",
               sl_config_int(d->cfg, "dispatch", "scan_seconds"));
    }
}

static void
s_scan(uv_timer_t *t)
{
    s_scan_once(t->data);
}

static int
s_http(sl_dispatch_t *d)
{
    if (sl_http_from_hostport(sl_config_str(d->cfg, "dispatch", "http"), d->metrics,
                              sl_http_health_db, &d->db_up,
                              &d->http) != 0)
        return -1;
    return d->http ? sl_http_start(d->http) : 0;
}

static void
s_metrics(sl_dispatch_t *d)
{
    sl_metrics_t *m = d->metrics = sl_metrics_new();
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
    d->m_db_up = sl_metrics_gauge(m, "sl_db_up", "1 if the database answered the last scan", NULL);
    sl_gauge_set(d->m_db_up, 1);
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
    sl_link_t *l = sl_link_new(d->bus, d->loop, d->db, d->metrics, &o);
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

static int
s_connect_db(sl_dispatch_t *d)
{
    for (int attempt = 0; attempt < 60; attempt++) {
        if (sl_db_connect(d->db) == 0)
            return sl_schema_check(d->db, sl_config_path(d->cfg));
        uv_sleep(1000);
    }
    sl_log(SL_LOG_ERROR, "could not connect to the database for a minute: %s", sl_db_error(d->db));
    return -1;
}

sl_dispatch_t *
sl_dispatch_new(const sl_config_t *cfg, uv_loop_t *loop)
{
    sl_dispatch_t *d = sl_calloc(1, sizeof *d);
    d->cfg = cfg;
    d->loop = loop;
    snprintf(d->node, sizeof d->node, "%s", sl_config_node(cfg));
    int inst = sl_config_instance(cfg);
    if (inst > 1)
        snprintf(d->name, sizeof d->name, "sl-dispatch.%d", inst);
    else
        snprintf(d->name, sizeof d->name, "sl-dispatch");
    d->interval = (int)sl_config_int(cfg, "dispatch", "interval_days");
    d->time_of_day = (int)sl_config_int(cfg, "dispatch", "time_of_day");
    d->start_day = sl_config_has(cfg, "dispatch", "start_date")
                       ? (int32_t)sl_config_int(cfg, "dispatch", "start_date")
                       : sl_ms_to_day(sl_now_ms());
    d->office = sl_config_str(cfg, "dispatch", "office");
    d->contact = sl_config_str(cfg, "dispatch", "contact");
    atomic_init(&d->db_up, true);
    uv_timer_init(loop, &d->scan);
    d->scan.data = d;
    s_metrics(d);
    d->db = sl_db_new(sl_config_str(cfg, "database", "conninfo"));
    d->cal = sl_calendar_cache_new();
    if (s_connect_db(d) != 0 || sl_unit_node(d->db, d->node, d->parent, sizeof d->parent) != 0)
        goto fail;
    if (!(d->bus = sl_bus_new()))
        goto fail;
    const char *events = sl_config_str(cfg, "dispatch", "events");
    if (events && !(d->events = sl_events_new(d->bus, loop, events)))
        goto fail;
    if (s_links(d) != 0 || s_http(d) != 0)
        goto fail;
    d->heartbeat = sl_heartbeat_new(loop, d->db, "dispatch", inst,
                                    sl_config_int(cfg, "dispatch", "http") > 0
                                        ? sl_config_str(cfg, "dispatch", "http")
                                        : NULL);
    uint64_t every = (uint64_t)sl_config_int(cfg, "dispatch", "scan_seconds") * 1000;
    uv_timer_start(&d->scan, s_scan, 0, every);
    char start[11];
    sl_date_format(d->start_day, start);
    sl_log(SL_LOG_INFO, "sl-dispatch scanning every %llu s; rounds %s%s%s",
           (unsigned long long)(every / 1000), d->interval ? "from " : "on every scan",
           d->interval ? start : "", events ? "" : "; no events endpoint");
    return d;
fail:
    sl_dispatch_destroy(&d);
    return NULL;
}

void
sl_dispatch_drain(sl_dispatch_t *d, void (*done)(void *), void *arg)
{
    uv_timer_stop(&d->scan);
    done(arg);
}

static void
s_closed(uv_handle_t *h)
{
    (void)h;
}

void
sl_dispatch_destroy(sl_dispatch_t **p)
{
    if (!p || !*p)
        return;
    sl_dispatch_t *d = *p;
    sl_http_destroy(&d->http);
    sl_heartbeat_destroy(&d->heartbeat);
    for (size_t i = 0; i < d->nlinks; i++)
        sl_link_destroy(&d->links[i]);
    free(d->links);
    sl_fed_keys_destroy(&d->keys);
    sl_events_destroy(&d->events);
    uv_close((uv_handle_t *)&d->scan, s_closed);
    /* the handle is embedded: run the loop once so its close completes */
    uv_run(d->loop, UV_RUN_NOWAIT);
    sl_bus_destroy(&d->bus);
    sl_calendar_cache_destroy(&d->cal);
    sl_db_destroy(&d->db);
    sl_metrics_destroy(&d->metrics);
    free(d);
    *p = NULL;
}
