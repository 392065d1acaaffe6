/* sl_codec.h — the wire contract in C: decode and encode Envelope, Ack, Event.
 *
 * This is the only module that includes the protobuf-c generated headers
 * (build/gen/safeloop/v1/NAME.pb-c.h); it includes them here so that callers get
 * the message types (and their generated field names and enums) through this
 * header. Callers use the sl_pb_*_t aliases and the functions below rather than
 * the generated pack/unpack functions, so that every inbound message is decoded
 * into an arena (freed in one call) and checked the same way.
 *
 * Decoded messages live in the sl_arena_t passed in and must never be given to
 * protobuf_c_message_free_unpacked. Messages that callers build for encoding
 * (an Ack, an Event, an envelope for the outbox) may borrow their strings. */
#ifndef SL_CODEC_H
#define SL_CODEC_H

#include "sl_arena.h"

#include "safeloop/v1/clue.pb-c.h"
#include "safeloop/v1/envelope.pb-c.h"
#include "safeloop/v1/handling.pb-c.h"
#include "safeloop/v1/registers.pb-c.h"
#include "safeloop/v1/publish.pb-c.h"
#include "safeloop/v1/reports.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Short names for the generated message types. */
typedef Safeloop__V1__Envelope sl_pb_envelope_t;
typedef Safeloop__V1__Ack sl_pb_ack_t;
typedef Safeloop__V1__Event sl_pb_event_t;
typedef Safeloop__V1__ClueReport sl_pb_clue_t;
typedef Safeloop__V1__Subject sl_pb_subject_t;
typedef Safeloop__V1__Place sl_pb_place_t;
typedef Safeloop__V1__Reporter sl_pb_reporter_t;
typedef Safeloop__V1__SealedReporter sl_pb_sealed_reporter_t;
typedef Safeloop__V1__SignOff sl_pb_sign_off_t;
typedef Safeloop__V1__Receipt sl_pb_receipt_t;
typedef Safeloop__V1__Objection sl_pb_objection_t;
typedef Safeloop__V1__Progress sl_pb_progress_t;
typedef Safeloop__V1__Feedback sl_pb_feedback_t;
typedef Safeloop__V1__Measure sl_pb_measure_t;
typedef Safeloop__V1__Decision sl_pb_decision_t;
typedef Safeloop__V1__Transfer sl_pb_transfer_t;
typedef Safeloop__V1__Escalation sl_pb_escalation_t;
typedef Safeloop__V1__WeeklyReport sl_pb_weekly_report_t;
typedef Safeloop__V1__MonthlyReport sl_pb_monthly_report_t;
typedef Safeloop__V1__TypicalCase sl_pb_typical_case_t;
typedef Safeloop__V1__Inspection sl_pb_inspection_t;
typedef Safeloop__V1__SpotCheck sl_pb_spot_check_t;
typedef Safeloop__V1__Accident sl_pb_accident_t;
typedef Safeloop__V1__Official sl_pb_official_t;
typedef Safeloop__V1__EarlierFinding sl_pb_finding_t;
typedef Safeloop__V1__Liaison sl_pb_liaison_t;
typedef Safeloop__V1__Commitment sl_pb_commitment_t;
typedef Safeloop__V1__ImplementationPlan sl_pb_plan_t;
typedef Safeloop__V1__PublicNote sl_pb_public_note_t;

/* Initialisers for messages built on the stack: sl_pb_ack_t a = SL_PB_ACK_INIT; */
#define SL_PB_ENVELOPE_INIT SAFELOOP__V1__ENVELOPE__INIT
#define SL_PB_ACK_INIT SAFELOOP__V1__ACK__INIT
#define SL_PB_EVENT_INIT SAFELOOP__V1__EVENT__INIT

