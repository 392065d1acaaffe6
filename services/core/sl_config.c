/* sl_config.c — the node's INI file: one table of keys, inih for the syntax.
 *
 * s_keys lists every key a node file may hold, with its type, default, range and
 * help; the loader checks each value against it as inih hands it over, and the
 * lookups fall back to the table's defaults. inih (as Debian builds it) passes no
 * line numbers to the handler and cuts long lines silently, so the file is fed
 * through our own reader: it counts lines, refuses lines inih would cut or take
 * as continuations, and notes section headers so that empty sections are checked
 * too. Only the first error, by line, is reported. */
#include "sl_config.h"

#include "sl_clock.h"
#include "sl_log.h"
#include "sl_util.h"

#include <ini.h>

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/un.h>

/* ---- the table ---------------------------------------------------------- */

typedef enum {
    S_STRING,   /* any UTF-8 text */
    S_INT,      /* decimal integer within [min, max] */
    S_BOOL,     /* true/false, yes/no, on/off, 1/0 */
    S_PATH,     /* file name, resolved against the config file's directory */
    S_ENDPOINT, /* ZeroMQ endpoint: tcp://, ipc:// or inproc:// */
    S_DATE,     /* YYYY-MM-DD */
    S_TIME,     /* HH:MM */
    S_LEVEL,    /* log level */
    S_CODE,     /* 6-digit division code */
    S_LIST,     /* comma-separated items, trimmed */
    S_BYTES,    /* integer with optional K or M suffix (1024-based) */
    S_HOSTPORT, /* HOST:PORT to listen on; port 0 disables */
} s_type_t;

static const char *const s_type_names[] = {
    "string", "int",   "bool", "path", "endpoint", "date",
    "time",   "level", "code", "list", "bytes",    "host:port",
};

typedef enum {
    S_PLAIN,    /* [node]: one section */
    S_INSTANCE, /* [intake], and [intake.N] read first by instance N */
    S_CODES,    /* [child.CODE]: a family named by division codes */
    S_NAMES,    /* [producer.NAME]: a family named by labels */
} s_kind_t;

typedef struct {
    const char *name; /* section name, or family name before the dot */
    s_kind_t kind;    /* how names after a dot are read */
    const char *ref;  /* name in the reference: "intake", "child.CODE" */
    const char *help; /* one line for the reference */
} s_section_t;

static const s_section_t s_sections[] = {
    {"node", S_PLAIN, "node", "this node: its division and where its files live"},
    {"database", S_PLAIN, "database", "the node's PostgreSQL database"},
    {"keys", S_PLAIN, "keys", "key files: CURVE (40-character Z85 text) and sealing"},
    {"log", S_PLAIN, "log", "logging, for every daemon of the node"},
    {"ctl", S_PLAIN, "ctl", "slctl: the role its read-only commands connect as"},
    {"intake", S_INSTANCE, "intake", "sl-intake: receives envelopes, commits them, acks"},
    {"dispatch", S_INSTANCE, "dispatch",
     "sl-dispatch: transfers, forwarding and delivery on links"},
    {"deadline", S_INSTANCE, "deadline", "sl-deadline: deadlines, overdue and not-handled cases"},
    {"publish", S_INSTANCE, "publish",
     "sl-publish: 三公开 — drafts, the office's approval, the public site"},
    {"appraise", S_INSTANCE, "appraise", "sl-appraise: the monthly appraisal (四考核) of the places below"},
    {"parent", S_PLAIN, "parent", "the parent node; absent at the top node"},
    {"child", S_CODES, "child.CODE", "a child node, one section each, named by its division code"},
    {"producer", S_NAMES, "producer.NAME",
     "a producer (another system), one section each, named by a label"},
    {"routing", S_PLAIN, "routing", "where clues of sectors outside the plan's 16 go"},
    {"supervision", S_PLAIN, "supervision",
     "挂牌督办: the supervising leader per sector (short name), \"姓名 职务\""},
    {"unit", S_NAMES, "unit.KEY",
     "a unit's name as the node's area names it: a member unit the plan names (晋中开发区 …), "
     "or another name for a derived unit (KEY a department key, police, discipline or a "
     "child's division code)"},
};

enum {
    S_OPTIONAL = 0,
    S_REQUIRED,   /* the file must set it */
    S_IN_SECTION, /* every section of the family (or the section, if present) must set it */
};

typedef struct {
    const char *section;        /* a name from s_sections */
    const char *key;            /* key name */
    s_type_t type;              /* how the value is read */
    const char *def;            /* default text, NULL for none */
    long long min, max;         /* range of int and bytes */
    int required;               /* S_OPTIONAL, S_REQUIRED or S_IN_SECTION */
    const char *const *choices; /* allowed list items, NULL-terminated */
    const char *help;           /* one line for the reference */
} s_key_t;

/* DOMAIN.md's 16 sectors and OTHER, by their wire enum names. */
static const char *const s_sectors[] = {
    "COAL_MINE",
    "NON_COAL_MINE",
    "HAZARDOUS_CHEMICALS",
    "ROAD_TRANSPORT",
    "CONSTRUCTION",
    "CITY_GAS",
    "TEMPORARY_BUILDINGS",
    "CIVIL_EXPLOSIVES",
    "CULTURE_TOURISM",
    "INDUSTRIAL_PARKS",
    "HAZARDOUS_WASTE",
    "SPECIAL_EQUIPMENT",
    "METALLURGY",
    "FIRE_SAFETY",
    "FOREST_FIRE",
    "MINERAL_EXPLOITATION",
    "OTHER",
    NULL,
};

/* Envelope bodies a producer may be allowed to send. */
static const char *const s_pub_kinds[] = {"list", "progress", "results", NULL};

static const char *const s_bodies[] = {
    "clue", "receipt", "objection", "progress", "feedback", "report", NULL,
};

#define S_K 1024LL
#define S_M (1024LL * 1024LL)

