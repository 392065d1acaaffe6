/* sl_inspection.h — the register of inspections (检查记录, R81–R82).
 *
 * "县级政府要组织有关部门对所属各行业领域生产经营建设单位逐一进行检查": each
 * inspection of one unit by one inspecting body is one row of table
 * inspection, owned here. Rows arrive as Inspection bodies (slctl inspection
 * add / import, a department's producer, or a child node sending its records
 * up); an inspection that found a problem becomes a clue (channel INSPECTION)
 * whose case number the row keeps. The register's idempotency key is
 * credit_code|inspected_on|inspecting_body. Each row is audited on the
 * subject "inspection:<key>" (sl_audit_append_subject). */
#ifndef SL_INSPECTION_H
#define SL_INSPECTION_H

#include "sl_apply.h"
#include "sl_codec.h"
#include "sl_db.h"
#include "sl_route.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SL_INSPECTION_KEY_MAX 512                              /* bytes of a key, with its NUL */
#define SL_INSPECTION_SUBJECT_MAX (SL_INSPECTION_KEY_MAX + 16) /* "inspection:<key>" */

/* Pure part ----------------------------------------------------------------- */

/* Checks IN (required fields, an 18-character credit code, the sector, a
 * YYYY-MM-DD date, a county-level division ROUTES knows). 0, or SL_DECLINED
 * with ERR (missing_field:/bad_field:/unknown_sector/unknown_division). */
/* With ROUTES, the division must also be in the node's territory (bad_field:division). */
int sl_inspection_validate(const sl_pb_inspection_t *in, const sl_route_map_t *routes,
                           sl_codec_error_t *err);
/* Writes IN's key, credit_code|inspected_on|inspecting_body, into OUT (SIZE
 * bytes; truncated). */
void sl_inspection_key(const sl_pb_inspection_t *in, char *out, size_t size);
/* The import file's columns (CSV header, in order). */
#define SL_INSPECTION_CSV_COLS 10
const char *const *sl_inspection_csv_header(void);
/* Fills IN from the SL_INSPECTION_CSV_COLS fields F of one import line
 * (borrowing them): the sector by its short or enum name, 发现问题 and 已处罚
 * as 是/否 (1/0, true/false; empty is 否). 0, or SL_DECLINED with ERR. Does
 * not validate (sl_inspection_validate does). */
int sl_inspection_from_fields(char *const *f, sl_pb_inspection_t *in, sl_codec_error_t *err);

/* Database part ------------------------------------------------------------- */

/* Records the inspection ENV carries at NODE at NOW_MS, sent by SENDER, inside
 * the caller's transaction. 0 with *ID (and *WANTS_CLUE when it was recorded
 * here, not received from a child, and found a problem); SL_DECLINED with
 * RES->err when an inspection with the same key exists (nothing written); -1 or
 * SL_AGAIN. */
int sl_inspection_apply(sl_db_t *db, const char *node, int64_t now_ms, const sl_pb_envelope_t *env,
                        const char *sender, int64_t *id, bool *wants_clue, sl_apply_result_t *res);
/* The clue inspection ID became: stores CASE_NO on it and audits the link. */
int sl_inspection_link_case(sl_db_t *db, int64_t id, const char *case_no, int64_t now_ms,
                            const char *msg_id);
/* Fills CLUE (borrowing IN's strings; SUBJECT and PLACE are the caller's
 * storage) with the clue an inspection that found a problem becomes. */
void sl_inspection_clue(const sl_pb_inspection_t *in, int64_t now_ms, sl_pb_clue_t *clue,
                        sl_pb_subject_t *subject, sl_pb_place_t *place);

/* Columns of a listed inspection, in order (CSV headers in Chinese). */
#define SL_INSPECTION_COLS 12
const char *const *sl_inspection_headers(void);
/* Calls CB for each inspection (of county DIVISION and sector SECTOR when not
 * NULL / 0), oldest first, with SL_INSPECTION_COLS columns. 0 or -1. */
int sl_inspection_rows(sl_db_t *db, const char *division, int sector, sl_db_row_cb *cb, void *arg);

#endif
