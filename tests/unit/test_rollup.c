/* test_rollup.c — annex 4's arithmetic (sl_rollup.h): the total is the sum of
 * the rows, a missing child's row stays empty and marks the total incomplete,
 * fines print in 万元 with two decimals, persons as "a/b"; annex 6's cells. */
#include "sl_clock.h"
#include "sl_rollup.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static void
test_keys(void **state)
{
    (void)state;
    for (int k = 0; k < SL_FIG_N; k++)
        assert_int_equal(sl_rollup_key_index(sl_rollup_key(k)), k);
    assert_int_equal(sl_rollup_key_index("fine_fen"), SL_FIG_FINE_FEN);
    assert_int_equal(sl_rollup_key_index("nonsense"), -1);
    assert_null(sl_rollup_key(SL_FIG_N));
}

static void
test_total(void **state)
{
    (void)state;
    sl_rollup_row_t rows[3];
    memset(rows, 0, sizeof rows);
    snprintf(rows[0].label, sizeof rows[0].label, "市直各部门");
    rows[0].v[SL_FIG_ILLEGAL_FOUND] = 3;
    rows[0].v[SL_FIG_FINE_FEN] = 3000000; /* 3 万元 */
    snprintf(rows[1].label, sizeof rows[1].label, "平遥县");
    rows[1].v[SL_FIG_ILLEGAL_FOUND] = 2;
    rows[1].v[SL_FIG_FINE_FEN] = 125000; /* 0.125 万元 */
    rows[1].v[SL_FIG_PERSONS_DISCIPLINED] = 2;
    rows[1].v[SL_FIG_PERSONS_PROSECUTED] = 1;
    snprintf(rows[2].label, sizeof rows[2].label, "介休市");
    rows[2].missing = true;
    rows[2].v[SL_FIG_ILLEGAL_FOUND] = 99; /* not counted: missing */
    sl_rollup_row_t t;
    bool incomplete;
    sl_rollup_total(rows, 3, &t, &incomplete);
    assert_true(incomplete);
    assert_string_equal(t.label, "总计");
    assert_int_equal(t.v[SL_FIG_ILLEGAL_FOUND], 5);
    assert_int_equal(t.v[SL_FIG_FINE_FEN], 3125000);
    char buf[64];
    sl_rollup_cell(&t, 2, buf, sizeof buf);
    assert_string_equal(buf, "5");
    sl_rollup_cell(&t, 6, buf, sizeof buf);
    assert_string_equal(buf, "3.13"); /* 3.125 half up */
    sl_rollup_cell(&t, 10, buf, sizeof buf);
    assert_string_equal(buf, "2/1");
    sl_rollup_cell(&rows[2], 2, buf, sizeof buf);
    assert_string_equal(buf, ""); /* missing row: empty */
    double d;
    assert_true(sl_rollup_cell_number(&t, 6, &d));
    assert_true(d > 3.1299 && d < 3.1301);
    assert_false(sl_rollup_cell_number(&t, 10, &d));
    assert_false(sl_rollup_cell_number(&rows[2], 0, &d));
    sl_rollup_total(rows, 2, &t, &incomplete);
    assert_false(incomplete);
}

static void
test_fines(void **state)
{
    (void)state;
    sl_rollup_row_t r;
    memset(&r, 0, sizeof r);
    char buf[32];
    sl_rollup_cell(&r, 6, buf, sizeof buf);
    assert_string_equal(buf, "0.00");
    r.v[SL_FIG_FINE_FEN] = 4999; /* 0.004999 万元 */
    sl_rollup_cell(&r, 6, buf, sizeof buf);
    assert_string_equal(buf, "0.00");
    r.v[SL_FIG_FINE_FEN] = 123456789; /* 123.456789 万元 */
    sl_rollup_cell(&r, 6, buf, sizeof buf);
    assert_string_equal(buf, "123.46");
}

static void
test_items(void **state)
{
    (void)state;
    sl_rollup_item_t it = {.subject = "平遥县某某煤业有限公司",
                           .escalated = true,
                           .place = "平遥县古陶镇",
                           .category = "生产企业",
                           .kind = "重大隐患",
                           .detail = "未按规定设置安全出口",
                           .nature = "重大事故隐患",
                           .measures = "停产整顿"};
    char buf[256];
    assert_string_equal(sl_rollup_item_cell(&it, 7, 0, buf, sizeof buf), "7");
    assert_string_equal(sl_rollup_item_cell(&it, 7, 2, buf, sizeof buf), "是");
    assert_string_equal(sl_rollup_item_cell(&it, 7, 5, buf, sizeof buf),
                        "重大隐患：未按规定设置安全出口");
    it.escalated = false;
    assert_string_equal(sl_rollup_item_cell(&it, 7, 2, buf, sizeof buf), "否");
    assert_string_equal(sl_rollup_item_headers[4], "企业类别");
    assert_string_equal(sl_rollup_columns[6].unit, "（万元）");
}

static void
test_weeks(void **state)
{
    (void)state;
    int32_t m;
    char d[11];
    assert_int_equal(sl_rollup_week_parse("2026-W49", &m), 0);
    sl_date_format(m, d);
    assert_string_equal(d, "2026-11-30");
    assert_int_equal(sl_rollup_week_parse("2022-W01", &m), 0);
    sl_date_format(m, d);
    assert_string_equal(d, "2022-01-03");
    assert_int_equal(sl_rollup_week_parse("2020-W53", &m), 0); /* 2020 has 53 weeks */
    sl_date_format(m, d);
    assert_string_equal(d, "2020-12-28");
    assert_int_equal(sl_rollup_week_parse("2021-W53", &m), -1);
    assert_int_equal(sl_rollup_week_parse("2026-49", &m), -1);
    assert_int_equal(sl_rollup_week_parse("2026-W49x", &m), -1);
    int32_t thu;
    sl_date_parse("2026-12-03", &thu);
    sl_date_format(sl_rollup_last_week(thu), d);
    assert_string_equal(d, "2026-11-23");
    sl_date_parse("2026-11-30", &thu); /* a Monday: the week before */
    sl_date_format(sl_rollup_last_week(thu), d);
    assert_string_equal(d, "2026-11-23");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys),  cmocka_unit_test(test_total), cmocka_unit_test(test_fines),
        cmocka_unit_test(test_items), cmocka_unit_test(test_weeks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
