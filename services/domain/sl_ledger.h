/* sl_ledger.h — the six lists (六个清单) as ledgers: entries, months, CSV.
 *
 * The campaign keeps six lists as ledgers and reports them upward by month end
 * (隐患整改、惩治处罚、约谈问责、挂牌督办、联合惩戒、选树提升). A case's
 * entries are made when one of its transfers is verified (核查通过): the
 * feedback's result items map to entries (sl_ledger_map, pure), recorded with
 * sl_ledger_record inside the verifying transaction, each one audited on the
 * case's chain. 选树提升 (good examples) is typed in by operators. This module
 * is the only home of the SQL on ledger_entry (DESIGN.md rule 4). */
#ifndef SL_LEDGER_H
#define SL_LEDGER_H

#include "sl_db.h"
#include "sl_apply.h"
#include "sl_audit.h"
#include "sl_util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SL_LEDGER_LISTS 6            /* the six lists */
#define SL_LEDGER_MAX_ITEMS 16       /* entries one verification can make, at most */
#define SL_LEDGER_BOM "\xEF\xBB\xBF" /* first bytes of an exported CSV (UTF-8 BOM) */

/* The list names in the plan's order ("隐患整改" … "选树提升"); I in 0..5. Static. */
const char *sl_ledger_list_name(int i);
/* True if NAME is one of the six. */
bool sl_ledger_list_valid(const char *name);

/* The result items of a feedback, as the ledger reads them. */
typedef struct {
    char kind[16];               /* the transfer's kind: handling, police, discipline */
    bool major_hazard_rectified; /* 重大事故隐患已整改 */
    bool production_suspended;   /* 停产整顿 */
    bool closed_down;            /* 关闭取缔 */
    bool penalized;              /* 行政处罚 */
    int64_t penalty_fen;         /* its amount, fen */
    bool license_revoked;        /* 吊销证照 */
    bool license_suspended;      /* 暂扣证照 */
    bool exposed;                /* 公开曝光 */
    char exposed_where[256];     /* where */
    bool measure_taken[3];       /* ⑤ 追责问责, ⑥ 查处保护伞, ⑦ 组织处理 taken */
    int measure_persons[3];      /* their persons */
    bool credit_punished;        /* 失信联合惩戒 */
    int disciplined_count;       /* 党纪政务处分, persons */
    int criminal_count;          /* 刑事责任追究, persons */
    int interviews;              /* 约谈, persons or units */
    bool police_filed;           /* police: 立案 */
    char police_result[512];     /* police: the result in words */
    char discipline_result[512]; /* discipline commission: the 处分 decided */
} sl_ledger_result_t;

/* Reads the feedback JSON a transfer stores (sl_transfer_answer.c) for a transfer of
 * KIND into OUT. 0, or -1 if JSON is not an object. */
int sl_ledger_result_parse(const char *json, const char *kind, sl_ledger_result_t *out);

/* One entry to make. */
typedef struct {
    const char *list;   /* one of the six; static */
    const char *item;   /* 行政处罚, 停产整顿, 约谈 …; static */
    int persons;        /* persons concerned, 0 if not counted */
    int64_t amount_fen; /* an amount (fines), fen */
    char details[640];  /* the entry in words */
} sl_ledger_item_t;

/* The entries a verified result makes (docs/DESIGN.md "The six lists" prints
 * the table), in that table's order, into OUT (room for SL_LEDGER_MAX_ITEMS).
 * Pure. Returns how many. */
size_t sl_ledger_map(const sl_ledger_result_t *r, sl_ledger_item_t *out);

/* The 挂牌督办 entry made when a listed case is verified closed (验收销号):
 * leader, title and the listing date in the details. Pure. */
void sl_ledger_supervision_item(const char *leader, const char *title, const char *since_date,
                                sl_ledger_item_t *out);

/* The 隐患整改 entry of a major hazard still open when its handling feedback
 * came (item SL_LEDGER_OPEN_HAZARD): its 整改时限 RECTIFY_BY and 责任人
 * RESPONSIBLE in the details, "待报" for one not given (NULL or ""). Pure. */
#define SL_LEDGER_OPEN_HAZARD "重大事故隐患（整改中）"
void sl_ledger_open_hazard_item(const char *rectify_by, const char *responsible,
                                sl_ledger_item_t *out);

/* RFC 4180: appends the fields COLS[0..N) as one record ending in CRLF to BUF;
 * a field holding a comma, a double quote, CR or LF is quoted, its quotes
 * doubled. Pure. */
void sl_ledger_csv_row(sl_buf_t *buf, const char *const *cols, size_t n);

/* The facts of a case an entry carries. Strings borrowed. */
typedef struct {
    const char *case_no;
    const char *notice_no;
    const char *unit; /* unit code */
    const char *unit_name;
    const char *subject_name;
} sl_ledger_case_t;

/* Inserts ITEMS[0..N) for case CASE_ID dated on the business day of NOW_MS,
 * and appends a "ledger_entered" event per entry to the case's chain, inside
 * the caller's transaction. 0, -1 or SL_AGAIN (roll back). */
int sl_ledger_record(sl_db_t *db, int64_t case_id, const sl_ledger_case_t *c,
                     const sl_ledger_item_t *items, size_t n, int64_t now_ms,
                     const sl_actor_t *actor);

/* Whether case CASE_ID has an entry of ITEM already: 1 yes, 0 no, -1 or
 * SL_AGAIN. */
int sl_ledger_has_item(sl_db_t *db, int64_t case_id, const char *item);

/* An entry that belongs to no case (选树提升, typed by an operator): LIST,
 * UNIT (as typed) and TEXT, dated DAY, entered at NOW_MS by ACTOR — the row
 * itself records who. Its own statement; *ID gets the row's id. 0, -1 or
 * SL_AGAIN. */
int sl_ledger_add(sl_db_t *db, const char *list, const char *unit, const char *text, int32_t day,
                  int64_t now_ms, const sl_actor_t *actor, int64_t *id);

/* An entry as printed and exported: list, item, case_no, notice_no, unit,
 * unit_name, subject_name, entry_date, persons, amount (yuan, 2 decimals),
 * details, operator — SL_LEDGER_COLS strings borrowed for the call. */
#define SL_LEDGER_COLS 12
typedef sl_db_row_cb sl_ledger_row_cb;
/* The Chinese column headers of that row. Static. */
const char *const *sl_ledger_headers(void);
/* Calls CB for every entry of LIST (NULL: all) in MONTH ("YYYY-MM"; NULL:
 * all), in list order then entry order. 0, -1 or SL_AGAIN. */
int sl_ledger_rows(sl_db_t *db, const char *list, const char *month, sl_ledger_row_cb *cb,
                   void *arg);

/* Calls CB once per list of the six, in order, with MONTH's entry count,
 * persons and amount (yuan): 4 strings. 0, -1 or SL_AGAIN. */
int sl_ledger_summary(sl_db_t *db, const char *month, sl_ledger_row_cb *cb, void *arg);

#endif
