/* main.c — sl-appraise: the monthly appraisal; argument parsing, config and
 * the loop are sl_daemon_main's, the checks are appraise.c.
 *
 * Exit codes: 0 after SIGTERM/SIGINT once the check in flight has finished,
 * 1 when it cannot start (database, sockets), 2 for bad arguments or a bad
 * config. */
#include "appraise.h"

#include "sl_daemon.h"

static void *
s_start(const sl_config_t *cfg, uv_loop_t *loop, sl_service_t *svc)
{
    return sl_appraiser_new(cfg, loop, svc);
}

static void
s_drain(void *server, void (*done)(void *), void *arg)
{
    sl_appraiser_drain(server, done, arg);
}

static void
s_destroy(void *server)
{
    sl_appraiser_t *d = server;
    sl_appraiser_destroy(&d);
}

int
main(int argc, char **argv)
{
    static const sl_daemon_def_t def = {
        .name = "sl-appraise",
        .section = "appraise",
        .about = "The monthly appraisal (四考核) of the governments one level down: every\n"
                 "[appraise] check_seconds, each month that has ended without a run is scored\n"
                 "from the ledger as of its end under [appraise] rules and stored\n"
                 "(appraisal.computed); runs approved with `slctl appraise approve` are\n"
                 "published (appraisal.published). Events on [appraise] events; /metrics and\n"
                 "/healthz on [appraise] http.",
        .ready = "checking",
        .draining = "finishing the check in flight",
        .start = s_start,
        .drain = s_drain,
        .destroy = s_destroy,
    };
    return sl_daemon_main(&def, argc, argv);
}
