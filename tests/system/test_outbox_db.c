/* test_outbox_db.c — the outbox's SQL (sl_outbox_*) against the fixture's
 * cluster: rows added in the caller's transaction (gone on rollback), taken
 * oldest first per peer with the in-flight ones left out and their bytes
 * intact, delivered, attempted, parked and released, rewritten payloads
 * stored, and the per-peer figures operators read. Each case runs on a
 * database of its own from the template (sl_test_pg.h). */
#include "sl_db.h"
#include "sl_outbox.h"
#include "sl_test_pg.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define NOW 1780000000000LL

/* Adds row MSG_ID for PEER whose payload is MSG_ID's bytes plus a NUL and 0xff
 * (binary, not text), in a transaction of its own. */
static void
s_add(sl_db_t *db, const char *peer, const char *msg_id, int64_t at)
{
    uint8_t payload[80];
    size_t len = strlen(msg_id);
    memcpy(payload, msg_id, len);
    payload[len++] = 0x00;
    payload[len++] = 0xff;
    assert_int_equal(sl_db_begin(db), 0);
    assert_int_equal(sl_outbox_add(db, peer, msg_id, "clue", payload, len, "", at), 0);
    assert_int_equal(sl_db_commit(db), 0);
}

/* The next rows for PEER (skipping SKIP), their msg_ids joined by ",". */
static void
s_assert_next(sl_db_t *db, const char *peer, const int64_t *skip, size_t nskip, const char *want,
              sl_outbox_row_t **rows_out, size_t *n_out)
{
    sl_outbox_row_t *rows;
    size_t n;
    assert_int_equal(sl_outbox_next_skipping(db, peer, skip, nskip, 10, &rows, &n), 0);
    char got[512] = "";
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(rows[i].msg_id);
        /* the payload came back byte for byte */
        assert_int_equal(rows[i].len, l + 2);
        assert_memory_equal(rows[i].payload, rows[i].msg_id, l);
        assert_int_equal(rows[i].payload[l], 0x00);
        assert_int_equal(rows[i].payload[l + 1], 0xff);
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", i ? "," : "", rows[i].msg_id);
    }
    assert_string_equal(got, want);
    if (rows_out) {
        *rows_out = rows;
        *n_out = n;
    } else {
        sl_outbox_rows_free(rows, n);
    }
}

/* Adds rows PREFIX-1 and PREFIX-2 for 140700 and takes them: *ROWS, *N. */
static void
s_two(sl_db_t *db, const char *prefix, sl_outbox_row_t **rows, size_t *n)
{
    char a[16], b[16], want[40];
    snprintf(a, sizeof a, "%s-1", prefix);
    snprintf(b, sizeof b, "%s-2", prefix);
    snprintf(want, sizeof want, "%s,%s", a, b);
    s_add(db, "140700", a, NOW);
    s_add(db, "140700", b, NOW);
    s_assert_next(db, "140700", NULL, 0, want, rows, n);
}

/* Rows come out per peer, oldest first; in-flight ones are left out; a row
 * added in a transaction rolled back never appears. */
static void
test_rows_per_peer_oldest_first(void **state)
{
    sl_test_fix_t *f = *state;
    s_add(f->db, "140700", "a-1", NOW);
    s_add(f->db, "140781", "b-1", NOW);
    s_add(f->db, "140700", "a-2", NOW + 1);
    s_add(f->db, "140700", "a-3", NOW + 2);
    assert_int_equal(sl_db_begin(f->db), 0);
    assert_int_equal(sl_outbox_add(f->db, "140700", "a-x", "clue", "x", 1, "", NOW), 0);
    assert_int_equal(sl_db_rollback(f->db), 0);

    assert_int_equal(sl_outbox_depth(f->db, "140700"), 3);
    assert_int_equal(sl_outbox_depth(f->db, "140781"), 1);
    assert_int_equal(sl_outbox_depth(f->db, NULL), 4);
    sl_outbox_row_t *rows;
    size_t n;
    s_assert_next(f->db, "140700", NULL, 0, "a-1,a-2,a-3", &rows, &n);
    int64_t skip[] = {rows[0].id, rows[2].id};
    assert_int_equal(rows[0].attempts, 0);
    sl_outbox_rows_free(rows, n);
    s_assert_next(f->db, "140700", skip, 2, "a-2", NULL, NULL);
    s_assert_next(f->db, "140781", NULL, 0, "b-1", NULL, NULL);
}

/* Delivered rows leave the queue with the peer's status; attempts count; the
 * figures per peer (and for a peer asked about with no rows) add up. */
