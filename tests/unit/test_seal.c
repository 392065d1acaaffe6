/* test_seal.c — sealing reporter data: only the key pair opens it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "sl_codec.h"
#include "sl_seal.h"

#include <sodium.h>
#include <string.h>

static void
test_seal_roundtrip(void **state)
{
    (void)state;
    assert_true(sodium_init() >= 0);
    unsigned char pk[32], sk[32], pk2[32], sk2[32];
    crypto_box_keypair(pk, sk);
    crypto_box_keypair(pk2, sk2);
    sl_sealer_t *s = sl_sealer_new(pk);
    const char *plain = "张三 13800000000";
    unsigned char nonce[SL_SEAL_NONCE_BYTES];
    size_t ctlen;
    unsigned char *ct = sl_sealer_seal(s, plain, strlen(plain), "msg-1", nonce, &ctlen);
    assert_null(memmem(ct, ctlen, "13800000000", 11));
    size_t n;
    unsigned char *out = sl_seal_open(pk, sk, sl_sealer_sealed_key(s), SL_SEAL_SEALED_KEY_BYTES,
                                      nonce, sizeof nonce, ct, ctlen, "msg-1", &n);
    assert_non_null(out);
    assert_int_equal(n, strlen(plain));
    assert_memory_equal(out, plain, n);
    free(out);
    /* another key pair, another msg_id, a flipped byte: nothing opens */
    assert_null(sl_seal_open(pk2, sk2, sl_sealer_sealed_key(s), SL_SEAL_SEALED_KEY_BYTES, nonce,
                             sizeof nonce, ct, ctlen, "msg-1", &n));
    assert_null(sl_seal_open(pk, sk, sl_sealer_sealed_key(s), SL_SEAL_SEALED_KEY_BYTES, nonce,
                             sizeof nonce, ct, ctlen, "msg-2", &n));
    ct[0] ^= 1;
    assert_null(sl_seal_open(pk, sk, sl_sealer_sealed_key(s), SL_SEAL_SEALED_KEY_BYTES, nonce,
                             sizeof nonce, ct, ctlen, "msg-1", &n));
    free(ct);
    /* a new batch key opens its own records only */
    unsigned char old[SL_SEAL_SEALED_KEY_BYTES];
    memcpy(old, sl_sealer_sealed_key(s), sizeof old);
    sl_sealer_rekey(s);
    assert_memory_not_equal(old, sl_sealer_sealed_key(s), sizeof old);
    sl_sealer_destroy(&s);
    assert_null(s);
}

static void
test_seal_blob(void **state)
{
    (void)state;
    unsigned char pk[32], sk[32];
    crypto_box_keypair(pk, sk);
    size_t n;
    unsigned char *b = sl_seal_blob(pk, "garbage 13800000000", 19, &n);
    assert_int_equal(n, 19 + crypto_box_SEALBYTES);
    unsigned char out[19];
    assert_int_equal(crypto_box_seal_open(out, b, n, pk, sk), 0);
    assert_memory_equal(out, "garbage 13800000000", 19);
    free(b);
}

