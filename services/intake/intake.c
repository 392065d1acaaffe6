/* intake.c — sl-intake's server: sockets, validation, group commit, acks.
 *
 * Messages are taken off the ROUTER sockets into a queue. Whenever the queue
 * holds work, one batch (up to [intake] batch_max envelopes) is validated and
 * sealed on the loop thread, then stored and applied in one transaction on a
 * worker thread (libuv's pool) with a connection of its own; only after
 * COMMIT returns are its acks sent and its events published, on the loop
 * thread again. One batch is in the database at a time: while it commits, the
 * loop takes new envelopes and validates and seals the next batch, so the
 * CPU work of one batch overlaps the database work of the one before. That is
 * the group commit. A batch that fails with an SQL error is retried envelope
 * by envelope, so one bad apple rejects only itself; a lost database
 * connection keeps the batch queued and retries it with backoff, answering
 * nothing until it is stored.
 *
 * What a body means — who may send it, whether it is valid, where it goes,
 * which module applies it — is sl_apply's (services/domain/sl_apply.h): this
 * file decodes and seals, calls sl_apply_prepare and sl_apply_batch, and
 * answers.
 *
 * Threads: the worker touches only the in-flight items (in->inflight), the
 * batch connection (in->db), the calendar cache and metrics (atomic or
 * locked); everything else — sockets, the queue, the sealer — belongs to
 * the loop thread. The service (sl_service: HTTP, heartbeat, events, the
 * database's state) and the status page have connections of their own. */
#include "intake.h"

#include "sl_apply.h"
#include "sl_bus.h"
#include "sl_calendar_db.h"
#include "sl_clock.h"
#include "sl_codec.h"
#include "sl_db.h"
#include "sl_log.h"
#include "sl_metrics.h"
#include "sl_principal.h"
#include "sl_route.h"
#include "sl_seal.h"
#include "sl_sector.h"
#include "sl_status.h"
#include "sl_unit.h"
#include "sl_util.h"

#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define S_STATUS_GAUGE_MS 15000 /* how often the status gauges are refreshed */

typedef struct {
    sl_apply_item_t a;          /* what it means and what became of it (sl_apply.h) */
    sl_sock_t *sock;            /* the socket to answer on */
    zmq_msg_t rid;              /* the peer's routing id (moved out of the message) */
    zmq_msg_t body;             /* the envelope frame (moved), if the shape was right */
    bool has_body;              /* body holds the envelope frame */
    bool bare;                  /* came as [Envelope], not [empty][Envelope]: ack alike */
    char sender[64];            /* CURVE key, "ipc" or "tcp:<address>" */
    sl_arena_t *arena;          /* everything decoded for this envelope */
    uint8_t *stored;            /* the envelope re-encoded with the reporter sealed */
    size_t stored_len;
    uint8_t *sealed_rep;        /* the SealedReporter encoding, or NULL */
    size_t sealed_rep_len;
    bool raw_sealed;            /* stored is one sealed box (undecodable input) */
} s_item_t;

struct sl_intake {
    const sl_config_t *cfg;     /* borrowed */
    uv_loop_t *loop;            /* borrowed */
    char node[8];               /* the node's division code */
    char parent[8];             /* the parent node's code, "" at the top */
    sl_service_t *svc;          /* metrics, bus, events, HTTP, the database's state; borrowed */
    sl_db_t *db;                /* the batches' connection: the worker's while busy */
    sl_route_map_t *routes;
    sl_sealer_t *sealer;
    sl_calendar_cache_t *cal;   /* working days for transfer deadlines */
    sl_apply_ctx_t apply;       /* this node, for sl_apply (points into this struct) */
    sl_apply_item_t **batch;    /* the worker's view of a batch's items (batch_max room) */
    char seal_key_id[48];       /* "<node>:<fingerprint>" */
    sl_principals_t *principals; /* the keys the config names */
    sl_zap_t *zap;              /* admits only those keys (CURVE on) */
    bool curve;                 /* [intake] curve */
    sl_sock_t *tcp;             /* ROUTER on TCP */
    sl_sock_t *ipc;             /* ROUTER on the node's ipc endpoint */
    sl_metrics_t *metrics;      /* the service's */
    size_t batch_max;           /* envelopes per transaction */
    size_t max_envelope;        /* bytes */
    s_item_t **queue;           /* taken, not yet answered */
    size_t qlen, qcap;
    size_t prepared;            /* the queue's first items already validated and sealed */
    uv_idle_t work;             /* runs batches while the queue holds some */
    uv_work_t job;              /* the batch in the database (worker thread) */
    bool busy;                  /* job is queued or running */
    s_item_t **inflight;        /* job's items: the queue's first inflight_n (batch_max room) */
    s_item_t **spare;           /* the other such array: the last batch's, while it is answered */
    size_t inflight_n;
    int64_t job_now;            /* the batch's time, taken on the loop thread */
    long job_answered;          /* set by the worker: items to answer, or -1: database down */
    uv_timer_t retry;           /* database down: try the batch again later */
    int retry_ms;               /* current backoff */
    bool waiting_db;            /* a batch waits for the database */
    bool draining;              /* stop taking messages */
    void (*drained)(void *);    /* called once the queue is empty while draining */
    void *drained_arg;
    pthread_mutex_t status_lock; /* the status page's connection, on the HTTP thread */
    sl_db_t *status_db;
    char sqlstate[6];           /* of the last batch that failed (ROLLBACK clears the db's) */
    char sqlerror[512];         /* its error text */
    /* metrics */
    sl_counter_t *m_accepted, *m_duplicate, *m_rejected_total;
    sl_histogram_t *m_batch, *m_commit;
    sl_gauge_t *m_queue, *m_peers, *m_reconnects;
    sl_gauge_t *m_overdue, *m_dead_hour, *m_cal_missing; /* status figures for the alerts */
    sl_counter_t *m_registered, *m_repeated, *m_forwarded;
};

