/* test_codec.c — the wire codec, the arena and the sector table.
 *
 * Doubles as the example of use: build an envelope, encode it, decode it into
 * an arena, answer with an Ack; garbage is declined with a stable code and
 * never crashes; every sector is found by value, wire name and short name;
 * msg_ids (sl_uuid) are version-4 UUIDs that never repeat, in a forked child
 * either. */
#include "sl_arena.h"
#include "sl_codec.h"
#include "sl_sector.h"
#include "sl_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

/* A clue envelope as a hotline front-end would send it; strings are borrowed. */
static uint8_t *
s_encode_clue(const char *msg_id, const char *subject_name, size_t *len)
{
    static int32_t violations[] = {1, 7, 12};
    static uint8_t nonce[24] = {1, 2, 3};
    sl_pb_subject_t subject = SAFELOOP__V1__SUBJECT__INIT;
    subject.name = (char *)subject_name;
    subject.credit_code = "91140700MA0K123456";
    sl_pb_place_t place = SAFELOOP__V1__PLACE__INIT;
    place.division = "140728";
    place.township = "古陶镇";
    sl_pb_reporter_t reporter = SAFELOOP__V1__REPORTER__INIT;
    reporter.name = "张三";
    reporter.phone = "13800000000";
    sl_pb_sealed_reporter_t sealed = SAFELOOP__V1__SEALED_REPORTER__INIT;
    sealed.key_id = "140700:1a2b3c4d";
    sealed.nonce.data = nonce;
    sealed.nonce.len = sizeof nonce;
    sl_pb_clue_t clue = SAFELOOP__V1__CLUE_REPORT__INIT;
    clue.channel = SAFELOOP__V1__CLUE_REPORT__CHANNEL__HOTLINE;
    clue.received_at = 1643331600000;
    clue.subject = &subject;
    clue.place = &place;
    clue.sector = SAFELOOP__V1__SECTOR__COAL_MINE;
    clue.n_violations = SL_ARRAY_LEN(violations);
    clue.violations = violations;
    clue.description = "井下违规动火作业";
    clue.major_hazard = true;
    clue.reporter = &reporter;
    clue.sealed_reporter = &sealed;
    sl_pb_envelope_t env = SL_PB_ENVELOPE_INIT;
    env.msg_id = (char *)msg_id;
    env.producer = "hotline";
    env.sent_at = 1643331601000;
    env.body_case = SAFELOOP__V1__ENVELOPE__BODY_CLUE;
    env.clue = &clue;
    return sl_codec_encode_envelope(&env, len);
}

