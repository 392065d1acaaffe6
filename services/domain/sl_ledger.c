/* sl_ledger.c — the six lists: mapping results to entries, CSV, the ledger table.
 *
 * s_rules is the mapping of a verified result to entries: one row per result
 * item, each naming its list, what it is called in the list and whether it
 * applies. The database part inserts entries inside the verifying transaction
 * and reads them back by list and month. */
#include "sl_ledger.h"

#include "sl_audit.h"
#include "sl_clock.h"
#include "sl_csv.h"
#include "sl_log.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const s_lists[SL_LEDGER_LISTS] = {
    "隐患整改", "惩治处罚", "约谈问责", "挂牌督办", "联合惩戒", "选树提升",
};

const char *
sl_ledger_list_name(int i)
{
    return i >= 0 && i < SL_LEDGER_LISTS ? s_lists[i] : "";
}

bool
sl_ledger_list_valid(const char *name)
{
    for (int i = 0; name && i < SL_LEDGER_LISTS; i++)
        if (strcmp(name, s_lists[i]) == 0)
            return true;
    return false;
}

static void
s_copy(char *dst, size_t size, json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    snprintf(dst, size, "%s", v ? v : "");
}

int
sl_ledger_result_parse(const char *json, const char *kind, sl_ledger_result_t *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->kind, sizeof out->kind, "%s", kind ? kind : "handling");
    json_t *o = json ? json_loads(json, 0, NULL) : NULL;
    if (!json_is_object(o)) {
        json_decref(o);
        return -1;
    }
#define B(k) json_is_true(json_object_get(o, #k))
#define I(k) json_integer_value(json_object_get(o, #k))
    out->major_hazard_rectified = B(major_hazard_rectified);
    out->production_suspended = B(production_suspended);
    out->closed_down = B(closed_down);
    out->penalized = B(penalized);
    out->penalty_fen = I(penalty_fen);
    out->license_revoked = B(license_revoked);
    out->credit_punished = B(credit_punished);
    out->disciplined_count = (int)I(disciplined_count);
    out->criminal_count = (int)I(criminal_count);
    out->interviews = (int)I(interviews);
    out->police_filed = B(police_filed);
    out->license_suspended = B(license_suspended);
    out->exposed = B(exposed);
    static const char *const measures[3] = {"accountability", "protective_umbrella",
                                            "organisational"};
    for (int i = 0; i < 3; i++) {
        json_t *m = json_object_get(o, measures[i]);
        out->measure_taken[i] = json_is_object(m);
        out->measure_persons[i] = (int)json_integer_value(json_object_get(m, "persons"));
    }
#undef B
#undef I
    s_copy(out->police_result, sizeof out->police_result, o, "police_result");
    s_copy(out->discipline_result, sizeof out->discipline_result, o, "discipline_result");
    s_copy(out->exposed_where, sizeof out->exposed_where, o, "exposed_where");
    json_decref(o);
    return 0;
}

/* --- the mapping ------------------------------------------------------------ */

typedef enum {
    R_HAZARD = 0,
    R_PENALTY,
    R_SUSPENDED,
    R_CLOSED_DOWN,
    R_LICENSE,
    R_CRIMINAL,
    R_POLICE_FILED,
    R_DISCIPLINED,
    R_INTERVIEWS,
    R_CREDIT,
    R_SUSPENDED_LICENSE,
    R_EXPOSED,
    R_ACCOUNTABILITY,
    R_UMBRELLA,
    R_ORGANISATIONAL,
    R_COUNT
} s_rule_t;

/* The table of docs/DESIGN.md "The six lists": result item → list and item. */
static const struct {
    const char *list;
    const char *item;
} s_rules[R_COUNT] = {
    [R_HAZARD] = {"隐患整改", "重大事故隐患整改"},
    [R_PENALTY] = {"惩治处罚", "行政处罚"},
    [R_SUSPENDED] = {"惩治处罚", "停产整顿"},
    [R_CLOSED_DOWN] = {"惩治处罚", "关闭取缔"},
    [R_LICENSE] = {"惩治处罚", "吊销证照"},
    [R_CRIMINAL] = {"惩治处罚", "刑事责任追究"},
    [R_POLICE_FILED] = {"惩治处罚", "公安机关立案"},
    [R_DISCIPLINED] = {"约谈问责", "党纪政务处分"},
    [R_INTERVIEWS] = {"约谈问责", "约谈"},
    [R_CREDIT] = {"联合惩戒", "失信联合惩戒"},
    [R_SUSPENDED_LICENSE] = {"惩治处罚", "暂扣证照"},
    [R_EXPOSED] = {"约谈问责", "公开曝光"},
    [R_ACCOUNTABILITY] = {"约谈问责", "追责问责"},
    [R_UMBRELLA] = {"惩治处罚", "查处保护伞"},
    [R_ORGANISATIONAL] = {"约谈问责", "组织处理"},
};

