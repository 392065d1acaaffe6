/* main.c — sl-dispatch: parse arguments, load the config, run the scanner.
 *
 * Exit codes: 0 after SIGTERM/SIGINT once the scan in flight has finished,
 * 1 when it cannot start (database, sockets), 2 for bad arguments or a bad
 * config. */
#include "dispatch.h"

#include "sl_clock.h"
#include "sl_daemon.h"
#include "sl_db.h"
#include "sl_log.h"
#include "sl_util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

static const char s_usage[] =
    "usage: sl-dispatch -c NODE.ini [--instance N] [--log-level LEVEL]\n"
    "\n"
    "Forms the transfer lists (交办清单) on the [dispatch] schedule (start_date,\n"
    "interval_days, time_of_day; interval 0: as soon as cases are registered), issues\n"
    "each transfer with its notice number and deadlines, and announces transfers not\n"
    "yet signed for as transfer.issued events on [dispatch] events, on every scan\n"
    "([dispatch] scan_seconds). Sends the outbox to the parent ([parent]) and each\n"
    "child ([child.CODE]) over a CURVE link per peer: a window of [dispatch] window\n"
    "envelopes, delivered only on the peer's ack, resent after ack_timeout_ms, backing\n"
    "off from retry_min_ms to retry_max_ms; refused rows are parked (slctl link parked).\n"
    "Reporters are re-sealed for the receiving node ([keys] seal_secret, the peer's\n"
    "seal_public). Serves /metrics and /healthz on [dispatch] http.\n"
    "\n"
    "  -c, --config FILE    the node's INI file (see deploy/example-node.ini)\n"
    "      --instance N     run as instance N: reads [dispatch.N] before [dispatch]\n"
    "      --log-level L    debug, info, warn or error (default: [log] level)\n"
    "  -h, --help           this text\n"
    "      --version        the version and the schema version it needs\n"
    "\n"
    "Exit: 0 stopped by SIGTERM/SIGINT, 1 could not start, 2 bad arguments or config.\n"
    "SL_NOW=2022-01-28T09:00:00+08:00 pins the clock's start (drills, tests).\n";

typedef struct {
    sl_daemon_t *daemon;
    sl_dispatch_t *dispatch;
} s_main_t;

static void
s_drained(void *arg)
{
    s_main_t *m = arg;
    sl_daemon_exit(m->daemon);
}

static void
s_on_stop(sl_daemon_t *d, int signum, void *arg)
{
    (void)d;
    s_main_t *m = arg;
    sl_log(SL_LOG_INFO, "signal %d: finishing the scan in flight", signum);
    sl_dispatch_drain(m->dispatch, s_drained, m);
}

int
main(int argc, char **argv)
{
    const char *config = NULL;
    int instance = 1, level = -1;
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"instance", required_argument, NULL, 'i'},
        {"log-level", required_argument, NULL, 'l'}, {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'}, {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            config = optarg;
            break;
        case 'i':
            instance = atoi(optarg);
            break;
        case 'l':
            if ((level = sl_log_level_parse(optarg)) < 0) {
                fprintf(stderr, "sl-dispatch: --log-level takes debug, info, warn or error\n");
                return 2;
            }
            break;
        case 'h':
            fputs(s_usage, stdout);
            return 0;
        case 'V':
            printf("sl-dispatch %s (schema %d)\n", SL_VERSION, sl_schema_latest());
            return 0;
        default:
            fputs(s_usage, stderr);
            return 2;
        }
    }
    if (!config || optind < argc || instance < 1) {
        fputs(s_usage, stderr);
        return 2;
    }
    if (sl_clock_init() != 0)
        return 2;
    char *err = NULL;
    sl_config_t *cfg = sl_config_load(config, instance, &err);
    if (!cfg) {
        fprintf(stderr, "sl-dispatch: %s\n", err);
        free(err);
        return 2;
    }
    sl_log_init(instance > 1 ? "sl-dispatch.2" : "sl-dispatch", sl_config_node(cfg));
    if (instance > 2) {
        char name[32];
        snprintf(name, sizeof name, "sl-dispatch.%d", instance);
        sl_log_init(name, sl_config_node(cfg));
    }
    sl_log_set_level(level >= 0 ? level : (int)sl_config_int(cfg, "log", "level"));

    uv_loop_t loop;
    uv_loop_init(&loop);
    s_main_t m = {0};
    int rc = 1;
    if (!(m.daemon = sl_daemon_new(&loop, s_on_stop, &m)))
        goto done;
    if (!(m.dispatch = sl_dispatch_new(cfg, &loop)))
        goto done;
    sl_daemon_ready(m.daemon, "scanning");
    uv_run(&loop, UV_RUN_DEFAULT);
    sl_log(SL_LOG_INFO, "stopped");
    rc = 0;
done:
    sl_dispatch_destroy(&m.dispatch);
    sl_daemon_destroy(&m.daemon);
    sl_loop_close(&loop);
    sl_config_destroy(&cfg);
    return rc;
}
