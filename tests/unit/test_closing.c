/* test_closing.c — the result of the check and the closing rules (issue 15).
 *
 * The four conclusions by name and in Chinese, which of them need a
 * rectification; the validation of the new Feedback fields (conclusion,
 * exposure and where, measures ⑤–⑦, no plan on a case found untrue); how they
 * are stored, printed for `case show` and entered in the six lists (暂扣 apart
 * from 吊销); the police's figure of persons prosecuted counted once; 销号
 * only when rectified, found untrue or on a plan with a date not yet passed and
 * a responsible person; sl-deadline's clock of a plan's date; the reopening
 * cell of the state table; a repeat report's facts kept, never its reporter;
 * the repeat count on the notice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "sl_clock.h"
#include "sl_closing.h"
#include "sl_deadline.h"
#include "sl_ledger.h"
#include "sl_notice.h"
#include "sl_transfer_fsm.h"
#include "sl_validate.h"

#include <stdio.h>
#include <string.h>

static void
test_conclusions(void **state)
{
    (void)state;
    const char *zh[] = {"未填写", "属实", "部分属实", "不属实", "查无实据"};
    const char *names[] = {"", "SUBSTANTIATED", "PARTLY_SUBSTANTIATED", "UNSUBSTANTIATED",
                           "NO_EVIDENCE"};
    for (int c = 0; c < SL_CONCLUSION_COUNT; c++) {
        assert_string_equal(sl_closing_conclusion_zh(c), zh[c]);
        assert_string_equal(sl_closing_conclusion_name(c), names[c]);
        assert_int_equal(sl_closing_conclusion_parse(zh[c]), c == 0 ? -1 : c);
        assert_int_equal(sl_closing_conclusion_parse(names[c]), c == 0 ? -1 : c);
    }
    /* the wire enum and ours agree */
    assert_int_equal(SAFELOOP__V1__FEEDBACK__CONCLUSION__NO_EVIDENCE, SL_CONCLUSION_NO_EVIDENCE);
    assert_int_equal(SAFELOOP__V1__FEEDBACK__CONCLUSION__PARTLY_SUBSTANTIATED,
                     SL_CONCLUSION_PARTLY);
    assert_int_equal(sl_closing_conclusion_parse("属"), -1);
    assert_int_equal(sl_closing_conclusion_parse(NULL), -1);
    assert_string_equal(sl_closing_conclusion_zh(9), "");
    assert_true(sl_closing_needs_rectification(SL_CONCLUSION_SUBSTANTIATED));
    assert_true(sl_closing_needs_rectification(SL_CONCLUSION_PARTLY));
    assert_true(sl_closing_needs_rectification(SL_CONCLUSION_UNSPECIFIED));
    assert_false(sl_closing_needs_rectification(SL_CONCLUSION_UNSUBSTANTIATED));
    assert_false(sl_closing_needs_rectification(SL_CONCLUSION_NO_EVIDENCE));
}

static sl_pb_sign_off_t s_so = {PROTOBUF_C_MESSAGE_INIT(&safeloop__v1__sign_off__descriptor),
                                "王县长", "县长", 1};

static void
s_feedback(sl_pb_feedback_t *fb, sl_pb_envelope_t *env)
{
    *fb = (sl_pb_feedback_t)SAFELOOP__V1__FEEDBACK__INIT;
    *env = (sl_pb_envelope_t)SL_PB_ENVELOPE_INIT;
    fb->notice_no = "（煤）移〔2026〕1号";
    fb->from_unit = "140728";
    fb->violation_nature = "非法违法生产经营";
    fb->sign_off = &s_so;
    env->msg_id = "m1";
    env->body_case = SAFELOOP__V1__ENVELOPE__BODY_FEEDBACK;
    env->feedback = fb;
}

static void
s_expect(const sl_pb_envelope_t *env, const char *code)
{
    sl_codec_error_t err = {{0}, {0}};
    int rc = sl_validate_answer(env, &err);
    if (!code) {
        assert_int_equal(rc, 0);
        return;
    }
    assert_int_equal(rc, SL_DECLINED);
    assert_string_equal(err.code, code);
    assert_true(err.text[0] != '\0');
}

