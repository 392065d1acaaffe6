/* sl_metrics.c — a thread-safe metrics registry in Prometheus text format 0.0.4.
 *
 * Families (one per name) in registration order, each with its series in
 * registration order. Label text is escaped and rendered once, at
 * registration. Counters and gauges are C11 atomics (a gauge keeps its double's
 * bits in a uint64); a histogram takes its own mutex so that its buckets, sum
 * and count are read as one consistent snapshot. */
#include "sl_metrics.h"

#include <assert.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SL_METRICS_MAX_LABELS 8

enum { S_COUNTER, S_GAUGE, S_HISTOGRAM };
static const char *s_type_names[] = {"counter", "gauge", "histogram"};

struct sl_counter {
    _Atomic uint64_t value; /* the count */
};

struct sl_gauge {
    _Atomic uint64_t bits; /* the value's double, bit for bit */
};

struct sl_histogram {
    pthread_mutex_t lock; /* guards the fields below */
    double *bounds;       /* upper bounds, increasing, without +Inf; owned */
    uint64_t *counts;     /* observations per bucket (not cumulative), nbounds + 1 */
    size_t nbounds;       /* entries of bounds */
    double sum;           /* sum of observations */
    uint64_t count;       /* number of observations */
};

typedef struct s_series s_series_t;
struct s_series {
    s_series_t *next; /* next series of the family */
    char *key;        /* the labels as registered, for lookup; owned */
    char *labels;     /* rendered: k="v",k="v" (maybe empty); owned */
    union {
        struct sl_counter counter;
        struct sl_gauge gauge;
        struct sl_histogram histogram;
    } u; /* the value, by the family's type */
};

typedef struct s_family s_family_t;
struct s_family {
    s_family_t *next;   /* next family, in registration order */
    char *name;         /* metric name; owned */
    char *help;         /* help text; owned */
    int type;           /* S_COUNTER, … */
    s_series_t *series; /* first series */
    s_series_t *last;   /* last series, for appending */
};

struct sl_metrics {
    pthread_mutex_t lock; /* guards the lists (values have their own) */
    s_family_t *first;    /* families in registration order */
    s_family_t *last;     /* last family, for appending */
};

static const double s_default_bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

sl_metrics_t *
sl_metrics_new(void)
{
    sl_metrics_t *m = sl_calloc(1, sizeof *m);
    pthread_mutex_init(&m->lock, NULL);
    return m;
}

void
sl_metrics_destroy(sl_metrics_t **p)
{
    sl_metrics_t *m = *p;
    if (!m)
        return;
    *p = NULL;
    s_family_t *f = m->first;
    while (f) {
        s_family_t *fnext = f->next;
        s_series_t *s = f->series;
        while (s) {
            s_series_t *snext = s->next;
            if (f->type == S_HISTOGRAM) {
                pthread_mutex_destroy(&s->u.histogram.lock);
                free(s->u.histogram.bounds);
                free(s->u.histogram.counts);
            }
            free(s->key);
            free(s->labels);
            free(s);
            s = snext;
        }
        free(f->name);
        free(f->help);
        free(f);
        f = fnext;
    }
    pthread_mutex_destroy(&m->lock);
    free(m);
}

static bool
s_name_valid(const char *s, bool colon)
{
    if (!s || !*s)
        return false;
    for (size_t i = 0; s[i]; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                  (colon && c == ':') || (i > 0 && c >= '0' && c <= '9');
        if (!ok)
            return false;
    }
    return true;
}

/* Appends V escaped as a label value (\\, \", \n). */
static void
s_escape(sl_buf_t *b, const char *v, size_t n, bool quote)
{
    for (size_t i = 0; i < n; i++) {
        if (v[i] == '\\')
            sl_buf_puts(b, "\\\\");
        else if (v[i] == '"' && quote)
            sl_buf_puts(b, "\\\"");
        else if (v[i] == '\n')
            sl_buf_puts(b, "\\n");
        else
            sl_buf_append(b, &v[i], 1);
    }
}

