/* sl_transfer.c — forming transfer lists, issuing transfers, applying answers.
 *
 * Statements run inside one transaction per list (sl_transfer_form_list) or
 * inside the caller's (sl_transfer_apply, within sl-intake's batch). A refused
 * answer is decided before anything is written, so refusing changes nothing.
 * Lock order, everywhere: transfer row, case row, counter row — and a list
 * formation skips case rows others hold — so dispatchers and intake cannot
 * deadlock. */
#include "sl_transfer.h"

#include "sl_audit.h"
#include "sl_case.h"
#include "sl_clock.h"
#include "sl_ledger.h"
#include "sl_log.h"
#include "sl_notice.h"
#include "sl_outbox.h"
#include "sl_sector.h"
#include "sl_supervision.h"
#include "sl_transfer_fsm.h"
#include "sl_unit.h"
#include "sl_util.h"
#include "sl_validate.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The key of the transaction-scoped advisory lock list formation takes. */
#define S_FORM_LOCK "7341000000000000001"
#define S_MAX_LIST 10000

static const char *
s_or(const char *s, const char *def)
{
    return s ? s : def;
}

/* Appends an audit event to case CASE_ID; DETAIL is a JSON object (consumed). */
static int
s_audit(sl_db_t *db, int64_t case_id, int64_t now_ms, const char *kind,
        const sl_transfer_actor_t *actor, json_t *detail)
{
    char *text = json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
    json_decref(detail);
    sl_audit_event_t ev = {.at_ms = now_ms,
                           .kind = kind,
                           .actor_key = s_or(actor->key, ""),
                           .actor_unit = s_or(actor->unit, ""),
                           .operator= s_or(actor->operator_name, ""),
                           .msg_id = s_or(actor->msg_id, ""),
                           .detail = text};
    int rc = sl_audit_append(db, case_id, &ev);
    free(text);
    return rc;
}

/* The next gap-free number of SCOPE/YEAR/KEY (counter row locked until the
 * transaction ends). 0 and *SEQ, -1 or SL_AGAIN. */
static int
s_next(sl_db_t *db, const char *scope, int year, const char *key, long long *seq)
{
    char y[16];
    snprintf(y, sizeof y, "%d", year);
    const char *p[] = {scope, y, key};
    PGresult *r;
    int rc = sl_db_exec(db, &r,
                        "INSERT INTO counter (scope, year, key, value) VALUES ($1, $2::int, $3, 1)"
                        " ON CONFLICT (scope, year, key) DO UPDATE SET value = counter.value + 1"
                        " RETURNING value",
                        3, p);
    if (rc != 0)
        return rc;
    *seq = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    return 0;
}

/* violations "1,3" → repeated int32 in ARENA. */
static void
s_violations(sl_arena_t *a, const char *text, sl_pb_clue_t *c)
{
    size_t n = 0;
    for (const char *s = text; *s; s++)
        n += *s == ',';
    if (!*text)
        return;
    c->violations = sl_arena_alloc(a, (n + 1) * sizeof *c->violations);
    char *end;
    for (const char *s = text; *s; s = *end ? end + 1 : end) {
        c->violations[c->n_violations++] = (int32_t)strtol(s, &end, 10);
        if (end == s)
            break;
    }
}

/* A timestamptz as PostgreSQL prints it ("2021-11-15 09:00:00+08", an
 * offset of hours only) in ms; FALLBACK if it does not parse. */
static int64_t
s_pg_ms(const char *text, int64_t fallback)
{
    int64_t ms;
    char buf[64];
    if (sl_time_parse_iso(text, &ms) == 0)
        return ms;
    snprintf(buf, sizeof buf, "%s:00", text);
    return sl_time_parse_iso(buf, &ms) == 0 ? ms : fallback;
}

/* The case's sealed reporter (column reporter_sealed of an sl_case_fetch
 * result) onto CLUE: a new message the caller frees with
 * safeloop__v1__sealed_reporter__free_unpacked, or NULL if there is none. The
 * record is sealed for this node's key; sl-dispatch re-seals it for the child
 * before the first send (sl_fed_reseal). */
static sl_pb_sealed_reporter_t *
s_attach_reporter(const PGresult *r, sl_pb_clue_t *clue)
{
    int col = PQfnumber(r, "reporter_sealed");
    if (col < 0 || PQgetisnull(r, 0, col))
        return NULL;
    size_t len;
    unsigned char *b = PQunescapeBytea((const unsigned char *)PQgetvalue(r, 0, col), &len);
    if (!b)
        return NULL;
    sl_pb_sealed_reporter_t *sr = safeloop__v1__sealed_reporter__unpack(NULL, len, b);
    PQfreemem(b);
    clue->sealed_reporter = sr;
    return sr;
}

/* The Transfer envelope for a child that runs its own node, into the outbox. */
static int
s_outbox_transfer(sl_db_t *db, const char *node, int64_t now_ms, const char *case_no,
                  const char *notice_no, const char *list_no, const char *unit_code,
                  const char *tdate, const char *odate, const char *fdate)
{
    PGresult *r;
    int rc = sl_case_fetch(db, case_no, &r);
    if (rc != 0)
        return rc;
    if (PQntuples(r) == 0) {
        PQclear(r);
        sl_log(SL_LOG_ERROR, "case=%s vanished while issuing %s", case_no, notice_no);
        return -1;
    }
#define F(name) PQgetvalue(r, 0, PQfnumber(r, name))
    sl_arena_t *a = sl_arena_new(0);
    sl_pb_clue_t clue = SAFELOOP__V1__CLUE_REPORT__INIT;
    sl_pb_subject_t subj = SAFELOOP__V1__SUBJECT__INIT;
    sl_pb_place_t place = SAFELOOP__V1__PLACE__INIT;
    clue.channel = SAFELOOP__V1__CLUE_REPORT__CHANNEL__UPPER_TRANSFER;
    clue.received_at = s_pg_ms(F("received_at"), now_ms);
    subj.name = F("subject_name");
    subj.credit_code = F("credit_code");
    clue.subject = &subj;
    place.division = F("division");
    place.township = F("township");
    place.address = F("address");
    clue.place = &place;
    const sl_sector_t *sec = sl_sector_by_name(F("sector"));
    clue.sector = sec ? (Safeloop__V1__Sector)sec->value : 0;
    s_violations(a, F("violations"), &clue);
    clue.violation_text = F("violation_text");
    clue.description = F("description");
    clue.major_hazard = strcmp(F("major_hazard"), "t") == 0;
    clue.suspected_crime = strcmp(F("suspected_crime"), "t") == 0;
    clue.suspected_dereliction = strcmp(F("suspected_dereliction"), "t") == 0;
    clue.origin_node = (char *)node;
    clue.upper_case_no = (char *)case_no;
    clue.upper_notice_no = (char *)notice_no;
    sl_pb_sealed_reporter_t *sealed = s_attach_reporter(r, &clue);
    sl_pb_transfer_t t = SAFELOOP__V1__TRANSFER__INIT;
    t.notice_no = (char *)notice_no;
    t.from_unit = (char *)node;
    t.at = now_ms;
    t.case_no = (char *)case_no;
    t.list_no = (char *)list_no;
    t.to_unit = (char *)unit_code;
    t.transfer_date = (char *)tdate;
    t.objection_deadline = (char *)odate;
    t.feedback_deadline = (char *)fdate;
    t.clue = &clue;
    sl_pb_envelope_t env = SL_PB_ENVELOPE_INIT;
    char id[37];
    sl_uuid(id);
    env.msg_id = id;
    env.producer = (char *)node;
    env.sent_at = now_ms;
    env.body_case = SAFELOOP__V1__ENVELOPE__BODY_TRANSFER;
    env.transfer = &t;
    size_t len;
    uint8_t *payload = sl_codec_encode_envelope(&env, &len);
    rc = sl_outbox_add(db, unit_code, id, "transfer", payload, len, case_no, now_ms);
    free(payload);
    if (sealed)
        safeloop__v1__sealed_reporter__free_unpacked(sealed, NULL);
    sl_arena_destroy(&a);
    PQclear(r);
#undef F
    return rc;
}

