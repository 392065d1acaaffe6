/* sl_schema.c — numbered migrations compiled into the binary, and the check
 * every daemon runs at start.
 *
 * schema/NNN_name.sql are applied in order, each in one transaction that also
 * records it in schema_migrations. A line `-- @copy TABLE(cols) FROM data/F.csv`
 * inside a migration loads that embedded CSV file (with header) by COPY at that
 * point. A concurrent second `migrate` waits on an advisory lock. */
#include "sl_db.h"

#include "sl_csv.h"
#include "sl_log.h"
#include "sl_schema_files.h"
#include "sl_util.h"

#include <stdlib.h>
#include <string.h>

#define SL_MIGRATE_LOCK "7261736" /* advisory lock key for migrations */

static const sl_schema_file_t *
s_file(const char *name)
{
    for (const sl_schema_file_t *f = sl_schema_files; f->name; f++)
        if (strcmp(f->name, name) == 0)
            return f;
    return NULL;
}

/* Version number of a migration file name "NNN_x.sql", or 0 if not one. */
static int
s_version(const char *name)
{
    if (strchr(name, '/') || strlen(name) < 8 || strcmp(name + strlen(name) - 4, ".sql") != 0)
        return 0;
    int v = 0;
    for (int i = 0; i < 3; i++) {
        if (name[i] < '0' || name[i] > '9')
            return 0;
        v = v * 10 + (name[i] - '0');
    }
    return name[3] == '_' ? v : 0;
}

int
sl_schema_latest(void)
{
    int latest = 0;
    for (const sl_schema_file_t *f = sl_schema_files; f->name; f++) {
        int v = s_version(f->name);
        if (v > latest)
            latest = v;
    }
    return latest;
}

static const sl_schema_file_t *
s_migration(int version)
{
    for (const sl_schema_file_t *f = sl_schema_files; f->name; f++)
        if (s_version(f->name) == version)
            return f;
    return NULL;
}

/* The CSV text to COPY into TARGET ("table(c1,c2)"): the columns C1, C2 … of
 * F picked by its header's names, so a data file can grow columns that an
 * older migration does not load; a target column the header does not name
 * takes the file's column at its position (calendar_load(day,…) from
 * "date,…"). A new string, or NULL (logged) when F is too narrow. */
static char *
s_project(const char *target, const sl_schema_file_t *f)
{
    const char *open = strchr(target, '('), *close = strrchr(target, ')');
    if (!open || !close || close < open)
        return sl_strdup(f->data);
    char *cols = sl_strndup(open + 1, (size_t)(close - open - 1));
    char *want[64], *head[64], *field[64];
    int nw = sl_csv_split(cols, want, 64);
    size_t nwant = nw > 0 && nw <= 64 ? (size_t)nw : 0;
    int pick[64];
    char *text = sl_strdup(f->data), *save = NULL, *out = NULL;
    char *line = strtok_r(text, "\n", &save);
    if (line && *line && line[strlen(line) - 1] == '\r')
        line[strlen(line) - 1] = '\0';
    int nh = line ? sl_csv_split(line, head, 64) : 0;
    size_t nhead = nh > 0 && nh <= 64 ? (size_t)nh : 0;
    sl_buf_t b;
    sl_buf_init(&b);
    for (size_t i = 0; i < nwant; i++) {
        want[i] = sl_trim(want[i]);
        if ((pick[i] = sl_csv_column(head, nhead, want[i])) < 0)
            pick[i] = (int)i;
        if ((size_t)pick[i] >= nhead) {
            sl_log(SL_LOG_ERROR, "%s has no column %s", f->name, want[i]);
            goto done;
        }
        sl_csv_put(&b, want[i], i == 0);
    }
    sl_buf_puts(&b, "\n");
    while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
        size_t len = strlen(line);
        if (len && line[len - 1] == '\r')
            line[--len] = '\0';
        if (len == 0)
            continue;
        int n = sl_csv_split(line, field, 64);
        if (n < 0 || n > 64) {
            sl_log(SL_LOG_ERROR, "%s: a malformed line (an unclosed quote or over 64 fields)",
                   f->name);
            goto done;
        }
        for (size_t i = 0; i < nwant; i++)
            sl_csv_put(&b, pick[i] < n ? field[pick[i]] : "", i == 0);
        sl_buf_puts(&b, "\n");
    }
    out = sl_buf_steal(&b);
