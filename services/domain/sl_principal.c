/* sl_principal.c — the senders a node knows and the rights of each.
 *
 * Up a link (from a child) travel forwarded clues, receipts, objections,
 * progress, feedback, escalations and reports, each naming the child as its
 * origin; down (from the parent) travel transfers and decisions naming the
 * parent; producers send what their may_send lists, answers only for their own
 * unit (DESIGN.md "Routing between levels"). */
#include "sl_principal.h"

#include "sl_util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct sl_principals {
    sl_principal_t *v; /* every principal the config names */
    size_t n;
};

static const sl_principal_t s_local = {.kind = SL_PRINCIPAL_LOCAL, .name = "ipc"};

const sl_principal_t *
sl_principal_local(void)
{
    return &s_local;
}

const char *
sl_principal_kind_name(sl_principal_kind_t kind)
{
    switch (kind) {
    case SL_PRINCIPAL_LOCAL:
        return "local";
    case SL_PRINCIPAL_PRODUCER:
        return "producer";
    case SL_PRINCIPAL_CHILD:
        return "child";
    case SL_PRINCIPAL_PARENT:
        return "parent";
    default:
        return "unknown";
    }
}

/* Reads a Z85 key file into KEY (41 bytes). 0 or -1 with *err. */
static int
s_key(const char *path, char key[41], char **err)
{
    size_t len;
    char *text = sl_read_file(path, &len);
    if (!text) {
        *err = sl_asprintf("%s: cannot read key file: %s", path, strerror(errno));
        return -1;
    }
    sl_trim(text);
    int rc = 0;
    if (strlen(text) != 40) {
        *err = sl_asprintf("%s: not a key file (want 40 characters of Z85 text)", path);
        rc = -1;
    } else {
        memcpy(key, text, 41);
    }
    free(text);
    return rc;
}

static sl_principal_t *
s_add(sl_principals_t *ps)
{
    ps->v = sl_realloc(ps->v, (ps->n + 1) * sizeof *ps->v);
    sl_principal_t *p = &ps->v[ps->n++];
    memset(p, 0, sizeof *p);
    return p;
}

sl_principals_t *
sl_principals_load(const sl_config_t *cfg, char **err)
{
    sl_principals_t *ps = sl_calloc(1, sizeof *ps);
    char section[96];
    const char *const *names;
    size_t n;
    if (sl_config_has(cfg, "parent", "code")) {
        sl_principal_t *p = s_add(ps);
        p->kind = SL_PRINCIPAL_PARENT;
        snprintf(p->name, sizeof p->name, "%s", sl_config_str(cfg, "parent", "code"));
        if (s_key(sl_config_str(cfg, "parent", "public_key"), p->key, err) != 0)
            goto fail;
    }
    n = sl_config_family(cfg, "child", &names);
    for (size_t i = 0; i < n; i++) {
        snprintf(section, sizeof section, "child.%s", names[i]);
        sl_principal_t *p = s_add(ps);
        p->kind = SL_PRINCIPAL_CHILD;
        snprintf(p->name, sizeof p->name, "%s", names[i]);
        if (s_key(sl_config_str(cfg, section, "public_key"), p->key, err) != 0)
            goto fail;
    }
    n = sl_config_family(cfg, "producer", &names);
    for (size_t i = 0; i < n; i++) {
        snprintf(section, sizeof section, "producer.%s", names[i]);
        sl_principal_t *p = s_add(ps);
        p->kind = SL_PRINCIPAL_PRODUCER;
        snprintf(p->name, sizeof p->name, "%s", names[i]);
        const char *unit = sl_config_str(cfg, section, "unit");
        snprintf(p->unit, sizeof p->unit, "%s", unit ? unit : "");
        const char *const *may;
        size_t nmay = sl_config_list(cfg, section, "may_send", &may);
        static const char *const kinds[] = {"clue",       "receipt",  "objection",
                                            "progress",   "feedback", "report",
                                            "inspection", "spot_check", "accident",
                                            "official",   "finding",
                                            "liaison",    "commitment", "plan"};
        for (size_t k = 0; k < nmay; k++)
            for (size_t b = 0; b < SL_ARRAY_LEN(kinds); b++)
                if (strcmp(may[k], kinds[b]) == 0)
                    p->may |= 1u << b;
        if (s_key(sl_config_str(cfg, section, "public_key"), p->key, err) != 0)
            goto fail;
    }
    return ps;
fail:
    sl_principals_destroy(&ps);
    return NULL;
}

void
sl_principals_destroy(sl_principals_t **p)
{
    if (!p || !*p)
        return;
    free((*p)->v);
    free(*p);
    *p = NULL;
}

const sl_principal_t *
sl_principals_find(const sl_principals_t *ps, const char *key)
{
    for (size_t i = 0; key && i < ps->n; i++)
        if (strcmp(ps->v[i].key, key) == 0)
            return &ps->v[i];
    return NULL;
}

size_t
sl_principals_count(const sl_principals_t *ps)
{
    return ps->n;
}

/* The sender a body names, and the right a producer needs to send it. */
typedef struct {
    const char *origin; /* from_unit / origin_node; NULL if the body names none */
    unsigned may;       /* SL_MAY_* a producer needs; 0: producers may not */
    bool up;            /* a child may send it up */
    bool down;          /* the parent may send it down */
    bool no_origin;     /* a producer's copy names no origin (clue, register rows) */
} s_claim_t;

