/* sl_test_pg.c — databases from the fixture's template for the C system tests.
 *
 * See sl_test_pg.h. Creating and dropping run on the cluster's "postgres"
 * database over a short-lived connection of their own. */
#include "sl_test_pg.h"

#include "sl_audit.h"
#include "sl_calendar_db.h"
#include "sl_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

const char *
sl_test_conninfo(const char *dbname)
{
    static char conninfo[1200];
    const char *dir = getenv("SL_TEST_STATE");
    char path[512], line[512], host[512] = "", port[512] = "5432";
    snprintf(path, sizeof path, "%s/pg.env", dir ? dir : ".");
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "sl_test_pg: %s missing (the pg fixture did not start)\n", path);
        return NULL;
    }
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "SL_PG_HOST=", 11) == 0)
            snprintf(host, sizeof host, "%s", line + 11);
        else if (strncmp(line, "SL_PG_PORT=", 11) == 0)
            snprintf(port, sizeof port, "%s", line + 11);
    }
    fclose(f);
    snprintf(conninfo, sizeof conninfo, "host=%s port=%s user=postgres dbname=%s", host, port,
             dbname);
    return conninfo;
}

/* Runs SQL on the cluster's postgres database; fails the test if it fails. */
static void
s_admin(const char *sql)
{
    const char *ci = sl_test_conninfo("postgres");
    assert_non_null(ci);
    sl_db_t *db = sl_db_new(ci);
    assert_int_equal(sl_db_connect(db), 0);
    assert_int_equal(sl_db_exec(db, NULL, sql, 0, NULL), 0);
    sl_db_destroy(&db);
}

sl_db_t *
sl_test_db_new(const char *prefix, char *name)
{
    static int counter;
    snprintf(name, 64, "t_%.20s_%ld_%d", prefix, (long)getpid(), ++counter);
    char *sql = sl_asprintf("CREATE DATABASE \"%s\" TEMPLATE sl_template", name);
    s_admin(sql);
    free(sql);
    sl_db_t *db = sl_db_new(sl_test_conninfo(name));
    assert_non_null(db);
    assert_int_equal(sl_db_connect(db), 0);
    return db;
}

void
sl_test_db_drop(sl_db_t **db, const char *name)
{
    sl_db_destroy(db);
    char *sql = sl_asprintf("DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", name);
    s_admin(sql);
    free(sql);
}

char *
sl_test_value(sl_db_t *db, const char *sql)
{
    PGresult *r;
    assert_int_equal(sl_db_exec(db, &r, sql, 0, NULL), 0);
    char *v = sl_strdup(PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
    return v;
}

int
sl_test_fix_setup(void **state)
{
    sl_test_fix_t *f = sl_calloc(1, sizeof *f);
    f->db = sl_test_db_new("c", f->name);
    *state = f;
    return 0;
}

int
sl_test_fix_teardown(void **state)
{
    sl_test_fix_t *f = *state;
    sl_test_db_drop(&f->db, f->name);
    free(f);
    return 0;
}

void
sl_test_assert_value(sl_db_t *db, const char *sql, const char *want)
{
    char *v = sl_test_value(db, sql);
    assert_string_equal(v, want);
    free(v);
}

void
sl_test_audit_intact(sl_db_t *db)
{
    long cases = 0;
    assert_int_equal(sl_audit_verify(db, NULL, NULL, &cases, NULL), 0);
    assert_true(cases > 0);
}

void
sl_test_clue(sl_case_reg_t *reg, sl_pb_clue_t *clue, sl_pb_subject_t *subj, sl_pb_place_t *place,
             const char *subject, int sector, const char *unit, const char *msg_id)
{
    *subj = (sl_pb_subject_t)SAFELOOP__V1__SUBJECT__INIT;
    *place = (sl_pb_place_t)SAFELOOP__V1__PLACE__INIT;
    *clue = (sl_pb_clue_t)SAFELOOP__V1__CLUE_REPORT__INIT;
    subj->name = (char *)subject;
    place->division = "140728";
    clue->subject = subj;
    clue->place = place;
    clue->sector = (Safeloop__V1__Sector)sector;
    clue->channel = SAFELOOP__V1__CLUE_REPORT__CHANNEL__HOTLINE;
    clue->received_at = 1767225600000; /* 2026-01-01 */
    clue->description = "测试线索";
    memset(reg, 0, sizeof *reg);
    reg->clue = clue;
    reg->msg_id = msg_id;
    reg->actor_key = "ipc";
    reg->actor_unit = "";
    reg->operator_name = "";
    reg->route = "department";
    reg->unit_code = unit;
}

void
sl_test_register(sl_db_t *db, int64_t now_ms, const char *subject, int sector, const char *unit,
                 const char *msg_id, char *case_no)
{
    sl_case_reg_t reg;
    sl_pb_clue_t clue;
    sl_pb_subject_t subj;
    sl_pb_place_t place;
    sl_test_clue(&reg, &clue, &subj, &place, subject, sector, unit, msg_id);
    assert_int_equal(sl_db_begin(db), 0);
    assert_int_equal(sl_case_register(db, "140728", now_ms, &reg, 1), 0);
    assert_int_equal(sl_db_commit(db), 0);
    snprintf(case_no, 64, "%s", reg.case_no);
}

sl_transfer_formed_t
sl_test_form_list(sl_db_t *db, int64_t now_ms, const char *const *subjects, const char *unit)
{
    char case_no[64], msg_id[32];
    for (int i = 0; subjects[i]; i++) {
        snprintf(msg_id, sizeof msg_id, "clue-%d", i);
        sl_test_register(db, now_ms, subjects[i], 1, unit, msg_id, case_no);
    }
    sl_calendar_t *cal = NULL;
    assert_int_equal(sl_calendar_load(db, &cal), 0);
    sl_transfer_actor_t actor = {.key = "sl-dispatch", .unit = "140728"};
    sl_transfer_formed_t out;
    assert_int_equal(sl_transfer_form_list(db, cal, "140728", now_ms, -1, true,
                                           &(sl_transfer_form_opts_t){.upper_margin = 1}, &actor,
                                           &out),
                     0);
    sl_calendar_destroy(&cal);
    return out;
}
