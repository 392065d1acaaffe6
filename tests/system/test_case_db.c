/* test_case_db.c — sl_case_register against the fixture's cluster: numbers
 * gap-free per node, year and sector, repeats linked to the open case about
 * the same subject (in the batch and across batches), a credit code deciding
 * where both sides have one, a transfer from above never a repeat, a clue
 * stored before left out, a rollback giving its numbers back, the audit chain
 * of every case intact, and an append that waited for another's lock
 * chaining after it. Each case runs on a database of its own from the
 * template (sl_test_pg.h). */
#include "sl_audit.h"
#include "sl_case.h"
#include "sl_db.h"
#include "sl_test_pg.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#define NOW 1780000000000LL /* 2026-05-28 */
#define COAL 1
#define NON_COAL 2
#define UNIT "140728:emergency"

/* Clues registered in one batch (sl_test_clue), storage for up to 4. */
typedef struct {
    sl_case_reg_t reg[4];
    sl_pb_clue_t clue[4];
    sl_pb_subject_t subj[4];
    sl_pb_place_t place[4];
    size_t n;
} s_batch_t;

static sl_case_reg_t *
s_clue(s_batch_t *b, const char *subject, int sector, const char *msg_id)
{
    assert_true(b->n < 4);
    size_t i = b->n++;
    sl_test_clue(&b->reg[i], &b->clue[i], &b->subj[i], &b->place[i], subject, sector, UNIT, msg_id);
    return &b->reg[i];
}

/* Registers B in a transaction left open (the caller commits or rolls back). */
static void
s_register(sl_db_t *db, s_batch_t *b, int64_t now)
{
    assert_int_equal(sl_db_begin(db), 0);
    assert_int_equal(sl_case_register(db, "140728", now, b->reg, b->n), 0);
}

/* One batch of three new subjects in two sectors: numbers 1, 2 of coal and 1
 * of non-coal, rows registered with their unit, one "registered" event each,
 * the counters at the numbers used. */
static void
test_new_cases_numbered_per_sector(void **state)
{
    sl_test_fix_t *f = *state;
    s_batch_t b = {0};
    s_clue(&b, "甲煤业有限公司", COAL, "m-1");
    s_clue(&b, "乙矿业有限公司", NON_COAL, "m-2");
    s_clue(&b, "丙煤业有限公司", COAL, "m-3");
    s_register(f->db, &b, NOW);
    assert_int_equal(sl_db_commit(f->db), 0);

    assert_string_equal(b.reg[0].case_no, "140728-2026-煤-000001");
    assert_string_equal(b.reg[1].case_no, "140728-2026-非煤-000001");
    assert_string_equal(b.reg[2].case_no, "140728-2026-煤-000002");
    for (int i = 0; i < 3; i++) {
        assert_false(b.reg[i].repeated);
        assert_true(b.reg[i].case_id > 0);
    }
    sl_test_assert_value(f->db,
                         "SELECT string_agg(case_no || ' ' || status || ' ' || unit_code || ' ' ||"
                         " source_msg_id, ',' ORDER BY id) FROM cases",
                         "140728-2026-煤-000001 registered 140728:emergency m-1,"
                         "140728-2026-非煤-000001 registered 140728:emergency m-2,"
                         "140728-2026-煤-000002 registered 140728:emergency m-3");
    sl_test_assert_value(f->db,
                         "SELECT count(*) FILTER (WHERE kind = 'registered') || '|' || count(*)"
                         " FROM case_event",
                         "3|3");
    sl_test_assert_value(f->db,
                         "SELECT string_agg(key || '=' || value, ',' ORDER BY key) FROM counter"
                         " WHERE scope = 'case' AND year = 2026 AND value > 0",
                         "煤=2,非煤=1");
    sl_test_audit_intact(f->db);
}

/* The same subject again (another batch, and twice within one) joins the open
 * case as a repeat and counts it; the same name in another sector is a case
 * of its own. */
