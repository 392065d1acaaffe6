/* sl_inbox.c — set-based SQL for the inbox and the dead letters.
 *
 * Arrays travel as binary arrays (sl_db_bin_*: raw bytes, no quoting or
 * hex), one statement per batch; the
 * inserts are deferred to travel with the COMMIT (sl_db_defer). */
#include "sl_inbox.h"

#include "sl_util.h"

#include <stdlib.h>
#include <string.h>

/* The msg_ids among MSG_IDS stored already, now or with the next statement
 * (DEFERRED); FOUND gets each one's row. */
static int
s_find(sl_db_t *db, const char *const *msg_ids, size_t n, sl_db_row_cb *found, void *arg,
       bool deferred)
{
    if (n == 0)
        return 0;
    static const char sql[] =
        "SELECT msg_id, case_no, ref FROM inbox WHERE msg_id = ANY($1::text[])";
    static const sl_db_type_t types[] = {SL_DB_TEXT};
    sl_db_bin_t ids;
    sl_db_bin_init(&ids, 1, types);
    for (size_t i = 0; i < n; i++)
        sl_db_bin_text(&ids, 0, msg_ids[i]);
    PGresult *r;
    int rc = deferred ? sl_db_bin_defer_rows(db, sql, &ids, found, arg)
                      : sl_db_bin_exec(db, &r, sql, &ids);
    sl_db_bin_free(&ids);
    if (rc == 0 && !deferred)
        sl_db_each_row(r, found, arg);
    return rc;
}

int
sl_inbox_find(sl_db_t *db, const char *const *msg_ids, size_t n, sl_db_row_cb *found, void *arg)
{
    return s_find(db, msg_ids, n, found, arg, false);
}

int
sl_inbox_find_deferred(sl_db_t *db, const char *const *msg_ids, size_t n, sl_db_row_cb *found,
                       void *arg)
{
    return s_find(db, msg_ids, n, found, arg, true);
}

int
sl_inbox_insert(sl_db_t *db, const sl_inbox_row_t *rows, size_t n)
{
    if (n == 0)
        return 0;
    enum { ID, PRODUCER, SENDER, KIND, AT, RAW, CASE_NO, REF, NCOLS };
    static const sl_db_type_t types[NCOLS] = {SL_DB_TEXT, SL_DB_TEXT, SL_DB_TEXT,  SL_DB_TEXT,
                                              SL_DB_TSTZ, SL_DB_BYTEA, SL_DB_TEXT, SL_DB_TEXT};
    sl_db_bin_t cols;
    sl_db_bin_init(&cols, NCOLS, types);
    for (size_t i = 0; i < n; i++) {
        sl_db_bin_text(&cols, ID, rows[i].msg_id);
        sl_db_bin_text(&cols, PRODUCER, rows[i].producer ? rows[i].producer : "");
        sl_db_bin_text(&cols, SENDER, rows[i].sender ? rows[i].sender : "");
        sl_db_bin_text(&cols, KIND, rows[i].body_kind);
        sl_db_bin_time(&cols, AT, rows[i].received_ms);
        sl_db_bin_bytea(&cols, RAW, rows[i].raw, rows[i].raw_len);
        sl_db_bin_text(&cols, CASE_NO, rows[i].case_no);
        sl_db_bin_text(&cols, REF, rows[i].ref);
    }
    int rc = sl_db_bin_defer(db,
                             "INSERT INTO inbox (msg_id, producer, sender, body_kind, received_at,"
                             " raw, case_no, ref)"
                             " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[],"
                             " $5::timestamptz[], $6::bytea[], $7::text[], $8::text[])",
                             &cols);
    sl_db_bin_free(&cols);
    return rc;
}

int
sl_inbox_dead_letters(sl_db_t *db, const sl_dead_letter_t *rows, size_t n)
{
    if (n == 0)
        return 0;
    enum { ID, PRODUCER, SENDER, AT, CODE, TEXT, RAW, SEALED, NCOLS };
    static const sl_db_type_t types[NCOLS] = {SL_DB_TEXT, SL_DB_TEXT, SL_DB_TEXT,  SL_DB_TSTZ,
                                              SL_DB_TEXT, SL_DB_TEXT, SL_DB_BYTEA, SL_DB_BOOL};
    sl_db_bin_t cols;
    sl_db_bin_init(&cols, NCOLS, types);
    for (size_t i = 0; i < n; i++) {
        sl_db_bin_text(&cols, ID, rows[i].msg_id);
        sl_db_bin_text(&cols, PRODUCER, rows[i].producer);
        sl_db_bin_text(&cols, SENDER, rows[i].sender ? rows[i].sender : "");
        sl_db_bin_time(&cols, AT, rows[i].received_ms);
        sl_db_bin_text(&cols, CODE, rows[i].code);
        sl_db_bin_text(&cols, TEXT, rows[i].text ? rows[i].text : "");
        sl_db_bin_bytea(&cols, RAW, rows[i].raw, rows[i].raw_len);
        sl_db_bin_bool(&cols, SEALED, rows[i].raw_sealed);
    }
    int rc = sl_db_bin_defer(db,
                             "INSERT INTO dead_letter (msg_id, producer, sender, received_at,"
                             " error_code, error_text, raw, raw_sealed)"
                             " SELECT * FROM unnest($1::text[], $2::text[], $3::text[],"
                             " $4::timestamptz[], $5::text[], $6::text[], $7::bytea[], $8::bool[])",
                             &cols);
    sl_db_bin_free(&cols);
    return rc;
}
