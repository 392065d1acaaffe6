/* test_db_defer.c — sl_db's deferred statements against the real cluster of
 * the test fixture: BEGIN and writes held back travel with the next statement
 * or COMMIT in one round trip, an error in one of them is reported by that
 * call (which then does not run), ROLLBACK drops what is held back, and a
 * script after deferred statements still runs after them; binary column
 * arrays (sl_db_bin_*) arrive as the text ones do, run or held back. Statements
 * sent at once (sl_db_send_deferred) run on the server before the next call,
 * which reads them in order and reports their error; ROLLBACK reads them
 * first; a connection lost under them fails the next call, which does not
 * reconnect. A held-back statement's rows reach a callback when the call that
 * carries it returns (sl_db_bin_defer_rows). Each case works on a TEMP table
 * of one session, so nothing outlives the test. Every case runs twice: as
 * is, then with the statements prepared (sl_db_prepare_statements), where a
 * statement is prepared once a session, a Parse the server refuses is
 * forgotten, and a new session or a statement the server no longer knows
 * prepares afresh. */
#include "sl_db.h"
#include "sl_test_pg.h"
#include "sl_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

static char s_conninfo[1200];
static bool s_prepare; /* the second run: statements prepared */

static int
s_setup(void **state)
{
    (void)state;
    const char *ci = sl_test_conninfo("postgres");
    if (!ci)
        return -1;
    snprintf(s_conninfo, sizeof s_conninfo, "%s", ci);
    return 0;
}

static sl_db_t *
s_db(void)
{
    sl_db_t *db = sl_db_new(s_conninfo);
    if (s_prepare)
        sl_db_prepare_statements(db);
    assert_int_equal(sl_db_connect(db), 0);
    assert_int_equal(sl_db_exec(db, NULL, "CREATE TEMP TABLE t (k int PRIMARY KEY)", 0, NULL), 0);
    return db;
}

static void
s_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The server pid of DB's session. */
static char *
s_pid(sl_db_t *db)
{
    PGresult *r;
    assert_int_equal(sl_db_exec(db, &r, "SELECT pg_backend_pid()", 0, NULL), 0);
    char *pid = sl_strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    return pid;
}

/* The number SQL (a count without parameters) returns on DB. */
static long
s_number(sl_db_t *db, const char *sql)
{
    PGresult *r;
    assert_int_equal(sl_db_exec(db, &r, sql, 0, NULL), 0);
    long n = atol(PQgetvalue(r, 0, 0));
    PQclear(r);
    return n;
}

static long
s_count(sl_db_t *db)
{
    return s_number(db, "SELECT count(*) FROM t");
}

static void
s_insert(sl_db_t *db, const char *k)
{
    const char *p[] = {k};
    assert_int_equal(sl_db_defer(db, "INSERT INTO t VALUES ($1::int)", 1, p), 0);
}

/* Held-back BEGIN and inserts run before the next statement, inside one
 * transaction that ROLLBACK undoes. */
static void
test_deferred_run_first_in_the_transaction(void **state)
{
    (void)state;
    sl_db_t *db = s_db();
    assert_int_equal(sl_db_begin_deferred(db), 0);
    s_insert(db, "1");
    s_insert(db, "2");
    assert_int_equal(s_count(db), 2);
    assert_int_equal(sl_db_rollback(db), 0);
    assert_int_equal(s_count(db), 0);
    sl_db_destroy(&db);
}

/* COMMIT takes what is held back with it. */
static void
test_commit_takes_the_deferred(void **state)
{
    (void)state;
    sl_db_t *db = s_db();
    assert_int_equal(sl_db_begin_deferred(db), 0);
    s_insert(db, "1");
    s_insert(db, "2");
    s_insert(db, "3");
    assert_int_equal(sl_db_commit(db), 0);
    assert_int_equal(s_count(db), 3);
    sl_db_destroy(&db);
}

/* A failing deferred statement is what the next call reports (its SQLSTATE),
 * the call's own statement does not run, and after ROLLBACK the connection
 * works as before. SEND: the same with the statements sent at once
 * (sl_db_send_deferred), one held back after them; then ROLLBACK right after
 * sending a failing one, with no call between, and a good one sent after. */
