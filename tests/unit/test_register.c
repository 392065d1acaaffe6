/* test_register.c — the registers' pure parts: the spot-check sample (size,
 * spread over townships, the same from the same seed), what a spot check finds
 * the inspection missed, reading an import file line by line, an inspection's
 * fields, checks and key, an accident's level and trace, and a register
 * row's msg_id. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "sl_accident.h"
#include "sl_finding.h"
#include "sl_inspection.h"
#include "sl_official.h"
#include "sl_plan.h"
#include "sl_pledge.h"
#include "sl_csv.h"
#include "sl_register.h"
#include "sl_spotcheck.h"

#include <stdio.h>
#include <string.h>

static void
test_sample_size(void **state)
{
    (void)state;
    assert_int_equal(sl_spotcheck_size(40, 10), 4);
    assert_int_equal(sl_spotcheck_size(41, 10), 5); /* not less than the share: rounded up */
    assert_int_equal(sl_spotcheck_size(3, 10), 1);
    assert_int_equal(sl_spotcheck_size(7, 100), 7);
    assert_int_equal(sl_spotcheck_size(0, 10), 0);
}

static void
test_sample_spreads_and_repeats(void **state)
{
    (void)state;
    static const char *const towns[] = {"古陶镇", "洪善镇", "宁固镇"};
    const char *t[40];
    for (int i = 0; i < 40; i++)
        t[i] = towns[i < 30 ? 0 : i < 36 ? 1 : 2]; /* uneven: 30, 6, 4 */
    size_t a[40], b[40], c[40];
    size_t n = sl_spotcheck_sample(t, 40, 10, 12345, a);
    assert_int_equal(n, 4);
    bool seen[3] = {false, false, false};
    for (size_t i = 0; i < n; i++) {
        assert_true(a[i] < 40);
        for (size_t j = 0; j < i; j++)
            assert_true(a[i] != a[j]); /* no unit twice */
        seen[a[i] < 30 ? 0 : a[i] < 36 ? 1 : 2] = true;
    }
    assert_true(seen[0] && seen[1] && seen[2]); /* every township before a second from any */
    assert_int_equal(sl_spotcheck_sample(t, 40, 10, 12345, b), 4);
    assert_memory_equal(a, b, sizeof(size_t) * 4); /* the stored seed draws the same */
    bool differs = false;
    for (uint64_t seed = 1; seed < 20 && !differs; seed++) {
        sl_spotcheck_sample(t, 40, 10, seed, c);
        differs = memcmp(a, c, sizeof(size_t) * 4) != 0;
    }
    assert_true(differs);
    /* the whole population at 100% */
    assert_int_equal(sl_spotcheck_sample(t, 40, 100, 7, c), 40);
}

static void
test_missed(void **state)
{
    (void)state;
    assert_string_equal(sl_spotcheck_missed(false, false, true, true),
                        "应发现未发现、应处罚未处罚");
    assert_string_equal(sl_spotcheck_missed(false, false, true, false), "应发现未发现");
    assert_string_equal(sl_spotcheck_missed(true, false, true, true), "应处罚未处罚");
    assert_null(sl_spotcheck_missed(true, true, true, true));
    assert_null(sl_spotcheck_missed(false, false, false, false));
}

static void
test_csv_split(void **state)
{
    (void)state;
    char line[] = "a,\"b,c\",\"say \"\"hi\"\"\",,d";
    char *f[8];
    assert_int_equal(sl_csv_split(line, f, 8), 5);
    assert_string_equal(f[0], "a");
    assert_string_equal(f[1], "b,c");
    assert_string_equal(f[2], "say \"hi\"");
    assert_string_equal(f[3], "");
    assert_string_equal(f[4], "d");
    char open[] = "a,\"b";
    assert_int_equal(sl_csv_split(open, f, 8), -1);
    char many[] = "a,b,c";
    assert_int_equal(sl_csv_split(many, f, 2), 3);
}

