/* cmd_publish.c — `slctl publish …` and `slctl case public-summary`: 三公开
 * for the office.
 *
 * The office writes each case's public summary and may hold a case back;
 * both are envelopes (PublicNote) through the node's intake, audited like
 * every change. Drafts are made by sl-publish on schedule or here with
 * `publish now` (as sl-publish's own role, so the draft reads only what it
 * may publish); `publish drafts|list|show` read them, `publish approve`
 * releases one, `publish correct` drafts a correction of an issued one. */
#include "slctl.h"

#include "sl_clock.h"
#include "sl_codec.h"
#include "sl_publish_db.h"
#include "sl_service.h"
#include "sl_site.h"
#include "sl_template.h"
#include "sl_util.h"

#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char s_usage[] =
    "usage: slctl publish now [list|progress|results|exposure]   draft what is due now\n"
    "       slctl publish drafts | list                  drafts waiting | every publication\n"
    "       slctl publish show ID                        a publication as text, with its record\n"
    "       slctl publish approve ID --by NAME           release a draft (审核发布)\n"
    "       slctl publish correct ID --reason T          draft a correction of an issued one\n"
    "       slctl publish hold NO --reason T | release NO   hold a case back (暂缓公开) or not\n"
    "       slctl case public-summary NO --text T        the office's public summary of a case\n"
    "       slctl case typical NO --positive --text T    mark a positive example (选树提升)\n";

static const char *
s_operator(const char *given)
{
    if (given)
        return given;
    struct passwd *pw = getpwuid(getuid());
    return pw ? pw->pw_name : "unknown";
}

/* Sends a PublicNote of KIND for CASE_NO through intake. */
static int
s_note(sl_ctl_t *ctl, const char *case_no, Safeloop__V1__PublicNote__Kind kind, const char *text,
       const char *operator_name)
{
    char id[37];
    sl_uuid(id);
    sl_pb_envelope_t env = SL_PB_ENVELOPE_INIT;
    sl_pb_public_note_t n = SAFELOOP__V1__PUBLIC_NOTE__INIT;
    env.msg_id = id;
    env.producer = "slctl";
    env.sent_at = sl_now_ms();
    env.body_case = SAFELOOP__V1__ENVELOPE__BODY_PUBLIC_NOTE;
    env.public_note = &n;
    n.case_no = (char *)case_no;
    n.kind = kind;
    n.text = (char *)(text ? text : "");
    n.operator_ = (char *)s_operator(operator_name);
    n.at = env.sent_at;
    size_t len;
    uint8_t *bytes = sl_codec_encode_envelope(&env, &len);
    int rc = sl_ctl_send(ctl, NULL, bytes, len, id, 10);
    free(bytes);
    return rc;
}

/* Options --text/--reason/--by/--operator after argv[0]; the one positional
 * argument into *ARG. */
typedef struct {
    const char *arg, *text, *by, *operator_name;
} s_opts_t;

static s_opts_t
s_parse(int argc, char **argv)
{
    static const struct option opts[] = {
        {"text", required_argument, NULL, 't'},
        {"reason", required_argument, NULL, 't'},
        {"by", required_argument, NULL, 'b'},
        {"operator", required_argument, NULL, 'o'},
        {NULL, 0, NULL, 0},
    };
    s_opts_t o = {0};
    int opt;
    optind = 0; /* glibc: start afresh (main's getopt ran before) */
    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (opt == 't')
            o.text = optarg;
        else if (opt == 'b')
            o.by = optarg;
        else if (opt == 'o')
            o.operator_name = optarg;
        else
            sl_ctl_die(SL_EXIT_USAGE, "%s", s_usage);
    }
    if (optind < argc)
        o.arg = argv[optind];
    return o;
}

int
sl_ctl_case_positive(sl_ctl_t *ctl, const char *case_no, const char *text,
                     const char *operator_name)
{
    return s_note(ctl, case_no, SAFELOOP__V1__PUBLIC_NOTE__KIND__POSITIVE, text, operator_name);
}

int
sl_ctl_case_public_summary(sl_ctl_t *ctl, int argc, char **argv)
{
    s_opts_t o = s_parse(argc, argv);
    if (!o.arg || !o.text)
        sl_ctl_die(SL_EXIT_USAGE, "usage: slctl case public-summary NO --text T");
    return s_note(ctl, o.arg, SAFELOOP__V1__PUBLIC_NOTE__KIND__SUMMARY, o.text, o.operator_name);
}

