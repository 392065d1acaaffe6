/* sl_appraise.h — the appraisal's data (四考核): figures as of a period's end,
 * the stored runs, approval and publication.
 *
 * A period is a month (YYYY-MM) or the campaign's whole span ("final", the
 * 综合考评). Its figures are read from what was recorded by the period's end —
 * audit events (case_event) with their times and report versions
 * (report_version) — never from the current state of a case, transfer or
 * report, so a later feedback, reopening or correction leaves a past period's
 * scores as they were. The places are the node's children (unit.kind =
 * 'child': a city's counties, the province's cities). All SQL on
 * appraisal_run is here. */
#ifndef SL_APPRAISE_H
#define SL_APPRAISE_H

#include "sl_db.h"
#include "sl_score.h"

#include <jansson.h>

/* The rules as read from a file: parsed, with the SHA-256 of its bytes. */
typedef struct {
    sl_score_rules_t r; /* parsed */
    char hash[65];      /* hex SHA-256 of the file's bytes */
    char path[512];     /* where it was read */
} sl_appraise_rules_t;

/* Reads and parses the rules file PATH into R. 0, or -1 with ERR (ERRLEN). */
int sl_appraise_rules_load(const char *path, sl_appraise_rules_t *r, char *err, size_t errlen);

/* Scores PERIOD ("YYYY-MM" or "final") from the ledger as of its end, under
 * RULES: the result's JSON (places ranked, components, triggers, the rules'
 * version and hash, the inputs' hash) into *OUT (the caller's); with
 * DEPARTMENTS ([appraise] rank_departments) also "departments": this level's
 * departments that had a transfer due or an escalation in the period, ranked
 * apart from the places on this node's transfers to them (按时反馈 and
 * 接而不办、逾期、虚假办结 with its false completions; no trigger). Stores
 * nothing. 0, -1 (SQL error, logged; or a bad period: SL_DECLINED) or
 * SL_AGAIN. */
int sl_appraise_compute(sl_db_t *db, const sl_appraise_rules_t *rules, const char *period,
                        bool departments, json_t **out);
/* Stores RESULT (borrowed, from sl_appraise_compute) as a new draft run made
 * BY (an operator or daemon) at NOW_MS, with its SVG chart; *ID its id. */
int sl_appraise_store(sl_db_t *db, const json_t *result, const char *by, int64_t now_ms,
                      long long *id);
/* The latest stored run of PERIOD (the approved one if any) as JSON into
 * *OUT (with id, status, approved_by, …), or *OUT NULL when there is none. */
int sl_appraise_show(sl_db_t *db, const char *period, json_t **out);
/* Approves PERIOD's latest run BY NAME at NOW_MS. 0; SL_DECLINED with WHY
 * (Chinese, WHYLEN bytes) when there is no run or one is already approved. */
int sl_appraise_approve(sl_db_t *db, const char *period, const char *by, int64_t now_ms, char *why,
                        size_t whylen);
/* What stands behind PLACE's figures for PERIOD as of its end: the transfers
 * due (cases), escalations, verified cases and the report versions read.
 * JSON into *OUT. */
int sl_appraise_explain(sl_db_t *db, const char *period, const char *place, json_t **out);
/* Records that PERIOD's approved run was exported (the final evaluation is
 * published only once exported) at NOW_MS (the first export's time stays).
 * 0; SL_DECLINED with WHY (Chinese) when it is not approved. */
int sl_appraise_mark_exported(sl_db_t *db, const char *period, int64_t now_ms, char *why,
                              size_t whylen);
/* Marks approved runs not yet published (the final evaluation: and exported) as published at NOW_MS
 * and calls CB with each (its JSON, borrowed) after the commit. The count, or < 0. */
typedef void(sl_appraise_published_cb)(void *arg, const json_t *run);
long sl_appraise_publish_due(sl_db_t *db, int64_t now_ms, sl_appraise_published_cb *cb, void *arg);
/* The months that ended by NOW_MS within a campaign and have no run yet,
 * oldest first, at most MAX into MONTHS (8 bytes each). The count, or < 0. */
int sl_appraise_months_due(sl_db_t *db, int64_t now_ms, char (*months)[8], int max);

/* The ranking's horizontal bar chart as a standalone SVG (no external
 * assets), from a result's JSON. The caller frees it. */
char *sl_appraise_svg(const json_t *result);

#endif
