/* sl_disclose.c — what is disclosed about a case, and how (pure).
 *
 * No I/O: the values come from the pub_* views, the answers go into the
 * pages sl-publish writes. Kept apart so the rules are unit-tested
 * (tests/unit/test_disclose.c) and shared with the reports and the
 * appraisal (sl_disclose_rate). */
#include "sl_disclose.h"

#include "sl_util.h"

#include <stdio.h>
#include <string.h>

sl_disclose_t
sl_disclose_check(const sl_disclose_item_t *it)
{
    if (it->held)
        return SL_DISCLOSE_HELD;
    if (!it->summary || !*it->summary)
        return SL_DISCLOSE_MISSING;
    return SL_DISCLOSE_YES;
}

int
sl_disclose_person_rule(const char *text)
{
    if (!text || strcmp(text, "surname") == 0)
        return SL_PERSON_SURNAME;
    if (strcmp(text, "withheld") == 0)
        return SL_PERSON_WITHHELD;
    return -1;
}

void
sl_disclose_subject(const sl_disclose_item_t *it, sl_person_rule_t rule, char *out, size_t size)
{
    if (!it->subject_kind || strcmp(it->subject_kind, "自然人") != 0) {
        snprintf(out, size, "%s", it->subject_name ? it->subject_name : "");
        return;
    }
    const char *s = it->subject_surname ? it->subject_surname : "";
    size_t n = sl_utf8_char(s, strlen(s)); /* one character, never more */
    if (rule == SL_PERSON_WITHHELD || n == 0)
        snprintf(out, size, "某某");
    else
        snprintf(out, size, "%.*s某", (int)n, s);
}

bool
sl_disclose_open(const sl_disclose_item_t *it)
{
    return strcmp(it->state, "closed") != 0;
}

const char *
sl_disclose_status(const sl_disclose_item_t *it, const char *today)
{
    const char *st = it->state;
    if (strcmp(st, "closed") == 0)
        return "已销号";
    if (it->escalated && !it->overdue)
        return "提级核查";
    bool late = it->overdue || (it->feedback_deadline && today && strcmp(st, "fed_back") != 0 &&
                                strcmp(it->feedback_deadline, today) < 0);
    if (late)
        return it->escalated ? "提级核查" : "逾期";
    if (strcmp(st, "issued") == 0)
        return "已交办";
    if (strcmp(st, "received") == 0)
        return "已签收";
    if (strcmp(st, "objected") == 0)
        return "异议处理中";
    if (strcmp(st, "in_progress") == 0)
        return it->progress_count > 0 ? "整改中" : "核查中";
    if (strcmp(st, "fed_back") == 0)
        return "已反馈";
    return "核查中";
}

double
sl_disclose_rate(long rectified, long found, char *out, size_t size)
{
    if (found <= 0 || rectified < 0) {
        snprintf(out, size, "—");
        return -1;
    }
    if (rectified > found)
        rectified = found;
    double r = (double)rectified / (double)found;
    snprintf(out, size, "%.1f%%", r * 100.0);
    return r;
}

static void
s_part(sl_buf_t *out, const char *text)
{
    if (out->len)
        sl_buf_puts(out, "；");
    sl_buf_puts(out, text);
}

static bool
s_true(const json_t *o, const char *key)
{
    return json_is_true(json_object_get(o, key));
}

static long long
s_int(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? json_integer_value(v) : 0;
}

void
sl_disclose_result(const json_t *result, sl_buf_t *out)
{
    if (!json_is_object(result))
        return;
    const char *conclusion = json_string_value(json_object_get(result, "conclusion"));
    if (conclusion && *conclusion)
        s_part(out, conclusion);
    const char *nature = json_string_value(json_object_get(result, "violation_nature"));
    if (nature && *nature) {
        if (out->len)
            sl_buf_puts(out, "；");
        sl_buf_printf(out, "违法性质：%s", nature);
    }
    if (s_true(result, "production_suspended"))
        s_part(out, "停产整顿");
    if (s_true(result, "closed_down"))
        s_part(out, "关闭取缔");
    if (s_true(result, "penalized")) {
        long long fen = s_int(result, "penalty_fen");
        if (out->len)
            sl_buf_puts(out, "；");
        if (fen > 0)
            sl_buf_printf(out, "行政处罚（罚款%lld元）", fen / 100);
        else
            sl_buf_puts(out, "行政处罚");
    }
    if (s_true(result, "license_revoked"))
        s_part(out, "吊销证照");
    if (s_true(result, "major_hazard_rectified"))
        s_part(out, "重大事故隐患已整改");
    if (s_true(result, "escalated_verification"))
        s_part(out, "提级核查");
    if (s_true(result, "credit_punished"))
        s_part(out, "失信企业联合惩戒");
    long long n = s_int(result, "disciplined_count");
    if (n > 0) {
        if (out->len)
            sl_buf_puts(out, "；");
        sl_buf_printf(out, "党纪政务处分%lld人", n);
    }
    n = s_int(result, "criminal_count");
    if (n > 0) {
        if (out->len)
            sl_buf_puts(out, "；");
        sl_buf_printf(out, "追究刑事责任%lld人", n);
    }
}
