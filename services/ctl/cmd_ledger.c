/* cmd_ledger.c — `slctl ledger show|export|add|summary`: the six lists (六个清单).
 *
 * The ledgers are read from the database: show prints one entry a line,
 * tab-separated; export writes CSV for the month-end report (UTF-8 with a
 * BOM so spreadsheet programs read the Chinese text, RFC 4180 quoting,
 * Chinese headers, one row per entry); summary counts each list's entries
 * of a month. add enters a good example (选树提升), the one list no
 * verification fills: directly in the database, the row recording the
 * operator who entered it (it belongs to no case, so to no case's chain). */
#include "slctl.h"

#include "sl_clock.h"
#include "sl_ledger.h"
#include "sl_util.h"

#include <ctype.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char s_usage[] =
    "usage: slctl ledger show [--list NAME] [--month YYYY-MM]\n"
    "       slctl ledger export [--list NAME] [--month YYYY-MM] [--out FILE]\n"
    "       slctl ledger summary [--month YYYY-MM]\n"
    "       slctl ledger add --list 选树提升 --unit UNIT --text TEXT [--date YYYY-MM-DD]\n"
    "           [--operator NAME]\n"
    "  lists: 隐患整改 惩治处罚 约谈问责 挂牌督办 联合惩戒 选树提升.\n"
    "  show prints: list, item, case no, notice no, unit, unit name, subject, date,\n"
    "  persons, amount (yuan), details, entered by (tab-separated, one entry a line).\n"
    "  export writes CSV (UTF-8 with BOM, Chinese headers) to FILE or stdout.\n"
    "  summary prints: list, entries, persons, amount (yuan) for each of the six lists.\n";

typedef struct {
    const char *list, *month, *out, *unit, *text, *date, *operator_name;
} s_opts_t;