static const s_key_t s_keys[] = {
    {"node", "code", S_CODE, NULL, 0, 0, S_REQUIRED, NULL, "division code of this node"},
    {"node", "name", S_STRING, NULL, 0, 0, 0, NULL, "name of the division, for humans"},
    {"node", "parent", S_CODE, NULL, 0, 0, 0, NULL,
     "division code of the parent node; must match [parent] code if both are set"},
    {"node", "keep_sectors", S_LIST, "", 0, 0, 0, s_sectors,
     "sectors whose cases stay at this level instead of going down to child nodes"},
    {"node", "run_dir", S_PATH, "run", 0, 0, 0, NULL, "directory for ipc sockets and pid files"},
    {"node", "var_dir", S_PATH, ".", 0, 0, 0, NULL, "directory for the node's state files"},

    {"database", "conninfo", S_STRING, NULL, 0, 0, S_REQUIRED, NULL,
     "libpq connection string or URI"},
    {"database", "passfile", S_PATH, NULL, 0, 0, 0, NULL,
     "password file (0600) of the node's daemon roles: slctl migrate sets their passwords and "
     "writes it, the daemons and slctl connect with it; unset: no passwords (peer or trust)"},

    {"ctl", "db_user", S_STRING, "", 0, 0, 0, NULL,
     "the database role slctl's read-only commands connect as ({code}: the node's code), e.g. "
     "sl_{code}_ctl; unset: the user of [database] conninfo (administration always is)"},

    {"keys", "curve_public", S_PATH, "keys/curve.pub", 0, 0, 0, NULL,
     "the node's CURVE public key file"},
    {"keys", "curve_secret", S_PATH, "keys/curve.key", 0, 0, 0, NULL,
     "the node's CURVE secret key file"},
    {"keys", "seal_public", S_PATH, "keys/seal.pub", 0, 0, 0, NULL,
     "public key that reporter data is sealed for"},
    {"keys", "seal_secret", S_PATH, "keys/seal.key", 0, 0, 0, NULL,
     "secret key that opens sealed reporter data"},

    {"log", "level", S_LEVEL, "info", 0, 0, 0, NULL,
     "lowest level logged: debug, info, warn, error"},

    {"intake", "endpoint", S_ENDPOINT, "tcp://127.0.0.1:7000", 0, 0, 0, NULL,
     "ROUTER endpoint for producers and other nodes"},
    {"intake", "ipc", S_ENDPOINT, NULL, 0, 0, 0, NULL,
     "ROUTER endpoint for local tools (slctl); unset: none"},
    {"intake", "events", S_ENDPOINT, NULL, 0, 0, 0, NULL, "PUB endpoint for events; unset: none"},
    {"intake", "db_user", S_STRING, "", 0, 0, 0, NULL,
     "the database role sl-intake connects as ({code}: the node's code), e.g. sl_{code}_intake; "
     "unset: the user of [database] conninfo"},
    {"intake", "http", S_HOSTPORT, "127.0.0.1:0", 0, 0, 0, NULL,
     "HOST:PORT serving /metrics and /healthz; port 0 disables"},
    {"intake", "batch_max", S_INT, "1024", 1, 10000, 0, NULL,
     "most envelopes committed in one transaction"},
    {"intake", "max_envelope", S_BYTES, "1M", 1 * S_K, 64 * S_M, 0, NULL,
     "larger envelopes are answered too_large"},
    {"intake", "curve", S_BOOL, "true", 0, 0, 0, NULL,
     "require CURVE on the tcp endpoint: only keys this file names may connect "
     "(false is for development only: every tcp client is then trusted like ipc)"},

    {"dispatch", "start_date", S_DATE, NULL, 0, 0, 0, NULL,
     "first dispatch day (YYYY-MM-DD); unset: the day the daemon starts"},
    {"dispatch", "interval_days", S_INT, "2", 0, 30, 0, NULL,
     "days between dispatch rounds; 0 dispatches on every scan"},
    {"dispatch", "time_of_day", S_TIME, "09:00", 0, 0, 0, NULL,
     "time of day (Asia/Shanghai) a dispatch round runs"},
    {"dispatch", "scan_seconds", S_INT, "5", 1, 3600, 0, NULL, "seconds between scans for work"},
    {"dispatch", "announce_again_seconds", S_INT, "300", 1, 86400, 0, NULL,
     "seconds before a transfer delivered by event and not yet received is announced again"},
    {"dispatch", "upper_margin_days", S_INT, "1", 0, 5, 0, NULL,
     "working days a case transferred from above is due before the upper deadline "
     "(this level's own verification and sign-off)"},
    {"dispatch", "events", S_ENDPOINT, NULL, 0, 0, 0, NULL, "PUB endpoint for events; unset: none"},
    {"dispatch", "db_user", S_STRING, "", 0, 0, 0, NULL,
     "the database role sl-dispatch connects as ({code}: the node's code), e.g. sl_{code}_dispatch; "
     "unset: the user of [database] conninfo"},
    {"dispatch", "http", S_HOSTPORT, "127.0.0.1:0", 0, 0, 0, NULL,
     "HOST:PORT serving /metrics and /healthz; port 0 disables"},
    {"dispatch", "window", S_INT, "1000", 1, 100000, 0, NULL,
     "most unacknowledged envelopes in flight per link"},
    {"dispatch", "retry_min_ms", S_INT, "200", 1, 3600000, 0, NULL,
     "first resend delay on a link, doubling up to retry_max_ms"},
    {"dispatch", "retry_max_ms", S_INT, "60000", 1, 86400000, 0, NULL,
     "longest resend delay on a link"},
    {"dispatch", "ack_timeout_ms", S_INT, "10000", 100, 3600000, 0, NULL,
     "a link resends an envelope whose ack is this late (ms)"},
    {"dispatch", "office", S_STRING, NULL, 0, 0, 0, NULL,
     "the issuing office printed on transfer notices; unset: <node "
     "name>“百日攻坚”集中行动领导组办公室"},
    {"dispatch", "office_short", S_STRING, NULL, 0, 0, 0, NULL,
     "the issuing office's short name printed before notice numbers that leave the node, "
     "e.g. 晋中市“百日攻坚”办; unset: <node name>“百日攻坚”办"},
    {"dispatch", "contact", S_STRING, NULL, 0, 0, 0, NULL,
     "承办人及联系方式 printed on transfer notices; unset: a blank line to fill in"},

    {"deadline", "events", S_ENDPOINT, NULL, 0, 0, 0, NULL, "PUB endpoint for events; unset: none"},
    {"deadline", "db_user", S_STRING, "", 0, 0, 0, NULL,
     "the database role sl-deadline connects as ({code}: the node's code), e.g. sl_{code}_deadline; "
     "unset: the user of [database] conninfo"},
    {"deadline", "http", S_HOSTPORT, "127.0.0.1:0", 0, 0, 0, NULL,
     "HOST:PORT serving /metrics and /healthz; port 0 disables"},
    {"deadline", "tick_seconds", S_INT, "5", 1, 3600, 0, NULL, "seconds between deadline checks"},
    {"deadline", "not_handled_days", S_INT, "3", 1, 60, 0, NULL,
     "working days without progress or feedback before a case is not handled"},
    {"deadline", "tick_connections", S_INT, "2", 1, 8, 0, NULL,
     "connections a tick splits the transfers due over, each batch a transaction of its own "
     "(the instance holding the leader lock only); 1: one connection"},

    {"publish", "events", S_ENDPOINT, NULL, 0, 0, 0, NULL, "PUB endpoint for events; unset: none"},
    {"publish", "http", S_HOSTPORT, "127.0.0.1:0", 0, 0, 0, NULL,
     "HOST:PORT serving /metrics, /healthz, the site (/site/) and the drafts' preview "
     "(/preview/ID); bind it to the node's admin address only"},
    {"publish", "db_user", S_STRING, "sl_{code}_publish", 0, 0, 0, NULL,
     "the database role sl-publish connects as ({code}: the node's code); it reads only the "
     "pub_* views (slctl migrate makes it)"},
    {"publish", "site_dir", S_PATH, NULL, 0, 0, 0, NULL,
     "the public site, a symbolic link swapped on each regeneration (for nginx); unset: "
     "<var_dir>/site"},
    {"publish", "templates", S_PATH, SL_TEMPLATES_DIR, 0, 0, 0, NULL,
     "directory of the page templates"},
    {"publish", "tick_seconds", S_INT, "30", 1, 3600, 0, NULL,
     "seconds between checks for what is due to be drafted"},
    {"publish", "time_of_day", S_TIME, "17:00", 0, 0, 0, NULL,
     "time of day (Asia/Shanghai) the daily list is drafted"},
    {"publish", "daily_list", S_BOOL, NULL, 0, 0, 0, NULL,
     "draft the transfer list every day; unset: at city and county nodes (weekly at the province)"},
    {"publish", "auto_approve", S_LIST, "", 0, 0, 0, s_pub_kinds,
     "kinds released without the office's approval (list, progress, results)"},
    {"publish", "channels", S_STRING,
     "举报电话：12350；险情直拨电话：0351-12350", 0, 0, 0, NULL,
     "the reporting channels printed on every page (举报电话、邮箱)"},
    {"publish", "natural_person", S_STRING, "surname", 0, 0, 0, NULL,
     "how a natural person subject is published: surname (姓＋某) or withheld (某某)"},
    {"appraise", "events", S_ENDPOINT, NULL, 0, 0, 0, NULL, "PUB endpoint for events; unset: none"},
    {"appraise", "db_user", S_STRING, "", 0, 0, 0, NULL,
     "the database role sl-appraise connects as ({code}: the node's code), e.g. sl_{code}_appraise; "
     "unset: the user of [database] conninfo"},
    {"appraise", "http", S_HOSTPORT, "127.0.0.1:0", 0, 0, 0, NULL,
     "HOST:PORT serving /metrics and /healthz; port 0 disables"},
    {"appraise", "rules", S_PATH, "/usr/share/safeloop/appraise-rules.ini", 0, 0, 0, NULL,
     "the appraisal rules file (weights and triggers, versioned); the installed one holds the "
     "project's defaults"},
    {"appraise", "check_seconds", S_INT, "300", 1, 86400, 0, NULL,
     "seconds between checks for a month to score and an approved run to publish"},
    {"appraise", "rank_departments", S_BOOL, "false", 0, 0, 0, NULL,
     "also rank this level's departments, from this node's transfers to them (feedback on time, "
     "escalations, false completions), apart from the places' ranking"},

    {"parent", "code", S_CODE, NULL, 0, 0, S_IN_SECTION, NULL, "division code of the parent node"},
    {"parent", "endpoint", S_ENDPOINT, NULL, 0, 0, S_IN_SECTION, NULL,
     "the parent's intake endpoint"},
    {"parent", "public_key", S_PATH, NULL, 0, 0, S_IN_SECTION, NULL,
     "file with the parent's CURVE public key"},
    {"parent", "seal_public", S_PATH, NULL, 0, 0, 0, NULL,
     "file with the parent's sealing public key: reporters sent up are sealed for it"},

    {"child", "endpoint", S_ENDPOINT, NULL, 0, 0, S_IN_SECTION, NULL,
     "the child's intake endpoint"},
    {"child", "public_key", S_PATH, NULL, 0, 0, S_IN_SECTION, NULL,
     "file with the child's CURVE public key"},
    {"child", "seal_public", S_PATH, NULL, 0, 0, 0, NULL,
     "file with the child's sealing public key: reporters sent down are sealed for it"},
    {"child", "name", S_STRING, NULL, 0, 0, 0, NULL, "name of the child's division, for humans"},

    {"supervision", "煤", S_STRING, NULL, 0, 0, 0, NULL,
     "the leader a 煤 case is listed under (挂牌督办), \"姓名 职务\"; unset: named by case "
     "supervise"},
    {"supervision", "非煤", S_STRING, NULL, 0, 0, 0, NULL,
     "the leader a 非煤 case is listed under (挂牌督办), \"姓名 职务\"; unset: named by case "
     "supervise"},
    {"supervision", "危化", S_STRING, NULL, 0, 0, 0, NULL,
     "the leader a 危化 case is listed under (挂牌督办), \"姓名 职务\"; unset: named by case "
     "supervise"},
    {"supervision", "道运", S_STRING, NULL, 0, 0, 0, NULL,
     "the leader a 道运 case is listed under (挂牌督办), \"姓名 职务\"; unset: named by case "
     "supervise"},
    {"supervision", "建筑", S_STRING, NULL, 0, 0, 0, NULL,
     "the leader a 建筑 case is listed under (挂牌督办), \"姓名 职务\"; unset: named by case "
     "supervise"},
    {"supervision", "燃气", S_STRING, NULL, 0, 0, 0, NULL,
     "the leader a 燃气 case is listed under (挂牌督办), \"姓名 职务\"; unset: named by case "
     "supervise"},
    {"supervision", "临建", S_STRING, NULL, 0, 0, 0, NULL,
     "the leader a 临建 case is listed under (挂牌督办), \"姓名 职务\"; unset: named by case "
     "supervise"},
    {"supervision", "民爆", S_STRING, NULL, 0, 0, 0, NULL,
     "the leader a 民爆 case is listed under (挂牌督办), \"姓名 职务\"; unset: named by case "
     "supervise"},
    {"supervision", "文旅", S_STRING, NULL, 0, 0, 0, NULL,
     "the leader a 文旅 case is listed under (挂牌督办), \"姓名 职务\"; unset: named by case "
     "supervise"},
    {"supervision", "园区", S_STRING, NULL, 0, 0, 0, NULL,
     "the leader a 园区 case is listed under (挂牌督办), \"姓名 职务\"; unset: named by case "
     "supervise"},
    {"supervision", "危废", S_STRING, NULL, 0, 0, 0, NULL,
     "the leader a 危废 case is listed under (挂牌督办), \"姓名 职务\"; unset: named by case "
     "supervise"},
    {"supervision", "特设", S_STRING, NULL, 0, 0, 0, NULL,
     "the leader a 特设 case is listed under (挂牌督办), \"姓名 职务\"; unset: named by case "
     "supervise"},
    {"supervision", "冶金", S_STRING, NULL, 0, 0, 0, NULL,
     "the leader a 冶金 case is listed under (挂牌督办), \"姓名 职务\"; unset: named by case "
     "supervise"},
    {"supervision", "消防", S_STRING, NULL, 0, 0, 0, NULL,
     "the leader a 消防 case is listed under (挂牌督办), \"姓名 职务\"; unset: named by case "
     "supervise"},
    {"supervision", "森防", S_STRING, NULL, 0, 0, 0, NULL,
     "the leader a 森防 case is listed under (挂牌督办), \"姓名 职务\"; unset: named by case "
     "supervise"},
    {"supervision", "矿产", S_STRING, NULL, 0, 0, 0, NULL,
     "the leader a 矿产 case is listed under (挂牌督办), \"姓名 职务\"; unset: named by case "
     "supervise"},
    {"supervision", "其他", S_STRING, NULL, 0, 0, 0, NULL,
     "the leader a 其他 case is listed under (挂牌督办), \"姓名 职务\"; unset: named by case "
     "supervise"},
    {"routing", "other_sector_unit", S_STRING, "emergency", 0, 0, 0, NULL,
     "the unit key that leads clues of sector OTHER (其他行业领域): a department key or a "
     "[unit.KEY] member unit"},

    {"unit", "name", S_STRING, NULL, 0, 0, S_IN_SECTION, NULL,
     "the unit's name as printed on notices and case views, e.g. 晋中市生态环境局平遥分局"},
    {"unit", "weekly_report", S_BOOL, "false", 0, 0, 0, NULL,
     "a member unit owes the weekly report (derived units always do)"},

    {"producer", "public_key", S_PATH, NULL, 0, 0, S_IN_SECTION, NULL,
     "file with the producer's CURVE public key"},
    {"producer", "unit", S_STRING, NULL, 0, 0, 0, NULL,
     "the unit code this producer answers for, e.g. 140100:emergency; unset: it only reports "
     "clues"},
    {"producer", "may_send", S_LIST, NULL, 0, 0, S_IN_SECTION, s_bodies,
     "bodies the producer may send"},
};

