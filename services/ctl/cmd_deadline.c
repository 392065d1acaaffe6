/* cmd_deadline.c — `slctl overdue`, `escalation list`, `reports due`,
 * `report send`, `campaign add|list`: what sl-deadline watches.
 *
 * The lists read the node's database directly (administration); `reports due`
 * computes the due instants from the campaigns itself, so it is right whether
 * sl-deadline runs or not. `report send` builds a WeeklyReport or
 * MonthlyReport envelope from a JSON file whose keys are the proto's field
 * names (reports.proto) and either writes it to the outbox for the parent
 * (the node's own report upward; sl-dispatch's link sends it) or, with
 * --local, submits it to this node's intake on behalf of one of its units. */
#include "slctl.h"

#include "sl_clock.h"
#include "sl_codec.h"
#include "sl_escalation.h"
#include "sl_outbox.h"
#include "sl_report.h"
#include "sl_transfer_clock.h"
#include "sl_unit.h"
#include "sl_util.h"

#include <getopt.h>
#include <jansson.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
s_print_row(void *arg, const char *const *cols)
{
    int n = *(int *)arg;
    for (int i = 0; i < n; i++)
        printf("%s%s", i ? "\t" : "", cols[i][0] ? cols[i] : "-");
    putchar('\n');
}

int
sl_ctl_overdue(sl_ctl_t *ctl, int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        sl_ctl_die(SL_EXIT_USAGE, "usage: slctl overdue");
    int n = 7;
    if (sl_transfer_clock_list(sl_ctl_db_current(ctl), s_print_row, &n) != 0)
        sl_ctl_die(SL_EXIT_FAIL, "could not list transfers: %s", sl_db_error(ctl->db));
    return SL_EXIT_OK;
}

int
sl_ctl_escalation(sl_ctl_t *ctl, int argc, char **argv)
{
    if (argc != 2 || strcmp(argv[1], "list") != 0)
        sl_ctl_die(SL_EXIT_USAGE, "usage: slctl escalation list");
    int n = 8;
    if (sl_escalation_list(sl_ctl_db_current(ctl), s_print_row, &n) != 0)
        sl_ctl_die(SL_EXIT_FAIL, "could not list escalations: %s", sl_db_error(ctl->db));
    return SL_EXIT_OK;
}

int
sl_ctl_reports(sl_ctl_t *ctl, int argc, char **argv)
{
    if (argc != 2 || strcmp(argv[1], "due") != 0)
        sl_ctl_die(SL_EXIT_USAGE, "usage: slctl reports due");
    int n = 6;
    if (sl_report_missing(sl_ctl_db_current(ctl), sl_now_ms(), s_print_row, &n) != 0)
        sl_ctl_die(SL_EXIT_FAIL, "could not list reports due: %s", sl_db_error(ctl->db));
    return SL_EXIT_OK;
}

/* --- JSON into a protobuf-c message, by field name -------------------- */

static int s_fill(ProtobufCMessage *m, json_t *o, const char *path, char *err, size_t size);

static int
s_scalar(const ProtobufCFieldDescriptor *f, json_t *v, void *dst, const char *path, char *err,
         size_t size)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING:
        if (!json_is_string(v))
            goto bad;
        *(char **)dst = sl_strdup(json_string_value(v));
        return 0;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
        if (!json_is_integer(v))
            goto bad;
        *(int64_t *)dst = json_integer_value(v);
        return 0;
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
        if (!json_is_integer(v))
            goto bad;
        *(int32_t *)dst = (int32_t)json_integer_value(v);
        return 0;
    case PROTOBUF_C_TYPE_BOOL:
        if (!json_is_boolean(v))
            goto bad;
        *(protobuf_c_boolean *)dst = json_is_true(v);
        return 0;
    case PROTOBUF_C_TYPE_ENUM: {
        const ProtobufCEnumDescriptor *e = f->descriptor;
        const ProtobufCEnumValue *ev =
            json_is_string(v)
                ? protobuf_c_enum_descriptor_get_value_by_name(e, json_string_value(v))
            : json_is_integer(v)
                ? protobuf_c_enum_descriptor_get_value(e, (int)json_integer_value(v))
                : NULL;
        if (!ev)
            goto bad;
        *(int *)dst = ev->value;
        return 0;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        if (!json_is_object(v))
            goto bad;
        const ProtobufCMessageDescriptor *d = f->descriptor;
        ProtobufCMessage *sub = sl_calloc(1, d->sizeof_message);
        d->message_init(sub);
        *(ProtobufCMessage **)dst = sub;
        return s_fill(sub, v, path, err, size);
    }
    default:
        break;
    }
