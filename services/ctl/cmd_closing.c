/* cmd_closing.c — `slctl case verify|supervise`: closing a case and listing it.
 *
 * Verification (核查) of a case's fed-back transfer and listing a case for
 * supervision (挂牌督办) are this node's decisions: Decision envelopes
 * (VERIFY_PASS / VERIFY_FAIL / SUPERVISE) sent through the node's intake like
 * every change of a case, so they are validated, applied in intake's batch
 * transaction, audited with the operator and acked (ref: the notice number;
 * for a listing "supervision:<id>"). */
#include "slctl.h"

#include "sl_clock.h"
#include "sl_codec.h"
#include "sl_transfer.h"
#include "sl_util.h"

#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char s_usage[] =
    "usage: slctl case verify NO (--pass | --fail --reason TEXT) [--notice NOTICE_NO]\n"
    "       slctl case supervise NO --leader NAME [--title TITLE] [--reason TEXT]\n"
    "       slctl case refer NO (--police | --discipline) --reason TEXT\n"
    "  all also take: [--operator NAME] [--at ISO] [--msg-id ID] [--endpoint EP]\n"
    "  [--timeout SECONDS]. verify finds the case's fed-back transfer (--notice picks one\n"
    "  when several are fed back: the handling, police and discipline transfers). They print\n"
    "  status<TAB>case number<TAB>ref<TAB>msg_id; exit 0 accepted or duplicate, 3 rejected\n"
    "  (code on stderr), 4 no answer.\n";

typedef struct {
    char notices[8][96]; /* fed-back transfers of the case */
    int n;
} s_fed_t;

static void
s_fed(void *arg, const char *const *cols)
{
    s_fed_t *f = arg;
    if (strcmp(cols[3], "fed_back") == 0 && f->n < (int)SL_ARRAY_LEN(f->notices))
        snprintf(f->notices[f->n++], sizeof f->notices[0], "%s", cols[0]);
}

enum {
    O_PASS = 300,
    O_FAIL,
    O_REASON,
    O_NOTICE,
    O_LEADER,
    O_TITLE,
    O_OPERATOR,
    O_AT,
    O_MSG_ID,
    O_ENDPOINT,
    O_TIMEOUT,
    O_POLICE,
    O_DISCIPLINE
};

