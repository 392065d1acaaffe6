/* test_words.c — the Chinese an office reads: labels, and the transfer notice
 * rendered for each channel and each transfer kind.
 *
 * The expected sentences were written after annex 3's own "接到群众（在督查中
 * 发现）关于XX公司涉嫌瞒报亡人事故的举报" and reviewed against it, not copied
 * from the output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sl_csv.h"
#include "sl_notice.h"
#include "sl_words.h"

/* The notice's first paragraph after the receiver line, as text. */
static char *
s_opening(const sl_notice_t *n)
{
    char *html = sl_notice_html(n);
    const char *p = strstr(html, "：</p>\n<p>");
    assert_non_null(p);
    p += strlen("：</p>\n<p>");
    const char *e = strstr(p, "</p>");
    char *out = sl_strndup(p, (size_t)(e - p));
    free(html);
    return out;
}

static sl_notice_t
s_notice(void)
{
    sl_notice_t n = {.notice_no = "（煤）移〔2026〕1号",
                     .list_no = "交办清单〔2026〕第1期",
                     .office = "晋中市“百日攻坚”集中行动领导组办公室",
                     .receiver = "平遥县人民政府",
                     .case_no = "140700-2026-煤-000001",
                     .received_date = "2026-11-09",
                     .channel = "HOTLINE",
                     .subject = "平遥县某某煤业有限公司",
                     .place = "平遥县",
                     .sector = "煤矿",
                     .violations = "瞒报、谎报生产安全事故",
                     .transfer_date = "2026-11-09",
                     .objection_deadline = "2026-11-11",
                     .feedback_deadline = "2026-11-18",
                     .kind = "handling",
                     .receiver_kind = "child"};
    return n;
}

#define OFFICE "2026年11月9日，晋中市“百日攻坚”集中行动领导组办公室"
#define SUBJ "平遥县某某煤业有限公司涉嫌瞒报、谎报生产安全事故"
#define NO "（线索编号140700-2026-煤-000001）。"
#define BASIS "根据安全生产风险隐患大排查大整治“百日攻坚”集中行动有关要求，"
#define HANDLE_TAIL                                                                                                                  \
    "请将办理情况于2026年11月18日前（自交办之日起7个工作日内）反馈我办。如存在未如期办结的、" \
    "“接而不办”或虚假办结的，我办将提级核查，从严追责问责。"
/* a case from above is due within the upper deadline (sl_deadline_under_upper) */
#define UPPER_TAIL                                                                                 \
    "请将办理情况于2026年11月18日前（按上级交办时限，预留本级核查时间）反馈我办。如存在未如期" \
    "办结的、“接而不办”或虚假办结的，我办将提级核查，从严追责问责。"
#define OBJECT "如对交办事项有异议，请于2026年11月11日前（签收后2个工作日内）向我办提出。"

