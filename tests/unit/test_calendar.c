/* test_calendar.c — unit tests of the working-day calendar and its notice parser.
 *
 * Loads the shipped State Council notices (schema/data/cn_calendar.csv) through
 * sl_calendar_parse_csv, as `slctl calendar import` does, and checks the
 * deadline arithmetic the campaign depends on (2- and 7-working-day windows
 * across Spring Festival and National Day), every special day of 2021, 2022 and
 * 2026, and that each kind of bad notice is refused naming its line. */
#include "sl_calendar.h"
#include "sl_clock.h"
#include "sl_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static int32_t
D(const char *s)
{
    int32_t day;
    if (sl_date_parse(s, &day) != 0)
        fail_msg("bad date in test: %s", s);
    return day;
}

static const char *
S(int32_t day, char *buf)
{
    sl_date_format(day, buf);
    return buf;
}

/* The shipped calendar 2021–2026 with those years' notices marked loaded. */
static int
s_setup(void **state)
{
    char *path = sl_asprintf("%s/schema/data/cn_calendar.csv", SL_SOURCE_DIR);
    size_t len;
    char *text = sl_read_file(path, &len);
    if (!text) {
        fprintf(stderr, "cannot read %s\n", path);
        free(path);
        return -1;
    }
    free(path);
    sl_calendar_day_t *days;
    size_t n;
    char *err = NULL;
    int rc = sl_calendar_parse_csv(text, len, 0, &days, &n, &err);
    free(text);
    if (rc != 0) {
        fprintf(stderr, "cn_calendar.csv: %s\n", err);
        free(err);
        return -1;
    }
    sl_calendar_t *cal = sl_calendar_new();
    for (size_t i = 0; i < n; i++)
        if (sl_calendar_add(cal, days[i].day, days[i].kind) != 0)
            return -1;
    sl_calendar_days_free(days, n);
    for (int y = 2021; y <= 2026; y++)
        sl_calendar_add_year(cal, y);
    *state = cal;
    return 0;
}

static int
s_teardown(void **state)
{
    sl_calendar_t *cal = *state;
    sl_calendar_destroy(&cal);
    assert_null(cal);
    return 0;
}

static void
s_expect_add(const sl_calendar_t *cal, const char *from, int n, const char *want, int want_unknown)
{
    char buf[11];
    int unknown = -1;
    int32_t got = sl_calendar_add_workdays(cal, D(from), n, &unknown);
    if (got != D(want) || unknown != want_unknown)
        fail_msg("add_workdays(%s, %d) = %s unknown %d, want %s unknown %d", from, n, S(got, buf),
                 unknown, want, want_unknown);
}

static void
s_expect_days(const sl_calendar_t *cal, const char *const *dates, bool workday)
{
    for (size_t i = 0; dates[i]; i++)
        if (sl_calendar_is_workday(cal, D(dates[i])) != workday)
            fail_msg("is_workday(%s) should be %s", dates[i], workday ? "true" : "false");
}

static void
test_acceptance(void **state)
{
    const sl_calendar_t *cal = *state;
    /* Spring Festival 2022: make-up Sat 01-29 and Sun 01-30, off 01-31..02-06. */
    s_expect_add(cal, "2022-01-28", 2, "2022-01-30", 0);
    s_expect_add(cal, "2022-01-28", 7, "2022-02-11", 0);
    /* National Day 2021: off 10-01..10-07, make-up Sat 10-09. */
    s_expect_add(cal, "2021-09-30", 2, "2021-10-09", 0);
}

