/* sl_site.c — the public site: pages, JSON, CSV, text and the feed, written
 * aside and swapped in.
 *
 * Each issued publication's body (JSON as stored, hashed) is what every
 * format is rendered from; the page adds its number, hash, approval time,
 * correction links and pagination. Escaping is the template module's. */
#include "sl_site.h"

#include "sl_arena.h"
#include "sl_clock.h"
#include "sl_csv.h"
#include "sl_log.h"
#include "sl_ranking.h"
#include "sl_util.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* An issued publication the memo knows: what the index, the feed and the
 * archive pages list of it, and the correction its files in the generation
 * in place were rendered with. Issued bodies never change, so its files stay
 * right until a correction of it is issued (its pages then link to it). */
typedef struct {
    int64_t id, corrects, corrected_by;
    int64_t drawn_by; /* the corrected_by its files in place show; -1: not in place */
    int items;
    const char *title, *approved_at; /* in the memo's arena */
    const char *empty_text;          /* from the body once rendered, NULL before */
} s_rec_t;

struct sl_site_memo {
    char gen[PATH_MAX]; /* the generation described (the link's target), "" if none */
    s_rec_t *v;         /* every issued publication known, by id, ascending */
    size_t n, cap;
    sl_arena_t *text; /* the records' strings: they live as long as the memo */
    uint64_t *pages;  /* the signature each archive page in place was written from */
    size_t npages;
    int64_t node_of; /* the publication the node's names below come from */
    char *node_name, *office, *node;
};

/* The publication being rendered, with its body. */
typedef struct {
    int64_t id, corrects, corrected_by;
    char *kind, *title, *state, *hash, *approved_at, *reason;
    json_t *body;
} s_pub_t;

_Static_assert(offsetof(s_rec_t, id) == 0, "ids first (s_by_id)");

static void
s_pub_read(void *arg, const sl_pub_row_t *row)
{
    s_pub_t *p = arg;
    *p = (s_pub_t){
        .id = row->id,
        .corrects = row->corrects,
        .corrected_by = row->corrected_by,
        .kind = sl_strdup(row->kind),
        .title = sl_strdup(row->title),
        .state = sl_strdup(row->state),
        .hash = sl_strdup(row->hash),
        .approved_at = sl_strdup(row->approved_at),
        .reason = sl_strdup(row->reason),
        .body = row->body ? json_loads(row->body, 0, NULL) : NULL,
    };
}

static void
s_pub_free(s_pub_t *p)
{
    free(p->kind), free(p->title), free(p->state), free(p->hash);
    free(p->approved_at), free(p->reason);
    json_decref(p->body);
    *p = (s_pub_t){0};
}

static char *
s_body_str(const json_t *body, const char *key)
{
    const char *v = json_string_value(json_object_get(body, key));
    return sl_strdup(v ? v : "");
}

sl_site_memo_t *
sl_site_memo_new(void)
{
    sl_site_memo_t *m = sl_calloc(1, sizeof(sl_site_memo_t));
    m->text = sl_arena_new(0);
    return m;
}

void
sl_site_memo_destroy(sl_site_memo_t **mp)
{
    if (!mp || !*mp)
        return;
    sl_site_memo_t *m = *mp;
    free(m->v);
    free(m->pages);
    sl_arena_destroy(&m->text);
    free(m->node_name), free(m->office), free(m->node);
    free(m);
    *mp = NULL;
}

/* The index of ID in the N records of SIZE bytes at BASE, each beginning
 * with its int64_t id, ascending; where it would go (lo) if none has it. */
