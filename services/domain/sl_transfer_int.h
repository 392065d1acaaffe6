/* sl_transfer_int.h — what the transfer module's files share, internal (sl__).
 *
 * Not for other modules: they call sl_transfer.h. */
#ifndef SL_TRANSFER_INT_H
#define SL_TRANSFER_INT_H

#include "sl_transfer.h"

/* Issues one transfer of KIND (handling, police, discipline) of case CASE_ID
 * to UNIT_CODE at NOW_MS: number, deadlines, row, case status (handling
 * only: the case follows its handling transfer), audit, outbox. NOTICE_NO
 * (>= 64) gets the number. LIST_ID/LIST_NO: the list it is on (0/NULL: none);
 * REPLACES/REPLACES_NO: the transfer it replaces after an accepted objection
 * (0/NULL: none). A handling transfer of a case from above is due before the
 * upper deadline by UPPER_MARGIN working days (sl_deadline_under_upper; when
 * that has passed, on the upper deadline, logged and audited as upper_late).
 * Inside the caller's transaction; 0 with *TRANSFER_ID, -1 or SL_AGAIN. */
int sl__transfer_issue(sl_db_t *db, const sl_calendar_t *cal, const char *node, int64_t now_ms,
                       int64_t case_id, const char *case_no, int sector, const char *unit_code,
                       int64_t list_id, const char *list_no, int64_t replaces,
                       const char *replaces_no, const sl_actor_t *actor, char *notice_no,
                       int64_t *transfer_id, const char *kind, int upper_margin);

/* 两移交 of case CASE_ID (sl_transfer_two.c): for each of POLICE and
 * DISCIPLINE wanted, decides by sl_transfer_two_duty and issues the transfer
 * (to <node>:police, <node>:discipline) when this node's duty, or records
 * "two_transfers_below" when the lower level's. *ISSUED (if not NULL) grows by
 * the transfers issued; DUTIES (if not NULL, [2]) get each duty. Inside the
 * caller's transaction; 0, -1 or SL_AGAIN. */
int sl__transfer_issue_two(sl_db_t *db, const sl_calendar_t *cal, const char *node, int64_t now_ms,
                           int64_t case_id, const char *case_no, int sector, bool police,
                           bool discipline, int64_t list_id, const char *list_no,
                           const sl_actor_t *actor, long *issued, sl_transfer_two_duty_t *duties);

/* The leader [supervision] <sector short name> = 姓名 职务 names for SECTOR
 * (CFG may be NULL): LEADER and TITLE, "" when none (named later by `case
 * supervise`). */
void sl__supervision_leader(const sl_config_t *cfg, int sector, char *leader, size_t lsize,
                            char *title, size_t tsize);
/* The supervising copy of case CASE_ID (sl_transfer_supervise.c): a transfer
 * of kind supervision to this level's lead department for SECTOR, due with
 * the lower government's feedback; none (logged) without a lead department.
 * *ISSUED (if not NULL) grows by one when issued. Inside the caller's
 * transaction; 0, -1 or SL_AGAIN. */
int sl__transfer_supervision_copy(sl_db_t *db, const sl_calendar_t *cal, const char *node,
                                  int64_t now_ms, int64_t case_id, const char *case_no,
                                  int sector, int64_t list_id, const char *list_no,
                                  const sl_actor_t *actor, int upper_margin, long *issued);
/* sl_transfer_fetch's columns, for one transfer (sl_transfer_fetch) or a chunk
 * of them (sl_transfer_announce). */
#define SL__TRANSFER_FETCH \
    "SELECT t.notice_no, t.state, t.unit_code, u.name AS unit_name, t.delivery," \
    " t.transfer_date::text AS transfer_date," \
    " t.objection_deadline::text AS objection_deadline," \
    " t.feedback_deadline::text AS feedback_deadline, t.calendar_warning, t.issued_at," \
    " coalesce(t.receipt_date::text, '') AS receipt_date, t.received_at," \
    " coalesce(t.receiver_name, '') AS receiver_name," \
    " coalesce(t.objection_reason, '') AS objection_reason," \
    " coalesce(t.suggested_unit, '') AS suggested_unit, t.objected_at," \
    " coalesce(t.decision, '') AS decision," \
    " coalesce(t.decision_reason, '') AS decision_reason, t.decided_at," \
    " t.progress_count, t.last_progress_at, t.fed_back_at," \
    " coalesce(t.feedback, '') AS feedback, t.closed_at," \
    " coalesce(l.list_no, '') AS list_no, coalesce(rp.notice_no, '') AS replaces_no," \
    " coalesce(rb.notice_no, '') AS replaced_by_no, t.announce_count, c.case_no," \
    " (c.received_at AT TIME ZONE 'Asia/Shanghai')::date::text AS case_received_date," \
    " c.channel, c.subject_name, d.name AS division_name, c.township, c.address," \
    " s.name AS sector_zh, s.code AS sector_code, c.sector_text, u.kind AS unit_kind," \
    " coalesce(c.upper_notice_no, '') AS upper_notice_no, c.upper_office," \
    " coalesce((SELECT string_agg(v.text, '；' ORDER BY v.code) FROM violation v" \
    "           WHERE v.code = ANY (c.violations)), '') AS violations," \
    " c.violation_text, c.description, c.major_hazard, c.suspected_crime," \
    " c.suspected_dereliction, (SELECT name FROM node) AS node_name, t.case_id, t.kind," \
    " c.repeat_count" \
    " FROM transfer t JOIN cases c ON c.id = t.case_id JOIN unit u ON u.code = t.unit_code" \
    " JOIN sector s ON s.code = c.sector JOIN division d ON d.code = c.division" \
    " LEFT JOIN transfer_list l ON l.id = t.list_id" \
    " LEFT JOIN transfer rp ON rp.id = t.replaces" \
    " LEFT JOIN transfer rb ON rb.id = t.replaced_by"

#endif
