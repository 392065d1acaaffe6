/* sl_report.h — reports owed upward (周报告、月小结) and the campaigns that set them.
 *
 * A campaign is data (campaign, campaign_phase): its dates, its phases and its
 * reporting rules — a weekly report on a weekday and time (Monday 10:00 for
 * the week before), a six-list report by each month's end. Every unit of the
 * node that reports to it (its departments, its police and its children's
 * governments) owes each report; sl-intake stores what arrives (report: on
 * time or late), sl-deadline notes what is missing when due (report.missing,
 * once each) and the phase boundaries (campaign.phase). Home of the SQL on
 * report, report_missing, campaign and campaign_phase. */
#ifndef SL_REPORT_H
#define SL_REPORT_H

#include "sl_codec.h"
#include "sl_db.h"
#include "sl_apply.h"
#include "sl_audit.h"

#include <stdbool.h>
#include <stdint.h>

/* Validates a WeeklyReport or MonthlyReport body (pure): see reports.proto.
 * 0 or SL_DECLINED with ERR (missing_field:…, bad_field:…). */
int sl_report_validate(const sl_pb_envelope_t *env, sl_codec_error_t *err);
/* A county government's weekly report carries at least 2 negative typical
 * cases with title and facts (附件5; the plan asks it of the counties only,
 * R75): 0 or SL_DECLINED with ERR (too_few_negative_cases). Pure; 0 for a
 * monthly report. sl_report_apply checks it for a child that is a county. */
int sl_report_validate_county(const sl_pb_envelope_t *env, sl_codec_error_t *err);

/* Stores a validated report inside the caller's transaction at NOW_MS: from a
 * unit of this node (bad_field:from_unit otherwise; a county government's
 * weekly report also passes sl_report_validate_county), on time if NOW_MS is not
 * after its due instant under the campaign of its period. A second report of
 * the same unit, kind and period replaces the content and keeps the first
 * arrival. 0 (RES->ref "weekly:2022-01-03:on_time" or ":late", topic
 * "report.received"), SL_DECLINED, -1 or SL_AGAIN. */
int sl_report_apply(sl_db_t *db, int64_t now_ms, const sl_pb_envelope_t *env,
                    sl_apply_result_t *res);

/* One report missing: unit, unit name, kind (weekly/monthly), period, due at
 * ("YYYY-MM-DD HH:MM"), received at if it came late ("" if not at all). */
typedef void(sl_report_missing_cb)(void *arg, const char *const *cols);
/* Calls CB for every report due by NOW_MS under every campaign that was not
 * received by its due instant, in due order. 0, -1 or SL_AGAIN. */
int sl_report_missing(sl_db_t *db, int64_t now_ms, sl_report_missing_cb *cb, void *arg);

/* sl-deadline's look at the campaigns, in one transaction under the leader
 * lock (*BUSY if another instance holds it): for each campaign, the phase
 * boundaries and report deadlines passed since its last look and up to NOW_MS;
 * each missing report is noted once (report_missing). After commit CB gets
 * TOPIC "campaign.phase" or "report.missing" and the event's JSON. Returns the
 * number of events, -1 or SL_AGAIN. */
typedef void(sl_report_event_cb)(void *arg, const char *topic, const char *json);
long sl_report_check(sl_db_t *db, int64_t now_ms, bool *busy, sl_report_event_cb *cb, void *arg);

/* A phase of a new campaign. */
typedef struct {
    const char *name;
    int32_t start_day, end_day;
} sl_campaign_phase_t;
/* The weekly deadline at nodes of one level (campaign_level): what a node of
 * LEVEL expects from the units below it, in place of the campaign's own. */
typedef struct {
    const char *level; /* province, city, county */
    int weekly_dow;    /* 1..7 */
    int weekly_time;   /* minutes */
} sl_campaign_level_t;
/* Adds a campaign (its own transaction). WEEKLY_DOW 1..7 or 0 (none),
 * WEEKLY_TIME minutes; LEVELS[0..NL) per-level deadlines. 0; SL_DECLINED if
 * the name exists, a date is out of order or a level unknown (message
 * logged); -1 or SL_AGAIN. */
int sl_campaign_add(sl_db_t *db, const char *name, int32_t start_day, int32_t end_day,
                    int weekly_dow, int weekly_time, bool monthly,
                    const sl_campaign_phase_t *phases, size_t n, const sl_campaign_level_t *levels,
                    size_t nl);
/* One line of `slctl campaign list`: name, start, end, weekly at this node
 * (e.g. "周一 10:00" or "", its level's time where campaign_level has one), monthly ("月底" or ""),
 * phases ("自查自纠 2021-12-27～2022-01-10；…"). */
typedef sl_db_row_cb sl_campaign_row_cb;
int sl_campaign_list(sl_db_t *db, sl_campaign_row_cb *cb, void *arg);

#endif
