/* sl_unit.h — the node itself and its units (DESIGN.md "Receivers that run no node").
 *
 * A node's units are its lead departments (by sector), its police, its
 * discipline commission and its children's governments. They are derived from
 * the node's division (its level decides 局/厅 and the fire service's 大队/支队/
 * 总队) and its config ([child.CODE] marks children that run a node), and
 * written by `slctl migrate`. Unit codes are the keys that answers name in
 * `from_unit`: "<node>:<dept_key>" for departments ("140700:emergency"),
 * "<node>:police", "<node>:discipline", and a child's own division code
 * ("140728") for its government. */
#ifndef SL_UNIT_H
#define SL_UNIT_H

#include "sl_config.h"
#include "sl_db.h"

#include <stdbool.h>
#include <stddef.h>

/* Writes the node row and its units for the config's node code, in one
 * transaction; existing units are updated, none is deleted (cases refer to
 * them). Returns 0, -1 (unknown division: logged) or SL_AGAIN. */
int sl_unit_sync(sl_db_t *db, const sl_config_t *cfg);

/* Reads the node row that migrate wrote: checks it is NODE_CODE's database and
 * copies its parent's code (or "") into PARENT (>= 8 bytes). 0; -1 (logged:
 * not migrated, or another node's database); SL_AGAIN. */
int sl_unit_node(sl_db_t *db, const char *node_code, char *parent, size_t size);

/* Looks up unit CODE: copies its name into NAME (SIZE bytes) and sets
 * *HAS_NODE (a child that runs its own node). 0; 1 if there is no such unit;
 * -1 or SL_AGAIN. */
int sl_unit_get(sl_db_t *db, const char *code, char *name, size_t size, bool *has_node);

/* The display name of a department DEPT_KEY (base name as in sectors.csv, e.g.
 * "应急管理局") at LEVEL ("province", "city", "county"): 局 → 厅 at province
 * level; the fire service is 总队/支队/大队. Returns a new string. Pure. */
char *sl_unit_dept_name(const char *division_name, const char *level, const char *dept_key,
                        const char *base_name);

#endif