static void
s_error_reported_by_the_next_call(bool send)
{
    sl_db_t *db = s_db();
    assert_int_equal(sl_db_exec(db, NULL, "INSERT INTO t VALUES (7)", 0, NULL), 0);
    assert_int_equal(sl_db_begin_deferred(db), 0);
    s_insert(db, "8");
    s_insert(db, "7"); /* duplicate key */
    if (send)
        assert_int_equal(sl_db_send_deferred(db), 0);
    s_insert(db, "9");
    PGresult *r = (PGresult *)1;
    assert_int_equal(sl_db_exec(db, &r, "SELECT 42", 0, NULL), -1);
    assert_null(r);
    assert_string_equal(sl_db_sqlstate(db), "23505");
    assert_non_null(strstr(sl_db_error(db), "t_pkey"));
    assert_int_equal(sl_db_rollback(db), 0);
    assert_int_equal(s_count(db), 1);
    /* the same through COMMIT */
    assert_int_equal(sl_db_begin_deferred(db), 0);
    s_insert(db, "7");
    assert_int_equal(sl_db_commit(db), -1);
    assert_string_equal(sl_db_sqlstate(db), "23505");
    assert_int_equal(sl_db_rollback(db), 0);
    assert_int_equal(s_count(db), 1);
    if (send) {
        assert_int_equal(sl_db_begin_deferred(db), 0);
        s_insert(db, "7");
        assert_int_equal(sl_db_send_deferred(db), 0);
        assert_int_equal(sl_db_rollback(db), 0);
        assert_int_equal(s_count(db), 1);
        assert_int_equal(sl_db_begin_deferred(db), 0);
        s_insert(db, "8");
        assert_int_equal(sl_db_send_deferred(db), 0);
        assert_int_equal(sl_db_commit(db), 0);
        assert_int_equal(s_count(db), 2);
    }
    sl_db_destroy(&db);
}

static void
test_error_in_deferred_is_reported_by_the_next_call(void **state)
{
    (void)state;
    s_error_reported_by_the_next_call(false);
}

static void
test_error_in_sent_is_reported_by_the_next_call(void **state)
{
    (void)state;
    s_error_reported_by_the_next_call(true);
}

/* ROLLBACK drops what was held back: it never reaches the server. */
static void
test_rollback_drops_the_deferred(void **state)
{
    (void)state;
    sl_db_t *db = s_db();
    assert_int_equal(sl_db_begin_deferred(db), 0);
    s_insert(db, "1");
    assert_int_equal(sl_db_rollback(db), 0);
    assert_int_equal(sl_db_commit(db), 0); /* nothing open: only a warning */
    assert_int_equal(s_count(db), 0);
    sl_db_destroy(&db);
}

/* A script cannot share a pipeline: what is held back runs first, then it. */
static void
test_script_runs_after_the_deferred(void **state)
{
    (void)state;
    sl_db_t *db = s_db();
    assert_int_equal(sl_db_begin_deferred(db), 0);
    s_insert(db, "1");
    assert_int_equal(sl_db_exec_script(db, "INSERT INTO t VALUES (2); INSERT INTO t VALUES (3);"),
                     0);
    assert_int_equal(sl_db_commit(db), 0);
    assert_int_equal(s_count(db), 3);
    sl_db_destroy(&db);
}


/* Waits up to 10 s until session PID runs a statement containing SLEEP
 * (pg_sleep(SLEEP)), seen from a session of its own; with KILL, ends that
 * session then. Fails the test if it never does. */
static void
s_wait_running(const char *pid, const char *sleep, bool kill)
{
    sl_db_t *watch = sl_db_new(s_conninfo);
    char like[64];
    snprintf(like, sizeof like, "%%pg_sleep(%s)%%", sleep);
    const char *p[] = {pid, like, kill ? "t" : "f"};
    bool seen = false;
    for (int i = 0; i < 200 && !seen; i++) {
        PGresult *r;
        assert_int_equal(sl_db_exec(watch, &r,
                                    "SELECT CASE WHEN $3::bool THEN pg_terminate_backend(pid)"
                                    " END FROM pg_stat_activity WHERE pid = $1::int"
                                    " AND state = 'active' AND query LIKE $2",
                                    3, p),
                         0);
        seen = PQntuples(r) == 1;
        PQclear(r);
        if (!seen)
            s_sleep_ms(50);
    }
    assert_true(seen);
    sl_db_destroy(&watch);
}

