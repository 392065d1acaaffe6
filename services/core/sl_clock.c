/* sl_clock.c — the program's clock (SL_NOW-shiftable) and business dates.
 *
 * sl_now_ms() is the wall clock plus a fixed offset chosen at start: with SL_NOW
 * set, the program starts at that instant and time runs on from there.
 * Dates are whole days since 1970-01-01 in Asia/Shanghai (UTC+8). */
#include "sl_clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SL_SHANGHAI_OFFSET_MS (8LL * 3600 * 1000)
#define SL_DAY_MS (86400LL * 1000)

static int64_t s_offset_ms; /* added to the real clock */
static int s_ready;

static int64_t
s_real_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
sl_clock_init(void)
{
    if (s_ready)
        return 0;
    s_ready = 1;
    const char *now = getenv("SL_NOW");
    if (!now || !*now)
        return 0;
    int64_t ms;
    if (sl_time_parse_iso(now, &ms) != 0) {
        fprintf(stderr, "SL_NOW=%s: not an ISO 8601 time with offset "
                        "(e.g. 2022-01-28T09:00:00+08:00)\n", now);
        return -1;
    }
    s_offset_ms = ms - s_real_ms();
    return 0;
}

int64_t
sl_now_ms(void)
{
    if (!s_ready)
        sl_clock_init();
    return s_real_ms() + s_offset_ms;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; Howard Hinnant's algorithm). */
int32_t
sl_date_from_ymd(int y, int m, int d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int32_t)(era * 146097 + doe - 719468);
}

void
sl_date_ymd(int32_t z, int *y, int *m, int *d)
{
    z += 719468;
    int era = (z >= 0 ? z : z - 146096) / 146097;
    int doe = z - era * 146097;
    int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yoe + era * 400 + (*m <= 2);
}

static int
s_days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

static int
s_digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int
sl_date_parse(const char *s, int32_t *day)
{
    int y, m, d;
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-' || s_digits(s, 4, &y) ||
        s_digits(s + 5, 2, &m) || s_digits(s + 8, 2, &d))
        return -1;
    if (y < 1970 || m < 1 || m > 12 || d < 1 || d > s_days_in_month(y, m))
        return -1;
    *day = sl_date_from_ymd(y, m, d);
    return 0;
}

void
sl_date_format(int32_t day, char *buf)
{
    int y, m, d;
    sl_date_ymd(day, &y, &m, &d);
    y = ((y % 10000) + 10000) % 10000;
    const int v[] = {y / 1000, y / 100 % 10, y / 10 % 10, y % 10, m / 10, m % 10, d / 10, d % 10};
    static const int pos[] = {0, 1, 2, 3, 5, 6, 8, 9};
    for (int i = 0; i < 8; i++)
        buf[pos[i]] = (char)('0' + v[i]);
    buf[4] = buf[7] = '-';
    buf[10] = '\0';
}

int
sl_date_weekday(int32_t day)
{
    /* 1970-01-01 was a Thursday (3 with Monday = 0). */
    int w = (int)((day % 7 + 7) % 7);
    return (w + 3) % 7;
}

int
sl_time_parse_iso(const char *s, int64_t *ms)
{
    int32_t day;
    char date[11];
    if (!s || strlen(s) < 16)
        return -1;
    memcpy(date, s, 10);
    date[10] = '\0';
    if (sl_date_parse(date, &day) || (s[10] != 'T' && s[10] != ' '))
        return -1;
    int hh, mm, ss = 0, frac = 0;
    const char *p = s + 11;
    if (s_digits(p, 2, &hh) || p[2] != ':' || s_digits(p + 3, 2, &mm))
        return -1;
    p += 5;
    if (*p == ':') {
        if (s_digits(p + 1, 2, &ss))
            return -1;
        p += 3;
        if (*p == '.') {
            p++;
            int nd = 0;
            while (p[nd] >= '0' && p[nd] <= '9')
                nd++;
            if (nd == 0)
                return -1;
            int f = 0;
            for (int i = 0; i < 3; i++)
                f = f * 10 + (i < nd ? p[i] - '0' : 0);
            frac = f;
            p += nd;
        }
    }
    if (hh > 23 || mm > 59 || ss > 60)
        return -1;
    int64_t off;
    if (*p == 'Z' && p[1] == '\0') {
        off = 0;
    } else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
        int oh, om;
        if (s_digits(p + 1, 2, &oh) || s_digits(p + 4, 2, &om) || oh > 14 || om > 59)
            return -1;
        off = (oh * 60LL + om) * 60000LL * (*p == '-' ? -1 : 1);
    } else {
        return -1;
    }
    *ms = (int64_t)day * SL_DAY_MS + ((hh * 60LL + mm) * 60 + ss) * 1000 + frac - off;
    return 0;
}

void
sl_time_format_iso(int64_t ms, char *buf, int size)
{
    int64_t local = ms + SL_SHANGHAI_OFFSET_MS;
    int64_t day = local >= 0 ? local / SL_DAY_MS : -((-local + SL_DAY_MS - 1) / SL_DAY_MS);
    int64_t rem = local - day * SL_DAY_MS;
    int y, m, d;
    sl_date_ymd((int32_t)day, &y, &m, &d);
    snprintf(buf, (size_t)size, "%04d-%02d-%02dT%02d:%02d:%02d.%03d+08:00", y, m, d,
             (int)(rem / 3600000), (int)(rem / 60000 % 60), (int)(rem / 1000 % 60),
             (int)(rem % 1000));
}

int32_t
sl_ms_to_day(int64_t ms)
{
    int64_t local = ms + SL_SHANGHAI_OFFSET_MS;
    return (int32_t)(local >= 0 ? local / SL_DAY_MS : -((-local + SL_DAY_MS - 1) / SL_DAY_MS));
}

int64_t
sl_day_to_ms(int32_t day)
{
    return (int64_t)day * SL_DAY_MS - SL_SHANGHAI_OFFSET_MS;
}