/* ---- the loaded file ---------------------------------------------------- */

typedef struct {
    char *section; /* section as written, "intake.2"; NULL for a default */
    char *key;     /* key name; NULL for a default */
    char *value;   /* normalized text; NULL when the slot is empty */
    long long num; /* number behind the value, for sl_config_int */
    char **items;  /* list items, NULL-terminated; NULL for other types */
    size_t nitems; /* count of items */
    int line;      /* line in the file; 0 for a default */
} s_value_t;

typedef struct {
    char *name; /* section name as written */
    int line;   /* line of its first header */
} s_header_t;

typedef struct {
    char **names; /* names after the dot, in file order */
    size_t n;     /* count of names */
} s_family_t;

struct sl_config {
    char *path;                                    /* as given to sl_config_load */
    char *dir;                                     /* absolute directory of the file */
    int instance;                                  /* 1 for the first instance */
    s_value_t *values;                             /* values set by the file */
    size_t nvalues, cap;                           /* used and allocated */
    s_header_t *headers;                           /* sections in the file, once each */
    size_t nheaders, hcap;                         /* used and allocated */
    s_value_t defaults[SL_ARRAY_LEN(s_keys)];      /* parsed defaults, by table row */
    s_family_t families[SL_ARRAY_LEN(s_sections)]; /* by s_sections row */
};