static s_claim_t
s_claim(const sl_pb_envelope_t *env)
{
    s_claim_t c = {0};
    switch (sl_codec_body(env)) {
    case SL_BODY_CLUE:
        c.origin = env->clue->origin_node && *env->clue->origin_node ? env->clue->origin_node
                                                                     : NULL;
        c.may = SL_MAY_CLUE, c.up = true, c.no_origin = true;
        break;
    case SL_BODY_INSPECTION: /* up from the county that recorded it */
        c.origin = *env->inspection->origin_node ? env->inspection->origin_node : NULL;
        c.may = SL_MAY_INSPECTION, c.up = true, c.no_origin = true;
        break;
    case SL_BODY_SPOT_CHECK: /* down from the city that spot-checked */
        c.origin = *env->spot_check->from_unit ? env->spot_check->from_unit : NULL;
        c.may = SL_MAY_SPOT_CHECK, c.down = true, c.no_origin = true;
        break;
    case SL_BODY_ACCIDENT: /* recorded where it is reported; producers and operators */
        c.may = SL_MAY_ACCIDENT, c.no_origin = true;
        break;
    case SL_BODY_OFFICIAL:
        c.may = SL_MAY_OFFICIAL, c.no_origin = true;
        break;
    case SL_BODY_FINDING:
        c.may = SL_MAY_FINDING, c.no_origin = true;
        break;
    case SL_BODY_LIAISON:
        c.may = SL_MAY_LIAISON, c.no_origin = true;
        break;
    case SL_BODY_COMMITMENT:
        c.may = SL_MAY_COMMITMENT, c.no_origin = true;
        break;
    case SL_BODY_PLAN: /* a unit's producer sends its own plan */
        c.origin = env->plan->from_unit, c.may = SL_MAY_PLAN;
        break;
    case SL_BODY_RECEIPT:
        c.origin = env->receipt->from_unit, c.may = SL_MAY_RECEIPT, c.up = true;
        break;
    case SL_BODY_OBJECTION:
        c.origin = env->objection->from_unit, c.may = SL_MAY_OBJECTION, c.up = true;
        break;
    case SL_BODY_PROGRESS:
        c.origin = env->progress->from_unit, c.may = SL_MAY_PROGRESS, c.up = true;
        break;
    case SL_BODY_FEEDBACK:
        c.origin = env->feedback->from_unit, c.may = SL_MAY_FEEDBACK, c.up = true;
        break;
    case SL_BODY_WEEKLY_REPORT:
        c.origin = env->weekly_report->from_unit, c.may = SL_MAY_REPORT, c.up = true;
        break;
    case SL_BODY_MONTHLY_REPORT:
        c.origin = env->monthly_report->from_unit, c.may = SL_MAY_REPORT, c.up = true;
        break;
    case SL_BODY_ESCALATION:
        c.origin = env->escalation->origin_node, c.up = true;
        break;
    case SL_BODY_TRANSFER:
        c.origin = env->transfer->from_unit, c.down = true;
        break;
    case SL_BODY_DECISION:
        c.origin = env->decision->from_unit, c.down = true;
        break;
    default:
        break;
    }
    return c;
}

int
sl_permit(const sl_principal_t *p, const sl_pb_envelope_t *env, const char *node,
          sl_codec_error_t *err)
{
    (void)node;
    s_claim_t c = s_claim(env);
    const char *kind = sl_codec_body_kind(env);
    const char *origin = c.origin ? c.origin : "";
    switch (p ? p->kind : SL_PRINCIPAL_UNKNOWN) {
    case SL_PRINCIPAL_LOCAL:
        return 0; /* an operator of this node, on behalf of any unit; audited as such */
    case SL_PRINCIPAL_PRODUCER:
        if (!(p->may & c.may))
            goto not_permitted;
        /* A producer speaks for its own unit only; a clue or a register row
         * names no origin. */
        if (c.no_origin ? *origin != '\0' : strcmp(origin, p->unit) != 0)
            goto wrong_origin;
        return 0;
    case SL_PRINCIPAL_CHILD:
        if (!c.up)
            goto not_permitted;
        if (strcmp(origin, p->name) != 0)
            goto wrong_origin;
        if (sl_codec_body(env) == SL_BODY_CLUE &&
            env->clue->channel != SAFELOOP__V1__CLUE_REPORT__CHANNEL__LOWER_NODE)
            goto wrong_origin;
        return 0;
    case SL_PRINCIPAL_PARENT:
        if (!c.down)
            goto not_permitted;
        if (strcmp(origin, p->name) != 0)
            goto wrong_origin;
        return 0;
    default:
        sl_codec_error_set(err, SL_ERR_NOT_PERMITTED, NULL, "发送方密钥未在本节点登记");
        return SL_DECLINED;
    }
not_permitted:
    sl_codec_error_set(err, SL_ERR_NOT_PERMITTED, NULL, "%s %s 无权发送 %s",
                       sl_principal_kind_name(p->kind), p->name, kind);
    return SL_DECLINED;
wrong_origin:
    sl_codec_error_set(err, SL_ERR_WRONG_ORIGIN, NULL,
                       "正文所称发送方“%.60s”与发送密钥（%s %s）不符", origin,
                       sl_principal_kind_name(p->kind), p->name);
    return SL_DECLINED;
}
