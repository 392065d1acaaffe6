/* test_bus.c — sl_bus: ZeroMQ sockets on a libuv loop, with real sockets.
 *
 * The request/reply tests are the edge-trigger regression tests: ten thousand
 * round trips must complete without a stall, both against a blocking REQ
 * client in a thread and between two sockets on the same loop sending from
 * inside their callbacks (where a send consumes the ZMQ_FD edge). Also: PUB/SUB
 * events, peer counting, pause/resume, HWM and unroutable sends, CURVE with the
 * ZAP handler, and key files. Doubles as the example of use. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sl_bus.h"
#include "sl_daemon.h"
#include "sl_util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define ROUNDS 10000

typedef struct {
    char dir[64];         /* temp dir for ipc endpoints */
    char ep[128];         /* ipc://DIR/s */
    uv_loop_t loop;       /* the loop under test */
    uv_timer_t tick;      /* keeps UV_RUN_ONCE from blocking long */
    sl_bus_t *bus;        /* the context */
    sl_sock_t *socks[16]; /* sockets made by the test, destroyed at teardown */
    int nsocks;           /* entries of socks used */
    sl_events_t *ev;      /* events socket, if any */
    sl_zap_t *zap;        /* ZAP handler, if any */
    uv_async_t async;     /* wakes the loop from a client thread */
    uv_timer_t timer;     /* a test's own timer */
    bool async_on;        /* async initialised */
    bool timer_on;        /* timer initialised */
} fix_t;

/* A socket on the fixture's loop, destroyed at teardown if the test fails
 * before destroying it (so a failing test reports instead of aborting). */
static sl_sock_t *
s_new(fix_t *f, int type)
{
    sl_sock_t *s = sl_sock_new(f->bus, &f->loop, type);
    assert_non_null(s);
    assert_true(f->nsocks < 16);
    f->socks[f->nsocks++] = s;
    return s;
}

static void
s_destroy(fix_t *f, sl_sock_t **p)
{
    for (int i = 0; i < f->nsocks; i++)
        if (f->socks[i] == *p)
            f->socks[i] = NULL;
    sl_sock_destroy(p);
}

static void
s_tick(uv_timer_t *t)
{
    (void)t;
}

static int
setup(void **state)
{
    fix_t *f = sl_calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/sl-bus-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->ep, sizeof f->ep, "ipc://%s/s", f->dir);
    assert_int_equal(uv_loop_init(&f->loop), 0);
    uv_timer_init(&f->loop, &f->tick);
    uv_timer_start(&f->tick, s_tick, 5, 5); /* keeps the loop alive and turning */
    f->bus = sl_bus_new();
    assert_non_null(f->bus);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fix_t *f = *state;
    for (int i = 0; i < f->nsocks; i++)
        sl_sock_destroy(&f->socks[i]);
    sl_events_destroy(&f->ev);
    sl_zap_destroy(&f->zap);
    if (f->async_on)
        uv_close((uv_handle_t *)&f->async, NULL);
    if (f->timer_on)
        uv_close((uv_handle_t *)&f->timer, NULL);
    uv_close((uv_handle_t *)&f->tick, NULL);
    assert_int_equal(sl_loop_close(&f->loop), 0);
    sl_bus_destroy(&f->bus);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

/* Runs the loop until *FLAG is true or MS pass; returns *FLAG. */
static bool
s_run_until(fix_t *f, const bool *flag, int ms)
{
    uint64_t end = uv_hrtime() + (uint64_t)ms * 1000000;
    while (!*flag && uv_hrtime() < end)
        uv_run(&f->loop, UV_RUN_ONCE);
    return *flag;
}

static void
s_run_for(fix_t *f, int ms)
{
    bool never = false;
    s_run_until(f, &never, ms);
}

/* --- an echo server: [id][empty][body] back as it came -------------------- */

typedef struct {
    uint64_t received;  /* messages seen */
    char last_user[64]; /* User-Id of the last message */
} echo_t;