static void
test_validate(void **state)
{
    (void)state;
    sl_pb_feedback_t fb;
    sl_pb_envelope_t env;
    s_feedback(&fb, &env);
    s_expect(&env, NULL); /* no conclusion: older senders */
    for (int c = 1; c < SL_CONCLUSION_COUNT; c++) {
        fb.conclusion = (Safeloop__V1__Feedback__Conclusion)c;
        s_expect(&env, NULL);
    }
    fb.conclusion = (Safeloop__V1__Feedback__Conclusion)7;
    s_expect(&env, "bad_field:conclusion");
    fb.conclusion = SAFELOOP__V1__FEEDBACK__CONCLUSION__SUBSTANTIATED;
    /* exposure needs where; where needs exposure */
    fb.exposed = true;
    s_expect(&env, "missing_field:exposed_where");
    fb.exposed_where = "晋中日报 2026-11-20";
    s_expect(&env, NULL);
    fb.exposed = false;
    s_expect(&env, "bad_field:exposed_where");
    fb.exposed_where = "";
    /* measures ⑤–⑦: what was done, persons not negative */
    sl_pb_measure_t m = SAFELOOP__V1__MEASURE__INIT;
    fb.protective_umbrella = &m;
    s_expect(&env, "missing_field:protective_umbrella.detail");
    m.detail = "对为其充当保护伞的某所长立案审查";
    m.persons = -1;
    s_expect(&env, "bad_field:protective_umbrella.persons");
    m.persons = 1;
    s_expect(&env, NULL);
    fb.protective_umbrella = NULL;
    fb.organisational = &m;
    m.detail = "";
    s_expect(&env, "missing_field:organisational.detail");
    fb.organisational = NULL;
    /* a case found untrue has nothing to rectify: no plan */
    fb.conclusion = SAFELOOP__V1__FEEDBACK__CONCLUSION__UNSUBSTANTIATED;
    fb.rectify_by = "2026-12-31";
    s_expect(&env, "bad_field:rectify_by");
    fb.rectify_by = "";
    fb.rectify_responsible = "张三";
    s_expect(&env, "bad_field:rectify_responsible");
    fb.conclusion = SAFELOOP__V1__FEEDBACK__CONCLUSION__PARTLY_SUBSTANTIATED;
    s_expect(&env, NULL);
    fb.conclusion = SAFELOOP__V1__FEEDBACK__CONCLUSION__NO_EVIDENCE;
    fb.rectify_responsible = "";
    s_expect(&env, NULL);
}

/* The JSON sl_transfer.c stores for FB: its older fields are not ours. */
static char *
s_stored(const sl_pb_feedback_t *fb)
{
    json_t *o = json_pack("{s:s}", "violation_nature", fb->violation_nature);
    sl_closing_feedback_json(fb, o);
    char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    return text;
}

