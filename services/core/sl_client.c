/* sl_client.c — send, wait, resend: the producer's side of at-least-once.
 *
 * Acks for other msg_ids (late answers to an earlier resend) are skipped. */
#include "sl_client.h"

#include "sl_clock.h"
#include "sl_log.h"
#include "sl_util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

static int64_t
s_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
s_key_file(const char *path, char key[41])
{
    size_t len;
    char *text = sl_read_file(path, &len);
    if (!text) {
        sl_log(SL_LOG_ERROR, "cannot read key file %s: %s", path, strerror(errno));
        return -1;
    }
    sl_trim(text);
    int rc = strlen(text) == 40 ? 0 : -1;
    if (rc == 0)
        memcpy(key, text, 41);
    else
        sl_log(SL_LOG_ERROR, "%s: not a key file (want 40 characters of Z85 text)", path);
    free(text);
    return rc;
}

int
sl_client_call(const sl_client_opts_t *opts, const void *env, size_t len, const char *msg_id,
               sl_arena_t *arena, sl_pb_ack_t **ack)
{
    *ack = NULL;
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int rc = -1, zero = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    if (opts->server_public) {
        char server[41], pub[41], sec[41];
        if (s_key_file(opts->server_public, server) || s_key_file(opts->public_file, pub) ||
            s_key_file(opts->secret_file, sec))
            goto done;
        zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, server, 40);
        zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, pub, 40);
        zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, sec, 40);
    }
    if (zmq_connect(s, opts->endpoint) != 0) {
        sl_log(SL_LOG_ERROR, "could not connect to %s: %s", opts->endpoint, zmq_strerror(errno));
        goto done;
    }
    int64_t deadline = s_mono_ms() + opts->timeout_ms, next_send = 0;
    rc = SL_AGAIN;
    while (s_mono_ms() < deadline) {
        if (s_mono_ms() >= next_send) {
            zmq_send(s, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT);
            zmq_send(s, env, len, ZMQ_DONTWAIT);
            next_send = s_mono_ms() + (opts->resend_ms > 0 ? opts->resend_ms : opts->timeout_ms);
        }
        zmq_pollitem_t item = {s, 0, ZMQ_POLLIN, 0};
        int64_t wait = (next_send < deadline ? next_send : deadline) - s_mono_ms();
        if (zmq_poll(&item, 1, (long)(wait > 0 ? wait : 0)) <= 0)
            continue;
        zmq_msg_t frame;
        zmq_msg_init(&frame);
        int more = 1, nframes = 0;
        sl_pb_ack_t *got = NULL;
        while (more) {
            if (zmq_msg_recv(&frame, s, 0) < 0)
                break;
            nframes++;
            more = zmq_msg_more(&frame);
            if (nframes == 2)
                got = sl_codec_decode_ack(arena, zmq_msg_data(&frame), zmq_msg_size(&frame));
        }
        zmq_msg_close(&frame);
        if (got && (!got->msg_id || !*got->msg_id || strcmp(got->msg_id, msg_id) == 0)) {
            *ack = got;
            rc = 0;
            break;
        }
    }
done:
    zmq_close(s);
    zmq_ctx_term(ctx);
    return rc;
}
