/* sl_annex.h — a drafted report's annexes as files: 附件4 统计表 and 附件6
 * 明细表 as XLSX laid out as the seed's forms (title, 填报单位/填表人/填表日期,
 * merged headers with their units) and as CSV (UTF-8 with BOM), 附件5 典型案例
 * as an HTML document with a print layout. The figures and items come from
 * sl_rollup_db; nothing here reads the database. */
#ifndef SL_ANNEX_H
#define SL_ANNEX_H

#include "sl_rollup_db.h"
#include "sl_util.h"

/* Who fills the forms in. */
typedef struct {
    const char *unit_name; /* 填报单位 */
    const char *filled_by; /* 填表人 */
    const char *filled_on; /* 填表日期 YYYY-MM-DD */
} sl_annex_meta_t;

/* Writes annex 4 (ANNEX 4) or annex 6 (6) of R as an XLSX workbook at PATH.
 * 0, or -1 (logged) if the file could not be written. */
int sl_annex_xlsx(const sl_rollup_report_t *r, const sl_annex_meta_t *m, int annex,
                  const char *path);
/* Appends annex 4 or 6 of R to OUT as CSV: a BOM, the header line, the rows
 * (annex 4: 总计 first, then each row; annex 6: one numbered row per item). */
void sl_annex_csv(const sl_rollup_report_t *r, int annex, sl_buf_t *out);
/* Appends annex 5 (R's typical cases) to OUT as an HTML document for print. */
void sl_annex_typical_html(const sl_rollup_report_t *r, const sl_annex_meta_t *m, sl_buf_t *out);

/* The month's six lists (月小结): an XLSX workbook at PATH with a sheet
 * 汇总 (each list's count) and a sheet 明细 (one numbered row per entry),
 * 0 or -1 (logged); the entries as CSV with BOM appended to OUT. */
int sl_annex_month_xlsx(const sl_rollup_month_t *m, const sl_annex_meta_t *meta, const char *path);
void sl_annex_month_csv(const sl_rollup_month_t *m, sl_buf_t *out);

/* The daily summary (日汇总: the day's figures by county and by sector) and
 * the briefing for the leaders (简报: the same in a few sentences and the
 * county table), each an HTML document appended to OUT. ISSUE numbers the
 * briefing (第N期; 0: none). */
void sl_annex_daily_html(const sl_rollup_day_t *d, sl_buf_t *out);
void sl_annex_briefing_html(const sl_rollup_day_t *d, int issue, sl_buf_t *out);

#endif
