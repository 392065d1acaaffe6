/* test_config.c — sl_config: values, defaults, instances, families, errors.
 *
 * Each test writes a node file with mkstemp, loads it and checks what a daemon
 * would see: values, defaults, absolute paths, or the exact error line an
 * operator reads. It also loads deploy/example-node.ini, the reference config,
 * and checks that it sets every key of the table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sl_clock.h"
#include "sl_config.h"
#include "sl_log.h"
#include "sl_util.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The mandatory keys, for files that test something else. */
#define S_BASE "[node]\ncode = 140100\n[database]\nconninfo = dbname=x\n"

/* Writes TEXT to a new temp file; returns its path (the caller unlinks and frees). */
static char *
s_write(const char *text)
{
    const char *tmp = getenv("TMPDIR");
    char *path = sl_asprintf("%s/test_config_XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t n = strlen(text);
    assert_int_equal(write(fd, text, n), (ssize_t)n);
    close(fd);
    return path;
}

/* Loads TEXT as instance INSTANCE; the caller destroys. Fails the test on error. */
static sl_config_t *
s_load_ok(const char *text, int instance, char **pathp)
{
    char *path = s_write(text);
    char *err = NULL;
    sl_config_t *c = sl_config_load(path, instance, &err);
    if (!c)
        fail_msg("unexpected error: %s", err);
    assert_null(err);
    *pathp = path;
    return c;
}

/* Loads TEXT and checks the error is "PATH:LINE: WANT" (LINE 0: "PATH: WANT"). */
static void
s_expect_error(const char *text, int line, const char *want)
{
    char *path = s_write(text);
    char *err = NULL;
    sl_config_t *c = sl_config_load(path, 1, &err);
    assert_null(c);
    assert_non_null(err);
    char *expect =
        line ? sl_asprintf("%s:%d: %s", path, line, want) : sl_asprintf("%s: %s", path, want);
    assert_string_equal(err, expect);
    free(expect);
    free(err);
    unlink(path);
    free(path);
}

static void
test_values_and_defaults(void **state)
{
    (void)state;
    char *path;
    sl_config_t *c = s_load_ok("; a node\n"
                               "[node]\n"
                               "code = 140100\n"
                               "name = 太原市\n"
                               "keep_sectors = COAL_MINE ,  FIRE_SAFETY\n"
                               "run_dir = ./sock\n"
                               "var_dir = /srv/safeloop\n"
                               "[database]\n"
                               "conninfo = host=/tmp dbname=sl port=5432\n"
                               "[log]\n"
                               "level = debug\n"
                               "[intake]\n"
                               "batch_max = 100 ; inline comment\n"
                               "max_envelope = 256K\n"
                               "curve = Yes\n"
                               "ipc = ipc://run/intake.ipc\n"
                               "http = 0.0.0.0:8080\n"
                               "[dispatch]\n"
                               "start_date = 2022-01-11\n"
                               "time_of_day = 18:30\n"
                               "[keys]\n"
                               "curve_public = /etc/safeloop/curve.pub\n",
                               1, &path);
    char real[PATH_MAX];
    char *dir = sl_strdup(path);
    *strrchr(dir, '/') = '\0';
    assert_non_null(realpath(dir, real));

    assert_string_equal(sl_config_path(c), path);
    assert_string_equal(sl_config_dir(c), real);
    assert_int_equal(sl_config_instance(c), 1);
    assert_string_equal(sl_config_node(c), "140100");
    assert_string_equal(sl_config_str(c, "node", "name"), "太原市");
    assert_string_equal(sl_config_str(c, "database", "conninfo"), "host=/tmp dbname=sl port=5432");
    assert_int_equal(sl_config_int(c, "log", "level"), SL_LOG_DEBUG);

    /* lists are trimmed */
    const char *const *items;
    assert_int_equal(sl_config_list(c, "node", "keep_sectors", &items), 2);
    assert_string_equal(items[0], "COAL_MINE");
    assert_string_equal(items[1], "FIRE_SAFETY");
    assert_null(items[2]);
    assert_string_equal(sl_config_str(c, "node", "keep_sectors"), "COAL_MINE,FIRE_SAFETY");

    /* paths: relative ones against the file's directory, defaults too */
    char *want = sl_asprintf("%s/sock", real);
    assert_string_equal(sl_config_str(c, "node", "run_dir"), want);
    free(want);
    assert_string_equal(sl_config_str(c, "node", "var_dir"), "/srv/safeloop");
    assert_string_equal(sl_config_str(c, "keys", "curve_public"), "/etc/safeloop/curve.pub");
    want = sl_asprintf("%s/keys/curve.key", real);
    assert_string_equal(sl_config_str(c, "keys", "curve_secret"), want);
    free(want);
    want = sl_asprintf("ipc://%s/run/intake.ipc", real);
    assert_string_equal(sl_config_str(c, "intake", "ipc"), want);
    free(want);

    /* typed values */
    assert_int_equal(sl_config_int(c, "intake", "batch_max"), 100);
    assert_int_equal(sl_config_int(c, "intake", "max_envelope"), 256 * 1024);
    assert_true(sl_config_bool(c, "intake", "curve"));
    assert_int_equal(sl_config_int(c, "intake", "http"), 8080);
    assert_string_equal(sl_config_str(c, "intake", "http"), "0.0.0.0:8080");
    assert_int_equal(sl_config_int(c, "dispatch", "start_date"), sl_date_from_ymd(2022, 1, 11));
    assert_int_equal(sl_config_int(c, "dispatch", "time_of_day"), 18 * 60 + 30);

    /* defaults */
    assert_string_equal(sl_config_str(c, "intake", "endpoint"), "tcp://127.0.0.1:7000");
    assert_int_equal(sl_config_int(c, "deadline", "http"), 0); /* disabled */
    assert_int_equal(sl_config_int(c, "dispatch", "window"), 1000);
    assert_int_equal(sl_config_int(c, "dispatch", "interval_days"), 2);
    assert_int_equal(sl_config_int(c, "deadline", "not_handled_days"), 3);
    assert_int_equal(sl_config_int(c, "deadline", "tick_connections"), 2);
    assert_false(sl_config_has(c, "dispatch", "window"));
    assert_true(sl_config_has(c, "intake", "batch_max"));

    /* nothing set, no default */
    assert_null(sl_config_str(c, "intake", "events"));
    assert_null(sl_config_str(c, "node", "parent"));
    const char *const *names;
    assert_int_equal(sl_config_family(c, "producer", &names), 0);
    assert_null(names[0]);

    sl_config_destroy(&c);
    assert_null(c);
    sl_config_destroy(&c); /* NULL is fine */
    unlink(path);
    free(path);
    free(dir);
}

static const char s_instances[] = S_BASE "[intake]\n"
                                         "endpoint = tcp://127.0.0.1:7000\n"
                                         "batch_max = 64\n"
                                         "[intake.2]\n"
                                         "endpoint = tcp://127.0.0.1:7010\n"
                                         "http = 127.0.0.1:7012\n";

static void
test_instance_fallback(void **state)
{
    (void)state;
    char *path;
    sl_config_t *c = s_load_ok(s_instances, 2, &path);
    assert_int_equal(sl_config_instance(c), 2);
    /* [intake.2], then [intake], then the default */
    assert_string_equal(sl_config_str(c, "intake", "endpoint"), "tcp://127.0.0.1:7010");
    assert_int_equal(sl_config_int(c, "intake", "http"), 7012);
    assert_int_equal(sl_config_int(c, "intake", "batch_max"), 64);
    assert_int_equal(sl_config_int(c, "intake", "max_envelope"), 1024 * 1024);
    assert_true(sl_config_has(c, "intake", "batch_max"));
    assert_false(sl_config_has(c, "intake", "max_envelope"));
    /* the instance's section can also be named outright */
    assert_string_equal(sl_config_str(c, "intake.2", "endpoint"), "tcp://127.0.0.1:7010");
    const char *const *names;
    assert_int_equal(sl_config_family(c, "intake", &names), 1);
    assert_string_equal(names[0], "2");
    sl_config_destroy(&c);

    /* instance 1 does not see [intake.2] */
    c = sl_config_load(path, 1, &(char *){NULL});
    assert_non_null(c);
    assert_string_equal(sl_config_str(c, "intake", "endpoint"), "tcp://127.0.0.1:7000");
    assert_int_equal(sl_config_int(c, "intake", "http"), 0);
    sl_config_destroy(&c);
    unlink(path);
    free(path);
}

static void
test_families(void **state)
{
    (void)state;
    char *path;
    sl_config_t *c = s_load_ok(S_BASE "[producer.hotline]\n"
                                      "public_key = keys/hotline.pub\n"
                                      "may_send = clue\n"
                                      "[child.140105]\n"
                                      "endpoint = tcp://127.0.0.1:8000\n"
                                      "public_key = /k/140105.pub\n"
                                      "[producer.iot-1]\n"
                                      "public_key = iot.pub\n"
                                      "unit = 应急管理局\n"
                                      "may_send = receipt,progress, feedback\n",
                               1, &path);
    const char *const *names;
    assert_int_equal(sl_config_family(c, "producer", &names), 2);
    assert_string_equal(names[0], "hotline");
    assert_string_equal(names[1], "iot-1");
    assert_int_equal(sl_config_family(c, "child", &names), 1);
    assert_string_equal(names[0], "140105");
    assert_string_equal(sl_config_str(c, "child.140105", "endpoint"), "tcp://127.0.0.1:8000");
    assert_null(sl_config_str(c, "child.140105", "name"));
    assert_string_equal(sl_config_str(c, "producer.iot-1", "unit"), "应急管理局");
    const char *const *items;
    assert_int_equal(sl_config_list(c, "producer.iot-1", "may_send", &items), 3);
    assert_string_equal(items[2], "feedback");
    assert_int_equal(sl_config_list(c, "producer.hotline", "may_send", &items), 1);
    const char *end = sl_config_str(c, "producer.hotline", "public_key");
    assert_true(end[0] == '/');
    assert_string_equal(end + strlen(end) - strlen("/keys/hotline.pub"), "/keys/hotline.pub");
    sl_config_destroy(&c);
    unlink(path);
    free(path);
}

static void
test_errors(void **state)
{
    (void)state;
    /* the line named is the offending one, after comments and blank lines */
    s_expect_error(S_BASE "\n; comment\n[intake]\nbogus = 1\n", 8, "[intake] bogus: unknown key");
    s_expect_error(S_BASE "[intak]\nendpoint = tcp://a:1\n", 5, "[intak]: unknown section");
    s_expect_error(S_BASE "[intak]\n", 5, "[intak]: unknown section"); /* even when empty */
    s_expect_error(S_BASE "[node.2]\n", 5, "[node.2]: unknown section");
    s_expect_error(S_BASE "[intake]\nbatch_max = abc\n", 6,
                   "[intake] batch_max: must be an integer from 1 to 10000, got \"abc\"");
    s_expect_error(S_BASE "[intake.2]\nbatch_max = 10001\n", 6,
                   "[intake.2] batch_max: must be an integer from 1 to 10000, got \"10001\"");
    s_expect_error(S_BASE "[intake]\nbatch_max = 12x\n", 6,
                   "[intake] batch_max: must be an integer from 1 to 10000, got \"12x\"");
    s_expect_error(S_BASE "[intake]\ncurve = maybe\n", 6,
                   "[intake] curve: must be true or false (or yes/no, on/off, 1/0), got \"maybe\"");
    s_expect_error(S_BASE "[intake]\nendpoint = http://x:1\n", 6,
                   "[intake] endpoint: must be tcp://HOST:PORT, ipc://PATH or inproc://NAME, got "
                   "\"http://x:1\"");
    s_expect_error(S_BASE "[intake]\nendpoint = tcp://127.0.0.1\n", 6,
                   "[intake] endpoint: must be tcp://HOST:PORT, ipc://PATH or inproc://NAME, got "
                   "\"tcp://127.0.0.1\"");
    s_expect_error(S_BASE "[dispatch]\nstart_date = 2022-02-30\n", 6,
                   "[dispatch] start_date: must be a date YYYY-MM-DD, got \"2022-02-30\"");
    s_expect_error(
        S_BASE "[dispatch]\ntime_of_day = 24:00\n", 6,
        "[dispatch] time_of_day: must be a time HH:MM from 00:00 to 23:59, got \"24:00\"");
    s_expect_error("[node]\ncode = 14010\n[database]\nconninfo = x\n", 2,
                   "[node] code: must be a 6-digit division code, got \"14010\"");
    s_expect_error(S_BASE "[log]\nlevel = loud\n", 6,
                   "[log] level: must be debug, info, warn or error, got \"loud\"");
    s_expect_error(S_BASE "[intake]\nmax_envelope = 2G\n", 6,
                   "[intake] max_envelope: must be a size from 1K to 64M (bytes, or a number with "
                   "a K or M suffix), got \"2G\"");
    s_expect_error(S_BASE "[intake]\nhttp = 127.0.0.1:70000\n", 6,
                   "[intake] http: must be HOST:PORT with a port from 0 to 65535 (0 disables), got "
                   "\"127.0.0.1:70000\"");
    s_expect_error(S_BASE "[node]\nkeep_sectors = COAL_MINE, MINING\n", 6,
                   "[node] keep_sectors: unknown item \"MINING\"; items must be among: COAL_MINE, "
                   "NON_COAL_MINE, HAZARDOUS_CHEMICALS, ROAD_TRANSPORT, CONSTRUCTION, CITY_GAS, "
                   "TEMPORARY_BUILDINGS, CIVIL_EXPLOSIVES, CULTURE_TOURISM, INDUSTRIAL_PARKS, "
                   "HAZARDOUS_WASTE, SPECIAL_EQUIPMENT, METALLURGY, FIRE_SAFETY, FOREST_FIRE, "
                   "MINERAL_EXPLOITATION, OTHER");
    s_expect_error(S_BASE "[intake]\nbatch_max = 5\nendpoint = tcp://a:1\nbatch_max = 6\n", 8,
                   "[intake] batch_max: duplicate key (first set on line 6)");
    /* a section opened twice still holds each key once */
    s_expect_error(S_BASE "[node]\ncode = 140101\n", 6,
                   "[node] code: duplicate key (first set on line 2)");
}

static void
test_errors_structure(void **state)
{
    (void)state;
    s_expect_error("[node]\nname = x\n[database]\nconninfo = x\n", 0,
                   "[node] code: required key missing");
    s_expect_error("[node]\ncode = 140100\n", 0, "[database] conninfo: required key missing");
    s_expect_error(S_BASE "[producer.hotline]\nmay_send = clue\n", 5,
                   "[producer.hotline] public_key: required key missing");
    s_expect_error(S_BASE "[parent]\ncode = 140000\nendpoint = tcp://a:1\n", 5,
                   "[parent] public_key: required key missing");
    s_expect_error(S_BASE "[child.14]\nendpoint = tcp://a:1\n", 5,
                   "[child.14]: sections of this family are [child.CODE] with a 6-digit division "
                   "code");
    s_expect_error(S_BASE "[producer.a b]\n", 5,
                   "[producer.a b]: sections of this family are [producer.NAME] with a NAME of up "
                   "to 64 letters, digits, '_' or '-'");
    s_expect_error(S_BASE "[intake.0]\n", 5,
                   "[intake.0]: instance sections are [intake.N] with N from 1 to 99");
    s_expect_error("code = 140100\n" S_BASE, 1, "code: key before the first [section]");
    s_expect_error(S_BASE "[intake]\nthis line has no equals sign\n", 6,
                   "syntax error: expected [section], key = value, or a comment");
    s_expect_error(S_BASE "[intake\n", 5,
                   "syntax error: expected [section], key = value, or a comment");
    s_expect_error(S_BASE "[intake]\nendpoint = tcp://a:1\n  batch_max = 5\n", 7,
                   "line starts with white space (continuation lines are not supported)");
    s_expect_error(S_BASE "[node]\nparent = 140000\n[parent]\ncode = 140001\n"
                          "endpoint = tcp://a:1\npublic_key = p.pub\n",
                   8, "[parent] code: \"140001\" differs from [node] parent \"140000\"");
    s_expect_error(S_BASE "[dispatch]\nretry_min_ms = 5000\nretry_max_ms = 1000\n", 6,
                   "[dispatch] retry_min_ms: retry_min_ms (5000) exceeds retry_max_ms (1000)");
    s_expect_error(S_BASE "[node]\nname = \xff\xfe\n", 6, "line is not valid UTF-8");

    /* a line longer than inih's buffer is refused, not cut */
    sl_buf_t b;
    sl_buf_init(&b);
    sl_buf_puts(&b, S_BASE "[node]\nname = ");
    for (int i = 0; i < 200; i++)
        sl_buf_puts(&b, "x");
    sl_buf_puts(&b, "\n");
    s_expect_error(b.data, 6, "line is longer than 198 bytes");
    sl_buf_free(&b);

    /* the first error by line wins, whatever its kind */
    s_expect_error(S_BASE "[intake]\nno equals here\nbatch_max = 0\n", 6,
                   "syntax error: expected [section], key = value, or a comment");
    s_expect_error(S_BASE "[intake]\nbatch_max = 0\nno equals here\n", 6,
                   "[intake] batch_max: must be an integer from 1 to 10000, got \"0\"");
}

static void
test_missing_file(void **state)
{
    (void)state;
    char *err = NULL;
    assert_null(sl_config_load("/nonexistent/node.ini", 1, &err));
    assert_string_equal(err, "/nonexistent/node.ini: cannot open: No such file or directory");
    free(err);
    err = NULL;
    assert_null(sl_config_load("/", 1, &err));
    assert_string_equal(err, "/: cannot open: Is a directory");
    free(err);
    err = NULL;
    assert_null(sl_config_load("/nonexistent/node.ini", 0, &err));
    assert_string_equal(err, "/nonexistent/node.ini: instance 0 is not from 1 to 99");
    free(err);
}

static void
test_example_file(void **state)
{
    (void)state;
    char *path = sl_asprintf("%s/deploy/example-node.ini", SL_SOURCE_DIR);
    char *err = NULL;
    sl_config_t *c = sl_config_load(path, 1, &err);
    if (!c)
        fail_msg("%s", err);
    assert_string_equal(sl_config_node(c), "140100");

    /* the reference sets every key of the table, so none goes undocumented */
    const char *section, *key;
    for (size_t i = 0; sl_config_key_at(i, &section, &key); i++) {
        char *name = NULL;
        const char *dot = strchr(section, '.');
        if (dot) {
            const char *const *names;
            char *family = sl_strndup(section, (size_t)(dot - section));
            if (sl_config_family(c, family, &names) == 0)
                fail_msg("example-node.ini has no [%s] section", section);
            name = sl_asprintf("%s.%s", family, names[0]);
            free(family);
        }
        if (!sl_config_has(c, name ? name : section, key))
            fail_msg("example-node.ini does not set [%s] %s", section, key);
        free(name);
    }
    sl_config_destroy(&c);

    /* and the second instance it shows loads too */
    c = sl_config_load(path, 2, &err);
    assert_non_null(c);
    assert_string_equal(sl_config_str(c, "intake", "endpoint"), "tcp://127.0.0.1:7010");
    assert_int_equal(sl_config_int(c, "intake", "batch_max"), 1024);
    sl_config_destroy(&c);
    free(path);
}

static void
test_print_keys(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    assert_int_equal(sl_config_print_keys(f), 0);
    fclose(f);
    const char *section, *key;
    size_t n = 0;
    for (size_t i = 0; sl_config_key_at(i, &section, &key); i++, n++) {
        char *needle = sl_asprintf("\n  %s ", key);
        if (!strstr(text, needle))
            fail_msg("key %s missing from the reference", key);
        free(needle);
    }
    assert_true(n > 30);
    assert_non_null(strstr(text, "[child.CODE]"));
    assert_non_null(strstr(text, "[intake], [intake.N]"));
    assert_non_null(strstr(text, "batch_max          int 1..10000, default \"1024\""));
    free(text);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values_and_defaults),
        cmocka_unit_test(test_instance_fallback),
        cmocka_unit_test(test_families),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_errors_structure),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_example_file),
        cmocka_unit_test(test_print_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
