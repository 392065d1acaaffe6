/* sl_csv.h — reading the CSV reference files of schema/data/.
 *
 * The reference data (sectors, divisions, the holiday calendar) is CSV with a
 * header line, compiled into the binary (sl_schema_files.h). Migrations COPY
 * it into tables; pure modules read the same bytes (sl_sector), so each fact
 * has one source. Fields may be quoted ("a,b", "" for a quote). */
#ifndef SL_CSV_H
#define SL_CSV_H

#include "sl_util.h"

#include <stdbool.h>
#include <stddef.h>

/* Splits one record LINE (no line end) in place into at most MAX fields,
 * unquoting quoted ones; FIELD[i] point into LINE. Returns the number of
 * fields (at least 1), MAX + 1 if the record has more than MAX (the first MAX
 * are split), or -1 if a quoted field is never closed. */
int sl_csv_split(char *line, char **field, int max);

/* The index of column NAME in the header fields HEAD[0..N-1], or -1. */
int sl_csv_column(char *const *head, size_t n, const char *name);

/* The embedded schema file NAME ("data/sectors.csv"), its bytes NUL-terminated
 * in *LEN bytes; NULL if there is none. Borrowed, static. */
const char *sl_csv_file(const char *name, size_t *len);

/* Appends FIELD to the CSV text being built in B (quoted when it must be);
 * FIRST says whether it starts a record. */
void sl_csv_put(sl_buf_t *b, const char *field, bool first);

#endif
