/* sl_finding.h — earlier findings (前期排查问题, R13, R49) and the special
 * ledger (专项台账) that lists them apart.
 *
 * Problems from earlier lists (大督查、大盘点、大起底) and the three-year sweep
 * of old reports are imported in bulk as clues marked with their list: each
 * becomes a case like any other (numbered, transferred, tracked to 销号, in
 * the weekly progress), and table earlier_finding, owned here, keeps which
 * list and number it came from and the case it became. Key:
 * source_list|source_ref. */
#ifndef SL_FINDING_H
#define SL_FINDING_H

#include "sl_apply.h"
#include "sl_codec.h"
#include "sl_db.h"
#include "sl_route.h"

#include <stddef.h>

/* One import line's finding with the storage its clue points into. */
typedef struct {
    sl_pb_finding_t finding; /* clue -> clue */
    sl_pb_clue_t clue;       /* subject -> subject, place -> place */
    sl_pb_subject_t subject;
    sl_pb_place_t place;
} sl_finding_row_t;

/* The list named S (大督查, 大盘点, 大起底, 近三年举报 or GREAT_INSPECTION …), 0
 * if none; the Chinese name of list V ("" if none). */
int sl_finding_source(const char *s);
const char *sl_finding_source_name(int v);

/* Checks F and completes its clue (channel OTHER when unset; F is changed),
 * then validates the clue as any clue against ROUTES (not NULL), whose
 * territory must hold it. 0 or SL_DECLINED with ERR. */
int sl_finding_prepare(sl_pb_finding_t *f, const sl_route_map_t *routes, sl_codec_error_t *err);
/* Writes F's key, source_list|source_ref, into OUT (SIZE bytes). */
void sl_finding_key(const sl_pb_finding_t *f, char *out, size_t size);

#define SL_FINDING_CSV_COLS 9
/* 来源清单,原编号,被举报单位,统一社会信用代码,行业领域,县级行政区划代码,乡镇（街道）,问题描述,重大事故隐患
 */
const char *const *sl_finding_csv_header(void);
/* Fills ROW from one import line's fields F (borrowing them), received at
 * RECEIVED_MS. 0 or SL_DECLINED with ERR. */
int sl_finding_from_fields(char *const *f, int64_t received_ms, sl_finding_row_t *row,
                           sl_codec_error_t *err);

/* Records the finding ENV carries at NOW_MS, inside the caller's transaction.
 * 0 with *ID; SL_DECLINED with RES->err if its key is recorded already; -1 or
 * SL_AGAIN. */
int sl_finding_apply(sl_db_t *db, int64_t now_ms, const sl_pb_envelope_t *env, int64_t *id,
                     sl_apply_result_t *res);
/* The case finding ID became: stored, and audited on "finding:<key>". 0, -1
 * or SL_AGAIN. */
int sl_finding_link_case(sl_db_t *db, int64_t id, const char *case_no, int64_t now_ms,
                         const char *msg_id);

#define SL_FINDING_COLS 8
const char *const *sl_finding_headers(void);
/* The special ledger: each finding with its case (list, number, case number,
 * subject, sector, county, case status, registered). 0, -1 or SL_AGAIN. */
int sl_finding_rows(sl_db_t *db, sl_db_row_cb *cb, void *arg);

#endif
