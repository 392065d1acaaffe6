/* sl_validate.c — validation of bodies against the wire contract's rules.
 *
 * Blank means empty after trimming white space: a subject named "  " is
 * missing, not present. */
#include "sl_validate.h"

#include "sl_clock.h"
#include "sl_closing.h"
#include "sl_sector.h"
#include "sl_util.h"

#include <ctype.h>
#include <string.h>

static bool
s_blank(const char *s)
{
    if (!s)
        return true;
    for (; *s; s++)
        if (!isspace((unsigned char)*s))
            return false;
    return true;
}

int
sl_validate_clue(const sl_pb_clue_t *clue, const sl_route_map_t *routes, sl_codec_error_t *err)
{
    if (clue->channel == SAFELOOP__V1__CLUE_REPORT__CHANNEL__CHANNEL_UNSPECIFIED) {
        sl_codec_error_set(err, SL_ERR_MISSING_FIELD, "channel", "缺少线索来源渠道 channel");
        return SL_DECLINED;
    }
    if (clue->channel < 0 || clue->channel > SAFELOOP__V1__CLUE_REPORT__CHANNEL__OTHER) {
        sl_codec_error_set(err, SL_ERR_BAD_FIELD, "channel", "未知的来源渠道 %d",
                           (int)clue->channel);
        return SL_DECLINED;
    }
    if (clue->received_at <= 0) {
        sl_codec_error_set(err, SL_ERR_MISSING_FIELD, "received_at", "缺少受理时间 received_at");
        return SL_DECLINED;
    }
    if (!clue->subject || s_blank(clue->subject->name)) {
        sl_codec_error_set(err, SL_ERR_MISSING_FIELD, "subject.name",
                           "缺少涉及单位（生产经营建设单位或非法业主）名称");
        return SL_DECLINED;
    }
    if (strlen(clue->subject->name) > 500) {
        sl_codec_error_set(err, SL_ERR_BAD_FIELD, "subject.name", "主体名称超过 500 字节");
        return SL_DECLINED;
    }
    if ((int)clue->subject_kind < 0 ||
        clue->subject_kind > SAFELOOP__V1__CLUE_REPORT__SUBJECT_KIND__NATURAL_PERSON) {
        sl_codec_error_set(err, SL_ERR_BAD_FIELD, "subject_kind",
                           "主体类型须为单位、个体工商户或自然人");
        return SL_DECLINED;
    }
    if (clue->subject->credit_code && strlen(clue->subject->credit_code) > 64) {
        sl_codec_error_set(err, SL_ERR_BAD_FIELD, "subject.credit_code",
                           "统一社会信用代码过长");
        return SL_DECLINED;
    }
    if (!clue->place || s_blank(clue->place->division)) {
        sl_codec_error_set(err, SL_ERR_MISSING_FIELD, "place.division", "缺少所在县级行政区划代码");
        return SL_DECLINED;
    }
    if (clue->sector == 0) {
        sl_codec_error_set(err, SL_ERR_UNKNOWN_SECTOR, NULL, "缺少行业领域 sector");
        return SL_DECLINED;
    }
    if (!sl_sector_by_value((int)clue->sector)) {
        sl_codec_error_set(err, SL_ERR_UNKNOWN_SECTOR, NULL, "未知的行业领域 %d",
                           (int)clue->sector);
        return SL_DECLINED;
    }
    if (clue->sector == SL_SECTOR_OTHER && (!clue->sector_text || !*clue->sector_text)) {
        sl_codec_error_set(err, SL_ERR_MISSING_FIELD, "sector_text",
                           "其他行业领域的问题线索须写明所属行业领域（如电力、水利）");
        return SL_DECLINED;
    }
    if (!sl_route_known(routes, clue->place->division)) {
        sl_codec_error_set(err, SL_ERR_UNKNOWN_DIVISION, NULL, "未知的行政区划代码 %.16s",
                           clue->place->division);
        return SL_DECLINED;
    }
    for (size_t i = 0; i < clue->n_violations; i++) {
        if (clue->violations[i] < 1 || clue->violations[i] > 12) {
            sl_codec_error_set(err, SL_ERR_UNKNOWN_VIOLATION, NULL,
                               "共性违法行为编号须为 1 至 12，收到 %d", (int)clue->violations[i]);
            return SL_DECLINED;
        }
    }
    if (clue->reporter && clue->sealed_reporter) {
        sl_codec_error_set(err, SL_ERR_BAD_FIELD, "reporter",
                           "reporter 与 sealed_reporter 只能有一个");
        return SL_DECLINED;
    }
    return 0;
}

