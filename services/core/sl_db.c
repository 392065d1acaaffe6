/* sl_db.c — one PostgreSQL connection that reconnects, sessions in Asia/Shanghai.
 *
 * Blocking libpq calls. A lost connection makes the call return SL_AGAIN and
 * the next call reconnects; callers retry whole transactions, never halves.
 * Reconnecting backs off (SL_DB_RETRY_MIN_MS doubling to SL_DB_RETRY_MAX_MS):
 * a call between two attempts returns SL_AGAIN at once with the last error,
 * so however often a daemon asks, the server sees a few attempts a second at
 * most. Connection failures are logged at debug: what the daemon's state is
 * (up, down, back) is sl_service's to say, once per change. */
#include "sl_db.h"

#include "sl_log.h"
#include "sl_util.h"

#include <assert.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

/* Who reads a held-back statement's rows (sl_db_bin_defer_rows); none for
 * most: their results are only checked. PREP >= 0: the result is that of
 * preparing db->prep[PREP] (sl_db_prepare_statements), not of a statement. */
typedef struct {
    sl_db_row_cb *cb;
    void *arg;
    int prep;
} s_rows_to_t;

/* A statement prepared on the connection: its text and name; CONFIRMED once
 * the server's answer to the Parse was read (until then a failure forgets
 * it: its name is never used again, a new one is prepared). */
typedef struct {
    char *sql;
    char name[24];
    bool confirmed;
} s_prep_t;

/* A statement held back to travel with the next one (sl_db_defer,
 * sl_db_begin_deferred, sl_db_bin_defer_rows). */
typedef struct {
    char *sql;
    int nparams;
    char **params;    /* copies; NULL elements are SQL NULL */
    int *lengths;     /* NULL: all text; else each parameter's length */
    int *formats;     /* NULL: all text; else 0 text, 1 binary */
    s_rows_to_t rows; /* who reads its rows, if anyone */
} s_deferred_t;

struct sl_db {
    char *conninfo;   /* as configured */
    PGconn *conn;     /* NULL while disconnected */
    long connects;    /* successful connections so far */
    char error[1024]; /* last error text */
    char sqlstate[6]; /* last SQLSTATE */
    s_deferred_t *deferred; /* held back, in order */
    size_t ndeferred, capdeferred;
    size_t nsent;           /* sent by sl_db_send_deferred, results not read yet */
    s_rows_to_t *sent_rows; /* who reads each sent one's rows (nsent of them) */
    size_t capsent;
    bool send_failed;       /* sl_db_send_deferred could not send: the next call fails */
    bool prepare;           /* sl_db_prepare_statements */
    s_prep_t prep[SL_DB_PREPARED]; /* prepared on the connection, nprep of them */
    int nprep;
    unsigned long prepared; /* names handed out so far (never reused) */
    int backoff_ms;    /* the wait after the last failed attempt, 0 if none */
    int64_t retry_at;  /* monotonic ms before which no attempt is made */
};

/* Monotonic milliseconds (the backoff must not follow SL_NOW or clock steps). */
static int64_t
s_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
s_deferred_clear(sl_db_t *db)
{
    for (size_t i = 0; i < db->ndeferred; i++) {
        s_deferred_t *d = &db->deferred[i];
        for (int k = 0; k < d->nparams; k++)
            free(d->params[k]);
        free(d->params);
        free(d->lengths);
        free(d->formats);
        free(d->sql);
    }
    db->ndeferred = 0;
}

/* Forgets the statements prepared whose Parse was not answered (ALL: every
 * one, as after a new connection or a statement the server no longer
 * knows). Their names are not used again. */
static void
s_prep_forget(sl_db_t *db, bool all)
{
    int k = 0;
    for (int i = 0; i < db->nprep; i++) {
        if (all || !db->prep[i].confirmed)
            free(db->prep[i].sql);
        else
            db->prep[k++] = db->prep[i];
    }
    db->nprep = k;
}

/* The index of SQL among the statements prepared, or -1. */
static int
s_prep_find(const sl_db_t *db, const char *sql)
{
    for (int i = 0; i < db->nprep; i++)
        if (strcmp(db->prep[i].sql, sql) == 0)
            return i;
    return -1;
}

