/* fuzz_csv.c — libFuzzer target: the CSV an operator imports.
 *
 * The bytes are a calendar notice as `slctl calendar import` reads it
 * (sl_calendar_parse_csv, for one year and for the shipped multi-year file),
 * and each of their lines a record of the reference CSV (sl_csv_split), which
 * must come back the same after sl_csv_put writes it out again. */
#include "sl_calendar.h"
#include "sl_csv.h"
#include "sl_log.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

enum { S_MAX_FIELDS = 16 };

/* Splits LINE (LEN bytes, no NUL inside) and checks that writing the fields
 * out with sl_csv_put and splitting again gives the same fields. */
static void
s_roundtrip(const char *line, size_t len)
{
    char *a = malloc(len + 1);
    memcpy(a, line, len);
    a[len] = '\0';
    char *f[S_MAX_FIELDS];
    int n = sl_csv_split(a, f, S_MAX_FIELDS);
    /* the contract: the field count, MAX + 1 for too many, -1 for an unclosed quote */
    if (n != -1 && (n < 1 || n > S_MAX_FIELDS + 1))
        __builtin_trap();
    if (n >= 1 && n <= S_MAX_FIELDS) { /* every field split: it must write back the same */
        sl_buf_t b = {0};
        for (int i = 0; i < n; i++)
            sl_csv_put(&b, f[i], i == 0);
        char *g[S_MAX_FIELDS];
        char *copy = strdup(b.data ? b.data : "");
        int m = sl_csv_split(copy, g, S_MAX_FIELDS);
        if (m != n)
            __builtin_trap();
        for (int i = 0; i < n; i++)
            if (strcmp(f[i], g[i]) != 0)
                __builtin_trap();
        free(copy);
        sl_buf_free(&b);
    }
    free(a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    sl_log_set_level(SL_LOG_ERROR + 1);
    static const int years[] = {0, 2027};
    for (size_t y = 0; y < sizeof years / sizeof years[0]; y++) {
        sl_calendar_day_t *days = NULL;
        size_t n = 0;
        char *err = NULL;
        int rc = sl_calendar_parse_csv((const char *)data, len, years[y], &days, &n, &err);
        if (rc == 0 && (n == 0 || !days || err))
            __builtin_trap();
        if (rc != 0 && (days || !err))
            __builtin_trap();
        sl_calendar_days_free(days, n);
        free(err);
    }
    const char *p = (const char *)data, *end = p + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl ? nl : end;
        if (!memchr(p, '\0', (size_t)(stop - p)))
            s_roundtrip(p, (size_t)(stop - p));
        p = nl ? nl + 1 : end;
    }
    return 0;
}