/* Issues one transfer of KIND (handling, police, discipline) of case CASE_ID
 * to UNIT_CODE at NOW_MS: number, deadlines, row, case status (handling
 * only: the case follows its handling transfer), audit, outbox. NOTICE_NO
 * (>= 64) gets the number. */
static int
s_issue(sl_db_t *db, const sl_calendar_t *cal, const char *node, int64_t now_ms, int64_t case_id,
        const char *case_no, int sector, const char *unit_code, int64_t list_id,
        const char *list_no, int64_t replaces, const char *replaces_no,
        const sl_transfer_actor_t *actor, char *notice_no, int64_t *transfer_id, const char *kind)
{
    char uname[256];
    bool has_node = false;
    int rc = sl_unit_get(db, unit_code, uname, sizeof uname, &has_node);
    if (rc != 0) {
        if (rc == 1)
            sl_log(SL_LOG_ERROR, "case=%s unit %s is not in the unit registry", case_no, unit_code);
        return rc == 1 ? -1 : rc;
    }
    const sl_sector_t *sec = sl_sector_by_value(sector);
    if (!sec) {
        sl_log(SL_LOG_ERROR, "case=%s has no known sector (%d)", case_no, sector);
        return -1;
    }
    int32_t tday = sl_ms_to_day(now_ms), oday, fday;
    int y, m, d, unknown;
    sl_date_ymd(tday, &y, &m, &d);
    sl_transfer_deadlines(cal, tday, -1, &oday, &fday, &unknown);
    long long seq;
    if ((rc = s_next(db, "notice", y, sec->short_zh, &seq)) != 0)
        return rc;
    sl_transfer_notice_number(notice_no, 64, sec->short_zh, y, seq);
    char tdate[11], odate[11], fdate[11], warn[256], at[40], sy[16], ss[8], sq[24], cid[24],
        lid[24], rid[24];
    sl_date_format(tday, tdate);
    sl_date_format(oday, odate);
    sl_date_format(fday, fdate);
    sl_transfer_calendar_warning(unknown, warn, sizeof warn);
    sl_time_format_iso(now_ms, at, sizeof at);
    snprintf(sy, sizeof sy, "%d", y);
    snprintf(ss, sizeof ss, "%d", sector);
    snprintf(sq, sizeof sq, "%lld", seq);
    snprintf(cid, sizeof cid, "%lld", (long long)case_id);
    snprintf(lid, sizeof lid, "%lld", (long long)list_id);
    snprintf(rid, sizeof rid, "%lld", (long long)replaces);
    const char *p[] = {notice_no, sy,
                       ss,        sq,
                       cid,       list_id ? lid : NULL,
                       unit_code, has_node ? "outbox" : "event",
                       tdate,     at,
                       odate,     fdate,
                       warn,      replaces ? rid : NULL,
                       kind};
    PGresult *r;
    rc = sl_db_exec(db, &r,
                    "INSERT INTO transfer (notice_no, year, sector, seq, case_id, list_id,"
                    " unit_code, delivery, state, transfer_date, issued_at, objection_deadline,"
                    " feedback_deadline, calendar_warning, replaces, kind)"
                    " VALUES ($1, $2::int, $3::smallint, $4::int, $5::bigint, $6::bigint, $7, $8,"
                    " 'issued', $9::date, $10::timestamptz, $11::date, $12::date, $13, $14::bigint,"
                    " $15)"
                    " RETURNING id",
                    15, p);
    if (rc != 0)
        return rc;
    *transfer_id = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    bool handling = strcmp(kind, "handling") == 0;
    if (handling && (rc = sl_case_set_status(db, case_id, sl_transfer_case_status(SL_TS_ISSUED),
                                             unit_code)) != 0)
        return rc;
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "notice_no", notice_no, "unit", unit_code,
                  "unit_name", uname, "transfer_date", tdate, "objection_deadline", odate,
                  "feedback_deadline", fdate, "delivery", has_node ? "outbox" : "event");
    if (list_no && *list_no)
        json_object_set_new(o, "list_no", json_string(list_no));
    if (replaces_no && *replaces_no)
        json_object_set_new(o, "replaces", json_string(replaces_no));
    if (*warn)
        json_object_set_new(o, "calendar_warning", json_string(warn));
    if (!handling)
        json_object_set_new(o, "kind", json_string(kind));
    if ((rc = s_audit(db, case_id, now_ms, "transferred", actor, o)) != 0)
        return rc;
    if (has_node)
        rc = s_outbox_transfer(db, node, now_ms, case_no, notice_no, list_no ? list_no : "",
                               unit_code, tdate, odate, fdate);
    if (rc == 0)
        sl_log(SL_LOG_INFO,
               "case=%s notice=%s unit=%s transfer issued, objection by %s, "
               "feedback by %s%s",
               case_no, notice_no, unit_code, odate, fdate, *warn ? " (calendar warning)" : "");
    return rc;
}

