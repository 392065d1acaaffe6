/* sl_daemon.c — signals on the loop, sd_notify, the systemd watchdog.
 *
 * sd_notify is a no-op outside systemd (no NOTIFY_SOCKET), so daemons call it
 * unconditionally. The watchdog timer is unreferenced: it keeps pinging while
 * the loop turns but does not keep a finished loop alive; likewise the signal
 * handles. */
#include "sl_daemon.h"

#include "sl_clock.h"
#include "sl_db.h"
#include "sl_log.h"
#include "sl_util.h"

#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>

struct sl_daemon {
    uv_loop_t *loop;            /* the daemon's loop; borrowed */
    uv_signal_t sigterm;        /* SIGTERM handler */
    uv_signal_t sigint;         /* SIGINT handler */
    uv_timer_t watchdog;        /* sends WATCHDOG=1, if systemd asks */
    int handles;                /* handles not yet closed */
    unsigned long long wd_usec; /* watchdog interval, 0 if off */
    bool stopping;              /* a stop signal arrived */
    bool told_stopping;         /* STOPPING=1 sent */
    bool exited;                /* sl_daemon_exit called */
    sl_daemon_stop_cb *on_stop; /* the daemon's stop callback */
    void *arg;                  /* its argument */
};

static void
s_on_watchdog(uv_timer_t *t)
{
    (void)t;
    sd_notify(0, "WATCHDOG=1");
}

static void
s_on_signal(uv_signal_t *h, int signum)
{
    sl_daemon_t *d = h->data;
    if (d->stopping) {
        sl_log(SL_LOG_WARN, "signal=%d second stop signal, exiting now", signum);
        sl_daemon_exit(d);
        return;
    }
    sl_log(SL_LOG_INFO, "signal=%d stopping", signum);
    d->stopping = true;
    d->told_stopping = true;
    sd_notify(0, "STOPPING=1");
    if (d->on_stop)
        d->on_stop(d, signum, d->arg);
    else
        sl_daemon_exit(d);
}

sl_daemon_t *
sl_daemon_new(uv_loop_t *loop, sl_daemon_stop_cb *on_stop, void *arg)
{
    signal(SIGPIPE, SIG_IGN);
    sl_daemon_t *d = sl_calloc(1, sizeof *d);
    d->loop = loop;
    d->on_stop = on_stop;
    d->arg = arg;
    uv_signal_init(loop, &d->sigterm);
    uv_signal_init(loop, &d->sigint);
    uv_timer_init(loop, &d->watchdog);
    d->sigterm.data = d->sigint.data = d->watchdog.data = d;
    d->handles = 3;
    int rc = uv_signal_start(&d->sigterm, s_on_signal, SIGTERM);
    if (rc == 0)
        rc = uv_signal_start(&d->sigint, s_on_signal, SIGINT);
    if (rc != 0) {
        sl_log(SL_LOG_ERROR, "could not handle stop signals: %s", uv_strerror(rc));
        sl_daemon_destroy(&d);
        return NULL;
    }
    uv_unref((uv_handle_t *)&d->sigterm);
    uv_unref((uv_handle_t *)&d->sigint);
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
        d->wd_usec = usec;
        uint64_t ms = usec / 2000;
        uv_timer_start(&d->watchdog, s_on_watchdog, ms ? ms : 1, ms ? ms : 1);
        uv_unref((uv_handle_t *)&d->watchdog);
        sl_log(SL_LOG_INFO, "interval_ms=%llu systemd watchdog on",
               (unsigned long long)(usec / 1000));
    }
    return d;
}

static void
s_on_close(uv_handle_t *h)
{
    sl_daemon_t *d = h->data;
    if (--d->handles == 0)
        free(d);
}

void
sl_daemon_destroy(sl_daemon_t **p)
{
    sl_daemon_t *d = *p;
    if (!d)
        return;
    *p = NULL;
    uv_close((uv_handle_t *)&d->sigterm, s_on_close);
    uv_close((uv_handle_t *)&d->sigint, s_on_close);
    uv_close((uv_handle_t *)&d->watchdog, s_on_close);
}

void
sl_daemon_ready(sl_daemon_t *d, const char *status)
{
    (void)d;
    if (status)
        sd_notifyf(0, "READY=1\nSTATUS=%s", status);
    else
        sd_notify(0, "READY=1");
}

void
sl_daemon_status(sl_daemon_t *d, const char *fmt, ...)
{
    (void)d;
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    sd_notifyf(0, "STATUS=%s", text);
}

bool
sl_daemon_stopping(const sl_daemon_t *d)
{
    return d->stopping || d->exited;
}

void
sl_daemon_exit(sl_daemon_t *d)
{
    d->exited = true;
    if (!d->told_stopping) {
        d->told_stopping = true;
        sd_notify(0, "STOPPING=1");
    }
    uv_stop(d->loop);
}

unsigned long long
sl_daemon_watchdog_usec(const sl_daemon_t *d)
{
    return d->wd_usec;
}

static void
s_walk_close(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (uv_is_closing(h))
        return;
    sl_log(SL_LOG_WARN, "type=%s handle still open at exit, closing it",
           uv_handle_type_name(uv_handle_get_type(h)));
    uv_close(h, NULL);
}

