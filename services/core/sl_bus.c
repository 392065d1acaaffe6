/* sl_bus.c — ZeroMQ sockets driven by a libuv loop.
 *
 * ZMQ_FD only tells that the socket's mailbox was signalled, and only once
 * (edge-triggered): any zmq call may consume that signal, sends included. So
 * the fd never decides alone. Each socket has four handles:
 *   poll    on ZMQ_FD, readable: wakes the loop when zmq signals;
 *   prepare runs before the loop blocks: reads ZMQ_EVENTS (which also consumes
 *           pending commands) and, if a message or a wanted POLLOUT is there,
 *           starts idle so the loop does not block;
 *   idle    only keeps the loop from blocking while work is pending;
 *   check   runs after the poll phase: handles up to SL_BUS_BATCH messages,
 *           each received whole, stopping early at EAGAIN.
 * Because prepare runs after every callback of a turn and before every block,
 * a signal consumed by any send or receive is always made up for by reading
 * ZMQ_EVENTS before the loop waits (libzmq#3641, #1434). */
#include "sl_bus.h"

#include "sl_log.h"
#include "sl_util.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SL_LINGER_MS 1000
#define SL_ZAP_ENDPOINT "inproc://zeromq.zap.01"

struct sl_bus {
    void *ctx;    /* the zmq context; owned */
    int nsocks;   /* sl_sock_t made and not yet destroyed */
    unsigned seq; /* numbers monitor endpoints */
};

struct sl_sock {
    sl_bus_t *bus;                      /* the context this socket was made in; borrowed */
    uv_loop_t *loop;                    /* the loop it runs on; borrowed */
    void *zsock;                        /* the zmq socket; NULL once closed */
    int type;                           /* ZMQ_ROUTER, … */
    uv_poll_t poll;                     /* readable on ZMQ_FD */
    uv_prepare_t prepare;               /* reads ZMQ_EVENTS before the loop blocks */
    uv_check_t check;                   /* handles ready messages after the poll phase */
    uv_idle_t idle;                     /* keeps the loop spinning while work is pending */
    int handles;                        /* uv handles initialised and not yet closed */
    bool poll_on;                       /* poll handle started */
    bool paused;                        /* sl_sock_pause in effect */
    bool want_out;                      /* a send returned SL_AGAIN; tell on POLLOUT */
    bool ready;                         /* prepare or poll saw work for check */
    bool closing;                       /* sl_sock_destroy called */
    sl_sock_msg_cb *on_msg;             /* on-message callback, NULL: not reading */
    void *msg_arg;                      /* its argument */
    sl_sock_writable_cb *on_writable;   /* writable-again callback */
    void *writable_arg;                 /* its argument */
    zmq_msg_t frame[SL_BUS_MAX_FRAMES]; /* the message being handled */
    uint64_t dropped;                   /* messages dropped for too many frames */
    sl_sock_t *monitor;                 /* PAIR reading this socket's monitor, or NULL */
    int peers;                          /* connected peers, if monitored */
};

/* --- context --------------------------------------------------------------- */

sl_bus_t *
sl_bus_new(void)
{
    void *ctx = zmq_ctx_new();
    if (!ctx) {
        sl_log(SL_LOG_ERROR, "could not create zmq context: %s", zmq_strerror(errno));
        return NULL;
    }
    sl_bus_t *bus = sl_calloc(1, sizeof *bus);
    bus->ctx = ctx;
    return bus;
}

void
sl_bus_destroy(sl_bus_t **p)
{
    sl_bus_t *bus = *p;
    if (!bus)
        return;
    *p = NULL;
    assert(bus->nsocks == 0 && "sl_bus_destroy with sockets still open");
    while (zmq_ctx_term(bus->ctx) != 0 && errno == EINTR)
        ;
    free(bus);
}

void *
sl_bus_ctx(sl_bus_t *bus)
{
    return bus->ctx;
}

