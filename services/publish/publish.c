/* publish.c — sl-publish's server: the tick, the site, the preview, events
 * and /metrics.
 *
 * The tick is the service's periodic work (sl_service_every: a worker thread
 * with a connection of its own, as the role [publish] db_user, which reads
 * only the pub_* views): it drafts what is due (sl_pub_draft is idempotent
 * per kind and period), approves the kinds the config releases without the
 * office, and rewrites the site when the set of issued publications changed,
 * eventing each publication the site's writer learns was issued since. The
 * HTTP thread serves the site's files and the drafts' preview, the latter on
 * a connection of its own. */
#include "publish.h"

#include "sl_clock.h"
#include "sl_db.h"
#include "sl_disclose.h"
#include "sl_log.h"
#include "sl_metrics.h"
#include "sl_publish_db.h"
#include "sl_site.h"
#include "sl_template.h"
#include "sl_util.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct sl_publish {
    const sl_config_t *cfg;          /* borrowed */
    sl_service_t *svc;               /* borrowed */
    sl_template_set_t *tpl;          /* the templates, read at start */
    sl_site_memo_t *memo;            /* what the site in place was written from */
    char name[32];                   /* sl-publish or sl-publish.N */
    char site_dir[1024];             /* [publish] site_dir */
    const char *channels;            /* [publish] channels (the config's) */
    int time_of_day;                 /* minutes after midnight */
    bool daily_list;                 /* the list every day (else weekly) */
    bool auto_approve[SL_PUB_KINDS]; /* [publish] auto_approve */
    sl_person_rule_t person;         /* [publish] natural_person */
    char sig[128];                   /* the issued set the site was last written from */
    bool first; /* until the site's first write: learn what is issued, event nothing */
    pthread_mutex_t preview_lock; /* preview_db */
    sl_db_t *preview_db;          /* the HTTP thread's connection */
    sl_gauge_t *m_issued, *m_drafts, *m_oldest, *m_missing, *m_held, *m_site_seconds, *m_files;
    sl_counter_t *m_drafted, *m_approved_auto, *m_errors, *m_sites;
};

/* An issued publication the site's writer learned of: evented, unless it was
 * issued before this daemon started (the first write learns every one). */
static void
s_issued(void *arg, const sl_pub_row_t *row)
{
    sl_publish_t *p = arg;
    if (p->first)
        return;
    json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:i, s:s}", "id", (json_int_t)row->id, "kind",
                          row->kind, "period", row->period, "title", row->title, "items",
                          row->items, "approved_by", row->approved_by);
    if (row->corrects)
        json_object_set_new(o, "corrects", json_integer(row->corrects));
    sl_service_publish(p->svc, "publication.issued", NULL, NULL, o);
}

static int
s_tick(sl_db_t *db, void *arg)
{
    sl_publish_t *p = arg;
    int rc = sl_db_connect(db);
    if (rc != 0)
        goto down;
    int64_t now = sl_now_ms();
    int minute = (int)(((now + 8 * 3600000LL) % 86400000LL) / 60000);
    sl_pub_draft_opts_t o = {
        .person = p->person, .by = p->name, .now_ms = now, .weekly_list = !p->daily_list};
    for (int k = 0; k < SL_PUB_KINDS; k++) {
        if (k != SL_PUB_RESULTS && minute < p->time_of_day)
            continue; /* the list and the progress once the day's hour has come */
        int64_t id = 0;
        if ((rc = sl_pub_draft(db, (sl_pub_kind_t)k, &o, &id)) != 0)
            goto down;
        if (id) {
            sl_counter_inc(p->m_drafted);
            sl_log(SL_LOG_INFO, "drafted publication %lld (%s)", (long long)id,
                   sl_pub_kind_name((sl_pub_kind_t)k));
            sl_service_publish(p->svc, "publication.drafted", NULL, NULL,
                               json_pack("{s:I, s:s}", "id", (json_int_t)id, "kind",
                                         sl_pub_kind_name((sl_pub_kind_t)k)));
        }
        if (p->auto_approve[k]) {
            long n = sl_pub_approve_kind(db, (sl_pub_kind_t)k, "自动发布", now);
            if (n < 0) {
                rc = (int)n;
                goto down;
            }
            sl_counter_add(p->m_approved_auto, (uint64_t)n);
        }
    }
    sl_pub_status_t st;
    if ((rc = sl_pub_status(db, &st)) != 0)
        goto down;
    sl_gauge_set(p->m_issued, (double)st.issued);
    sl_gauge_set(p->m_missing, st.missing);
    sl_gauge_set(p->m_held, st.held);
    sl_gauge_set(p->m_drafts, (double)st.drafts);
    sl_gauge_set(p->m_oldest, st.oldest_s);
    char sig[128];
    if ((rc = sl_pub_issued_sig(db, sig, sizeof sig)) != 0)
        goto down;
    if (strcmp(sig, p->sig) != 0) {
        uint64_t t0 = uv_hrtime();
        long files, rendered;
        rc = sl_site_write(db, p->tpl, p->site_dir, p->channels, p->memo, s_issued, p, &files,
                           &rendered);
        if (rc != SL_AGAIN) /* what was issued before the start is learned, not evented */
            p->first = false;
        if (rc != 0)
            goto down;
        double secs = (double)(uv_hrtime() - t0) / 1e9;
        sl_gauge_set(p->m_site_seconds, secs);
        sl_gauge_set(p->m_files, (double)files);
        sl_counter_inc(p->m_sites);
        snprintf(p->sig, sizeof p->sig, "%s", sig);
        sl_log(SL_LOG_INFO, "site written: %ld files, %ld publications rendered, in %.3f s", files,
               rendered, secs);
    }
    return 0;
down:
    sl_counter_inc(p->m_errors);
    return rc ? rc : SL_AGAIN;
}

