/* main.c — slctl, the operators' and administrators' tool.
 *
 * Parses the global options, then hands over to one subcommand (cmd_*.c).
 * Administration works on the node's database directly; everything that
 * changes a case travels as an envelope through sl-intake. */
#include "slctl.h"

#include "sl_clock.h"
#include "sl_log.h"
#include "sl_service.h"
#include "sl_util.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *name;                          /* subcommand */
    int (*run)(sl_ctl_t *, int, char **);      /* its entry point */
    const char *usage;                         /* one line per form */
} s_command_t;

static const s_command_t s_commands[] = {
    {"migrate", sl_ctl_migrate,
     "migrate [--to N | --rotate-passwords]   apply missing schema migrations; write the\n"
     "                                 node's units; make the daemons' database roles and grant\n"
     "                                 them ([database] passfile: their passwords, new ones with\n"
     "                                 --rotate-passwords) (--to N: stop after migration N,\n"
     "                                 write nothing else)"},
    {"keys", sl_ctl_keys,
     "keys gen [--dir DIR] [--curve-only] [--force]\n"
     "                                 make the node's CURVE key pair and its sealing key pair"},
    {"calendar", sl_ctl_calendar,
     "calendar import FILE.csv --year Y   replace the State Council notice for year Y\n"
     "  calendar add-workdays DATE N        print the date N working days after DATE\n"
     "  calendar is-workday DATE            print yes or no\n"
     "  calendar list [--year Y]            the special days, one a line"},
    {"submit", sl_ctl_submit,
     "submit [--json FILE] [--subject …] [--division …] [--sector …] …\n"
     "                                 send a clue through the node's intake (submit --help)"},
    {"case", sl_ctl_case,
     "case show NO [--reveal --key SEAL_SECRET_FILE]   a case and its history\n"
     "  case list [--limit N]           one case a line: number, status, sector, place,\n"
     "                                  subject, unit, repeat reports\n"
     "  case verify NO --pass | --fail --reason T [--notice N]   核查: close (销号) or false\n"
     "                                  completion (虚假办结) of its fed-back transfer\n"
     "  case supervise NO --leader NAME [--title T]   list a major-hazard case (挂牌督办)\n"
     "  case typical NO --file ANALYSIS.json   a typical case (附件5) made from case NO\n"
     "  case typical NO --positive --text T   a positive example (选树提升) of case NO\n"
     "  case refer NO --police|--discipline --reason T   两移交 after the check: the police\n"
     "                                  or discipline transfer, once per clue, by the level\n"
     "                                  that handles the case\n"
     "  case public-summary NO --text T the office's public summary of the case (三公开)\n"
     "  case feedback-up|objection-up|progress-up NO …   this node's own answer to the\n"
     "                                  upper node's transfer of case NO (flags as transfer …)"},
    {"transfer", sl_ctl_transfer,
     "transfer list [--case NO]         one transfer a line: notice, case, unit, state, dates\n"
     "  transfer show NOTICE_NO [--html] the transfer and its history, or its notice (annex 3)\n"
     "  transfer receipt|objection|progress|feedback NOTICE_NO …   answer for the unit\n"
     "  transfer decide NOTICE_NO --accept [--to UNIT]|--reject --reason T   decide an objection\n"
     "  transfer decide NOTICE_NO --verify-pass|--verify-fail [--reason T]   verify the feedback\n"
     "                                 (slctl transfer help: every flag)"},
    {"dispatch", sl_ctl_dispatch,
     "dispatch now [--operator NAME]   form a transfer list of the registered cases at once"},
    {"overdue", sl_ctl_overdue,
     "overdue                          transfers reminded, overdue, not handled or escalated:\n"
     "                                 notice, case, unit, deadline, state, flags, calendar"},
    {"escalation", sl_ctl_escalation,
     "escalation list                  escalations (提级核查): notice, case, unit, cause, marked,\n"
     "                                 raised, where to, its case/parent/supervision"},
    {"reports", sl_ctl_reports,
     "reports due                      reports not received by their due time: unit, name,\n"
     "                                 kind, period, due at, received late at"},
    {"report", sl_ctl_report,
     "report send --weekly|--monthly FILE.json [--local]\n"
     "                                 a report upward (outbox for the parent), or --local\n"
     "                                 through this node's intake for one of its units\n"
     "  report build --weekly [--week YYYY-Www] [--dir DIR] [--filled-by NAME]\n"
     "                                 draft the week's report from the ledger and the\n"
     "                                 children's reports: 周报告.json, 附件4/6 .xlsx .csv,\n"
     "                                 附件5.html; names children whose report is missing\n"
     "  report build --monthly [--month YYYY-MM] [--dir DIR]   the month's six lists from the\n"
     "                                 ledger and the children's 月小结: 月小结.json, 六个清单\n"
     "                                 .xlsx .csv\n"
     "  report build --daily [--day YYYY-MM-DD] [--issue N]   日汇总.html and 简报.html: the\n"
     "                                 day's clues, transfers, answers, overdue, escalations\n"
     "                                 by county and sector"},
    {"campaign", sl_ctl_campaign,
     "campaign list | campaign add NAME --start D --end D [--weekly-day N] [--weekly-time HH:MM]\n"
     "                                 [--no-monthly] [--phase NAME:START:END]…"},
    {"status", sl_ctl_status,
     "status [--json] [--watch SECONDS] [--no-probe]\n"
     "                                 queue health: daemons, links, dead letters, overdue, "
     "calendar;\n"
     "                                 exit 0 all well, 1 warnings, 2 needs a person"},
    {"supervision", sl_ctl_supervision,
     "supervision list [--all]         listed cases: number, subject, unit, leader, since, status"},
    {"appraise", sl_ctl_appraise,
     "appraise run|show [--month YYYY-MM | --final] [--rules FILE] [--json] [--svg F] [--html F]\n"
     "                                 the monthly appraisal (四考核) of the places one level down\n"
     "  appraise explain PLACE [--month M] [--json]   from the total to the cases and reports\n"
     "  appraise approve --by NAME [--month M]        approve; sl-appraise publishes it\n"
     "  appraise export [--final] --xlsx F [--html F] the approved evaluation for 目标责任考核"},
    {"ledger", sl_ctl_ledger,
     "ledger show|export [--list NAME] [--month YYYY-MM] [--out FILE]   the six lists (六个清单)\n"
     "  ledger summary [--month YYYY-MM] entries per list\n"
     "  ledger add --list 选树提升 --unit UNIT --text TEXT   a good example (ledger help)"},
    {"link", sl_ctl_link,
     "link list                        one line per peer node: outbox depth, oldest row, sent,\n"
     "                                 acked, retried, parked, connected\n"
     "  link parked                     rows a peer refused, with the reason\n"
     "  link release ID                 send a parked row again"},
    {"inspection", sl_ctl_inspection,
     "inspection add|import FILE.csv|list|export   the register of inspections (检查记录;\n"
     "                                 slctl inspection help)"},
    {"spotcheck", sl_ctl_spotcheck,
     "spotcheck draw --county D --sector S --share N [--seed N] | show DRAW_ID | record …\n"
     "                                 the city's spot checks (抽查) of inspected units"},
    {"accident", sl_ctl_accident,
     "accident import FILE.csv | list | export [--out FILE] | focus   the register of\n"
     "                                 accidents (事故记录); focus: places for 开小灶"},
    {"official", sl_ctl_official,
     "official import FILE.csv | list | export [--out FILE]   posts held by responsible\n"
     "                                 officials (责任人员); phone numbers are never listed"},
    {"trace", sl_ctl_trace,
     "trace --person NAME|PERSON_ID    every case the person signed or supervised, in any post\n"
     "  trace --case CASE_NO            who acted at each step of a case (一追溯)"},
    {"finding", sl_ctl_finding,
     "finding import FILE.csv | list | export [--out FILE]   earlier findings (大督查、大盘点、\n"
     "                                 大起底、近三年举报) as cases; the special ledger (专项台账)"},
    {"liaison", sl_ctl_liaison,
     "liaison import FILE.csv | list | export | contacts   联络人 of the member units (phones\n"
     "                                 only in contacts, for the office; never published)"},
    {"commitment", sl_ctl_commitment,
     "commitment import FILE.csv | list | export | count   安全承诺 (annex 2); count per county"},
    {"plan", sl_ctl_plan,
     "plan import FILE.csv | list | export | due CAMPAIGN --date D   implementation plans\n"
     "                                 (实施方案) of the member units, due by the campaign's date"},
    {"interview", sl_ctl_interview,
     "interview list|export [--out FILE]   the 约谈问责 list (应发现未发现、应处罚未处罚)"},
    {"publish", sl_ctl_publish,
     "publish now [KIND] | drafts | list | show ID   三公开: draft now, the drafts, all\n"
     "  publish approve ID --by NAME    release a draft (审核发布)\n"
     "  publish correct ID --reason T   draft a correction of an issued publication\n"
     "  publish hold NO --reason T | release NO   hold a case back from publication or not"},
    {"audit", sl_ctl_audit,
     "audit verify                     check every case's and register row's audit chain; exit 1\n"
     "                                 naming each break"},
};

