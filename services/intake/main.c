/* main.c — sl-intake: the node's only ingress; argument parsing, config and
 * the loop are sl_daemon_main's, the server is intake.c.
 *
 * Exit codes: 0 after SIGTERM/SIGINT once in-flight envelopes are answered,
 * 1 when it cannot start (database, keys, sockets), 2 for bad arguments or a
 * bad config. */
#include "intake.h"

#include "sl_daemon.h"

static void *
s_start(const sl_config_t *cfg, uv_loop_t *loop, sl_service_t *svc)
{
    return sl_intake_new(cfg, loop, svc);
}

static void
s_drain(void *server, void (*done)(void *), void *arg)
{
    sl_intake_drain(server, done, arg);
}

static void
s_destroy(void *server)
{
    sl_intake_t *in = server;
    sl_intake_destroy(&in);
}

int
main(int argc, char **argv)
{
    static const sl_daemon_def_t def = {
        .name = "sl-intake",
        .section = "intake",
        .about = "The node's only ingress: takes Envelopes on a ZeroMQ ROUTER over TCP ([intake]\n"
                 "endpoint, CURVE) and over the node's ipc endpoint ([intake] ipc), stores and\n"
                 "applies them in one transaction per batch, and answers each with an Ack after\n"
                 "the commit. Serves /metrics, /healthz and the status page (/status) on [intake]\n"
                 "http; publishes events on [intake] events.",
        .ready = "serving",
        .draining = "finishing in-flight envelopes",
        .start = s_start,
        .drain = s_drain,
        .destroy = s_destroy,
    };
    return sl_daemon_main(&def, argc, argv);
}
