/* sl_supervision.h — listed supervision (挂牌督办) of major-hazard cases.
 *
 * A case with a major hazard (重大事故隐患) is listed under a named leader by
 * the node's Decision SUPERVISE, applied by sl-intake in its batch
 * transaction, and stays listed until the case is verified closed (验收销号):
 * then sl_transfer ends the listing (SUPERVISE_END, audited) and the 挂牌督办
 * list gets its entry. This module is the only home of the SQL on supervision
 * (DESIGN.md rule 4). */
#ifndef SL_SUPERVISION_H
#define SL_SUPERVISION_H

#include "sl_codec.h"
#include "sl_db.h"
#include "sl_apply.h"
#include "sl_audit.h"

#include <stdbool.h>
#include <stdint.h>

/* True if ENV is a Decision SUPERVISE (intake sends it here, not to sl_transfer). */
bool sl_supervision_is(const sl_pb_envelope_t *env);

/* Lists the case ENV->decision->case_no under ENV->decision->leader, inside
 * the caller's transaction, at NOW_MS; SENDER for the audit. Returns 0
 * (listed: row and "supervised" audit event; RES->ref "supervision:<id>",
 * topic "case.supervised"); SL_DECLINED with RES->err (unknown_case,
 * wrong_origin, bad_field:major_hazard, wrong_state:closed) when nothing
 * was written; on a case listed already, the leader is updated instead
 * (audited "supervisor_changed"); -1 or SL_AGAIN. */
int sl_supervision_apply(sl_db_t *db, const char *node, int64_t now_ms, const sl_pb_envelope_t *env,
                         const char *sender, sl_apply_result_t *res);

/* An escalation at the top node (no parent to verify): lists case CASE_ID on
 * the node's own supervision list, no leader yet, by "sl-deadline" at NOW_MS,
 * unless it is listed already, inside the caller's transaction. 0 with REF the
 * listing's id or "already", -1 or SL_AGAIN. */
int sl_supervision_list_escalated(sl_db_t *db, int64_t case_id, int64_t now_ms,
                                  const char *msg_id, char *ref, size_t size);

/* Lists case CASE_ID for supervision without a command (DESIGN.md "Where
 * levels meet"): a major hazard handled at this level. LEADER/TITLE from
 * [supervision] or "" (set later by `case supervise`), by BY ("sl-dispatch")
 * at NOW_MS, unless listed already; audited "supervised" with auto = true.
 * Inside the caller's transaction; 0 (*LISTED set when newly listed), -1 or
 * SL_AGAIN. */
int sl_supervision_list_auto(sl_db_t *db, int64_t case_id, int64_t now_ms, const char *leader,
                             const char *title, const sl_actor_t *actor, bool *listed);

/* What sl_supervision_end ended. */
typedef struct {
    bool ended;       /* the case was listed and is no longer */
    char leader[128]; /* its leader */
    char title[64];   /* the leader's title */
    char since[11];   /* the listing's business date, YYYY-MM-DD */
} sl_supervision_ended_t;

/* Ends the listing of case CASE_ID, if any, because it was verified closed:
 * status ended and a "supervise_end" audit event (SUPERVISE_END), inside the
 * caller's transaction. 0 with OUT filled, -1 or SL_AGAIN. */
int sl_supervision_end(sl_db_t *db, int64_t case_id, int64_t now_ms,
                       const sl_actor_t *actor, sl_supervision_ended_t *out);

/* A listing as `slctl supervision list` prints it: case_no, subject, unit
 * (code and name), leader (with title), since (YYYY-MM-DD), status (listed /
 * ended): 6 strings borrowed for the call. */
typedef sl_db_row_cb sl_supervision_row_cb;
/* Calls CB for each listing (only the current ones unless ALL), oldest first.
 * 0, -1 or SL_AGAIN. */
int sl_supervision_list(sl_db_t *db, bool all, sl_supervision_row_cb *cb, void *arg);

#endif