static void
test_repeats_join_the_open_case(void **state)
{
    sl_test_fix_t *f = *state;
    char first[64];
    sl_test_register(f->db, NOW, "丁煤业有限公司", COAL, UNIT, "r-1", first);

    s_batch_t b = {0};
    s_clue(&b, "丁煤业有限公司", COAL, "r-2");
    s_clue(&b, "丁煤业有限公司", COAL, "r-3");
    s_clue(&b, "丁煤业有限公司", NON_COAL, "r-4");
    s_register(f->db, &b, NOW + 1000);
    assert_int_equal(sl_db_commit(f->db), 0);

    assert_true(b.reg[0].repeated);
    assert_true(b.reg[1].repeated);
    assert_string_equal(b.reg[0].case_no, first);
    assert_string_equal(b.reg[1].case_no, first);
    assert_int_equal(b.reg[1].repeat_count, 2);
    assert_false(b.reg[2].repeated);
    assert_string_equal(b.reg[2].case_no, "140728-2026-非煤-000001");
    sl_test_assert_value(f->db, "SELECT count(*) FROM cases", "2");
    sl_test_assert_value(f->db, "SELECT repeat_count FROM cases WHERE source_msg_id = 'r-1'", "2");
    sl_test_audit_intact(f->db);
}

/* A transfer from the level above (own_case) opens a case even while one
 * about the same subject is open. */
static void
test_own_case_is_never_a_repeat(void **state)
{
    sl_test_fix_t *f = *state;
    char first[64];
    sl_test_register(f->db, NOW, "戊煤业有限公司", COAL, UNIT, "o-1", first);
    s_batch_t b = {0};
    s_clue(&b, "戊煤业有限公司", COAL, "o-2")->own_case = true;
    s_register(f->db, &b, NOW);
    assert_int_equal(sl_db_commit(f->db), 0);
    assert_false(b.reg[0].repeated);
    assert_string_equal(b.reg[0].case_no, "140728-2026-煤-000002");
    sl_test_assert_value(f->db, "SELECT sum(repeat_count) FROM cases", "0");
}

/* Where both sides have a credit code it decides, whatever the names say;
 * where one has none the name key does. Within one batch (the chains the
 * batch opens) and against the cases stored (the look-up's credit probes). */
static void
test_credit_code_decides_when_both_have_one(void **state)
{
    sl_test_fix_t *f = *state;
    s_batch_t b = {0};
    s_clue(&b, "己煤业有限公司", COAL, "c-1")->clue->subject->credit_code = "91140728MA0AAAAA1A";
    s_clue(&b, "己煤业（改名）有限公司", COAL, "c-2")->clue->subject->credit_code =
        "91140728MA0AAAAA1A";
    s_clue(&b, "己煤业有限公司", COAL, "c-3")->clue->subject->credit_code = "91140728MA0BBBBB2B";
    s_clue(&b, "己煤业有限公司", COAL, "c-4"); /* no code: the name decides */
    s_register(f->db, &b, NOW);
    assert_int_equal(sl_db_commit(f->db), 0);
    assert_false(b.reg[0].repeated);
    assert_true(b.reg[1].repeated);
    assert_string_equal(b.reg[1].case_no, b.reg[0].case_no);
    assert_false(b.reg[2].repeated); /* the same name, another code: another subject */
    assert_string_equal(b.reg[2].case_no, "140728-2026-煤-000002");
    assert_true(b.reg[3].repeated);
    assert_string_equal(b.reg[3].case_no, b.reg[0].case_no); /* the oldest of the two */
    char second[64];
    snprintf(second, sizeof second, "%s", b.reg[2].case_no);

    s_batch_t b2 = {0};
    s_clue(&b2, "别名煤业有限公司", COAL, "c-5")->clue->subject->credit_code = "91140728MA0BBBBB2B";
    s_register(f->db, &b2, NOW + 1000);
    assert_int_equal(sl_db_commit(f->db), 0);
    assert_true(b2.reg[0].repeated);
    assert_string_equal(b2.reg[0].case_no, second);
    sl_test_assert_value(f->db, "SELECT count(*) FROM cases", "2");
    sl_test_assert_value(f->db, "SELECT string_agg(repeat_count::text, ',' ORDER BY id) FROM cases",
                         "2,1");
    sl_test_audit_intact(f->db);
}

