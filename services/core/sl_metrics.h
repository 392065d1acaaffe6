/* sl_metrics.h — counters, gauges and histograms, rendered for Prometheus.
 *
 * A registry is written from the daemon's loop and read from the HTTP
 * server's thread, so every update is atomic (counters, gauges) or under the
 * metric's own lock (histograms), and rendering takes the registry's lock.
 * Metrics are registered once (usually at start) and live as long as the
 * registry. One name is one family: the same name with different labels is a
 * second series of it, rendered under one # HELP and # TYPE. Labels are a small
 * fixed set given as "k=v,k=v" text at registration. The output is the text
 * exposition format 0.0.4 and passes `promtool check metrics` when names follow
 * its conventions (counters end in _total, units in the name: _seconds, _bytes). */
#ifndef SL_METRICS_H
#define SL_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "sl_util.h"

typedef struct sl_metrics sl_metrics_t;
typedef struct sl_counter sl_counter_t;
typedef struct sl_gauge sl_gauge_t;
typedef struct sl_histogram sl_histogram_t;

/* Content-Type of sl_metrics_render's output. */
#define SL_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

sl_metrics_t *sl_metrics_new(void);
/* Frees the registry and every metric handle it gave out. */
void sl_metrics_destroy(sl_metrics_t **p);

/* Registers (or finds, if NAME and LABELS were registered before) a series.
 * NAME must match [a-zA-Z_:][a-zA-Z0-9_:]*; LABELS is NULL, "" or
 * "k=v[,k=v…]" with label names [a-zA-Z_][a-zA-Z0-9_]* (at most 8), values
 * without ',' (escaped on output). HELP is used from the first registration.
 * Misuse (bad names, one name with two types) is a programming error:
 * asserted. The handle is borrowed from the registry. */
sl_counter_t *sl_metrics_counter(sl_metrics_t *m, const char *name, const char *help,
                                 const char *labels);
sl_gauge_t *sl_metrics_gauge(sl_metrics_t *m, const char *name, const char *help,
                             const char *labels);
/* BOUNDS: NBOUNDS strictly increasing upper bounds (+Inf is implied); NULL
 * for the default ones (5 ms … 10 s, for latencies in seconds). */
sl_histogram_t *sl_metrics_histogram(sl_metrics_t *m, const char *name, const char *help,
                                     const char *labels, const double *bounds, size_t nbounds);

/* Thread-safe updates. */
void sl_counter_inc(sl_counter_t *c);
void sl_counter_add(sl_counter_t *c, uint64_t n);
uint64_t sl_counter_value(const sl_counter_t *c);
void sl_gauge_set(sl_gauge_t *g, double v);
void sl_gauge_add(sl_gauge_t *g, double delta);
double sl_gauge_value(const sl_gauge_t *g);
void sl_histogram_observe(sl_histogram_t *h, double v);
/* Observations so far. */
uint64_t sl_histogram_count(sl_histogram_t *h);

/* Appends the whole registry in text format 0.0.4 to OUT. Thread-safe. */
void sl_metrics_render(sl_metrics_t *m, sl_buf_t *out);

#endif
