/* sl_spotcheck.h — the city's spot checks of its counties' inspections (抽查, R83).
 *
 * "市有关部门…对各县（区、市）检查的生产经营建设单位按照不少于10%的比例进行抽查":
 * a draw picks at least SHARE percent of a county's inspected units in one
 * sector, spread over its townships, from a seed that is stored so the same
 * draw can be made again (sl_spotcheck_sample is the pure rule). A spot
 * check's result (SpotCheck body) is recorded against the inspection it
 * checks; one that finds what the inspection missed (应发现未发现) or should
 * have punished (应处罚未处罚) puts the inspecting body on the 约谈问责 list
 * (measure ⑤). A result about an inspection received from a child node is
 * sent down to it. Owns tables spot_draw, spot_draw_item, spot_check and
 * interview_entry. */
#ifndef SL_SPOTCHECK_H
#define SL_SPOTCHECK_H

#include "sl_apply.h"
#include "sl_codec.h"
#include "sl_db.h"

#include <stddef.h>
#include <stdint.h>

/* Pure part ----------------------------------------------------------------- */

/* How many of N units a share of SHARE percent (1..100) takes: at least the
 * share (rounded up), at least 1 when N > 0, at most N. */
size_t sl_spotcheck_size(size_t n, int share);
/* Draws sl_spotcheck_size(N, SHARE) of N units whose townships (normalised
 * keys) are TOWNSHIPS[0..N), from SEED: the townships in a seeded order, the
 * units of each in a seeded order, one from each township in turn until the
 * sample is full, so it spreads over every township before taking a second
 * from any. Writes the picked indices into OUT (room for N) in pick order and
 * returns how many. The same inputs give the same sample. */
size_t sl_spotcheck_sample(const char *const *townships, size_t n, int share, uint64_t seed,
                           size_t *out);
/* Checks a SpotCheck body (inspection_key, checked_on YYYY-MM-DD,
 * checking_body). 0 or SL_DECLINED with ERR. */
int sl_spotcheck_validate(const sl_pb_spot_check_t *sc, sl_codec_error_t *err);
/* Why a spot check puts the inspection's body on the 约谈问责 list: "应发现未发现",
 * "应处罚未处罚", both joined by "、", or NULL if the inspection missed nothing.
 * Static. */
const char *sl_spotcheck_missed(bool insp_found, bool insp_punished, bool sc_found,
                                bool sc_should_punish);

/* Database part ------------------------------------------------------------- */

/* Draws a sample of county DIVISION's inspected units in SECTOR (one unit per
 * credit code, its latest inspection) at SHARE percent from SEED, stores the
 * draw with its seed and items and audits it (subject "spot_draw:<id>"), in a
 * transaction of its own, by OPERATOR at NOW_MS. 0 with *DRAW_ID, *PICKED and
 * *POPULATION; -1 or SL_AGAIN. */
int sl_spotcheck_draw(sl_db_t *db, const char *division, int sector, int share, uint64_t seed,
                      const char *operator_name, int64_t now_ms, int64_t *draw_id, size_t *picked,
                      size_t *population);
/* The stored draw DRAW_ID: its county, sector, share and seed into the
 * caller's buffers. 0, 1 if there is no such draw, -1 or SL_AGAIN. */
int sl_spotcheck_draw_get(sl_db_t *db, int64_t draw_id, char division[16], int *sector, int *share,
                          uint64_t *seed);
/* Calls CB for each unit of draw DRAW_ID in pick order: pos, inspection key,
 * unit, township, inspecting body, inspected on. 0, -1 or SL_AGAIN. */
int sl_spotcheck_draw_rows(sl_db_t *db, int64_t draw_id, sl_db_row_cb *cb, void *arg);

/* Records the spot check ENV carries at NODE at NOW_MS against its
 * inspection, inside the caller's transaction; lists the inspecting body for
 * 约谈问责 when the inspection missed something; sends the result down to the
 * child node the inspection came from. 0; SL_DECLINED with RES->err for an
 * unknown inspection or a result recorded before; -1 or SL_AGAIN. */
int sl_spotcheck_apply(sl_db_t *db, const char *node, int64_t now_ms, const sl_pb_envelope_t *env,
                       const char *sender, sl_apply_result_t *res);

/* Columns of the 约谈问责 list, in order. */
#define SL_INTERVIEW_COLS 8
const char *const *sl_interview_headers(void);
/* Calls CB for each 约谈问责 entry, oldest first. 0, -1 or SL_AGAIN. */
int sl_interview_rows(sl_db_t *db, sl_db_row_cb *cb, void *arg);

#endif
