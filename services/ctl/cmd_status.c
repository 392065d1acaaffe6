/* cmd_status.c — `slctl status`: the node's queue health on one screen.
 *
 * Exit codes (documented in --help): 0 all well, 1 warnings, 2 something needs
 * a person — the database unreachable, a daemon down, a link down with a
 * backlog. --json prints the same figures as one JSON object; --watch N
 * redraws every N seconds (exit on Ctrl-C). */
#include "slctl.h"

#include "sl_clock.h"
#include "sl_service.h"
#include "sl_status.h"
#include "sl_util.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char s_usage[] =
    "usage: slctl status [--json] [--watch SECONDS] [--no-probe]\n"
    "  per daemon: up, version, last heartbeat, /healthz; per link: backlog, oldest, connected;\n"
    "  dead letters in the last hour; overdue transfers; calendar warnings\n"
    "exit: 0 all well, 1 warnings, 2 something needs a person (database unreachable,\n"
    "  a daemon down, a link down with a backlog)\n";

static volatile sig_atomic_t s_stop;

static void
s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

int
sl_ctl_status(sl_ctl_t *ctl, int argc, char **argv)
{
    bool json = false, probe = true;
    double watch = 0;
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
                                         {"watch", required_argument, NULL, 'w'},
                                         {"no-probe", no_argument, NULL, 'n'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case 'j':
            json = true;
            break;
        case 'w':
            watch = atof(optarg);
            if (watch <= 0)
                sl_ctl_die(SL_EXIT_USAGE, "--watch takes a number of seconds");
            break;
        case 'n':
            probe = false;
            break;
        case 'h':
            fputs(s_usage, stdout);
            return SL_EXIT_OK;
        default:
            fputs(s_usage, stderr);
            return SL_EXIT_USAGE;
        }
    }
    if (optind < argc)
        sl_ctl_die(SL_EXIT_USAGE, "status: unexpected argument \"%s\"", argv[optind]);
    sl_config_t *cfg = sl_ctl_config(ctl);
    /* Not sl_ctl_db: an unreachable database is a status, not a failure. */
    char *conninfo = sl_service_role_conninfo(cfg, "ctl");
    sl_db_t *db = sl_db_new(conninfo);
    free(conninfo);
    signal(SIGINT, s_on_signal);
    signal(SIGTERM, s_on_signal);
    int level;
    do {
        sl_db_connect(db);
        json_t *st = sl_status_gather(db, sl_config_node(cfg), sl_now_ms(), probe);
        level = (int)json_integer_value(json_object_get(st, "level"));
        if (watch > 0 && !json)
            fputs("\033[H\033[2J", stdout);
        if (json) {
            char *text = json_dumps(st, JSON_INDENT(2));
            puts(text);
            free(text);
        } else {
            char *text = sl_status_text(st);
            fputs(text, stdout);
            free(text);
        }
        fflush(stdout);
        json_decref(st);
        for (double t = 0; watch > 0 && t < watch && !s_stop; t += 0.1)
            usleep(100000);
    } while (watch > 0 && !s_stop);
    sl_db_destroy(&db);
    return level;
}