static sl_ledger_item_t *
s_item(sl_ledger_item_t *out, size_t *n, s_rule_t rule, int persons, int64_t fen)
{
    sl_ledger_item_t *it = &out[(*n)++];
    memset(it, 0, sizeof *it);
    it->list = s_rules[rule].list;
    it->item = s_rules[rule].item;
    it->persons = persons;
    it->amount_fen = fen;
    return it;
}

size_t
sl_ledger_map(const sl_ledger_result_t *r, sl_ledger_item_t *out)
{
    size_t n = 0;
    bool police = strcmp(r->kind, "police") == 0;
    bool discipline = strcmp(r->kind, "discipline") == 0;
    sl_ledger_item_t *it;
    if (r->major_hazard_rectified) {
        it = s_item(out, &n, R_HAZARD, 0, 0);
        snprintf(it->details, sizeof it->details, "重大事故隐患已整改");
    }
    if (r->penalized) {
        it = s_item(out, &n, R_PENALTY, 0, r->penalty_fen);
        snprintf(it->details, sizeof it->details, "罚款%lld.%02lld元",
                 (long long)(r->penalty_fen / 100), (long long)(r->penalty_fen % 100));
    }
    if (r->production_suspended) {
        it = s_item(out, &n, R_SUSPENDED, 0, 0);
        snprintf(it->details, sizeof it->details, "责令停产整顿");
    }
    if (r->closed_down) {
        it = s_item(out, &n, R_CLOSED_DOWN, 0, 0);
        snprintf(it->details, sizeof it->details, "依法关闭取缔");
    }
    if (r->license_revoked) {
        it = s_item(out, &n, R_LICENSE, 0, 0);
        snprintf(it->details, sizeof it->details, "吊销证照");
    }
    if (r->criminal_count > 0) {
        it = s_item(out, &n, R_CRIMINAL, r->criminal_count, 0);
        snprintf(it->details, sizeof it->details, "追究刑事责任%d人", r->criminal_count);
    }
    if (police && r->police_filed) {
        it = s_item(out, &n, R_POLICE_FILED, 0, 0);
        snprintf(it->details, sizeof it->details, "立案：%s", r->police_result);
    }
    if (r->disciplined_count > 0 || (discipline && r->discipline_result[0])) {
        it = s_item(out, &n, R_DISCIPLINED, r->disciplined_count, 0);
        if (discipline && r->discipline_result[0])
            snprintf(it->details, sizeof it->details, "纪检监察机关：%s（%d 人）",
                     r->discipline_result, r->disciplined_count);
        else
            snprintf(it->details, sizeof it->details, "党纪政务处分%d人", r->disciplined_count);
    }
    if (r->interviews > 0) {
        it = s_item(out, &n, R_INTERVIEWS, r->interviews, 0);
        snprintf(it->details, sizeof it->details, "约谈%d人（家）", r->interviews);
    }
    if (r->credit_punished) {
        it = s_item(out, &n, R_CREDIT, 0, 0);
        snprintf(it->details, sizeof it->details, "纳入失信联合惩戒");
    }
    if (r->license_suspended) {
        it = s_item(out, &n, R_SUSPENDED_LICENSE, 0, 0);
        snprintf(it->details, sizeof it->details, "暂扣证照");
    }
    if (r->exposed) {
        it = s_item(out, &n, R_EXPOSED, 0, 0);
        snprintf(it->details, sizeof it->details, "公开曝光：%s", r->exposed_where);
    }
    static const struct {
        s_rule_t rule;
        const char *what;
    } measures[] = {{R_ACCOUNTABILITY, "应发现未发现、应处罚未处罚，追责问责"},
                    {R_UMBRELLA, "查处充当“保护伞”的"},
                    {R_ORGANISATIONAL, "对负责人组织处理"}};
    for (size_t i = 0; i < SL_ARRAY_LEN(measures); i++) {
        if (!r->measure_taken[i])
            continue;
        it = s_item(out, &n, measures[i].rule, r->measure_persons[i], 0);
        snprintf(it->details, sizeof it->details, "%s %d 人", measures[i].what,
                 r->measure_persons[i]);
    }
    return n;
}

