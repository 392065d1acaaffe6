/* sl_case.h — the ledger of cases (台账): registration, repeat linking, reading.
 *
 * All SQL on the cases table lives here. Registration works on a whole batch
 * of clues inside the caller's transaction, with a fixed number of statements
 * whatever the batch size: the repeat look-up, the gap-free counters, the case
 * rows, their audit events. */
#ifndef SL_CASE_H
#define SL_CASE_H

#include "sl_arena.h"
#include "sl_audit.h"
#include "sl_calendar.h"
#include "sl_codec.h"
#include "sl_db.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a clue's registration knows before its transaction (pure): the
 * subject's keys and the detail of its "registered" event. sl-intake works
 * it out on its loop thread while the batch before commits, off the
 * transaction's path. */
typedef struct {
    const char *key;    /* sl_subject_key of the subject's name */
    const char *credit; /* sl_subject_credit of its credit code */
    const char *detail; /* the "registered" event's detail (JSON text) */
} sl_case_prep_t;
/* Fills P for CLUE routed to ROUTE ("department"/"child") and UNIT_CODE, the
 * strings allocated in A. */
void sl_case_reg_prep(sl_case_prep_t *p, sl_arena_t *a, const sl_pb_clue_t *clue,
                      const char *route, const char *unit_code);

/* One clue to register. The caller fills the inputs; sl_case_register the outputs. */
typedef struct {
    /* in */
    const sl_pb_clue_t *clue;      /* validated; reporter already replaced by sealed_reporter */
    const char *msg_id;            /* the envelope's */
    const char *actor_key;         /* who sent it: CURVE key, "ipc", … */
    const char *actor_unit;        /* the unit or node it speaks for, "" if none */
    const char *operator_name;     /* the person, when an operator typed it */
    const char *route;             /* "department" or "child" */
    const char *unit_code;         /* the responsible unit */
    const void *reporter_sealed;   /* the SealedReporter encoding, or NULL */
    size_t reporter_sealed_len;
    bool own_case;                 /* never a repeat: a transfer from above is a case of its own */
    int upper_repeat_count;        /* Transfer.repeat_count, 0 if none: counts at least as many */
    const sl_case_prep_t *prep;    /* sl_case_reg_prep of the same clue, route and unit, or
                                      NULL: worked out here */
    const bool *stored_before;     /* NULL, or true once the repeat look-up has run: a msg_id
                                      look-up that travelled with it found the envelope
                                      stored before; the clue is then left out (no outputs) */
    /* out */
    char case_no[64];              /* the new case's, or the case it repeats */
    int64_t case_id;
    bool repeated;                 /* linked to a case as a repeat report (反复举报) */
    int repeat_count;              /* that case's repeat count after this one */
    bool reopened;                 /* that case was closed: reopened (虚假办结 signal); own_case:
                                      a closed case of its subject here was reopened */
} sl_case_reg_t;

/* Registers N clues at node NODE at time NOW_MS: each either becomes a new case
 * with the next gap-free number of its node, year and sector
 * (`140728-2026-煤-000017`), or, when a case about the same subject in the
 * same county and sector exists (or is registered earlier in the batch), is
 * linked to it as a repeat and counted, its new facts on the "repeated"
 * event: the oldest open case, else the latest closed one, which the repeat
 * reopens for verification (sl_transfer_reopen). A repeat of a case whose
 * handling transfer went to a child node is passed down to it
 * (sl_closing_pass_repeat). A transfer from above (OWN_CASE) always opens its
 * own case, and counts as a repeat of a closed case of its subject here,
 * which it reopens. Appends the audit events. Inside the caller's
 * transaction; 0, -1 or SL_AGAIN (then roll back). */
int sl_case_register(sl_db_t *db, const char *node, int64_t now_ms, sl_case_reg_t *regs,
                     size_t n);

/* The case number format, pure: NODE-YEAR-SHORT-SEQ (6 digits). BUF >= 64. */
void sl_case_number(char *buf, size_t size, const char *node, int year, const char *sector_short,
                    long long seq);

/* One case as `slctl case list` shows it. */
typedef void(sl_case_row_cb)(void *arg, const char *case_no, const char *status,
                             const char *sector, const char *division, const char *subject,
                             const char *unit, int repeat_count);
/* Calls CB for each case, newest first, at most LIMIT (0: all). 0 or -1. */
int sl_case_list(sl_db_t *db, long limit, sl_case_row_cb *cb, void *arg);

/* A case's id by number: 0 and *id set, 1 if unknown, -1 or SL_AGAIN. */
int sl_case_id(sl_db_t *db, const char *case_no, int64_t *id);

/* One case's ledger row for display: columns case_no, status, sector (enum
 * name), sector_zh, division, division_name, township, address, subject_name,
 * credit_code, channel, received_at, registered_at, route, unit_code,
 * unit_name, repeat_count, violations, violation_text, description,
 * major_hazard, suspected_crime, suspected_dereliction, upper_case_no,
 * upper_notice_no, reporter_sealed (bytea, text format), id, upper_transfer_date,
 * upper_objection_deadline, upper_feedback_deadline, upper_list_no,
 * upper_answered_at ("" if none), upper_overdue (t/f), upper_withdrawn (t/f). *RES has 0 rows if
 * unknown. 0, -1 or SL_AGAIN; the caller PQclears. */
