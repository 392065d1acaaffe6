/* sl_calendar.c — working-day arithmetic over China's official holiday calendar.
 *
 * The special days live in two sorted arrays (holidays, make-up workdays) and
 * the loaded notice years in a third, so each question is a binary search.
 * Pure: no I/O, no clock. The CSV parser of a State Council notice lives here
 * too, so `slctl calendar import` and the tests read the same format the same
 * way. */
#include "sl_calendar.h"

#include "sl_clock.h"
#include "sl_util.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A sorted set of int32 values. */
typedef struct {
    int32_t *v; /* ascending, no duplicates; owned */
    size_t n;   /* values held */
    size_t cap; /* values allocated */
} s_set_t;

struct sl_calendar {
    s_set_t holidays; /* days off, by day number */
    s_set_t workdays; /* weekend days made working days */
    s_set_t years;    /* years whose notice is loaded */
};

/* Index of the first value >= X. */
static size_t
s_set_lower(const s_set_t *s, int32_t x)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->v[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static bool
s_set_has(const s_set_t *s, int32_t x)
{
    size_t i = s_set_lower(s, x);
    return i < s->n && s->v[i] == x;
}

static void
s_set_insert(s_set_t *s, int32_t x)
{
    size_t i = s_set_lower(s, x);
    if (i < s->n && s->v[i] == x)
        return;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->v = sl_realloc(s->v, s->cap * sizeof *s->v);
    }
    memmove(s->v + i + 1, s->v + i, (s->n - i) * sizeof *s->v);
    s->v[i] = x;
    s->n++;
}

static void
s_set_remove(s_set_t *s, int32_t x)
{
    size_t i = s_set_lower(s, x);
    if (i == s->n || s->v[i] != x)
        return;
    memmove(s->v + i, s->v + i + 1, (s->n - i - 1) * sizeof *s->v);
    s->n--;
}

sl_calendar_t *
sl_calendar_new(void)
{
    return sl_calloc(1, sizeof(sl_calendar_t));
}

void
sl_calendar_destroy(sl_calendar_t **p)
{
    if (!p || !*p)
        return;
    sl_calendar_t *cal = *p;
    free(cal->holidays.v);
    free(cal->workdays.v);
    free(cal->years.v);
    free(cal);
    *p = NULL;
}

int
sl_calendar_add(sl_calendar_t *cal, int32_t day, sl_day_kind_t kind)
{
    if (kind == SL_DAY_HOLIDAY) {
        s_set_remove(&cal->workdays, day);
        s_set_insert(&cal->holidays, day);
    } else if (kind == SL_DAY_WORKDAY) {
        s_set_remove(&cal->holidays, day);
        s_set_insert(&cal->workdays, day);
    } else {
        return -1;
    }
    return 0;
}

void
sl_calendar_add_year(sl_calendar_t *cal, int year)
{
    s_set_insert(&cal->years, year);
}

bool
sl_calendar_year_known(const sl_calendar_t *cal, int year)
{
    return s_set_has(&cal->years, year);
}

size_t
sl_calendar_size(const sl_calendar_t *cal)
{
    return cal->holidays.n + cal->workdays.n;
}

bool
sl_calendar_is_workday(const sl_calendar_t *cal, int32_t day)
{
    if (s_set_has(&cal->workdays, day))
        return true;
    if (s_set_has(&cal->holidays, day))
        return false;
    return sl_date_weekday(day) < 5;
}

static int
s_year_of(int32_t day)
{
    int y, m, d;
    sl_date_ymd(day, &y, &m, &d);
    return y;
}

int32_t
sl_calendar_add_workdays(const sl_calendar_t *cal, int32_t day, int n, int *unknown_year)
{
    assert(n >= 0);
    int unknown = 0;
    int year = 0; /* year of the last day checked against the notices */
    int32_t d = day;
    while (n > 0) {
        d++;
        if (unknown == 0) {
            int y = s_year_of(d);
            if (y != year) {
                year = y;
                if (!sl_calendar_year_known(cal, y))
                    unknown = y;
            }
        }
        if (sl_calendar_is_workday(cal, d))
            n--;
    }
    if (unknown_year)
        *unknown_year = unknown;
    return d;
}

const char *
sl_day_kind_name(sl_day_kind_t kind)
{
    switch (kind) {
    case SL_DAY_HOLIDAY:
        return "holiday";
    case SL_DAY_WORKDAY:
        return "workday";
    }
    return "?";
}

sl_day_kind_t
sl_day_kind_parse(const char *s)
{
    if (strcmp(s, "holiday") == 0)
        return SL_DAY_HOLIDAY;
    if (strcmp(s, "workday") == 0)
        return SL_DAY_WORKDAY;
    return 0;
}

void
sl_calendar_days_free(sl_calendar_day_t *days, size_t n)
{
    if (!days)
        return;
    for (size_t i = 0; i < n; i++)
        free(days[i].name);
    free(days);
}

