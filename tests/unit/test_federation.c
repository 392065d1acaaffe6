/* test_federation.c — what crosses a link: whose answer goes up, whose
 * decision comes down, and the reporter re-sealed for the receiving node.
 *
 * The re-sealing test writes a county's config with its own sealing key pair
 * and its parent's sealing public key, seals a reporter for the county as its
 * intake does, and checks that sl_fed_reseal hands the parent a record only
 * the parent's key opens (no database: the row names no case). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "sl_federation.h"
#include "sl_seal.h"
#include "sl_util.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

static void
test_key_id(void **state)
{
    (void)state;
    unsigned char pk[32] = {0};
    char a[48], b[48];
    sl_fed_key_id("140700", pk, a, sizeof a);
    assert_int_equal(strlen(a), strlen("140700:") + 8);
    assert_memory_equal(a, "140700:", 7);
    pk[0] = 1;
    sl_fed_key_id("140700", pk, b, sizeof b);
    assert_string_not_equal(a, b);
}

static void
test_directions(void **state)
{
    (void)state;
    sl_pb_envelope_t env = SL_PB_ENVELOPE_INIT;
    sl_pb_feedback_t fb = SAFELOOP__V1__FEEDBACK__INIT;
    fb.notice_no = "（煤）移〔2021〕1号";
    fb.from_unit = "140700";
    env.body_case = SAFELOOP__V1__ENVELOPE__BODY_FEEDBACK;
    env.feedback = &fb;
    /* the city's own feedback: up, for a transfer from the province */
    assert_true(sl_fed_is_answer_up(&env, "140700"));
    /* a county's feedback at the city: for one of the city's own transfers */
    fb.from_unit = "140728";
    assert_false(sl_fed_is_answer_up(&env, "140700"));
    assert_false(sl_fed_is_upper_decision(&env, "140000"));

    sl_pb_decision_t dc = SAFELOOP__V1__DECISION__INIT;
    dc.notice_no = "（煤）移〔2021〕1号";
    dc.from_unit = "140000";
    dc.kind = SAFELOOP__V1__DECISION__KIND__VERIFY_FAIL;
    env.body_case = SAFELOOP__V1__ENVELOPE__BODY_DECISION;
    env.decision = &dc;
    assert_true(sl_fed_is_upper_decision(&env, "140000"));
    assert_false(sl_fed_is_answer_up(&env, "140000")); /* a decision is never an answer */
    assert_false(sl_fed_is_upper_decision(&env, ""));  /* the top node has no parent */
    dc.from_unit = "140700";                           /* this node's own decision */
    assert_false(sl_fed_is_upper_decision(&env, "140000"));
}

/* Writes KEY (32 bytes) as Z85 text to DIR/NAME. */
static void
s_key_file(const char *dir, const char *name, const unsigned char key[32])
{
    char z85[41], path[256];
    assert_non_null(zmq_z85_encode(z85, key, 32));
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "%s\n", z85);
    fclose(f);
}

/* An encoded clue envelope whose reporter is sealed for PK named KEY_ID. */
static uint8_t *
s_clue(const unsigned char pk[32], const char *key_id, size_t *len)
{
    sl_pb_reporter_t rep = SAFELOOP__V1__REPORTER__INIT;
    rep.name = "赵六";
    rep.phone = "13900000002";
    size_t plen;
    uint8_t *plain = sl_codec_pack((const ProtobufCMessage *)&rep, &plen);
    sl_sealer_t *s = sl_sealer_new(pk);
    sl_arena_t *a = sl_arena_new(0);
    sl_pb_clue_t clue = SAFELOOP__V1__CLUE_REPORT__INIT;
    sl_pb_subject_t subj = SAFELOOP__V1__SUBJECT__INIT;
    sl_pb_place_t place = SAFELOOP__V1__PLACE__INIT;
    subj.name = "介休市某焦化有限公司";
    place.division = "140781";
    clue.channel = SAFELOOP__V1__CLUE_REPORT__CHANNEL__LOWER_NODE;
    clue.subject = &subj;
    clue.place = &place;
    clue.sector = SAFELOOP__V1__SECTOR__HAZARDOUS_CHEMICALS;
    clue.origin_node = "140728";
    clue.sealed_reporter = sl_seal_reporter(s, key_id, plain, plen, a);
    sl_pb_envelope_t env = SL_PB_ENVELOPE_INIT;
    env.msg_id = "m-1";
    env.body_case = SAFELOOP__V1__ENVELOPE__BODY_CLUE;
    env.clue = &clue;
    uint8_t *out = sl_codec_encode_envelope(&env, len);
    free(plain);
    sl_arena_destroy(&a);
    sl_sealer_destroy(&s);
    return out;
}

