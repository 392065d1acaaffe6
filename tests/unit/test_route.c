/* test_route.c — territory and routing between province, city and county. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "sl_route.h"

static sl_route_map_t *
s_map(const char *node)
{
    sl_route_map_t *m = sl_route_map_new(node);
    sl_route_map_add(m, "140000", "");
    sl_route_map_add(m, "140100", "140000");
    sl_route_map_add(m, "140105", "140100");
    sl_route_map_add(m, "140700", "140000");
    sl_route_map_add(m, "140728", "140700");
    sl_route_map_add(m, "140781", "140700");
    return m;
}

static void
test_county(void **state)
{
    (void)state;
    sl_route_map_t *m = s_map("140728");
    assert_int_equal(sl_route_clue(m, "140728", 1).kind, SL_ROUTE_DEPARTMENT);
    assert_int_equal(sl_route_clue(m, "140781", 1).kind, SL_ROUTE_PARENT);
    assert_int_equal(sl_route_clue(m, "140700", 1).kind, SL_ROUTE_PARENT);
    assert_int_equal(sl_route_clue(m, "990000", 1).kind, SL_ROUTE_UNKNOWN);
    assert_int_equal(sl_route_clue(m, "14072", 1).kind, SL_ROUTE_UNKNOWN);
    assert_true(sl_route_in_territory(m, "140728"));
    assert_false(sl_route_in_territory(m, "140781"));
    sl_route_map_destroy(&m);
    assert_null(m);
}

static void
test_city_and_province(void **state)
{
    (void)state;
    sl_route_map_t *m = s_map("140700");
    sl_route_t r = sl_route_clue(m, "140781", 4);
    assert_int_equal(r.kind, SL_ROUTE_CHILD);
    assert_string_equal(r.child, "140781");
    assert_int_equal(sl_route_clue(m, "140700", 4).kind, SL_ROUTE_DEPARTMENT);
    assert_int_equal(sl_route_clue(m, "140105", 4).kind, SL_ROUTE_PARENT);
    /* a sector kept at this level stays with the lead department */
    sl_route_map_keep(m, 4);
    assert_int_equal(sl_route_clue(m, "140781", 4).kind, SL_ROUTE_DEPARTMENT);
    assert_int_equal(sl_route_clue(m, "140781", 1).kind, SL_ROUTE_CHILD);
    sl_route_map_destroy(&m);

    m = s_map("140000");
    r = sl_route_clue(m, "140728", 1);
    assert_int_equal(r.kind, SL_ROUTE_CHILD);
    assert_string_equal(r.child, "140700");
    assert_int_equal(sl_route_clue(m, "140000", 1).kind, SL_ROUTE_DEPARTMENT);
    sl_route_map_destroy(&m);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_county),
        cmocka_unit_test(test_city_and_province),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
