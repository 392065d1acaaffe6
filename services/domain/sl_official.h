/* sl_official.h — the register of responsible officials (责任人员, R60) and
 * tracing (一追溯) through it.
 *
 * Each post a person held (unit, title, from, to) is one row of table
 * official_post, owned here; a phone number goes to official_phone (personal,
 * never listed). `slctl trace --person` answers "every case this person
 * signed, supervised or was responsible for, whatever post they hold now"; a
 * case's trace answers "who acted at each step". Cases name people as free
 * text (a feedback's sign-off leader, a supervision's leader): a name is
 * linked to a person when the name and the unit (for a supervision, the
 * title) match a post held on that day; a name that matches posts of more
 * than one person is listed as ambiguous with their ids, never guessed. */
#ifndef SL_OFFICIAL_H
#define SL_OFFICIAL_H

#include "sl_apply.h"
#include "sl_codec.h"
#include "sl_db.h"

#include <stddef.h>

/* Checks O (person id, name, unit, title, from; dates YYYY-MM-DD, to not
 * before from). 0 or SL_DECLINED with ERR. ROUTES is unused (the register
 * shape of the other registers). */
int sl_official_validate(const sl_pb_official_t *o, sl_codec_error_t *err);
/* Writes O's key, person_id|unit|title|from, into OUT (SIZE bytes). */
void sl_official_key(const sl_pb_official_t *o, char *out, size_t size);

#define SL_OFFICIAL_CSV_COLS 7
/* 人员编号,姓名,单位,职务,任职起始,任职终止,联系电话 */
const char *const *sl_official_csv_header(void);
/* Fills O from one import line's fields F (borrowing them). 0. */
int sl_official_from_fields(char *const *f, sl_pb_official_t *o, sl_codec_error_t *err);

/* Records the post ENV carries (and the phone, replacing the person's) at
 * NOW_MS, inside the caller's transaction, audited on "official:<person_id>".
 * 0; SL_DECLINED if the key is recorded already; -1 or SL_AGAIN. */
int sl_official_apply(sl_db_t *db, const char *node, int64_t now_ms, const sl_pb_envelope_t *env,
                      const char *sender, sl_apply_result_t *res);

#define SL_OFFICIAL_COLS 6
const char *const *sl_official_headers(void);
/* Calls CB for each post (person id, name, unit, title, from, to; no phone). */
int sl_official_rows(sl_db_t *db, sl_db_row_cb *cb, void *arg);

/* Calls CB for each person WHO names (a person id, else a name): person id,
 * name, their posts as one text. Returns how many (0: none), -1 or SL_AGAIN. */
int sl_official_persons(sl_db_t *db, const char *who, sl_db_row_cb *cb, void *arg);
/* Calls CB for each step of a case that person PERSON_ID signed or
 * supervised, by date: case number, role (签发/挂牌督办), when, the unit or
 * title named, the post held then, "" or "ambiguous: <ids>" when the name fits
 * other people's posts too. 0, -1 or SL_AGAIN. */
int sl_official_trace_person(sl_db_t *db, const char *person_id, sl_db_row_cb *cb, void *arg);
/* Calls CB for each event of case CASE_NO in order: seq, when, kind, the
 * acting unit, the operator, the person named (a signer or a supervising
 * leader, "" if none) and who that is in the register ("P001", "ambiguous:
 * P001,P002" or "" if no post fits). 0, -1 or SL_AGAIN. */
int sl_official_trace_case(sl_db_t *db, const char *case_no, sl_db_row_cb *cb, void *arg);

#endif
