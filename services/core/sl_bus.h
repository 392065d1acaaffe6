/* sl_bus.h — ZeroMQ sockets on a libuv loop (DESIGN.md "Hard-won notes").
 *
 * An sl_bus_t owns the process's ZeroMQ context; an sl_sock_t wraps one socket
 * and drives it from a uv_loop_t. ZMQ_FD is edge-triggered and only ever says
 * "readable", so each socket has a uv_poll on ZMQ_FD, a uv_prepare that reads
 * ZMQ_EVENTS before the loop blocks (and starts a uv_idle while work is
 * pending, so the loop does not block), and a uv_check that receives whole
 * multipart messages in bounded batches until EAGAIN. Every socket stays on the
 * loop's thread. Also here: ZMQ heartbeats, CURVE options from key files, a ZAP
 * handler, a PUB helper for events, and a monitor that counts connected peers. */
#ifndef SL_BUS_H
#define SL_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>
#include <zmq.h>

typedef struct sl_bus sl_bus_t;
typedef struct sl_sock sl_sock_t;
typedef struct sl_events sl_events_t;
typedef struct sl_zap sl_zap_t;

/* Most messages handled per socket per loop turn, so one busy socket cannot
 * starve the loop's other work. */
#define SL_BUS_BATCH 256
/* Messages with more frames than this are received whole and then dropped
 * (logged, counted in sl_sock_dropped): no protocol of ours needs more. */
#define SL_BUS_MAX_FRAMES 32
/* Length of a Z85 CURVE key, without its NUL. */
#define SL_CURVE_KEY_LEN 40

/* One received multipart message. The frames belong to the socket and are
 * valid only during the on-message callback; move one out with zmq_msg_move
 * to keep it. */
typedef struct {
    zmq_msg_t *frame; /* the frames, in order */
    size_t count;     /* how many, >= 1 */
} sl_frames_t;

/* One frame to send: bytes and their length (copied by zmq). */
typedef struct {
    const void *data; /* the bytes; may be NULL when len is 0 */
    size_t len;       /* their length */
} sl_part_t;

/* Called on the loop's thread for each message received. The callback may
 * send, pause the socket, or destroy it (the batch then ends). */
typedef void(sl_sock_msg_cb)(sl_sock_t *sock, const sl_frames_t *msg, void *arg);
/* Called once when a socket that returned SL_AGAIN from sl_sock_send can take
 * messages again. */
typedef void(sl_sock_writable_cb)(sl_sock_t *sock, void *arg);

/* --- the context ----------------------------------------------------------- */

/* A new ZeroMQ context; NULL on failure (logged). */
sl_bus_t *sl_bus_new(void);
/* Terminates the context; every sl_sock_t made from it must have been
 * destroyed first (asserted). Blocks for at most the sockets' linger. */
void sl_bus_destroy(sl_bus_t **p);
/* The zmq context, for plain zmq sockets (test clients, threads). Borrowed. */
void *sl_bus_ctx(sl_bus_t *bus);

/* --- sockets --------------------------------------------------------------- */

/* A socket of zmq TYPE (ZMQ_ROUTER, ZMQ_DEALER, …) on LOOP. ROUTER sockets
 * get ZMQ_ROUTER_MANDATORY; every socket gets ZMQ_LINGER 1000 ms. The socket
 * does not read until sl_sock_on_message sets a callback. NULL on failure. */
sl_sock_t *sl_sock_new(sl_bus_t *bus, uv_loop_t *loop, int type);
/* Stops reading, closes the zmq socket now and the uv handles asynchronously:
 * the memory is freed by the loop's next turn (run the loop before
 * uv_loop_close). Accepts *p == NULL; sets *p to NULL. */
void sl_sock_destroy(sl_sock_t **p);

/* The raw zmq socket, for options this module does not wrap. Borrowed; never
 * zmq_close it and never recv from it. */
void *sl_sock_zmq(sl_sock_t *sock);
int sl_sock_type(const sl_sock_t *sock);

/* zmq_setsockopt / zmq_getsockopt for an int option; 0 or -1 (logged). */
int sl_sock_set_int(sl_sock_t *sock, int option, int value);
int sl_sock_get_int(sl_sock_t *sock, int option, int *value);
/* zmq_setsockopt for a string or bytes option (ZMQ_SUBSCRIBE, ZMQ_ROUTING_ID…). */
int sl_sock_set_bytes(sl_sock_t *sock, int option, const void *value, size_t len);
/* Send and receive high-water marks; 0 or -1. Set before bind/connect. */
int sl_sock_set_hwm(sl_sock_t *sock, int sndhwm, int rcvhwm);
/* ZMQ_HEARTBEAT_IVL, _TIMEOUT and _TTL in ms (0 leaves one unset): a peer
 * silent for TIMEOUT after a PING is disconnected. Set before bind/connect. */
int sl_sock_set_heartbeat(sl_sock_t *sock, int ivl_ms, int timeout_ms, int ttl_ms);

/* zmq_bind / zmq_connect; 0, or -1 with the endpoint and reason logged. */
int sl_sock_bind(sl_sock_t *sock, const char *endpoint);
int sl_sock_connect(sl_sock_t *sock, const char *endpoint);
/* The endpoint actually bound last (resolves "tcp://127.0.0.1:*"), into buf
 * of SIZE bytes; 0 or -1. */