static void s_work(uv_idle_t *h);

/* --- items -------------------------------------------------------------- */

static s_item_t *
s_item_new(void)
{
    s_item_t *it = sl_calloc(1, sizeof *it);
    zmq_msg_init(&it->rid);
    zmq_msg_init(&it->body);
    it->a.sender = it->sender;
    return it;
}

static void
s_item_free(s_item_t *it)
{
    zmq_msg_close(&it->rid);
    zmq_msg_close(&it->body);
    sl_arena_destroy(&it->arena);
    free(it->stored);
    free(it->sealed_rep);
    free(it);
}

static void
s_reject(s_item_t *it, const char *code, const char *detail, const char *text)
{
    sl_codec_error_set(&it->a.err, code, detail, "%s", text);
    it->a.state = SL_APPLY_REJECT;
}

/* --- receiving ---------------------------------------------------------- */

static void
s_on_message(sl_sock_t *sock, const sl_frames_t *msg, void *arg)
{
    sl_intake_t *in = arg;
    s_item_t *it = s_item_new();
    it->sock = sock;
    it->a.received_ms = sl_now_ms();
    const char *uid = sl_frames_user_id(msg);
    if (sock == in->ipc) {
        snprintf(it->sender, sizeof it->sender, "ipc");
        it->a.principal = sl_principal_local();
    } else if (uid && *uid) {
        snprintf(it->sender, sizeof it->sender, "%s", uid);
        it->a.principal = sl_principals_find(in->principals, uid);
    } else {
        /* CURVE off (development only): a TCP client is trusted as local. */
        const char *addr = sl_frames_gets(msg, "Peer-Address");
        snprintf(it->sender, sizeof it->sender, "tcp:%s", addr ? addr : "?");
        it->a.principal = in->curve ? NULL : sl_principal_local();
    }
    zmq_msg_move(&it->rid, &msg->frame[0]);
    /* REQ-compatible [rid][empty][Envelope], or the bare [rid][Envelope] of a
     * DEALER (the link's: see docs/DESIGN.md, "Ingress frames"); the ack goes
     * back in the form that came. */
    if (msg->count == 3 && sl_frames_size(msg, 1) == 0) {
        zmq_msg_move(&it->body, &msg->frame[2]);
        it->has_body = true;
    } else if (msg->count == 2) {
        zmq_msg_move(&it->body, &msg->frame[1]);
        it->has_body = true;
        it->bare = true;
    } else {
        s_reject(it, SL_ERR_BAD_FRAMES, NULL,
                 "消息须为一帧 [Envelope] 或两帧 [空帧][Envelope]（REQ 兼容）");
    }
    if (in->qlen == in->qcap) {
        in->qcap = in->qcap ? in->qcap * 2 : 1024;
        in->queue = sl_realloc(in->queue, in->qcap * sizeof *in->queue);
    }
    in->queue[in->qlen++] = it;
    sl_gauge_set(in->m_queue, (double)in->qlen);
    /* Back-pressure: past a few batches, let ZeroMQ hold the rest. */
    if (in->qlen >= 4 * in->batch_max) {
        sl_sock_pause(in->tcp);
        if (in->ipc)
            sl_sock_pause(in->ipc);
    }
    if (!uv_is_active((uv_handle_t *)&in->work) && !in->waiting_db)
        uv_idle_start(&in->work, s_work);
}

/* --- one batch: validate and seal (pure, no I/O) --------------------------- */

