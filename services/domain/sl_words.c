/* sl_words.c — the Chinese an office reads: labels and the notice's sentences.
 *
 * The vocabulary follows the campaign plan (DOMAIN.md): 问题线索 and 线索编号
 * until a matter is filed (立案), 交办文号 for a notice's number, 办结/销号 for
 * a finished transfer, 移交 a government's or department's matter, 移送 a
 * criminal one. The tables are the one place a code becomes a word. */
#include "sl_words.h"

#include "sl_transfer_fsm.h"

#include <string.h>

typedef struct {
    const char *code, *zh;
} s_word_t;

static const s_word_t s_channel[] = {
    {"HOTLINE", "举报热线"},     {"LETTER", "群众来信"},          {"EMAIL", "电子邮件"},
    {"VISIT", "群众来访"},       {"INSPECTION", "督查检查"},      {"MEDIA", "媒体曝光"},
    {"SYSTEM", "监测预警系统"},  {"LOWER_NODE", "下级报送"},      {"UPPER_TRANSFER", "上级交办"},
    {"OTHER", "其他渠道"},       {"escalation", "提级核查"},      {NULL, NULL},
};
static const s_word_t s_case_status[] = {
    {"registered", "已登记"},       {"transferred", "已交办"},       {"received", "已签收"},
    {"objected", "有异议待决定"},   {"in_progress", "办理中"},       {"fed_back", "已反馈"},
    {"verified", "已核查销号"},     {"closed", "已办结（已销号）"}, {"withdrawn", "已撤回"},
    {"forwarded", "已报送上级"},    {"escalated", "已提级核查"},     {NULL, NULL},
};
static const s_word_t s_transfer_kind[] = {
    {"handling", "办理"}, {"police", "移送公安"}, {"discipline", "移送纪检监察"}, {NULL, NULL},
};
static const s_word_t s_delivery[] = {
    {"event", "系统通知"}, {"outbox", "节点发件箱"}, {NULL, NULL},
};
static const s_word_t s_calendar_kind[] = {
    {"holiday", "放假"}, {"workday", "调休上班"}, {NULL, NULL},
};
static const s_word_t s_unit_kind[] = {
    {"department", "牵头部门"}, {"police", "公安机关"}, {"discipline", "纪检监察机关"},
    {"child", "下级党委政府"},  {"member", "成员单位"}, {NULL, NULL},
};
static const s_word_t s_event[] = {
    {"registered", "登记"},
    {"repeated", "重复举报"},
    {"transferred", "交办"},
    {"received", "签收"},
    {"objected", "提出异议"},
    {"objection_accepted", "异议成立"},
    {"objection_rejected", "异议不成立"},
    {"objection_window_closed", "异议期满"},
    {"progress", "报告进展"},
    {"fed_back", "反馈办理结果"},
    {"verified", "核查销号"},
    {"verify_failed", "核查未通过"},
    {"reminded", "到期提醒"},
    {"overdue", "逾期未办结"},
    {"not_handled", "接而不办"},
    {"false_completion", "虚假办结"},
    {"case_closed", "办结销号"},
    {"escalation_marked", "列入提级核查"},
    {"escalated", "提级核查"},
    {"answered_up", "向上级报送"},
    {"transfer_withdrawn", "上级撤回交办"},
    {"upper_objection_accepted", "上级认定异议成立"},
    {"upper_objection_rejected", "上级认定异议不成立"},
    {"upper_verified", "上级核查销号"},
    {"supervised", "挂牌督办"},
    {"supervise_end", "已验收销号"},
    {"ledger_entered", "列入清单台账"},
    {"deadlines_recomputed", "重算期限"},
    {"reporter_revealed", "查看举报人信息"},
    {"reporter_resealed", "举报人信息重新加密"},
    {NULL, NULL},
};

static const struct {
    const char *domain;
    const s_word_t *words;
} s_domains[] = {
    {"channel", s_channel},
    {"case_status", s_case_status},
    {"transfer_kind", s_transfer_kind},
    {"delivery", s_delivery},
    {"calendar_kind", s_calendar_kind},
    {"unit_kind", s_unit_kind},
    {"event", s_event},
};

