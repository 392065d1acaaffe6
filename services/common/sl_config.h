/* sl_config.h — the node's INI file (DESIGN.md "Configuration").
 *
 * One file per node, a section per daemon. Every key the file may hold is listed
 * with its type and default in one table in sl_config.c (and documented in the
 * example configs under deploy/); an unknown section or key, or a bad value, is
 * an error naming file, line and key, and programs exit 2 on it. Section
 * families such as [producer.NAME] or [child.CODE] hold one entry each. A second
 * instance of a daemon (--instance 2) reads [intake.2] before [intake]. Relative
 * paths are resolved against the directory of the config file. */
#ifndef SL_CONFIG_H
#define SL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

typedef struct sl_config sl_config_t;

/* Loads and validates PATH. INSTANCE is 1 for the first instance. On failure
 * returns NULL and sets *err to a new string "FILE:LINE: [section] key: reason"
 * (the caller frees it). Required keys ([node] code, [database] conninfo) are
 * checked here too. */
sl_config_t *sl_config_load(const char *path, int instance, char **err);
void sl_config_destroy(sl_config_t **p);

/* Value of KEY in SECTION (for instance sections, [SECTION.N] first), else the
 * table's default; NULL if neither. Borrowed; lives as long as the config. */
const char *sl_config_str(const sl_config_t *c, const char *section, const char *key);
long long sl_config_int(const sl_config_t *c, const char *section, const char *key);
bool sl_config_bool(const sl_config_t *c, const char *section, const char *key);
/* True if the file itself sets KEY (not just a default). */
bool sl_config_has(const sl_config_t *c, const char *section, const char *key);

/* Names after the dot of every section of a family present in the file, e.g.
 * family "producer" → {"hotline", "iot"}; returns the count, *names borrowed. */
size_t sl_config_family(const sl_config_t *c, const char *family, const char *const **names);

const char *sl_config_path(const sl_config_t *c);
/* Directory of the config file, for resolving relative paths. */
const char *sl_config_dir(const sl_config_t *c);
int sl_config_instance(const sl_config_t *c);
/* Shorthand for sl_config_str(c, "node", "code"). */
const char *sl_config_node(const sl_config_t *c);

#endif
