/* sl_http.c — /metrics, /healthz and the daemon's own routes over libmicrohttpd.
 *
 * MHD runs its own polling thread (MHD_USE_INTERNAL_POLLING_THREAD); each
 * request is answered in one call of the access handler from a freshly built
 * buffer, so there is no per-connection state to keep. */
#include "sl_http.h"

#include "sl_log.h"

#include <arpa/inet.h>
#include <assert.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define SL_HTTP_TEXT "text/plain; charset=utf-8"

typedef struct {
    char *path;           /* exact path; owned */
    sl_http_route_cb *cb; /* produces the answer */
    void *arg;            /* its argument */
} s_route_t;

struct sl_http {
    struct sockaddr_storage addr; /* where to listen */
    char address[64];             /* the address as text, for logs */
    bool ipv6;                    /* addr is AF_INET6 */
    int port;                     /* listening port once started */
    struct MHD_Daemon *mhd;       /* the server, NULL until started */
    sl_metrics_t *metrics;        /* rendered on /metrics; borrowed */
    sl_http_health_cb *health;    /* answers /healthz */
    void *health_arg;             /* its argument */
    s_route_t *routes;            /* extra routes; owned */
    size_t nroutes;               /* entries of routes */
};

struct sl_http_req {
    struct MHD_Connection *conn; /* the connection being answered */
    const char *path;            /* the request's path */
};

sl_http_t *
sl_http_new(const char *address, int port, sl_metrics_t *metrics, sl_http_health_cb *health,
            void *health_arg)
{
    if (!address)
        address = "127.0.0.1";
    sl_http_t *h = sl_calloc(1, sizeof *h);
    struct sockaddr_in *in = (struct sockaddr_in *)&h->addr;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&h->addr;
    if (inet_pton(AF_INET, address, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)port);
    } else if (inet_pton(AF_INET6, address, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        h->ipv6 = true;
    } else {
        sl_log(SL_LOG_ERROR, "http address \"%s\" is not an IP address", address);
        free(h);
        return NULL;
    }
    snprintf(h->address, sizeof h->address, "%s", address);
    h->port = port;
    h->metrics = metrics;
    h->health = health;
    h->health_arg = health_arg;
    return h;
}

void
sl_http_destroy(sl_http_t **p)
{
    sl_http_t *h = *p;
    if (!h)
        return;
    *p = NULL;
    if (h->mhd)
        MHD_stop_daemon(h->mhd);
    for (size_t i = 0; i < h->nroutes; i++)
        free(h->routes[i].path);
    free(h->routes);
    free(h);
}

void
sl_http_route(sl_http_t *h, const char *path, sl_http_route_cb *cb, void *arg)
{
    assert(!h->mhd && "sl_http_route after sl_http_start");
    h->routes = sl_realloc(h->routes, (h->nroutes + 1) * sizeof *h->routes);
    h->routes[h->nroutes++] = (s_route_t){sl_strdup(path), cb, arg};
}

const char *
sl_http_req_path(const sl_http_req_t *req)
{
    return req->path;
}

const char *
sl_http_req_arg(const sl_http_req_t *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

static enum MHD_Result
s_reply(struct MHD_Connection *conn, int status, const char *content_type, sl_buf_t *body)
{
    size_t len = body->len;
    char *data = sl_buf_steal(body);
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(data);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    enum MHD_Result rc = MHD_queue_response(conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static enum MHD_Result
s_on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
             const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    (void)version;
    (void)upload_data;
    sl_http_t *h = cls;
    /* First call: headers only. Answer on the second, once any body is read. */
    if (*con_cls == NULL) {
        *con_cls = h;
        return MHD_YES;
    }
    if (*upload_data_size) {
        *upload_data_size = 0; /* a body is ignored */
        return MHD_YES;
    }
    sl_buf_t body;
    sl_buf_init(&body);
    int status;
    const char *type = SL_HTTP_TEXT;
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
        status = MHD_HTTP_METHOD_NOT_ALLOWED;
        sl_buf_puts(&body, "method not allowed\n");
    } else if (strcmp(url, "/metrics") == 0) {
        status = MHD_HTTP_OK;
        type = SL_METRICS_CONTENT_TYPE;
        if (h->metrics)
            sl_metrics_render(h->metrics, &body);
    } else if (strcmp(url, "/healthz") == 0) {
        sl_buf_t reason;
        sl_buf_init(&reason);
        if (!h->health || h->health(&reason, h->health_arg)) {
            status = MHD_HTTP_OK;
            sl_buf_puts(&body, "ok\n");
        } else {
            status = MHD_HTTP_SERVICE_UNAVAILABLE;
            sl_buf_printf(&body, "%s\n", reason.len ? reason.data : "unhealthy");
        }
        sl_buf_free(&reason);
    } else {
        status = MHD_HTTP_NOT_FOUND;
        for (size_t i = 0; i < h->nroutes; i++) {
            const char *rp = h->routes[i].path;
            size_t rn = strlen(rp);
            if (strcmp(url, rp) == 0 || (rn > 1 && rp[rn - 1] == '/' && strncmp(url, rp, rn) == 0)) {
                sl_http_req_t req = {conn, url};
                status = h->routes[i].cb(&req, &body, &type, h->routes[i].arg);
                break;
            }
        }
        if (status == MHD_HTTP_NOT_FOUND && body.len == 0)
            sl_buf_puts(&body, "not found\n");
    }
    return s_reply(conn, status, type, &body);
}

/* MHD's own error messages, as logfmt lines. */
static void
s_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char text[512];
    vsnprintf(text, sizeof text, fmt, ap);
    size_t n = strlen(text);
    while (n && text[n - 1] == '\n')
        text[--n] = '\0';
    sl_log(SL_LOG_WARN, "http: %s", text);
}

