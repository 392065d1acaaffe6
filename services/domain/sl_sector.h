/* sl_sector.h — the 16 sectors (领域) of the campaign plan and their departments.
 *
 * Pure data from DOMAIN.md's table: the wire enum value and name, the Chinese
 * full and short names (the short name appears in human-facing numbers such as
 * （煤）移〔2026〕17号), and the lead department (牵头部门) at each level with a
 * stable department key used in unit keys ("140700:emergency"). Values equal
 * the `Sector` enum of proto/safeloop/v1/clue.proto; this module does not
 * include protobuf headers. */
#ifndef SL_SECTOR_H
#define SL_SECTOR_H

#include <stddef.h>

#define SL_SECTOR_COUNT 16

typedef struct {
    int value;                 /* wire enum value, 1..16 (Sector in clue.proto) */
    const char *name;          /* wire enum name, "COAL_MINE" */
    const char *name_zh;       /* 领域, "煤矿" */
    const char *short_zh;      /* short name used in numbers, "煤" */
    const char *dept;          /* lead department base name (city/county), "应急管理局" */
    const char *dept_key;      /* stable department key, "emergency" */
    const char *dept_province; /* the department at province level, "应急管理厅" */
    const char *dept_city;     /* at city level, "应急管理局" */
    const char *dept_county;   /* at county level, "应急管理局" */
} sl_sector_t;

/* The sector with wire value V (1..16), or NULL (0 = SECTOR_UNSPECIFIED and
 * anything else unknown). Borrowed, static. */
const sl_sector_t *sl_sector_by_value(int v);
/* The sector with wire enum name NAME ("COAL_MINE"; exact, case-sensitive), or NULL. */
const sl_sector_t *sl_sector_by_name(const char *name);
/* The sector with Chinese short name SHORT ("煤", "非煤" …; exact UTF-8), or NULL. */
const sl_sector_t *sl_sector_by_short(const char *short_zh);
/* The I-th sector in table order (0..SL_SECTOR_COUNT-1, value I+1), or NULL. */
const sl_sector_t *sl_sector_at(size_t i);

#endif
