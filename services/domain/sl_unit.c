/* sl_unit.c — the node row and its units, derived from division and config.
 *
 * Runs at `slctl migrate`; daemons read the unit table, they never write it. */
#include "sl_unit.h"

#include "sl_log.h"
#include "sl_util.h"

#include <stdlib.h>
#include <string.h>

/* DIVISION_NAME without its trailing 县/区/市 when two characters or more
 * remain (平遥县 → 平遥, 祁县 stays). */
static char *
s_short(const char *division_name)
{
    size_t n = strlen(division_name);
    static const char *const ends[] = {"县", "区", "市"};
    for (size_t i = 0; i < SL_ARRAY_LEN(ends); i++) {
        size_t e = strlen(ends[i]);
        if (n >= 3 * e && strcmp(division_name + n - e, ends[i]) == 0)
            return sl_strndup(division_name, n - e);
    }
    return sl_strdup(division_name);
}

char *
sl_unit_dept_name(const char *pattern, const char *division_name, const char *parent_name)
{
    if (!strchr(pattern, '{'))
        return sl_asprintf("%s%s", division_name, pattern);
    sl_buf_t b;
    sl_buf_init(&b);
    char *shortname = s_short(division_name);
    for (const char *p = pattern; *p;) {
        if (strncmp(p, "{parent}", 8) == 0) {
            sl_buf_puts(&b, parent_name ? parent_name : "");
            p += 8;
        } else if (strncmp(p, "{short}", 7) == 0) {
            sl_buf_puts(&b, shortname);
            p += 7;
        } else if (strncmp(p, "{name}", 6) == 0) {
            sl_buf_puts(&b, division_name);
            p += 6;
        } else {
            sl_buf_append(&b, p++, 1);
        }
    }
    free(shortname);
    return sl_buf_steal(&b);
}

const char *
sl_unit_lead_key(const sl_sector_t *sec, const char *level, const char *other_key)
{
    return sec->value == SL_SECTOR_OTHER && other_key && *other_key
               ? other_key
               : sl_sector_dept_key(sec, level);
}

/* The name [unit.KEY] gives, or NULL. */
static const char *
s_config_name(const sl_config_t *cfg, const char *key)
{
    char section[80];
    snprintf(section, sizeof section, "unit.%s", key);
    const char *const *names;
    size_t n = sl_config_family(cfg, "unit", &names);
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], key) == 0)
            return sl_config_str(cfg, section, "name");
    return NULL;
}

static int
s_upsert(sl_db_t *db, const sl_config_t *cfg, const char *key, const char *code, const char *kind,
         const char *name, const char *dept_key, const char *division, bool has_node)
{
    const char *own = s_config_name(cfg, key);
    const char *p[] = {code,     kind,     own ? own : name,
                       dept_key, division, has_node ? "true" : "false"};
    return sl_db_exec(db, NULL,
                      "INSERT INTO unit (code, kind, name, dept_key, division, has_node)"
                      " VALUES ($1, $2, $3, $4, $5, $6)"
                      " ON CONFLICT (code) DO UPDATE SET kind = $2, name = $3, dept_key = $4,"
                      " division = $5, has_node = $6",
                      6, p);
}

/* The member units of [unit.KEY] sections that name no derived unit. */
static int
s_members(sl_db_t *db, const sl_config_t *cfg, const char *node)
{
    const char *const *names;
    size_t n = sl_config_family(cfg, "unit", &names);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        char section[80];
        snprintf(section, sizeof section, "unit.%s", names[i]);
        char *code = sl_asprintf("%s:%s", node, names[i]);
        const char *p[] = {code, sl_config_str(cfg, section, "name"), names[i],
                           sl_config_bool(cfg, section, "weekly_report") ? "true" : "false"};
        rc = sl_db_exec(db, NULL,
                        "INSERT INTO unit (code, kind, name, dept_key, weekly_report)"
                        " SELECT $1, 'member', $2, $3, $4::bool WHERE NOT EXISTS"
                        " (SELECT 1 FROM unit WHERE code = $1 AND kind <> 'member'"
                        "  OR code = $3 AND kind = 'child')"
                        " ON CONFLICT (code) DO UPDATE SET name = $2, weekly_report = $4::bool",
                        4, p);
        free(code);
    }
    return rc;
}