bad:
    snprintf(err, size, "字段 %s 的值类型不对", path);
    return -1;
}

static size_t
s_size(const ProtobufCFieldDescriptor *f)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(void *);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
        return sizeof(int64_t);
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    default:
        return sizeof(int32_t);
    }
}

static int
s_fill(ProtobufCMessage *m, json_t *o, const char *path, char *err, size_t size)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v)
    {
        const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(d, key);
        char sub[256];
        snprintf(sub, sizeof sub, "%s%s%s", path, path[0] ? "." : "", key);
        if (!f) {
            snprintf(err, size, "未知字段 %s", sub);
            return -1;
        }
        char *member = (char *)m + f->offset;
        if (f->label != PROTOBUF_C_LABEL_REPEATED) {
            if (s_scalar(f, v, member, sub, err, size) != 0)
                return -1;
            continue;
        }
        size_t *count = (size_t *)((char *)m + f->quantifier_offset);
        const ProtobufCMessageDescriptor *entry =
            f->type == PROTOBUF_C_TYPE_MESSAGE ? f->descriptor : NULL;
        bool map = entry && json_is_object(v) && entry->n_fields == 2 &&
                   strcmp(entry->fields[0].name, "key") == 0;
        size_t n = map ? json_object_size(v) : json_is_array(v) ? json_array_size(v) : 0;
        if (!map && !json_is_array(v)) {
            snprintf(err, size, "字段 %s 应为数组", sub);
            return -1;
        }
        void *arr = sl_calloc(n + 1, s_size(f));
        *(void **)member = arr;
        *count = 0;
        if (map) {
            const char *k;
            json_t *x;
            json_object_foreach(v, k, x)
            {
                ProtobufCMessage *e = sl_calloc(1, entry->sizeof_message);
                entry->message_init(e);
                ((ProtobufCMessage **)arr)[(*count)++] = e;
                *(char **)((char *)e + entry->fields[0].offset) = sl_strdup(k);
                char ep[300];
                snprintf(ep, sizeof ep, "%s.%s", sub, k);
                if (s_scalar(&entry->fields[1], x, (char *)e + entry->fields[1].offset, ep, err,
                             size) != 0)
                    return -1;
            }
            continue;
        }
        for (size_t i = 0; i < n; i++) {
            char ep[300];
            snprintf(ep, sizeof ep, "%s[%zu]", sub, i);
            if (s_scalar(f, json_array_get(v, i), (char *)arr + i * s_size(f), ep, err, size) != 0)
                return -1;
            (*count)++;
        }
    }
    return 0;
}

/* 1 if this node is a county's (its weekly report goes to the city with the
 * county's negative typical cases), 0 if not, -1 if the database says no. */
static int
s_node_is_county(sl_db_t *db)
{
    PGresult *r;
    if (sl_db_exec(db, &r, "SELECT level = 'county' FROM node", 0, NULL) != 0)
        return -1;
    int county = PQntuples(r) > 0 && PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    return county;
}

