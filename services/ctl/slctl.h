/* slctl.h — shared state of the slctl subcommands.
 *
 * slctl is the operators' and administrators' tool: administration works on the
 * database directly; whatever changes a case travels as an envelope through
 * sl-intake. Each subcommand lives in its own file, cmd_<name>.c. */
#ifndef SLCTL_H
#define SLCTL_H

#include "sl_config.h"
#include "sl_db.h"

#include <stdbool.h>

/* Exit codes shared by every subcommand (documented in --help). */
enum {
    SL_EXIT_OK = 0,       /* done; for envelopes: accepted or duplicate */
    SL_EXIT_FAIL = 1,     /* failed, or (audit verify) a break was found */
    SL_EXIT_USAGE = 2,    /* bad arguments or config */
    SL_EXIT_REJECTED = 3, /* the node rejected the envelope */
    SL_EXIT_NO_ANSWER = 4 /* no ack from the node in time */
};

typedef struct {
    const char *config_path; /* -c NODE.ini, or NULL */
    int instance;            /* --instance N */
    sl_config_t *config;     /* loaded on first use */
    sl_db_t *db;             /* connected on first use, as [ctl] db_user */
    sl_db_t *admin;          /* connected on first use, as [database] conninfo */
} sl_ctl_t;

/* The node's config; prints the error and exits 2 if it cannot be loaded. */
sl_config_t *sl_ctl_config(sl_ctl_t *ctl);
/* A connected database, as the read-only role [ctl] db_user (unset: as
 * [database] conninfo); prints the error and exits 1 if unreachable. Does not
 * check the schema version (sl_ctl_db_current does). */
sl_db_t *sl_ctl_db(sl_ctl_t *ctl);
/* As sl_ctl_db, and exits 1 telling what to run if the schema is not current. */
sl_db_t *sl_ctl_db_current(sl_ctl_t *ctl);
/* The administrator's connection, [database] conninfo as it is: for the few
 * commands that write the database directly (migrate, calendar import, link
 * release, …: DESIGN.md, "Database roles"). With CURRENT, exits 1 telling what
 * to run if the schema is not current. */
sl_db_t *sl_ctl_db_admin(sl_ctl_t *ctl, bool current);
/* Prints "slctl: <message>" to stderr and exits with CODE. */
void sl_ctl_die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

/* Subcommands: argv[0] is the subcommand's name; each returns an exit code. */
int sl_ctl_migrate(sl_ctl_t *ctl, int argc, char **argv);
int sl_ctl_keys(sl_ctl_t *ctl, int argc, char **argv);
int sl_ctl_calendar(sl_ctl_t *ctl, int argc, char **argv);
int sl_ctl_audit(sl_ctl_t *ctl, int argc, char **argv);
int sl_ctl_submit(sl_ctl_t *ctl, int argc, char **argv);
int sl_ctl_case(sl_ctl_t *ctl, int argc, char **argv);
int sl_ctl_status(sl_ctl_t *ctl, int argc, char **argv);
int sl_ctl_transfer(sl_ctl_t *ctl, int argc, char **argv);
int sl_ctl_dispatch(sl_ctl_t *ctl, int argc, char **argv);
int sl_ctl_overdue(sl_ctl_t *ctl, int argc, char **argv);
int sl_ctl_escalation(sl_ctl_t *ctl, int argc, char **argv);
int sl_ctl_reports(sl_ctl_t *ctl, int argc, char **argv);
int sl_ctl_report(sl_ctl_t *ctl, int argc, char **argv);
int sl_ctl_campaign(sl_ctl_t *ctl, int argc, char **argv);
/* `report build …` (argv[0] "build") and `case typical NO …` (argv[0]
 * "typical"), cmd_report.c. */
int sl_ctl_report_build(sl_ctl_t *ctl, int argc, char **argv);
int sl_ctl_case_typical(sl_ctl_t *ctl, int argc, char **argv);
/* Attaches FILES (the draft's [{"name", "path"}], paths relative to JSON_PATH's
 * directory) to the WeeklyReport or MonthlyReport M as ReportFile bytes while
 * the encoded report stays under BUDGET bytes; a file that does not fit is
 * left out and said so on stdout. Exits 2 if a file cannot be read. */
struct ProtobufCMessage;
struct json_t;
void sl_ctl_report_attach(struct ProtobufCMessage *m, struct json_t *files, const char *json_path,
                          size_t budget);
int sl_ctl_ledger(sl_ctl_t *ctl, int argc, char **argv);
int sl_ctl_supervision(sl_ctl_t *ctl, int argc, char **argv);
int sl_ctl_publish(sl_ctl_t *ctl, int argc, char **argv);
/* `slctl case public-summary NO --text T` (argv[0] is "public-summary"). */
int sl_ctl_case_public_summary(sl_ctl_t *ctl, int argc, char **argv);
/* `slctl case typical NO --positive --text T`: a positive example (选树提升)
 * of case CASE_NO in the office's words, a PublicNote through intake. */
int sl_ctl_case_positive(sl_ctl_t *ctl, const char *case_no, const char *text,
                         const char *operator_name);
int sl_ctl_appraise(sl_ctl_t *ctl, int argc, char **argv);
/* `case verify` and `case supervise` (WHAT), argv[0] being WHAT (cmd_closing.c). */
int sl_ctl_case_decide(sl_ctl_t *ctl, const char *what, int argc, char **argv);
int sl_ctl_link(sl_ctl_t *ctl, int argc, char **argv);
/* The registers (cmd_register.c): inspections, spot checks, the 约谈问责 list,
 * accidents, officials and tracing through them. */
int sl_ctl_inspection(sl_ctl_t *ctl, int argc, char **argv);
int sl_ctl_spotcheck(sl_ctl_t *ctl, int argc, char **argv);
int sl_ctl_interview(sl_ctl_t *ctl, int argc, char **argv);
int sl_ctl_accident(sl_ctl_t *ctl, int argc, char **argv);
int sl_ctl_official(sl_ctl_t *ctl, int argc, char **argv);
int sl_ctl_trace(sl_ctl_t *ctl, int argc, char **argv);
int sl_ctl_finding(sl_ctl_t *ctl, int argc, char **argv);
int sl_ctl_liaison(sl_ctl_t *ctl, int argc, char **argv);
int sl_ctl_commitment(sl_ctl_t *ctl, int argc, char **argv);
int sl_ctl_plan(sl_ctl_t *ctl, int argc, char **argv);
/* `slctl transfer KIND …` answers (receipt, objection, progress, feedback,
 * decide): argv[0] is KIND; returns the exit code. */
int sl_ctl_transfer_answer(sl_ctl_t *ctl, const char *kind, int argc, char **argv);
/* `slctl case KIND-up CASE_NO …`: this node's answer KIND for the upper
 * transfer case CASE_NO came from (from_unit = this node). */
int sl_ctl_case_up(sl_ctl_t *ctl, const char *kind, int argc, char **argv);

/* Sends an encoded envelope to ENDPOINT (NULL: the config's [intake] ipc, else
 * [intake] endpoint), resending until an Ack or TIMEOUT seconds; prints the
 * result line and returns the exit code (0 accepted/duplicate, 3, 4). */
int sl_ctl_send(sl_ctl_t *ctl, const char *endpoint, const void *env, size_t len,
                const char *msg_id, double timeout);

#endif
