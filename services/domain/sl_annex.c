/* sl_annex.c — the annexes of a report as XLSX, CSV and HTML.
 *
 * The spreadsheet keeps the printed form's shape: a title row, the line
 * 填报单位/填表人/填表日期, three header rows merged as the form merges them
 * (集中行动开展情况 over its four columns, 非法违法生产经营建设行为案例 and
 * 重大隐患 over their two), a row of units, then 总计 and the rows. Numbers
 * are cells of numbers (fines "0.00" 万元); the persons cell is the form's
 * text "a/b". */
#include "sl_annex.h"

#include "sl_csv.h"
#include "sl_ledger.h"
#include "sl_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>

#define S_TITLE4 "“百日攻坚”集中行动统计表"
#define S_TITLE6 "非法违法生产经营建设行为、重大事故隐患统计表"
#define S_NOTE4                                                                                                                            \
    "注：1. 市级统计数据包含市直各部门和各县（区、市），市级专项行动领导组办公室只统计汇总市本" \
    "级数据。2. 重大隐患明细对照方案中重点行业领域内容填写，非法违法具体行为对照“百日攻坚”集" \
    "中行动重点内容“严厉打击”事项填写。"

/* The 总计 row's label: marked when a child's report is missing. */
static const char *
s_total_label(const sl_rollup_report_t *r)
{
    return r->incomplete ? "总计（不完整）" : "总计";
}

/* Appends to B the note naming the children MISSING[0..N) whose reports had
 * not arrived (not those that came late): LEAD, the names, TAIL; nothing if
 * none. */
static void
s_missing_note(sl_buf_t *b, const sl_rollup_child_t *missing, size_t n, const char *lead,
               const char *tail)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (missing[i].late)
            continue;
        sl_buf_puts(b, k++ ? "、" : lead);
        sl_buf_printf(b, "%s（%s）", missing[i].name, missing[i].unit);
    }
    if (k)
        sl_buf_puts(b, tail);
}

/* --- XLSX ----------------------------------------------------------------- */

typedef struct {
    lxw_format *title, *line, *head, *cell, *num, *money, *left;
} s_fmt_t;

static void
s_formats(lxw_workbook *wb, s_fmt_t *f)
{
    f->title = workbook_add_format(wb);
    format_set_bold(f->title);
    format_set_font_size(f->title, 16);
    format_set_align(f->title, LXW_ALIGN_CENTER);
    f->line = workbook_add_format(wb);
    format_set_align(f->line, LXW_ALIGN_LEFT);
    f->head = workbook_add_format(wb);
    format_set_bold(f->head);
    format_set_text_wrap(f->head);
    format_set_border(f->head, LXW_BORDER_THIN);
    format_set_align(f->head, LXW_ALIGN_CENTER);
    format_set_align(f->head, LXW_ALIGN_VERTICAL_CENTER);
    f->cell = workbook_add_format(wb);
    format_set_border(f->cell, LXW_BORDER_THIN);
    format_set_align(f->cell, LXW_ALIGN_CENTER);
    format_set_text_wrap(f->cell);
    f->left = workbook_add_format(wb);
    format_set_border(f->left, LXW_BORDER_THIN);
    format_set_text_wrap(f->left);
    f->num = workbook_add_format(wb);
    format_set_border(f->num, LXW_BORDER_THIN);
    format_set_align(f->num, LXW_ALIGN_CENTER);
    f->money = workbook_add_format(wb);
    format_set_border(f->money, LXW_BORDER_THIN);
    format_set_align(f->money, LXW_ALIGN_CENTER);
    format_set_num_format(f->money, "0.00");
}

