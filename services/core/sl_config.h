/* sl_config.h — the node's INI file (DESIGN.md "Configuration").
 *
 * One file per node, a section per daemon. Every key the file may hold is listed
 * with its type and default in one table in sl_config.c (and documented in the
 * example configs under deploy/); an unknown section or key, or a bad value, is
 * an error naming file, line and key, and programs exit 2 on it. Section
 * families such as [producer.NAME] or [child.CODE] hold one entry each. A second
 * instance of a daemon (--instance 2) reads [intake.2] before [intake]. Relative
 * paths are resolved against the directory of the config file.
 *
 * Syntax (inih, as Debian builds it): "[section]" lines and "key = value" lines;
 * a comment is a line starting with ';' or '#', or " ;" after a value ('#' after
 * a value is part of it). A line may hold at most 198 bytes; lines that start
 * with white space are refused (inih would take them as continuations). The
 * file must be UTF-8. */
#ifndef SL_CONFIG_H
#define SL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct sl_config sl_config_t;

/* Loads and validates PATH. INSTANCE is 1 for the first instance. On failure
 * returns NULL and sets *err to a new string "FILE:LINE: [section] key: reason"
 * (the caller frees it). Required keys ([node] code, [database] conninfo) are
 * checked here too. */
sl_config_t *sl_config_load(const char *path, int instance, char **err);
void sl_config_destroy(sl_config_t **p);

/* Value of KEY in SECTION (for instance sections, [SECTION.N] first), else the
 * table's default; NULL if neither. Borrowed; lives as long as the config.
 * SECTION is "intake" for an instance section (the config's instance picks
 * [intake.N]) and the full name for a family member ("producer.hotline"). Path
 * values come back absolute, ipc:// endpoints with an absolute path, lists
 * trimmed and joined with ",". Asking for a key the table does not list is a
 * programming error (assert). */
const char *sl_config_str(const sl_config_t *c, const char *section, const char *key);
/* Number behind a value: int; bytes (suffix applied); bool (0/1); date (days
 * since 1970-01-01); time (minutes after midnight); level (SL_LOG_*); host:port
 * (the port, 0 = disabled). 0 if the key is neither set nor defaulted. Other
 * types are a programming error (assert). */
long long sl_config_int(const sl_config_t *c, const char *section, const char *key);
/* A bool key's value (assert on other types). */
bool sl_config_bool(const sl_config_t *c, const char *section, const char *key);
/* True if the file itself sets KEY (not just a default). */
bool sl_config_has(const sl_config_t *c, const char *section, const char *key);
/* Items of a list key, trimmed; returns the count, *items borrowed (assert on
 * other types). */
size_t sl_config_list(const sl_config_t *c, const char *section, const char *key,
                      const char *const **items);

/* Names after the dot of every section of a family present in the file, e.g.
 * family "producer" → {"hotline", "iot"}; returns the count, *names borrowed. */
size_t sl_config_family(const sl_config_t *c, const char *family, const char *const **names);

const char *sl_config_path(const sl_config_t *c);
/* Directory of the config file, for resolving relative paths. */
const char *sl_config_dir(const sl_config_t *c);
int sl_config_instance(const sl_config_t *c);
/* Shorthand for sl_config_str(c, "node", "code"). */
const char *sl_config_node(const sl_config_t *c);

/* Writes the key table (section, key, type, default, range, help) to F: the
 * reference behind --help and the docs. Returns 0, or -1 on a write error. */
int sl_config_print_keys(FILE *f);
/* The Ith entry of the key table: its section as written in the reference
 * ("intake", "child.CODE", "producer.NAME") and its key. False past the end.
 * For tests and tools that check a file against the table. */
bool sl_config_key_at(size_t i, const char **section, const char **key);

#endif
