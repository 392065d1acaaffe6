/* sl_seal.h — sealing reporters' personal data for the node's sealing key.
 *
 * DESIGN.md "Wire contract": one crypto_box_seal of a random key per batch,
 * crypto_aead_xchacha20poly1305_ietf per record (the record's msg_id as
 * associated data), so sealing thousands of records costs one public-key
 * operation. Only the holder of the node's sealing secret key can open a
 * record (slctl case show --reveal). Key files hold 40 characters of Z85. */
#ifndef SL_SEAL_H
#define SL_SEAL_H

#include <stddef.h>

#define SL_SEAL_KEY_BYTES 32
#define SL_SEAL_NONCE_BYTES 24
#define SL_SEAL_SEALED_KEY_BYTES 80 /* crypto_box_SEALBYTES + key */

typedef struct sl_sealer sl_sealer_t;

/* Reads a 32-byte key from a Z85 key file. 0, or -1 with *err set (new string). */
int sl_seal_key_load(const char *path, unsigned char key[SL_SEAL_KEY_BYTES], char **err);

/* A sealer for the node's sealing public key PK, with a first batch key. */
sl_sealer_t *sl_sealer_new(const unsigned char pk[SL_SEAL_KEY_BYTES]);
void sl_sealer_destroy(sl_sealer_t **p);
/* The sealing public key the sealer seals for. Borrowed. */
const unsigned char *sl_sealer_pk(const sl_sealer_t *s);
/* Starts a new batch: a fresh random key, sealed once for PK. */
void sl_sealer_rekey(sl_sealer_t *s);
/* The current batch key sealed for PK (SL_SEAL_SEALED_KEY_BYTES). Borrowed. */
const unsigned char *sl_sealer_sealed_key(const sl_sealer_t *s);
/* Seals N bytes with associated data AD: fills NONCE (never the same twice
 * under one batch key: the batch's random prefix and a count), returns a new
 * buffer of *CTLEN bytes (the caller frees it). */
unsigned char *sl_sealer_seal(sl_sealer_t *s, const void *plain, size_t n, const char *ad,
                              unsigned char nonce[SL_SEAL_NONCE_BYTES], size_t *ctlen);

struct sl_arena;
struct Safeloop__V1__SealedReporter;
/* Seals PLAIN (N bytes: a packed Reporter) into a SealedReporter under the
 * sealer's current batch key, labelled KEY_ID. Everything it points to — its
 * own copy of the sealed batch key, the nonce, the ciphertext — lives in
 * ARENA, so a later rekey does not change it. */
struct Safeloop__V1__SealedReporter *sl_seal_reporter(sl_sealer_t *s, const char *key_id,
                                                      const void *plain, size_t n,
                                                      struct sl_arena *arena);

/* Opens a record with the key pair: returns a new buffer of *PLEN bytes, or
 * NULL if the key pair, AD or any byte does not match. */
unsigned char *sl_seal_open(const unsigned char pk[SL_SEAL_KEY_BYTES],
                            const unsigned char sk[SL_SEAL_KEY_BYTES],
                            const unsigned char *sealed_key, size_t sealed_key_len,
                            const unsigned char *nonce, size_t nonce_len,
                            const unsigned char *ct, size_t ctlen, const char *ad, size_t *plen);

/* The two halves of sl_seal_open, for a reader of many records sealed in one
 * batch (one crypto_box_seal_open for all): opens SEALED_KEY with the key pair
 * into KEY (0, or -1 if it does not open) … */
int sl_seal_open_key(const unsigned char pk[SL_SEAL_KEY_BYTES],
                     const unsigned char sk[SL_SEAL_KEY_BYTES], const unsigned char *sealed_key,
                     size_t sealed_key_len, unsigned char key[SL_SEAL_KEY_BYTES]);
/* … then each record with KEY: a new buffer of *PLEN bytes, or NULL. */
unsigned char *sl_seal_open_with(const unsigned char key[SL_SEAL_KEY_BYTES],
                                 const unsigned char *nonce, size_t nonce_len,
                                 const unsigned char *ct, size_t ctlen, const char *ad,
                                 size_t *plen);

/* Seals a whole blob with crypto_box_seal (undecodable input kept as a dead
 * letter); returns a new buffer of *OUTLEN bytes. */
unsigned char *sl_seal_blob(const unsigned char pk[SL_SEAL_KEY_BYTES], const void *data, size_t n,
                            size_t *outlen);

#endif