/* Replaces the clue's reporter by its sealed form; keeps the encoding. */
static void
s_seal_clue(sl_intake_t *in, s_item_t *it, sl_pb_clue_t *clue)
{
    if (!clue || !clue->reporter)
        return;
    size_t plen;
    uint8_t *plain = sl_codec_pack((const ProtobufCMessage *)clue->reporter, &plen);
    sl_pb_sealed_reporter_t *sr =
        sl_seal_reporter(in->sealer, in->seal_key_id, plain, plen, it->arena);
    sodium_memzero(plain, plen);
    free(plain);
    /* wipe the clear text in the arena; only the sealed form remains */
    if (clue->reporter->name)
        sodium_memzero(clue->reporter->name, strlen(clue->reporter->name));
    if (clue->reporter->phone)
        sodium_memzero(clue->reporter->phone, strlen(clue->reporter->phone));
    clue->reporter = NULL;
    clue->sealed_reporter = sr;
    it->sealed_rep = sl_codec_pack((const ProtobufCMessage *)sr, &it->sealed_rep_len);
}

/* A clue that arrives with its reporter already sealed (from another node,
 * re-sealed for this node's key by the sender): the case keeps that record. */
static void
s_keep_sealed(s_item_t *it)
{
    sl_pb_clue_t *clue = sl_apply_clue(it->a.env);
    if (it->sealed_rep || !clue || !clue->sealed_reporter)
        return;
    it->sealed_rep = sl_codec_pack((const ProtobufCMessage *)clue->sealed_reporter,
                                   &it->sealed_rep_len);
}

static void
s_prepare(sl_intake_t *in, s_item_t **items, size_t n)
{
    bool rekeyed = false;
    for (size_t i = 0; i < n; i++) {
        s_item_t *it = items[i];
        if (!it->arena)
            it->arena = sl_arena_new(0);
        if (it->a.state == SL_APPLY_NEW) {
            const void *data = zmq_msg_data(&it->body);
            size_t len = zmq_msg_size(&it->body);
            if (sl_codec_decode_envelope(it->arena, data, len, in->max_envelope, &it->a.env,
                                         &it->a.err) != 0) {
                it->a.state = SL_APPLY_REJECT;
            } else {
                sl_apply_prepare(&in->apply, &it->a);
                sl_apply_prep(&it->a, it->arena); /* off the batch's transaction */
                if (it->a.not_permitted) {
                    char labels[128];
                    snprintf(labels, sizeof labels, "key=%s,code=%s", it->sender,
                             it->a.err.code);
                    sl_counter_inc(sl_metrics_counter(in->metrics, "sl_intake_refused_total",
                                                      "Envelopes refused for their sender, by key",
                                                      labels));
                }
            }
        }
        /* Seal before anything is stored, rejected envelopes included. */
        if (it->stored)
            continue;
        if (it->a.env) {
            if (sl_codec_body(it->a.env) == SL_BODY_CLUE && it->a.env->clue->reporter) {
                if (!rekeyed) {
                    sl_sealer_rekey(in->sealer);
                    rekeyed = true;
                }
                s_seal_clue(in, it, it->a.env->clue);
            }
            s_keep_sealed(it);
            it->stored = sl_codec_encode_envelope(it->a.env, &it->stored_len);
        } else if (it->has_body && zmq_msg_size(&it->body) > 0 &&
                   strcmp(it->a.err.code, SL_ERR_TOO_LARGE) != 0) {
            /* Undecodable bytes may hold personal data: keep them sealed whole. */
            it->stored = sl_seal_blob(sl_sealer_pk(in->sealer), zmq_msg_data(&it->body),
                                      zmq_msg_size(&it->body), &it->stored_len);
            it->raw_sealed = true;
        }
        it->a.stored = it->stored;
        it->a.stored_len = it->stored_len;
        it->a.raw_sealed = it->raw_sealed;
        it->a.sealed_rep = it->sealed_rep;
        it->a.sealed_rep_len = it->sealed_rep_len;
    }
}

/* --- one batch: the transaction ------------------------------------------ */

/* Stores and applies ITEMS in one transaction (sl_apply_batch). 0, -1 (SQL
 * error: rolled back, states restored; in->sqlstate says why) or SL_AGAIN. */
static int
s_apply(sl_intake_t *in, s_item_t **items, size_t n, int64_t now)
{
    for (size_t i = 0; i < n; i++)
        in->batch[i] = &items[i]->a;
    sl_apply_outcome_t out;
    int rc = sl_apply_batch(&in->apply, in->db, in->batch, n, now, &out);
    if (out.commit_s >= 0)
        sl_histogram_observe(in->m_commit, out.commit_s);
    if (rc != 0) {
        memcpy(in->sqlstate, out.sqlstate, sizeof in->sqlstate);
        memcpy(in->sqlerror, out.sqlerror, sizeof in->sqlerror);
    }
    return rc;
}

/* --- answering ------------------------------------------------------------- */

