/* sl_pledge.h — the small registers the office keeps (issue 18): liaison
 * persons (联络人, R79, annex 7) and safety commitments (安全承诺, R70, annex 2).
 *
 * A liaison is one per member unit (name, post; the office phone and mobile
 * go to table liaison_phone, personal, shown to the office and never
 * published); a later liaison for the same unit replaces the earlier. A
 * commitment records who signed annex 2 for which unit, when, and how it
 * was made public (TV, posted at the premises, other); they are counted per
 * county for annex 4's 安全承诺 column. Owns tables liaison, liaison_phone
 * and commitment; each row is audited (subjects "liaison:<unit>",
 * "commitment:<key>"). */
#ifndef SL_PLEDGE_H
#define SL_PLEDGE_H

#include "sl_apply.h"
#include "sl_codec.h"
#include "sl_db.h"
#include "sl_route.h"

#include <stddef.h>

/* Liaisons ------------------------------------------------------------------- */

/* Checks L (unit, name, post; a phone or a mobile). 0 or SL_DECLINED. */
int sl_liaison_validate(const sl_pb_liaison_t *l, sl_codec_error_t *err);
/* Writes L's key, unit|name|post|office_phone|mobile, into OUT (SIZE bytes). */
void sl_liaison_key(const sl_pb_liaison_t *l, char *out, size_t size);
#define SL_LIAISON_CSV_COLS 5
/* 单位,姓名,职务,办公电话,手机 */
const char *const *sl_liaison_csv_header(void);
int sl_liaison_from_fields(char *const *f, sl_pb_liaison_t *l, sl_codec_error_t *err);
/* Records (or replaces) the liaison of L's unit at NOW_MS, inside the
 * caller's transaction. 0, -1 or SL_AGAIN. */
int sl_liaison_apply(sl_db_t *db, const char *node, int64_t now_ms, const sl_pb_envelope_t *env,
                     const char *sender, sl_apply_result_t *res);
#define SL_LIAISON_COLS 4
const char *const *sl_liaison_headers(void);
/* Each unit's liaison: unit, name, post, since (no phones). */
int sl_liaison_rows(sl_db_t *db, sl_db_row_cb *cb, void *arg);
/* The office's own view, with the phones (never published): unit, name,
 * post, office phone, mobile. */
int sl_liaison_contact_rows(sl_db_t *db, sl_db_row_cb *cb, void *arg);

/* Commitments ------------------------------------------------------------------ */

/* The publicity named S (电视台, 张贴, 其他 or TV …), 0 if none; its name. */
int sl_commitment_publicity(const char *s);
const char *sl_commitment_publicity_name(int v);
/* Checks C (signer, unit, a division in ROUTES' territory when not NULL, a
 * YYYY-MM-DD date, how it was made public). 0 or SL_DECLINED with ERR. */
int sl_commitment_validate(const sl_pb_commitment_t *c, const sl_route_map_t *routes,
                           sl_codec_error_t *err);
/* Writes C's key, unit|signer|signed_on, into OUT (SIZE bytes). */
void sl_commitment_key(const sl_pb_commitment_t *c, char *out, size_t size);
#define SL_COMMITMENT_CSV_COLS 6
/* 承诺单位,统一社会信用代码,县级行政区划代码,承诺人,签署日期,公开方式 */
const char *const *sl_commitment_csv_header(void);
int sl_commitment_from_fields(char *const *f, sl_pb_commitment_t *c, sl_codec_error_t *err);
/* Records the commitment at NOW_MS inside the caller's transaction. 0;
 * SL_DECLINED if its key is recorded already; -1 or SL_AGAIN. */
int sl_commitment_apply(sl_db_t *db, const char *node, int64_t now_ms, const sl_pb_envelope_t *env,
                        const char *sender, sl_apply_result_t *res);
#define SL_COMMITMENT_COLS 6
const char *const *sl_commitment_headers(void);
int sl_commitment_rows(sl_db_t *db, sl_db_row_cb *cb, void *arg);
/* Annex 4's 安全承诺 column: per county, commitments, by TV, posted. */
int sl_commitment_count_rows(sl_db_t *db, sl_db_row_cb *cb, void *arg);

#endif
