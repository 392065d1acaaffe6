/* sl_transfer_fsm.c — the transfer state table and numbers.
 *
 * s_table is the whole machine: a row per state, a column per message, each
 * cell the next state or S_NO (refused as wrong_state:<state>). The one guard
 * that time decides — an objection only until the end of its window — is
 * checked after the state allows the message. */
#include "sl_transfer_fsm.h"

#include "sl_clock.h"

#include <stdio.h>
#include <string.h>

#define S_NO (-1) /* refused: wrong_state:<state> */

// clang-format off
#define S_RCV SL_TS_RECEIVED
#define S_OBJ SL_TS_OBJECTED
#define S_PRG SL_TS_IN_PROGRESS
#define S_FED SL_TS_FED_BACK
#define S_CLO SL_TS_CLOSED
static const int s_table[SL_TS_COUNT][SL_TM_COUNT] = {
    /*                   receipt objection progress feedback obj.accept obj.reject verify_pass verify_fail reopen */
    [SL_TS_ISSUED]      = {S_RCV, S_OBJ,   S_NO,    S_NO,    S_NO,      S_NO,      S_NO,       S_NO,       S_NO},
    [SL_TS_RECEIVED]    = {S_NO,  S_OBJ,   S_PRG,   S_FED,   S_NO,      S_NO,      S_NO,       S_NO,       S_NO},
    [SL_TS_OBJECTED]    = {S_NO,  S_NO,    S_NO,    S_NO,    S_CLO,     S_RCV,     S_NO,       S_NO,       S_NO},
    [SL_TS_IN_PROGRESS] = {S_NO,  S_OBJ,   S_PRG,   S_FED,   S_NO,      S_NO,      S_NO,       S_NO,       S_NO},
    [SL_TS_FED_BACK]    = {S_NO,  S_NO,    S_NO,    S_NO,    S_NO,      S_NO,      S_CLO,      S_RCV,      S_NO},
    [SL_TS_CLOSED]      = {S_NO,  S_NO,    S_NO,    S_NO,    S_NO,      S_NO,      S_NO,       S_NO,       S_FED},
};
#undef S_RCV
#undef S_OBJ
#undef S_PRG
#undef S_FED
#undef S_CLO
// clang-format on

static const char *const s_state_names[SL_TS_COUNT] = {
    "issued", "received", "objected", "in_progress", "fed_back", "closed",
};
static const char *const s_state_zh[SL_TS_COUNT] = {
    "已交办", "已签收", "有异议待决定", "办理中", "已反馈", "已办结（已销号）",
};
static const char *const s_case_status[SL_TS_COUNT] = {
    "transferred", "received", "objected", "in_progress", "fed_back", "closed",
};
static const char *const s_msg_names[SL_TM_COUNT] = {
    "receipt",          "objection",   "progress",    "feedback", "objection_accept",
    "objection_reject", "verify_pass", "verify_fail", "reopen",
};
static const char *const s_msg_zh[SL_TM_COUNT] = {
    "签收",           "异议",     "进展",       "办理结果", "异议成立决定",
    "异议不成立决定", "核查通过", "核查不通过", "重新核查",
};

/* Why a state refuses messages, for the Ack's text. */
static const char *const s_state_why[SL_TS_COUNT] = {
    "交办书尚未签收",           "交办书已签收", "异议正等待交办机关决定", "交办事项正在办理",
    "办理结果已反馈，等待核查", "交办事项已办结（已销号）或已撤回",
};

void
sl_transfer_step(sl_transfer_state_t state, sl_transfer_msg_t msg, const sl_transfer_guard_t *guard,
                 sl_transfer_outcome_t *out)
{
    memset(out, 0, sizeof *out);
    if ((int)state < 0 || state >= SL_TS_COUNT || (int)msg < 0 || msg >= SL_TM_COUNT) {
        snprintf(out->code, sizeof out->code, "internal");
        snprintf(out->text, sizeof out->text, "未知的状态或消息");
        return;
    }
    int next = s_table[state][msg];
    if (next == S_NO) {
        snprintf(out->code, sizeof out->code, "wrong_state:%s", s_state_names[state]);
        snprintf(out->text, sizeof out->text, "%s，不能受理%s", s_state_why[state], s_msg_zh[msg]);
        return;
    }
    if (msg == SL_TM_OBJECTION && guard && guard->today > guard->objection_deadline) {
        char d[11];
        sl_date_format(guard->objection_deadline, d);
        snprintf(out->code, sizeof out->code, "objection_window_closed");
        snprintf(out->text, sizeof out->text, "异议期已于%s届满（签收后2个工作日）", d);
        return;
    }
    out->applied = true;
    out->next = (sl_transfer_state_t)next;
}

const char *
sl_transfer_state_name(sl_transfer_state_t s)
{
    return (int)s >= 0 && s < SL_TS_COUNT ? s_state_names[s] : "unknown";
}

const char *
sl_transfer_state_zh(sl_transfer_state_t s)
{
    return (int)s >= 0 && s < SL_TS_COUNT ? s_state_zh[s] : "未知";
}

const char *
sl_transfer_case_status(sl_transfer_state_t s)
{
    return (int)s >= 0 && s < SL_TS_COUNT ? s_case_status[s] : "unknown";
}

int
sl_transfer_state_parse(const char *name)
{
    for (int i = 0; name && i < SL_TS_COUNT; i++)
        if (strcmp(s_state_names[i], name) == 0)
            return i;
    return -1;
}

const char *
sl_transfer_msg_name(sl_transfer_msg_t m)
{
    return (int)m >= 0 && m < SL_TM_COUNT ? s_msg_names[m] : "unknown";
}

void
sl_transfer_notice_number(char *buf, size_t size, const char *sector_short, int year, long long seq)
{
    snprintf(buf, size, "（%s）移〔%d〕%lld号", sector_short, year, seq);
}

void
sl_transfer_list_number(char *buf, size_t size, int year, long long seq)
{
    snprintf(buf, size, "交办清单〔%d〕第%lld期", year, seq);
}