/* The prepared statement to run SQL by: its index, or -1 to run it unnamed
 * (DB does not prepare, SQL has no parameters, or the table is full). *PARSE:
 * it is new, with a fresh name (unconfirmed), to be prepared first. */
static int
s_prep_for(sl_db_t *db, const char *sql, int nparams, bool *parse)
{
    *parse = false;
    if (!db->prepare || nparams <= 0)
        return -1;
    int k = s_prep_find(db, sql);
    if (k >= 0 || db->nprep == SL_DB_PREPARED)
        return k;
    s_prep_t *p = &db->prep[db->nprep];
    p->sql = sl_strdup(sql);
    p->confirmed = false;
    snprintf(p->name, sizeof p->name, "sl_%lu", ++db->prepared);
    *parse = true;
    return db->nprep++;
}

void
sl_db_prepare_statements(sl_db_t *db)
{
    db->prepare = true;
}

size_t
sl_db_prepared(const sl_db_t *db)
{
    return (size_t)db->nprep;
}

sl_db_t *
sl_db_new(const char *conninfo)
{
    sl_db_t *db = sl_calloc(1, sizeof *db);
    db->conninfo = sl_strdup(conninfo ? conninfo : "");
    return db;
}

void
sl_db_destroy(sl_db_t **p)
{
    if (!p || !*p)
        return;
    sl_db_t *db = *p;
    s_deferred_clear(db);
    s_prep_forget(db, true);
    free(db->deferred);
    free(db->sent_rows);
    if (db->conn)
        PQfinish(db->conn);
    free(db->conninfo);
    free(db);
    *p = NULL;
}

static void
s_set_error(sl_db_t *db, const char *text, const char *state)
{
    snprintf(db->error, sizeof db->error, "%s", text ? text : "");
    size_t n = strlen(db->error);
    while (n && (db->error[n - 1] == '\n' || db->error[n - 1] == ' '))
        db->error[--n] = '\0';
    snprintf(db->sqlstate, sizeof db->sqlstate, "%s", state ? state : "");
}

/* Calls CB once per row of R with its columns (NULL reads ""). */
static void
s_each_row(const PGresult *r, sl_db_row_cb *cb, void *arg)
{
    int n = PQnfields(r);
    const char **cols = sl_calloc(n > 0 ? (size_t)n : 1, sizeof *cols);
    for (int i = 0; i < PQntuples(r); i++) {
        for (int k = 0; k < n; k++)
            cols[k] = PQgetvalue(r, i, k);
        cb(arg, cols);
    }
    free(cols);
}

/* Server notices (e.g. "relation already exists, skipping") go to the debug log
 * instead of libpq's default of stderr. */
static void
s_notice(void *arg, const char *message)
{
    (void)arg;
    char text[512];
    snprintf(text, sizeof text, "%s", message);
    size_t n = strlen(text);
    while (n && text[n - 1] == '\n')
        text[--n] = '\0';
    sl_log(SL_LOG_DEBUG, "database notice: %s", text);
}

int
sl_db_connect(sl_db_t *db)
{
    if (db->conn && PQstatus(db->conn) == CONNECTION_OK)
        return 0;
    if (db->conn) {
        PQfinish(db->conn);
        db->conn = NULL;
    }
    if (db->backoff_ms > 0 && s_mono_ms() < db->retry_at)
        return SL_AGAIN; /* too soon after the last failure: its error stands */
    /* The conninfo may be a URI or keywords; options are added separately so
     * every session runs in Asia/Shanghai whatever the server's default. A
     * connect_timeout given before dbname is a default the conninfo may
     * override: an unreachable host must not hold a daemon for minutes. */
    const char *keys[] = {"connect_timeout", "dbname", "options", "application_name",
                          "fallback_application_name", NULL};
    const char *vals[] = {"5", db->conninfo, "-c timezone=Asia/Shanghai", NULL, "safeloop", NULL};
    db->conn = PQconnectdbParams(keys, vals, 1);
    if (PQstatus(db->conn) != CONNECTION_OK) {
        s_set_error(db, PQerrorMessage(db->conn), "08006");
        db->backoff_ms = db->backoff_ms == 0 ? SL_DB_RETRY_MIN_MS
                         : db->backoff_ms * 2 > SL_DB_RETRY_MAX_MS ? SL_DB_RETRY_MAX_MS
                                                                   : db->backoff_ms * 2;
        db->retry_at = s_mono_ms() + db->backoff_ms;
        sl_log(SL_LOG_DEBUG, "retry_ms=%d could not connect to database: %s", db->backoff_ms,
               db->error);
        PQfinish(db->conn);
        db->conn = NULL;
        return SL_AGAIN;
    }
    PQsetNoticeProcessor(db->conn, s_notice, NULL);
    s_prep_forget(db, true); /* a new session: nothing is prepared on it */
    db->backoff_ms = 0;
    db->connects++;
    if (db->connects > 1)
        sl_log(SL_LOG_DEBUG, "reconnected to database");
    return 0;
}

