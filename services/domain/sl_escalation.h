/* sl_escalation.h — escalation (提级核查): raising it, receiving it, listing it.
 *
 * Raised by the node that issued the transfer, once per transfer and cause
 * (transfer_escalation rows marked OVERDUE, ACCEPTED_NOT_HANDLED by
 * sl_transfer_clock, FALSE_COMPLETION by verification), routed as DESIGN.md
 * "Routing between levels" says: the receiver a child node → a verification
 * case at this node; the receiver one of this node's units → an Escalation
 * envelope to the parent through the outbox; no parent → the case goes on this
 * node's supervision list (listed_by sl-deadline). At the parent, sl-intake
 * applies the Escalation as a verification case linked to the origin node's
 * case and notice. Home of the SQL on escalated_case and of raising
 * (raised_at, raised_to, raised_ref of transfer_escalation). */
#ifndef SL_ESCALATION_H
#define SL_ESCALATION_H

#include "sl_codec.h"
#include "sl_db.h"
#include "sl_apply.h"
#include "sl_audit.h"
#include "sl_calendar.h"
#include "sl_transfer_clock.h"

#include <stdbool.h>
#include <stdint.h>

/* After commit, one raised escalation: TOPIC "case.escalated", the original
 * case's number and the event's JSON. Borrowed for the call. */
typedef void(sl_escalation_cb)(void *arg, const char *case_no, const char *json);

/* Raises up to LIMIT pending escalations at node NODE (PARENT "" at the top),
 * in one transaction under the sl-deadline leader lock (*BUSY when another
 * instance holds it): the verification case, the outbox row or the
 * supervision row; an "escalated" audit event on the original case; raised_at.
 * Then CB for each. Returns how many were raised, or -1 / SL_AGAIN. */
long sl_escalation_raise(sl_db_t *db, const char *node, const char *parent, int64_t now_ms,
                         long limit, const sl_actor_t *actor, bool *busy,
                         sl_escalation_cb *cb, void *arg);

/* The work of sl_escalation_raise inside the caller's transaction (which
 * holds the leader lock): the marks and envelopes are written deferred, the
 * "escalated" audit events and the "case.escalated" events to publish are
 * gathered into TX. Returns how many were raised, or -1 / SL_AGAIN (the
 * caller rolls back). */
long sl_escalation_step(sl_db_t *db, const char *node, const char *parent, int64_t now_ms,
                        long limit, const sl_actor_t *actor, sl_transfer_clock_tx_t *tx);

/* One sl-deadline transaction: the clocks of up to LIMIT due transfers of
 * SHARE (sl_transfer_clock_step; NULL: any) and up to LIMIT pending
 * escalations, those just marked included (sl_escalation_step), under the leader lock (*BUSY when
 * another instance holds it), the audit events of both appended together;
 * after COMMIT, CB for each event in order (the clocks' topics, then
 * "case.escalated"). Returns the transfers looked at with *RAISED the
 * escalations raised, or -1 / SL_AGAIN (rolled back). If the raising fails
 * (not SL_AGAIN), the clocks are committed alone (sl_transfer_clock_tick)
 * and *RAISED is the raising's error. BUSY NULL: a helper's transaction, no
 * lock taken (sl_transfer_clock_tx_begin). */
long sl_escalation_tick(sl_db_t *db, const sl_calendar_t *cal, const char *node, const char *parent,
                        int64_t now_ms, int not_handled_days, long limit,
                        const sl_transfer_share_t *share, const sl_actor_t *actor, bool *busy,
                        long *raised, sl_transfer_clock_cb *cb, void *arg);

/* Validates an Escalation body (pure): notice_no, origin_node, case_no, cause
 * and the clue's subject.name, place.division and sector are required. 0 or
 * SL_DECLINED with ERR. */
int sl_escalation_validate(const sl_pb_envelope_t *env, sl_codec_error_t *err);

/* Applies a validated Escalation from a child node inside the caller's
 * transaction at node NODE: a verification case routed to this node's lead
 * department for the sector, linked to the origin's case and notice. The
 * origin must be one of this node's children (wrong_origin). The same notice
 * and cause again answers with the case already opened. 0 (RES: case_no, ref
 * "escalation:<origin case>", topic "case.escalated"), SL_DECLINED with
 * RES->err, -1 or SL_AGAIN. */
int sl_escalation_apply(sl_db_t *db, const char *node, int64_t now_ms, const sl_pb_envelope_t *env,
                        const char *sender, sl_apply_result_t *res);

/* One line of `slctl escalation list`: notice_no, case_no, unit_code, cause,
 * marked_at, raised_at ("" if pending), raised_to, raised_ref; then the
 * verification cases opened here for other nodes' escalations (notice_no,
 * origin_case_no, receiver_unit, cause, opened_at, opened_at, "received from
 * <origin>", the case's number). 8 strings borrowed for the call. */
typedef sl_db_row_cb sl_escalation_row_cb;
int sl_escalation_list(sl_db_t *db, sl_escalation_row_cb *cb, void *arg);

/* The Chinese name of escalation cause NAME ("OVERDUE" → "逾期未办结" …). Static. */
const char *sl_escalation_cause_zh(const char *name);

#endif
