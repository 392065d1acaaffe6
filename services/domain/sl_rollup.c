/* sl_rollup.c — the weekly report's arithmetic (附件4, 附件6).
 *
 * The columns and their printing follow the seed's forms: fines in 万元 with
 * two decimals, the persons handled as "党政纪处分/追究刑事责任" in one cell. */
#include "sl_rollup.h"

#include "sl_clock.h"

#include <stdio.h>
#include <string.h>

static const char *const s_keys[SL_FIG_N] = {
    "inspection_groups", "units_inspected",     "illegal_found",
    "illegal_punished",  "major_hazards",       "major_hazards_rectified",
    "fine_fen",          "suspended",           "licences_revoked",
    "closed_down",       "persons_disciplined", "persons_prosecuted",
    "exposed",           "commitments",         "typical_cases"};

const sl_rollup_column_t sl_rollup_columns[SL_ROLLUP_COLUMNS] = {
    {NULL, NULL, "检查组", "（个）"},
    {NULL, NULL, "检查单位", "（家）"},
    {"集中行动开展情况", "非法违法生产经营建设行为案例", "排查", "（个）"},
    {"集中行动开展情况", "非法违法生产经营建设行为案例", "查处", "（个）"},
    {"集中行动开展情况", "重大隐患", "排查", "（项）"},
    {"集中行动开展情况", "重大隐患", "整改", "（项）"},
    {"执法情况", NULL, "行政罚款", "（万元）"},
    {"执法情况", NULL, "停产整顿", "（家）"},
    {"执法情况", NULL, "暂扣吊销许可证照", "（个）"},
    {"执法情况", NULL, "关闭取缔", "（家）"},
    {NULL, NULL, "处理人员情况（党政纪处分/追究刑事责任）", "（人）"},
    {NULL, NULL, "问责曝光情况（典型案例详情另报）", "（家）"},
    {NULL, NULL, "安全承诺情况", "（家）"},
};

/* The figure printed in column COL; the persons column prints two. */
static const sl_fig_t s_col_fig[SL_ROLLUP_COLUMNS] = {
    SL_FIG_INSPECTION_GROUPS, SL_FIG_UNITS_INSPECTED,     SL_FIG_ILLEGAL_FOUND,
    SL_FIG_ILLEGAL_PUNISHED,  SL_FIG_MAJOR_HAZARDS,       SL_FIG_MAJOR_HAZARDS_RECTIFIED,
    SL_FIG_FINE_FEN,          SL_FIG_SUSPENDED,           SL_FIG_LICENCES_REVOKED,
    SL_FIG_CLOSED_DOWN,       SL_FIG_PERSONS_DISCIPLINED, SL_FIG_EXPOSED,
    SL_FIG_COMMITMENTS};

const char *const sl_rollup_item_headers[SL_ROLLUP_ITEM_COLUMNS] = {
    "序号",     "生产经营建设单位名称/非法业主名称",  "是否提级核查", "所在地县、乡镇（街道）",
    "企业类别", "重大隐患/非法违法行为/瞒报事故明细", "违法性质",     "处理措施"};

const char *const sl_rollup_categories[] = {"生产企业",   "经营企业", "建设项目",
                                            "个体工商户", "其他",     NULL};

const char *
sl_rollup_key(int k)
{
    return k >= 0 && k < SL_FIG_N ? s_keys[k] : NULL;
}

int
sl_rollup_key_index(const char *key)
{
    for (int k = 0; key && k < SL_FIG_N; k++)
        if (strcmp(s_keys[k], key) == 0)
            return k;
    return -1;
}

void
sl_rollup_total(const sl_rollup_row_t *rows, size_t n, sl_rollup_row_t *total, bool *incomplete)
{
    memset(total, 0, sizeof *total);
    snprintf(total->label, sizeof total->label, "总计");
    *incomplete = false;
    for (size_t i = 0; i < n; i++) {
        if (rows[i].missing) {
            *incomplete = true;
            continue;
        }
        for (int k = 0; k < SL_FIG_N; k++)
            total->v[k] += rows[i].v[k];
    }
}

void
sl_rollup_cell(const sl_rollup_row_t *row, int col, char *buf, size_t len)
{
    buf[0] = '\0';
    if (row->missing || col < 0 || col >= SL_ROLLUP_COLUMNS)
        return;
    sl_fig_t f = s_col_fig[col];
    if (f == SL_FIG_FINE_FEN) {
        /* 1 万元 = 1,000,000 fen; hundredths of 万元 = 10,000 fen, half up */
        int64_t h = (row->v[f] + 5000) / 10000;
        snprintf(buf, len, "%lld.%02lld", (long long)(h / 100), (long long)(h % 100));
    } else if (f == SL_FIG_PERSONS_DISCIPLINED) {
        snprintf(buf, len, "%lld/%lld", (long long)row->v[SL_FIG_PERSONS_DISCIPLINED],
                 (long long)row->v[SL_FIG_PERSONS_PROSECUTED]);
    } else {
        snprintf(buf, len, "%lld", (long long)row->v[f]);
    }
}

bool
sl_rollup_cell_number(const sl_rollup_row_t *row, int col, double *num)
{
    if (row->missing || col < 0 || col >= SL_ROLLUP_COLUMNS)
        return false;
    sl_fig_t f = s_col_fig[col];
    if (f == SL_FIG_PERSONS_DISCIPLINED)
        return false;
    if (f == SL_FIG_FINE_FEN)
        *num = (double)((row->v[f] + 5000) / 10000) / 100.0;
    else
        *num = (double)row->v[f];
    return true;
}

const char *
sl_rollup_item_cell(const sl_rollup_item_t *it, size_t seq, int col, char *buf, size_t len)
{
    switch (col) {
    case 0:
        snprintf(buf, len, "%zu", seq);
        return buf;
    case 1:
        return it->subject ? it->subject : "";
    case 2:
        return it->escalated ? "是" : "否";
    case 3:
        return it->place ? it->place : "";
    case 4:
        return it->category ? it->category : "";
    case 5:
        snprintf(buf, len, "%s：%s", it->kind ? it->kind : "", it->detail ? it->detail : "");
        return buf;
    case 6:
        return it->nature ? it->nature : "";
    case 7:
        return it->measures ? it->measures : "";
    default:
        return "";
    }
}

int
sl_rollup_week_parse(const char *s, int32_t *monday)
{
    int y, w;
    char tail;
    if (!s || sscanf(s, "%4d-W%2d%c", &y, &w, &tail) != 2 || y < 1970 || w < 1 || w > 53)
        return -1;
    int32_t jan4 = sl_date_from_ymd(y, 1, 4);
    int32_t week1 = jan4 - sl_date_weekday(jan4);
    int32_t m = week1 + 7 * (w - 1);
    /* week 53 only in a year that has it: its Thursday is still in year Y */
    int yy, mm, dd;
    sl_date_ymd(m + 3, &yy, &mm, &dd);
    if (yy != y)
        return -1;
    *monday = m;
    return 0;
}

int32_t
sl_rollup_last_week(int32_t day)
{
    return day - sl_date_weekday(day) - 7;
}