/* --- the loop side ---------------------------------------------------------- */

static int
s_events(sl_sock_t *s)
{
    int ev = 0;
    size_t len = sizeof ev;
    if (!s->zsock || zmq_getsockopt(s->zsock, ZMQ_EVENTS, &ev, &len) != 0)
        return 0;
    return ev;
}

static bool
s_reading(const sl_sock_t *s)
{
    return s->on_msg && !s->paused && !s->closing;
}

static void
s_on_idle(uv_idle_t *h)
{
    (void)h;
}

static void
s_on_poll(uv_poll_t *h, int status, int events)
{
    (void)events;
    sl_sock_t *s = h->data;
    if (status < 0)
        sl_log(SL_LOG_WARN, "zmq fd poll failed: %s", uv_strerror(status));
    s->ready = true;
}

/* Starts or stops the poll handle to match what the socket waits for. With
 * the socket paused the fd must not be watched: epoll is level-triggered and
 * nobody would drain zmq's signal. */
static void
s_update(sl_sock_t *s)
{
    bool want = !s->closing && (s_reading(s) || s->want_out);
    if (want == s->poll_on)
        return;
    if (want)
        uv_idle_start(&s->idle, s_on_idle); /* messages may already wait in zmq */
    if (want)
        uv_poll_start(&s->poll, UV_READABLE, s_on_poll), s->poll_on = true;
    else
        uv_poll_stop(&s->poll), s->poll_on = false;
}

static void
s_on_prepare(uv_prepare_t *h)
{
    sl_sock_t *s = h->data;
    bool work = false;
    if (s_reading(s) || s->want_out) {
        int ev = s_events(s);
        work = ((ev & ZMQ_POLLIN) && s_reading(s)) || ((ev & ZMQ_POLLOUT) && s->want_out);
    }
    s->ready = s->ready || work;
    if (work)
        uv_idle_start(&s->idle, s_on_idle);
    else
        uv_idle_stop(&s->idle);
}

static void
s_close_frames(sl_sock_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        zmq_msg_close(&s->frame[i]);
}

/* Receives one whole message into s->frame. Returns the frame count, 0 on
 * EAGAIN, -1 on an error or a dropped message (the batch goes on). */
static int
s_recv(sl_sock_t *s)
{
    size_t n = 0, total = 0;
    for (;;) {
        zmq_msg_t extra;
        zmq_msg_t *f = n < SL_BUS_MAX_FRAMES ? &s->frame[n] : &extra;
        zmq_msg_init(f);
        if (zmq_msg_recv(f, s->zsock, ZMQ_DONTWAIT) < 0) {
            int err = errno;
            zmq_msg_close(f);
            s_close_frames(s, n);
            if (total == 0 && (err == EAGAIN || err == EINTR))
                return 0;
            sl_log(SL_LOG_ERROR, "could not receive from zmq socket: %s", zmq_strerror(err));
            return total == 0 ? 0 : -1;
        }
        total++;
        bool more = zmq_msg_more(f);
        if (f == &extra)
            zmq_msg_close(f);
        else
            n++;
        if (!more)
            break;
    }
    if (total > SL_BUS_MAX_FRAMES) {
        s_close_frames(s, n);
        s->dropped++;
        sl_log(SL_LOG_WARN, "frames=%zu message dropped: more than %d frames", total,
               SL_BUS_MAX_FRAMES);
        return -1;
    }
    return (int)n;
}

static void
s_on_check(uv_check_t *h)
{
    sl_sock_t *s = h->data;
    if (!s->ready || s->closing)
        return;
    s->ready = false;
    if (s->want_out && (s_events(s) & ZMQ_POLLOUT)) {
        s->want_out = false;
        s_update(s);
        if (s->on_writable)
            s->on_writable(s, s->writable_arg);
    }
    for (int i = 0; i < SL_BUS_BATCH && s_reading(s); i++) {
        int n = s_recv(s);
        if (n == 0)
            break;
        if (n < 0)
            continue;
        sl_frames_t msg = {s->frame, (size_t)n};
        s->on_msg(s, &msg, s->msg_arg);
        s_close_frames(s, (size_t)n);
    }
}

