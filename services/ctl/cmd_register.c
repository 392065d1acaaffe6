/* cmd_register.c — slctl inspection, spotcheck and interview: the register of
 * inspections, the city's spot checks and the 约谈问责 list (issue 18).
 *
 * A row (one by flags, or a CSV file checked whole first: a bad line names
 * its line and reason and nothing is sent) travels through the node's intake
 * like any change, with a msg_id made from the register's key, so sending the
 * same row or file again adds nothing. A draw is administration on the
 * database (sl_spotcheck_draw); lists and exports read it. */
#include "slctl.h"

#include "sl_accident.h"
#include "sl_arena.h"
#include "sl_clock.h"
#include "sl_codec.h"
#include "sl_finding.h"
#include "sl_inspection.h"
#include "sl_ledger.h"
#include "sl_official.h"
#include "sl_plan.h"
#include "sl_pledge.h"
#include "sl_register.h"
#include "sl_route.h"
#include "sl_sector.h"
#include "sl_spotcheck.h"
#include "sl_util.h"

#include <getopt.h>
#include <inttypes.h>
#include <pwd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char s_usage[] =
    "usage: slctl inspection add --unit NAME --credit-code C --sector S --division D\n"
    "                            [--township T] --body B --date YYYY-MM-DD [--findings T]\n"
    "                            [--problem] [--punished]\n"
    "       slctl inspection import FILE.csv   check every line, then send each row\n"
    "       slctl inspection list|export [--county D] [--sector S] [--out FILE]\n"
    "       slctl spotcheck draw --county D --sector S --share N [--seed N] [--operator NAME]\n"
    "       slctl spotcheck show DRAW_ID        the units a draw picked\n"
    "       slctl spotcheck record --inspection KEY --date YYYY-MM-DD --body B\n"
    "                            [--findings T] [--problem] [--should-punish]\n"
    "       slctl interview list|export [--out FILE]   the 约谈问责 list\n"
    "       slctl accident import FILE.csv | list | export [--out FILE]\n"
    "       slctl accident focus               places with a 较大 or graver accident (开小灶)\n"
    "       slctl official import FILE.csv | list | export [--out FILE]   posts held (no phones)\n"
    "       slctl trace --person NAME|PERSON_ID | --case CASE_NO\n"
    "       slctl finding import FILE.csv | list | export [--out FILE]   earlier findings\n"
    "                            as cases; list/export: the special ledger (专项台账)\n"
    "       slctl liaison import FILE.csv | list | export | contacts   联络人 (contacts: with\n"
    "                            phones, for the office only)\n"
    "       slctl commitment import FILE.csv | list | export | count   安全承诺 (count:\n"
    "                            annex 4's column per county)\n"
    "       slctl plan import FILE.csv | list | export   实施方案 of each member unit against\n"
    "                            the campaign's date; plan due CAMPAIGN --date D sets it\n"
    "\n"
    "  An inspection's KEY is credit_code|date|inspecting body; the import file's\n"
    "  header is 被检查单位,统一社会信用代码,行业领域,县级行政区划代码,乡镇（街道）,\n"
    "  检查主体,检查日期,检查发现,发现问题,已处罚 (是/否); an accident file's is 事故日期,\n"
    "  县级行政区划代码,乡镇（街道）,事故地点,事故单位,统一社会信用代码,行业领域,事故等级\n"
    "  (一般/较大/重大/特别重大),死亡人数,受伤人数,瞒报,事故简况,个体经营者姓名; an official\n"
    "  file's is 人员编号,姓名,单位,职务,任职起始,任职终止,联系电话; a finding file's is\n"
    "  来源清单 (大督查/大盘点/大起底/近三年举报),原编号,被举报单位,统一社会信用代码,行业领域,\n"
    "  县级行政区划代码,乡镇（街道）,问题描述,重大事故隐患; a liaison file's is 单位,姓名,职务,\n"
    "  办公电话,手机; a commitment file's is 承诺单位,统一社会信用代码,县级行政区划代码,承诺人,\n"
    "  签署日期,公开方式 (电视台/张贴/其他); a plan file's is 单位,方案名称,印发日期.\n"
    "  export writes CSV, UTF-8 with BOM.\n";

typedef struct {
    const char *unit, *credit, *sector, *division, *township, *body, *date, *findings;
    const char *inspection, *out, *operator_name;
    bool problem, punished, should_punish;
    int share;
    bool has_seed;
    uint64_t seed;
} s_opts_t;

enum {
    O_UNIT = 256,
    O_CREDIT,
    O_SECTOR,
    O_DIVISION,
    O_TOWNSHIP,
    O_BODY,
    O_DATE,
    O_FINDINGS,
    O_PROBLEM,
    O_PUNISHED,
    O_SHOULD,
    O_SHARE,
    O_SEED,
    O_INSPECTION,
    O_OUT,
    O_OPERATOR
};

