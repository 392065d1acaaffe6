/* cmd_transfer.c — `slctl transfer …`: transfers as operators read and answer them.
 *
 * list and show read the database. The answers — receipt, objection,
 * progress, feedback — and the issuing node's decision on an objection are
 * envelopes sent through the node's intake, like a unit's own system would
 * send them, so they are validated, applied, audited and acked the same way;
 * the operator answers on the unit's behalf (from_unit defaults to the
 * transfer's unit) and is named on the audit chain. */
#include "slctl.h"

#include "sl_case.h"

#include "sl_audit.h"
#include "sl_clock.h"
#include "sl_closing.h"
#include "sl_codec.h"
#include "sl_transfer.h"
#include "sl_transfer_fsm.h"
#include "sl_util.h"
#include "sl_words.h"

#include <getopt.h>
#include <jansson.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char s_usage[] =
    "usage: slctl transfer list [--case NO]\n"
    "       slctl transfer show NOTICE_NO [--html]\n"
    "       slctl transfer receipt NOTICE_NO [--receiver NAME] [--at ISO]\n"
    "       slctl transfer objection NOTICE_NO --reason TEXT [--suggest UNIT]\n"
    "       slctl transfer progress NOTICE_NO --text TEXT\n"
    "       slctl transfer feedback NOTICE_NO --nature TEXT --leader NAME --leader-title TITLE\n"
    "           [--signed-at ISO] [--suspended] [--closed-down] [--penalized] [--penalty-fen N]\n"
    "           [--license-revoked] [--hazard-rectified] [--escalated] [--credit-punished]\n"
    "           [--disciplined N] [--criminal N] [--interviews N] [--measures TEXT]\n"
    "           [--result TEXT] [--rectified] [--rectify-by YYYY-MM-DD]\n"
    "           [--conclusion 属实|部分属实|不属实|查无实据] [--license-suspended]\n"
    "           [--exposed WHERE] [--rectify-responsible NAME] [--accountability TEXT]\n"
    "           [--umbrella TEXT] [--organisational TEXT] (measures ⑤⑥⑦; persons with\n"
    "           --accountability-persons N, --umbrella-persons N, --organisational-persons N)\n"
    "           police transfers: --police-result TEXT [--police-filed] (立案 / 不予立案);\n"
    "           discipline commission transfers: --discipline-result TEXT (处分)\n"
    "           两移交 found by the check: [--crime-found] [--dereliction-found]; the lower\n"
    "           level's own transfers' outcomes: [--police-outcome TEXT]\n"
    "           [--discipline-outcome TEXT]\n"
    "       slctl transfer decide NOTICE_NO (--accept [--to UNIT] | --reject) --reason TEXT\n"
    "       slctl transfer decide NOTICE_NO (--verify-pass | --verify-fail --reason TEXT)\n"
    "  answers and decisions also take: [--from UNIT] [--operator NAME] [--at ISO]\n"
    "  [--msg-id ID] [--endpoint EP] [--timeout SECONDS]; from_unit defaults to the\n"
    "  transfer's unit (decide: this node). They print status<TAB>case number<TAB>notice\n"
    "  number<TAB>msg_id; exit 0 accepted or duplicate, 3 rejected (code on stderr), 4 no answer,\n"
    "  1 if the transfer's unit could not be looked up (the database away: nothing sent).\n"
    "list prints: notice no, case no, unit, state, transfer date, objection deadline,\n"
    "  feedback deadline, calendar warning (tab-separated, one transfer a line).\n";

