/* test_escalation_db.c — raising escalations (sl_escalation_raise) against the
 * fixture's cluster: a transfer to one of the node's departments left past its
 * feedback deadline is marked OVERDUE by the deadline clock, then raised once
 * — to the parent through the outbox (an Escalation envelope naming the
 * notice, the case and the cause), or, at the top, onto the node's own
 * supervision list — with an "escalated" event on the case's chain; and not
 * while another instance holds the deadline leader lock; a helper's batches
 * on a second connection beside the leader's write what one connection did.
 * Each case runs on a database of its own from the template (sl_test_pg.h). */
#include "sl_arena.h"
#include "sl_calendar.h"
#include "sl_calendar_db.h"
#include "sl_codec.h"
#include "sl_db.h"
#include "sl_escalation.h"
#include "sl_test_pg.h"
#include "sl_transfer.h"
#include "sl_transfer_clock.h"
#include "sl_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>

#define NOW 1779933600000LL                   /* Thursday 2026-05-28 10:00 +08:00 */
#define LATER (NOW + 60LL * 24 * 3600 * 1000) /* 60 days on: past every deadline */
#define UNIT "140728:emergency"

static const sl_transfer_actor_t s_actor = {.key = "sl-deadline", .unit = "140728"};

/* One case transferred at NOW, then the deadline clock run at LATER until it
 * has nothing more to do: the transfer is marked OVERDUE, not yet raised. */
static void
s_overdue(sl_db_t *db)
{
    const char *subjects[] = {"甲煤业有限公司", NULL};
    assert_int_equal(sl_test_form_list(db, NOW, subjects, UNIT).items, 1);
    sl_calendar_t *cal = NULL;
    assert_int_equal(sl_calendar_load(db, &cal), 0);
    bool busy;
    for (int i = 0; i < 10; i++) {
        long n = sl_transfer_clock_tick(db, cal, LATER, 3, 100, &s_actor, &busy, NULL, NULL);
        assert_true(n >= 0);
        assert_false(busy);
        if (n == 0)
            break;
    }
    sl_calendar_destroy(&cal);
    sl_test_assert_value(db,
                         "SELECT string_agg(cause || ':' || (raised_at IS NULL)::text, ',')"
                         " FROM transfer_escalation",
                         "OVERDUE:true");
}

typedef struct {
    int calls;
    char case_no[64];
} s_seen_t;

static void
s_raised_cb(void *arg, const char *case_no, const char *json)
{
    s_seen_t *seen = arg;
    seen->calls++;
    snprintf(seen->case_no, sizeof seen->case_no, "%s", case_no);
    assert_non_null(strstr(json, "OVERDUE"));
}

/* Raises at node 140728 under PARENT ("" at the top); returns the count
 * and checks CB saw each. */
static long
s_raise(sl_db_t *db, const char *parent, s_seen_t *seen)
{
    bool busy;
    long n =
        sl_escalation_raise(db, "140728", parent, LATER, 100, &s_actor, &busy, s_raised_cb, seen);
    assert_false(busy);
    assert_int_equal(seen->calls, n);
    return n;
}

/* A department's overdue transfer goes to the parent: one outbox row holding
 * an Escalation envelope, raised_to parent, an "escalated" event on the
 * chain; raising again raises nothing. */
