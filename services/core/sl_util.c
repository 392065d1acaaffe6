/* sl_util.c — allocation wrappers, a growable buffer, UTF-8 check, file reading.
 *
 * The allocation wrappers abort on out-of-memory so callers need no NULL check
 * (Redis zmalloc); everything else here is small and pure. */
#include "sl_util.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
s_oom(size_t n)
{
    fprintf(stderr, "level=error msg=\"out of memory allocating %zu bytes\"\n", n);
    abort();
}

void *
sl_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        s_oom(n);
    return p;
}

void *
sl_calloc(size_t count, size_t n)
{
    void *p = calloc(count ? count : 1, n ? n : 1);
    if (!p)
        s_oom(count * n);
    return p;
}

void *
sl_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        s_oom(n);
    return q;
}

char *
sl_strdup(const char *s)
{
    return sl_strndup(s, strlen(s));
}

char *
sl_strndup(const char *s, size_t n)
{
    char *p = sl_malloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *
sl_asprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *p = sl_malloc((size_t)(n < 0 ? 0 : n) + 1);
    vsnprintf(p, (size_t)(n < 0 ? 0 : n) + 1, fmt, ap2);
    va_end(ap2);
    return p;
}

void
sl_buf_init(sl_buf_t *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void
sl_buf_free(sl_buf_t *b)
{
    free(b->data);
    sl_buf_init(b);
}

void
sl_buf_reset(sl_buf_t *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static void
s_buf_reserve(sl_buf_t *b, size_t more)
{
    if (b->len + more + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + more + 1)
        cap *= 2;
    b->data = sl_realloc(b->data, cap);
    b->cap = cap;
}

void
sl_buf_append(sl_buf_t *b, const void *data, size_t n)
{
    s_buf_reserve(b, n);
    if (n)
        memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void
sl_buf_puts(sl_buf_t *b, const char *s)
{
    sl_buf_append(b, s, strlen(s));
}

void
sl_buf_printf(sl_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n > 0) {
        s_buf_reserve(b, (size_t)n);
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
        b->len += (size_t)n;
    }
    va_end(ap2);
}

char *
sl_buf_steal(sl_buf_t *b)
{
    char *p = b->data ? b->data : sl_strdup("");
    sl_buf_init(b);
    return p;
}

bool
sl_text_line(const char *text, size_t len, size_t *pos, const char **line, size_t *n)
{
    if (*pos == 0 && len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        *pos = 3;
    if (*pos >= len)
        return false;
    const char *start = text + *pos;
    const char *nl = memchr(start, '\n', len - *pos);
    size_t l = nl ? (size_t)(nl - start) : len - *pos;
    *pos += l + (nl ? 1 : 0);
    if (l > 0 && start[l - 1] == '\r')
        l--;
    *line = start;
    *n = l;
    return true;
}

char *
sl_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    sl_buf_t b;
    sl_buf_init(&b);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        sl_buf_append(&b, chunk, n);
    int err = ferror(f);
    fclose(f);
    if (err) {
        sl_buf_free(&b);
        errno = EIO;
        return NULL;
    }
    if (len)
        *len = b.len;
    return sl_buf_steal(&b);
}

size_t
sl_utf8_char(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    if (n == 0)
        return 0;
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t need;
    unsigned cp, min;
    if ((c & 0xE0) == 0xC0) {
        need = 1, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        need = 2, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        need = 3, cp = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (need >= n)
        return 0;
    for (size_t k = 1; k <= need; k++) {
        if ((s[k] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return need + 1;
}

bool
sl_utf8_valid(const char *s, size_t n)
{
    for (size_t i = 0, k; i < n; i += k)
        if ((k = sl_utf8_char(s + i, n - i)) == 0)
            return false;
    return true;
}

void
sl_buf_html(sl_buf_t *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&':
            sl_buf_puts(b, "&amp;");
            break;
        case '<':
            sl_buf_puts(b, "&lt;");
            break;
        case '>':
            sl_buf_puts(b, "&gt;");
            break;
        case '"':
            sl_buf_puts(b, "&quot;");
            break;
        case '\'':
            sl_buf_puts(b, "&#39;");
            break;
        default:
            sl_buf_append(b, s, 1);
        }
    }
}

void
sl_utf8_escape(sl_buf_t *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t i = 0;
    while (i < n) {
        size_t k = sl_utf8_char(s + i, n - i);
        if (k > 0 && s[i] != '\\') {
            sl_buf_append(b, s + i, k);
            i += k;
            continue;
        }
        unsigned char c = (unsigned char)s[i++];
        char esc[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
        if (c == '\\')
            sl_buf_append(b, "\\\\", 2);
        else
            sl_buf_append(b, esc, 4);
    }
}

char *
sl_trim(char *s)
{
    char *p = s;
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
        p++;
    size_t n = strlen(p);
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r' || p[n - 1] == '\n'))
        n--;
    memmove(s, p, n);
    s[n] = '\0';
    return s;
}

uint64_t
sl_fnv1a(uint64_t h, const void *data, size_t n)
{
    const unsigned char *b = data;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ULL;
    return h;
}

/* The random bytes of UUIDs, drawn for 64 of them at a time: one system call
 * (getrandom) each was 1,000 of them in a deadline tick that raises 1,000
 * escalations, dear on a virtual machine. A thread's own; a forked child
 * starts with an empty pool, so it never repeats its parent's UUIDs. */
enum { S_UUID_POOL = 64 * 16 };
static _Thread_local unsigned char s_uuid_pool[S_UUID_POOL];
static _Thread_local size_t s_uuid_left;
static pthread_once_t s_uuid_once = PTHREAD_ONCE_INIT;

static void
s_uuid_forked(void)
{
    s_uuid_left = 0;
}

static void
s_uuid_init(void)
{
    if (sodium_init() < 0 || pthread_atfork(NULL, NULL, s_uuid_forked) != 0)
        abort();
}

void
sl_uuid(char out[37])
{
    pthread_once(&s_uuid_once, s_uuid_init);
    if (s_uuid_left == 0) {
        randombytes_buf(s_uuid_pool, sizeof s_uuid_pool);
        s_uuid_left = sizeof s_uuid_pool;
    }
    unsigned char *b = s_uuid_pool + sizeof s_uuid_pool - s_uuid_left;
    s_uuid_left -= 16;
    b[6] = (unsigned char)((b[6] & 0x0F) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3F) | 0x80);
    static const char hex[] = "0123456789abcdef";
    char *o = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *o++ = '-';
        *o++ = hex[b[i] >> 4];
        *o++ = hex[b[i] & 0x0F];
    }
    *o = '\0';
}
