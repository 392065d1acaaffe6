/* sl_calendar_db.h — the calendar's home in the database (calendar_day, calendar_notice).
 *
 * All SQL that touches the calendar tables lives in sl_calendar_db.c (DESIGN.md
 * rule 4): loading the working-day calendar for the pure arithmetic of
 * sl_calendar.h, importing a State Council notice, listing the special days,
 * and a cheap version text that daemons poll to pick up an import without a
 * restart. */
#ifndef SL_CALENDAR_DB_H
#define SL_CALENDAR_DB_H

#include "sl_calendar.h"
#include "sl_db.h"

#include <stdbool.h>
#include <stddef.h>

/* Builds a calendar from every special day and every imported notice year, in
 * one snapshot. Returns 0 and sets *CAL (the caller destroys it), or -1 / SL_AGAIN
 * (logged; *CAL is NULL). */
int sl_calendar_load(sl_db_t *db, sl_calendar_t **cal);

/* Replaces YEAR's notice with the CSV text CSV[0..LEN) (format:
 * sl_calendar_parse_csv). Every line is validated before anything changes;
 * then one transaction deletes YEAR's rows, inserts the file's (a date that
 * belonged to another notice now belongs to YEAR's) and upserts
 * calendar_notice(YEAR, now, SOURCE, days). Importing the same file twice gives
 * the same rows. Returns 0 and sets *NDAYS (if non-NULL); SL_DECLINED for a bad
 * file, *ERR = "LINE: reason"; -1 for a year outside 1971..9999 or an SQL error,
 * SL_AGAIN if the database is down (*ERR says what; nothing changed). *ERR is
 * a new string the caller frees, NULL on success. */
int sl_calendar_import(sl_db_t *db, const char *csv, size_t len, int year, const char *source,
                       size_t *ndays, char **err);

/* The special days in date order, only those of YEAR's notice unless YEAR is 0.
 * Returns 0 and sets *DAYS (free with sl_calendar_days_free) and *N, or -1 /
 * SL_AGAIN (logged). */
int sl_calendar_list(sl_db_t *db, int year, sl_calendar_day_t **days, size_t *n);

/* A short text that changes whenever the calendar tables change (every import,
 * even of an identical file). Cheap enough to poll each scan: reload the
 * calendar when it differs from the last one seen. Returns a new string, or
 * NULL on error (logged). */
char *sl_calendar_db_version(sl_db_t *db);

/* A calendar kept current for a long-running process: each get reads the
 * version (one cheap query) and reloads when an import changed it, so a year
 * imported while a daemon runs is used without a restart. */
typedef struct sl_calendar_cache sl_calendar_cache_t;
/* An empty cache (loads on the first get). Never NULL. */
sl_calendar_cache_t *sl_calendar_cache_new(void);
/* Frees *P (NULL allowed) and the calendar it holds; sets *P to NULL. */
void sl_calendar_cache_destroy(sl_calendar_cache_t **p);
/* Sets *CAL to the current calendar (borrowed from the cache, valid until the
 * next get or destroy). *RELOADED (may be NULL) is true when this call loaded
 * a calendar that differs from the one held before (not on the first load).
 * Returns 0, or -1 / SL_AGAIN (logged; *CAL is the last calendar held, NULL if
 * none). May run inside the caller's transaction. */
int sl_calendar_cache_get(sl_calendar_cache_t *c, sl_db_t *db, const sl_calendar_t **cal,
                          bool *reloaded);

#endif
