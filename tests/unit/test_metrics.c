/* test_metrics.c — sl_metrics and sl_http: the text format, checked by promtool,
 * and /metrics, /healthz and extra routes fetched over real HTTP.
 *
 * promtool (/usr/bin/promtool) must be installed: a missing tool fails the
 * test, it never skips. The HTTP client is a plain socket to 127.0.0.1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sl_http.h"
#include "sl_metrics.h"
#include "sl_util.h"

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROMTOOL "/usr/bin/promtool"

/* Pipes TEXT into `promtool check metrics`; returns its exit status. */
static int
s_promtool(const char *text)
{
    assert_int_equal(access(PROMTOOL, X_OK), 0);
    FILE *p = popen(PROMTOOL " check metrics", "w");
    assert_non_null(p);
    fputs(text, p);
    int st = pclose(p);
    assert_true(WIFEXITED(st));
    return WEXITSTATUS(st);
}

static void
s_fill(sl_metrics_t *m)
{
    sl_counter_t *acc = sl_metrics_counter(m, "sl_intake_envelopes_total",
                                           "Envelopes answered, by status.", "status=accepted");
    sl_counter_t *rej =
        sl_metrics_counter(m, "sl_intake_envelopes_total", "ignored", "status=rejected");
    sl_counter_add(acc, 41);
    sl_counter_inc(acc);
    sl_counter_inc(rej);
    /* the same name and labels give the same series */
    assert_ptr_equal(sl_metrics_counter(m, "sl_intake_envelopes_total", NULL, "status=accepted"),
                     acc);
    sl_counter_t *odd =
        sl_metrics_counter(m, "sl_odd_labels_total", "Help with a \\ backslash\nand a newline.",
                           "path=C:\\x,quote=say \"hi\",nl=a\nb");
    sl_counter_inc(odd);
    sl_gauge_t *g = sl_metrics_gauge(m, "sl_outbox_pending", "Outbox rows waiting.", NULL);
    sl_gauge_set(g, 12);
    sl_gauge_add(g, -2.5);
    assert_true(sl_gauge_value(g) == 9.5);
    sl_gauge_t *big = sl_metrics_gauge(m, "sl_bus_peers", "Connected peers.", "socket=intake");
    sl_gauge_set(big, 1e21);
    sl_histogram_t *h =
        sl_metrics_histogram(m, "sl_intake_commit_seconds", "Time to commit a batch.", "", NULL, 0);
    sl_histogram_observe(h, 0.003);
    sl_histogram_observe(h, 0.2);
    sl_histogram_observe(h, 100);
    double b[] = {1, 10, 100};
    sl_histogram_t *sz =
        sl_metrics_histogram(m, "sl_intake_batch_size", "Envelopes per batch.", "kind=tcp", b, 3);
    for (int i = 0; i < 50; i++)
        sl_histogram_observe(sz, i);
    assert_int_equal(sl_histogram_count(sz), 50);
}