static void
s_echo(sl_sock_t *sock, const sl_frames_t *msg, void *arg)
{
    echo_t *e = arg;
    e->received++;
    const char *uid = sl_frames_user_id(msg);
    snprintf(e->last_user, sizeof e->last_user, "%s", uid ? uid : "");
    sl_part_t parts[SL_BUS_MAX_FRAMES];
    for (size_t i = 0; i < msg->count; i++)
        parts[i] = (sl_part_t){sl_frames_data(msg, i), sl_frames_size(msg, i)};
    assert_int_equal(sl_sock_send(sock, parts, msg->count), 0);
}

/* The same, echoing the received frames themselves (moved, no copy). */
static void
s_echo_move(sl_sock_t *sock, const sl_frames_t *msg, void *arg)
{
    echo_t *e = arg;
    e->received++;
    assert_int_equal(sl_sock_send_msgs(sock, msg->frame, msg->count), 0);
    assert_int_equal(zmq_msg_size(&msg->frame[msg->count - 1]), 0); /* moved out */
}

/* --- 1. ROUTER on the loop, blocking REQ client in a thread ---------------- */

typedef struct {
    void *ctx;            /* zmq context */
    const char *ep;       /* where the server is */
    int ok;               /* round trips that matched */
    uv_async_t *done;     /* wakes the loop at the end */
    atomic_bool finished; /* the thread is done */
} req_client_t;

static void *
s_req_thread(void *arg)
{
    req_client_t *c = arg;
    void *req = zmq_socket(c->ctx, ZMQ_REQ);
    int timeout = 5000, linger = 0;
    zmq_setsockopt(req, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt(req, ZMQ_LINGER, &linger, sizeof linger);
    zmq_connect(req, c->ep);
    for (int i = 0; i < ROUNDS; i++) {
        char out[32], in[32];
        int n = snprintf(out, sizeof out, "request %d", i);
        if (zmq_send(req, out, (size_t)n, 0) != n)
            break;
        int r = zmq_recv(req, in, sizeof in, 0);
        if (r != n || memcmp(in, out, (size_t)n) != 0)
            break; /* a stall shows here as a 5 s timeout */
        c->ok++;
    }
    zmq_close(req);
    atomic_store(&c->finished, true);
    uv_async_send(c->done);
    return NULL;
}

static void
s_on_async(uv_async_t *a)
{
    (void)a;
}

static void
test_router_req_thread(void **state)
{
    fix_t *f = *state;
    echo_t echo = {0};
    sl_sock_t *server = s_new(f, ZMQ_ROUTER);
    assert_non_null(server);
    assert_int_equal(sl_sock_bind(server, f->ep), 0);
    sl_sock_on_message(server, s_echo, &echo);

    uv_async_init(&f->loop, &f->async, s_on_async);
    f->async_on = true;
    req_client_t c = {.ctx = sl_bus_ctx(f->bus), .ep = f->ep, .done = &f->async};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, s_req_thread, &c), 0);
    uint64_t end = uv_hrtime() + 50ull * 1000000000;
    while (!atomic_load(&c.finished) && uv_hrtime() < end)
        uv_run(&f->loop, UV_RUN_ONCE);
    pthread_join(t, NULL);
    assert_int_equal(c.ok, ROUNDS);
    assert_int_equal(echo.received, ROUNDS);
    s_destroy(f, &server);
    assert_null(server);
}

/* --- 2. ROUTER and DEALER on one loop, pipelined, sends inside callbacks --- */

typedef struct {
    sl_sock_t *sock; /* the DEALER */
    int sent;        /* requests sent */
    int got;         /* replies received */
    int limit;       /* requests to send in all; 0 means ROUNDS */
    bool done;       /* all replies in */
} dealer_t;

static void
s_dealer_send(dealer_t *d)
{
    char body[32];
    int n = snprintf(body, sizeof body, "%d", d->sent);
    sl_part_t parts[] = {{NULL, 0}, {body, (size_t)n}};
    assert_int_equal(sl_sock_send(d->sock, parts, 2), 0);
    d->sent++;
}