static void
test_clue_round_trip(void **state)
{
    (void)state;
    size_t len;
    uint8_t *buf =
        s_encode_clue("6f1c7a52-0d6e-4c5e-9d1c-2b9f4a1e0001", "平遥县某煤业有限公司", &len);
    assert_true(len > 0);

    sl_arena_t *arena = sl_arena_new(0);
    sl_pb_envelope_t *env = NULL;
    sl_codec_error_t err;
    assert_int_equal(sl_codec_decode_envelope(arena, buf, len, 1 << 20, &env, &err), 0);
    assert_non_null(env);
    assert_string_equal(err.code, "");
    assert_string_equal(env->msg_id, "6f1c7a52-0d6e-4c5e-9d1c-2b9f4a1e0001");
    assert_string_equal(env->producer, "hotline");
    assert_int_equal(env->sent_at, 1643331601000);
    assert_int_equal(sl_codec_body(env), SL_BODY_CLUE);
    assert_string_equal(sl_codec_body_kind(env), "clue");
    assert_ptr_equal(sl_codec_body_msg(env), &env->clue->base);

    const sl_pb_clue_t *c = env->clue;
    assert_int_equal(c->channel, SAFELOOP__V1__CLUE_REPORT__CHANNEL__HOTLINE);
    assert_int_equal(c->received_at, 1643331600000);
    assert_string_equal(c->subject->name, "平遥县某煤业有限公司");
    assert_string_equal(c->subject->credit_code, "91140700MA0K123456");
    assert_string_equal(c->place->division, "140728");
    assert_string_equal(c->place->township, "古陶镇");
    assert_string_equal(c->place->address, "");
    assert_int_equal(c->sector, SAFELOOP__V1__SECTOR__COAL_MINE);
    assert_string_equal(sl_sector_by_value((int)c->sector)->short_zh, "煤");
    assert_int_equal(c->n_violations, 3);
    assert_int_equal(c->violations[0], 1);
    assert_int_equal(c->violations[2], 12);
    assert_string_equal(c->description, "井下违规动火作业");
    assert_true(c->major_hazard);
    assert_false(c->suspected_crime);
    assert_string_equal(c->reporter->name, "张三");
    assert_string_equal(c->sealed_reporter->key_id, "140700:1a2b3c4d");
    assert_int_equal(c->sealed_reporter->nonce.len, 24);
    assert_int_equal(c->sealed_reporter->nonce.data[2], 3);
    assert_int_equal(c->sealed_reporter->ciphertext.len, 0);

    /* Re-encoding the decoded message gives the same bytes. */
    size_t len2;
    uint8_t *buf2 = sl_codec_encode_envelope(env, &len2);
    assert_int_equal(len2, len);
    assert_memory_equal(buf2, buf, len);

    /* What intake stores: the same envelope with the clear reporter dropped. */
    env->clue->reporter = NULL;
    size_t len3;
    uint8_t *buf3 = sl_codec_encode_envelope(env, &len3);
    assert_true(len3 < len);
    sl_pb_envelope_t *stored = NULL;
    assert_int_equal(sl_codec_decode_envelope(arena, buf3, len3, 0, &stored, &err), 0);
    assert_null(stored->clue->reporter);
    assert_non_null(stored->clue->sealed_reporter);
    assert_null(memmem(buf3, len3, "张三", strlen("张三")));

    free(buf);
    free(buf2);
    free(buf3);
    sl_arena_destroy(&arena);
    assert_null(arena);
    sl_arena_destroy(&arena); /* NULL is fine */
}

static void
test_feedback_round_trip(void **state)
{
    (void)state;
    sl_pb_sign_off_t sign = SAFELOOP__V1__SIGN_OFF__INIT;
    sign.leader_name = "李四";
    sign.leader_title = "县长";
    sign.signed_at = 1643950000000;
    sl_pb_feedback_t fb = SAFELOOP__V1__FEEDBACK__INIT;
    fb.notice_no = "（煤）移〔2026〕17号";
    fb.from_unit = "140728";
    fb.operator_ = "operator1";
    fb.violation_nature = "非法违法生产经营";
    fb.production_suspended = true;
    fb.penalized = true;
    fb.penalty_fen = 5000000; /* 50,000.00 yuan */
    fb.disciplined_count = 2;
    fb.interviews = 3;
    fb.sign_off = &sign;
    sl_pb_envelope_t env = SL_PB_ENVELOPE_INIT;
    env.msg_id = "fb-1";
    env.body_case = SAFELOOP__V1__ENVELOPE__BODY_FEEDBACK;
    env.feedback = &fb;
    size_t len;
    uint8_t *buf = sl_codec_encode_envelope(&env, &len);

    sl_arena_t *arena = sl_arena_new(256); /* small blocks: exercises block chaining */
    sl_pb_envelope_t *got;
    sl_codec_error_t err;
    assert_int_equal(sl_codec_decode_envelope(arena, buf, len, 0, &got, &err), 0);
    assert_string_equal(sl_codec_body_kind(got), "feedback");
    assert_string_equal(got->feedback->notice_no, "（煤）移〔2026〕17号");
    assert_string_equal(got->feedback->operator_, "operator1");
    assert_true(got->feedback->production_suspended);
    assert_false(got->feedback->closed_down);
    assert_int_equal(got->feedback->penalty_fen, 5000000);
    assert_int_equal(got->feedback->disciplined_count, 2);
    assert_string_equal(got->feedback->sign_off->leader_title, "县长");
    assert_int_equal(got->feedback->sign_off->signed_at, 1643950000000);
    free(buf);
    sl_arena_destroy(&arena);
}

