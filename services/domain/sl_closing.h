/* sl_closing.h — closing only what is fixed: the result of the check and its rules.
 *
 * The result of checking a case (Feedback fields 30–37, issue 15): the
 * conclusion (属实 / 部分属实 / 不属实 / 查无实据), 暂扣 apart from 吊销,
 * public exposure (曝光) and measures ⑤–⑦ as structured items. The pure part
 * names, stores and prints them, and decides the closing rules (who counts the
 * persons prosecuted). The database part reads what `slctl case show` prints:
 * each transfer's result and whether the case was escalated (提级核查), taken
 * from this node's own escalation records (transfer_escalation,
 * escalated_case), never from the receiver's own flag.
 *
 * 销号 (verify-pass of a handling transfer) needs the problem rectified, or an
 * accepted plan — a date not yet passed (rectify_by) and a responsible person
 * (rectify_responsible) — unless the check found the report 不属实 or 查无实据.
 * A transfer closed on a plan keeps the plan's date (transfer.rectify_by);
 * sl-deadline's clock (sl_deadline_check, sl_transfer_clock.c) marks it
 * RECTIFY_OVERDUE once when the date passes and reopens it for verification
 * (sl_transfer_reopen): the state table's transition closed → fed_back
 * (SL_TM_REOPEN), which a re-report of a closed case's subject also takes.
 * This module only reads the transfer table; the writes these rules make
 * (the plan's date, the reopening) are the transfer module's
 * (sl_transfer_plan_accept, sl_transfer_reopen in sl_transfer_reopen.c). */
#ifndef SL_CLOSING_H
#define SL_CLOSING_H

#include "sl_codec.h"
#include "sl_db.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The conclusion of the check, Feedback.conclusion's values. */
typedef enum {
    SL_CONCLUSION_UNSPECIFIED = 0, /* not stated */
    SL_CONCLUSION_SUBSTANTIATED,   /* 属实 */
    SL_CONCLUSION_PARTLY,          /* 部分属实 */
    SL_CONCLUSION_UNSUBSTANTIATED, /* 不属实 */
    SL_CONCLUSION_NO_EVIDENCE,     /* 查无实据 */
    SL_CONCLUSION_COUNT
} sl_conclusion_t;

/* "SUBSTANTIATED" … (the wire enum's names; "" for UNSPECIFIED) and "属实" …
 * ("未填写" for UNSPECIFIED). Static; an out-of-range value gives "". */
const char *sl_closing_conclusion_name(int c);
const char *sl_closing_conclusion_zh(int c);
/* The conclusion named NAME (the enum name or the Chinese), or -1. */
int sl_closing_conclusion_parse(const char *name);
/* False for 不属实 and 查无实据: nothing to rectify, the case closes without a
 * rectification or plan. True otherwise (also when not stated). */
bool sl_closing_needs_rectification(int c);

/* Adds the result fields of issue 15 (conclusion, license_suspended, exposed
 * and exposed_where, the measures ⑤–⑦, rectify_responsible) of F to the
 * stored feedback object O — only those set, so older rows read the same. */
void sl_closing_feedback_json(const sl_pb_feedback_t *f, json_t *o);

/* The persons prosecuted (刑事责任追究) a verified transfer of KIND enters in
 * the six lists, from its feedback's COUNT: a person counted by the handling
 * unit and by the police is counted once, and the police's figure stands — a
 * handling transfer of a case that also went to the police (CASE_HAS_POLICE)
 * enters 0. Pure. */
int sl_closing_criminal_persons(const char *kind, int count, bool case_has_police);

/* The result of a stored feedback (JSON, as sl_transfer.c stores it) as
 * labelled lines "label\tvalue\n" for `case show`: conclusion, the ten items
 * with 暂扣 and 吊销 apart, exposure, measures ⑤–⑦, rectification and plan.
 * New string; "" for a JSON text that is not an object. */
char *sl_closing_result_text(const char *feedback_json);

/* Whether case CASE_ID was escalated (提级核查) by this node's records: its
 * transfers' escalation marks (cause, raised or pending) and a verification
 * case opened for it here. Writes "否" or "是：逾期未办结（已提级）、…" into
 * BUF. 0, -1 or SL_AGAIN. */
int sl_closing_escalated(sl_db_t *db, int64_t case_id, char *buf, size_t size);

/* Calls CB for each transfer of case CASE_ID that has a feedback, in issue
 * order, with notice_no, kind, state, feedback (4 strings, borrowed for the
 * call). 0, -1 or SL_AGAIN. */
int sl_closing_results(sl_db_t *db, int64_t case_id, sl_db_row_cb *cb, void *arg);

/* --- 销号 only what is fixed -------------------------------------------------------- */

#define SL_ERR_NOT_RECTIFIED "not_rectified" /* 销号 refused: unrectified, no valid plan */

/* What the closing rule reads from a feedback. */
typedef struct {
    int conclusion;       /* sl_conclusion_t */
    bool rectified;       /* 整改到位 */
    int32_t rectify_by;   /* the plan's date; -1: none */
    bool has_responsible; /* the plan names its responsible person */
} sl_closing_facts_t;

/* Reads the facts of a stored feedback (JSON) into OUT. 0, or -1 if it is
 * not a JSON object (OUT then says: nothing rectified, no plan). Pure. */
int sl_closing_facts_parse(const char *feedback_json, sl_closing_facts_t *out);

/* May a handling transfer whose feedback says F be verified closed (销号) on
 * business day TODAY? Yes (0) when the check found nothing to rectify
 * (不属实, 查无实据), when it is rectified, or on an accepted plan: a date not
 * before TODAY and a responsible person — then *PLAN_DAY is the plan's date
 * (else -1). No: SL_DECLINED with ERR not_rectified and why, in Chinese. Pure. */
int sl_closing_may_close(const sl_closing_facts_t *f, int32_t today, int32_t *plan_day,
                         sl_codec_error_t *err);

/* sl_closing_may_close for the stored feedback of transfer TRANSFER_ID, inside
 * the verifying transaction (the transfer is locked by the caller). 0 with
 * *PLAN_DAY, SL_DECLINED with ERR, -1 or SL_AGAIN. */
int sl_closing_verify_check(sl_db_t *db, int64_t transfer_id, int32_t today, int32_t *plan_day,
                            sl_codec_error_t *err);

/* --- a re-report reopens ------------------------------------------------------------ */

/* The facts of a repeat report C that its "repeated" event keeps on the case
 * beside channel and time: place, problem, flags, credit code — those set —
 * into O. Never the reporter. Pure. */
void sl_closing_repeat_facts(const sl_pb_clue_t *c, json_t *o);

/* A repeat report CLUE of case CASE_ID (now counted REPEAT_COUNT) at node
 * NODE: when the case's handling transfer (the last not replaced) went to a
 * child that runs its own node, writes to the outbox for that child the
 * Transfer again, with `repeat` set, the repeat's facts as its clue and
 * REPEAT_COUNT, so the child links it to the case it holds (and reopens it if
 * closed). Nothing when no child holds the case. Inside the caller's
 * transaction; 0, -1 or SL_AGAIN. */
int sl_closing_pass_repeat(sl_db_t *db, const char *node, int64_t now_ms, int64_t case_id,
                           const sl_pb_clue_t *clue, int repeat_count);

#endif
