/* sl_client.h — a blocking client of a node's intake: send an Envelope, wait
 * for its Ack, resend the same bytes until one comes (DESIGN.md rule 2).
 *
 * For tools (slctl) and tests, not for daemons: it blocks. Uses a DEALER
 * socket speaking the REQ-compatible frames [empty][Envelope]. */
#ifndef SL_CLIENT_H
#define SL_CLIENT_H

#include "sl_codec.h"

typedef struct {
    const char *endpoint;      /* tcp://… or ipc://… */
    int timeout_ms;            /* give up after this long without an Ack */
    int resend_ms;             /* resend the same envelope this often */
    const char *server_public; /* CURVE: file with the node's public key, or NULL */
    const char *public_file;   /* CURVE: the client's key pair files */
    const char *secret_file;
} sl_client_opts_t;

/* Sends the encoded envelope ENV (LEN bytes, msg_id MSG_ID) and waits for its
 * Ack, decoded into ARENA. 0 with *ACK set; SL_AGAIN when no Ack came within
 * the timeout; -1 on a local error (logged, e.g. a bad endpoint). */
int sl_client_call(const sl_client_opts_t *opts, const void *env, size_t len, const char *msg_id,
                   sl_arena_t *arena, sl_pb_ack_t **ack);

#endif