done:
    sl_buf_free(&b);
    free(text);
    free(cols);
    return out;
}

/* COPY the embedded CSV FILE into TARGET ("table(cols)"). */
static int
s_copy_in(sl_db_t *db, const char *target, const char *file)
{
    const sl_schema_file_t *f = s_file(file);
    if (!f) {
        sl_log(SL_LOG_ERROR, "migration refers to %s, which is not in schema/", file);
        return -1;
    }
    PGconn *conn = sl_db_conn(db);
    if (!conn)
        return SL_AGAIN;
    char *data = s_project(target, f);
    if (!data)
        return -1;
    char *sql = sl_asprintf("COPY %s FROM STDIN WITH (FORMAT csv, HEADER true)", target);
    PGresult *r = PQexec(conn, sql);
    free(sql);
    int ok = PQresultStatus(r) == PGRES_COPY_IN;
    if (!ok)
        sl_log(SL_LOG_ERROR, "could not copy %s into %s: %s", file, target, PQresultErrorMessage(r));
    PQclear(r);
    if (ok &&
        (PQputCopyData(conn, data, (int)strlen(data)) != 1 || PQputCopyEnd(conn, NULL) != 1)) {
        sl_log(SL_LOG_ERROR, "could not copy %s: %s", file, PQerrorMessage(conn));
        ok = 0;
    }
    free(data);
    if (!ok)
        return -1;
    int rc = 0;
    while ((r = PQgetResult(conn)) != NULL) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            sl_log(SL_LOG_ERROR, "could not copy %s into %s: %s", file, target,
                   PQresultErrorMessage(r));
            rc = -1;
        }
        PQclear(r);
    }
    return rc;
}

/* Runs one migration's text: SQL chunks and @copy directives, in order. */
static int
s_apply(sl_db_t *db, const sl_schema_file_t *m)
{
    sl_buf_t chunk;
    sl_buf_init(&chunk);
    int rc = 0;
    const char *p = m->data, *end = m->data + m->len;
    while (p < end && rc == 0) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (n > 9 && strncmp(p, "-- @copy ", 9) == 0) {
            char *line = sl_strndup(p + 9, n - 9);
            char *from = strstr(line, " FROM ");
            if (!from) {
                sl_log(SL_LOG_ERROR, "%s: malformed @copy line: %s", m->name, line);
                rc = -1;
            } else {
                *from = '\0';
                if (chunk.len && (rc = sl_db_exec_script(db, chunk.data)) != 0)
                    sl_log(SL_LOG_ERROR, "migration %s failed: %s", m->name, sl_db_error(db));
                sl_buf_reset(&chunk);
                if (rc == 0)
                    rc = s_copy_in(db, sl_trim(line), sl_trim(from + 6));
            }
            free(line);
        } else {
            sl_buf_append(&chunk, p, n);
            sl_buf_puts(&chunk, "\n");
        }
        p += n + 1;
    }
    if (rc == 0 && chunk.len && (rc = sl_db_exec_script(db, chunk.data)) != 0)
        sl_log(SL_LOG_ERROR, "migration %s failed: %s", m->name, sl_db_error(db));
    sl_buf_free(&chunk);
    return rc;
}

/* True if migration V is recorded as applied. */
static bool
s_applied(sl_db_t *db, int v)
{
    char vs[16];
    snprintf(vs, sizeof vs, "%d", v);
    const char *p[] = {vs};
    PGresult *r;
    if (sl_db_exec(db, &r, "SELECT 1 FROM schema_migrations WHERE version = $1::int", 1, p) != 0)
        return false;
    bool yes = PQntuples(r) > 0;
    PQclear(r);
    return yes;
}

