/* sl_register.h — what every register shares: reading an import file and the
 * envelope id a register row's key gives (issue 18).
 *
 * An import file is CSV (UTF-8, a BOM allowed, RFC 4180 quoting within a
 * line, a header line naming the register's columns). The importer checks the
 * whole file before anything is sent; each row then travels through intake
 * with a msg_id made from the register's idempotency key, so a second import
 * of the same file is answered DUPLICATE row by row and adds nothing. Pure. */
#ifndef SL_REGISTER_H
#define SL_REGISTER_H

#include <stddef.h>

#define SL_REGISTER_MSG_ID_LEN 48 /* bytes of a register row's msg_id, without the NUL */

/* Called for each data line: its 1-based line number in the file and its N
 * fields (trimmed; the caller may keep pointers only during the call).
 * Returns 0, or -1 with *ERR set to the reason (malloc'ed; the reader prefixes
 * the line number). */
typedef int(sl_csv_line_cb)(void *arg, int lineno, char **fields, int n, char **err);

/* Reads TEXT (LEN bytes) as CSV whose first non-blank line must be the N
 * names of HEADER, calling CB for every further non-blank line (which must
 * have N fields). Reads the whole file: every bad line is reported through
 * ERRS (one "line N: reason" per bad line, newline-separated, malloc'ed, NULL
 * if none). Returns the number of bad lines (0: all good). */
int sl_csv_each(const char *text, size_t len, const char *const *header, int n, sl_csv_line_cb *cb,
                void *arg, char **errs);


/* Writes the msg_id of register row KEY into OUT: PREFIX (a few ASCII
 * letters, e.g. "insp") "-" and hex of a 16-byte BLAKE2b of KEY. */
void sl_register_msg_id(const char *prefix, const char *key, char out[SL_REGISTER_MSG_ID_LEN + 1]);

/* An import file's yes/no column: 1 for 是 (1, true, y, yes), 0 for 否 (0,
 * false, n, no, empty), -1 for anything else. */
int sl_register_yes_no(const char *s);
/* The sector value a file or a flag names, by its short name (煤) or its enum
 * name (COAL_MINE); 0 if none. */
int sl_register_sector(const char *s);

#endif