/* The two transfers (两移交) of a case just put on a list: to the police
 * (<node>:police) if it is flagged suspected_crime, to the discipline
 * commission (<node>:discipline) if suspected_dereliction, each with its own
 * notice number and deadlines. *ISSUED grows by the transfers issued. */
static int
s_issue_two(sl_db_t *db, const sl_calendar_t *cal, const char *node, int64_t now_ms,
            const sl_case_claim_t *c, int64_t list_id, const char *list_no,
            const sl_transfer_actor_t *actor, long *issued)
{
    PGresult *r;
    int rc = sl_case_fetch(db, c->case_no, &r);
    if (rc != 0)
        return rc;
    if (PQntuples(r) == 0) {
        PQclear(r);
        sl_log(SL_LOG_ERROR, "case=%s vanished while forming its list", c->case_no);
        return -1;
    }
    bool flags[2] = {strcmp(PQgetvalue(r, 0, PQfnumber(r, "suspected_crime")), "t") == 0,
                     strcmp(PQgetvalue(r, 0, PQfnumber(r, "suspected_dereliction")), "t") == 0};
    PQclear(r);
    static const char *const kinds[2] = {"police", "discipline"};
    for (int k = 0; k < 2; k++) {
        if (!flags[k])
            continue;
        char unit[48], notice[64];
        int64_t tid;
        snprintf(unit, sizeof unit, "%s:%s", node, kinds[k]);
        if ((rc = s_issue(db, cal, node, now_ms, c->id, c->case_no, c->sector, unit, list_id,
                          list_no, 0, NULL, actor, notice, &tid, kinds[k])) != 0)
            return rc;
        (*issued)++;
    }
    return 0;
}

/* Sets the item count of list LIST_ID (after the two transfers added some). */
static int
s_list_items(sl_db_t *db, int64_t list_id, long items)
{
    char lid[24], n[24];
    snprintf(lid, sizeof lid, "%lld", (long long)list_id);
    snprintf(n, sizeof n, "%ld", items);
    const char *p[] = {lid, n};
    return sl_db_exec(db, NULL, "UPDATE transfer_list SET items = $2::int WHERE id = $1::bigint", 2,
                      p);
}

int
sl_transfer_form_list(sl_db_t *db, const sl_calendar_t *cal, const char *node, int64_t now_ms,
                      int32_t round_date, bool wait, const sl_transfer_actor_t *actor,
                      sl_transfer_formed_t *out)
{
    memset(out, 0, sizeof *out);
    sl_case_claim_t *cases = NULL;
    PGresult *r = NULL;
    int rc = sl_db_begin(db);
    if (rc != 0)
        return rc;
    if ((rc = sl_db_exec(db, &r,
                         wait ? "SELECT pg_advisory_xact_lock(" S_FORM_LOCK ") IS NULL"
                              : "SELECT NOT pg_try_advisory_xact_lock(" S_FORM_LOCK ")",
                         0, NULL)) != 0)
        goto fail;
    out->busy = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    r = NULL;
    if (out->busy)
        goto done;
    char rdate[11];
    if (round_date >= 0) {
        sl_date_format(round_date, rdate);
        const char *p[] = {rdate};
        if ((rc = sl_db_exec(db, &r, "SELECT 1 FROM transfer_list WHERE round_date = $1::date", 1,
                             p)) != 0)
            goto fail;
        out->already = PQntuples(r) > 0;
        PQclear(r);
        r = NULL;
        if (out->already)
            goto done;
    }
    long n = sl_case_claim_registered(db, S_MAX_LIST, &cases);
    if (n < 0) {
        rc = (int)n;
        goto fail;
    }
    if (n == 0)
        goto done;
    int32_t today = sl_ms_to_day(now_ms);
    int y, m, d;
    sl_date_ymd(today, &y, &m, &d);
    long long seq;
    if ((rc = s_next(db, "list", y, node, &seq)) != 0)
        goto fail;
    sl_transfer_list_number(out->list_no, sizeof out->list_no, y, seq);
    char sy[16], sq[24], ldate[11], at[40], items[24];
    snprintf(sy, sizeof sy, "%d", y);
    snprintf(sq, sizeof sq, "%lld", seq);
    snprintf(items, sizeof items, "%ld", n);
    sl_date_format(today, ldate);
    sl_time_format_iso(now_ms, at, sizeof at);
    char *who = sl_asprintf("%s%s%s", s_or(actor->key, ""),
                            actor->operator_name && *actor->operator_name ? ":" : "",
                            s_or(actor->operator_name, ""));
    const char *p[] = {out->list_no, sy, sq, ldate, round_date >= 0 ? rdate : NULL, at, who, items};
    rc = sl_db_exec(db, &r,
                    "INSERT INTO transfer_list (list_no, year, seq, list_date, round_date,"
                    " formed_at, formed_by, items)"
                    " VALUES ($1, $2::int, $3::int, $4::date, $5::date, $6::timestamptz, $7,"
                    " $8::int) RETURNING id",
                    8, p);
    free(who);
    if (rc != 0)
        goto fail;
    out->list_id = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    r = NULL;
    sl_log(SL_LOG_INFO, "list=%s forming the transfer list: %ld registered cases", out->list_no,
           n);
    for (long i = 0; i < n; i++) {
        char notice[64];
        int64_t tid;
        if ((rc = s_issue(db, cal, node, now_ms, cases[i].id, cases[i].case_no, cases[i].sector,
                          cases[i].unit_code, out->list_id, out->list_no, 0, NULL, actor, notice,
                          &tid, "handling")) != 0)
            goto fail;
        if ((rc = s_issue_two(db, cal, node, now_ms, &cases[i], out->list_id, out->list_no, actor,
                              &out->items)) != 0)
            goto fail;
    }
    if (out->items > 0 && (rc = s_list_items(db, out->list_id, n + out->items)) != 0)
        goto fail;
    out->items += n;
done:
    if ((rc = sl_db_commit(db)) != 0)
        goto fail;
    if (out->items > 0)
        sl_log(SL_LOG_INFO, "list=%s transfer list formed with %ld transfers", out->list_no,
               out->items);
    free(cases);
    return 0;
fail:
    if (rc == -1)
        sl_log(SL_LOG_ERROR, "could not form a transfer list: %s", sl_db_error(db));
    PQclear(r);
    sl_db_rollback(db);
    free(cases);
    memset(out, 0, sizeof *out);
    return rc;
}

/* --- answers ------------------------------------------------------------------ */