/* Renders "k=v,k=v" as k="v",k="v". */
static char *
s_render_labels(const char *labels, bool histogram)
{
    sl_buf_t b;
    sl_buf_init(&b);
    int n = 0;
    const char *p = labels ? labels : "";
    while (*p) {
        const char *end = strchr(p, ',');
        if (!end)
            end = p + strlen(p);
        const char *eq = memchr(p, '=', (size_t)(end - p));
        assert(eq && "metric label must be k=v");
        char *k = sl_strndup(p, (size_t)(eq - p));
        assert(s_name_valid(k, false) && strncmp(k, "__", 2) != 0 && "bad label name");
        assert(!(histogram && strcmp(k, "le") == 0) && "label le is reserved");
        n++;
        assert(n <= SL_METRICS_MAX_LABELS && "too many labels");
        sl_buf_printf(&b, "%s%s=\"", b.len ? "," : "", k);
        s_escape(&b, eq + 1, (size_t)(end - eq - 1), true);
        sl_buf_puts(&b, "\"");
        free(k);
        p = *end ? end + 1 : end;
    }
    return sl_buf_steal(&b);
}

/* Finds or makes the series; with the registry locked. */
static s_series_t *
s_series(sl_metrics_t *m, const char *name, const char *help, const char *labels, int type,
         bool *created)
{
    assert(s_name_valid(name, true) && "bad metric name");
    const char *key = labels ? labels : "";
    s_family_t *f;
    for (f = m->first; f; f = f->next)
        if (strcmp(f->name, name) == 0)
            break;
    if (f) {
        assert(f->type == type && "metric registered with two types");
        for (s_series_t *s = f->series; s; s = s->next)
            if (strcmp(s->key, key) == 0) {
                *created = false;
                return s;
            }
    } else {
        f = sl_calloc(1, sizeof *f);
        f->name = sl_strdup(name);
        f->help = sl_strdup(help ? help : name);
        f->type = type;
        if (m->last)
            m->last->next = f;
        else
            m->first = f;
        m->last = f;
    }
    s_series_t *s = sl_calloc(1, sizeof *s);
    s->key = sl_strdup(key);
    s->labels = s_render_labels(key, type == S_HISTOGRAM);
    if (f->last)
        f->last->next = s;
    else
        f->series = s;
    f->last = s;
    *created = true;
    return s;
}

sl_counter_t *
sl_metrics_counter(sl_metrics_t *m, const char *name, const char *help, const char *labels)
{
    bool created;
    pthread_mutex_lock(&m->lock);
    s_series_t *s = s_series(m, name, help, labels, S_COUNTER, &created);
    if (created)
        atomic_init(&s->u.counter.value, 0);
    pthread_mutex_unlock(&m->lock);
    return &s->u.counter;
}

static uint64_t
s_bits(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}

static double
s_double(uint64_t b)
{
    double v;
    memcpy(&v, &b, sizeof v);
    return v;
}

sl_gauge_t *
sl_metrics_gauge(sl_metrics_t *m, const char *name, const char *help, const char *labels)
{
    bool created;
    pthread_mutex_lock(&m->lock);
    s_series_t *s = s_series(m, name, help, labels, S_GAUGE, &created);
    if (created)
        atomic_init(&s->u.gauge.bits, s_bits(0.0));
    pthread_mutex_unlock(&m->lock);
    return &s->u.gauge;
}

sl_histogram_t *
sl_metrics_histogram(sl_metrics_t *m, const char *name, const char *help, const char *labels,
                     const double *bounds, size_t nbounds)
{
    if (!bounds) {
        bounds = s_default_bounds;
        nbounds = SL_ARRAY_LEN(s_default_bounds);
    }
    for (size_t i = 0; i < nbounds; i++)
        assert(isfinite(bounds[i]) && (i == 0 || bounds[i] > bounds[i - 1]) &&
               "histogram bounds must increase");
    bool created;
    pthread_mutex_lock(&m->lock);
    s_series_t *s = s_series(m, name, help, labels, S_HISTOGRAM, &created);
    if (created) {
        struct sl_histogram *h = &s->u.histogram;
        pthread_mutex_init(&h->lock, NULL);
        h->bounds = sl_malloc(nbounds * sizeof *h->bounds);
        if (nbounds)
            memcpy(h->bounds, bounds, nbounds * sizeof *bounds);
        h->counts = sl_calloc(nbounds + 1, sizeof *h->counts);
        h->nbounds = nbounds;
    }
    pthread_mutex_unlock(&m->lock);
    return &s->u.histogram;
}

void
sl_counter_inc(sl_counter_t *c)
{
    atomic_fetch_add_explicit(&c->value, 1, memory_order_relaxed);
}

void
sl_counter_add(sl_counter_t *c, uint64_t n)
{
    atomic_fetch_add_explicit(&c->value, n, memory_order_relaxed);
}

uint64_t
sl_counter_value(const sl_counter_t *c)
{
    return atomic_load_explicit(&((sl_counter_t *)c)->value, memory_order_relaxed);
}