static void
s_parse(int argc, char **argv, s_opts_t *o)
{
    static const struct option opts[] = {{"unit", required_argument, NULL, O_UNIT},
                                         {"credit-code", required_argument, NULL, O_CREDIT},
                                         {"sector", required_argument, NULL, O_SECTOR},
                                         {"division", required_argument, NULL, O_DIVISION},
                                         {"county", required_argument, NULL, O_DIVISION},
                                         {"township", required_argument, NULL, O_TOWNSHIP},
                                         {"body", required_argument, NULL, O_BODY},
                                         {"date", required_argument, NULL, O_DATE},
                                         {"findings", required_argument, NULL, O_FINDINGS},
                                         {"problem", no_argument, NULL, O_PROBLEM},
                                         {"punished", no_argument, NULL, O_PUNISHED},
                                         {"should-punish", no_argument, NULL, O_SHOULD},
                                         {"share", required_argument, NULL, O_SHARE},
                                         {"seed", required_argument, NULL, O_SEED},
                                         {"inspection", required_argument, NULL, O_INSPECTION},
                                         {"out", required_argument, NULL, O_OUT},
                                         {"operator", required_argument, NULL, O_OPERATOR},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    memset(o, 0, sizeof *o);
    optind = 0; /* glibc: reinitialise getopt (permutes operands after options) */
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case O_UNIT:
            o->unit = optarg;
            break;
        case O_CREDIT:
            o->credit = optarg;
            break;
        case O_SECTOR:
            o->sector = optarg;
            break;
        case O_DIVISION:
            o->division = optarg;
            break;
        case O_TOWNSHIP:
            o->township = optarg;
            break;
        case O_BODY:
            o->body = optarg;
            break;
        case O_DATE:
            o->date = optarg;
            break;
        case O_FINDINGS:
            o->findings = optarg;
            break;
        case O_PROBLEM:
            o->problem = true;
            break;
        case O_PUNISHED:
            o->punished = true;
            break;
        case O_SHOULD:
            o->should_punish = true;
            break;
        case O_SHARE:
            o->share = atoi(optarg);
            break;
        case O_SEED:
            o->has_seed = true;
            o->seed = (uint64_t)strtoll(optarg, NULL, 10);
            break;
        case O_INSPECTION:
            o->inspection = optarg;
            break;
        case O_OUT:
            o->out = optarg;
            break;
        case O_OPERATOR:
            o->operator_name = optarg;
            break;
        case 'h':
            fputs(s_usage, stdout);
            exit(SL_EXIT_OK);
        default:
            fputs(s_usage, stderr);
            exit(SL_EXIT_USAGE);
        }
    }
}

/* The sector named S (COAL_MINE or 煤 …), or 0 for NULL; exits 2 if unknown. */
static int
s_sector(const char *s)
{
    if (!s)
        return 0;
    int v = sl_register_sector(s);
    if (!v)
        sl_ctl_die(SL_EXIT_USAGE, "unknown sector \"%s\" (COAL_MINE … or 煤 …)", s);
    return v;
}

/* Sends ENV (its body set) with msg_id MSG_ID; returns the exit code. */
static int
s_send(sl_ctl_t *ctl, sl_pb_envelope_t *env, const char *msg_id)
{
    env->msg_id = (char *)msg_id;
    env->producer = "slctl";
    env->sent_at = sl_now_ms();
    size_t len;
    uint8_t *bytes = sl_codec_encode_envelope(env, &len);
    int rc = sl_ctl_send(ctl, NULL, bytes, len, msg_id, 10.0);
    free(bytes);
    return rc;
}

/* One register as slctl sends its rows: the import file's columns and how a
 * line becomes a body, is checked and keyed, and travels. */
typedef struct {
    const char *prefix; /* msg_id prefix, e.g. "insp" */
    size_t size;        /* bytes of the body message */
    int ncols;          /* import columns */
    const char *const *(*header)(void);
    int (*from_fields)(char *const *f, void *msg, sl_codec_error_t *err);
    int (*validate)(void *msg, const sl_route_map_t *routes, sl_codec_error_t *err);
    void (*key)(const void *msg, char *out, size_t size);
    void (*set_body)(sl_pb_envelope_t *env, void *msg);
} s_register_t;

static int
s_insp_fields(char *const *f, void *m, sl_codec_error_t *e)
{
    return sl_inspection_from_fields(f, m, e);
}
static int
s_insp_valid(void *m, const sl_route_map_t *r, sl_codec_error_t *e)
{
    return sl_inspection_validate(m, r, e);
}
static void
s_insp_key(const void *m, char *out, size_t size)
{
    sl_inspection_key(m, out, size);
}
static void
s_insp_body(sl_pb_envelope_t *env, void *m)
{
    env->body_case = SAFELOOP__V1__ENVELOPE__BODY_INSPECTION;
    env->inspection = m;
}
static const s_register_t s_inspections = {"insp",
                                           sizeof(sl_pb_inspection_t),
                                           SL_INSPECTION_CSV_COLS,
                                           sl_inspection_csv_header,
                                           s_insp_fields,
                                           s_insp_valid,
                                           s_insp_key,
                                           s_insp_body};