static void
test_department_overdue_raised_to_the_parent(void **state)
{
    sl_test_fix_t *f = *state;
    s_overdue(f->db);
    s_seen_t seen = {0};
    assert_int_equal(s_raise(f->db, "140700", &seen), 1);
    char *case_no = sl_test_value(f->db, "SELECT case_no FROM cases");
    char *notice = sl_test_value(f->db, "SELECT notice_no FROM transfer");
    assert_string_equal(seen.case_no, case_no);
    sl_test_assert_value(f->db, "SELECT raised_to || ':' || raised_ref FROM transfer_escalation",
                         "parent:140700");
    sl_test_assert_value(f->db, "SELECT count(*) FROM case_event WHERE kind = 'escalated'", "1");

    PGresult *r;
    assert_int_equal(
        sl_db_exec(f->db, &r, "SELECT peer, body_kind, case_no, payload FROM outbox", 0, NULL), 0);
    assert_int_equal(PQntuples(r), 1);
    assert_string_equal(PQgetvalue(r, 0, 0), "140700");
    assert_string_equal(PQgetvalue(r, 0, 1), "escalation");
    assert_string_equal(PQgetvalue(r, 0, 2), case_no);
    /* sendable from the instant it was raised (the batch's one time element) */
    sl_test_assert_value(f->db,
                         "SELECT (extract(epoch FROM created_at) * 1000)::bigint || ' '"
                         " || (extract(epoch FROM next_at) * 1000)::bigint FROM outbox",
                         "1785117600000 1785117600000");
    size_t len;
    unsigned char *bytes = PQunescapeBytea((const unsigned char *)PQgetvalue(r, 0, 3), &len);
    PQclear(r);
    sl_arena_t *arena = sl_arena_new(4096);
    sl_pb_envelope_t *env = NULL;
    sl_codec_error_t err;
    assert_int_equal(sl_codec_decode_envelope(arena, bytes, len, 0, &env, &err), 0);
    PQfreemem(bytes);
    assert_int_equal(env->body_case, SAFELOOP__V1__ENVELOPE__BODY_ESCALATION);
    assert_string_equal(env->escalation->notice_no, notice);
    assert_string_equal(env->escalation->case_no, case_no);
    assert_string_equal(env->escalation->origin_node, "140728");
    assert_string_equal(env->escalation->receiver_unit, UNIT);
    assert_int_equal(env->escalation->cause, SAFELOOP__V1__ESCALATION__CAUSE__OVERDUE);
    assert_string_equal(env->escalation->clue->subject->name, "甲煤业有限公司");
    sl_arena_destroy(&arena);

    s_seen_t again = {0};
    assert_int_equal(s_raise(f->db, "140700", &again), 0);
    sl_test_assert_value(f->db, "SELECT count(*) FROM outbox", "1");
    sl_test_audit_intact(f->db);
    free(notice);
    free(case_no);
}

/* At the top (no parent) the case goes on the node's own supervision list. */
static void
test_top_node_lists_the_case_for_supervision(void **state)
{
    sl_test_fix_t *f = *state;
    s_overdue(f->db);
    s_seen_t seen = {0};
    assert_int_equal(s_raise(f->db, "", &seen), 1);
    sl_test_assert_value(f->db, "SELECT raised_to FROM transfer_escalation", "supervision");
    sl_test_assert_value(f->db,
                         "SELECT s.status || ':' || s.listed_by || ':' || c.case_no FROM"
                         " supervision s JOIN cases c ON c.id = s.case_id",
                         "listed:sl-deadline:140728-2026-煤-000001");
    sl_test_assert_value(f->db, "SELECT count(*) FROM outbox", "0");
    sl_test_audit_intact(f->db);
}

/* While another instance holds the deadline leader lock, nothing is raised. */
static void
test_nothing_raised_without_the_leader_lock(void **state)
{
    sl_test_fix_t *f = *state;
    s_overdue(f->db);
    sl_db_t *other = sl_db_new(sl_test_conninfo(f->name));
    assert_int_equal(sl_db_connect(other), 0);
    bool leader;
    assert_int_equal(sl_db_begin_leader(other, SL_DEADLINE_LOCK, &leader), 0);
    assert_true(leader);

    bool busy;
    s_seen_t seen = {0};
    assert_int_equal(sl_escalation_raise(f->db, "140728", "140700", LATER, 100, &s_actor, &busy,
                                         s_raised_cb, &seen),
                     0);
    assert_true(busy);
    assert_int_equal(seen.calls, 0);
    sl_test_assert_value(f->db, "SELECT count(*) FROM transfer_escalation WHERE raised_at IS NULL",
                         "1");

    assert_int_equal(sl_db_rollback(other), 0);
    sl_db_destroy(&other);
    assert_int_equal(s_raise(f->db, "140700", &seen), 1);
}