static void
test_delivered_attempted_and_stats(void **state)
{
    sl_test_fix_t *f = *state;
    s_add(f->db, "140700", "d-1", NOW);
    s_add(f->db, "140700", "d-2", NOW + 1000);
    s_add(f->db, "140700", "d-3", NOW + 2000);
    sl_outbox_row_t *rows;
    size_t n;
    s_assert_next(f->db, "140700", NULL, 0, "d-1,d-2,d-3", &rows, &n);
    int64_t ids[] = {rows[0].id, rows[1].id, rows[2].id};
    sl_outbox_rows_free(rows, n);

    assert_int_equal(sl_outbox_attempted(f->db, &ids[2], 1), 0);
    const char *st[] = {"ACCEPTED", "DUPLICATE"};
    assert_int_equal(sl_outbox_delivered(f->db, ids, st, 2, NOW + 5000), 0);
    s_assert_next(f->db, "140700", NULL, 0, "d-3", &rows, &n);
    assert_int_equal(rows[0].attempts, 1);
    sl_outbox_rows_free(rows, n);
    sl_test_assert_value(f->db,
                         "SELECT string_agg(msg_id || ':' || ack_status || ':' || attempts, ','"
                         " ORDER BY id) FROM outbox WHERE delivered_at IS NOT NULL",
                         "d-1:ACCEPTED:1,d-2:DUPLICATE:1");

    const char *peers[] = {"140781"};
    sl_outbox_stats_t *stats;
    assert_int_equal(sl_outbox_stats(f->db, peers, 1, NOW + 12000, &stats, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(stats[0].peer, "140700");
    assert_int_equal(stats[0].depth, 1);
    assert_int_equal(stats[0].delivered, 2);
    assert_int_equal(stats[0].parked, 0);
    assert_true(stats[0].oldest_s > 9.9 && stats[0].oldest_s < 10.1); /* d-3, 10 s old */
    assert_string_equal(stats[1].peer, "140781");
    assert_int_equal(stats[1].depth, 0);
    assert_int_equal(stats[1].delivered, 0);
    free(stats);
}

static void
s_parked_cb(void *arg, int64_t id, const char *peer, const char *msg_id, const char *kind,
            const char *reason)
{
    (void)id;
    char *out = arg;
    snprintf(out + strlen(out), 256 - strlen(out), "%s %s %s %s;", peer, msg_id, kind, reason);
}

/* A parked row is not sent, is listed with its reason, and comes back when
 * released; releasing a row that is not parked changes nothing. */
static void
test_park_and_release(void **state)
{
    sl_test_fix_t *f = *state;
    sl_outbox_row_t *rows;
    size_t n;
    s_two(f->db, "p", &rows, &n);
    int64_t parked = rows[0].id, other = rows[1].id;
    sl_outbox_rows_free(rows, n);

    assert_int_equal(sl_outbox_park(f->db, parked, "unknown_division", NOW + 1), 0);
    s_assert_next(f->db, "140700", NULL, 0, "p-2", NULL, NULL);
    assert_int_equal(sl_outbox_depth(f->db, "140700"), 1);
    char listed[256] = "";
    assert_int_equal(sl_outbox_parked(f->db, s_parked_cb, listed), 0);
    assert_string_equal(listed, "140700 p-1 clue unknown_division;");

    assert_int_equal(sl_outbox_release(f->db, other), 1);
    assert_int_equal(sl_outbox_release(f->db, parked), 0);
    s_assert_next(f->db, "140700", NULL, 0, "p-1,p-2", NULL, NULL);
    listed[0] = '\0';
    assert_int_equal(sl_outbox_parked(f->db, s_parked_cb, listed), 0);
    assert_string_equal(listed, "");
}

/* Only rows marked replaced get their new payload stored. */
static void
test_replaced_payloads_stored(void **state)
{
    sl_test_fix_t *f = *state;
    sl_outbox_row_t *rows;
    size_t n;
    s_two(f->db, "x", &rows, &n);
    for (size_t i = 0; i < n; i++) {
        free(rows[i].payload);
        rows[i].payload = (uint8_t *)strdup("resealed");
        rows[i].len = 8;
    }
    rows[1].replaced = true;
    assert_int_equal(sl_db_begin(f->db), 0);
    assert_int_equal(sl_outbox_replace_rows(f->db, rows, n), 0);
    assert_int_equal(sl_db_commit(f->db), 0);
    sl_outbox_rows_free(rows, n);
    sl_test_assert_value(f->db,
                         "SELECT string_agg(msg_id || '=' || (payload = 'resealed'::bytea)::text,"
                         " ',' ORDER BY id) FROM outbox",
                         "x-1=false,x-2=true");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rows_per_peer_oldest_first, sl_test_fix_setup,
                                        sl_test_fix_teardown),
        cmocka_unit_test_setup_teardown(test_delivered_attempted_and_stats, sl_test_fix_setup,
                                        sl_test_fix_teardown),
        cmocka_unit_test_setup_teardown(test_park_and_release, sl_test_fix_setup,
                                        sl_test_fix_teardown),
        cmocka_unit_test_setup_teardown(test_replaced_payloads_stored, sl_test_fix_setup,
                                        sl_test_fix_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