static void
s_on_close(uv_handle_t *h)
{
    sl_sock_t *s = h->data;
    if (--s->handles == 0)
        free(s);
}

/* --- sockets ---------------------------------------------------------------- */

sl_sock_t *
sl_sock_new(sl_bus_t *bus, uv_loop_t *loop, int type)
{
    void *z = zmq_socket(bus->ctx, type);
    if (!z) {
        sl_log(SL_LOG_ERROR, "could not create zmq socket of type %d: %s", type,
               zmq_strerror(errno));
        return NULL;
    }
    int linger = SL_LINGER_MS, one = 1;
    zmq_setsockopt(z, ZMQ_LINGER, &linger, sizeof linger);
    if (type == ZMQ_ROUTER && zmq_setsockopt(z, ZMQ_ROUTER_MANDATORY, &one, sizeof one) != 0)
        goto fail;
    uv_os_sock_t fd;
    size_t len = sizeof fd;
    if (zmq_getsockopt(z, ZMQ_FD, &fd, &len) != 0)
        goto fail;

    sl_sock_t *s = sl_calloc(1, sizeof *s);
    s->bus = bus;
    s->loop = loop;
    s->zsock = z;
    s->type = type;
    int rc = uv_poll_init_socket(loop, &s->poll, fd);
    if (rc != 0) {
        sl_log(SL_LOG_ERROR, "could not watch zmq fd %d: %s", (int)fd, uv_strerror(rc));
        free(s);
        zmq_close(z);
        return NULL;
    }
    uv_prepare_init(loop, &s->prepare);
    uv_check_init(loop, &s->check);
    uv_idle_init(loop, &s->idle);
    s->poll.data = s->prepare.data = s->check.data = s->idle.data = s;
    s->handles = 4;
    uv_prepare_start(&s->prepare, s_on_prepare);
    uv_check_start(&s->check, s_on_check);
    /* Only the poll (and idle while busy) keep the loop alive. */
    uv_unref((uv_handle_t *)&s->prepare);
    uv_unref((uv_handle_t *)&s->check);
    bus->nsocks++;
    return s;

fail:
    sl_log(SL_LOG_ERROR, "could not set up zmq socket: %s", zmq_strerror(errno));
    zmq_close(z);
    return NULL;
}

void
sl_sock_destroy(sl_sock_t **p)
{
    sl_sock_t *s = *p;
    if (!s)
        return;
    *p = NULL;
    assert(!s->closing);
    s->closing = true;
    if (s->monitor) {
        zmq_socket_monitor(s->zsock, NULL, 0);
        sl_sock_destroy(&s->monitor);
    }
    /* Stop watching the fd (uv_close stops it now) before zmq closes it. */
    uv_close((uv_handle_t *)&s->poll, s_on_close);
    uv_close((uv_handle_t *)&s->prepare, s_on_close);
    uv_close((uv_handle_t *)&s->check, s_on_close);
    uv_close((uv_handle_t *)&s->idle, s_on_close);
    zmq_close(s->zsock);
    s->zsock = NULL;
    s->bus->nsocks--;
}

void *
sl_sock_zmq(sl_sock_t *sock)
{
    return sock->zsock;
}

int
sl_sock_type(const sl_sock_t *sock)
{
    return sock->type;
}

int
sl_sock_set_int(sl_sock_t *sock, int option, int value)
{
    if (zmq_setsockopt(sock->zsock, option, &value, sizeof value) != 0) {
        sl_log(SL_LOG_ERROR, "could not set zmq option %d to %d: %s", option, value,
               zmq_strerror(errno));
        return -1;
    }
    return 0;
}

