/* test_subject.c — "the same subject": name keys and credit codes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "sl_subject.h"

#include <string.h>

static void
expect_key(const char *name, const char *want)
{
    char *k = sl_subject_key(name);
    assert_string_equal(k, want);
    free(k);
}

static void
test_key_folds_space_and_width(void **state)
{
    (void)state;
    expect_key("  平遥县 某某 煤业有限公司 ", "平遥县某某煤业有限公司");
    expect_key("平遥县\u3000某某煤业", "平遥县某某煤业");
    expect_key("ＡＢＣ１２３煤业（集团）", "ABC123煤业(集团)");
    expect_key("【晋中】某公司〔二矿〕", "[晋中]某公司[二矿]");
    expect_key("", "");
}

static void
test_credit_decides(void **state)
{
    (void)state;
    char *a = sl_subject_credit(" ９１１４０７２８ma0xxxxx1 ");
    assert_string_equal(a, "91140728MA0XXXXX1");
    /* both have codes: the codes decide, whatever the names */
    assert_true(sl_subject_same("甲公司", a, "乙公司", "91140728MA0XXXXX1"));
    assert_false(sl_subject_same("甲公司", a, "甲公司", "91140728MA0YYYYY2"));
    /* one side without a code: the names decide */
    assert_true(sl_subject_same("甲公司", a, "甲公司", ""));
    assert_false(sl_subject_same("甲公司", "", "乙公司", NULL));
    free(a);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_folds_space_and_width),
        cmocka_unit_test(test_credit_decides),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
