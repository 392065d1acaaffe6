/* sl_words.h — the Chinese an office reads: labels for the stable codes and
 * the notice's sentences.
 *
 * Machine output (--json, tab-separated script output, logs, JSON enum names)
 * keeps the ASCII codes; human output prints them through here, so one code
 * has one Chinese word everywhere (交办文号, 问题线索, 已办结（已销号）…). Pure:
 * strings in, strings out. */
#ifndef SL_WORDS_H
#define SL_WORDS_H

#include "sl_audit.h"
#include "sl_util.h"

#include <stdbool.h>

/* The Chinese word for CODE in the vocabulary DOMAIN: "channel" (HOTLINE →
 * 举报热线), "case_status" (transferred → 已交办), "transfer_state" (closed →
 * 已办结（已销号）), "transfer_kind" (police → 移送公安), "delivery" (event →
 * 系统通知), "calendar_kind" (workday → 调休上班), "event" (a history entry's
 * kind: received → 签收), "unit_kind", "field" (a detail's key: notice_no →
 * 交办文号), "value" (a detail's code value: OVERDUE → 逾期未办结). CODE
 * itself when unknown. Static or CODE. */
const char *sl_words_label(const char *domain, const char *code);

/* The facts the notice's opening sentence names. Strings borrowed; NULL = "". */
typedef struct {
    const char *channel; /* wire name: HOTLINE …; "escalation" for a verification case */
    const char *office; /* the office that received it: 晋中市“百日攻坚”集中行动领导组办公室 */
    const char *subject;        /* 平遥县某某煤业有限公司 */
    const char *violations;     /* the common violations' texts, "；"-joined */
    const char *violation_text; /* the sector-specific problem, free text */
    const char *sector;         /* 煤矿, or 其他行业领域（电力） */
    const char *upper_notice;   /* channel UPPER_TRANSFER: the upper node's 交办文号 */
    const char *upper_office; /* its issuing office's short name (晋中市“百日攻坚”办) */
} sl_words_clue_t;

/* Appends to B what the clue is about: "涉嫌瞒报、谎报生产安全事故" (the
 * first common violation, "等问题" if more), else "存在超层越界开采问题"
 * (the sector problem), else "存在煤矿领域安全生产问题". */
void sl_words_problem(sl_buf_t *b, const sl_words_clue_t *c);

/* Appends to B the notice's opening after the date, one phrasing per channel
 * after annex 3's "接到群众（在督查中发现）关于XX公司涉嫌……的举报":
 * "{office}接到群众通过举报热线反映{subject}{problem}的举报",
 * "{office}在督查检查中发现{subject}{problem}",
 * "{office}收到上级交办的{subject}{problem}的问题线索（交办文号：…）" … */
void sl_words_clue_sentence(sl_buf_t *b, const sl_words_clue_t *c);

/* Appends to B the instruction of a notice of transfer KIND (handling,
 * police, discipline) to a receiver of RECEIVER_KIND (child, department,
 * member, police, discipline), FEEDBACK_ZH the feedback deadline as
 * "2026年11月19日": 移交你政府 / 交办你单位 … 七项措施 … signer; 移送你局 …
 * 依法调查处理; 移送你委 … 依纪依规处理. */
void sl_words_instruction(sl_buf_t *b, const char *kind, const char *receiver_kind,
                          const char *feedback_zh);

/* Appends to B a history entry's or a result's DETAIL (JSON text) as
 * labelled items "交办文号：（煤）移〔2026〕1号" separated by SEP: "\n" puts
 * each on its own indented line (nested objects indented below), "；" keeps
 * them on one line (nested in parentheses); booleans 是/否; a key or code
 * value it has no word for prints as is. */
void sl_words_detail(sl_buf_t *b, const char *detail, const char *sep);

/* Appends to B one history entry as operators read it, without a line end:
 * "  SEQ<TAB>ISO time<TAB>签收<TAB>key=…<TAB>unit=…<TAB>operator=…<TAB>msg_id=…<TAB>
 * 交办文号：…；…" (the key=value fields are codes for scripts and audits). */
void sl_words_event(sl_buf_t *b, const sl_audit_event_t *ev);

#endif
