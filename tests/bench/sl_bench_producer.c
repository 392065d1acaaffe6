/* sl_bench_producer.c — a fast producer for the intake benchmark.
 *
 * Builds COUNT distinct clues up front (unique subjects, every sector, a
 * reporter each), then sends them over one CURVE DEALER (at --rate a second, if
 * given, else as fast as acks come back) with a window of
 * outstanding envelopes, resending the same bytes when an ack is late, like a
 * real producer. Writes one line per acked envelope to OUT: the ack latency in
 * microseconds; prints "sent N acked N rejected N seconds S" on stdout.
 * Gives up after --deadline seconds (default 900) with exit 1, so a test that
 * failed and never reaped it does not leave it resending for ever.
 * A Python producer spends more CPU than sl-intake does per envelope, so
 * the benchmark drives intake with this instead. */
#include "sl_codec.h"
#include "sl_util.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

typedef struct {
    uint8_t *bytes;   /* the encoded envelope */
    size_t len;
    char msg_id[40];
    int64_t first_us; /* first sent, 0 if not yet */
    int64_t last_us;  /* last sent */
    bool acked;
} s_env_t;

static int64_t
s_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static char *
s_key(const char *path)
{
    size_t n;
    char *k = sl_read_file(path, &n);
    if (!k) {
        fprintf(stderr, "sl-bench-producer: cannot read %s: %s\n", path, strerror(errno));
        exit(2);
    }
    return sl_trim(k);
}

/* Index of MSG_ID among ENVS: msg ids are "bench-<tag>-<i>". */
static long
s_index(const char *msg_id, size_t n)
{
    const char *dash = strrchr(msg_id, '-');
    if (!dash)
        return -1;
    long i = strtol(dash + 1, NULL, 10);
    return i >= 0 && (size_t)i < n ? i : -1;
}