/* The fields every answer shares, and its message. */
typedef struct {
    sl_transfer_msg_t msg;
    const char *notice_no, *from_unit, *operator_name;
    int64_t at;
} s_answer_t;

static int
s_answer_of(const sl_pb_envelope_t *env, s_answer_t *a)
{
    switch (sl_codec_body(env)) {
#define S_COMMON(b, m)                                                                             \
    a->msg = m;                                                                                    \
    a->notice_no = env->b->notice_no;                                                              \
    a->from_unit = env->b->from_unit;                                                              \
    a->operator_name = env->b->operator_;                                                          \
    a->at = env->b->at;                                                                            \
    return 0
    case SL_BODY_RECEIPT:
        S_COMMON(receipt, SL_TM_RECEIPT);
    case SL_BODY_OBJECTION:
        S_COMMON(objection, SL_TM_OBJECTION);
    case SL_BODY_PROGRESS:
        S_COMMON(progress, SL_TM_PROGRESS);
    case SL_BODY_FEEDBACK:
        S_COMMON(feedback, SL_TM_FEEDBACK);
    case SL_BODY_DECISION:
        switch (env->decision->kind) {
        case SAFELOOP__V1__DECISION__KIND__OBJECTION_ACCEPT:
            S_COMMON(decision, SL_TM_OBJECTION_ACCEPT);
        case SAFELOOP__V1__DECISION__KIND__OBJECTION_REJECT:
            S_COMMON(decision, SL_TM_OBJECTION_REJECT);
        case SAFELOOP__V1__DECISION__KIND__VERIFY_PASS:
            S_COMMON(decision, SL_TM_VERIFY_PASS);
        case SAFELOOP__V1__DECISION__KIND__VERIFY_FAIL:
            S_COMMON(decision, SL_TM_VERIFY_FAIL);
        default:
            return -1;
        }
#undef S_COMMON
    default:
        return -1;
    }
}

static const struct {
    const char *kind;  /* audit event */
    const char *topic; /* event on PUB */
} s_effects[SL_TM_COUNT] = {
    [SL_TM_RECEIPT] = {"received", "transfer.received"},
    [SL_TM_OBJECTION] = {"objected", "transfer.objected"},
    [SL_TM_PROGRESS] = {"progress", "transfer.progress"},
    [SL_TM_FEEDBACK] = {"fed_back", "feedback.received"},
    [SL_TM_OBJECTION_ACCEPT] = {"objection_accepted", "transfer.reassigned"},
    [SL_TM_OBJECTION_REJECT] = {"objection_rejected", "objection.rejected"},
    [SL_TM_VERIFY_PASS] = {"verified", "case.closed"},
    [SL_TM_VERIFY_FAIL] = {"verify_failed", "verification.failed"},
};

static json_t *
s_feedback_json(const sl_pb_feedback_t *f)
{
    json_t *o = json_object();
    json_object_set_new(o, "violation_nature", json_string(f->violation_nature));
    json_object_set_new(o, "production_suspended", json_boolean(f->production_suspended));
    json_object_set_new(o, "closed_down", json_boolean(f->closed_down));
    json_object_set_new(o, "penalized", json_boolean(f->penalized));
    json_object_set_new(o, "penalty_fen", json_integer(f->penalty_fen));
    json_object_set_new(o, "license_revoked", json_boolean(f->license_revoked));
    json_object_set_new(o, "major_hazard_rectified", json_boolean(f->major_hazard_rectified));
    json_object_set_new(o, "escalated_verification", json_boolean(f->escalated_verification));
    json_object_set_new(o, "credit_punished", json_boolean(f->credit_punished));
    json_object_set_new(o, "disciplined_count", json_integer(f->disciplined_count));
    json_object_set_new(o, "criminal_count", json_integer(f->criminal_count));
    json_object_set_new(o, "interviews", json_integer(f->interviews));
    json_object_set_new(o, "measures", json_string(s_or(f->measures, "")));
    json_object_set_new(o, "result_text", json_string(s_or(f->result_text, "")));
    json_object_set_new(o, "rectified", json_boolean(f->rectified));
    json_object_set_new(o, "rectify_by", json_string(s_or(f->rectify_by, "")));
    char signed_at[40];
    sl_time_format_iso(f->sign_off->signed_at, signed_at, sizeof signed_at);
    json_object_set_new(o, "sign_off",
                        json_pack("{s:s, s:s, s:s}", "leader_name", f->sign_off->leader_name,
                                  "leader_title", f->sign_off->leader_title, "signed_at",
                                  signed_at));
    if (f->police_result && *f->police_result) {
        json_object_set_new(o, "police_filed", json_boolean(f->police_filed));
        json_object_set_new(o, "police_result", json_string(f->police_result));
    }
    if (f->discipline_result && *f->discipline_result)
        json_object_set_new(o, "discipline_result", json_string(f->discipline_result));
    return o;
}

static void
s_refuse(sl_transfer_result_t *res, const char *code, const char *detail, const char *text)
{
    sl_codec_error_set(&res->err, code, detail, "%s", text);
}

/* The case's status after its transfer of KIND moved to NEXT. The case
 * follows its handling transfer; the police's and the discipline
 * commission's transfers run beside it. A verification that closes the last
 * open transfer closes the case (*CLOSED); a verified handling transfer whose
 * case still has another open is "verified". Locks the case's transfers. */
static int
s_case_follow(sl_db_t *db, int64_t case_id, const char *kind, sl_transfer_state_t next,
              bool *closed)
{
    *closed = false;
    bool handling = strcmp(kind, "handling") == 0;
    if (next != SL_TS_CLOSED)
        return handling ? sl_case_set_status(db, case_id, sl_transfer_case_status(next), NULL) : 0;
    char cid[24];
    snprintf(cid, sizeof cid, "%lld", (long long)case_id);
    const char *p[] = {cid};
    PGresult *r;
    int rc = sl_db_exec(db, &r,
                        "SELECT count(*) FILTER (WHERE state <> 'closed') FROM"
                        " (SELECT state FROM transfer WHERE case_id = $1::bigint ORDER BY id"
                        "  FOR UPDATE) t",
                        1, p);
    if (rc != 0)
        return rc;
    long open = atol(PQgetvalue(r, 0, 0));
    PQclear(r);
    if (open == 0) {
        *closed = true;
        return sl_case_set_status(db, case_id, sl_transfer_case_status(SL_TS_CLOSED), NULL);
    }
    return handling ? sl_case_set_status(db, case_id, "verified", NULL) : 0;
}

