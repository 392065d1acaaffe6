/* sl_route.c — territory and routing over the division tree.
 *
 * Divisions are few (a province has a few hundred): a sorted array and binary
 * search; a route walks at most three parents. */
#include "sl_route.h"

#include "sl_log.h"
#include "sl_sector.h"
#include "sl_util.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    char code[7];   /* 6-digit division code */
    char parent[7]; /* "" for the top */
} s_division_t;

struct sl_route_map {
    char node[7];           /* this node's division */
    s_division_t *divs;     /* sorted by code once sorted is true */
    size_t n, cap;          /* used, allocated */
    bool sorted;            /* divs is sorted */
    unsigned keep[2];       /* bitset of kept sectors (1..63) */
    char lead[64][48];      /* by sector: the unit code leading it here ("" unknown) */
};

sl_route_map_t *
sl_route_map_new(const char *node_code)
{
    sl_route_map_t *m = sl_calloc(1, sizeof *m);
    snprintf(m->node, sizeof m->node, "%s", node_code);
    return m;
}

void
sl_route_map_destroy(sl_route_map_t **p)
{
    if (!p || !*p)
        return;
    free((*p)->divs);
    free(*p);
    *p = NULL;
}

void
sl_route_map_add(sl_route_map_t *m, const char *code, const char *parent)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 256;
        m->divs = sl_realloc(m->divs, m->cap * sizeof *m->divs);
    }
    snprintf(m->divs[m->n].code, 7, "%s", code);
    snprintf(m->divs[m->n].parent, 7, "%s", parent ? parent : "");
    m->n++;
    m->sorted = false;
}

void
sl_route_map_keep(sl_route_map_t *m, int sector)
{
    if (sector > 0 && sector < 64)
        m->keep[sector / 32] |= 1u << (sector % 32);
}

void
sl_route_map_lead(sl_route_map_t *m, int sector, const char *unit_code)
{
    if (sector > 0 && sector < 64)
        snprintf(m->lead[sector], sizeof m->lead[sector], "%s", unit_code);
}

static int
s_cmp(const void *a, const void *b)
{
    return strcmp(((const s_division_t *)a)->code, ((const s_division_t *)b)->code);
}

static const s_division_t *
s_find(const sl_route_map_t *m, const char *code)
{
    if (!code || strlen(code) != 6)
        return NULL;
    if (!m->sorted) {
        sl_route_map_t *mm = (sl_route_map_t *)m; /* sorting is not a visible change */
        qsort(mm->divs, mm->n, sizeof *mm->divs, s_cmp);
        mm->sorted = true;
    }
    s_division_t key;
    snprintf(key.code, sizeof key.code, "%s", code);
    return bsearch(&key, m->divs, m->n, sizeof *m->divs, s_cmp);
}

bool
sl_route_known(const sl_route_map_t *m, const char *division)
{
    return s_find(m, division) != NULL;
}

bool
sl_route_in_territory(const sl_route_map_t *m, const char *division)
{
    const s_division_t *d = s_find(m, division);
    for (int depth = 0; d && depth < 8; depth++) {
        if (strcmp(d->code, m->node) == 0)
            return true;
        d = d->parent[0] ? s_find(m, d->parent) : NULL;
    }
    return false;
}

sl_route_t
sl_route_clue(const sl_route_map_t *m, const char *division, int sector)
{
    sl_route_t r = {.kind = SL_ROUTE_UNKNOWN};
    const s_division_t *d = s_find(m, division);
    if (!d)
        return r;
    if (!sl_route_in_territory(m, division)) {
        r.kind = SL_ROUTE_PARENT;
        return r;
    }
    /* Walk up to the division whose parent is this node: that is the child. */
    const s_division_t *child = NULL;
    for (const s_division_t *x = d; x && strcmp(x->code, m->node) != 0;
         x = x->parent[0] ? s_find(m, x->parent) : NULL) {
        if (strcmp(x->parent, m->node) == 0) {
            child = x;
            break;
        }
    }
    bool kept = sector > 0 && sector < 64 && (m->keep[sector / 32] & (1u << (sector % 32)));
    if (child && !kept) {
        r.kind = SL_ROUTE_CHILD;
        snprintf(r.child, sizeof r.child, "%s", child->code);
    } else {
        r.kind = SL_ROUTE_DEPARTMENT;
        const sl_sector_t *sec = sl_sector_by_value(sector);
        if (sector > 0 && sector < 64 && m->lead[sector][0])
            snprintf(r.unit, sizeof r.unit, "%s", m->lead[sector]);
        else /* a database migrated before sector_lead: the sector's department */
            snprintf(r.unit, sizeof r.unit, "%s:%s", m->node, sec ? sec->dept_key : "emergency");
    }
    return r;
}

sl_route_map_t *
sl_route_map_load(sl_db_t *db, const char *node_code)
{
    PGresult *r;
    if (sl_db_exec(db, &r, "SELECT code, coalesce(parent_code, '') FROM division", 0, NULL) != 0) {
        sl_log(SL_LOG_ERROR, "could not read divisions: %s", sl_db_error(db));
        return NULL;
    }
    sl_route_map_t *m = sl_route_map_new(node_code);
    for (int i = 0; i < PQntuples(r); i++)
        sl_route_map_add(m, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
    PQclear(r);
    if (sl_db_exec(db, &r, "SELECT sector, unit_code FROM sector_lead", 0, NULL) != 0) {
        sl_log(SL_LOG_ERROR, "could not read the sectors' lead units: %s", sl_db_error(db));
        sl_route_map_destroy(&m);
        return NULL;
    }
    for (int i = 0; i < PQntuples(r); i++)
        sl_route_map_lead(m, atoi(PQgetvalue(r, i, 0)), PQgetvalue(r, i, 1));
    PQclear(r);
    return m;
}
