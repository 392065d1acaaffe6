/* sl_audit.h — the audit chain of each case (一追溯), hash-chained per case.
 *
 * Every state change of a case is one row of case_event (DESIGN.md rule 8):
 * who (key, unit, operator), what (kind, detail), when, from which message.
 * Each event carries the hash of the event before it, so history cannot be
 * rewritten in part without `slctl audit verify` naming the break. This module
 * is the only writer of case_event and of the chains' heads (case_chain,
 * migration 022: the seq and hash of each case's last event; a case without a
 * row has none yet) and the one that chains events (DESIGN.md rule 4).
 * Whoever moves a head has locked the case's row first, as an UPDATE of cases
 * does, and reads the head after the lock, in a statement of its own. Appends
 * run inside the caller's transaction so a state change and its audit row
 * commit together.
 *
 * The hash (version 1). All hashes are SHA-256, written as 64 lowercase hex
 * digits.
 *   genesis(case_no) = SHA-256("safeloop:case:" || case_no)
 *     is the prev_hash of event 1, so a chain is bound to its case number.
 *   hash(prev, ev)   = SHA-256(F("safeloop:audit:v1") || F(prev) || F(seq) ||
 *                      F(at_ms) || F(kind) || F(actor_key) || F(actor_unit) ||
 *                      F(operator) || F(msg_id) || F(detail))
 *     where F(x) = len(x) as 8 bytes big-endian || the bytes of x. Text fields
 *     are their UTF-8 bytes exactly as stored (no NUL; NULL counts as "", and a
 *     NULL detail as "{}", the column's default); prev is its 64 hex characters;
 *     seq and at_ms are 8-byte big-endian two's complement integers (at_ms:
 *     milliseconds since the Unix epoch). Every field is length-prefixed, so no
 *     two different events encode to the same bytes.
 * Times are stored exactly to the millisecond (written as timestamp text, read
 * back as extract(epoch)*1000, which is numeric and exact in PostgreSQL >= 14). */
#ifndef SL_AUDIT_H
#define SL_AUDIT_H

#include "sl_db.h"

#include <jansson.h>
#include <stdint.h>

#define SL_AUDIT_HEX_LEN 64 /* a hash as hex, without the NUL */

/* Who acts, for the audit chain. Strings are borrowed; NULL counts as "". */
typedef struct {
    const char *key;           /* CURVE key, "ipc", "sl-dispatch", "slctl" */
    const char *unit;          /* the unit or node acting */
    const char *operator_name; /* the person, when an operator acted */
    const char *msg_id;        /* the envelope it came from, if any */
} sl_actor_t;

/* One event as hashed. Strings are borrowed; NULL counts as "" ("{}" for detail). */
typedef struct {
    int32_t seq;            /* 1, 2, … within the case; set by the append functions */
    int64_t at_ms;          /* when it happened, ms since the Unix epoch */
    const char *kind;       /* registered, repeated, transferred, … */
    const char *actor_key;  /* CURVE key (Z85) or "ipc" */
    const char *actor_unit; /* the unit or node acting */
    const char *operator;   /* the person, when an operator typed it */
    const char *msg_id;     /* the envelope it came from */
    const char *detail;     /* JSON text, hashed as stored */
} sl_audit_event_t;

/* Pure part ----------------------------------------------------------------- */

/* Writes genesis(CASE_NO) as 64 hex digits plus NUL into OUT_HEX. */
void sl_audit_genesis(const char *case_no, char out_hex[SL_AUDIT_HEX_LEN + 1]);
/* Writes genesis(SUBJECT) = SHA-256("safeloop:" || SUBJECT) for a register
 * row's chain; SUBJECT is "<kind>:<id>" ("inspection:<key>"), so a case's
 * genesis is the subject "case:<case_no>"'s. */
void sl_audit_genesis_of(const char *subject, char out_hex[SL_AUDIT_HEX_LEN + 1]);
/* Writes hash(PREV_HEX, EV) as 64 hex digits plus NUL into OUT_HEX. PREV_HEX is
 * hashed as given (NULL counts as ""), so a damaged prev_hash read back from the
 * database still hashes deterministically. */
