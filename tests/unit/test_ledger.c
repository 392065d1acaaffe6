/* test_ledger.c — the six lists: feedback results → entries, CSV, closing rules.
 *
 * The mapping of a verified result to six-list entries (every result item, the
 * police's 立案 and the discipline commission's 处分), the 挂牌督办 entry at
 * 验收销号, RFC 4180 quoting, the per-kind feedback rules, the SUPERVISE
 * decision's validation and who may send it, and the state-table cells
 * verification uses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "sl_ledger.h"
#include "sl_principal.h"
#include "sl_transfer_fsm.h"
#include "sl_validate.h"

#include <stdio.h>
#include <string.h>

/* "list/item" of each entry, comma-separated, into BUF. */
static const char *
s_map(const sl_ledger_result_t *r, sl_ledger_item_t *items, size_t *n)
{
    static char buf[1024];
    *n = sl_ledger_map(r, items);
    buf[0] = '\0';
    for (size_t i = 0; i < *n; i++)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s/%s", i ? "," : "",
                 items[i].list, items[i].item);
    return buf;
}

static void
test_lists(void **state)
{
    (void)state;
    const char *want[] = {"隐患整改", "惩治处罚", "约谈问责", "挂牌督办", "联合惩戒", "选树提升"};
    for (int i = 0; i < SL_LEDGER_LISTS; i++) {
        assert_string_equal(sl_ledger_list_name(i), want[i]);
        assert_true(sl_ledger_list_valid(want[i]));
    }
    assert_false(sl_ledger_list_valid("隐患"));
    assert_false(sl_ledger_list_valid(NULL));
    assert_string_equal(sl_ledger_list_name(6), "");
}

static void
test_map_handling(void **state)
{
    (void)state;
    sl_ledger_item_t items[SL_LEDGER_MAX_ITEMS];
    size_t n;
    sl_ledger_result_t r;
    /* nothing to enter */
    assert_int_equal(sl_ledger_result_parse("{\"violation_nature\":\"x\"}", "handling", &r), 0);
    assert_string_equal(s_map(&r, items, &n), "");
    assert_int_equal(n, 0);
    /* every item of a handling result, as the transfer stores it */
    const char *fb = "{\"closed_down\":true,\"credit_punished\":true,\"criminal_count\":3,"
                     "\"disciplined_count\":2,\"escalated_verification\":false,"
                     "\"interviews\":4,\"license_revoked\":true,\"major_hazard_rectified\":true,"
                     "\"measures\":\"\",\"penalized\":true,\"penalty_fen\":5000050,"
                     "\"production_suspended\":true,\"rectified\":true,\"result_text\":\"\","
                     "\"sign_off\":{\"leader_name\":\"王\"},\"violation_nature\":\"非法\"}";
    assert_int_equal(sl_ledger_result_parse(fb, "handling", &r), 0);
    assert_string_equal(s_map(&r, items, &n),
                        "隐患整改/重大事故隐患整改,惩治处罚/行政处罚,惩治处罚/停产整顿,"
                        "惩治处罚/关闭取缔,惩治处罚/吊销证照,惩治处罚/刑事责任追究,"
                        "约谈问责/党纪政务处分,约谈问责/约谈,联合惩戒/失信联合惩戒");
    assert_int_equal(items[1].amount_fen, 5000050);
    assert_string_equal(items[1].details, "罚款50000.50元");
    assert_int_equal(items[5].persons, 3);
    assert_int_equal(items[6].persons, 2);
    assert_int_equal(items[7].persons, 4);
    assert_int_equal(items[0].persons, 0);
    /* one item alone makes one entry */
    memset(&r, 0, sizeof r);
    strcpy(r.kind, "handling");
    r.interviews = 1;
    assert_string_equal(s_map(&r, items, &n), "约谈问责/约谈");
    /* a police result on a handling transfer makes no 立案 entry */
    memset(&r, 0, sizeof r);
    strcpy(r.kind, "handling");
    r.police_filed = true;
    assert_string_equal(s_map(&r, items, &n), "");
    assert_int_equal(sl_ledger_result_parse("[1]", "handling", &r), -1);
    assert_int_equal(sl_ledger_result_parse("not json", "handling", &r), -1);
}

