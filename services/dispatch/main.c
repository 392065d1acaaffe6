/* main.c — sl-dispatch: the node's egress and the work that time starts;
 * argument parsing, config and the loop are sl_daemon_main's, the scanner is
 * dispatch.c.
 *
 * Exit codes: 0 after SIGTERM/SIGINT once the scan in flight has stopped (at
 * its next step: a list being formed is rolled back, announcements end
 * after the current chunk), 1 when it cannot start (database, sockets), 2
 * for bad arguments or a bad config. */
#include "dispatch.h"

#include "sl_daemon.h"

static void *
s_start(const sl_config_t *cfg, uv_loop_t *loop, sl_service_t *svc)
{
    return sl_dispatch_new(cfg, loop, svc);
}

static void
s_drain(void *server, void (*done)(void *), void *arg)
{
    sl_dispatch_drain(server, done, arg);
}

static void
s_destroy(void *server)
{
    sl_dispatch_t *d = server;
    sl_dispatch_destroy(&d);
}

int
main(int argc, char **argv)
{
    static const sl_daemon_def_t def = {
        .name = "sl-dispatch",
        .section = "dispatch",
        .about =
            "Forms the transfer lists (交办清单) on the [dispatch] schedule (start_date,\n"
            "interval_days, time_of_day; interval 0: as soon as cases are registered), issues\n"
            "each transfer with its notice number and deadlines, and announces transfers not\n"
            "yet signed for as transfer.issued events on [dispatch] events, at once and again\n"
            "every [dispatch] announce_again_seconds (scans every scan_seconds). Sends the outbox "
            "to the parent ([parent]) and each\n"
            "child ([child.CODE]) over a CURVE link per peer: a window of [dispatch] window\n"
            "envelopes, delivered only on the peer's ack, resent after ack_timeout_ms, backing\n"
            "off from retry_min_ms to retry_max_ms; refused rows are parked (slctl link parked).\n"
            "Reporters are re-sealed for the receiving node ([keys] seal_secret, the peer's\n"
            "seal_public). Serves /metrics and /healthz on [dispatch] http.",
        .ready = "scanning",
        .draining = "stopping the scan in flight",
        .start = s_start,
        .drain = s_drain,
        .destroy = s_destroy,
    };
    return sl_daemon_main(&def, argc, argv);
}
