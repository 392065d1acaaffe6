/* sl_principal.h — who sent an envelope, and what they may send (DESIGN.md
 * "Wire contract": `producer` is a label; the key is the identity).
 *
 * A node knows the CURVE public keys of its parent, its children and its
 * producers from its config. Each envelope arrives with its sender's key (the
 * ZAP handler's User-Id) or over the node's ipc endpoint (a local operator).
 * sl_permit decides, from the sender and the body's own fields, whether the
 * body may be taken: `not_permitted` (this sender may not send this kind of
 * body) or `wrong_origin` (the body names a sender other than the key's). */
#ifndef SL_PRINCIPAL_H
#define SL_PRINCIPAL_H

#include "sl_codec.h"
#include "sl_config.h"

#include <stdbool.h>

typedef enum {
    SL_PRINCIPAL_UNKNOWN = 0, /* a key the config does not name */
    SL_PRINCIPAL_LOCAL,       /* the ipc endpoint: an operator on this node (slctl) */
    SL_PRINCIPAL_PRODUCER,    /* [producer.NAME] */
    SL_PRINCIPAL_CHILD,       /* [child.CODE] */
    SL_PRINCIPAL_PARENT       /* [parent] */
} sl_principal_kind_t;

/* What a producer's may_send can list; bit i is 1 << i. */
enum {
    SL_MAY_CLUE = 1 << 0,
    SL_MAY_RECEIPT = 1 << 1,
    SL_MAY_OBJECTION = 1 << 2,
    SL_MAY_PROGRESS = 1 << 3,
    SL_MAY_FEEDBACK = 1 << 4,
    SL_MAY_REPORT = 1 << 5,
    SL_MAY_INSPECTION = 1 << 6, /* 检查记录 (registers) */
    SL_MAY_SPOT_CHECK = 1 << 7, /* 抽查结果 (registers) */
    SL_MAY_ACCIDENT = 1 << 8,   /* 事故记录 (registers) */
    SL_MAY_OFFICIAL = 1 << 9,   /* 责任人员 (registers) */
    SL_MAY_FINDING = 1 << 10,   /* 前期排查问题 (registers) */
    SL_MAY_LIAISON = 1 << 11,   /* 联络人 (registers) */
    SL_MAY_COMMITMENT = 1 << 12, /* 安全承诺 (registers) */
    SL_MAY_PLAN = 1 << 13        /* 实施方案 (registers) */
};

typedef struct {
    sl_principal_kind_t kind;
    char name[72];  /* producer name, or the node's division code; "ipc" for local */
    char unit[72];  /* producers: the unit code it answers for ("" if it only reports) */
    unsigned may;   /* producers: SL_MAY_* bits */
    char key[41];   /* Z85 public key ("" for local) */
} sl_principal_t;

typedef struct sl_principals sl_principals_t;

/* The principals the config names, their key files read. NULL with *err (a new
 * string naming the file) if a key file is unreadable or malformed. */
sl_principals_t *sl_principals_load(const sl_config_t *cfg, char **err);
void sl_principals_destroy(sl_principals_t **p);
/* The principal with Z85 public key KEY, or NULL. */
const sl_principal_t *sl_principals_find(const sl_principals_t *ps, const char *key);
/* The local operator (ipc). Static. */
const sl_principal_t *sl_principal_local(void);
size_t sl_principals_count(const sl_principals_t *ps);

/* May P send ENV to node NODE? 0, or SL_DECLINED with ERR set to not_permitted
 * or wrong_origin. Pure: checks the body kind against the sender's rights and
 * the origin fields the body names (from_unit, origin_node, channel). Whether
 * a transfer an answer names is addressed to that unit is checked where the
 * transfer is read. */
int sl_permit(const sl_principal_t *p, const sl_pb_envelope_t *env, const char *node,
              sl_codec_error_t *err);

/* "producer hotline", "child 140781", "parent 140700", "ipc": for logs. */
const char *sl_principal_kind_name(sl_principal_kind_t kind);

#endif
