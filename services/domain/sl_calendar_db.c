/* sl_calendar_db.c — loading, importing and listing the official calendar.
 *
 * The one place with SQL on calendar_day and calendar_notice. A notice import
 * is parsed and validated in full by the pure parser first (sl_calendar.c),
 * so a bad file changes nothing; the write is one transaction that holds an
 * exclusive lock on calendar_notice, so two imports run one after the other
 * while readers go on reading. */
#include "sl_calendar_db.h"

#include "sl_clock.h"
#include "sl_log.h"
#include "sl_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
sl_calendar_load(sl_db_t *db, sl_calendar_t **cal)
{
    PGresult *r = NULL;
    sl_calendar_t *c = NULL;
    *cal = NULL;
    /* One statement, so the days and the years come from one snapshot. */
    int rc = sl_db_exec(db, &r,
                        "SELECT 'd', (day - date '1970-01-01')::int, kind FROM calendar_day"
                        " UNION ALL SELECT 'y', year, NULL FROM calendar_notice",
                        0, NULL);
    if (rc != 0)
        goto fail;
    c = sl_calendar_new();
    for (int i = 0; i < PQntuples(r); i++) {
        long v = strtol(PQgetvalue(r, i, 1), NULL, 10);
        if (PQgetvalue(r, i, 0)[0] == 'y')
            sl_calendar_add_year(c, (int)v);
        else if (sl_calendar_add(c, (int32_t)v, sl_day_kind_parse(PQgetvalue(r, i, 2))) != 0)
            sl_log(SL_LOG_WARN, "calendar_day has an unknown kind \"%s\", ignored",
                   PQgetvalue(r, i, 2));
    }
    PQclear(r);
    *cal = c;
    return 0;
fail:
    sl_log(SL_LOG_ERROR, "could not load the calendar: %s", sl_db_error(db));
    PQclear(r);
    return rc;
}

int
sl_calendar_import(sl_db_t *db, const char *csv, size_t len, int year, const char *source,
                   size_t *ndays, char **err)
{
    sl_calendar_day_t *days = NULL;
    size_t n = 0;
    int rc;
    bool in_tx = false;
    *err = NULL;
    if (ndays)
        *ndays = 0;
    if (year < 1971 || year > 9999) {
        *err = sl_asprintf("year %d is out of range", year);
        return -1;
    }
    if ((rc = sl_calendar_parse_csv(csv, len, year, &days, &n, err)) != 0)
        return rc;

    char ybuf[16], nbuf[24], now[40];
    snprintf(ybuf, sizeof ybuf, "%d", year);
    snprintf(nbuf, sizeof nbuf, "%zu", n);
    sl_time_format_iso(sl_now_ms(), now, sizeof now);
    const char *py[] = {ybuf};
    if ((rc = sl_db_begin(db)) != 0)
        goto fail;
    in_tx = true;
    if ((rc = sl_db_exec(db, NULL, "LOCK TABLE calendar_notice IN EXCLUSIVE MODE", 0, NULL)) != 0 ||
        (rc = sl_db_exec(db, NULL, "DELETE FROM calendar_day WHERE notice_year = $1", 1, py)) != 0)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        char date[11];
        sl_date_format(days[i].day, date);
        const char *p[] = {date, sl_day_kind_name(days[i].kind), days[i].name, ybuf};
        /* A date listed by another year's notice now belongs to this one. */
        if ((rc = sl_db_exec(db, NULL,
                             "INSERT INTO calendar_day (day, kind, name, notice_year)"
                             " VALUES ($1, $2, $3, $4)"
                             " ON CONFLICT (day) DO UPDATE SET kind = EXCLUDED.kind,"
                             " name = EXCLUDED.name, notice_year = EXCLUDED.notice_year",
                             4, p)) != 0)
            goto fail;
    }
    const char *pn[] = {ybuf, now, source ? source : "", nbuf};
    if ((rc = sl_db_exec(db, NULL,
                         "INSERT INTO calendar_notice (year, imported_at, source, days)"
                         " VALUES ($1, $2, $3, $4)"
                         " ON CONFLICT (year) DO UPDATE SET imported_at = EXCLUDED.imported_at,"
                         " source = EXCLUDED.source, days = EXCLUDED.days",
                         4, pn)) != 0)
        goto fail;
    if ((rc = sl_db_commit(db)) != 0)
        goto fail;
    sl_log(SL_LOG_INFO, "year=%d days=%zu calendar notice imported from %s", year, n,
           source ? source : "");
    sl_calendar_days_free(days, n);
    if (ndays)
        *ndays = n;
    return 0;