int
sl_http_start(sl_http_t *h)
{
    assert(!h->mhd);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
    if (h->ipv6)
        flags |= MHD_USE_IPv6;
    uint16_t port = (uint16_t)h->port;
    /* Two threads: a handler may ask a sibling daemon's (or its own
     * daemon's) /healthz, as the status page does, without blocking itself. */
    h->mhd = MHD_start_daemon(flags, port, NULL, NULL, s_on_request, h,
                              MHD_OPTION_EXTERNAL_LOGGER, s_mhd_log, NULL, MHD_OPTION_SOCK_ADDR,
                              (struct sockaddr *)&h->addr, MHD_OPTION_CONNECTION_TIMEOUT,
                              (unsigned)30, MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
                              MHD_OPTION_THREAD_POOL_SIZE, (unsigned)2, MHD_OPTION_END);
    if (!h->mhd) {
        sl_log(SL_LOG_ERROR, "could not start http server on %s port %d", h->address, h->port);
        return -1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);
    if (info && info->port)
        h->port = info->port;
    sl_log(SL_LOG_INFO, "address=%s port=%d http server listening", h->address, h->port);
    return 0;
}

int
sl_http_port(const sl_http_t *h)
{
    return h->mhd ? h->port : 0;
}

int
sl_http_get(const char *host, int port, const char *path, int timeout_ms, sl_buf_t *body)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        return -1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int status = -1;
    sl_buf_t resp;
    sl_buf_init(&resp);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        goto done;
    char req[512];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.0\r\nHost: %s:%d\r\nConnection: close\r\n\r\n", path,
                     host, port);
    if (n <= 0 || n >= (int)sizeof req || write(fd, req, (size_t)n) != n)
        goto done;
    char chunk[4096];
    ssize_t got;
    while ((got = read(fd, chunk, sizeof chunk)) > 0 && resp.len < 16 * 1024 * 1024)
        sl_buf_append(&resp, chunk, (size_t)got);
    if (resp.len < 12 || strncmp(resp.data, "HTTP/1.", 7) != 0)
        goto done;
    status = atoi(resp.data + 9);
    const char *sep = strstr(resp.data, "\r\n\r\n");
    if (body && sep)
        sl_buf_append(body, sep + 4, resp.len - (size_t)(sep + 4 - resp.data));
done:
    close(fd);
    sl_buf_free(&resp);
    return status;
}

int
sl_http_from_hostport(const char *hostport, sl_metrics_t *metrics, sl_http_health_cb *health,
                      void *health_arg, sl_http_t **out)
{
    *out = NULL;
    const char *colon = hostport ? strrchr(hostport, ':') : NULL;
    if (!colon) {
        sl_log(SL_LOG_ERROR, "http address \"%s\" is not HOST:PORT", hostport ? hostport : "");
        return -1;
    }
    int port = atoi(colon + 1);
    if (port <= 0)
        return 0;
    char host[64];
    snprintf(host, sizeof host, "%.*s", (int)(colon - hostport), hostport);
    *out = sl_http_new(host[0] ? host : NULL, port, metrics, health, health_arg);
    return *out ? 0 : -1;
}
