/* sl_transfer.h — transfers (交办) and transfer lists (交办清单) in the database.
 *
 * The home of all SQL on transfer, transfer_list and transfer_escalation
 * (DESIGN.md rule 4), a family of files: sl_transfer_list.c (forming lists,
 * issuing), sl_transfer_answer.c (answers, decisions, withdrawal),
 * sl_transfer_clock.c (the clocks), sl_transfer.c (reading, recomputing).
 * Forming a list claims the registered cases (FOR UPDATE SKIP LOCKED, under a
 * transaction-scoped advisory lock so two dispatchers never form lists at
 * once), numbers the list and each transfer's notice gap-free (counter rows
 * locked until commit: a rollback gives the numbers back), computes the
 * deadlines on the working-day calendar, moves each case to "transferred",
 * appends the audit events and, for a child that runs its own node, writes
 * the Transfer envelope to the outbox — all in one transaction. Answers
 * (receipt, objection, progress, feedback) and decisions go through
 * sl_transfer_apply inside sl-intake's batch transaction, decided by the
 * state table of sl_transfer_fsm.h. */
#ifndef SL_TRANSFER_H
#define SL_TRANSFER_H

#include "sl_apply.h"
#include "sl_audit.h"
#include "sl_calendar.h"
#include "sl_config.h"
#include "sl_codec.h"
#include "sl_db.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* The actor (sl_audit.h) under the name it had when it lived here. */
typedef sl_actor_t sl_transfer_actor_t;

/* What sl_transfer_form_list did. */
typedef struct {
    char list_no[64]; /* the new list's number, "" if none was formed */
    int64_t list_id;  /* its id, 0 if none */
    long items;       /* transfers issued */
    bool busy;        /* another dispatcher holds the lock: nothing done */
    bool already;     /* the round's list exists already: nothing done */
    bool stopped;     /* asked to stop while forming: rolled back, nothing issued */
} sl_transfer_formed_t;

/* Asked between the steps of a long job (a list, announcements): true when
 * the job should end early (the daemon is stopping). */
typedef bool(sl_transfer_stop_cb)(void *arg);

/* What a list formation takes from the node's config. */
typedef struct {
    int upper_margin;          /* [dispatch] upper_margin_days: a case from above is due this
                                  many working days before its upper deadline
                                  (sl_deadline_under_upper) */
    const sl_config_t *cfg;    /* [supervision] leaders for 挂牌督办 listed without a command;
                                  NULL: none (named later by case supervise); borrowed */
    sl_transfer_stop_cb *stop; /* NULL, or asked between the steps of forming: true rolls the
                                  list back (the cases stay registered, OUT->stopped) */
    void *stop_arg;            /* its argument */
} sl_transfer_form_opts_t;

/* Forms one transfer list at node NODE at NOW_MS, in its own transaction: every
 * registered case (up to 10000) becomes a transfer to its unit, and also to
 * the police / the discipline commission when it is flagged suspected crime /
 * dereliction (两移交; OUT->items counts every transfer). ROUND_DATE is
 * the scheduled round the list belongs to (one list per round), or -1 for a
 * list on demand. WAIT: block on the formation lock (slctl) rather than give
 * up (daemons). OPTS: the margin before an upper deadline and the
 * [supervision] leaders (sl_transfer_form_opts_t). A list is formed only when there is at least one
 * case. Returns 0 with OUT filled (OUT->stopped: OPTS->stop said stop before
 * it committed, nothing was issued), -1 or SL_AGAIN (rolled back, logged). */
int sl_transfer_form_list(sl_db_t *db, const sl_calendar_t *cal, const char *node, int64_t now_ms,
                          int32_t round_date, bool wait, const sl_transfer_form_opts_t *opts,
                          const sl_actor_t *actor, sl_transfer_formed_t *out);