static int
s_acc_fields(char *const *f, void *m, sl_codec_error_t *e)
{
    return sl_accident_from_fields(f, m, e);
}
static int
s_acc_valid(void *m, const sl_route_map_t *r, sl_codec_error_t *e)
{
    return sl_accident_validate(m, r, e);
}
static void
s_acc_key(const void *m, char *out, size_t size)
{
    sl_accident_key(m, out, size);
}
static void
s_acc_body(sl_pb_envelope_t *env, void *m)
{
    env->body_case = SAFELOOP__V1__ENVELOPE__BODY_ACCIDENT;
    env->accident = m;
}
static const s_register_t s_accidents = {"acc",
                                         sizeof(sl_pb_accident_t),
                                         SL_ACCIDENT_CSV_COLS,
                                         sl_accident_csv_header,
                                         s_acc_fields,
                                         s_acc_valid,
                                         s_acc_key,
                                         s_acc_body};

static int
s_off_fields(char *const *f, void *m, sl_codec_error_t *e)
{
    return sl_official_from_fields(f, m, e);
}
static int
s_off_valid(void *m, const sl_route_map_t *r, sl_codec_error_t *e)
{
    (void)r;
    return sl_official_validate(m, e);
}
static void
s_off_key(const void *m, char *out, size_t size)
{
    sl_official_key(m, out, size);
}
static void
s_off_body(sl_pb_envelope_t *env, void *m)
{
    env->body_case = SAFELOOP__V1__ENVELOPE__BODY_OFFICIAL;
    env->official = m;
}
static const s_register_t s_officials = {"off",
                                         sizeof(sl_pb_official_t),
                                         SL_OFFICIAL_CSV_COLS,
                                         sl_official_csv_header,
                                         s_off_fields,
                                         s_off_valid,
                                         s_off_key,
                                         s_off_body};

static int
s_find_fields(char *const *f, void *m, sl_codec_error_t *e)
{
    return sl_finding_from_fields(f, sl_now_ms(), m, e);
}
static int
s_find_valid(void *m, const sl_route_map_t *r, sl_codec_error_t *e)
{
    return sl_finding_prepare(&((sl_finding_row_t *)m)->finding, r, e);
}
static void
s_find_key(const void *m, char *out, size_t size)
{
    sl_finding_key(&((const sl_finding_row_t *)m)->finding, out, size);
}
static void
s_find_body(sl_pb_envelope_t *env, void *m)
{
    env->body_case = SAFELOOP__V1__ENVELOPE__BODY_FINDING;
    env->finding = &((sl_finding_row_t *)m)->finding;
}
static const s_register_t s_findings = {"find",
                                        sizeof(sl_finding_row_t),
                                        SL_FINDING_CSV_COLS,
                                        sl_finding_csv_header,
                                        s_find_fields,
                                        s_find_valid,
                                        s_find_key,
                                        s_find_body};

static int
s_lia_fields(char *const *f, void *m, sl_codec_error_t *e)
{
    return sl_liaison_from_fields(f, m, e);
}
static int
s_lia_valid(void *m, const sl_route_map_t *r, sl_codec_error_t *e)
{
    (void)r;
    return sl_liaison_validate(m, e);
}
static void
s_lia_key(const void *m, char *out, size_t size)
{
    sl_liaison_key(m, out, size);
}
static void
s_lia_body(sl_pb_envelope_t *env, void *m)
{
    env->body_case = SAFELOOP__V1__ENVELOPE__BODY_LIAISON;
    env->liaison = m;
}
static const s_register_t s_liaisons = {"lia",
                                        sizeof(sl_pb_liaison_t),
                                        SL_LIAISON_CSV_COLS,
                                        sl_liaison_csv_header,
                                        s_lia_fields,
                                        s_lia_valid,
                                        s_lia_key,
                                        s_lia_body};

static int
s_com_fields(char *const *f, void *m, sl_codec_error_t *e)
{
    return sl_commitment_from_fields(f, m, e);
}
static int
s_com_valid(void *m, const sl_route_map_t *r, sl_codec_error_t *e)
{
    return sl_commitment_validate(m, r, e);
}
static void
s_com_key(const void *m, char *out, size_t size)
{
    sl_commitment_key(m, out, size);
}
static void
s_com_body(sl_pb_envelope_t *env, void *m)
{
    env->body_case = SAFELOOP__V1__ENVELOPE__BODY_COMMITMENT;
    env->commitment = m;
}
static const s_register_t s_commitments = {"com",
                                           sizeof(sl_pb_commitment_t),
                                           SL_COMMITMENT_CSV_COLS,
                                           sl_commitment_csv_header,
                                           s_com_fields,
                                           s_com_valid,
                                           s_com_key,
                                           s_com_body};