static bool
s_child_has_node(const sl_config_t *cfg, const char *code)
{
    const char *const *names;
    size_t n = sl_config_family(cfg, "child", &names);
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], code) == 0)
            return true;
    return false;
}

int
sl_unit_sync(sl_db_t *db, const sl_config_t *cfg)
{
    const char *node = sl_config_node(cfg);
    PGresult *r = NULL, *c = NULL;
    int rc;
    const char *p1[] = {node};
    if ((rc = sl_db_begin(db)) != 0)
        return rc;
    if ((rc = sl_db_exec(db, &r,
                         "SELECT d.name, d.level, d.parent_code, coalesce(p.name, '')"
                         " FROM division d LEFT JOIN division p ON p.code = d.parent_code"
                         " WHERE d.code = $1",
                         1, p1)) != 0)
        goto fail;
    if (PQntuples(r) == 0) {
        sl_log(SL_LOG_ERROR, "node code %s is not a division in schema/data/shanxi_divisions.csv",
               node);
        rc = -1;
        goto fail;
    }
    const char *dname = PQgetvalue(r, 0, 0), *level = PQgetvalue(r, 0, 1);
    const char *parent = sl_config_str(cfg, "node", "parent");
    if (!parent && !PQgetisnull(r, 0, 2))
        parent = PQgetvalue(r, 0, 2);
    char *office = sl_config_str(cfg, "dispatch", "office_short")
                       ? sl_strdup(sl_config_str(cfg, "dispatch", "office_short"))
                       : sl_asprintf("%s“百日攻坚”办", dname);
    const char *p2[] = {node, dname, level, parent, office};
    rc = sl_db_exec(db, NULL,
                    "INSERT INTO node (code, name, level, parent, office_short)"
                    " VALUES ($1, $2, $3, $4, $5)"
                    " ON CONFLICT (singleton) DO UPDATE SET code = $1, name = $2,"
                    " level = $3, parent = $4, office_short = $5",
                    5, p2);
    free(office);
    if (rc != 0)
        goto fail;
    /* Lead departments, one per key that leads a sector at this level (names
     * from sectors.csv); the police and discipline commission. */
    const char *pname = PQgetvalue(r, 0, 3);
    for (size_t i = 0; i < SL_SECTOR_COUNT && rc == 0; i++) {
        const sl_sector_t *sec = sl_sector_at(i);
        const char *key = sl_sector_dept_key(sec, level);
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(sl_sector_dept_key(sl_sector_at(j), level), key) == 0;
        if (seen)
            continue;
        char *code = sl_asprintf("%s:%s", node, key);
        char *name = sl_unit_dept_name(sl_sector_dept_name(sec, level), dname, pname);
        rc = s_upsert(db, cfg, key, code, strcmp(key, "police") == 0 ? "police" : "department",
                      name, key, NULL, false);
        free(code);
        free(name);
    }
    if (rc == 0) {
        char *code = sl_asprintf("%s:discipline", node);
        char *name = sl_asprintf("%s纪委监委", dname);
        rc = s_upsert(db, cfg, "discipline", code, "discipline", name, "discipline", NULL, false);
        free(code);
        free(name);
    }
    if (rc != 0)
        goto fail;
    /* Children's governments: the divisions one level down. */
    if ((rc = sl_db_exec(db, &c, "SELECT code, name FROM division WHERE parent_code = $1", 1,
                         p1)) != 0)
        goto fail;
    for (int i = 0; i < PQntuples(c) && rc == 0; i++) {
        const char *cc = PQgetvalue(c, i, 0);
        char *code = sl_strdup(cc);
        char *name = sl_asprintf("%s人民政府", PQgetvalue(c, i, 1));
        rc = s_upsert(db, cfg, cc, code, "child", name, NULL, cc, s_child_has_node(cfg, cc));
        free(code);
        free(name);
    }
    if (rc != 0 || (rc = s_members(db, cfg, node)) != 0)
        goto fail;
    /* Each sector's lead unit at this node. */
    const char *other = sl_config_str(cfg, "routing", "other_sector_unit");
    for (size_t i = 0; i < SL_SECTOR_COUNT && rc == 0; i++) {
        char name[256], sector[8];
        bool has;
        char *code = sl_asprintf("%s:%s", node, sl_unit_lead_key(sl_sector_at(i), level, other));
        snprintf(sector, sizeof sector, "%d", sl_sector_at(i)->value);
        const char *p[] = {sector, code};
        if ((rc = sl_unit_get(db, code, name, sizeof name, &has)) == 1) {
            sl_log(SL_LOG_ERROR,
                   "[routing] other_sector_unit = %s names no unit of node %s: give "
                   "a department key (emergency …) or add a [unit.%s] section",
                   other, node, other);
            rc = -1;
        } else if (rc == 0) {
            rc = sl_db_exec(db, NULL,
                            "INSERT INTO sector_lead (sector, unit_code) VALUES ($1::smallint, $2)"
                            " ON CONFLICT (sector) DO UPDATE SET unit_code = $2",
                            2, p);
        }
        free(code);
    }
    if (rc != 0)
        goto fail;
    rc = sl_db_commit(db);
    PQclear(r);
    PQclear(c);
    return rc;
fail:
    if (rc == -1 && sl_db_error(db)[0])
        sl_log(SL_LOG_ERROR, "could not write the node's units: %s", sl_db_error(db));
    sl_db_rollback(db);
    PQclear(r);
    PQclear(c);
    return rc;
}

