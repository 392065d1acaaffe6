/* cmd_submit.c — `slctl submit`: send a clue to the node's intake like any producer.
 *
 * The clue comes from flags or from a JSON file whose keys are the proto's
 * field names ({"channel": "HOTLINE", "subject": {"name": …}, "place":
 * {"division": "140728"}, "sector": "COAL_MINE", …}); flags given beside a
 * file override its values. The envelope goes to [intake] ipc (else [intake]
 * endpoint) or --endpoint, and is resent with the same msg_id until an Ack
 * comes or the timeout passes. Prints: status, case number, ref, msg_id. */
#include "slctl.h"

#include "sl_case.h"

#include "sl_client.h"
#include "sl_clock.h"
#include "sl_codec.h"
#include "sl_sector.h"
#include "sl_util.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char s_usage[] =
    "usage: slctl submit [--json FILE] [--channel C] [--subject NAME] [--credit-code CODE]\n"
    "         [--subject-kind 单位|个体工商户|自然人]\n"
    "         [--division CODE] [--township T] [--address A] [--sector S] [--sector-text T]\n"
    "         [--violation N]... [--violation-text T] [--description T] [--major-hazard]\n"
    "         [--suspected-crime] [--suspected-dereliction] [--reporter-name N]\n"
    "         [--reporter-phone P] [--anonymous] [--category 企业类别]\n"
    "         [--received-at ISO] [--source-ref R] [--msg-id ID] [--producer P]\n"
    "         [--endpoint EP] [--timeout SECONDS]\n"
    "  C: hotline letter email visit inspection media system other (or the enum name)\n"
    "  S: the sector's enum name (COAL_MINE) or short name (煤); OTHER (其他) needs\n"
    "     --sector-text naming the sector (电力, 水利 …)\n"
    "  企业类别: free text, e.g. 生产企业 经营企业 建设项目 个体工商户 其他\n"
    "prints: status<TAB>case number<TAB>ref<TAB>msg_id; exit 0 accepted or duplicate,\n"
    "3 rejected (code and text on stderr), 4 no answer\n";

static int
s_channel(const char *s)
{
    char up[32];
    size_t i = 0;
    for (; s[i] && i < sizeof up - 1; i++)
        up[i] = (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 32 : s[i]);
    up[i] = '\0';
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value_by_name(
        &safeloop__v1__clue_report__channel__descriptor, up);
    return v && v->value > 0 ? v->value : -1;
}

static int
s_sector(const char *s)
{
    const sl_sector_t *sec = sl_sector_by_name(s);
    if (!sec)
        sec = sl_sector_by_short(s);
    return sec ? sec->value : -1;
}

/* The clue being built: strings are owned by the arena. */
typedef struct {
    sl_arena_t *arena;
    sl_pb_clue_t clue;
    sl_pb_subject_t subject;
    sl_pb_place_t place;
    sl_pb_reporter_t reporter;
    bool has_reporter;
    int32_t violations[64];
} s_build_t;

static char *
s_dup(s_build_t *b, const char *s)
{
    return sl_arena_strdup(b->arena, s);
}

/* ClueReport.subject_kind from 单位 / 个体工商户 / 自然人 (or the enum's names). */
static Safeloop__V1__ClueReport__SubjectKind
s_subject_kind(const char *text)
{
    int v = sl_case_subject_kind_value(text);
    if (strcmp(text, "NATURAL_PERSON") == 0)
        v = SAFELOOP__V1__CLUE_REPORT__SUBJECT_KIND__NATURAL_PERSON;
    else if (strcmp(text, "INDIVIDUAL_BUSINESS") == 0)
        v = SAFELOOP__V1__CLUE_REPORT__SUBJECT_KIND__INDIVIDUAL_BUSINESS;
    else if (v == SAFELOOP__V1__CLUE_REPORT__SUBJECT_KIND__ENTITY && strcmp(text, "单位") != 0 &&
             strcmp(text, "ENTITY") != 0)
        sl_ctl_die(SL_EXIT_USAGE, "--subject-kind takes 单位, 个体工商户 or 自然人");
    return (Safeloop__V1__ClueReport__SubjectKind)v;
}