static void
test_weekly_report_round_trip(void **state)
{
    (void)state;
    Safeloop__V1__WeeklyReport__FiguresEntry e1 = SAFELOOP__V1__WEEKLY_REPORT__FIGURES_ENTRY__INIT;
    e1.key = "clues";
    e1.value = 42;
    Safeloop__V1__WeeklyReport__FiguresEntry *figs[] = {&e1};
    sl_pb_typical_case_t tc1 = SAFELOOP__V1__TYPICAL_CASE__INIT, tc2 = tc1;
    tc1.title = "某公司无证经营案";
    tc1.negative = true;
    tc2.title = "某加油站违规储存案";
    tc2.advice = "举一反三";
    sl_pb_typical_case_t *cases[] = {&tc1, &tc2};
    sl_pb_weekly_report_t wr = SAFELOOP__V1__WEEKLY_REPORT__INIT;
    wr.from_unit = "140728";
    wr.period_start = "2022-01-24";
    wr.period_end = "2022-01-30";
    wr.n_figures = 1;
    wr.figures = figs;
    wr.n_typical_cases = 2;
    wr.typical_cases = cases;
    sl_pb_envelope_t env = SL_PB_ENVELOPE_INIT;
    env.msg_id = "wr-1";
    env.body_case = SAFELOOP__V1__ENVELOPE__BODY_WEEKLY_REPORT;
    env.weekly_report = &wr;
    size_t len;
    uint8_t *buf = sl_codec_encode_envelope(&env, &len);

    sl_arena_t *arena = sl_arena_new(0);
    sl_pb_envelope_t *got;
    sl_codec_error_t err;
    assert_int_equal(sl_codec_decode_envelope(arena, buf, len, 0, &got, &err), 0);
    assert_string_equal(sl_codec_body_kind(got), "weekly_report");
    assert_int_equal(got->weekly_report->n_figures, 1);
    assert_string_equal(got->weekly_report->figures[0]->key, "clues");
    assert_int_equal(got->weekly_report->figures[0]->value, 42);
    assert_int_equal(got->weekly_report->n_typical_cases, 2);
    assert_string_equal(got->weekly_report->typical_cases[1]->advice, "举一反三");
    assert_true(got->weekly_report->typical_cases[0]->negative);
    free(buf);

    /* A bad string deep inside a repeated message is named by its path. */
    tc2.advice = "\xe4\xb8"; /* a truncated 3-byte sequence */
    buf = sl_codec_encode_envelope(&env, &len);
    assert_int_equal(sl_codec_decode_envelope(arena, buf, len, 0, &got, &err), SL_DECLINED);
    assert_string_equal(err.code, "bad_utf8");
    assert_non_null(strstr(err.text, "typical_cases[1].advice"));
    free(buf);
    sl_arena_destroy(&arena);
}

static void
test_ack_and_event(void **state)
{
    (void)state;
    sl_arena_t *arena = sl_arena_new(0);
    sl_pb_ack_t ack;
    size_t len;

    sl_codec_ack_accepted(&ack, "m-1", "晋中-2022-000017", "（煤）移〔2022〕3号");
    uint8_t *buf = sl_codec_encode_ack(&ack, &len);
    sl_pb_ack_t *got = sl_codec_decode_ack(arena, buf, len);
    assert_non_null(got);
    assert_int_equal(got->status, SL_ACK_ACCEPTED);
    assert_string_equal(got->msg_id, "m-1");
    assert_string_equal(got->case_no, "晋中-2022-000017");
    assert_string_equal(got->ref, "（煤）移〔2022〕3号");
    assert_string_equal(got->error_code, "");
    free(buf);

    sl_codec_ack_duplicate(&ack, "m-1", "晋中-2022-000017", NULL);
    buf = sl_codec_encode_ack(&ack, &len);
    got = sl_codec_decode_ack(arena, buf, len);
    assert_int_equal(got->status, SL_ACK_DUPLICATE);
    assert_string_equal(got->ref, "");
    free(buf);

    sl_codec_error_t err;
    sl_codec_error_set(&err, SL_ERR_MISSING_FIELD, "subject.name", "缺少字段 %s", "subject.name");
    assert_string_equal(err.code, "missing_field:subject.name");
    sl_codec_ack_rejected(&ack, "m-2", err.code, err.text);
    buf = sl_codec_encode_ack(&ack, &len);
    got = sl_codec_decode_ack(arena, buf, len);
    assert_int_equal(got->status, SL_ACK_REJECTED);
    assert_string_equal(got->error_code, "missing_field:subject.name");
    assert_string_equal(got->error_text, "缺少字段 subject.name");
    assert_string_equal(got->case_no, "");
    free(buf);

    sl_pb_event_t ev = SL_PB_EVENT_INIT;
    ev.topic = "case.registered";
    ev.at = 1643331601000;
    ev.node = "140700";
    ev.case_no = "晋中-2022-000017";
    ev.msg_id = "m-1";
    ev.json = "{\"sector\":\"COAL_MINE\"}";
    buf = sl_codec_encode_event(&ev, &len);
    sl_pb_event_t *gev = sl_codec_decode_event(arena, buf, len);
    assert_non_null(gev);
    assert_string_equal(gev->topic, "case.registered");
    assert_int_equal(gev->at, 1643331601000);
    assert_string_equal(gev->json, "{\"sector\":\"COAL_MINE\"}");
    free(buf);

    /* Garbage is not an Ack. */
    static const uint8_t junk[] = {0xff, 0xff, 0xff};
    assert_null(sl_codec_decode_ack(arena, junk, sizeof junk));
    sl_arena_destroy(&arena);
}