typedef struct {
    int rows;
} s_count_t;

static int
s_line(void *arg, int lineno, char **f, int n, char **err)
{
    s_count_t *c = arg;
    (void)n;
    if (strcmp(f[1], "bad") == 0) {
        *err = strdup("第二列不能是 bad");
        return -1;
    }
    (void)lineno;
    c->rows++;
    return 0;
}

static void
test_csv_each_names_every_bad_line(void **state)
{
    (void)state;
    static const char *const header[] = {"甲", "乙"};
    const char good[] = "\xEF\xBB\xBF甲,乙\r\n1,2\r\n\r\n3,4\r\n";
    s_count_t c = {0};
    char *errs = NULL;
    assert_int_equal(sl_csv_each(good, strlen(good), header, 2, s_line, &c, &errs), 0);
    assert_null(errs);
    assert_int_equal(c.rows, 2);

    const char bad[] = "甲,乙\n1,2\n3,bad\n4\n\"5,6\n7,8\n";
    c.rows = 0;
    assert_int_equal(sl_csv_each(bad, strlen(bad), header, 2, s_line, &c, &errs), 3);
    assert_non_null(strstr(errs, "line 3: 第二列不能是 bad"));
    assert_non_null(strstr(errs, "line 4: 应有 2 列，实有 1 列"));
    assert_non_null(strstr(errs, "line 5: 引号未闭合"));
    free(errs);

    const char noheader[] = "1,2\n";
    assert_int_equal(sl_csv_each(noheader, strlen(noheader), header, 2, s_line, &c, &errs), 1);
    assert_non_null(strstr(errs, "line 1: 首行须为表头"));
    free(errs);
}

static void
test_inspection_fields_and_checks(void **state)
{
    (void)state;
    char *f[SL_INSPECTION_CSV_COLS] = {
        "平遥县某煤业",     "91140728MA00000001", "煤",       "140728", "古陶镇",
        "平遥县应急管理局", "2026-11-02",         "通风隐患", "是",     "否"};
    sl_pb_inspection_t in;
    sl_codec_error_t err;
    assert_int_equal(sl_inspection_from_fields(f, &in, &err), 0);
    assert_int_equal(in.sector, 1);
    assert_true(in.problem_found);
    assert_false(in.punished);
    assert_int_equal(sl_inspection_validate(&in, NULL, &err), 0);
    char key[SL_INSPECTION_KEY_MAX];
    sl_inspection_key(&in, key, sizeof key);
    assert_string_equal(key, "91140728MA00000001|2026-11-02|平遥县应急管理局");

    in.inspected_on = "2026/11/02";
    assert_int_equal(sl_inspection_validate(&in, NULL, &err), SL_DECLINED);
    assert_string_equal(err.code, "bad_field:inspected_on");
    in.inspected_on = "2026-11-02";
    in.credit_code = "9114";
    assert_int_equal(sl_inspection_validate(&in, NULL, &err), SL_DECLINED);
    assert_string_equal(err.code, "bad_field:credit_code");

    f[2] = "矿泉水";
    assert_int_equal(sl_inspection_from_fields(f, &in, &err), SL_DECLINED);
    assert_string_equal(err.code, "unknown_sector");
    f[2] = "COAL_MINE";
    f[9] = "也许";
    assert_int_equal(sl_inspection_from_fields(f, &in, &err), SL_DECLINED);
    assert_string_equal(err.code, "bad_field:punished");
}

static void
test_msg_id(void **state)
{
    (void)state;
    char a[SL_REGISTER_MSG_ID_LEN + 1], b[SL_REGISTER_MSG_ID_LEN + 1];
    sl_register_msg_id("insp", "91140728MA00000001|2026-11-02|平遥县应急管理局", a);
    sl_register_msg_id("insp", "91140728MA00000001|2026-11-02|平遥县应急管理局", b);
    assert_string_equal(a, b);
    assert_int_equal(strlen(a), 5 + 32);
    assert_true(strncmp(a, "insp-", 5) == 0);
    sl_register_msg_id("insp", "91140728MA00000001|2026-11-03|平遥县应急管理局", b);
    assert_string_not_equal(a, b);
}