static void
s_answer(sl_intake_t *in, s_item_t *it)
{
    sl_pb_ack_t ack = SL_PB_ACK_INIT;
    const char *id = sl_apply_msg_id(&it->a);
    switch (it->a.state) {
    case SL_APPLY_ACCEPTED:
        sl_codec_ack_accepted(&ack, id, it->a.case_no, it->a.ref);
        sl_counter_inc(in->m_accepted);
        if (it->a.topic) {
            json_t *o = json_pack("{s:s, s:s, s:s}", "case_no", it->a.case_no, "notice_no",
                                  it->a.ref, "body", sl_codec_body_kind(it->a.env));
            sl_service_publish(in->svc, it->a.topic, it->a.case_no, id, o);
            sl_log(SL_LOG_INFO, "msg_id=%s case=%s notice=%s %s applied", id, it->a.case_no,
                   it->a.ref, sl_codec_body_kind(it->a.env));
        } else if (it->a.ref[0] && strncmp(it->a.ref, "forwarded:", 10) == 0) {
            sl_counter_inc(in->m_forwarded);
            sl_log(SL_LOG_DEBUG, "msg_id=%s clue forwarded to the parent node %s", id, in->parent);
        } else if (it->a.repeated) {
            sl_counter_inc(in->m_repeated);
            json_t *o = json_pack("{s:s, s:i}", "case_no", it->a.case_no, "repeat_count",
                                  it->a.repeat_count);
            sl_service_publish(in->svc, "case.repeated", it->a.case_no, id, o);
            if (it->a.reopened) /* a re-report after 销号: back to verification */
                sl_service_publish(in->svc, "case.reopened", it->a.case_no, id,
                                   json_pack("{s:s, s:i, s:s}", "case_no", it->a.case_no,
                                             "repeat_count", it->a.repeat_count, "cause",
                                             "REPEAT"));
            sl_log(SL_LOG_DEBUG, "msg_id=%s case=%s repeat report %d", id, it->a.case_no,
                   it->a.repeat_count);
        } else {
            sl_counter_inc(in->m_registered);
            const sl_pb_clue_t *c = it->a.env->clue;
            json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "case_no", it->a.case_no, "sector",
                                  sl_sector_by_value((int)c->sector)->name, "division",
                                  c->place->division, "unit", it->a.unit, "route",
                                  it->a.route.kind == SL_ROUTE_CHILD ? "child" : "department");
            sl_service_publish(in->svc, "case.registered", it->a.case_no, id, o);
            sl_log(SL_LOG_DEBUG, "msg_id=%s case=%s registered", id, it->a.case_no);
        }
        break;
    case SL_APPLY_DUP:
        sl_codec_ack_duplicate(&ack, id, it->a.case_no, it->a.ref);
        sl_counter_inc(in->m_duplicate);
        sl_log(SL_LOG_DEBUG, "msg_id=%s duplicate", id);
        break;
    default: {
        /* a msg_id that is not one (bad_msg_id) is not echoed: the dead
         * letter and the log keep it, escaped */
        bool bad_id = strcmp(it->a.err.code, SL_ERR_BAD_MSG_ID) == 0;
        sl_codec_ack_rejected(&ack, bad_id ? "" : id, it->a.err.code, it->a.err.text);
        sl_counter_inc(in->m_rejected_total);
        char labels[160];
        snprintf(labels, sizeof labels, "code=%s", it->a.err.code);
        sl_counter_inc(sl_metrics_counter(in->metrics, "sl_intake_rejected_total",
                                          "Envelopes rejected, by error code", labels));
        json_t *o = json_pack("{s:s, s:s, s:s}", "code", it->a.err.code, "text", it->a.err.text,
                              "sender", it->sender);
        sl_service_publish(in->svc, "envelope.rejected", NULL, id, o);
        sl_log(SL_LOG_WARN, "msg_id=%s code=%s sender=%s envelope rejected: %s", *id ? id : "-",
               it->a.err.code, it->sender, it->a.err.text);
        break;
    }
    }
    size_t len;
    uint8_t *bytes = sl_codec_encode_ack(&ack, &len);
    /* [rid][empty][Ack], or [rid][Ack] to a bare envelope */
    zmq_msg_t frames[3];
    int nf = it->bare ? 2 : 3;
    zmq_msg_init(&frames[0]);
    zmq_msg_move(&frames[0], &it->rid);
    if (!it->bare)
        zmq_msg_init_size(&frames[1], 0);
    zmq_msg_init_size(&frames[nf - 1], len);
    memcpy(zmq_msg_data(&frames[nf - 1]), bytes, len);
    free(bytes);
    int rc = sl_sock_send_msgs(it->sock, frames, nf);
    if (rc != 0)
        sl_log(SL_LOG_WARN, "msg_id=%s could not send the ack (peer gone or full): it will resend",
               *id ? id : "-");
    for (int i = 0; i < nf; i++)
        zmq_msg_close(&frames[i]);
}

/* Stores and applies ITEMS (N of them) on the worker thread: the whole batch
 * in one transaction, or, after an SQL error, envelope by envelope. Returns
 * how many of the first items are decided (stored, or to be rejected), or -1
 * if the database is down (nothing is decided; the batch stays queued). */
