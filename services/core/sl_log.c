/* sl_log.c — logfmt lines on stderr, one call for all (Redis serverLog).
 *
 * The line is built in one buffer and written with one write(2) so lines from
 * several threads or processes sharing stderr do not interleave. */
#include "sl_log.h"

#include "sl_clock.h"
#include "sl_util.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static struct {
    char daemon[32]; /* program name, daemon= */
    char node[16];   /* node code, node= */
} s_log = {"safeloop", ""};

int sl__log_level = SL_LOG_INFO; /* lines below this are not even formatted */

static const char *s_level_names[] = {"debug", "info", "warn", "error"};

void
sl_log_init(const char *daemon, const char *node)
{
    snprintf(s_log.daemon, sizeof s_log.daemon, "%s", daemon ? daemon : "safeloop");
    sl_log_set_node(node);
}

void
sl_log_set_node(const char *node)
{
    snprintf(s_log.node, sizeof s_log.node, "%s", node ? node : "");
}

void
sl_log_set_level(int level)
{
    sl__log_level = level;
}

int
sl_log_level(void)
{
    return sl__log_level;
}

int
sl_log_level_parse(const char *s)
{
    if (!s)
        return -1;
    for (int i = 0; i < (int)SL_ARRAY_LEN(s_level_names); i++)
        if (strcasecmp(s, s_level_names[i]) == 0)
            return i;
    if (strcasecmp(s, "warning") == 0)
        return SL_LOG_WARN;
    return -1;
}

/* Appends V as a logfmt value: bare if it needs no quoting, else quoted, with
 * quotes, backslashes, control characters and bytes that are not UTF-8
 * escaped (a peer's bytes never make a line invalid UTF-8). */
static void
s_value(sl_buf_t *b, const char *v, size_t n)
{
    bool bare = n > 0 && sl_utf8_valid(v, n);
    for (size_t i = 0; i < n && bare; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c <= ' ' || c == '"' || c == '=' || c == '\\')
            bare = false;
    }
    if (bare) {
        sl_buf_append(b, v, n);
        return;
    }
    sl_buf_puts(b, "\"");
    for (size_t i = 0, k; i < n; i += k) {
        unsigned char c = (unsigned char)v[i];
        k = sl_utf8_char(v + i, n - i);
        if (c == '"' || c == '\\') {
            sl_buf_append(b, "\\", 1);
            sl_buf_append(b, &v[i], 1);
        } else if (c == '\n') {
            sl_buf_puts(b, "\\n");
        } else if (c < ' ' || k == 0) {
            sl_buf_printf(b, "\\x%02x", c);
        } else {
            sl_buf_append(b, &v[i], k);
            continue;
        }
        k = 1;
    }
    sl_buf_puts(b, "\"");
}

/* Length of a leading "key=value" word (key [a-z_][a-z0-9_]*, value without
 * spaces) at P, or 0. */
static size_t
s_field_len(const char *p)
{
    size_t i = 0;
    if (!(islower((unsigned char)p[0]) || p[0] == '_'))
        return 0;
    while (islower((unsigned char)p[i]) || isdigit((unsigned char)p[i]) || p[i] == '_')
        i++;
    if (p[i] != '=')
        return 0;
    i++;
    while (p[i] && p[i] != ' ')
        i++;
    return i;
}

/* Lines held on this thread (sl_log_hold): written in one go. */
#define S_HELD_MAX 65536
static __thread struct {
    bool on;
    sl_buf_t lines;
} s_held;

static void
s_write(const char *data, size_t len)
{
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(STDERR_FILENO, data + off, len - off);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
}

static void
s_held_write(void)
{
    if (s_held.lines.len == 0)
        return;
    s_write(s_held.lines.data, s_held.lines.len);
    sl_buf_reset(&s_held.lines);
}

void
sl_log_hold(void)
{
    if (!s_held.on)
        sl_buf_init(&s_held.lines);
    s_held.on = true;
}

void
sl_log_release(void)
{
    if (!s_held.on)
        return;
    s_held_write();
    sl_buf_free(&s_held.lines);
    s_held.on = false;
}

void
sl__log(int level, const char *fmt, ...)
{
    if (level < SL_LOG_DEBUG || level > SL_LOG_ERROR)
        level = SL_LOG_ERROR;
    char text[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);

    char ts[40];
    sl_time_format_iso(sl_now_ms(), ts, sizeof ts);
    /* a held line is written straight into the held ones (a tick's 2,000
     * lines: no buffer of their own to grow and free each) */
    bool hold = s_held.on && level < SL_LOG_WARN;
    sl_buf_t own, *b = hold ? &s_held.lines : &own;
    if (!hold)
        sl_buf_init(&own);
    sl_buf_printf(b, "ts=%s level=%s daemon=%s", ts, s_level_names[level], s_log.daemon);
    if (s_log.node[0])
        sl_buf_printf(b, " node=%s", s_log.node);
    const char *p = text;
    size_t n;
    while ((n = s_field_len(p)) > 0) {
        const char *eq = memchr(p, '=', n);
        sl_buf_puts(b, " ");
        sl_buf_append(b, p, (size_t)(eq - p) + 1);
        s_value(b, eq + 1, n - (size_t)(eq - p) - 1);
        p += n;
        while (*p == ' ')
            p++;
    }
    if (*p) {
        sl_buf_puts(b, " msg=");
        s_value(b, p, strlen(p));
    }
    sl_buf_puts(b, "\n");
    if (hold) {
        if (s_held.lines.len >= S_HELD_MAX)
            s_held_write();
    } else {
        s_held_write(); /* what was held goes first: the lines keep their order */
        s_write(own.data, own.len);
        sl_buf_free(&own);
    }
}
