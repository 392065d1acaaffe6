/* sl_template.c — Mustache-like rendering over jansson values.
 *
 * One recursive pass over the template text: a tag either prints a value
 * (escaped here, sl_template_escape, and nowhere else), opens a section
 * rendered once per element, or includes another file of the set. Sections
 * are found by scanning for their matching close tag, counting nested
 * sections of the same name. */
#include "sl_template.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX_FILES 64
#define S_MAX_DEPTH 32 /* scopes and includes */

struct sl_template_set {
    size_t n;                /* files */
    char *name[S_MAX_FILES]; /* file name, e.g. "list.html" */
    char *text[S_MAX_FILES]; /* its bytes, NUL-terminated */
};

typedef struct {
    const sl_template_set_t *set; /* for {{> file}}; may be NULL */
    sl_escape_t esc;
    const json_t *scope[S_MAX_DEPTH]; /* innermost last */
    int depth;
    int includes;
} s_ctx_t;

sl_template_set_t *
sl_template_load(const char *dir, char **err)
{
    DIR *d = opendir(dir);
    if (!d) {
        *err = sl_asprintf("could not open template directory \"%s\": %s", dir, strerror(errno));
        return NULL;
    }
    sl_template_set_t *set = sl_calloc(1, sizeof *set);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if (set->n == S_MAX_FILES) {
            *err = sl_asprintf("more than %d templates in \"%s\"", S_MAX_FILES, dir);
            goto fail;
        }
        char *path = sl_asprintf("%s/%s", dir, e->d_name);
        size_t len;
        char *text = sl_read_file(path, &len);
        if (!text || !sl_utf8_valid(text, len)) {
            *err = sl_asprintf("could not read template \"%s\": %s", path,
                               text ? "not UTF-8" : strerror(errno));
            free(path);
            free(text);
            goto fail;
        }
        free(path);
        set->name[set->n] = sl_strdup(e->d_name);
        set->text[set->n++] = text;
    }
    closedir(d);
    return set;
fail:
    closedir(d);
    sl_template_destroy(&set);
    return NULL;
}

void
sl_template_destroy(sl_template_set_t **p)
{
    if (!p || !*p)
        return;
    for (size_t i = 0; i < (*p)->n; i++) {
        free((*p)->name[i]);
        free((*p)->text[i]);
    }
    free(*p);
    *p = NULL;
}

void
sl_template_escape(sl_buf_t *out, const char *s)
{
    sl_buf_html(out, s); /* the one HTML escaping (sl_util) */
}

static const char *
s_find(const sl_template_set_t *set, const char *name)
{
    for (size_t i = 0; set && i < set->n; i++)
        if (strcmp(set->name[i], name) == 0)
            return set->text[i];
    return NULL;
}

/* NAME (a dotted path, or ".") looked up from the innermost scope out. */
static const json_t *
s_lookup(const s_ctx_t *c, const char *name)
{
    if (strcmp(name, ".") == 0)
        return c->scope[c->depth - 1];
    char first[128];
    size_t n = strcspn(name, ".");
    if (n >= sizeof first)
        return NULL;
    memcpy(first, name, n);
    first[n] = '\0';
    const json_t *v = NULL;
    for (int i = c->depth - 1; i >= 0 && !v; i--)
        if (json_is_object(c->scope[i]))
            v = json_object_get(c->scope[i], first);
    for (const char *p = name + n; v && *p == '.';) {
        p++;
        size_t m = strcspn(p, ".");
        if (m >= sizeof first)
            return NULL;
        memcpy(first, p, m);
        first[m] = '\0';
        if (json_is_array(v) && first[0] >= '0' && first[0] <= '9')
            v = json_array_get(v, (size_t)atol(first));
        else
            v = json_is_object(v) ? json_object_get(v, first) : NULL;
        p += m;
    }
    return v;
}

static bool
s_truthy(const json_t *v)
{
    if (!v || json_is_null(v) || json_is_false(v))
        return false;
    if (json_is_array(v))
        return json_array_size(v) > 0;
    if (json_is_string(v))
        return json_string_length(v) > 0;
    if (json_is_integer(v))
        return json_integer_value(v) != 0;
    return true;
}

static void
s_print(s_ctx_t *c, const json_t *v, bool raw, sl_buf_t *out)
{
    char num[64];
    const char *s = "";
    if (json_is_string(v))
        s = json_string_value(v);
    else if (json_is_integer(v))
        snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v)), s = num;
    else if (json_is_real(v))
        snprintf(num, sizeof num, "%g", json_real_value(v)), s = num;
    else if (json_is_true(v))
        s = "true";
    if (raw || c->esc == SL_ESCAPE_NONE)
        sl_buf_puts(out, s);
    else
        sl_template_escape(out, s);
}