int
sl_db_retry_in_ms(const sl_db_t *db)
{
    if (sl_db_connected(db) || db->backoff_ms == 0)
        return 0;
    int64_t left = db->retry_at - s_mono_ms();
    return left > 0 ? (int)left : 0;
}

bool
sl_db_connected(const sl_db_t *db)
{
    return db->conn && PQstatus(db->conn) == CONNECTION_OK;
}

long
sl_db_reconnects(const sl_db_t *db)
{
    return db->connects > 1 ? db->connects - 1 : 0;
}

PGconn *
sl_db_conn(sl_db_t *db)
{
    return sl_db_connected(db) ? db->conn : NULL;
}

/* After a failed call: SL_AGAIN if the connection is gone (it is dropped and
 * the next call reconnects) or the error is transient, else -1. */
static int
s_failed(sl_db_t *db)
{
    if (PQstatus(db->conn) != CONNECTION_OK) {
        sl_log(SL_LOG_DEBUG, "lost database connection: %s", db->error);
        PQfinish(db->conn);
        db->conn = NULL;
        return SL_AGAIN;
    }
    /* Errors that another attempt may not meet: serialization, deadlock,
     * admin shutdown are transient. */
    if (strncmp(db->sqlstate, "40", 2) == 0 || strncmp(db->sqlstate, "57P", 3) == 0 ||
        strncmp(db->sqlstate, "08", 2) == 0)
        return SL_AGAIN;
    return -1;
}

/* Appends R to the array *TO of *N (capacity *CAP). */
static void
s_rows_push(s_rows_to_t **to, size_t *n, size_t *cap, s_rows_to_t r)
{
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 8;
        *to = sl_realloc(*to, *cap * sizeof **to);
    }
    (*to)[(*n)++] = r;
}

/* Sends SQL in pipeline mode, noting who reads its result (ROWS) in *TO: by
 * name when DB prepares statements, after its Parse if it is new on the
 * connection (a result of its own, noted before the statement's). False if
 * libpq could not send. */
static bool
s_send(sl_db_t *db, const char *sql, int nparams, const char *const *values, const int *lengths,
       const int *formats, s_rows_to_t rows, s_rows_to_t **to, size_t *n, size_t *cap)
{
    bool parse;
    int k = s_prep_for(db, sql, nparams, &parse);
    if (parse) {
        if (PQsendPrepare(db->conn, db->prep[k].name, sql, nparams, NULL) != 1)
            return false;
        s_rows_push(to, n, cap, (s_rows_to_t){NULL, NULL, k});
    }
    s_rows_push(to, n, cap, rows);
    if (k >= 0)
        return PQsendQueryPrepared(db->conn, db->prep[k].name, nparams, values, lengths, formats,
                                   0) == 1;
    return PQsendQueryParams(db->conn, sql, nparams, NULL, values, lengths, formats, 0) == 1;
}

/* After a failed call: forgets the statements prepared in it that the server
 * did not take, or all of them if the server no longer knows one (its plan
 * cannot change its result type after a migration, 0A000; or it is gone,
 * 26000): the next calls prepare them again under new names. */
static void
s_prep_failed(sl_db_t *db)
{
    s_prep_forget(db, strcmp(db->sqlstate, "0A000") == 0 || strcmp(db->sqlstate, "26000") == 0);
}

/* Sends the deferred statements and then SQL (if not NULL) in one round trip
 * (libpq pipeline mode); they run in order. The first error stops the rest
 * (the server skips them) and is what the call reports. RES gets SQL's
 * result. The results are all small, so the blocking connection cannot fill
 * both directions at once (libpq's pipeline deadlock). */