static long
s_store(sl_intake_t *in, s_item_t **items, size_t n, int64_t now)
{
    int rc = s_apply(in, items, n, now);
    if (rc == -1 && strcmp(in->sqlstate, "23505") == 0)
        rc = s_apply(in, items, n, now); /* a msg_id stored meanwhile: now a duplicate */
    if (rc == SL_AGAIN)
        n = 0; /* nothing is stored: answer nothing, retry the whole batch */
    if (rc == -1) {
        /* One bad apple: apply each envelope on its own. */
        for (size_t i = 0; i < n; i++) {
            int r1 = s_apply(in, &items[i], 1, now);
            if (r1 == -1 && strcmp(in->sqlstate, "23505") == 0)
                r1 = s_apply(in, &items[i], 1, now);
            if (r1 == -1) {
                sl_log(SL_LOG_ERROR, "msg_id=%s could not be applied: %s", sl_apply_msg_id(&items[i]->a),
                       in->sqlerror);
                char text[384];
                snprintf(text, sizeof text, "节点无法处理此报文：%.300s", in->sqlerror);
                s_reject(items[i], SL_ERR_INTERNAL, NULL, text);
                r1 = s_apply(in, &items[i], 1, now);
            }
            if (r1 == SL_AGAIN) {
                rc = SL_AGAIN;
                n = i; /* answer what is stored; the rest waits */
                break;
            }
        }
        if (rc != SL_AGAIN)
            rc = 0;
    }
    sl_service_db_report(in->svc, rc == SL_AGAIN ? SL_AGAIN : 0, in->db);
    sl_gauge_set(in->m_reconnects, (double)sl_db_reconnects(in->db));
    if (n > 0)
        sl_histogram_observe(in->m_batch, (double)n);
    return rc == SL_AGAIN && n == 0 ? -1 : (long)n;
}

/* Worker thread: the in-flight batch into the database. */
static void
s_job_run(uv_work_t *req)
{
    sl_intake_t *in = req->data;
    in->job_answered = s_store(in, in->inflight, in->inflight_n, in->job_now);
}

static void s_retry(uv_timer_t *t);

static void s_batch(sl_intake_t *in);

/* Loop thread: the batch is back from the database. The next batch goes to
 * the database first, then this one is answered, so answering overlaps the
 * next transaction. */
static void
s_job_done(uv_work_t *req, int status)
{
    sl_intake_t *in = req->data;
    in->busy = false;
    long answered = status == 0 ? in->job_answered : -1;
    size_t n = answered > 0 ? (size_t)answered : 0;
    s_item_t **done = in->inflight;
    in->inflight = in->spare;
    in->spare = done;
    memmove(in->queue, in->queue + n, (in->qlen - n) * sizeof *in->queue);
    in->qlen -= n;
    in->prepared = in->prepared > n ? in->prepared - n : 0;
    bool down = answered < 0 || n < in->inflight_n;
    in->inflight_n = 0;
    if (down) {
        /* Database down: wait, then try the same envelopes again. */
        in->waiting_db = true;
        /* said once per outage (the service says the database's state) */
        sl_log(in->retry_ms ? SL_LOG_DEBUG : SL_LOG_WARN,
               "database unavailable; %zu envelopes wait, retrying with backoff", in->qlen);
        in->retry_ms = in->retry_ms ? (in->retry_ms * 2 > 5000 ? 5000 : in->retry_ms * 2) : 100;
        uv_timer_start(&in->retry, s_retry, (uint64_t)in->retry_ms, 0);
    } else {
        in->retry_ms = 0;
        if (in->qlen > 0)
            s_batch(in);
    }
    sl_log_hold(); /* a line an envelope: the batch's in one write */
    for (size_t i = 0; i < n; i++) {
        if (done[i]->a.state == SL_APPLY_VALID) /* cannot stay valid after a committed apply */
            s_reject(done[i], SL_ERR_INTERNAL, NULL, "内部错误，请重发");
        s_answer(in, done[i]);
        s_item_free(done[i]);
    }
    sl_log_release();
    sl_gauge_set(in->m_queue, (double)in->qlen);
    if (down)
        return;
    if (!in->draining && in->qlen < 2 * in->batch_max) {
        sl_sock_resume(in->tcp);
        if (in->ipc)
            sl_sock_resume(in->ipc);
    }
    if (in->qlen > 0 || in->draining)
        uv_idle_start(&in->work, s_work);
}

/* Validates and seals the queue's items up to the first N (loop thread). */
static void
s_prepare_head(sl_intake_t *in, size_t n)
{
    if (n > in->qlen)
        n = in->qlen;
    if (n <= in->prepared)
        return;
    s_prepare(in, in->queue + in->prepared, n - in->prepared);
    in->prepared = n;
}

/* Sends the queue's head (up to batch_max) to the database on the worker. */
static void
s_batch(sl_intake_t *in)
{
    size_t n = in->qlen < in->batch_max ? in->qlen : in->batch_max;
    s_prepare_head(in, n);
    memcpy(in->inflight, in->queue, n * sizeof *in->inflight);
    in->inflight_n = n;
    in->job_now = sl_now_ms();
    in->busy = true;
    in->job.data = in;
    int rc = uv_queue_work(in->loop, &in->job, s_job_run, s_job_done);
    if (rc != 0) { /* cannot happen with a valid loop and callbacks */
        sl_log(SL_LOG_ERROR, "could not queue the batch: %s", uv_strerror(rc));
        abort();
    }
}