/* What is sent runs on the server while the caller does something else: a
 * second session sees it executing before the first makes another call;
 * the COMMIT then reads it with what was held back after it, in order. */
static void
test_sent_runs_before_the_next_call(void **state)
{
    (void)state;
    sl_db_t *db = s_db();
    char *pid = s_pid(db);
    assert_int_equal(sl_db_begin_deferred(db), 0);
    assert_int_equal(sl_db_defer(db, "INSERT INTO t SELECT 5 FROM pg_sleep(0.5)", 0, NULL), 0);
    assert_int_equal(sl_db_send_deferred(db), 0);
    assert_int_equal(sl_db_send_deferred(db), 0); /* nothing held: nothing to do */
    s_wait_running(pid, "0.5", false);
    s_insert(db, "6"); /* held after what was sent */
    assert_int_equal(sl_db_commit(db), 0);
    assert_int_equal(s_count(db), 2);
    free(pid);
    sl_db_destroy(&db);
}

/* The session ends while what was sent is unread: the next call fails with
 * SL_AGAIN instead of reconnecting and running outside the transaction that
 * was lost; the call after it connects afresh. */
static void
test_sent_lost_with_the_connection(void **state)
{
    (void)state;
    sl_db_t *db = s_db();
    char *pid = s_pid(db);
    assert_int_equal(sl_db_begin_deferred(db), 0);
    assert_int_equal(sl_db_defer(db, "INSERT INTO t SELECT 1 FROM pg_sleep(30)", 0, NULL), 0);
    assert_int_equal(sl_db_send_deferred(db), 0);
    s_wait_running(pid, "30", true);
    assert_int_equal(sl_db_exec(db, NULL, "INSERT INTO t VALUES (2)", 0, NULL), SL_AGAIN);
    assert_false(sl_db_connected(db));
    PGresult *r;
    assert_int_equal(sl_db_exec(db, &r, "SELECT 1", 0, NULL), 0); /* a new session */
    PQclear(r);
    char *again = s_pid(db);
    assert_string_not_equal(again, pid);
    free(again);
    free(pid);
    sl_db_destroy(&db);
}

/* Binary column arrays, every element type, NULLs, an empty text, bytes with
 * zeros and quotes, negative and wide integers and a timestamp to the
 * millisecond, read back as text: run at once and held back alike. */