static const char *
s_json_str(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Fills B from a JSON file; exits 2 naming the problem. */
static void
s_from_json(s_build_t *b, const char *path)
{
    json_error_t e;
    json_t *root = json_load_file(path, 0, &e);
    if (!root)
        sl_ctl_die(SL_EXIT_USAGE, "%s:%d: %s", path, e.line, e.text);
    if (!json_is_object(root))
        sl_ctl_die(SL_EXIT_USAGE, "%s: the clue must be a JSON object", path);
    const char *s;
    if ((s = s_json_str(root, "channel")) && (b->clue.channel = s_channel(s)) < 0)
        sl_ctl_die(SL_EXIT_USAGE, "%s: unknown channel \"%s\"", path, s);
    json_t *v;
    if ((v = json_object_get(root, "received_at"))) {
        if (json_is_integer(v))
            b->clue.received_at = json_integer_value(v);
        else if (!json_is_string(v) ||
                 sl_time_parse_iso(json_string_value(v), &b->clue.received_at) != 0)
            sl_ctl_die(SL_EXIT_USAGE, "%s: received_at must be ms or ISO 8601 with offset", path);
    }
    json_t *sub = json_object_get(root, "subject");
    if (json_is_object(sub)) {
        if ((s = s_json_str(sub, "name")))
            b->subject.name = s_dup(b, s);
        if ((s = s_json_str(sub, "credit_code")))
            b->subject.credit_code = s_dup(b, s);
    }
    if ((s = s_json_str(root, "category")))
        b->clue.category = s_dup(b, s);
    if ((s = s_json_str(root, "subject_kind")))
        b->clue.subject_kind = s_subject_kind(s);
    json_t *pl = json_object_get(root, "place");
    if (json_is_object(pl)) {
        if ((s = s_json_str(pl, "division")))
            b->place.division = s_dup(b, s);
        if ((s = s_json_str(pl, "township")))
            b->place.township = s_dup(b, s);
        if ((s = s_json_str(pl, "address")))
            b->place.address = s_dup(b, s);
    }
    if ((v = json_object_get(root, "sector"))) {
        int sec = json_is_integer(v) ? (int)json_integer_value(v)
                  : json_is_string(v) ? s_sector(json_string_value(v))
                                      : -1;
        if (sec < 0)
            sl_ctl_die(SL_EXIT_USAGE, "%s: unknown sector", path);
        b->clue.sector = (Safeloop__V1__Sector)sec;
    }
    json_t *vi = json_object_get(root, "violations");
    if (json_is_array(vi)) {
        size_t i;
        json_t *x;
        json_array_foreach(vi, i, x)
        {
            if (!json_is_integer(x) || b->clue.n_violations >= SL_ARRAY_LEN(b->violations))
                sl_ctl_die(SL_EXIT_USAGE, "%s: violations must be a list of numbers", path);
            b->violations[b->clue.n_violations++] = (int32_t)json_integer_value(x);
        }
    }
    if ((s = s_json_str(root, "sector_text")))
        b->clue.sector_text = s_dup(b, s);
    if ((s = s_json_str(root, "violation_text")))
        b->clue.violation_text = s_dup(b, s);
    if ((s = s_json_str(root, "description")))
        b->clue.description = s_dup(b, s);
    if ((s = s_json_str(root, "source_ref")))
        b->clue.source_ref = s_dup(b, s);
    b->clue.major_hazard = json_is_true(json_object_get(root, "major_hazard"));
    b->clue.suspected_crime = json_is_true(json_object_get(root, "suspected_crime"));
    b->clue.suspected_dereliction = json_is_true(json_object_get(root, "suspected_dereliction"));
    json_t *rep = json_object_get(root, "reporter");
    if (json_is_object(rep)) {
        b->has_reporter = true;
        if ((s = s_json_str(rep, "name")))
            b->reporter.name = s_dup(b, s);
        if ((s = s_json_str(rep, "phone")))
            b->reporter.phone = s_dup(b, s);
        b->reporter.anonymous = json_is_true(json_object_get(rep, "anonymous"));
    }
    json_decref(root);
}

int
sl_ctl_submit(sl_ctl_t *ctl, int argc, char **argv)
{
    s_build_t b;
    memset(&b, 0, sizeof b);
    b.arena = sl_arena_new(0);
    safeloop__v1__clue_report__init(&b.clue);
    safeloop__v1__subject__init(&b.subject);
    safeloop__v1__place__init(&b.place);
    safeloop__v1__reporter__init(&b.reporter);
    const char *msg_id = NULL, *endpoint = NULL, *producer = "slctl";
    double timeout = 10;
    enum { O_JSON = 256, O_CHANNEL, O_SUBJECT, O_SUBJECT_KIND, O_CREDIT, O_DIVISION, O_TOWNSHIP, O_ADDRESS,
           O_SECTOR, O_STEXT, O_VIOLATION, O_VTEXT, O_DESC, O_MAJOR, O_CRIME, O_DERELICT, O_RNAME,
           O_RPHONE, O_ANON, O_RECEIVED, O_SOURCE, O_MSGID, O_PRODUCER, O_ENDPOINT, O_TIMEOUT,
           O_CATEGORY };
    static const struct option opts[] = {
        {"json", required_argument, NULL, O_JSON},
        {"channel", required_argument, NULL, O_CHANNEL},
        {"subject", required_argument, NULL, O_SUBJECT},
        {"credit-code", required_argument, NULL, O_CREDIT},
        {"subject-kind", required_argument, NULL, O_SUBJECT_KIND},
        {"division", required_argument, NULL, O_DIVISION},
        {"township", required_argument, NULL, O_TOWNSHIP},
        {"address", required_argument, NULL, O_ADDRESS},
        {"sector", required_argument, NULL, O_SECTOR},
        {"sector-text", required_argument, NULL, O_STEXT},
        {"violation", required_argument, NULL, O_VIOLATION},
        {"violation-text", required_argument, NULL, O_VTEXT},
        {"description", required_argument, NULL, O_DESC},
        {"major-hazard", no_argument, NULL, O_MAJOR},
        {"suspected-crime", no_argument, NULL, O_CRIME},
        {"suspected-dereliction", no_argument, NULL, O_DERELICT},
        {"reporter-name", required_argument, NULL, O_RNAME},
        {"reporter-phone", required_argument, NULL, O_RPHONE},
        {"anonymous", no_argument, NULL, O_ANON},
        {"received-at", required_argument, NULL, O_RECEIVED},
        {"source-ref", required_argument, NULL, O_SOURCE},
        {"msg-id", required_argument, NULL, O_MSGID},
        {"producer", required_argument, NULL, O_PRODUCER},
        {"endpoint", required_argument, NULL, O_ENDPOINT},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"category", required_argument, NULL, O_CATEGORY},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    /* The JSON file first, so flags override it. */
    for (int i = 1; i < argc - 1; i++)
        if (strcmp(argv[i], "--json") == 0)
            s_from_json(&b, argv[i + 1]);
    int opt;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case O_JSON:
            break;
        case O_CHANNEL:
            if ((b.clue.channel = s_channel(optarg)) < 0)
                sl_ctl_die(SL_EXIT_USAGE, "unknown channel \"%s\"", optarg);
            break;
        case O_SUBJECT:
            b.subject.name = s_dup(&b, optarg);
            break;
        case O_SUBJECT_KIND:
            b.clue.subject_kind = s_subject_kind(optarg);
            break;
        case O_CREDIT:
            b.subject.credit_code = s_dup(&b, optarg);
            break;
        case O_DIVISION:
            b.place.division = s_dup(&b, optarg);
            break;
        case O_TOWNSHIP:
            b.place.township = s_dup(&b, optarg);
            break;
        case O_ADDRESS:
            b.place.address = s_dup(&b, optarg);
            break;
        case O_CATEGORY:
            b.clue.category = s_dup(&b, optarg);
            break;
        case O_SECTOR: {
            int sec = s_sector(optarg);
            if (sec < 0)
                sl_ctl_die(SL_EXIT_USAGE, "unknown sector \"%s\" (COAL_MINE … or 煤 …)", optarg);
            b.clue.sector = (Safeloop__V1__Sector)sec;
            break;
        }
        case O_VIOLATION:
            if (b.clue.n_violations >= SL_ARRAY_LEN(b.violations))
                sl_ctl_die(SL_EXIT_USAGE, "too many --violation");
            b.violations[b.clue.n_violations++] = atoi(optarg);
            break;
        case O_STEXT:
            b.clue.sector_text = s_dup(&b, optarg);
            break;
        case O_VTEXT:
            b.clue.violation_text = s_dup(&b, optarg);
            break;
        case O_DESC:
            b.clue.description = s_dup(&b, optarg);
            break;
        case O_MAJOR:
            b.clue.major_hazard = true;
            break;
        case O_CRIME:
            b.clue.suspected_crime = true;
            break;
        case O_DERELICT:
            b.clue.suspected_dereliction = true;
            break;
        case O_RNAME:
            b.has_reporter = true;
            b.reporter.name = s_dup(&b, optarg);
            break;
        case O_RPHONE:
            b.has_reporter = true;
            b.reporter.phone = s_dup(&b, optarg);
            break;
        case O_ANON:
            b.has_reporter = true;
            b.reporter.anonymous = true;
            break;
        case O_RECEIVED:
            if (sl_time_parse_iso(optarg, &b.clue.received_at) != 0)
                sl_ctl_die(SL_EXIT_USAGE, "--received-at takes ISO 8601 with offset");
            break;
        case O_SOURCE:
            b.clue.source_ref = s_dup(&b, optarg);
            break;
        case O_MSGID:
            msg_id = optarg;
            break;
        case O_PRODUCER:
            producer = optarg;
            break;
        case O_ENDPOINT:
            endpoint = optarg;
            break;
        case O_TIMEOUT:
            timeout = atof(optarg);
            if (timeout <= 0)
                sl_ctl_die(SL_EXIT_USAGE, "--timeout takes a number of seconds");
            break;
        case 'h':
            fputs(s_usage, stdout);
            return SL_EXIT_OK;
        default:
            fputs(s_usage, stderr);
            return SL_EXIT_USAGE;
        }
    }
    if (optind < argc)
        sl_ctl_die(SL_EXIT_USAGE, "submit: unexpected argument \"%s\"", argv[optind]);
    if (!b.clue.channel)
        b.clue.channel = SAFELOOP__V1__CLUE_REPORT__CHANNEL__OTHER;
    if (!b.clue.received_at)
        b.clue.received_at = sl_now_ms();
    b.clue.subject = &b.subject;
    b.clue.place = &b.place;
    b.clue.violations = b.violations;
    if (b.has_reporter)
        b.clue.reporter = &b.reporter;

    char id[37];
    if (!msg_id) {
        sl_uuid(id);
        msg_id = id;
    }
    sl_pb_envelope_t env = SL_PB_ENVELOPE_INIT;
    env.msg_id = (char *)msg_id;
    env.producer = (char *)producer;
    env.sent_at = sl_now_ms();
    env.body_case = SAFELOOP__V1__ENVELOPE__BODY_CLUE;
    env.clue = &b.clue;
    size_t len;
    uint8_t *bytes = sl_codec_encode_envelope(&env, &len);
    int rc = sl_ctl_send(ctl, endpoint, bytes, len, msg_id, timeout);
    free(bytes);
    sl_arena_destroy(&b.arena);
    return rc;
}