/* The body an envelope carries (values are the oneof field numbers). */
typedef enum {
    SL_BODY_NONE = SAFELOOP__V1__ENVELOPE__BODY__NOT_SET,
    SL_BODY_CLUE = SAFELOOP__V1__ENVELOPE__BODY_CLUE,
    SL_BODY_RECEIPT = SAFELOOP__V1__ENVELOPE__BODY_RECEIPT,
    SL_BODY_OBJECTION = SAFELOOP__V1__ENVELOPE__BODY_OBJECTION,
    SL_BODY_PROGRESS = SAFELOOP__V1__ENVELOPE__BODY_PROGRESS,
    SL_BODY_FEEDBACK = SAFELOOP__V1__ENVELOPE__BODY_FEEDBACK,
    SL_BODY_DECISION = SAFELOOP__V1__ENVELOPE__BODY_DECISION,
    SL_BODY_TRANSFER = SAFELOOP__V1__ENVELOPE__BODY_TRANSFER,
    SL_BODY_ESCALATION = SAFELOOP__V1__ENVELOPE__BODY_ESCALATION,
    SL_BODY_WEEKLY_REPORT = SAFELOOP__V1__ENVELOPE__BODY_WEEKLY_REPORT,
    SL_BODY_MONTHLY_REPORT = SAFELOOP__V1__ENVELOPE__BODY_MONTHLY_REPORT,
    SL_BODY_INSPECTION = SAFELOOP__V1__ENVELOPE__BODY_INSPECTION,
    SL_BODY_SPOT_CHECK = SAFELOOP__V1__ENVELOPE__BODY_SPOT_CHECK,
    SL_BODY_ACCIDENT = SAFELOOP__V1__ENVELOPE__BODY_ACCIDENT,
    SL_BODY_OFFICIAL = SAFELOOP__V1__ENVELOPE__BODY_OFFICIAL,
    SL_BODY_FINDING = SAFELOOP__V1__ENVELOPE__BODY_FINDING,
    SL_BODY_LIAISON = SAFELOOP__V1__ENVELOPE__BODY_LIAISON,
    SL_BODY_COMMITMENT = SAFELOOP__V1__ENVELOPE__BODY_COMMITMENT,
    SL_BODY_PLAN = SAFELOOP__V1__ENVELOPE__BODY_PLAN,
    SL_BODY_PUBLIC_NOTE = SAFELOOP__V1__ENVELOPE__BODY_PUBLIC_NOTE,
} sl_body_t;

/* Ack statuses. */
#define SL_ACK_ACCEPTED SAFELOOP__V1__ACK__STATUS__ACCEPTED
#define SL_ACK_DUPLICATE SAFELOOP__V1__ACK__STATUS__DUPLICATE
#define SL_ACK_REJECTED SAFELOOP__V1__ACK__STATUS__REJECTED

/* The stable error codes of envelope.proto / docs/error-codes.md. Codes that end
 * in ':' take a detail (a field path or a state): see sl_codec_error_set. */
#define SL_ERR_BAD_PROTOBUF "bad_protobuf"
#define SL_ERR_EMPTY_FRAME "empty_frame"
#define SL_ERR_BAD_FRAMES "bad_frames"
#define SL_ERR_TOO_LARGE "too_large"
#define SL_ERR_BAD_UTF8 "bad_utf8"
#define SL_ERR_MISSING_FIELD "missing_field:"
#define SL_ERR_BAD_FIELD "bad_field:"
#define SL_ERR_UNKNOWN_SECTOR "unknown_sector"
#define SL_ERR_UNKNOWN_DIVISION "unknown_division"
#define SL_ERR_UNKNOWN_VIOLATION "unknown_violation"
#define SL_ERR_BAD_MSG_ID "bad_msg_id"
#define SL_ERR_UNKNOWN_BODY "unknown_body"
#define SL_ERR_UNKNOWN_TRANSFER "unknown_transfer"
#define SL_ERR_UNKNOWN_CASE "unknown_case"
#define SL_ERR_WRONG_STATE "wrong_state:"
#define SL_ERR_OBJECTION_WINDOW_CLOSED "objection_window_closed"
#define SL_ERR_MISSING_SIGNOFF "missing_signoff"
#define SL_ERR_NOT_PERMITTED "not_permitted"
#define SL_ERR_WRONG_ORIGIN "wrong_origin"
#define SL_ERR_INTERNAL "internal"

#define SL_MSG_ID_MAX 64 /* bytes */

/* Why an inbound message was declined: what goes into Ack.error_code/_text. */
typedef struct {
    char code[128]; /* stable code, e.g. "missing_field:subject.name"; "" if none */
    char text[384]; /* detail for Ack.error_text: Chinese, valid UTF-8 */
} sl_codec_error_t;