/* Title, and 填报单位/填表人/填表日期 over LAST + 1 columns. */
static void
s_heading(lxw_worksheet *ws, const s_fmt_t *f, const sl_annex_meta_t *m, const char *title,
          lxw_col_t last)
{
    char buf[512];
    worksheet_merge_range(ws, 0, 0, 0, last, title, f->title);
    worksheet_set_row(ws, 0, 30, NULL);
    lxw_col_t a = last / 3, b = 2 * last / 3;
    snprintf(buf, sizeof buf, "填报单位：%s", m->unit_name ? m->unit_name : "");
    worksheet_merge_range(ws, 1, 0, 1, a, buf, f->line);
    snprintf(buf, sizeof buf, "填表人：%s", m->filled_by ? m->filled_by : "");
    worksheet_merge_range(ws, 1, a + 1, 1, b, buf, f->line);
    snprintf(buf, sizeof buf, "填表日期：%s", m->filled_on ? m->filled_on : "");
    worksheet_merge_range(ws, 1, b + 1, 1, last, buf, f->line);
}

static void
s_row4(lxw_worksheet *ws, const s_fmt_t *f, lxw_row_t at, const sl_rollup_row_t *row,
       const char *label)
{
    worksheet_write_string(ws, at, 0, label, f->cell);
    for (int c = 0; c < SL_ROLLUP_COLUMNS; c++) {
        double d;
        char text[64];
        if (sl_rollup_cell_number(row, c, &d)) {
            worksheet_write_number(ws, at, (lxw_col_t)(c + 1), d, c == 6 ? f->money : f->num);
        } else {
            sl_rollup_cell(row, c, text, sizeof text);
            worksheet_write_string(ws, at, (lxw_col_t)(c + 1), text, f->cell);
        }
    }
}

static void
s_sheet4(lxw_worksheet *ws, const s_fmt_t *f, const sl_rollup_report_t *r, const sl_annex_meta_t *m)
{
    const lxw_col_t last = SL_ROLLUP_COLUMNS;
    s_heading(ws, f, m, S_TITLE4, last);
    worksheet_set_column(ws, 0, 0, 16, NULL);
    worksheet_set_column(ws, 1, last, 10, NULL);
    worksheet_merge_range(ws, 2, 0, 4, 0, "项目单位", f->head);
    worksheet_write_string(ws, 5, 0, "", f->head);
    for (int c = 0; c < SL_ROLLUP_COLUMNS;) {
        const sl_rollup_column_t *k = &sl_rollup_columns[c];
        lxw_col_t x = (lxw_col_t)(c + 1);
        if (!k->group) {
            worksheet_merge_range(ws, 2, x, 4, x, k->name, f->head);
            worksheet_write_string(ws, 5, x, k->unit, f->head);
            c++;
            continue;
        }
        int g = c;
        while (g < SL_ROLLUP_COLUMNS && sl_rollup_columns[g].group &&
               strcmp(sl_rollup_columns[g].group, k->group) == 0)
            g++;
        worksheet_merge_range(ws, 2, x, 2, (lxw_col_t)g, k->group, f->head);
        for (int s = c; s < g;) {
            const sl_rollup_column_t *ks = &sl_rollup_columns[s];
            lxw_col_t xs = (lxw_col_t)(s + 1);
            if (!ks->sub) {
                worksheet_merge_range(ws, 3, xs, 4, xs, ks->name, f->head);
                worksheet_write_string(ws, 5, xs, ks->unit, f->head);
                s++;
                continue;
            }
            int e = s;
            while (e < g && sl_rollup_columns[e].sub &&
                   strcmp(sl_rollup_columns[e].sub, ks->sub) == 0) {
                worksheet_write_string(ws, 4, (lxw_col_t)(e + 1), sl_rollup_columns[e].name,
                                       f->head);
                worksheet_write_string(ws, 5, (lxw_col_t)(e + 1), sl_rollup_columns[e].unit,
                                       f->head);
                e++;
            }
            worksheet_merge_range(ws, 3, xs, 3, (lxw_col_t)e, ks->sub, f->head);
            s = e;
        }
        c = g;
    }
    lxw_row_t at = 6;
    s_row4(ws, f, at++, &r->total, s_total_label(r));
    for (size_t i = 0; i < r->n_rows; i++)
        s_row4(ws, f, at++, &r->rows[i], r->rows[i].label);
    sl_buf_t note;
    sl_buf_init(&note);
    sl_buf_puts(&note, S_NOTE4);
    s_missing_note(&note, r->missing, r->n_missing, "未收到周报告：",
                   "，其行为空，总计不含其数据。");
    worksheet_merge_range(ws, at, 0, at, last, note.data, f->line);
    worksheet_set_row(ws, at, 45, NULL);
    sl_buf_free(&note);
    worksheet_set_landscape(ws);
    worksheet_set_paper(ws, 9); /* A4 */
    worksheet_fit_to_pages(ws, 1, 0);
}