int
main(int argc, char **argv)
{
    const char *endpoint = NULL, *server = NULL, *pub = NULL, *sec = NULL, *out = NULL;
    const char *division = "140728"; /* where the clues are about (--division) */
    const char *tag = "0";
    long count = 1000, window = 64;
    double resend_s = 30, deadline_s = 900, rate = 0; /* rate: envelopes/s, 0 = as fast as acked */
    static const struct option opts[] = {
        {"endpoint", required_argument, NULL, 'e'}, {"server-key", required_argument, NULL, 's'},
        {"public", required_argument, NULL, 'p'},   {"secret", required_argument, NULL, 'k'},
        {"count", required_argument, NULL, 'n'},    {"window", required_argument, NULL, 'w'},
        {"tag", required_argument, NULL, 't'},      {"out", required_argument, NULL, 'o'},
        {"resend", required_argument, NULL, 'r'},   {"division", required_argument, NULL, 'd'},
        {"deadline", required_argument, NULL, 'D'}, {"rate", required_argument, NULL, 'R'},
        {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (opt) {
        case 'e': endpoint = optarg; break;
        case 's': server = optarg; break;
        case 'p': pub = optarg; break;
        case 'k': sec = optarg; break;
        case 'n': count = atol(optarg); break;
        case 'w': window = atol(optarg); break;
        case 't': tag = optarg; break;
        case 'o': out = optarg; break;
        case 'r': resend_s = atof(optarg); break;
        case 'd': division = optarg; break;
        case 'D': deadline_s = atof(optarg); break;
        case 'R': rate = atof(optarg); break;
        default: return 2;
        }
    }
    if (!endpoint || !out || count <= 0 || window <= 0) {
        fprintf(stderr, "usage: sl-bench-producer --endpoint EP [--server-key F --public F "
                        "--secret F] --count N --window W --tag T --out FILE [--division CODE]"
                        " [--resend S] [--deadline S] [--rate N]\n");
        return 2;
    }
    /* Build every envelope before the clock starts. */
    s_env_t *envs = sl_calloc((size_t)count, sizeof *envs);
    for (long i = 0; i < count; i++) {
        char subject[96], name[32], phone[32];
        snprintf(envs[i].msg_id, sizeof envs[i].msg_id, "bench-%s-%ld", tag, i);
        snprintf(subject, sizeof subject, "压测企业%s-%07ld有限公司", tag, i);
        snprintf(name, sizeof name, "王%ld", i);
        snprintf(phone, sizeof phone, "139%08ld", i % 100000000);
        sl_pb_subject_t sub = SAFELOOP__V1__SUBJECT__INIT;
        sub.name = subject;
        sl_pb_place_t place = SAFELOOP__V1__PLACE__INIT;
        place.division = (char *)division;
        sl_pb_reporter_t rep = SAFELOOP__V1__REPORTER__INIT;
        rep.name = name;
        rep.phone = phone;
        sl_pb_clue_t clue = SAFELOOP__V1__CLUE_REPORT__INIT;
        clue.channel = SAFELOOP__V1__CLUE_REPORT__CHANNEL__HOTLINE;
        clue.received_at = 1700000000000LL + i;
        clue.subject = &sub;
        clue.place = &place;
        clue.sector = (Safeloop__V1__Sector)(1 + i % 16);
        clue.description = "夜间违规作业，未按规定进行瓦斯检测，现场有人员作业。";
        clue.reporter = &rep;
        sl_pb_envelope_t env = SL_PB_ENVELOPE_INIT;
        env.msg_id = envs[i].msg_id;
        env.producer = "bench";
        env.body_case = SAFELOOP__V1__ENVELOPE__BODY_CLUE;
        env.clue = &clue;
        envs[i].bytes = sl_codec_encode_envelope(&env, &envs[i].len);
    }
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0, hwm = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm);
    if (server) {
        char *sk = s_key(server), *pk = s_key(pub), *xk = s_key(sec);
        zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, sk, 40);
        zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, pk, 40);
        zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, xk, 40);
        free(sk), free(pk), free(xk);
    }
    if (zmq_connect(s, endpoint) != 0) {
        fprintf(stderr, "sl-bench-producer: connect %s: %s\n", endpoint, zmq_strerror(errno));
        return 1;
    }
    FILE *f = fopen(out, "w");
    if (!f) {
        fprintf(stderr, "sl-bench-producer: cannot write %s\n", out);
        return 1;
    }
    long next = 0, acked = 0, outstanding = 0, rejected = 0, resent = 0;
    int64_t t0 = s_now_us(), resend_us = (int64_t)(resend_s * 1e6);
    int64_t deadline_us = (int64_t)(deadline_s * 1e6);
    bool gave_up = false;
    int64_t scanned_us = t0; /* the last look for late acks */
    sl_arena_t *arena = sl_arena_new(0);
    while (acked < count) {
        /* at --rate, envelope i leaves at t0 + i / rate (a steady load, window permitting) */
        while (outstanding < window && next < count &&
               (rate <= 0 || (double)next < (double)(s_now_us() - t0) * rate / 1e6)) {
            s_env_t *e = &envs[next++];
            e->first_us = e->last_us = s_now_us();
            zmq_send(s, "", 0, ZMQ_SNDMORE);
            zmq_send(s, e->bytes, e->len, 0);
            outstanding++;
        }
        zmq_pollitem_t item = {s, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, rate > 0 ? 1 : 200) <= 0) {
            /* late acks: resend the same bytes */
            int64_t now = s_now_us();
            if (now - scanned_us < 200000)
                continue;
            scanned_us = now;
            if (now - t0 > deadline_us) {
                fprintf(stderr, "sl-bench-producer: gave up after %.0f s with %ld of %ld acked\n",
                        deadline_s, acked, count);
                gave_up = true;
                break;
            }
            for (long i = 0; i < next; i++) {
                s_env_t *e = &envs[i];
                if (!e->acked && now - e->last_us > resend_us) {
                    e->last_us = now;
                    zmq_send(s, "", 0, ZMQ_SNDMORE);
                    zmq_send(s, e->bytes, e->len, 0);
                    resent++;
                }
            }
            continue;
        }
        for (;;) {
            zmq_msg_t frame;
            zmq_msg_init(&frame);
            if (zmq_msg_recv(&frame, s, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close(&frame);
                break;
            }
            if (!zmq_msg_more(&frame)) {
                sl_arena_reset(arena);
                sl_pb_ack_t *ack =
                    sl_codec_decode_ack(arena, zmq_msg_data(&frame), zmq_msg_size(&frame));
                long i = ack ? s_index(ack->msg_id, (size_t)count) : -1;
                if (i >= 0 && !envs[i].acked) {
                    envs[i].acked = true;
                    acked++;
                    outstanding--;
                    if (ack->status == SL_ACK_REJECTED)
                        rejected++;
                    fprintf(f, "%lld\n", (long long)(s_now_us() - envs[i].first_us));
                }
            }
            zmq_msg_close(&frame);
        }
    }
    double secs = (double)(s_now_us() - t0) / 1e6;
    fclose(f);
    printf("sent %ld acked %ld rejected %ld resent %ld seconds %.3f\n", count, acked, rejected,
           resent, secs);
    sl_arena_destroy(&arena);
    for (long i = 0; i < count; i++)
        free(envs[i].bytes);
    free(envs);
    zmq_close(s);
    zmq_ctx_term(ctx);
    return rejected || gave_up ? 1 : 0;
}
