/* test_db_defer.c — sl_db's deferred statements against the real cluster of
 * the test fixture: BEGIN and writes held back travel with the next statement
 * or COMMIT in one round trip, an error in one of them is reported by that
 * call (which then does not run), ROLLBACK drops what is held back, and a
 * script after deferred statements still runs after them. Each case works on
 * a TEMP table of one session, so nothing outlives the test. */
#include "sl_db.h"
#include "sl_test_pg.h"
#include "sl_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static char s_conninfo[1200];

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
    assert_int_equal(sl_db_connect(db), 0);
    assert_int_equal(sl_db_exec(db, NULL, "CREATE TEMP TABLE t (k int PRIMARY KEY)", 0, NULL), 0);
    return db;
}

static long
s_count(sl_db_t *db)
{
    PGresult *r;
    assert_int_equal(sl_db_exec(db, &r, "SELECT count(*) FROM t", 0, NULL), 0);
    long n = atol(PQgetvalue(r, 0, 0));
    PQclear(r);
    return n;
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
 * works as before. */
static void
test_error_in_deferred_is_reported_by_the_next_call(void **state)
{
    (void)state;
    sl_db_t *db = s_db();
    assert_int_equal(sl_db_exec(db, NULL, "INSERT INTO t VALUES (7)", 0, NULL), 0);
    assert_int_equal(sl_db_begin_deferred(db), 0);
    s_insert(db, "8");
    s_insert(db, "7"); /* duplicate key */
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
    sl_db_destroy(&db);
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

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deferred_run_first_in_the_transaction),
        cmocka_unit_test(test_commit_takes_the_deferred),
        cmocka_unit_test(test_error_in_deferred_is_reported_by_the_next_call),
        cmocka_unit_test(test_rollback_drops_the_deferred),
        cmocka_unit_test(test_script_runs_after_the_deferred),
    };
    return cmocka_run_group_tests(tests, s_setup, NULL);
}