static void
s_usage(FILE *f)
{
    fprintf(f, "usage: slctl [-c NODE.ini] [--instance N] [--log-level L] COMMAND [ARGS]\n\n"
               "commands:\n");
    for (size_t i = 0; i < SL_ARRAY_LEN(s_commands); i++)
        fprintf(f, "  %s\n", s_commands[i].usage);
    fprintf(f, "\nexit codes: 0 done (an envelope accepted or duplicate), 1 failed,\n"
               "  2 bad arguments or config, 3 envelope rejected (code and text on stderr),\n"
               "  4 no answer from the node.\n"
               "Output is UTF-8; output meant for scripts is one record a line, tab-separated.\n"
               "SL_NOW=2022-01-28T09:00:00+08:00 pins the clock (drills, tests).\n");
}

void
sl_ctl_die(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("slctl: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(code);
}

sl_config_t *
sl_ctl_config(sl_ctl_t *ctl)
{
    if (ctl->config)
        return ctl->config;
    if (!ctl->config_path)
        sl_ctl_die(SL_EXIT_USAGE, "this command needs the node's config: -c NODE.ini");
    char *err = NULL;
    ctl->config = sl_config_load(ctl->config_path, ctl->instance, &err);
    if (!ctl->config) {
        fprintf(stderr, "slctl: %s\n", err ? err : "could not load config");
        free(err);
        exit(SL_EXIT_USAGE);
    }
    sl_log_set_node(sl_config_node(ctl->config));
    return ctl->config;
}

static sl_db_t *
s_connect(const char *conninfo)
{
    sl_db_t *db = sl_db_new(conninfo);
    if (sl_db_connect(db) != 0)
        sl_ctl_die(SL_EXIT_FAIL, "could not connect to the node's database: %s", sl_db_error(db));
    return db;
}

sl_db_t *
sl_ctl_db(sl_ctl_t *ctl)
{
    if (ctl->db)
        return ctl->db;
    char *conninfo = sl_service_role_conninfo(sl_ctl_config(ctl), "ctl");
    ctl->db = s_connect(conninfo);
    free(conninfo);
    return ctl->db;
}

sl_db_t *
sl_ctl_db_current(sl_ctl_t *ctl)
{
    sl_db_t *db = sl_ctl_db(ctl);
    if (sl_schema_check(db, ctl->config_path) != 0)
        exit(SL_EXIT_FAIL);
    return db;
}

sl_db_t *
sl_ctl_db_admin(sl_ctl_t *ctl, bool current)
{
    if (!ctl->admin)
        ctl->admin = s_connect(sl_config_str(sl_ctl_config(ctl), "database", "conninfo"));
    if (current && sl_schema_check(ctl->admin, ctl->config_path) != 0)
        exit(SL_EXIT_FAIL);
    return ctl->admin;
}

int
main(int argc, char **argv)
{
    sl_ctl_t ctl = {.instance = 1};
    sl_log_init("slctl", NULL);
    sl_log_set_level(SL_LOG_WARN);
    if (sl_clock_init() != 0)
        return SL_EXIT_USAGE;
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"instance", required_argument, NULL, 'i'},
        {"log-level", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    /* "+" stops at the first non-option: the subcommand parses the rest. */
    while ((opt = getopt_long(argc, argv, "+c:h", opts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            ctl.config_path = optarg;
            break;
        case 'i':
            ctl.instance = atoi(optarg);
            if (ctl.instance < 1)
                sl_ctl_die(SL_EXIT_USAGE, "--instance takes a number from 1");
            break;
        case 'l': {
            int level = sl_log_level_parse(optarg);
            if (level < 0)
                sl_ctl_die(SL_EXIT_USAGE, "--log-level takes debug, info, warn or error");
            sl_log_set_level(level);
            break;
        }
        case 'h':
            s_usage(stdout);
            return 0;
        case 'V':
            printf("slctl %s (schema %d)\n", SL_VERSION, sl_schema_latest());
            return 0;
        default:
            s_usage(stderr);
            return SL_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        s_usage(stderr);
        return SL_EXIT_USAGE;
    }
    const char *name = argv[optind];
    for (size_t i = 0; i < SL_ARRAY_LEN(s_commands); i++) {
        if (strcmp(s_commands[i].name, name) == 0) {
            int sub_argc = argc - optind;
            char **sub_argv = argv + optind;
            optind = 0; /* glibc: reinitialise getopt for the subcommand's argv */
            int rc = s_commands[i].run(&ctl, sub_argc, sub_argv);
            sl_db_destroy(&ctl.db);
            sl_db_destroy(&ctl.admin);
            sl_config_destroy(&ctl.config);
            return rc;
        }
    }
    fprintf(stderr, "slctl: unknown command \"%s\"\n\n", name);
    s_usage(stderr);
    return SL_EXIT_USAGE;
}
