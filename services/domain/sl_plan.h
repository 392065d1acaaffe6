/* sl_plan.h — implementation plans (实施方案, R78), tracked as a report due.
 *
 * "分别制定…实施方案，于12月底前报市'百日攻坚'集中行动领导组办公室": each member
 * unit of the node (its departments and the governments one level down)
 * owes one plan by the date its campaign sets (table plan_due). Plans arrive
 * as ImplementationPlan bodies (a unit's producer, or slctl plan import); a
 * unit with none when the date has passed is noted once and evented
 * report.missing with kind "plan", like a weekly report. Owns plan_due,
 * implementation_plan and plan_missing. */
#ifndef SL_PLAN_H
#define SL_PLAN_H

#include "sl_apply.h"
#include "sl_codec.h"
#include "sl_db.h"
#include "sl_report.h"

#include <stdbool.h>
#include <stddef.h>

/* Checks P (from_unit, title, a YYYY-MM-DD date). 0 or SL_DECLINED. */
int sl_plan_validate(const sl_pb_plan_t *p, sl_codec_error_t *err);
/* Writes P's key, its unit, into OUT (SIZE bytes). */
void sl_plan_key(const sl_pb_plan_t *p, char *out, size_t size);
#define SL_PLAN_CSV_COLS 3
/* 单位,方案名称,印发日期 */
const char *const *sl_plan_csv_header(void);
int sl_plan_from_fields(char *const *f, sl_pb_plan_t *p, sl_codec_error_t *err);
/* Records (or, resent, replaces the content of) P's unit's plan at NOW_MS
 * inside the caller's transaction; audited on "plan:<unit>". 0, -1, SL_AGAIN. */
int sl_plan_apply(sl_db_t *db, const char *node, int64_t now_ms, const sl_pb_envelope_t *env,
                  const char *sender, sl_apply_result_t *res);
/* Sets campaign CAMPAIGN's plan due date to DAY (its own statement). 0, 1 if
 * there is no such campaign, -1 or SL_AGAIN. */
int sl_plan_set_due(sl_db_t *db, const char *campaign, int32_t day);
/* Each member unit against each campaign's plan date: unit, unit name, due
 * on, received at ("" if none), 按时/逾期/未报 as of NOW_MS. 0, -1, SL_AGAIN. */
#define SL_PLAN_COLS 5
const char *const *sl_plan_headers(void);
int sl_plan_rows(sl_db_t *db, int64_t now_ms, sl_db_row_cb *cb, void *arg);
/* sl-deadline's look (its own transaction, under the deadline leader lock;
 * *BUSY if another instance holds it): every member unit without a plan
 * after its campaign's date is noted once, and CB gets "report.missing" with
 * kind "plan" after commit. Returns the number of events, -1 or SL_AGAIN. */
long sl_plan_check(sl_db_t *db, int64_t now_ms, bool *busy, sl_report_event_cb *cb, void *arg);

#endif
