/* sl_db.h — a PostgreSQL connection that reconnects, in Asia/Shanghai.
 *
 * Wraps one libpq connection (blocking calls; daemons that must not block use
 * a connection per worker). Every session runs with timezone=Asia/Shanghai.
 * SQL never decides by now(): callers pass the time in as parameters. */
#ifndef SL_DB_H
#define SL_DB_H

#include "sl_util.h"

#include <libpq-fe.h>
#include <stdbool.h>

typedef struct sl_db sl_db_t;

/* Does not connect yet. CONNINFO is a libpq keyword string or URI. */
sl_db_t *sl_db_new(const char *conninfo);
void sl_db_destroy(sl_db_t **p);

#define SL_DB_RETRY_MIN_MS 100  /* first wait after a failed connection attempt */
#define SL_DB_RETRY_MAX_MS 5000 /* the cap of the doubling wait */

/* Connects if not connected. 0, or SL_AGAIN if the server is down (the
 * reason in sl_db_error, logged at debug only). After a failed attempt the
 * next is made no sooner than a backoff later (SL_DB_RETRY_MIN_MS doubling to
 * SL_DB_RETRY_MAX_MS); calls before then return SL_AGAIN at once. */
int sl_db_connect(sl_db_t *db);
/* Milliseconds until the next connection attempt may be made (0: now). */
int sl_db_retry_in_ms(const sl_db_t *db);
bool sl_db_connected(const sl_db_t *db);
/* Counts reconnects after the first connection (for metrics). */
long sl_db_reconnects(const sl_db_t *db);
/* The live connection, or NULL if not connected. Borrowed. */
PGconn *sl_db_conn(sl_db_t *db);

/* From now on the statements with parameters run on DB are prepared once a
 * connection (named, PQsendPrepare) and run by name after, also in pipeline
 * mode: no parsing at each run. The server still plans a prepared statement
 * for its parameters' values for its first five runs, and after them while
 * the plan for any values looks dearer (sl_db_plan_generic). For a
 * connection that runs the same few statements again and again
 * (sl-deadline's tick). Up to SL_DB_PREPARED of them; others run unnamed as
 * before. A new connection prepares afresh. */
#define SL_DB_PREPARED 64
void sl_db_prepare_statements(sl_db_t *db);
/* How many statements DB has prepared on its connection (for tests). */
size_t sl_db_prepared(const sl_db_t *db);
/* Until the end of DB's transaction, its statements are planned for any
 * values of their parameters (SET LOCAL plan_cache_mode =
 * force_generic_plan, held back to travel with the next statement), and a
 * prepared one keeps that plan. For statements that write a batch as arrays:
 * planned for their values, each array, up to a megabyte of events or
 * envelopes, is a constant the planner copies several times over. */
int sl_db_plan_generic(sl_db_t *db);

/* Runs SQL with text parameters (NULL entries are SQL NULL). Returns 0 and sets
 * *res (if RES is non-NULL; the caller PQclears it) when the statement
 * succeeded; -1 on an SQL error (sl_db_error/sl_db_sqlstate tell which); SL_AGAIN
 * if the connection was lost (it is reset and reconnected on the next call). */
int sl_db_exec(sl_db_t *db, PGresult **res, const char *sql, int nparams,
               const char *const *params);
/* Same with binary-capable parameters (lengths and formats as for PQexecParams). */
int sl_db_execb(sl_db_t *db, PGresult **res, const char *sql, int nparams,
                const char *const *values, const int *lengths, const int *formats);
/* Runs SQL that may hold several statements (simple query protocol, no
 * parameters), e.g. a migration. Same returns as sl_db_exec. */
int sl_db_exec_script(sl_db_t *db, const char *sql);
/* Holds back a statement whose result is not needed (a write inside a
 * transaction): it travels with the next statement or COMMIT in one round
 * trip (pipeline mode), and an error in it is reported by that call, which
 * then does not run. ROLLBACK drops what is held back. Returns 0. */
