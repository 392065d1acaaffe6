/* sl_accident.h — the register of accidents (事故记录, R53, R60).
 *
 * Each accident is one row of table accident, owned here: date, place,
 * subject, sector, level (一般/较大/重大/特别重大), deaths and injuries, whether
 * it was concealed (瞒报). A 较大 or graver accident, or a concealed one,
 * starts the responsibility trace (一追溯: traced); a place with a 较大 or
 * graver accident is listed for 开小灶. An individual owner's name is kept in
 * table accident_owner. The key is division|occurred_on|subject_name; each row
 * is audited on the subject "accident:<key>". */
#ifndef SL_ACCIDENT_H
#define SL_ACCIDENT_H

#include "sl_apply.h"
#include "sl_codec.h"
#include "sl_db.h"
#include "sl_route.h"

#include <stdbool.h>
#include <stddef.h>

/* Checks A (date, a division in ROUTES' territory when ROUTES is not NULL,
 * subject, sector, level, counts not negative). 0 or SL_DECLINED with ERR. */
int sl_accident_validate(const sl_pb_accident_t *a, const sl_route_map_t *routes,
                         sl_codec_error_t *err);
/* Writes A's key, division|occurred_on|subject_name, into OUT (SIZE bytes). */
void sl_accident_key(const sl_pb_accident_t *a, char *out, size_t size);
/* The level named S (一般, 较大, 重大, 特别重大 or GENERAL …), 0 if none; and the
 * Chinese name of level V ("" if none). */
int sl_accident_level(const char *s);
const char *sl_accident_level_name(int v);
/* True if A starts the responsibility trace (一追溯). */
bool sl_accident_traced(const sl_pb_accident_t *a);

/* The import file's columns (CSV header, in order). */
#define SL_ACCIDENT_CSV_COLS 13
const char *const *sl_accident_csv_header(void);
/* Fills A from one import line's fields F (borrowing them). 0 or SL_DECLINED. */
int sl_accident_from_fields(char *const *f, sl_pb_accident_t *a, sl_codec_error_t *err);

/* Records the accident ENV carries at NODE at NOW_MS, inside the caller's
 * transaction (the owner's name into accident_owner). 0; SL_DECLINED with
 * RES->err if its key is recorded already; -1 or SL_AGAIN. */
int sl_accident_apply(sl_db_t *db, const char *node, int64_t now_ms, const sl_pb_envelope_t *env,
                      const char *sender, sl_apply_result_t *res);

/* Columns of a listed accident (no owner's name), in order. */
#define SL_ACCIDENT_COLS 12
const char *const *sl_accident_headers(void);
/* Calls CB for each accident, oldest first. 0, -1 or SL_AGAIN. */
int sl_accident_rows(sl_db_t *db, sl_db_row_cb *cb, void *arg);
/* Calls CB for each place (county, township) with a 较大 or graver accident
 * (开小灶): county, township, accidents, deaths, latest date. 0, -1, SL_AGAIN. */
int sl_accident_focus_rows(sl_db_t *db, sl_db_row_cb *cb, void *arg);

#endif