static void
s_row(void *arg, const char *const *c)
{
    (void)arg;
    printf("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]);
}

/* Prints the events of the case that concern notice ARG: its registration,
 * and every event whose detail names the notice (or the notice it replaced). */
static void
s_event(void *arg, const sl_audit_event_t *ev, const char *prev_hash, const char *hash)
{
    (void)prev_hash;
    (void)hash;
    const char *notice = arg;
    bool mine = strcmp(ev->kind, "registered") == 0;
    if (!mine) {
        /* details are ASCII-escaped JSON: compare the decoded strings */
        json_t *o = json_loads(ev->detail, 0, NULL);
        const char *n = o ? json_string_value(json_object_get(o, "notice_no")) : NULL;
        const char *r = o ? json_string_value(json_object_get(o, "replaces")) : NULL;
        mine = (n && strcmp(n, notice) == 0) || (r && strcmp(r, notice) == 0);
        json_decref(o);
    }
    if (!mine)
        return;
    sl_buf_t b;
    sl_buf_init(&b);
    sl_words_event(&b, ev);
    printf("%s\n", b.data);
    sl_buf_free(&b);
}

static PGresult *
s_fetch(sl_ctl_t *ctl, const char *notice_no)
{
    sl_db_t *db = sl_ctl_db_current(ctl);
    PGresult *r;
    if (sl_transfer_fetch(db, notice_no, &r) != 0)
        sl_ctl_die(SL_EXIT_FAIL, "could not read transfer %s: %s", notice_no, sl_db_error(db));
    if (PQntuples(r) == 0) {
        PQclear(r);
        sl_ctl_die(SL_EXIT_FAIL, "no transfer %s", notice_no);
    }
    return r;
}

static int
s_show(sl_ctl_t *ctl, int argc, char **argv)
{
    bool html = false;
    static const struct option opts[] = {{"html", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (opt == 'h')
            html = true;
        else
            return SL_EXIT_USAGE;
    }
    if (optind + 1 != argc)
        sl_ctl_die(SL_EXIT_USAGE, "usage: slctl transfer show NOTICE_NO [--html]");
    const char *no = argv[optind];
    PGresult *r = s_fetch(ctl, no);
    sl_config_t *cfg = sl_ctl_config(ctl);
    if (html) {
        char *text = sl_transfer_notice_html(r, sl_config_str(cfg, "dispatch", "office"),
                                             sl_config_str(cfg, "dispatch", "contact"));
        fputs(text, stdout);
        free(text);
        PQclear(r);
        return SL_EXIT_OK;
    }
    static const struct {
        const char *label, *col;
    } fields[] = {
        {"交办文号", "notice_no"},
        {"交办清单", "list_no"},
        {"线索编号", "case_no"},
        {"状态", "state"},
        {"承办单位", "unit_name"},
        {"承办单位编码", "unit_code"},
        {"交办类型", "kind"},
        {"送达方式", "delivery"},
        {"交办日期", "transfer_date"},
        {"异议期限", "objection_deadline"},
        {"反馈期限", "feedback_deadline"},
        {"日历提示", "calendar_warning"},
        {"签收日期", "receipt_date"},
        {"签收人", "receiver_name"},
        {"异议理由", "objection_reason"},
        {"建议承办单位", "suggested_unit"},
        {"决定", "decision"},
        {"决定理由", "decision_reason"},
        {"进展次数", "progress_count"},
        {"反馈时间", "fed_back_at"},
        {"办理结果", "feedback"},
        {"办结时间", "closed_at"},
        {"原交办文号", "replaces_no"},
        {"改派后交办文号", "replaced_by_no"},
        {"通知次数", "announce_count"},
    };
    for (size_t i = 0; i < SL_ARRAY_LEN(fields); i++) {
        const char *v = PQgetvalue(r, 0, PQfnumber(r, fields[i].col));
        const char *col = fields[i].col;
        if (strcmp(col, "state") == 0 && strcmp(v, "closed") == 0 &&
            (*PQgetvalue(r, 0, PQfnumber(r, "replaced_by_no")) ||
             strcmp(PQgetvalue(r, 0, PQfnumber(r, "decision")), "withdrawn") == 0))
            v = "已撤回"; /* replaced after an accepted objection, or withdrawn from above */
        else if (strcmp(col, "state") == 0)
            v = sl_words_label("transfer_state", v);
        else if (strcmp(col, "kind") == 0)
            v = sl_words_label("transfer_kind", v);
        else if (strcmp(col, "delivery") == 0)
            v = sl_words_label("delivery", v);
        else if (strcmp(col, "decision") == 0)
            v = sl_words_label("value", v);
        if (strcmp(col, "feedback") == 0 && *v) {
            sl_buf_t b;
            sl_buf_init(&b);
            sl_words_detail(&b, v, "\n");
            printf("%s\n%s", fields[i].label, b.data ? b.data : "");
            sl_buf_free(&b);
            continue;
        }
        printf("%s\t%s\n", fields[i].label, v);
    }
    int64_t case_id = atoll(PQgetvalue(r, 0, PQfnumber(r, "case_id")));
    PQclear(r);
    printf("历史\n");
    if (sl_audit_list(sl_ctl_db(ctl), case_id, s_event, (void *)no) < 0)
        sl_ctl_die(SL_EXIT_FAIL, "could not read the history: %s", sl_db_error(sl_ctl_db(ctl)));
    return SL_EXIT_OK;
}

/* --- answers --------------------------------------------------------------------- */

enum {
    O_FROM = 256,
    O_OPERATOR,
    O_AT,
    O_MSG_ID,
    O_ENDPOINT,
    O_TIMEOUT,
    O_RECEIVER,
    O_REASON,
    O_SUGGEST,
    O_TEXT,
    O_NATURE,
    O_LEADER,
    O_LEADER_TITLE,
    O_SIGNED_AT,
    O_SUSPENDED,
    O_CLOSED_DOWN,
    O_PENALIZED,
    O_PENALTY_FEN,
    O_LICENSE,
    O_HAZARD,
    O_ESCALATED,
    O_CREDIT,
    O_DISCIPLINED,
    O_CRIMINAL,
    O_INTERVIEWS,
    O_MEASURES,
    O_RESULT,
    O_RECTIFIED,
    O_RECTIFY_BY,
    O_SUBJECT_KIND,
    O_ACCEPT,
    O_REJECT,
    O_TO,
    O_POLICE_FILED,
    O_POLICE_RESULT,
    O_DISCIPLINE_RESULT,
    O_VERIFY_PASS,
    O_VERIFY_FAIL,
    O_CONCLUSION, /* the result of the check (issue 15) */
    O_LICENSE_SUSPENDED,
    O_EXPOSED,
    O_RECTIFY_RESPONSIBLE,
    O_MEASURE_5,
    O_MEASURE_6,
    O_MEASURE_7,
    O_MEASURE_5_PERSONS,
    O_MEASURE_6_PERSONS,
    O_MEASURE_7_PERSONS,
    O_CATEGORY,
    O_CRIME_FOUND, /* 两移交 found by the check (issue 16) */
    O_DERELICTION_FOUND,
    O_POLICE_OUTCOME,
    O_DISCIPLINE_OUTCOME
};

static int64_t
s_time(const char *s, const char *flag)
{
    int64_t ms;
    if (sl_time_parse_iso(s, &ms) != 0)
        sl_ctl_die(SL_EXIT_USAGE, "%s takes an ISO 8601 time, e.g. 2022-01-28T10:00:00+08:00",
                   flag);
    return ms;
}

static long long
s_number(const char *s, const char *flag, long long max)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*end || end == s || v < 0 || v > max)
        sl_ctl_die(SL_EXIT_USAGE, "%s takes a number from 0 to %lld", flag, max);
    return v;
}