static int
s_pipeline(sl_db_t *db, PGresult **res, const char *sql, int nparams, const char *const *values,
           const int *lengths, const int *formats)
{
    size_t nd = db->ndeferred;
    /* those sent before come first */
    size_t total = 0, cap = 0;
    s_rows_to_t *rows_to = NULL;
    for (size_t i = 0; i < db->nsent; i++)
        s_rows_push(&rows_to, &total, &cap, db->sent_rows[i]);
    db->nsent = 0;
    bool ok = PQpipelineStatus(db->conn) == PQ_PIPELINE_ON || PQenterPipelineMode(db->conn) == 1;
    for (size_t i = 0; ok && i < nd; i++) {
        s_deferred_t *d = &db->deferred[i];
        ok = s_send(db, d->sql, d->nparams, (const char *const *)d->params, d->lengths, d->formats,
                    d->rows, &rows_to, &total, &cap);
    }
    if (ok && sql)
        ok = s_send(db, sql, nparams, values, lengths, formats, (s_rows_to_t){NULL, NULL, -1},
                    &rows_to, &total, &cap);
    ok = ok && PQpipelineSync(db->conn) == 1;
    s_deferred_clear(db);
    if (!ok) {
        /* could not even send: the connection is gone or unusable */
        s_set_error(db, PQerrorMessage(db->conn), "08006");
        PQfinish(db->conn);
        db->conn = NULL;
        free(rows_to);
        return SL_AGAIN;
    }
    bool failed = false;
    for (size_t i = 0; i < total; i++) {
        PGresult *r = PQgetResult(db->conn);
        ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
        if (!r) {
            if (!failed)
                s_set_error(db, PQerrorMessage(db->conn), "08006");
            failed = true;
            break;
        }
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && !failed) {
            const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
            s_set_error(db, PQresultErrorMessage(r), state);
            failed = true;
        }
        if (rows_to[i].prep >= 0 && st == PGRES_COMMAND_OK)
            db->prep[rows_to[i].prep].confirmed = true;
        if (!failed && rows_to[i].cb)
            s_each_row(r, rows_to[i].cb, rows_to[i].arg);
        if (!failed && sql && i == total - 1 && res)
            *res = r;
        else
            PQclear(r);
        /* each statement's results end with a NULL */
        while ((r = PQgetResult(db->conn)) != NULL)
            PQclear(r);
    }
    free(rows_to);
    /* the sync point */
    PGresult *r;
    while ((r = PQgetResult(db->conn)) != NULL) {
        ExecStatusType st = PQresultStatus(r);
        PQclear(r);
        if (st == PGRES_PIPELINE_SYNC)
            break;
    }
    if (PQexitPipelineMode(db->conn) != 1) {
        /* results left over: the connection's state is unknown, start afresh */
        if (!failed)
            s_set_error(db, PQerrorMessage(db->conn), "08006");
        sl_log(SL_LOG_DEBUG, "database pipeline left unfinished (%s): reconnecting", db->error);
        if (res && *res) {
            PQclear(*res);
            *res = NULL;
        }
        PQfinish(db->conn);
        db->conn = NULL;
        return SL_AGAIN;
    }
    if (!failed) {
        s_set_error(db, "", "");
        return 0;
    }
    if (res && *res) {
        PQclear(*res);
        *res = NULL;
    }
    s_prep_failed(db);
    return s_failed(db);
}

/* Statements were sent (sl_db_send_deferred) on a connection that is gone or
 * could not take them: their transaction is lost with it, so the connection
 * and what is held are dropped and SL_AGAIN returned (never a reconnect under
 * the caller). 0 when nothing sent was lost. */
static int
s_sent_lost(sl_db_t *db)
{
    if (!db->send_failed && (db->nsent == 0 || sl_db_connected(db)))
        return 0;
    if (db->send_failed || !db->error[0])
        s_set_error(db, db->conn ? PQerrorMessage(db->conn) : "connection lost", "08006");
    sl_log(SL_LOG_DEBUG, "lost database connection with statements sent: %s", db->error);
    if (db->conn)
        PQfinish(db->conn);
    db->conn = NULL;
    db->nsent = 0;
    db->send_failed = false;
    s_deferred_clear(db);
    return SL_AGAIN;
}