/* A clue whose envelope was found stored before (stored_before, set by a
 * msg_id look-up that travelled with the repeat look-up) is left out: no
 * number, no event, no outputs, and the clues around it keep theirs in their
 * places. A batch of such clues only registers nothing. */
static void
test_stored_before_is_left_out(void **state)
{
    sl_test_fix_t *f = *state;
    bool stored = true, fresh = false;
    s_batch_t b = {0};
    s_clue(&b, "子煤业有限公司", COAL, "s-1")->stored_before = &fresh;
    s_clue(&b, "丑煤业有限公司", COAL, "s-2")->stored_before = &stored;
    s_clue(&b, "寅煤业有限公司", COAL, "s-3")->stored_before = NULL;
    s_register(f->db, &b, NOW);
    assert_int_equal(sl_db_commit(f->db), 0);
    assert_string_equal(b.reg[0].case_no, "140728-2026-煤-000001");
    assert_true(b.reg[0].case_id > 0);
    assert_string_equal(b.reg[1].case_no, "");
    assert_true(b.reg[1].case_id == 0);
    assert_string_equal(b.reg[2].case_no, "140728-2026-煤-000002");
    assert_true(b.reg[2].case_id > b.reg[0].case_id);
    sl_test_assert_value(f->db,
                         "SELECT string_agg(source_msg_id, ',' ORDER BY id) || '|' ||"
                         " (SELECT count(*) FROM case_event) FROM cases",
                         "s-1,s-3|2");

    s_batch_t only = {0};
    s_clue(&only, "丑煤业有限公司", COAL, "s-2")->stored_before = &stored;
    s_register(f->db, &only, NOW + 1000);
    assert_int_equal(sl_db_commit(f->db), 0);
    assert_string_equal(only.reg[0].case_no, "");
    sl_test_assert_value(f->db, "SELECT count(*) FROM cases", "2");
    sl_test_audit_intact(f->db);
}

/* A batch rolled back leaves no case and gives its numbers back: the next
 * registration takes number 1. */
static void
test_rollback_gives_numbers_back(void **state)
{
    sl_test_fix_t *f = *state;
    s_batch_t b = {0};
    s_clue(&b, "己煤业有限公司", COAL, "b-1");
    s_register(f->db, &b, NOW);
    assert_string_equal(b.reg[0].case_no, "140728-2026-煤-000001");
    assert_int_equal(sl_db_rollback(f->db), 0);
    sl_test_assert_value(f->db, "SELECT count(*) FROM cases", "0");

    char again[64];
    sl_test_register(f->db, NOW, "庚煤业有限公司", COAL, UNIT, "b-2", again);
    assert_string_equal(again, "140728-2026-煤-000001");
}

/* sl_audit_append_many writes the chain N calls of sl_audit_append would:
 * the same events in the same order (two to one case, interleaved), the same
 * hashes and heads; `slctl audit verify` finds the chains intact. */
/* Prepared ahead (sl_case_reg_prep, as sl-intake's loop thread does) or
 * worked out in the transaction, a batch registers alike: the same numbers,
 * the same repeat found by the prepared keys, the same "registered" details. */