static int32_t
s_count(const char *s, const char *flag)
{
    return (int32_t)s_number(s, flag, 1000000);
}

/* --conclusion: 属实, 部分属实, 不属实, 查无实据 (or the enum's names). */
static Safeloop__V1__Feedback__Conclusion
s_conclusion(const char *s)
{
    int c = sl_closing_conclusion_parse(s);
    if (c < 0)
        sl_ctl_die(SL_EXIT_USAGE, "--conclusion takes 属实, 部分属实, 不属实 or 查无实据");
    return (Safeloop__V1__Feedback__Conclusion)c;
}

static int
s_answer(sl_ctl_t *ctl, const char *kind, int argc, char **argv)
{
    static const struct option opts[] = {
        {"from", required_argument, NULL, O_FROM},
        {"operator", required_argument, NULL, O_OPERATOR},
        {"at", required_argument, NULL, O_AT},
        {"msg-id", required_argument, NULL, O_MSG_ID},
        {"endpoint", required_argument, NULL, O_ENDPOINT},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"receiver", required_argument, NULL, O_RECEIVER},
        {"reason", required_argument, NULL, O_REASON},
        {"suggest", required_argument, NULL, O_SUGGEST},
        {"text", required_argument, NULL, O_TEXT},
        {"nature", required_argument, NULL, O_NATURE},
        {"leader", required_argument, NULL, O_LEADER},
        {"leader-title", required_argument, NULL, O_LEADER_TITLE},
        {"signed-at", required_argument, NULL, O_SIGNED_AT},
        {"suspended", no_argument, NULL, O_SUSPENDED},
        {"closed-down", no_argument, NULL, O_CLOSED_DOWN},
        {"penalized", no_argument, NULL, O_PENALIZED},
        {"penalty-fen", required_argument, NULL, O_PENALTY_FEN},
        {"license-revoked", no_argument, NULL, O_LICENSE},
        {"hazard-rectified", no_argument, NULL, O_HAZARD},
        {"escalated", no_argument, NULL, O_ESCALATED},
        {"credit-punished", no_argument, NULL, O_CREDIT},
        {"disciplined", required_argument, NULL, O_DISCIPLINED},
        {"criminal", required_argument, NULL, O_CRIMINAL},
        {"interviews", required_argument, NULL, O_INTERVIEWS},
        {"measures", required_argument, NULL, O_MEASURES},
        {"result", required_argument, NULL, O_RESULT},
        {"rectified", no_argument, NULL, O_RECTIFIED},
        {"subject-kind", required_argument, NULL, O_SUBJECT_KIND},
        {"rectify-by", required_argument, NULL, O_RECTIFY_BY},
        {"accept", no_argument, NULL, O_ACCEPT},
        {"reject", no_argument, NULL, O_REJECT},
        {"to", required_argument, NULL, O_TO},
        {"police-filed", no_argument, NULL, O_POLICE_FILED},
        {"police-result", required_argument, NULL, O_POLICE_RESULT},
        {"discipline-result", required_argument, NULL, O_DISCIPLINE_RESULT},
        {"verify-pass", no_argument, NULL, O_VERIFY_PASS},
        {"verify-fail", no_argument, NULL, O_VERIFY_FAIL},
        {"conclusion", required_argument, NULL, O_CONCLUSION},
        {"license-suspended", no_argument, NULL, O_LICENSE_SUSPENDED},
        {"exposed", required_argument, NULL, O_EXPOSED},
        {"rectify-responsible", required_argument, NULL, O_RECTIFY_RESPONSIBLE},
        {"accountability", required_argument, NULL, O_MEASURE_5},
        {"umbrella", required_argument, NULL, O_MEASURE_6},
        {"organisational", required_argument, NULL, O_MEASURE_7},
        {"accountability-persons", required_argument, NULL, O_MEASURE_5_PERSONS},
        {"umbrella-persons", required_argument, NULL, O_MEASURE_6_PERSONS},
        {"organisational-persons", required_argument, NULL, O_MEASURE_7_PERSONS},
        {"category", required_argument, NULL, O_CATEGORY},
        {"crime-found", no_argument, NULL, O_CRIME_FOUND},
        {"dereliction-found", no_argument, NULL, O_DERELICTION_FOUND},
        {"police-outcome", required_argument, NULL, O_POLICE_OUTCOME},
        {"discipline-outcome", required_argument, NULL, O_DISCIPLINE_OUTCOME},
        {NULL, 0, NULL, 0},
    };
    const char *from = NULL, *operator_name = NULL, *msg_id = NULL, *endpoint = NULL;
    const char *receiver = NULL, *reason = NULL, *suggest = NULL, *text = NULL, *to = NULL;
    double timeout = 10;
    int64_t at = sl_now_ms(), signed_at = 0;
    int accept = -1;
    sl_pb_feedback_t fb = SAFELOOP__V1__FEEDBACK__INIT;
    sl_pb_sign_off_t so = SAFELOOP__V1__SIGN_OFF__INIT;
    bool has_leader = false;
    sl_pb_measure_t measures[3] = {SAFELOOP__V1__MEASURE__INIT, SAFELOOP__V1__MEASURE__INIT,
                                   SAFELOOP__V1__MEASURE__INIT};
    bool measure_taken[3] = {false, false, false};
    int opt;
    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        // clang-format off
        switch (opt) {
        case O_FROM: from = optarg; break;
        case O_OPERATOR: operator_name = optarg; break;
        case O_AT: at = s_time(optarg, "--at"); break;
        case O_MSG_ID: msg_id = optarg; break;
        case O_ENDPOINT: endpoint = optarg; break;
        case O_TIMEOUT: timeout = atof(optarg); break;
        case O_RECEIVER: receiver = optarg; break;
        case O_REASON: reason = optarg; break;
        case O_SUGGEST: suggest = optarg; break;
        case O_TEXT: text = optarg; break;
        case O_NATURE: fb.violation_nature = optarg; break;
        case O_LEADER: so.leader_name = optarg; has_leader = true; break;
        case O_LEADER_TITLE: so.leader_title = optarg; has_leader = true; break;
        case O_SIGNED_AT: signed_at = s_time(optarg, "--signed-at"); break;
        case O_SUSPENDED: fb.production_suspended = true; break;
        case O_CLOSED_DOWN: fb.closed_down = true; break;
        case O_PENALIZED: fb.penalized = true; break;
        case O_PENALTY_FEN: fb.penalty_fen = s_number(optarg, "--penalty-fen", 1000000000000000LL); break;
        case O_LICENSE: fb.license_revoked = true; break;
        case O_HAZARD: fb.major_hazard_rectified = true; break;
        case O_ESCALATED: fb.escalated_verification = true; break;
        case O_CREDIT: fb.credit_punished = true; break;
        case O_DISCIPLINED: fb.disciplined_count = s_count(optarg, "--disciplined"); break;
        case O_CRIMINAL: fb.criminal_count = s_count(optarg, "--criminal"); break;
        case O_INTERVIEWS: fb.interviews = s_count(optarg, "--interviews"); break;
        case O_MEASURES: fb.measures = optarg; break;
        case O_RESULT: fb.result_text = optarg; break;
        case O_RECTIFIED: fb.rectified = true; break;
        case O_RECTIFY_BY: fb.rectify_by = optarg; break;
        case O_SUBJECT_KIND:
            fb.subject_kind = sl_case_subject_kind_value(optarg);
            if (strcmp(sl_case_subject_kind(fb.subject_kind), optarg) != 0)
                sl_ctl_die(SL_EXIT_USAGE, "--subject-kind takes 单位, 个体工商户 or 自然人");
            break;
        case O_ACCEPT: accept = 1; break;
        case O_REJECT: accept = 0; break;
        case O_TO: to = optarg; break;
        case O_POLICE_FILED: fb.police_filed = true; break;
        case O_POLICE_RESULT: fb.police_result = optarg; break;
        case O_DISCIPLINE_RESULT: fb.discipline_result = optarg; break;
        case O_VERIFY_PASS: accept = 2; break;
        case O_VERIFY_FAIL: accept = 3; break;
        case O_CONCLUSION: fb.conclusion = s_conclusion(optarg); break;
        case O_LICENSE_SUSPENDED: fb.license_suspended = true; break;
        case O_EXPOSED: fb.exposed = true; fb.exposed_where = optarg; break;
        case O_RECTIFY_RESPONSIBLE: fb.rectify_responsible = optarg; break;
        case O_CRIME_FOUND: fb.crime_found = true; break;
        case O_DERELICTION_FOUND: fb.dereliction_found = true; break;
        case O_POLICE_OUTCOME: fb.police_outcome = optarg; break;
        case O_DISCIPLINE_OUTCOME: fb.discipline_outcome = optarg; break;
        case O_MEASURE_5: case O_MEASURE_6: case O_MEASURE_7:
            measures[opt - O_MEASURE_5].detail = optarg;
            measure_taken[opt - O_MEASURE_5] = true;
            break;
        case O_MEASURE_5_PERSONS: case O_MEASURE_6_PERSONS: case O_MEASURE_7_PERSONS:
            measures[opt - O_MEASURE_5_PERSONS].persons = s_count(optarg, "--*-persons");
            measure_taken[opt - O_MEASURE_5_PERSONS] = true;
            break;
        case O_CATEGORY: fb.category = optarg; break;
        default:
            fputs(s_usage, stderr);
            return SL_EXIT_USAGE;
        }
        // clang-format on
    }
    if (optind + 1 != argc) {
        fputs(s_usage, stderr);
        return SL_EXIT_USAGE;
    }
    bool decide = strcmp(kind, "decide") == 0;
    if (decide && accept < 0)
        sl_ctl_die(SL_EXIT_USAGE,
                   "transfer decide needs --accept, --reject, --verify-pass or --verify-fail");
    char *notice = argv[optind];
    if (!operator_name) {
        struct passwd *pw = getpwuid(getuid());
        operator_name = pw ? pw->pw_name : "unknown";
    }
    char unit[64] = "";
    if (from) {
        snprintf(unit, sizeof unit, "%s", from);
    } else if (decide) {
        snprintf(unit, sizeof unit, "%s", sl_config_node(sl_ctl_config(ctl)));
    } else {
        /* on the unit's behalf: the transfer's unit, if the node knows the notice;
         * a lookup that fails (the database restarting) sends nothing: a guessed
         * unit would be refused wrong_origin and stay a dead letter */
        sl_db_t *db = sl_ctl_db_current(ctl);
        PGresult *r;
        if (sl_transfer_fetch(db, notice, &r) != 0)
            sl_ctl_die(SL_EXIT_FAIL,
                       "could not look up the unit of notice %s in the database; nothing sent:"
                       " run the command again, or name the unit with --from",
                       notice);
        if (PQntuples(r) > 0)
            snprintf(unit, sizeof unit, "%s", PQgetvalue(r, 0, PQfnumber(r, "unit_code")));
        PQclear(r);
        if (!unit[0])
            snprintf(unit, sizeof unit, "%s", "-"); /* intake answers unknown_transfer */
    }
    char id[37];
    if (!msg_id) {
        sl_uuid(id);
        msg_id = id;
    }
    sl_pb_envelope_t env = SL_PB_ENVELOPE_INIT;
    env.msg_id = (char *)msg_id;
    env.producer = "slctl";
    env.sent_at = sl_now_ms();
    sl_pb_receipt_t rc_ = SAFELOOP__V1__RECEIPT__INIT;
    sl_pb_objection_t ob = SAFELOOP__V1__OBJECTION__INIT;
    sl_pb_progress_t pr = SAFELOOP__V1__PROGRESS__INIT;
    sl_pb_decision_t dc = SAFELOOP__V1__DECISION__INIT;