int sl_db_defer(sl_db_t *db, const char *sql, int nparams, const char *const *params);
/* Sends the statements held back so far at once, without waiting for them
 * (pipeline mode): the server runs them while the caller goes on working, and
 * the next call reads their results and reports an error in them as it would
 * for held ones. Only for writes (their results are small: nothing is read
 * until that call). A connection lost meanwhile fails that call with
 * SL_AGAIN, never reconnecting under it; sl_db_rollback reads them first.
 * Returns 0 (SL_AGAIN if there is no connection: nothing sent). */
int sl_db_send_deferred(sl_db_t *db);
/* BEGIN, held back the same way (SL_AGAIN if there is no connection). */
int sl_db_begin_deferred(sl_db_t *db);
/* Shorthands for BEGIN / COMMIT / ROLLBACK; same returns as sl_db_exec. */
int sl_db_begin(sl_db_t *db);
int sl_db_commit(sl_db_t *db);
int sl_db_rollback(sl_db_t *db);

/* One row's column texts (NULL columns read ""), for listing callbacks. */
typedef void(sl_db_row_cb)(void *arg, const char *const *cols);
/* Calls CB once per row of R with its columns, then clears R. */
void sl_db_each_row(PGresult *r, sl_db_row_cb *cb, void *arg);
/* Runs SQL (as sl_db_exec) and calls CB once per row. 0, -1 or SL_AGAIN. */
int sl_db_rows(sl_db_t *db, const char *sql, int nparams, const char *const *params,
               sl_db_row_cb *cb, void *arg);

/* Array literals for set-based statements (`… FROM unnest($1::text[], …)`):
 * one round trip for a whole batch. Start with sl_db_array_begin, add
 * elements, close with sl_db_array_end; B then holds e.g. {"a","b",NULL}. */
void sl_db_array_begin(sl_buf_t *b);
/* Adds a text element (quoted and escaped); NULL adds SQL NULL. */
void sl_db_array_add(sl_buf_t *b, const char *s);
void sl_db_array_addn(sl_buf_t *b, const char *s, size_t n);
void sl_db_array_add_int(sl_buf_t *b, long long v);
void sl_db_array_add_bool(sl_buf_t *b, bool v);
/* Adds a bytea element in hex form ("\\x…"); DATA NULL adds SQL NULL. */
void sl_db_array_add_bytea(sl_buf_t *b, const void *data, size_t n);
void sl_db_array_end(sl_buf_t *b);

/* A set of column arrays for one set-based statement: init with N columns,
 * add elements to cols->col[i] with the sl_db_array_add* calls, then pass
 * sl_db_cols_params() as the statement's parameters; free after. */
#define SL_DB_MAX_COLS 48
typedef struct {
    sl_buf_t col[SL_DB_MAX_COLS];          /* one array literal per column */
    const char *param[SL_DB_MAX_COLS];     /* their texts, once closed */
    int n;                                 /* columns in use */
} sl_db_cols_t;
void sl_db_cols_init(sl_db_cols_t *c, int n);
/* Closes every array and returns the parameter vector (borrowed). */
const char *const *sl_db_cols_params(sl_db_cols_t *c);
void sl_db_cols_free(sl_db_cols_t *c);

/* The same column arrays sent in binary (PostgreSQL's array wire format):
 * no quoting or hex on this side, no text parsing of elements on the
 * server's. For the hot batches (intake's cases, events and inbox rows).
 * Init with N columns (0: none yet) and their element types (the statement casts each
 * parameter to the matching array type, e.g. $1::bigint[] for SL_DB_INT8),
 * add one element per row to each column, then run the statement with
 * sl_db_bin_exec or hold it back with sl_db_bin_defer; free after. */
