/* sl_transfer.c — reading transfers and recomputing their deadlines.
 *
 * The transfer module is a family of files, the only writers of transfer,
 * transfer_list and transfer_escalation: sl_transfer_list.c forms lists and
 * issues (and announces) transfers, sl_transfer_answer.c applies answers and
 * decisions, sl_transfer_clock.c runs the clocks, sl_transfer_fsm.c is the
 * pure state table; this file reads transfers for display and the notice and
 * recomputes deadlines after a calendar import. */
#include "sl_transfer_int.h"

#include "sl_audit.h"
#include "sl_clock.h"
#include "sl_deadline.h"
#include "sl_log.h"
#include "sl_notice.h"
#include "sl_sector.h"
#include "sl_util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- reading ------------------------------------------------------------------ */

int
sl_transfer_upper_margin(const sl_config_t *cfg)
{
    return cfg ? (int)sl_config_int(cfg, "dispatch", "upper_margin_days")
               : SL_TRANSFER_UPPER_MARGIN;
}

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

int
sl_transfer_fetch(sl_db_t *db, const char *notice_no, PGresult **res)
{
    const char *p[] = {notice_no};
    return sl_db_exec(db, res, SL__TRANSFER_FETCH " WHERE t.notice_no = $1", 1, p);
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
    char sector[256];
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
        .sector = sl_sector_label(sl_sector_by_value(atoi(F("sector_code"))), F("sector_text"),
                                  sector, sizeof sector),
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
        .kind = F("kind"),
        .receiver_kind = F("unit_kind"),
        .upper_notice_no = F("upper_notice_no"),
        .upper_office = F("upper_office"),
        .repeat_count = atoi(F("repeat_count")),
    };
#undef F
    char *html = sl_notice_html(&n);
    free(place);
    free(def_office);
    return html;
}

long
sl_transfer_recompute(sl_db_t *db, const sl_calendar_t *cal, int64_t now_ms,
                      const sl_actor_t *actor)
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
        if ((rc = sl_audit_append_json(db, atoll(PQgetvalue(r, i, 1)), now_ms, "deadlines_recomputed", actor,
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