/* The tick writes the clocks to transfer_clock (migration 021) and leaves
 * the transfer's row alone (the same row version afterwards) unless it finds
 * a calendar warning the transfer lacks: then that goes onto transfer, the
 * second statement of the clocks' writes. A change to a deadline makes the
 * clock due again (the touch trigger). */
static void
test_clocks_in_their_own_table(void **state)
{
    sl_test_fix_t *f = *state;
    const char *subjects[] = {"乙煤业有限公司", "丙煤业有限公司", NULL};
    assert_int_equal(sl_test_form_list(f->db, NOW, subjects, UNIT).items, 2);
    sl_test_assert_value(f->db,
                         "SELECT count(*) FROM transfer t JOIN transfer_clock k"
                         " ON k.transfer_id = t.id AND k.due_at = '-infinity'",
                         "2");
    /* the second's feedback deadline in 2027, a year with no notice imported */
    assert_int_equal(sl_db_exec(f->db, NULL,
                                "UPDATE transfer SET calendar_warning = '',"
                                " feedback_deadline = '2027-01-05'"
                                " WHERE id = (SELECT max(id) FROM transfer)",
                                0, NULL),
                     0);
    char *before = sl_test_value(f->db, "SELECT xmin FROM transfer ORDER BY id LIMIT 1");
    sl_calendar_t *cal = NULL;
    assert_int_equal(sl_calendar_load(f->db, &cal), 0);
    bool busy;
    assert_int_equal(
        sl_transfer_clock_tick(f->db, cal, NOW + 3600000, 3, 100, &s_actor, &busy, NULL, NULL), 2);
    sl_calendar_destroy(&cal);
    sl_test_assert_value(f->db, "SELECT xmin FROM transfer ORDER BY id LIMIT 1", before);
    free(before);
    sl_test_assert_value(f->db,
                         "SELECT string_agg((t.calendar_warning LIKE '2027年节假日安排未导入%')"
                         " || ':' || (k.due_at > '2026-05-28'), ',' ORDER BY t.id)"
                         " FROM transfer t JOIN transfer_clock k ON k.transfer_id = t.id",
                         "false:true,true:true");
}

/* What a run of ticks wrote and published, as text to compare. */
typedef struct {
    sl_buf_t events; /* topic case_no json, one a line, in publishing order */
} s_run_t;

static void
s_run_event(void *arg, const char *topic, const char *case_no, const char *json)
{
    s_run_t *run = arg;
    sl_buf_printf(&run->events, "%s %s %s\n", topic, case_no, json);
}

static void
s_run_escalated(void *arg, const char *case_no, const char *json)
{
    s_run_event(arg, "case.escalated", case_no, json);
}

static int
s_line_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lines of TEXT sorted, as a new string. */
static char *
s_sorted_lines(const char *text)
{
    char *copy = strdup(text), *save = NULL, *lines[64];
    size_t n = 0;
    for (char *l = strtok_r(copy, "\n", &save); l && n < 64; l = strtok_r(NULL, "\n", &save))
        lines[n++] = l;
    qsort(lines, n, sizeof *lines, s_line_cmp);
    sl_buf_t out;
    sl_buf_init(&out);
    for (size_t k = 0; k < n; k++)
        sl_buf_printf(&out, "%s\n", lines[k]);
    free(copy);
    char *s = strdup(out.data ? out.data : "");
    sl_buf_free(&out);
    return s;
}

/* The rows the clocks and the raising write, as one text; KEYED: without
 * the serial ids, whose order two connections side by side do not keep (the
 * marks by transfer and cause, the outbox by case). */
