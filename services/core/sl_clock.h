/* sl_clock.h — the one clock every binary reads (DESIGN.md "Time").
 *
 * SL_NOW (ISO 8601 with offset, e.g. 2022-01-28T09:00:00+08:00), when set, is
 * the instant the program starts at; time then runs on normally. Business dates
 * are Asia/Shanghai (UTC+8, no DST since 1991). */
#ifndef SL_CLOCK_H
#define SL_CLOCK_H

#include <stdint.h>

/* Reads SL_NOW once. Returns 0, or -1 with a message on stderr if SL_NOW is set
 * but malformed. Safe to call more than once. */
int sl_clock_init(void);
/* Milliseconds since the Unix epoch. */
int64_t sl_now_ms(void);
/* Parses ISO 8601 "YYYY-MM-DDTHH:MM[:SS[.fff]](Z|±HH:MM)"; returns 0 or -1. */
int sl_time_parse_iso(const char *s, int64_t *ms);
/* Formats ms as "YYYY-MM-DDTHH:MM:SS.mmm+08:00" (Asia/Shanghai) into buf (>= 32). */
void sl_time_format_iso(int64_t ms, char *buf, int size);
/* Business date (days since 1970-01-01) in Asia/Shanghai of instant ms. */
int32_t sl_ms_to_day(int64_t ms);
/* The instant that starts the given day in Asia/Shanghai. */
int64_t sl_day_to_ms(int32_t day);

/* Business dates: days since 1970-01-01. sl_date_parse accepts exactly
 * YYYY-MM-DD with a valid month and day; returns 0 or -1. */
int sl_date_parse(const char *s, int32_t *day);
/* Writes "YYYY-MM-DD" into buf (>= 11 bytes). */
void sl_date_format(int32_t day, char *buf);
/* 0 = Monday … 6 = Sunday. */
int sl_date_weekday(int32_t day);
/* Gregorian year, month (1-12) and day (1-31) of a day number. */
void sl_date_ymd(int32_t day, int *y, int *m, int *d);
int32_t sl_date_from_ymd(int y, int m, int d);

#endif