static void
test_binary_arrays_arrive_as_sent(void **state)
{
    (void)state;
    sl_db_t *db = s_db();
    assert_int_equal(sl_db_exec(db, NULL,
                                "CREATE TEMP TABLE b (t text, s smallint, i int, l bigint,"
                                " f bool, y bytea, at timestamptz)",
                                0, NULL),
                     0);
    static const sl_db_type_t types[] = {SL_DB_TEXT, SL_DB_INT2,  SL_DB_INT4, SL_DB_INT8,
                                         SL_DB_BOOL, SL_DB_BYTEA, SL_DB_TSTZ};
    static const char *const sql =
        "INSERT INTO b SELECT * FROM unnest($1::text[], $2::smallint[], $3::int[], $4::bigint[],"
        " $5::bool[], $6::bytea[], $7::timestamptz[])";
    for (int deferred = 0; deferred < 2; deferred++) {
        sl_db_bin_t c;
        sl_db_bin_init(&c, 7, types);
        sl_db_bin_text(&c, 0, "隐患\"线索\\{1,2}");
        sl_db_bin_int(&c, 1, -7);
        sl_db_bin_int(&c, 2, -2147483647);
        sl_db_bin_int(&c, 3, 9007199254740993LL);
        sl_db_bin_bool(&c, 4, true);
        sl_db_bin_bytea(&c, 5, "\0a\"\\", 4);
        sl_db_bin_time(&c, 6, 1641949200123LL); /* 2022-01-12T09:00:00.123+08:00 */
        sl_db_bin_text(&c, 0, "");
        for (int k = 1; k < 7; k++)
            sl_db_bin_null(&c, k);
        if (deferred) {
            assert_int_equal(sl_db_begin_deferred(db), 0);
            assert_int_equal(sl_db_bin_defer(db, sql, &c), 0);
            assert_int_equal(sl_db_commit(db), 0);
        } else {
            assert_int_equal(sl_db_bin_exec(db, NULL, sql, &c), 0);
        }
        sl_db_bin_free(&c);
    }
    PGresult *r;
    assert_int_equal(
        sl_db_exec(db, &r,
                   "SELECT t, s, i, l, f, encode(y, 'hex'), to_char(at AT TIME ZONE"
                   " 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS.MS'), s IS NULL AND y IS NULL"
                   " FROM b ORDER BY t DESC, s",
                   0, NULL),
        0);
    assert_int_equal(PQntuples(r), 4);
    for (int row = 0; row < 2; row++) { /* run at once, then held back */
        assert_string_equal(PQgetvalue(r, row, 0), "隐患\"线索\\{1,2}");
        assert_string_equal(PQgetvalue(r, row, 1), "-7");
        assert_string_equal(PQgetvalue(r, row, 2), "-2147483647");
        assert_string_equal(PQgetvalue(r, row, 3), "9007199254740993");
        assert_string_equal(PQgetvalue(r, row, 4), "t");
        assert_string_equal(PQgetvalue(r, row, 5), "0061225c");
        assert_string_equal(PQgetvalue(r, row, 6), "2022-01-12 09:00:00.123");
        assert_string_equal(PQgetvalue(r, row + 2, 0), "");
        assert_string_equal(PQgetvalue(r, row + 2, 7), "t");
    }
    PQclear(r);
    sl_db_destroy(&db);
}

/* Rows a held-back statement was asked for (s_rows). */
typedef struct {
    char seen[64];
    int calls;
} s_rows_t;

static void
s_rows(void *arg, const char *const *cols)
{
    s_rows_t *r = arg;
    size_t at = strlen(r->seen);
    snprintf(r->seen + at, sizeof r->seen - at, "%s%s=%s", at ? "," : "", cols[0], cols[1]);
    r->calls++;
}

/* A held-back statement's rows reach its callback when the call that carries
 * it returns, before that call's own result, and in a pipeline of several
 * (held back, and sent at once before it); NULL reads "". A statement that
 * failed, or one dropped by ROLLBACK, calls nothing. */
static void
test_deferred_rows_reach_the_callback(void **state)
{
    (void)state;
    sl_db_t *db = s_db();
    static const sl_db_type_t types[] = {SL_DB_INT4};
    static const char *const sql =
        "SELECT k, CASE WHEN k > 1 THEN 'v' || k END FROM unnest($1::int[]) AS k ORDER BY k";
    s_rows_t got = {{0}, 0};
    sl_db_bin_t c;
    sl_db_bin_init(&c, 1, types);
    sl_db_bin_int(&c, 0, 2);
    sl_db_bin_int(&c, 0, 1);
    assert_int_equal(sl_db_begin_deferred(db), 0);
    s_insert(db, "1");
    assert_int_equal(sl_db_send_deferred(db), 0);
    assert_int_equal(sl_db_bin_defer_rows(db, sql, &c, s_rows, &got), 0);
    assert_int_equal(got.calls, 0); /* nothing before the call that carries it */
    s_insert(db, "2");
    assert_int_equal(s_count(db), 2);
    assert_string_equal(got.seen, "1=,2=v2");
    assert_int_equal(got.calls, 2);
    assert_int_equal(sl_db_commit(db), 0);

    /* failed: an error in it, or before it, calls nothing */
    s_rows_t none = {{0}, 0};
    assert_int_equal(sl_db_begin_deferred(db), 0);
    s_insert(db, "1"); /* a duplicate key: the rest is skipped */
    assert_int_equal(sl_db_bin_defer_rows(db, sql, &c, s_rows, &none), 0);
    assert_int_equal(sl_db_exec(db, NULL, "SELECT 1", 0, NULL), -1);
    assert_int_equal(sl_db_rollback(db), 0);
    assert_int_equal(sl_db_begin_deferred(db), 0);
    assert_int_equal(sl_db_bin_defer_rows(db, sql, &c, s_rows, &none), 0);
    assert_int_equal(sl_db_rollback(db), 0);
    assert_int_equal(s_count(db), 2);
    assert_int_equal(none.calls, 0);
    sl_db_bin_free(&c);
    sl_db_destroy(&db);
}

