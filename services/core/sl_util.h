/* sl_util.h — allocation that aborts on out-of-memory, result codes, small helpers.
 *
 * Every module includes this. sl_malloc and friends never return NULL (Redis
 * zmalloc): an out-of-memory daemon cannot do anything useful, so it aborts. */
#ifndef SL_UTIL_H
#define SL_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Result codes beside 0 (done) and -1 (failed): try later vs never (nginx). */
#define SL_AGAIN (-2)    /* transient: database down, peer busy; retry */
#define SL_DECLINED (-3) /* bad input: reject and dead-letter, never retry */

#define SL_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Never return NULL; abort with a message on out-of-memory. */
void *sl_malloc(size_t n);
void *sl_calloc(size_t count, size_t n);
void *sl_realloc(void *p, size_t n);
char *sl_strdup(const char *s);
char *sl_strndup(const char *s, size_t n);
/* printf into a new string; the caller frees it. */
char *sl_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable byte/string buffer; always NUL-terminated. */
typedef struct {
    char *data;  /* the bytes, NUL-terminated; owned */
    size_t len;  /* bytes used, without the NUL */
    size_t cap;  /* bytes allocated */
} sl_buf_t;
void sl_buf_init(sl_buf_t *b);
void sl_buf_free(sl_buf_t *b);
void sl_buf_reset(sl_buf_t *b);
void sl_buf_append(sl_buf_t *b, const void *data, size_t n);
void sl_buf_puts(sl_buf_t *b, const char *s);
void sl_buf_printf(sl_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Takes the string out of the buffer (the caller frees it); the buffer is reset. */
char *sl_buf_steal(sl_buf_t *b);

/* Reads a whole file into a new NUL-terminated buffer; *len gets its size.
 * Returns NULL and sets errno on failure. */
char *sl_read_file(const char *path, size_t *len);

/* The next line of TEXT[0..LEN) from *POS (start at 0): *LINE and *N, without
 * its "\n" or "\r\n"; *POS moves past it. A UTF-8 byte order mark at the
 * start, as spreadsheet programs write it, is not data. False at the end. */
bool sl_text_line(const char *text, size_t len, size_t *pos, const char **line, size_t *n);

/* True if s[0..n) is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
bool sl_utf8_valid(const char *s, size_t n);
/* Length of the valid UTF-8 character at s[0..n): 1 to 4, or 0 if the bytes
 * there are not one (a stray, overlong or truncated sequence) or n is 0. */
size_t sl_utf8_char(const char *s, size_t n);
/* Appends s[0..n) to B as valid UTF-8: each byte not part of a valid
 * character becomes the four characters \xNN and a backslash becomes \\, so
 * bytes a peer sent can be stored as text, logged and answered without
 * passing invalid UTF-8 on (and without two inputs looking alike). */
void sl_utf8_escape(sl_buf_t *b, const char *s, size_t n);
/* Appends S (NULL: nothing) to B with & < > " ' written as HTML entities: the
 * one escaping for HTML and XML text and attributes (notices, the status page,
 * the templates, the appraisal's SVG and documents). */
void sl_buf_html(sl_buf_t *b, const char *s);

/* Writes a random (version 4) UUID, 36 characters and a NUL, into OUT. */
void sl_uuid(char out[37]);

/* FNV-1a: H (SL_FNV1A_INIT to start) extended by the N bytes of DATA. A fast
 * hash for keys and signatures, not against anyone choosing collisions. */
#define SL_FNV1A_INIT 1469598103934665603ULL
uint64_t sl_fnv1a(uint64_t h, const void *data, size_t n);

/* Trims ASCII white space at both ends in place; returns s. */
char *sl_trim(char *s);

#endif