int
sl_loop_close(uv_loop_t *loop)
{
    uv_run(loop, UV_RUN_NOWAIT);
    if (uv_loop_close(loop) == 0)
        return 0;
    uv_walk(loop, s_walk_close, NULL);
    for (int i = 0; i < 100 && uv_loop_alive(loop); i++)
        uv_run(loop, UV_RUN_NOWAIT);
    uv_run(loop, UV_RUN_NOWAIT);
    if (uv_loop_close(loop) != 0) {
        sl_log(SL_LOG_ERROR, "could not close the event loop: handles still busy");
        return -1;
    }
    return 0;
}

/* --- a daemon's main ------------------------------------------------------ */

typedef struct {
    const sl_daemon_def_t *def;
    sl_daemon_t *daemon;
    sl_service_t *svc;
    void *server;
} s_main_t;

static void
s_drained(void *arg)
{
    s_main_t *m = arg;
    sl_daemon_exit(m->daemon);
}

static bool
s_main_stopping(void *arg)
{
    return sl_daemon_stopping(((s_main_t *)arg)->daemon);
}

static void
s_main_stop(sl_daemon_t *d, int signum, void *arg)
{
    s_main_t *m = arg;
    if (!m->server) { /* still waiting for the database: nothing to drain */
        sl_daemon_exit(d);
        return;
    }
    sl_log(SL_LOG_INFO, "signal %d: %s", signum, m->def->draining);
    m->def->drain(m->server, s_drained, m);
}

static void
s_main_usage(const sl_daemon_def_t *def, FILE *f)
{
    fprintf(f,
            "usage: %s -c NODE.ini [--instance N] [--log-level LEVEL]\n\n%s\n\n"
            "  -c, --config FILE    the node's INI file (see deploy/example-node.ini)\n"
            "      --instance N     run as instance N: reads [%s.N] before [%s]\n"
            "      --log-level L    debug, info, warn or error (default: [log] level)\n"
            "  -h, --help           this text\n"
            "      --version        the version and the schema version it needs\n\n"
            "Exit: 0 stopped by SIGTERM/SIGINT, 1 could not start, 2 bad arguments or config.\n"
            "Logs are logfmt lines on stderr. SL_NOW=2022-01-28T09:00:00+08:00 pins the clock's\n"
            "start (drills, tests).\n",
            def->name, def->about, def->section, def->section);
}

/* glibc's allocator for a long-running daemon: two arenas for all threads
 * (one per thread that ever allocated, by default, each keeping its free
 * pages), and a fixed mmap threshold (the dynamic one rises after a large
 * free, so later large buffers — a batch's results — come from the heap and
 * fragment it). With malloc_trim at each heartbeat (sl_service) resident
 * memory stays flat under the fault run (issue 22). */
static void
s_malloc_tune(void)
{
    mallopt(M_ARENA_MAX, 2);
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
}

int
sl_daemon_main(const sl_daemon_def_t *def, int argc, char **argv)
{
    s_malloc_tune();
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
                fprintf(stderr, "%s: --log-level takes debug, info, warn or error\n", def->name);
                return 2;
            }
            break;
        case 'h':
            s_main_usage(def, stdout);
            return 0;
        case 'V':
            printf("%s %s (schema %d)\n", def->name, SL_VERSION, sl_schema_latest());
            return 0;
        default:
            s_main_usage(def, stderr);
            return 2;
        }
    }
    if (!config || optind < argc || instance < 1) {
        s_main_usage(def, stderr);
        return 2;
    }
    if (sl_clock_init() != 0)
        return 2;
    char *err = NULL;
    sl_config_t *cfg = sl_config_load(config, instance, &err);
    if (!cfg) {
        fprintf(stderr, "%s: %s\n", def->name, err);
        free(err);
        return 2;
    }
    char name[48];
    if (instance > 1)
        snprintf(name, sizeof name, "%s.%d", def->name, instance);
    else
        snprintf(name, sizeof name, "%s", def->name);
    sl_log_init(name, sl_config_node(cfg));
    sl_log_set_level(level >= 0 ? level : (int)sl_config_int(cfg, "log", "level"));

    uv_loop_t loop;
    uv_loop_init(&loop);
    s_main_t m = {.def = def};
    int rc = 1;
    if (!(m.daemon = sl_daemon_new(&loop, s_main_stop, &m)))
        goto done;
    if (!(m.svc = sl_service_new(cfg, &loop, def->section)))
        goto done;
    int waited = sl_service_wait_db(m.svc, SL_DAEMON_WAIT_DB_MS, s_main_stopping, &m);
    if (waited == 1) /* a stop signal while the database was away: a clean stop */
        rc = 0;
    if (waited != 0)
        goto done;
    if (!(m.server = def->start(cfg, &loop, m.svc)) || sl_service_start(m.svc) != 0)
        goto done;
    sl_daemon_ready(m.daemon, def->ready);
    uv_run(&loop, UV_RUN_DEFAULT);
    sl_log(SL_LOG_INFO, "stopped");
    rc = 0;
done:
    if (m.svc)
        sl_service_stop(m.svc); /* no HTTP route or periodic run reaches the server now */
    if (m.server)
        def->destroy(m.server);
    sl_service_destroy(&m.svc);
    sl_daemon_destroy(&m.daemon);
    sl_loop_close(&loop);
    sl_config_destroy(&cfg);
    return rc;
}