/* The statements DB's session has prepared, as the server counts them. */
static long
s_server_prepared(sl_db_t *db)
{
    return s_number(db, "SELECT count(*) FROM pg_prepared_statements");
}

/* $1 + 1 on DB, expecting RC (and the sum when 0). */
static void
s_plus_one(sl_db_t *db, const char *v, int rc)
{
    const char *p[] = {v};
    PGresult *r = NULL;
    assert_int_equal(sl_db_exec(db, &r, "SELECT $1::int + 1", 1, p), rc);
    if (rc == 0) {
        assert_int_equal(atol(PQgetvalue(r, 0, 0)), atol(v) + 1);
        PQclear(r);
    }
}

/* A statement with parameters is prepared once a session, whether it runs
 * at once, held back or sent (the same one twice in one pipeline too);
 * those without run unnamed. */
static void
test_prepared_once_a_session(void **state)
{
    (void)state;
    sl_db_t *db = s_db();
    assert_int_equal(sl_db_begin_deferred(db), 0);
    s_insert(db, "1");
    s_insert(db, "2");
    assert_int_equal(sl_db_send_deferred(db), 0);
    s_insert(db, "3");
    s_plus_one(db, "41", 0);
    s_plus_one(db, "1", 0);
    assert_int_equal(sl_db_commit(db), 0);
    assert_int_equal(s_count(db), 3);
    assert_int_equal(sl_db_prepared(db), 2);
    assert_int_equal(s_server_prepared(db), 2);
    sl_db_destroy(&db);
}

/* A Parse the server refuses (no such table) fails its call and is
 * forgotten; one it answered before the failure in the same pipeline is
 * kept, and both sides agree on what is prepared. */
static void
test_prepared_refused_is_forgotten(void **state)
{
    (void)state;
    sl_db_t *db = s_db();
    assert_int_equal(sl_db_begin_deferred(db), 0);
    s_insert(db, "1");
    const char *p[] = {"2"};
    assert_int_equal(sl_db_defer(db, "INSERT INTO no_such_table VALUES ($1::int)", 1, p), 0);
    s_plus_one(db, "1", -1);
    assert_string_equal(sl_db_sqlstate(db), "42P01");
    assert_int_equal(sl_db_rollback(db), 0);
    assert_int_equal(sl_db_prepared(db), 1);
    assert_int_equal(s_server_prepared(db), 1);
    s_plus_one(db, "1", 0);
    s_plus_one(db, "2", 0);
    assert_int_equal(sl_db_prepared(db), 2);
    assert_int_equal(s_server_prepared(db), 2);
    sl_db_destroy(&db);
}

/* A new session (the old one terminated) prepares afresh. */
static void
test_prepared_afresh_in_a_new_session(void **state)
{
    (void)state;
    sl_db_t *db = s_db();
    s_plus_one(db, "1", 0);
    assert_int_equal(sl_db_prepared(db), 1);
    char *pid = s_pid(db);
    sl_db_t *other = sl_db_new(s_conninfo);
    const char *p[] = {pid};
    assert_int_equal(sl_db_exec(other, NULL, "SELECT pg_terminate_backend($1::int)", 1, p), 0);
    sl_db_destroy(&other);
    int rc;
    do /* the call that finds the session gone fails; the next reconnects */
        rc = sl_db_exec(db, NULL, "SELECT $1::int", 1, p);
    while (rc == SL_AGAIN);
    assert_int_equal(rc, 0);
    assert_int_equal(sl_db_prepared(db), 1);
    s_plus_one(db, "1", 0);
    assert_int_equal(sl_db_prepared(db), 2);
    assert_int_equal(s_server_prepared(db), 2);
    free(pid);
    sl_db_destroy(&db);
}