/* --- the notice's CSV ------------------------------------------------------- */

#define S_NAME_MAX 200 /* bytes; the longest festival name is far shorter */

static char *s_line_error(int line, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static char *
s_line_error(int line, const char *fmt, ...)
{
    char reason[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    return sl_asprintf("%d: %s", line, reason);
}

static int
s_cmp_day(const void *a, const void *b)
{
    int32_t x = ((const sl_calendar_day_t *)a)->day, y = ((const sl_calendar_day_t *)b)->day;
    return (x > y) - (x < y);
}

/* Splits LINE (NUL-terminated, modified) at commas into at most MAX fields;
 * returns the number of fields found (which may exceed MAX). */
static int
s_split(char *line, char **fields, int max)
{
    int n = 0;
    char *p = line;
    for (;;) {
        char *comma = strchr(p, ',');
        if (n < max)
            fields[n] = p;
        n++;
        if (!comma)
            break;
        *comma = '\0';
        p = comma + 1;
    }
    return n;
}

int
sl_calendar_parse_csv(const char *text, size_t len, int year, sl_calendar_day_t **days, size_t *n,
                      char **err)
{
    sl_calendar_day_t *out = NULL;
    size_t count = 0, cap = 0;
    char *line = NULL;
    char *e = NULL;
    int lineno = 0;
    bool header = false;
    *days = NULL;
    *n = 0;
    *err = NULL;
    size_t pos = 0, l;
    const char *start;
    while (sl_text_line(text, len, &pos, &start, &l)) { /* a BOM is not data */
        lineno++;
        if (memchr(start, '\0', l)) {
            e = s_line_error(lineno, "NUL byte in line");
            goto fail;
        }
        free(line);
        line = sl_strndup(start, l);
        sl_trim(line);
        if (line[0] == '\0')
            continue;
        if (!header) {
            if (strcmp(line, "date,kind,name") != 0) {
                e = s_line_error(lineno, "expected the header line \"date,kind,name\"");
                goto fail;
            }
            header = true;
            continue;
        }
        if (strchr(line, '"')) {
            e = s_line_error(lineno, "quoted fields are not supported");
            goto fail;
        }
        char *f[3];
        int nf = s_split(line, f, 3);
        if (nf != 3) {
            e = s_line_error(lineno, "expected 3 fields (date,kind,name), found %d", nf);
            goto fail;
        }
        for (int i = 0; i < 3; i++)
            sl_trim(f[i]);
        int32_t day;
        if (sl_date_parse(f[0], &day) != 0) {
            e = s_line_error(lineno, "bad date \"%.40s\", expected YYYY-MM-DD", f[0]);
            goto fail;
        }
        sl_day_kind_t kind = sl_day_kind_parse(f[1]);
        if (kind == 0) {
            e = s_line_error(lineno, "unknown kind \"%.40s\", expected holiday or workday", f[1]);
            goto fail;
        }
        int y = s_year_of(day);
        if (year != 0 && (y < year - 1 || y > year)) {
            e = s_line_error(lineno, "date %s is outside the notice's years %d-%d", f[0], year - 1,
                             year);
            goto fail;
        }
        if (kind == SL_DAY_WORKDAY && sl_date_weekday(day) < 5) {
            e = s_line_error(lineno, "make-up workday %s is not a Saturday or Sunday", f[0]);
            goto fail;
        }
        size_t nl_len = strlen(f[2]);
        if (nl_len == 0) {
            e = s_line_error(lineno, "empty name");
            goto fail;
        }
        if (nl_len > S_NAME_MAX || !sl_utf8_valid(f[2], nl_len)) {
            e = s_line_error(lineno, "name is not UTF-8 text of at most %d bytes", S_NAME_MAX);
            goto fail;
        }
        /* A notice has a few dozen lines: a linear scan is enough. */
        for (size_t i = count; i-- > 0;) {
            if (out[i].day == day) {
                e = s_line_error(lineno, "date %s is listed twice", f[0]);
                goto fail;
            }
        }
        if (count == cap) {
            cap = cap ? cap * 2 : 64;
            out = sl_realloc(out, cap * sizeof *out);
        }
        out[count++] = (sl_calendar_day_t){
            .day = day, .kind = kind, .name = sl_strdup(f[2]), .notice_year = year};
    }
    if (!header) {
        e = s_line_error(1, "empty file, expected the header line \"date,kind,name\"");
        goto fail;
    }
    if (count == 0) {
        e = s_line_error(lineno, "no days after the header");
        goto fail;
    }
    qsort(out, count, sizeof *out, s_cmp_day);
    free(line);
    *days = out;
    *n = count;
    return 0;
fail:
    free(line);
    sl_calendar_days_free(out, count);
    *err = e;
    return SL_DECLINED;
}
