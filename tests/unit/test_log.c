/* test_log.c — sl_log: a macro that evaluates nothing below the level,
 * lines that stay valid UTF-8 whatever bytes a peer sent, and lines held
 * (sl_log_hold) until they are released, in their order.
 *
 * stderr is pointed at a temporary file for the test and read back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sl_log.h"
#include "sl_util.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int s_calls;

static const char *
s_expensive(void)
{
    s_calls++;
    return "x";
}

/* Runs sl_log with stderr in a file; returns what was written (caller frees). */
static char *
s_capture(int level, const char *fmt, const char *arg)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    int saved = dup(STDERR_FILENO);
    dup2(fileno(f), STDERR_FILENO);
    sl_log(level, fmt, arg);
    dup2(saved, STDERR_FILENO);
    close(saved);
    long n = ftell(f) >= 0 ? lseek(fileno(f), 0, SEEK_END) : 0;
    char *text = sl_calloc(1, (size_t)n + 1);
    lseek(fileno(f), 0, SEEK_SET);
    assert_int_equal(read(fileno(f), text, (size_t)n), n);
    fclose(f);
    return text;
}

static void
test_log_level(void **state)
{
    (void)state;
    sl_log_init("sl-test", "140728");
    sl_log_set_level(SL_LOG_WARN);
    s_calls = 0;
    sl_log(SL_LOG_DEBUG, "value=%s not formatted", s_expensive());
    sl_log(SL_LOG_INFO, "value=%s not formatted", s_expensive());
    assert_int_equal(s_calls, 0); /* the arguments were not even evaluated */
    char *text = s_capture(SL_LOG_WARN, "value=%s logged", s_expensive());
    assert_int_equal(s_calls, 1);
    assert_non_null(strstr(text, "level=warn daemon=sl-test node=140728 value=x msg=logged"));
    free(text);
    sl_log_set_level(SL_LOG_INFO);
}

static void
test_log_bad_bytes(void **state)
{
    (void)state;
    sl_log_init("sl-test", "140728");
    char *text = s_capture(SL_LOG_WARN, "msg_id=%s envelope rejected", "ab\xff\xfe");
    assert_true(sl_utf8_valid(text, strlen(text)));
    assert_non_null(strstr(text, "msg_id=\"ab\\xff\\xfe\""));
    free(text);
    text = s_capture(SL_LOG_WARN, "could not apply: %s", "名\xe7\xbc \"quoted\"");
    assert_true(sl_utf8_valid(text, strlen(text)));
    assert_non_null(strstr(text, "msg=\"could not apply: 名\\xe7\\xbc \\\"quoted\\\"\""));
    free(text);
}

/* What the file F holds from its start, as a new string (caller frees). */
static char *
s_read_all(FILE *f)
{
    off_t n = lseek(fileno(f), 0, SEEK_END);
    char *text = sl_calloc(1, (size_t)n + 1);
    assert_int_equal(pread(fileno(f), text, (size_t)n, 0), n);
    return text;
}

/* Whether the file F holds WHAT. */
static bool
s_written(FILE *f, const char *what)
{
    char *text = s_read_all(f);
    bool found = strstr(text, what) != NULL;
    free(text);
    return found;
}

static void
test_log_hold(void **state)
{
    (void)state;
    sl_log_init("sl-test", "140728");
    sl_log_set_level(SL_LOG_INFO);
    FILE *f = tmpfile();
    assert_non_null(f);
    int saved = dup(STDERR_FILENO);
    dup2(fileno(f), STDERR_FILENO);
    sl_log_hold();
    sl_log(SL_LOG_INFO, "case=a overdue");
    sl_log(SL_LOG_DEBUG, "case=never below the level");
    sl_log(SL_LOG_INFO, "case=b overdue");
    bool held = !s_written(f, "case=");
    /* a warning goes at once, after what was held */
    sl_log(SL_LOG_WARN, "case=c could not escalate");
    char *text = s_read_all(f);
    char *a = strstr(text, "case=a"), *b = strstr(text, "case=b"), *c = strstr(text, "case=c");
    bool ordered = a && b && c && a < b && b < c && !strstr(text, "case=never");
    free(text);
    sl_log(SL_LOG_INFO, "case=d overdue");
    bool d_held = !s_written(f, "case=d");
    sl_log_release();
    bool d_released = s_written(f, "case=d");
    /* released: a line goes at once again */
    sl_log(SL_LOG_INFO, "case=e overdue");
    bool e_at_once = s_written(f, "case=e");
    /* held past 64 KiB: written before the release, nothing lost */
    sl_log_hold();
    for (int i = 0; i < 1000; i++)
        sl_log(SL_LOG_INFO, "case=%d notice=（煤）移〔2021〕%d号 overdue", i, i);
    bool early = s_written(f, "case=0 ") && !s_written(f, "case=999 ");
    sl_log_release();
    text = s_read_all(f);
    int lines = 0;
    for (const char *p = text; (p = strstr(p, "msg=overdue\n")) != NULL; p++)
        lines++;
    free(text);
    dup2(saved, STDERR_FILENO);
    close(saved);
    fclose(f);
    assert_true(held);
    assert_true(ordered);
    assert_true(d_held);
    assert_true(d_released);
    assert_true(e_at_once);
    assert_true(early);
    assert_int_equal(lines, 4 + 1000); /* a, b, d, e; and the thousand */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_log_level),
        cmocka_unit_test(test_log_bad_bytes),
        cmocka_unit_test(test_log_hold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
