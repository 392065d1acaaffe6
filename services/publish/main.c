/* main.c — sl-publish: 三公开; argument parsing, config and the loop are
 * sl_daemon_main's, the work is publish.c.
 *
 * Exit codes: 0 after SIGTERM/SIGINT once the tick in flight has finished,
 * 1 when it cannot start (database, sockets, templates), 2 for bad arguments
 * or a bad config. */
#include "publish.h"

#include "sl_daemon.h"

static void *
s_start(const sl_config_t *cfg, uv_loop_t *loop, sl_service_t *svc)
{
    return sl_publish_new(cfg, loop, svc);
}

static void
s_drain(void *server, void (*done)(void *), void *arg)
{
    sl_publish_drain(server, done, arg);
}

static void
s_destroy(void *server)
{
    sl_publish_t *p = server;
    sl_publish_destroy(&p);
}

int
main(int argc, char **argv)
{
    static const sl_daemon_def_t def = {
        .name = "sl-publish",
        .section = "publish",
        .about =
            "三公开: drafts the transfer list (daily at city and county, [publish] time_of_day;\n"
            "weekly at the province), the weekly progress and the results as soon as a case is\n"
            "销号, from the pub_* views only, as the role [publish] db_user; the office approves\n"
            "each draft (slctl publish approve ID --by NAME) unless its kind is in\n"
            "[publish] auto_approve; writes the public site into [publish] site_dir (HTML, JSON,\n"
            "CSV, Atom, WeChat text) atomically and serves it (/site/) with the drafts'\n"
            "preview (/preview/ID) on [publish] http, the node's admin address. Events\n"
            "publication.drafted and publication.issued on [publish] events.",
        .ready = "publishing",
        .draining = "finishing the tick in flight",
        .start = s_start,
        .drain = s_drain,
        .destroy = s_destroy,
    };
    return sl_daemon_main(&def, argc, argv);
}
