/* test_apply.c — sl_apply_prepare: who may send a body, whether it is valid,
 * where a clue goes (pure: no database). Also an example of use: sl-intake
 * fills an sl_apply_item_t per envelope and prepares it on its loop thread. */
#include "sl_apply.h"
#include "sl_sector.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

/* A city node 140700 (parent 140000) with counties 140728 and 140781. */
static sl_route_map_t *
s_map(const char *node)
{
    sl_route_map_t *m = sl_route_map_new(node);
    sl_route_map_add(m, "140000", "");
    sl_route_map_add(m, "140100", "140000");
    sl_route_map_add(m, "140700", "140000");
    sl_route_map_add(m, "140728", "140700");
    sl_route_map_add(m, "140781", "140700");
    return m;
}

/* A clue envelope about a place in DIVISION; the parts live in *F. */
typedef struct {
    sl_pb_envelope_t env;
    sl_pb_clue_t clue;
    sl_pb_subject_t subj;
    sl_pb_place_t place;
    sl_pb_transfer_t transfer;
} s_fixture_t;

static void
s_clue(s_fixture_t *f, const char *division)
{
    memset(f, 0, sizeof *f);
    f->env = (sl_pb_envelope_t)SL_PB_ENVELOPE_INIT;
    f->clue = (sl_pb_clue_t)SAFELOOP__V1__CLUE_REPORT__INIT;
    f->subj = (sl_pb_subject_t)SAFELOOP__V1__SUBJECT__INIT;
    f->place = (sl_pb_place_t)SAFELOOP__V1__PLACE__INIT;
    f->subj.name = "介休市某焦化有限公司";
    f->place.division = (char *)division;
    f->clue.channel = SAFELOOP__V1__CLUE_REPORT__CHANNEL__HOTLINE;
    f->clue.received_at = 1700000000000;
    f->clue.subject = &f->subj;
    f->clue.place = &f->place;
    f->clue.sector = SAFELOOP__V1__SECTOR__HAZARDOUS_CHEMICALS;
    f->env.msg_id = "m-1";
    f->env.producer = "hotline";
    f->env.body_case = SAFELOOP__V1__ENVELOPE__BODY_CLUE;
    f->env.clue = &f->clue;
}

/* The same clue inside a transfer from FROM to TO. */
static void
s_transfer(s_fixture_t *f, const char *from, const char *to)
{
    s_clue(f, "140728");
    f->transfer = (sl_pb_transfer_t)SAFELOOP__V1__TRANSFER__INIT;
    f->transfer.notice_no = "（危化）移〔2026〕3号";
    f->transfer.case_no = "140000-2026-危-000003";
    f->transfer.from_unit = (char *)from;
    f->transfer.to_unit = (char *)to;
    f->transfer.clue = &f->clue;
    f->env.body_case = SAFELOOP__V1__ENVELOPE__BODY_TRANSFER;
    f->env.transfer = &f->transfer;
}

static sl_apply_item_t
s_item(sl_pb_envelope_t *env, const sl_principal_t *p)
{
    sl_apply_item_t it = {.env = env, .principal = p, .sender = "test"};
    return it;
}

static void
test_clue_routes(void **state)
{
    (void)state;
    sl_route_map_t *m = s_map("140700");
    sl_apply_ctx_t ctx = {.node = "140700", .parent = "140000", .routes = m};
    s_fixture_t f;

    /* in a child's territory: down to the child's government */
    s_clue(&f, "140728");
    sl_apply_item_t it = s_item(&f.env, sl_principal_local());
    sl_apply_prepare(&ctx, &it);
    assert_int_equal(it.state, SL_APPLY_VALID);
    assert_int_equal(it.route.kind, SL_ROUTE_CHILD);
    assert_string_equal(it.unit, "140728");
    assert_ptr_equal(sl_apply_clue(&f.env), &f.clue);

    /* the node's own division: this level's lead department for the sector */
    s_clue(&f, "140700");
    it = s_item(&f.env, sl_principal_local());
    sl_apply_prepare(&ctx, &it);
    assert_int_equal(it.state, SL_APPLY_VALID);
    assert_int_equal(it.route.kind, SL_ROUTE_DEPARTMENT);
    char want[48];
    snprintf(want, sizeof want, "140700:%s",
             sl_sector_by_value(SAFELOOP__V1__SECTOR__HAZARDOUS_CHEMICALS)->dept_key);
    assert_string_equal(it.unit, want);

    /* outside the territory: valid, for the parent */
    s_clue(&f, "140100");
    it = s_item(&f.env, sl_principal_local());
    sl_apply_prepare(&ctx, &it);
    assert_int_equal(it.state, SL_APPLY_VALID);
    assert_int_equal(it.route.kind, SL_ROUTE_PARENT);
    assert_string_equal(it.unit, "");

    /* an unknown division: rejected */
    s_clue(&f, "990000");
    it = s_item(&f.env, sl_principal_local());
    sl_apply_prepare(&ctx, &it);
    assert_int_equal(it.state, SL_APPLY_REJECT);
    assert_string_equal(it.err.code, SL_ERR_UNKNOWN_DIVISION);

    /* a missing subject: rejected as invalid, not for its sender */
    s_clue(&f, "140728");
    f.subj.name = "";
    it = s_item(&f.env, sl_principal_local());
    sl_apply_prepare(&ctx, &it);
    assert_int_equal(it.state, SL_APPLY_REJECT);
    assert_string_equal(it.err.code, "missing_field:subject.name");
    assert_false(it.not_permitted);
    sl_route_map_destroy(&m);
}

