/* sl_validate.c — validation of bodies against the wire contract's rules.
 *
 * Blank means empty after trimming white space: a subject named "  " is
 * missing, not present. */
#include "sl_validate.h"

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
        sl_codec_error_set(err, SL_ERR_MISSING_FIELD, "subject.name", "缺少被举报主体名称");
        return SL_DECLINED;
    }
    if (strlen(clue->subject->name) > 500) {
        sl_codec_error_set(err, SL_ERR_BAD_FIELD, "subject.name", "主体名称超过 500 字节");
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