int
sl_sock_get_int(sl_sock_t *sock, int option, int *value)
{
    size_t len = sizeof *value;
    if (zmq_getsockopt(sock->zsock, option, value, &len) != 0) {
        sl_log(SL_LOG_ERROR, "could not read zmq option %d: %s", option, zmq_strerror(errno));
        return -1;
    }
    return 0;
}

int
sl_sock_set_bytes(sl_sock_t *sock, int option, const void *value, size_t len)
{
    if (zmq_setsockopt(sock->zsock, option, value, len) != 0) {
        sl_log(SL_LOG_ERROR, "could not set zmq option %d: %s", option, zmq_strerror(errno));
        return -1;
    }
    return 0;
}

int
sl_sock_set_hwm(sl_sock_t *sock, int sndhwm, int rcvhwm)
{
    if (sl_sock_set_int(sock, ZMQ_SNDHWM, sndhwm) || sl_sock_set_int(sock, ZMQ_RCVHWM, rcvhwm))
        return -1;
    return 0;
}

int
sl_sock_set_heartbeat(sl_sock_t *sock, int ivl_ms, int timeout_ms, int ttl_ms)
{
    if (ivl_ms && sl_sock_set_int(sock, ZMQ_HEARTBEAT_IVL, ivl_ms))
        return -1;
    if (timeout_ms && sl_sock_set_int(sock, ZMQ_HEARTBEAT_TIMEOUT, timeout_ms))
        return -1;
    if (ttl_ms && sl_sock_set_int(sock, ZMQ_HEARTBEAT_TTL, ttl_ms))
        return -1;
    return 0;
}

int
sl_sock_bind(sl_sock_t *sock, const char *endpoint)
{
    if (zmq_bind(sock->zsock, endpoint) != 0) {
        sl_log(SL_LOG_ERROR, "could not bind to \"%s\": %s", endpoint, zmq_strerror(errno));
        return -1;
    }
    return 0;
}

int
sl_sock_connect(sl_sock_t *sock, const char *endpoint)
{
    if (zmq_connect(sock->zsock, endpoint) != 0) {
        sl_log(SL_LOG_ERROR, "could not connect to \"%s\": %s", endpoint, zmq_strerror(errno));
        return -1;
    }
    return 0;
}

int
sl_sock_last_endpoint(sl_sock_t *sock, char *buf, size_t size)
{
    size_t len = size;
    if (size == 0 || zmq_getsockopt(sock->zsock, ZMQ_LAST_ENDPOINT, buf, &len) != 0)
        return -1;
    buf[size - 1] = '\0';
    return 0;
}

void
sl_sock_on_message(sl_sock_t *sock, sl_sock_msg_cb *cb, void *arg)
{
    sock->on_msg = cb;
    sock->msg_arg = arg;
    s_update(sock);
}

void
sl_sock_on_writable(sl_sock_t *sock, sl_sock_writable_cb *cb, void *arg)
{
    sock->on_writable = cb;
    sock->writable_arg = arg;
}

void
sl_sock_pause(sl_sock_t *sock)
{
    sock->paused = true;
    s_update(sock);
}

void
sl_sock_resume(sl_sock_t *sock)
{
    if (!sock->paused)
        return;
    sock->paused = false;
    s_update(sock);
    uv_idle_start(&sock->idle, s_on_idle); /* messages may already wait in zmq */
}

bool
sl_sock_paused(const sl_sock_t *sock)
{
    return sock->paused;
}

/* Classifies a failed send of the first frame. */
static int
s_send_failed(sl_sock_t *s, int err)
{
    if (err == EAGAIN) {
        if (!s->want_out) {
            s->want_out = true;
            s_update(s);
        }
        return SL_AGAIN;
    }
    if (err == EHOSTUNREACH)
        return -1; /* the caller knows which peer; it decides whether to log */
    sl_log(SL_LOG_ERROR, "could not send on zmq socket: %s", zmq_strerror(err));
    return -1;
}

