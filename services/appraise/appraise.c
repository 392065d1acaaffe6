/* appraise.c — sl-appraise's server: the check, the events, /metrics.
 *
 * The check is the service's periodic work (sl_service_every): a worker
 * thread with its own connection, so a month over a million cases never
 * stalls /healthz or the heartbeat. The rules file is read again on every
 * check, so an office's new weights apply from the next month scored; each
 * run records the file's version and hash. */
#include "appraise.h"

#include "sl_appraise.h"
#include "sl_clock.h"
#include "sl_db.h"
#include "sl_log.h"
#include "sl_metrics.h"
#include "sl_util.h"

#include <stdlib.h>
#include <string.h>

struct sl_appraiser {
    const sl_config_t *cfg; /* borrowed */
    sl_service_t *svc;      /* borrowed */
    char rules[512];        /* [appraise] rules */
    char name[32];          /* sl-appraise or sl-appraise.N */
    bool departments;       /* [appraise] rank_departments */
    sl_counter_t *m_checks, *m_runs, *m_published, *m_errors;
    sl_gauge_t *m_seconds, *m_places;
};

static void
s_on_published(void *arg, const json_t *run)
{
    sl_appraiser_t *a = arg;
    sl_counter_inc(a->m_published);
    const json_t *r = json_object_get(run, "run");
    json_t *o =
        json_pack("{s:O, s:O, s:O, s:O, s:O}", "period", json_object_get(run, "period"), "run_id",
                  json_object_get(r, "id"), "approved_by", json_object_get(r, "approved_by"),
                  "rules", json_object_get(json_object_get(run, "rules"), "version"), "places",
                  json_object_get(run, "places"));
    sl_log(SL_LOG_INFO, "appraisal of %s published (run %lld)",
           json_string_value(json_object_get(run, "period")),
           (long long)json_integer_value(json_object_get(r, "id")));
    sl_service_publish(a->svc, "appraisal.published", NULL, NULL, o);
}

static int
s_check(sl_db_t *db, void *arg)
{
    sl_appraiser_t *a = arg;
    sl_counter_inc(a->m_checks);
    int rc = sl_db_connect(db);
    if (rc != 0)
        return rc;
    int64_t now = sl_now_ms();
    char months[12][8];
    int n = sl_appraise_months_due(db, now, months, 12);
    if (n < 0)
        goto fail;
    if (n > 0) {
        sl_appraise_rules_t rules;
        char err[512];
        if (sl_appraise_rules_load(a->rules, &rules, err, sizeof err) != 0) {
            sl_log(SL_LOG_ERROR, "%s", err);
            sl_counter_inc(a->m_errors);
            return -1;
        }
        for (int i = 0; i < n; i++) {
            uint64_t t0 = uv_hrtime();
            json_t *res = NULL;
            long long id;
            if ((rc = sl_appraise_compute(db, &rules, months[i], a->departments, &res)) != 0 ||
                (rc = sl_appraise_store(db, res, a->name, now, &id)) != 0) {
                json_decref(res);
                goto fail;
            }
            double s = (double)(uv_hrtime() - t0) / 1e9;
            sl_gauge_set(a->m_seconds, s);
            sl_gauge_set(a->m_places, (double)json_array_size(json_object_get(res, "places")));
            sl_counter_inc(a->m_runs);
            sl_service_publish(a->svc, "appraisal.computed", NULL, NULL,
                               json_pack("{s:s, s:I, s:s, s:s, s:f}", "period", months[i], "run_id",
                                         (json_int_t)id, "rules", rules.r.version, "inputs_hash",
                                         json_string_value(json_object_get(res, "inputs_hash")),
                                         "seconds", s));
            json_decref(res);
        }
    }
    long p = sl_appraise_publish_due(db, now, s_on_published, a);
    if (p < 0) {
        rc = (int)p;
        goto fail;
    }
    return 0;
fail:
    sl_counter_inc(a->m_errors);
    return rc ? rc : -1;
}

sl_appraiser_t *
sl_appraiser_new(const sl_config_t *cfg, uv_loop_t *loop, sl_service_t *svc)
{
    (void)loop;
    sl_appraiser_t *a = sl_calloc(1, sizeof *a);
    a->cfg = cfg;
    a->svc = svc;
    snprintf(a->rules, sizeof a->rules, "%s", sl_config_str(cfg, "appraise", "rules"));
    snprintf(a->name, sizeof a->name, "%s", sl_service_name(svc));
    a->departments = sl_config_bool(cfg, "appraise", "rank_departments");
    sl_appraise_rules_t rules;
    char err[512];
    if (sl_appraise_rules_load(a->rules, &rules, err, sizeof err) != 0) {
        sl_log(SL_LOG_ERROR, "%s", err);
        free(a);
        return NULL;
    }
    sl_metrics_t *m = sl_service_metrics(svc);
    a->m_checks = sl_metrics_counter(m, "sl_appraise_checks_total", "Checks run", NULL);
    a->m_runs = sl_metrics_counter(m, "sl_appraise_runs_total", "Months scored and stored", NULL);
    a->m_published = sl_metrics_counter(m, "sl_appraise_published_total",
                                        "Approved runs published (appraisal.published)", NULL);
    a->m_errors =
        sl_metrics_counter(m, "sl_appraise_errors_total", "Checks that stopped on an error", NULL);
    a->m_seconds =
        sl_metrics_gauge(m, "sl_appraise_run_seconds", "Duration of the last scoring", NULL);
    a->m_places = sl_metrics_gauge(m, "sl_appraise_places", "Places ranked in the last run", NULL);
    uint64_t every = (uint64_t)sl_config_int(cfg, "appraise", "check_seconds") * 1000;
    sl_service_every(svc, every, s_check, NULL, a);
    sl_log(SL_LOG_INFO, "sl-appraise checking every %llu s; rules %s (%s%s)",
           (unsigned long long)(every / 1000), a->rules, rules.r.version,
           rules.r.project_defaults ? ", the project's defaults" : "");
    return a;
}

void
sl_appraiser_drain(sl_appraiser_t *a, void (*done)(void *), void *arg)
{
    sl_service_stop_work(a->svc, done, arg);
}

void
sl_appraiser_destroy(sl_appraiser_t **p)
{
    if (!p || !*p)
        return;
    free(*p);
    *p = NULL;
}
