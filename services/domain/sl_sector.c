/* sl_sector.c — the sectors (领域) of the campaign plan and their departments.
 *
 * The table is schema/data/sectors.csv, the same bytes the migrations COPY
 * into the sector table (compiled into the binary): read once, on first use,
 * so the names exist in one place. Row i holds wire value i+1, which
 * sl_sector_by_value relies on; a file that breaks this is a build error
 * caught by the first call (assert: it is our data, not input). */
#include "sl_sector.h"

#include "sl_csv.h"
#include "sl_util.h"

#include <assert.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static sl_sector_t s_sectors[SL_SECTOR_COUNT];
static pthread_once_t s_once = PTHREAD_ONCE_INIT;

static void
s_load(void)
{
    size_t len;
    const char *data = sl_csv_file("data/sectors.csv", &len);
    assert(data);
    char *text = sl_strdup(data), *save = NULL; /* kept: the table points into it */
    char *head[16], *f[16];
    int nh = sl_csv_split(strtok_r(text, "\n", &save), head, 16);
    assert(nh > 0 && nh <= 16);
    int col[9];
    static const char *const names[9] = {"code",       "enum_name",   "name",
                                         "short_name", "dept_key",    "dept_province",
                                         "dept_city",  "dept_county", "province_dept_key"};
    for (int i = 0; i < 9; i++) {
        col[i] = sl_csv_column(head, (size_t)nh, names[i]);
        assert(col[i] >= 0);
    }
    size_t n = 0;
    for (char *line; (line = strtok_r(NULL, "\n", &save)) != NULL;) {
        if (!*line)
            continue;
        int nf = sl_csv_split(line, f, 16);
        assert(nf == nh && n < SL_SECTOR_COUNT && atoi(f[col[0]]) == (int)n + 1);
        sl_sector_t *s = &s_sectors[n++];
        s->value = atoi(f[col[0]]);
        s->name = f[col[1]];
        s->name_zh = f[col[2]];
        s->short_zh = f[col[3]];
        s->dept_key = f[col[4]];
        s->dept_province = f[col[5]];
        s->dept_city = f[col[6]];
        s->dept_county = f[col[7]];
        s->province_dept_key = *f[col[8]] ? f[col[8]] : s->dept_key;
    }
    assert(n == SL_SECTOR_COUNT);
}

static const sl_sector_t *
s_table(void)
{
    pthread_once(&s_once, s_load);
    return s_sectors;
}

const sl_sector_t *
sl_sector_by_value(int v)
{
    if (v < 1 || v > SL_SECTOR_COUNT)
        return NULL;
    return &s_table()[v - 1];
}

const sl_sector_t *
sl_sector_by_name(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < SL_SECTOR_COUNT; i++)
        if (strcmp(s_table()[i].name, name) == 0)
            return &s_table()[i];
    return NULL;
}

const sl_sector_t *
sl_sector_by_short(const char *short_zh)
{
    if (!short_zh)
        return NULL;
    for (size_t i = 0; i < SL_SECTOR_COUNT; i++)
        if (strcmp(s_table()[i].short_zh, short_zh) == 0)
            return &s_table()[i];
    return NULL;
}

const sl_sector_t *
sl_sector_at(size_t i)
{
    return i < SL_SECTOR_COUNT ? &s_table()[i] : NULL;
}

const char *
sl_sector_dept_name(const sl_sector_t *s, const char *level)
{
    return strcmp(level, "province") == 0 ? s->dept_province
           : strcmp(level, "city") == 0   ? s->dept_city
                                          : s->dept_county;
}

const char *
sl_sector_dept_key(const sl_sector_t *s, const char *level)
{
    return strcmp(level, "province") == 0 ? s->province_dept_key : s->dept_key;
}

const char *
sl_sector_label(const sl_sector_t *s, const char *sector_text, char *buf, size_t size)
{
    if (s->value == SL_SECTOR_OTHER && sector_text && *sector_text) {
        snprintf(buf, size, "%s（%s）", s->name_zh, sector_text);
        return buf;
    }
    return s->name_zh;
}
