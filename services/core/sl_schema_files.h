/* sl_schema_files.h — the schema directory compiled into the binary.
 *
 * cmake/embed.cmake generates the table from the .sql files of schema/ and the
 * .csv files of schema/data/
 * at build time; the list ends with a NULL name. */
#ifndef SL_SCHEMA_FILES_H
#define SL_SCHEMA_FILES_H

#include <stddef.h>

typedef struct {
    const char *name; /* path relative to schema/, e.g. "001_foundation.sql" */
    const char *data; /* the file's bytes, NUL-terminated */
    size_t len;       /* bytes, without the NUL */
} sl_schema_file_t;

extern const sl_schema_file_t sl_schema_files[];

#endif