void
sl_ledger_supervision_item(const char *leader, const char *title, const char *since_date,
                           sl_ledger_item_t *out)
{
    memset(out, 0, sizeof *out);
    out->list = "挂牌督办";
    out->item = "挂牌督办";
    snprintf(out->details, sizeof out->details, "已验收销号；督办领导：%s%s%s%s；%s起挂牌督办",
             leader, title && *title ? "（" : "", title ? title : "", title && *title ? "）" : "",
             since_date);
}

/* --- CSV -------------------------------------------------------------------- */

void
sl_ledger_csv_row(sl_buf_t *buf, const char *const *cols, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sl_csv_put(buf, cols[i] ? cols[i] : "", i == 0);
    sl_buf_puts(buf, "\r\n");
}

/* --- the database ----------------------------------------------------------- */

static const char *
s_or(const char *s)
{
    return s ? s : "";
}

int
sl_ledger_record(sl_db_t *db, int64_t case_id, const sl_ledger_case_t *c,
                 const sl_ledger_item_t *items, size_t n, int64_t now_ms,
                 const sl_actor_t *actor)
{
    int32_t day = sl_ms_to_day(now_ms);
    char date[11], month[8], at[40], cid[24];
    sl_date_format(day, date);
    snprintf(month, sizeof month, "%.7s", date);
    sl_time_format_iso(now_ms, at, sizeof at);
    snprintf(cid, sizeof cid, "%lld", (long long)case_id);
    for (size_t i = 0; i < n; i++) {
        const sl_ledger_item_t *it = &items[i];
        char persons[16], fen[24];
        snprintf(persons, sizeof persons, "%d", it->persons);
        snprintf(fen, sizeof fen, "%lld", (long long)it->amount_fen);
        const char *p[] = {it->list,
                           it->item,
                           cid,
                           s_or(c->case_no),
                           s_or(c->notice_no),
                           s_or(c->unit),
                           s_or(c->unit_name),
                           s_or(c->subject_name),
                           date,
                           month,
                           persons,
                           fen,
                           it->details,
                           at,
                           s_or(actor->key),
                           s_or(actor->operator_name),
                           s_or(actor->msg_id)};
        PGresult *r;
        int rc = sl_db_exec(db, &r,
                            "INSERT INTO ledger_entry (list, item, case_id, case_no, notice_no,"
                            " unit, unit_name, subject_name, entry_date, month, persons,"
                            " amount_fen, details, entered_at, actor_key, operator, msg_id)"
                            " VALUES ($1, $2, $3::bigint, $4, $5, $6, $7, $8, $9::date, $10,"
                            " $11::int, $12::bigint, $13, $14::timestamptz, $15, $16, $17)"
                            " RETURNING id",
                            17, p);
        if (rc != 0)
            return rc;
        long long id = atoll(PQgetvalue(r, 0, 0));
        PQclear(r);
        json_t *d = json_pack("{s:s, s:s, s:I, s:s, s:s, s:i, s:I, s:s}", "list", it->list, "item",
                              it->item, "entry_id", (json_int_t)id, "notice_no", s_or(c->notice_no),
                              "entry_date", date, "persons", it->persons, "amount_fen",
                              (json_int_t)it->amount_fen, "details", it->details);
        rc = sl_audit_append_json(db, case_id, now_ms, "ledger_entered", actor, d);
        if (rc != 0)
            return rc;
        sl_log(SL_LOG_INFO, "case=%s notice=%s six-list entry %s/%s", s_or(c->case_no),
               s_or(c->notice_no), it->list, it->item);
    }
    return 0;
}

void
sl_ledger_open_hazard_item(const char *rectify_by, const char *responsible,
                           sl_ledger_item_t *out)
{
    memset(out, 0, sizeof *out);
    out->list = "隐患整改";
    out->item = SL_LEDGER_OPEN_HAZARD;
    snprintf(out->details, sizeof out->details, "重大事故隐患尚未整改到位；整改时限：%s；责任人：%s",
             rectify_by && *rectify_by ? rectify_by : "待报",
             responsible && *responsible ? responsible : "待报");
}

