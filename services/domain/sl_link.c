/* sl_link.c — one peer's link: window, acks, backoff, parking, leader lock.
 *
 * Everything runs on the daemon's loop: a timer tick (and kicks) takes rows
 * from the outbox into the window and sends them; acks arrive as messages on
 * the DEALER and are flushed to the outbox as delivered on the next tick, in
 * one statement. A crash between the peer's ack and that flush only makes the
 * rows go again: the peer answers DUPLICATE, and they are marked then. */
#include "sl_link.h"

#include "sl_clock.h"
#include "sl_codec.h"
#include "sl_log.h"
#include "sl_outbox.h"
#include "sl_util.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define S_TICK_MS 100         /* the link looks at its window this often */
#define S_STATS_MS 5000       /* and at the outbox's figures this often */
#define S_LOCK_RETRY_MS 2000  /* a standby instance tries the lock this often */
#define S_STATE_MS 2000       /* the leader writes link_state this often */

typedef struct {
    int64_t id;         /* outbox.id */
    char msg_id[72];
    uint8_t *payload;   /* owned */
    size_t len;
    uint64_t sent_ms;   /* monotonic ms of the last send */
} s_flight_t;

struct sl_link {
    char peer[8];
    char *endpoint;           /* as configured (for logs) */
    int window, retry_min_ms, retry_max_ms, ack_timeout_ms;
    uv_loop_t *loop;
    sl_db_t *db;              /* borrowed */
    sl_sock_t *sock;          /* DEALER to the peer's intake */
    uv_timer_t tick;
    s_flight_t *fl;           /* the window, oldest first */
    int nfl, capfl;           /* capfl doubles, never shrinks: no realloc per send */
    int64_t last_id;          /* highest outbox id taken into the window */
    bool leader;              /* holds the peer's advisory lock */
    bool req_form;            /* the peer answered the bare form bad_frames: [empty][Envelope] */
    long lock_conn;           /* sl_db_reconnects() when the lock was taken */
    uint64_t lock_retry_ms;   /* standby: next attempt */
    int attempt;              /* consecutive failures, for the backoff */
    uint64_t backoff_until;   /* monotonic ms; nothing new is sent before */
    int backoff_ms;
    int64_t *done_id;         /* acked, not yet marked delivered */
    char (*done_status)[12];
    size_t ndone, done_cap;
    uint64_t stats_ms;        /* next figures update */
    uint64_t state_ms;        /* next link_state write */
    char instance[32];        /* this process, for link_state */
    char started_at[40];      /* when this link started (ISO) */
    sl_link_prepare_cb *prepare;
    void *prepare_arg;
    uint64_t sent, acked, retried, parked;
    sl_counter_t *m_sent, *m_acked, *m_retried, *m_parked;
    sl_gauge_t *m_connected, *m_inflight, *m_depth, *m_oldest, *m_parked_rows, *m_leader;
};

static void s_tick(uv_timer_t *t);

static uint64_t
s_mono(void)
{
    return uv_hrtime() / 1000000;
}

static void
s_backoff(sl_link_t *l, const char *why)
{
    l->attempt++;
    int shift = l->attempt - 1 < 20 ? l->attempt - 1 : 20;
    long long delay = (long long)l->retry_min_ms << shift;
    if (delay > l->retry_max_ms)
        delay = l->retry_max_ms;
    /* jitter: 50–100 % of the delay, so links do not retry in step */
    delay = delay / 2 + (long long)randombytes_uniform((uint32_t)(delay / 2 + 1));
    l->backoff_ms = (int)delay;
    l->backoff_until = s_mono() + (uint64_t)delay;
    sl_log(l->attempt == 1 ? SL_LOG_INFO : SL_LOG_DEBUG,
           "peer=%s %s; %d envelopes unacked, next attempt in %lld ms", l->peer, why, l->nfl,
           delay);
}

/* One frame, [Envelope]: the DEALER has ZMQ_IMMEDIATE, and libzmq 4.3 aborts
 * (fq.cpp:112, "!_more") when such a socket handles a reconnect between the
 * frames of a message it is reading, so the acks must come in one frame too
 * (docs/DESIGN.md, "Ingress frames"). A peer older than the bare form answers
 * it bad_frames; then [empty][Envelope], as before. */
