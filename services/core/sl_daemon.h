/* sl_daemon.h — what every daemon's main loop shares: signals, systemd, teardown.
 *
 * SIGTERM and SIGINT are handled on the loop (uv_signal): the first one marks
 * the daemon stopping, tells systemd STOPPING=1 and calls the daemon's stop
 * callback, which finishes in-flight work and then calls sl_daemon_exit (a
 * second signal exits at once). sd_notify carries READY=1 and STATUS=; when
 * systemd's watchdog is on, a timer at half its interval sends WATCHDOG=1 for
 * as long as the loop turns. SIGPIPE is ignored. */
#ifndef SL_DAEMON_H
#define SL_DAEMON_H

#include <stdbool.h>
#include "sl_config.h"
#include "sl_service.h"

#include <uv.h>

typedef struct sl_daemon sl_daemon_t;

/* Called on the loop once, at the first SIGTERM/SIGINT (SIGNUM). The daemon
 * stops taking new work, finishes what is in flight and calls sl_daemon_exit
 * (at once or later). NULL: sl_daemon_exit is called directly. */
typedef void(sl_daemon_stop_cb)(sl_daemon_t *d, int signum, void *arg);

/* Installs the signal handlers and the watchdog timer on LOOP and ignores
 * SIGPIPE. NULL on failure (logged). */
sl_daemon_t *sl_daemon_new(uv_loop_t *loop, sl_daemon_stop_cb *on_stop, void *arg);
/* Closes its handles (asynchronously: run the loop afterwards, e.g. with
 * sl_loop_close). Accepts *p == NULL; sets *p to NULL. */
void sl_daemon_destroy(sl_daemon_t **p);

/* Tells systemd READY=1 with STATUS (may be NULL). */
void sl_daemon_ready(sl_daemon_t *d, const char *status);
/* Tells systemd STATUS=TEXT (shown by systemctl status). */
void sl_daemon_status(sl_daemon_t *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* True once a stop signal arrived (or sl_daemon_exit was called). */
bool sl_daemon_stopping(const sl_daemon_t *d);
/* Makes the loop return (uv_stop): the daemon's work is done. Tells systemd
 * STOPPING=1 if not yet told. */
void sl_daemon_exit(sl_daemon_t *d);
/* The watchdog interval in microseconds systemd asked for, 0 if none. */
unsigned long long sl_daemon_watchdog_usec(const sl_daemon_t *d);

/* Closes LOOP after every handle on it was closed: runs the loop until the
 * pending close callbacks are done. Handles still open are logged and closed.
 * Returns 0, or -1 if the loop would not close. */
int sl_loop_close(uv_loop_t *loop);

/* What a daemon's main() hands to sl_daemon_main: its name, its help text and
 * its server's lifecycle. The server is an opaque pointer of the daemon's;
 * it is started with the daemon's sl_service (borrowed: metrics, bus, HTTP,
 * events, the database's state), which sl_daemon_main makes before and
 * frees after it. */
typedef struct {
    const char *name;     /* "sl-intake" */
    const char *section;  /* its config section, "intake" (for --help) */
    const char *about;    /* a paragraph for --help: what it does, what it serves */
    const char *ready;    /* systemd STATUS= once serving, e.g. "serving" */
    const char *draining; /* logged at SIGTERM, e.g. "finishing in-flight envelopes" */
    void *(*start)(const sl_config_t *cfg, uv_loop_t *loop,
                   sl_service_t *svc); /* NULL: could not start */
    void (*drain)(void *server, void (*done)(void *), void *arg);
    void (*destroy)(void *server);
} sl_daemon_def_t;

#define SL_DAEMON_WAIT_DB_MS 60000 /* how long a starting daemon waits for the database */

/* The whole main() of a daemon: parses -c NODE.ini, --instance N, --log-level,
 * --help, --version; loads the config (exit 2 naming file, line and key);
 * makes the service for DEF->section and waits for the database (up to
 * SL_DAEMON_WAIT_DB_MS, then exit 1; a stop signal meanwhile exits 0 at
 * once); starts the server, then HTTP and the
 * heartbeat; runs the loop until SIGTERM/SIGINT, drains, stops.
 * Returns the exit code: 0 stopped cleanly, 1 could not start, 2 bad
 * arguments or config. */
int sl_daemon_main(const sl_daemon_def_t *def, int argc, char **argv);

#endif