/* --- HTTP: the site and the preview ------------------------------------------- */

static int
s_site(const sl_http_req_t *req, sl_buf_t *body, const char **type, void *arg)
{
    sl_publish_t *p = arg;
    const char *rel = sl_http_req_path(req) + strlen("/site/");
    if (!*rel)
        rel = "index.html";
    if (!sl_site_path_ok(rel))
        return 404;
    char *path = sl_asprintf("%s/%s", p->site_dir, rel);
    size_t len;
    char *data = sl_read_file(path, &len);
    free(path);
    if (!data)
        return 404;
    sl_buf_append(body, data, len);
    free(data);
    *type = sl_site_content_type(rel);
    return 200;
}

typedef struct {
    sl_publish_t *p;
    int page;
    sl_buf_t *body;
    int rc;
} s_preview_t;

static void
s_preview_row(void *arg, const sl_pub_row_t *row)
{
    s_preview_t *pv = arg;
    pv->rc = sl_site_page(pv->p->tpl, row, pv->p->channels, pv->page, pv->body);
}

static int
s_preview(const sl_http_req_t *req, sl_buf_t *body, const char **type, void *arg)
{
    sl_publish_t *p = arg;
    const char *id = sl_http_req_path(req) + strlen("/preview/");
    char *end;
    long long n = strtoll(id, &end, 10);
    if (!*id || *end || n <= 0)
        return 404;
    const char *pg = sl_http_req_arg(req, "page");
    s_preview_t pv = {.p = p, .page = pg ? atoi(pg) : 1, .body = body, .rc = -1};
    pthread_mutex_lock(&p->preview_lock);
    int rc = sl_db_connect(p->preview_db);
    if (rc == 0)
        rc = sl_pub_get(p->preview_db, n, s_preview_row, &pv);
    pthread_mutex_unlock(&p->preview_lock);
    if (rc == 1)
        return 404;
    if (rc != 0 || pv.rc != 0) {
        sl_buf_reset(body);
        sl_buf_puts(body, "could not render the preview\n");
        return 503;
    }
    *type = "text/html; charset=utf-8";
    return 200;
}

