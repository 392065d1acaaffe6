/* sl_rollup.h — the weekly report's arithmetic (附件4 统计表, 附件6 明细表).
 *
 * Pure: rows in, total and printed cells out. A node's annex 4 has one row
 * per source of figures — its own level (the city's departments, 市直各部门,
 * or at a county each township) counted from its ledger, and each child
 * government from the weekly report the child sent — and a 总计 row that is
 * their sum. A child whose report has not arrived keeps its row, empty, and
 * marks the total incomplete. sl_rollup_db.c fills the rows from the ledger;
 * sl_annex.c prints them as files. */
#ifndef SL_ROLLUP_H
#define SL_ROLLUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The annex-4 figures, in the form's column order; keys as reports.proto. */
typedef enum {
    SL_FIG_INSPECTION_GROUPS,       /* 检查组（个） */
    SL_FIG_UNITS_INSPECTED,         /* 检查单位（家） */
    SL_FIG_ILLEGAL_FOUND,           /* 非法违法行为 排查（个） */
    SL_FIG_ILLEGAL_PUNISHED,        /* 非法违法行为 查处（个） */
    SL_FIG_MAJOR_HAZARDS,           /* 重大隐患 排查（项） */
    SL_FIG_MAJOR_HAZARDS_RECTIFIED, /* 重大隐患 整改（项） */
    SL_FIG_FINE_FEN,                /* 行政罚款, in fen (printed 万元) */
    SL_FIG_SUSPENDED,               /* 停产整顿（家） */
    SL_FIG_LICENCES_REVOKED,        /* 暂扣吊销许可证照（个） */
    SL_FIG_CLOSED_DOWN,             /* 关闭取缔（家） */
    SL_FIG_PERSONS_DISCIPLINED,     /* 党政纪处分（人） */
    SL_FIG_PERSONS_PROSECUTED,      /* 追究刑事责任（人） */
    SL_FIG_EXPOSED,                 /* 问责曝光（家） */
    SL_FIG_COMMITMENTS,             /* 安全承诺（家） */
    SL_FIG_TYPICAL_CASES,           /* 典型案例（个）, not a column of its own */
    SL_FIG_N
} sl_fig_t;

/* The key of figure K ("fine_fen"), or NULL out of range. */
const char *sl_rollup_key(int k);
/* The figure whose key is KEY, or -1. */
int sl_rollup_key_index(const char *key);

/* One row of annex 4. */
typedef struct {
    char label[128];     /* 市直各部门, 平遥县, 某某镇 */
    char unit[48];       /* the unit code (a child's) or the division; "" for a township */
    bool missing;        /* a child whose report has not arrived: printed empty */
    int64_t v[SL_FIG_N]; /* the figures */
} sl_rollup_row_t;

/* Sums ROWS[0..N-1] into TOTAL (label 总计); *INCOMPLETE when a row is
 * missing (its figures are not in the sum). */
void sl_rollup_total(const sl_rollup_row_t *rows, size_t n, sl_rollup_row_t *total,
                     bool *incomplete);

/* Annex 4's printed columns (13): header path and unit. */
typedef struct {
    const char *group; /* 集中行动开展情况, 执法情况, or NULL */
    const char *sub;   /* 非法违法生产经营建设行为案例, 重大隐患, or NULL */
    const char *name;  /* 检查组, 排查, 行政罚款, … */
    const char *unit;  /* （个）, （万元）, … */
} sl_rollup_column_t;
#define SL_ROLLUP_COLUMNS 13
extern const sl_rollup_column_t sl_rollup_columns[SL_ROLLUP_COLUMNS];

/* Prints column COL (0..12) of ROW into BUF: a count, fines in 万元 with two
 * decimals (rounded half up), persons as "a/b" (党政纪处分/追究刑事责任);
 * "" for a missing row. */
void sl_rollup_cell(const sl_rollup_row_t *row, int col, char *buf, size_t len);
/* The same as a number where the cell is one (for a spreadsheet): true and
 * *NUM, or false for text (the a/b cell, a missing row). */
bool sl_rollup_cell_number(const sl_rollup_row_t *row, int col, double *num);

/* One numbered row of annex 6: an illegal act, a major hazard or a
 * concealed accident. Strings borrowed from the caller. */
typedef struct {
    const char *subject;  /* 生产经营建设单位名称/非法业主名称 */
    bool escalated;       /* 是否提级核查 */
    const char *place;    /* 所在地县、乡镇（街道） */
    const char *category; /* 企业类别 */
    const char *kind;     /* 重大隐患 / 非法违法行为 / 瞒报事故 */
    const char *detail;   /* 明细 */
    const char *nature;   /* 违法性质 */
    const char *measures; /* 处理措施 */
    const char *case_no;
} sl_rollup_item_t;
#define SL_ROLLUP_ITEM_COLUMNS 8
extern const char *const sl_rollup_item_headers[SL_ROLLUP_ITEM_COLUMNS];
/* Column COL (0..7) of item I numbered SEQ (序号, from 1): borrowed or in BUF. */
const char *sl_rollup_item_cell(const sl_rollup_item_t *it, size_t seq, int col, char *buf,
                                size_t len);

/* ISO week "2026-W49" → the day number of its Monday. 0 or -1. */
int sl_rollup_week_parse(const char *s, int32_t *monday);
/* The Monday of the week before the one holding DAY (the week a report
 * made on DAY covers by default). */
int32_t sl_rollup_last_week(int32_t day);

/* The enterprise categories slctl suggests (企业类别, free text), NULL-ended. */
extern const char *const sl_rollup_categories[];

#endif