static void
test_spring_festival_and_national_day(void **state)
{
    const sl_calendar_t *cal = *state;
    static const char *const off[] = {
        "2021-02-11", "2021-02-12", "2021-02-13", "2021-02-14", "2021-02-15", "2021-02-16",
        "2021-02-17", "2022-01-31", "2022-02-01", "2022-02-02", "2022-02-03", "2022-02-04",
        "2022-02-05", "2022-02-06", "2021-10-01", "2021-10-02", "2021-10-03", "2021-10-04",
        "2021-10-05", "2021-10-06", "2021-10-07", "2022-10-01", "2022-10-02", "2022-10-03",
        "2022-10-04", "2022-10-05", "2022-10-06", "2022-10-07", NULL};
    static const char *const makeup[] = {"2021-02-07", "2021-02-20", "2022-01-29",
                                         "2022-01-30", "2021-09-26", "2021-10-09",
                                         "2022-10-08", "2022-10-09", NULL};
    /* The ordinary weekends right around them stay off. */
    static const char *const weekend[] = {"2021-02-06", "2021-02-21", "2022-01-22", "2022-01-23",
                                          "2022-02-12", "2022-02-13", "2021-10-10", "2021-10-16",
                                          "2022-10-15", "2022-10-16", NULL};
    s_expect_days(cal, off, false);
    s_expect_days(cal, makeup, true);
    s_expect_days(cal, weekend, false);
    /* Through each holiday block, counting the make-up days. */
    s_expect_add(cal, "2021-02-10", 1, "2021-02-18", 0);
    s_expect_add(cal, "2021-02-05", 1, "2021-02-07", 0);
    s_expect_add(cal, "2021-02-19", 1, "2021-02-20", 0);
    s_expect_add(cal, "2021-02-19", 2, "2021-02-22", 0);
    s_expect_add(cal, "2022-01-30", 1, "2022-02-07", 0);
    s_expect_add(cal, "2021-09-24", 1, "2021-09-26", 0);
    s_expect_add(cal, "2021-09-30", 1, "2021-10-08", 0);
    s_expect_add(cal, "2021-09-30", 7, "2021-10-15", 0);
    s_expect_add(cal, "2022-09-30", 1, "2022-10-08", 0);
    s_expect_add(cal, "2022-09-30", 2, "2022-10-09", 0);
    s_expect_add(cal, "2022-09-30", 3, "2022-10-10", 0);
}

static void
test_2026(void **state)
{
    const sl_calendar_t *cal = *state;
    static const char *const off[] = {
        "2026-01-01", "2026-01-02", "2026-01-03", "2026-02-15", "2026-02-16", "2026-02-17",
        "2026-02-18", "2026-02-19", "2026-02-20", "2026-02-21", "2026-02-22", "2026-02-23",
        "2026-04-04", "2026-04-05", "2026-04-06", "2026-05-01", "2026-05-02", "2026-05-03",
        "2026-05-04", "2026-05-05", "2026-06-19", "2026-06-20", "2026-06-21", "2026-09-25",
        "2026-09-26", "2026-09-27", "2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04",
        "2026-10-05", "2026-10-06", "2026-10-07", NULL};
    static const char *const makeup[] = {"2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09",
                                         "2026-09-20", "2026-10-10", NULL};
    s_expect_days(cal, off, false);
    s_expect_days(cal, makeup, true);
    s_expect_add(cal, "2025-12-31", 1, "2026-01-04", 0);
    s_expect_add(cal, "2026-02-13", 1, "2026-02-14", 0);
    s_expect_add(cal, "2026-02-14", 1, "2026-02-24", 0);
    s_expect_add(cal, "2026-09-30", 2, "2026-10-09", 0);
    s_expect_add(cal, "2026-09-30", 3, "2026-10-10", 0);
}

static void
test_ordinary_weeks(void **state)
{
    const sl_calendar_t *cal = *state;
    static const char *const week[] = {"2022-03-07", "2022-03-08", "2022-03-09",
                                       "2022-03-10", "2022-03-11", NULL};
    static const char *const weekend[] = {"2022-03-12", "2022-03-13", NULL};
    s_expect_days(cal, week, true);
    s_expect_days(cal, weekend, false);
    s_expect_add(cal, "2022-03-07", 1, "2022-03-08", 0);
    s_expect_add(cal, "2022-03-07", 5, "2022-03-14", 0);
    s_expect_add(cal, "2022-03-11", 1, "2022-03-14", 0);
    s_expect_add(cal, "2022-03-11", 7, "2022-03-22", 0);
    /* From a weekend day, the count starts on Monday. */
    s_expect_add(cal, "2022-03-12", 1, "2022-03-14", 0);
    s_expect_add(cal, "2022-03-13", 2, "2022-03-15", 0);
    /* n = 0 is the day itself, whatever it is. */
    s_expect_add(cal, "2022-03-09", 0, "2022-03-09", 0);
    s_expect_add(cal, "2022-03-12", 0, "2022-03-12", 0);
    s_expect_add(cal, "2022-02-01", 0, "2022-02-01", 0);
    s_expect_add(cal, "2030-06-01", 0, "2030-06-01", 0);
}

/* Working days per year, cross-checked against an independent count of the
 * CSV (weekdays, minus weekday holidays, plus make-up days). */
