/* sl_apply.h — what an inbound body means: who may send it, whether it is
 * valid, where it goes, and applying a batch of them in one transaction.
 *
 * sl-intake takes envelopes off its sockets, decodes and seals them, and hands
 * them here twice: sl_apply_prepare (pure: no I/O) decides each one's fate —
 * refused for its sender, rejected as invalid, or valid with its route — and
 * sl_apply_batch stores and applies a batch inside one transaction on the
 * batch's connection: inbox look-up for duplicates, clues registered as cases
 * (sl_case) or forwarded to the parent (sl_fed_send), transfers from the
 * parent registered and receipted, answers and decisions applied by the
 * transfer, supervision or federation module, escalations and reports by
 * theirs, then the inbox and dead-letter rows, then COMMIT. Retrying, "one bad
 * envelope never spoils the batch", acks and events stay with sl-intake. */
#ifndef SL_APPLY_H
#define SL_APPLY_H

#include "sl_calendar_db.h"
#include "sl_case.h"
#include "sl_codec.h"
#include "sl_config.h"
#include "sl_db.h"
#include "sl_principal.h"
#include "sl_route.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The result of applying one answer, decision, escalation or report. */
typedef struct {
    char case_no[64];     /* the case concerned ("" if unknown) */
    char ref[96];         /* the notice number; after an accepted objection the new one */
    char state[16];       /* the transfer's state afterwards */
    const char *topic;    /* the event to publish after commit, e.g. "transfer.received"; static */
    sl_codec_error_t err; /* refused: code and text for the Ack */
} sl_apply_result_t;

/* What became of one envelope. */
typedef enum {
    SL_APPLY_NEW = 0, /* not yet looked at */
    SL_APPLY_VALID,   /* decoded and valid: to store and apply */
    SL_APPLY_REJECT,  /* to answer REJECTED and keep as a dead letter */
    SL_APPLY_DUP,     /* stored before: answer DUPLICATE with the stored result */
    SL_APPLY_ACCEPTED /* stored and applied now */
} sl_apply_state_t;

/* One envelope on its way in. The caller fills the inputs (and may set state
 * SL_APPLY_REJECT with err before preparing, for envelopes it could not
 * decode); sl_apply_prepare and sl_apply_batch fill the rest. */
typedef struct {
    /* in */
    sl_pb_envelope_t *env;           /* decoded envelope, or NULL (then rejected already) */
    const sl_principal_t *principal; /* who sent it (borrowed), NULL if unknown */
    const char *sender;              /* CURVE key, "ipc" or "tcp:<address>" (borrowed) */
    int64_t received_ms;             /* when it was taken off the socket */
    const uint8_t *stored;           /* the bytes to keep (inbox or dead letter), or NULL */
    size_t stored_len;
    bool raw_sealed;           /* stored is one sealed box (undecodable input) */
    const uint8_t *sealed_rep; /* the clue's SealedReporter encoding, or NULL */
    size_t sealed_rep_len;
    /* decided */
    sl_apply_state_t state; /* see above */
    sl_codec_error_t err;   /* SL_APPLY_REJECT: why */
    bool not_permitted;     /* rejected for its sender (sl_permit) */
    sl_route_t route;       /* clues: where it goes */
    char unit[48];          /* clues: the responsible unit */
    char case_no[64];       /* the result */
    char ref[96];
    bool repeated;     /* linked to a case as a repeat report */
    int repeat_count;  /* that case's repeat count after this one */
    bool reopened;     /* that case was closed: back to verification */
    bool refused;      /* refused by the applying module in this attempt */
    bool stored_before; /* its msg_id was found stored in this attempt (a duplicate) */
    const char *topic; /* answers: the event to publish once committed (static) */
    bool prepped;      /* prep holds the registration's pure parts (sl_apply_prep) */
    sl_case_prep_t prep;
} sl_apply_item_t;

/* The node the bodies arrive at. Everything borrowed. */
typedef struct {
    const char *node;             /* this node's division code */
    const char *parent;           /* the parent node's code, "" at the top */
    const sl_route_map_t *routes; /* the node's territory */
    sl_calendar_cache_t *cal;     /* working days for transfer deadlines (sl_apply_batch) */
    const sl_config_t *cfg;       /* [supervision] leaders (measure ③); NULL: none */
} sl_apply_ctx_t;

/* How the last sl_apply_batch ended, for the caller's retry and metrics. */
typedef struct {
    char sqlstate[6];   /* the failed attempt's SQLSTATE, "" if none */
    char sqlerror[512]; /* its error text */
    double commit_s;    /* seconds COMMIT took, or -1 if it was not reached */
} sl_apply_outcome_t;

/* The envelope's msg_id, "" if none. */
const char *sl_apply_msg_id(const sl_apply_item_t *it);

/* The clue an envelope registers: a clue's, or a transfer's from the parent;
 * NULL for other bodies. */
sl_pb_clue_t *sl_apply_clue(const sl_pb_envelope_t *env);

/* Decides IT (state SL_APPLY_NEW, env decoded) at node CTX, without I/O: the
 * sender may send this body (else rejected, not_permitted), the body is valid
 * (else rejected with err), and a clue's or a parent's transfer's route and
 * unit. A transfer from the parent becomes a clue of this node (channel
 * UPPER_TRANSFER, the upper case and notice numbers; ENV is changed). Leaves
 * IT SL_APPLY_VALID or SL_APPLY_REJECT. */
void sl_apply_prepare(const sl_apply_ctx_t *ctx, sl_apply_item_t *it);

/* For a prepared item that registers a clue here: works out what its
 * registration knows before the transaction (sl_case_reg_prep, strings in
 * A, which must outlive the item's batch), so the batch's transaction does
 * not. Optional: an item without it is worked out in the batch. Pure. */
void sl_apply_prep(sl_apply_item_t *it, sl_arena_t *a);

/* Stores and applies ITEMS (N, prepared) in one transaction on DB at NOW_MS:
 * each ends SL_APPLY_ACCEPTED, SL_APPLY_DUP (a copy stored before or earlier
 * in the batch) or SL_APPLY_REJECT (refused by its module), with its
 * result, and is in the inbox or the dead letters. Returns 0 (committed), -1
 * (SQL error: rolled back, every decision of this attempt undone, OUT says
 * why) or SL_AGAIN (connection lost; likewise). */
int sl_apply_batch(const sl_apply_ctx_t *ctx, sl_db_t *db, sl_apply_item_t **items, size_t n,
                   int64_t now_ms, sl_apply_outcome_t *out);

#endif
