/* test_audit.c — the audit chain's hash: determinism, coverage, no ambiguity.
 *
 * Doubles as the example of use of the pure part of sl_audit: a chain starts at
 * sl_audit_genesis(case_no) and each event's hash covers the one before it. The
 * known vectors pin the encoding documented in sl_audit.h (recomputed outside
 * C with Python's hashlib), so an accidental change of the encoding, which
 * would break every stored chain, fails here. */
#include "sl_audit.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define S_CASE "140728-2026-煤-000001"

static sl_audit_event_t
s_event(void)
{
    return (sl_audit_event_t){
        .seq = 1,
        .at_ms = 1769999999999,
        .kind = "registered",
        .actor_key = "ipc",
        .actor_unit = "140728",
        .operator= "张三",
        .msg_id = "m-1",
        .detail = "{\"a\":1}",
    };
}

static void
test_known_vectors(void **state)
{
    (void)state;
    char g[SL_AUDIT_HEX_LEN + 1], h[SL_AUDIT_HEX_LEN + 1];
    sl_audit_genesis(S_CASE, g);
    assert_string_equal(g, "4bdc53a25456448b07215072a844a93aa971b0148b8eaadb9a403140a29f4de6");
    sl_audit_event_t ev = s_event();
    sl_audit_hash(g, &ev, h);
    assert_string_equal(h, "bc149704fd8838d5a80f4711e26b8c20ab6b5132cc97d4519d34693c7e4ca33d");
}

static void
test_deterministic(void **state)
{
    (void)state;
    char g[SL_AUDIT_HEX_LEN + 1], a[SL_AUDIT_HEX_LEN + 1], b[SL_AUDIT_HEX_LEN + 1];
    sl_audit_genesis(S_CASE, g);
    sl_audit_event_t ev = s_event();
    sl_audit_hash(g, &ev, a);
    /* Same contents in other buffers: the hash depends on bytes, not pointers. */
    char kind[] = "registered", detail[] = "{\"a\":1}";
    ev.kind = kind;
    ev.detail = detail;
    sl_audit_hash(g, &ev, b);
    assert_string_equal(a, b);
    assert_int_equal(strlen(a), SL_AUDIT_HEX_LEN);
    for (size_t i = 0; i < SL_AUDIT_HEX_LEN; i++)
        assert_non_null(strchr("0123456789abcdef", a[i]));
}

static void
test_every_field_changes_hash(void **state)
{
    (void)state;
    char g[SL_AUDIT_HEX_LEN + 1], base[SL_AUDIT_HEX_LEN + 1], h[SL_AUDIT_HEX_LEN + 1];
    sl_audit_genesis(S_CASE, g);
    sl_audit_event_t ev = s_event();
    sl_audit_hash(g, &ev, base);

    for (int field = 0; field < 9; field++) {
        sl_audit_event_t e = s_event();
        const char *prev = g;
        switch (field) {
        case 0:
            prev = "0000000000000000000000000000000000000000000000000000000000000000";
            break;
        case 1:
            e.seq = 2;
            break;
        case 2:
            e.at_ms += 1; /* one millisecond */
            break;
        case 3:
            e.kind = "transferred";
            break;
        case 4:
            e.actor_key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
            break;
        case 5:
            e.actor_unit = "140728.emergency";
            break;
        case 6:
            e.operator= "李四";
            break;
        case 7:
            e.msg_id = "m-2";
            break;
        case 8:
            e.detail = "{\"a\":2}";
            break;
        }
        sl_audit_hash(prev, &e, h);
        if (strcmp(h, base) == 0)
            fail_msg("changing field %d did not change the hash", field);
    }
}

static void
test_null_is_empty(void **state)
{
    (void)state;
    char a[SL_AUDIT_HEX_LEN + 1], b[SL_AUDIT_HEX_LEN + 1];
    sl_audit_event_t e1 = {.seq = 1, .at_ms = 0, .kind = "k"};
    sl_audit_event_t e2 = {.seq = 1,
                           .at_ms = 0,
                           .kind = "k",
                           .actor_key = "",
                           .actor_unit = "",
                           .operator= "",
                           .msg_id = "",
                           .detail = "{}"};
    sl_audit_hash("p", &e1, a);
    sl_audit_hash("p", &e2, b);
    assert_string_equal(a, b);
}

static void
test_genesis_depends_on_case_no(void **state)
{
    (void)state;
    char a[SL_AUDIT_HEX_LEN + 1], b[SL_AUDIT_HEX_LEN + 1], a2[SL_AUDIT_HEX_LEN + 1];
    sl_audit_genesis("140728-2026-煤-000001", a);
    sl_audit_genesis("140728-2026-煤-000002", b);
    sl_audit_genesis("140728-2026-煤-000001", a2);
    assert_string_not_equal(a, b);
    assert_string_equal(a, a2);
}

/* Length prefixes: moving bytes from one field to the next changes the hash. */
static void
test_no_ambiguity(void **state)
{
    (void)state;
    char a[SL_AUDIT_HEX_LEN + 1], b[SL_AUDIT_HEX_LEN + 1];
    sl_audit_event_t e1 = s_event(), e2 = s_event();
    e1.kind = "ab";
    e1.actor_key = "c";
    e2.kind = "a";
    e2.actor_key = "bc";
    sl_audit_hash("p", &e1, a);
    sl_audit_hash("p", &e2, b);
    assert_string_not_equal(a, b);

    /* Between the last text fields as well, and between prev and the rest. */
    e1 = s_event();
    e2 = s_event();
    e1.msg_id = "m-1{";
    e1.detail = "}";
    e2.msg_id = "m-1";
    e2.detail = "{}";
    sl_audit_hash("p", &e1, a);
    sl_audit_hash("p", &e2, b);
    assert_string_not_equal(a, b);

    e1 = s_event();
    e1.operator= "";
    e2 = s_event();
    e2.operator= "";
    e2.actor_unit = "";
    e1.actor_unit = "";
    e1.msg_id = "x";
    e2.operator= "x";
    e2.msg_id = "";
    sl_audit_hash("p", &e1, a);
    sl_audit_hash("p", &e2, b);
    assert_string_not_equal(a, b);
}

/* A chain of three: each hash is the next one's prev; a changed middle event
 * changes its own hash, which no longer matches what the next event holds. */
static void
test_chain_links(void **state)
{
    (void)state;
    char prev[SL_AUDIT_HEX_LEN + 1], h[3][SL_AUDIT_HEX_LEN + 1], again[SL_AUDIT_HEX_LEN + 1];
    sl_audit_genesis(S_CASE, prev);
    char first[SL_AUDIT_HEX_LEN + 1];
    memcpy(first, prev, sizeof first);
    for (int i = 0; i < 3; i++) {
        sl_audit_event_t e = s_event();
        e.seq = i + 1;
        e.at_ms += i * 1000;
        sl_audit_hash(prev, &e, h[i]);
        memcpy(prev, h[i], sizeof prev);
    }
    sl_audit_event_t e = s_event();
    e.seq = 2;
    e.at_ms += 1000;
    e.detail = "{\"a\":9}";
    sl_audit_hash(h[0], &e, again);
    assert_string_not_equal(again, h[1]);
    assert_string_not_equal(h[0], h[1]);
    assert_string_not_equal(h[1], h[2]);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_vectors),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_every_field_changes_hash),
        cmocka_unit_test(test_null_is_empty),
        cmocka_unit_test(test_genesis_depends_on_case_no),
        cmocka_unit_test(test_no_ambiguity),
        cmocka_unit_test(test_chain_links),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