static size_t
s_by_id(const void *base, size_t n, size_t size, int64_t id, bool *found)
{
    size_t lo = 0, hi = n;
    *found = false;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int64_t at;
        memcpy(&at, (const char *)base + mid * size, sizeof at);
        if (at == id) {
            *found = true;
            return mid;
        }
        if (at < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The memo's record of ID, or NULL. */
static s_rec_t *
s_rec_find(const sl_site_memo_t *m, int64_t id)
{
    bool found;
    size_t i = m ? s_by_id(m->v, m->n, sizeof *m->v, id, &found) : 0;
    return m && found ? &m->v[i] : NULL;
}

static char *
s_page_name(int64_t id, int page)
{
    return page <= 1 ? sl_asprintf("%lld.html", (long long)id)
                     : sl_asprintf("%lld-%d.html", (long long)id, page);
}

/* The data page PAGE of P is rendered with (new reference). */
static json_t *
s_page_data(const s_pub_t *p, const sl_site_memo_t *m, const char *channels, int page, bool draft)
{
    json_t *d = json_copy(p->body); /* shallow: the items are shared, never changed */
    if (!json_is_object(d)) {
        json_decref(d);
        return NULL;
    }
    json_t *items = json_object_get(d, "items");
    size_t n = json_array_size(items);
    size_t pages = n ? (n + SL_SITE_PAGE_ITEMS - 1) / SL_SITE_PAGE_ITEMS : 1;
    json_t *slice = json_array();
    for (size_t i = (size_t)(page - 1) * SL_SITE_PAGE_ITEMS;
         i < n && i < (size_t)page * SL_SITE_PAGE_ITEMS; i++)
        json_array_append(slice, json_array_get(items, i));
    json_object_set_new(d, "items", slice);
    json_t *pl = json_array();
    for (size_t i = 1; pages > 1 && i <= pages; i++) {
        char *href = s_page_name(p->id, (int)i);
        json_array_append_new(pl, json_pack("{s:i, s:s}", "n", (int)i, "href", href));
        free(href);
    }
    json_object_set_new(d, "pages", pl);
    char gen[40];
    sl_time_format_iso(sl_now_ms(), gen, sizeof gen);
    gen[16] = '\0';
    gen[10] = ' ';
    json_object_set_new(d, "generated", json_string(gen));
    json_object_set_new(d, "no", json_integer(p->id));
    json_object_set_new(d, "hash", json_string(p->hash));
    json_object_set_new(d, "channels", json_string(channels));
    json_object_set_new(d, "root", json_string(draft ? "/site/" : "../"));
    char *base = sl_asprintf("%lld", (long long)p->id);
    json_object_set_new(d, "base", json_string(base));
    free(base);
    if (draft)
        json_object_set_new(d, "draft", json_true());
    if (p->approved_at && *p->approved_at)
        json_object_set_new(d, "approved_at", json_string(p->approved_at));
    if (p->corrects) {
        const s_rec_t *o = s_rec_find(m, p->corrects);
        char *href = sl_asprintf("%lld.html", (long long)p->corrects);
        json_object_set_new(d, "corrects",
                            json_pack("{s:I, s:s, s:s, s:s}", "no", (json_int_t)p->corrects,
                                      "title", o ? o->title : p->title, "href", href, "reason",
                                      p->reason ? p->reason : ""));
        free(href);
    }
    if (p->corrected_by) {
        char *href = sl_asprintf("%lld.html", (long long)p->corrected_by);
        json_object_set_new(
            d, "corrected_by",
            json_pack("{s:I, s:s}", "no", (json_int_t)p->corrected_by, "href", href));
        free(href);
    }
    return d;
}

int
sl_site_page(const sl_template_set_t *set, const sl_pub_row_t *row, const char *channels, int page,
             sl_buf_t *out)
{
    s_pub_t p = {.id = row->id,
                 .corrects = row->corrects,
                 .corrected_by = row->corrected_by,
                 .title = (char *)row->title,
                 .hash = (char *)row->hash,
                 .approved_at = (char *)row->approved_at,
                 .reason = (char *)row->reason,
                 .body = json_loads(row->body, 0, NULL)};
    json_t *d = p.body ? s_page_data(&p, NULL, channels, page < 1 ? 1 : page,
                                     strcmp(row->state, "draft") == 0)
                       : NULL;
    int rc =
        d ? sl_template_render(set, sl_site_page_template(row->kind), d, SL_ESCAPE_HTML, out) : -1;
    json_decref(d);
    json_decref(p.body);
    return rc;
}

/* --- files ---------------------------------------------------------------------- */

static int
s_write(const char *dir, const char *name, const char *data, size_t len, long *files)
{
    char *path = sl_asprintf("%s/%s", dir, name);
    unlink(path); /* a file linked from the last generation is replaced, not written through */
    FILE *f = fopen(path, "wb");
    int rc = 0;
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        sl_log(SL_LOG_ERROR, "could not write \"%s\": %s", path, strerror(errno));
        if (f)
            fclose(f);
        rc = -1;
    }
    free(path);
    (*files)++;
    return rc;
}

static void
s_csv(const json_t *body, sl_buf_t *b)
{
    static const char *const head[] = {"序号",     "交办文号", "交办日期", "单位名称/非法业主名称",
                                       "所在地",   "行业领域", "问题摘要", "承办单位",
                                       "办理时限", "办理状态", "核查结论"};
    static const char *const keys[] = {"index",    "notice_no", "date",    "subject",
                                       "place",    "sector",    "summary", "unit",
                                       "deadline", "status",    "result"};
    /* the exposure: typical cases and those held accountable */
    static const char *const ehead[] = {"序号",     "类别",     "标题",     "所在地",
                                        "行业领域", "交办文号", "问题摘要", "基本案情",
                                        "处理结果", "问责情况", "曝光情况"};
    static const char *const ekeys[] = {"index",  "section",     "title",        "place",
                                        "sector", "notice_no",   "summary",      "facts",
                                        "result", "accountable", "exposed_where"};
    _Static_assert(SL_ARRAY_LEN(head) == SL_ARRAY_LEN(ehead), "one column count");
    const char *kind = json_string_value(json_object_get(body, "kind"));
    bool exposure = kind && strcmp(kind, "exposure") == 0;
    const char *const *hd = exposure ? ehead : head;
    const char *const *ks = exposure ? ekeys : keys;
    sl_buf_puts(b, "\xEF\xBB\xBF");
    for (size_t i = 0; i < SL_ARRAY_LEN(head); i++)
        sl_csv_put(b, hd[i], i == 0);
    sl_buf_puts(b, "\r\n");
    size_t i;
    const json_t *it;
    json_array_foreach(json_object_get(body, "items"), i, it)
    {
        for (size_t k = 0; k < SL_ARRAY_LEN(keys); k++) {
            const json_t *v = json_object_get(it, ks[k]);
            char num[24];
            const char *s = json_string_value(v);
            if (json_is_integer(v))
                snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v)), s = num;
            sl_csv_put(b, s ? s : "", k == 0);
        }
        sl_buf_puts(b, "\r\n");
    }
}

