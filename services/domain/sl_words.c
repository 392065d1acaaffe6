/* sl_words.c — the Chinese an office reads: labels and the notice's sentences.
 *
 * The vocabulary follows the campaign plan (DOMAIN.md): 问题线索 and 线索编号
 * until a matter is filed (立案), 交办文号 for a notice's number, 办结/销号 for
 * a finished transfer, 移交 a government's or department's matter, 移送 a
 * criminal one. The tables are the one place a code becomes a word. */
#include "sl_words.h"

#include "sl_clock.h"
#include "sl_sector.h"
#include "sl_transfer_fsm.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *code, *zh;
} s_word_t;

static const s_word_t s_channel[] = {
    {"HOTLINE", "举报热线"},    {"LETTER", "群众来信"},     {"EMAIL", "电子邮件"},
    {"VISIT", "群众来访"},      {"INSPECTION", "督查检查"}, {"MEDIA", "媒体曝光"},
    {"SYSTEM", "监测预警系统"}, {"LOWER_NODE", "下级报送"}, {"UPPER_TRANSFER", "上级交办"},
    {"OTHER", "其他渠道"},      {"escalation", "提级核查"}, {NULL, NULL},
};
static const s_word_t s_case_status[] = {
    {"registered", "已登记"},     {"transferred", "已交办"},      {"received", "已签收"},
    {"objected", "有异议待决定"}, {"in_progress", "办理中"},      {"fed_back", "已反馈"},
    {"verified", "已核查销号"},   {"closed", "已办结（已销号）"}, {"withdrawn", "已撤回"},
    {"forwarded", "已报送上级"},  {"escalated", "已提级核查"},    {NULL, NULL},
};
static const s_word_t s_transfer_kind[] = {
    {"handling", "办理"},        {"police", "移送公安"}, {"discipline", "移送纪检监察"},
    {"supervision", "挂牌督办"}, {NULL, NULL},
};
static const s_word_t s_delivery[] = {
    {"event", "系统通知"},
    {"outbox", "节点发件箱"},
    {NULL, NULL},
};
static const s_word_t s_calendar_kind[] = {
    {"holiday", "放假"},
    {"workday", "调休上班"},
    {NULL, NULL},
};
static const s_word_t s_route[] = {
    {"department", "本级牵头部门"},
    {"child", "下级党委政府"},
    {"parent", "报送上级"},
    {"escalation", "提级核查"},
    {NULL, NULL},
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
    {"rectify_overdue", "整改逾期"},
    {"upper_reminded", "向上级反馈到期提醒"},
    {"two_transfers_below", "由下级按权责移交"},
    {"supervisor_changed", "变更督办领导"},
    {"referred", "核查后移交"},
    {"upper_overdue", "逾期未向上级反馈"},
    {"plan_accepted", "按整改计划销号"},
    {"reopened", "重新核查"},
    {"case_closed", "办结销号"},
    {"escalation_marked", "列入提级核查"},
    {"escalated", "提级核查"},
    {"answered_up", "向上级报送"},
    {"objection_relayed_up", "异议报送上级"},
    {"objection_kept_local", "异议由本级决定（上级异议期已满）"},
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

/* Keys of history details and of the feedback's result items. */
/* Code values inside history details. */
static const s_word_t s_value[] = {
    {"OVERDUE", "逾期未办结"},
    {"ACCEPTED_NOT_HANDLED", "接而不办"},
    {"FALSE_COMPLETION", "虚假办结"},
    {"RECTIFY_OVERDUE", "整改逾期"},
    {"REPEAT", "反复举报"},
    {"SUBSTANTIATED", "属实"},
    {"PARTLY_SUBSTANTIATED", "部分属实"},
    {"UNSUBSTANTIATED", "不属实"},
    {"NO_EVIDENCE", "查无实据"},
    {"overdue", "逾期未办结"},
    {"not_handled", "接而不办"},
    {"false_completion", "虚假办结"},
    {"accept", "异议成立"},
    {"reject", "异议不成立"},
    {"reopen", "重新核查"},
    {"withdrawn", "已撤回"},
    {"SUPERVISE", "挂牌督办"},
    {"SUPERVISE_END", "已验收销号"},
    {NULL, NULL},
};

static const s_word_t s_field[] = {
    {"notice_no", "交办文号"},
    {"replaces", "原交办文号"},
    {"upper_notice_no", "上级交办文号"},
    {"case_no", "线索编号"},
    {"upper_case_no", "上级线索编号"},
    {"escalated_from", "原线索编号"},
    {"list", "交办清单"},
    {"list_no", "交办清单"},
    {"unit", "承办单位"},
    {"unit_name", "承办单位名称"},
    {"to_unit", "改派承办单位"},
    {"suggested_unit", "建议承办单位"},
    {"receiver", "原承办单位"},
    {"receiver_name", "签收人"},
    {"kind", "交办类型"},
    {"cause", "提级原因"},
    {"reason", "理由"},
    {"text", "内容"},
    {"decision", "决定"},
    {"transfer_date", "交办日期"},
    {"receipt_date", "签收日期"},
    {"objection_deadline", "异议期限"},
    {"feedback_deadline", "反馈期限"},
    {"was_feedback_deadline", "原反馈期限"},
    {"remind_day", "提醒日期"},
    {"idle_until", "无进展截止日期"},
    {"since", "起始时间"},
    {"calendar_warning", "日历提示"},
    {"upper_feedback_deadline", "向上级反馈期限"},
    {"crime_found", "核查发现涉嫌犯罪"},
    {"auto", "自动挂牌督办"},
    {"was_leader", "原督办领导"},
    {"dereliction_found", "核查发现涉嫌失职渎职"},
    {"police_outcome", "移交公安机关办理情况"},
    {"discipline_outcome", "移交纪检监察机关办理情况"},
    {"upper_late", "到达时已过上级期限减预留时间"},
    {"leader", "督办领导"},
    {"leader_name", "签字领导"},
    {"leader_title", "职务"},
    {"signed_at", "签字时间"},
    {"sign_off", "审核签字"},
    {"violation_nature", "违法行为性质"},
    {"production_suspended", "责令停产停业整顿"},
    {"closed_down", "依法关闭取缔"},
    {"penalized", "顶格处罚"},
    {"penalty_fen", "罚款金额（分）"},
    {"license_revoked", "吊销证照"},
    {"major_hazard_rectified", "重大隐患已整改"},
    {"escalated_verification", "提级核查"},
    {"credit_punished", "联合惩戒"},
    {"disciplined_count", "追责问责人数"},
    {"criminal_count", "移送司法机关人数"},
    {"interviews", "约谈次数"},
    {"measures", "采取措施"},
    {"result_text", "办理结果"},
    {"rectified", "已整改到位"},
    {"rectify_by", "整改期限"},
    {"rectify_responsible", "整改责任人"},
    {"conclusion", "核查结论"},
    {"license_suspended", "暂扣证照"},
    {"exposed", "公开曝光"},
    {"exposed_where", "曝光情况"},
    {"accountability", "追责问责（应发现未发现、应处罚未处罚）"},
    {"protective_umbrella", "查处“保护伞”"},
    {"organisational", "组织处理"},
    {"by_case_no", "引发线索编号"},
    {"police_filed", "公安机关已立案"},
    {"police_result", "公安机关办理情况"},
    {"discipline_result", "纪检监察机关处理情况"},
    {"entry_date", "列入日期"},
    {"entry_id", "清单条目"},
    {"item", "事项"},
    {"status", "状态"},
    {"origin_node", "来源节点"},
    {"channel", "来源渠道"},
    {"delivery", "送达方式"},
    {"division", "行政区划"},
    {"received_at", "受理时间"},
    {"route", "去向"},
    {"sector", "行业领域"},
    {"repeat_count", "反复举报次数"},
    {"source_ref", "来源编号"},
    {"subject", "涉及单位"},
    {"at", "时间"},
    {"from_key", "发送方密钥"},
    {"to_key", "接收方密钥"},
    {"body", "报文类型"},
    {"name", "名称"},
    {"code", "编码"},
    {"count", "数量"},
    {"items", "条目数"},
    {"closed", "已办结"},
    {"feedback", "办理结果"},
    {"phase", "阶段"},
    {"error", "错误"},
    {"campaign", "专项行动"},
    {"node", "节点"},
    {"peer", "对端节点"},
    {"from", "来自"},
    {"to", "发往"},
    {"key_file", "密钥文件"},
    {NULL, NULL},
};

static const struct {
    const char *domain;
    const s_word_t *words;
} s_domains[] = {
    {"field", s_field},
    {"value", s_value},
    {"channel", s_channel},
    {"case_status", s_case_status},
    {"transfer_kind", s_transfer_kind},
    {"delivery", s_delivery},
    {"calendar_kind", s_calendar_kind},
    {"unit_kind", s_unit_kind},
    {"route", s_route},
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
        sl_buf_printf(b, "（交办文号：%s%s）", s_or(c->upper_office), c->upper_notice);
}

void
sl_words_instruction(sl_buf_t *b, const char *kind, const char *receiver_kind,
                     const char *feedback_zh)
{
    if (kind && strcmp(kind, "police") == 0) {
        sl_buf_printf(b,
                      "现将该涉嫌犯罪问题线索移送你局，请依法调查处理，并将立案或不予立案"
                      "情况于%s前反馈我办。",
                      feedback_zh);
    } else if (kind && strcmp(kind, "discipline") == 0) {
        sl_buf_printf(b,
                      "现将该涉嫌失职渎职问题线索移送你委，请依纪依规处理，并将处理情况于"
                      "%s前反馈我办。",
                      feedback_zh);
    } else if (kind && strcmp(kind, "supervision") == 0) {
        sl_buf_printf(b,
                      "该事项已交下级人民政府核查办理。按照“三管三必须”有关规定，请你局对该事项"
                      "进行挂牌督办，并将督办情况及结果于%s前反馈我办。",
                      feedback_zh);
    } else if (receiver_kind && strcmp(receiver_kind, "child") == 0) {
        sl_buf_puts(b, "现将该事项移交你政府，请按照“七项措施”认真核查办理，并严格落实本地"
                       "党委政府主要负责同志审核签字确认。");
    } else {
        sl_buf_puts(b, "现将该事项交办你单位，请按照“七项措施”认真核查办理，并严格落实本单位"
                       "主要负责同志审核签字确认。");
    }
}

static bool
s_ends(const char *s, const char *end)
{
    size_t n = strlen(s), e = strlen(end);
    return n >= e && strcmp(s + n - e, end) == 0;
}

/* The word for a detail's code VALUE under KEY. */
static const char *
s_value_zh(const char *key, const char *value)
{
    static const struct {
        const char *key, *domain;
    } by_key[] = {{"kind", "transfer_kind"}, {"channel", "channel"},
                  {"route", "route"},        {"delivery", "delivery"},
                  {"status", "case_status"}, {"state", "transfer_state"}};
    for (size_t i = 0; i < SL_ARRAY_LEN(by_key); i++)
        if (strcmp(key, by_key[i].key) == 0)
            return sl_words_label(by_key[i].domain, value);
    const sl_sector_t *sec = strcmp(key, "sector") == 0 ? sl_sector_by_name(value) : NULL;
    return sec ? sec->name_zh : sl_words_label("value", value);
}

/* Appends O's items as "标签：值" separated by SEP; nested objects in
 * parentheses on one line, or indented below when SEP is a line end. */
static void
s_detail(sl_buf_t *b, json_t *o, const char *sep, int depth)
{
    bool lines = strchr(sep, '\n') != NULL, first = true;
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v)
    {
        if (lines) {
            for (int i = 0; i <= depth + 1; i++)
                sl_buf_puts(b, "  ");
        } else if (!first) {
            sl_buf_puts(b, sep);
        }
        first = false;
        const char *label = sl_words_label("field", key);
        if (json_is_object(v)) {
            sl_buf_puts(b, label);
            sl_buf_puts(b, lines ? "：\n" : "（");
            s_detail(b, v, sep, depth + 1);
            if (!lines)
                sl_buf_puts(b, "）");
            continue;
        }
        sl_buf_printf(b, "%s：", label);
        if (json_is_boolean(v))
            sl_buf_puts(b, json_is_true(v) ? "是" : "否");
        else if (json_is_integer(v) && s_ends(key, "_at")) {
            char at[40];
            sl_time_format_iso(json_integer_value(v), at, sizeof at);
            sl_buf_puts(b, at);
        } else if (json_is_integer(v))
            sl_buf_printf(b, "%lld", (long long)json_integer_value(v));
        else if (json_is_string(v))
            sl_buf_puts(b, s_value_zh(key, json_string_value(v)));
        else if (!json_is_null(v)) {
            char *t = json_dumps(v, JSON_COMPACT);
            sl_buf_puts(b, t ? t : "");
            free(t);
        }
        if (lines)
            sl_buf_puts(b, "\n");
    }
}

void
sl_words_detail(sl_buf_t *b, const char *json, const char *sep)
{
    json_t *o = json_loads(json ? json : "", 0, NULL);
    if (json_is_object(o))
        s_detail(b, o, sep, 0);
    else if (json && *json && strcmp(json, "{}") != 0)
        sl_buf_puts(b, json);
    json_decref(o);
}

void
sl_words_event(sl_buf_t *b, const sl_audit_event_t *ev)
{
    char at[40];
    sl_time_format_iso(ev->at_ms, at, sizeof at);
    sl_buf_printf(b, "  %d\t%s\t%s\tkey=%s\tunit=%s\toperator=%s\tmsg_id=%s\t", ev->seq, at,
                  sl_words_label("event", ev->kind),
                  ev->actor_key && *ev->actor_key ? ev->actor_key : "-",
                  ev->actor_unit && *ev->actor_unit ? ev->actor_unit : "-",
                  ev->operator && *ev->operator ? ev->operator : "-",
                  ev->msg_id && *ev->msg_id ? ev->msg_id : "-");
    sl_words_detail(b, ev->detail, "；");
}