static void
test_map_two_transfers(void **state)
{
    (void)state;
    sl_ledger_item_t items[SL_LEDGER_MAX_ITEMS];
    size_t n;
    sl_ledger_result_t r;
    assert_int_equal(sl_ledger_result_parse("{\"police_filed\":true,\"police_result\":\"以涉嫌"
                                            "重大责任事故罪立案侦查\",\"criminal_count\":2}",
                                            "police", &r),
                     0);
    assert_string_equal(s_map(&r, items, &n), "惩治处罚/刑事责任追究,惩治处罚/公安机关立案");
    assert_string_equal(items[1].details, "立案：以涉嫌重大责任事故罪立案侦查");
    /* 不予立案: the result stays on the transfer, no entry */
    assert_int_equal(sl_ledger_result_parse(
                         "{\"police_filed\":false,\"police_result\":\"不予立案\"}", "police", &r),
                     0);
    assert_string_equal(s_map(&r, items, &n), "");
    /* the discipline commission's 处分, even without a count */
    assert_int_equal(sl_ledger_result_parse("{\"discipline_result\":\"给予党内严重警告处分\"}",
                                            "discipline", &r),
                     0);
    assert_string_equal(s_map(&r, items, &n), "约谈问责/党纪政务处分");
    assert_string_equal(items[0].details, "纪检监察机关：给予党内严重警告处分（0 人）");
    r.disciplined_count = 1;
    assert_string_equal(s_map(&r, items, &n), "约谈问责/党纪政务处分");
    assert_int_equal(items[0].persons, 1);
    /* the 挂牌督办 entry, 已验收销号 */
    sl_ledger_item_t it;
    sl_ledger_supervision_item("张副县长", "副县长", "2026-11-10", &it);
    assert_string_equal(it.list, "挂牌督办");
    assert_string_equal(it.item, "挂牌督办");
    assert_string_equal(it.details,
                        "已验收销号；督办领导：张副县长（副县长）；2026-11-10起挂牌督办");
    sl_ledger_supervision_item("张", "", "2026-11-10", &it);
    assert_string_equal(it.details, "已验收销号；督办领导：张；2026-11-10起挂牌督办");
}

static void
test_csv(void **state)
{
    (void)state;
    assert_memory_equal(SL_LEDGER_BOM, "\xEF\xBB\xBF", 3);
    sl_buf_t b;
    sl_buf_init(&b);
    const char *row[] = {"隐患整改", "a,b", "say \"hi\"", "two\nlines", "cr\r", "", NULL, "x"};
    sl_ledger_csv_row(&b, row, 8);
    assert_string_equal(b.data,
                        "隐患整改,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\"cr\r\",,,x\r\n");
    sl_buf_reset(&b);
    sl_ledger_csv_row(&b, sl_ledger_headers(), SL_LEDGER_COLS);
    assert_string_equal(b.data, "清单,事项,线索编号,交办文号,单位,单位名称,涉及单位,日期,"
                                "人数,金额（元）,详情,录入人\r\n");
    sl_buf_reset(&b);
    const char *one[] = {"\""};
    sl_ledger_csv_row(&b, one, 1);
    assert_string_equal(b.data, "\"\"\"\"\r\n");
    sl_buf_free(&b);
}

static const char *
s_kind(const sl_pb_feedback_t *f, const char *kind)
{
    static sl_codec_error_t err;
    memset(&err, 0, sizeof err);
    return sl_validate_feedback_kind(f, kind, &err) == 0 ? "ok" : err.code;
}

static void
test_feedback_kind(void **state)
{
    (void)state;
    sl_pb_feedback_t f = SAFELOOP__V1__FEEDBACK__INIT;
    assert_string_equal(s_kind(&f, "handling"), "ok");
    assert_string_equal(s_kind(&f, "police"), "missing_field:police_result");
    assert_string_equal(s_kind(&f, "discipline"), "missing_field:discipline_result");
    f.police_result = "以涉嫌重大责任事故罪立案侦查";
    f.police_filed = true;
    assert_string_equal(s_kind(&f, "police"), "ok");
    assert_string_equal(s_kind(&f, "handling"), "bad_field:police_result");
    assert_string_equal(s_kind(&f, "discipline"), "bad_field:police_result");
    f.police_result = "";
    assert_string_equal(s_kind(&f, "handling"), "bad_field:police_filed");
    f.police_filed = false;
    f.discipline_result = "给予政务记过处分";
    assert_string_equal(s_kind(&f, "discipline"), "ok");
    assert_string_equal(s_kind(&f, "handling"), "bad_field:discipline_result");
    f.police_result = "不予立案";
    assert_string_equal(s_kind(&f, "police"), "bad_field:discipline_result");
}

static const char *
s_answer(const sl_pb_envelope_t *env)
{
    static sl_codec_error_t err;
    memset(&err, 0, sizeof err);
    return sl_validate_answer(env, &err) == 0 ? "ok" : err.code;
}