static void
s_retry(uv_timer_t *t)
{
    sl_intake_t *in = t->data;
    in->waiting_db = false;
    uv_idle_start(&in->work, s_work);
}

/* True if a socket holds more envelopes than the bus took this loop turn. */
static bool
s_more_pending(sl_intake_t *in)
{
    sl_sock_t *socks[] = {in->tcp, in->ipc};
    for (size_t i = 0; i < SL_ARRAY_LEN(socks); i++) {
        int ev = 0;
        size_t len = sizeof ev;
        if (socks[i] && !sl_sock_paused(socks[i]) &&
            zmq_getsockopt(sl_sock_zmq(socks[i]), ZMQ_EVENTS, &ev, &len) == 0 &&
            (ev & ZMQ_POLLIN))
            return true;
    }
    return false;
}

static void
s_work(uv_idle_t *h)
{
    sl_intake_t *in = h->data;
    if (in->busy || in->waiting_db) {
        /* The database has a batch: validate and seal the next one meanwhile.
         * The idle handle stops here (no spinning); a new message or the
         * batch's return starts it again. */
        s_prepare_head(in, in->inflight_n + in->batch_max);
        uv_idle_stop(&in->work);
        return;
    }
    /* Group commit: while more envelopes wait in the sockets, let the bus take
     * them (it takes a bounded number per turn) so they join this batch. */
    if (in->qlen > 0 && in->qlen < in->batch_max && !in->draining && s_more_pending(in))
        return;
    if (in->qlen == 0) {
        uv_idle_stop(&in->work);
        if (in->draining && in->drained) {
            void (*done)(void *) = in->drained;
            in->drained = NULL;
            done(in->drained_arg);
        }
        return;
    }
    s_batch(in);
    /* Whatever is queued beyond this batch is prepared on the next turn. */
}

/* --- HTTP ------------------------------------------------------------------ */

/* --- set-up ---------------------------------------------------------------- */

static bool
s_zap_allow(const char *domain, const char *address, const char *client_key, void *arg)
{
    sl_intake_t *in = arg;
    const sl_principal_t *p = sl_principals_find(in->principals, client_key);
    if (!p) {
        sl_log(SL_LOG_WARN, "key=%s address=%s domain=%s refused a client whose key the config "
                            "does not name", client_key, address, domain);
        char labels[96];
        snprintf(labels, sizeof labels, "key=%s", client_key);
        sl_counter_inc(sl_metrics_counter(in->metrics, "sl_intake_unknown_keys_total",
                                          "CURVE handshakes refused: key not in the config",
                                          labels));
    }
    return p != NULL;
}

static sl_sock_t *
s_router(sl_intake_t *in, const char *endpoint, bool curve)
{
    sl_sock_t *s = sl_sock_new(sl_service_bus(in->svc), in->loop, ZMQ_ROUTER);
    if (!s)
        return NULL;
    sl_sock_set_hwm(s, 100000, 100000);
    sl_sock_monitor(s);
    if (curve &&
        sl_sock_curve_server(s, sl_config_str(in->cfg, "keys", "curve_secret"), "safeloop") != 0) {
        sl_sock_destroy(&s);
        return NULL;
    }
    if (sl_sock_bind(s, endpoint) != 0) {
        sl_sock_destroy(&s);
        return NULL;
    }
    sl_sock_on_message(s, s_on_message, in);
    return s;
}

/* The status figures, gathered on the HTTP thread with a connection of its
 * own (the loop's connection belongs to the batches). */
static json_t *
s_status(sl_intake_t *in)
{
    pthread_mutex_lock(&in->status_lock);
    if (!in->status_db)
        in->status_db = sl_db_new(sl_service_conninfo(in->svc));
    sl_db_connect(in->status_db);
    json_t *st = sl_status_gather(in->status_db, in->node, sl_now_ms(), true);
    pthread_mutex_unlock(&in->status_lock);
    return st;
}

static int
s_status_json(const sl_http_req_t *req, sl_buf_t *body, const char **content_type, void *arg)
{
    (void)req;
    json_t *st = s_status(arg);
    char *text = json_dumps(st, JSON_COMPACT);
    sl_buf_puts(body, text);
    free(text);
    json_decref(st);
    *content_type = "application/json; charset=utf-8";
    return 200;
}

static int
s_status_page(const sl_http_req_t *req, sl_buf_t *body, const char **content_type, void *arg)
{
    (void)req;
    json_t *st = s_status(arg);
    char *html = sl_status_page(st, "/status.json");
    sl_buf_puts(body, html);
    free(html);
    json_decref(st);
    *content_type = "text/html; charset=utf-8";
    return 200;
}

