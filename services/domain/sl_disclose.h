/* sl_disclose.h — what is disclosed about a case, and how (三公开; pure).
 *
 * sl-publish reads the pub_* views (no reporter, no contact, no description)
 * and asks this module, item by item: may it go out at all (held back, or no
 * office-written summary yet), what name stands for the subject (a natural
 * person by the config's rule, default surname + 某), which status in the
 * plan's words, and what the 整改率 is. The reports and the appraisal use the
 * same rate (sl_disclose_rate). DESIGN.md "Publication". */
#ifndef SL_DISCLOSE_H
#define SL_DISCLOSE_H

#include "sl_util.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Why an item is left out of a publication, or SL_DISCLOSE_YES. */
typedef enum {
    SL_DISCLOSE_YES = 0,
    SL_DISCLOSE_HELD,    /* held back by the office (暂缓公开), counted */
    SL_DISCLOSE_MISSING, /* no office-written public summary yet, counted */
} sl_disclose_t;

/* How a natural person subject is named. */
typedef enum {
    SL_PERSON_SURNAME = 0, /* 张某 */
    SL_PERSON_WITHHELD,    /* 某某 */
} sl_person_rule_t;

/* One transfer as the pub_transfer view shows it. Strings borrowed. */
typedef struct {
    const char *state;             /* transfer.state: issued, received, … closed */
    const char *feedback_deadline; /* YYYY-MM-DD */
    const char *subject_kind;      /* 单位, 个体工商户, 自然人 */
    const char *subject_name;      /* "" for a natural person */
    const char *subject_surname;   /* the first character, natural persons only */
    const char *summary;           /* the office's public summary, "" if none */
    int progress_count;            /* progress reports so far */
    bool held;                     /* held back by the office */
    bool escalated;                /* marked for 提级核查 */
    bool overdue;                  /* marked overdue by sl-deadline */
} sl_disclose_item_t;

/* Whether IT may be published. */
sl_disclose_t sl_disclose_check(const sl_disclose_item_t *it);

/* The rule named by the config's text ("surname", "withheld"); -1 if unknown. */
int sl_disclose_person_rule(const char *text);

/* Writes the subject's published name into OUT (SIZE bytes): the name of a
 * unit or 个体工商户 as it is, a natural person by RULE. */
void sl_disclose_subject(const sl_disclose_item_t *it, sl_person_rule_t rule, char *out,
                         size_t size);

/* The item's status in the plan's words, on business date TODAY
 * (YYYY-MM-DD): 已交办, 已签收, 异议处理中, 核查中, 整改中, 逾期, 提级核查,
 * 已反馈, 已销号. Static. */
const char *sl_disclose_status(const sl_disclose_item_t *it, const char *today);

/* True when the item is still open (not 已销号). */
bool sl_disclose_open(const sl_disclose_item_t *it);

/* 整改率 (rectification rate): RECTIFIED ÷ FOUND major hazards, written as a
 * percentage with one decimal ("87.5%") into OUT; "—" when FOUND is 0. The
 * one definition (DESIGN.md "整改率"); returns the rate in [0, 1], or -1. */
double sl_disclose_rate(long rectified, long found, char *out, size_t size);

/* Appends the published result of a closed case to OUT: the conclusion of the
 * check and those of the ten result items that apply (违法性质、停产整顿、关闭
 * 取缔、行政处罚、吊销证照、重大事故隐患整改、提级核查、失信企业联合惩戒、党纪
 * 政务处分、刑事责任追究), in the plan's words, "；" between them. RESULT is
 * the pub_transfer view's result object (borrowed; NULL: nothing). */
void sl_disclose_result(const json_t *result, sl_buf_t *out);

#endif