static void
test_supervise(void **state)
{
    (void)state;
    sl_pb_decision_t d = SAFELOOP__V1__DECISION__INIT;
    sl_pb_sign_off_t so = SAFELOOP__V1__SIGN_OFF__INIT;
    sl_pb_envelope_t env = SL_PB_ENVELOPE_INIT;
    env.body_case = SAFELOOP__V1__ENVELOPE__BODY_DECISION;
    env.decision = &d;
    d.kind = SAFELOOP__V1__DECISION__KIND__SUPERVISE;
    assert_string_equal(s_answer(&env), "missing_field:case_no");
    d.case_no = "140728-2026-煤-000001";
    assert_string_equal(s_answer(&env), "missing_field:from_unit");
    d.from_unit = "140728";
    assert_string_equal(s_answer(&env), "missing_field:leader.leader_name");
    d.leader = &so;
    so.leader_name = "  ";
    assert_string_equal(s_answer(&env), "missing_field:leader.leader_name");
    so.leader_name = "张副县长";
    assert_string_equal(s_answer(&env), "ok"); /* no notice number needed */
    /* verification still needs its notice, and a failure its reason */
    d.kind = SAFELOOP__V1__DECISION__KIND__VERIFY_FAIL;
    assert_string_equal(s_answer(&env), "missing_field:notice_no");
    d.notice_no = "（煤）移〔2026〕1号";
    assert_string_equal(s_answer(&env), "missing_field:reason");
    d.reason = "虚假办结";
    assert_string_equal(s_answer(&env), "ok");
    d.kind = SAFELOOP__V1__DECISION__KIND__SUPERVISE_END; /* recorded, never sent */
    assert_string_equal(s_answer(&env), "bad_field:kind");

    /* who may decide: this node's operators, the parent for its own; no producer */
    d.kind = SAFELOOP__V1__DECISION__KIND__SUPERVISE;
    sl_codec_error_t err;
    assert_int_equal(sl_permit(sl_principal_local(), &env, "140728", &err), 0);
    sl_principal_t parent = {.kind = SL_PRINCIPAL_PARENT, .name = "140700"};
    assert_int_equal(sl_permit(&parent, &env, "140728", &err), SL_DECLINED);
    assert_string_equal(err.code, "wrong_origin");
    d.from_unit = "140700";
    assert_int_equal(sl_permit(&parent, &env, "140728", &err), 0);
    sl_principal_t prod = {
        .kind = SL_PRINCIPAL_PRODUCER, .name = "emergency", .unit = "140728:emergency", .may = ~0u};
    assert_int_equal(sl_permit(&prod, &env, "140728", &err), SL_DECLINED);
    assert_string_equal(err.code, "not_permitted");
}

static void
test_verify_cells(void **state)
{
    (void)state;
    sl_transfer_outcome_t out;
    sl_transfer_step(SL_TS_FED_BACK, SL_TM_VERIFY_PASS, NULL, &out);
    assert_true(out.applied);
    assert_int_equal(out.next, SL_TS_CLOSED);
    sl_transfer_step(SL_TS_FED_BACK, SL_TM_VERIFY_FAIL, NULL, &out);
    assert_true(out.applied);
    assert_int_equal(out.next, SL_TS_RECEIVED); /* reopened: feedback again */
    sl_transfer_step(SL_TS_RECEIVED, SL_TM_FEEDBACK, NULL, &out);
    assert_true(out.applied);
    sl_transfer_step(SL_TS_CLOSED, SL_TM_VERIFY_PASS, NULL, &out);
    assert_false(out.applied);
    assert_string_equal(out.code, "wrong_state:closed");
    sl_transfer_step(SL_TS_IN_PROGRESS, SL_TM_VERIFY_FAIL, NULL, &out);
    assert_string_equal(out.code, "wrong_state:in_progress");
    assert_string_equal(sl_transfer_case_status(SL_TS_CLOSED), "closed");
}

/* The 隐患整改 list holds an open major hazard with its 整改时限 and 责任人;
 * one not yet given reads 待报. */
static void
test_open_hazard(void **state)
{
    (void)state;
    sl_ledger_item_t it;
    sl_ledger_open_hazard_item("2026-12-31", "张三（矿长）", &it);
    assert_string_equal(it.list, "隐患整改");
    assert_string_equal(it.item, SL_LEDGER_OPEN_HAZARD);
    assert_string_equal(it.details,
                        "重大事故隐患尚未整改到位；整改时限：2026-12-31；责任人：张三（矿长）");
    assert_int_equal(it.persons, 0);
    sl_ledger_open_hazard_item("", NULL, &it);
    assert_string_equal(it.details, "重大事故隐患尚未整改到位；整改时限：待报；责任人：待报");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lists),
        cmocka_unit_test(test_map_handling),
        cmocka_unit_test(test_map_two_transfers),
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_feedback_kind),
        cmocka_unit_test(test_supervise),
        cmocka_unit_test(test_verify_cells),
        cmocka_unit_test(test_open_hazard),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