int
sl_unit_node(sl_db_t *db, const char *node_code, char *parent, size_t size)
{
    PGresult *r;
    int rc = sl_db_exec(db, &r, "SELECT code, coalesce(parent, '') FROM node", 0, NULL);
    if (rc != 0)
        return rc;
    if (PQntuples(r) == 0 || strcmp(PQgetvalue(r, 0, 0), node_code) != 0) {
        sl_log(SL_LOG_ERROR, "the database belongs to node %s, not %s: check [database] conninfo, "
                             "or run `slctl migrate` for this node's config",
               PQntuples(r) ? PQgetvalue(r, 0, 0) : "(none)", node_code);
        PQclear(r);
        return -1;
    }
    snprintf(parent, size, "%s", PQgetvalue(r, 0, 1));
    PQclear(r);
    return 0;
}

int
sl_unit_office(sl_db_t *db, char *office, size_t size)
{
    PGresult *r;
    int rc = sl_db_exec(db, &r, "SELECT office_short FROM node", 0, NULL);
    if (rc != 0)
        return rc;
    rc = PQntuples(r) ? 0 : 1;
    snprintf(office, size, "%s", rc == 0 ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
    return rc;
}

int
sl_unit_get(sl_db_t *db, const char *code, char *name, size_t size, bool *has_node)
{
    const char *p[] = {code};
    PGresult *r;
    int rc = sl_db_exec(db, &r, "SELECT name, has_node FROM unit WHERE code = $1", 1, p);
    if (rc != 0)
        return rc;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return 1;
    }
    snprintf(name, size, "%s", PQgetvalue(r, 0, 0));
    *has_node = strcmp(PQgetvalue(r, 0, 1), "t") == 0;
    PQclear(r);
    return 0;
}

int
sl_unit_lead(sl_db_t *db, int sector, char *code, size_t size)
{
    char s[8];
    snprintf(s, sizeof s, "%d", sector);
    const char *p[] = {s};
    PGresult *r;
    int rc =
        sl_db_exec(db, &r, "SELECT unit_code FROM sector_lead WHERE sector = $1::smallint", 1, p);
    if (rc != 0)
        return rc;
    rc = PQntuples(r) ? 0 : 1;
    if (rc == 0)
        snprintf(code, size, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return rc;
}
