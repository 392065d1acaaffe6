/* cmd_case.c — `slctl case show|list`: the ledger as operators read it.
 *
 * `case show NO` prints the case and its whole history from the audit chain;
 * with --reveal --key FILE an authorised operator holding the node's sealing
 * secret key opens the reporter's data, and the opening is recorded on the
 * case's chain. `case list` prints one case a line, tab-separated. */
#include "slctl.h"

#include "sl_audit.h"
#include "sl_case.h"
#include "sl_clock.h"
#include "sl_closing.h"
#include "sl_codec.h"
#include "sl_seal.h"
#include "sl_sector.h"
#include "sl_util.h"
#include "sl_words.h"

#include <getopt.h>
#include <jansson.h>
#include <pwd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
s_list_row(void *arg, const char *case_no, const char *status, const char *sector,
           const char *division, const char *subject, const char *unit, int repeat_count)
{
    (void)arg;
    printf("%s\t%s\t%s\t%s\t%s\t%s\t%d\n", case_no, status, sector, division, subject, unit,
           repeat_count);
}

static void
s_event(void *arg, const sl_audit_event_t *ev, const char *prev_hash, const char *hash)
{
    (void)arg;
    (void)prev_hash;
    sl_buf_t b;
    sl_buf_init(&b);
    sl_words_event(&b, ev);
    printf("%s\t%.12s\n", b.data, hash);
    sl_buf_free(&b);
}

/* Opens the case's reporter with the secret key in KEY_FILE; prints it and
 * appends "reporter_revealed" to the chain. Returns an exit code. */
static int
s_reveal(sl_ctl_t *ctl, PGresult *r, const char *key_file, const char *operator_name)
{
    sl_db_t *db = sl_ctl_db_admin(ctl, false);
    int col = PQfnumber(r, "reporter_sealed");
    if (PQgetisnull(r, 0, col)) {
        printf("举报人\t（无：线索未附举报人信息）\n");
        return SL_EXIT_OK;
    }
    unsigned char sk[SL_SEAL_KEY_BYTES], pk[SL_SEAL_KEY_BYTES];
    char *err = NULL;
    if (sl_seal_key_load(key_file, sk, &err) != 0) {
        fprintf(stderr, "slctl: %s\n", err);
        free(err);
        return SL_EXIT_FAIL;
    }
    crypto_scalarmult_base(pk, sk);
    size_t blen;
    unsigned char *bytes = PQunescapeBytea((const unsigned char *)PQgetvalue(r, 0, col), &blen);
    sl_arena_t *arena = sl_arena_new(0);
    sl_pb_sealed_reporter_t *sr = (sl_pb_sealed_reporter_t *)sl_codec_unpack(
        arena, &safeloop__v1__sealed_reporter__descriptor, bytes, blen);
    PQfreemem(bytes);
    size_t plen = 0;
    unsigned char *plain = NULL;
    if (sr)
        plain = sl_seal_open(pk, sk, sr->sealed_key.data, sr->sealed_key.len, sr->nonce.data,
                             sr->nonce.len, sr->ciphertext.data, sr->ciphertext.len, NULL, &plen);
    sodium_memzero(sk, sizeof sk);
    int rc = SL_EXIT_FAIL;
    if (!plain) {
        fprintf(stderr, "slctl: the key in %s does not open this case's reporter data\n",
                key_file);
        goto done;
    }
    sl_pb_reporter_t *rep = (sl_pb_reporter_t *)sl_codec_unpack(
        arena, &safeloop__v1__reporter__descriptor, plain, plen);
    sodium_memzero(plain, plen);
    free(plain);
    if (!rep) {
        fprintf(stderr, "slctl: the reporter data does not decode\n");
        goto done;
    }
    /* Record the opening before showing anything. */
    int64_t id = atoll(PQgetvalue(r, 0, PQfnumber(r, "id")));
    json_t *o = json_pack("{s:s}", "key_file", key_file);
    char *detail = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    sl_audit_event_t ev = {.at_ms = sl_now_ms(),
                           .kind = "reporter_revealed",
                           .actor_key = "slctl",
                           .actor_unit = sl_config_node(sl_ctl_config(ctl)),
                           .operator = operator_name,
                           .msg_id = "",
                           .detail = detail};
    int a = sl_db_begin(db);
    if (a == 0)
        a = sl_audit_append(db, id, &ev);
    if (a == 0)
        a = sl_db_commit(db);
    free(detail);
    if (a != 0) {
        sl_db_rollback(db);
        fprintf(stderr, "slctl: could not record the opening on the case's chain: %s\n",
                sl_db_error(db));
        goto done;
    }
    printf("举报人\t%s\n举报人电话\t%s\n匿名\t%s\n", rep->name ? rep->name : "",
           rep->phone ? rep->phone : "", rep->anonymous ? "是" : "否");
    rc = SL_EXIT_OK;
done:
    sl_arena_destroy(&arena);
    return rc;
}