static void
test_prepared_registration_is_the_same(void **state)
{
    sl_test_fix_t *f = *state;
    sl_arena_t *a = sl_arena_new(0);
    const char *names[2][2] = {{"戊煤业有限公司", "己矿业有限公司"},
                               {"庚煤业有限公司", "辛矿业有限公司"}};
    sl_case_prep_t prep[3];
    for (int round = 0; round < 2; round++) {
        s_batch_t b = {0};
        char id[16];
        for (int i = 0; i < 3; i++) {
            snprintf(id, sizeof id, "%c-%d", round ? 'p' : 'n', i);
            sl_case_reg_t *r = s_clue(&b, names[round][i == 1], i == 1 ? NON_COAL : COAL, id);
            if (round) { /* the second round prepared ahead */
                sl_case_reg_prep(&prep[i], a, r->clue, r->route, r->unit_code);
                r->prep = &prep[i];
            }
        }
        s_register(f->db, &b, NOW);
        assert_int_equal(sl_db_commit(f->db), 0);
        assert_false(b.reg[0].repeated);
        assert_false(b.reg[1].repeated);
        assert_true(b.reg[2].repeated);
        assert_string_equal(b.reg[2].case_no, b.reg[0].case_no);
    }
    sl_test_assert_value(f->db,
                         "SELECT (SELECT string_agg(e.kind || e.detail, ',' ORDER BY e.msg_id)"
                         "          FROM case_event e WHERE e.msg_id LIKE 'n-%' AND kind ="
                         "          'registered') IS NOT DISTINCT FROM"
                         "       (SELECT string_agg(e.kind || e.detail, ',' ORDER BY e.msg_id)"
                         "          FROM case_event e WHERE e.msg_id LIKE 'p-%' AND kind ="
                         "          'registered')",
                         "t");
    sl_test_assert_value(f->db, "SELECT count(*) FROM cases", "4");
    sl_test_audit_intact(f->db);
    sl_arena_destroy(&a);
}