/* The administrators' status page: the node's queue health. */
static void
s_http(sl_intake_t *in)
{
    sl_http_t *http = sl_service_http(in->svc);
    if (!http)
        return;
    sl_http_route(http, "/status", s_status_page, in);
    sl_http_route(http, "/status.json", s_status_json, in);
}

static void
s_metrics(sl_intake_t *in)
{
    sl_metrics_t *m = in->metrics = sl_service_metrics(in->svc);
    in->m_accepted = sl_metrics_counter(m, "sl_intake_envelopes_total",
                                        "Envelopes answered, by status", "status=accepted");
    in->m_duplicate = sl_metrics_counter(m, "sl_intake_envelopes_total",
                                         "Envelopes answered, by status", "status=duplicate");
    in->m_rejected_total = sl_metrics_counter(m, "sl_intake_envelopes_total",
                                              "Envelopes answered, by status", "status=rejected");
    in->m_registered = sl_metrics_counter(m, "sl_intake_cases_registered_total",
                                          "Clues registered as new cases", NULL);
    in->m_repeated = sl_metrics_counter(m, "sl_intake_repeat_reports_total",
                                        "Clues linked to an open case as repeat reports", NULL);
    in->m_forwarded = sl_metrics_counter(m, "sl_intake_forwarded_total",
                                         "Clues outside the territory forwarded to the parent",
                                         NULL);
    static const double sizes[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000};
    in->m_batch = sl_metrics_histogram(m, "sl_intake_batch_size", "Envelopes per transaction",
                                       NULL, sizes, SL_ARRAY_LEN(sizes));
    static const double secs[] = {0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1};
    in->m_commit = sl_metrics_histogram(m, "sl_intake_commit_seconds",
                                        "Time of each batch's COMMIT, with the inbox writes that travel with it", NULL, secs,
                                        SL_ARRAY_LEN(secs));
    in->m_queue = sl_metrics_gauge(m, "sl_intake_queue_depth",
                                   "Envelopes taken off the sockets, not yet answered", NULL);
    in->m_reconnects = sl_metrics_gauge(m, "sl_db_reconnects", "Database reconnects since start",
                                        NULL);
    in->m_peers = sl_metrics_gauge(m, "sl_zmq_peers", "Connected ZeroMQ peers", NULL);
    in->m_overdue = sl_metrics_gauge(m, "sl_transfers_overdue",
                                     "Transfers past their feedback deadline, not fed back", NULL);
    in->m_dead_hour = sl_metrics_gauge(m, "sl_dead_letters_last_hour",
                                       "Envelopes refused (dead letters) in the last hour", NULL);
    in->m_cal_missing =
        sl_metrics_gauge(m, "sl_calendar_next_year_missing",
                         "1 in December while next year's holiday notice is not imported", NULL);
}

/* The status figures the alerts need (deploy/prometheus/alerts.yml) as
 * gauges: the status query (sl_status_gather, no probes) on the service's
 * worker connection every S_STATUS_GAUGE_MS. */
static int
s_status_gauges(sl_db_t *db, void *arg)
{
    sl_intake_t *in = arg;
    json_t *st = sl_status_gather(db, in->node, sl_now_ms(), false);
    bool up = json_is_true(json_object_get(json_object_get(st, "database"), "up"));
    if (up) {
        json_t *cal = json_object_get(st, "calendar");
        sl_gauge_set(in->m_overdue, (double)json_integer_value(
                                        json_object_get(json_object_get(st, "overdue"), "count")));
        sl_gauge_set(in->m_dead_hour,
                     (double)json_integer_value(json_object_get(st, "dead_letters_last_hour")));
        sl_gauge_set(in->m_cal_missing,
                     json_is_true(json_object_get(cal, "next_year_missing")) ? 1 : 0);
    }
    json_decref(st);
    return up ? 0 : SL_AGAIN;
}

static int
s_keys(sl_intake_t *in)
{
    unsigned char pk[SL_SEAL_KEY_BYTES];
    char *err = NULL;
    const char *path = sl_config_str(in->cfg, "keys", "seal_public");
    if (sl_seal_key_load(path, pk, &err) != 0) {
        sl_log(SL_LOG_ERROR, "%s (make the node's keys with `slctl keys gen`)", err);
        free(err);
        return -1;
    }
    in->sealer = sl_sealer_new(pk);
    unsigned char fp[4];
    crypto_generichash(fp, sizeof fp, pk, sizeof pk, NULL, 0);
    snprintf(in->seal_key_id, sizeof in->seal_key_id, "%s:%02x%02x%02x%02x", in->node, fp[0],
             fp[1], fp[2], fp[3]);
    return 0;
}