/* Runs SQL with parameters (NPARAMS >= 0) or as a script (NPARAMS < 0);
 * deferred statements go first, after those sent already. */
static int
s_exec(sl_db_t *db, PGresult **res, const char *sql, int nparams, const char *const *values,
       const int *lengths, const int *formats)
{
    if (res)
        *res = NULL;
    /* a statement sent already began on this connection: no reconnecting */
    int lost = s_sent_lost(db);
    if (lost != 0)
        return lost;
    if (sl_db_connect(db) != 0) {
        s_deferred_clear(db);
        return SL_AGAIN;
    }
    if (db->ndeferred > 0 || db->nsent > 0) {
        if (nparams >= 0)
            return s_pipeline(db, res, sql, nparams, values, lengths, formats);
        int rc = s_pipeline(db, NULL, NULL, 0, NULL, NULL, NULL); /* a script goes alone */
        if (rc != 0)
            return rc;
    }
    PGresult *r = NULL;
    bool parse;
    int k = s_prep_for(db, sql, nparams, &parse);
    if (parse) {
        r = PQprepare(db->conn, db->prep[k].name, sql, nparams, NULL);
        if (r && PQresultStatus(r) == PGRES_COMMAND_OK) {
            db->prep[k].confirmed = true;
            PQclear(r);
            r = NULL;
        }
    }
    if (!r)
        r = nparams < 0 ? PQexec(db->conn, sql)
            : k >= 0
                ? PQexecPrepared(db->conn, db->prep[k].name, nparams, values, lengths, formats, 0)
                : PQexecParams(db->conn, sql, nparams, NULL, values, lengths, formats, 0);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        s_set_error(db, "", "");
        if (res)
            *res = r;
        else
            PQclear(r);
        return 0;
    }
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    s_set_error(db, r ? PQresultErrorMessage(r) : PQerrorMessage(db->conn), state);
    if (r)
        PQclear(r);
    s_prep_failed(db);
    return s_failed(db);
}

/* Holds back SQL with copies of its parameters (LENGTHS and FORMATS NULL:
 * all text, else as for PQexecParams); with OWN, with the binary PARAMS
 * themselves (malloc'd, freed with the statement). */
static int
s_defer_params(sl_db_t *db, const char *sql, int nparams, const char *const *params,
               const int *lengths, const int *formats, bool own)
{
    if (db->ndeferred == db->capdeferred) {
        db->capdeferred = db->capdeferred ? 2 * db->capdeferred : 8;
        db->deferred = sl_realloc(db->deferred, db->capdeferred * sizeof *db->deferred);
    }
    s_deferred_t *d = &db->deferred[db->ndeferred++];
    size_t np = nparams > 0 ? (size_t)nparams : 1;
    d->sql = sl_strdup(sql);
    d->nparams = nparams;
    d->params = sl_calloc(np, sizeof *d->params);
    d->lengths = NULL;
    d->formats = NULL;
    d->rows = (s_rows_to_t){NULL, NULL, -1};
    if (formats) {
        d->lengths = sl_calloc(np, sizeof *d->lengths);
        d->formats = sl_calloc(np, sizeof *d->formats);
    }
    for (int k = 0; k < nparams; k++) {
        if (!params[k])
            continue;
        if (formats && formats[k]) {
            if (own) {
                d->params[k] = (char *)params[k];
            } else {
                d->params[k] = sl_malloc(lengths[k] > 0 ? (size_t)lengths[k] : 1);
                memcpy(d->params[k], params[k], (size_t)lengths[k]);
            }
            d->lengths[k] = lengths[k];
            d->formats[k] = 1;
        } else {
            assert(!own); /* only binary arrays are taken (sl_db_bin_defer) */
            d->params[k] = sl_strdup(params[k]);
        }
    }
    return 0;
}

static int
s_defer(sl_db_t *db, const char *sql, int nparams, const char *const *params, const int *lengths,
        const int *formats)
{
    return s_defer_params(db, sql, nparams, params, lengths, formats, false);
}

int
sl_db_defer(sl_db_t *db, const char *sql, int nparams, const char *const *params)
{
    return s_defer(db, sql, nparams, params, NULL, NULL);
}

