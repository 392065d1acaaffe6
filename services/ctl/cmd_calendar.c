/* cmd_calendar.c — `slctl calendar`: the official working-day calendar.
 *
 * import replaces one year's State Council notice from a `date,kind,name` CSV
 * (all or nothing); add-workdays and is-workday answer from the calendar as the
 * daemons see it, warning when the answer crosses a year whose notice has not
 * been imported (weekends only there); list prints the special days. */
#include "slctl.h"

#include "sl_calendar.h"
#include "sl_calendar_db.h"
#include "sl_clock.h"
#include "sl_util.h"
#include "sl_words.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_USAGE                                                                                    \
    "usage: slctl calendar import FILE.csv --year Y | add-workdays DATE N | is-workday DATE"       \
    " | list [--year Y]"
#define S_MAX_WORKDAYS 100000 /* about 400 years: beyond any deadline */

/* Parses a notice year for --year; exits 2 on anything else. */
static int
s_parse_year(const char *s)
{
    char *end;
    errno = 0;
    long y = strtol(s, &end, 10);
    if (errno || end == s || *end || y < 1971 || y > 9999)
        sl_ctl_die(SL_EXIT_USAGE, "calendar: --year takes a year from 1971 to 9999, not \"%s\"", s);
    return (int)y;
}

static int32_t
s_parse_date(const char *s)
{
    int32_t day;
    if (sl_date_parse(s, &day) != 0)
        sl_ctl_die(SL_EXIT_USAGE, "calendar: bad date \"%s\", expected YYYY-MM-DD", s);
    return day;
}

/* Parses --year Y among ARGV[1..] (ARGV[0] is the subcommand's own name); the
 * other arguments are left in ARGV[optind..argc). Returns the year, or 0. */
static int
s_options(int argc, char **argv)
{
    static const struct option opts[] = {{"year", required_argument, NULL, 'y'},
                                         {NULL, 0, NULL, 0}};
    int year = 0, opt;
    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (opt == 'y')
            year = s_parse_year(optarg);
        else
            sl_ctl_die(SL_EXIT_USAGE, S_USAGE);
    }
    return year;
}

static void
s_warn_unknown_year(int year)
{
    fprintf(stderr,
            "slctl: warning: no holiday notice is loaded for %d, so its working days are"
            " Monday to Friday only; import it with: slctl calendar import FILE.csv --year %d\n",
            year, year);
}

static sl_calendar_t *
s_load(sl_ctl_t *ctl)
{
    sl_calendar_t *cal = NULL;
    if (sl_calendar_load(sl_ctl_db_current(ctl), &cal) != 0)
        sl_ctl_die(SL_EXIT_FAIL, "could not load the calendar: %s", sl_db_error(ctl->db));
    return cal;
}

static int
s_import(sl_ctl_t *ctl, int argc, char **argv)
{
    int year = s_options(argc, argv);
    if (optind != argc - 1)
        sl_ctl_die(SL_EXIT_USAGE, "usage: slctl calendar import FILE.csv --year Y");
    if (year == 0)
        sl_ctl_die(SL_EXIT_USAGE, "calendar import: --year Y is required");
    const char *path = argv[optind];
    size_t len;
    char *text = sl_read_file(path, &len);
    if (!text)
        sl_ctl_die(SL_EXIT_FAIL, "could not read %s: %s", path, strerror(errno));
    char *err = NULL;
    size_t n = 0;
    int rc = sl_calendar_import(sl_ctl_db_admin(ctl, true), text, len, year, path, &n, &err);
    free(text);
    if (rc == SL_DECLINED) {
        fprintf(stderr, "slctl: %s:%s\n", path, err);
    } else if (rc != 0) {
        fprintf(stderr, "slctl: %s\n", err ? err : "could not import the calendar notice");
    } else {
        printf("imported\t%d\t%zu days\n", year, n);
    }
    free(err);
    return rc == 0 ? SL_EXIT_OK : SL_EXIT_FAIL;
}

static int
s_add_workdays(sl_ctl_t *ctl, int argc, char **argv)
{
    if (argc != 4)
        sl_ctl_die(SL_EXIT_USAGE, "usage: slctl calendar add-workdays DATE N");
    int32_t day = s_parse_date(argv[2]);
    char *end;
    errno = 0;
    long n = strtol(argv[3], &end, 10);
    if (errno || end == argv[3] || *end || n < 0 || n > S_MAX_WORKDAYS)
        sl_ctl_die(SL_EXIT_USAGE,
                   "calendar add-workdays: N takes a number from 0 to %d, not \"%s\"",
                   S_MAX_WORKDAYS, argv[3]);
    sl_calendar_t *cal = s_load(ctl);
    int unknown = 0;
    int32_t result = sl_calendar_add_workdays(cal, day, (int)n, &unknown);
    sl_calendar_destroy(&cal);
    if (unknown)
        s_warn_unknown_year(unknown);
    char buf[11];
    sl_date_format(result, buf);
    printf("%s\n", buf);
    return SL_EXIT_OK;
}

static int
s_is_workday(sl_ctl_t *ctl, int argc, char **argv)
{
    if (argc != 3)
        sl_ctl_die(SL_EXIT_USAGE, "usage: slctl calendar is-workday DATE");
    int32_t day = s_parse_date(argv[2]);
    sl_calendar_t *cal = s_load(ctl);
    int y, m, d;
    sl_date_ymd(day, &y, &m, &d);
    if (!sl_calendar_year_known(cal, y))
        s_warn_unknown_year(y);
    bool yes = sl_calendar_is_workday(cal, day);
    sl_calendar_destroy(&cal);
    printf("%s\n", yes ? "yes" : "no");
    return SL_EXIT_OK;
}

static int
s_list(sl_ctl_t *ctl, int argc, char **argv)
{
    int year = s_options(argc, argv);
    if (optind != argc)
        sl_ctl_die(SL_EXIT_USAGE, "usage: slctl calendar list [--year Y]");
    sl_calendar_day_t *days = NULL;
    size_t n = 0;
    if (sl_calendar_list(sl_ctl_db_current(ctl), year, &days, &n) != 0)
        sl_ctl_die(SL_EXIT_FAIL, "could not list the calendar: %s", sl_db_error(ctl->db));
    for (size_t i = 0; i < n; i++) {
        char buf[11];
        sl_date_format(days[i].day, buf);
        printf("%s\t%s\t%s\t%d\n", buf,
               sl_words_label("calendar_kind", sl_day_kind_name(days[i].kind)), days[i].name,
               days[i].notice_year);
    }
    sl_calendar_days_free(days, n);
    return SL_EXIT_OK;
}

int
sl_ctl_calendar(sl_ctl_t *ctl, int argc, char **argv)
{
    if (argc < 2)
        sl_ctl_die(SL_EXIT_USAGE, S_USAGE);
    const char *sub = argv[1];
    /* getopt sees the subcommand's name as its argv[0]: options start after it. */
    if (strcmp(sub, "import") == 0)
        return s_import(ctl, argc - 1, argv + 1);
    if (strcmp(sub, "add-workdays") == 0)
        return s_add_workdays(ctl, argc, argv);
    if (strcmp(sub, "is-workday") == 0)
        return s_is_workday(ctl, argc, argv);
    if (strcmp(sub, "list") == 0)
        return s_list(ctl, argc - 1, argv + 1);
    sl_ctl_die(SL_EXIT_USAGE, "calendar: unknown subcommand \"%s\"\n" S_USAGE, sub);
}
