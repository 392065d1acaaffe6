/* sl_notice.c — annex 3's transfer notice rendered as HTML.
 *
 * The wording follows the annex (事项交办（移送）书): the receiver, what was
 * reported, how and when (one sentence per channel, sl_words), the
 * instruction for the transfer's kind (交办/移交 for handling with the
 * principal leader's sign-off, 移送 to the police or the discipline
 * commission), the feedback and objection deadlines, the warning of
 * escalation, 挂牌督办 of a major hazard, the materials, and the office's
 * stamp line. Every value is HTML-escaped. */
#include "sl_notice.h"

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

/* YYYY-MM-DD → "YYYY年M月D日". */
static void
s_date_zh(sl_buf_t *b, const char *d)
{
    int y, m, day;
    if (d && sscanf(d, "%d-%d-%d", &y, &m, &day) == 3)
        sl_buf_printf(b, "%d年%d月%d日", y, m, day);
    else
        sl_buf_puts_html(b, d);
}

char *
sl_notice_html(const sl_notice_t *n)
{
    sl_buf_t b;
    sl_buf_init(&b);
    sl_buf_puts(&b, "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
                    "<title>“百日攻坚”集中行动（督查检查、群众举报等）事项交办（移送）书 ");
    sl_buf_puts_html(&b, n->notice_no);
    sl_buf_puts(&b,
                "</title>\n<style>\n"
                "body{font-family:\"FangSong\",\"仿宋\",\"STFangsong\",\"Noto Serif CJK SC\",serif;"
                "font-size:16pt;line-height:1.8;max-width:44em;margin:2em auto;color:#000}\n"
                "h1{font-family:\"SimHei\",\"黑体\",\"Noto Sans CJK SC\",sans-serif;font-size:20pt;"
                "text-align:center;font-weight:normal;margin:0 0 .5em}\n"
                ".no{text-align:center;margin:0 0 1.5em}\n"
                ".to{margin:0}\np{text-indent:2em;margin:.3em 0}\n"
                ".facts{border-collapse:collapse;width:100%;font-size:13pt;margin:1em 0}\n"
                ".facts th,.facts td{border:1px solid #000;padding:.2em .5em;text-align:left;"
                "vertical-align:top}\n.facts th{width:8em;white-space:nowrap}\n"
                ".warn{border:1px solid #000;padding:.3em .6em;font-size:12pt}\n"
                ".sign{text-align:right;margin-top:3em}\n"
                "@media print{@page{size:A4;margin:3.7cm 2.6cm 3.5cm 2.8cm}"
                "body{margin:0;max-width:none}.warn{display:none}}\n"
                "</style>\n</head>\n<body>\n"
                "<h1>“百日攻坚”集中行动（督查检查、群众举报等）事项交办（移送）书</h1>\n"
                "<div class=\"no\">");
    sl_buf_puts_html(&b, n->notice_no);
    sl_buf_puts(&b, "</div>\n<p class=\"to\">");
    sl_buf_puts_html(&b, n->receiver);
    sl_buf_puts(&b, "：</p>\n<p>");
    s_date_zh(&b, n->received_date);
    sl_buf_puts(&b, "，");
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
    sl_buf_puts_html(&b, t.data);
    sl_buf_puts(&b, "（线索编号");
    sl_buf_puts_html(&b, n->case_no);
    sl_buf_puts(&b, n->major_hazard ? "，涉及重大事故隐患）。" : "）。");
    sl_buf_puts(&b, "根据安全生产风险隐患大排查大整治“百日攻坚”集中行动有关要求，");
    sl_buf_t fb;
    sl_buf_init(&fb);
    s_date_zh(&fb, n->feedback_deadline);
    sl_buf_reset(&t);
    sl_words_instruction(&t, n->kind, n->receiver_kind, fb.data ? fb.data : "");
    sl_buf_puts_html(&b, t.data);
    bool handling = !s_set(n->kind) || strcmp(n->kind, "handling") == 0;
    if (handling) {
        sl_buf_puts(&b, "请将办理情况于");
        sl_buf_puts_html(&b, fb.data);
        sl_buf_puts(&b, "前（自交办之日起7个工作日内）反馈我办。如存在未如期办结的、“接而不办”"
                        "或虚假办结的，我办将提级核查，从严追责问责。");
    }
    sl_buf_puts(&b, "如对交办事项有异议，请于");
    s_date_zh(&b, n->objection_deadline);
    sl_buf_puts(&b, "前（签收后2个工作日内）向我办提出。</p>\n");
    if (handling && n->major_hazard &&
        (!s_set(n->receiver_kind) || strcmp(n->receiver_kind, "child") != 0)) {
        sl_buf_puts(&b, "<p>同时，按照“三管三必须”有关规定和《通知》要求，请你单位对该事项进行"
                        "挂牌督办，并将督办情况及结果于");
        sl_buf_puts_html(&b, fb.data);
        sl_buf_puts(&b, "前反馈我办。</p>\n");
    }
    if (handling && (n->suspected_crime || n->suspected_dereliction)) {
        sl_buf_puts(&b, "<p>");
        if (n->suspected_crime)
            sl_buf_puts(&b, "该事项涉嫌犯罪，我办已同时移送公安机关依法调查处理。");
        if (n->suspected_dereliction)
            sl_buf_puts(&b, "该事项涉嫌失职渎职，我办已同时移送纪检监察机关依纪依规处理。");
        sl_buf_puts(&b, "</p>\n");
    }
    sl_buf_free(&t);
    sl_buf_free(&fb);
    if (s_set(n->replaces)) {
        sl_buf_puts(&b, "<p>原交办文号");
        sl_buf_puts_html(&b, n->replaces);
        sl_buf_puts(&b, "的交办事项因异议成立而改派，原交办书同时作废。</p>\n");
    }
    sl_buf_puts(&b, "<table class=\"facts\">\n");
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
    for (size_t i = 0; i < SL_ARRAY_LEN(labels); i++) {
        if (!s_set(values[i]))
            continue;
        sl_buf_printf(&b, "<tr><th>%s</th><td>", labels[i]);
        if (i >= 8)
            s_date_zh(&b, values[i]);
        else
            sl_buf_puts_html(&b, values[i]);
        sl_buf_puts(&b, "</td></tr>\n");
    }
    sl_buf_puts(&b, "</table>\n");
    if (s_set(n->calendar_warning)) {
        sl_buf_puts(&b, "<p class=\"warn\">提示：");
        sl_buf_puts_html(&b, n->calendar_warning);
        sl_buf_puts(&b, "</p>\n");
    }
    sl_buf_puts(&b, "<p>承办人及联系方式：");
    sl_buf_puts_html(&b, s_set(n->contact) ? n->contact : "＿＿＿＿＿＿");
    sl_buf_puts(&b, "</p>\n<p>附该事项有关材料：1. 问题线索登记表（线索编号");
    sl_buf_puts_html(&b, n->case_no);
    sl_buf_puts(&b, "）。</p>\n<div class=\"sign\">");
    sl_buf_puts_html(&b, n->office);
    sl_buf_puts(&b, "（代章）<br>");
    s_date_zh(&b, n->transfer_date);
    sl_buf_puts(&b, "</div>\n</body>\n</html>\n");
    return sl_buf_steal(&b);
}