typedef enum {
    SL_DB_TEXT,  /* text[] */
    SL_DB_INT2,  /* smallint[] */
    SL_DB_INT4,  /* int[] */
    SL_DB_INT8,  /* bigint[] */
    SL_DB_BOOL,  /* bool[] */
    SL_DB_BYTEA, /* bytea[] */
    SL_DB_TSTZ,  /* timestamptz[], from Unix milliseconds */
} sl_db_type_t;
typedef struct {
    sl_buf_t col[SL_DB_MAX_COLS];      /* header room, then each element: length, bytes */
    sl_db_type_t type[SL_DB_MAX_COLS];
    int32_t count[SL_DB_MAX_COLS];     /* elements so far */
    bool nulls[SL_DB_MAX_COLS];        /* any element is NULL */
    const char *param[SL_DB_MAX_COLS]; /* once closed */
    int len[SL_DB_MAX_COLS], fmt[SL_DB_MAX_COLS];
    int n;
} sl_db_bin_t;
void sl_db_bin_init(sl_db_bin_t *c, int n, const sl_db_type_t *types);
/* Adds M more columns after those in use (a statement built by two modules,
 * each filling its own); returns the index of the first. */
int sl_db_bin_more(sl_db_bin_t *c, int m, const sl_db_type_t *types);
/* A text element (NULL: SQL NULL). */
void sl_db_bin_text(sl_db_bin_t *c, int col, const char *s);
/* An integer element of the column's width (INT2, INT4 or INT8). */
void sl_db_bin_int(sl_db_bin_t *c, int col, long long v);
void sl_db_bin_bool(sl_db_bin_t *c, int col, bool v);
/* A bytea element (DATA NULL: SQL NULL). */
void sl_db_bin_bytea(sl_db_bin_t *c, int col, const void *data, size_t n);
/* A timestamptz element from Unix milliseconds. */
void sl_db_bin_time(sl_db_bin_t *c, int col, int64_t ms);
void sl_db_bin_null(sl_db_bin_t *c, int col);
/* As sl_db_exec / sl_db_defer with the columns as the parameters $1..$N.
 * sl_db_bin_defer takes the arrays instead of copying them (a batch's are up
 * to megabytes): C has no columns after it (free it, or init it again). */
int sl_db_bin_exec(sl_db_t *db, PGresult **res, const char *sql, sl_db_bin_t *c);
int sl_db_bin_defer(sl_db_t *db, const char *sql, sl_db_bin_t *c);
/* As sl_db_bin_defer for a statement whose rows are wanted: CB gets each of
 * them (as sl_db_each_row) once the call that carries the statement has read
 * its result, before that call returns; not if the statement failed or was
 * dropped (ROLLBACK, a lost connection). A way to ask for rows without a
 * round trip of their own. */
int sl_db_bin_defer_rows(sl_db_t *db, const char *sql, sl_db_bin_t *c, sl_db_row_cb *cb, void *arg);
void sl_db_bin_free(sl_db_bin_t *c);

/* BEGIN, then try the transaction-scoped advisory lock KEY (a leader lock for
 * schedulers: of several instances one acts). *LEADER false: another holds it
 * and the transaction is rolled back. 0 (a transaction open when *LEADER),
 * -1 or SL_AGAIN. */
int sl_db_begin_leader(sl_db_t *db, long long key, bool *leader);

/* Text of the last error, and its SQLSTATE ("" if none). Borrowed. */
const char *sl_db_error(const sl_db_t *db);
const char *sl_db_sqlstate(const sl_db_t *db);

/* The schema: migrations compiled into the binary from schema/NNN_name.sql. */
/* Highest migration this build knows. */
int sl_schema_latest(void);
/* Applies every missing migration in order, each in its own transaction,
 * printing one line per applied migration to stdout if VERBOSE. Idempotent.
 * Returns 0 or -1 (the error is logged, the failing migration rolled back). */
int sl_schema_migrate(sl_db_t *db, bool verbose);
/* The same, stopping after migration TO (0: all); a staged upgrade, or a test
 * that needs a node as an older build left it. */
int sl_schema_migrate_to(sl_db_t *db, bool verbose, int to);
/* The database's schema version (0 if none yet), or -1 on error. */
int sl_schema_version(sl_db_t *db);
/* For daemons at start: 0 if the database is at sl_schema_latest(); otherwise
 * logs what to run (`slctl -c CONFIG migrate`, or upgrade safeloop) and returns -1. */
int sl_schema_check(sl_db_t *db, const char *config_path);

#endif