/* The fields every answer shares (handling.proto's 1..5). */
static int
s_common(const char *notice_no, const char *from_unit, int64_t at, sl_codec_error_t *err)
{
    if (s_blank(notice_no)) {
        sl_codec_error_set(err, SL_ERR_MISSING_FIELD, "notice_no", "缺少交办文号 notice_no");
        return SL_DECLINED;
    }
    if (strlen(notice_no) > 80) {
        sl_codec_error_set(err, SL_ERR_BAD_FIELD, "notice_no", "交办文号过长");
        return SL_DECLINED;
    }
    if (s_blank(from_unit)) {
        sl_codec_error_set(err, SL_ERR_MISSING_FIELD, "from_unit", "缺少发送单位 from_unit");
        return SL_DECLINED;
    }
    if (strlen(from_unit) > 40) {
        sl_codec_error_set(err, SL_ERR_BAD_FIELD, "from_unit", "发送单位编码过长");
        return SL_DECLINED;
    }
    if (at < 0) {
        sl_codec_error_set(err, SL_ERR_BAD_FIELD, "at", "时间 at 不能为负数");
        return SL_DECLINED;
    }
    return 0;
}

static int
s_text(const char *s, const char *path, const char *what, size_t max, sl_codec_error_t *err)
{
    if (s_blank(s)) {
        sl_codec_error_set(err, SL_ERR_MISSING_FIELD, path, "缺少%s %s", what, path);
        return SL_DECLINED;
    }
    if (strlen(s) > max) {
        sl_codec_error_set(err, SL_ERR_BAD_FIELD, path, "%s超过 %zu 字节", what, max);
        return SL_DECLINED;
    }
    return 0;
}

/* The result of the check (issue 15, sl_closing.h): a known conclusion;
 * exposure with where it was exposed; each measure ⑤–⑦ taken with what was
 * done; no rectification plan (date, person) on a case found 不属实 or
 * 查无实据. */
static int
s_closing_fields(const sl_pb_feedback_t *f, sl_codec_error_t *err)
{
    if ((int)f->conclusion < 0 || (int)f->conclusion >= SL_CONCLUSION_COUNT) {
        sl_codec_error_set(err, SL_ERR_BAD_FIELD, "conclusion",
                           "核查结论须为属实、部分属实、不属实或查无实据");
        return SL_DECLINED;
    }
    if (f->exposed && s_text(f->exposed_where, "exposed_where", "曝光媒体或方式", 400, err) != 0)
        return SL_DECLINED;
    if (!f->exposed && !s_blank(f->exposed_where)) {
        sl_codec_error_set(err, SL_ERR_BAD_FIELD, "exposed_where",
                           "未曝光（exposed 为假）却填写了曝光方式");
        return SL_DECLINED;
    }
    static const char *const paths[][2] = {
        {"accountability.detail", "accountability.persons"},
        {"protective_umbrella.detail", "protective_umbrella.persons"},
        {"organisational.detail", "organisational.persons"}};
    const sl_pb_measure_t *m[] = {f->accountability, f->protective_umbrella, f->organisational};
    for (size_t i = 0; i < SL_ARRAY_LEN(m); i++) {
        if (!m[i])
            continue;
        if (s_text(m[i]->detail, paths[i][0], "措施内容", 2000, err) != 0)
            return SL_DECLINED;
        if (m[i]->persons < 0) {
            sl_codec_error_set(err, SL_ERR_BAD_FIELD, paths[i][1], "人数不能为负数");
            return SL_DECLINED;
        }
    }
    if (!s_blank(f->rectify_responsible) && strlen(f->rectify_responsible) > 200) {
        sl_codec_error_set(err, SL_ERR_BAD_FIELD, "rectify_responsible", "整改责任人过长");
        return SL_DECLINED;
    }
    if (!sl_closing_needs_rectification((int)f->conclusion) &&
        (!s_blank(f->rectify_by) || !s_blank(f->rectify_responsible))) {
        sl_codec_error_set(
            err, SL_ERR_BAD_FIELD, !s_blank(f->rectify_by) ? "rectify_by" : "rectify_responsible",
            "核查结论为%s，无需整改计划", sl_closing_conclusion_zh((int)f->conclusion));
        return SL_DECLINED;
    }
    return 0;
}