static int s_render(s_ctx_t *c, const char *t, size_t len, sl_buf_t *out);

/* The end of section NAME's body in T[0..LEN): *BODY_LEN, and *AFTER the
 * first byte after its close tag. -1 if it is not closed. */
static int
s_section_end(const char *t, size_t len, const char *name, size_t *body_len, size_t *after)
{
    int level = 1;
    for (size_t i = 0; i + 4 < len; i++) {
        if (t[i] != '{' || t[i + 1] != '{')
            continue;
        char k = t[i + 2];
        if (k != '#' && k != '^' && k != '/')
            continue;
        const char *end = strstr(t + i, "}}");
        if (!end || (size_t)(end - t) > len)
            return -1;
        size_t n = (size_t)(end - (t + i + 3));
        if (n != strlen(name) || strncmp(t + i + 3, name, n) != 0)
            continue;
        level += k == '/' ? -1 : 1;
        if (level == 0) {
            *body_len = i;
            *after = (size_t)(end - t) + 2;
            return 0;
        }
    }
    return -1;
}

static int
s_section(s_ctx_t *c, char kind, const char *name, const char *body, size_t blen, sl_buf_t *out)
{
    const json_t *v = s_lookup(c, name);
    if (kind == '^')
        return s_truthy(v) ? 0 : s_render(c, body, blen, out);
    if (!s_truthy(v))
        return 0;
    if (c->depth == S_MAX_DEPTH)
        return -1;
    if (json_is_array(v)) {
        size_t i;
        const json_t *e;
        json_array_foreach(v, i, e)
        {
            c->scope[c->depth++] = e;
            int rc = s_render(c, body, blen, out);
            c->depth--;
            if (rc != 0)
                return rc;
        }
        return 0;
    }
    const json_t *scope = json_is_object(v) ? v : c->scope[c->depth - 1];
    c->scope[c->depth++] = scope;
    int rc = s_render(c, body, blen, out);
    c->depth--;
    return rc;
}

static int
s_render(s_ctx_t *c, const char *t, size_t len, sl_buf_t *out)
{
    size_t i = 0;
    while (i < len) {
        const char *open = memmem(t + i, len - i, "{{", 2);
        if (!open) {
            sl_buf_append(out, t + i, len - i);
            return 0;
        }
        sl_buf_append(out, t + i, (size_t)(open - (t + i)));
        bool raw = open + 2 < t + len && open[2] == '{';
        const char *close = memmem(open, (size_t)(t + len - open), raw ? "}}}" : "}}", raw ? 3 : 2);
        if (!close)
            return -1;
        const char *a = open + (raw ? 3 : 2);
        char kind = raw ? 0 : *a;
        if (kind == '#' || kind == '^' || kind == '/' || kind == '>')
            a++;
        while (*a == ' ')
            a++;
        size_t n = (size_t)(close - a);
        while (n && a[n - 1] == ' ')
            n--;
        char name[128];
        if (n == 0 || n >= sizeof name)
            return -1;
        memcpy(name, a, n);
        name[n] = '\0';
        i = (size_t)(close - t) + (raw ? 3 : 2);
        if (kind == '#' || kind == '^') {
            size_t blen, after;
            if (s_section_end(t + i, len - i, name, &blen, &after) != 0)
                return -1;
            if (s_section(c, kind, name, t + i, blen, out) != 0)
                return -1;
            i += after;
        } else if (kind == '/') {
            return -1; /* a close without its open */
        } else if (kind == '>') {
            const char *inc = s_find(c->set, name);
            if (!inc || c->includes == S_MAX_DEPTH)
                return -1;
            c->includes++;
            int rc = s_render(c, inc, strlen(inc), out);
            c->includes--;
            if (rc != 0)
                return rc;
        } else {
            s_print(c, s_lookup(c, name), raw, out);
        }
    }
    return 0;
}

int
sl_template_render(const sl_template_set_t *set, const char *name, const json_t *data,
                   sl_escape_t esc, sl_buf_t *out)
{
    const char *t = s_find(set, name);
    if (!t)
        return -1;
    s_ctx_t c = {.set = set, .esc = esc, .depth = 1};
    c.scope[0] = data;
    return s_render(&c, t, strlen(t), out);
}

int
sl_template_render_text(const char *text, const json_t *data, sl_escape_t esc, sl_buf_t *out)
{
    s_ctx_t c = {.set = NULL, .esc = esc, .depth = 1};
    c.scope[0] = data;
    return s_render(&c, text, strlen(text), out);
}