/* A reader of a whole batch opens the batch key once, then each record. */
static void
test_seal_open_batch(void **state)
{
    (void)state;
    unsigned char pk[32], sk[32], pk2[32], sk2[32], key[32];
    crypto_box_keypair(pk, sk);
    crypto_box_keypair(pk2, sk2);
    sl_sealer_t *s = sl_sealer_new(pk);
    unsigned char n1[SL_SEAL_NONCE_BYTES], n2[SL_SEAL_NONCE_BYTES];
    size_t l1, l2, n;
    unsigned char *c1 = sl_sealer_seal(s, "张三", strlen("张三"), NULL, n1, &l1);
    unsigned char *c2 = sl_sealer_seal(s, "李四", strlen("李四"), NULL, n2, &l2);
    assert_int_equal(sl_seal_open_key(pk2, sk2, sl_sealer_sealed_key(s),
                                      SL_SEAL_SEALED_KEY_BYTES, key), -1);
    assert_int_equal(
        sl_seal_open_key(pk, sk, sl_sealer_sealed_key(s), SL_SEAL_SEALED_KEY_BYTES, key), 0);
    unsigned char *p1 = sl_seal_open_with(key, n1, sizeof n1, c1, l1, NULL, &n);
    assert_non_null(p1);
    assert_memory_equal(p1, "张三", n);
    unsigned char *p2 = sl_seal_open_with(key, n2, sizeof n2, c2, l2, NULL, &n);
    assert_non_null(p2);
    assert_memory_equal(p2, "李四", n);
    assert_null(sl_seal_open_with(key, n1, sizeof n1, c2, l2, NULL, &n)); /* wrong nonce */
    /* the nonces of a batch: one random prefix, a count after it; a new
     * batch key, a new prefix and the count from 0 */
    assert_memory_equal(n1, n2, SL_SEAL_NONCE_BYTES - 8);
    assert_memory_not_equal(n1, n2, SL_SEAL_NONCE_BYTES);
    assert_int_equal(n1[SL_SEAL_NONCE_BYTES - 8] + 1, n2[SL_SEAL_NONCE_BYTES - 8]);
    sl_sealer_rekey(s);
    unsigned char n3[SL_SEAL_NONCE_BYTES];
    size_t l3;
    unsigned char *c3 = sl_sealer_seal(s, "王五", strlen("王五"), NULL, n3, &l3);
    assert_memory_not_equal(n1, n3, SL_SEAL_NONCE_BYTES - 8);
    assert_memory_equal(n1 + SL_SEAL_NONCE_BYTES - 8, n3 + SL_SEAL_NONCE_BYTES - 8, 8);
    free(c3);
    free(p1);
    free(p2);
    free(c1);
    free(c2);
    sl_sealer_destroy(&s);
}

/* A SealedReporter keeps its own copy of its batch's sealed key: records
 * sealed before a rekey still open after it (they once pointed into the
 * sealer and silently changed key). */
static void
test_seal_reporter_survives_rekey(void **state)
{
    (void)state;
    assert_true(sodium_init() >= 0);
    unsigned char pk[32], sk[32];
    crypto_box_keypair(pk, sk);
    sl_sealer_t *s = sl_sealer_new(pk);
    sl_arena_t *a = sl_arena_new(0);
    const char *p1 = "张三 13800000000", *p2 = "李四 13900000000";
    sl_pb_sealed_reporter_t *r1 = sl_seal_reporter(s, "140728:k", p1, strlen(p1), a);
    sl_sealer_rekey(s);
    sl_pb_sealed_reporter_t *r2 = sl_seal_reporter(s, "140728:k", p2, strlen(p2), a);
    assert_string_equal(r1->key_id, "140728:k");
    assert_memory_not_equal(r1->sealed_key.data, r2->sealed_key.data, SL_SEAL_SEALED_KEY_BYTES);
    const sl_pb_sealed_reporter_t *rs[] = {r1, r2};
    const char *plains[] = {p1, p2};
    for (int i = 0; i < 2; i++) {
        size_t n;
        unsigned char *out =
            sl_seal_open(pk, sk, rs[i]->sealed_key.data, rs[i]->sealed_key.len, rs[i]->nonce.data,
                         rs[i]->nonce.len, rs[i]->ciphertext.data, rs[i]->ciphertext.len, NULL, &n);
        assert_non_null(out);
        assert_int_equal(n, strlen(plains[i]));
        assert_memory_equal(out, plains[i], n);
        free(out);
    }
    sl_arena_destroy(&a);
    sl_sealer_destroy(&s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seal_roundtrip),
        cmocka_unit_test(test_seal_open_batch),
        cmocka_unit_test(test_seal_blob),
        cmocka_unit_test(test_seal_reporter_survives_rekey),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