int sl_case_fetch(sl_db_t *db, const char *case_no, PGresult **res);
/* The sl_case_fetch rows of the N cases CASE_NOS (unknown ones left out), in
 * no particular order, in one query. 0, -1 or SL_AGAIN; the caller PQclears. */
int sl_case_fetch_many(sl_db_t *db, const char *const *case_nos, size_t n, PGresult **res);

/* The facts of a case other modules decide on, as sl_case_get reads them. */
typedef struct {
    int64_t id;                 /* cases.id */
    char case_no[64];           /* its number */
    char status[24];            /* registered, transferred, …, closed */
    bool major_hazard;          /* 重大事故隐患 */
    bool supervised;            /* under 挂牌督办 now (listed by hand, or before) */
    bool suspected_crime;       /* 涉嫌犯罪: also transferred to the police */
    bool suspected_dereliction; /* 涉嫌失职渎职: also to the discipline commission */
    int repeat_count;           /* 反复举报: repeat reports linked to it */
    int32_t upper_objection;    /* from above: the upper objection deadline, -1: none */
    int32_t upper_feedback;     /* from above: the deadline owed upward, -1: none */
    char node_office[256];      /* this node's office short name (node.office_short) */
} sl_case_view_t;

/* Case CASE_NO into OUT: 0, 1 if unknown, -1 or SL_AGAIN. */
int sl_case_get(sl_db_t *db, const char *case_no, sl_case_view_t *out);

/* Keeps the dates of the upper transfer that opened case CASE_NO (DESIGN.md
 * "Where levels meet"): its transfer date, objection and feedback deadlines
 * ("YYYY-MM-DD"; "" or NULL: none) and list number. Inside the caller's
 * transaction; 0, -1 or SL_AGAIN. */
int sl_case_set_upper(sl_db_t *db, const char *case_no, const char *transfer_date,
                      const char *objection_deadline, const char *feedback_deadline,
                      const char *list_no);

/* Sets the flags of case CASE_ID found after registration (by the check or
 * `case refer`): suspected crime if CRIME, suspected dereliction if
 * DERELICTION (a flag already set stays). 0, -1 or SL_AGAIN. */
int sl_case_set_suspected(sl_db_t *db, int64_t case_id, bool crime, bool dereliction);

/* Records that this level's own feedback on case CASE_ID went up at NOW_MS
 * (once; a case not from above is left alone): the watch of the upper
 * deadline stops. 0, -1 or SL_AGAIN. */
int sl_case_upper_answered(sl_db_t *db, int64_t case_id, int64_t now_ms);

/* The parent withdrew its transfer of case CASE_ID (it accepted an objection
 * and re-routed the case): nothing is owed upward any more, and the watch of
 * the upper deadline ends (once; a case not from above is left alone). */
int sl_case_upper_withdrawn(sl_db_t *db, int64_t case_id, int64_t now_ms);

/* One thing sl_case_upper_watch did, for the event published after commit:
 * TOPIC "deadline.upper_reminder" or "deadline.upper_overdue", JSON its body.
 * Borrowed for the call. */
typedef void(sl_case_upper_cb)(void *arg, const char *topic, const char *case_no, const char *json);
/* sl-deadline's watch of the deadlines owed upward (DESIGN.md "Where levels
 * meet"): for up to LIMIT cases from above whose own feedback has not gone up,
 * sl_deadline_upper_check decides at NOW_MS; the reminder and the overdue
 * mark are recorded once each (upper_reminded_at, upper_overdue_at, audit
 * events upper_reminded / upper_overdue), in one transaction under the leader
 * lock KEY, then CB is called for each. The level's own warning: nothing is
 * escalated (the issuer above escalates its own transfer). Returns the number
 * acted on (0 with *BUSY set when another instance holds the lock), -1 or
 * SL_AGAIN (rolled back). */
long sl_case_upper_watch(sl_db_t *db, const sl_calendar_t *cal, int64_t now_ms, long long key,
                         long limit, const sl_actor_t *actor, bool *busy, sl_case_upper_cb *cb,
                         void *arg);

/* The case a decision of this node names by case number (SUPERVISE,
 * REFER_*), into OUT: 0; SL_DECLINED with ERR set when D comes from another
 * unit than NODE (wrong_origin; WHAT names the decision in the text, e.g.
 * "挂牌督办") or names no case here (unknown_case); -1 or SL_AGAIN. */
int sl_case_for_decision(sl_db_t *db, const char *node, const sl_pb_decision_t *d,
                         const char *what, sl_codec_error_t *err, sl_case_view_t *out);

/* Case CASE_NO's facts as a ClueReport (subject, place, sector, violations,
 * texts, flags, received_at — NOW_MS if unreadable — and, if WITH_REPORTER,
 * its sealed reporter record), everything in A; channel, origin and upper
 * numbers are left for the caller. The one place a case row becomes a clue.
 * VIEW (NULL: not wanted) gets the same row's sl_case_get facts, so a caller
 * that needs both reads the row once. 0 with *OUT set, 1 if unknown, -1 or
 * SL_AGAIN. */