static void
s_row(void *arg, const sl_pub_row_t *r)
{
    (void)arg;
    const char *state = strcmp(r->state, "draft") == 0 ? "待审核" : "已发布";
    printf("%lld\t%s\t%s\t%s\t%s\t%d\t%d\t%d", (long long)r->id, r->kind, r->period, state,
           r->title, r->items, r->held, r->missing);
    if (r->corrects)
        printf("\t更正第%lld号", (long long)r->corrects);
    printf("\n");
}

typedef struct {
    sl_ctl_t *ctl;
    int rc;
} s_show_t;

static void
s_show_row(void *arg, const sl_pub_row_t *r)
{
    s_show_t *s = arg;
    printf("编号\t%lld\n类别\t%s\n期间\t%s\n标题\t%s\n状态\t%s\n", (long long)r->id, r->kind,
           r->period, r->title, strcmp(r->state, "draft") == 0 ? "待审核" : "已发布");
    printf("生成时间\t%s\n", r->drafted_at);
    if (r->approved_at[0])
        printf("审核发布\t%s（%s）\n", r->approved_at, r->approved_by);
    printf("公开事项\t%d\n暂缓公开\t%d\n缺公开摘要\t%d\n校验值\t%s\n", r->items, r->held,
           r->missing, r->hash);
    if (r->corrects)
        printf("更正\t第%lld号（%s）\n", (long long)r->corrects, r->reason);
    if (r->corrected_by)
        printf("已被更正\t第%lld号\n", (long long)r->corrected_by);
    char *err = NULL;
    sl_template_set_t *set =
        sl_template_load(sl_config_str(sl_ctl_config(s->ctl), "publish", "templates"), &err);
    if (!set) {
        fprintf(stderr, "slctl: %s\n", err);
        free(err);
        s->rc = SL_EXIT_FAIL;
        return;
    }
    json_t *body = json_loads(r->body, 0, NULL);
    if (body) {
        json_object_set_new(body, "no", json_integer(r->id));
        json_object_set_new(
            body, "channels",
            json_string(sl_config_str(sl_ctl_config(s->ctl), "publish", "channels")));
    }
    sl_buf_t b;
    sl_buf_init(&b);
    if (!body ||
        sl_template_render(set, sl_site_text_template(r->kind), body, SL_ESCAPE_NONE, &b) != 0)
        s->rc = SL_EXIT_FAIL;
    printf("\n%s", b.data ? b.data : "");
    sl_buf_free(&b);
    json_decref(body);
    sl_template_destroy(&set);
}

static sl_pub_draft_opts_t
s_draft_opts(sl_ctl_t *ctl)
{
    const sl_config_t *cfg = sl_ctl_config(ctl);
    bool province = strcmp(sl_config_node(cfg) + 2, "0000") == 0;
    int rule = sl_disclose_person_rule(sl_config_str(cfg, "publish", "natural_person"));
    return (sl_pub_draft_opts_t){
        .person = rule < 0 ? SL_PERSON_WITHHELD : (sl_person_rule_t)rule,
        .by = "slctl",
        .now_ms = sl_now_ms(),
        .weekly_list = sl_config_has(cfg, "publish", "daily_list")
                           ? !sl_config_bool(cfg, "publish", "daily_list")
                           : province,
    };
}

/* The database as sl-publish's role: what a draft may read. */
static sl_db_t *
s_db_as_publisher(sl_ctl_t *ctl)
{
    sl_db_t *db = sl_ctl_db_admin(ctl, true);
    char *role = sl_service_db_user(sl_ctl_config(ctl), "publish");
    if (role) {
        char *q = sl_asprintf("SET ROLE \"%s\"", role);
        if (sl_db_exec(db, NULL, q, 0, NULL) != 0)
            sl_ctl_die(SL_EXIT_FAIL, "could not act as %s: %s (slctl migrate makes it)", role,
                       sl_db_error(db));
        free(q);
        free(role);
    }
    return db;
}

