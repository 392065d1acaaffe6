/* sl_subject.c — subject name keys and credit codes for repeat linking (反复举报).
 *
 * Works on UTF-8 code points: drops white space (ASCII, U+3000 ideographic
 * space, U+00A0), maps U+FF01–U+FF5E (full-width ASCII forms) to U+0021–U+007E
 * and the CJK brackets （）【】〔〕［］｛｝ to ASCII brackets. */
#include "sl_subject.h"

#include "sl_util.h"

#include <ctype.h>
#include <string.h>

/* Decodes one UTF-8 code point at *p (input is valid UTF-8); advances *p. */
static unsigned
s_next(const unsigned char **p)
{
    const unsigned char *s = *p;
    unsigned c = s[0];
    if (c < 0x80) {
        *p += 1;
        return c;
    }
    if ((c & 0xE0) == 0xC0 && s[1]) {
        *p += 2;
        return ((c & 0x1F) << 6) | (s[1] & 0x3F);
    }
    if ((c & 0xF0) == 0xE0 && s[1] && s[2]) {
        *p += 3;
        return ((c & 0x0F) << 12) | ((s[1] & 0x3F) << 6) | (s[2] & 0x3F);
    }
    if ((c & 0xF8) == 0xF0 && s[1] && s[2] && s[3]) {
        *p += 4;
        return ((c & 0x07) << 18) | ((s[1] & 0x3F) << 12) | ((s[2] & 0x3F) << 6) | (s[3] & 0x3F);
    }
    *p += 1; /* not valid UTF-8: pass the byte through as itself */
    return c;
}

static void
s_put(sl_buf_t *b, unsigned c)
{
    unsigned char out[4];
    size_t n;
    if (c < 0x80) {
        out[0] = (unsigned char)c, n = 1;
    } else if (c < 0x800) {
        out[0] = (unsigned char)(0xC0 | (c >> 6)), out[1] = (unsigned char)(0x80 | (c & 0x3F)),
        n = 2;
    } else if (c < 0x10000) {
        out[0] = (unsigned char)(0xE0 | (c >> 12));
        out[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
        out[2] = (unsigned char)(0x80 | (c & 0x3F));
        n = 3;
    } else {
        out[0] = (unsigned char)(0xF0 | (c >> 18));
        out[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
        out[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
        out[3] = (unsigned char)(0x80 | (c & 0x3F));
        n = 4;
    }
    sl_buf_append(b, out, n);
}

/* Folds one code point; returns 0 for white space (dropped). */
static unsigned
s_fold(unsigned c)
{
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f' ||
        c == 0x3000 || c == 0x00A0)
        return 0;
    if (c >= 0xFF01 && c <= 0xFF5E)
        return c - 0xFEE0;
    switch (c) {
    case 0x3010: /* 【 */
    case 0x3014: /* 〔 */
        return '[';
    case 0x3011: /* 】 */
    case 0x3015: /* 〕 */
        return ']';
    default:
        return c;
    }
}

char *
sl_subject_key(const char *name)
{
    sl_buf_t b;
    sl_buf_init(&b);
    const unsigned char *p = (const unsigned char *)(name ? name : "");
    while (*p) {
        unsigned c = s_fold(s_next(&p));
        if (c)
            s_put(&b, c);
    }
    return sl_buf_steal(&b);
}

char *
sl_subject_credit(const char *code)
{
    char *k = sl_subject_key(code);
    for (char *s = k; *s; s++)
        *s = (char)toupper((unsigned char)*s);
    return k;
}

bool
sl_subject_same(const char *key_a, const char *credit_a, const char *key_b, const char *credit_b)
{
    if (credit_a && *credit_a && credit_b && *credit_b)
        return strcmp(credit_a, credit_b) == 0;
    return strcmp(key_a ? key_a : "", key_b ? key_b : "") == 0;
}
