/* sl_unit.h — the node itself and its units (DESIGN.md "Receivers that run no node").
 *
 * A node's units are its lead departments (by sector), its police, its
 * discipline commission, its children's governments and the member units its
 * config names ([unit.KEY], kind 'member', code "<node>:KEY"). They are
 * derived from the node's division and level (each department's name per level
 * is data in schema/data/sectors.csv) and its config ([unit.KEY] name renames
 * any unit; [child.CODE] marks children that run a node), and written by
 * `slctl migrate`. Unit codes are the keys that answers name in
 * `from_unit`: "<node>:<dept_key>" for departments ("140700:emergency"),
 * "<node>:police", "<node>:discipline", and a child's own division code
 * ("140728") for its government. */
#ifndef SL_UNIT_H
#define SL_UNIT_H

#include "sl_config.h"
#include "sl_db.h"
#include "sl_sector.h"

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
/* This node's office short name (node.office_short, e.g. 晋中市“百日攻坚”办),
 * printed before a notice number that leaves the node. 0, 1 if the node row
 * is missing, -1 or SL_AGAIN. */
int sl_unit_office(sl_db_t *db, char *office, size_t size);

int sl_unit_get(sl_db_t *db, const char *code, char *name, size_t size, bool *has_node);

/* A department's name from its PATTERN in sectors.csv for the level
 * (sl_sector_dept_name): "应急管理厅" is prefixed with DIVISION_NAME
 * (山西省应急管理厅); a pattern with braces is filled in: {parent} the parent
 * division's name, {short} the division's name without 县/区/市, {name} the
 * division's name ("{parent}生态环境局{short}分局" → 晋中市生态环境局平遥分局).
 * Returns a new string. Pure. */
char *sl_unit_dept_name(const char *pattern, const char *division_name, const char *parent_name);

/* The key of the unit that leads SEC at LEVEL: OTHER_KEY ([routing]
 * other_sector_unit) for sector OTHER, else the sector's lead department at
 * that level (city gas: housing at province level). Borrowed. Pure. */
const char *sl_unit_lead_key(const sl_sector_t *sec, const char *level, const char *other_key);

/* The code of the unit leading SECTOR at this node (sector_lead, written by
 * migrate) into CODE (SIZE bytes). 0; 1 if none; -1 or SL_AGAIN. */
int sl_unit_lead(sl_db_t *db, int sector, char *code, size_t size);

#endif