static void
s_metrics(sl_publish_t *p)
{
    sl_metrics_t *m = sl_service_metrics(p->svc);
    p->m_issued = sl_metrics_gauge(m, "sl_publish_publications", "Publications issued", NULL);
    p->m_drafts = sl_metrics_gauge(m, "sl_publish_drafts_waiting",
                                   "Drafts waiting for the office's approval", NULL);
    p->m_oldest = sl_metrics_gauge(m, "sl_publish_oldest_draft_seconds",
                                   "Age of the oldest draft waiting", NULL);
    p->m_missing =
        sl_metrics_gauge(m, "sl_publish_summary_missing",
                         "Items of the latest list held for a missing public summary", NULL);
    p->m_held = sl_metrics_gauge(m, "sl_publish_held_back",
                                 "Items of the latest list held back by the office", NULL);
    p->m_site_seconds = sl_metrics_gauge(m, "sl_publish_site_seconds",
                                         "Duration of the last regeneration of the site", NULL);
    p->m_files = sl_metrics_gauge(m, "sl_publish_site_files", "Files the site holds", NULL);
    p->m_drafted = sl_metrics_counter(m, "sl_publish_drafted_total", "Drafts made", NULL);
    p->m_approved_auto = sl_metrics_counter(m, "sl_publish_auto_approved_total",
                                            "Drafts released by [publish] auto_approve", NULL);
    p->m_errors = sl_metrics_counter(m, "sl_publish_tick_errors_total",
                                     "Ticks that stopped on a database or file error", NULL);
    p->m_sites =
        sl_metrics_counter(m, "sl_publish_site_writes_total", "Regenerations of the site", NULL);
}

sl_publish_t *
sl_publish_new(const sl_config_t *cfg, uv_loop_t *loop, sl_service_t *svc)
{
    (void)loop;
    sl_publish_t *p = sl_calloc(1, sizeof *p);
    p->cfg = cfg;
    p->svc = svc;
    p->first = true;
    p->memo = sl_site_memo_new();
    pthread_mutex_init(&p->preview_lock, NULL);
    snprintf(p->name, sizeof p->name, "%s", sl_service_name(svc));
    const char *site = sl_config_str(cfg, "publish", "site_dir");
    if (site)
        snprintf(p->site_dir, sizeof p->site_dir, "%s", site);
    else /* beside the node's state: writable under the unit's ProtectSystem=strict */
        snprintf(p->site_dir, sizeof p->site_dir, "%s/site", sl_config_str(cfg, "node", "var_dir"));
    p->channels = sl_config_str(cfg, "publish", "channels");
    p->time_of_day = (int)sl_config_int(cfg, "publish", "time_of_day");
    const char *code = sl_config_node(cfg);
    bool province = strcmp(code + 2, "0000") == 0;
    p->daily_list = sl_config_has(cfg, "publish", "daily_list")
                        ? sl_config_bool(cfg, "publish", "daily_list")
                        : !province;
    const char *const *kinds;
    size_t nk = sl_config_list(cfg, "publish", "auto_approve", &kinds);
    for (size_t i = 0; i < nk; i++) {
        int k = sl_pub_kind_parse(kinds[i]);
        if (k >= 0)
            p->auto_approve[k] = true;
    }
    int rule = sl_disclose_person_rule(sl_config_str(cfg, "publish", "natural_person"));
    if (rule < 0) {
        sl_log(SL_LOG_ERROR, "[publish] natural_person must be surname or withheld");
        goto fail;
    }
    p->person = (sl_person_rule_t)rule;
    char *err = NULL;
    const char *dir = sl_config_str(cfg, "publish", "templates");
    if (!(p->tpl = sl_template_load(dir, &err))) {
        sl_log(SL_LOG_ERROR, "%s", err);
        free(err);
        goto fail;
    }
    s_metrics(p);
    p->preview_db = sl_db_new(sl_service_conninfo(svc));
    sl_http_t *http = sl_service_http(svc);
    if (http) {
        sl_http_route(http, "/site/", s_site, p);
        sl_http_route(http, "/preview/", s_preview, p);
    }
    uint64_t every = (uint64_t)sl_config_int(cfg, "publish", "tick_seconds") * 1000;
    sl_service_every(svc, every, s_tick, NULL, p);
    sl_log(SL_LOG_INFO, "sl-publish ticking every %llu s; the list %s at %02d:%02d; site in %s",
           (unsigned long long)(every / 1000), p->daily_list ? "daily" : "weekly",
           p->time_of_day / 60, p->time_of_day % 60, p->site_dir);
    return p;
fail:
    sl_publish_destroy(&p);
    return NULL;
}

void
sl_publish_drain(sl_publish_t *p, void (*done)(void *), void *arg)
{
    sl_service_stop_work(p->svc, done, arg);
}

void
sl_publish_destroy(sl_publish_t **pp)
{
    if (!pp || !*pp)
        return;
    sl_publish_t *p = *pp;
    sl_template_destroy(&p->tpl);
    sl_site_memo_destroy(&p->memo);
    sl_db_destroy(&p->preview_db);
    pthread_mutex_destroy(&p->preview_lock);
    free(p);
    *pp = NULL;
}
