/* test_log.c — sl_log: a macro that evaluates nothing below the level, and
 * lines that stay valid UTF-8 whatever bytes a peer sent.
 *
 * stderr is pointed at a temporary file for the test and read back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sl_log.h"
#include "sl_util.h"

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

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_log_level),
        cmocka_unit_test(test_log_bad_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
