/* fuzz_status.c — libFuzzer target: what sl-intake's /status and `slctl
 * status` make of the status figures.
 *
 * libmicrohttpd parses the request; our handlers take no arguments and render
 * the status JSON (sl_status_gather's object, which carries text from the
 * database: daemon names, peers, problems) as the HTML page and as terminal
 * text. The bytes are that JSON; anything jansson loads is rendered, and the
 * page must keep every '<' of the data out of its markup (the data is embedded
 * as JSON with '/' escaped, so "</script>" cannot close the script). */
#include "sl_log.h"
#include "sl_status.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

/* Occurrences of NEEDLE in S, case-insensitive as a browser reads tags. */
static size_t
s_count(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = s; (p = strcasestr(p, needle)); p++)
        n++;
    return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    sl_log_set_level(SL_LOG_ERROR + 1);
    json_t *st = json_loadb((const char *)data, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (!st)
        return 0;
    char *text = sl_status_text(st);
    free(text);
    char *html = sl_status_page(st, "/status.json");
    if (!html)
        __builtin_trap();
    /* The data cannot close the page's script or open markup of its own: the
     * page holds as many "</script>" and "<script" as the page of no data. */
    static size_t closes0 = (size_t)-1, opens0;
    if (closes0 == (size_t)-1) {
        json_t *empty = json_object();
        char *page0 = sl_status_page(empty, "/status.json");
        closes0 = s_count(page0, "</script");
        opens0 = s_count(page0, "<script");
        free(page0);
        json_decref(empty);
    }
    if (s_count(html, "</script") != closes0 || s_count(html, "<script") != opens0)
        __builtin_trap();
    free(html);
    json_decref(st);
    return 0;
}
