/* sl_sector.h — the sectors (领域) of the campaign plan and their departments.
 *
 * Pure data from schema/data/sectors.csv (the one source; the migrations load
 * the same file): the wire enum value and name, the Chinese full and short
 * names (the short name appears in human-facing numbers such as
 * （煤）移〔2026〕17号), and the lead department (牵头部门) at each level with a
 * stable department key used in unit keys ("140700:emergency"). The 16 sectors
 * of the plan and OTHER (其他行业领域, named by the clue's sector_text). Values
 * equal the `Sector` enum of proto/safeloop/v1/clue.proto; this module does
 * not include protobuf headers. */
#ifndef SL_SECTOR_H
#define SL_SECTOR_H

#include <stddef.h>

#define SL_SECTOR_COUNT 17 /* the 16 of the plan and OTHER */
#define SL_SECTOR_OTHER 17 /* 其他行业领域: lead department from [routing] other_sector_unit */

typedef struct {
    int value;                 /* wire enum value, 1..17 (Sector in clue.proto) */
    const char *name;          /* wire enum name, "COAL_MINE" */
    const char *name_zh;       /* 领域, "煤矿" */
    const char *short_zh;      /* short name used in numbers, "煤" */
    const char *dept_key;      /* stable department key, "emergency" */
    const char *dept_province; /* the department's name at province level, "应急管理厅" */
    const char *dept_city;     /* at city level, "应急管理局" */
    const char
        *dept_county; /* at county level; "{parent}生态环境局{short}分局" (sl_unit_dept_name) */
    const char
        *province_dept_key; /* the department that leads at province level (CITY_GAS: housing) */
} sl_sector_t;

/* The sector with wire value V (1..17), or NULL (0 = SECTOR_UNSPECIFIED and
 * anything else unknown). Borrowed, static. */
const sl_sector_t *sl_sector_by_value(int v);
/* The sector with wire enum name NAME ("COAL_MINE"; exact, case-sensitive), or NULL. */
const sl_sector_t *sl_sector_by_name(const char *name);
/* The sector with Chinese short name SHORT ("煤", "非煤" …; exact UTF-8), or NULL. */
const sl_sector_t *sl_sector_by_short(const char *short_zh);
/* The I-th sector in table order (0..SL_SECTOR_COUNT-1, value I+1), or NULL. */
const sl_sector_t *sl_sector_at(size_t i);

/* S's lead department's name pattern at LEVEL ("province", "city",
 * "county"), as sectors.csv gives it. Borrowed. */
const char *sl_sector_dept_name(const sl_sector_t *s, const char *level);
/* The key of the department that leads S at LEVEL (routing: city gas is the
 * housing department's at province level). Borrowed. */
const char *sl_sector_dept_key(const sl_sector_t *s, const char *level);
/* How S reads in Chinese: its name, or for OTHER with SECTOR_TEXT
 * "其他行业领域（电力）" written into BUF (SIZE bytes). Borrowed or BUF. */
const char *sl_sector_label(const sl_sector_t *s, const char *sector_text, char *buf, size_t size);

#endif