static void
test_year_totals(void **state)
{
    const sl_calendar_t *cal = *state;
    static const int want[] = {250, 249, 249, 251, 248, 248}; /* 2021..2026 */
    for (int y = 2021; y <= 2026; y++) {
        int n = 0;
        for (int32_t d = sl_date_from_ymd(y, 1, 1); d < sl_date_from_ymd(y + 1, 1, 1); d++)
            n += sl_calendar_is_workday(cal, d);
        if (n != want[y - 2021])
            fail_msg("%d has %d working days, want %d", y, n, want[y - 2021]);
    }
    /* add_workdays agrees: the 250th working day after 2020-12-31 is 2021's last. */
    s_expect_add(cal, "2020-12-31", 250, "2021-12-31", 0);
}

static void
test_unknown_years(void **state)
{
    const sl_calendar_t *cal = *state;
    assert_true(sl_calendar_year_known(cal, 2021));
    assert_true(sl_calendar_year_known(cal, 2026));
    assert_false(sl_calendar_year_known(cal, 2020));
    assert_false(sl_calendar_year_known(cal, 2027));
    /* Crossing into 2027, whose notice is not loaded: weekends only, flagged. */
    s_expect_add(cal, "2026-12-31", 1, "2027-01-01", 2027);
    s_expect_add(cal, "2026-12-30", 1, "2026-12-31", 0);
    s_expect_add(cal, "2027-03-01", 1, "2027-03-02", 2027);
    s_expect_add(cal, "2020-12-30", 2, "2021-01-04", 2020);
    /* The flag is optional. */
    assert_int_equal(sl_calendar_add_workdays(cal, D("2026-12-31"), 1, NULL), D("2027-01-01"));
}

static void
test_build_by_hand(void **state)
{
    (void)state;
    sl_calendar_t *cal = sl_calendar_new();
    assert_int_equal(sl_calendar_size(cal), 0);
    /* Empty: Monday–Friday, every year unknown. */
    assert_true(sl_calendar_is_workday(cal, D("2027-01-01")));
    s_expect_add(cal, "2026-12-31", 1, "2027-01-01", 2027);
    sl_calendar_add_year(cal, 2027);
    sl_calendar_add_year(cal, 2027);
    assert_int_equal(sl_calendar_add(cal, D("2027-01-01"), SL_DAY_HOLIDAY), 0);
    assert_int_equal(sl_calendar_add(cal, D("2027-01-09"), SL_DAY_WORKDAY), 0);
    assert_int_equal(sl_calendar_add(cal, D("2027-01-09"), 0), -1);
    s_expect_add(cal, "2026-12-31", 1, "2027-01-04", 0);
    s_expect_add(cal, "2027-01-08", 1, "2027-01-09", 0);
    assert_int_equal(sl_calendar_size(cal), 2);
    /* Added again with the other kind, a day keeps the last one. */
    assert_int_equal(sl_calendar_add(cal, D("2027-01-01"), SL_DAY_WORKDAY), 0);
    assert_true(sl_calendar_is_workday(cal, D("2027-01-01")));
    assert_int_equal(sl_calendar_add(cal, D("2027-01-01"), SL_DAY_HOLIDAY), 0);
    assert_false(sl_calendar_is_workday(cal, D("2027-01-01")));
    assert_int_equal(sl_calendar_size(cal), 2);
    /* Inserted out of order, still found. */
    for (int i = 60; i > 0; i--)
        sl_calendar_add(cal, D("2027-03-01") + i * 7, SL_DAY_HOLIDAY); /* Mondays */
    assert_false(sl_calendar_is_workday(cal, D("2027-03-08")));
    assert_false(sl_calendar_is_workday(cal, D("2028-04-24")));
    assert_true(sl_calendar_is_workday(cal, D("2027-03-01")));
    assert_true(sl_calendar_is_workday(cal, D("2027-03-09")));
    sl_calendar_destroy(&cal);
    assert_null(cal);
    sl_calendar_destroy(&cal);
    sl_calendar_destroy(NULL);
}