static void
test_store_and_print(void **state)
{
    (void)state;
    sl_pb_feedback_t fb;
    sl_pb_envelope_t env;
    s_feedback(&fb, &env);
    char *text = s_stored(&fb);
    assert_string_equal(text, "{\"violation_nature\":\"非法违法生产经营\"}"); /* nothing new */
    free(text);
    sl_pb_measure_t m5 = SAFELOOP__V1__MEASURE__INIT, m7 = SAFELOOP__V1__MEASURE__INIT;
    m5.detail = "对应处罚未处罚的执法人员问责";
    m5.persons = 2;
    m7.detail = "乡长免职";
    fb.conclusion = SAFELOOP__V1__FEEDBACK__CONCLUSION__PARTLY_SUBSTANTIATED;
    fb.license_suspended = true;
    fb.exposed = true;
    fb.exposed_where = "平遥县电视台“百日攻坚”专栏";
    fb.accountability = &m5;
    fb.organisational = &m7;
    fb.rectify_responsible = "张三（矿长）";
    text = s_stored(&fb);
    assert_string_equal(text,
                        "{\"accountability\":{\"detail\":\"对应处罚未处罚的执法人员问责\","
                        "\"persons\":2},\"conclusion\":\"PARTLY_SUBSTANTIATED\","
                        "\"exposed\":true,\"exposed_where\":\"平遥县电视台“百日攻坚”专栏\","
                        "\"license_suspended\":true,\"organisational\":{\"detail\":"
                        "\"乡长免职\",\"persons\":0},\"rectify_responsible\":\"张三（矿长）\","
                        "\"violation_nature\":\"非法违法生产经营\"}");
    char *shown = sl_closing_result_text(text);
    assert_non_null(strstr(shown, "核查结论\t部分属实\n"));
    assert_non_null(strstr(shown, "暂扣证照\t是\n吊销证照\t否\n"));
    assert_non_null(strstr(shown, "公开曝光\t是（平遥县电视台“百日攻坚”专栏）\n"));
    assert_non_null(strstr(
        shown,
        "⑤追责问责（应发现未发现、应处罚未处罚）\t是：对应处罚未处罚的执法人员问责（2人）\n"));
    assert_non_null(strstr(shown, "⑥查处“保护伞”\t否\n"));
    assert_non_null(strstr(shown, "⑦组织处理\t是：乡长免职（0人）\n"));
    assert_non_null(strstr(shown, "整改情况\t未整改，无整改计划\n"));
    free(shown);

    /* the six lists: 暂扣 is not 吊销; exposure and the measures are entered */
    sl_ledger_result_t r;
    assert_int_equal(sl_ledger_result_parse(text, "handling", &r), 0);
    sl_ledger_item_t items[SL_LEDGER_MAX_ITEMS];
    size_t n = sl_ledger_map(&r, items);
    char got[1024] = "";
    for (size_t i = 0; i < n; i++)
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s/%s:%d", i ? "," : "",
                 items[i].list, items[i].item, items[i].persons);
    assert_string_equal(got, "惩治处罚/暂扣证照:0,约谈问责/公开曝光:0,约谈问责/追责问责:2,"
                             "约谈问责/组织处理:0");
    assert_string_equal(items[1].details, "公开曝光：平遥县电视台“百日攻坚”专栏");
    free(text);

    /* a case found untrue: nothing to rectify */
    text = sl_closing_result_text("{\"conclusion\":\"UNSUBSTANTIATED\"}");
    assert_non_null(strstr(text, "核查结论\t不属实\n"));
    assert_non_null(strstr(text, "整改情况\t无需整改（核查不属实或查无实据）\n"));
    free(text);
    /* an older row: no conclusion; the receiver's own 提级核查 flag is labelled as its word */
    text = sl_closing_result_text("{\"rectified\":true,\"escalated_verification\":true}");
    assert_non_null(strstr(text, "核查结论\t未填写\n"));
    assert_non_null(strstr(text, "整改情况\t已整改到位\n"));
    assert_non_null(strstr(text, "承办单位自报提级核查\t是\n"));
    free(text);
    text = sl_closing_result_text("not json");
    assert_string_equal(text, "");
    free(text);
}

static void
test_police_counted_once(void **state)
{
    (void)state;
    /* the handling unit and the police both report 2 persons prosecuted */
    assert_int_equal(sl_closing_criminal_persons("handling", 2, true), 0);
    assert_int_equal(sl_closing_criminal_persons("police", 2, true), 2);
    /* no police transfer: the handling unit's figure is the only one */
    assert_int_equal(sl_closing_criminal_persons("handling", 2, false), 2);
    assert_int_equal(sl_closing_criminal_persons("discipline", 1, true), 1);
}

static int32_t
s_day(const char *s)
{
    int32_t d;
    assert_int_equal(sl_date_parse(s, &d), 0);
    return d;
}

/* The code sl_closing_may_close gives F on TODAY ("" when it may close), and
 * the plan's date it closes on. */
