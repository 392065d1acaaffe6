/* main.c — sl-deadline: every clock of the campaign; argument parsing, config
 * and the loop are sl_daemon_main's, the ticks are deadline.c.
 *
 * Exit codes: 0 after SIGTERM/SIGINT once the tick in flight has finished,
 * 1 when it cannot start (database, sockets), 2 for bad arguments or a bad
 * config. */
#include "deadline.h"

#include "sl_daemon.h"

static void *
s_start(const sl_config_t *cfg, uv_loop_t *loop, sl_service_t *svc)
{
    return sl_deadline_new(cfg, loop, svc);
}

static void
s_drain(void *server, void (*done)(void *), void *arg)
{
    sl_deadline_drain(server, done, arg);
}

static void
s_destroy(void *server)
{
    sl_deadline_t *d = server;
    sl_deadline_destroy(&d);
}

int
main(int argc, char **argv)
{
    static const sl_daemon_def_t def = {
        .name = "sl-deadline",
        .section = "deadline",
        .about = "Watches every clock of the node ([deadline] tick_seconds): the objection window\n"
                 "(closed: the transfer stands accepted), the reminder one working day before the\n"
                 "feedback deadline (deadline.reminder), overdue (deadline.overdue), accepted but\n"
                 "not handled ([deadline] not_handled_days working days without progress or\n"
                 "feedback); raises each escalation (提级核查) once — a verification case here when\n"
                 "the receiver is a child node, an Escalation to the parent through the outbox when\n"
                 "it is one of this node's units, the supervision list at the top (case.escalated);\n"
                 "notes reports missing when due (report.missing) and campaign phase boundaries\n"
                 "(campaign.phase). Events on [deadline] events; /metrics and /healthz on\n"
                 "[deadline] http.",
        .ready = "ticking",
        .draining = "finishing the tick in flight",
        .start = s_start,
        .drain = s_drain,
        .destroy = s_destroy,
    };
    return sl_daemon_main(&def, argc, argv);
}
