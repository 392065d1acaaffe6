/* sl_notice.c — annex 3's transfer notice rendered as HTML.
 *
 * The wording follows the annex (事项交办（移送）书): the receiver, what was
 * reported, how and when (one sentence per channel, sl_words), the
 * instruction for the transfer's kind (交办/移交 for handling with the
 * principal leader's sign-off, 移送 to the police or the discipline
 * commission), the feedback and objection deadlines, the warning of
 * escalation, 挂牌督办 of a major hazard, the materials, and the office's
 * stamp line. The HTML is templates/notice.html (compiled in), rendered by
 * the template module, which escapes every value; this file decides the
 * words and what applies. */
#include "sl_notice.h"

#include "sl_template.h"

#include "sl_log.h"
#include "sl_util.h"
#include "sl_words.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool
s_set(const char *s)
{
    return s && *s;
}

/* YYYY-MM-DD → "YYYY年M月D日" (as it is if it is not a date); a new string. */
static char *
s_date_zh(const char *d)
{
    int y, m, day;
    if (d && sscanf(d, "%d-%d-%d", &y, &m, &day) == 3)
        return sl_asprintf("%d年%d月%d日", y, m, day);
    return sl_strdup(d ? d : "");
}

static void
s_put(json_t *o, const char *key, const char *s)
{
    json_object_set_new(o, key, json_string(s ? s : ""));
}

static void
s_put_new(json_t *o, const char *key, char *s)
{
    s_put(o, key, s);
    free(s);
}

char *
sl_notice_html(const sl_notice_t *n)
{
    json_t *d = json_object();
    s_put(d, "notice_no", n->notice_no);
    s_put(d, "receiver", n->receiver);
    s_put(d, "case_no", n->case_no);
    s_put(d, "office", n->office);
    s_put_new(d, "received_date", s_date_zh(n->received_date));
    s_put_new(d, "objection_date", s_date_zh(n->objection_deadline));
    s_put_new(d, "transfer_date", s_date_zh(n->transfer_date));
    char *fb = s_date_zh(n->feedback_deadline);
    s_put(d, "feedback_date", fb);
    sl_buf_t t;
    sl_buf_init(&t);
    sl_words_clue_t c = {.channel = n->channel,
                         .office = n->office,
                         .subject = n->subject,
                         .violations = n->violations,
                         .violation_text = n->violation_text,
                         .sector = n->sector,
                         .upper_office = n->upper_office,
                         .upper_notice = n->upper_notice_no};
    sl_words_clue_sentence(&t, &c);
    s_put(d, "clue", t.data);
    sl_buf_reset(&t);
    sl_words_instruction(&t, n->kind, n->receiver_kind, fb);
    s_put(d, "instruction", t.data);
    sl_buf_free(&t);
    free(fb);
    bool handling = !s_set(n->kind) || strcmp(n->kind, "handling") == 0;
    json_object_set_new(d, "major_hazard", json_boolean(n->major_hazard));
    json_object_set_new(d, "handling", json_boolean(handling));
    /* a case from above is due within the upper deadline (sl_deadline_under_upper) */
    json_object_set_new(
        d, "upper", json_boolean(s_set(n->channel) && strcmp(n->channel, "UPPER_TRANSFER") == 0));
    if (n->repeat_count > 0) /* 反复举报 weighs more (DOMAIN.md step 2) */
        json_object_set_new(d, "repeat_count", json_integer(n->repeat_count));
    json_object_set_new(
        d, "supervise",
        json_boolean(handling && n->major_hazard &&
                     (!s_set(n->receiver_kind) || strcmp(n->receiver_kind, "child") != 0)));
    json_object_set_new(d, "referred",
                        json_boolean(handling && (n->suspected_crime || n->suspected_dereliction)));
    json_object_set_new(d, "crime", json_boolean(n->suspected_crime));
    json_object_set_new(d, "dereliction", json_boolean(n->suspected_dereliction));
    if (s_set(n->replaces))
        s_put(d, "replaces", n->replaces);
    if (s_set(n->calendar_warning))
        s_put(d, "calendar_warning", n->calendar_warning);
    s_put(d, "contact", s_set(n->contact) ? n->contact : "＿＿＿＿＿＿");
    static const char *const labels[] = {
        "交办清单", "线索编号",     "行业领域",         "生产经营建设单位名称/非法业主名称",
        "地点",     "共性违法行为", "行业领域专项问题", "问题描述",
        "交办日期", "异议期限",     "反馈期限"};
    const char *values[] = {s_set(n->list_no) ? n->list_no : "（改派，不列入清单）",
                            n->case_no,
                            n->sector,
                            n->subject,
                            n->place,
                            n->violations,
                            n->violation_text,
                            n->description,
                            n->transfer_date,
                            n->objection_deadline,
                            n->feedback_deadline};
    json_t *facts = json_array();
    for (size_t i = 0; i < SL_ARRAY_LEN(labels); i++) {
        if (!s_set(values[i]))
            continue;
        json_t *f = json_pack("{s:s}", "label", labels[i]);
        if (i >= 8)
            s_put_new(f, "value", s_date_zh(values[i]));
        else
            s_put(f, "value", values[i]);
        json_array_append_new(facts, f);
    }
    json_object_set_new(d, "facts", facts);
    sl_buf_t b;
    sl_buf_init(&b);
    if (sl_template_render(sl_template_embedded(), "notice.html", d, SL_ESCAPE_HTML, &b) != 0)
        sl_log(SL_LOG_ERROR, "notice=%s the notice's template (notice.html) does not render",
               n->notice_no ? n->notice_no : "");
    json_decref(d);
    return sl_buf_steal(&b);
}
