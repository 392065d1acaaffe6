/* sl_unit.c — the node row and its units, derived from division and config.
 *
 * Runs at `slctl migrate`; daemons read the unit table, they never write it. */
#include "sl_unit.h"

#include "sl_log.h"
#include "sl_util.h"

#include <stdlib.h>
#include <string.h>

char *
sl_unit_dept_name(const char *division_name, const char *level, const char *dept_key,
                  const char *base_name)
{
    bool province = strcmp(level, "province") == 0;
    if (strcmp(dept_key, "fire") == 0)
        return sl_asprintf("%s消防救援%s", division_name,
                           province ? "总队" : strcmp(level, "city") == 0 ? "支队" : "大队");
    if (strcmp(dept_key, "discipline") == 0)
        return sl_asprintf("%s纪委监委", division_name);
    size_t n = strlen(base_name);
    const char *ju = "局";
    if (province && n >= strlen(ju) && strcmp(base_name + n - strlen(ju), ju) == 0)
        return sl_asprintf("%s%.*s厅", division_name, (int)(n - strlen(ju)), base_name);
    return sl_asprintf("%s%s", division_name, base_name);
}

static int
s_upsert(sl_db_t *db, const char *code, const char *kind, const char *name, const char *dept_key,
         const char *division, bool has_node)
{
    const char *p[] = {code, kind, name, dept_key, division, has_node ? "true" : "false"};
    return sl_db_exec(db, NULL,
                      "INSERT INTO unit (code, kind, name, dept_key, division, has_node)"
                      " VALUES ($1, $2, $3, $4, $5, $6)"
                      " ON CONFLICT (code) DO UPDATE SET kind = $2, name = $3, dept_key = $4,"
                      " division = $5, has_node = $6",
                      6, p);
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
    PGresult *r = NULL, *d = NULL, *c = NULL;
    int rc;
    const char *p1[] = {node};
    if ((rc = sl_db_begin(db)) != 0)
        return rc;
    if ((rc = sl_db_exec(db, &r, "SELECT name, level, parent_code FROM division WHERE code = $1", 1,
                         p1)) != 0)
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
    const char *p2[] = {node, dname, level, parent};
    if ((rc = sl_db_exec(db, NULL,
                         "INSERT INTO node (code, name, level, parent) VALUES ($1, $2, $3, $4)"
                         " ON CONFLICT (singleton) DO UPDATE SET code = $1, name = $2,"
                         " level = $3, parent = $4",
                         4, p2)) != 0)
        goto fail;
    /* Lead departments, one per dept_key; the police and discipline commission. */
    if ((rc = sl_db_exec(db, &d,
                         "SELECT dept_key, min(lead_department) FROM sector GROUP BY dept_key"
                         " UNION ALL SELECT 'police', '公安局' WHERE NOT EXISTS"
                         " (SELECT 1 FROM sector WHERE dept_key = 'police')"
                         " UNION ALL SELECT 'discipline', '纪委监委'",
                         0, NULL)) != 0)
        goto fail;
    for (int i = 0; i < PQntuples(d) && rc == 0; i++) {
        const char *key = PQgetvalue(d, i, 0);
        char *code = sl_asprintf("%s:%s", node, key);
        char *name = sl_unit_dept_name(dname, level, key, PQgetvalue(d, i, 1));
        const char *kind = strcmp(key, "police") == 0       ? "police"
                           : strcmp(key, "discipline") == 0 ? "discipline"
                                                            : "department";
        rc = s_upsert(db, code, kind, name, key, NULL, false);
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
        rc = s_upsert(db, code, "child", name, NULL, cc, s_child_has_node(cfg, cc));
        free(code);
        free(name);
    }
    if (rc != 0)
        goto fail;
    rc = sl_db_commit(db);
    PQclear(r);
    PQclear(d);
    PQclear(c);
    return rc;
fail:
    if (rc == -1 && sl_db_error(db)[0])
        sl_log(SL_LOG_ERROR, "could not write the node's units: %s", sl_db_error(db));
    sl_db_rollback(db);
    PQclear(r);
    PQclear(d);
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