static int
s_send(sl_link_t *l, const s_flight_t *f)
{
    sl_part_t parts[2] = {{"", 0}, {f->payload, f->len}};
    return l->req_form ? sl_sock_send(l->sock, parts, 2) : sl_sock_send(l->sock, parts + 1, 1);
}

/* Sends window entry I again (same bytes); 0, or s_send's error. */
static int
s_resend(sl_link_t *l, int i, uint64_t now)
{
    int rc = s_send(l, &l->fl[i]);
    if (rc != 0)
        return rc;
    l->fl[i].sent_ms = now;
    l->sent++, l->retried++;
    sl_counter_inc(l->m_sent);
    sl_counter_inc(l->m_retried);
    return 0;
}

static void
s_flight_remove(sl_link_t *l, int i)
{
    free(l->fl[i].payload);
    memmove(&l->fl[i], &l->fl[i + 1], (size_t)(l->nfl - i - 1) * sizeof *l->fl);
    l->nfl--;
    sl_gauge_set(l->m_inflight, l->nfl);
}

static void
s_forget_window(sl_link_t *l)
{
    while (l->nfl > 0)
        s_flight_remove(l, l->nfl - 1);
    l->last_id = 0;
}

/* An Ack from the peer. */
static void
s_on_message(sl_sock_t *sock, const sl_frames_t *msg, void *arg)
{
    (void)sock;
    sl_link_t *l = arg;
    /* [Ack] (the bare form), or [empty][Ack] from a peer older than it */
    if (msg->count != 1 && (msg->count != 2 || sl_frames_size(msg, 0) != 0)) {
        sl_log(SL_LOG_WARN, "peer=%s sent a message of %zu frames, not an ack; ignored", l->peer,
               msg->count);
        return;
    }
    sl_arena_t *arena = sl_arena_new(4096);
    size_t last = msg->count - 1;
    sl_pb_ack_t *ack =
        sl_codec_decode_ack(arena, sl_frames_data(msg, last), sl_frames_size(msg, last));
    if (ack && ack->status == SL_ACK_REJECTED && ack->error_code &&
        strcmp(ack->error_code, SL_ERR_BAD_FRAMES) == 0) {
        /* An intake older than the bare form (its refusal names no msg_id: it
         * read none). Speak [empty][Envelope] to it from now on and resend the
         * window so now (what cannot go now is resent when late, as ever); a
         * refusal that comes after the switch is of a bare send the resend
         * answers: nothing parks for the shape. */
        if (!l->req_form) {
            l->req_form = true;
            uint64_t now = s_mono();
            for (int k = 0; k < l->nfl && s_resend(l, k, now) == 0; k++)
                ;
            sl_log(SL_LOG_WARN,
                   "peer=%s does not take one-frame envelopes (an older sl-intake): sending"
                   " [empty][Envelope] from now on", l->peer);
        }
        sl_arena_destroy(&arena);
        return;
    }
    int i = 0;
    while (ack && i < l->nfl && strcmp(l->fl[i].msg_id, ack->msg_id) != 0)
        i++;
    if (!ack || i == l->nfl) {
        /* a late ack of something already flushed, or garbage */
        sl_arena_destroy(&arena);
        return;
    }
    if (ack->status == SL_ACK_ACCEPTED || ack->status == SL_ACK_DUPLICATE) {
        if (l->ndone == l->done_cap) {
            l->done_cap = l->done_cap ? l->done_cap * 2 : 256;
            l->done_id = sl_realloc(l->done_id, l->done_cap * sizeof *l->done_id);
            l->done_status = sl_realloc(l->done_status, l->done_cap * sizeof *l->done_status);
        }
        l->done_id[l->ndone] = l->fl[i].id;
        snprintf(l->done_status[l->ndone], sizeof l->done_status[0], "%s",
                 ack->status == SL_ACK_ACCEPTED ? "ACCEPTED" : "DUPLICATE");
        l->ndone++;
        s_flight_remove(l, i);
        l->attempt = 0;
        l->backoff_ms = 0;
        l->backoff_until = 0;
    } else if (ack->error_code && strcmp(ack->error_code, SL_ERR_INTERNAL) == 0) {
        sl_log(SL_LOG_WARN, "peer=%s msg_id=%s answered internal (%s); will resend", l->peer,
               ack->msg_id, ack->error_text);
    } else {
        char reason[512];
        snprintf(reason, sizeof reason, "%s: %s", ack->error_code ? ack->error_code : "",
                 ack->error_text ? ack->error_text : "");
        /* the ack's strings are UTF-8 (sl_codec); a cut may split the last character */
        size_t n = strlen(reason);
        while (n > 0 && !sl_utf8_valid(reason, n))
            reason[--n] = '\0';
        int rc = sl_outbox_park(l->db, l->fl[i].id, reason, sl_now_ms());
        sl_log(SL_LOG_ERROR, "peer=%s msg_id=%s code=%s rejected by the peer: parked%s", l->peer,
               ack->msg_id, ack->error_code, rc == 0 ? "" : " (not yet recorded: database)");
        if (rc == 0) {
            l->parked++;
            sl_counter_inc(l->m_parked);
            s_flight_remove(l, i);
        }
    }
    sl_arena_destroy(&arena);
    sl_link_kick(l);
}

