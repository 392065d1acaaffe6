/* sl_ranking.h — the appraisal's ranking as the portal shows it (考评排队):
 * the publication body made from an approved run, and its CSV.
 *
 * Pure: JSON in, JSON or text out. sl_appraise releases the body through
 * sl_pub_release when the run is approved (the final evaluation: approved and
 * exported); sl_site renders it with templates/ranking.html and ranking.txt,
 * writes its SVG chart beside it and its CSV from sl_ranking_csv. */
#ifndef SL_RANKING_H
#define SL_RANKING_H

#include "sl_util.h"

#include <jansson.h>

/* The body of the ranking publication from RESULT (a run's result JSON, as
 * sl_appraise_compute makes it; borrowed), approved BY, with the run's SVG
 * chart. "items" are the places in rank order, each with its total, its
 * components (numerator, denominator, weight, score) and the supervision
 * reasons; "departments" the ranking of this level's departments when the
 * run has one. New reference. */
json_t *sl_ranking_body(const json_t *result, const char *by, const char *svg);

/* The ranking's CSV (UTF-8 with BOM, for Excel and WPS) from BODY: one row
 * per place with its rank, total and each indicator's figures, then the
 * departments' rows when there are any. Appended to OUT. */
void sl_ranking_csv(const json_t *body, sl_buf_t *out);

#endif