void sl_audit_hash(const char *prev_hex, const sl_audit_event_t *ev,
                   char out_hex[SL_AUDIT_HEX_LEN + 1]);

/* Database part ------------------------------------------------------------- */

/* Appends EV (its seq is ignored) to the chain of case CASE_ID, inside the
 * caller's open transaction: locks the case row, takes seq = the head's seq + 1
 * and prev = the head's hash (genesis for seq 1), inserts the event and moves
 * the head.
 * Returns 0; -1 on an SQL error or an unknown case (logged; the caller rolls
 * back); SL_AGAIN if the connection was lost (retry the whole transaction). */
int sl_audit_append(sl_db_t *db, int64_t case_id, const sl_audit_event_t *ev);

/* Appends event KIND at NOW_MS by ACTOR to case CASE_ID with DETAIL, a JSON
 * object (consumed; stored compact, keys sorted, ASCII), as sl_audit_append.
 * 0, -1 or SL_AGAIN. */
int sl_audit_append_json(sl_db_t *db, int64_t case_id, int64_t now_ms, const char *kind,
                         const sl_actor_t *actor, json_t *detail);

/* Appends event KIND at NOW_MS by ACTOR with DETAIL (consumed, stored as
 * sl_audit_append_json) to the chain of SUBJECT ("inspection:<key>" …),
 * creating the chain at its genesis on the first event; table audit_subject
 * holds its head. Inside the caller's transaction; 0, -1 or SL_AGAIN. */
int sl_audit_append_subject(sl_db_t *db, const char *subject, int64_t now_ms, const char *kind,
                            const sl_actor_t *actor, json_t *detail);

/* As sl_audit_append for a caller that already knows the chain's state, e.g.
 * for a case inserted earlier in the same transaction (PREV_SEQ 0, PREV_HEAD
 * ignored) or after an earlier append whose NEW_HEAD it kept: saves the locking
 * read (it locks the case's row itself). If the case's head is not
 * PREV_SEQ/PREV_HEAD (the caller was wrong or raced), nothing is appended and
 * -1 is returned (logged; the caller rolls back). NEW_HEAD, when not NULL,
 * gets the new event's hash. Returns as sl_audit_append. */
int sl_audit_append_known(sl_db_t *db, int64_t case_id, const char *case_no, int32_t prev_seq,
                          const char *prev_head, const sl_audit_event_t *ev,
                          char *new_head /* NULL or SL_AUDIT_HEX_LEN + 1 bytes */);

/* One event of a batch that the caller chained itself with sl_audit_genesis
 * and sl_audit_hash (intake registers thousands of cases a second). */
typedef struct {
    int64_t case_id;                      /* the case */
    sl_audit_event_t ev;                  /* with its seq */
    char prev_hash[SL_AUDIT_HEX_LEN + 1]; /* the previous event's hash, or the genesis */
    char hash[SL_AUDIT_HEX_LEN + 1];      /* this event's hash */
} sl_audit_row_t;

/* Inserts N chained events in one statement. The caller holds the cases' row
 * locks (or inserted them in this transaction with their final heads),
 * chained the events from their current heads, and moves the heads of cases
 * that existed before with sl_audit_set_heads. Inside the caller's
 * transaction; the statement is deferred (sl_db_defer): it travels with the
 * transaction's next statement or COMMIT, which reports its errors. 0. */
int sl_audit_insert_rows(sl_db_t *db, const sl_audit_row_t *rows, size_t n);
/* The same N events inserted by the tail of one statement that begins with
 * the caller's WITH clause, run at once: WITH must name a data-modifying CTE
 * "fresh" returning (id, case_no) — the cases it inserts — and COLS holds its
 * parameters ($1…, binary); the events' columns are added to COLS after them.
 * A row whose case_id is 0 belongs to the fresh case CASE_NOS[i]; on return
 * every ROWS[i].case_id is set. The heads of the fresh cases are written by
 * the same statement: FRESH_NOS[k]'s chain ends at FRESH_SEQS[k] with hash
 * FRESH_HEADS[k] (NFRESH of them). Cases, their first events and their heads
 * in one round trip (intake's registration). 0, -1 or SL_AGAIN. */