int
sl_db_send_deferred(sl_db_t *db)
{
    if (db->ndeferred == 0)
        return 0;
    int lost = s_sent_lost(db);
    if (lost != 0)
        return lost;
    if (!sl_db_connected(db)) {
        s_deferred_clear(db);
        return SL_AGAIN;
    }
    bool ok = PQpipelineStatus(db->conn) == PQ_PIPELINE_ON || PQenterPipelineMode(db->conn) == 1;
    for (size_t i = 0; ok && i < db->ndeferred; i++) {
        s_deferred_t *d = &db->deferred[i];
        ok = s_send(db, d->sql, d->nparams, (const char *const *)d->params, d->lengths, d->formats,
                    d->rows, &db->sent_rows, &db->nsent, &db->capsent);
    }
    /* the server starts on them now, not at the next call's sync */
    ok = ok && PQflush(db->conn) == 0;
    s_deferred_clear(db);
    db->send_failed = !ok;
    return 0;
}

int
sl_db_begin_deferred(sl_db_t *db)
{
    if (sl_db_connect(db) != 0)
        return SL_AGAIN;
    s_deferred_clear(db);
    return sl_db_defer(db, "BEGIN", 0, NULL);
}

int
sl_db_execb(sl_db_t *db, PGresult **res, const char *sql, int nparams, const char *const *values,
            const int *lengths, const int *formats)
{
    return s_exec(db, res, sql, nparams < 0 ? 0 : nparams, values, lengths, formats);
}

int
sl_db_exec(sl_db_t *db, PGresult **res, const char *sql, int nparams, const char *const *params)
{
    return s_exec(db, res, sql, nparams < 0 ? 0 : nparams, params, NULL, NULL);
}

int
sl_db_exec_script(sl_db_t *db, const char *sql)
{
    return s_exec(db, NULL, sql, -1, NULL, NULL, NULL);
}

int
sl_db_plan_generic(sl_db_t *db)
{
    return sl_db_defer(db, "SET LOCAL plan_cache_mode = force_generic_plan", 0, NULL);
}

int
sl_db_begin(sl_db_t *db)
{
    return sl_db_exec(db, NULL, "BEGIN", 0, NULL);
}

int
sl_db_commit(sl_db_t *db)
{
    return sl_db_exec(db, NULL, "COMMIT", 0, NULL);
}

int
sl_db_rollback(sl_db_t *db)
{
    s_deferred_clear(db);
    if (db->nsent > 0 || db->send_failed) {
        /* read what was sent first (a pipeline with no statement of its own):
         * a failure among it would make the server skip the ROLLBACK */
        if (s_exec(db, NULL, NULL, 0, NULL, NULL, NULL) == SL_AGAIN && !sl_db_connected(db))
            return 0;
    }
    if (!sl_db_connected(db))
        return 0;
    return sl_db_exec(db, NULL, "ROLLBACK", 0, NULL);
}

const char *
sl_db_error(const sl_db_t *db)
{
    return db->error;
}

const char *
sl_db_sqlstate(const sl_db_t *db)
{
    return db->sqlstate;
}

void
sl_db_array_begin(sl_buf_t *b)
{
    sl_buf_reset(b);
    sl_buf_puts(b, "{");
}

static void
s_array_sep(sl_buf_t *b)
{
    if (b->len > 1)
        sl_buf_puts(b, ",");
}

void
sl_db_array_addn(sl_buf_t *b, const char *s, size_t n)
{
    s_array_sep(b);
    if (!s) {
        sl_buf_puts(b, "NULL");
        return;
    }
    sl_buf_puts(b, "\"");
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"' || s[i] == '\\') {
            sl_buf_append(b, s + start, i - start);
            sl_buf_append(b, "\\", 1);
            start = i;
        }
    }
    sl_buf_append(b, s + start, n - start);
    sl_buf_puts(b, "\"");
}

void
sl_db_array_add(sl_buf_t *b, const char *s)
{
    sl_db_array_addn(b, s, s ? strlen(s) : 0);
}