int
sl_ctl_send(sl_ctl_t *ctl, const char *endpoint, const void *env, size_t len, const char *msg_id,
            double timeout)
{
    if (!endpoint) {
        sl_config_t *cfg = sl_ctl_config(ctl);
        endpoint = sl_config_str(cfg, "intake", "ipc");
        if (!endpoint)
            endpoint = sl_config_str(cfg, "intake", "endpoint");
    }
    sl_client_opts_t o = {.endpoint = endpoint,
                          .timeout_ms = (int)(timeout * 1000),
                          .resend_ms = (int)(timeout * 1000 / 4)};
    sl_arena_t *arena = sl_arena_new(0);
    sl_pb_ack_t *ack = NULL;
    int rc = sl_client_call(&o, env, len, msg_id, arena, &ack);
    int exit_code;
    if (rc != 0) {
        fprintf(stderr, "slctl: no answer from %s within %.0f s (msg_id %s; resending it later "
                        "is safe)\n", endpoint, timeout, msg_id);
        exit_code = rc == SL_AGAIN ? SL_EXIT_NO_ANSWER : SL_EXIT_FAIL;
    } else if (ack->status == SL_ACK_REJECTED) {
        fprintf(stderr, "slctl: rejected: %s: %s\n", ack->error_code, ack->error_text);
        printf("rejected\t\t%s\t%s\n", ack->error_code, msg_id);
        exit_code = SL_EXIT_REJECTED;
    } else {
        printf("%s\t%s\t%s\t%s\n", ack->status == SL_ACK_DUPLICATE ? "duplicate" : "accepted",
               ack->case_no ? ack->case_no : "", ack->ref ? ack->ref : "", msg_id);
        exit_code = SL_EXIT_OK;
    }
    sl_arena_destroy(&arena);
    return exit_code;
}