static void
test_accident(void **state)
{
    (void)state;
    assert_int_equal(sl_accident_level("较大"), 2);
    assert_int_equal(sl_accident_level("EXTRAORDINARY"), 4);
    assert_int_equal(sl_accident_level("中等"), 0);
    assert_string_equal(sl_accident_level_name(3), "重大");
    char *f[SL_ACCIDENT_CSV_COLS] = {"2026-11-05", "140728", "洪善镇", "洪善村", "某烟花爆竹店",
                                     "",           "民爆",   "一般",   "0",      "1",
                                     "是",         "爆炸",   "张三丰"};
    sl_pb_accident_t a;
    sl_codec_error_t err;
    assert_int_equal(sl_accident_from_fields(f, &a, &err), 0);
    assert_int_equal(sl_accident_validate(&a, NULL, &err), 0);
    assert_true(sl_accident_traced(&a)); /* concealed */
    a.concealed = false;
    assert_false(sl_accident_traced(&a));
    a.level = SAFELOOP__V1__ACCIDENT__LEVEL__LARGER;
    assert_true(sl_accident_traced(&a));
    char key[256];
    sl_accident_key(&a, key, sizeof key);
    assert_string_equal(key, "140728|2026-11-05|某烟花爆竹店");
    f[8] = "-1";
    assert_int_equal(sl_accident_from_fields(f, &a, &err), SL_DECLINED);
    assert_string_equal(err.code, "bad_field:deaths");
    f[8] = "0";
    f[7] = "中等";
    assert_int_equal(sl_accident_from_fields(f, &a, &err), 0);
    assert_int_equal(sl_accident_validate(&a, NULL, &err), SL_DECLINED);
    assert_string_equal(err.code, "bad_field:level");
}

static void
test_official(void **state)
{
    (void)state;
    char *f[SL_OFFICIAL_CSV_COLS] = {"P001",       "王建国",     "140728:emergency", "局长",
                                     "2026-01-01", "2026-11-15", "13900001111"};
    sl_pb_official_t o;
    sl_codec_error_t err;
    assert_int_equal(sl_official_from_fields(f, &o, &err), 0);
    assert_int_equal(sl_official_validate(&o, &err), 0);
    char key[256];
    sl_official_key(&o, key, sizeof key);
    assert_string_equal(key, "P001|140728:emergency|局长|2026-01-01");
    o.to = "2025-12-31"; /* ends before it starts */
    assert_int_equal(sl_official_validate(&o, &err), SL_DECLINED);
    assert_string_equal(err.code, "bad_field:to");
    o.to = "";
    o.person_id = "";
    assert_int_equal(sl_official_validate(&o, &err), SL_DECLINED);
    assert_string_equal(err.code, "missing_field:person_id");
}