static const char *
s_close(const sl_closing_facts_t *f, const char *today, int32_t *plan)
{
    static sl_codec_error_t err;
    memset(&err, 0, sizeof err);
    int rc = sl_closing_may_close(f, s_day(today), plan, &err);
    assert_true(rc == 0 ? err.code[0] == '\0' : rc == SL_DECLINED && err.text[0] != '\0');
    return err.code;
}

static void
test_may_close(void **state)
{
    (void)state;
    sl_closing_facts_t f;
    int32_t plan;
    /* nothing rectified, no plan: refused */
    assert_int_equal(sl_closing_facts_parse("{\"violation_nature\":\"x\"}", &f), 0);
    assert_int_equal(f.rectify_by, -1);
    assert_string_equal(s_close(&f, "2026-11-10", &plan), "not_rectified");
    /* rectified: closes, no plan to watch */
    assert_int_equal(
        sl_closing_facts_parse("{\"rectified\":true,\"rectify_by\":\"2026-11-01\"}", &f), 0);
    assert_string_equal(s_close(&f, "2026-11-10", &plan), "");
    assert_int_equal(plan, -1);
    /* 不属实 / 查无实据: closes without a rectification */
    assert_int_equal(sl_closing_facts_parse("{\"conclusion\":\"UNSUBSTANTIATED\"}", &f), 0);
    assert_string_equal(s_close(&f, "2026-11-10", &plan), "");
    assert_int_equal(sl_closing_facts_parse("{\"conclusion\":\"NO_EVIDENCE\"}", &f), 0);
    assert_string_equal(s_close(&f, "2026-11-10", &plan), "");
    /* 部分属实 needs it as 属实 does */
    assert_int_equal(sl_closing_facts_parse("{\"conclusion\":\"PARTLY_SUBSTANTIATED\"}", &f), 0);
    assert_string_equal(s_close(&f, "2026-11-10", &plan), "not_rectified");
    /* a plan: a date and a responsible person */
    assert_int_equal(sl_closing_facts_parse("{\"rectify_by\":\"2026-11-20\"}", &f), 0);
    assert_string_equal(s_close(&f, "2026-11-10", &plan), "not_rectified"); /* nobody */
    assert_int_equal(sl_closing_facts_parse("{\"rectify_by\":\"2026-11-20\","
                                            "\"rectify_responsible\":\"张三（矿长）\"}",
                                            &f),
                     0);
    assert_true(f.has_responsible);
    assert_string_equal(s_close(&f, "2026-11-10", &plan), "");
    assert_int_equal(plan, s_day("2026-11-20"));
    assert_string_equal(s_close(&f, "2026-11-20", &plan), ""); /* the last day allowed */
    assert_string_equal(s_close(&f, "2026-11-21", &plan), "not_rectified"); /* passed */
    assert_int_equal(plan, -1);
    assert_int_equal(sl_closing_facts_parse("[]", &f), -1);
}

/* sl-deadline's clock of a plan (sl_deadline_check): due at the end of its date. */
static void
test_plan_overdue(void **state)
{
    (void)state;
    sl_calendar_t *cal = sl_calendar_new();
    sl_clock_facts_t f = {.state = SL_TS_CLOSED,
                          .receipt_day = s_day("2026-11-10"),
                          .last_progress_day = -1,
                          .fed_back_day = s_day("2026-11-12"),
                          .objection_deadline = s_day("2026-11-12"),
                          .feedback_deadline = s_day("2026-11-19"),
                          .accepted = true,
                          .reminded = true,
                          .plan = true,
                          .rectify_by = s_day("2026-11-20")};
    sl_clock_due_t due;
    int64_t ms, midnight;
    assert_int_equal(sl_time_parse_iso("2026-11-20T23:59:59+08:00", &ms), 0);
    assert_int_equal(sl_time_parse_iso("2026-11-21T00:00:00+08:00", &midnight), 0);
    sl_deadline_check(cal, &f, ms, &due);
    assert_false(due.rectify_overdue);    /* the date is the last day allowed */
    assert_true(due.next_ms == midnight); /* look again at Asia/Shanghai midnight */
    sl_deadline_check(cal, &f, midnight, &due);
    assert_true(due.rectify_overdue);
    assert_false(due.overdue || due.not_handled || due.remind);
    f.rectify_overdue = true; /* marked once */
    sl_deadline_check(cal, &f, midnight + 86400000, &due);
    assert_false(due.rectify_overdue);
    assert_true(due.next_ms == SL_DEADLINE_NEVER);
    f.rectify_overdue = false;
    f.state = SL_TS_FED_BACK; /* reopened: no longer closed on the plan */
    sl_deadline_check(cal, &f, midnight, &due);
    assert_false(due.rectify_overdue);
    f.state = SL_TS_CLOSED;
    f.plan = false; /* closed rectified */
    sl_deadline_check(cal, &f, midnight, &due);
    assert_false(due.rectify_overdue);
    sl_calendar_destroy(&cal);
}