static void
test_parse_good(void **state)
{
    (void)state;
    /* BOM, CRLF, blank lines, out of order, a day of the year before. */
    static const char csv[] = "\xEF\xBB\xBF"
                              "date,kind,name\r\n"
                              "2027-01-01,holiday,New Year's Day\r\n"
                              "\r\n"
                              "2026-12-31, holiday , 元旦\r\n"
                              "2027-02-06,workday,Spring Festival";
    sl_calendar_day_t *days = NULL;
    size_t n = 0;
    char *err = NULL;
    assert_int_equal(sl_calendar_parse_csv(csv, sizeof csv - 1, 2027, &days, &n, &err), 0);
    assert_null(err);
    assert_int_equal(n, 3);
    assert_int_equal(days[0].day, D("2026-12-31"));
    assert_int_equal(days[0].kind, SL_DAY_HOLIDAY);
    assert_string_equal(days[0].name, "元旦");
    assert_int_equal(days[0].notice_year, 2027);
    assert_int_equal(days[1].day, D("2027-01-01"));
    assert_string_equal(days[1].name, "New Year's Day");
    assert_int_equal(days[2].kind, SL_DAY_WORKDAY);
    assert_string_equal(sl_day_kind_name(days[2].kind), "workday");
    sl_calendar_days_free(days, n);
}

/* Parses CSV for YEAR and expects it refused with an error starting WANT. */
static void
s_expect_bad(const char *csv, int year, const char *want)
{
    sl_calendar_day_t *days = (sl_calendar_day_t *)1;
    size_t n = 99;
    char *err = NULL;
    int rc = sl_calendar_parse_csv(csv, strlen(csv), year, &days, &n, &err);
    if (rc != SL_DECLINED || !err || strncmp(err, want, strlen(want)) != 0)
        fail_msg("parse of %s: rc %d err \"%s\", want \"%s…\"", csv, rc, err ? err : "(null)",
                 want);
    assert_null(days);
    assert_int_equal(n, 0);
    free(err);
}

static void
test_parse_errors(void **state)
{
    (void)state;
    s_expect_bad("", 2027, "1: empty file");
    s_expect_bad("\n\n", 2027, "1: empty file");
    s_expect_bad("date,kind,name\n", 2027, "1: no days");
    s_expect_bad("2027-01-01,holiday,New Year's Day\n", 2027, "1: expected the header");
    s_expect_bad("day,kind,name\n2027-01-01,holiday,x\n", 2027, "1: expected the header");
    s_expect_bad("date,kind,name\n2027-01-01,holiday,New Year\n2027-02-30,holiday,Bad\n", 2027,
                 "3: bad date \"2027-02-30\"");
    s_expect_bad("date,kind,name\n2027-1-1,holiday,New Year\n", 2027, "2: bad date");
    s_expect_bad("date,kind,name\n2027-01-01,vacation,New Year\n", 2027, "2: unknown kind");
    s_expect_bad("date,kind,name\n2027-01-01,holiday,New Year\n2027-01-02,holiday\n", 2027,
                 "3: expected 3 fields (date,kind,name), found 2");
    s_expect_bad("date,kind,name\n2027-01-01,holiday,New,Year\n", 2027, "2: expected 3 fields");
    s_expect_bad("date,kind,name\n2027-01-01,holiday,New Year\n2027-01-02,holiday,x\n"
                 "2027-01-01,holiday,again\n",
                 2027, "4: date 2027-01-01 is listed twice");
    s_expect_bad("date,kind,name\n2025-12-31,holiday,New Year\n", 2027,
                 "2: date 2025-12-31 is outside the notice's years 2026-2027");
    s_expect_bad("date,kind,name\n2027-01-01,holiday,x\n2028-01-01,holiday,x\n", 2027,
                 "3: date 2028-01-01 is outside");
    /* 2027-01-05 is a Tuesday. */
    s_expect_bad("date,kind,name\n2027-01-01,holiday,x\n2027-01-05,workday,x\n", 2027,
                 "3: make-up workday 2027-01-05 is not a Saturday or Sunday");
    s_expect_bad("date,kind,name\n2027-01-01,holiday,\n", 2027, "2: empty name");
    s_expect_bad("date,kind,name\n2027-01-01,holiday,\"New Year\"\n", 2027, "2: quoted fields");
    s_expect_bad("date,kind,name\n2027-01-01,holiday,\xff\xfe\n", 2027, "2: name is not UTF-8");
    /* The first problem is the one reported. */
    s_expect_bad("date,kind,name\n2027-01-01,holiday,x\n2027-01-05,workday,x\nbad\n", 2027, "3:");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_acceptance),
        cmocka_unit_test(test_spring_festival_and_national_day),
        cmocka_unit_test(test_2026),
        cmocka_unit_test(test_ordinary_weeks),
        cmocka_unit_test(test_year_totals),
        cmocka_unit_test(test_unknown_years),
        cmocka_unit_test(test_build_by_hand),
        cmocka_unit_test(test_parse_good),
        cmocka_unit_test(test_parse_errors),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