static int
s_report_send(sl_ctl_t *ctl, int argc, char **argv)
{
    const char *usage = "usage: slctl report send --weekly|--monthly FILE.json [--local]"
                        " [--operator NAME] [--timeout S]";
    int kind = 0, local = 0;
    const char *operator_name = NULL;
    double timeout = 10;
    static const struct option opts[] = {
        {"weekly", required_argument, NULL, 'w'},  {"monthly", required_argument, NULL, 'm'},
        {"local", no_argument, NULL, 'l'},         {"operator", required_argument, NULL, 'o'},
        {"timeout", required_argument, NULL, 't'}, {NULL, 0, NULL, 0}};
    const char *file = NULL;
    int opt;
    optind = 0;
    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (opt) {
        case 'w':
        case 'm':
            kind = opt;
            file = optarg;
            break;
        case 'l':
            local = 1;
            break;
        case 'o':
            operator_name = optarg;
            break;
        case 't':
            timeout = atof(optarg);
            break;
        default:
            sl_ctl_die(SL_EXIT_USAGE, "%s", usage);
        }
    }
    if (!kind || optind != argc)
        sl_ctl_die(SL_EXIT_USAGE, "%s", usage);
    if (!operator_name) {
        struct passwd *pw = getpwuid(getuid());
        operator_name = pw ? pw->pw_name : "unknown";
    }
    json_error_t je;
    json_t *o = json_load_file(file, 0, &je);
    if (!o || !json_is_object(o))
        sl_ctl_die(SL_EXIT_USAGE, "%s: 第 %d 行: %s", file, je.line,
                   o ? "应为 JSON 对象" : je.text);
    const ProtobufCMessageDescriptor *d = kind == 'w' ? &safeloop__v1__weekly_report__descriptor
                                                      : &safeloop__v1__monthly_report__descriptor;
    ProtobufCMessage *m = sl_calloc(1, d->sizeof_message);
    d->message_init(m);
    json_t *files = json_incref(json_object_get(o, "files"));
    json_object_del(o, "files");
    char err[512];
    if (s_fill(m, o, "", err, sizeof err) != 0) {
        json_decref(files);
        json_decref(o);
        protobuf_c_message_free_unpacked(m, NULL);
        sl_ctl_die(SL_EXIT_USAGE, "%s: %s", file, err);
    }
    json_decref(o);
    sl_ctl_report_attach(
        m, files, file, (size_t)sl_config_int(sl_ctl_config(ctl), "intake", "max_envelope") - 1024);
    json_decref(files);
    const char *node = sl_config_node(sl_ctl_config(ctl));
    /* defaults: from this node, now, by this operator */
    char **from = kind == 'w' ? &((sl_pb_weekly_report_t *)m)->from_unit
                              : &((sl_pb_monthly_report_t *)m)->from_unit;
    char **op = kind == 'w' ? &((sl_pb_weekly_report_t *)m)->operator_
                            : &((sl_pb_monthly_report_t *)m)->operator_;
    int64_t *at =
        kind == 'w' ? &((sl_pb_weekly_report_t *)m)->at : &((sl_pb_monthly_report_t *)m)->at;
    if (!*from || !(*from)[0] || *from == protobuf_c_empty_string) {
        if (local) {
            protobuf_c_message_free_unpacked(m, NULL);
            sl_ctl_die(SL_EXIT_USAGE, "%s: --local needs from_unit (the unit reporting)", file);
        }
        *from = sl_strdup(node);
    }
    if (!*op || *op == protobuf_c_empty_string || !(*op)[0])
        *op = sl_strdup(operator_name);
    if (*at == 0)
        *at = sl_now_ms();
    sl_pb_envelope_t env = SL_PB_ENVELOPE_INIT;
    char id[37];
    sl_uuid(id);
    env.msg_id = id;
    env.producer = "slctl";
    env.sent_at = sl_now_ms();
    if (kind == 'w') {
        env.body_case = SAFELOOP__V1__ENVELOPE__BODY_WEEKLY_REPORT;
        env.weekly_report = (sl_pb_weekly_report_t *)m;
    } else {
        env.body_case = SAFELOOP__V1__ENVELOPE__BODY_MONTHLY_REPORT;
        env.monthly_report = (sl_pb_monthly_report_t *)m;
    }
    sl_codec_error_t verr;
    int rc;
    if (sl_report_validate(&env, &verr) != 0 ||
        (!local && (rc = s_node_is_county(sl_ctl_db_current(ctl))) > 0 &&
         sl_report_validate_county(&env, &verr) != 0)) {
        protobuf_c_message_free_unpacked(m, NULL);
        fprintf(stderr, "slctl: rejected: %s: %s\n", verr.code, verr.text);
        return SL_EXIT_REJECTED;
    }
    size_t len;
    uint8_t *bytes = sl_codec_encode_envelope(&env, &len);
    protobuf_c_message_free_unpacked(m, NULL);
    if (local) {
        rc = sl_ctl_send(ctl, NULL, bytes, len, id, timeout);
    } else {
        sl_db_t *db = sl_ctl_db_admin(ctl, true);
        char parent[8] = "";
        if (sl_unit_node(db, node, parent, sizeof parent) != 0 || !parent[0]) {
            free(bytes);
            sl_ctl_die(SL_EXIT_FAIL,
                       "本节点没有上级节点，报告无处上报（为本级单位录入请用 --local）");
        }
        rc = sl_outbox_add(db, parent, id, kind == 'w' ? "weekly_report" : "monthly_report", bytes,
                           len, NULL, sl_now_ms());
        if (rc != 0) {
            free(bytes);
            sl_ctl_die(SL_EXIT_FAIL, "could not write the outbox: %s", sl_db_error(db));
        }
        printf("%s\toutbox:%s\n", id, parent);
        rc = SL_EXIT_OK;
    }
    free(bytes);
    return rc;
}

