/* sl_notice.h — the transfer notice (交办（移送）书) of annex 3, as printable HTML.
 *
 * Pure: the caller gathers the transfer's facts into an sl_notice_t and gets a
 * complete UTF-8 HTML document back, in Chinese, with print styles (A4, the
 * office's stamp line). No reporter data is ever part of a notice. */
#ifndef SL_NOTICE_H
#define SL_NOTICE_H

#include <stdbool.h>

/* The facts a notice prints. Strings are borrowed; NULL prints as empty. */
typedef struct {
    const char *notice_no; /* （煤）移〔2026〕17号 */
    const char *list_no;   /* 交办清单〔2026〕第3期, or "" for a re-transfer */
    const char *office; /* the issuing office, e.g. 平遥县“百日攻坚”集中行动领导组办公室 */
    const char *receiver;           /* the receiving unit's name: 平遥县应急管理局 */
    const char *case_no;            /* 140728-2026-煤-000017 */
    const char *received_date;      /* YYYY-MM-DD the clue came in */
    const char *channel;            /* wire enum name: HOTLINE, INSPECTION … */
    const char *subject;            /* the subject reported */
    const char *place;              /* division name, township, address */
    const char *sector;             /* 煤矿 */
    const char *violations;         /* the common violations' texts, "；"-joined */
    const char *violation_text;     /* sector-specific problems */
    const char *description;        /* what was reported */
    bool major_hazard;              /* 重大事故隐患 */
    bool suspected_crime;           /* 涉嫌犯罪 */
    bool suspected_dereliction;     /* 涉嫌失职渎职 */
    const char *transfer_date;      /* YYYY-MM-DD */
    const char *objection_deadline; /* YYYY-MM-DD */
    const char *feedback_deadline;  /* YYYY-MM-DD */
    const char *calendar_warning;   /* "" if none */
    const char *replaces;           /* the notice this one replaces after an objection, or "" */
    const char *contact;            /* 承办人及联系方式, or "" */
    const char *kind;               /* transfer kind: handling (or ""), police, discipline */
    const char *receiver_kind;      /* child, department, member, police, discipline */
    const char *upper_notice_no;    /* channel UPPER_TRANSFER: the upper node's 交办文号 */
    const char *upper_office;       /* its issuing office's short name, printed before it */
    int repeat_count;               /* 反复举报: repeat reports of the case, 0 if none */
} sl_notice_t;

/* The notice as an HTML document; a new string the caller frees. */
char *sl_notice_html(const sl_notice_t *n);

#endif