static int
s_feedback(const sl_pb_feedback_t *f, sl_codec_error_t *err)
{
    if (s_text(f->violation_nature, "violation_nature", "违法性质", 2000, err) != 0)
        return SL_DECLINED;
    if (f->penalty_fen < 0) {
        sl_codec_error_set(err, SL_ERR_BAD_FIELD, "penalty_fen", "罚款金额不能为负数");
        return SL_DECLINED;
    }
    if (f->disciplined_count < 0 || f->criminal_count < 0 || f->interviews < 0) {
        sl_codec_error_set(err, SL_ERR_BAD_FIELD,
                           f->disciplined_count < 0 ? "disciplined_count"
                           : f->criminal_count < 0  ? "criminal_count"
                                                    : "interviews",
                           "人数不能为负数");
        return SL_DECLINED;
    }
    int32_t day;
    if (!s_blank(f->rectify_by) && sl_date_parse(f->rectify_by, &day) != 0) {
        sl_codec_error_set(err, SL_ERR_BAD_FIELD, "rectify_by", "整改期限须为 YYYY-MM-DD");
        return SL_DECLINED;
    }
    if (s_closing_fields(f, err) != 0)
        return SL_DECLINED;
    const sl_pb_sign_off_t *s = f->sign_off;
    if (!s || s_blank(s->leader_name) || s_blank(s->leader_title) || s->signed_at <= 0) {
        sl_codec_error_set(err, SL_ERR_MISSING_SIGNOFF, NULL,
                           "办理结果须经本地党委政府（本单位）主要负责同志审核签字确认：缺少%s",
                           !s || s_blank(s->leader_name) ? "签字领导姓名"
                           : s_blank(s->leader_title)    ? "签字领导职务"
                                                         : "签字时间");
        return SL_DECLINED;
    }
    return 0;
}