static void
s_parse(int argc, char **argv, s_opts_t *o)
{
    static const struct option opts[] = {
        {"list", required_argument, NULL, 'l'},     {"month", required_argument, NULL, 'm'},
        {"out", required_argument, NULL, 'o'},      {"unit", required_argument, NULL, 'u'},
        {"text", required_argument, NULL, 't'},     {"date", required_argument, NULL, 'd'},
        {"operator", required_argument, NULL, 'p'}, {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    int opt;
    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        // clang-format off
        switch (opt) {
        case 'l': o->list = optarg; break;
        case 'm': o->month = optarg; break;
        case 'o': o->out = optarg; break;
        case 'u': o->unit = optarg; break;
        case 't': o->text = optarg; break;
        case 'd': o->date = optarg; break;
        case 'p': o->operator_name = optarg; break;
        default:
            fputs(s_usage, stderr);
            exit(SL_EXIT_USAGE);
        }
        // clang-format on
    }
    if (optind != argc) {
        fputs(s_usage, stderr);
        exit(SL_EXIT_USAGE);
    }
    if (o->list && !sl_ledger_list_valid(o->list))
        sl_ctl_die(SL_EXIT_USAGE,
                   "unknown list \"%s\" (隐患整改 惩治处罚 约谈问责 挂牌督办 "
                   "联合惩戒 选树提升)",
                   o->list);
    const char *m = o->month;
    if (m && !(strlen(m) == 7 && isdigit((unsigned char)m[0]) && isdigit((unsigned char)m[1]) &&
               isdigit((unsigned char)m[2]) && isdigit((unsigned char)m[3]) && m[4] == '-' &&
               ((m[5] == '0' && m[6] >= '1' && m[6] <= '9') ||
                (m[5] == '1' && m[6] >= '0' && m[6] <= '2'))))
        sl_ctl_die(SL_EXIT_USAGE, "--month takes YYYY-MM, e.g. 2026-11");
}

/* show: one entry a line; tabs and line breaks in typed text become spaces. */
static void
s_show_row(void *arg, const char *const *cols)
{
    (void)arg;
    for (int i = 0; i < SL_LEDGER_COLS; i++) {
        if (i > 0)
            putchar('\t');
        for (const char *s = cols[i]; *s; s++)
            putchar(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s);
    }
    putchar('\n');
}

static void
s_csv_row(void *arg, const char *const *cols)
{
    sl_ledger_csv_row(arg, cols, SL_LEDGER_COLS);
}

static void
s_summary_row(void *arg, const char *const *cols)
{
    (void)arg;
    printf("%s\t%s\t%s\t%s\n", cols[0], cols[1], cols[2], cols[3]);
}

static int
s_export(sl_ctl_t *ctl, const s_opts_t *o)
{
    sl_db_t *db = sl_ctl_db_current(ctl);
    sl_buf_t b;
    sl_buf_init(&b);
    sl_buf_puts(&b, SL_LEDGER_BOM);
    sl_ledger_csv_row(&b, sl_ledger_headers(), SL_LEDGER_COLS);
    if (sl_ledger_rows(db, o->list, o->month, s_csv_row, &b) != 0) {
        sl_buf_free(&b);
        sl_ctl_die(SL_EXIT_FAIL, "could not read the ledger: %s", sl_db_error(db));
    }
    FILE *f = o->out ? fopen(o->out, "wb") : stdout;
    if (!f) {
        sl_buf_free(&b);
        sl_ctl_die(SL_EXIT_FAIL, "could not open %s for writing: %m", o->out);
    }
    bool ok = fwrite(b.data, 1, b.len, f) == b.len;
    ok = (o->out ? fclose(f) : fflush(f)) == 0 && ok;
    sl_buf_free(&b);
    if (!ok)
        sl_ctl_die(SL_EXIT_FAIL, "could not write %s: %m", o->out ? o->out : "stdout");
    return SL_EXIT_OK;
}

static int
s_add(sl_ctl_t *ctl, s_opts_t *o)
{
    if (!o->list || !o->unit || !o->text || !*o->unit || !*o->text)
        sl_ctl_die(SL_EXIT_USAGE, "ledger add needs --list 选树提升 --unit UNIT --text TEXT");
    if (strcmp(o->list, "选树提升") != 0)
        sl_ctl_die(SL_EXIT_USAGE, "只有“选树提升”清单由人工录入；其余五个清单在核查通过时"
                                  "按办理结果自动记入");
    int64_t now = sl_now_ms();
    int32_t day = sl_ms_to_day(now);
    if (o->date && sl_date_parse(o->date, &day) != 0)
        sl_ctl_die(SL_EXIT_USAGE, "--date takes YYYY-MM-DD");
    if (!o->operator_name) {
        struct passwd *pw = getpwuid(getuid());
        o->operator_name = pw ? pw->pw_name : "unknown";
    }
    sl_db_t *db = sl_ctl_db_admin(ctl, true);
    sl_actor_t actor = {.key = "slctl",
                                 .unit = sl_config_node(sl_ctl_config(ctl)),
                                 .operator_name = o->operator_name,
                                 .msg_id = ""};
    int64_t id;
    if (sl_ledger_add(db, o->list, o->unit, o->text, day, now, &actor, &id) != 0)
        sl_ctl_die(SL_EXIT_FAIL, "could not add the entry: %s", sl_db_error(db));
    printf("%lld\n", (long long)id);
    return SL_EXIT_OK;
}

int
sl_ctl_ledger(sl_ctl_t *ctl, int argc, char **argv)
{
    if (argc < 2) {
        fputs(s_usage, stderr);
        return SL_EXIT_USAGE;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "help") == 0) {
        fputs(s_usage, stdout);
        return SL_EXIT_OK;
    }
    s_opts_t o;
    s_parse(argc - 1, argv + 1, &o);
    if (strcmp(sub, "show") == 0) {
        sl_db_t *db = sl_ctl_db_current(ctl);
        if (sl_ledger_rows(db, o.list, o.month, s_show_row, NULL) != 0)
            sl_ctl_die(SL_EXIT_FAIL, "could not read the ledger: %s", sl_db_error(db));
        return SL_EXIT_OK;
    }
    if (strcmp(sub, "export") == 0)
        return s_export(ctl, &o);
    if (strcmp(sub, "summary") == 0) {
        sl_db_t *db = sl_ctl_db_current(ctl);
        if (sl_ledger_summary(db, o.month, s_summary_row, NULL) != 0)
            sl_ctl_die(SL_EXIT_FAIL, "could not read the ledger: %s", sl_db_error(db));
        return SL_EXIT_OK;
    }
    if (strcmp(sub, "add") == 0)
        return s_add(ctl, &o);
    fputs(s_usage, stderr);
    sl_ctl_die(SL_EXIT_USAGE, "unknown ledger command \"%s\"", sub);
}