static void
s_dealer_reply(sl_sock_t *sock, const sl_frames_t *msg, void *arg)
{
    (void)sock;
    dealer_t *d = arg;
    assert_int_equal(msg->count, 2);
    assert_int_equal(sl_frames_size(msg, 0), 0);
    char want[32];
    int n = snprintf(want, sizeof want, "%d", d->got);
    assert_int_equal(sl_frames_size(msg, 1), (size_t)n); /* in order */
    assert_memory_equal(sl_frames_data(msg, 1), want, (size_t)n);
    d->got++;
    int limit = d->limit ? d->limit : ROUNDS;
    if (d->sent < limit)
        s_dealer_send(d);
    if (d->got == limit)
        d->done = true;
}

static void
test_router_dealer_same_loop(void **state)
{
    fix_t *f = *state;
    echo_t echo = {0};
    sl_sock_t *server = s_new(f, ZMQ_ROUTER);
    assert_int_equal(sl_sock_bind(server, f->ep), 0);
    sl_sock_on_message(server, s_echo, &echo);

    dealer_t d = {.sock = s_new(f, ZMQ_DEALER)};
    assert_int_equal(sl_sock_connect(d.sock, f->ep), 0);
    sl_sock_on_message(d.sock, s_dealer_reply, &d);
    for (int i = 0; i < 64; i++) /* a window of 64 in flight */
        s_dealer_send(&d);
    assert_true(s_run_until(f, &d.done, 30000));
    assert_int_equal(d.got, ROUNDS);
    assert_int_equal(echo.received, ROUNDS);
    s_destroy(f, &d.sock);
    s_destroy(f, &server);
}

/* Lock-step (window of one) is the pattern that stalls when an edge is lost. */
static void
test_lockstep_same_loop(void **state)
{
    fix_t *f = *state;
    echo_t echo = {0};
    sl_sock_t *server = s_new(f, ZMQ_ROUTER);
    assert_int_equal(sl_sock_bind(server, "inproc://lockstep"), 0);
    sl_sock_on_message(server, s_echo, &echo);
    dealer_t d = {.sock = s_new(f, ZMQ_DEALER)};
    assert_int_equal(sl_sock_connect(d.sock, "inproc://lockstep"), 0);
    sl_sock_on_message(d.sock, s_dealer_reply, &d);
    uv_timer_stop(&f->tick); /* no timer may paper over a lost wake-up */
    s_dealer_send(&d);
    uint64_t end = uv_hrtime() + 30ull * 1000000000;
    while (!d.done && uv_hrtime() < end && uv_run(&f->loop, UV_RUN_ONCE))
        ;
    assert_int_equal(d.got, ROUNDS);
    s_destroy(f, &d.sock);
    s_destroy(f, &server);
}

/* --- 3. pause and resume ---------------------------------------------------- */

static void
test_pause_resume(void **state)
{
    fix_t *f = *state;
    echo_t echo = {0};
    sl_sock_t *server = s_new(f, ZMQ_ROUTER);
    assert_int_equal(sl_sock_bind(server, f->ep), 0);
    sl_sock_on_message(server, s_echo, &echo);
    sl_sock_pause(server);
    assert_true(sl_sock_paused(server));

    dealer_t d = {.sock = s_new(f, ZMQ_DEALER), .limit = 10};
    assert_int_equal(sl_sock_connect(d.sock, f->ep), 0);
    sl_sock_on_message(d.sock, s_dealer_reply, &d);
    for (int i = 0; i < 10; i++)
        s_dealer_send(&d);
    s_run_for(f, 200);
    assert_int_equal(echo.received, 0);

    sl_sock_resume(server);
    assert_false(sl_sock_paused(server));
    bool got_all = false;
    uint64_t end = uv_hrtime() + 5000000000ull;
    while (d.got < 10 && uv_hrtime() < end)
        uv_run(&f->loop, UV_RUN_ONCE);
    got_all = d.got == 10;
    assert_true(got_all);
    assert_int_equal(echo.received, 10);
    s_destroy(f, &d.sock);
    s_destroy(f, &server);
}