int sl_case_clue(sl_db_t *db, const char *case_no, int64_t now_ms, bool with_reporter,
                 sl_arena_t *a, sl_pb_clue_t **out, sl_case_view_t *view);
/* As sl_case_clue for row ROW of an sl_case_fetch / sl_case_fetch_many result
 * R (borrowed): the clue, in A. */
/* Row ROW of an sl_case_fetch / sl_case_fetch_many result as sl_case_get's view. */
void sl_case_view_of(const PGresult *r, int row, sl_case_view_t *out);
sl_pb_clue_t *sl_case_clue_of(const PGresult *r, int row, int64_t now_ms, bool with_reporter,
                              sl_arena_t *a, sl_case_view_t *view);

/* CLUE's violations as a smallint[] literal ("{1,3}") in BUF; returns BUF. */
const char *sl_case_violations_literal(const sl_pb_clue_t *c, char *buf, size_t size);

/* A registered case waiting for its transfer, as sl_case_claim_registered
 * returns it. */
typedef struct {
    int64_t id;          /* cases.id */
    char case_no[64];    /* its number */
    int sector;          /* wire enum value */
    char unit_code[48];  /* the unit routing chose */
} sl_case_claim_t;

/* Locks up to LIMIT registered cases that have a responsible unit (only
 * cases transferred from above if FROM_ABOVE), oldest first, skipping rows
 * another transaction holds (FOR UPDATE SKIP LOCKED), so two dispatchers
 * never take the same case. Inside the caller's transaction. Returns the
 * number claimed (>= 0) with *OUT a new array the caller frees, or -1 /
 * SL_AGAIN. */
long sl_case_claim_registered(sl_db_t *db, long limit, bool from_above, sl_case_claim_t **out);

/* The next gap-free number of SCOPE/YEAR/KEY ("case": case numbers by sector,
 * "notice": notice numbers, "list": transfer lists), from the counter table
 * whose only writer this module is; the row stays locked until the caller's
 * transaction ends. 0 and *SEQ, -1 or SL_AGAIN. */
int sl_case_next_seq(sl_db_t *db, const char *scope, int year, const char *key, long long *seq);
/* As sl_case_next_seq for COUNT numbers at once: *LAST is the last of them
 * (the first is *LAST - COUNT + 1). */
int sl_case_next_seqs(sl_db_t *db, const char *scope, int year, const char *key, long count,
                      long long *last);

/* Sets the case's status (transferred, received, …) and, if UNIT_CODE is not
 * NULL, its responsible unit. Inside the caller's transaction; 0, -1 or
 * SL_AGAIN. */
int sl_case_set_status(sl_db_t *db, int64_t case_id, const char *status, const char *unit_code);
/* As sl_case_set_status for N distinct cases CASE_IDS, each to STATUS and
 * UNIT_CODES[i], in one statement (deferred: the transaction's next statement
 * reports its errors). 0. */
int sl_case_set_status_many(sl_db_t *db, const int64_t *case_ids, const char *status,
                            const char *const *unit_codes, size_t n);

/* A case opened by the node itself, not from a clue: a verification case
 * (提级核查) of sl_escalation. Strings borrowed; NULL counts as "". */
typedef struct {
    int sector;                 /* sector enum value */
    const char *subject_name;
    const char *credit_code;    /* NULL or "": none */
    const char *division, *township, *address;
    const char *violations;     /* smallint[] literal, e.g. "{1,3}" */
    const char *violation_text, *description;
    const char *sector_text;    /* sector OTHER: its name (电力) */
    bool major_hazard, suspected_crime, suspected_dereliction;
    const char *channel;        /* e.g. "escalation" */
    const char *route;          /* e.g. "escalation" */
    const char *unit_code;      /* the unit it goes to on the next transfer list */
    const char *msg_id;         /* source_msg_id */
    const char *upper_case_no, *upper_notice_no; /* what it verifies, if another node's */
} sl_case_new_t;

/* Inserts case C at node NODE, status registered, with the next gap-free
 * number of its year and sector (the same counter as registration), and its
 * first audit event "registered" with DETAIL (JSON) by ACTOR_KEY/ACTOR_UNIT.
 * Inside the caller's transaction. 0 with CASE_NO (>= 64 bytes) and *ID set,
 * -1 or SL_AGAIN. */
int sl_case_open(sl_db_t *db, const char *node, int64_t now_ms, const sl_case_new_t *c,
                 const char *actor_key, const char *actor_unit, const char *detail,
                 char *case_no, int64_t *id);

/* The subject kind of a clue (ClueReport.subject_kind) as the cases table
 * stores it: 单位, 个体工商户, 自然人 (unset and unknown: 单位). Static. */
const char *sl_case_subject_kind(int kind);
/* The inverse: the wire value for the stored TEXT. */
int sl_case_subject_kind_value(const char *text);

#endif