static void
test_finding(void **state)
{
    (void)state;
    assert_int_equal(sl_finding_source("大起底"), 3);
    assert_int_equal(sl_finding_source("OLD_REPORTS"), 4);
    assert_int_equal(sl_finding_source("大排查"), 0);
    char *f[SL_FINDING_CSV_COLS] = {"近三年举报", "JB-1",   "某加油站", "",  "危化",
                                    "140728",     "洪善镇", "反复举报", "是"};
    sl_route_map_t *routes = sl_route_map_new("140728");
    sl_route_map_add(routes, "140700", "");
    sl_route_map_add(routes, "140728", "140700");
    sl_route_map_add(routes, "140781", "140700");
    sl_finding_row_t row;
    sl_codec_error_t err;
    assert_int_equal(sl_finding_from_fields(f, 1794272400000, &row, &err), 0);
    assert_ptr_equal(row.finding.clue, &row.clue);
    assert_true(row.clue.major_hazard);
    assert_int_equal(sl_finding_prepare(&row.finding, routes, &err), 0);
    assert_int_equal(row.clue.channel, SAFELOOP__V1__CLUE_REPORT__CHANNEL__OTHER);
    char key[64];
    sl_finding_key(&row.finding, key, sizeof key);
    assert_string_equal(key, "4|JB-1");
    f[0] = "大排查";
    assert_int_equal(sl_finding_from_fields(f, 1794272400000, &row, &err), 0);
    assert_int_equal(sl_finding_prepare(&row.finding, routes, &err), SL_DECLINED);
    assert_string_equal(err.code, "bad_field:source_list");
    f[0] = "大督查";
    f[5] = "140781"; /* 介休市: known, not this node's territory */
    assert_int_equal(sl_finding_from_fields(f, 1794272400000, &row, &err), 0);
    assert_int_equal(sl_finding_prepare(&row.finding, routes, &err), SL_DECLINED);
    assert_string_equal(err.code, "bad_field:clue.place.division");
    sl_route_map_destroy(&routes);
}

static void
test_pledges(void **state)
{
    (void)state;
    char *lf[SL_LIAISON_CSV_COLS] = {"140728:emergency", "赵六", "科长", "", ""};
    sl_pb_liaison_t l;
    sl_codec_error_t err;
    assert_int_equal(sl_liaison_from_fields(lf, &l, &err), 0);
    assert_int_equal(sl_liaison_validate(&l, &err), SL_DECLINED); /* no phone at all */
    assert_string_equal(err.code, "missing_field:mobile");
    l.mobile = "13800000001";
    assert_int_equal(sl_liaison_validate(&l, &err), 0);

    assert_int_equal(sl_commitment_publicity("电视台"), 1);
    assert_int_equal(sl_commitment_publicity("POSTED"), 2);
    assert_int_equal(sl_commitment_publicity("广播"), 0);
    char *cf[SL_COMMITMENT_CSV_COLS] = {"平遥县人民政府", "",           "140728",
                                        "王县长",         "2026-11-12", "张贴"};
    sl_pb_commitment_t c;
    assert_int_equal(sl_commitment_from_fields(cf, &c, &err), 0);
    assert_int_equal(sl_commitment_validate(&c, NULL, &err), 0);
    char key[128];
    sl_commitment_key(&c, key, sizeof key);
    assert_string_equal(key, "平遥县人民政府|王县长|2026-11-12");
    c.publicity = 0;
    assert_int_equal(sl_commitment_validate(&c, NULL, &err), SL_DECLINED);
    assert_string_equal(err.code, "bad_field:publicity");
}

static void
test_plan(void **state)
{
    (void)state;
    char *f[SL_PLAN_CSV_COLS] = {"140728:emergency", "实施方案", "2026-11-08"};
    sl_pb_plan_t p;
    sl_codec_error_t err;
    assert_int_equal(sl_plan_from_fields(f, &p, &err), 0);
    assert_int_equal(sl_plan_validate(&p, &err), 0);
    char key[64];
    sl_plan_key(&p, key, sizeof key);
    assert_string_equal(key, "140728:emergency");
    p.submitted_on = "11月8日";
    assert_int_equal(sl_plan_validate(&p, &err), SL_DECLINED);
    assert_string_equal(err.code, "bad_field:submitted_on");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sample_size),
        cmocka_unit_test(test_sample_spreads_and_repeats),
        cmocka_unit_test(test_missed),
        cmocka_unit_test(test_csv_split),
        cmocka_unit_test(test_csv_each_names_every_bad_line),
        cmocka_unit_test(test_inspection_fields_and_checks),
        cmocka_unit_test(test_msg_id),
        cmocka_unit_test(test_accident),
        cmocka_unit_test(test_official),
        cmocka_unit_test(test_finding),
        cmocka_unit_test(test_pledges),
        cmocka_unit_test(test_plan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
