/* test_appraise.c — sl_appraise's pure parts: the rules file read and hashed, the chart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sl_appraise.h"
#include "sl_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
test_rules_load(void **state)
{
    (void)state;
    sl_appraise_rules_t r;
    char err[512];
    char *path = sl_asprintf("%s/deploy/appraise-rules.ini", SL_SOURCE_DIR);
    assert_int_equal(sl_appraise_rules_load(path, &r, err, sizeof err), 0);
    assert_int_equal(strlen(r.hash), 64);
    assert_true(r.r.project_defaults);
    sl_appraise_rules_t again;
    assert_int_equal(sl_appraise_rules_load(path, &again, err, sizeof err), 0);
    assert_string_equal(r.hash, again.hash);
    free(path);
    assert_int_equal(sl_appraise_rules_load("/nonexistent/rules.ini", &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "could not read rules file"));
}

static void
test_svg(void **state)
{
    (void)state;
    json_t *res =
        json_pack("{s:s, s:s, s:{s:s, s:b}, s:[{s:s, s:i, s:f, s:b}, {s:s, s:i, s:f, s:b}]}",
                  "period", "2026-11", "to", "2026-11-30", "rules", "version", "v<1>",
                  "project_defaults", 1, "places", "name", "平遥县", "rank", 1, "total", 80.5,
                  "supervision", 0, "name", "A&B县", "rank", 2, "total", 40.25, "supervision", 1);
    char *svg = sl_appraise_svg(res);
    assert_non_null(strstr(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert_non_null(strstr(svg, "2026年11月考评排队"));
    assert_non_null(strstr(svg, "考评规则：v&lt;1&gt;（项目默认规则）"));
    assert_non_null(strstr(svg, "第2名　A&amp;B县"));
    assert_non_null(strstr(svg, "40.25（重点督导）"));
    assert_null(strstr(svg, "href"));
    /* bars in proportion: the first is the full 460, the second half of it */
    assert_non_null(strstr(svg, "width=\"460\""));
    assert_non_null(strstr(svg, "width=\"230\""));
    free(svg);
    json_object_set_new(res, "period", json_string("final"));
    svg = sl_appraise_svg(res);
    assert_non_null(strstr(svg, "集中行动综合考评排队"));
    free(svg);
    json_decref(res);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules_load),
        cmocka_unit_test(test_svg),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
