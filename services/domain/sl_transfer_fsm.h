/* sl_transfer_fsm.h — the transfer state machine (交办状态机), pure.
 *
 * One table decides what every message does to a transfer in every state:
 * applied (the next state) or refused (a stable error code the sender gets in
 * its Ack: "wrong_state:closed", "objection_window_closed" …). Guards that
 * depend on time are passed in as values, so the whole machine is testable
 * without a database. The deadline rules of the campaign (2 working days to
 * object, 7 to feed back) are computed by sl_deadline.h.
 * docs/DESIGN.md "The transfer state machine" prints the table. */
#ifndef SL_TRANSFER_FSM_H
#define SL_TRANSFER_FSM_H

#include "sl_calendar.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* States of one transfer (one notice number). */
typedef enum {
    SL_TS_ISSUED = 0,  /* 已交办: issued, no receipt yet */
    SL_TS_RECEIVED,    /* 已签收 */
    SL_TS_OBJECTED,    /* 有异议: an objection waits for the issuing node's decision */
    SL_TS_IN_PROGRESS, /* 办理中: progress reported */
    SL_TS_FED_BACK,    /* 已反馈: the signed-off result is in, to be verified */
    SL_TS_CLOSED,      /* 已办结（已销号） when verified; 已撤回 when replaced after an accepted objection */
    SL_TS_COUNT
} sl_transfer_state_t;

/* Messages that act on a transfer. */
typedef enum {
    SL_TM_RECEIPT = 0,      /* 签收 */
    SL_TM_OBJECTION,        /* 异议 */
    SL_TM_PROGRESS,         /* 进展 */
    SL_TM_FEEDBACK,         /* 办理结果 */
    SL_TM_OBJECTION_ACCEPT, /* 异议成立: the transfer closes, the case is re-routed */
    SL_TM_OBJECTION_REJECT, /* 异议不成立: the transfer continues, deadlines stand */
    SL_TM_VERIFY_PASS,      /* 核查通过: closes */
    SL_TM_VERIFY_FAIL,      /* 核查不通过: reopened, to be handled again */
    SL_TM_REOPEN,           /* 重新核查: a closed transfer back to verification (a re-report,
                               or an accepted plan's date passed unrectified) */
    SL_TM_COUNT
} sl_transfer_msg_t;

/* Facts the guards need. */
typedef struct {
    int32_t today;              /* the business date the message is applied on */
    int32_t objection_deadline; /* last day an objection is allowed */
} sl_transfer_guard_t;

/* What a message does. */
typedef struct {
    bool applied;             /* true: NEXT is the new state */
    sl_transfer_state_t next; /* applied: the state after the message */
    char code[48];            /* refused: the error code, e.g. "wrong_state:closed" */
    char text[192];           /* refused: why, in Chinese */
} sl_transfer_outcome_t;

/* Applies MSG to a transfer in STATE under GUARD (NULL: no time guard) and
 * fills OUT. Every (state, message) pair has an outcome; none is undefined. */
void sl_transfer_step(sl_transfer_state_t state, sl_transfer_msg_t msg,
                      const sl_transfer_guard_t *guard, sl_transfer_outcome_t *out);

/* Names: "issued", "received", "objected", "in_progress", "fed_back",
 * "closed" (stored in transfer.state); the Chinese label; the case status a
 * state gives its case ("transferred", "received", … — cases.status). Static. */
const char *sl_transfer_state_name(sl_transfer_state_t s);
const char *sl_transfer_state_zh(sl_transfer_state_t s);
const char *sl_transfer_case_status(sl_transfer_state_t s);
/* The state named NAME, or -1. */
int sl_transfer_state_parse(const char *name);
/* "receipt", "objection", "progress", "feedback", "objection_accept",
 * "objection_reject", "verify_pass", "verify_fail", "reopen". Static. */
const char *sl_transfer_msg_name(sl_transfer_msg_t m);

/* The notice number of annex 3: "（煤）移〔2026〕17号". BUF >= 64 bytes. */
void sl_transfer_notice_number(char *buf, size_t size, const char *sector_short, int year,
                               long long seq);
/* The transfer list's number: "交办清单〔2026〕第3期". BUF >= 64 bytes. */
void sl_transfer_list_number(char *buf, size_t size, int year, long long seq);

#endif