/* Writes every file of publication P into DIR/p. */
static int
s_write_pub(const sl_template_set_t *set, const s_pub_t *p, const sl_site_memo_t *m,
            const char *dir, const char *channels, long *files)
{
    size_t n = json_array_size(json_object_get(p->body, "items"));
    int pages = n ? (int)((n + SL_SITE_PAGE_ITEMS - 1) / SL_SITE_PAGE_ITEMS) : 1;
    /* the appraisal's ranking (sl_ranking): its own templates, CSV and chart */
    bool ranking = strcmp(p->kind, "ranking") == 0;
    const char *page_t = sl_site_page_template(p->kind);
    const char *text_t = sl_site_text_template(p->kind);
    sl_buf_t b;
    sl_buf_init(&b);
    int rc = 0;
    char *name = NULL;
    for (int page = 1; rc == 0 && page <= pages; page++) {
        json_t *d = s_page_data(p, m, channels, page, false);
        sl_buf_reset(&b);
        rc = d ? sl_template_render(set, page_t, d, SL_ESCAPE_HTML, &b) : -1;
        json_decref(d);
        name = s_page_name(p->id, page);
        if (rc == 0)
            rc = s_write(dir, name, b.data, b.len, files);
        free(name);
    }
    /* the plain text (WeChat) and the JSON carry every item */
    json_t *d = s_page_data(p, m, channels, 1, false);
    if (rc == 0 && d) {
        json_object_set(d, "items", json_object_get(p->body, "items"));
        sl_buf_reset(&b);
        rc = sl_template_render(set, text_t, d, SL_ESCAPE_NONE, &b);
        name = sl_asprintf("%lld.txt", (long long)p->id);
        if (rc == 0)
            rc = s_write(dir, name, b.data, b.len, files);
        free(name);
        json_t *j = json_pack("{s:I, s:s, s:s, s:O}", "no", (json_int_t)p->id, "hash", p->hash,
                              "approved_at", p->approved_at, "publication", p->body);
        if (p->corrects)
            json_object_set_new(j, "corrects", json_integer(p->corrects));
        if (p->corrected_by)
            json_object_set_new(j, "corrected_by", json_integer(p->corrected_by));
        char *text = json_dumps(j, JSON_INDENT(1));
        name = sl_asprintf("%lld.json", (long long)p->id);
        if (rc == 0)
            rc = s_write(dir, name, text, strlen(text), files);
        free(name);
        free(text);
        json_decref(j);
        sl_buf_reset(&b);
        if (ranking)
            sl_ranking_csv(p->body, &b);
        else
            s_csv(p->body, &b);
        name = sl_asprintf("%lld.csv", (long long)p->id);
        if (rc == 0)
            rc = s_write(dir, name, b.data, b.len, files);
        free(name);
        const char *svg = json_string_value(json_object_get(p->body, "svg"));
        name = sl_asprintf("%lld.svg", (long long)p->id);
        if (rc == 0 && ranking && svg)
            rc = s_write(dir, name, svg, strlen(svg), files);
        free(name);
    } else if (!d) {
        rc = -1;
    }
    json_decref(d);
    sl_buf_free(&b);
    return rc;
}