static void
s_sheet6(lxw_worksheet *ws, const s_fmt_t *f, const sl_rollup_report_t *r, const sl_annex_meta_t *m)
{
    const lxw_col_t last = SL_ROLLUP_ITEM_COLUMNS - 1;
    s_heading(ws, f, m, S_TITLE6, last);
    static const double widths[SL_ROLLUP_ITEM_COLUMNS] = {6, 28, 10, 20, 12, 40, 16, 28};
    for (lxw_col_t c = 0; c <= last; c++) {
        worksheet_set_column(ws, c, c, widths[c], NULL);
        worksheet_write_string(ws, 2, c, sl_rollup_item_headers[c], f->head);
    }
    for (size_t i = 0; i < r->n_items; i++) {
        char buf[2048];
        lxw_row_t at = (lxw_row_t)(3 + i);
        worksheet_write_number(ws, at, 0, (double)(i + 1), f->num);
        for (int c = 1; c < SL_ROLLUP_ITEM_COLUMNS; c++)
            worksheet_write_string(ws, at, (lxw_col_t)c,
                                   sl_rollup_item_cell(&r->items[i], i + 1, c, buf, sizeof buf),
                                   c == 2 || c == 4 ? f->cell : f->left);
    }
    worksheet_set_landscape(ws);
    worksheet_set_paper(ws, 9);
    worksheet_fit_to_pages(ws, 1, 0);
}

int
sl_annex_xlsx(const sl_rollup_report_t *r, const sl_annex_meta_t *m, int annex, const char *path)
{
    lxw_workbook *wb = workbook_new(path);
    if (!wb) {
        sl_log(SL_LOG_ERROR, "could not create \"%s\"", path);
        return -1;
    }
    s_fmt_t f;
    s_formats(wb, &f);
    lxw_worksheet *ws = workbook_add_worksheet(wb, annex == 4 ? "附件4" : "附件6");
    if (annex == 4)
        s_sheet4(ws, &f, r, m);
    else
        s_sheet6(ws, &f, r, m);
    lxw_error e = workbook_close(wb);
    if (e != LXW_NO_ERROR) {
        sl_log(SL_LOG_ERROR, "could not write \"%s\": %s", path, lxw_strerror(e));
        return -1;
    }
    return 0;
}

/* --- CSV ------------------------------------------------------------------ */

/* Column C of row I (numbered I + 1) of a table: borrowed or in BUF. */
typedef const char *(s_cell_fn)(const void *arg, size_t i, int c, char *buf, size_t len);

/* Appends a table of N rows and NCOLS columns under HEADERS to OUT as CSV
 * records. */
static void
s_csv_table(sl_buf_t *out, const char *const *headers, int ncols, size_t n, s_cell_fn *cell,
            const void *arg)
{
    for (int c = 0; c < ncols; c++)
        sl_csv_put(out, headers[c], c == 0);
    sl_buf_puts(out, "\r\n");
    for (size_t i = 0; i < n; i++) {
        char buf[2048];
        for (int c = 0; c < ncols; c++)
            sl_csv_put(out, cell(arg, i, c, buf, sizeof buf), c == 0);
        sl_buf_puts(out, "\r\n");
    }
}