/* --- 4. unroutable, HWM and writable again ---------------------------------- */

static void
s_on_writable(sl_sock_t *sock, void *arg)
{
    (void)sock;
    *(bool *)arg = true;
}

static void
test_send_results(void **state)
{
    fix_t *f = *state;
    /* ROUTER_MANDATORY: a peer that does not exist is -1, not a silent drop. */
    sl_sock_t *router = s_new(f, ZMQ_ROUTER);
    sl_part_t to_nobody[] = {{"nobody", 6}, {NULL, 0}, {"x", 1}};
    assert_int_equal(sl_sock_send(router, to_nobody, 3), -1);

    /* A DEALER with no connected peer (ZMQ_IMMEDIATE) cannot queue: SL_AGAIN,
     * then writable once a peer binds. */
    bool writable = false;
    sl_sock_t *dealer = s_new(f, ZMQ_DEALER);
    assert_int_equal(sl_sock_set_int(dealer, ZMQ_IMMEDIATE, 1), 0);
    sl_sock_on_writable(dealer, s_on_writable, &writable);
    assert_int_equal(sl_sock_connect(dealer, f->ep), 0);
    sl_part_t parts[] = {{NULL, 0}, {"hello", 5}};
    assert_int_equal(sl_sock_send(dealer, parts, 2), SL_AGAIN);
    s_run_for(f, 50);
    assert_false(writable);

    echo_t echo = {0};
    assert_int_equal(sl_sock_bind(router, f->ep), 0);
    sl_sock_on_message(router, s_echo, &echo);
    assert_true(s_run_until(f, &writable, 5000));
    assert_int_equal(sl_sock_send(dealer, parts, 2), 0);
    uint64_t end = uv_hrtime() + 5000000000ull;
    while (echo.received < 1 && uv_hrtime() < end)
        uv_run(&f->loop, UV_RUN_ONCE);
    assert_int_equal(echo.received, 1);
    s_destroy(f, &dealer);
    s_destroy(f, &router);
}

/* --- 5. too many frames ----------------------------------------------------- */

static void
test_too_many_frames(void **state)
{
    fix_t *f = *state;
    echo_t echo = {0};
    sl_sock_t *server = s_new(f, ZMQ_ROUTER);
    assert_int_equal(sl_sock_bind(server, f->ep), 0);
    sl_sock_on_message(server, s_echo_move, &echo);
    dealer_t d = {.sock = s_new(f, ZMQ_DEALER), .limit = 1};
    assert_int_equal(sl_sock_connect(d.sock, f->ep), 0);
    sl_sock_on_message(d.sock, s_dealer_reply, &d);
    sl_part_t many[SL_BUS_MAX_FRAMES + 5];
    for (size_t i = 0; i < SL_ARRAY_LEN(many); i++)
        many[i] = (sl_part_t){"f", 1};
    assert_int_equal(sl_sock_send(d.sock, many, SL_ARRAY_LEN(many)), 0);
    s_dealer_send(&d); /* a good one after it still gets through */
    uint64_t end = uv_hrtime() + 5000000000ull;
    while (d.got < 1 && uv_hrtime() < end)
        uv_run(&f->loop, UV_RUN_ONCE);
    assert_int_equal(d.got, 1);
    assert_int_equal(echo.received, 1);
    assert_int_equal(sl_sock_dropped(server), 1);
    s_destroy(f, &d.sock);
    s_destroy(f, &server);
}

/* --- 6. events on PUB ------------------------------------------------------- */

typedef struct {
    int matched; /* case.registered events seen */
    int other;   /* events of other topics seen */
    bool got;    /* at least one matched */
} sub_t;