static void
test_reseal(void **state)
{
    (void)state;
    assert_true(sodium_init() >= 0);
    char dir[] = "/tmp/sl-test-fed-XXXXXX";
    assert_non_null(mkdtemp(dir));
    unsigned char cpk[32], csk[32], ppk[32], psk[32], curve[32] = {1};
    crypto_box_keypair(cpk, csk); /* the county's sealing pair */
    crypto_box_keypair(ppk, psk); /* the city's */
    s_key_file(dir, "seal.pub", cpk);
    s_key_file(dir, "seal.key", csk);
    s_key_file(dir, "parent.seal.pub", ppk);
    s_key_file(dir, "parent.curve.pub", curve);
    char ini[256];
    snprintf(ini, sizeof ini, "%s/140728.ini", dir);
    FILE *f = fopen(ini, "w");
    assert_non_null(f);
    fprintf(f, "[node]\ncode = 140728\n[database]\nconninfo = dbname=x\n"
               "[keys]\nseal_public = seal.pub\nseal_secret = seal.key\n"
               "[parent]\ncode = 140700\nendpoint = tcp://127.0.0.1:1\n"
               "public_key = parent.curve.pub\nseal_public = parent.seal.pub\n"
               "[child.140781]\nendpoint = tcp://127.0.0.1:2\npublic_key = parent.curve.pub\n");
    fclose(f);
    char *err = NULL;
    sl_config_t *cfg = sl_config_load(ini, 1, &err);
    assert_non_null(cfg);
    sl_fed_keys_t *k = sl_fed_keys_load(cfg, &err);
    assert_non_null(k);
    assert_true(sl_fed_keys_can_open(k));

    char cid[48], pid[48], reason[512];
    sl_fed_key_id("140728", cpk, cid, sizeof cid);
    sl_fed_key_id("140700", ppk, pid, sizeof pid);
    sl_outbox_row_t row = {.id = 1};
    snprintf(row.body_kind, sizeof row.body_kind, "clue");
    row.payload = s_clue(cpk, cid, &row.len);
    /* for the parent: re-sealed for its key (no case named: no database) */
    assert_int_equal(sl_fed_reseal(NULL, k, "140700", &row, "test", 0, reason, sizeof reason), 0);
    assert_true(row.replaced);
    assert_null(memmem(row.payload, row.len, "13900000002", 11));
    sl_arena_t *a = sl_arena_new(0);
    sl_pb_envelope_t *env;
    sl_codec_error_t cerr;
    assert_int_equal(sl_codec_decode_envelope(a, row.payload, row.len, 1 << 20, &env, &cerr), 0);
    const sl_pb_sealed_reporter_t *sr = env->clue->sealed_reporter;
    assert_string_equal(sr->key_id, pid);
    assert_string_equal(env->clue->subject->name, "介休市某焦化有限公司");
    size_t n;
    unsigned char *plain =
        sl_seal_open(ppk, psk, sr->sealed_key.data, sr->sealed_key.len, sr->nonce.data,
                     sr->nonce.len, sr->ciphertext.data, sr->ciphertext.len, NULL, &n);
    assert_non_null(plain); /* the parent opens it … */
    sl_pb_reporter_t *rep = safeloop__v1__reporter__unpack(NULL, n, plain);
    assert_string_equal(rep->name, "赵六");
    assert_string_equal(rep->phone, "13900000002");
    safeloop__v1__reporter__free_unpacked(rep, NULL);
    free(plain);
    /* … the county's own key no longer does */
    assert_null(sl_seal_open(cpk, csk, sr->sealed_key.data, sr->sealed_key.len, sr->nonce.data,
                             sr->nonce.len, sr->ciphertext.data, sr->ciphertext.len, NULL, &n));
    sl_arena_destroy(&a);

    /* sealed for the parent already: left as it is */
    row.replaced = false;
    assert_int_equal(sl_fed_reseal(NULL, k, "140700", &row, "test", 0, reason, sizeof reason), 0);
    assert_false(row.replaced);
    free(row.payload);

    /* a child whose sealing key the config does not name: parked, never sent */
    row.payload = s_clue(cpk, cid, &row.len);
    assert_int_equal(sl_fed_reseal(NULL, k, "140781", &row, "test", 0, reason, sizeof reason),
                     SL_DECLINED);
    assert_memory_equal(reason, "no_seal_key", 11);
    free(row.payload);

    /* sealed for a key this node does not hold: parked, with the reason */
    unsigned char opk[32], osk[32];
    char oid[48];
    crypto_box_keypair(opk, osk);
    sl_fed_key_id("140100", opk, oid, sizeof oid);
    row.payload = s_clue(opk, oid, &row.len);
    assert_int_equal(sl_fed_reseal(NULL, k, "140700", &row, "test", 0, reason, sizeof reason),
                     SL_DECLINED);
    assert_memory_equal(reason, "reporter_unsealable", 19);
    free(row.payload);
    /* rows without a reporter pass untouched */
    snprintf(row.body_kind, sizeof row.body_kind, "receipt");
    row.payload = NULL;
    assert_int_equal(sl_fed_reseal(NULL, k, "140781", &row, "test", 0, reason, sizeof reason), 0);

    sl_fed_keys_destroy(&k);
    assert_null(k);
    sl_config_destroy(&cfg);
    const char *files[] = {"seal.pub", "seal.key", "parent.seal.pub", "parent.curve.pub",
                           "140728.ini"};
    for (size_t i = 0; i < SL_ARRAY_LEN(files); i++) {
        char p[256];
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        unlink(p);
    }
    rmdir(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_id),
        cmocka_unit_test(test_directions),
        cmocka_unit_test(test_reseal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
