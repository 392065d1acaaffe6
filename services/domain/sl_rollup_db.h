/* sl_rollup_db.h — a node's weekly report drafted from its ledger and its
 * children's reports (周报告 附件4、5、6).
 *
 * Counting once (issue 20's decisions): a case handed to a child government
 * is counted by the child, in the weekly report it sent; this node counts the
 * cases its own departments (and police, member units) handle. 排查 figures
 * come from the cases registered in the week (Monday to Sunday, Asia/Shanghai),
 * 整改/查处 and the enforcement figures from the results verified in it. A
 * child whose weekly report for the week has not arrived keeps its row, empty,
 * and is named. Home of the SQL on typical_case. */
#ifndef SL_ROLLUP_DB_H
#define SL_ROLLUP_DB_H

#include "sl_arena.h"
#include "sl_db.h"
#include "sl_rollup.h"

#include <stdbool.h>
#include <stdint.h>

/* A negative (or positive) typical case of 附件5; strings in the report's arena. */
typedef struct {
    const char *case_no, *title, *keywords, *summary, *facts, *outcome, *analysis, *advice;
    bool negative;
} sl_rollup_typical_t;

/* A child government whose report did not arrive (or arrived after its due
 * time: LATE). */
typedef struct {
    const char *unit, *name;
    bool late;
} sl_rollup_child_t;

/* A drafted weekly report. Everything hangs off ARENA. */
typedef struct {
    sl_arena_t *arena;
    const char *node, *node_name, *level;  /* this node */
    char period_start[11], period_end[11]; /* the Monday and the Sunday */
    sl_rollup_row_t *rows;                 /* annex 4: own level (or townships), children */
    size_t n_rows;
    sl_rollup_row_t total;   /* 总计 */
    bool incomplete;         /* a child's row is missing */
    sl_rollup_item_t *items; /* annex 6 */
    size_t n_items;
    sl_rollup_typical_t *typical; /* annex 5 candidates made this week */
    size_t n_typical;
    sl_rollup_child_t *missing; /* children whose report has not arrived */
    size_t n_missing;
    int64_t clues, transfers, feedbacks; /* handling figures of the week */
} sl_rollup_report_t;

/* Drafts the weekly report of the week starting on Monday MONDAY. 0 with *OUT
 * (the caller's: sl_rollup_report_destroy), -1 or SL_AGAIN. */
int sl_rollup_weekly(sl_db_t *db, int32_t monday, sl_rollup_report_t **out);
void sl_rollup_report_destroy(sl_rollup_report_t **p);

/* One entry of the six lists (六个清单) in a month's report; strings in the
 * report's arena. */
typedef struct {
    const char *list, *item, *case_no, *notice_no, *unit, *unit_name, *subject, *date, *details;
    int32_t persons;
    int64_t amount_fen;
    const char *from; /* "" for this node's own, else the child's name */
} sl_rollup_entry_t;

/* A drafted monthly report (月小结): the six lists of the month. */
typedef struct {
    sl_arena_t *arena;
    const char *node, *node_name, *level;
    char month[8];              /* YYYY-MM */
    int64_t counts[6];          /* per list, in the plan's order: own + children's */
    sl_rollup_entry_t *entries; /* own entries, then each child's */
    size_t n_entries;
    sl_rollup_child_t *missing; /* children whose monthly report has not arrived */
    size_t n_missing;
} sl_rollup_month_t;

/* Drafts the monthly report of MONTH ("YYYY-MM") from this node's ledger
 * entries (not those of cases handed to a child: the child reports them) and
 * the children's monthly reports. 0 with *OUT (sl_rollup_month_destroy), -1
 * or SL_AGAIN. */
int sl_rollup_monthly(sl_db_t *db, const char *month, sl_rollup_month_t **out);
void sl_rollup_month_destroy(sl_rollup_month_t **p);

/* One row of the daily summary (日汇总). */
typedef struct {
    const char *label; /* a county (division) or a sector; 合计 for the total */
    int64_t clues;     /* 新受理问题线索 */
    int64_t transfers; /* 交办 */
    int64_t answers;   /* 反馈 */
    int64_t overdue;   /* 逾期未反馈 (open, past the feedback deadline) */
    int64_t escalated; /* 提级核查 (marked that day) */
} sl_rollup_day_row_t;

/* A drafted daily summary: the day's figures by county and by sector. */
typedef struct {
    sl_arena_t *arena;
    const char *node, *node_name, *level;
    char day[11];
    sl_rollup_day_row_t *by_county, *by_sector, total;
    size_t n_county, n_sector;
} sl_rollup_day_t;

/* Drafts the daily summary of business day DAY (Asia/Shanghai). 0 with *OUT
 * (sl_rollup_day_destroy), -1 or SL_AGAIN. */
int sl_rollup_daily(sl_db_t *db, int32_t day, sl_rollup_day_t **out);
void sl_rollup_day_destroy(sl_rollup_day_t **p);

/* Makes typical case of case CASE_NO from T (its own transaction; T->case_no
 * ignored). 0; SL_DECLINED if there is no such case, a required part is
 * missing or it has 0 or more than 5 keywords (logged); -1 or SL_AGAIN. A
 * second call for the same case replaces it. */
int sl_rollup_typical_make(sl_db_t *db, const char *case_no, const sl_rollup_typical_t *t,
                           const char *operator_name, int64_t now_ms);

#endif
