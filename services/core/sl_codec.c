/* sl_codec.c — decode and encode the wire messages, checked and arena-backed.
 *
 * Unpacking goes through a ProtobufCAllocator whose allocations come from the
 * caller's sl_arena_t and whose free does nothing, so a decoded message is
 * released with its arena. protobuf-c does not check UTF-8, so after unpacking
 * every string of the envelope is walked through the descriptors and checked,
 * which also lets the error name the field. */
#include "sl_codec.h"

#include "sl_util.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The path of the field being checked, e.g. "typical_cases[1].title". */
typedef struct {
    char s[256]; /* the path, NUL-terminated, truncated if deeper */
    size_t len;  /* strlen(s) */
    bool frozen; /* names the first bad field found: push no more */
} s_path_t;

static void *
s_pb_alloc(void *data, size_t size)
{
    return sl_arena_alloc(data, size);
}

static void
s_pb_free(void *data, void *ptr)
{
    (void)data; /* released with the arena */
    (void)ptr;
}

/* Largest n <= max such that s[0..n) does not end inside a UTF-8 sequence. */
static size_t
s_utf8_cut(const char *s, size_t n, size_t max)
{
    if (n <= max)
        return n;
    size_t cut = max;
    while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
        cut--;
    return cut;
}

void
sl_codec_error_set(sl_codec_error_t *err, const char *code, const char *detail, const char *fmt,
                   ...)
{
    snprintf(err->code, sizeof err->code, "%s%s", code, detail ? detail : "");
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    size_t len = n < 0 ? 0 : (size_t)n;
    if (len >= sizeof tmp)
        len = sizeof tmp - 1;
    len = s_utf8_cut(tmp, len, sizeof err->text - 1);
    memcpy(err->text, tmp, len);
    err->text[len] = '\0';
}

ProtobufCMessage *
sl_codec_unpack(sl_arena_t *arena, const ProtobufCMessageDescriptor *desc, const void *data,
                size_t len)
{
    assert(arena && desc);
    ProtobufCAllocator alloc = {.alloc = s_pb_alloc, .free = s_pb_free, .allocator_data = arena};
    return protobuf_c_message_unpack(desc, &alloc, len, len ? data : (const uint8_t *)"");
}

bool
sl_codec_msg_id_valid(const char *id)
{
    if (!id)
        return false;
    size_t n = 0;
    for (; id[n]; n++) {
        if (n >= SL_MSG_ID_MAX)
            return false;
        if (id[n] < 0x21 || id[n] > 0x7e)
            return false;
    }
    return n > 0;
}

static void
s_path_push(s_path_t *p, const char *name, long index)
{
    size_t room = sizeof p->s - p->len;
    int n;
    if (index >= 0)
        n = snprintf(p->s + p->len, room, "%s%s[%ld]", p->len ? "." : "", name, index);
    else
        n = snprintf(p->s + p->len, room, "%s%s", p->len ? "." : "", name);
    if (n > 0)
        p->len = (size_t)n < room ? p->len + (size_t)n : sizeof p->s - 1;
}

/* Checks every string under M. Each that is not valid UTF-8 is replaced by
 * its escaped form (sl_utf8_escape) in ARENA, so nothing downstream — the
 * dead-letter row, the Ack, the log — meets the peer's bad bytes; PATH names
 * the first. At the root, the oneof members (the body) add no path element,
 * so paths are relative to the body as in the error-code table. Returns
 * false if any string was replaced. */
static bool
s_utf8_walk(ProtobufCMessage *m, s_path_t *path, bool root, sl_arena_t *arena)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    char *base = (char *)m;
    bool all_ok = true;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        bool in_oneof = (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0;
        if (in_oneof && *(const uint32_t *)(base + f->quantifier_offset) != f->id)
            continue;
        size_t saved = path->len;
        size_t count = 1;
        void **items = (void **)(base + f->offset);
        bool repeated = f->label == PROTOBUF_C_LABEL_REPEATED;
        if (repeated) {
            count = *(const size_t *)(base + f->quantifier_offset);
            items = *(void ***)(base + f->offset);
        }
        for (size_t k = 0; k < count; k++) {
            void *v = items[k];
            if (!v)
                continue;
            if (!(root && in_oneof) && !path->frozen)
                s_path_push(path, f->name, repeated ? (long)k : -1);
            bool ok = true;
            if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
                ok = s_utf8_walk(v, path, false, arena);
            } else if (!sl_utf8_valid(v, strlen(v))) {
                sl_buf_t esc;
                sl_buf_init(&esc);
                sl_utf8_escape(&esc, v, strlen(v));
                items[k] = sl_arena_strndup(arena, esc.data, esc.len);
                sl_buf_free(&esc);
                ok = false;
            }
            if (!ok) {
                all_ok = false;
                path->frozen = true; /* PATH keeps naming the first */
            }
            if (!path->frozen) {
                path->len = saved;
                path->s[saved] = '\0';
            }
        }
    }
    return all_ok;
}