static const char *
s_item_cell(const void *arg, size_t i, int c, char *buf, size_t len)
{
    const sl_rollup_report_t *r = arg;
    return sl_rollup_item_cell(&r->items[i], i + 1, c, buf, len);
}

static void
s_csv_row4(sl_buf_t *out, const sl_rollup_row_t *row, const char *label)
{
    sl_csv_put(out, label, true);
    for (int c = 0; c < SL_ROLLUP_COLUMNS; c++) {
        char text[64];
        sl_rollup_cell(row, c, text, sizeof text);
        sl_csv_put(out, text, false);
    }
    sl_buf_puts(out, "\r\n");
}

void
sl_annex_csv(const sl_rollup_report_t *r, int annex, sl_buf_t *out)
{
    sl_buf_puts(out, "\xEF\xBB\xBF");
    if (annex == 4) {
        sl_csv_put(out, "项目单位", true);
        for (int c = 0; c < SL_ROLLUP_COLUMNS; c++) {
            const sl_rollup_column_t *k = &sl_rollup_columns[c];
            char h[256];
            snprintf(h, sizeof h, "%s%s%s", k->sub ? k->sub : "", k->name, k->unit);
            sl_csv_put(out, h, false);
        }
        sl_buf_puts(out, "\r\n");
        s_csv_row4(out, &r->total, s_total_label(r));
        for (size_t i = 0; i < r->n_rows; i++)
            s_csv_row4(out, &r->rows[i], r->rows[i].label);
        return;
    }
    s_csv_table(out, sl_rollup_item_headers, SL_ROLLUP_ITEM_COLUMNS, r->n_items, s_item_cell, r);
}

/* --- 附件5 ----------------------------------------------------------------- */

static void
s_part(sl_buf_t *out, const char *name, const char *text)
{
    sl_buf_printf(out, "<h3>【%s】</h3>\n", name);
    const char *s = text ? text : "";
    do {
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) : strlen(s);
        char *line = sl_strndup(s, n);
        sl_buf_puts(out, "<p>");
        sl_buf_html(out, line);
        sl_buf_puts(out, "</p>\n");
        free(line);
        s = nl ? nl + 1 : NULL;
    } while (s);
}

void
sl_annex_typical_html(const sl_rollup_report_t *r, const sl_annex_meta_t *m, sl_buf_t *out)
{
    sl_buf_puts(out, "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\n"
                     "<title>“百日攻坚”集中行动典型案例</title>\n<style>\n"
                     "@page{size:A4;margin:25mm 20mm}\n"
                     "body{font-family:\"FangSong\",\"仿宋\",\"Noto Serif CJK SC\",serif;"
                     "font-size:16pt;line-height:1.6;max-width:170mm;margin:auto}\n"
                     "h1{font-size:22pt;text-align:center}h2{font-size:18pt;text-align:center}"
                     "h3{font-size:16pt;margin:.6em 0 .2em}p{text-indent:2em;margin:.2em 0}\n"
                     ".meta{text-align:center}\n"
                     "section{page-break-after:always}section:last-child{page-break-after:auto}\n"
                     "</style></head><body>\n<h1>“百日攻坚”集中行动典型案例</h1>\n"
                     "<p class=\"meta\">");
    sl_buf_puts(out, "填报单位：");
    sl_buf_html(out, m->unit_name);
    sl_buf_printf(out, "　周期：%s至%s</p>\n", r->period_start, r->period_end);
    size_t n = 0;
    for (size_t i = 0; i < r->n_typical; i++) {
        const sl_rollup_typical_t *t = &r->typical[i];
        sl_buf_puts(out, "<section>\n<h2>");
        sl_buf_html(out, t->title);
        sl_buf_printf(out, "</h2>\n<p class=\"meta\">%s案例</p>\n", t->negative ? "负面" : "正面");
        s_part(out, "标题", t->title);
        s_part(out, "关键词", t->keywords);
        s_part(out, "要旨", t->summary);
        s_part(out, "基本案情", t->facts);
        s_part(out, "处理结果", t->outcome);
        s_part(out, "案例剖析", t->analysis);
        s_part(out, "举一反三工作建议", t->advice);
        sl_buf_puts(out, "</section>\n");
        n++;
    }
    if (n == 0)
        sl_buf_puts(out, "<p>本周尚未选取典型案例。</p>\n");
    sl_buf_puts(out, "</body></html>\n");
}