/* Leader lock: one sender per peer across instances. */
static bool
s_lead(sl_link_t *l)
{
    if (l->leader && sl_db_reconnects(l->db) != l->lock_conn) {
        /* the connection that held the lock is gone, and the lock with it */
        l->leader = false;
        s_forget_window(l);
    }
    if (l->leader)
        return true;
    uint64_t now = s_mono();
    if (now < l->lock_retry_ms)
        return false;
    l->lock_retry_ms = now + S_LOCK_RETRY_MS;
    char key[32];
    snprintf(key, sizeof key, "sl-link:%s", l->peer);
    const char *p[] = {key};
    PGresult *r;
    if (sl_db_exec(l->db, &r, "SELECT pg_try_advisory_lock(hashtext($1))", 1, p) != 0)
        return false;
    l->leader = PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    if (l->leader) {
        l->lock_conn = sl_db_reconnects(l->db);
        sl_log(SL_LOG_INFO, "peer=%s this instance sends to the peer", l->peer);
    }
    sl_gauge_set(l->m_leader, l->leader);
    return l->leader;
}

static void
s_flush(sl_link_t *l)
{
    if (l->ndone == 0)
        return;
    const char **st = sl_calloc(l->ndone, sizeof *st);
    for (size_t i = 0; i < l->ndone; i++)
        st[i] = l->done_status[i];
    int rc = sl_outbox_delivered(l->db, l->done_id, st, l->ndone, sl_now_ms());
    free(st);
    if (rc == 0) {
        l->acked += l->ndone;
        sl_counter_add(l->m_acked, l->ndone);
        l->ndone = 0;
    }
}

static void
s_figures(sl_link_t *l)
{
    uint64_t now = s_mono();
    sl_gauge_set(l->m_connected, sl_sock_peers(l->sock) > 0);
    if (now < l->stats_ms)
        return;
    l->stats_ms = now + S_STATS_MS;
    const char *peers[] = {l->peer};
    sl_outbox_stats_t *st;
    size_t n;
    if (sl_outbox_stats(l->db, peers, 1, sl_now_ms(), &st, &n) != 0)
        return;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(st[i].peer, l->peer) != 0)
            continue;
        sl_gauge_set(l->m_depth, (double)st[i].depth);
        sl_gauge_set(l->m_oldest, st[i].oldest_s);
        sl_gauge_set(l->m_parked_rows, (double)st[i].parked);
    }
    free(st);
}