/* Sets ERR's code to CODE followed by DETAIL (DETAIL may be NULL; pass the
 * path or state for codes ending in ':') and its text from FMT. Both are
 * truncated to fit, the text on a UTF-8 character boundary. */
void sl_codec_error_set(sl_codec_error_t *err, const char *code, const char *detail,
                        const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Decodes an Envelope from DATA[0..LEN) into ARENA and checks what every body
 * shares: LEN (empty_frame; too_large if MAX_LEN > 0 and LEN > MAX_LEN), the
 * encoding (bad_protobuf), msg_id (bad_msg_id), UTF-8 of every string
 * (bad_utf8, the text names the field) and that a known body is set
 * (unknown_body). Returns 0 with *OUT set, or SL_DECLINED with ERR filled; then
 * *OUT is the decoded envelope if the bytes parsed (so the Ack can carry its
 * msg_id when sl_codec_msg_id_valid), else NULL. In a declined envelope every
 * string that was not valid UTF-8 (msg_id and producer included) has been
 * replaced by its escaped form (sl_utf8_escape), so it can be stored as text
 * and logged; msg_id is judged on the bytes received. Body-specific rules
 * (required fields, sectors, divisions …) are the validation module's. */
int sl_codec_decode_envelope(sl_arena_t *arena, const void *data, size_t len, size_t max_len,
                             sl_pb_envelope_t **out, sl_codec_error_t *err);
/* Decode an Ack / Event into ARENA; NULL if the bytes are not one. A string
 * that is not valid UTF-8 comes back escaped (sl_utf8_escape), so a peer's
 * bytes can be stored and logged; no other checks. For clients (slctl,
 * sl-dispatch) and subscribers. */
sl_pb_ack_t *sl_codec_decode_ack(sl_arena_t *arena, const void *data, size_t len);
sl_pb_event_t *sl_codec_decode_event(sl_arena_t *arena, const void *data, size_t len);
/* Any message type: DESC is e.g. &safeloop__v1__reporter__descriptor. */
ProtobufCMessage *sl_codec_unpack(sl_arena_t *arena, const ProtobufCMessageDescriptor *desc,
                                  const void *data, size_t len);

/* Encodes into a new buffer of *LEN bytes that the caller frees (free()).
 * Never NULL (aborts on out-of-memory); a message with no field set encodes to
 * 0 bytes and still returns a buffer. The message may borrow its strings. */
uint8_t *sl_codec_encode_envelope(const sl_pb_envelope_t *env, size_t *len);
uint8_t *sl_codec_encode_ack(const sl_pb_ack_t *ack, size_t *len);
uint8_t *sl_codec_encode_event(const sl_pb_event_t *ev, size_t *len);
uint8_t *sl_codec_pack(const ProtobufCMessage *msg, size_t *len);

/* Fill ACK (any previous content is overwritten; strings are borrowed, NULL
 * means empty) as ACCEPTED / DUPLICATE with the case number and reference,
 * or as REJECTED with an error code and text. */
void sl_codec_ack_accepted(sl_pb_ack_t *ack, const char *msg_id, const char *case_no,
                           const char *ref);
void sl_codec_ack_duplicate(sl_pb_ack_t *ack, const char *msg_id, const char *case_no,
                            const char *ref);
void sl_codec_ack_rejected(sl_pb_ack_t *ack, const char *msg_id, const char *code,
                           const char *text);

/* True if ID is 1..64 bytes of printable ASCII (0x21..0x7e). */
bool sl_codec_msg_id_valid(const char *id);
/* The body ENV carries; SL_BODY_NONE if none (or one newer than this build). */
sl_body_t sl_codec_body(const sl_pb_envelope_t *env);
/* The body message itself, or NULL if none. Borrowed from ENV. */
const ProtobufCMessage *sl_codec_body_msg(const sl_pb_envelope_t *env);
/* Short lowercase name of ENV's body, the oneof field name: "clue", "receipt",
 * "objection", "progress", "feedback", "decision", "transfer", "escalation",
 * "weekly_report", "monthly_report", "public_note"; "none" if no known body.
 * Static. */
const char *sl_codec_body_kind(const sl_pb_envelope_t *env);
/* The same by body, e.g. for logs and metrics labels. Static. */
const char *sl_codec_body_name(sl_body_t body);

#endif