/* --- 月小结: the six lists ------------------------------------------------ */

#define S_MONTH_COLS 12
static const char *const s_month_headers[S_MONTH_COLS] = {
    "序号", "清单", "事项",       "案件编号",   "交办文号", "办理单位",
    "对象", "日期", "人数（人）", "金额（元）", "详情",     "来源"};

/* Column C of entry E numbered SEQ: borrowed or in BUF. */
static const char *
s_month_cell(const sl_rollup_entry_t *e, size_t seq, int c, char *buf, size_t len)
{
    switch (c) {
    case 0:
        snprintf(buf, len, "%zu", seq);
        return buf;
    case 1:
        return e->list;
    case 2:
        return e->item;
    case 3:
        return e->case_no;
    case 4:
        return e->notice_no;
    case 5:
        return e->unit_name && e->unit_name[0] ? e->unit_name : e->unit;
    case 6:
        return e->subject;
    case 7:
        return e->date;
    case 8:
        snprintf(buf, len, "%d", e->persons);
        return buf;
    case 9:
        snprintf(buf, len, "%lld.%02lld", (long long)(e->amount_fen / 100),
                 (long long)(e->amount_fen % 100));
        return buf;
    case 10:
        return e->details;
    default:
        return e->from && e->from[0] ? e->from : "本级";
    }
}

int
sl_annex_month_xlsx(const sl_rollup_month_t *m, const sl_annex_meta_t *meta, const char *path)
{
    lxw_workbook *wb = workbook_new(path);
    if (!wb) {
        sl_log(SL_LOG_ERROR, "could not create \"%s\"", path);
        return -1;
    }
    s_fmt_t f;
    s_formats(wb, &f);
    char title[128];
    int y = 0, mo = 0;
    sscanf(m->month, "%d-%d", &y, &mo);
    snprintf(title, sizeof title, "六个清单（%d年%d月）", y, mo);
    lxw_worksheet *ws = workbook_add_worksheet(wb, "汇总");
    s_heading(ws, &f, meta, title, 2);
    worksheet_set_column(ws, 0, 2, 16, NULL);
    worksheet_write_string(ws, 2, 0, "清单", f.head);
    worksheet_write_string(ws, 2, 1, "条数（条）", f.head);
    worksheet_write_string(ws, 2, 2, "", f.head);
    int64_t total = 0;
    for (int i = 0; i < 6; i++) {
        worksheet_write_string(ws, (lxw_row_t)(3 + i), 0, sl_ledger_list_name(i), f.cell);
        worksheet_write_number(ws, (lxw_row_t)(3 + i), 1, (double)m->counts[i], f.num);
        worksheet_write_string(ws, (lxw_row_t)(3 + i), 2, "", f.cell);
        total += m->counts[i];
    }
    worksheet_write_string(ws, 9, 0, "合计", f.cell);
    worksheet_write_number(ws, 9, 1, (double)total, f.num);
    worksheet_write_string(ws, 9, 2, "", f.cell);
    sl_buf_t note;
    sl_buf_init(&note);
    s_missing_note(&note, m->missing, m->n_missing, "未收到月小结：", "，合计不含其数据。");
    if (note.len)
        worksheet_merge_range(ws, 10, 0, 10, 2, note.data, f.line);
    sl_buf_free(&note);
    lxw_worksheet *ws2 = workbook_add_worksheet(wb, "明细");
    s_heading(ws2, &f, meta, title, S_MONTH_COLS - 1);
    for (int c = 0; c < S_MONTH_COLS; c++)
        worksheet_write_string(ws2, 2, (lxw_col_t)c, s_month_headers[c], f.head);
    worksheet_set_column(ws2, 1, 7, 14, NULL);
    worksheet_set_column(ws2, 10, 10, 30, NULL);
    for (size_t i = 0; i < m->n_entries; i++) {
        char buf[128];
        for (int c = 0; c < S_MONTH_COLS; c++) {
            lxw_row_t r = (lxw_row_t)(3 + i);
            if (c == 0 || c == 8)
                worksheet_write_number(ws2, r, (lxw_col_t)c,
                                       c == 0 ? (double)(i + 1) : m->entries[i].persons, f.num);
            else if (c == 9)
                worksheet_write_number(ws2, r, (lxw_col_t)c,
                                       (double)m->entries[i].amount_fen / 100.0, f.money);
            else
                worksheet_write_string(ws2, r, (lxw_col_t)c,
                                       s_month_cell(&m->entries[i], i + 1, c, buf, sizeof buf),
                                       f.left);
        }
    }
    worksheet_set_landscape(ws2);
    worksheet_set_paper(ws2, 9);
    worksheet_fit_to_pages(ws2, 1, 0);
    lxw_error e = workbook_close(wb);
    if (e != LXW_NO_ERROR) {
        sl_log(SL_LOG_ERROR, "could not write \"%s\": %s", path, lxw_strerror(e));
        return -1;
    }
    return 0;
}

