/* sl_status.c — gathering, grading and showing a node's queue health.
 *
 * Reads only: heartbeats (written by sl_heartbeat), the outbox (sl_outbox),
 * link figures (written by sl-dispatch), dead letters, transfers, drafts of
 * publications waiting for approval and the calendar. Tables that a later migration adds are looked
 * for first, so the status works on any schema this build knows. */
#include "sl_status.h"

#include "sl_log.h"
#include "sl_template.h"

#include "sl_clock.h"
#include "sl_http.h"
#include "sl_outbox.h"
#include "sl_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S_BEAT_STALE_S 15.0   /* three missed heartbeats: down */
#define S_LINK_STALE_S 30.0   /* link figures older than this are unknown */
#define S_BACKLOG_AGE_S 120.0 /* a backlog this old with no link: needs a person */

typedef struct {
    json_t *problems; /* level 2 */
    json_t *warnings; /* level 1 */
} s_grade_t;

static void s_problem(s_grade_t *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void
s_problem(s_grade_t *g, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    json_array_append_new(g->problems, json_string(text));
}

static void s_warning(s_grade_t *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void
s_warning(s_grade_t *g, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    json_array_append_new(g->warnings, json_string(text));
}

static bool
s_has_table(sl_db_t *db, const char *table)
{
    const char *p[] = {table};
    PGresult *r;
    if (sl_db_exec(db, &r, "SELECT to_regclass($1) IS NOT NULL", 1, p) != 0)
        return false;
    bool yes = PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    return yes;
}

/* One query's first value as a number; -1 on error. */
static long
s_count(sl_db_t *db, const char *sql, int n, const char *const *p)
{
    PGresult *r;
    if (sl_db_exec(db, &r, sql, n, p) != 0)
        return -1;
    long v = PQntuples(r) ? atol(PQgetvalue(r, 0, 0)) : 0;
    PQclear(r);
    return v;
}

static void
s_daemons(sl_db_t *db, const char *now, bool probe, json_t *out, s_grade_t *g)
{
    json_t *list = json_array();
    json_object_set_new(out, "daemons", list);
    if (!s_has_table(db, "daemon_state"))
        return;
    const char *p[] = {now};
    PGresult *r;
    if (sl_db_exec(db, &r,
                   "SELECT daemon, instance, version, pid, host, http, started_at::text,"
                   " beat_at::text, stopped_at IS NOT NULL,"
                   " extract(epoch FROM $1::timestamptz - beat_at)"
                   " FROM daemon_state ORDER BY daemon, instance",
                   1, p) != 0)
        return;
    for (int i = 0; i < PQntuples(r); i++) {
        const char *name = PQgetvalue(r, i, 0);
        int instance = atoi(PQgetvalue(r, i, 1));
        const char *http = PQgetvalue(r, i, 5);
        bool stopped = PQgetvalue(r, i, 8)[0] == 't';
        double age = atof(PQgetvalue(r, i, 9));
        bool up = !stopped && age < S_BEAT_STALE_S;
        json_t *d = json_pack("{s:s, s:i, s:s, s:i, s:s, s:s, s:s, s:s, s:b, s:b, s:f}", "daemon",
                              name, "instance", instance, "version", PQgetvalue(r, i, 2), "pid",
                              atoi(PQgetvalue(r, i, 3)), "host", PQgetvalue(r, i, 4), "http", http,
                              "started_at", PQgetvalue(r, i, 6), "beat_at", PQgetvalue(r, i, 7),
                              "up", up, "stopped", stopped, "beat_age_s", age);
        if (!up) {
            s_problem(g, "守护进程 sl-%s#%d 未运行（%s，心跳 %.0f 秒前）", name, instance,
                      stopped ? "已停止" : "心跳中断", age);
        } else if (probe && *http) {
            char host[64];
            const char *colon = strrchr(http, ':');
            snprintf(host, sizeof host, "%.*s", colon ? (int)(colon - http) : 0, http);
            sl_buf_t body;
            sl_buf_init(&body);
            int st = colon ? sl_http_get(host[0] ? host : "127.0.0.1", atoi(colon + 1), "/healthz",
                                         2000, &body)
                           : -1;
            json_object_set_new(d, "healthy", json_boolean(st == 200));
            if (st != 200) {
                if (body.data)
                    sl_trim(body.data);
                json_object_set_new(d, "health", json_string(body.data ? body.data : ""));
                if (st < 0)
                    s_problem(g, "守护进程 sl-%s#%d 的 HTTP 端口 %s 无应答", name, instance, http);
                else
                    s_warning(g, "守护进程 sl-%s#%d 不健康：%s", name, instance,
                              body.data ? body.data : "");
            }
            sl_buf_free(&body);
        }
        json_array_append_new(list, d);
    }
    PQclear(r);
    if (PQntuples(r) == 0)
        s_warning(g, "没有任何守护进程的心跳记录");
}

static void
s_links(sl_db_t *db, int64_t now_ms, const char *now, json_t *out, s_grade_t *g)
{
    json_t *list = json_array();
    json_object_set_new(out, "links", list);
    if (!s_has_table(db, "outbox"))
        return;
    /* Every peer a link reports on, and every peer with outbox rows. */
    bool have_state = s_has_table(db, "link_state");
    const char **peers = NULL;
    size_t npeers = 0;
    PGresult *pr = NULL;
    if (have_state && sl_db_exec(db, &pr, "SELECT peer FROM link_state", 0, NULL) == 0) {
        npeers = (size_t)PQntuples(pr);
        peers = sl_calloc(npeers ? npeers : 1, sizeof *peers);
        for (size_t i = 0; i < npeers; i++)
            peers[i] = PQgetvalue(pr, (int)i, 0);
    }
    sl_outbox_stats_t *st;
    size_t n;
    int rc = sl_outbox_stats(db, peers, npeers, now_ms, &st, &n);
    free(peers);
    if (pr)
        PQclear(pr);
    if (rc != 0)
        return;
    for (size_t i = 0; i < n; i++) {
        json_t *l = json_pack("{s:s, s:I, s:f, s:I, s:I}", "peer", st[i].peer, "depth",
                              (json_int_t)st[i].depth, "oldest_s", st[i].oldest_s, "parked",
                              (json_int_t)st[i].parked, "delivered", (json_int_t)st[i].delivered);
        int connected = -1; /* unknown */
        if (have_state) {
            const char *p[] = {st[i].peer, now};
            PGresult *r;
            if (sl_db_exec(db, &r,
                           "SELECT connected, sent, acked, retried,"
                           " extract(epoch FROM $2::timestamptz - updated_at)"
                           " FROM link_state WHERE peer = $1 ORDER BY updated_at DESC LIMIT 1",
                           2, p) == 0) {
                if (PQntuples(r) && atof(PQgetvalue(r, 0, 4)) < S_LINK_STALE_S) {
                    connected = PQgetvalue(r, 0, 0)[0] == 't';
                    json_object_set_new(l, "sent", json_integer(atoll(PQgetvalue(r, 0, 1))));
                    json_object_set_new(l, "acked", json_integer(atoll(PQgetvalue(r, 0, 2))));
                    json_object_set_new(l, "retried", json_integer(atoll(PQgetvalue(r, 0, 3))));
                }
                PQclear(r);
            }
        }
        json_object_set_new(l, "connected", connected < 0 ? json_null() : json_boolean(connected));
        if (st[i].depth > 0 &&
            (connected == 0 || (connected < 0 && st[i].oldest_s > S_BACKLOG_AGE_S)))
            s_problem(g, "到 %s 的链路中断，积压 %ld 条（最早 %.0f 秒前）", st[i].peer, st[i].depth,
                      st[i].oldest_s);
        else if (st[i].depth > 0 && st[i].oldest_s > S_BACKLOG_AGE_S)
            s_warning(g, "到 %s 的积压 %ld 条，最早 %.0f 秒前", st[i].peer, st[i].depth,
                      st[i].oldest_s);
        if (st[i].parked > 0)
            s_warning(g, "到 %s 有 %ld 条被对方拒收、已搁置（slctl link parked）", st[i].peer,
                      st[i].parked);
        json_array_append_new(list, l);
    }
    free(st);
}

static void
s_transfers(sl_db_t *db, int64_t now_ms, json_t *out, s_grade_t *g)
{
    char today[11], tomorrow[11];
    int32_t day = sl_ms_to_day(now_ms);
    sl_date_format(day, today);
    sl_date_format(day + 1, tomorrow);
    json_t *overdue = json_object(), *items = json_array();
    json_object_set_new(overdue, "items", items);
    json_object_set_new(out, "overdue", overdue);
    long n_over = 0, n_soon = 0;
    json_t *warnings = json_array();
    if (s_has_table(db, "transfer")) {
        const char *p[] = {today, tomorrow};
        PGresult *r;
        if (sl_db_exec(db, &r,
                       "SELECT t.notice_no, c.case_no, t.unit_code, t.feedback_deadline::text,"
                       " count(*) OVER ()"
                       " FROM transfer t JOIN cases c ON c.id = t.case_id"
                       " WHERE t.state NOT IN ('fed_back', 'closed')"
                       " AND t.feedback_deadline < $1::date ORDER BY t.feedback_deadline LIMIT 20",
                       1, p) == 0) {
            for (int i = 0; i < PQntuples(r); i++) {
                n_over = atol(PQgetvalue(r, i, 4));
                json_array_append_new(
                    items, json_pack("{s:s, s:s, s:s, s:s}", "notice_no", PQgetvalue(r, i, 0),
                                     "case_no", PQgetvalue(r, i, 1), "unit", PQgetvalue(r, i, 2),
                                     "feedback_deadline", PQgetvalue(r, i, 3)));
            }
            PQclear(r);
        }
        n_soon = s_count(db,
                         "SELECT count(*) FROM transfer WHERE state NOT IN ('fed_back', 'closed')"
                         " AND feedback_deadline BETWEEN $1::date AND $2::date",
                         2, p);
        if (sl_db_exec(db, &r,
                       "SELECT DISTINCT calendar_warning FROM transfer"
                       " WHERE calendar_warning <> '' AND state <> 'closed'",
                       0, NULL) == 0) {
            for (int i = 0; i < PQntuples(r); i++) {
                json_array_append_new(warnings, json_string(PQgetvalue(r, i, 0)));
                s_warning(g, "日历：%s", PQgetvalue(r, i, 0));
            }
            PQclear(r);
        }
    }
    json_object_set_new(overdue, "count", json_integer(n_over));
    json_object_set_new(out, "due_soon", json_integer(n_soon < 0 ? 0 : n_soon));
    if (n_over > 0)
        s_warning(g, "%ld 件交办已逾期未反馈", n_over);
    /* The calendar: the years loaded; next year's notice once it is due. */
    json_t *cal = json_object(), *years = json_array();
    json_object_set_new(cal, "warnings", warnings);
    json_object_set_new(cal, "years", years);
    json_object_set_new(out, "calendar", cal);
    int y, m, d;
    sl_date_ymd(day, &y, &m, &d);
    PGresult *r;
    bool this_year = false, next_year = false;
    if (sl_db_exec(db, &r, "SELECT year FROM calendar_notice ORDER BY year", 0, NULL) == 0) {
        for (int i = 0; i < PQntuples(r); i++) {
            int yy = atoi(PQgetvalue(r, i, 0));
            json_array_append_new(years, json_integer(yy));
            this_year |= yy == y;
            next_year |= yy == y + 1;
        }
        PQclear(r);
    }
    json_object_set_new(cal, "next_year_missing", json_boolean(m == 12 && !next_year));
    if (!this_year)
        s_warning(g, "日历：%d 年的节假日安排尚未导入（slctl calendar import … --year %d）", y, y);
    else if (m == 12 && !next_year)
        s_warning(g, "日历：%d 年的节假日安排尚未导入，12 月内请导入", y + 1);
}

/* The deadline this level owes upward (DESIGN.md "Where levels meet"): the
 * cases from above whose feedback is not yet sent up (and not withdrawn
 * above), the next such deadline, and those past it, the earliest first. */
static void
s_upper(sl_db_t *db, int64_t now_ms, json_t *out, s_grade_t *g)
{
    char today[11];
    sl_date_format(sl_ms_to_day(now_ms), today);
    json_t *up = json_pack("{s:i, s:s, s:i, s:[]}", "owed", 0, "next_deadline", "", "overdue", 0,
                           "items");
    json_object_set_new(out, "upper", up);
    const char *p[] = {today};
    PGresult *r;
    if (sl_db_exec(db, &r,
                   "SELECT case_no, coalesce(upper_notice_no, ''),"
                   " upper_feedback_deadline::text, upper_feedback_deadline < $1::date,"
                   " count(*) OVER (),"
                   " count(*) FILTER (WHERE upper_feedback_deadline < $1::date) OVER ()"
                   " FROM cases WHERE upper_feedback_deadline IS NOT NULL"
                   " AND upper_answered_at IS NULL AND upper_withdrawn_at IS NULL"
                   " ORDER BY upper_feedback_deadline, id LIMIT 20",
                   1, p) != 0)
        return;
    json_t *items = json_object_get(up, "items");
    for (int i = 0; i < PQntuples(r); i++) {
        if (i == 0) {
            json_object_set_new(up, "owed", json_integer(atoll(PQgetvalue(r, 0, 4))));
            json_object_set_new(up, "overdue", json_integer(atoll(PQgetvalue(r, 0, 5))));
        }
        bool late = strcmp(PQgetvalue(r, i, 3), "t") == 0;
        if (!late && !*json_string_value(json_object_get(up, "next_deadline")))
            json_object_set_new(up, "next_deadline", json_string(PQgetvalue(r, i, 2)));
        json_array_append_new(items, json_pack("{s:s, s:s, s:s, s:b}", "case_no",
                                               PQgetvalue(r, i, 0), "upper_notice_no",
                                               PQgetvalue(r, i, 1), "upper_feedback_deadline",
                                               PQgetvalue(r, i, 2), "overdue", late));
    }
    PQclear(r);
    json_int_t late = json_integer_value(json_object_get(up, "overdue"));
    if (late > 0)
        s_warning(g, "%lld 件上级交办事项已逾期未向上级反馈", (long long)late);
}

json_t *
sl_status_gather(sl_db_t *db, const char *node, int64_t now_ms, bool probe)
{
    char now[40];
    sl_time_format_iso(now_ms, now, sizeof now);
    s_grade_t g = {json_array(), json_array()};
    json_t *out = json_pack("{s:s, s:s, s:s}", "node", node, "name", "", "at", now);
    /* The database, and its round-trip time. */
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    PGresult *r = NULL;
    bool up = sl_db_exec(db, &r, "SELECT name FROM node", 0, NULL) == 0;
    clock_gettime(CLOCK_MONOTONIC, &b);
    double rtt = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
    json_object_set_new(out, "database",
                        json_pack("{s:b, s:f, s:s}", "up", up, "rtt_ms", up ? rtt : 0.0, "error",
                                  up ? "" : sl_db_error(db)));
    if (up && PQntuples(r))
        json_object_set_new(out, "name", json_string(PQgetvalue(r, 0, 0)));
    if (r)
        PQclear(r);
    if (!up) {
        s_problem(&g, "数据库无法连接：%s", sl_db_error(db));
    } else {
        s_daemons(db, now, probe, out, &g);
        s_links(db, now_ms, now, out, &g);
        const char *p[] = {now};
        long dead = s_count(db,
                            "SELECT count(*) FROM dead_letter"
                            " WHERE received_at > $1::timestamptz - interval '1 hour'",
                            1, p);
        json_object_set_new(out, "dead_letters_last_hour", json_integer(dead < 0 ? 0 : dead));
        if (dead > 0)
            s_warning(&g, "近一小时有 %ld 条报文被拒收（死信）", dead);
        s_transfers(db, now_ms, out, &g);
        s_upper(db, now_ms, out, &g);
        if (s_has_table(db, "publication")) { /* 三公开: drafts the office has not approved */
            long drafts =
                s_count(db, "SELECT count(*) FROM publication WHERE state = 'draft'", 0, NULL);
            json_object_set_new(out, "drafts_waiting", json_integer(drafts < 0 ? 0 : drafts));
        }
    }
    int level = json_array_size(g.problems)   ? SL_STATUS_CRITICAL
                : json_array_size(g.warnings) ? SL_STATUS_WARN
                                              : SL_STATUS_OK;
    json_object_set_new(out, "level", json_integer(level));
    json_object_set_new(out, "problems", g.problems);
    json_object_set_new(out, "warnings", g.warnings);
    return out;
}

static const char *
s_str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static long long
s_int(const json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

static const char *s_levels[] = {"正常", "警告", "需要处理"};

char *
sl_status_text(const json_t *st)
{
    sl_buf_t b;
    sl_buf_init(&b);
    int level = (int)s_int(st, "level");
    sl_buf_printf(&b, "节点 %s %s  %s  状态：%s（%d）\n", s_str(st, "node"), s_str(st, "name"),
                  s_str(st, "at"), s_levels[level < 0 || level > 2 ? 2 : level], level);
    json_t *db = json_object_get(st, "database");
    if (json_is_true(json_object_get(db, "up")))
        sl_buf_printf(&b, "数据库    正常  往返 %.1f 毫秒\n",
                      json_real_value(json_object_get(db, "rtt_ms")));
    else
        sl_buf_printf(&b, "数据库    无法连接  %s\n", s_str(db, "error"));
    size_t i;
    json_t *x;
    sl_buf_puts(&b, "守护进程\n");
    json_array_foreach(json_object_get(st, "daemons"), i, x)
    {
        json_t *h = json_object_get(x, "healthy");
        sl_buf_printf(&b, "  sl-%s#%lld\t%s\tv%s\t心跳 %.0f 秒前\t%s\t%s\n", s_str(x, "daemon"),
                      s_int(x, "instance"),
                      json_is_true(json_object_get(x, "up")) ? "运行" : "未运行",
                      s_str(x, "version"), json_real_value(json_object_get(x, "beat_age_s")),
                      h ? (json_is_true(h) ? "健康" : "不健康") : "-", s_str(x, "http"));
    }
    sl_buf_puts(&b, "链路\n");
    json_array_foreach(json_object_get(st, "links"), i, x)
    {
        json_t *c = json_object_get(x, "connected");
        sl_buf_printf(&b, "  %s\t积压 %lld\t最早 %.0f 秒\t%s\t已送达 %lld\t搁置 %lld\n",
                      s_str(x, "peer"), s_int(x, "depth"),
                      json_real_value(json_object_get(x, "oldest_s")),
                      json_is_null(c) || !c ? "连接未知"
                      : json_is_true(c)     ? "已连接"
                                            : "未连接",
                      s_int(x, "delivered"), s_int(x, "parked"));
    }
    sl_buf_printf(&b, "近一小时死信  %lld\n", s_int(st, "dead_letters_last_hour"));
    sl_buf_printf(&b, "待审核公开信息  %lld\n", s_int(st, "drafts_waiting"));
    sl_buf_printf(&b, "逾期交办  %lld    临近期限  %lld\n",
                  s_int(json_object_get(st, "overdue"), "count"), s_int(st, "due_soon"));
    json_t *up = json_object_get(st, "upper");
    if (up)
        sl_buf_printf(&b, "向上级反馈  待反馈 %lld    最近期限 %s    已逾期 %lld\n",
                      s_int(up, "owed"), *s_str(up, "next_deadline") ? s_str(up, "next_deadline")
                                                                     : "无",
                      s_int(up, "overdue"));
    json_array_foreach(json_object_get(st, "problems"), i, x)
        sl_buf_printf(&b, "问题：%s\n", json_string_value(x));
    json_array_foreach(json_object_get(st, "warnings"), i, x)
        sl_buf_printf(&b, "警告：%s\n", json_string_value(x));
    return sl_buf_steal(&b);
}

/* Appends JSON text to B for a <script> element with every '<' as \u003c: a
 * '<' is only ever inside a JSON string, and there "<!--" or "<script" would
 * put the HTML parser into a state where the page's own </script> no longer
 * ends the script (tests/fuzz/fuzz_status.c found it). */
static void
s_script_json(sl_buf_t *b, const char *json)
{
    for (const char *p = json ? json : "null"; *p; p++) {
        if (*p == '<')
            sl_buf_puts(b, "\\u003c");
        else
            sl_buf_append(b, p, 1);
    }
}

/* The page (templates/status.html, compiled in): the figures are rendered by
 * a small script from the embedded JSON, then fetched again every 5 seconds;
 * with scripts off the text form inside <noscript> still tells the state. */
char *
sl_status_page(const json_t *status, const char *json_url)
{
    sl_buf_t b;
    sl_buf_init(&b);
    char *text = sl_status_text(status);
    /* JSON_ESCAPE_SLASH keeps "</script>" out of the embedded data */
    char *json = json_dumps(status, JSON_COMPACT | JSON_ESCAPE_SLASH);
    json_t *url = json_string(json_url);
    char *url_js = json_dumps(url, JSON_ENCODE_ANY | JSON_ESCAPE_SLASH);
    json_decref(url);
    sl_buf_t initial, url_safe;
    sl_buf_init(&initial);
    sl_buf_init(&url_safe);
    s_script_json(&initial, json);
    s_script_json(&url_safe, url_js);
    json_t *d = json_pack("{s:s, s:s, s:s}", "status_text", text, "initial", initial.data,
                          "json_url", url_safe.data);
    if (sl_template_render(sl_template_embedded(), "status.html", d, SL_ESCAPE_HTML, &b) != 0)
        sl_log(SL_LOG_ERROR, "the status page's template (status.html) does not render");
    json_decref(d);
    sl_buf_free(&initial);
    sl_buf_free(&url_safe);
    free(text);
    free(json);
    free(url_js);
    return sl_buf_steal(&b);
}
