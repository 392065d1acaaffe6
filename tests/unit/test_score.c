/* test_score.c — sl_score: the rules file, totals, ranks with ties, triggers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sl_score.h"

#include <stdio.h>
#include <string.h>

static const char s_rules[] = "; test rules\n"
                              "[rules]\nversion = t-1\nlabel = 测试\nproject_defaults = false\n"
                              "[weights]\nhazards = 50 ; 重大隐患\nfeedback = 30\nescalated = 20\n"
                              "[triggers]\nfew_clues_share = 0.5\nlow_rectify_rate = 0.6\n"
                              "weak_measures_share = 0.5\naccidents = 1\n";

static void
s_rules_ok(sl_score_rules_t *r)
{
    char err[256];
    assert_int_equal(sl_score_rules_parse(s_rules, strlen(s_rules), r, err, sizeof err), 0);
}

static void
test_rules(void **state)
{
    (void)state;
    sl_score_rules_t r;
    s_rules_ok(&r);
    assert_string_equal(r.version, "t-1");
    assert_string_equal(r.label, "测试");
    assert_false(r.project_defaults);
    assert_true(r.weight[SL_IND_HAZARDS] == 50 && r.weight[SL_IND_FEEDBACK] == 30);
    assert_true(r.weight[SL_IND_PUNISHED] == 0 && r.few_clues_share == 0.5);
    char err[256];
    const char *typo = "[rules]\nversion = x\n[weights]\nhazard = 5\n";
    assert_int_equal(sl_score_rules_parse(typo, strlen(typo), &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "line 4: unknown key \"hazard\""));
    const char *nover = "[weights]\nhazards = 5\n";
    assert_int_equal(sl_score_rules_parse(nover, strlen(nover), &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "version"));
    const char *bad = "[rules]\nversion = x\n[triggers]\nfew_clues_share = 2\n";
    assert_int_equal(sl_score_rules_parse(bad, strlen(bad), &r, err, sizeof err), -1);
    /* the project's file parses */
    FILE *f = fopen(SL_SOURCE_DIR "/deploy/appraise-rules.ini", "rb");
    assert_non_null(f);
    char buf[8192];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_int_equal(sl_score_rules_parse(buf, n, &r, err, sizeof err), 0);
    assert_true(r.project_defaults);
    double sum = 0;
    for (int i = 0; i < SL_IND_COUNT; i++)
        sum += r.weight[i];
    assert_true(sum == 100);
}

static sl_score_place_t
s_place(const char *code, int64_t hn, int64_t hd, int64_t fn, int64_t fd, int64_t en, int64_t clues)
{
    sl_score_place_t p;
    memset(&p, 0, sizeof p);
    snprintf(p.code, sizeof p.code, "%s", code);
    p.ind[SL_IND_HAZARDS] = (sl_score_ratio_t){hn, hd};
    p.ind[SL_IND_FEEDBACK] = (sl_score_ratio_t){fn, fd};
    p.ind[SL_IND_ESCALATED] = (sl_score_ratio_t){en, fd};
    p.clues = clues;
    return p;
}

static void
test_totals_and_ties(void **state)
{
    (void)state;
    sl_score_rules_t r;
    s_rules_ok(&r);
    sl_score_place_t p[4] = {
        s_place("140781", 1, 2, 2, 2, 0, 10), /* 25 + 30 + 20 = 75 */
        s_place("140728", 2, 2, 1, 2, 1, 12), /* 50 + 15 + 10 = 75 */
        s_place("140702", 0, 0, 0, 0, 0, 1),  /* nothing to show: 0 */
        s_place("140721", 2, 2, 2, 2, 0, 9),  /* 100 */
    };
    sl_score_compute(&r, p, 4);
    assert_true(p[0].total == 75 && p[1].total == 75 && p[3].total == 100 && p[2].total == 0);
    assert_true(p[0].component[SL_IND_HAZARDS] == 25 && p[0].component[SL_IND_ESCALATED] == 20);
    assert_int_equal(p[3].rank, 1);
    assert_int_equal(p[0].rank, 2);
    assert_int_equal(p[1].rank, 2);
    assert_int_equal(p[2].rank, 4);
    sl_score_sort(p, 4);
    /* equal totals share the rank and are listed by code */
    assert_string_equal(p[0].code, "140721");
    assert_string_equal(p[1].code, "140728");
    assert_string_equal(p[2].code, "140781");
    assert_string_equal(p[3].code, "140702");
    /* a weight changed changes the order as the file says */
    r.weight[SL_IND_HAZARDS] = 0;
    sl_score_compute(&r, p, 4);
    sl_score_sort(p, 4);
    assert_string_equal(p[0].code, "140721");
    assert_string_equal(p[1].code, "140781"); /* 50 */
    assert_string_equal(p[2].code, "140728"); /* 25 */
}

