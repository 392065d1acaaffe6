/* sl_register.c — reading register import files; a register row's msg_id.
 * See sl_register.h. */
#include "sl_register.h"
#include "sl_csv.h"

#include "sl_sector.h"
#include "sl_util.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void s_add_error(sl_buf_t *b, int lineno, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
s_add_error(sl_buf_t *b, int lineno, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    sl_buf_printf(b, "line %d: %s\n", lineno, text);
}

int
sl_csv_each(const char *text, size_t len, const char *const *header, int n, sl_csv_line_cb *cb,
            void *arg, char **errs)
{
    sl_buf_t eb;
    sl_buf_init(&eb);
    int bad = 0, lineno = 0;
    bool seen_header = false;
    char **f = sl_calloc((size_t)n + 1, sizeof *f);
    size_t pos = 0, l;
    const char *start;
    while (sl_text_line(text, len, &pos, &start, &l)) {
        lineno++;
        if (memchr(start, '\0', l) || !sl_utf8_valid(start, l)) {
            s_add_error(&eb, lineno, "不是有效的 UTF-8 文本");
            bad++;
            continue;
        }
        char *line = sl_strndup(start, l);
        sl_trim(line);
        if (line[0] == '\0') {
            free(line);
            continue;
        }
        int nf = sl_csv_split(line, f, n);
        for (int i = 0; i < nf && i < n; i++)
            sl_trim(f[i]);
        if (!seen_header) {
            bool ok = nf == n;
            for (int i = 0; ok && i < n; i++)
                ok = strcmp(f[i], header[i]) == 0;
            if (!ok) {
                sl_buf_t h;
                sl_buf_init(&h);
                for (int i = 0; i < n; i++)
                    sl_buf_printf(&h, "%s%s", i ? "," : "", header[i]);
                s_add_error(&eb, lineno, "首行须为表头：%s", h.data);
                sl_buf_free(&h);
                bad++;
                free(line);
                break; /* without the header no line can be read */
            }
            seen_header = true;
        } else if (nf < 0) {
            s_add_error(&eb, lineno, "引号未闭合");
            bad++;
        } else if (nf != n) {
            s_add_error(&eb, lineno, "应有 %d 列，实有 %d 列", n, nf);
            bad++;
        } else {
            char *e = NULL;
            if (cb(arg, lineno, f, n, &e) != 0) {
                s_add_error(&eb, lineno, "%s", e ? e : "无效");
                bad++;
            }
            free(e);
        }
        free(line);
    }
    if (!seen_header && bad == 0) {
        s_add_error(&eb, lineno ? lineno : 1, "文件为空：没有表头");
        bad++;
    }
    free(f);
    *errs = bad ? sl_buf_steal(&eb) : NULL;
    sl_buf_free(&eb);
    return bad;
}

void
sl_register_msg_id(const char *prefix, const char *key, char out[SL_REGISTER_MSG_ID_LEN + 1])
{
    unsigned char h[16];
    crypto_generichash(h, sizeof h, (const unsigned char *)key, strlen(key), NULL, 0);
    char hex[33];
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    snprintf(out, SL_REGISTER_MSG_ID_LEN + 1, "%.8s-%s", prefix, hex);
}

int
sl_register_yes_no(const char *s)
{
    static const char *const yes[] = {"是", "1", "true", "y", "yes", "Y"};
    static const char *const no[] = {"否", "0", "false", "n", "no", "N", ""};
    for (size_t i = 0; i < SL_ARRAY_LEN(yes); i++)
        if (strcmp(s, yes[i]) == 0)
            return 1;
    for (size_t i = 0; i < SL_ARRAY_LEN(no); i++)
        if (strcmp(s, no[i]) == 0)
            return 0;
    return -1;
}

int
sl_register_sector(const char *s)
{
    const sl_sector_t *sec = s ? sl_sector_by_short(s) : NULL;
    if (!sec && s)
        sec = sl_sector_by_name(s);
    return sec ? sec->value : 0;
}