/* The leader's live figures into link_state, for slctl link list. */
static void
s_save_state(sl_link_t *l)
{
    uint64_t now = s_mono();
    if (now < l->state_ms)
        return;
    l->state_ms = now + S_STATE_MS;
    char conn[2], infl[16], sent[24], acked[24], retried[24], parked[24], backoff[16], at[40];
    snprintf(conn, sizeof conn, "%d", sl_sock_peers(l->sock) > 0);
    snprintf(infl, sizeof infl, "%d", l->nfl);
    snprintf(sent, sizeof sent, "%llu", (unsigned long long)l->sent);
    snprintf(acked, sizeof acked, "%llu", (unsigned long long)l->acked);
    snprintf(retried, sizeof retried, "%llu", (unsigned long long)l->retried);
    snprintf(parked, sizeof parked, "%llu", (unsigned long long)l->parked);
    snprintf(backoff, sizeof backoff, "%d", l->backoff_until > now ? l->backoff_ms : 0);
    sl_time_format_iso(sl_now_ms(), at, sizeof at);
    const char *p[] = {l->peer, l->instance, conn,    infl,          sent, acked,
                       retried, parked,      backoff, l->started_at, at};
    sl_db_exec(l->db, NULL,
               "INSERT INTO link_state (peer, instance, connected, inflight, sent, acked, retried,"
               " parked, backoff_ms, started_at, updated_at) VALUES ($1, $2, $3::int::bool,"
               " $4::int, $5::bigint, $6::bigint, $7::bigint, $8::bigint, $9::int,"
               " $10::timestamptz, $11::timestamptz) ON CONFLICT (peer) DO UPDATE SET"
               " instance = $2, connected = $3::int::bool, inflight = $4::int, sent = $5::bigint,"
               " acked = $6::bigint, retried = $7::bigint, parked = $8::bigint,"
               " backoff_ms = $9::int, started_at = $10::timestamptz, updated_at = $11::timestamptz",
               11, p);
}

static void
s_tick(uv_timer_t *t)
{
    sl_link_t *l = t->data;
    s_figures(l);
    if (!s_lead(l))
        return;
    s_flush(l);
    s_save_state(l);
    uint64_t now = s_mono();
    if (now < l->backoff_until)
        return;
    /* Late acks: resend the same bytes, then back off. */
    int late = 0;
    for (int i = 0; i < l->nfl; i++) {
        if (now - l->fl[i].sent_ms < (uint64_t)l->ack_timeout_ms)
            continue;
        int src = s_resend(l, i, now);
        if (src != 0) {
            /* the peer is gone (or full): wait before trying again */
            s_backoff(l, src == SL_AGAIN ? "peer not connected" : "send failed");
            return;
        }
        late++;
    }
    if (late > 0) {
        s_backoff(l, "acks are late");
        return;
    }
    /* Fill the window, oldest first. */
    if (l->nfl >= l->window)
        return;
    sl_outbox_row_t *rows;
    size_t n;
    int64_t *skip = sl_calloc((size_t)l->nfl + l->ndone + 1, sizeof *skip);
    size_t nskip = 0;
    for (int i = 0; i < l->nfl; i++)
        skip[nskip++] = l->fl[i].id;
    for (size_t i = 0; i < l->ndone; i++)
        skip[nskip++] = l->done_id[i];
    int qrc = sl_outbox_next_skipping(l->db, l->peer, skip, nskip, l->window - l->nfl, &rows, &n);
    free(skip);
    if (qrc != 0)
        return;
    /* Before the first send: every row prepared (re-sealed) or parked, in one
     * transaction, so what is sent is what the outbox holds. */
    bool *skip_row = sl_calloc(n ? n : 1, sizeof *skip_row);
    if (l->prepare && n > 0) {
        int prc = sl_db_begin(l->db);
        long parked = 0;
        for (size_t k = 0; prc == 0 && k < n; k++) {
            char reason[512] = "";
            prc = l->prepare(l->prepare_arg, l->peer, &rows[k], reason, sizeof reason);
            if (prc == SL_DECLINED) {
                prc = sl_outbox_park(l->db, rows[k].id, reason, sl_now_ms());
                skip_row[k] = true;
                parked++;
                sl_log(SL_LOG_ERROR, "peer=%s msg_id=%s cannot be sent: parked (%s)", l->peer,
                       rows[k].msg_id, reason);
            }
        }
        if (prc == 0)
            prc = sl_outbox_replace_rows(l->db, rows, n);
        if (prc == 0)
            prc = sl_db_commit(l->db);
        if (prc != 0) {
            /* the database: nothing changed; the next tick reads the rows again */
            sl_db_rollback(l->db);
            free(skip_row);
            sl_outbox_rows_free(rows, n);
            return;
        }
        l->parked += (uint64_t)parked;
        sl_counter_add(l->m_parked, (uint64_t)parked);
    }
    size_t i = 0;
    for (; i < n; i++) {
        if (skip_row[i])
            continue;
        s_flight_t f = {.id = rows[i].id, .payload = rows[i].payload, .len = rows[i].len,
                        .sent_ms = now};
        snprintf(f.msg_id, sizeof f.msg_id, "%s", rows[i].msg_id);
        int rc = s_send(l, &f);
        if (rc != 0) {
            /* no peer connected (ZMQ_IMMEDIATE) or full: keep the rest in the outbox */
            s_backoff(l, rc == SL_AGAIN ? "peer not connected" : "send failed");
            break;
        }
        rows[i].payload = NULL;
        if (l->nfl == l->capfl) {
            l->capfl = l->capfl ? 2 * l->capfl : 16;
            l->fl = sl_realloc(l->fl, (size_t)l->capfl * sizeof *l->fl);
        }
        l->fl[l->nfl++] = f;
        l->last_id = f.id;
        l->sent++;
        sl_counter_inc(l->m_sent);
    }
    sl_gauge_set(l->m_inflight, l->nfl);
    free(skip_row);
    sl_outbox_rows_free(rows, n);
}