static char *
s_rows_as(sl_db_t *db, bool keyed)
{
    char sql[2048];
    snprintf(sql, sizeof sql,
             "SELECT concat_ws(E'\\n',"
             " (SELECT string_agg(concat_ws(' ', case_id, seq, at, kind, actor_key, actor_unit,"
             "   operator, msg_id, detail, prev_hash, hash), E'\\n' ORDER BY case_id, seq)"
             "  FROM case_event),"
             " (SELECT string_agg(concat_ws(' ', case_id, seq, head), E'\\n' ORDER BY case_id)"
             "  FROM case_chain),"
             " (SELECT string_agg(concat_ws(' ', id, due_at, accepted_at, reminded_at, overdue_at,"
             "   not_handled_at, calendar_warning), E'\\n' ORDER BY id)"
             "  FROM transfer JOIN transfer_clock ON transfer_id = id),"
             " (SELECT string_agg(concat_ws(' ', %s transfer_id, case_id, cause, marked_at,"
             "   reason, raised_at, raised_to, raised_ref), E'\\n' ORDER BY %s)"
             "  FROM transfer_escalation),"
             " (SELECT string_agg(concat_ws(' ', %s peer, body_kind, case_no), E'\\n' ORDER BY %s)"
             "  FROM outbox),"
             " (SELECT string_agg(s::text, E'\\n' ORDER BY s::text) FROM supervision s))",
             keyed ? "" : "id,", keyed ? "transfer_id, cause" : "id", keyed ? "" : "id,",
             keyed ? "case_no" : "id");
    return sl_test_value(db, sql);
}

static char *
s_rows(sl_db_t *db)
{
    return s_rows_as(db, false);
}

/* A database of its own (its name in NAME) with the transfers of SUBJECTS
 * listed at NOW, their calendar in *CAL and RUN's events emptied. */
static sl_db_t *
s_run_db(const char *prefix, char *name, const char *const *subjects, sl_calendar_t **cal,
         s_run_t *run)
{
    sl_db_t *db = sl_test_db_new(prefix, name);
    size_t n = 0;
    while (subjects[n])
        n++;
    assert_int_equal(sl_test_form_list(db, NOW, subjects, UNIT).items, n);
    *cal = NULL;
    assert_int_equal(sl_calendar_load(db, cal), 0);
    sl_buf_init(&run->events);
    return db;
}

/* The two runs wrote the same ROWS and published the same events (in an
 * order of their own: a transaction publishes its batch's clocks and
 * raisings together, so only their order across batches differs); frees
 * both. */
static void
s_same_runs(char *rows[2], s_run_t runs[2])
{
    assert_string_equal(rows[1], rows[0]);
    assert_non_null(runs[0].events.data);
    char *ev0 = s_sorted_lines(runs[0].events.data), *ev1 = s_sorted_lines(runs[1].events.data);
    assert_non_null(strstr(ev0, "case.escalated"));
    assert_string_equal(ev1, ev0);
    free(ev0);
    free(ev1);
    for (int k = 0; k < 2; k++) {
        free(rows[k]);
        sl_buf_free(&runs[k].events);
    }
}

/* The clocks and the raising in one transaction a batch (sl_escalation_tick,
 * as sl-deadline runs them) write the same rows, chains and envelopes and
 * publish the same events as the clocks, then the raising, each in
 * transactions of their own: three cases, two a batch, raised under PARENT
 * ("" at the top: onto the supervision list). */
static void
s_one_transaction_writes_what_two_did(const char *parent)
{
    const char *subjects[] = {"甲煤业有限公司", "乙煤业有限公司", "丙煤业有限公司", NULL};
    char names[2][64];
    s_run_t runs[2];
    char *rows[2];
    for (int k = 0; k < 2; k++) {
        sl_calendar_t *cal;
        sl_db_t *db = s_run_db("test_escalation_tick", names[k], subjects, &cal, &runs[k]);
        bool busy;
        long n, m, looked = 0, raised = 0;
        if (k == 0) {
            do {
                n = sl_transfer_clock_tick(db, cal, LATER, 3, 2, &s_actor, &busy, s_run_event,
                                           &runs[k]);
                looked += n;
            } while (n == 2);
            do {
                m = sl_escalation_raise(db, "140728", parent, LATER, 2, &s_actor, &busy,
                                        s_run_escalated, &runs[k]);
                raised += m;
            } while (m == 2);
        } else {
            do {
                n = sl_escalation_tick(db, cal, "140728", parent, LATER, 3, 2, NULL, &s_actor,
                                       &busy, &m, s_run_event, &runs[k]);
                assert_true(n >= 0 && m >= 0);
                looked += n;
                raised += m;
            } while (n == 2 || m >= 2);
        }
        assert_int_equal(looked, 3);
        assert_int_equal(raised, 3);
        rows[k] = s_rows(db);
        sl_test_audit_intact(db);
        sl_calendar_destroy(&cal);
        sl_test_db_drop(&db, names[k]);
    }
    assert_non_null(strstr(rows[0], "escalated"));
    assert_non_null(strstr(rows[0], parent[0] ? " parent 140700" : " supervision "));
    s_same_runs(rows, runs);
}