static void
test_render_promtool(void **state)
{
    (void)state;
    sl_metrics_t *m = sl_metrics_new();
    s_fill(m);
    sl_buf_t b;
    sl_buf_init(&b);
    sl_metrics_render(m, &b);
    const char *t = b.data;
    /* one HELP/TYPE per family, series below it */
    assert_non_null(strstr(t, "# HELP sl_intake_envelopes_total Envelopes answered, by status.\n"
                              "# TYPE sl_intake_envelopes_total counter\n"
                              "sl_intake_envelopes_total{status=\"accepted\"} 42\n"
                              "sl_intake_envelopes_total{status=\"rejected\"} 1\n"));
    assert_non_null(
        strstr(t, "# HELP sl_odd_labels_total Help with a \\\\ backslash\\nand a newline.\n"));
    assert_non_null(strstr(
        t, "sl_odd_labels_total{path=\"C:\\\\x\",quote=\"say \\\"hi\\\"\",nl=\"a\\nb\"} 1\n"));
    assert_non_null(strstr(t, "# TYPE sl_outbox_pending gauge\nsl_outbox_pending 9.5\n"));
    assert_non_null(strstr(t, "sl_bus_peers{socket=\"intake\"} 1e+21\n"));
    /* histogram buckets are cumulative and end in +Inf = count */
    assert_non_null(strstr(t, "sl_intake_commit_seconds_bucket{le=\"0.005\"} 1\n"));
    assert_non_null(strstr(t, "sl_intake_commit_seconds_bucket{le=\"0.25\"} 2\n"));
    assert_non_null(strstr(t, "sl_intake_commit_seconds_bucket{le=\"10\"} 2\n"));
    assert_non_null(strstr(t, "sl_intake_commit_seconds_bucket{le=\"+Inf\"} 3\n"));
    assert_non_null(strstr(t, "sl_intake_commit_seconds_sum 100.203\n"));
    assert_non_null(strstr(t, "sl_intake_commit_seconds_count 3\n"));
    assert_non_null(strstr(t, "sl_intake_batch_size_bucket{kind=\"tcp\",le=\"1\"} 2\n"));
    assert_non_null(strstr(t, "sl_intake_batch_size_bucket{kind=\"tcp\",le=\"10\"} 11\n"));
    assert_non_null(strstr(t, "sl_intake_batch_size_bucket{kind=\"tcp\",le=\"+Inf\"} 50\n"));
    assert_non_null(strstr(t, "sl_intake_batch_size_sum{kind=\"tcp\"} 1225\n"));

    assert_int_equal(s_promtool(t), 0);
    /* and promtool does catch a broken exposition (the check is real) */
    assert_int_not_equal(s_promtool("# TYPE x counter\nx{a=\"1\" 1\n"), 0);
    sl_buf_free(&b);
    sl_metrics_destroy(&m);
    assert_null(m);

    /* an empty registry renders nothing and is valid */
    m = sl_metrics_new();
    sl_metrics_render(m, &b);
    assert_int_equal(b.len, 0);
    sl_metrics_destroy(&m);
    sl_buf_free(&b);
}

/* Counters and histograms stay exact under concurrent updates. */
typedef struct {
    sl_counter_t *c;
    sl_gauge_t *g;
    sl_histogram_t *h;
} hammer_t;

static void *
s_hammer(void *arg)
{
    hammer_t *x = arg;
    for (int i = 0; i < 100000; i++) {
        sl_counter_inc(x->c);
        sl_gauge_add(x->g, 1);
        if (i % 10 == 0)
            sl_histogram_observe(x->h, 0.01);
    }
    return NULL;
}

static void
test_threads(void **state)
{
    (void)state;
    sl_metrics_t *m = sl_metrics_new();
    hammer_t x = {sl_metrics_counter(m, "sl_t_total", "t", NULL),
                  sl_metrics_gauge(m, "sl_t_gauge", "t", NULL),
                  sl_metrics_histogram(m, "sl_t_seconds", "t", NULL, NULL, 0)};
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, s_hammer, &x), 0);
    sl_buf_t b;
    sl_buf_init(&b);
    for (int i = 0; i < 20; i++) { /* render while they write */
        sl_buf_reset(&b);
        sl_metrics_render(m, &b);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(sl_counter_value(x.c), 400000);
    assert_true(sl_gauge_value(x.g) == 400000.0);
    assert_int_equal(sl_histogram_count(x.h), 40000);
    sl_buf_free(&b);
    sl_metrics_destroy(&m);
}

/* --- HTTP ------------------------------------------------------------------- */

typedef struct {
    int status;      /* from the status line */
    char ctype[128]; /* Content-Type */
    char *body;      /* the body; the caller frees it */
} reply_t;

