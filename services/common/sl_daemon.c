/* sl_daemon.c — signals on the loop, sd_notify, the systemd watchdog.
 *
 * sd_notify is a no-op outside systemd (no NOTIFY_SOCKET), so daemons call it
 * unconditionally. The watchdog timer is unreferenced: it keeps pinging while
 * the loop turns but does not keep a finished loop alive; likewise the signal
 * handles. */
#include "sl_daemon.h"

#include "sl_log.h"
#include "sl_util.h"

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