static void
s_on_event(sl_sock_t *sock, const sl_frames_t *msg, void *arg)
{
    (void)sock;
    sub_t *s = arg;
    assert_int_equal(msg->count, 2);
    if (sl_frames_size(msg, 0) == 15 &&
        memcmp(sl_frames_data(msg, 0), "case.registered", 15) == 0) {
        assert_int_equal(sl_frames_size(msg, 1), 7);
        assert_memory_equal(sl_frames_data(msg, 1), "payload", 7);
        s->matched++;
        s->got = true;
    } else {
        s->other++;
    }
}

typedef struct {
    sl_events_t *ev;
} pub_t;

static void
s_publish(uv_timer_t *t)
{
    pub_t *p = t->data;
    assert_int_equal(sl_events_publish(p->ev, "deadline.overdue", "x", 1), 0);
    assert_int_equal(sl_events_publish(p->ev, "case.registered", "payload", 7), 0);
}

static void
test_events(void **state)
{
    fix_t *f = *state;
    sl_events_t *ev = f->ev = sl_events_new(f->bus, &f->loop, f->ep);
    assert_non_null(ev);
    assert_int_equal(sl_sock_peers(sl_events_sock(ev)), 0);

    sub_t sub = {0};
    sl_sock_t *s = s_new(f, ZMQ_SUB);
    assert_int_equal(sl_sock_set_bytes(s, ZMQ_SUBSCRIBE, "case.", 5), 0);
    assert_int_equal(sl_sock_connect(s, f->ep), 0);
    sl_sock_on_message(s, s_on_event, &sub);

    /* Subscriptions travel asynchronously: publish until one arrives. */
    pub_t p = {ev};
    uv_timer_init(&f->loop, &f->timer);
    f->timer_on = true;
    f->timer.data = &p;
    uv_timer_start(&f->timer, s_publish, 0, 10);
    assert_true(s_run_until(f, &sub.got, 5000));
    uv_timer_stop(&f->timer);
    s_run_for(f, 50);
    assert_int_equal(sub.other, 0);
    assert_true(sl_events_published(ev) >= 2);
    assert_int_equal(sl_sock_peers(sl_events_sock(ev)), 1);

    s_destroy(f, &s);
    sl_events_destroy(&f->ev);
    assert_null(f->ev);
}

/* --- 7. peer counting ------------------------------------------------------- */

static bool
s_wait_peers(fix_t *f, sl_sock_t *s, int want)
{
    uint64_t end = uv_hrtime() + 5000000000ull;
    while (sl_sock_peers(s) != want && uv_hrtime() < end)
        uv_run(&f->loop, UV_RUN_ONCE);
    return sl_sock_peers(s) == want;
}

static void
test_peers(void **state)
{
    fix_t *f = *state;
    sl_sock_t *server = s_new(f, ZMQ_ROUTER);
    assert_int_equal(sl_sock_monitor(server), 0);
    assert_int_equal(sl_sock_bind(server, f->ep), 0);
    sl_sock_t *c[3];
    for (int i = 0; i < 3; i++) {
        c[i] = s_new(f, ZMQ_DEALER);
        assert_int_equal(sl_sock_connect(c[i], f->ep), 0);
    }
    assert_true(s_wait_peers(f, server, 3));
    s_destroy(f, &c[0]);
    s_destroy(f, &c[1]);
    assert_true(s_wait_peers(f, server, 1));
    s_destroy(f, &c[2]);
    assert_true(s_wait_peers(f, server, 0));
    s_destroy(f, &server);
}

/* --- 8. CURVE with the ZAP handler ------------------------------------------ */

static void
s_write_key(const char *dir, const char *name, const char *key, char *path, size_t size)
{
    snprintf(path, size, "%s/%s", dir, name);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fprintf(fp, "%s\n", key);
    fclose(fp);
}

typedef struct {
    char allowed[SL_CURVE_KEY_LEN + 1]; /* the one client key let in */
    int asked;                          /* ZAP requests seen */
} zap_policy_t;