/* GET (or METHOD) PATH from 127.0.0.1:PORT with HTTP/1.0-style close. */
static void
s_fetch(int port, const char *method, const char *path, reply_t *r)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    char req[512];
    int n =
        snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
                 method, path);
    assert_int_equal(write(fd, req, (size_t)n), n);
    sl_buf_t b;
    sl_buf_init(&b);
    char chunk[4096];
    ssize_t got;
    while ((got = read(fd, chunk, sizeof chunk)) > 0)
        sl_buf_append(&b, chunk, (size_t)got);
    close(fd);
    assert_non_null(b.data);
    assert_int_equal(sscanf(b.data, "HTTP/1.1 %d", &r->status), 1);
    char *end = strstr(b.data, "\r\n\r\n");
    assert_non_null(end);
    *end = '\0';
    r->ctype[0] = '\0';
    char *ct = strcasestr(b.data, "\r\nContent-Type: ");
    if (ct) {
        ct += 16;
        size_t len = strcspn(ct, "\r");
        snprintf(r->ctype, sizeof r->ctype, "%.*s", (int)len, ct);
    }
    r->body = sl_strdup(end + 4);
    sl_buf_free(&b);
}

static bool
s_health(sl_buf_t *reason, void *arg)
{
    atomic_bool *healthy = arg;
    if (atomic_load(healthy))
        return true;
    sl_buf_puts(reason, "database unreachable");
    return false;
}

static int
s_status_page(const sl_http_req_t *req, sl_buf_t *body, const char **ctype, void *arg)
{
    (void)arg;
    const char *c = sl_http_req_arg(req, "case");
    *ctype = "text/html; charset=utf-8";
    sl_buf_printf(body, "<p>%s case=%s</p>", sl_http_req_path(req), c ? c : "-");
    return 200;
}

static void
test_http(void **state)
{
    (void)state;
    sl_metrics_t *m = sl_metrics_new();
    s_fill(m);
    atomic_bool healthy = true;
    /* A port from the pid, so parallel runs do not collide; next one if taken. */
    sl_http_t *h = NULL;
    int port = 0;
    for (int i = 0; i < 20 && !h; i++) {
        port = 20000 + (int)((getpid() * 7 + i) % 20000);
        h = sl_http_new("127.0.0.1", port, m, s_health, &healthy);
        assert_non_null(h);
        sl_http_route(h, "/status", s_status_page, NULL);
        if (sl_http_start(h) != 0)
            sl_http_destroy(&h);
    }
    assert_non_null(h);
    assert_int_equal(sl_http_port(h), port);

    reply_t r;
    s_fetch(port, "GET", "/metrics", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.ctype, "text/plain; version=0.0.4; charset=utf-8");
    assert_non_null(strstr(r.body, "sl_intake_envelopes_total{status=\"accepted\"} 42\n"));
    assert_int_equal(s_promtool(r.body), 0);
    free(r.body);

    s_fetch(port, "GET", "/healthz", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "ok\n");
    free(r.body);
    atomic_store(&healthy, false);
    s_fetch(port, "GET", "/healthz", &r);
    assert_int_equal(r.status, 503);
    assert_string_equal(r.body, "database unreachable\n");
    free(r.body);

    s_fetch(port, "GET", "/status?case=ZJ-2022-0001", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.ctype, "text/html; charset=utf-8");
    assert_string_equal(r.body, "<p>/status case=ZJ-2022-0001</p>");
    free(r.body);

    s_fetch(port, "GET", "/nope", &r);
    assert_int_equal(r.status, 404);
    free(r.body);
    s_fetch(port, "POST", "/metrics", &r);
    assert_int_equal(r.status, 405);
    free(r.body);

    sl_http_destroy(&h);
    assert_null(h);
    sl_metrics_destroy(&m);
}

static void
test_http_bad_address(void **state)
{
    (void)state;
    assert_null(sl_http_new("localhost", 0, NULL, NULL, NULL));
    /* port 0 picks a free port; no registry and no health check still serve */
    sl_http_t *h = sl_http_new(NULL, 0, NULL, NULL, NULL);
    assert_int_equal(sl_http_start(h), 0);
    assert_true(sl_http_port(h) > 0);
    reply_t r;
    s_fetch(sl_http_port(h), "GET", "/healthz", &r);
    assert_int_equal(r.status, 200);
    free(r.body);
    s_fetch(sl_http_port(h), "GET", "/metrics", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "");
    free(r.body);
    sl_http_destroy(&h);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render_promtool),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_http),
        cmocka_unit_test(test_http_bad_address),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