/* An on-demand list of the registered cases transferred from above only
 * (DESIGN.md "Where levels meet"): sl-dispatch forms one on every scan, so a
 * case from above is transferred on at once instead of waiting for the next
 * round; the rounds stay for the node's own clues. As sl_transfer_form_list
 * without waiting for the formation lock (OUT->busy: try at the next scan). */
int sl_transfer_form_upper_list(sl_db_t *db, const sl_calendar_t *cal, const char *node,
                                int64_t now_ms, const sl_transfer_form_opts_t *opts,
                                const sl_actor_t *actor, sl_transfer_formed_t *out);

/* 两移交 once per clue (sl_transfer_two.c): what this node does about the
 * police or discipline transfer of a case. */
typedef enum {
    SL_TWO_ISSUE,      /* this level handles the case and none was issued: issue it */
    SL_TWO_ISSUED,     /* one exists already for the clue here: nothing */
    SL_TWO_BELOW,      /* the case went to a lower government: its duty, recorded */
    SL_TWO_ESCALATION, /* a verification case (提级核查): the original's stand */
} sl_transfer_two_duty_t;

/* The rule, pure: CHANNEL the case's channel ("escalation" for a
 * verification case), HANDED_DOWN its unit is a child government, EXISTS a
 * transfer of the kind was issued for the clue at this node. */
sl_transfer_two_duty_t sl_transfer_two_duty(const char *channel, bool handed_down, bool exists);

/* True if ENV is a Decision REFER_POLICE or REFER_DISCIPLINE (`slctl case
 * refer`). */
bool sl_transfer_is_refer(const sl_pb_envelope_t *env);

/* Applies a REFER_* decision inside the caller's transaction: issues the
 * police / discipline transfer of the case it names now (after the check),
 * sets the case's flag, audits "referred". SL_DECLINED with RES->err
 * (wrong_origin, unknown_case, wrong_state:registered — the list issues it —,
 * wrong_state:handed_down — the lower level's duty —, wrong_state:referred —
 * one exists already); 0, -1 or SL_AGAIN. */
int sl_transfer_refer_apply(sl_db_t *db, const sl_calendar_t *cal, const char *node, int64_t now_ms,
                            const sl_pb_envelope_t *env, const char *sender,
                            sl_apply_result_t *res);

#define SL_TRANSFER_UPPER_MARGIN 1 /* [dispatch] upper_margin_days' default */
/* The node's [dispatch] upper_margin_days (CFG NULL: the default). */
int sl_transfer_upper_margin(const sl_config_t *cfg);

/* 挂牌督办 where levels meet (sl_transfer_supervise.c; DESIGN.md "Where
 * levels meet"): what a node does for a case under 挂牌督办 whose handling
 * transfer goes to UNIT_CODE: list it here when UNIT_CODE is one of its
 * departments (the node that handles it lists it), give its lead department
 * the supervising copy when UNIT_CODE is a lower government and the case has
 * none yet, else nothing. Pure. */
typedef enum {
    SL_SUPERVISE_NONE,
    SL_SUPERVISE_LIST_HERE,  /* sl_supervision_list_auto, leader from [supervision] */
    SL_SUPERVISE_COPY_BELOW, /* a transfer of kind supervision to the lead department */
} sl_transfer_supervise_t;
sl_transfer_supervise_t sl_transfer_supervise_rule(bool under_supervision, const char *unit_code,
                                                   bool has_copy);

/* Case CASE_ID is now under 挂牌督办: does what sl_transfer_supervise_rule
 * says for its open handling transfer (or UNIT_CODE, that of the transfer
 * that reported it, if not NULL), the leader from CFG's [supervision] (CFG
 * may be NULL). Inside the caller's transaction; 0, -1 or SL_AGAIN. */
int sl_transfer_supervise(sl_db_t *db, const sl_calendar_t *cal, const sl_config_t *cfg,
                          const char *node, int64_t now_ms, int64_t case_id, const char *unit_code,
                          const sl_actor_t *actor);