void
sl_db_array_add_int(sl_buf_t *b, long long v)
{
    s_array_sep(b);
    char digits[24];
    int n = 0;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        digits[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        digits[n++] = '-';
    char out[24];
    for (int i = 0; i < n; i++)
        out[i] = digits[n - 1 - i];
    sl_buf_append(b, out, (size_t)n);
}

void
sl_db_array_add_bool(sl_buf_t *b, bool v)
{
    s_array_sep(b);
    sl_buf_puts(b, v ? "t" : "f");
}

void
sl_db_array_add_bytea(sl_buf_t *b, const void *data, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    s_array_sep(b);
    if (!data) {
        sl_buf_puts(b, "NULL");
        return;
    }
    /* inside a quoted array element a backslash is escaped: \\x → \x */
    sl_buf_puts(b, "\"\\\\x");
    char chunk[512];
    size_t k = 0;
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        chunk[k++] = hex[p[i] >> 4];
        chunk[k++] = hex[p[i] & 15];
        if (k == sizeof chunk) {
            sl_buf_append(b, chunk, k);
            k = 0;
        }
    }
    sl_buf_append(b, chunk, k);
    sl_buf_puts(b, "\"");
}

void
sl_db_array_end(sl_buf_t *b)
{
    sl_buf_puts(b, "}");
}

void
sl_db_cols_init(sl_db_cols_t *c, int n)
{
    assert(n > 0 && n <= SL_DB_MAX_COLS);
    c->n = n;
    for (int i = 0; i < n; i++) {
        sl_buf_init(&c->col[i]);
        sl_db_array_begin(&c->col[i]);
    }
}

const char *const *
sl_db_cols_params(sl_db_cols_t *c)
{
    for (int i = 0; i < c->n; i++) {
        sl_db_array_end(&c->col[i]);
        c->param[i] = c->col[i].data;
    }
    return c->param;
}

void
sl_db_cols_free(sl_db_cols_t *c)
{
    for (int i = 0; i < c->n; i++)
        sl_buf_free(&c->col[i]);
    c->n = 0;
}

/* Binary arrays ------------------------------------------------------------ */

/* The element types' OIDs (pg_type.h), in sl_db_type_t's order. */
static const uint32_t s_elem_oid[] = {25, 21, 23, 20, 16, 17, 1184};

/* An array's header: ndim, has-nulls flag, element OID, then its one
 * dimension's length and lower bound. */
#define S_BIN_HEADER 20

/* Microseconds from the Unix epoch to PostgreSQL's (2000-01-01 UTC). */
#define S_PG_EPOCH_US 946684800000000LL

static void
s_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static void
s_be64(unsigned char *p, uint64_t v)
{
    s_be32(p, (uint32_t)(v >> 32));
    s_be32(p + 4, (uint32_t)v);
}

int
sl_db_bin_more(sl_db_bin_t *c, int m, const sl_db_type_t *types)
{
    assert(m >= 0 && c->n + m <= SL_DB_MAX_COLS);
    static const unsigned char room[S_BIN_HEADER];
    int first = c->n;
    for (int i = first; i < first + m; i++) {
        sl_buf_init(&c->col[i]);
        sl_buf_append(&c->col[i], room, sizeof room);
        c->type[i] = types[i - first];
        c->count[i] = 0;
        c->nulls[i] = false;
    }
    c->n = first + m;
    return first;
}

void
sl_db_bin_init(sl_db_bin_t *c, int n, const sl_db_type_t *types)
{
    assert(n >= 0 && n <= SL_DB_MAX_COLS);
    c->n = 0;
    sl_db_bin_more(c, n, types);
}

/* One element: its length (-1: NULL) and, if not NULL, its N bytes. */
static void
s_bin_elem(sl_db_bin_t *c, int col, const void *data, int32_t n)
{
    unsigned char len[4];
    s_be32(len, (uint32_t)n);
    sl_buf_append(&c->col[col], len, sizeof len);
    if (n > 0)
        sl_buf_append(&c->col[col], data, (size_t)n);
    if (n < 0)
        c->nulls[col] = true;
    c->count[col]++;
}

void
sl_db_bin_null(sl_db_bin_t *c, int col)
{
    s_bin_elem(c, col, NULL, -1);
}

void
sl_db_bin_text(sl_db_bin_t *c, int col, const char *s)
{
    assert(c->type[col] == SL_DB_TEXT);
    s_bin_elem(c, col, s, s ? (int32_t)strlen(s) : -1);
}

