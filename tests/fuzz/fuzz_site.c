/* fuzz_site.c — libFuzzer target: sl-publish's HTTP handlers, /preview/ID and
 * /site/PATH, without the socket (libmicrohttpd parses the request).
 *
 * /preview/ID renders a publication's body (JSON from the database, carrying
 * text an office or a unit wrote) as its page with the templates of
 * templates/ (sl_site_page); /site/PATH serves a file only when
 * sl_site_path_ok accepts PATH. The first byte picks the kind, draft or
 * issued and the page; the rest is the body. Properties: no tag of the data
 * reaches the page (the seeds carry "<x-" in every field, a tag no template
 * has), and an accepted path neither starts with '/' nor holds "..".
 * The ranking's "svg" is removed first: it is markup sl_appraise_svg made
 * (escaping the names itself), inserted raw by ranking.html on purpose. */
#include "sl_log.h"
#include "sl_site.h"
#include "sl_template.h"
#include "sl_util.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static const char *const s_kinds[] = {"list", "progress", "results", "exposure", "ranking"};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    sl_log_set_level(SL_LOG_ERROR + 1);
    if (len < 1)
        return 0;
    char *path = sl_strndup((const char *)data + 1, len - 1);
    if (strlen(path) == len - 1 && sl_site_path_ok(path) && (path[0] == '/' || strstr(path, "..")))
        abort();
    free(path);

    json_t *body = json_loadb((const char *)data + 1, len - 1, JSON_DECODE_ANY, NULL);
    if (!body)
        return 0;
    if (json_is_object(body))
        json_object_del(body, "svg");
    char *text = json_dumps(body, JSON_ENCODE_ANY);
    json_decref(body);
    if (!text)
        return 0;
    sl_pub_row_t row = {
        .id = 7,
        .kind = s_kinds[data[0] % 5],
        .period = "2026-W49",
        .title = "晋中市交办清单",
        .state = (data[0] & 0x80) ? "issued" : "draft",
        .hash = "0123abcd",
        .drafted_at = "2026-12-03T08:00:00+08:00",
        .approved_by = "",
        .approved_at = "",
        .reason = "",
        .body = text,
    };
    sl_buf_t out;
    sl_buf_init(&out);
    if (sl_site_page(sl_template_embedded(), &row, "举报电话：12350", ((data[0] >> 3) & 3) + 1,
                     &out) == 0) {
        if (strcasestr(out.data, "<x-"))
            abort(); /* the data's markup reached the page */
    }
    sl_buf_free(&out);
    free(text);
    return 0;
}