/* A statement the session no longer knows (DEALLOCATE ALL, as a pooler
 * would) fails its call once (26000); the next prepares it again. */
static void
test_prepared_again_when_the_server_forgot(void **state)
{
    (void)state;
    sl_db_t *db = s_db();
    s_plus_one(db, "1", 0);
    assert_int_equal(sl_db_exec_script(db, "DEALLOCATE ALL"), 0);
    s_plus_one(db, "1", -1);
    assert_string_equal(sl_db_sqlstate(db), "26000");
    assert_int_equal(sl_db_prepared(db), 0);
    s_plus_one(db, "1", 0);
    assert_int_equal(sl_db_prepared(db), 1);
    sl_db_destroy(&db);
}

/* How often the session has run the statement SQL with a generic plan (0)
 * and with custom ones (1). */
static long
s_plans(sl_db_t *db, const char *sql, int custom)
{
    const char *p[] = {sql};
    PGresult *r;
    assert_int_equal(sl_db_exec(db, &r,
                                "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
                                " WHERE statement = $1",
                                1, p),
                     0);
    assert_int_equal(PQntuples(r), 1);
    long n = atol(PQgetvalue(r, 0, custom));
    PQclear(r);
    return n;
}

/* After sl_db_plan_generic the transaction's statements run on a generic
 * plan, held back ones too; after it ends they are planned for their
 * values again (the server's first five runs of a statement). */
static void
test_plan_generic_until_the_end_of_the_transaction(void **state)
{
    (void)state;
    sl_db_t *db = s_db();
    static const char *plus = "SELECT $1::int + 1";
    assert_int_equal(sl_db_begin_deferred(db), 0);
    assert_int_equal(sl_db_plan_generic(db), 0);
    s_insert(db, "1");
    s_plus_one(db, "1", 0);
    s_plus_one(db, "2", 0);
    assert_int_equal(s_plans(db, "INSERT INTO t VALUES ($1::int)", 0), 1);
    assert_int_equal(s_plans(db, plus, 0), 2);
    assert_int_equal(s_plans(db, plus, 1), 0);
    assert_int_equal(sl_db_commit(db), 0);
    s_plus_one(db, "3", 0);
    assert_int_equal(s_plans(db, plus, 1), 1);
    assert_int_equal(s_count(db), 1);
    sl_db_destroy(&db);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deferred_run_first_in_the_transaction),
        cmocka_unit_test(test_commit_takes_the_deferred),
        cmocka_unit_test(test_error_in_deferred_is_reported_by_the_next_call),
        cmocka_unit_test(test_rollback_drops_the_deferred),
        cmocka_unit_test(test_script_runs_after_the_deferred),
        cmocka_unit_test(test_binary_arrays_arrive_as_sent),
        cmocka_unit_test(test_sent_runs_before_the_next_call),
        cmocka_unit_test(test_error_in_sent_is_reported_by_the_next_call),
        cmocka_unit_test(test_sent_lost_with_the_connection),
        cmocka_unit_test(test_deferred_rows_reach_the_callback),
    };
    const struct CMUnitTest prepared[] = {
        cmocka_unit_test(test_prepared_once_a_session),
        cmocka_unit_test(test_prepared_refused_is_forgotten),
        cmocka_unit_test(test_prepared_afresh_in_a_new_session),
        cmocka_unit_test(test_prepared_again_when_the_server_forgot),
        cmocka_unit_test(test_plan_generic_until_the_end_of_the_transaction),
    };
    int failed = cmocka_run_group_tests_name("unnamed", tests, s_setup, NULL);
    s_prepare = true;
    failed += cmocka_run_group_tests_name("prepared, the same", tests, s_setup, NULL);
    failed += cmocka_run_group_tests_name("prepared", prepared, s_setup, NULL);
    return failed;
}