/* The spot-check indicator counts failures: weight × (1 − missed ÷ made), 0
 * without a spot check; its key is "spotcheck" in [weights]. */
static void
test_spotcheck(void **state)
{
    (void)state;
    static const char text[] = "[rules]\nversion = s-1\n[weights]\nspotcheck = 10\n";
    sl_score_rules_t r;
    char err[256];
    assert_int_equal(sl_score_rules_parse(text, strlen(text), &r, err, sizeof err), 0);
    assert_true(r.weight[SL_IND_SPOTCHECK] == 10 && sl_score_ind_failing(SL_IND_SPOTCHECK));
    assert_string_equal(sl_score_ind_key(SL_IND_SPOTCHECK), "spotcheck");
    sl_score_place_t p[3];
    memset(p, 0, sizeof p);
    snprintf(p[0].code, sizeof p[0].code, "140702");
    snprintf(p[1].code, sizeof p[1].code, "140703");
    snprintf(p[2].code, sizeof p[2].code, "140721");
    p[0].ind[SL_IND_SPOTCHECK] = (sl_score_ratio_t){1, 4};
    p[1].ind[SL_IND_SPOTCHECK] = (sl_score_ratio_t){0, 2};
    sl_score_compute(&r, p, 3);
    assert_true(p[0].total == 7.5 && p[1].total == 10 && p[2].total == 0);
    assert_int_equal(p[1].rank, 1);
}

static void
test_triggers(void **state)
{
    (void)state;
    sl_score_rules_t r;
    s_rules_ok(&r);
    sl_score_place_t p[3] = {
        s_place("140702", 1, 4, 0, 0, 0, 1), /* few clues: 1 < 0.5 × 10.5; 25% rectified */
        s_place("140728", 3, 4, 0, 0, 0, 9),
        s_place("140781", 0, 0, 0, 0, 0, 12),
    };
    p[1].verified_true = 4;
    p[1].no_measures = 3; /* 75% > 50% */
    p[2].verified_true = 4;
    p[2].no_measures = 2; /* 50%: not above */
    p[2].accidents = 1;
    sl_score_compute(&r, p, 3);
    assert_int_equal(p[0].triggers, SL_TRIGGER_FEW_CLUES | SL_TRIGGER_LOW_RECTIFY);
    assert_int_equal(p[1].triggers, SL_TRIGGER_WEAK_MEASURES);
    assert_int_equal(p[2].triggers, SL_TRIGGER_ACCIDENT);
    assert_true(p[0].peers_median_clues == 10.5);
    assert_true(p[0].rank == 2 && p[0].total > 0); /* still ranked */
    char why[512];
    sl_score_reasons(&r, &p[0], why, sizeof why);
    assert_string_equal(why, "问题线索偏少（本月1条，低于其他地方中位数10.5条的50%）；"
                             "问题隐患整改率偏低（重大隐患整改1项/排查4项，低于60%）");
    sl_score_reasons(&r, &p[1], why, sizeof why);
    assert_non_null(strstr(why, "七项措施"));
    sl_score_reasons(&r, &p[2], why, sizeof why);
    assert_string_equal(why, "发生较大事故1起，开小灶");
    /* one place alone has no peers: never few clues */
    sl_score_compute(&r, p, 1);
    assert_false(p[0].triggers & SL_TRIGGER_FEW_CLUES);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_totals_and_ties),
        cmocka_unit_test(test_spotcheck),
        cmocka_unit_test(test_triggers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