#define S_FILL(m)                                                                                  \
    do {                                                                                           \
        (m).notice_no = notice;                                                                    \
        (m).from_unit = unit;                                                                      \
        (m).operator_ = (char *)operator_name;                                                     \
        (m).at = at;                                                                               \
    } while (0)
    if (strcmp(kind, "receipt") == 0) {
        S_FILL(rc_);
        rc_.receiver_name = (char *)(receiver ? receiver : "");
        env.body_case = SAFELOOP__V1__ENVELOPE__BODY_RECEIPT;
        env.receipt = &rc_;
    } else if (strcmp(kind, "objection") == 0) {
        S_FILL(ob);
        ob.reason = (char *)(reason ? reason : "");
        ob.suggested_unit = (char *)(suggest ? suggest : "");
        env.body_case = SAFELOOP__V1__ENVELOPE__BODY_OBJECTION;
        env.objection = &ob;
    } else if (strcmp(kind, "progress") == 0) {
        S_FILL(pr);
        pr.text = (char *)(text ? text : "");
        env.body_case = SAFELOOP__V1__ENVELOPE__BODY_PROGRESS;
        env.progress = &pr;
    } else if (strcmp(kind, "feedback") == 0) {
        S_FILL(fb);
        if (has_leader) {
            so.signed_at = signed_at ? signed_at : at;
            fb.sign_off = &so;
        }
        env.body_case = SAFELOOP__V1__ENVELOPE__BODY_FEEDBACK;
        env.feedback = &fb;
        sl_pb_measure_t **slot[] = {&fb.accountability, &fb.protective_umbrella,
                                    &fb.organisational};
        for (int i = 0; i < 3; i++)
            *slot[i] = measure_taken[i] ? &measures[i] : NULL;
    } else {
        S_FILL(dc);
        static const Safeloop__V1__Decision__Kind kinds[] = {
            SAFELOOP__V1__DECISION__KIND__OBJECTION_REJECT,
            SAFELOOP__V1__DECISION__KIND__OBJECTION_ACCEPT,
            SAFELOOP__V1__DECISION__KIND__VERIFY_PASS, SAFELOOP__V1__DECISION__KIND__VERIFY_FAIL};
        dc.kind = kinds[accept];
        dc.reason = (char *)(reason ? reason : "");
        dc.to_unit = (char *)(to ? to : "");
        env.body_case = SAFELOOP__V1__ENVELOPE__BODY_DECISION;
        env.decision = &dc;
    }