void
sl_link_kick(sl_link_t *l)
{
    if (!uv_is_closing((uv_handle_t *)&l->tick))
        uv_timer_start(&l->tick, s_tick, 0, S_TICK_MS);
}

sl_link_t *
sl_link_new(sl_bus_t *bus, uv_loop_t *loop, sl_db_t *db, sl_metrics_t *metrics,
            const sl_link_opts_t *o)
{
    sl_link_t *l = sl_calloc(1, sizeof *l);
    snprintf(l->peer, sizeof l->peer, "%s", o->peer);
    l->endpoint = sl_strdup(o->endpoint);
    l->window = o->window > 0 ? o->window : 1000;
    l->retry_min_ms = o->retry_min_ms > 0 ? o->retry_min_ms : 200;
    l->retry_max_ms = o->retry_max_ms >= l->retry_min_ms ? o->retry_max_ms : 60000;
    l->ack_timeout_ms = o->ack_timeout_ms > 0 ? o->ack_timeout_ms : 10000;
    l->loop = loop;
    l->db = db;
    snprintf(l->instance, sizeof l->instance, "%s", o->instance ? o->instance : "sl-dispatch");
    sl_time_format_iso(sl_now_ms(), l->started_at, sizeof l->started_at);
    l->prepare = o->prepare;
    l->prepare_arg = o->prepare_arg;
    char labels[32];
    snprintf(labels, sizeof labels, "peer=%s", l->peer);
    l->m_sent = sl_metrics_counter(metrics, "sl_link_sent_total",
                                   "Envelopes sent to the peer, resends included", labels);
    l->m_acked = sl_metrics_counter(metrics, "sl_link_acked_total",
                                    "Outbox rows the peer acked (delivered)", labels);
    l->m_retried = sl_metrics_counter(metrics, "sl_link_retried_total",
                                      "Envelopes resent for a late ack", labels);
    l->m_parked = sl_metrics_counter(metrics, "sl_link_parked_total",
                                     "Outbox rows parked: the peer rejected them", labels);
    l->m_connected = sl_metrics_gauge(metrics, "sl_link_connected",
                                      "1 if the peer's intake is connected", labels);
    l->m_inflight = sl_metrics_gauge(metrics, "sl_link_inflight", "Envelopes sent, not yet acked",
                                     labels);
    l->m_depth = sl_metrics_gauge(metrics, "sl_outbox_depth",
                                  "Undelivered outbox rows for the peer", labels);
    l->m_oldest = sl_metrics_gauge(metrics, "sl_outbox_oldest_seconds",
                                   "Age of the oldest undelivered outbox row", labels);
    l->m_parked_rows = sl_metrics_gauge(metrics, "sl_outbox_parked",
                                        "Outbox rows parked with a reason", labels);
    l->m_leader = sl_metrics_gauge(metrics, "sl_link_leader",
                                   "1 if this instance sends to the peer", labels);
    if (!(l->sock = sl_sock_new(bus, loop, ZMQ_DEALER)))
        goto fail;
    sl_sock_set_int(l->sock, ZMQ_IMMEDIATE, 1);
    sl_sock_set_hwm(l->sock, l->window * 2, l->window * 2);
    sl_sock_set_heartbeat(l->sock, 1000, 3000, 6000);
    sl_sock_set_int(l->sock, ZMQ_RECONNECT_IVL, 200);
    sl_sock_set_int(l->sock, ZMQ_RECONNECT_IVL_MAX, 5000);
    sl_sock_monitor(l->sock);
    if (o->peer_public &&
        sl_sock_curve_client(l->sock, o->peer_public, o->our_public, o->our_secret) != 0)
        goto fail;
    /* several endpoints (two intake instances): one DEALER to all */
    char *eps = sl_strdup(o->endpoint), *save = NULL;
    for (char *ep = strtok_r(eps, ",", &save); ep; ep = strtok_r(NULL, ",", &save)) {
        if (sl_sock_connect(l->sock, sl_trim(ep)) != 0) {
            free(eps);
            goto fail;
        }
    }
    free(eps);
    sl_sock_on_message(l->sock, s_on_message, l);
    uv_timer_init(loop, &l->tick);
    l->tick.data = l;
    uv_timer_start(&l->tick, s_tick, 0, S_TICK_MS);
    sl_log(SL_LOG_INFO, "peer=%s link to %s%s", l->peer, l->endpoint,
           o->peer_public ? " (CURVE)" : "");
    return l;
fail:
    sl_sock_destroy(&l->sock);
    free(l->endpoint);
    free(l);
    return NULL;
}