int
sl_sock_send(sl_sock_t *sock, const sl_part_t *parts, size_t n)
{
    assert(n > 0 && !sock->closing);
    for (size_t i = 0; i < n; i++) {
        int flags = ZMQ_DONTWAIT | (i + 1 < n ? ZMQ_SNDMORE : 0);
        if (zmq_send(sock->zsock, parts[i].len ? parts[i].data : "", parts[i].len, flags) < 0) {
            if (i == 0)
                return s_send_failed(sock, errno);
            /* zmq takes later frames of a started message whole (the HWM is
             * checked at the first); reaching this is a zmq error. */
            sl_log(SL_LOG_ERROR, "could not send frame %zu of %zu: %s", i + 1, n,
                   zmq_strerror(errno));
            return -1;
        }
    }
    /* The send may have consumed the fd's edge; prepare re-reads ZMQ_EVENTS
     * before the loop blocks again. */
    return 0;
}

int
sl_sock_send_msgs(sl_sock_t *sock, zmq_msg_t *frames, size_t n)
{
    assert(n > 0 && !sock->closing);
    for (size_t i = 0; i < n; i++) {
        int flags = ZMQ_DONTWAIT | (i + 1 < n ? ZMQ_SNDMORE : 0);
        if (zmq_msg_send(&frames[i], sock->zsock, flags) < 0) {
            if (i == 0)
                return s_send_failed(sock, errno);
            sl_log(SL_LOG_ERROR, "could not send frame %zu of %zu: %s", i + 1, n,
                   zmq_strerror(errno));
            return -1;
        }
    }
    return 0;
}

uint64_t
sl_sock_dropped(const sl_sock_t *sock)
{
    return sock->dropped;
}

/* --- monitor ---------------------------------------------------------------- */

static void
s_on_monitor(sl_sock_t *mon, const sl_frames_t *msg, void *arg)
{
    (void)mon;
    int *peers = arg;
    if (msg->count < 1 || sl_frames_size(msg, 0) < 6)
        return;
    uint16_t event;
    memcpy(&event, sl_frames_data(msg, 0), sizeof event);
    if (event == ZMQ_EVENT_ACCEPTED || event == ZMQ_EVENT_CONNECTED)
        (*peers)++;
    else if (event == ZMQ_EVENT_DISCONNECTED && *peers > 0)
        (*peers)--;
}

int
sl_sock_monitor(sl_sock_t *sock)
{
    if (sock->monitor)
        return 0;
    char ep[64];
    snprintf(ep, sizeof ep, "inproc://sl-monitor-%u", ++sock->bus->seq);
    if (zmq_socket_monitor(sock->zsock, ep,
                           ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED)) {
        sl_log(SL_LOG_ERROR, "could not monitor zmq socket: %s", zmq_strerror(errno));
        return -1;
    }
    sl_sock_t *mon = sl_sock_new(sock->bus, sock->loop, ZMQ_PAIR);
    if (!mon)
        goto fail;
    sl_sock_set_int(mon, ZMQ_LINGER, 0);
    if (sl_sock_connect(mon, ep) != 0) {
        sl_sock_destroy(&mon);
        goto fail;
    }
    /* The monitor alone must not keep the loop alive. */
    uv_unref((uv_handle_t *)&mon->poll);
    uv_unref((uv_handle_t *)&mon->idle);
    sl_sock_on_message(mon, s_on_monitor, &sock->peers);
    sock->monitor = mon;
    return 0;

fail:
    zmq_socket_monitor(sock->zsock, NULL, 0);
    return -1;
}

int
sl_sock_peers(const sl_sock_t *sock)
{
    return sock->peers;
}

/* --- received messages ------------------------------------------------------ */