static bool
s_allow(const char *domain, const char *address, const char *key, void *arg)
{
    (void)address;
    zap_policy_t *p = arg;
    p->asked++;
    return strcmp(domain, "safeloop") == 0 && key && strcmp(key, p->allowed) == 0;
}

static void
test_curve_zap(void **state)
{
    fix_t *f = *state;
    char spub[41], ssec[41], apub[41], asec[41], bpub[41], bsec[41];
    assert_int_equal(zmq_curve_keypair(spub, ssec), 0);
    assert_int_equal(zmq_curve_keypair(apub, asec), 0);
    assert_int_equal(zmq_curve_keypair(bpub, bsec), 0);
    char p_spub[128], p_ssec[128], p_apub[128], p_asec[128], p_bpub[128], p_bsec[128];
    s_write_key(f->dir, "server.pub", spub, p_spub, sizeof p_spub);
    s_write_key(f->dir, "server.key", ssec, p_ssec, sizeof p_ssec);
    s_write_key(f->dir, "a.pub", apub, p_apub, sizeof p_apub);
    s_write_key(f->dir, "a.key", asec, p_asec, sizeof p_asec);
    s_write_key(f->dir, "b.pub", bpub, p_bpub, sizeof p_bpub);
    s_write_key(f->dir, "b.key", bsec, p_bsec, sizeof p_bsec);

    zap_policy_t policy = {.asked = 0};
    memcpy(policy.allowed, apub, sizeof policy.allowed);
    f->zap = sl_zap_new(f->bus, &f->loop, s_allow, &policy);
    assert_non_null(f->zap);

    echo_t echo = {0};
    sl_sock_t *server = s_new(f, ZMQ_ROUTER);
    assert_int_equal(sl_sock_curve_server(server, p_ssec, "safeloop"), 0);
    assert_int_equal(sl_sock_bind(server, "tcp://127.0.0.1:*"), 0);
    char ep[128];
    assert_int_equal(sl_sock_last_endpoint(server, ep, sizeof ep), 0);
    sl_sock_on_message(server, s_echo, &echo);

    /* The refused client first: nothing of it may reach the server. */
    dealer_t b = {.sock = s_new(f, ZMQ_DEALER)};
    assert_int_equal(sl_sock_curve_client(b.sock, p_spub, p_bpub, p_bsec), 0);
    assert_int_equal(sl_sock_connect(b.sock, ep), 0);
    sl_part_t parts[] = {{NULL, 0}, {"0", 1}};
    int rc = sl_sock_send(b.sock, parts, 2); /* queued or SL_AGAIN; never delivered */
    assert_true(rc == 0 || rc == SL_AGAIN);
    uint64_t end = uv_hrtime() + 5000000000ull;
    while (policy.asked < 1 && uv_hrtime() < end)
        uv_run(&f->loop, UV_RUN_ONCE);
    assert_true(policy.asked >= 1);
    s_run_for(f, 100);
    assert_int_equal(echo.received, 0);
    s_destroy(f, &b.sock);

    dealer_t a = {.sock = s_new(f, ZMQ_DEALER), .limit = 1};
    assert_int_equal(sl_sock_curve_client(a.sock, p_spub, p_apub, p_asec), 0);
    assert_int_equal(sl_sock_connect(a.sock, ep), 0);
    sl_sock_on_message(a.sock, s_dealer_reply, &a);
    end = uv_hrtime() + 5000000000ull;
    while (a.sent == 0 && uv_hrtime() < end) { /* SL_AGAIN until the handshake is done */
        if (sl_sock_send(a.sock, parts, 2) == 0)
            a.sent = 1;
        else
            uv_run(&f->loop, UV_RUN_ONCE);
    }
    while (a.got < 1 && uv_hrtime() < end)
        uv_run(&f->loop, UV_RUN_ONCE);
    assert_int_equal(a.got, 1);
    assert_int_equal(echo.received, 1);
    assert_string_equal(echo.last_user, apub); /* who sent it is the CURVE key */

    s_destroy(f, &a.sock);
    s_destroy(f, &server);
    sl_zap_destroy(&f->zap);
}