static void
test_declined(void **state)
{
    (void)state;
    sl_arena_t *arena = sl_arena_new(0);
    sl_pb_envelope_t *env;
    sl_codec_error_t err;

    assert_int_equal(sl_codec_decode_envelope(arena, "", 0, 0, &env, &err), SL_DECLINED);
    assert_string_equal(err.code, "empty_frame");
    assert_null(env);

    size_t len;
    uint8_t *buf = s_encode_clue("m-big", "某公司", &len);
    assert_int_equal(sl_codec_decode_envelope(arena, buf, len, len - 1, &env, &err), SL_DECLINED);
    assert_string_equal(err.code, "too_large");
    assert_null(env);
    assert_int_equal(sl_codec_decode_envelope(arena, buf, len, len, &env, &err), 0);

    /* Every truncation of a valid encoding is declined or parses; none crashes,
     * and a parse is always a well-formed message. */
    for (size_t n = 1; n < len; n++) {
        int rc = sl_codec_decode_envelope(arena, buf, n, 0, &env, &err);
        assert_true(rc == 0 || rc == SL_DECLINED);
        if (rc == SL_DECLINED)
            assert_true(err.code[0] != '\0');
    }
    /* Single bit flips everywhere. */
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            buf[i] ^= (uint8_t)(1u << bit);
            int rc = sl_codec_decode_envelope(arena, buf, len, 0, &env, &err);
            assert_true(rc == 0 || rc == SL_DECLINED);
            buf[i] ^= (uint8_t)(1u << bit);
        }
        sl_arena_reset(arena);
    }
    free(buf);

    /* Random bytes. */
    srand(12345);
    uint8_t junk[512];
    for (int round = 0; round < 2000; round++) {
        size_t n = 1 + (size_t)(rand() % (int)sizeof junk);
        for (size_t i = 0; i < n; i++)
            junk[i] = (uint8_t)rand();
        int rc = sl_codec_decode_envelope(arena, junk, n, 0, &env, &err);
        assert_true(rc == 0 || rc == SL_DECLINED);
        sl_arena_reset(arena);
    }
    /* A known-bad encoding: field 1 length-delimited, length beyond the end. */
    static const uint8_t bad[] = {0x0a, 0x40, 'x'};
    assert_int_equal(sl_codec_decode_envelope(arena, bad, sizeof bad, 0, &env, &err), SL_DECLINED);
    assert_string_equal(err.code, "bad_protobuf");
    assert_null(env);

    /* msg_id: empty, too long, not printable. */
    buf = s_encode_clue("", "某公司", &len);
    assert_int_equal(sl_codec_decode_envelope(arena, buf, len, 0, &env, &err), SL_DECLINED);
    assert_string_equal(err.code, "bad_msg_id");
    assert_non_null(env);
    free(buf);
    char longid[66];
    memset(longid, 'a', 65);
    longid[65] = '\0';
    buf = s_encode_clue(longid, "某公司", &len);
    assert_int_equal(sl_codec_decode_envelope(arena, buf, len, 0, &env, &err), SL_DECLINED);
    assert_string_equal(err.code, "bad_msg_id");
    free(buf);
    longid[64] = '\0';
    buf = s_encode_clue(longid, "某公司", &len);
    assert_int_equal(sl_codec_decode_envelope(arena, buf, len, 0, &env, &err), 0);
    free(buf);
    assert_false(sl_codec_msg_id_valid("a b"));
    assert_false(sl_codec_msg_id_valid("编号"));
    assert_true(sl_codec_msg_id_valid("6f1c7a52-0d6e-4c5e-9d1c-2b9f4a1e0001"));

    /* Invalid UTF-8 in a body string: declined, the envelope and its msg_id kept. */
    buf = s_encode_clue("m-utf8", "\xff\xfe公司", &len);
    assert_int_equal(sl_codec_decode_envelope(arena, buf, len, 0, &env, &err), SL_DECLINED);
    assert_string_equal(err.code, "bad_utf8");
    assert_non_null(strstr(err.text, "subject.name"));
    assert_non_null(env);
    assert_string_equal(env->msg_id, "m-utf8");
    free(buf);

    /* No body, and a body from a newer producer (unknown field 99). */
    sl_pb_envelope_t e = SL_PB_ENVELOPE_INIT;
    e.msg_id = "m-nobody";
    buf = sl_codec_encode_envelope(&e, &len);
    assert_int_equal(sl_codec_decode_envelope(arena, buf, len, 0, &env, &err), SL_DECLINED);
    assert_string_equal(err.code, "unknown_body");
    assert_string_equal(sl_codec_body_kind(env), "none");
    assert_null(sl_codec_body_msg(env));
    free(buf);
    static const uint8_t newer[] = {0x0a, 0x03, 'm', '-', 'n', 0x9a, 0x06, 0x01, 0x08};
    assert_int_equal(sl_codec_decode_envelope(arena, newer, sizeof newer, 0, &env, &err),
                     SL_DECLINED);
    assert_string_equal(err.code, "unknown_body");
    assert_string_equal(env->msg_id, "m-n");
    sl_arena_destroy(&arena);
}

