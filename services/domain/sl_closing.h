/* sl_closing.h — closing only what is fixed: the result of the check and its rules.
 *
 * The result of checking a case (Feedback fields 30–37, issue 15): the
 * conclusion (属实 / 部分属实 / 不属实 / 查无实据), 暂扣 apart from 吊销,
 * public exposure (曝光) and measures ⑤–⑦ as structured items. The pure part
 * names, stores and prints them, and decides the closing rules (who counts the
 * persons prosecuted). The database part reads what `slctl case show` prints:
 * each transfer's result and whether the case was escalated (提级核查), taken
 * from this node's own escalation records (transfer_escalation,
 * escalated_case), never from the receiver's own flag. */
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

#endif
