/* test_service.c — sl_service's database watch: what a daemon says about its
 * database, once per change, with a reminder at most every minute.
 *
 * The watch is pure (reports and times in, what to log out), so the test
 * plays an outage: reports every 100 ms from two connections with different
 * reasons, for three minutes, then the database back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sl_service.h"
#include "sl_util.h"

static void
test_dbwatch_changes(void **state)
{
    (void)state;
    sl_dbwatch_t w;
    sl_dbwatch_init(&w);
    assert_true(w.up);
    assert_int_equal(sl_dbwatch_report(&w, true, NULL, 0), SL_DBWATCH_QUIET);
    assert_int_equal(sl_dbwatch_report(&w, false, "connection refused", 1000), SL_DBWATCH_DOWN);
    assert_false(w.up);
    assert_int_equal(sl_dbwatch_report(&w, false, "connection refused", 2000), SL_DBWATCH_QUIET);
    /* a new reason is news, but not sooner than SL_DBWATCH_REASON_MS after the last line */
    assert_int_equal(sl_dbwatch_report(&w, false, "read-only", 3000), SL_DBWATCH_QUIET);
    assert_int_equal(sl_dbwatch_report(&w, false, "read-only", 1000 + SL_DBWATCH_REASON_MS),
                     SL_DBWATCH_STILL_DOWN);
    assert_string_equal(w.error, "read-only");
    assert_int_equal(sl_dbwatch_report(&w, false, "read-only", 20000), SL_DBWATCH_QUIET);
    /* the same reason: a reminder a minute after the last line */
    int64_t last = 1000 + SL_DBWATCH_REASON_MS;
    assert_int_equal(sl_dbwatch_report(&w, false, "read-only", last + SL_DBWATCH_REMIND_MS - 1),
                     SL_DBWATCH_QUIET);
    assert_int_equal(sl_dbwatch_report(&w, false, "read-only", last + SL_DBWATCH_REMIND_MS),
                     SL_DBWATCH_STILL_DOWN);
    assert_int_equal(w.since_ms, 1000); /* down since the first report */
    assert_int_equal(sl_dbwatch_report(&w, true, NULL, 90000), SL_DBWATCH_UP);
    assert_true(w.up);
    assert_int_equal(sl_dbwatch_report(&w, true, NULL, 90100), SL_DBWATCH_QUIET);
    /* down again: said again */
    assert_int_equal(sl_dbwatch_report(&w, false, "connection refused", 91000), SL_DBWATCH_DOWN);
}

/* Three minutes down, reported ten times a second by two connections that
 * disagree on the reason: a handful of lines, not thousands. */
static void
test_dbwatch_outage(void **state)
{
    (void)state;
    sl_dbwatch_t w;
    sl_dbwatch_init(&w);
    int lines = 0;
    for (int64_t t = 0; t < 180000; t += 100) {
        const char *why = (t / 100) % 2 ? "server closed the connection" : "connection refused";
        if (sl_dbwatch_report(&w, false, why, t) != SL_DBWATCH_QUIET)
            lines++;
    }
    assert_true(lines >= 3);  /* the change, then reminders */
    assert_true(lines <= 18); /* at most one per SL_DBWATCH_REASON_MS */
    assert_int_equal(sl_dbwatch_report(&w, true, NULL, 180000), SL_DBWATCH_UP);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dbwatch_changes),
        cmocka_unit_test(test_dbwatch_outage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