int
sl_codec_decode_envelope(sl_arena_t *arena, const void *data, size_t len, size_t max_len,
                         sl_pb_envelope_t **out, sl_codec_error_t *err)
{
    assert(arena && out && err);
    *out = NULL;
    err->code[0] = err->text[0] = '\0';
    if (len == 0) {
        sl_codec_error_set(err, SL_ERR_EMPTY_FRAME, NULL, "报文帧为空");
        return SL_DECLINED;
    }
    if (max_len > 0 && len > max_len) {
        sl_codec_error_set(err, SL_ERR_TOO_LARGE, NULL, "报文 %zu 字节，超过上限 %zu 字节", len,
                           max_len);
        return SL_DECLINED;
    }
    ProtobufCMessage *m = sl_codec_unpack(arena, &safeloop__v1__envelope__descriptor, data, len);
    if (!m) {
        sl_codec_error_set(err, SL_ERR_BAD_PROTOBUF, NULL, "无法按 safeloop.v1.Envelope 解码");
        return SL_DECLINED;
    }
    sl_pb_envelope_t *env = (sl_pb_envelope_t *)m;
    *out = env;
    /* msg_id is judged on the bytes received, before any escaping */
    bool id_ok = sl_codec_msg_id_valid(env->msg_id);
    s_path_t path = {.len = 0};
    path.s[0] = '\0';
    bool utf8_ok = s_utf8_walk(m, &path, true, arena);
    if (!id_ok) {
        sl_codec_error_set(err, SL_ERR_BAD_MSG_ID, NULL,
                           "msg_id 须为 1 至 %d 字节的可打印 ASCII 字符", SL_MSG_ID_MAX);
        return SL_DECLINED;
    }
    if (!utf8_ok) {
        sl_codec_error_set(err, SL_ERR_BAD_UTF8, NULL, "字段 %s 不是有效的 UTF-8",
                           path.len ? path.s : "(body)");
        return SL_DECLINED;
    }
    if (sl_codec_body(env) == SL_BODY_NONE) {
        sl_codec_error_set(err, SL_ERR_UNKNOWN_BODY, NULL, "报文没有本节点可识别的正文");
        return SL_DECLINED;
    }
    return 0;
}

/* Unpacks and escapes whatever string is not UTF-8 (a peer's bytes). */
static ProtobufCMessage *
s_unpack_clean(sl_arena_t *arena, const ProtobufCMessageDescriptor *desc, const void *data,
               size_t len)
{
    ProtobufCMessage *m = sl_codec_unpack(arena, desc, data, len);
    s_path_t path = {.len = 0};
    if (m)
        s_utf8_walk(m, &path, false, arena);
    return m;
}

sl_pb_ack_t *
sl_codec_decode_ack(sl_arena_t *arena, const void *data, size_t len)
{
    return (sl_pb_ack_t *)s_unpack_clean(arena, &safeloop__v1__ack__descriptor, data, len);
}

sl_pb_event_t *
sl_codec_decode_event(sl_arena_t *arena, const void *data, size_t len)
{
    return (sl_pb_event_t *)s_unpack_clean(arena, &safeloop__v1__event__descriptor, data, len);
}

uint8_t *
sl_codec_pack(const ProtobufCMessage *msg, size_t *len)
{
    assert(msg && len);
    size_t n = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = sl_malloc(n);
    size_t done = protobuf_c_message_pack(msg, buf);
    assert(done == n);
    *len = done;
    return buf;
}

uint8_t *
sl_codec_encode_envelope(const sl_pb_envelope_t *env, size_t *len)
{
    return sl_codec_pack(&env->base, len);
}

uint8_t *
sl_codec_encode_ack(const sl_pb_ack_t *ack, size_t *len)
{
    return sl_codec_pack(&ack->base, len);
}

uint8_t *
sl_codec_encode_event(const sl_pb_event_t *ev, size_t *len)
{
    return sl_codec_pack(&ev->base, len);
}

/* protobuf-c wants char *; the ack only borrows, encoding never writes. */
static char *
s_str(const char *s)
{
    return (char *)(s ? s : "");
}

static void
s_ack_fill(sl_pb_ack_t *ack, Safeloop__V1__Ack__Status status, const char *msg_id,
           const char *case_no, const char *ref, const char *code, const char *text)
{
    safeloop__v1__ack__init(ack);
    ack->status = status;
    ack->msg_id = s_str(msg_id);
    ack->case_no = s_str(case_no);
    ack->ref = s_str(ref);
    ack->error_code = s_str(code);
    ack->error_text = s_str(text);
}

void
sl_codec_ack_accepted(sl_pb_ack_t *ack, const char *msg_id, const char *case_no, const char *ref)
{
    s_ack_fill(ack, SL_ACK_ACCEPTED, msg_id, case_no, ref, NULL, NULL);
}

void
sl_codec_ack_duplicate(sl_pb_ack_t *ack, const char *msg_id, const char *case_no, const char *ref)
{
    s_ack_fill(ack, SL_ACK_DUPLICATE, msg_id, case_no, ref, NULL, NULL);
}