/* After transfer TID passed verification (核查通过): the six-list entries of
 * its feedback; when its case closed with it, the end of the case's listed
 * supervision (验收销号, SUPERVISE_END, with its 挂牌督办 entry) and the
 * case's "case_closed" event. */
static int
s_verified(sl_db_t *db, int64_t tid, int64_t case_id, const char *kind, bool case_closed,
           int64_t now_ms, const sl_transfer_actor_t *actor)
{
    char sid[24];
    snprintf(sid, sizeof sid, "%lld", (long long)tid);
    const char *p[] = {sid};
    PGresult *r;
    int rc = sl_db_exec(db, &r,
                        "SELECT t.notice_no, t.unit_code, u.name, c.case_no, c.subject_name,"
                        " coalesce(t.feedback, ''), coalesce(c.unit_code, ''),"
                        " coalesce(cu.name, '')"
                        " FROM transfer t JOIN cases c ON c.id = t.case_id"
                        " JOIN unit u ON u.code = t.unit_code"
                        " LEFT JOIN unit cu ON cu.code = c.unit_code WHERE t.id = $1::bigint",
                        1, p);
    if (rc != 0)
        return rc;
#define V(k) PQgetvalue(r, 0, k)
    sl_ledger_case_t lc = {
        .case_no = V(3), .notice_no = V(0), .unit = V(1), .unit_name = V(2), .subject_name = V(4)};
    sl_ledger_result_t result;
    sl_ledger_item_t items[SL_LEDGER_MAX_ITEMS];
    size_t n = 0;
    if (sl_ledger_result_parse(V(5), kind, &result) == 0)
        n = sl_ledger_map(&result, items);
    else
        sl_log(SL_LOG_WARN, "case=%s notice=%s verified without a readable feedback", V(3), V(0));
    rc = sl_ledger_record(db, case_id, &lc, items, n, now_ms, actor);
    if (rc == 0 && case_closed) {
        sl_supervision_ended_t ended;
        rc = sl_supervision_end(db, case_id, now_ms, actor, &ended);
        if (rc == 0 && ended.ended) {
            sl_ledger_item_t it;
            sl_ledger_supervision_item(ended.leader, ended.title, ended.since, &it);
            sl_ledger_case_t cc = lc;
            cc.unit = V(6);
            cc.unit_name = V(7);
            rc = sl_ledger_record(db, case_id, &cc, &it, 1, now_ms, actor);
        }
        if (rc == 0)
            rc = s_audit(db, case_id, now_ms, "case_closed", actor,
                         json_pack("{s:s, s:s}", "notice_no", V(0), "status", "closed"));
    }
#undef V
    PQclear(r);
    return rc;
}

/* A failed verification (虚假办结) marks transfer TID for escalation, cause
 * FALSE_COMPLETION, once per transfer and cause (the deadline daemon raises
 * it); the marking is audited. */
static int
s_false_completion(sl_db_t *db, int64_t tid, int64_t case_id, const char *notice_no,
                   const char *reason, int64_t now_ms, const sl_transfer_actor_t *actor)
{
    char sid[24], cid[24], at[40];
    snprintf(sid, sizeof sid, "%lld", (long long)tid);
    snprintf(cid, sizeof cid, "%lld", (long long)case_id);
    sl_time_format_iso(now_ms, at, sizeof at);
    const char *p[] = {sid, cid, at, reason ? reason : "", actor->msg_id ? actor->msg_id : ""};
    PGresult *r;
    int rc = sl_db_exec(db, &r,
                        "INSERT INTO transfer_escalation (transfer_id, case_id, cause, marked_at,"
                        " reason, msg_id)"
                        " VALUES ($1::bigint, $2::bigint, 'FALSE_COMPLETION', $3::timestamptz,"
                        " $4, $5) ON CONFLICT (transfer_id, cause) DO NOTHING RETURNING id",
                        5, p);
    if (rc != 0)
        return rc;
    bool marked = PQntuples(r) > 0;
    PQclear(r);
    if (!marked)
        return 0; /* marked before: once per transfer and cause */
    sl_log(SL_LOG_INFO, "notice=%s false completion: marked for escalation", notice_no);
    return s_audit(db, case_id, now_ms, "escalation_marked", actor,
                   json_pack("{s:s, s:s, s:s}", "notice_no", notice_no, "cause", "FALSE_COMPLETION",
                             "reason", reason ? reason : ""));
}