/* "2026-12-03 17:00" as RFC 3339 for Atom. */
static void
s_rfc3339(const char *at, char *out, size_t size)
{
    snprintf(out, size, "%.10sT%.5s:00+08:00", at, strlen(at) >= 16 ? at + 11 : "00:00");
}

/* The line of record R on the index, an archive page and the feed (new
 * reference). */
static json_t *
s_entry(const s_rec_t *r)
{
    char href[40], at[40];
    snprintf(href, sizeof href, "p/%lld.html", (long long)r->id);
    s_rfc3339(r->approved_at, at, sizeof at);
    json_t *e = json_pack("{s:I, s:s, s:s, s:s, s:s}", "no", (json_int_t)r->id, "title", r->title,
                          "href", href, "approved_at", r->approved_at, "updated", at);
    if (r->corrects)
        json_object_set_new(e, "corrects", json_integer(r->corrects));
    if (r->corrected_by)
        json_object_set_new(e, "corrected", json_true());
    char *summary =
        sl_asprintf("%s共%d项。%s", r->title, r->items, r->empty_text ? r->empty_text : "");
    json_object_set_new(e, "summary", json_string(summary));
    free(summary);
    return e;
}

/* The records [FROM, TO) of M, newest first. */
static json_t *
s_entries(const sl_site_memo_t *m, size_t from, size_t to)
{
    json_t *list = json_array();
    for (size_t i = to; i-- > from;)
        json_array_append_new(list, s_entry(&m->v[i]));
    return list;
}

/* What every list page (the index, an archive page, the feed) shows of the
 * node: its names as the newest publication gives them (new reference). */
static json_t *
s_list_data(const sl_site_memo_t *m, const char *channels)
{
    const char *node_name = m->n && m->node_name ? m->node_name : "";
    char *title = sl_asprintf("%s安全生产“三公开”", node_name);
    json_t *d = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "title", title, "node_name", node_name,
                          "office", m->n && m->office ? m->office : "", "node",
                          m->n && m->node ? m->node : "", "channels", channels, "root", "");
    free(title);
    char gen[40];
    sl_time_format_iso(sl_now_ms(), gen, sizeof gen);
    gen[16] = '\0';
    gen[10] = ' ';
    json_object_set_new(d, "generated", json_string(gen));
    return d;
}

/* Archive page K (1-based) holds the K-th SL_SITE_INDEX_ITEMS of the issued
 * publications, oldest first: a page once full changes only when one of its
 * publications is corrected. */
static size_t
s_archive_pages(const sl_site_memo_t *m)
{
    return m->n > SL_SITE_INDEX_ITEMS ? (m->n + SL_SITE_INDEX_ITEMS - 1) / SL_SITE_INDEX_ITEMS : 0;
}

/* What archive page K (0-based here) is rendered from: its publications'
 * ids, what they correct and whether they are corrected (FNV-1a). */
static uint64_t
s_archive_sig(const sl_site_memo_t *m, size_t k)
{
    uint64_t h = SL_FNV1A_INIT;
    size_t to = (k + 1) * SL_SITE_INDEX_ITEMS < m->n ? (k + 1) * SL_SITE_INDEX_ITEMS : m->n;
    for (size_t i = k * SL_SITE_INDEX_ITEMS; i < to; i++) {
        int64_t v[3] = {m->v[i].id, m->v[i].corrects, m->v[i].corrected_by != 0};
        h = sl_fnv1a(h, v, sizeof v);
    }
    return h;
}

