/* sl_federation.h — what crosses between a node and its parent and children.
 *
 * DESIGN.md "Routing between levels" and "Federation". Down a link travel
 * transfers and the issuing node's decisions; up travel receipts, objections,
 * progress and feedback for a transfer from above. Each level answers for
 * itself: a case transferred down is registered at the child as a case of its
 * own (channel UPPER_TRANSFER, carrying the upper case and notice numbers) and
 * handled there like any other; the child answers the upper transfer from its
 * own case — a receipt when it registers it, progress when its own handling
 * reports progress, and its own feedback, signed by its principal leader, once
 * it has verified its own handling. The upper node's decisions come back down
 * and act on that case (a failed verification reopens it: false completion).
 *
 * Everything here runs inside the caller's transaction (sl-intake's batch) and
 * writes its envelopes to the outbox; sl-dispatch's links send them. The
 * reporter inside a clue or transfer is re-sealed for the receiving node's
 * sealing key just before its first send (sl_fed_reseal). */
#ifndef SL_FEDERATION_H
#define SL_FEDERATION_H

#include "sl_codec.h"
#include "sl_config.h"
#include "sl_db.h"
#include "sl_outbox.h"
#include "sl_apply.h"
#include "sl_audit.h"

#include <stdbool.h>
#include <stdint.h>

/* "<node>:<8 hex digits>" naming sealing public key PK (SealedReporter.key_id). */
void sl_fed_key_id(const char *node, const unsigned char pk[32], char *buf, size_t size);

/* --- intake: applying what crosses a link ------------------------------------ */

/* Sends ENV (its body set) to PEER: stamps it with a new msg_id (into MSG_ID),
 * NODE as producer and NOW_MS, encodes it and adds it to the outbox as KIND
 * (about CASE_NO, or NULL), inside the caller's transaction. Every envelope a
 * node makes for a peer goes through here. 0, -1 or SL_AGAIN. */
int sl_fed_send(sl_db_t *db, const char *node, const char *peer, sl_pb_envelope_t *env,
                const char *kind, const char *case_no, int64_t now_ms, char msg_id[37]);
/* As sl_fed_send, into B (sl_outbox_batch_flush writes it). */
void sl_fed_send_batch(sl_outbox_batch_t *b, const char *node, const char *peer,
                       sl_pb_envelope_t *env, const char *kind, const char *case_no,
                       int64_t now_ms, char msg_id[37]);

/* True if ENV is an answer (receipt, objection, progress, feedback) that NODE
 * sends up for a transfer from above: its from_unit is NODE itself. */
bool sl_fed_is_answer_up(const sl_pb_envelope_t *env, const char *node);
/* True if ENV is a decision of the parent PARENT on one of its transfers to
 * this node. */
bool sl_fed_is_upper_decision(const sl_pb_envelope_t *env, const char *parent);

/* The receipt NODE owes PARENT for the transfer UPPER_NOTICE it has just
 * registered as case CASE_NO: into the outbox. 0, -1, SL_AGAIN. */
int sl_fed_receipt_up(sl_db_t *db, const char *node, const char *parent, const char *case_no,
                      const char *upper_notice, int64_t now_ms);

/* An operator's answer for the upper transfer ENV names (sl_fed_is_answer_up):
 * checks it against the case registered from that transfer (feedback only
 * once this level has verified its own handling: the case is closed), writes
 * it to the outbox for PARENT and audits it on the case ("answered_up").
 * 0 (RES filled: case_no, ref = the upper notice, topic), SL_DECLINED (RES->err:
 * unknown_transfer, wrong_state:<status>, not_permitted), -1, SL_AGAIN. */
int sl_fed_answer_up(sl_db_t *db, const char *node, const char *parent, const sl_pb_envelope_t *env,
                     const char *sender, int64_t now_ms, sl_apply_result_t *res);

/* The parent's decision ENV (sl_fed_is_upper_decision) on the case registered
 * from its transfer: objection accepted (the case is withdrawn: closed, and
 * so is every open transfer NODE made of it — one to a child node by the same
 * decision sent down), objection rejected (recorded), verified (closed),
 * verification failed (the case goes back to "registered" — false completion
 * — and is transferred again by this node's next list). Audited. Returns as
 * sl_fed_answer_up. */
int sl_fed_upper_decision(sl_db_t *db, const char *node, const sl_pb_envelope_t *env,
                          const char *sender, int64_t now_ms, sl_apply_result_t *res);

/* After NODE applied ENV to one of its own transfers: a decision on a
 * transfer to a child that runs a node goes down to it; progress on a case
 * that came from above goes up to PARENT. Outbox rows; 0, -1, SL_AGAIN. */
int sl_fed_after_answer(sl_db_t *db, const char *node, const char *parent,
                        const sl_pb_envelope_t *env, int64_t now_ms);

/* --- sl-dispatch: sealing for the receiver ------------------------------------ */

typedef struct sl_fed_keys sl_fed_keys_t;

/* The sealing keys a node's links need: its own pair ([keys] seal_public,
 * seal_secret; the secret may be absent: then nothing sealed for this node can
 * be re-sealed) and each peer's public key ([parent]/[child.CODE] seal_public,
 * optional). NULL with *ERR (new string) if the node's public key is unreadable. */
sl_fed_keys_t *sl_fed_keys_load(const sl_config_t *cfg, char **err);
void sl_fed_keys_destroy(sl_fed_keys_t **p);
/* True if the node's sealing secret key was loaded. */
bool sl_fed_keys_can_open(const sl_fed_keys_t *k);

/* Before ROW's first send to PEER: if it carries a reporter sealed for another
 * key than PEER's, opens it with the node's key (one crypto_box_seal_open per
 * batch of records that share a sealed key), seals it for PEER's, replaces
 * ROW's payload (ROW->replaced: the link stores it) and appends
 * "reporter_resealed" to the case's audit chain (ACTOR acting), inside the
 * caller's transaction. 0 (ready to
 * send); SL_DECLINED with REASON (no key for PEER, or the reporter cannot be
 * opened here): park it; -1 or SL_AGAIN. */
int sl_fed_reseal(sl_db_t *db, sl_fed_keys_t *k, const char *peer, sl_outbox_row_t *row,
                  const char *actor, int64_t now_ms, char *reason, size_t size);

#endif