typedef struct {
    sl_config_t *c;  /* the config being filled */
    const char *p;   /* next byte of the file text */
    const char *end; /* end of the file text */
    int line;        /* line last handed to inih */
    int err_line;    /* line of the first error; 0 if none or no line */
    char *err;       /* first error, "[section] key: reason"; NULL if none */
} s_load_t;

/* ---- small helpers ------------------------------------------------------ */

static void
s_fail(s_load_t *ld, int line, char *reason)
{
    if (ld->err) {
        free(reason);
        return;
    }
    ld->err = reason;
    ld->err_line = line;
}

static bool
s_all_digits(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* Strict decimal integer: optional '-', digits, nothing else. */
static bool
s_parse_ll(const char *s, long long *out)
{
    const char *d = s[0] == '-' ? s + 1 : s;
    if (!s_all_digits(d, strlen(d)))
        return false;
    errno = 0;
    long long v = strtoll(s, NULL, 10);
    if (errno == ERANGE)
        return false;
    *out = v;
    return true;
}

static bool
s_is_code(const char *s)
{
    return strlen(s) == 6 && s_all_digits(s, 6) && s[0] != '0';
}

/* Port 0..65535 from exactly the digits of S. */
static bool
s_parse_port(const char *s, long long *port)
{
    if (!s_all_digits(s, strlen(s)) || strlen(s) > 5)
        return false;
    *port = strtoll(s, NULL, 10);
    return *port <= 65535;
}

/* "1M" for a whole number of mebibytes, "4K" of kibibytes, else bytes. */
static void
s_format_bytes(long long v, char *buf, size_t size)
{
    if (v != 0 && v % S_M == 0)
        snprintf(buf, size, "%lldM", v / S_M);
    else if (v != 0 && v % S_K == 0)
        snprintf(buf, size, "%lldK", v / S_K);
    else
        snprintf(buf, size, "%lld", v);
}

/* REL against DIR; absolute names pass unchanged. A new string. */
static char *
s_resolve(const char *dir, const char *rel)
{
    if (rel[0] == '/')
        return sl_strdup(rel);
    while (rel[0] == '.' && rel[1] == '/')
        rel += 2;
    if (rel[0] == '\0' || strcmp(rel, ".") == 0)
        return sl_strdup(dir);
    return sl_asprintf("%s%s%s", dir, strcmp(dir, "/") == 0 ? "" : "/", rel);
}

static const s_section_t *
s_section_find(const char *base, size_t n)
{
    for (size_t i = 0; i < SL_ARRAY_LEN(s_sections); i++)
        if (strlen(s_sections[i].name) == n && strncmp(s_sections[i].name, base, n) == 0)
            return &s_sections[i];
    return NULL;
}

/* Checks a section name; returns its s_sections row, or NULL with *reason set
 * (a new string). */
static const s_section_t *
s_section_check(const char *name, char **reason)
{
    const char *dot = strchr(name, '.');
    size_t n = dot ? (size_t)(dot - name) : strlen(name);
    const char *sub = dot ? dot + 1 : NULL;
    const s_section_t *sec = s_section_find(name, n);
    if (!sec || (sec->kind == S_PLAIN && sub)) {
        *reason = sl_asprintf("[%s]: unknown section", name);
        return NULL;
    }
    switch (sec->kind) {
    case S_PLAIN:
        return sec;
    case S_INSTANCE: {
        long long v;
        if (!sub ||
            (s_all_digits(sub, strlen(sub)) && sub[0] != '0' && s_parse_ll(sub, &v) && v <= 99))
            return sec;
        *reason =
            sl_asprintf("[%s]: instance sections are [%s.N] with N from 1 to 99", name, sec->name);
        return NULL;
    }
    case S_CODES:
        if (sub && s_is_code(sub))
            return sec;
        *reason = sl_asprintf("[%s]: sections of this family are [%s.CODE] with a 6-digit "
                              "division code",
                              name, sec->name);
        return NULL;
    case S_NAMES: {
        size_t len = sub ? strlen(sub) : 0;
        bool ok = len > 0 && len <= 64;
        for (size_t i = 0; ok && i < len; i++) {
            char ch = sub[i];
            ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                 ch == '_' || ch == '-';
        }
        if (ok)
            return sec;
        *reason = sl_asprintf("[%s]: sections of this family are [%s.NAME] with a NAME of up to "
                              "64 letters, digits, '_' or '-'",
                              name, sec->name);
        return NULL;
    }
    }
    return NULL;
}

static const s_key_t *
s_key_find(const char *section, const char *key)
{
    for (size_t i = 0; i < SL_ARRAY_LEN(s_keys); i++)
        if (strcmp(s_keys[i].section, section) == 0 && strcmp(s_keys[i].key, key) == 0)
            return &s_keys[i];
    return NULL;
}

static void
s_value_clear(s_value_t *v)
{
    free(v->section);
    free(v->key);
    free(v->value);
    if (v->items)
        for (size_t i = 0; i < v->nitems; i++)
            free(v->items[i]);
    free(v->items);
    memset(v, 0, sizeof *v);
}

/* ---- values ------------------------------------------------------------- */

static char *
s_parse_list(const s_key_t *row, const char *text, s_value_t *out)
{
    sl_buf_t norm;
    sl_buf_init(&norm);
    char *copy = sl_strdup(text);
    char *reason = NULL;
    size_t cap = 4;
    out->items = sl_calloc(cap + 1, sizeof *out->items);
    if (sl_trim(copy)[0] != '\0') {
        char *p = copy; /* strtok would skip empty items */
        for (;;) {
            char *comma = strchr(p, ',');
            if (comma)
                *comma = '\0';
            char *item = sl_trim(p);
            if (item[0] == '\0') {
                reason = sl_asprintf("must be a comma-separated list without empty items, got "
                                     "\"%s\"",
                                     text);
                goto fail;
            }
            bool known = !row->choices;
            for (size_t i = 0; row->choices && row->choices[i] && !known; i++)
                known = strcmp(row->choices[i], item) == 0;
            if (!known) {
                sl_buf_t all;
                sl_buf_init(&all);
                for (size_t i = 0; row->choices[i]; i++)
                    sl_buf_printf(&all, "%s%s", i ? ", " : "", row->choices[i]);
                reason =
                    sl_asprintf("unknown item \"%s\"; items must be among: %s", item, all.data);
                sl_buf_free(&all);
                goto fail;
            }
            if (out->nitems == cap) {
                cap *= 2;
                out->items = sl_realloc(out->items, (cap + 1) * sizeof *out->items);
            }
            out->items[out->nitems++] = sl_strdup(item);
            out->items[out->nitems] = NULL;
            sl_buf_printf(&norm, "%s%s", norm.len ? "," : "", item);
            if (!comma)
                break;
            p = comma + 1;
        }
    }
    out->value = sl_buf_steal(&norm);
    out->num = (long long)out->nitems;
    free(copy);
    return NULL;
fail:
    sl_buf_free(&norm);
    free(copy);
    return reason;
}

/* Checks TEXT against ROW's type and fills OUT's value, num and items. Returns
 * NULL, or the reason it is bad (a new string); OUT is untouched on failure
 * except for items, which the caller clears. */
static char *
s_parse(const sl_config_t *c, const s_key_t *row, const char *text, s_value_t *out)
{
    long long v = 0;
    switch (row->type) {
    case S_STRING:
        out->value = sl_strdup(text);
        return NULL;
    case S_INT:
        if (!s_parse_ll(text, &v) || v < row->min || v > row->max)
            return sl_asprintf("must be an integer from %lld to %lld, got \"%s\"", row->min,
                               row->max, text);
        out->value = sl_strdup(text);
        out->num = v;
        return NULL;
    case S_BYTES: {
        size_t n = strlen(text);
        long long mult = 1;
        if (n > 0 && (text[n - 1] == 'K' || text[n - 1] == 'k'))
            mult = S_K;
        else if (n > 0 && (text[n - 1] == 'M' || text[n - 1] == 'm'))
            mult = S_M;
        char *digits = sl_strndup(text, mult == 1 ? n : n - 1);
        bool ok =
            s_all_digits(digits, strlen(digits)) && s_parse_ll(digits, &v) && v <= LLONG_MAX / mult;
        free(digits);
        v *= mult;
        if (!ok || v < row->min || v > row->max) {
            char lo[32], hi[32];
            s_format_bytes(row->min, lo, sizeof lo);
            s_format_bytes(row->max, hi, sizeof hi);
            return sl_asprintf("must be a size from %s to %s (bytes, or a number with a K or M "
                               "suffix), got \"%s\"",
                               lo, hi, text);
        }
        out->value = sl_strdup(text);
        out->num = v;
        return NULL;
    }
    case S_BOOL: {
        static const char *const yes[] = {"true", "yes", "on", "1"};
        static const char *const no[] = {"false", "no", "off", "0"};
        for (size_t i = 0; i < SL_ARRAY_LEN(yes); i++) {
            if (strcasecmp(text, yes[i]) == 0 || strcasecmp(text, no[i]) == 0) {
                out->num = strcasecmp(text, yes[i]) == 0;
                out->value = sl_strdup(out->num ? "true" : "false");
                return NULL;
            }
        }
        return sl_asprintf("must be true or false (or yes/no, on/off, 1/0), got \"%s\"", text);
    }
    case S_PATH:
        if (text[0] == '\0')
            return sl_strdup("must be a path, got \"\"");
        out->value = s_resolve(c->dir, text);
        return NULL;
    case S_ENDPOINT: {
        const char *rest = NULL;
        bool ok = false;
        if (strncmp(text, "tcp://", 6) == 0) {
            rest = text + 6;
            const char *colon = strrchr(rest, ':');
            long long port;
            ok = colon && colon > rest &&
                 (strcmp(colon + 1, "*") == 0 || s_parse_port(colon + 1, &port));
            if (ok) {
                out->value = sl_strdup(text);
                return NULL;
            }
        } else if (strncmp(text, "ipc://", 6) == 0) {
            rest = text + 6;
            if (rest[0] != '\0') {
                /* '@' names a Linux abstract socket, not a file */
                char *path = rest[0] == '@' ? sl_strdup(rest) : s_resolve(c->dir, rest);
                size_t max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1;
                if (strlen(path) > max) {
                    char *reason =
                        sl_asprintf("ipc path \"%s\" is longer than %zu bytes", path, max);
                    free(path);
                    return reason;
                }
                out->value = sl_asprintf("ipc://%s", path);
                free(path);
                return NULL;
            }
        } else if (strncmp(text, "inproc://", 9) == 0 && text[9] != '\0') {
            out->value = sl_strdup(text);
            return NULL;
        }
        return sl_asprintf("must be tcp://HOST:PORT, ipc://PATH or inproc://NAME, got \"%s\"",
                           text);
    }
    case S_DATE: {
        int32_t day;
        if (sl_date_parse(text, &day) != 0)
            return sl_asprintf("must be a date YYYY-MM-DD, got \"%s\"", text);
        out->value = sl_strdup(text);
        out->num = day;
        return NULL;
    }
    case S_TIME: {
        int h = -1, m = -1;
        if (strlen(text) == 5 && s_all_digits(text, 2) && text[2] == ':' &&
            s_all_digits(text + 3, 2)) {
            h = (text[0] - '0') * 10 + (text[1] - '0');
            m = (text[3] - '0') * 10 + (text[4] - '0');
        }
        if (h < 0 || h > 23 || m < 0 || m > 59)
            return sl_asprintf("must be a time HH:MM from 00:00 to 23:59, got \"%s\"", text);
        out->value = sl_strdup(text);
        out->num = h * 60 + m;
        return NULL;
    }
    case S_LEVEL: {
        int level = sl_log_level_parse(text);
        if (level < 0)
            return sl_asprintf("must be debug, info, warn or error, got \"%s\"", text);
        out->value = sl_strdup(text);
        out->num = level;
        return NULL;
    }
    case S_CODE:
        if (!s_is_code(text))
            return sl_asprintf("must be a 6-digit division code, got \"%s\"", text);
        out->value = sl_strdup(text);
        out->num = strtoll(text, NULL, 10);
        return NULL;
    case S_LIST:
        return s_parse_list(row, text, out);
    case S_HOSTPORT: {
        const char *colon = strrchr(text, ':');
        if (!colon || colon == text || !s_parse_port(colon + 1, &v))
            return sl_asprintf("must be HOST:PORT with a port from 0 to 65535 (0 disables), "
                               "got \"%s\"",
                               text);
        out->value = sl_strdup(text);
        out->num = v;
        return NULL;
    }
    }
    assert(!"unknown key type");
    return NULL;
}

static const s_value_t *
s_value_find(const sl_config_t *c, const char *section, const char *key)
{
    for (size_t i = 0; i < c->nvalues; i++)
        if (strcmp(c->values[i].section, section) == 0 && strcmp(c->values[i].key, key) == 0)
            return &c->values[i];
    return NULL;
}

/* ---- inih callbacks ----------------------------------------------------- */

/* Hands inih one line at a time, counting them. A line inih would misread is
 * an error here and goes to inih as an empty line. */
static char *
s_reader(char *str, int num, void *stream)
{
    s_load_t *ld = stream;
    if (ld->p >= ld->end)
        return NULL;
    const char *nl = memchr(ld->p, '\n', (size_t)(ld->end - ld->p));
    const char *line = ld->p;
    size_t n = nl ? (size_t)(nl - line) : (size_t)(ld->end - line);
    ld->p = nl ? nl + 1 : ld->end;
    ld->line++;
    if (ld->line == 1 && n >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
        line += 3; /* a UTF-8 byte order mark */
        n -= 3;
    }
    char *reason = NULL;
    size_t max = num > 2 ? (size_t)num - 2 : 0; /* room for '\n' and NUL */
    if (memchr(line, '\0', n))
        reason = sl_strdup("line holds a NUL byte");
    else if (!sl_utf8_valid(line, n))
        reason = sl_strdup("line is not valid UTF-8");
    else if (n > max)
        reason = sl_asprintf("line is longer than %zu bytes", max);
    else if (n > 0 && (line[0] == ' ' || line[0] == '\t')) {
        size_t i = 0;
        while (i < n && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
            i++;
        if (i < n && line[i] != ';' && line[i] != '#')
            reason = sl_strdup("line starts with white space (continuation lines are not "
                               "supported)");
    }
    if (reason) {
        s_fail(ld, ld->line, reason);
        strcpy(str, "\n");
        return str;
    }
    if (n > 0 && line[0] == '[') {
        const char *close = memchr(line, ']', n);
        if (close) {
            char *name = sl_strndup(line + 1, (size_t)(close - line - 1));
            bool seen = false;
            for (size_t i = 0; i < ld->c->nheaders && !seen; i++)
                seen = strcmp(ld->c->headers[i].name, name) == 0;
            if (!s_section_check(name, &reason)) {
                s_fail(ld, ld->line, reason);
                free(name);
            } else if (seen) {
                free(name);
            } else {
                sl_config_t *c = ld->c;
                if (c->nheaders == c->hcap) {
                    c->hcap = c->hcap ? 2 * c->hcap : 8;
                    c->headers = sl_realloc(c->headers, c->hcap * sizeof *c->headers);
                }
                c->headers[c->nheaders++] = (s_header_t){name, ld->line};
            }
        }
    }
    memcpy(str, line, n);
    str[n] = '\n';
    str[n + 1] = '\0';
    return str;
}

static int
s_handler(void *user, const char *section, const char *key, const char *value)
{
    s_load_t *ld = user;
    sl_config_t *c = ld->c;
    char *reason = NULL;
    if (ld->err)
        return 1; /* only the first error is reported */
    if (section[0] == '\0') {
        s_fail(ld, ld->line, sl_asprintf("%s: key before the first [section]", key));
        return 0;
    }
    const s_section_t *sec = s_section_check(section, &reason);
    if (!sec) {
        s_fail(ld, ld->line, reason);
        return 0;
    }
    const s_key_t *row = s_key_find(sec->name, key);
    if (!row) {
        s_fail(ld, ld->line, sl_asprintf("[%s] %s: unknown key", section, key));
        return 0;
    }
    const s_value_t *dup = s_value_find(c, section, key);
    if (dup) {
        s_fail(
            ld, ld->line,
            sl_asprintf("[%s] %s: duplicate key (first set on line %d)", section, key, dup->line));
        return 0;
    }
    s_value_t v = {0};
    reason = s_parse(c, row, value, &v);
    if (reason) {
        s_value_clear(&v);
        s_fail(ld, ld->line, sl_asprintf("[%s] %s: %s", section, key, reason));
        free(reason);
        return 0;
    }
    v.section = sl_strdup(section);
    v.key = sl_strdup(key);
    v.line = ld->line;
    if (c->nvalues == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 32;
        c->values = sl_realloc(c->values, c->cap * sizeof *c->values);
    }
    c->values[c->nvalues++] = v;
    return 1;
}

/* ---- checks across keys ------------------------------------------------- */

/* Required keys, then rules that tie keys together. Returns 0, or -1 after
 * s_fail. Runs on a fully parsed file, so lookups work. */
static int
s_check(s_load_t *ld)
{
    sl_config_t *c = ld->c;
    for (size_t i = 0; i < SL_ARRAY_LEN(s_keys); i++) {
        const s_key_t *row = &s_keys[i];
        if (row->required == S_REQUIRED && !s_value_find(c, row->section, row->key)) {
            s_fail(ld, 0, sl_asprintf("[%s] %s: required key missing", row->section, row->key));
            return -1;
        }
    }
    for (size_t h = 0; h < c->nheaders; h++) {
        const char *name = c->headers[h].name;
        size_t n = strcspn(name, ".");
        for (size_t i = 0; i < SL_ARRAY_LEN(s_keys); i++) {
            const s_key_t *row = &s_keys[i];
            if (row->required != S_IN_SECTION || strlen(row->section) != n ||
                strncmp(row->section, name, n) != 0 || s_value_find(c, name, row->key))
                continue;
            s_fail(ld, c->headers[h].line,
                   sl_asprintf("[%s] %s: required key missing", name, row->key));
            return -1;
        }
    }

    const s_value_t *np = s_value_find(c, "node", "parent");
    const s_value_t *pc = s_value_find(c, "parent", "code");
    if (np && pc && strcmp(np->value, pc->value) != 0) {
        s_fail(ld, pc->line,
               sl_asprintf("[parent] code: \"%s\" differs from [node] parent \"%s\"", pc->value,
                           np->value));
        return -1;
    }
    long long lo = sl_config_int(c, "dispatch", "retry_min_ms");
    long long hi = sl_config_int(c, "dispatch", "retry_max_ms");
    if (lo > hi) {
        char inst[32];
        snprintf(inst, sizeof inst, "dispatch.%d", c->instance);
        const s_value_t *v = s_value_find(c, inst, "retry_min_ms");
        if (!v)
            v = s_value_find(c, "dispatch", "retry_min_ms");
        if (!v)
            v = s_value_find(c, inst, "retry_max_ms");
        if (!v)
            v = s_value_find(c, "dispatch", "retry_max_ms");
        s_fail(ld, v ? v->line : 0,
               sl_asprintf("[%s] %s: retry_min_ms (%lld) exceeds retry_max_ms (%lld)",
                           v ? v->section : "dispatch", v ? v->key : "retry_min_ms", lo, hi));
        return -1;
    }
    return 0;
}

/* ---- public ------------------------------------------------------------- */

sl_config_t *
sl_config_load(const char *path, int instance, char **err)
{
    assert(path && err);
    *err = NULL;
    sl_config_t *c = sl_calloc(1, sizeof *c);
    s_load_t ld = {.c = c};
    char *text = NULL, *dirpart = NULL;
    c->path = sl_strdup(path);
    c->instance = instance;
    if (instance < 1 || instance > 99) {
        s_fail(&ld, 0, sl_asprintf("instance %d is not from 1 to 99", instance));
        goto fail;
    }

    struct stat st;
    size_t len = 0;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        s_fail(&ld, 0, sl_asprintf("cannot open: %s", strerror(EISDIR)));
        goto fail;
    }
    text = sl_read_file(path, &len);
    if (!text) {
        s_fail(&ld, 0, sl_asprintf("cannot open: %s", strerror(errno)));
        goto fail;
    }
    const char *slash = strrchr(path, '/');
    dirpart = slash ? sl_strndup(path, slash == path ? 1 : (size_t)(slash - path)) : sl_strdup(".");
    char *abs = realpath(dirpart, NULL);
    if (!abs) {
        s_fail(&ld, 0,
               sl_asprintf("cannot resolve directory \"%s\": %s", dirpart, strerror(errno)));
        goto fail;
    }
    c->dir = sl_strdup(abs);
    free(abs);

    for (size_t i = 0; i < SL_ARRAY_LEN(s_keys); i++) {
        if (!s_keys[i].def)
            continue;
        char *reason = s_parse(c, &s_keys[i], s_keys[i].def, &c->defaults[i]);
        assert(!reason && "a default in s_keys does not fit its own type");
        (void)reason;
    }

    ld.p = text;
    ld.end = text + len;
    int rc = ini_parse_stream(s_reader, &ld, s_handler, &ld);
    if (rc < 0) {
        s_fail(&ld, 0, sl_strdup("out of memory in the INI parser"));
        goto fail;
    }
    if (rc > 0 && (!ld.err || rc < ld.err_line)) {
        free(ld.err);
        ld.err = NULL;
        s_fail(&ld, rc, sl_strdup("syntax error: expected [section], key = value, or a comment"));
    }
    if (ld.err || s_check(&ld) != 0)
        goto fail;

    for (size_t h = 0; h < c->nheaders; h++) {
        const char *name = c->headers[h].name;
        const char *dot = strchr(name, '.');
        if (!dot)
            continue;
        const s_section_t *sec = s_section_find(name, (size_t)(dot - name));
        assert(sec);
        s_family_t *fam = &c->families[sec - s_sections];
        fam->names = sl_realloc(fam->names, (fam->n + 2) * sizeof *fam->names);
        fam->names[fam->n++] = sl_strdup(dot + 1);
        fam->names[fam->n] = NULL;
    }
    free(text);
    free(dirpart);
    return c;

fail:
    *err = ld.err_line ? sl_asprintf("%s:%d: %s", path, ld.err_line, ld.err)
                       : sl_asprintf("%s: %s", path, ld.err);
    free(ld.err);
    free(text);
    free(dirpart);
    sl_config_destroy(&c);
    return NULL;
}

void
sl_config_destroy(sl_config_t **p)
{
    if (!p || !*p)
        return;
    sl_config_t *c = *p;
    for (size_t i = 0; i < c->nvalues; i++)
        s_value_clear(&c->values[i]);
    free(c->values);
    for (size_t i = 0; i < c->nheaders; i++)
        free(c->headers[i].name);
    free(c->headers);
    for (size_t i = 0; i < SL_ARRAY_LEN(s_keys); i++)
        s_value_clear(&c->defaults[i]);
    for (size_t i = 0; i < SL_ARRAY_LEN(s_sections); i++) {
        for (size_t j = 0; j < c->families[i].n; j++)
            free(c->families[i].names[j]);
        free(c->families[i].names);
    }
    free(c->path);
    free(c->dir);
    free(c);
    *p = NULL;
}

/* The value that applies to KEY in SECTION: the file's (instance section first),
 * else the default if WITH_DEFAULT; NULL if none. *ROWP gets the table row. */
static const s_value_t *
s_lookup(const sl_config_t *c, const char *section, const char *key, const s_key_t **rowp,
         bool with_default)
{
    const char *dot = strchr(section, '.');
    size_t n = dot ? (size_t)(dot - section) : strlen(section);
    const s_section_t *sec = s_section_find(section, n);
    assert(sec && "section not in the config table");
    const s_key_t *row = NULL;
    for (size_t i = 0; i < SL_ARRAY_LEN(s_keys) && !row; i++)
        if (strlen(s_keys[i].section) == n && strncmp(s_keys[i].section, section, n) == 0 &&
            strcmp(s_keys[i].key, key) == 0)
            row = &s_keys[i];
    assert(row && "key not in the config table");
    *rowp = row;

    const s_value_t *v = NULL;
    if (sec->kind == S_INSTANCE && !dot) {
        char inst[64];
        snprintf(inst, sizeof inst, "%s.%d", sec->name, c->instance);
        v = s_value_find(c, inst, key);
    } else if (sec->kind == S_CODES || sec->kind == S_NAMES) {
        assert(dot && "a family section needs its name after the dot");
    }
    if (!v)
        v = s_value_find(c, section, key);
    if (!v && sec->kind == S_INSTANCE && dot)
        v = s_value_find(c, sec->name, key);
    if (!v && with_default && c->defaults[row - s_keys].value)
        v = &c->defaults[row - s_keys];
    return v;
}

const char *
sl_config_str(const sl_config_t *c, const char *section, const char *key)
{
    const s_key_t *row;
    const s_value_t *v = s_lookup(c, section, key, &row, true);
    return v ? v->value : NULL;
}

long long
sl_config_int(const sl_config_t *c, const char *section, const char *key)
{
    const s_key_t *row;
    const s_value_t *v = s_lookup(c, section, key, &row, true);
    assert(row->type == S_INT || row->type == S_BYTES || row->type == S_BOOL ||
           row->type == S_DATE || row->type == S_TIME || row->type == S_LEVEL ||
           row->type == S_HOSTPORT);
    return v ? v->num : 0;
}

bool
sl_config_bool(const sl_config_t *c, const char *section, const char *key)
{
    const s_key_t *row;
    const s_value_t *v = s_lookup(c, section, key, &row, true);
    assert(row->type == S_BOOL);
    return v ? v->num != 0 : false;
}

bool
sl_config_has(const sl_config_t *c, const char *section, const char *key)
{
    const s_key_t *row;
    return s_lookup(c, section, key, &row, false) != NULL;
}

size_t
sl_config_list(const sl_config_t *c, const char *section, const char *key,
               const char *const **items)
{
    static const char *const none[] = {NULL};
    const s_key_t *row;
    const s_value_t *v = s_lookup(c, section, key, &row, true);
    assert(row->type == S_LIST);
    if (!v || v->nitems == 0) {
        *items = none;
        return 0;
    }
    *items = (const char *const *)v->items;
    return v->nitems;
}

size_t
sl_config_family(const sl_config_t *c, const char *family, const char *const **names)
{
    static const char *const none[] = {NULL};
    const s_section_t *sec = s_section_find(family, strlen(family));
    assert(sec && "family not in the config table");
    const s_family_t *fam = &c->families[sec - s_sections];
    *names = fam->n ? (const char *const *)fam->names : none;
    return fam->n;
}

const char *
sl_config_path(const sl_config_t *c)
{
    return c->path;
}

const char *
sl_config_dir(const sl_config_t *c)
{
    return c->dir;
}

int
sl_config_instance(const sl_config_t *c)
{
    return c->instance;
}

const char *
sl_config_node(const sl_config_t *c)
{
    return sl_config_str(c, "node", "code");
}

static const char *
s_section_pattern(const s_section_t *sec, char *buf, size_t size)
{
    switch (sec->kind) {
    case S_INSTANCE:
        snprintf(buf, size, "[%s], [%s.N]", sec->name, sec->name);
        break;
    case S_CODES:
        snprintf(buf, size, "[%s.CODE]", sec->name);
        break;
    case S_NAMES:
        snprintf(buf, size, "[%s.NAME]", sec->name);
        break;
    case S_PLAIN:
        snprintf(buf, size, "[%s]", sec->name);
        break;
    }
    return buf;
}

int
sl_config_print_keys(FILE *f)
{
    for (size_t s = 0; s < SL_ARRAY_LEN(s_sections); s++) {
        const s_section_t *sec = &s_sections[s];
        char pat[64];
        fprintf(f, "%s%s  %s\n", s ? "\n" : "", s_section_pattern(sec, pat, sizeof pat), sec->help);
        if (sec->kind == S_INSTANCE)
            fprintf(f, "  (instance N reads [%s.N] first, then [%s], then the default)\n",
                    sec->name, sec->name);
        for (size_t i = 0; i < SL_ARRAY_LEN(s_keys); i++) {
            const s_key_t *row = &s_keys[i];
            if (strcmp(row->section, sec->name) != 0)
                continue;
            sl_buf_t d;
            sl_buf_init(&d);
            sl_buf_puts(&d, s_type_names[row->type]);
            if (row->type == S_INT)
                sl_buf_printf(&d, " %lld..%lld", row->min, row->max);
            if (row->type == S_BYTES) {
                char lo[32], hi[32];
                s_format_bytes(row->min, lo, sizeof lo);
                s_format_bytes(row->max, hi, sizeof hi);
                sl_buf_printf(&d, " %s..%s", lo, hi);
            }
            if (row->required == S_REQUIRED)
                sl_buf_puts(&d, ", required");
            else if (row->required == S_IN_SECTION)
                sl_buf_puts(&d, ", required in the section");
            else if (row->def)
                sl_buf_printf(&d, ", default \"%s\"", row->def);
            fprintf(f, "  %-18s %s\n  %-18s %s\n", row->key, d.data, "", row->help);
            if (row->choices) {
                fprintf(f, "  %-18s items:", "");
                for (size_t k = 0; row->choices[k]; k++)
                    fprintf(f, "%s %s", k ? "," : "", row->choices[k]);
                fputc('\n', f);
            }
            sl_buf_free(&d);
        }
    }
    return ferror(f) || fflush(f) != 0 ? -1 : 0;
}

bool
sl_config_key_at(size_t i, const char **section, const char **key)
{
    if (i >= SL_ARRAY_LEN(s_keys))
        return false;
    const s_key_t *row = &s_keys[i];
    const s_section_t *sec = s_section_find(row->section, strlen(row->section));
    assert(sec);
    *section = sec->ref;
    *key = row->key;
    return true;
}