const char *
sl_words_label(const char *domain, const char *code)
{
    if (!code)
        return "";
    if (domain && strcmp(domain, "transfer_state") == 0) {
        int st = sl_transfer_state_parse(code);
        return st >= 0 ? sl_transfer_state_zh((sl_transfer_state_t)st) : code;
    }
    for (size_t i = 0; domain && i < SL_ARRAY_LEN(s_domains); i++) {
        if (strcmp(s_domains[i].domain, domain) != 0)
            continue;
        for (const s_word_t *w = s_domains[i].words; w->code; w++)
            if (strcmp(w->code, code) == 0)
                return w->zh;
    }
    return code;
}

static const char *
s_or(const char *s)
{
    return s ? s : "";
}

void
sl_words_problem(sl_buf_t *b, const sl_words_clue_t *c)
{
    const char *v = s_or(c->violations);
    if (*v) {
        const char *sep = strstr(v, "；");
        sl_buf_puts(b, "涉嫌");
        sl_buf_append(b, v, sep ? (size_t)(sep - v) : strlen(v));
        if (sep)
            sl_buf_puts(b, "等问题");
    } else if (*s_or(c->violation_text)) {
        sl_buf_printf(b, "存在%s问题", c->violation_text);
    } else {
        sl_buf_printf(b, "存在%s领域安全生产问题", s_or(c->sector));
    }
}

void
sl_words_clue_sentence(sl_buf_t *b, const sl_words_clue_t *c)
{
    static const struct {
        const char *channel;
        const char *before; /* between the office and the subject */
        const char *after;  /* after the problem */
    } s[] = {
        {"HOTLINE", "接到群众通过举报热线反映", "的举报"},
        {"LETTER", "接到群众来信反映", "的举报"},
        {"EMAIL", "接到群众通过电子邮件反映", "的举报"},
        {"VISIT", "接到群众来访反映", "的举报"},
        {"INSPECTION", "在督查检查中发现", ""},
        {"MEDIA", "从媒体报道中获悉", "的问题线索"},
        {"SYSTEM", "接到监测预警系统报送的", "的问题线索"},
        {"LOWER_NODE", "接到下级报送的", "的问题线索"},
        {"UPPER_TRANSFER", "收到上级交办的", "的问题线索"},
        {"escalation", "对原承办单位未按要求办结的", "的问题线索提级核查"},
        {"OTHER", "接到反映", "的问题线索"},
    };
    size_t i = 0;
    while (i + 1 < SL_ARRAY_LEN(s) && strcmp(s[i].channel, s_or(c->channel)) != 0)
        i++;
    sl_buf_printf(b, "%s%s%s", s_or(c->office), s[i].before, s_or(c->subject));
    sl_words_problem(b, c);
    sl_buf_puts(b, s[i].after);
    if (strcmp(s[i].channel, "UPPER_TRANSFER") == 0 && *s_or(c->upper_notice))
        sl_buf_printf(b, "（交办文号：%s）", c->upper_notice);
}

void
sl_words_instruction(sl_buf_t *b, const char *kind, const char *receiver_kind,
                     const char *feedback_zh)
{
    if (kind && strcmp(kind, "police") == 0) {
        sl_buf_printf(b, "现将该涉嫌犯罪问题线索移送你局，请依法调查处理，并将立案或不予立案"
                         "情况于%s前反馈我办。",
                      feedback_zh);
    } else if (kind && strcmp(kind, "discipline") == 0) {
        sl_buf_printf(b, "现将该涉嫌失职渎职问题线索移送你委，请依纪依规处理，并将处理情况于"
                         "%s前反馈我办。",
                      feedback_zh);
    } else if (receiver_kind && strcmp(receiver_kind, "child") == 0) {
        sl_buf_puts(b, "现将该事项移交你政府，请按照“七项措施”认真核查办理，并严格落实本地"
                       "党委政府主要负责同志审核签字确认。");
    } else {
        sl_buf_puts(b, "现将该事项交办你单位，请按照“七项措施”认真核查办理，并严格落实本单位"
                       "主要负责同志审核签字确认。");
    }
}