int
sl_validate_answer(const sl_pb_envelope_t *env, sl_codec_error_t *err)
{
    switch (sl_codec_body(env)) {
    case SL_BODY_RECEIPT: {
        const sl_pb_receipt_t *r = env->receipt;
        if (s_common(r->notice_no, r->from_unit, r->at, err) != 0)
            return SL_DECLINED;
        if (r->at == 0) {
            sl_codec_error_set(err, SL_ERR_MISSING_FIELD, "at", "缺少签收时间 at");
            return SL_DECLINED;
        }
        return 0;
    }
    case SL_BODY_OBJECTION: {
        const sl_pb_objection_t *o = env->objection;
        if (s_common(o->notice_no, o->from_unit, o->at, err) != 0 ||
            s_text(o->reason, "reason", "异议理由", 4000, err) != 0)
            return SL_DECLINED;
        return 0;
    }
    case SL_BODY_PROGRESS: {
        const sl_pb_progress_t *p = env->progress;
        if (s_common(p->notice_no, p->from_unit, p->at, err) != 0 ||
            s_text(p->text, "text", "进展情况", 8000, err) != 0)
            return SL_DECLINED;
        return 0;
    }
    case SL_BODY_FEEDBACK: {
        const sl_pb_feedback_t *f = env->feedback;
        if (s_common(f->notice_no, f->from_unit, f->at, err) != 0 || s_feedback(f, err) != 0)
            return SL_DECLINED;
        return 0;
    }
    case SL_BODY_DECISION: {
        const sl_pb_decision_t *d = env->decision;
        if (d->kind == SAFELOOP__V1__DECISION__KIND__SUPERVISE)
            return sl_validate_supervise(d, err);
        if (d->kind == SAFELOOP__V1__DECISION__KIND__REFER_POLICE ||
            d->kind == SAFELOOP__V1__DECISION__KIND__REFER_DISCIPLINE) {
            /* 两移交 after the check: by case number, with its reason */
            if (s_text(d->case_no, "case_no", "线索编号", 80, err) != 0 ||
                s_text(d->from_unit, "from_unit", "决定单位", 40, err) != 0 ||
                s_text(d->reason, "reason", "移交理由", 4000, err) != 0)
                return SL_DECLINED;
            return 0;
        }
        if (s_common(d->notice_no, d->from_unit, d->at, err) != 0)
            return SL_DECLINED;
        switch (d->kind) {
        case SAFELOOP__V1__DECISION__KIND__OBJECTION_ACCEPT:
        case SAFELOOP__V1__DECISION__KIND__VERIFY_PASS:
            break;
        case SAFELOOP__V1__DECISION__KIND__OBJECTION_REJECT:
        case SAFELOOP__V1__DECISION__KIND__VERIFY_FAIL:
            if (s_text(d->reason, "reason", "决定理由", 4000, err) != 0)
                return SL_DECLINED;
            break;
        case SAFELOOP__V1__DECISION__KIND__KIND_UNSPECIFIED:
            sl_codec_error_set(err, SL_ERR_MISSING_FIELD, "kind", "缺少决定类型 kind");
            return SL_DECLINED;
        default:
            sl_codec_error_set(err, SL_ERR_BAD_FIELD, "kind", "本节点不受理此类决定（%d）",
                               (int)d->kind);
            return SL_DECLINED;
        }
        return 0;
    }
    default:
        sl_codec_error_set(err, SL_ERR_UNKNOWN_BODY, NULL, "本节点尚不受理 %s 类正文",
                           sl_codec_body_kind(env));
        return SL_DECLINED;
    }
}

int
sl_validate_supervise(const sl_pb_decision_t *d, sl_codec_error_t *err)
{
    if (s_text(d->case_no, "case_no", "线索编号", 80, err) != 0 ||
        s_text(d->from_unit, "from_unit", "决定单位", 40, err) != 0)
        return SL_DECLINED;
    if (!d->leader || s_blank(d->leader->leader_name)) {
        sl_codec_error_set(err, SL_ERR_MISSING_FIELD, "leader.leader_name",
                           "挂牌督办须指定督办领导 leader.leader_name");
        return SL_DECLINED;
    }
    if (strlen(d->leader->leader_name) > 120 ||
        (d->leader->leader_title && strlen(d->leader->leader_title) > 60)) {
        sl_codec_error_set(err, SL_ERR_BAD_FIELD, "leader", "督办领导姓名或职务过长");
        return SL_DECLINED;
    }
    return 0;
}

int
sl_validate_feedback_kind(const sl_pb_feedback_t *f, const char *kind, sl_codec_error_t *err)
{
    bool police = strcmp(kind, "police") == 0, discipline = strcmp(kind, "discipline") == 0;
    if (strcmp(kind, "supervision") == 0 &&
        s_text(f->result_text, "result_text", "督办情况及结果", 8000, err) != 0)
        return SL_DECLINED; /* a supervision report (挂牌督办的督办情况) */
    if (police) {
        if (s_text(f->police_result, "police_result", "公安机关办理结果（立案/不予立案）", 2000,
                   err) != 0)
            return SL_DECLINED;
    } else if (!s_blank(f->police_result) || f->police_filed) {
        sl_codec_error_set(err, SL_ERR_BAD_FIELD,
                           !s_blank(f->police_result) ? "police_result" : "police_filed",
                           "立案结果只属于移送公安机关的交办书");
        return SL_DECLINED;
    }
    if (discipline) {
        if (s_text(f->discipline_result, "discipline_result", "纪检监察机关处理结果（处分）", 2000,
                   err) != 0)
            return SL_DECLINED;
    } else if (!s_blank(f->discipline_result)) {
        sl_codec_error_set(err, SL_ERR_BAD_FIELD, "discipline_result",
                           "处分结果只属于移送纪检监察机关的交办书");
        return SL_DECLINED;
    }
    return 0;
}