const char *
sl_frames_gets(const sl_frames_t *m, const char *property)
{
    for (size_t i = 0; i < m->count; i++) {
        const char *v = zmq_msg_gets(&m->frame[i], property);
        if (v)
            return v;
    }
    return NULL;
}

const char *
sl_frames_user_id(const sl_frames_t *m)
{
    return sl_frames_gets(m, "User-Id");
}

/* --- CURVE ------------------------------------------------------------------ */

int
sl_curve_key_load(const char *path, char key[SL_CURVE_KEY_LEN + 1])
{
    size_t len;
    char *text = sl_read_file(path, &len);
    if (!text) {
        sl_log(SL_LOG_ERROR, "could not read key file \"%s\": %s", path, strerror(errno));
        return -1;
    }
    if (len > 0 && text[len - 1] == '\n')
        len--;
    if (len > 0 && text[len - 1] == '\r')
        len--;
    uint8_t bin[32];
    int rc = -1;
    if (len != SL_CURVE_KEY_LEN) {
        sl_log(SL_LOG_ERROR, "key file \"%s\" holds %zu bytes, not a %d-character Z85 key", path,
               len, SL_CURVE_KEY_LEN);
        goto done;
    }
    text[len] = '\0';
    if (!zmq_z85_decode(bin, text)) {
        sl_log(SL_LOG_ERROR, "key file \"%s\" does not hold a Z85 key", path);
        goto done;
    }
    memcpy(key, text, SL_CURVE_KEY_LEN + 1);
    rc = 0;
done:
    free(text);
    return rc;
}

static int
s_set_key(sl_sock_t *sock, int option, const char *path)
{
    char key[SL_CURVE_KEY_LEN + 1];
    if (sl_curve_key_load(path, key) != 0)
        return -1;
    int rc = sl_sock_set_bytes(sock, option, key, SL_CURVE_KEY_LEN + 1);
    memset(key, 0, sizeof key);
    return rc;
}

int
sl_sock_curve_server(sl_sock_t *sock, const char *secret_file, const char *domain)
{
    if (sl_sock_set_int(sock, ZMQ_CURVE_SERVER, 1) ||
        s_set_key(sock, ZMQ_CURVE_SECRETKEY, secret_file))
        return -1;
    if (domain && *domain && sl_sock_set_bytes(sock, ZMQ_ZAP_DOMAIN, domain, strlen(domain)))
        return -1;
    return 0;
}

int
sl_sock_curve_client(sl_sock_t *sock, const char *server_public_file, const char *public_file,
                     const char *secret_file)
{
    if (s_set_key(sock, ZMQ_CURVE_SERVERKEY, server_public_file) ||
        s_set_key(sock, ZMQ_CURVE_PUBLICKEY, public_file) ||
        s_set_key(sock, ZMQ_CURVE_SECRETKEY, secret_file))
        return -1;
    return 0;
}

/* --- ZAP handler (RFC 27) --------------------------------------------------- */

struct sl_zap {
    sl_sock_t *sock;        /* ROUTER on inproc://zeromq.zap.01 */
    sl_zap_allow_cb *allow; /* decides; NULL allows all */
    void *arg;              /* its argument */
};

static char *
s_frame_str(const sl_frames_t *m, size_t i)
{
    return sl_strndup(sl_frames_data(m, i), sl_frames_size(m, i));
}