sl_intake_t *
sl_intake_new(const sl_config_t *cfg, uv_loop_t *loop, sl_service_t *svc)
{
    sl_intake_t *in = sl_calloc(1, sizeof *in);
    in->cfg = cfg;
    in->loop = loop;
    in->svc = svc;
    snprintf(in->node, sizeof in->node, "%s", sl_config_node(cfg));
    in->batch_max = (size_t)sl_config_int(cfg, "intake", "batch_max");
    in->max_envelope = (size_t)sl_config_int(cfg, "intake", "max_envelope");
    pthread_mutex_init(&in->status_lock, NULL);
    uv_idle_init(loop, &in->work);
    in->work.data = in;
    uv_timer_init(loop, &in->retry);
    in->retry.data = in;
    s_metrics(in);
    in->inflight = sl_calloc(in->batch_max ? in->batch_max : 1, sizeof *in->inflight);
    in->spare = sl_calloc(in->batch_max ? in->batch_max : 1, sizeof *in->spare);
    in->db = sl_db_new(sl_service_conninfo(svc));
    in->cal = sl_calendar_cache_new();
    in->batch = sl_calloc(in->batch_max ? in->batch_max : 1, sizeof *in->batch);
    in->apply =
        (sl_apply_ctx_t){.node = in->node, .parent = in->parent, .cal = in->cal, .cfg = cfg};
    sl_db_t *db = sl_service_db(svc); /* the batches' connection connects with the first */
    if (s_keys(in) != 0 || sl_unit_node(db, in->node, in->parent, sizeof in->parent) != 0)
        goto fail;
    if (!(in->routes = sl_route_map_load(db, in->node)))
        goto fail;
    in->apply.routes = in->routes;
    const char *const *keep;
    size_t nkeep = sl_config_list(cfg, "node", "keep_sectors", &keep);
    for (size_t i = 0; i < nkeep; i++)
        sl_route_map_keep(in->routes, sl_sector_by_name(keep[i])->value);
    char *perr = NULL;
    if (!(in->principals = sl_principals_load(cfg, &perr))) {
        sl_log(SL_LOG_ERROR, "%s", perr);
        free(perr);
        goto fail;
    }
    in->curve = sl_config_bool(cfg, "intake", "curve");
    if (in->curve && !(in->zap = sl_zap_new(sl_service_bus(svc), loop, s_zap_allow, in)))
        goto fail;
    if (!(in->tcp = s_router(in, sl_config_str(cfg, "intake", "endpoint"), in->curve)))
        goto fail;
    const char *ipc = sl_config_str(cfg, "intake", "ipc");
    if (ipc && !(in->ipc = s_router(in, ipc, false)))
        goto fail;
    s_http(in);
    sl_service_every(svc, S_STATUS_GAUGE_MS, s_status_gauges, NULL, in);
    sl_log(SL_LOG_INFO, "sl-intake serving %s (%s, %zu keys) %s%s",
           sl_config_str(cfg, "intake", "endpoint"), in->curve ? "CURVE" : "no CURVE",
           sl_principals_count(in->principals), ipc ? "and " : "", ipc ? ipc : "");
    return in;
fail:
    sl_intake_destroy(&in);
    return NULL;
}

void
sl_intake_drain(sl_intake_t *in, void (*done)(void *), void *arg)
{
    in->draining = true;
    in->drained = done;
    in->drained_arg = arg;
    if (in->tcp)
        sl_sock_pause(in->tcp);
    if (in->ipc)
        sl_sock_pause(in->ipc);
    if (in->qlen == 0 || in->waiting_db) {
        /* nothing in flight, or nothing that can be stored now: unanswered
         * envelopes are resent by their producers */
        in->drained = NULL;
        done(arg);
    } else if (!uv_is_active((uv_handle_t *)&in->work)) {
        uv_idle_start(&in->work, s_work);
    }
}

static void
s_free_on_close(uv_handle_t *h)
{
    (void)h;
}

void
sl_intake_destroy(sl_intake_t **p)
{
    if (!p || !*p)
        return;
    sl_intake_t *in = *p;
    /* A batch still in the database (shutdown without a drain): let it
     * finish and be answered before anything it uses goes. */
    while (in->busy)
        uv_run(in->loop, UV_RUN_ONCE);
    sl_db_destroy(&in->status_db);
    pthread_mutex_destroy(&in->status_lock);
    sl_sock_destroy(&in->tcp);
    sl_sock_destroy(&in->ipc);
    sl_zap_destroy(&in->zap);
    for (size_t i = 0; i < in->qlen; i++)
        s_item_free(in->queue[i]);
    free(in->queue);
    free(in->inflight);
    free(in->spare);
    free(in->batch);
    uv_close((uv_handle_t *)&in->work, s_free_on_close);
    uv_close((uv_handle_t *)&in->retry, s_free_on_close);
    /* the handles are embedded: run the loop once so their close completes */
    uv_run(in->loop, UV_RUN_NOWAIT);
    sl_route_map_destroy(&in->routes);
    sl_principals_destroy(&in->principals);
    sl_sealer_destroy(&in->sealer);
    sl_calendar_cache_destroy(&in->cal);
    sl_db_destroy(&in->db);
    free(in);
    *p = NULL;
}
