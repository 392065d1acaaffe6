/* fuzz_envelope.c — libFuzzer target: an envelope off the wire, decoded and
 * judged as sl-intake judges it.
 *
 * The bytes go through sl_codec_decode_envelope (protobuf, msg_id, UTF-8, a
 * known body) and, when they decode, through sl_apply_prepare for each kind
 * of sender (the local operator, a producer, a child node, the parent) at a
 * city node 140700: sl_permit, the sl_validate_* rules, the route. No I/O. */
#include "sl_apply.h"
#include "sl_log.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static sl_route_map_t *s_routes;

static const sl_route_map_t *
s_map(void)
{
    if (!s_routes) {
        sl_log_set_level(SL_LOG_ERROR + 1);
        s_routes = sl_route_map_new("140700");
        sl_route_map_add(s_routes, "140000", "");
        sl_route_map_add(s_routes, "140700", "140000");
        sl_route_map_add(s_routes, "140728", "140700");
        sl_route_map_add(s_routes, "140781", "140700");
    }
    return s_routes;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    const sl_principal_t producer = {.kind = SL_PRINCIPAL_PRODUCER,
                                     .name = "app",
                                     .unit = "140728-yj",
                                     .may = SL_MAY_CLUE | SL_MAY_RECEIPT | SL_MAY_OBJECTION |
                                            SL_MAY_PROGRESS | SL_MAY_FEEDBACK | SL_MAY_REPORT};
    const sl_principal_t child = {.kind = SL_PRINCIPAL_CHILD, .name = "140728"};
    const sl_principal_t parent = {.kind = SL_PRINCIPAL_PARENT, .name = "140000"};
    const sl_principal_t *who[] = {sl_principal_local(), &producer, &child, &parent};
    const sl_apply_ctx_t ctx = {.node = "140700", .parent = "140000", .routes = s_map()};

    for (size_t i = 0; i < sizeof who / sizeof who[0]; i++) {
        /* sl_apply_prepare may change the envelope (a parent's transfer becomes a
         * clue of this node): each sender gets a fresh decode. */
        sl_arena_t *arena = sl_arena_new(0);
        sl_pb_envelope_t *env = NULL;
        sl_codec_error_t err;
        memset(&err, 0, sizeof err);
        int rc = sl_codec_decode_envelope(arena, data, len, 256 * 1024, &env, &err);
        if (rc == 0) {
            sl_apply_item_t it = {.env = env, .principal = who[i], .sender = "fuzz"};
            sl_apply_prepare(&ctx, &it);
            if (it.state != SL_APPLY_VALID && it.state != SL_APPLY_REJECT)
                __builtin_trap();
            if (it.state == SL_APPLY_REJECT && it.err.code[0] == '\0')
                __builtin_trap(); /* a rejection always says why */
        } else if (err.code[0] == '\0') {
            __builtin_trap();
        }
        sl_arena_destroy(&arena);
        if (rc != 0)
            break; /* the decode does not depend on the sender */
    }
    return 0;
}