/* Bad bytes never pass on: a declined envelope's strings that are not UTF-8
 * come back escaped (what the dead letter stores and the log shows), with the
 * code naming the first bad field; valid strings are left as they are. */
static void
test_bad_bytes(void **state)
{
    (void)state;
    sl_arena_t *arena = sl_arena_new(0);
    sl_pb_envelope_t *env;
    sl_codec_error_t err;
    size_t len;

    /* msg_id not UTF-8: bad_msg_id, judged on the bytes; all strings escaped */
    uint8_t *buf = s_encode_clue("ab\xff\xfe", "\xc3公司", &len);
    assert_int_equal(sl_codec_decode_envelope(arena, buf, len, 0, &env, &err), SL_DECLINED);
    assert_string_equal(err.code, "bad_msg_id");
    assert_non_null(env);
    assert_string_equal(env->msg_id, "ab\\xff\\xfe");
    assert_string_equal(env->clue->subject->name, "\\xc3公司");
    assert_string_equal(env->producer, "hotline");
    free(buf);

    /* producer not UTF-8 (a truncated sequence): bad_utf8 naming it */
    sl_pb_envelope_t e = SL_PB_ENVELOPE_INIT;
    e.msg_id = "m-producer";
    e.producer = "前端\xe7\xbc";
    e.body_case = SAFELOOP__V1__ENVELOPE__BODY_RECEIPT;
    sl_pb_receipt_t receipt = SAFELOOP__V1__RECEIPT__INIT;
    receipt.notice_no = "a\\b"; /* a valid string with a backslash stays as it is */
    receipt.receiver_name = "\x80";
    e.receipt = &receipt;
    buf = sl_codec_encode_envelope(&e, &len);
    assert_int_equal(sl_codec_decode_envelope(arena, buf, len, 0, &env, &err), SL_DECLINED);
    assert_string_equal(err.code, "bad_utf8");
    assert_non_null(strstr(err.text, "producer"));
    assert_true(sl_utf8_valid(err.text, strlen(err.text)));
    assert_string_equal(env->msg_id, "m-producer");
    assert_string_equal(env->producer, "前端\\xe7\\xbc");
    assert_string_equal(env->receipt->notice_no, "a\\b");
    assert_string_equal(env->receipt->receiver_name, "\\x80");
    free(buf);

    /* the answer built from it parses and holds only UTF-8 */
    sl_pb_ack_t ack;
    sl_codec_ack_rejected(&ack, env->msg_id, err.code, err.text);
    buf = sl_codec_encode_ack(&ack, &len);
    sl_pb_ack_t *back = sl_codec_decode_ack(arena, buf, len);
    assert_non_null(back);
    assert_true(sl_utf8_valid(back->msg_id, strlen(back->msg_id)));
    free(buf);

    /* a peer's answer with bad bytes (protobuf-c packs what it is given)
     * decodes escaped: sl-dispatch stores a refusal's text as the parked reason */
    sl_codec_ack_rejected(&ack, "m-1", "bad_field:x", "原因\xe7\xbc");
    buf = sl_codec_encode_ack(&ack, &len);
    back = sl_codec_decode_ack(arena, buf, len);
    assert_non_null(back);
    assert_string_equal(back->error_text, "原因\\xe7\\xbc");
    free(buf);

    /* sl_utf8_escape itself: stray, truncated and overlong bytes; backslashes */
    struct {
        const char *in, *out;
    } cases[] = {{"编号-1", "编号-1"},       {"a\\b", "a\\\\b"},
                 {"\xff", "\\xff"},          {"x\xe7\xbc", "x\\xe7\\xbc"},
                 {"\xc0\xaf", "\\xc0\\xaf"}, {"\xed\xa0\x80", "\\xed\\xa0\\x80"}};
    for (size_t i = 0; i < SL_ARRAY_LEN(cases); i++) {
        sl_buf_t b;
        sl_buf_init(&b);
        sl_utf8_escape(&b, cases[i].in, strlen(cases[i].in));
        assert_string_equal(b.data ? b.data : "", cases[i].out);
        assert_true(sl_utf8_valid(b.data ? b.data : "", b.len));
        sl_buf_free(&b);
    }
    sl_arena_destroy(&arena);
}