int
sl_transfer_apply(sl_db_t *db, const sl_calendar_t *cal, const char *node, int64_t now_ms,
                  const sl_pb_envelope_t *env, const char *sender, sl_transfer_result_t *res)
{
    memset(res, 0, sizeof *res);
    s_answer_t a;
    if (s_answer_of(env, &a) != 0) {
        s_refuse(res, SL_ERR_UNKNOWN_BODY, NULL, "不是对交办书的答复或决定");
        return SL_DECLINED;
    }
    const char *p1[] = {a.notice_no};
    PGresult *r;
    int rc = sl_db_exec(db, &r,
                        "SELECT t.id, t.state, t.case_id, c.case_no, t.unit_code,"
                        " t.transfer_date, t.objection_deadline, t.sector,"
                        " coalesce(t.suggested_unit, ''), t.notice_no, t.kind"
                        " FROM transfer t JOIN cases c ON c.id = t.case_id"
                        " WHERE t.notice_no = $1 FOR UPDATE OF t",
                        1, p1);
    if (rc != 0)
        return rc;
    if (PQntuples(r) == 0) {
        PQclear(r);
        char text[256];
        snprintf(text, sizeof text, "本节点没有编号为 %.120s 的交办书", a.notice_no);
        s_refuse(res, SL_ERR_UNKNOWN_TRANSFER, NULL, text);
        return SL_DECLINED;
    }
    int64_t tid = atoll(PQgetvalue(r, 0, 0));
    int state = sl_transfer_state_parse(PQgetvalue(r, 0, 1));
    int64_t case_id = atoll(PQgetvalue(r, 0, 2));
    snprintf(res->case_no, sizeof res->case_no, "%s", PQgetvalue(r, 0, 3));
    char unit[48], suggested[48];
    snprintf(unit, sizeof unit, "%s", PQgetvalue(r, 0, 4));
    int32_t tday = 0, oday = 0;
    sl_date_parse(PQgetvalue(r, 0, 5), &tday);
    sl_date_parse(PQgetvalue(r, 0, 6), &oday);
    int sector = atoi(PQgetvalue(r, 0, 7));
    snprintf(suggested, sizeof suggested, "%s", PQgetvalue(r, 0, 8));
    snprintf(res->ref, sizeof res->ref, "%s", PQgetvalue(r, 0, 9));
    char kind[16];
    snprintf(kind, sizeof kind, "%s", PQgetvalue(r, 0, 10));
    PQclear(r);
    if (state < 0) {
        sl_log(SL_LOG_ERROR, "notice=%s has an unknown state", a.notice_no);
        return -1;
    }

    /* Who may send it: the transfer's unit answers; this node decides. */
    bool decision = a.msg >= SL_TM_OBJECTION_ACCEPT;
    const char *must = decision ? node : unit;
    if (strcmp(a.from_unit, must) != 0) {
        char text[256];
        snprintf(text, sizeof text, "%s只能由 %s 发送，收到的发送单位是 %.40s",
                 decision ? "对交办书的决定" : "对该交办书的答复", must, a.from_unit);
        s_refuse(res, SL_ERR_WRONG_ORIGIN, NULL, text);
        return SL_DECLINED;
    }
    int32_t today = sl_ms_to_day(now_ms);
    sl_transfer_guard_t guard = {.today = today, .objection_deadline = oday};
    sl_transfer_outcome_t out;
    sl_transfer_step((sl_transfer_state_t)state, a.msg, &guard, &out);
    if (!out.applied) {
        s_refuse(res, out.code, NULL, out.text);
        return SL_DECLINED;
    }

    /* Checks beyond the table, still before any write. */
    int64_t at = a.at > 0 ? a.at : now_ms;
    int32_t rday = sl_ms_to_day(at);
    char target[48] = "", target_name[256] = "";
    if (a.msg == SL_TM_RECEIPT && (rday < tday || rday > today)) {
        s_refuse(res, SL_ERR_BAD_FIELD, "at", "签收日期须在交办日期与今天之间");
        return SL_DECLINED;
    }
    if (a.msg == SL_TM_FEEDBACK && sl_validate_feedback_kind(env->feedback, kind, &res->err) != 0)
        return SL_DECLINED;
    if (a.msg == SL_TM_OBJECTION_ACCEPT) {
        const char *to = env->decision->to_unit;
        snprintf(target, sizeof target, "%s", to && *to ? to : suggested);
        if (!*target) {
            s_refuse(res, SL_ERR_MISSING_FIELD, "to_unit",
                     "异议成立须指定改派单位（to_unit），异议也未建议承办单位");
            return SL_DECLINED;
        }
        bool has_node;
        rc = sl_unit_get(db, target, target_name, sizeof target_name, &has_node);
        if (rc < 0)
            return rc;
        if (rc == 1 || strcmp(target, unit) == 0) {
            char text[256];
            snprintf(text, sizeof text, "%s %.40s",
                     rc == 1 ? "本节点没有单位" : "改派单位与原承办单位相同：", target);
            s_refuse(res, SL_ERR_BAD_FIELD, "to_unit", text);
            return SL_DECLINED;
        }
    }

    /* Writes. */
    sl_transfer_actor_t actor = {.key = sender,
                                 .unit = a.from_unit,
                                 .operator_name = a.operator_name,
                                 .msg_id = env->msg_id};
    char sid[24], at_s[40], now_s[40];
    snprintf(sid, sizeof sid, "%lld", (long long)tid);
    sl_time_format_iso(at, at_s, sizeof at_s);
    sl_time_format_iso(now_ms, now_s, sizeof now_s);
    const char *next = sl_transfer_state_name(out.next);
    json_t *detail = json_pack("{s:s, s:s, s:s}", "notice_no", res->ref, "from",
                               sl_transfer_state_name((sl_transfer_state_t)state), "to", next);
    switch (a.msg) {
    case SL_TM_RECEIPT: {
        int32_t o2, f2;
        int unknown;
        sl_transfer_deadlines(cal, tday, rday, &o2, &f2, &unknown);
        char rdate[11], odate[11], warn[256];
        sl_date_format(rday, rdate);
        sl_date_format(o2, odate);
        sl_transfer_calendar_warning(unknown, warn, sizeof warn);
        const char *rn = env->receipt->receiver_name;
        const char *p[] = {sid, next, rdate, at_s, rn && *rn ? rn : NULL, odate, warn};
        rc = sl_db_exec(db, NULL,
                        "UPDATE transfer SET state = $2, receipt_date = $3::date,"
                        " received_at = $4::timestamptz, receiver_name = $5,"
                        " objection_deadline = $6::date, calendar_warning = $7"
                        " WHERE id = $1::bigint",
                        7, p);
        json_object_set_new(detail, "receipt_date", json_string(rdate));
        json_object_set_new(detail, "objection_deadline", json_string(odate));
        if (rn && *rn)
            json_object_set_new(detail, "receiver_name", json_string(rn));
        break;
    }
    case SL_TM_OBJECTION: {
        const sl_pb_objection_t *o = env->objection;
        const char *p[] = {sid, next, o->reason,
                           o->suggested_unit && *o->suggested_unit ? o->suggested_unit : NULL,
                           now_s};
        rc = sl_db_exec(db, NULL,
                        "UPDATE transfer SET state = $2, objection_reason = $3,"
                        " suggested_unit = $4, objected_at = $5::timestamptz"
                        " WHERE id = $1::bigint",
                        5, p);
        json_object_set_new(detail, "reason", json_string(o->reason));
        if (o->suggested_unit && *o->suggested_unit)
            json_object_set_new(detail, "suggested_unit", json_string(o->suggested_unit));
        break;
    }
    case SL_TM_PROGRESS: {
        const char *p[] = {sid, next, at_s};
        rc = sl_db_exec(db, NULL,
                        "UPDATE transfer SET state = $2, progress_count = progress_count + 1,"
                        " last_progress_at = $3::timestamptz WHERE id = $1::bigint",
                        3, p);
        json_object_set_new(detail, "text", json_string(env->progress->text));
        break;
    }
    case SL_TM_FEEDBACK: {
        json_t *fb = s_feedback_json(env->feedback);
        char *fbt = json_dumps(fb, JSON_COMPACT | JSON_SORT_KEYS);
        const char *p[] = {sid, next, now_s, fbt};
        rc = sl_db_exec(db, NULL,
                        "UPDATE transfer SET state = $2, fed_back_at = $3::timestamptz,"
                        " feedback = $4 WHERE id = $1::bigint",
                        4, p);
        free(fbt);
        json_object_set_new(detail, "feedback", fb);
        break;
    }
    default: { /* decisions */
        const sl_pb_decision_t *dc = env->decision;
        bool closes = out.next == SL_TS_CLOSED;
        const char *p[] = {sid,
                           next,
                           sl_transfer_msg_name(a.msg),
                           dc->reason && *dc->reason ? dc->reason : NULL,
                           now_s,
                           closes ? now_s : NULL};
        rc = sl_db_exec(db, NULL,
                        "UPDATE transfer SET state = $2, decision = $3, decision_reason = $4,"
                        " decided_at = $5::timestamptz, closed_at = $6::timestamptz"
                        " WHERE id = $1::bigint",
                        6, p);
        if (dc->reason && *dc->reason)
            json_object_set_new(detail, "reason", json_string(dc->reason));
        if (a.msg == SL_TM_OBJECTION_ACCEPT)
            json_object_set_new(detail, "to_unit", json_string(target));
        break;
    }
    }
    if (rc != 0) {
        json_decref(detail);
        return rc;
    }
    bool case_closed = false;
    if (a.msg != SL_TM_OBJECTION_ACCEPT &&
        (rc = s_case_follow(db, case_id, kind, out.next, &case_closed)) != 0) {
        json_decref(detail);
        return rc;
    }
    if (strcmp(kind, "handling") != 0)
        json_object_set_new(detail, "kind", json_string(kind));
    if ((rc = s_audit(db, case_id, now_ms, s_effects[a.msg].kind, &actor, detail)) != 0)
        return rc;
    if (a.msg == SL_TM_VERIFY_PASS &&
        (rc = s_verified(db, tid, case_id, kind, case_closed, now_ms, &actor)) != 0)
        return rc;
    if (a.msg == SL_TM_VERIFY_FAIL &&
        (rc = s_false_completion(db, tid, case_id, res->ref, env->decision->reason, now_ms,
                                 &actor)) != 0)
        return rc;
    if (a.msg == SL_TM_OBJECTION_ACCEPT) {
        /* The case goes to the other unit under a new notice. */
        char old[96], notice[64];
        int64_t new_id;
        snprintf(old, sizeof old, "%s", res->ref);
        sl_transfer_actor_t issuer = {
            .key = sender, .unit = node, .operator_name = a.operator_name, .msg_id = env->msg_id};
        if ((rc = s_issue(db, cal, node, now_ms, case_id, res->case_no, sector, target, 0, NULL,
                          tid, old, &issuer, notice, &new_id, kind)) != 0)
            return rc;
        char nid[24];
        snprintf(nid, sizeof nid, "%lld", (long long)new_id);
        const char *p[] = {sid, nid};
        if ((rc = sl_db_exec(db, NULL,
                             "UPDATE transfer SET replaced_by = $2::bigint WHERE id = $1::bigint",
                             2, p)) != 0)
            return rc;
        snprintf(res->ref, sizeof res->ref, "%s", notice);
    }
    snprintf(res->state, sizeof res->state, "%s", next);
    res->topic = s_effects[a.msg].topic;
    if (a.msg == SL_TM_VERIFY_PASS && !case_closed)
        res->topic = "transfer.verified"; /* another transfer of the case is still open */
    return 0;
}