void
sl_db_bin_int(sl_db_bin_t *c, int col, long long v)
{
    unsigned char b[8];
    switch (c->type[col]) {
    case SL_DB_INT2:
        b[0] = (unsigned char)((uint16_t)v >> 8);
        b[1] = (unsigned char)v;
        s_bin_elem(c, col, b, 2);
        break;
    case SL_DB_INT4:
        s_be32(b, (uint32_t)v);
        s_bin_elem(c, col, b, 4);
        break;
    default:
        assert(c->type[col] == SL_DB_INT8);
        s_be64(b, (uint64_t)v);
        s_bin_elem(c, col, b, 8);
        break;
    }
}

void
sl_db_bin_bool(sl_db_bin_t *c, int col, bool v)
{
    assert(c->type[col] == SL_DB_BOOL);
    unsigned char b = v ? 1 : 0;
    s_bin_elem(c, col, &b, 1);
}

void
sl_db_bin_bytea(sl_db_bin_t *c, int col, const void *data, size_t n)
{
    assert(c->type[col] == SL_DB_BYTEA);
    s_bin_elem(c, col, data, data ? (int32_t)n : -1);
}

void
sl_db_bin_time(sl_db_bin_t *c, int col, int64_t ms)
{
    assert(c->type[col] == SL_DB_TSTZ);
    unsigned char b[8];
    s_be64(b, (uint64_t)(ms * 1000 - S_PG_EPOCH_US));
    s_bin_elem(c, col, b, 8);
}

/* Writes each array's header and points the parameters at the arrays. */
static void
s_bin_close(sl_db_bin_t *c)
{
    for (int i = 0; i < c->n; i++) {
        unsigned char *h = (unsigned char *)c->col[i].data;
        s_be32(h, 1);
        s_be32(h + 4, c->nulls[i] ? 1 : 0);
        s_be32(h + 8, s_elem_oid[c->type[i]]);
        s_be32(h + 12, (uint32_t)c->count[i]);
        s_be32(h + 16, 1);
        c->param[i] = c->col[i].data;
        c->len[i] = (int)c->col[i].len;
        c->fmt[i] = 1;
    }
}

int
sl_db_bin_exec(sl_db_t *db, PGresult **res, const char *sql, sl_db_bin_t *c)
{
    s_bin_close(c);
    return s_exec(db, res, sql, c->n, c->param, c->len, c->fmt);
}

int
sl_db_bin_defer(sl_db_t *db, const char *sql, sl_db_bin_t *c)
{
    s_bin_close(c);
    int rc = s_defer_params(db, sql, c->n, c->param, c->len, c->fmt, true);
    for (int i = 0; i < c->n; i++)
        sl_buf_init(&c->col[i]); /* its data is the statement's now */
    c->n = 0;
    return rc;
}

int
sl_db_bin_defer_rows(sl_db_t *db, const char *sql, sl_db_bin_t *c, sl_db_row_cb *cb, void *arg)
{
    int rc = sl_db_bin_defer(db, sql, c);
    db->deferred[db->ndeferred - 1].rows = (s_rows_to_t){cb, arg, -1};
    return rc;
}

void
sl_db_bin_free(sl_db_bin_t *c)
{
    for (int i = 0; i < c->n; i++)
        sl_buf_free(&c->col[i]);
    c->n = 0;
}

int
sl_db_begin_leader(sl_db_t *db, long long key, bool *leader)
{
    *leader = false;
    int rc = sl_db_begin(db);
    if (rc != 0)
        return rc;
    char k[24];
    snprintf(k, sizeof k, "%lld", key);
    const char *p[] = {k};
    PGresult *r;
    if ((rc = sl_db_exec(db, &r, "SELECT pg_try_advisory_xact_lock($1::bigint)", 1, p)) != 0) {
        sl_db_rollback(db);
        return rc;
    }
    *leader = PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    if (!*leader)
        sl_db_rollback(db);
    return 0;
}

void
sl_db_each_row(PGresult *r, sl_db_row_cb *cb, void *arg)
{
    s_each_row(r, cb, arg);
    PQclear(r);
}

int
sl_db_rows(sl_db_t *db, const char *sql, int nparams, const char *const *params, sl_db_row_cb *cb,
           void *arg)
{
    PGresult *r;
    int rc = sl_db_exec(db, &r, sql, nparams, params);
    if (rc == 0)
        sl_db_each_row(r, cb, arg);
    return rc;
}