static void
test_key_files(void **state)
{
    fix_t *f = *state;
    char pub[41], sec[41], key[41], path[128];
    assert_int_equal(zmq_curve_keypair(pub, sec), 0);
    s_write_key(f->dir, "ok.pub", pub, path, sizeof path);
    assert_int_equal(sl_curve_key_load(path, key), 0);
    assert_string_equal(key, pub);
    s_write_key(f->dir, "short.pub", "abc", path, sizeof path);
    assert_int_equal(sl_curve_key_load(path, key), -1);
    char bad[41];
    memset(bad, '~' + 1, 40); /* outside the Z85 alphabet */
    bad[40] = '\0';
    s_write_key(f->dir, "bad.pub", bad, path, sizeof path);
    assert_int_equal(sl_curve_key_load(path, key), -1);
    assert_int_equal(sl_curve_key_load("/nonexistent/key", key), -1);
}

/* --- 9. heartbeats drop a dead peer ----------------------------------------- */

/* Connects to 127.0.0.1:PORT over plain TCP and does a ZMTP 3.0 NULL handshake
 * as a DEALER, then never speaks again (answers no PING): a dead peer. */
static int
s_zombie_peer(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    unsigned char g[64] = {0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0x7F, 3, 0, 'N', 'U', 'L', 'L'};
    assert_int_equal(write(fd, g, sizeof g), (ssize_t)sizeof g);
    unsigned char ready[] = {0x04, 28,  5,   'R', 'E', 'A', 'D', 'Y', 11,  'S',
                             'o',  'c', 'k', 'e', 't', '-', 'T', 'y', 'p', 'e',
                             0,    0,   0,   6,   'D', 'E', 'A', 'L', 'E', 'R'};
    assert_int_equal(write(fd, ready, sizeof ready), (ssize_t)sizeof ready);
    return fd;
}

static void
test_heartbeat(void **state)
{
    fix_t *f = *state;
    sl_sock_t *server = s_new(f, ZMQ_ROUTER);
    assert_int_equal(sl_sock_set_heartbeat(server, 50, 300, 0), 0);
    int v = 0;
    assert_int_equal(sl_sock_get_int(server, ZMQ_HEARTBEAT_IVL, &v), 0);
    assert_int_equal(v, 50);
    assert_int_equal(sl_sock_monitor(server), 0);
    assert_int_equal(sl_sock_bind(server, "tcp://127.0.0.1:*"), 0);
    char ep[128];
    assert_int_equal(sl_sock_last_endpoint(server, ep, sizeof ep), 0);
    int port = atoi(strrchr(ep, ':') + 1);

    /* A live DEALER (answering PINGs inside libzmq) stays connected. */
    sl_sock_t *live = s_new(f, ZMQ_DEALER);
    assert_int_equal(sl_sock_connect(live, ep), 0);
    assert_true(s_wait_peers(f, server, 1));
    /* A peer that completed the handshake and then went silent is dropped
     * within the heartbeat timeout (without heartbeats it would stay forever). */
    int zombie = s_zombie_peer(port);
    assert_true(s_wait_peers(f, server, 2));
    assert_true(s_wait_peers(f, server, 1));
    s_run_for(f, 400);
    assert_int_equal(sl_sock_peers(server), 1);
    close(zombie);
    s_destroy(f, &live);
    assert_true(s_wait_peers(f, server, 0));
    s_destroy(f, &server);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_router_req_thread, setup, teardown),
        cmocka_unit_test_setup_teardown(test_router_dealer_same_loop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lockstep_same_loop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pause_resume, setup, teardown),
        cmocka_unit_test_setup_teardown(test_send_results, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_many_frames, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_peers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_curve_zap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_heartbeat, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