static void
test_audit_append_many_is_append_n_times(void **state)
{
    sl_test_fix_t *f = *state;
    char a[64], b[64];
    sl_test_register(f->db, NOW, "辛煤业有限公司", COAL, UNIT, "a-1", a);
    sl_test_register(f->db, NOW, "壬煤业有限公司", COAL, UNIT, "a-2", b);
    char *sa = sl_test_value(f->db, "SELECT id FROM cases WHERE source_msg_id = 'a-1'");
    char *sb = sl_test_value(f->db, "SELECT id FROM cases WHERE source_msg_id = 'a-2'");
    int64_t ia = atoll(sa), ib = atoll(sb);
    free(sa);
    free(sb);
    int64_t ids[] = {ib, ia, ib};
    sl_audit_event_t evs[] = {
        {.at_ms = NOW + 1, .kind = "overdue", .actor_key = "sl-deadline", .detail = "{\"n\":1}"},
        {.at_ms = NOW + 2, .kind = "reminded", .actor_unit = "140728", .detail = "{\"n\":2}"},
        {.at_ms = NOW + 3, .kind = "not_handled", .msg_id = "m", .detail = NULL},
    };
    const char *q = "SELECT string_agg(case_id || ' ' || seq || ' ' || kind || ' ' || hash, ','"
                    " ORDER BY case_id, seq) || '|' || (SELECT string_agg(seq || head,"
                    " ',' ORDER BY case_id) FROM case_chain) FROM case_event";
    assert_int_equal(sl_db_begin(f->db), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(sl_audit_append(f->db, ids[i], &evs[i]), 0);
    char *one_by_one = sl_test_value(f->db, q);
    assert_int_equal(sl_db_rollback(f->db), 0);
    assert_int_equal(sl_db_begin(f->db), 0);
    assert_int_equal(sl_audit_append_many(f->db, ids, evs, 3), 0);
    assert_int_equal(sl_db_commit(f->db), 0);
    char *at_once = sl_test_value(f->db, q);
    assert_string_equal(at_once, one_by_one);
    free(at_once);
    free(one_by_one);
    sl_test_assert_value(f->db,
                         "SELECT string_agg(coalesce(h.seq, 0)::text, ',' ORDER BY c.id)"
                         " FROM cases c LEFT JOIN case_chain h ON h.case_id = c.id",
                         "2,3");
    sl_test_audit_intact(f->db);
    int64_t none[] = {ia, 999999};
    assert_int_equal(sl_db_begin(f->db), 0);
    assert_int_equal(sl_audit_append_many(f->db, none, evs, 2), -1);
    assert_int_equal(sl_db_rollback(f->db), 0);
}

/* An append on a connection of its own, in a transaction of its own (a
 * thread: it waits for the other's lock). */
typedef struct {
    sl_db_t *db;
    int64_t case_id;
    int rc;
} s_waiter_t;

static void *
s_append_waiting(void *arg)
{
    s_waiter_t *w = arg;
    sl_audit_event_t ev = {.at_ms = NOW + 20, .kind = "reminded", .detail = "{}"};
    if ((w->rc = sl_db_begin(w->db)) == 0 && (w->rc = sl_audit_append(w->db, w->case_id, &ev)) == 0)
        w->rc = sl_db_commit(w->db);
    else
        sl_db_rollback(w->db);
    return NULL;
}

/* An append that waited for another transaction's lock on the case chains
 * after the head that transaction left (022: the head is read after the
 * lock, by a statement of its own; read in the locking statement it would be
 * the old one, and the second event would take the first's seq). */
static void
test_append_after_a_lock_wait_reads_the_new_head(void **state)
{
    sl_test_fix_t *f = *state;
    char no[64];
    sl_test_register(f->db, NOW, "癸煤业有限公司", COAL, UNIT, "w-1", no);
    char *sid = sl_test_value(f->db, "SELECT id FROM cases WHERE source_msg_id = 'w-1'");
    s_waiter_t w = {.db = sl_db_new(sl_test_conninfo(f->name)), .case_id = atoll(sid)};
    free(sid);
    assert_non_null(w.db);
    assert_int_equal(sl_db_connect(w.db), 0);

    sl_audit_event_t ev = {.at_ms = NOW + 10, .kind = "overdue", .detail = "{}"};
    assert_int_equal(sl_db_begin(f->db), 0);
    assert_int_equal(sl_audit_append(f->db, w.case_id, &ev), 0); /* seq 2, not committed */
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, s_append_waiting, &w), 0);
    /* until the other append waits for this transaction's lock */
    char *waiting = NULL;
    for (int i = 0; i < 1000; i++) {
        free(waiting);
        waiting = sl_test_value(f->db, "SELECT count(*) FROM pg_stat_activity"
                                       " WHERE datname = current_database()"
                                       " AND wait_event_type = 'Lock'");
        if (strcmp(waiting, "1") == 0)
            break;
        nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
    }
    assert_string_equal(waiting, "1");
    free(waiting);
    assert_int_equal(sl_db_commit(f->db), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(w.rc, 0);
    sl_test_assert_value(f->db,
                         "SELECT string_agg(seq || ' ' || kind, ',' ORDER BY seq) || '|' ||"
                         " (SELECT seq FROM case_chain WHERE case_id = e.case_id)"
                         " FROM case_event e WHERE case_id = (SELECT id FROM cases"
                         " WHERE source_msg_id = 'w-1') GROUP BY case_id",
                         "1 registered,2 overdue,3 reminded|3");
    sl_test_audit_intact(f->db);
    sl_db_destroy(&w.db);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_new_cases_numbered_per_sector, sl_test_fix_setup,
                                        sl_test_fix_teardown),
        cmocka_unit_test_setup_teardown(test_repeats_join_the_open_case, sl_test_fix_setup,
                                        sl_test_fix_teardown),
        cmocka_unit_test_setup_teardown(test_own_case_is_never_a_repeat, sl_test_fix_setup,
                                        sl_test_fix_teardown),
        cmocka_unit_test_setup_teardown(test_credit_code_decides_when_both_have_one,
                                        sl_test_fix_setup, sl_test_fix_teardown),
        cmocka_unit_test_setup_teardown(test_stored_before_is_left_out, sl_test_fix_setup,
                                        sl_test_fix_teardown),
        cmocka_unit_test_setup_teardown(test_rollback_gives_numbers_back, sl_test_fix_setup,
                                        sl_test_fix_teardown),
        cmocka_unit_test_setup_teardown(test_prepared_registration_is_the_same, sl_test_fix_setup,
                                        sl_test_fix_teardown),
        cmocka_unit_test_setup_teardown(test_audit_append_many_is_append_n_times, sl_test_fix_setup,
                                        sl_test_fix_teardown),
        cmocka_unit_test_setup_teardown(test_append_after_a_lock_wait_reads_the_new_head,
                                        sl_test_fix_setup, sl_test_fix_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