static void
s_on_zap(sl_sock_t *sock, const sl_frames_t *m, void *arg)
{
    sl_zap_t *zap = arg;
    /* [routing id][empty][version][request id][domain][address][identity]
     * [mechanism][credentials…] */
    if (m->count < 8 || sl_frames_size(m, 1) != 0) {
        sl_log(SL_LOG_WARN, "zap request malformed: %zu frames", m->count);
        return;
    }
    char *domain = s_frame_str(m, 4), *address = s_frame_str(m, 5);
    char *mechanism = s_frame_str(m, 7);
    char key[SL_CURVE_KEY_LEN + 1] = "";
    bool curve = strcmp(mechanism, "CURVE") == 0;
    if (curve && m->count >= 9 && sl_frames_size(m, 8) == 32)
        zmq_z85_encode(key, sl_frames_data(m, 8), 32);
    bool ok = (!curve || key[0]) &&
              (!zap->allow || zap->allow(domain, address, key[0] ? key : NULL, zap->arg));
    if (!ok)
        sl_log(SL_LOG_WARN, "key=%s address=%s domain=%s client refused by zap handler",
               key[0] ? key : "-", address, domain);
    const char *status = ok ? "200" : "400", *text = ok ? "OK" : "not allowed";
    sl_part_t reply[] = {
        {sl_frames_data(m, 0), sl_frames_size(m, 0)}, {NULL, 0},   {"1.0", 3},
        {sl_frames_data(m, 3), sl_frames_size(m, 3)}, {status, 3}, {text, strlen(text)},
        {ok ? key : "", ok ? strlen(key) : 0},        {NULL, 0},
    };
    if (sl_sock_send(sock, reply, SL_ARRAY_LEN(reply)) != 0)
        sl_log(SL_LOG_ERROR, "could not answer zap request");
    free(domain);
    free(address);
    free(mechanism);
}

sl_zap_t *
sl_zap_new(sl_bus_t *bus, uv_loop_t *loop, sl_zap_allow_cb *allow, void *arg)
{
    sl_sock_t *sock = sl_sock_new(bus, loop, ZMQ_ROUTER);
    if (!sock)
        return NULL;
    sl_sock_set_int(sock, ZMQ_LINGER, 0);
    if (sl_sock_bind(sock, SL_ZAP_ENDPOINT) != 0) {
        sl_sock_destroy(&sock);
        return NULL;
    }
    /* A ZAP handler alone must not keep the loop alive. */
    uv_unref((uv_handle_t *)&sock->poll);
    uv_unref((uv_handle_t *)&sock->idle);
    sl_zap_t *zap = sl_calloc(1, sizeof *zap);
    zap->sock = sock;
    zap->allow = allow;
    zap->arg = arg;
    sl_sock_on_message(sock, s_on_zap, zap);
    return zap;
}

void
sl_zap_destroy(sl_zap_t **p)
{
    sl_zap_t *zap = *p;
    if (!zap)
        return;
    *p = NULL;
    sl_sock_destroy(&zap->sock);
    free(zap);
}

/* --- events (PUB) ----------------------------------------------------------- */

struct sl_events {
    sl_sock_t *sock;    /* the PUB socket */
    uint64_t published; /* events sent */
};

sl_events_t *
sl_events_new(sl_bus_t *bus, uv_loop_t *loop, const char *endpoint)
{
    sl_sock_t *sock = sl_sock_new(bus, loop, ZMQ_PUB);
    if (!sock)
        return NULL;
    if (sl_sock_monitor(sock) != 0 || sl_sock_bind(sock, endpoint) != 0) {
        sl_sock_destroy(&sock);
        return NULL;
    }
    sl_events_t *ev = sl_calloc(1, sizeof *ev);
    ev->sock = sock;
    return ev;
}

void
sl_events_destroy(sl_events_t **p)
{
    sl_events_t *ev = *p;
    if (!ev)
        return;
    *p = NULL;
    sl_sock_destroy(&ev->sock);
    free(ev);
}

int
sl_events_publish(sl_events_t *ev, const char *topic, const void *payload, size_t len)
{
    sl_part_t parts[] = {{topic, strlen(topic)}, {payload, len}};
    int rc = sl_sock_send(ev->sock, parts, 2);
    if (rc == -1)
        return -1;
    ev->published++;
    return 0;
}

uint64_t
sl_events_published(const sl_events_t *ev)
{
    return ev->published;
}

sl_sock_t *
sl_events_sock(sl_events_t *ev)
{
    return ev->sock;
}
