/* sl_seal.c — batch-keyed sealing with libsodium.
 *
 * The sealer keeps the batch key in locked memory and wipes it on rekey and
 * destroy; nothing here touches the database or logs plaintext. */
#include "sl_seal.h"

#include "sl_codec.h"
#include "sl_util.h"

#include <errno.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

/* A record's nonce: the batch's random prefix, then a count of the records
 * sealed under the batch key (little-endian). XChaCha20-Poly1305 asks only
 * that a nonce never repeat under one key: the count does not, within a
 * batch, and every batch has a key of its own — one getrandom a batch, not
 * one a record. */
#define S_PREFIX_BYTES (SL_SEAL_NONCE_BYTES - 8)

struct sl_sealer {
    unsigned char pk[SL_SEAL_KEY_BYTES];                  /* the node's sealing public key */
    unsigned char key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES]; /* batch key */
    unsigned char sealed[SL_SEAL_SEALED_KEY_BYTES];       /* batch key sealed for pk */
    unsigned char prefix[S_PREFIX_BYTES];                 /* the batch's nonce prefix */
    _Atomic uint64_t sealed_n;                            /* records sealed under key */
};

int
sl_seal_key_load(const char *path, unsigned char key[SL_SEAL_KEY_BYTES], char **err)
{
    size_t len;
    char *text = sl_read_file(path, &len);
    if (!text) {
        *err = sl_asprintf("%s: cannot read key file: %s", path, strerror(errno));
        return -1;
    }
    sl_trim(text);
    int rc = 0;
    if (strlen(text) != 40 || !zmq_z85_decode(key, text)) {
        *err = sl_asprintf("%s: not a key file (want 40 characters of Z85 text)", path);
        rc = -1;
    }
    sodium_memzero(text, len);
    free(text);
    return rc;
}

sl_sealer_t *
sl_sealer_new(const unsigned char pk[SL_SEAL_KEY_BYTES])
{
    if (sodium_init() < 0)
        return NULL;
    sl_sealer_t *s = sl_calloc(1, sizeof *s);
    sodium_mlock(s, sizeof *s);
    memcpy(s->pk, pk, SL_SEAL_KEY_BYTES);
    sl_sealer_rekey(s);
    return s;
}

void
sl_sealer_destroy(sl_sealer_t **p)
{
    if (!p || !*p)
        return;
    sodium_munlock(*p, sizeof **p); /* also wipes */
    free(*p);
    *p = NULL;
}

void
sl_sealer_rekey(sl_sealer_t *s)
{
    crypto_aead_xchacha20poly1305_ietf_keygen(s->key);
    crypto_box_seal(s->sealed, s->key, sizeof s->key, s->pk);
    randombytes_buf(s->prefix, sizeof s->prefix);
    atomic_store(&s->sealed_n, 0);
}

const unsigned char *
sl_sealer_pk(const sl_sealer_t *s)
{
    return s->pk;
}

const unsigned char *
sl_sealer_sealed_key(const sl_sealer_t *s)
{
    return s->sealed;
}

unsigned char *
sl_sealer_seal(sl_sealer_t *s, const void *plain, size_t n, const char *ad,
               unsigned char nonce[SL_SEAL_NONCE_BYTES], size_t *ctlen)
{
    uint64_t k = atomic_fetch_add(&s->sealed_n, 1);
    memcpy(nonce, s->prefix, S_PREFIX_BYTES);
    for (int i = 0; i < 8; i++)
        nonce[S_PREFIX_BYTES + i] = (unsigned char)(k >> (8 * i));
    unsigned char *ct = sl_malloc(n + crypto_aead_xchacha20poly1305_ietf_ABYTES);
    unsigned long long clen = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(ct, &clen, plain, n, (const unsigned char *)ad,
                                               ad ? strlen(ad) : 0, NULL, nonce, s->key);
    *ctlen = (size_t)clen;
    return ct;
}

