/* sl_calendar.h — China's working-day calendar (工作日), pure: values in, values out.
 *
 * A working day is Monday to Friday, except the official holidays (法定节假日),
 * plus the weekend days that a State Council notice makes working days (调休).
 * The calendar holds the special days and the set of years whose notice is
 * loaded; a computation that crosses any other year counts only weekends there
 * and says so, so callers can flag the deadline. Dates are int32 days since
 * 1970-01-01 (sl_clock.h). No I/O: the database side is sl_calendar_db.h, and
 * sl_calendar_parse_csv is the one parser of the notice's CSV text. */
#ifndef SL_CALENDAR_H
#define SL_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sl_util.h" /* SL_DECLINED */

typedef struct sl_calendar sl_calendar_t;

typedef enum {
    SL_DAY_HOLIDAY = 1, /* 放假: a day off, even on Monday–Friday */
    SL_DAY_WORKDAY = 2  /* 调休上班: a Saturday or Sunday made a working day */
} sl_day_kind_t;

/* One special day of a notice, as in a line of its CSV. */
typedef struct {
    int32_t day;        /* days since 1970-01-01 */
    sl_day_kind_t kind; /* holiday or make-up workday */
    char *name;         /* festival, e.g. "Spring Festival"; owned */
    int notice_year;    /* the notice it comes from (0 if not known) */
} sl_calendar_day_t;

/* An empty calendar (no special days, no year known): every Monday–Friday
 * works. Never NULL. */
sl_calendar_t *sl_calendar_new(void);
/* Frees *P (NULL allowed) and sets it to NULL. */
void sl_calendar_destroy(sl_calendar_t **p);

/* Marks DAY as a holiday or a make-up workday; a day added twice keeps the
 * last kind. Returns 0, or -1 if KIND is not an sl_day_kind_t. */
int sl_calendar_add(sl_calendar_t *cal, int32_t day, sl_day_kind_t kind);
/* Records that YEAR's notice is loaded (idempotent). */
void sl_calendar_add_year(sl_calendar_t *cal, int year);
/* True if YEAR's notice is loaded. */
bool sl_calendar_year_known(const sl_calendar_t *cal, int year);
/* Number of special days held. */
size_t sl_calendar_size(const sl_calendar_t *cal);

/* True if DAY is a working day: a make-up workday, or Monday–Friday and not a
 * holiday. O(log n). */
bool sl_calendar_is_workday(const sl_calendar_t *cal, int32_t day);
/* The N-th working day strictly after DAY (N >= 0; N = 0 gives DAY itself).
 * If UNKNOWN_YEAR is non-NULL it gets the first year among the days counted
 * (DAY+1 .. result) whose notice is not loaded, or 0 if there is none. */
int32_t sl_calendar_add_workdays(const sl_calendar_t *cal, int32_t day, int n, int *unknown_year);

/* Parses a notice in CSV: a header line "date,kind,name", then one line
 * "YYYY-MM-DD,holiday|workday,NAME" per special day (LF or CRLF; blank lines
 * are skipped; no quoting). Every line is checked: the date, the kind, the
 * field count, no date twice, a date within YEAR-1 .. YEAR (YEAR 0: any year,
 * for the shipped multi-year file), a workday only on a Saturday or Sunday, a
 * non-empty UTF-8 name, at least one day. On success returns 0 and sets *DAYS
 * (sorted by date, notice_year = YEAR; free with sl_calendar_days_free) and *N.
 * On the first problem returns SL_DECLINED and sets *ERR to a new string
 * "LINE: reason" (e.g. "3: bad date \"2027-02-30\""); *DAYS is NULL then. */
int sl_calendar_parse_csv(const char *text, size_t len, int year, sl_calendar_day_t **days,
                          size_t *n, char **err);
/* Frees an array of N days and their names (NULL allowed). */
void sl_calendar_days_free(sl_calendar_day_t *days, size_t n);

/* "holiday" / "workday"; sl_day_kind_parse returns the kind or 0 if unknown. */
const char *sl_day_kind_name(sl_day_kind_t kind);
sl_day_kind_t sl_day_kind_parse(const char *s);

#endif