/* After ENV was applied (sl-intake's batch): a handling Feedback reporting
 * 责令停产停业整顿 (production_suspended; measure ③, R65) puts its case under
 * 挂牌督办, and a listing by `case supervise` (Decision SUPERVISE) does too:
 * sl_transfer_supervise then. Anything else: nothing. 0, -1 or SL_AGAIN. */
int sl_transfer_supervise_after(sl_db_t *db, const sl_calendar_t *cal, const sl_config_t *cfg,
                                const char *node, int64_t now_ms, const sl_pb_envelope_t *env,
                                const char *sender);

/* The result of applying one answer or decision: sl_apply's result type,
 * under the name the transfer modules used before it moved (sl_apply.h). */
typedef sl_apply_result_t sl_transfer_result_t;

/* Applies ENV's receipt, objection, progress, feedback or decision (validated
 * by sl_validate_answer) to the transfer it names, inside the caller's open
 * transaction, at NOW_MS; SENDER is the envelope's sender for the audit.
 * Answers must come from the transfer's unit, decisions from NODE
 * (wrong_origin); a feedback must fit the transfer's kind. Returns 0
 * (applied: the state, the case's status, the audit event, a new transfer
 * after an accepted objection; after a verification that passed, the
 * six-list entries and, when the case closes, the end of its supervision;
 * after one that failed, the escalation mark FALSE_COMPLETION; the new
 * transfer of a case from above is due UPPER_MARGIN working days before the
 * upper deadline, sl_transfer_upper_margin); SL_DECLINED with
 * RES->err set (unknown_transfer, wrong_state:<state>, objection_window_closed,
 * wrong_origin, missing_field/bad_field:to_unit, bad_field:at) when nothing
 * was written; -1 or SL_AGAIN (roll back). */
int sl_transfer_apply(sl_db_t *db, const sl_calendar_t *cal, const char *node, int64_t now_ms,
                      const sl_pb_envelope_t *env, const char *sender, int upper_margin,
                      sl_apply_result_t *res);

/* A transfer closed by sl_transfer_withdraw_case. */
typedef struct {
    char notice_no[96]; /* its notice number */
    char unit_code[64]; /* the unit it went to */
    bool by_outbox;     /* delivered through the outbox (a child node): tell it too */
} sl_transfer_withdrawn_t;

/* The upper level took case CASE_ID back (an objection accepted above): closes
 * every open transfer of the case as withdrawn with REASON at NOW_MS, inside
 * the caller's transaction (its clocks stop: sl-deadline sees it closed).
 * Returns how many, with *OUT a new array the caller frees (NULL if none), or
 * -1 / SL_AGAIN. */
long sl_transfer_withdraw_case(sl_db_t *db, int64_t case_id, int64_t now_ms, const char *reason,
                               sl_transfer_withdrawn_t **out);

/* One transfer as `slctl transfer list` prints it: notice_no, case_no,
 * unit_code, state, transfer_date, objection_deadline, feedback_deadline,
 * calendar_warning (8 strings, borrowed for the call). */
typedef sl_db_row_cb sl_transfer_row_cb;
/* Calls CB for every transfer (of case CASE_NO if not NULL) in issue order.
 * 0, -1 or SL_AGAIN. */
int sl_transfer_list(sl_db_t *db, const char *case_no, sl_transfer_row_cb *cb, void *arg);

/* One transfer with its case's facts, for display and the notice: columns
 * notice_no, state, unit_code, unit_name, delivery, transfer_date,
 * objection_deadline, feedback_deadline, calendar_warning, issued_at,
 * receipt_date, received_at, receiver_name, objection_reason, suggested_unit,
 * objected_at, decision, decision_reason, decided_at, progress_count,
 * last_progress_at, fed_back_at, feedback, closed_at, list_no, replaces_no,
 * replaced_by_no, announce_count, case_no, case_received_date, channel,
 * subject_name, division_name, township, address, sector_zh, violations,
 * violation_text, description, major_hazard, suspected_crime,
 * suspected_dereliction, node_name, case_id, kind (handling, police,
 * discipline), repeat_count. *RES has 0 rows if unknown.
 * 0, -1 or SL_AGAIN; the caller PQclears. */