static void
s_free(uv_handle_t *h)
{
    sl_link_t *l = h->data;
    free(l->endpoint);
    free(l->done_id);
    free(l->done_status);
    free(l);
}

void
sl_link_destroy(sl_link_t **p)
{
    if (!p || !*p)
        return;
    sl_link_t *l = *p;
    s_flush(l); /* what the peer acked is marked now, not resent later */
    s_forget_window(l);
    free(l->fl);
    l->fl = NULL;
    sl_sock_destroy(&l->sock);
    uv_timer_stop(&l->tick);
    uv_close((uv_handle_t *)&l->tick, s_free);
    *p = NULL;
}

void
sl_link_stats(const sl_link_t *l, sl_link_stats_t *st)
{
    st->leader = l->leader;
    st->connected = sl_sock_peers(l->sock) > 0;
    st->inflight = l->nfl;
    st->sent = l->sent;
    st->acked = l->acked;
    st->retried = l->retried;
    st->parked = l->parked;
    st->backoff_ms = l->backoff_until > s_mono() ? l->backoff_ms : 0;
}

const char *
sl_link_peer(const sl_link_t *l)
{
    return l->peer;
}

int
sl_link_states(sl_db_t *db, int64_t now_ms, sl_link_state_cb *cb, void *arg)
{
    char at[40];
    sl_time_format_iso(now_ms, at, sizeof at);
    const char *p[] = {at};
    PGresult *r;
    int rc = sl_db_exec(db, &r,
                        "SELECT peer, instance, connected, inflight, sent, acked, retried, parked,"
                        " backoff_ms, extract(epoch FROM $1::timestamptz - updated_at)"
                        " FROM link_state ORDER BY peer",
                        1, p);
    if (rc != 0)
        return rc;
    for (int i = 0; i < PQntuples(r); i++) {
        sl_link_state_t st = {0};
        snprintf(st.peer, sizeof st.peer, "%s", PQgetvalue(r, i, 0));
        snprintf(st.instance, sizeof st.instance, "%s", PQgetvalue(r, i, 1));
        st.connected = PQgetvalue(r, i, 2)[0] == 't';
        st.inflight = atoi(PQgetvalue(r, i, 3));
        st.sent = atoll(PQgetvalue(r, i, 4));
        st.acked = atoll(PQgetvalue(r, i, 5));
        st.retried = atoll(PQgetvalue(r, i, 6));
        st.parked = atoll(PQgetvalue(r, i, 7));
        st.backoff_ms = atoi(PQgetvalue(r, i, 8));
        st.age_s = atof(PQgetvalue(r, i, 9));
        cb(arg, &st);
    }
    PQclear(r);
    return 0;
}