static void
test_outside_at_the_top(void **state)
{
    (void)state;
    sl_route_map_t *m = s_map("140700");
    sl_apply_ctx_t ctx = {.node = "140700", .parent = "", .routes = m};
    s_fixture_t f;
    s_clue(&f, "140100");
    sl_apply_item_t it = s_item(&f.env, sl_principal_local());
    sl_apply_prepare(&ctx, &it);
    assert_int_equal(it.state, SL_APPLY_REJECT);
    assert_string_equal(it.err.code, SL_ERR_UNKNOWN_DIVISION);
    sl_route_map_destroy(&m);
}

static void
test_senders(void **state)
{
    (void)state;
    sl_route_map_t *m = s_map("140700");
    sl_apply_ctx_t ctx = {.node = "140700", .parent = "140000", .routes = m};
    s_fixture_t f;

    /* a key the config does not name */
    s_clue(&f, "140728");
    sl_apply_item_t it = s_item(&f.env, NULL);
    sl_apply_prepare(&ctx, &it);
    assert_int_equal(it.state, SL_APPLY_REJECT);
    assert_true(it.not_permitted);
    assert_string_equal(it.err.code, SL_ERR_NOT_PERMITTED);

    /* a producer that may send progress only */
    sl_principal_t prod = {.kind = SL_PRINCIPAL_PRODUCER, .name = "app", .may = SL_MAY_PROGRESS};
    it = s_item(&f.env, &prod);
    sl_apply_prepare(&ctx, &it);
    assert_int_equal(it.state, SL_APPLY_REJECT);
    assert_true(it.not_permitted);

    /* one that may send clues */
    prod.may = SL_MAY_CLUE;
    it = s_item(&f.env, &prod);
    sl_apply_prepare(&ctx, &it);
    assert_int_equal(it.state, SL_APPLY_VALID);
    assert_false(it.not_permitted);
    sl_route_map_destroy(&m);
}

static void
test_transfer_from_the_parent(void **state)
{
    (void)state;
    sl_route_map_t *m = s_map("140700");
    sl_apply_ctx_t ctx = {.node = "140700", .parent = "140000", .routes = m};
    sl_principal_t parent = {.kind = SL_PRINCIPAL_PARENT, .name = "140000"};
    s_fixture_t f;

    s_transfer(&f, "140000", "140700");
    sl_apply_item_t it = s_item(&f.env, &parent);
    sl_apply_prepare(&ctx, &it);
    assert_int_equal(it.state, SL_APPLY_VALID);
    /* its clue becomes this node's, carrying the upper numbers */
    assert_ptr_equal(sl_apply_clue(&f.env), &f.clue);
    assert_int_equal(f.clue.channel, SAFELOOP__V1__CLUE_REPORT__CHANNEL__UPPER_TRANSFER);
    assert_string_equal(f.clue.upper_case_no, "140000-2026-危-000003");
    assert_string_equal(f.clue.upper_notice_no, "（危化）移〔2026〕3号");
    assert_string_equal(f.clue.origin_node, "140000");
    assert_int_equal(it.route.kind, SL_ROUTE_CHILD);
    assert_string_equal(it.unit, "140728");

    /* addressed to another node */
    s_transfer(&f, "140000", "140100");
    it = s_item(&f.env, &parent);
    sl_apply_prepare(&ctx, &it);
    assert_int_equal(it.state, SL_APPLY_REJECT);
    assert_string_equal(it.err.code, "bad_field:to_unit");

    /* without a notice number */
    s_transfer(&f, "140000", "140700");
    f.transfer.notice_no = "";
    it = s_item(&f.env, &parent);
    sl_apply_prepare(&ctx, &it);
    assert_int_equal(it.state, SL_APPLY_REJECT);
    assert_string_equal(it.err.code, "missing_field:notice_no");

    /* the place outside this node's territory */
    s_transfer(&f, "140000", "140700");
    f.place.division = "140100";
    it = s_item(&f.env, &parent);
    sl_apply_prepare(&ctx, &it);
    assert_int_equal(it.state, SL_APPLY_REJECT);
    assert_string_equal(it.err.code, "bad_field:clue.place.division");

    /* a child may not send a transfer down */
    sl_principal_t child = {.kind = SL_PRINCIPAL_CHILD, .name = "140728"};
    s_transfer(&f, "140000", "140700");
    it = s_item(&f.env, &child);
    sl_apply_prepare(&ctx, &it);
    assert_int_equal(it.state, SL_APPLY_REJECT);
    assert_true(it.not_permitted);
    sl_route_map_destroy(&m);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clue_routes),
        cmocka_unit_test(test_outside_at_the_top),
        cmocka_unit_test(test_senders),
        cmocka_unit_test(test_transfer_from_the_parent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