int sl_transfer_fetch(sl_db_t *db, const char *notice_no, PGresult **res);

/* The annex-3 notice of row 0 of an sl_transfer_fetch result, as HTML.
 * OFFICE (NULL: "<node name>“百日攻坚”集中行动领导组办公室") and CONTACT
 * (NULL: blank line to fill in) come from [dispatch]. New string. */
char *sl_transfer_notice_html(const PGresult *r, const char *office, const char *contact);
/* The same for row ROW. */
char *sl_transfer_notice_html_row(const PGresult *r, int row, const char *office,
                                  const char *contact);

#define SL_TRANSFER_ANNOUNCE_CHUNK 1000 /* transfers per round trip of an announcement */

/* Transfers delivered by event and not yet received, never announced or last
 * announced AGAIN_MS or more before NOW_MS (a unit's system that missed the
 * event hears it again; the rest are not rendered and sent on every scan):
 * stamps each as announced now (announced_at, announce_count) and calls CB
 * with row ROW of R, which has
 * sl_transfer_fetch's columns, in issue order. Set-based: one stamp and one
 * read per SL_TRANSFER_ANNOUNCE_CHUNK transfers, each stamp its own statement
 * (autocommit). STOP (NULL: never) is asked before each chunk: true ends the
 * round early, the rest wait for the next. Returns the count, or -1 /
 * SL_AGAIN. CB and STOP get ARG. */
typedef void(sl_transfer_announce_cb)(void *arg, const PGresult *r, int row);
long sl_transfer_announce(sl_db_t *db, int64_t now_ms, int64_t again_ms,
                          sl_transfer_announce_cb *cb, sl_transfer_stop_cb *stop, void *arg);

/* Recomputes the deadlines of open transfers that carry a calendar warning,
 * on CAL (after a calendar import), in its own transaction; each change is
 * audited ("deadlines_recomputed"). Returns the number changed, or -1 /
 * SL_AGAIN. */
long sl_transfer_recompute(sl_db_t *db, const sl_calendar_t *cal, int64_t now_ms,
                           const sl_actor_t *actor);

/* --- the closing rules' writes (sl_closing.h; sl_transfer_reopen.c) --------------------- */

/* After a verify-pass of handling transfer TRANSFER_ID: on a plan (PLAN_DAY
 * >= 0) records the plan's date on the transfer (watched by sl-deadline) and a
 * "plan_accepted" event (date, responsible person) on case CASE_ID; closed
 * rectified (PLAN_DAY -1) clears an earlier plan's date. Inside the caller's
 * transaction; 0, -1 or SL_AGAIN. */
int sl_transfer_plan_accept(sl_db_t *db, int64_t transfer_id, int64_t case_id, int32_t plan_day,
                            int64_t now_ms, const sl_actor_t *actor);

/* Puts closed case CASE_ID back to verification: its handling transfer
 * TRANSFER_ID (0: the case's last handling transfer not replaced) goes
 * closed → fed_back by the state table (SL_TM_REOPEN), the case to
 * "fed_back", and a "reopened" event (notice, CAUSE, DETAIL — a JSON object,
 * consumed, may be NULL) goes on the case's chain; the ledger entries made at
 * closing stay. *REOPENED (may be NULL) is false when there was nothing
 * closed to reopen (nothing written). Inside the caller's transaction; 0, -1
 * or SL_AGAIN. */
int sl_transfer_reopen(sl_db_t *db, int64_t case_id, int64_t transfer_id, const char *cause,
                       json_t *detail, int64_t now_ms, const sl_actor_t *actor, bool *reopened);

#endif
