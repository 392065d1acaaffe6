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
 * (0/NULL: none). Inside the caller's transaction; 0 with *TRANSFER_ID, -1 or
 * SL_AGAIN. */
int sl__transfer_issue(sl_db_t *db, const sl_calendar_t *cal, const char *node, int64_t now_ms,
                       int64_t case_id, const char *case_no, int sector, const char *unit_code,
                       int64_t list_id, const char *list_no, int64_t replaces,
                       const char *replaces_no, const sl_actor_t *actor, char *notice_no,
                       int64_t *transfer_id, const char *kind);

#endif