#undef S_FILL
    size_t len;
    uint8_t *bytes = sl_codec_encode_envelope(&env, &len);
    int rc = sl_ctl_send(ctl, endpoint, bytes, len, msg_id, timeout);
    free(bytes);
    return rc;
}

int
sl_ctl_transfer_answer(sl_ctl_t *ctl, const char *kind, int argc, char **argv)
{
    return s_answer(ctl, kind, argc, argv);
}

int
sl_ctl_transfer(sl_ctl_t *ctl, int argc, char **argv)
{
    if (argc < 2) {
        fputs(s_usage, stderr);
        return SL_EXIT_USAGE;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "list") == 0) {
        const char *case_no = NULL;
        static const struct option opts[] = {{"case", required_argument, NULL, 'c'},
                                             {NULL, 0, NULL, 0}};
        int opt;
        while ((opt = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
            if (opt == 'c')
                case_no = optarg;
            else
                return SL_EXIT_USAGE;
        }
        sl_db_t *db = sl_ctl_db_current(ctl);
        if (sl_transfer_list(db, case_no, s_row, NULL) != 0)
            sl_ctl_die(SL_EXIT_FAIL, "could not list transfers: %s", sl_db_error(db));
        return SL_EXIT_OK;
    }
    if (strcmp(sub, "show") == 0)
        return s_show(ctl, argc - 1, argv + 1);
    static const char *const answers[] = {"receipt", "objection", "progress", "feedback", "decide"};
    for (size_t i = 0; i < SL_ARRAY_LEN(answers); i++)
        if (strcmp(sub, answers[i]) == 0)
            return s_answer(ctl, sub, argc - 1, argv + 1);
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "help") == 0) {
        fputs(s_usage, stdout);
        return SL_EXIT_OK;
    }
    fputs(s_usage, stderr);
    sl_ctl_die(SL_EXIT_USAGE, "unknown transfer command \"%s\"", sub);
}