static void
test_one_transaction_writes_what_two_did(void **state)
{
    (void)state;
    s_one_transaction_writes_what_two_did("140700");
}

static void
test_one_transaction_writes_what_two_did_at_the_top(void **state)
{
    (void)state;
    s_one_transaction_writes_what_two_did("");
}

/* A helper's batch (sl_escalation_tick with BUSY NULL) on its own thread. */
typedef struct {
    sl_db_t *db;
    const sl_calendar_t *cal;
    s_run_t *run;
    long n, m;
    sl_transfer_share_t share;
} s_helper_t;

static void *
s_helper_batch(void *arg)
{
    s_helper_t *h = arg;
    h->n = sl_escalation_tick(h->db, h->cal, "140728", "140700", LATER, 3, 2, &h->share, &s_actor,
                              NULL, &h->m, s_run_event, h->run);
    return NULL;
}

/* Six cases due: the leader's batches of two on one connection and a
 * helper's beside them on another, round by round as sl-deadline runs them
 * ([deadline] tick_connections = 2), each on its share (the even transfer
 * ids the leader's, the odd the helper's), write the rows, chains and
 * envelopes and publish the events one connection did, each transfer once;
 * the helper did its three. */
static void
test_a_helper_beside_the_leader_writes_what_one_did(void **state)
{
    (void)state;
    const char *subjects[] = {"甲煤业有限公司",
                              "乙煤业有限公司",
                              "丙煤业有限公司",
                              "丁煤业有限公司",
                              "戊煤业有限公司",
                              "己煤业有限公司",
                              NULL};
    char names[2][64];
    s_run_t runs[3];
    char *rows[2];
    long helped = 0;
    for (int k = 0; k < 2; k++) {
        sl_calendar_t *cal;
        sl_db_t *db = s_run_db("test_escalation_helper", names[k], subjects, &cal, &runs[k]);
        bool busy, full;
        long n, m, looked = 0, raised = 0;
        sl_db_t *db2 = k == 1 ? sl_db_new(sl_test_conninfo(names[k])) : NULL;
        if (db2) {
            assert_int_equal(sl_db_connect(db2), 0);
            sl_buf_init(&runs[2].events);
        }
        do {
            s_helper_t h = {db2, cal, &runs[2], 0, 0, {1, 2}};
            sl_transfer_share_t share = {0, db2 ? 2 : 1};
            pthread_t t;
            if (db2)
                assert_int_equal(pthread_create(&t, NULL, s_helper_batch, &h), 0);
            n = sl_escalation_tick(db, cal, "140728", "140700", LATER, 3, 2, &share, &s_actor,
                                   &busy, &m, s_run_event, &runs[k]);
            if (db2)
                assert_int_equal(pthread_join(t, NULL), 0);
            assert_true(n >= 0 && m >= 0 && h.n >= 0 && h.m >= 0);
            assert_false(busy);
            full = n == 2 || m >= 2 || h.n == 2 || h.m >= 2;
            looked += n + h.n;
            raised += m + h.m;
            helped += h.n;
        } while (full);
        assert_int_equal(looked, 6);
        assert_int_equal(raised, 6);
        rows[k] = s_rows_as(db, true);
        sl_test_audit_intact(db);
        if (db2) {
            sl_db_destroy(&db2);
            sl_buf_append(&runs[1].events, runs[2].events.data, runs[2].events.len);
            sl_buf_free(&runs[2].events);
        }
        sl_calendar_destroy(&cal);
        sl_test_db_drop(&db, names[k]);
    }
    assert_int_equal(helped, 3); /* transfers 1, 3 and 5 */
    assert_non_null(strstr(rows[0], " parent 140700"));
    s_same_runs(rows, runs);
}