int sl_sock_last_endpoint(sl_sock_t *sock, char *buf, size_t size);

/* Sets the on-message callback and starts reading (NULL stops reading). */
void sl_sock_on_message(sl_sock_t *sock, sl_sock_msg_cb *cb, void *arg);
/* Sets the callback for "sendable again" after an SL_AGAIN (NULL: none). */
void sl_sock_on_writable(sl_sock_t *sock, sl_sock_writable_cb *cb, void *arg);
/* Back-pressure: stop taking messages off the socket (they queue in zmq up to
 * the receive HWM, then peers block or drop), and start again. Idempotent. */
void sl_sock_pause(sl_sock_t *sock);
void sl_sock_resume(sl_sock_t *sock);
bool sl_sock_paused(const sl_sock_t *sock);

/* Sends N frames as one message without blocking. Returns 0 when queued
 * whole; SL_AGAIN when nothing was sent because the peer is at its HWM (retry
 * later; sl_sock_on_writable tells when); -1 when nothing was sent and never
 * will be (EHOSTUNREACH: a ROUTER's peer is gone; other errors logged). */
int sl_sock_send(sl_sock_t *sock, const sl_part_t *parts, size_t n);
/* Same, taking FRAMES[0..N) (moved out: each is left empty), so a received
 * routing id can be echoed without a copy. */
int sl_sock_send_msgs(sl_sock_t *sock, zmq_msg_t *frames, size_t n);

/* Messages received and dropped for having too many frames. */
uint64_t sl_sock_dropped(const sl_sock_t *sock);

/* Starts counting peers with zmq_socket_monitor on an inproc endpoint:
 * +1 on ZMQ_EVENT_ACCEPTED / _CONNECTED, -1 on _DISCONNECTED. Call before
 * bind/connect. 0 or -1. */
int sl_sock_monitor(sl_sock_t *sock);
/* Peers connected now (0 if not monitored). Updated as the loop runs. */
int sl_sock_peers(const sl_sock_t *sock);

/* --- received messages ----------------------------------------------------- */

static inline const void *
sl_frames_data(const sl_frames_t *m, size_t i)
{
    return zmq_msg_data(&m->frame[i]);
}

static inline size_t
sl_frames_size(const sl_frames_t *m, size_t i)
{
    return zmq_msg_size(&m->frame[i]);
}

/* A metadata property of the message (first frame that carries it), e.g.
 * "User-Id" (the client's key as the ZAP handler set it) or "Peer-Address";
 * NULL if absent. Borrowed; valid during the callback. */
const char *sl_frames_gets(const sl_frames_t *m, const char *property);
/* Shorthand for sl_frames_gets(m, "User-Id"). */
const char *sl_frames_user_id(const sl_frames_t *m);

/* --- CURVE ----------------------------------------------------------------- */

/* Reads a key file: exactly 40 Z85 characters, an optional trailing newline.
 * Writes the key and a NUL into key (>= 41 bytes). 0, or -1 (logged: file and
 * reason). */
int sl_curve_key_load(const char *path, char key[SL_CURVE_KEY_LEN + 1]);
/* Makes SOCK a CURVE server with the secret key in SECRET_FILE and ZAP
 * domain DOMAIN (NULL or "" for none). Call before bind. 0 or -1 (logged). */
int sl_sock_curve_server(sl_sock_t *sock, const char *secret_file, const char *domain);
/* Makes SOCK a CURVE client of the server whose public key is in
 * SERVER_PUBLIC_FILE, with its own key pair. Call before connect. 0 or -1. */
int sl_sock_curve_client(sl_sock_t *sock, const char *server_public_file, const char *public_file,
                         const char *secret_file);

/* The process's ZAP handler (RFC 27) on inproc://zeromq.zap.01: asked for
 * each CURVE client; answers 200 with the client's Z85 public key as the
 * User-Id when ALLOW returns true, 400 otherwise. Make it before any CURVE
 * server binds; one per bus. ALLOW (NULL: allow every key) runs on the loop. */
typedef bool(sl_zap_allow_cb)(const char *domain, const char *address, const char *client_key,
                              void *arg);
sl_zap_t *sl_zap_new(sl_bus_t *bus, uv_loop_t *loop, sl_zap_allow_cb *allow, void *arg);
void sl_zap_destroy(sl_zap_t **p);

/* --- events (PUB) ---------------------------------------------------------- */

/* A PUB socket bound to ENDPOINT, monitored (sl_sock_peers counts
 * subscribers' connections). NULL on failure (logged). */
sl_events_t *sl_events_new(sl_bus_t *bus, uv_loop_t *loop, const char *endpoint);
void sl_events_destroy(sl_events_t **p);
/* Sends [topic][payload]. Returns 0; a subscriber at its HWM just misses it
 * (events are notifications; DESIGN.md rule 1). -1 on a socket error (logged). */
int sl_events_publish(sl_events_t *ev, const char *topic, const void *payload, size_t len);
/* Events published since start. */
uint64_t sl_events_published(const sl_events_t *ev);
/* The PUB socket, for options and sl_sock_peers. Borrowed. */
sl_sock_t *sl_events_sock(sl_events_t *ev);

#endif