static int
s_plan_fields(char *const *f, void *m, sl_codec_error_t *e)
{
    return sl_plan_from_fields(f, m, e);
}
static int
s_plan_valid(void *m, const sl_route_map_t *r, sl_codec_error_t *e)
{
    (void)r;
    return sl_plan_validate(m, e);
}
static void
s_plan_key(const void *m, char *out, size_t size)
{
    sl_plan_key(m, out, size);
}
static void
s_plan_body(sl_pb_envelope_t *env, void *m)
{
    env->body_case = SAFELOOP__V1__ENVELOPE__BODY_PLAN;
    env->plan = m;
}
static const s_register_t s_plans = {
    "plan",        sizeof(sl_pb_plan_t), SL_PLAN_CSV_COLS, sl_plan_csv_header,
    s_plan_fields, s_plan_valid,         s_plan_key,       s_plan_body};

/* Sends register REG's row MSG with the msg_id its key gives; the exit code. */
static int
s_send_row(sl_ctl_t *ctl, const s_register_t *reg, void *msg)
{
    char key[1024], msg_id[SL_REGISTER_MSG_ID_LEN + 1];
    reg->key(msg, key, sizeof key);
    sl_register_msg_id(reg->prefix, key, msg_id);
    sl_pb_envelope_t env = SL_PB_ENVELOPE_INIT;
    reg->set_body(&env, msg);
    return s_send(ctl, &env, msg_id);
}

static int
s_inspection_add(sl_ctl_t *ctl, const s_opts_t *o)
{
    sl_pb_inspection_t in = SAFELOOP__V1__INSPECTION__INIT;
    in.unit_name = (char *)(o->unit ? o->unit : "");
    in.credit_code = (char *)(o->credit ? o->credit : "");
    in.sector = (Safeloop__V1__Sector)s_sector(o->sector);
    in.division = (char *)(o->division ? o->division : "");
    in.township = (char *)(o->township ? o->township : "");
    in.inspecting_body = (char *)(o->body ? o->body : "");
    in.inspected_on = (char *)(o->date ? o->date : "");
    in.findings = (char *)(o->findings ? o->findings : "");
    in.problem_found = o->problem;
    in.punished = o->punished;
    sl_codec_error_t err;
    if (sl_inspection_validate(&in, NULL, &err) != 0)
        sl_ctl_die(SL_EXIT_USAGE, "%s: %s", err.code, err.text);
    return s_send_row(ctl, &s_inspections, &in);
}

/* The import file's rows, all checked before any is sent. */
typedef struct {
    const s_register_t *reg;      /* which register */
    const sl_route_map_t *routes; /* the node's territory */
    sl_arena_t *arena;            /* the rows and their strings */
    void **rows;                  /* checked rows */
    size_t n;
} s_import_t;

static int
s_import_line(void *arg, int lineno, char **f, int n, char **err)
{
    (void)lineno;
    s_import_t *im = arg;
    char **kept = sl_arena_alloc(im->arena, (size_t)n * sizeof *kept);
    for (int i = 0; i < n; i++)
        kept[i] = sl_arena_strdup(im->arena, f[i]);
    void *msg = sl_arena_alloc(im->arena, im->reg->size);
    sl_codec_error_t e;
    if (im->reg->from_fields(kept, msg, &e) != 0 || im->reg->validate(msg, im->routes, &e) != 0) {
        *err = sl_asprintf("%s（%s）", e.text, e.code);
        return -1;
    }
    im->rows = sl_realloc(im->rows, (im->n + 1) * sizeof *im->rows);
    im->rows[im->n++] = msg;
    return 0;
}

/* slctl REGISTER import PATH: every line checked (nothing sent if any is
 * bad: each named on stderr, exit 2), then each row sent through intake. */