/* Known migrations not recorded in the database. */
static int
s_missing(sl_db_t *db)
{
    int missing = 0;
    for (int v = 1; v <= sl_schema_latest(); v++)
        if (s_migration(v) && !s_applied(db, v))
            missing++;
    return missing;
}

int
sl_schema_version(sl_db_t *db)
{
    PGresult *r;
    if (sl_db_exec(db, &r, "SELECT to_regclass('schema_migrations') IS NOT NULL", 0, NULL) != 0)
        return -1;
    bool exists = PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    if (!exists)
        return 0;
    if (sl_db_exec(db, &r, "SELECT coalesce(max(version), 0) FROM schema_migrations", 0, NULL) != 0)
        return -1;
    int v = atoi(PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
}

int
sl_schema_migrate(sl_db_t *db, bool verbose)
{
    return sl_schema_migrate_to(db, verbose, 0);
}

int
sl_schema_migrate_to(sl_db_t *db, bool verbose, int to)
{
    if (sl_db_exec(db, NULL, "SELECT pg_advisory_lock(" SL_MIGRATE_LOCK ")", 0, NULL) != 0) {
        sl_log(SL_LOG_ERROR, "could not lock for migration: %s", sl_db_error(db));
        return -1;
    }
    int rc = sl_db_exec(db, NULL,
                        "CREATE TABLE IF NOT EXISTS schema_migrations ("
                        " version int PRIMARY KEY, name text NOT NULL,"
                        " applied_at timestamptz NOT NULL DEFAULT clock_timestamp())",
                        0, NULL);
    int current = rc == 0 ? sl_schema_version(db) : -1;
    int latest = sl_schema_latest();
    if (current < 0) {
        sl_log(SL_LOG_ERROR, "could not read the schema version: %s", sl_db_error(db));
        rc = -1;
    } else if (current > latest) {
        sl_log(SL_LOG_ERROR, "database schema version %d is newer than this build knows (%d): "
                             "upgrade safeloop", current, latest);
        rc = -1;
    }
    /* Every known migration not yet recorded, in order (numbers may have gaps
     * while branches are merged; each is applied once). */
    int last = to > 0 && to < latest ? to : latest;
    for (int v = 1; rc == 0 && current >= 0 && v <= last; v++) {
        const sl_schema_file_t *m = s_migration(v);
        if (!m || s_applied(db, v))
            continue;
        char vs[16];
        snprintf(vs, sizeof vs, "%d", v);
        const char *params[] = {vs, m->name};
        if ((rc = sl_db_begin(db)) == 0 && (rc = s_apply(db, m)) == 0 &&
            (rc = sl_db_exec(db, NULL, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                             2, params)) == 0 &&
            (rc = sl_db_commit(db)) == 0) {
            if (verbose)
                printf("applied\t%s\n", m->name);
        } else {
            sl_log(SL_LOG_ERROR, "migration %s rolled back: %s", m->name, sl_db_error(db));
            sl_db_rollback(db);
            rc = -1;
        }
    }
    sl_db_exec(db, NULL, "SELECT pg_advisory_unlock(" SL_MIGRATE_LOCK ")", 0, NULL);
    return rc == 0 ? 0 : -1;
}

int
sl_schema_check(sl_db_t *db, const char *config_path)
{
    int v = sl_schema_version(db);
    int latest = sl_schema_latest();
    if (v < 0) {
        sl_log(SL_LOG_ERROR, "could not read the schema version: %s", sl_db_error(db));
        return -1;
    }
    int missing = v <= latest ? s_missing(db) : 0;
    if (v < latest || missing > 0) {
        sl_log(SL_LOG_ERROR, "database schema is at version %d with %d migration(s) of this "
                             "build (%d) missing: run `slctl -c %s migrate`", v, missing, latest,
               config_path ? config_path : "NODE.ini");
        return -1;
    }
    if (v > latest) {
        sl_log(SL_LOG_ERROR, "database schema version %d is newer than this build knows (%d): "
                             "upgrade safeloop", v, latest);
        return -1;
    }
    return 0;
}