fail:
    *err = sl_asprintf("could not import the calendar notice for %d: %s", year, sl_db_error(db));
    if (in_tx)
        sl_db_rollback(db);
    sl_calendar_days_free(days, n);
    return rc;
}

int
sl_calendar_list(sl_db_t *db, int year, sl_calendar_day_t **days, size_t *n)
{
    PGresult *r = NULL;
    char ybuf[16];
    snprintf(ybuf, sizeof ybuf, "%d", year);
    const char *p[] = {ybuf};
    *days = NULL;
    *n = 0;
    int rc = sl_db_exec(db, &r,
                        "SELECT (day - date '1970-01-01')::int, kind, name, notice_year"
                        " FROM calendar_day WHERE $1::int = 0 OR notice_year = $1::int"
                        " ORDER BY day",
                        1, p);
    if (rc != 0) {
        sl_log(SL_LOG_ERROR, "could not list the calendar: %s", sl_db_error(db));
        return rc;
    }
    size_t count = (size_t)PQntuples(r);
    sl_calendar_day_t *out = sl_calloc(count ? count : 1, sizeof *out);
    for (size_t i = 0; i < count; i++) {
        out[i].day = (int32_t)strtol(PQgetvalue(r, (int)i, 0), NULL, 10);
        out[i].kind = sl_day_kind_parse(PQgetvalue(r, (int)i, 1));
        out[i].name = sl_strdup(PQgetvalue(r, (int)i, 2));
        out[i].notice_year = (int)strtol(PQgetvalue(r, (int)i, 3), NULL, 10);
    }
    PQclear(r);
    *days = out;
    *n = count;
    return 0;
}

char *
sl_calendar_db_version(sl_db_t *db)
{
    PGresult *r = NULL;
    /* The notices' count and import times change on every import (even of the
     * same file); the days' digest catches any other change of the rows. */
    int rc = sl_db_exec(
        db, &r,
        "SELECT (SELECT count(*) || '/' || coalesce(sum(extract(epoch FROM imported_at)), 0)"
        "          FROM calendar_notice)"
        " || '/' || (SELECT count(*) || '/' || coalesce(md5(string_agg("
        "          day || kind || name || notice_year, ',' ORDER BY day)), '')"
        "          FROM calendar_day)",
        0, NULL);
    if (rc != 0) {
        if (rc == -1) /* a lost database is the caller's to say, once */
            sl_log(SL_LOG_ERROR, "could not read the calendar's version: %s", sl_db_error(db));
        return NULL;
    }
    char *v = sl_strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
}

struct sl_calendar_cache {
    sl_calendar_t *cal; /* the calendar loaded last, or NULL */
    char *version;      /* its version text */
};

sl_calendar_cache_t *
sl_calendar_cache_new(void)
{
    return sl_calloc(1, sizeof(sl_calendar_cache_t));
}

void
sl_calendar_cache_destroy(sl_calendar_cache_t **p)
{
    if (!p || !*p)
        return;
    sl_calendar_destroy(&(*p)->cal);
    free((*p)->version);
    free(*p);
    *p = NULL;
}

int
sl_calendar_cache_get(sl_calendar_cache_t *c, sl_db_t *db, const sl_calendar_t **cal,
                      bool *reloaded)
{
    if (reloaded)
        *reloaded = false;
    *cal = c->cal;
    char *v = sl_calendar_db_version(db);
    if (!v)
        return sl_db_connected(db) ? -1 : SL_AGAIN;
    if (c->cal && c->version && strcmp(v, c->version) == 0) {
        free(v);
        return 0;
    }
    sl_calendar_t *fresh = NULL;
    int rc = sl_calendar_load(db, &fresh);
    if (rc != 0) {
        free(v);
        return rc;
    }
    if (reloaded)
        *reloaded = c->cal != NULL;
    if (c->cal)
        sl_log(SL_LOG_INFO, "calendar reloaded: %zu special days", sl_calendar_size(fresh));
    sl_calendar_destroy(&c->cal);
    free(c->version);
    c->cal = fresh;
    c->version = v;
    *cal = c->cal;
    return 0;
}
