/* sl_csv.c — reading the CSV reference files of schema/data/.
 *
 * Small and strict: the files are ours, compiled in, and tested. */
#include "sl_csv.h"

#include "sl_schema_files.h"

#include <string.h>

int
sl_csv_split(char *line, char **field, int max)
{
    int n = 0;
    char *r = line;
    for (;;) {
        if (n == max)
            return max + 1; /* another field follows: too many */
        char *w = r;
        field[n++] = w;
        if (*r == '"') {
            for (r++;; r++) {
                if (!*r)
                    return -1; /* the quote is never closed */
                if (*r == '"' && r[1] != '"') {
                    r++;
                    break;
                }
                if (*r == '"')
                    r++;
                *w++ = *r;
            }
            while (*r && *r != ',')
                r++; /* text after the closing quote is dropped */
        } else {
            while (*r && *r != ',')
                *w++ = *r++;
        }
        char sep = *r;
        *w = '\0';
        if (sep != ',')
            return n;
        r++;
    }
}

int
sl_csv_column(char *const *head, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(head[i], name) == 0)
            return (int)i;
    return -1;
}

const char *
sl_csv_file(const char *name, size_t *len)
{
    for (const sl_schema_file_t *f = sl_schema_files; f->name; f++)
        if (strcmp(f->name, name) == 0) {
            *len = f->len;
            return f->data;
        }
    return NULL;
}

void
sl_csv_put(sl_buf_t *b, const char *field, bool first)
{
    if (!first)
        sl_buf_puts(b, ",");
    if (!strpbrk(field, ",\"\r\n")) {
        sl_buf_puts(b, field);
        return;
    }
    sl_buf_puts(b, "\"");
    for (const char *p = field; *p; p++) {
        if (*p == '"')
            sl_buf_puts(b, "\"");
        sl_buf_append(b, p, 1);
    }
    sl_buf_puts(b, "\"");
}