static int
s_render_to(const sl_template_set_t *set, const char *tpl, const json_t *d, const char *dir,
            const char *name, long *files)
{
    sl_buf_t b;
    sl_buf_init(&b);
    int rc = sl_template_render(set, tpl, d, SL_ESCAPE_HTML, &b);
    if (rc == 0)
        rc = s_write(dir, name, b.data, b.len, files);
    sl_buf_free(&b);
    return rc;
}

/* Links OLD/NAME (the generation in place) as GEN/NAME. */
static bool
s_link(const char *old, const char *gen, const char *name, long *files)
{
    char *a = sl_asprintf("%s/%s", old, name);
    char *b = sl_asprintf("%s/%s", gen, name);
    bool ok = link(a, b) == 0;
    if (ok)
        (*files)++;
    else
        sl_log(SL_LOG_WARN, "could not link \"%s\" (it is written anew): %s", a, strerror(errno));
    free(a);
    free(b);
    return ok;
}

/* The index (the newest SL_SITE_INDEX_ITEMS and the archive pages), the
 * archive pages that changed (SAME: the others are linked from DIR, the
 * generation in place; *PAGES gets what each was written from) and the feed,
 * into GEN. */
static int
s_write_lists(const sl_template_set_t *set, const sl_site_memo_t *m, bool same, const char *dir,
              const char *gen, const char *channels, uint64_t **pages, long *files)
{
    size_t npages = s_archive_pages(m);
    *pages = sl_calloc(npages ? npages : 1, sizeof **pages);
    int rc = 0;
    json_t *archive = json_array();
    for (size_t k = 0; rc == 0 && k < npages; k++) {
        size_t from = k * SL_SITE_INDEX_ITEMS;
        size_t to = from + SL_SITE_INDEX_ITEMS < m->n ? from + SL_SITE_INDEX_ITEMS : m->n;
        char name[40];
        snprintf(name, sizeof name, "archive-%zu.html", k + 1);
        json_array_append_new(archive, json_pack("{s:s, s:I, s:I}", "href", name, "first",
                                                 (json_int_t)m->v[from].id, "last",
                                                 (json_int_t)m->v[to - 1].id));
        (*pages)[k] = s_archive_sig(m, k);
        if (same && k < m->npages && m->pages[k] == (*pages)[k] && s_link(dir, gen, name, files))
            continue;
        json_t *d = s_list_data(m, channels);
        json_object_set_new(d, "publications", s_entries(m, from, to));
        json_object_set_new(d, "page", json_integer((json_int_t)k + 1));
        json_object_set_new(d, "first", json_integer(m->v[from].id));
        json_object_set_new(d, "last", json_integer(m->v[to - 1].id));
        rc = s_render_to(set, "archive.html", d, gen, name, files);
        json_decref(d);
    }
    char updated[40] = "1970-01-01T00:00:00+08:00";
    for (size_t i = 0; i < m->n; i++) {
        char at[40];
        s_rfc3339(m->v[i].approved_at, at, sizeof at);
        if (strcmp(at, updated) > 0)
            memcpy(updated, at, sizeof updated);
    }
    json_t *d = s_list_data(m, channels);
    json_object_set_new(d, "updated", json_string(updated));
    size_t newest = m->n > SL_SITE_INDEX_ITEMS ? m->n - SL_SITE_INDEX_ITEMS : 0;
    json_object_set_new(d, "publications", s_entries(m, newest, m->n));
    if (npages)
        json_object_set_new(d, "archived", json_true());
    json_object_set_new(d, "archive", archive);
    if (rc == 0)
        rc = s_render_to(set, "index.html", d, gen, "index.html", files);
    newest = m->n > SL_SITE_FEED_ENTRIES ? m->n - SL_SITE_FEED_ENTRIES : 0;
    json_object_set_new(d, "publications", s_entries(m, newest, m->n));
    if (rc == 0)
        rc = s_render_to(set, "feed.atom", d, gen, "feed.atom", files);
    json_decref(d);
    return rc;
}

/* Removes directory PATH and the files in it and in its subdirectory p/. */
static void
s_rmtree(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *sub = sl_asprintf("%s/%s", path, e->d_name);
        struct stat st;
        if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
            s_rmtree(sub);
        else
            unlink(sub);
        free(sub);
    }
    closedir(d);
    rmdir(path);
}

