/* test_route.c — territory and routing between province, city and county. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "sl_route.h"
#include "sl_sector.h"
#include "sl_unit.h"

#include <string.h>

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

/* Which unit leads a sector: city gas goes to housing at province level (a
 * route, not a rename of the urban bureau); OTHER to the configured unit. */
static void
test_leads(void **state)
{
    (void)state;
    const sl_sector_t *gas = sl_sector_by_name("CITY_GAS");
    const sl_sector_t *other = sl_sector_by_value(SL_SECTOR_OTHER);
    assert_string_equal(sl_unit_lead_key(gas, "province", "emergency"), "housing");
    assert_string_equal(sl_unit_lead_key(gas, "city", "emergency"), "urban");
    assert_string_equal(sl_unit_lead_key(other, "county", "industry"), "industry");
    assert_string_equal(sl_unit_lead_key(other, "county", NULL), "emergency");
    assert_string_equal(sl_unit_lead_key(sl_sector_by_value(1), "county", "industry"), "emergency");
    /* The map routes to the lead migrate wrote, or else to <node>:<dept_key>. */
    sl_route_map_t *m = s_map("140000");
    sl_route_map_lead(m, gas->value, "140000:housing");
    sl_route_t r = sl_route_clue(m, "140000", gas->value);
    assert_int_equal(r.kind, SL_ROUTE_DEPARTMENT);
    assert_string_equal(r.unit, "140000:housing");
    assert_string_equal(sl_route_clue(m, "140000", 1).unit, "140000:emergency");
    sl_route_map_destroy(&m);
}

/* Department names per level from their patterns in sectors.csv. */
static void
test_dept_names(void **state)
{
    (void)state;
    char *n = sl_unit_dept_name("应急管理厅", "山西省", "");
    assert_string_equal(n, "山西省应急管理厅");
    free(n);
    n = sl_unit_dept_name("{parent}生态环境局{short}分局", "平遥县", "晋中市");
    assert_string_equal(n, "晋中市生态环境局平遥分局");
    free(n);
    n = sl_unit_dept_name("{parent}生态环境局{short}分局", "祁县", "晋中市");
    assert_string_equal(n, "晋中市生态环境局祁县分局");
    free(n);
    n = sl_unit_dept_name("{parent}公安局{short}分局", "榆次区", "晋中市");
    assert_string_equal(n, "晋中市公安局榆次分局");
    free(n);
    n = sl_unit_dept_name("{name}消防救援大队", "介休市", "晋中市");
    assert_string_equal(n, "介休市消防救援大队");
    free(n);
    /* every sector's pattern at every level makes a name ending in the unit */
    static const char *const levels[] = {"province", "city", "county"};
    for (size_t i = 0; i < SL_SECTOR_COUNT; i++)
        for (size_t l = 0; l < 3; l++) {
            n = sl_unit_dept_name(sl_sector_dept_name(sl_sector_at(i), levels[l]), "平遥县",
                                  "晋中市");
            assert_null(strchr(n, '{'));
            assert_true(strlen(n) > strlen("平遥县"));
            free(n);
        }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_county),
        cmocka_unit_test(test_city_and_province),
        cmocka_unit_test(test_leads),
        cmocka_unit_test(test_dept_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