static void
s_result_row(void *arg, const char *const *c)
{
    (void)arg;
    char *text = sl_closing_result_text(c[3]);
    printf("办理结果\t%s（%s，%s）\n", c[0], sl_words_label("transfer_kind", c[1]),
           sl_words_label("transfer_state", c[2]));
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
        printf("  %s\n", line);
    free(text);
}

/* The case's 提级核查 from this node's records, then each transfer's result
 * (核查结论, the ten items, 曝光, measures ⑤–⑦, rectification). 0 or -1. */
static int
s_results(sl_db_t *db, int64_t case_id)
{
    char esc[512];
    if (sl_closing_escalated(db, case_id, esc, sizeof esc) != 0)
        return -1;
    printf("提级核查\t%s\n", esc);
    return sl_closing_results(db, case_id, s_result_row, NULL) != 0 ? -1 : 0;
}

static int
s_show(sl_ctl_t *ctl, int argc, char **argv)
{
    const char *key_file = NULL, *operator_name = NULL;
    bool reveal = false;
    static const struct option opts[] = {{"reveal", no_argument, NULL, 'r'},
                                         {"key", required_argument, NULL, 'k'},
                                         {"operator", required_argument, NULL, 'o'},
                                         {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (opt == 'r')
            reveal = true;
        else if (opt == 'k')
            key_file = optarg;
        else if (opt == 'o')
            operator_name = optarg;
        else
            return SL_EXIT_USAGE;
    }
    if (optind + 1 != argc)
        sl_ctl_die(SL_EXIT_USAGE, "usage: slctl case show NO [--reveal --key SEAL_SECRET_FILE "
                                  "[--operator NAME]]");
    if (reveal && !key_file)
        sl_ctl_die(SL_EXIT_USAGE, "--reveal needs --key FILE (the node's sealing secret key)");
    if (!operator_name) {
        struct passwd *pw = getpwuid(getuid());
        operator_name = pw ? pw->pw_name : "unknown";
    }
    const char *no = argv[optind];
    sl_db_t *db = sl_ctl_db_current(ctl);
    PGresult *r;
    if (sl_case_fetch(db, no, &r) != 0)
        sl_ctl_die(SL_EXIT_FAIL, "could not read case %s: %s", no, sl_db_error(db));
    if (PQntuples(r) == 0) {
        PQclear(r);
        sl_ctl_die(SL_EXIT_FAIL, "no case %s", no);
    }
    static const struct {
        const char *label, *col;
    } fields[] = {
        {"线索编号", "case_no"},
        {"状态", "status"},
        {"领域", "sector_zh"},
        {"行政区划", "division_name"},
        {"乡镇", "township"},
        {"地址", "address"},
        {"涉及单位", "subject_name"},
        {"统一社会信用代码", "credit_code"},
        {"来源渠道", "channel"},
        {"受理时间", "received_at"},
        {"登记时间", "registered_at"},
        {"责任单位", "unit_name"},
        {"责任单位编码", "unit_code"},
        {"反复举报次数", "repeat_count"},
        {"共性违法行为", "violations"},
        {"行业领域专项问题", "violation_text"},
        {"问题描述", "description"},
        {"重大事故隐患", "major_hazard"},
        {"涉嫌犯罪", "suspected_crime"},
        {"涉嫌失职渎职", "suspected_dereliction"},
        {"上级线索编号", "upper_case_no"},
        {"上级交办的交办文号", "upper_notice_no"},
        {"上级交办清单", "upper_list_no"},
        {"上级交办日期", "upper_transfer_date"},
        {"上级异议期限", "upper_objection_deadline"},
        {"向上级反馈期限", "upper_feedback_deadline"},
    };
    for (size_t i = 0; i < SL_ARRAY_LEN(fields); i++) {
        const char *v = PQgetvalue(r, 0, PQfnumber(r, fields[i].col));
        if (strcmp(v, "t") == 0)
            v = "是";
        else if (strcmp(v, "f") == 0)
            v = "否";
        char label[256];
        if (strcmp(fields[i].col, "upper_notice_no") == 0 && *v) {
            /* a number from above, with the office that issued it */
            snprintf(label, sizeof label, "%s%s", PQgetvalue(r, 0, PQfnumber(r, "upper_office")),
                     v);
            v = label;
        } else if (strcmp(fields[i].col, "upper_feedback_deadline") == 0 && *v) {
            /* the deadline owed upward, and where this level stands with it */
            const char *answered = PQgetvalue(r, 0, PQfnumber(r, "upper_answered_at"));
            bool late = strcmp(PQgetvalue(r, 0, PQfnumber(r, "upper_overdue")), "t") == 0;
            bool gone = strcmp(PQgetvalue(r, 0, PQfnumber(r, "upper_withdrawn")), "t") == 0;
            snprintf(label, sizeof label, "%s（%s）", v,
                     gone       ? "上级已撤回交办，无需反馈"
                     : *answered ? "已向上级反馈"
                     : late      ? "已逾期"
                                 : "未向上级反馈");
            v = label;
        } else if (strcmp(fields[i].col, "status") == 0)
            v = sl_words_label("case_status", v);
        else if (strcmp(fields[i].col, "channel") == 0)
            v = sl_words_label("channel", v);
        else if (strcmp(fields[i].col, "sector_zh") == 0)
            v = sl_sector_label(sl_sector_by_name(PQgetvalue(r, 0, PQfnumber(r, "sector"))),
                                PQgetvalue(r, 0, PQfnumber(r, "sector_text")), label, sizeof label);
        printf("%s\t%s\n", fields[i].label, v);
    }
    int rc = SL_EXIT_OK;
    if (reveal)
        rc = s_reveal(ctl, r, key_file, operator_name);
    int64_t id = atoll(PQgetvalue(r, 0, PQfnumber(r, "id")));
    PQclear(r);
    if (s_results(db, id) != 0)
        sl_ctl_die(SL_EXIT_FAIL, "could not read the results: %s", sl_db_error(db));
    printf("历史\n");
    if (sl_audit_list(db, id, s_event, NULL) < 0)
        sl_ctl_die(SL_EXIT_FAIL, "could not read the history: %s", sl_db_error(db));
    return rc;
}

int
sl_ctl_case(sl_ctl_t *ctl, int argc, char **argv)
{
    if (argc < 2)
        sl_ctl_die(SL_EXIT_USAGE, "usage: slctl case show NO [--reveal --key FILE] | case list "
                                  "[--limit N]");
    if (strcmp(argv[1], "show") == 0)
        return s_show(ctl, argc - 1, argv + 1);
    if (strcmp(argv[1], "public-summary") == 0)
        return sl_ctl_case_public_summary(ctl, argc - 1, argv + 1);
    if (strcmp(argv[1], "verify") == 0 || strcmp(argv[1], "supervise") == 0 ||
        strcmp(argv[1], "refer") == 0)
        return sl_ctl_case_decide(ctl, argv[1], argc - 1, argv + 1);
    if (strcmp(argv[1], "typical") == 0)
        return sl_ctl_case_typical(ctl, argc - 1, argv + 1);
    if (strcmp(argv[1], "list") == 0) {
        long limit = 0;
        static const struct option opts[] = {{"limit", required_argument, NULL, 'n'},
                                             {NULL, 0, NULL, 0}};
        int opt;
        while ((opt = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
            if (opt == 'n')
                limit = atol(optarg);
            else
                return SL_EXIT_USAGE;
        }
        sl_db_t *db = sl_ctl_db_current(ctl);
        if (sl_case_list(db, limit, s_list_row, NULL) != 0)
            sl_ctl_die(SL_EXIT_FAIL, "could not list cases: %s", sl_db_error(db));
        return SL_EXIT_OK;
    }
    static const char *const up[] = {"feedback-up", "objection-up", "progress-up", "receipt-up"};
    for (size_t i = 0; i < SL_ARRAY_LEN(up); i++) {
        if (strcmp(argv[1], up[i]) == 0) {
            char kind[16];
            snprintf(kind, sizeof kind, "%.*s", (int)(strlen(up[i]) - 3), up[i]);
            return sl_ctl_case_up(ctl, kind, argc - 1, argv + 1);
        }
    }
    sl_ctl_die(SL_EXIT_USAGE, "unknown case command \"%s\" (show, list, verify, supervise, feedback-up, …)",
               argv[1]);
}