static void
test_error_text_truncation(void **state)
{
    (void)state;
    sl_codec_error_t err;
    char big[2048] = "";
    for (int i = 0; i < 200; i++)
        strcat(big, "字"); /* 3 bytes each: 600 bytes, more than fits */
    sl_codec_error_set(&err, SL_ERR_WRONG_STATE, "closed", "%s", big);
    assert_string_equal(err.code, "wrong_state:closed");
    size_t n = strlen(err.text);
    assert_true(n < sizeof err.text);
    assert_int_equal(n % 3, 0);
    assert_true(sl_utf8_valid(err.text, n));
}

static void
test_body_names(void **state)
{
    (void)state;
    assert_string_equal(sl_codec_body_name(SL_BODY_CLUE), "clue");
    assert_string_equal(sl_codec_body_name(SL_BODY_RECEIPT), "receipt");
    assert_string_equal(sl_codec_body_name(SL_BODY_OBJECTION), "objection");
    assert_string_equal(sl_codec_body_name(SL_BODY_PROGRESS), "progress");
    assert_string_equal(sl_codec_body_name(SL_BODY_FEEDBACK), "feedback");
    assert_string_equal(sl_codec_body_name(SL_BODY_DECISION), "decision");
    assert_string_equal(sl_codec_body_name(SL_BODY_TRANSFER), "transfer");
    assert_string_equal(sl_codec_body_name(SL_BODY_ESCALATION), "escalation");
    assert_string_equal(sl_codec_body_name(SL_BODY_WEEKLY_REPORT), "weekly_report");
    assert_string_equal(sl_codec_body_name(SL_BODY_MONTHLY_REPORT), "monthly_report");
    assert_string_equal(sl_codec_body_name(SL_BODY_NONE), "none");
    /* The names are the oneof's field names in envelope.proto. */
    const ProtobufCMessageDescriptor *d = &safeloop__v1__envelope__descriptor;
    for (unsigned i = 0; i < d->n_fields; i++)
        if (d->fields[i].flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
            assert_string_equal(sl_codec_body_name((sl_body_t)d->fields[i].id), d->fields[i].name);
}

static void
test_sectors(void **state)
{
    (void)state;
    static const char *shorts[SL_SECTOR_COUNT] = {"煤",   "非煤", "危化", "道运", "建筑", "燃气",
                                                  "临建", "民爆", "文旅", "园区", "危废", "特设",
                                                  "冶金", "消防", "森防", "矿产", "其他"};
    const ProtobufCEnumDescriptor *ed = &safeloop__v1__sector__descriptor;
    assert_int_equal(ed->n_values, SL_SECTOR_COUNT + 1);
    for (int v = 1; v <= SL_SECTOR_COUNT; v++) {
        const sl_sector_t *s = sl_sector_by_value(v);
        assert_non_null(s);
        assert_int_equal(s->value, v);
        assert_ptr_equal(sl_sector_at((size_t)v - 1), s);
        assert_string_equal(s->short_zh, shorts[v - 1]);
        assert_ptr_equal(sl_sector_by_short(shorts[v - 1]), s);
        assert_ptr_equal(sl_sector_by_name(s->name), s);
        /* The table agrees with the proto enum, name for value. */
        const ProtobufCEnumValue *pv = protobuf_c_enum_descriptor_get_value(ed, v);
        assert_non_null(pv);
        assert_string_equal(pv->name, s->name);
        assert_true(s->name_zh[0] && s->dept_key[0] && s->province_dept_key[0]);
        assert_true(s->dept_province[0] && s->dept_city[0] && s->dept_county[0]);
    }
    const sl_sector_t *s = sl_sector_by_name("COAL_MINE");
    assert_int_equal(s->value, SAFELOOP__V1__SECTOR__COAL_MINE);
    assert_string_equal(s->name_zh, "煤矿");
    assert_string_equal(sl_sector_dept_name(s, "county"), "应急管理局");
    assert_string_equal(s->dept_key, "emergency");
    s = sl_sector_by_short("消防");
    assert_string_equal(s->name, "FIRE_SAFETY");
    assert_string_equal(s->dept_province, "消防救援总队");
    assert_string_equal(s->dept_city, "消防救援支队");
    assert_string_equal(s->dept_county, "消防救援大队");
    assert_int_equal(sl_sector_by_short("矿产")->value, SAFELOOP__V1__SECTOR__MINERAL_EXPLOITATION);
    assert_string_equal(sl_sector_by_value(8)->dept_key, "police");
    /* Province names as Shanxi names them (T1): no 局→厅 rule. */
    s = sl_sector_by_name("SPECIAL_EQUIPMENT");
    assert_string_equal(sl_sector_dept_name(s, "province"), "市场监督管理局");
    s = sl_sector_by_name("MINERAL_EXPLOITATION");
    assert_string_equal(sl_sector_dept_name(s, "province"), "自然资源厅");
    assert_string_equal(sl_sector_dept_name(s, "city"), "规划和自然资源局");
    assert_string_equal(sl_sector_dept_name(s, "county"), "自然资源局");
    /* City gas is led by housing at province level: a route, not a rename. */
    s = sl_sector_by_name("CITY_GAS");
    assert_string_equal(sl_sector_dept_key(s, "province"), "housing");
    assert_string_equal(sl_sector_dept_key(s, "city"), "urban");
    assert_string_equal(sl_sector_dept_key(s, "county"), "urban");
    assert_string_equal(sl_sector_dept_key(sl_sector_by_name("COAL_MINE"), "province"),
                        "emergency");
    /* OTHER: 其他行业领域, short name 其他, named by the clue's text. */
    s = sl_sector_by_value(SL_SECTOR_OTHER);
    assert_string_equal(s->name, "OTHER");
    assert_int_equal(s->value, SAFELOOP__V1__SECTOR__OTHER);
    char label[64];
    assert_string_equal(sl_sector_label(s, "电力", label, sizeof label), "其他行业领域（电力）");
    assert_string_equal(sl_sector_label(s, "", label, sizeof label), "其他行业领域");
    assert_string_equal(sl_sector_label(sl_sector_by_value(1), "电力", label, sizeof label),
                        "煤矿");
    assert_string_equal(sl_sector_by_name("HAZARDOUS_WASTE")->name_zh, "危废处置");

    assert_null(sl_sector_by_value(0));
    assert_null(sl_sector_by_value(18));
    assert_null(sl_sector_by_value(-1));
    assert_null(sl_sector_by_name("SECTOR_UNSPECIFIED"));
    assert_null(sl_sector_by_name("coal_mine"));
    assert_null(sl_sector_by_name(NULL));
    assert_null(sl_sector_by_short("煤矿"));
    assert_null(sl_sector_by_short(""));
    assert_null(sl_sector_at(SL_SECTOR_COUNT));
}

static void
test_arena(void **state)
{
    (void)state;
    sl_arena_t *a = sl_arena_new(1024);
    char *prev = NULL;
    for (int i = 0; i < 1000; i++) {
        size_t n = (size_t)(i % 37) + 1;
        char *p = sl_arena_alloc(a, n);
        assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
        memset(p, 'x', n);
        assert_ptr_not_equal(p, prev);
        prev = p;
    }
    /* A large allocation gets a block of its own. */
    uint8_t *big = sl_arena_calloc(a, 100000);
    for (size_t i = 0; i < 100000; i += 997)
        assert_int_equal(big[i], 0);
    assert_string_equal(sl_arena_strdup(a, "签收"), "签收");
    assert_string_equal(sl_arena_strndup(a, "异议理由", 6), "异议");
    assert_true(sl_arena_used(a) >= 100000);
    sl_arena_reset(a);
    assert_int_equal(sl_arena_used(a), 0);
    assert_non_null(sl_arena_alloc(a, 0));
    sl_arena_destroy(&a);
    assert_null(a);
}

static int
s_strcmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* 200 UUIDs (several draws of sl_uuid's pool of random bytes): each in the
 * canonical form, version 4, variant 10, none twice. */
static void
test_uuid(void **state)
{
    (void)state;
    enum { N = 200 };
    static char ids[N][37];
    char *sorted[N];
    for (int i = 0; i < N; i++) {
        sl_uuid(ids[i]);
        const char *u = ids[i];
        assert_int_equal(strlen(u), 36);
        for (int k = 0; k < 36; k++) {
            if (k == 8 || k == 13 || k == 18 || k == 23)
                assert_int_equal(u[k], '-');
            else
                assert_non_null(strchr("0123456789abcdef", u[k]));
        }
        assert_int_equal(u[14], '4');
        assert_non_null(strchr("89ab", u[19]));
        sorted[i] = ids[i];
    }
    qsort(sorted, N, sizeof *sorted, s_strcmp);
    for (int i = 1; i < N; i++)
        assert_string_not_equal(sorted[i - 1], sorted[i]);
}

/* A child forked with part of the pool left draws afresh: its next UUID is
 * not its parent's next. */
static void
test_uuid_after_fork(void **state)
{
    (void)state;
    char first[37], mine[37], theirs[37] = "";
    sl_uuid(first);
    int fd[2];
    assert_int_equal(pipe(fd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char u[37];
        sl_uuid(u);
        _exit(write(fd[1], u, sizeof u) == (ssize_t)sizeof u ? 0 : 1);
    }
    close(fd[1]);
    sl_uuid(mine);
    assert_int_equal(read(fd[0], theirs, sizeof theirs), (ssize_t)sizeof theirs);
    close(fd[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_string_not_equal(mine, theirs);
    assert_string_not_equal(first, theirs);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clue_round_trip),
        cmocka_unit_test(test_feedback_round_trip),
        cmocka_unit_test(test_weekly_report_round_trip),
        cmocka_unit_test(test_ack_and_event),
        cmocka_unit_test(test_declined),
        cmocka_unit_test(test_bad_bytes),
        cmocka_unit_test(test_error_text_truncation),
        cmocka_unit_test(test_body_names),
        cmocka_unit_test(test_sectors),
        cmocka_unit_test(test_arena),
        cmocka_unit_test(test_uuid),
        cmocka_unit_test(test_uuid_after_fork),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
