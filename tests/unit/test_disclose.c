/* test_disclose.c — what is disclosed about a case (三公开): held back and
 * summary missing, a natural person as surname + 某, the plan's status words,
 * 整改率; and the templates the pages are written with (escaping in one
 * place, sections, includes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "sl_disclose.h"
#include "sl_template.h"

#include <string.h>

static sl_disclose_item_t
s_item(const char *state)
{
    return (sl_disclose_item_t){.state = state,
                                .feedback_deadline = "2026-12-10",
                                .subject_kind = "单位",
                                .subject_name = "平遥县某某煤业有限公司",
                                .subject_surname = "",
                                .summary = "未按规定设置安全出口"};
}

static void
test_check(void **state)
{
    (void)state;
    sl_disclose_item_t it = s_item("received");
    assert_int_equal(sl_disclose_check(&it), SL_DISCLOSE_YES);
    it.summary = "";
    assert_int_equal(sl_disclose_check(&it), SL_DISCLOSE_MISSING);
    it.held = true;
    assert_int_equal(sl_disclose_check(&it), SL_DISCLOSE_HELD);
}

static void
test_subject(void **state)
{
    (void)state;
    char out[64];
    sl_disclose_item_t it = s_item("received");
    sl_disclose_subject(&it, SL_PERSON_SURNAME, out, sizeof out);
    assert_string_equal(out, "平遥县某某煤业有限公司");
    it.subject_kind = "自然人";
    it.subject_name = "";
    it.subject_surname = "王";
    sl_disclose_subject(&it, SL_PERSON_SURNAME, out, sizeof out);
    assert_string_equal(out, "王某");
    it.subject_surname = "王五"; /* never more than one character */
    sl_disclose_subject(&it, SL_PERSON_SURNAME, out, sizeof out);
    assert_string_equal(out, "王某");
    sl_disclose_subject(&it, SL_PERSON_WITHHELD, out, sizeof out);
    assert_string_equal(out, "某某");
    it.subject_surname = "";
    sl_disclose_subject(&it, SL_PERSON_SURNAME, out, sizeof out);
    assert_string_equal(out, "某某");
    assert_int_equal(sl_disclose_person_rule("surname"), SL_PERSON_SURNAME);
    assert_int_equal(sl_disclose_person_rule("withheld"), SL_PERSON_WITHHELD);
    assert_int_equal(sl_disclose_person_rule("full"), -1);
}

static void
test_status(void **state)
{
    (void)state;
    sl_disclose_item_t it = s_item("issued");
    assert_string_equal(sl_disclose_status(&it, "2026-12-03"), "已交办");
    it.state = "received";
    assert_string_equal(sl_disclose_status(&it, "2026-12-03"), "已签收");
    it.state = "in_progress";
    assert_string_equal(sl_disclose_status(&it, "2026-12-03"), "核查中");
    it.progress_count = 1;
    assert_string_equal(sl_disclose_status(&it, "2026-12-03"), "整改中");
    assert_string_equal(sl_disclose_status(&it, "2026-12-11"), "逾期");
    it.overdue = true;
    assert_string_equal(sl_disclose_status(&it, "2026-12-03"), "逾期");
    it.escalated = true;
    assert_string_equal(sl_disclose_status(&it, "2026-12-03"), "提级核查");
    it.state = "closed";
    assert_string_equal(sl_disclose_status(&it, "2026-12-03"), "已销号");
    assert_false(sl_disclose_open(&it));
    it = s_item("fed_back");
    assert_string_equal(sl_disclose_status(&it, "2026-12-11"), "已反馈");
}

static void
test_rate(void **state)
{
    (void)state;
    char out[16];
    assert_true(sl_disclose_rate(7, 8, out, sizeof out) == 0.875);
    assert_string_equal(out, "87.5%");
    assert_true(sl_disclose_rate(0, 0, out, sizeof out) < 0);
    assert_string_equal(out, "—");
    assert_true(sl_disclose_rate(3, 3, out, sizeof out) == 1.0);
    assert_string_equal(out, "100.0%");
}