/* Links into SUB the files of the previous generation (DIR/p, through the
 * link) of each publication whose files stay right (drawn_by ==
 * corrected_by); a publication any of whose files cannot be linked is
 * written anew. */
static void
s_link_kept(const char *dir, const char *sub, sl_site_memo_t *m, long *files)
{
    char *from = sl_asprintf("%s/p", dir);
    DIR *d = opendir(from);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char *end;
        long long id = strtoll(e->d_name, &end, 10);
        if (end == e->d_name || (*end != '.' && *end != '-'))
            continue;
        s_rec_t *r = s_rec_find(m, id);
        if (!r || r->drawn_by != r->corrected_by)
            continue;
        if (!s_link(from, sub, e->d_name, files))
            r->drawn_by = -1;
    }
    if (d)
        closedir(d);
    free(from);
}

typedef struct {
    sl_site_memo_t *m;
    sl_pub_row_cb *on_new;
    void *arg;
} s_learn_t;

/* Adds ROW, an issued publication the memo does not know, in its place. */
static void
s_learn_row(void *arg, const sl_pub_row_t *row)
{
    s_learn_t *l = arg;
    sl_site_memo_t *m = l->m;
    bool found;
    size_t i = s_by_id(m->v, m->n, sizeof *m->v, row->id, &found);
    if (found)
        return;
    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 64;
        m->v = sl_realloc(m->v, m->cap * sizeof *m->v);
    }
    memmove(&m->v[i + 1], &m->v[i], (m->n - i) * sizeof *m->v);
    m->n++;
    m->v[i] = (s_rec_t){.id = row->id,
                        .corrects = row->corrects,
                        .corrected_by = row->corrected_by,
                        .drawn_by = -1,
                        .items = row->items,
                        .title = sl_arena_strdup(m->text, row->title),
                        .approved_at = sl_arena_strdup(m->text, row->approved_at)};
    s_rec_t *o = row->corrects ? s_rec_find(m, row->corrects) : NULL;
    if (o && row->id > o->corrected_by) /* its pages now link to the correction */
        o->corrected_by = row->id;
    if (l->on_new)
        l->on_new(l->arg, row);
}

/* Brings M up to the issued publications in DB: those above the newest it
 * knows, and (when the counts still differ: a draft issued after a newer
 * one) any other it lacks. */
static int
s_learn(sl_db_t *db, sl_site_memo_t *m, sl_pub_row_cb *on_new, void *arg)
{
    s_learn_t l = {m, on_new, arg};
    sl_pub_status_t st;
    int rc = sl_pub_status(db, &st);
    if (rc == 0)
        rc = sl_pub_issued_after(db, m->n ? m->v[m->n - 1].id : 0, s_learn_row, &l);
    if (rc != 0 || (size_t)st.issued <= m->n)
        return rc;
    sl_pub_ids_t ids = {0};
    rc = sl_pub_issued_ids(db, &ids);
    for (size_t i = 0; rc == 0 && i < ids.n; i++)
        if (!s_rec_find(m, ids.v[i]) && (rc = sl_pub_get(db, ids.v[i], s_learn_row, &l)) == 1)
            rc = -1; /* issued publications are never deleted */
    free(ids.v);
    return rc;
}

/* Renders every file of record R (its body read by itself: a daemon holds
 * one body at a time, not every body of the node). */
static int
s_render(sl_db_t *db, const sl_template_set_t *set, sl_site_memo_t *m, s_rec_t *r, const char *sub,
         const char *channels, long *files)
{
    s_pub_t p = {0};
    int rc = sl_pub_get(db, r->id, s_pub_read, &p);
    if (rc == 1) /* issued publications are never deleted */
        rc = -1;
    if (rc == 0 && !p.body)
        rc = -1;
    if (rc == 0) {
        r->corrected_by = p.corrected_by; /* as the pages show it */
        if (!r->empty_text) {
            const char *t = json_string_value(json_object_get(p.body, "empty_text"));
            r->empty_text = sl_arena_strdup(m->text, t ? t : "");
        }
        if (p.id >= m->node_of) { /* the newest publication's names */
            free(m->node_name), free(m->office), free(m->node);
            m->node_name = s_body_str(p.body, "node_name");
            m->office = s_body_str(p.body, "office");
            m->node = s_body_str(p.body, "node");
            m->node_of = p.id;
        }
        rc = s_write_pub(set, &p, m, sub, channels, files);
        if (rc == 0)
            r->drawn_by = r->corrected_by;
    }
    s_pub_free(&p);
    return rc;
}