static const char *
s_entry_cell(const void *arg, size_t i, int c, char *buf, size_t len)
{
    const sl_rollup_month_t *m = arg;
    return s_month_cell(&m->entries[i], i + 1, c, buf, len);
}

void
sl_annex_month_csv(const sl_rollup_month_t *m, sl_buf_t *out)
{
    sl_buf_puts(out, "\xEF\xBB\xBF");
    s_csv_table(out, s_month_headers, S_MONTH_COLS, m->n_entries, s_entry_cell, m);
}

/* --- 日汇总、简报 ------------------------------------------------------------ */

static const char s_doc_style[] =
    "<style>\n@page{size:A4;margin:25mm 20mm}\n"
    "body{font-family:\"FangSong\",\"仿宋\",\"Noto Serif CJK SC\",serif;font-size:14pt;"
    "line-height:1.6;max-width:170mm;margin:auto}\n"
    "h1{font-size:20pt;text-align:center;color:#c00}h2{font-size:16pt}"
    "p{text-indent:2em;margin:.3em 0}.meta{text-align:center;text-indent:0}\n"
    "table{border-collapse:collapse;width:100%;margin:.5em 0}"
    "th,td{border:1px solid #000;padding:2px "
    "6px;text-align:center}td:first-child{text-align:left}\n"
    "</style>\n";

static void
s_doc_head(sl_buf_t *out, const char *title)
{
    sl_buf_puts(out,
                "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\n<title>");
    sl_buf_html(out, title);
    sl_buf_puts(out, "</title>\n");
    sl_buf_puts(out, s_doc_style);
    sl_buf_puts(out, "</head><body>\n");
}

/* A table of ROWS[0..N) and the total under the header FIRST (地区 / 行业领域). */
static void
s_day_table(sl_buf_t *out, const char *first, const sl_rollup_day_row_t *rows, size_t n,
            const sl_rollup_day_row_t *total)
{
    sl_buf_printf(out,
                  "<table>\n<tr><th>%s</th><th>新受理问题线索（条）</th><th>交办（件）</th>"
                  "<th>反馈（件）</th><th>逾期未反馈（件）</th><th>提级核查（件）</th></tr>\n",
                  first);
    for (size_t i = 0; i <= n; i++) {
        const sl_rollup_day_row_t *r = i < n ? &rows[i] : total;
        sl_buf_puts(out, "<tr><td>");
        sl_buf_html(out, r->label);
        sl_buf_printf(out,
                      "</td><td>%lld</td><td>%lld</td><td>%lld</td><td>%lld</td><td>%lld</td>"
                      "</tr>\n",
                      (long long)r->clues, (long long)r->transfers, (long long)r->answers,
                      (long long)r->overdue, (long long)r->escalated);
    }
    sl_buf_puts(out, "</table>\n");
}

