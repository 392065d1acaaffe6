/* sl_inbox.h — the inbox (every accepted envelope, msg_id unique forever) and
 * the dead letters (every rejection, with its reason).
 *
 * All SQL on inbox and dead_letter lives here. Every function runs inside the
 * caller's transaction and works on a whole batch in one statement. */
#ifndef SL_INBOX_H
#define SL_INBOX_H

#include "sl_db.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One accepted envelope, as stored (reporter data already sealed). */
typedef struct {
    const char *msg_id;    /* unique forever */
    const char *producer;  /* the envelope's label */
    const char *sender;    /* CURVE key, "ipc" or the peer address */
    const char *body_kind; /* "clue", "receipt", … */
    int64_t received_ms;   /* when intake received it */
    const void *raw;       /* the envelope re-encoded with the reporter sealed */
    size_t raw_len;
    const char *case_no;   /* the result the ack carried (NULL: none) */
    const char *ref;       /* likewise */
} sl_inbox_row_t;

/* One rejection. */
typedef struct {
    const char *msg_id;   /* NULL if it could not be read */
    const char *producer; /* likewise */
    const char *sender;
    int64_t received_ms;
    const char *code;     /* the stable error code */
    const char *text;     /* the ack's error text */
    const void *raw;      /* re-encoded with the reporter sealed, or sealed whole; NULL: not kept */
    size_t raw_len;
    bool raw_sealed;      /* raw is one sealed box (undecodable input) */
} sl_dead_letter_t;

/* Looks up N msg_ids; calls FOUND (sl_db.h) with the row of each one stored:
 * msg_id, case_no, ref (its original result; NULL reads ""). 0, -1 or
 * SL_AGAIN. */
int sl_inbox_find(sl_db_t *db, const char *const *msg_ids, size_t n, sl_db_row_cb *found,
                  void *arg);
/* The same look-up held back (sl_db_bin_defer_rows): it travels with the
 * transaction's next statement, and FOUND gets the rows before that
 * statement's call returns. 0. */
int sl_inbox_find_deferred(sl_db_t *db, const char *const *msg_ids, size_t n, sl_db_row_cb *found,
                           void *arg);
/* Stores N accepted envelopes. Deferred (sl_db_defer): the insert travels with
 * the transaction's next statement or its COMMIT, and that call reports its
 * errors — a msg_id stored meanwhile by another instance makes it fail with
 * SQLSTATE 23505 (the caller retries: it is a duplicate now). */
int sl_inbox_insert(sl_db_t *db, const sl_inbox_row_t *rows, size_t n);
/* Stores N dead letters; deferred the same way. */
int sl_inbox_dead_letters(sl_db_t *db, const sl_dead_letter_t *rows, size_t n);

#endif
