/* test_ranking.c — sl_ranking: the ranking publication's body from a run's
 * result, and its CSV. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sl_ranking.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A run's result as sl_appraise_compute makes it: two places, one listed. */
static json_t *
s_result(const char *period, bool departments)
{
    json_t *res = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:b, s:s}, s:["
        "{s:s, s:s, s:i, s:f, s:b, s:s, s:i, s:[{s:s, s:s, s:i, s:i, s:f, s:f, s:b},"
        "  {s:s, s:s, s:i, s:i, s:f, s:f, s:b}]},"
        "{s:s, s:s, s:i, s:f, s:b, s:s, s:i, s:[{s:s, s:s, s:i, s:i, s:f, s:f, s:b},"
        "  {s:s, s:s, s:i, s:i, s:f, s:f, s:b}]}]}",
        "period", period, "from", "2026-11-01", "to", "2026-11-30", "as_of", "2026-11-30T16:00:00Z",
        "inputs_hash", "abc", "rules", "version", "项目默认规则-2026.2", "label", "项目默认规则",
        "project_defaults", 1, "hash", "def", "places", "code", "140728", "name", "平遥县人民政府",
        "rank", 1, "total", 52.25, "supervision", 0, "reasons", "", "clues", 3, "components", "key",
        "feedback", "name", "按时反馈", "num", 2, "den", 3, "weight", 15.0, "score", 10.0,
        "failing", 0, "key", "escalated", "name", "接而不办、逾期、虚假办结", "num", 0, "den", 3,
        "weight", 10.0, "score", 10.0, "failing", 1, "code", "140729", "name", "灵石县人民政府",
        "rank", 2, "total", 0.0, "supervision", 1, "reasons", "问题线索偏少（本月0条）", "clues", 0,
        "components", "key", "feedback", "name", "按时反馈", "num", 0, "den", 0, "weight", 15.0,
        "score", 0.0, "failing", 0, "key", "escalated", "name", "接而不办、逾期、虚假办结", "num",
        0, "den", 0, "weight", 10.0, "score", 0.0, "failing", 1);
    assert_non_null(res);
    if (departments) {
        json_t *d = json_deep_copy(json_array_get(json_object_get(res, "places"), 0));
        json_object_set_new(d, "code", json_string("140700:emergency"));
        json_object_set_new(d, "name", json_string("晋中市应急管理局"));
        json_object_set_new(res, "departments", json_pack("[o]", d));
    }
    return res;
}

static void
test_body(void **state)
{
    (void)state;
    json_t *res = s_result("2026-11", false);
    json_t *b = sl_ranking_body(res, "李主任", "<svg/>");
    assert_string_equal(json_string_value(json_object_get(b, "period_text")), "2026年11月");
    assert_string_equal(json_string_value(json_object_get(b, "approved_by")), "李主任");
    assert_string_equal(json_string_value(json_object_get(b, "rules_version")),
                        "项目默认规则-2026.2");
    assert_true(json_is_true(json_object_get(b, "project_defaults")));
    const json_t *items = json_object_get(b, "items");
    assert_int_equal(json_array_size(items), 2);
    const json_t *first = json_array_get(items, 0);
    assert_string_equal(json_string_value(json_object_get(first, "total")), "52.25");
    const json_t *c = json_array_get(json_object_get(first, "components"), 0);
    assert_string_equal(json_string_value(json_object_get(c, "num")), "2");
    assert_string_equal(json_string_value(json_object_get(c, "den")), "3");
    assert_string_equal(json_string_value(json_object_get(c, "score")), "10.00");
    assert_string_equal(json_string_value(json_object_get(c, "weight")), "15");
    /* the listed place, with its reason */
    const json_t *sup = json_object_get(b, "supervised");
    assert_int_equal(json_array_size(sup), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(sup, 0), "name")),
                        "灵石县人民政府");
    assert_null(json_object_get(b, "departments"));
    json_decref(b);
    json_decref(res);
    /* the final evaluation names the campaign's span */
    res = s_result("final", false);
    b = sl_ranking_body(res, "省政府", "");
    assert_string_equal(json_string_value(json_object_get(b, "period_text")),
                        "集中行动期间（2026-11-01至2026-11-30）");
    json_decref(b);
    json_decref(res);
}

static void
test_csv(void **state)
{
    (void)state;
    json_t *res = s_result("2026-11", true);
    json_t *b = sl_ranking_body(res, "李主任", "");
    sl_buf_t out;
    sl_buf_init(&out);
    sl_ranking_csv(b, &out);
    const char *want = "\xEF\xBB\xBF"
                       "名次,地方,总分,按时反馈（分子/分母）,按时反馈得分（权重15）,"
                       "接而不办、逾期、虚假办结（分子/分母）,"
                       "接而不办、逾期、虚假办结得分（权重10）,列入重点督导的原因\r\n"
                       "1,平遥县人民政府,52.25,2/3,10.00,0/3,10.00,\r\n"
                       "2,灵石县人民政府,0.00,0/0,0.00,0/0,0.00,问题线索偏少（本月0条）\r\n"
                       "\r\n"
                       "名次,部门,总分,按时反馈（分子/分母）,按时反馈得分（权重15）,"
                       "接而不办、逾期、虚假办结（分子/分母）,"
                       "接而不办、逾期、虚假办结得分（权重10）\r\n"
                       "1,晋中市应急管理局,52.25,2/3,10.00,0/3,10.00\r\n";
    assert_string_equal(out.data, want);
    sl_buf_free(&out);
    json_decref(b);
    json_decref(res);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_body),
        cmocka_unit_test(test_csv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