int sl_audit_insert_rows_with(sl_db_t *db, const char *with, sl_db_bin_t *cols,
                              sl_audit_row_t *rows, const char *const *case_nos, size_t n,
                              const char *const *fresh_nos, const int32_t *fresh_seqs,
                              const char *const *fresh_heads, size_t nfresh);
/* Locks the rows of the cases IDS names (a bigint[] literal), FOR UPDATE in id
 * order: what a caller does before it reads heads it will move (the lock
 * order of 022). Deferred (sl_db_defer): read the heads by a statement sent
 * after it, which sees what the transaction the lock waited for wrote (a
 * FOR UPDATE over a join would re-read only the rows it locks). 0. */
int sl_audit_lock_cases(sl_db_t *db, const char *ids);
/* Moves the chain heads (case_chain) of N cases, in one statement (a row for
 * a case whose first events these are). Same contract as
 * sl_audit_insert_rows. */
int sl_audit_set_heads(sl_db_t *db, const int64_t *case_ids, const int32_t *seqs,
                       const char *const *heads, size_t n);

/* Appends N events to the chains of their cases, set-based: one statement
 * locks the cases' rows (FOR UPDATE, in id order) and one (pipelined) reads
 * their heads; the events are chained in C in array order (several may go to
 * one case), then one statement inserts them and one moves the heads (both
 * deferred, as sl_audit_insert_rows). EVS' seqs are ignored. Inside the
 * caller's transaction; 0, -1 (an unknown case, logged) or SL_AGAIN. The same
 * chain as N calls of sl_audit_append. */
int sl_audit_append_many(sl_db_t *db, const int64_t *case_ids, const sl_audit_event_t *evs,
                         size_t n);
/* Work of the caller's that writes nothing on the chains (sl_audit_append_many_then). */
typedef int(sl_audit_meanwhile_fn)(sl_db_t *db, void *arg);
/* As sl_audit_append_many, calling MEANWHILE(DB, ARG) once the heads are
 * locked and before the events are hashed (also when N is 0): writes sent
 * there (sl_db_send_deferred) run in the database while this hashes. Its
 * error is returned, and nothing is appended. */
int sl_audit_append_many_then(sl_db_t *db, const int64_t *case_ids, const sl_audit_event_t *evs,
                              size_t n, sl_audit_meanwhile_fn *meanwhile, void *arg);

/* Called once per break found: the case's number, the seq concerned (the
 * event's, or case_chain.seq for a break of the head) and what is wrong, e.g.
 * "event 3: hash does not match its contents". Strings are borrowed for the
 * duration of the call. */
typedef void (*sl_audit_break_cb)(void *arg, const char *case_no, int32_t seq, const char *reason);

/* Checks every case's chain, then every register row's (audit_subject), in
 * one read-only snapshot (REPEATABLE READ, so concurrent appends cannot look
 * like breaks), streaming the events through a cursor. Runs its own
 * transaction: the caller must not be in one. Reports each break through CB
 * (a register row's names its subject, "inspection:<key>", where a case's
 * names its number); *CASES_CHECKED (cases only) and *EVENTS_CHECKED (both
 * kinds; either may be NULL) get the counts. Returns the number of breaks (>= 0), -1 on a database error
 * (logged), SL_AGAIN if the connection was lost. */
int sl_audit_verify(sl_db_t *db, sl_audit_break_cb cb, void *arg, long *cases_checked,
                    long *events_checked);

/* Called for each event of a case, in seq order. EV's strings, PREV_HASH and
 * HASH are borrowed for the duration of the call. */
typedef void (*sl_audit_event_cb)(void *arg, const sl_audit_event_t *ev, const char *prev_hash,
                                  const char *hash);

/* Walks the events of case CASE_ID in seq order. Returns the number of events
 * (0 for an unknown case), -1 on an SQL error, SL_AGAIN if the connection was
 * lost. */
int sl_audit_list(sl_db_t *db, int64_t case_id, sl_audit_event_cb cb, void *arg);

#endif