int
sl_site_write(sl_db_t *db, const sl_template_set_t *set, const char *dir, const char *channels,
              sl_site_memo_t *m, sl_pub_row_cb *on_new, void *arg, long *files, long *rendered)
{
    *files = *rendered = 0;
    int rc = s_learn(db, m, on_new, arg);
    if (rc != 0)
        return rc;
    char *gen = sl_asprintf("%s.gen.%lld.%d", dir, (long long)sl_now_ms(), (int)getpid());
    char *sub = sl_asprintf("%s/p", gen);
    char *tmp = sl_asprintf("%s.tmp.%d", dir, (int)getpid());
    uint64_t *pages = NULL;
    char old[PATH_MAX] = "";
    ssize_t n = readlink(dir, old, sizeof old - 1);
    old[n > 0 ? n : 0] = '\0';
    /* what the generation in place holds, if it is the one the memo describes */
    bool same = old[0] && strcmp(old, m->gen) == 0;
    for (size_t i = 0; !same && i < m->n; i++)
        m->v[i].drawn_by = -1;
    if (mkdir(gen, 0755) != 0 || mkdir(sub, 0755) != 0) {
        sl_log(SL_LOG_ERROR, "could not make \"%s\": %s", gen, strerror(errno));
        rc = -1;
        goto done;
    }
    if (same)
        s_link_kept(dir, sub, m, files);
    for (size_t i = 0; rc == 0 && i < m->n; i++) {
        s_rec_t *r = &m->v[i];
        if (r->drawn_by == r->corrected_by)
            continue; /* its files are linked */
        rc = s_render(db, set, m, r, sub, channels, files);
        (*rendered)++;
    }
    if (rc == 0)
        rc = s_write_lists(set, m, same, dir, gen, channels, &pages, files);
    if (rc != 0)
        goto done;
    const char *slash = strrchr(gen, '/');
    unlink(tmp);
    if (symlink(slash ? slash + 1 : gen, tmp) != 0 || rename(tmp, dir) != 0) {
        sl_log(SL_LOG_ERROR, "could not swap the site \"%s\" in: %s", dir, strerror(errno));
        unlink(tmp);
        rc = -1;
        goto done;
    }
    if (old[0]) { /* the previous generation, beside DIR */
        const char *ds = strrchr(dir, '/');
        char *prev = old[0] == '/' || !ds ? sl_strdup(old)
                                          : sl_asprintf("%.*s/%s", (int)(ds - dir), dir, old);
        s_rmtree(prev);
        free(prev);
    }
    /* the memo now describes the generation swapped in */
    snprintf(m->gen, sizeof m->gen, "%s", slash ? slash + 1 : gen);
    free(m->pages);
    m->pages = pages;
    m->npages = s_archive_pages(m);
    pages = NULL;
done:
    if (rc != 0) {
        s_rmtree(gen);
        m->gen[0] = '\0'; /* the next writes every file */
    }
    free(pages);
    free(gen);
    free(sub);
    free(tmp);
    return rc;
}

const char *
sl_site_page_template(const char *kind)
{
    return kind && strcmp(kind, "ranking") == 0 ? "ranking.html" : "publication.html";
}

const char *
sl_site_text_template(const char *kind)
{
    return kind && strcmp(kind, "ranking") == 0 ? "ranking.txt" : "publication.txt";
}

const char *
sl_site_content_type(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot)
        return "application/octet-stream";
    if (strcmp(dot, ".html") == 0)
        return "text/html; charset=utf-8";
    if (strcmp(dot, ".json") == 0)
        return "application/json; charset=utf-8";
    if (strcmp(dot, ".csv") == 0)
        return "text/csv; charset=utf-8";
    if (strcmp(dot, ".atom") == 0)
        return "application/atom+xml; charset=utf-8";
    if (strcmp(dot, ".txt") == 0)
        return "text/plain; charset=utf-8";
    if (strcmp(dot, ".svg") == 0)
        return "image/svg+xml";
    return "application/octet-stream";
}

bool
sl_site_path_ok(const char *path)
{
    if (!path || !*path || path[0] == '/' || strstr(path, ".."))
        return false;
    for (const char *p = path; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == '-' || *p == '/'))
            return false;
    return true;
}
