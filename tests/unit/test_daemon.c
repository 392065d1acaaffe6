/* test_daemon.c — sl_daemon: stop signals on the loop, sd_notify, the watchdog.
 *
 * systemd is played by a datagram socket named in NOTIFY_SOCKET, as sd_notify
 * expects; WATCHDOG_USEC/WATCHDOG_PID turn the watchdog on. The signal is a
 * real SIGTERM sent to this process. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sl_daemon.h"
#include "sl_util.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

typedef struct {
    uv_loop_t loop;  /* the daemon's loop */
    uv_timer_t work; /* stands for in-flight work finishing */
    uv_timer_t kick; /* sends the signal */
    sl_daemon_t *d;  /* under test */
    int stop_calls;  /* stop callback runs */
    int signum;      /* the signal it saw */
    bool work_done;  /* in-flight work finished before the loop returned */
} app_t;

/* Reads every datagram systemd would have received, joined by '|'. */
static void
s_drain(int fd, sl_buf_t *out)
{
    char buf[1024];
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 0) <= 0)
            break;
        ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
        if (n <= 0)
            break;
        buf[n] = '\0';
        sl_buf_printf(out, "%s|", buf);
    }
}

static void
s_on_work_done(uv_timer_t *t)
{
    app_t *a = t->data;
    a->work_done = true;
    sl_daemon_exit(a->d);
}

static void
s_on_stop(sl_daemon_t *d, int signum, void *arg)
{
    app_t *a = arg;
    assert_true(sl_daemon_stopping(d));
    a->stop_calls++;
    a->signum = signum;
    /* finish in-flight work first, then leave the loop */
    uv_timer_start(&a->work, s_on_work_done, 50, 0);
}

static void
s_kick(uv_timer_t *t)
{
    (void)t;
    kill(getpid(), SIGTERM);
}

static void
test_daemon(void **state)
{
    (void)state;
    char dir[] = "/tmp/sl-daemon-XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    snprintf(un.sun_path, sizeof un.sun_path, "%s/notify", dir);
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&un, sizeof un), 0);
    setenv("NOTIFY_SOCKET", un.sun_path, 1);
    setenv("WATCHDOG_USEC", "100000", 1); /* 100 ms: pings every 50 ms */
    char pid[32];
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    setenv("WATCHDOG_PID", pid, 1);

    app_t a = {0};
    assert_int_equal(uv_loop_init(&a.loop), 0);
    uv_timer_init(&a.loop, &a.work);
    uv_timer_init(&a.loop, &a.kick);
    a.work.data = a.kick.data = &a;
    a.d = sl_daemon_new(&a.loop, s_on_stop, &a);
    assert_non_null(a.d);
    assert_int_equal(sl_daemon_watchdog_usec(a.d), 100000);
    assert_false(sl_daemon_stopping(a.d));
    sl_daemon_ready(a.d, "serving");
    sl_daemon_status(a.d, "%d envelopes", 7);

    /* Let the watchdog ping a few times, then SIGTERM. */
    uv_timer_start(&a.kick, s_kick, 300, 0);
    uv_run(&a.loop, UV_RUN_DEFAULT);
    assert_int_equal(a.stop_calls, 1);
    assert_int_equal(a.signum, SIGTERM);
    assert_true(a.work_done); /* uv_stop came only after the work */
    assert_true(sl_daemon_stopping(a.d));

    sl_buf_t got;
    sl_buf_init(&got);
    s_drain(fd, &got);
    assert_non_null(strstr(got.data, "READY=1\nSTATUS=serving|"));
    assert_non_null(strstr(got.data, "STATUS=7 envelopes|"));
    const char *wd = strstr(got.data, "WATCHDOG=1|");
    assert_non_null(wd);
    assert_non_null(strstr(wd + 1, "WATCHDOG=1|")); /* more than once */
    assert_non_null(strstr(got.data, "STOPPING=1|"));
    sl_buf_free(&got);

    /* SIGPIPE is ignored: writing to a closed pipe is EPIPE, not death. */
    int p[2];
    assert_int_equal(pipe(p), 0);
    close(p[0]);
    assert_int_equal(write(p[1], "x", 1), -1);
    close(p[1]);

    sl_daemon_destroy(&a.d);
    assert_null(a.d);
    uv_close((uv_handle_t *)&a.work, NULL);
    uv_close((uv_handle_t *)&a.kick, NULL);
    assert_int_equal(sl_loop_close(&a.loop), 0);
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
    close(fd);
    unlink(un.sun_path);
    rmdir(dir);
}

/* Without a stop callback the first signal leaves the loop at once; no
 * systemd (no NOTIFY_SOCKET) is fine. */
static void
s_kick_int(uv_timer_t *t)
{
    (void)t;
    kill(getpid(), SIGINT);
}

static void
test_daemon_plain(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    sl_daemon_t *d = sl_daemon_new(&loop, NULL, NULL);
    assert_non_null(d);
    assert_int_equal(sl_daemon_watchdog_usec(d), 0);
    sl_daemon_ready(d, NULL);
    uv_timer_t kick, hold;
    uv_timer_init(&loop, &kick);
    uv_timer_init(&loop, &hold);
    uv_timer_start(&kick, s_kick_int, 10, 0);
    uv_timer_start(&hold, s_kick_int, 10000, 0); /* keeps the loop alive */
    uint64_t t0 = uv_hrtime();
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_true(uv_hrtime() - t0 < 5000000000ull);
    assert_true(sl_daemon_stopping(d));
    sl_daemon_destroy(&d);
    uv_close((uv_handle_t *)&kick, NULL);
    uv_close((uv_handle_t *)&hold, NULL);
    assert_int_equal(sl_loop_close(&loop), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_daemon),
        cmocka_unit_test(test_daemon_plain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
