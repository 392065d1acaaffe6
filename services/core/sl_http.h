/* sl_http.h — the daemon's HTTP port: /metrics, /healthz and extra routes.
 *
 * libmicrohttpd with its own polling thread, bound to one address (127.0.0.1
 * by default). Every callback here runs on that thread, never on the daemon's
 * loop: it may read the metrics registry and atomics, and anything else only
 * under a lock of the daemon's own. Routes match the path exactly; only GET
 * and HEAD are served (405 otherwise), unknown paths get 404. */
#ifndef SL_HTTP_H
#define SL_HTTP_H

#include <stdbool.h>

#include "sl_metrics.h"
#include "sl_util.h"

typedef struct sl_http sl_http_t;
typedef struct sl_http_req sl_http_req_t;

/* /healthz: returns true if healthy (200 "ok"); otherwise writes the reason
 * into REASON (503 "REASON"). Runs on the HTTP thread. */
typedef bool(sl_http_health_cb)(sl_buf_t *reason, void *arg);
/* An extra route: appends the body to BODY, may point *CONTENT_TYPE at a
 * string that outlives the call (a literal; default "text/plain;
 * charset=utf-8"), returns the HTTP status. Runs on the HTTP thread. */
typedef int(sl_http_route_cb)(const sl_http_req_t *req, sl_buf_t *body, const char **content_type,
                              void *arg);

/* A server for ADDRESS (IPv4 or IPv6 literal; NULL means 127.0.0.1) and PORT
 * (0: any free port), serving METRICS (may be NULL: empty) on /metrics and
 * HEALTH (NULL: always healthy) on /healthz. Not listening until
 * sl_http_start. NULL if ADDRESS is not an IP literal (logged). */
sl_http_t *sl_http_new(const char *address, int port, sl_metrics_t *metrics,
                       sl_http_health_cb *health, void *health_arg);

/* The same from a config's "HOST:PORT" value (the daemons' `http` keys): *OUT
 * is the server, not started, or NULL when the port is 0 (disabled). 0, or -1
 * if HOSTPORT is malformed (logged). */
int sl_http_from_hostport(const char *hostport, sl_metrics_t *metrics, sl_http_health_cb *health,
                          void *health_arg, sl_http_t **out);
/* Stops the server (waits for its thread) and frees it. Accepts *p == NULL. */
void sl_http_destroy(sl_http_t **p);

/* Adds a route for exact PATH (copied), or for every path under PATH when it
 * ends with "/" (e.g. "/site/"; sl_http_req_path gives the whole path). Only
 * before sl_http_start. */
void sl_http_route(sl_http_t *h, const char *path, sl_http_route_cb *cb, void *arg);
/* Binds and starts the server thread. 0, or -1 (logged: address, port). */
int sl_http_start(sl_http_t *h);
/* The port listened on (the chosen one when PORT was 0); 0 if not started. */
int sl_http_port(const sl_http_t *h);

/* The request's path, borrowed. */
const char *sl_http_req_path(const sl_http_req_t *req);
/* A query-string argument, or NULL; borrowed, valid during the callback. */
const char *sl_http_req_arg(const sl_http_req_t *req, const char *name);

/* A blocking GET of http://HOST:PORT/PATH with a TIMEOUT_MS budget, for
 * probing other daemons' /healthz and /metrics (slctl status, the status page).
 * Returns the HTTP status (e.g. 200, 503) and appends the body to BODY (may be
 * NULL), or -1 if nothing answered in time. */
int sl_http_get(const char *host, int port, const char *path, int timeout_ms, sl_buf_t *body);

#endif
