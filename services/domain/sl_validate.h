/* sl_validate.h — what makes a body acceptable, before anything is stored.
 *
 * Pure: takes a decoded body and the node's reference data, returns 0 or
 * SL_DECLINED with the stable error code and a Chinese text in ERR (the codes
 * of envelope.proto's table). The codec has already checked msg_id, UTF-8 and
 * that a body is present. */
#ifndef SL_VALIDATE_H
#define SL_VALIDATE_H

#include "sl_codec.h"
#include "sl_route.h"

/* A clue: channel, received_at, subject.name, place.division (known to ROUTES),
 * sector (one of the 16), violations (1..12). */
int sl_validate_clue(const sl_pb_clue_t *clue, const sl_route_map_t *routes,
                     sl_codec_error_t *err);

/* An answer to a transfer (receipt, objection, progress, feedback) or a
 * decision on one, by the envelope's body: notice_no and from_unit always;
 * receipt: at; objection: reason; progress: text; feedback: violation_nature,
 * amounts and counts not negative, rectify_by a date if set, and the sign-off
 * with the leader's name, title and time (missing_signoff); decision: kind
 * (objection accept/reject, verify pass/fail, supervise) and a reason where
 * the kind needs one. Any other body is unknown_body. */
int sl_validate_answer(const sl_pb_envelope_t *env, sl_codec_error_t *err);

/* A Decision SUPERVISE (挂牌督办), called by sl_validate_answer: case_no and
 * from_unit, and the leader's name (leader.leader_name). */
int sl_validate_supervise(const sl_pb_decision_t *d, sl_codec_error_t *err);

/* The feedback F to a transfer of KIND (handling, police, discipline), once
 * the transfer is known: a police transfer's feedback carries police_result
 * (立案 or not, police_filed), a discipline commission's discipline_result
 * (处分); neither may carry the other kind's result, nor a handling transfer
 * either (bad_field:<field>). */
int sl_validate_feedback_kind(const sl_pb_feedback_t *f, const char *kind, sl_codec_error_t *err);

#endif