void
sl_codec_ack_rejected(sl_pb_ack_t *ack, const char *msg_id, const char *code, const char *text)
{
    s_ack_fill(ack, SL_ACK_REJECTED, msg_id, NULL, NULL, code, text);
}

sl_body_t
sl_codec_body(const sl_pb_envelope_t *env)
{
    switch (env->body_case) {
    case SAFELOOP__V1__ENVELOPE__BODY_CLUE:
    case SAFELOOP__V1__ENVELOPE__BODY_RECEIPT:
    case SAFELOOP__V1__ENVELOPE__BODY_OBJECTION:
    case SAFELOOP__V1__ENVELOPE__BODY_PROGRESS:
    case SAFELOOP__V1__ENVELOPE__BODY_FEEDBACK:
    case SAFELOOP__V1__ENVELOPE__BODY_DECISION:
    case SAFELOOP__V1__ENVELOPE__BODY_TRANSFER:
    case SAFELOOP__V1__ENVELOPE__BODY_ESCALATION:
    case SAFELOOP__V1__ENVELOPE__BODY_WEEKLY_REPORT:
    case SAFELOOP__V1__ENVELOPE__BODY_MONTHLY_REPORT:
    case SAFELOOP__V1__ENVELOPE__BODY_INSPECTION:
    case SAFELOOP__V1__ENVELOPE__BODY_SPOT_CHECK:
    case SAFELOOP__V1__ENVELOPE__BODY_ACCIDENT:
    case SAFELOOP__V1__ENVELOPE__BODY_OFFICIAL:
    case SAFELOOP__V1__ENVELOPE__BODY_FINDING:
    case SAFELOOP__V1__ENVELOPE__BODY_LIAISON:
    case SAFELOOP__V1__ENVELOPE__BODY_COMMITMENT:
    case SAFELOOP__V1__ENVELOPE__BODY_PLAN:
    case SAFELOOP__V1__ENVELOPE__BODY_PUBLIC_NOTE:
        return (sl_body_t)env->body_case;
    default:
        return SL_BODY_NONE;
    }
}

const ProtobufCMessage *
sl_codec_body_msg(const sl_pb_envelope_t *env)
{
    switch (sl_codec_body(env)) {
    case SL_BODY_CLUE:
        return &env->clue->base;
    case SL_BODY_RECEIPT:
        return &env->receipt->base;
    case SL_BODY_OBJECTION:
        return &env->objection->base;
    case SL_BODY_PROGRESS:
        return &env->progress->base;
    case SL_BODY_FEEDBACK:
        return &env->feedback->base;
    case SL_BODY_DECISION:
        return &env->decision->base;
    case SL_BODY_TRANSFER:
        return &env->transfer->base;
    case SL_BODY_ESCALATION:
        return &env->escalation->base;
    case SL_BODY_WEEKLY_REPORT:
        return &env->weekly_report->base;
    case SL_BODY_MONTHLY_REPORT:
        return &env->monthly_report->base;
    case SL_BODY_INSPECTION:
        return &env->inspection->base;
    case SL_BODY_SPOT_CHECK:
        return &env->spot_check->base;
    case SL_BODY_ACCIDENT:
        return &env->accident->base;
    case SL_BODY_OFFICIAL:
        return &env->official->base;
    case SL_BODY_FINDING:
        return &env->finding->base;
    case SL_BODY_LIAISON:
        return &env->liaison->base;
    case SL_BODY_COMMITMENT:
        return &env->commitment->base;
    case SL_BODY_PLAN:
        return &env->plan->base;
    case SL_BODY_PUBLIC_NOTE:
        return &env->public_note->base;
    case SL_BODY_NONE:
        break;
    }
    return NULL;
}

const char *
sl_codec_body_name(sl_body_t body)
{
    switch (body) {
    case SL_BODY_CLUE:
        return "clue";
    case SL_BODY_RECEIPT:
        return "receipt";
    case SL_BODY_OBJECTION:
        return "objection";
    case SL_BODY_PROGRESS:
        return "progress";
    case SL_BODY_FEEDBACK:
        return "feedback";
    case SL_BODY_DECISION:
        return "decision";
    case SL_BODY_TRANSFER:
        return "transfer";
    case SL_BODY_ESCALATION:
        return "escalation";
    case SL_BODY_WEEKLY_REPORT:
        return "weekly_report";
    case SL_BODY_MONTHLY_REPORT:
        return "monthly_report";
    case SL_BODY_INSPECTION:
        return "inspection";
    case SL_BODY_SPOT_CHECK:
        return "spot_check";
    case SL_BODY_ACCIDENT:
        return "accident";
    case SL_BODY_OFFICIAL:
        return "official";
    case SL_BODY_FINDING:
        return "finding";
    case SL_BODY_LIAISON:
        return "liaison";
    case SL_BODY_COMMITMENT:
        return "commitment";
    case SL_BODY_PLAN:
        return "plan";
    case SL_BODY_PUBLIC_NOTE:
        return "public_note";
    case SL_BODY_NONE:
        break;
    }
    return "none";
}

const char *
sl_codec_body_kind(const sl_pb_envelope_t *env)
{
    return sl_codec_body_name(sl_codec_body(env));
}