static void
test_notice_each_channel(void **state)
{
    (void)state;
    static const struct {
        const char *channel, *sentence;
    } cases[] = {
        {"HOTLINE", OFFICE "接到群众通过举报热线反映" SUBJ "的举报"},
        {"LETTER", OFFICE "接到群众来信反映" SUBJ "的举报"},
        {"EMAIL", OFFICE "接到群众通过电子邮件反映" SUBJ "的举报"},
        {"VISIT", OFFICE "接到群众来访反映" SUBJ "的举报"},
        {"INSPECTION", OFFICE "在督查检查中发现" SUBJ},
        {"MEDIA", OFFICE "从媒体报道中获悉" SUBJ "的问题线索"},
        {"SYSTEM", OFFICE "接到监测预警系统报送的" SUBJ "的问题线索"},
        {"LOWER_NODE", OFFICE "接到下级报送的" SUBJ "的问题线索"},
        {"UPPER_TRANSFER", OFFICE "收到上级交办的" SUBJ
                                  "的问题线索（交办文号：山西省“百日攻坚”办（煤）移〔2026〕3号）"},
        {"OTHER", OFFICE "接到反映" SUBJ "的问题线索"},
        {"escalation", OFFICE "对原承办单位未按要求办结的" SUBJ "的问题线索提级核查"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sl_notice_t n = s_notice();
        n.channel = cases[i].channel;
        n.upper_notice_no = "（煤）移〔2026〕3号";
        n.upper_office = "山西省“百日攻坚”办";
        char *got = s_opening(&n);
        char *want = sl_asprintf(
            "%s" NO BASIS "现将该事项移交你政府，请按照“七项措施”认真核查办理，并严格落实本地"
            "党委政府主要负责同志审核签字确认。%s" OBJECT,
            cases[i].sentence,
            strcmp(cases[i].channel, "UPPER_TRANSFER") == 0 ? UPPER_TAIL : HANDLE_TAIL);
        assert_string_equal(got, want);
        free(got);
        free(want);
    }
}

static void
test_notice_each_kind(void **state)
{
    (void)state;
    static const struct {
        const char *kind, *receiver_kind, *instruction;
    } cases[] = {
        {"handling", "child",
         "现将该事项移交你政府，请按照“七项措施”认真核查办理，并严格落实本地党委政府主要负责"
         "同志审核签字确认。" HANDLE_TAIL},
        {"handling", "department",
         "现将该事项交办你单位，请按照“七项措施”认真核查办理，并严格落实本单位主要负责同志审核"
         "签字确认。" HANDLE_TAIL},
        {"police", "police",
         "现将该涉嫌犯罪问题线索移送你局，请依法调查处理，并将立案或不予立案情况于2026年11月"
         "18日前反馈我办。"},
        {"discipline", "discipline",
         "现将该涉嫌失职渎职问题线索移送你委，请依纪依规处理，并将处理情况于2026年11月18日前"
         "反馈我办。"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sl_notice_t n = s_notice();
        n.kind = cases[i].kind;
        n.receiver_kind = cases[i].receiver_kind;
        n.suspected_crime = true;
        char *got = s_opening(&n);
        char *want =
            sl_asprintf(OFFICE "接到群众通过举报热线反映" SUBJ "的举报" NO BASIS "%s" OBJECT,
                        cases[i].instruction);
        assert_string_equal(got, want);
        free(got);
        free(want);
        /* The police's own notice does not tell it to pass the case to the police. */
        char *html = sl_notice_html(&n);
        bool also = strstr(html, "我办已同时移送公安机关依法调查处理") != NULL;
        assert_int_equal(also, strcmp(cases[i].kind, "handling") == 0);
        free(html);
    }
}

static void
test_notice_words(void **state)
{
    (void)state;
    sl_notice_t n = s_notice();
    n.receiver_kind = "department";
    n.major_hazard = true;
    n.violations = "";
    n.violation_text = "超层越界开采";
    char *html = sl_notice_html(&n);
    assert_non_null(
        strstr(html, "<h1>“百日攻坚”集中行动（督查检查、群众举报等）事项交办（移送）书"));
    assert_non_null(strstr(html, "平遥县某某煤业有限公司存在超层越界开采问题的举报"));
    assert_non_null(strstr(html, "（线索编号140700-2026-煤-000001，涉及重大事故隐患）"));
    assert_non_null(strstr(html, "同时，按照“三管三必须”有关规定和《通知》要求，请你单位对该事项"
                                 "进行挂牌督办，并将督办情况及结果于2026年11月18日前反馈我办。"));
    assert_non_null(strstr(html, "<th>生产经营建设单位名称/非法业主名称</th>"));
    assert_non_null(strstr(html, "<th>行业领域专项问题</th>"));
    assert_null(strstr(html, "案件"));
    assert_null(strstr(html, "被举报主体"));
    assert_null(strstr(html, " 个工作日"));
    free(html);
    /* Two common violations: the first, and 等问题. */
    n.violations = "非法转包、分包及资质挂靠；瞒报、谎报生产安全事故";
    char *got = s_opening(&n);
    assert_non_null(strstr(got, "涉嫌非法转包、分包及资质挂靠等问题的举报"));
    free(got);
}

static void
test_labels(void **state)
{
    (void)state;
    assert_string_equal(sl_words_label("transfer_kind", "police"), "移送公安");
    assert_string_equal(sl_words_label("transfer_kind", "discipline"), "移送纪检监察");
    assert_string_equal(sl_words_label("transfer_kind", "handling"), "办理");
    assert_string_equal(sl_words_label("delivery", "event"), "系统通知");
    assert_string_equal(sl_words_label("delivery", "outbox"), "节点发件箱");
    assert_string_equal(sl_words_label("transfer_state", "closed"), "已办结（已销号）");
    assert_string_equal(sl_words_label("case_status", "closed"), "已办结（已销号）");
    assert_string_equal(sl_words_label("calendar_kind", "workday"), "调休上班");
    assert_string_equal(sl_words_label("channel", "HOTLINE"), "举报热线");
    assert_string_equal(sl_words_label("event", "supervise_end"), "已验收销号");
    assert_string_equal(sl_words_label("event", "nonsense"), "nonsense");
    assert_string_equal(sl_words_label(NULL, NULL), "");
}

static void
test_csv(void **state)
{
    (void)state;
    char line[] = "1,\"a,b\",\"say \"\"hi\"\"\",,last";
    char *f[8];
    assert_int_equal(sl_csv_split(line, f, 8), 5);
    assert_string_equal(f[1], "a,b");
    assert_string_equal(f[2], "say \"hi\"");
    assert_string_equal(f[3], "");
    assert_string_equal(f[4], "last");
    sl_buf_t b;
    sl_buf_init(&b);
    sl_csv_put(&b, "x", true);
    sl_csv_put(&b, "a,\"b\"", false);
    assert_string_equal(b.data, "x,\"a,\"\"b\"\"\"");
    sl_buf_free(&b);
    size_t len;
    assert_non_null(sl_csv_file("data/sectors.csv", &len));
    assert_null(sl_csv_file("data/none.csv", &len));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_notice_each_channel),
        cmocka_unit_test(test_notice_each_kind),
        cmocka_unit_test(test_notice_words),
        cmocka_unit_test(test_labels),
        cmocka_unit_test(test_csv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