int
sl_ctl_case_decide(sl_ctl_t *ctl, const char *what, int argc, char **argv)
{
    static const struct option opts[] = {
        {"pass", no_argument, NULL, O_PASS},
        {"fail", no_argument, NULL, O_FAIL},
        {"reason", required_argument, NULL, O_REASON},
        {"notice", required_argument, NULL, O_NOTICE},
        {"leader", required_argument, NULL, O_LEADER},
        {"title", required_argument, NULL, O_TITLE},
        {"operator", required_argument, NULL, O_OPERATOR},
        {"at", required_argument, NULL, O_AT},
        {"msg-id", required_argument, NULL, O_MSG_ID},
        {"endpoint", required_argument, NULL, O_ENDPOINT},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"police", no_argument, NULL, O_POLICE},
        {"discipline", no_argument, NULL, O_DISCIPLINE},
        {NULL, 0, NULL, 0},
    };
    const char *reason = NULL, *notice = NULL, *leader = NULL, *title = NULL;
    const char *operator_name = NULL, *msg_id = NULL, *endpoint = NULL;
    int64_t at = sl_now_ms();
    double timeout = 10;
    int pass = -1, refer = -1, opt;
    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        // clang-format off
        switch (opt) {
        case O_PASS: pass = 1; break;
        case O_FAIL: pass = 0; break;
        case O_REASON: reason = optarg; break;
        case O_NOTICE: notice = optarg; break;
        case O_LEADER: leader = optarg; break;
        case O_TITLE: title = optarg; break;
        case O_OPERATOR: operator_name = optarg; break;
        case O_AT:
            if (sl_time_parse_iso(optarg, &at) != 0)
                sl_ctl_die(SL_EXIT_USAGE, "--at takes an ISO 8601 time");
            break;
        case O_MSG_ID: msg_id = optarg; break;
        case O_ENDPOINT: endpoint = optarg; break;
        case O_TIMEOUT: timeout = atof(optarg); break;
        case O_POLICE: refer = 0; break;
        case O_DISCIPLINE: refer = 1; break;
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
    const char *case_no = argv[optind];
    bool verify = strcmp(what, "verify") == 0;
    if (verify && pass < 0)
        sl_ctl_die(SL_EXIT_USAGE, "case verify needs --pass or --fail --reason TEXT");
    bool refers = strcmp(what, "refer") == 0;
    if (refers && (refer < 0 || !reason))
        sl_ctl_die(SL_EXIT_USAGE, "case refer needs --police or --discipline, and --reason TEXT");
    if (!verify && !refers && !leader)
        sl_ctl_die(SL_EXIT_USAGE, "case supervise needs --leader NAME");
    if (!operator_name) {
        struct passwd *pw = getpwuid(getuid());
        operator_name = pw ? pw->pw_name : "unknown";
    }
    char found[96] = "";
    if (verify && !notice) {
        sl_db_t *db = sl_ctl_db_current(ctl);
        s_fed_t fed = {.n = 0};
        if (sl_transfer_list(db, case_no, s_fed, &fed) != 0)
            sl_ctl_die(SL_EXIT_FAIL, "could not read the transfers of %s: %s", case_no,
                       sl_db_error(db));
        if (fed.n == 0)
            sl_ctl_die(SL_EXIT_FAIL, "问题线索 %s 没有已反馈待核查的交办书", case_no);
        if (fed.n > 1) {
            fprintf(stderr,
                    "slctl: 问题线索 %s 有 %d 份已反馈待核查的交办书，请用 --notice 指定：\n",
                    case_no, fed.n);
            for (int i = 0; i < fed.n; i++)
                fprintf(stderr, "  %s\n", fed.notices[i]);
            return SL_EXIT_USAGE;
        }
        snprintf(found, sizeof found, "%s", fed.notices[0]);
        notice = found;
    }
    char id[37];
    if (!msg_id) {
        sl_uuid(id);
        msg_id = id;
    }
    sl_pb_envelope_t env = SL_PB_ENVELOPE_INIT;
    sl_pb_decision_t dc = SAFELOOP__V1__DECISION__INIT;
    sl_pb_sign_off_t so = SAFELOOP__V1__SIGN_OFF__INIT;
    env.msg_id = (char *)msg_id;
    env.producer = "slctl";
    env.sent_at = sl_now_ms();
    env.body_case = SAFELOOP__V1__ENVELOPE__BODY_DECISION;
    env.decision = &dc;
    dc.notice_no = (char *)(notice ? notice : "");
    dc.from_unit = (char *)sl_config_node(sl_ctl_config(ctl));
    dc.operator_ = (char *)operator_name;
    dc.at = at;
    dc.case_no = (char *)case_no;
    dc.reason = (char *)(reason ? reason : "");
    if (verify) {
        dc.kind = pass ? SAFELOOP__V1__DECISION__KIND__VERIFY_PASS
                       : SAFELOOP__V1__DECISION__KIND__VERIFY_FAIL;
    } else if (refers) {
        dc.kind = refer == 0 ? SAFELOOP__V1__DECISION__KIND__REFER_POLICE
                             : SAFELOOP__V1__DECISION__KIND__REFER_DISCIPLINE;
    } else {
        dc.kind = SAFELOOP__V1__DECISION__KIND__SUPERVISE;
        so.leader_name = (char *)leader;
        so.leader_title = (char *)(title ? title : "");
        dc.leader = &so;
    }
    size_t len;
    uint8_t *bytes = sl_codec_encode_envelope(&env, &len);
    int rc = sl_ctl_send(ctl, endpoint, bytes, len, msg_id, timeout);
    free(bytes);
    return rc;
}