/* --- reading ------------------------------------------------------------------ */

int
sl_transfer_list(sl_db_t *db, const char *case_no, sl_transfer_row_cb *cb, void *arg)
{
    const char *p[] = {case_no};
    return sl_db_rows(db,
                      "SELECT t.notice_no, c.case_no, t.unit_code, t.state,"
                      " t.transfer_date::text, t.objection_deadline::text,"
                      " t.feedback_deadline::text, t.calendar_warning"
                      " FROM transfer t JOIN cases c ON c.id = t.case_id"
                      " WHERE $1::text IS NULL OR c.case_no = $1 ORDER BY t.id",
                      1, p, cb, arg);
}

/* sl_transfer_fetch's columns, for one transfer or a chunk of them. */
#define S_FETCH \
    "SELECT t.notice_no, t.state, t.unit_code, u.name AS unit_name, t.delivery," \
        " t.transfer_date::text AS transfer_date," \
        " t.objection_deadline::text AS objection_deadline," \
        " t.feedback_deadline::text AS feedback_deadline, t.calendar_warning, t.issued_at," \
        " coalesce(t.receipt_date::text, '') AS receipt_date, t.received_at," \
        " coalesce(t.receiver_name, '') AS receiver_name," \
        " coalesce(t.objection_reason, '') AS objection_reason," \
        " coalesce(t.suggested_unit, '') AS suggested_unit, t.objected_at," \
        " coalesce(t.decision, '') AS decision," \
        " coalesce(t.decision_reason, '') AS decision_reason, t.decided_at," \
        " t.progress_count, t.last_progress_at, t.fed_back_at," \
        " coalesce(t.feedback, '') AS feedback, t.closed_at," \
        " coalesce(l.list_no, '') AS list_no, coalesce(rp.notice_no, '') AS replaces_no," \
        " coalesce(rb.notice_no, '') AS replaced_by_no, t.announce_count, c.case_no," \
        " (c.received_at AT TIME ZONE 'Asia/Shanghai')::date::text AS case_received_date," \
        " c.channel, c.subject_name, d.name AS division_name, c.township, c.address," \
        " s.name AS sector_zh," \
        " coalesce((SELECT string_agg(v.text, '；' ORDER BY v.code) FROM violation v" \
        "           WHERE v.code = ANY (c.violations)), '') AS violations," \
        " c.violation_text, c.description, c.major_hazard, c.suspected_crime," \
        " c.suspected_dereliction, (SELECT name FROM node) AS node_name, t.case_id, t.kind" \
        " FROM transfer t JOIN cases c ON c.id = t.case_id JOIN unit u ON u.code = t.unit_code" \
        " JOIN sector s ON s.code = c.sector JOIN division d ON d.code = c.division" \
        " LEFT JOIN transfer_list l ON l.id = t.list_id" \
        " LEFT JOIN transfer rp ON rp.id = t.replaces" \
        " LEFT JOIN transfer rb ON rb.id = t.replaced_by"

int
sl_transfer_fetch(sl_db_t *db, const char *notice_no, PGresult **res)
{
    const char *p[] = {notice_no};
    return sl_db_exec(db, res, S_FETCH " WHERE t.notice_no = $1", 1, p);
}

char *
sl_transfer_notice_html(const PGresult *r, const char *office, const char *contact)
{
    return sl_transfer_notice_html_row(r, 0, office, contact);
}