int
sl_ctl_report(sl_ctl_t *ctl, int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "build") == 0)
        return sl_ctl_report_build(ctl, argc - 1, argv + 1);
    if (argc < 2 || strcmp(argv[1], "send") != 0)
        sl_ctl_die(SL_EXIT_USAGE, "usage: slctl report send --weekly|--monthly FILE.json [--local]"
                                  " | report build --weekly [--week YYYY-Www]");
    return s_report_send(ctl, argc - 1, argv + 1);
}

static int
s_hhmm(const char *s)
{
    int h, m;
    char tail;
    if (sscanf(s, "%d:%d%c", &h, &m, &tail) != 2 || h < 0 || h > 23 || m < 0 || m > 59)
        return -1;
    return h * 60 + m;
}

int
sl_ctl_campaign(sl_ctl_t *ctl, int argc, char **argv)
{
    const char *usage =
        "usage: slctl campaign list\n"
        "       slctl campaign add NAME --start DATE --end DATE [--weekly-day 1-7|0]\n"
        "             [--weekly-time HH:MM] [--no-monthly] [--phase NAME:START:END]…\n"
        "             [--level-time LEVEL=HH:MM]…  (LEVEL province|city|county: the weekly\n"
        "             deadline a node of that level sets the units below it)";
    if (argc == 2 && strcmp(argv[1], "list") == 0) {
        int n = 6;
        if (sl_campaign_list(sl_ctl_db_current(ctl), s_print_row, &n) != 0)
            sl_ctl_die(SL_EXIT_FAIL, "could not list campaigns: %s", sl_db_error(ctl->db));
        return SL_EXIT_OK;
    }
    if (argc < 3 || strcmp(argv[1], "add") != 0)
        sl_ctl_die(SL_EXIT_USAGE, "%s", usage);
    const char *name = argv[2];
    int32_t start = -1, end = -1;
    int dow = 1, time = 600;
    bool monthly = true;
    sl_campaign_phase_t phases[32];
    char *copies[32];
    size_t np = 0;
    static const struct option opts[] = {
        {"start", required_argument, NULL, 's'},      {"end", required_argument, NULL, 'e'},
        {"weekly-day", required_argument, NULL, 'd'}, {"weekly-time", required_argument, NULL, 't'},
        {"no-monthly", no_argument, NULL, 'n'},       {"phase", required_argument, NULL, 'p'},
        {"level-time", required_argument, NULL, 'l'}, {NULL, 0, NULL, 0}};
    sl_campaign_level_t levels[3];
    char *lcopies[3];
    size_t nl = 0;
    int opt;
    optind = 0;
    while ((opt = getopt_long(argc - 2, argv + 2, "", opts, NULL)) != -1) {
        switch (opt) {
        case 's':
            if (sl_date_parse(optarg, &start) != 0)
                sl_ctl_die(SL_EXIT_USAGE, "--start: not a date: %s", optarg);
            break;
        case 'e':
            if (sl_date_parse(optarg, &end) != 0)
                sl_ctl_die(SL_EXIT_USAGE, "--end: not a date: %s", optarg);
            break;
        case 'd':
            dow = atoi(optarg);
            if (dow < 0 || dow > 7)
                sl_ctl_die(SL_EXIT_USAGE, "--weekly-day takes 1 (Monday) … 7, or 0 for none");
            break;
        case 't':
            if ((time = s_hhmm(optarg)) < 0)
                sl_ctl_die(SL_EXIT_USAGE, "--weekly-time takes HH:MM");
            break;
        case 'n':
            monthly = false;
            break;
        case 'l': {
            char *eq = strchr(optarg, '=');
            int t = eq ? s_hhmm(eq + 1) : -1;
            if (nl == 3 || t < 0)
                sl_ctl_die(SL_EXIT_USAGE, "--level-time takes LEVEL=HH:MM, once per level");
            lcopies[nl] = sl_strndup(optarg, (size_t)(eq - optarg));
            levels[nl] = (sl_campaign_level_t){lcopies[nl], 0, t};
            nl++;
            break;
        }
        case 'p': {
            if (np == 32)
                sl_ctl_die(SL_EXIT_USAGE, "at most 32 phases");
            char *c = copies[np] = sl_strdup(optarg);
            char *a = strchr(c, ':'), *b = a ? strchr(a + 1, ':') : NULL;
            if (!a || !b)
                sl_ctl_die(SL_EXIT_USAGE, "--phase takes NAME:START:END");
            *a++ = '\0';
            *b++ = '\0';
            phases[np].name = c;
            if (sl_date_parse(a, &phases[np].start_day) != 0 ||
                sl_date_parse(b, &phases[np].end_day) != 0)
                sl_ctl_die(SL_EXIT_USAGE, "--phase %s: dates are YYYY-MM-DD", c);
            np++;
            break;
        }
        default:
            sl_ctl_die(SL_EXIT_USAGE, "%s", usage);
        }
    }
    if (start < 0 || end < 0)
        sl_ctl_die(SL_EXIT_USAGE, "%s", usage);
    for (size_t i = 0; i < nl; i++)
        levels[i].weekly_dow = dow > 0 ? dow : 1;
    int rc = sl_campaign_add(sl_ctl_db_admin(ctl, true), name, start, end, dow, time, monthly, phases,
                             np, levels, nl);
    for (size_t i = 0; i < np; i++)
        free(copies[i]);
    for (size_t i = 0; i < nl; i++)
        free(lcopies[i]);
    if (rc == SL_DECLINED)
        sl_ctl_die(SL_EXIT_FAIL, "campaign %s not added: the name exists or a date is out of order",
                   name);
    if (rc != 0)
        sl_ctl_die(SL_EXIT_FAIL, "could not add the campaign: %s", sl_db_error(ctl->db));
    printf("%s\n", name);
    return SL_EXIT_OK;
}