static void
test_template(void **state)
{
    (void)state;
    json_t *d = json_pack("{s:s, s:[{s:s},{s:s}], s:[], s:{s:i}}", "title", "<b>&\"'", "items",
                          "name", "张某", "name", "a<b", "none", "page", "n", 3);
    sl_buf_t b;
    sl_buf_init(&b);
    assert_int_equal(sl_template_render_text("<h1>{{title}}</h1>{{#items}}<li>{{name}}</li>"
                                             "{{/items}}{{^none}}无{{/none}}{{page.n}}"
                                             "{{#page}}={{n}}{{/page}}",
                                             d, SL_ESCAPE_HTML, &b),
                     0);
    assert_string_equal(b.data, "<h1>&lt;b&gt;&amp;&quot;&#39;</h1><li>张某</li>"
                                "<li>a&lt;b</li>无3=3");
    sl_buf_reset(&b);
    assert_int_equal(sl_template_render_text("{{title}}|{{{title}}}", d, SL_ESCAPE_NONE, &b), 0);
    assert_string_equal(b.data, "<b>&\"'|<b>&\"'");
    sl_buf_reset(&b);
    assert_int_equal(sl_template_render_text("{{#items}}x", d, SL_ESCAPE_HTML, &b), -1);
    sl_buf_reset(&b);
    assert_int_equal(sl_template_render_text("{{/items}}", d, SL_ESCAPE_HTML, &b), -1);
    sl_buf_free(&b);
    json_decref(d);
}

static void
test_template_files(void **state)
{
    (void)state;
    char *err = NULL;
    sl_template_set_t *set = sl_template_load(SL_SOURCE_DIR "/templates", &err);
    assert_non_null(set);
    json_t *d = json_pack("{s:s, s:s, s:s, s:[], s:s}", "title", "标题<", "node_name", "平遥县",
                          "channels", "举报电话：12350", "items", "generated", "2026-12-03");
    sl_buf_t b;
    sl_buf_init(&b);
    assert_int_equal(sl_template_render(set, "publication.html", d, SL_ESCAPE_HTML, &b), 0);
    assert_non_null(strstr(b.data, "标题&lt;"));
    assert_non_null(strstr(b.data, "@media print"));
    assert_null(strstr(b.data, "http://"));
    assert_int_equal(sl_template_render(set, "nosuch.html", d, SL_ESCAPE_HTML, &b), -1);
    sl_buf_free(&b);
    json_decref(d);
    sl_template_destroy(&set);
    assert_null(set);
}

/* The templates compiled in (the notice and the status page render with
 * them) are the repo's; an exposure item renders as a typical case card. */
static void
test_template_embedded(void **state)
{
    (void)state;
    const sl_template_set_t *set = sl_template_embedded();
    assert_non_null(set);
    assert_ptr_equal(set, sl_template_embedded());
    json_t *d = json_pack("{s:s, s:s, s:[{s:i, s:b, s:s, s:s, s:s, s:s, s:s}]}", "title", "曝光",
                          "channels", "举报电话：12350", "items", "index", 1, "typical", 1,
                          "section", "反面典型案例", "title", "某<公司>案", "facts", "案情",
                          "facts_label", "基本案情", "keywords", "甲、乙、丙");
    sl_buf_t b;
    sl_buf_init(&b);
    assert_int_equal(sl_template_render(set, "publication.html", d, SL_ESCAPE_HTML, &b), 0);
    assert_non_null(strstr(b.data, "1．某&lt;公司&gt;案"));
    assert_non_null(strstr(b.data, "<h3>关键词</h3><p>甲、乙、丙</p>"));
    assert_null(strstr(b.data, "交办文号")); /* not the transfer item's form */
    sl_buf_reset(&b);
    assert_int_equal(sl_template_render(set, "status.html", d, SL_ESCAPE_HTML, &b), 0);
    assert_non_null(strstr(b.data, "节点状态"));
    sl_buf_reset(&b);
    assert_int_equal(sl_template_render(set, "notice.html", d, SL_ESCAPE_HTML, &b), 0);
    assert_non_null(strstr(b.data, "事项交办（移送）书"));
    sl_buf_free(&b);
    json_decref(d);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_subject),
        cmocka_unit_test(test_status),
        cmocka_unit_test(test_rate),
        cmocka_unit_test(test_template),
        cmocka_unit_test(test_template_files),
        cmocka_unit_test(test_template_embedded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