/* The transfers (id and due_at, - when their clock is done) one a line, in
 * id order. */
static char *
s_clocks(sl_db_t *db)
{
    PGresult *r = NULL;
    assert_int_equal(sl_db_exec(db, &r,
                                "SELECT string_agg(t.id || ' ' || coalesce(k.due_at::text, '-'),"
                                " E'\\n' ORDER BY t.id) FROM transfer t"
                                " LEFT JOIN transfer_clock k ON k.transfer_id = t.id",
                                0, NULL),
                     0);
    char *s = sl_strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    return s;
}

/* The clocks of the four transfers in DB moved since BEFORE (s_clocks) as
 * WHICH says: bit 0 those of the odd ids, bit 1 those of the even. */
static void
s_moved(const char *before, sl_db_t *db, int which)
{
    char *after = s_clocks(db);
    const char *b = before, *a = after;
    for (int id = 1; id <= 4; id++) {
        size_t lb = strcspn(b, "\n"), la = strcspn(a, "\n");
        assert_int_equal(atoi(b), id);
        assert_int_equal(atoi(a), id);
        bool moved = lb != la || memcmp(a, b, la) != 0;
        assert_int_equal(moved, (which >> (id % 2 == 0)) & 1);
        b += lb + (b[lb] != 0), a += la + (a[la] != 0);
    }
    free(after);
}

/* A share of the due transfers (id % count == index) is all a batch takes:
 * share 1 of 2 moves the clocks of the odd ids alone and then finds nothing
 * due; a share of one takes the rest. */
static void
test_a_share_takes_its_own_transfers(void **state)
{
    (void)state;
    const char *subjects[] = {"甲煤业有限公司", "乙煤业有限公司", "丙煤业有限公司",
                              "丁煤业有限公司", NULL};
    char name[64];
    s_run_t run;
    sl_calendar_t *cal;
    sl_db_t *db = s_run_db("test_escalation_share", name, subjects, &cal, &run);
    char *before = s_clocks(db);
    bool busy;
    long m;
    sl_transfer_share_t odd = {1, 2}, any = {0, 1};
    assert_int_equal(sl_escalation_tick(db, cal, "140728", "140700", LATER, 3, 100, &odd, &s_actor,
                                        &busy, &m, s_run_event, &run),
                     2);
    s_moved(before, db, 1); /* the odd ids moved, the even did not */
    assert_int_equal(sl_escalation_tick(db, cal, "140728", "140700", LATER, 3, 100, &odd, &s_actor,
                                        &busy, &m, s_run_event, &run),
                     0);
    assert_int_equal(sl_escalation_tick(db, cal, "140728", "140700", LATER, 3, 100, &any, &s_actor,
                                        &busy, &m, s_run_event, &run),
                     2);
    s_moved(before, db, 3); /* the even too */
    free(before);
    sl_buf_free(&run.events);
    sl_calendar_destroy(&cal);
    sl_test_db_drop(&db, name);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_department_overdue_raised_to_the_parent,
                                        sl_test_fix_setup, sl_test_fix_teardown),
        cmocka_unit_test_setup_teardown(test_top_node_lists_the_case_for_supervision,
                                        sl_test_fix_setup, sl_test_fix_teardown),
        cmocka_unit_test_setup_teardown(test_nothing_raised_without_the_leader_lock,
                                        sl_test_fix_setup, sl_test_fix_teardown),
        cmocka_unit_test_setup_teardown(test_clocks_in_their_own_table, sl_test_fix_setup,
                                        sl_test_fix_teardown),
        cmocka_unit_test(test_one_transaction_writes_what_two_did),
        cmocka_unit_test(test_one_transaction_writes_what_two_did_at_the_top),
        cmocka_unit_test(test_a_helper_beside_the_leader_writes_what_one_did),
        cmocka_unit_test(test_a_share_takes_its_own_transfers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
