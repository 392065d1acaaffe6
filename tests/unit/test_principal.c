/* test_principal.c — who may send what: sl_permit's table of rights. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "sl_principal.h"

#include <string.h>

static sl_principal_t
s_p(sl_principal_kind_t kind, const char *name, const char *unit, unsigned may)
{
    sl_principal_t p;
    memset(&p, 0, sizeof p);
    p.kind = kind;
    snprintf(p.name, sizeof p.name, "%s", name);
    snprintf(p.unit, sizeof p.unit, "%s", unit);
    p.may = may;
    return p;
}

static const char *
s_code(const sl_principal_t *p, const sl_pb_envelope_t *env)
{
    static sl_codec_error_t err;
    memset(&err, 0, sizeof err);
    return sl_permit(p, env, "140700", &err) == 0 ? "ok" : err.code;
}

static void
test_rights(void **state)
{
    (void)state;
    sl_pb_clue_t clue = SAFELOOP__V1__CLUE_REPORT__INIT;
    sl_pb_receipt_t receipt = SAFELOOP__V1__RECEIPT__INIT;
    sl_pb_transfer_t transfer = SAFELOOP__V1__TRANSFER__INIT;
    sl_pb_envelope_t c = SL_PB_ENVELOPE_INIT, r = SL_PB_ENVELOPE_INIT, t = SL_PB_ENVELOPE_INIT;
    c.body_case = SAFELOOP__V1__ENVELOPE__BODY_CLUE, c.clue = &clue;
    r.body_case = SAFELOOP__V1__ENVELOPE__BODY_RECEIPT, r.receipt = &receipt;
    t.body_case = SAFELOOP__V1__ENVELOPE__BODY_TRANSFER, t.transfer = &transfer;

    sl_principal_t hotline = s_p(SL_PRINCIPAL_PRODUCER, "hotline", "", SL_MAY_CLUE);
    sl_principal_t dept = s_p(SL_PRINCIPAL_PRODUCER, "ems", "140700:emergency", SL_MAY_RECEIPT);
    sl_principal_t child = s_p(SL_PRINCIPAL_CHILD, "140728", "", 0);
    sl_principal_t parent = s_p(SL_PRINCIPAL_PARENT, "140000", "", 0);

    assert_string_equal(s_code(&hotline, &c), "ok");
    assert_string_equal(s_code(&hotline, &r), "not_permitted");
    assert_string_equal(s_code(&dept, &c), "not_permitted");
    receipt.from_unit = "140700:emergency";
    assert_string_equal(s_code(&dept, &r), "ok");
    receipt.from_unit = "140700:transport";
    assert_string_equal(s_code(&dept, &r), "wrong_origin");
    /* a child forwards clues under its own origin only, on the lower-node channel */
    clue.origin_node = "140728";
    clue.channel = SAFELOOP__V1__CLUE_REPORT__CHANNEL__LOWER_NODE;
    assert_string_equal(s_code(&child, &c), "ok");
    clue.origin_node = "140781";
    assert_string_equal(s_code(&child, &c), "wrong_origin");
    /* a producer's clue names no node as its origin */
    assert_string_equal(s_code(&hotline, &c), "wrong_origin");
    receipt.from_unit = "140728";
    assert_string_equal(s_code(&child, &r), "ok");
    transfer.from_unit = "140728";
    assert_string_equal(s_code(&child, &t), "not_permitted");
    transfer.from_unit = "140000";
    assert_string_equal(s_code(&parent, &t), "ok");
    transfer.from_unit = "140100";
    assert_string_equal(s_code(&parent, &t), "wrong_origin");
    assert_string_equal(s_code(&parent, &r), "not_permitted");
    assert_string_equal(s_code(NULL, &c), "not_permitted");
    assert_string_equal(s_code(sl_principal_local(), &t), "ok");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_rights)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