static int
s_import(sl_ctl_t *ctl, const s_register_t *reg, const char *path)
{
    size_t len;
    char *text = sl_read_file(path, &len);
    if (!text)
        sl_ctl_die(SL_EXIT_FAIL, "could not read %s: %m", path);
    sl_db_t *db = sl_ctl_db_current(ctl);
    sl_route_map_t *routes = sl_route_map_load(db, sl_config_node(sl_ctl_config(ctl)));
    if (!routes)
        sl_ctl_die(SL_EXIT_FAIL, "could not load the node's divisions: %s", sl_db_error(db));
    s_import_t im = {.reg = reg, .routes = routes, .arena = sl_arena_new(0)};
    char *errs = NULL;
    int bad = sl_csv_each(text, len, reg->header(), reg->ncols, s_import_line, &im, &errs);
    int rc = SL_EXIT_OK;
    if (bad) {
        char *save = NULL;
        for (char *l = strtok_r(errs, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
            fprintf(stderr, "slctl: %s: %s\n", path, l);
        fprintf(stderr, "slctl: %s: %d bad line(s); nothing was sent\n", path, bad);
        rc = SL_EXIT_USAGE;
    } else {
        size_t sent = 0;
        for (size_t i = 0; i < im.n && rc == SL_EXIT_OK; i++, sent++)
            rc = s_send_row(ctl, reg, im.rows[i]);
        fprintf(stderr, "slctl: %s: %zu of %zu row(s) sent\n", path, sent, im.n);
    }
    free(errs);
    free(im.rows);
    sl_arena_destroy(&im.arena);
    sl_route_map_destroy(&routes);
    free(text);
    return rc;
}

/* --- listing ---------------------------------------------------------------- */

static void
s_tab_row(void *arg, const char *const *cols)
{
    size_t n = *(const size_t *)arg;
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            putchar('\t');
        for (const char *s = cols[i]; *s; s++)
            putchar(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s);
    }
    putchar('\n');
}

typedef struct {
    sl_buf_t buf; /* the CSV text */
    size_t n;     /* columns */
} s_csv_t;

static void
s_csv_row(void *arg, const char *const *cols)
{
    s_csv_t *c = arg;
    sl_ledger_csv_row(&c->buf, cols, c->n);
}

/* Writes C's CSV to PATH (stdout if NULL) and frees it; exits 1 on failure. */
static int
s_write_csv(s_csv_t *c, const char *path)
{
    FILE *f = path ? fopen(path, "wb") : stdout;
    if (!f) {
        sl_buf_free(&c->buf);
        sl_ctl_die(SL_EXIT_FAIL, "could not open %s for writing: %m", path);
    }
    bool ok = fwrite(c->buf.data, 1, c->buf.len, f) == c->buf.len;
    ok = (path ? fclose(f) : fflush(f)) == 0 && ok;
    sl_buf_free(&c->buf);
    if (!ok)
        sl_ctl_die(SL_EXIT_FAIL, "could not write %s: %m", path ? path : "stdout");
    return SL_EXIT_OK;
}

static int s_print(sl_ctl_t *ctl, int (*rows)(sl_db_t *, sl_db_row_cb *, void *), size_t ncols);

/* list (tab-separated) or export (CSV with BOM and Chinese headers) of the
 * rows ROWS gives. */
typedef int(s_rows_fn)(sl_db_t *db, const s_opts_t *o, sl_db_row_cb *cb, void *arg);

static int
s_list(sl_ctl_t *ctl, const s_opts_t *o, bool export, const char *const *headers, size_t ncols,
       s_rows_fn *rows)
{
    sl_db_t *db = sl_ctl_db_current(ctl);
    if (!export) {
        if (rows(db, o, s_tab_row, &ncols) != 0)
            sl_ctl_die(SL_EXIT_FAIL, "could not read the register: %s", sl_db_error(db));
        return SL_EXIT_OK;
    }
    s_csv_t c = {.n = ncols};
    sl_buf_init(&c.buf);
    sl_buf_puts(&c.buf, SL_LEDGER_BOM);
    sl_ledger_csv_row(&c.buf, headers, ncols);
    if (rows(db, o, s_csv_row, &c) != 0) {
        sl_buf_free(&c.buf);
        sl_ctl_die(SL_EXIT_FAIL, "could not read the register: %s", sl_db_error(db));
    }
    return s_write_csv(&c, o->out);
}

static int
s_inspection_rows(sl_db_t *db, const s_opts_t *o, sl_db_row_cb *cb, void *arg)
{
    return sl_inspection_rows(db, o->division, s_sector(o->sector), cb, arg);
}

static int
s_interview_rows(sl_db_t *db, const s_opts_t *o, sl_db_row_cb *cb, void *arg)
{
    (void)o;
    return sl_interview_rows(db, cb, arg);
}

/* slctl NAME import FILE | list | export [--out FILE] for register REG (its
 * listing HEADERS, NCOLS, ROWS); 0 and *HANDLED false if SUB is none of them. */
static int
s_register_command(sl_ctl_t *ctl, const char *sub, const char *path, const s_opts_t *o,
                   const s_register_t *reg, const char *const *headers, size_t ncols,
                   s_rows_fn *rows, bool *handled)
{
    *handled = true;
    if (strcmp(sub, "import") == 0) {
        if (!path)
            sl_ctl_die(SL_EXIT_USAGE, "import needs FILE.csv");
        return s_import(ctl, reg, path);
    }
    if (strcmp(sub, "list") == 0 || strcmp(sub, "export") == 0)
        return s_list(ctl, o, strcmp(sub, "export") == 0, headers, ncols, rows);
    *handled = false;
    return 0;
}

/* The subcommand, its options and its one argument (NULL if none). */
static const char *
s_sub(int argc, char **argv, s_opts_t *o, const char **arg)
{
    s_parse(argc - 1, argv + 1, o);
    *arg = optind + 1 < argc ? argv[1 + optind] : NULL;
    return argc > 1 ? argv[1] : "";
}

int
sl_ctl_inspection(sl_ctl_t *ctl, int argc, char **argv)
{
    s_opts_t o;
    const char *arg, *sub = s_sub(argc, argv, &o, &arg);
    bool handled;
    int rc = s_register_command(ctl, sub, arg, &o, &s_inspections, sl_inspection_headers(),
                                SL_INSPECTION_COLS, s_inspection_rows, &handled);
    if (handled)
        return rc;
    if (strcmp(sub, "add") == 0)
        return s_inspection_add(ctl, &o);
    fputs(s_usage, stderr);
    return SL_EXIT_USAGE;
}

static int
s_accident_rows(sl_db_t *db, const s_opts_t *o, sl_db_row_cb *cb, void *arg)
{
    (void)o;
    return sl_accident_rows(db, cb, arg);
}

int
sl_ctl_accident(sl_ctl_t *ctl, int argc, char **argv)
{
    s_opts_t o;
    const char *arg, *sub = s_sub(argc, argv, &o, &arg);
    bool handled;
    int rc = s_register_command(ctl, sub, arg, &o, &s_accidents, sl_accident_headers(),
                                SL_ACCIDENT_COLS, s_accident_rows, &handled);
    if (handled)
        return rc;
    if (strcmp(sub, "focus") == 0)
        return s_print(ctl, sl_accident_focus_rows, 5);
    fputs(s_usage, stderr);
    return SL_EXIT_USAGE;
}

static int
s_official_rows(sl_db_t *db, const s_opts_t *o, sl_db_row_cb *cb, void *arg)
{
    (void)o;
    return sl_official_rows(db, cb, arg);
}

int
sl_ctl_official(sl_ctl_t *ctl, int argc, char **argv)
{
    s_opts_t o;
    const char *arg, *sub = s_sub(argc, argv, &o, &arg);
    bool handled;
    int rc = s_register_command(ctl, sub, arg, &o, &s_officials, sl_official_headers(),
                                SL_OFFICIAL_COLS, s_official_rows, &handled);
    if (handled)
        return rc;
    fputs(s_usage, stderr);
    return SL_EXIT_USAGE;
}

/* The persons a name or id matches, kept for `trace --person`. */
typedef struct {
    size_t n;
    char id[128];
} s_persons_t;

static void
s_person_row(void *arg, const char *const *cols)
{
    s_persons_t *p = arg;
    if (p->n++ == 0)
        snprintf(p->id, sizeof p->id, "%s", cols[0]);
    fprintf(stderr, "slctl: %s\t%s\t%s\n", cols[0], cols[1], cols[2]);
}

int
sl_ctl_trace(sl_ctl_t *ctl, int argc, char **argv)
{
    static const struct option opts[] = {{"person", required_argument, NULL, 'p'},
                                         {"case", required_argument, NULL, 'c'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *person = NULL, *case_no = NULL;
    int c;
    optind = 0; /* glibc: reinitialise getopt (permutes operands after options) */
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'p')
            person = optarg;
        else if (c == 'c')
            case_no = optarg;
        else {
            fputs("usage: slctl trace --person NAME|PERSON_ID | --case CASE_NO\n",
                  c == 'h' ? stdout : stderr);
            return c == 'h' ? SL_EXIT_OK : SL_EXIT_USAGE;
        }
    }
    if (!person == !case_no)
        sl_ctl_die(SL_EXIT_USAGE, "trace needs --person NAME|PERSON_ID or --case CASE_NO");
    sl_db_t *db = sl_ctl_db_current(ctl);
    size_t ncols = case_no ? 7 : 6;
    if (case_no) {
        if (sl_official_trace_case(db, case_no, s_tab_row, &ncols) != 0)
            sl_ctl_die(SL_EXIT_FAIL, "could not trace %s: %s", case_no, sl_db_error(db));
        return SL_EXIT_OK;
    }
    s_persons_t who = {0};
    int n = sl_official_persons(db, person, s_person_row, &who);
    if (n < 0)
        sl_ctl_die(SL_EXIT_FAIL, "could not read the officials: %s", sl_db_error(db));
    if (n == 0)
        sl_ctl_die(SL_EXIT_FAIL, "nobody in the officials register is \"%s\"", person);
    if (n > 1)
        sl_ctl_die(SL_EXIT_FAIL, "\"%s\" names %d people (listed above): trace --person PERSON_ID",
                   person, n);
    if (sl_official_trace_person(db, who.id, s_tab_row, &ncols) != 0)
        sl_ctl_die(SL_EXIT_FAIL, "could not trace %s: %s", who.id, sl_db_error(db));
    return SL_EXIT_OK;
}

static int
s_finding_rows(sl_db_t *db, const s_opts_t *o, sl_db_row_cb *cb, void *arg)
{
    (void)o;
    return sl_finding_rows(db, cb, arg);
}

int
sl_ctl_finding(sl_ctl_t *ctl, int argc, char **argv)
{
    s_opts_t o;
    const char *arg, *sub = s_sub(argc, argv, &o, &arg);
    bool handled;
    int rc = s_register_command(ctl, sub, arg, &o, &s_findings, sl_finding_headers(),
                                SL_FINDING_COLS, s_finding_rows, &handled);
    if (handled)
        return rc;
    fputs(s_usage, stderr);
    return SL_EXIT_USAGE;
}

static int
s_liaison_rows(sl_db_t *db, const s_opts_t *o, sl_db_row_cb *cb, void *arg)
{
    (void)o;
    return sl_liaison_rows(db, cb, arg);
}

static int
s_commitment_rows(sl_db_t *db, const s_opts_t *o, sl_db_row_cb *cb, void *arg)
{
    (void)o;
    return sl_commitment_rows(db, cb, arg);
}

/* Prints ROWS' NCOLS columns tab-separated; exits 1 on a database error. */
static int
s_print(sl_ctl_t *ctl, int (*rows)(sl_db_t *, sl_db_row_cb *, void *), size_t ncols)
{
    sl_db_t *db = sl_ctl_db_current(ctl);
    if (rows(db, s_tab_row, &ncols) != 0)
        sl_ctl_die(SL_EXIT_FAIL, "could not read the register: %s", sl_db_error(db));
    return SL_EXIT_OK;
}

int
sl_ctl_liaison(sl_ctl_t *ctl, int argc, char **argv)
{
    s_opts_t o;
    const char *arg, *sub = s_sub(argc, argv, &o, &arg);
    bool handled;
    int rc = s_register_command(ctl, sub, arg, &o, &s_liaisons, sl_liaison_headers(),
                                SL_LIAISON_COLS, s_liaison_rows, &handled);
    if (handled)
        return rc;
    if (strcmp(sub, "contacts") == 0) /* the office's own view, with phones */
        return s_print(ctl, sl_liaison_contact_rows, 5);
    fputs(s_usage, stderr);
    return SL_EXIT_USAGE;
}

int
sl_ctl_commitment(sl_ctl_t *ctl, int argc, char **argv)
{
    s_opts_t o;
    const char *arg, *sub = s_sub(argc, argv, &o, &arg);
    bool handled;
    int rc = s_register_command(ctl, sub, arg, &o, &s_commitments, sl_commitment_headers(),
                                SL_COMMITMENT_COLS, s_commitment_rows, &handled);
    if (handled)
        return rc;
    if (strcmp(sub, "count") == 0) /* annex 4's 安全承诺 column */
        return s_print(ctl, sl_commitment_count_rows, 4);
    fputs(s_usage, stderr);
    return SL_EXIT_USAGE;
}

static int
s_plan_rows(sl_db_t *db, const s_opts_t *o, sl_db_row_cb *cb, void *arg)
{
    (void)o;
    return sl_plan_rows(db, sl_now_ms(), cb, arg);
}

int
sl_ctl_plan(sl_ctl_t *ctl, int argc, char **argv)
{
    s_opts_t o;
    const char *arg, *sub = s_sub(argc, argv, &o, &arg);
    bool handled;
    int rc = s_register_command(ctl, sub, arg, &o, &s_plans, sl_plan_headers(), SL_PLAN_COLS,
                                s_plan_rows, &handled);
    if (handled)
        return rc;
    if (strcmp(sub, "due") == 0) { /* plan due CAMPAIGN --date D */
        int32_t day;
        if (!arg || !o.date || sl_date_parse(o.date, &day) != 0)
            sl_ctl_die(SL_EXIT_USAGE, "plan due needs CAMPAIGN --date YYYY-MM-DD");
        sl_db_t *db = sl_ctl_db_admin(ctl, true);
        rc = sl_plan_set_due(db, arg, day);
        if (rc == 1)
            sl_ctl_die(SL_EXIT_FAIL, "no campaign \"%s\"", arg);
        if (rc != 0)
            sl_ctl_die(SL_EXIT_FAIL, "could not set the plan date: %s", sl_db_error(db));
        return SL_EXIT_OK;
    }
    fputs(s_usage, stderr);
    return SL_EXIT_USAGE;
}

int
sl_ctl_interview(sl_ctl_t *ctl, int argc, char **argv)
{
    const char *sub = argc > 1 ? argv[1] : "";
    s_opts_t o;
    s_parse(argc - 1, argv + 1, &o);
    if (strcmp(sub, "list") == 0 || strcmp(sub, "export") == 0)
        return s_list(ctl, &o, strcmp(sub, "export") == 0, sl_interview_headers(),
                      SL_INTERVIEW_COLS, s_interview_rows);
    fputs(s_usage, stderr);
    return SL_EXIT_USAGE;
}

/* --- spot checks ------------------------------------------------------------- */

static int
s_draw(sl_ctl_t *ctl, s_opts_t *o)
{
    if (!o->division || !o->sector || o->share < 1 || o->share > 100)
        sl_ctl_die(SL_EXIT_USAGE, "spotcheck draw needs --county D --sector S --share 1..100");
    int sector = s_sector(o->sector);
    if (!o->has_seed)
        randombytes_buf(&o->seed, sizeof o->seed);
    if (!o->operator_name) {
        struct passwd *pw = getpwuid(getuid());
        o->operator_name = pw ? pw->pw_name : "unknown";
    }
    sl_db_t *db = sl_ctl_db_admin(ctl, true);
    int64_t id;
    size_t picked, population;
    if (sl_spotcheck_draw(db, o->division, sector, o->share, o->seed, o->operator_name, sl_now_ms(),
                          &id, &picked, &population) != 0)
        sl_ctl_die(SL_EXIT_FAIL, "could not draw: %s", sl_db_error(db));
    printf("draw %" PRId64 "\tseed %" PRId64 "\tpicked %zu of %zu\n", id, (int64_t)o->seed, picked,
           population);
    size_t ncols = 6;
    if (sl_spotcheck_draw_rows(db, id, s_tab_row, &ncols) != 0)
        sl_ctl_die(SL_EXIT_FAIL, "could not read the draw: %s", sl_db_error(db));
    return SL_EXIT_OK;
}

static int
s_show(sl_ctl_t *ctl, const char *arg)
{
    sl_db_t *db = sl_ctl_db_current(ctl);
    char division[16];
    int sector, share;
    uint64_t seed;
    int64_t id = strtoll(arg, NULL, 10);
    int rc = sl_spotcheck_draw_get(db, id, division, &sector, &share, &seed);
    if (rc == 1)
        sl_ctl_die(SL_EXIT_FAIL, "no draw %s", arg);
    if (rc != 0)
        sl_ctl_die(SL_EXIT_FAIL, "could not read the draw: %s", sl_db_error(db));
    printf("draw %" PRId64 "\tseed %" PRId64 "\tcounty %s\tsector %s\tshare %d%%\n", id,
           (int64_t)seed, division, sl_sector_by_value(sector)->short_zh, share);
    size_t ncols = 6;
    if (sl_spotcheck_draw_rows(db, id, s_tab_row, &ncols) != 0)
        sl_ctl_die(SL_EXIT_FAIL, "could not read the draw: %s", sl_db_error(db));
    return SL_EXIT_OK;
}

static int
s_record(sl_ctl_t *ctl, const s_opts_t *o)
{
    sl_pb_spot_check_t sc = SAFELOOP__V1__SPOT_CHECK__INIT;
    sc.inspection_key = (char *)(o->inspection ? o->inspection : "");
    sc.checked_on = (char *)(o->date ? o->date : "");
    sc.checking_body = (char *)(o->body ? o->body : "");
    sc.findings = (char *)(o->findings ? o->findings : "");
    sc.problem_found = o->problem;
    sc.should_punish = o->should_punish;
    sl_codec_error_t err;
    if (sl_spotcheck_validate(&sc, &err) != 0)
        sl_ctl_die(SL_EXIT_USAGE, "%s: %s", err.code, err.text);
    char *key = sl_asprintf("%s|%s|%s", sc.inspection_key, sc.checked_on, sc.checking_body);
    char msg_id[SL_REGISTER_MSG_ID_LEN + 1];
    sl_register_msg_id("spot", key, msg_id);
    free(key);
    sl_pb_envelope_t env = SL_PB_ENVELOPE_INIT;
    env.body_case = SAFELOOP__V1__ENVELOPE__BODY_SPOT_CHECK;
    env.spot_check = &sc;
    return s_send(ctl, &env, msg_id);
}

int
sl_ctl_spotcheck(sl_ctl_t *ctl, int argc, char **argv)
{
    const char *sub = argc > 1 ? argv[1] : "";
    s_opts_t o;
    s_parse(argc - 1, argv + 1, &o);
    if (strcmp(sub, "draw") == 0)
        return s_draw(ctl, &o);
    if (strcmp(sub, "show") == 0) {
        if (optind + 1 >= argc)
            sl_ctl_die(SL_EXIT_USAGE, "spotcheck show needs DRAW_ID");
        return s_show(ctl, argv[1 + optind]);
    }
    if (strcmp(sub, "record") == 0)
        return s_record(ctl, &o);
    fputs(s_usage, stderr);
    return SL_EXIT_USAGE;
}
