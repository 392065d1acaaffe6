/* sl_route.h — where a clue goes (DESIGN.md "Routing between levels").
 *
 * A node's territory is its own division and every division below it. A place
 * outside it goes to the parent; a place in a child's territory goes down to
 * that child's government, unless its sector is kept at this level; otherwise
 * to this level's lead department for the sector. The map is pure data;
 * sl_route_map_load fills it from the division table. */
#ifndef SL_ROUTE_H
#define SL_ROUTE_H

#include "sl_db.h"

#include <stdbool.h>

typedef struct sl_route_map sl_route_map_t;

typedef enum {
    SL_ROUTE_UNKNOWN = 0, /* the division is not known: reject unknown_division */
    SL_ROUTE_PARENT,      /* outside the territory: forward to the parent */
    SL_ROUTE_CHILD,       /* transfer down to a child's government */
    SL_ROUTE_DEPARTMENT   /* this level's lead department for the sector */
} sl_route_kind_t;

typedef struct {
    sl_route_kind_t kind; /* see above */
    char child[7];        /* SL_ROUTE_CHILD: the child's division code */
    char unit[48];        /* SL_ROUTE_DEPARTMENT: the unit leading the sector ("140700:emergency") */
} sl_route_t;

/* An empty map for node NODE_CODE. */
sl_route_map_t *sl_route_map_new(const char *node_code);
void sl_route_map_destroy(sl_route_map_t **p);
/* Adds one division (PARENT NULL or "" for the top). */
void sl_route_map_add(sl_route_map_t *m, const char *code, const char *parent);
/* Marks SECTOR (wire enum value) as kept at this level (config keep_sectors). */
void sl_route_map_keep(sl_route_map_t *m, int sector);
/* Sets the unit (code) that leads SECTOR at this node (table sector_lead);
 * unset, a sector goes to "<node>:<its dept_key>". */
void sl_route_map_lead(sl_route_map_t *m, int sector, const char *unit_code);
/* Fills a new map from the division and sector_lead tables. NULL (logged) on a database error. */
sl_route_map_t *sl_route_map_load(sl_db_t *db, const char *node_code);

bool sl_route_known(const sl_route_map_t *m, const char *division);
/* True if DIVISION lies in the node's territory. */
bool sl_route_in_territory(const sl_route_map_t *m, const char *division);
/* Routes a clue about a place in DIVISION of SECTOR. */
sl_route_t sl_route_clue(const sl_route_map_t *m, const char *division, int sector);

#endif
