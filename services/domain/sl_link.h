/* sl_link.h — store-and-forward to one peer node (DESIGN.md rules 2–3).
 *
 * A link sends the outbox rows for one peer to that peer's sl-intake over a
 * CURVE DEALER: oldest first, at most `window` unacked at a time, resending
 * the same bytes when an ack is late, backing off exponentially (with jitter,
 * capped) while the peer does not answer. A row is marked delivered only on
 * the peer's Ack (ACCEPTED or DUPLICATE); a REJECTED row is parked with its
 * reason and never retried blindly (`internal` is transient: retried).
 * ZeroMQ heartbeats detect a dead peer. Only one sl-dispatch instance sends to
 * a peer at a time (a session advisory lock per peer); the others stand by. */
#ifndef SL_LINK_H
#define SL_LINK_H

#include "sl_bus.h"
#include "sl_db.h"
#include "sl_metrics.h"
#include "sl_outbox.h"

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

typedef struct sl_link sl_link_t;

/* Called for each row before its first send by this process, inside one
 * transaction per batch of rows the link takes: may replace ROW's payload and
 * set ROW->replaced (the link stores the new payloads in that transaction, so
 * resends are the same bytes) and write other rows of its own. Returns
 * 0 to send it; SL_DECLINED to park it with REASON (SIZE bytes) — it can
 * never be sent as it is; -1 or SL_AGAIN to roll back and try later. */
typedef int(sl_link_prepare_cb)(void *arg, const char *peer, sl_outbox_row_t *row, char *reason,
                                size_t size);

typedef struct {
    const char *peer;          /* the peer's division code */
    const char *endpoint;      /* its intake, tcp://… (several: comma-separated) */
    const char *peer_public;   /* CURVE: file with the peer's public key (NULL: no CURVE) */
    const char *our_public;    /* CURVE: this node's key pair files */
    const char *our_secret;
    int window;                /* most unacked envelopes */
    int retry_min_ms;          /* backoff: first delay */
    int retry_max_ms;          /* backoff: cap */
    int ack_timeout_ms;        /* resend an envelope unacked this long */
    const char *instance;      /* this process, for link_state ("sl-dispatch", "sl-dispatch.2") */
    sl_link_prepare_cb *prepare; /* NULL: rows go as stored */
    void *prepare_arg;
} sl_link_opts_t;

/* A link on LOOP using DB (the daemon's connection, borrowed) and METRICS
 * (series labelled peer=CODE). Starts at once. NULL on failure (logged). */
sl_link_t *sl_link_new(sl_bus_t *bus, uv_loop_t *loop, sl_db_t *db, sl_metrics_t *metrics,
                       const sl_link_opts_t *opts);
/* Stops sending (unacked rows stay in the outbox and are sent again later). */
void sl_link_destroy(sl_link_t **p);
/* New rows may be waiting: send soon rather than at the next tick. */
void sl_link_kick(sl_link_t *link);

/* Figures for operators. */
typedef struct {
    bool leader;        /* this instance sends for the peer */
    bool connected;     /* the peer's intake is connected (heartbeats alive) */
    int inflight;       /* sent, not yet acked */
    uint64_t sent;      /* envelopes sent (resends included) */
    uint64_t acked;     /* rows marked delivered */
    uint64_t retried;   /* resends */
    uint64_t parked;    /* rows parked */
    int backoff_ms;     /* current backoff, 0 if none */
} sl_link_stats_t;
void sl_link_stats(const sl_link_t *link, sl_link_stats_t *st);
const char *sl_link_peer(const sl_link_t *link);

/* What the sending instance last wrote to link_state for one peer (slctl link
 * list). AGE_S: seconds since updated_at at NOW_MS. */
typedef struct {
    char peer[8];
    char instance[32];
    bool connected;
    int inflight;
    long long sent, acked, retried, parked;
    int backoff_ms;
    double age_s;
} sl_link_state_t;
typedef void(sl_link_state_cb)(void *arg, const sl_link_state_t *st);
/* Calls CB for every peer in link_state. 0, -1 or SL_AGAIN. */
int sl_link_states(sl_db_t *db, int64_t now_ms, sl_link_state_cb *cb, void *arg);

#endif
