/* sl_notice.c — annex 3's transfer notice rendered as HTML.
 *
 * The wording follows the annex (事项交办（移送）书): the receiver, what was
 * reported and when, the instruction to handle it by the "seven measures" with
 * the principal leader's sign-off, the objection and feedback deadlines, the
 * warning of escalation, the materials, and the office's stamp line. Every
 * value is HTML-escaped. */
#include "sl_notice.h"

#include "sl_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
s_esc(sl_buf_t *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&':
            sl_buf_puts(b, "&amp;");
            break;
        case '<':
            sl_buf_puts(b, "&lt;");
            break;
        case '>':
            sl_buf_puts(b, "&gt;");
            break;
        case '"':
            sl_buf_puts(b, "&quot;");
            break;
        case '\'':
            sl_buf_puts(b, "&#39;");
            break;
        default:
            sl_buf_append(b, s, 1);
        }
    }
}

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
        s_esc(b, d);
}

const char *
sl_notice_channel_zh(const char *channel)
{
    static const struct {
        const char *name, *zh;
    } map[] = {
        {"HOTLINE", "群众举报（热线）"}, {"LETTER", "群众来信举报"}, {"EMAIL", "群众电子邮件举报"},
        {"VISIT", "群众来访举报"},       {"INSPECTION", "督查检查"}, {"MEDIA", "媒体曝光"},
        {"SYSTEM", "监测预警系统"},      {"LOWER_NODE", "下级报送"}, {"UPPER_TRANSFER", "上级交办"},
        {"OTHER", "其他渠道"},
    };
    for (size_t i = 0; channel && i < SL_ARRAY_LEN(map); i++)
        if (strcmp(map[i].name, channel) == 0)
            return map[i].zh;
    return "其他渠道";
}

char *
sl_notice_html(const sl_notice_t *n)
{
    sl_buf_t b;
    sl_buf_init(&b);
    sl_buf_puts(&b, "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
                    "<title>事项交办（移送）书 ");
    s_esc(&b, n->notice_no);
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
                "</style>\n</head>\n<body>\n<h1>督查检查、群众举报等事项交办（移送）书</h1>\n"
                "<div class=\"no\">");
    s_esc(&b, n->notice_no);
    sl_buf_puts(&b, "</div>\n<p class=\"to\">");
    s_esc(&b, n->receiver);
    sl_buf_puts(&b, "：</p>\n<p>");
    s_date_zh(&b, n->received_date);
    sl_buf_puts(&b, "，");
    s_esc(&b, n->office);
    sl_buf_puts(&b, "接到");
    s_esc(&b, sl_notice_channel_zh(n->channel));
    sl_buf_puts(&b, "关于");
    s_esc(&b, n->subject);
    sl_buf_puts(&b, "存在");
    s_esc(&b, n->sector);
    sl_buf_puts(&b, "领域安全生产问题");
    if (n->major_hazard)
        sl_buf_puts(&b, "（涉及重大事故隐患）");
    sl_buf_puts(&b, "的问题线索（案件编号 ");
    s_esc(&b, n->case_no);
    sl_buf_puts(&b, "）。根据安全生产风险隐患大排查大整治“百日攻坚”集中行动有关要求，现将该事项"
                    "移交你单位，请按照“七项措施”认真核查办理，并严格落实党委政府主要负责同志"
                    "审核签字确认。</p>\n<p>如对交办事项有异议，请于");
    s_date_zh(&b, n->objection_deadline);
    sl_buf_puts(&b, "前（签收后 2 个工作日内）向我办反馈；如无异议，请将办理情况于");
    s_date_zh(&b, n->feedback_deadline);
    sl_buf_puts(&b, "前（自交办之日起 7 个工作日内）反馈我办。如存在未如期办结的、“接而不办”或"
                    "虚假办结的，我办将提级核查，从严追责问责。</p>\n");
    if (n->repeat_count > 0) /* 反复举报 weighs more (DOMAIN.md step 2) */
        sl_buf_printf(&b, "<p>该问题线索已被反复举报%d次，请作为重点认真核查。</p>\n",
                      n->repeat_count);
    if (n->suspected_crime || n->suspected_dereliction) {
        sl_buf_puts(&b, "<p>");
        if (n->suspected_crime)
            sl_buf_puts(&b, "该事项涉嫌犯罪，请按权责移交公安机关依法调查处理。");
        if (n->suspected_dereliction)
            sl_buf_puts(&b, "该事项涉嫌失职渎职，请按权责移交纪检监察机关依纪依规处理。");
        sl_buf_puts(&b, "</p>\n");
    }
    if (s_set(n->replaces)) {
        sl_buf_puts(&b, "<p>本交办书因原交办书 ");
        s_esc(&b, n->replaces);
        sl_buf_puts(&b, " 异议成立而改派，原交办书同时作废。</p>\n");
    }
    sl_buf_puts(&b, "<table class=\"facts\">\n");
    static const char *const labels[] = {"交办清单", "案件编号", "行业领域", "被举报主体",
                                         "地点",     "共性问题", "领域问题", "问题描述",
                                         "交办日期", "异议期限", "反馈期限"};
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
            s_esc(&b, values[i]);
        sl_buf_puts(&b, "</td></tr>\n");
    }
    sl_buf_puts(&b, "</table>\n");
    if (s_set(n->calendar_warning)) {
        sl_buf_puts(&b, "<p class=\"warn\">提示：");
        s_esc(&b, n->calendar_warning);
        sl_buf_puts(&b, "</p>\n");
    }
    sl_buf_puts(&b, "<p>承办人及联系方式：");
    s_esc(&b, s_set(n->contact) ? n->contact : "＿＿＿＿＿＿");
    sl_buf_puts(&b, "</p>\n<p>附该事项有关材料：1. 问题线索登记表（案件编号 ");
    s_esc(&b, n->case_no);
    sl_buf_puts(&b, "）。</p>\n<div class=\"sign\">");
    s_esc(&b, n->office);
    sl_buf_puts(&b, "（代章）<br>");
    s_date_zh(&b, n->transfer_date);
    sl_buf_puts(&b, "</div>\n</body>\n</html>\n");
    return sl_buf_steal(&b);
}