void
sl_gauge_set(sl_gauge_t *g, double v)
{
    atomic_store_explicit(&g->bits, s_bits(v), memory_order_relaxed);
}

void
sl_gauge_add(sl_gauge_t *g, double delta)
{
    uint64_t old = atomic_load_explicit(&g->bits, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(&g->bits, &old, s_bits(s_double(old) + delta),
                                                  memory_order_relaxed, memory_order_relaxed))
        ;
}

double
sl_gauge_value(const sl_gauge_t *g)
{
    return s_double(atomic_load_explicit(&((sl_gauge_t *)g)->bits, memory_order_relaxed));
}

void
sl_histogram_observe(sl_histogram_t *h, double v)
{
    size_t i = 0;
    while (i < h->nbounds && v > h->bounds[i])
        i++;
    pthread_mutex_lock(&h->lock);
    h->counts[i]++;
    h->sum += v;
    h->count++;
    pthread_mutex_unlock(&h->lock);
}

uint64_t
sl_histogram_count(sl_histogram_t *h)
{
    pthread_mutex_lock(&h->lock);
    uint64_t n = h->count;
    pthread_mutex_unlock(&h->lock);
    return n;
}

/* Formats V the way Prometheus parses it, shortest text that reads back. */
static void
s_double_fmt(char *buf, size_t size, double v)
{
    if (isnan(v)) {
        snprintf(buf, size, "NaN");
    } else if (isinf(v)) {
        snprintf(buf, size, "%s", v > 0 ? "+Inf" : "-Inf");
    } else {
        snprintf(buf, size, "%.15g", v);
        if (strtod(buf, NULL) != v)
            snprintf(buf, size, "%.17g", v);
    }
}

static void
s_sample(sl_buf_t *b, const char *name, const char *suffix, const char *labels, const char *extra,
         const char *value)
{
    sl_buf_printf(b, "%s%s", name, suffix);
    if (*labels || extra) {
        sl_buf_printf(b, "{%s%s%s}", labels, *labels && extra ? "," : "", extra ? extra : "");
    }
    sl_buf_printf(b, " %s\n", value);
}

static void
s_render_histogram(sl_buf_t *b, const s_family_t *f, const s_series_t *s)
{
    struct sl_histogram *h = (struct sl_histogram *)&s->u.histogram;
    pthread_mutex_lock(&h->lock);
    uint64_t *counts = sl_malloc((h->nbounds + 1) * sizeof *counts);
    memcpy(counts, h->counts, (h->nbounds + 1) * sizeof *counts);
    double sum = h->sum;
    uint64_t count = h->count;
    pthread_mutex_unlock(&h->lock);

    char v[64], le[80];
    uint64_t cum = 0;
    for (size_t i = 0; i <= h->nbounds; i++) {
        cum += counts[i];
        if (i < h->nbounds)
            s_double_fmt(v, sizeof v, h->bounds[i]);
        else
            snprintf(v, sizeof v, "+Inf");
        snprintf(le, sizeof le, "le=\"%s\"", v);
        snprintf(v, sizeof v, "%llu", (unsigned long long)cum);
        s_sample(b, f->name, "_bucket", s->labels, le, v);
    }
    s_double_fmt(v, sizeof v, sum);
    s_sample(b, f->name, "_sum", s->labels, NULL, v);
    snprintf(v, sizeof v, "%llu", (unsigned long long)count);
    s_sample(b, f->name, "_count", s->labels, NULL, v);
    free(counts);
}

void
sl_metrics_render(sl_metrics_t *m, sl_buf_t *out)
{
    pthread_mutex_lock(&m->lock);
    for (const s_family_t *f = m->first; f; f = f->next) {
        sl_buf_printf(out, "# HELP %s ", f->name);
        s_escape(out, f->help, strlen(f->help), false);
        sl_buf_printf(out, "\n# TYPE %s %s\n", f->name, s_type_names[f->type]);
        for (const s_series_t *s = f->series; s; s = s->next) {
            char v[64];
            switch (f->type) {
            case S_COUNTER:
                snprintf(v, sizeof v, "%llu", (unsigned long long)sl_counter_value(&s->u.counter));
                s_sample(out, f->name, "", s->labels, NULL, v);
                break;
            case S_GAUGE:
                s_double_fmt(v, sizeof v, sl_gauge_value(&s->u.gauge));
                s_sample(out, f->name, "", s->labels, NULL, v);
                break;
            default:
                s_render_histogram(out, f, s);
                break;
            }
        }
    }
    pthread_mutex_unlock(&m->lock);
}