static void
test_reopen_cell(void **state)
{
    (void)state;
    sl_transfer_outcome_t out;
    sl_transfer_step(SL_TS_CLOSED, SL_TM_REOPEN, NULL, &out);
    assert_true(out.applied);
    assert_int_equal(out.next, SL_TS_FED_BACK); /* back to verification */
    assert_string_equal(sl_transfer_case_status(out.next), "fed_back");
    sl_transfer_step(SL_TS_FED_BACK, SL_TM_REOPEN, NULL, &out);
    assert_false(out.applied);
    assert_string_equal(out.code, "wrong_state:fed_back");
    sl_transfer_step(SL_TS_RECEIVED, SL_TM_REOPEN, NULL, &out);
    assert_string_equal(out.code, "wrong_state:received");
    assert_string_equal(sl_transfer_msg_name(SL_TM_REOPEN), "reopen");
}

static void
test_repeat_facts(void **state)
{
    (void)state;
    sl_pb_clue_t c = SAFELOOP__V1__CLUE_REPORT__INIT;
    sl_pb_subject_t subj = SAFELOOP__V1__SUBJECT__INIT;
    sl_pb_place_t place = SAFELOOP__V1__PLACE__INIT;
    sl_pb_reporter_t rep = SAFELOOP__V1__REPORTER__INIT;
    int32_t v[] = {3, 7};
    subj.name = "平遥县甲煤业有限公司";
    place.division = "140728";
    place.township = "洪善镇";
    rep.name = "王五";
    rep.phone = "13900000001";
    c.subject = &subj;
    c.place = &place;
    c.reporter = &rep;
    c.description = "销号后仍在夜间违规开采";
    c.violations = v;
    c.n_violations = 2;
    c.major_hazard = true;
    json_t *o = json_object();
    sl_closing_repeat_facts(&c, o);
    char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    assert_string_equal(text, "{\"description\":\"销号后仍在夜间违规开采\",\"major_hazard\":true,"
                              "\"township\":\"洪善镇\",\"violations\":[3,7]}");
    assert_null(strstr(text, "王五")); /* never the reporter */
    assert_null(strstr(text, "139"));
    free(text);
}

static void
test_notice_repeat_count(void **state)
{
    (void)state;
    sl_notice_t n = {.notice_no = "（煤）移〔2026〕1号", .channel = "HOTLINE"};
    char *html = sl_notice_html(&n);
    assert_null(strstr(html, "反复举报"));
    free(html);
    n.repeat_count = 2;
    html = sl_notice_html(&n);
    assert_non_null(strstr(html, "该问题线索已被反复举报2次"));
    free(html);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conclusions),         cmocka_unit_test(test_validate),
        cmocka_unit_test(test_store_and_print),     cmocka_unit_test(test_police_counted_once),
        cmocka_unit_test(test_may_close),           cmocka_unit_test(test_plan_overdue),
        cmocka_unit_test(test_reopen_cell),         cmocka_unit_test(test_repeat_facts),
        cmocka_unit_test(test_notice_repeat_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