/* "2026年12月1日" */
static void
s_day_zh(sl_buf_t *out, const char *day)
{
    int y = 0, m = 0, d = 0;
    sscanf(day, "%d-%d-%d", &y, &m, &d);
    sl_buf_printf(out, "%d年%d月%d日", y, m, d);
}

void
sl_annex_daily_html(const sl_rollup_day_t *d, sl_buf_t *out)
{
    s_doc_head(out, "“百日攻坚”集中行动日汇总");
    sl_buf_puts(out, "<h1>“百日攻坚”集中行动日汇总</h1>\n<p class=\"meta\">");
    sl_buf_html(out, d->node_name);
    sl_buf_puts(out, "　");
    s_day_zh(out, d->day);
    sl_buf_puts(out, "</p>\n<h2>一、按地区</h2>\n");
    s_day_table(out, "地区", d->by_county, d->n_county, &d->total);
    sl_buf_puts(out, "<h2>二、按行业领域</h2>\n");
    s_day_table(out, "行业领域", d->by_sector, d->n_sector, &d->total);
    sl_buf_puts(out, "</body></html>\n");
}

void
sl_annex_briefing_html(const sl_rollup_day_t *d, int issue, sl_buf_t *out)
{
    s_doc_head(out, "“百日攻坚”集中行动简报");
    sl_buf_puts(out, "<h1>“百日攻坚”集中行动简报</h1>\n<p class=\"meta\">");
    if (issue > 0)
        sl_buf_printf(out, "第%d期　", issue);
    sl_buf_html(out, d->node_name);
    sl_buf_puts(out, "“百日攻坚”集中行动领导组办公室　");
    s_day_zh(out, d->day);
    sl_buf_puts(out, "</p>\n<p>");
    s_day_zh(out, d->day);
    sl_buf_puts(out, "，");
    sl_buf_html(out, d->node_name);
    sl_buf_printf(out,
                  "共受理问题线索%lld条，交办%lld件，收到办理反馈%lld件；"
                  "逾期未反馈%lld件，提级核查%lld件。</p>\n",
                  (long long)d->total.clues, (long long)d->total.transfers,
                  (long long)d->total.answers, (long long)d->total.overdue,
                  (long long)d->total.escalated);
    const sl_rollup_day_row_t *most = NULL;
    for (size_t i = 0; i < d->n_county; i++)
        if (d->by_county[i].clues > 0 && (!most || d->by_county[i].clues > most->clues))
            most = &d->by_county[i];
    if (most) {
        sl_buf_puts(out, "<p>受理问题线索最多的是");
        sl_buf_html(out, most->label);
        sl_buf_printf(out, "（%lld条）。", (long long)most->clues);
        if (d->total.overdue > 0)
            sl_buf_printf(out, "逾期未反馈的%lld件请有关单位抓紧办理，逾期将提级核查。",
                          (long long)d->total.overdue);
        sl_buf_puts(out, "</p>\n");
    }
    s_day_table(out, "地区", d->by_county, d->n_county, &d->total);
    /* the plan's distribution, said at this node's level */
    const char *lv = strcmp(d->level, "province") == 0 ? "省"
                     : strcmp(d->level, "city") == 0   ? "市"
                                                       : "县";
    const char *below = strcmp(d->level, "province") == 0 ? "市级"
                        : strcmp(d->level, "city") == 0   ? "县级"
                                                          : "乡镇";
    sl_buf_printf(out,
                  "<p class=\"meta\">报：“百日攻坚”集中行动领导组，%s委、%s政府主要领导、分管领导"
                  "<br>送：%s党委政府、%s有关部门主要负责人</p>\n</body></html>\n",
                  lv, lv, below, lv);
}