char *
sl_transfer_notice_html_row(const PGresult *r, int row, const char *office, const char *contact)
{
#define F(name) PQgetvalue(r, row, PQfnumber(r, name))
    char *def_office = NULL;
    if (!office)
        office = def_office = sl_asprintf("%s“百日攻坚”集中行动领导组办公室", F("node_name"));
    char *place = sl_asprintf("%s%s%s", F("division_name"), F("township"), F("address"));
    sl_notice_t n = {
        .notice_no = F("notice_no"),
        .list_no = F("list_no"),
        .office = office,
        .receiver = F("unit_name"),
        .case_no = F("case_no"),
        .received_date = F("case_received_date"),
        .channel = F("channel"),
        .subject = F("subject_name"),
        .place = place,
        .sector = F("sector_zh"),
        .violations = F("violations"),
        .violation_text = F("violation_text"),
        .description = F("description"),
        .major_hazard = strcmp(F("major_hazard"), "t") == 0,
        .suspected_crime = strcmp(F("suspected_crime"), "t") == 0,
        .suspected_dereliction = strcmp(F("suspected_dereliction"), "t") == 0,
        .transfer_date = F("transfer_date"),
        .objection_deadline = F("objection_deadline"),
        .feedback_deadline = F("feedback_deadline"),
        .calendar_warning = F("calendar_warning"),
        .replaces = F("replaces_no"),
        .contact = contact,
    };
#undef F
    char *html = sl_notice_html(&n);
    free(place);
    free(def_office);
    return html;
}

long
sl_transfer_announce(sl_db_t *db, int64_t now_ms, sl_transfer_announce_cb *cb, void *arg)
{
    char at[40], after[24] = "0", limit[24];
    sl_time_format_iso(now_ms, at, sizeof at);
    snprintf(limit, sizeof limit, "%d", SL_TRANSFER_ANNOUNCE_CHUNK);
    long total = 0;
    for (;;) {
        const char *p[] = {at, after, limit};
        PGresult *r;
        int rc = sl_db_exec(db, &r,
                            "WITH a AS (UPDATE transfer SET announced_at = $1::timestamptz,"
                            "   announce_count = announce_count + 1"
                            "   WHERE id IN (SELECT id FROM transfer WHERE state = 'issued'"
                            "     AND delivery = 'event' AND id > $2::bigint ORDER BY id"
                            "     LIMIT $3::int) RETURNING id)"
                            " SELECT coalesce(array_agg(id ORDER BY id)::text, '{}'),"
                            " coalesce(max(id), 0), count(*) FROM a",
                            3, p);
        if (rc != 0)
            return rc;
        long n = atol(PQgetvalue(r, 0, 2));
        snprintf(after, sizeof after, "%s", PQgetvalue(r, 0, 1));
        const char *ids[] = {PQgetvalue(r, 0, 0)};
        PGresult *rows = NULL;
        rc = n > 0 ? sl_db_exec(db, &rows, S_FETCH " WHERE t.id = ANY ($1::bigint[]) ORDER BY t.id",
                                1, ids)
                   : 0;
        PQclear(r);
        if (rc != 0)
            return rc;
        for (int i = 0; rows && i < PQntuples(rows); i++)
            cb(arg, rows, i);
        PQclear(rows);
        total += n;
        if (n < SL_TRANSFER_ANNOUNCE_CHUNK)
            return total;
        sl_log(SL_LOG_INFO, "announcing the transfers not yet received: %ld so far", total);
    }
}

long
sl_transfer_recompute(sl_db_t *db, const sl_calendar_t *cal, int64_t now_ms,
                      const sl_transfer_actor_t *actor)
{
    PGresult *r = NULL;
    long changed = 0;
    int rc = sl_db_begin(db);
    if (rc != 0)
        return rc;
    if ((rc = sl_db_exec(db, &r,
                         "SELECT id, case_id, notice_no, transfer_date::text,"
                         " coalesce(receipt_date::text, ''), objection_deadline::text,"
                         " feedback_deadline::text, calendar_warning FROM transfer"
                         " WHERE calendar_warning <> '' AND state <> 'closed'"
                         " ORDER BY id FOR UPDATE SKIP LOCKED",
                         0, NULL)) != 0)
        goto fail;
    for (int i = 0; i < PQntuples(r); i++) {
        int32_t tday, rday = -1, o, f;
        int unknown;
        sl_date_parse(PQgetvalue(r, i, 3), &tday);
        if (*PQgetvalue(r, i, 4))
            sl_date_parse(PQgetvalue(r, i, 4), &rday);
        sl_transfer_deadlines(cal, tday, rday, &o, &f, &unknown);
        char od[11], fd[11], warn[256];
        sl_date_format(o, od);
        sl_date_format(f, fd);
        sl_transfer_calendar_warning(unknown, warn, sizeof warn);
        if (strcmp(od, PQgetvalue(r, i, 5)) == 0 && strcmp(fd, PQgetvalue(r, i, 6)) == 0 &&
            strcmp(warn, PQgetvalue(r, i, 7)) == 0)
            continue;
        const char *p[] = {PQgetvalue(r, i, 0), od, fd, warn};
        if ((rc = sl_db_exec(db, NULL,
                             "UPDATE transfer SET objection_deadline = $2::date,"
                             " feedback_deadline = $3::date, calendar_warning = $4"
                             " WHERE id = $1::bigint",
                             4, p)) != 0)
            goto fail;
        json_t *d =
            json_pack("{s:s, s:s, s:s, s:s, s:s}", "notice_no", PQgetvalue(r, i, 2),
                      "objection_deadline", od, "feedback_deadline", fd, "was_objection_deadline",
                      PQgetvalue(r, i, 5), "was_feedback_deadline", PQgetvalue(r, i, 6));
        if (*warn)
            json_object_set_new(d, "calendar_warning", json_string(warn));
        if ((rc = s_audit(db, atoll(PQgetvalue(r, i, 1)), now_ms, "deadlines_recomputed", actor,
                          d)) != 0)
            goto fail;
        sl_log(SL_LOG_INFO,
               "notice=%s deadlines recomputed on the new calendar: objection by "
               "%s, feedback by %s",
               PQgetvalue(r, i, 2), od, fd);
        changed++;
    }
    PQclear(r);
    r = NULL;
    if ((rc = sl_db_commit(db)) != 0)
        goto fail;
    return changed;
fail:
    if (rc == -1)
        sl_log(SL_LOG_ERROR, "could not recompute deadlines: %s", sl_db_error(db));
    PQclear(r);
    sl_db_rollback(db);
    return rc;
}
