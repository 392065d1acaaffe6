/* sl_test_pg.h — the C system tests' way to the fixture's cluster.
 *
 * tests/system/pg-fixture.sh starts one cluster per ctest run and writes its
 * host and port to $SL_TEST_STATE/pg.env, with a template database sl_template
 * that holds the migrated schema (node 140728). A C test takes a database of
 * its own from that template, works on it through the library, asserts on its
 * rows, and drops it. */
#ifndef SL_TEST_PG_H
#define SL_TEST_PG_H

#include "sl_case.h"
#include "sl_db.h"
#include "sl_transfer.h"

#include <stdint.h>

/* The conninfo of database DBNAME on the fixture's cluster, in a static
 * buffer; NULL (with a message on stderr) if the fixture did not start. */
const char *sl_test_conninfo(const char *dbname);

/* A new database made from sl_template, named after PREFIX, the pid and a
 * counter, connected. NAME (>= 64 bytes) receives its name for
 * sl_test_db_drop. Fails the test (cmocka) when it cannot. */
sl_db_t *sl_test_db_new(const char *prefix, char *name);

/* Closes *DB (nulling it) and drops database NAME. */
void sl_test_db_drop(sl_db_t **db, const char *name);

/* A cmocka fixture's state: a database of its own from the template. */
typedef struct {
    sl_db_t *db;   /* connected to it */
    char name[64]; /* its name */
} sl_test_fix_t;

/* cmocka setup and teardown: *STATE becomes a new sl_test_fix_t; teardown
 * drops its database and frees it. */
int sl_test_fix_setup(void **state);
int sl_test_fix_teardown(void **state);

/* Fails the test unless the first column of the first row of SQL on DB is
 * WANT. */
void sl_test_assert_value(sl_db_t *db, const char *sql, const char *want);

/* The first column of the first row of SQL on DB, as a new string ("" when no
 * row); fails the test when the query fails. */
char *sl_test_value(sl_db_t *db, const char *sql);

/* Fails the test unless every audit chain on DB verifies (sl_audit_verify). */
void sl_test_audit_intact(sl_db_t *db);

/* A clue about SUBJECT in division 140728, sector SECTOR (wire value), as
 * intake registers it: fills CLUE, its SUBJECT and PLACE (storage the caller
 * owns) and REG (msg_id MSG_ID, routed to department UNIT). */
void sl_test_clue(sl_case_reg_t *reg, sl_pb_clue_t *clue, sl_pb_subject_t *subj,
                  sl_pb_place_t *place, const char *subject, int sector, const char *unit,
                  const char *msg_id);

/* Registers one clue (sl_test_clue) in a transaction of its own at node
 * 140728 at NOW_MS; CASE_NO (>= 64 bytes) gets its number. */
void sl_test_register(sl_db_t *db, int64_t now_ms, const char *subject, int sector,
                      const char *unit, const char *msg_id, char *case_no);

/* Registers one coal-mine case per subject of SUBJECTS (NULL-terminated) for
 * UNIT at NOW_MS and forms a transfer list at node 140728 on the calendar in
 * the database; returns what was formed. */
sl_transfer_formed_t sl_test_form_list(sl_db_t *db, int64_t now_ms, const char *const *subjects,
                                       const char *unit);

#endif