sl_pb_sealed_reporter_t *
sl_seal_reporter(sl_sealer_t *s, const char *key_id, const void *plain, size_t n, sl_arena_t *arena)
{
    sl_pb_sealed_reporter_t *sr = sl_arena_calloc(arena, sizeof *sr);
    safeloop__v1__sealed_reporter__init(sr);
    sr->key_id = (char *)key_id;
    sr->sealed_key.data = sl_arena_alloc(arena, SL_SEAL_SEALED_KEY_BYTES);
    sr->sealed_key.len = SL_SEAL_SEALED_KEY_BYTES;
    memcpy(sr->sealed_key.data, s->sealed, SL_SEAL_SEALED_KEY_BYTES);
    sr->nonce.data = sl_arena_alloc(arena, SL_SEAL_NONCE_BYTES);
    sr->nonce.len = SL_SEAL_NONCE_BYTES;
    size_t ctlen;
    unsigned char *ct = sl_sealer_seal(s, plain, n, NULL, sr->nonce.data, &ctlen);
    sr->ciphertext.data = sl_arena_alloc(arena, ctlen);
    sr->ciphertext.len = ctlen;
    memcpy(sr->ciphertext.data, ct, ctlen);
    free(ct);
    return sr;
}

unsigned char *
sl_seal_open(const unsigned char pk[SL_SEAL_KEY_BYTES], const unsigned char sk[SL_SEAL_KEY_BYTES],
             const unsigned char *sealed_key, size_t sealed_key_len, const unsigned char *nonce,
             size_t nonce_len, const unsigned char *ct, size_t ctlen, const char *ad, size_t *plen)
{
    if (sodium_init() < 0 || sealed_key_len != SL_SEAL_SEALED_KEY_BYTES ||
        nonce_len != SL_SEAL_NONCE_BYTES || ctlen < crypto_aead_xchacha20poly1305_ietf_ABYTES)
        return NULL;
    unsigned char key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
    if (crypto_box_seal_open(key, sealed_key, sealed_key_len, pk, sk) != 0)
        return NULL;
    unsigned char *plain = sl_malloc(ctlen);
    unsigned long long n = 0;
    int rc = crypto_aead_xchacha20poly1305_ietf_decrypt(plain, &n, NULL, ct, ctlen,
                                                        (const unsigned char *)ad,
                                                        ad ? strlen(ad) : 0, nonce, key);
    sodium_memzero(key, sizeof key);
    if (rc != 0) {
        free(plain);
        return NULL;
    }
    *plen = (size_t)n;
    return plain;
}

int
sl_seal_open_key(const unsigned char pk[SL_SEAL_KEY_BYTES],
                 const unsigned char sk[SL_SEAL_KEY_BYTES], const unsigned char *sealed_key,
                 size_t sealed_key_len, unsigned char key[SL_SEAL_KEY_BYTES])
{
    if (sodium_init() < 0 || sealed_key_len != SL_SEAL_SEALED_KEY_BYTES)
        return -1;
    return crypto_box_seal_open(key, sealed_key, sealed_key_len, pk, sk) == 0 ? 0 : -1;
}

unsigned char *
sl_seal_open_with(const unsigned char key[SL_SEAL_KEY_BYTES], const unsigned char *nonce,
                  size_t nonce_len, const unsigned char *ct, size_t ctlen, const char *ad,
                  size_t *plen)
{
    if (nonce_len != SL_SEAL_NONCE_BYTES || ctlen < crypto_aead_xchacha20poly1305_ietf_ABYTES)
        return NULL;
    unsigned char *plain = sl_malloc(ctlen);
    unsigned long long n = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain, &n, NULL, ct, ctlen,
                                                   (const unsigned char *)ad, ad ? strlen(ad) : 0,
                                                   nonce, key) != 0) {
        free(plain);
        return NULL;
    }
    *plen = (size_t)n;
    return plain;
}

unsigned char *
sl_seal_blob(const unsigned char pk[SL_SEAL_KEY_BYTES], const void *data, size_t n, size_t *outlen)
{
    if (sodium_init() < 0)
        return NULL;
    unsigned char *out = sl_malloc(n + crypto_box_SEALBYTES);
    crypto_box_seal(out, data, n, pk);
    *outlen = n + crypto_box_SEALBYTES;
    return out;
}
