/* test_annex.c — the annexes as files (sl_annex.h) from a report built by
 * hand: annex 4 and 6 as CSV (BOM, headers with units, 总计 marked
 * incomplete, a missing row empty, fines in 万元, persons "a/b"), annex 5's
 * HTML escaped with its print layout, the XLSX written, the daily summary's
 * and the briefing's words. */
#include "sl_annex.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static sl_rollup_row_t s_rows[2];
static sl_rollup_item_t s_items[1];
static sl_rollup_typical_t s_typical[1];
static sl_rollup_child_t s_missing[1];

static void
s_report(sl_rollup_report_t *r)
{
    memset(r, 0, sizeof *r);
    memset(s_rows, 0, sizeof s_rows);
    r->node = "140700";
    r->node_name = "晋中市";
    r->level = "city";
    snprintf(r->period_start, sizeof r->period_start, "2026-11-30");
    snprintf(r->period_end, sizeof r->period_end, "2026-12-06");
    snprintf(s_rows[0].label, sizeof s_rows[0].label, "市直各部门");
    s_rows[0].v[SL_FIG_ILLEGAL_FOUND] = 2;
    s_rows[0].v[SL_FIG_FINE_FEN] = 3000000;
    s_rows[0].v[SL_FIG_PERSONS_DISCIPLINED] = 2;
    s_rows[0].v[SL_FIG_PERSONS_PROSECUTED] = 1;
    snprintf(s_rows[1].label, sizeof s_rows[1].label, "介休市");
    s_rows[1].missing = true;
    r->rows = s_rows;
    r->n_rows = 2;
    sl_rollup_total(r->rows, r->n_rows, &r->total, &r->incomplete);
    s_items[0] = (sl_rollup_item_t){.subject = "晋中市甲煤业, \"有限\"公司",
                                    .escalated = true,
                                    .place = "晋中市",
                                    .category = "生产企业",
                                    .kind = "重大隐患",
                                    .detail = "未设置安全出口",
                                    .nature = "重大事故隐患",
                                    .measures = "停产整顿"};
    r->items = s_items;
    r->n_items = 1;
    s_typical[0] = (sl_rollup_typical_t){"140700-2026-煤-000001",
                                         "<script>某局对某企业案",
                                         "甲、乙、丙",
                                         "要旨",
                                         "第一段\n第二段",
                                         "处理",
                                         "剖析",
                                         "建议",
                                         true};
    r->typical = s_typical;
    r->n_typical = 1;
    s_missing[0] = (sl_rollup_child_t){"140781", "介休市", false};
    r->missing = s_missing;
    r->n_missing = 1;
}

static void
test_csv(void **state)
{
    (void)state;
    sl_rollup_report_t r;
    s_report(&r);
    sl_buf_t b;
    sl_buf_init(&b);
    sl_annex_csv(&r, 4, &b);
    assert_memory_equal(b.data, "\xEF\xBB\xBF", 3);
    assert_non_null(strstr(b.data, "项目单位,检查组（个）,检查单位（家）,"
                                   "非法违法生产经营建设行为案例排查（个）"));
    assert_non_null(strstr(b.data, "\r\n总计（不完整）,0,0,2,0,0,0,3.00,0,0,0,2/1,0,0\r\n"));
    assert_non_null(strstr(b.data, "\r\n介休市,,,,,,,,,,,,,\r\n"));
    sl_buf_reset(&b);
    sl_annex_csv(&r, 6, &b);
    assert_non_null(strstr(b.data, "序号,生产经营建设单位名称/非法业主名称,是否提级核查"));
    assert_non_null(strstr(b.data, "1,\"晋中市甲煤业, \"\"有限\"\"公司\",是,晋中市,生产企业,"
                                   "重大隐患：未设置安全出口,重大事故隐患,停产整顿\r\n"));
    sl_buf_free(&b);
}

static void
test_html(void **state)
{
    (void)state;
    sl_rollup_report_t r;
    s_report(&r);
    sl_annex_meta_t m = {"晋中市", "李某", "2026-12-07"};
    sl_buf_t b;
    sl_buf_init(&b);
    sl_annex_typical_html(&r, &m, &b);
    assert_non_null(strstr(b.data, "@page{size:A4"));
    assert_null(strstr(b.data, "<script>"));
    assert_non_null(strstr(b.data, "&lt;script&gt;某局对某企业案"));
    assert_non_null(strstr(b.data, "<h3>【基本案情】</h3>\n<p>第一段</p>\n<p>第二段</p>"));
    assert_non_null(strstr(b.data, "负面案例"));
    sl_buf_free(&b);
}

static void
test_xlsx(void **state)
{
    (void)state;
    sl_rollup_report_t r;
    s_report(&r);
    sl_annex_meta_t m = {"晋中市", "李某", "2026-12-07"};
    char path[] = "/tmp/test_annex_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(sl_annex_xlsx(&r, &m, 4, path), 0);
    size_t len;
    char *data = sl_read_file(path, &len);
    assert_non_null(data);
    assert_true(len > 1000);
    assert_memory_equal(data, "PK", 2); /* a zip, as XLSX is */
    free(data);
    assert_int_equal(sl_annex_xlsx(&r, &m, 6, path), 0);
    unlink(path);
    assert_int_equal(sl_annex_xlsx(&r, &m, 4, "/nonexistent/dir/a.xlsx"), -1);
}

static void
test_daily(void **state)
{
    (void)state;
    sl_rollup_day_row_t rows[2] = {{"介休市", 1, 1, 0, 2, 0}, {"平遥县", 3, 2, 1, 0, 1}};
    sl_rollup_day_t d = {.node = "140700", .node_name = "晋中市", .level = "city"};
    snprintf(d.day, sizeof d.day, "2026-12-01");
    d.by_county = rows;
    d.n_county = 2;
    d.by_sector = rows;
    d.n_sector = 0;
    d.total = (sl_rollup_day_row_t){"合计", 4, 3, 1, 2, 1};
    sl_buf_t b;
    sl_buf_init(&b);
    sl_annex_daily_html(&d, &b);
    assert_non_null(strstr(b.data, "<tr><td>平遥县</td><td>3</td><td>2</td><td>1</td><td>0</td>"
                                   "<td>1</td></tr>"));
    assert_non_null(strstr(b.data, "<tr><td>合计</td><td>4</td>"));
    sl_buf_reset(&b);
    sl_annex_briefing_html(&d, 12, &b);
    assert_non_null(strstr(b.data, "第12期"));
    assert_non_null(strstr(b.data, "2026年12月1日，晋中市共受理问题线索4条，交办3件，"
                                   "收到办理反馈1件；逾期未反馈2件，提级核查1件。"));
    assert_non_null(strstr(b.data, "受理问题线索最多的是平遥县（3条）"));
    assert_non_null(strstr(b.data, "送：县级党委政府、市有关部门主要负责人"));
    sl_buf_free(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_html),
        cmocka_unit_test(test_xlsx),
        cmocka_unit_test(test_daily),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