int
sl_ledger_has_item(sl_db_t *db, int64_t case_id, const char *item)
{
    char cid[24];
    snprintf(cid, sizeof cid, "%lld", (long long)case_id);
    const char *p[] = {cid, item};
    PGresult *r;
    int rc = sl_db_exec(db, &r,
                        "SELECT EXISTS (SELECT 1 FROM ledger_entry WHERE case_id = $1::bigint"
                        " AND item = $2)",
                        2, p);
    if (rc != 0)
        return rc;
    rc = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    return rc;
}

int
sl_ledger_add(sl_db_t *db, const char *list, const char *unit, const char *text, int32_t day,
              int64_t now_ms, const sl_actor_t *actor, int64_t *id)
{
    char date[11], month[8], at[40];
    sl_date_format(day, date);
    snprintf(month, sizeof month, "%.7s", date);
    sl_time_format_iso(now_ms, at, sizeof at);
    const char *p[] = {
        list, unit, date, month, text, at, s_or(actor->key), s_or(actor->operator_name)};
    PGresult *r;
    int rc =
        sl_db_exec(db, &r,
                   "INSERT INTO ledger_entry (list, item, unit, unit_name, entry_date, month,"
                   " details, entered_at, actor_key, operator)"
                   " VALUES ($1, $1, $2, coalesce((SELECT name FROM unit WHERE code = $2), ''),"
                   " $3::date, $4, $5, $6::timestamptz, $7, $8) RETURNING id",
                   8, p);
    if (rc != 0)
        return rc;
    *id = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    return 0;
}

static const char *const s_headers[SL_LEDGER_COLS] = {
    "清单",     "事项", "线索编号", "交办文号",   "单位", "单位名称",
    "涉及单位", "日期", "人数",     "金额（元）", "详情", "录入人",
};

const char *const *
sl_ledger_headers(void)
{
    return s_headers;
}

/* The six lists in order, as an SQL VALUES list with their position. */
#define S_LISTS_SQL                                                                                \
    "(VALUES ('隐患整改', 1), ('惩治处罚', 2), ('约谈问责', 3), ('挂牌督办', 4),"  \
    " ('联合惩戒', 5), ('选树提升', 6)) AS l(name, pos)"
#define S_YUAN(col) "(" col " / 100)::text || '.' || lpad((" col " % 100)::text, 2, '0')"

int
sl_ledger_rows(sl_db_t *db, const char *list, const char *month, sl_ledger_row_cb *cb, void *arg)
{
    const char *p[] = {list, month};
    return sl_db_rows(db,
                      /* the list is a report that leaves the node: its
                       * numbers carry the issuing office */
                      "SELECT e.list, e.item, e.case_no,"
                      " CASE WHEN coalesce(e.notice_no, '') = '' THEN ''"
                      "  ELSE (SELECT office_short FROM node) || e.notice_no END,"
                      " e.unit, e.unit_name,"
                      " e.subject_name, e.entry_date::text, e.persons::text,"
                      " " S_YUAN("e.amount_fen") ", e.details, e.operator"
                                                 " FROM ledger_entry e JOIN " S_LISTS_SQL
                                                 " ON l.name = e.list"
                                                 " WHERE ($1::text IS NULL OR e.list = $1)"
                                                 " AND ($2::text IS NULL OR e.month = $2)"
                                                 " ORDER BY l.pos, e.id",
                      2, p, cb, arg);
}

int
sl_ledger_summary(sl_db_t *db, const char *month, sl_ledger_row_cb *cb, void *arg)
{
    const char *p[] = {month};
    return sl_db_rows(
        db,
        "SELECT l.name, count(e.id)::text, coalesce(sum(e.persons), 0)::text,"
        " " S_YUAN("coalesce(sum(e.amount_fen), 0)") " FROM " S_LISTS_SQL
                                                     " LEFT JOIN ledger_entry e ON e.list = l.name"
                                                     " AND ($1::text IS NULL OR e.month = $1)"
                                                     " GROUP BY l.name, l.pos ORDER BY l.pos",
        1, p, cb, arg);
}