int
sl_ctl_publish(sl_ctl_t *ctl, int argc, char **argv)
{
    if (argc < 2)
        sl_ctl_die(SL_EXIT_USAGE, "%s", s_usage);
    const char *what = argv[1];
    s_opts_t o = s_parse(argc - 1, argv + 1);
    if (strcmp(what, "hold") == 0 || strcmp(what, "release") == 0) {
        bool hold = what[0] == 'h';
        if (!o.arg || (hold && !o.text))
            sl_ctl_die(SL_EXIT_USAGE, "usage: slctl publish hold NO --reason T | release NO");
        return s_note(ctl, o.arg,
                      hold ? SAFELOOP__V1__PUBLIC_NOTE__KIND__HOLD
                           : SAFELOOP__V1__PUBLIC_NOTE__KIND__RELEASE,
                      o.text, o.operator_name);
    }
    if (strcmp(what, "drafts") == 0 || strcmp(what, "list") == 0) {
        sl_db_t *db = sl_ctl_db_current(ctl);
        if (sl_pub_each(db, what[0] == 'd', false, false, s_row, NULL) != 0)
            sl_ctl_die(SL_EXIT_FAIL, "could not list the publications: %s", sl_db_error(db));
        return SL_EXIT_OK;
    }
    if (strcmp(what, "now") == 0) {
        int only = o.arg ? sl_pub_kind_parse(o.arg) : -1;
        if (o.arg && only < 0)
            sl_ctl_die(SL_EXIT_USAGE, "publish now takes list, progress, results or exposure");
        sl_db_t *db = s_db_as_publisher(ctl);
        sl_pub_draft_opts_t opts = s_draft_opts(ctl);
        for (int k = 0; k < SL_PUB_KINDS; k++) {
            if (only >= 0 && k != only)
                continue;
            int64_t id;
            if (sl_pub_draft(db, (sl_pub_kind_t)k, &opts, &id) != 0)
                sl_ctl_die(SL_EXIT_FAIL, "could not draft %s: %s",
                           sl_pub_kind_name((sl_pub_kind_t)k), sl_db_error(db));
            if (id)
                printf("drafted\t%lld\t%s\n", (long long)id, sl_pub_kind_name((sl_pub_kind_t)k));
            else
                printf("current\t%s\n", sl_pub_kind_name((sl_pub_kind_t)k));
        }
        return SL_EXIT_OK;
    }
    if (!o.arg)
        sl_ctl_die(SL_EXIT_USAGE, "%s", s_usage);
    char *end;
    long long id = strtoll(o.arg, &end, 10);
    if (*end || id <= 0)
        sl_ctl_die(SL_EXIT_USAGE, "a publication is named by its number, not \"%s\"", o.arg);
    sl_db_t *db = sl_ctl_db_admin(ctl, true);
    if (strcmp(what, "show") == 0) {
        s_show_t s = {ctl, SL_EXIT_OK};
        int rc = sl_pub_get(db, id, s_show_row, &s);
        if (rc == 1)
            sl_ctl_die(SL_EXIT_FAIL, "没有第%lld号公开信息", id);
        if (rc != 0)
            sl_ctl_die(SL_EXIT_FAIL, "could not read publication %lld: %s", id, sl_db_error(db));
        return s.rc;
    }
    if (strcmp(what, "approve") == 0) {
        if (!o.by || !*o.by)
            sl_ctl_die(SL_EXIT_USAGE, "usage: slctl publish approve ID --by NAME");
        int rc = sl_pub_approve(db, id, o.by, sl_now_ms());
        if (rc == 1)
            sl_ctl_die(SL_EXIT_FAIL, "第%lld号不是待审核的草稿", id);
        if (rc != 0)
            sl_ctl_die(SL_EXIT_FAIL, "could not approve %lld: %s", id, sl_db_error(db));
        printf("approved\t%lld\t%s\n", id, o.by);
        return SL_EXIT_OK;
    }
    if (strcmp(what, "correct") == 0) {
        if (!o.text)
            sl_ctl_die(SL_EXIT_USAGE, "usage: slctl publish correct ID --reason T");
        db = s_db_as_publisher(ctl);
        sl_pub_draft_opts_t opts = s_draft_opts(ctl);
        int64_t nid;
        int rc = sl_pub_correct(db, id, o.text, &opts, &nid);
        if (rc == 1)
            sl_ctl_die(SL_EXIT_FAIL, "第%lld号不是已发布的公开信息", id);
        if (rc != 0)
            sl_ctl_die(SL_EXIT_FAIL, "could not draft the correction: %s", sl_db_error(db));
        printf("drafted\t%lld\tcorrects %lld\n", (long long)nid, id);
        return SL_EXIT_OK;
    }
    sl_ctl_die(SL_EXIT_USAGE, "%s", s_usage);
}
