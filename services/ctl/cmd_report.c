/* cmd_report.c — `slctl report build --weekly`, `slctl case typical`: the
 * weekly report drafted from the ledger.
 *
 * `report build` reads this node's ledger and its children's reports for a
 * week (sl_rollup_db) and writes, in one directory, the draft the operator
 * completes and sends (周报告.json, the JSON `report send` reads, listing the
 * files that go with it), annexes 4 and 6 as XLSX and CSV and annex 5 as
 * HTML. It prints what it drafted and names every child whose report has not
 * arrived. `case typical NO --file F.json` makes a typical case (附件5) of a
 * case; the next draft offers it. */
#include "slctl.h"

#include "sl_annex.h"
#include "sl_clock.h"
#include "sl_codec.h"
#include "sl_ledger.h"
#include "sl_log.h"
#include "sl_rollup_db.h"
#include "sl_util.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *
s_operator(const char *given)
{
    if (given)
        return given;
    struct passwd *pw = getpwuid(getuid());
    return pw ? pw->pw_name : "unknown";
}

static json_t *
s_figures(const sl_rollup_row_t *row)
{
    json_t *o = json_object();
    if (row->missing)
        return o;
    for (int k = 0; k < SL_FIG_N; k++)
        json_object_set_new(o, sl_rollup_key(k), json_integer(row->v[k]));
    return o;
}

/* The draft as the JSON `report send --weekly` reads (reports.proto names). */
static json_t *
s_draft(const sl_rollup_report_t *r, const sl_annex_meta_t *m, json_t *files)
{
    json_t *fig = s_figures(&r->total);
    json_object_set_new(fig, "clues", json_integer(r->clues));
    json_object_set_new(fig, "transfers", json_integer(r->transfers));
    json_object_set_new(fig, "feedbacks", json_integer(r->feedbacks));
    json_t *rows = json_array();
    bool county = strcmp(r->level, "county") == 0;
    for (size_t i = 0; i < r->n_rows; i++) {
        const sl_rollup_row_t *row = &r->rows[i];
        bool own = !row->unit[0] || strcmp(row->unit, r->node) == 0;
        json_array_append_new(rows, json_pack("{s:s, s:s, s:s, s:b, s:o}", "division",
                                              own ? r->node : row->unit, "township",
                                              own && county ? row->label : "", "label", row->label,
                                              "missing", row->missing, "figures", s_figures(row)));
    }
    json_t *items = json_array();
    for (size_t i = 0; i < r->n_items; i++) {
        const sl_rollup_item_t *it = &r->items[i];
        json_array_append_new(
            items,
            json_pack("{s:s, s:s, s:b, s:s, s:s, s:s, s:s, s:s, s:s}", "case_no",
                      it->case_no ? it->case_no : "", "subject_name",
                      it->subject ? it->subject : "", "escalated", it->escalated, "township",
                      it->place ? it->place : "", "category", it->category ? it->category : "",
                      "kind", it->kind ? it->kind : "", "problem", it->detail ? it->detail : "",
                      "nature", it->nature ? it->nature : "", "measures",
                      it->measures ? it->measures : ""));
    }
    json_t *typical = json_array();
    for (size_t i = 0; i < r->n_typical; i++) {
        const sl_rollup_typical_t *t = &r->typical[i];
        json_array_append_new(
            typical, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "case_no",
                               t->case_no, "title", t->title, "keywords", t->keywords, "summary",
                               t->summary, "facts", t->facts, "outcome", t->outcome, "analysis",
                               t->analysis, "advice", t->advice, "negative", t->negative));
    }
    json_t *missing = json_array();
    for (size_t i = 0; i < r->n_missing; i++)
        if (!r->missing[i].late)
            json_array_append_new(missing, json_string(r->missing[i].unit));
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:b, s:o, s:o}", "from_unit",
                     r->node, "period_start", r->period_start, "period_end", r->period_end,
                     "filled_by", m->filled_by, "filled_on", m->filled_on, "figures", fig, "rows",
                     rows, "items", items, "typical_cases", typical, "incomplete", r->incomplete,
                     "missing_units", missing, "files", files);
}

static void
s_write(const char *dir, const char *name, const sl_buf_t *b, json_t *files)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b->data, 1, b->len, f) != b->len || fclose(f) != 0)
        sl_ctl_die(SL_EXIT_FAIL, "could not write %s: %s", path, strerror(errno));
    if (files)
        json_array_append_new(files, json_pack("{s:s, s:s}", "name", name, "path", name));
}

/* Writes the draft J (consumed) as DIR/NAME, indented. */
static void
s_write_json(const char *dir, const char *name, json_t *j)
{
    char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(j);
    sl_buf_t b;
    sl_buf_init(&b);
    sl_buf_puts(&b, text);
    sl_buf_puts(&b, "\n");
    free(text);
    s_write(dir, name, &b, NULL);
    sl_buf_free(&b);
}

static int
s_mkdirs(const char *dir)
{
    char p[4096];
    snprintf(p, sizeof p, "%s", dir);
    for (char *s = p + 1; *s; s++)
        if (*s == '/') {
            *s = '\0';
            if (mkdir(p, 0750) != 0 && errno != EEXIST)
                return -1;
            *s = '/';
        }
    return mkdir(p, 0750) != 0 && errno != EEXIST ? -1 : 0;
}

/* DIR, or the default <var_dir>/reports/KIND-PERIOD; made if missing.
 * Static storage for the default. */
static const char *
s_dir(sl_ctl_t *ctl, const char *dir, const char *kind, const char *period)
{
    static char def[4096];
    if (!dir) {
        snprintf(def, sizeof def, "%s/reports/%s-%s",
                 sl_config_str(sl_ctl_config(ctl), "node", "var_dir"), kind, period);
        dir = def;
    }
    if (s_mkdirs(dir) != 0)
        sl_ctl_die(SL_EXIT_FAIL, "could not create %s: %s", dir, strerror(errno));
    return dir;
}

static int
s_build_weekly(sl_ctl_t *ctl, int32_t monday, const char *dir, const sl_annex_meta_t *meta)
{
    sl_db_t *db = sl_ctl_db_current(ctl);
    sl_rollup_report_t *r;
    int rc = sl_rollup_weekly(db, monday, &r);
    if (rc != 0)
        sl_ctl_die(SL_EXIT_FAIL, "could not draft the weekly report: %s", sl_db_error(db));
    dir = s_dir(ctl, dir, "weekly", r->period_start);
    sl_annex_meta_t m = *meta;
    m.unit_name = r->node_name;
    json_t *files = json_array();
    char path[4200];
    for (int annex = 4; annex <= 6; annex += 2) {
        char name[32];
        snprintf(name, sizeof name, "附件%d.xlsx", annex);
        snprintf(path, sizeof path, "%s/%s", dir, name);
        if (sl_annex_xlsx(r, &m, annex, path) != 0)
            sl_ctl_die(SL_EXIT_FAIL, "could not write %s", path);
        json_array_append_new(files, json_pack("{s:s, s:s}", "name", name, "path", name));
        sl_buf_t b;
        sl_buf_init(&b);
        sl_annex_csv(r, annex, &b);
        snprintf(name, sizeof name, "附件%d.csv", annex);
        s_write(dir, name, &b, files);
        sl_buf_free(&b);
    }
    sl_buf_t b;
    sl_buf_init(&b);
    sl_annex_typical_html(r, &m, &b);
    s_write(dir, "附件5.html", &b, files);
    sl_buf_free(&b);
    s_write_json(dir, "周报告.json", s_draft(r, &m, files));
    /* what was drafted, for the operator */
    printf("周报告\t%s至%s\n目录\t%s\n", r->period_start, r->period_end, dir);
    char cell[64];
    for (size_t i = 0; i <= r->n_rows; i++) {
        const sl_rollup_row_t *row = i == 0 ? &r->total : &r->rows[i - 1];
        printf("%s", i == 0 ? (r->incomplete ? "总计（不完整）" : "总计") : row->label);
        for (int c = 0; c < SL_ROLLUP_COLUMNS; c++) {
            sl_rollup_cell(row, c, cell, sizeof cell);
            printf("\t%s", row->missing ? "未报" : cell);
        }
        printf("\n");
    }
    printf("附件6\t%zu项\n典型案例\t%zu个\n", r->n_items, r->n_typical);
    for (size_t i = 0; i < r->n_missing; i++)
        printf("%s\t%s（%s）\n", r->missing[i].late ? "逾期报送" : "未报送", r->missing[i].name,
               r->missing[i].unit);
    sl_rollup_report_destroy(&r);
    return SL_EXIT_OK;
}

/* The month's draft as the JSON `report send --monthly` reads. */
static json_t *
s_month_draft(const sl_rollup_month_t *m, json_t *files)
{
    json_t *lists = json_array();
    for (int i = 0; i < 6; i++)
        json_array_append_new(lists, json_pack("{s:s, s:I}", "list", sl_ledger_list_name(i),
                                               "count", (json_int_t)m->counts[i]));
    json_t *entries = json_array();
    for (size_t i = 0; i < m->n_entries; i++) {
        const sl_rollup_entry_t *e = &m->entries[i];
        json_array_append_new(entries,
                              json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:I, s:s}", "list",
                                        e->list, "item", e->item, "case_no", e->case_no, "unit",
                                        e->unit_name && e->unit_name[0] ? e->unit_name : e->unit,
                                        "subject_name", e->subject, "entry_date", e->date,
                                        "persons", e->persons, "amount_fen",
                                        (json_int_t)e->amount_fen, "details", e->details));
    }
    return json_pack("{s:s, s:s, s:o, s:o, s:o}", "from_unit", m->node, "month", m->month, "lists",
                     lists, "entries", entries, "files", files);
}

static int
s_build_monthly(sl_ctl_t *ctl, const char *month, const char *dir, const sl_annex_meta_t *meta)
{
    sl_db_t *db = sl_ctl_db_current(ctl);
    sl_rollup_month_t *m;
    if (sl_rollup_monthly(db, month, &m) != 0)
        sl_ctl_die(SL_EXIT_FAIL, "could not draft the monthly report: %s", sl_db_error(db));
    dir = s_dir(ctl, dir, "monthly", month);
    sl_annex_meta_t mm = *meta;
    mm.unit_name = m->node_name;
    char path[4200];
    snprintf(path, sizeof path, "%s/六个清单.xlsx", dir);
    if (sl_annex_month_xlsx(m, &mm, path) != 0)
        sl_ctl_die(SL_EXIT_FAIL, "could not write %s", path);
    json_t *files = json_array();
    json_array_append_new(
        files, json_pack("{s:s, s:s}", "name", "六个清单.xlsx", "path", "六个清单.xlsx"));
    sl_buf_t b;
    sl_buf_init(&b);
    sl_annex_month_csv(m, &b);
    s_write(dir, "六个清单.csv", &b, files);
    sl_buf_free(&b);
    s_write_json(dir, "月小结.json", s_month_draft(m, files));
    printf("月小结\t%s\n目录\t%s\n", m->month, dir);
    for (int i = 0; i < 6; i++)
        printf("%s\t%lld\n", sl_ledger_list_name(i), (long long)m->counts[i]);
    printf("明细\t%zu条\n", m->n_entries);
    for (size_t i = 0; i < m->n_missing; i++)
        printf("%s\t%s（%s）\n", m->missing[i].late ? "逾期报送" : "未报送", m->missing[i].name,
               m->missing[i].unit);
    sl_rollup_month_destroy(&m);
    return SL_EXIT_OK;
}

static int
s_build_daily(sl_ctl_t *ctl, int32_t day, int issue, const char *dir)
{
    sl_db_t *db = sl_ctl_db_current(ctl);
    sl_rollup_day_t *d;
    if (sl_rollup_daily(db, day, &d) != 0)
        sl_ctl_die(SL_EXIT_FAIL, "could not draft the daily summary: %s", sl_db_error(db));
    dir = s_dir(ctl, dir, "daily", d->day);
    sl_buf_t b;
    sl_buf_init(&b);
    sl_annex_daily_html(d, &b);
    s_write(dir, "日汇总.html", &b, NULL);
    sl_buf_reset(&b);
    sl_annex_briefing_html(d, issue, &b);
    s_write(dir, "简报.html", &b, NULL);
    sl_buf_free(&b);
    printf("日汇总\t%s\n目录\t%s\n", d->day, dir);
    for (size_t i = 0; i <= d->n_county; i++) {
        const sl_rollup_day_row_t *r = i < d->n_county ? &d->by_county[i] : &d->total;
        printf("%s\t%lld\t%lld\t%lld\t%lld\t%lld\n", r->label, (long long)r->clues,
               (long long)r->transfers, (long long)r->answers, (long long)r->overdue,
               (long long)r->escalated);
    }
    sl_rollup_day_destroy(&d);
    return SL_EXIT_OK;
}

static int
s_build(sl_ctl_t *ctl, int argc, char **argv)
{
    const char *usage = "usage: slctl report build --weekly [--week YYYY-Www] | --monthly"
                        " [--month YYYY-MM] | --daily [--day YYYY-MM-DD] [--issue N]"
                        "  [--dir DIR] [--filled-by NAME] [--filled-on YYYY-MM-DD]";
    const char *week = NULL, *month = NULL, *dir = NULL, *filled_by = NULL, *filled_on = NULL;
    const char *day = NULL;
    int kind = 0, issue = 0;
    static const struct option opts[] = {{"weekly", no_argument, NULL, 'w'},
                                         {"monthly", no_argument, NULL, 'm'},
                                         {"daily", no_argument, NULL, 'D'},
                                         {"day", required_argument, NULL, 'y'},
                                         {"issue", required_argument, NULL, 'i'},
                                         {"week", required_argument, NULL, 'k'},
                                         {"month", required_argument, NULL, 'n'},
                                         {"dir", required_argument, NULL, 'd'},
                                         {"filled-by", required_argument, NULL, 'f'},
                                         {"filled-on", required_argument, NULL, 'o'},
                                         {NULL, 0, NULL, 0}};
    int opt;
    optind = 0;
    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (opt) {
        case 'y':
            day = optarg;
            break;
        case 'i':
            issue = atoi(optarg);
            break;
        case 'w':
        case 'm':
        case 'D':
            if (kind && kind != opt)
                sl_ctl_die(SL_EXIT_USAGE, "%s", usage);
            kind = opt;
            break;
        case 'k':
            week = optarg;
            break;
        case 'n':
            month = optarg;
            break;
        case 'd':
            dir = optarg;
            break;
        case 'f':
            filled_by = optarg;
            break;
        case 'o':
            filled_on = optarg;
            break;
        default:
            sl_ctl_die(SL_EXIT_USAGE, "%s", usage);
        }
    }
    if (!kind || optind != argc || (kind != 'm' && month) || (kind != 'w' && week) ||
        (kind != 'D' && (day || issue)))
        sl_ctl_die(SL_EXIT_USAGE, "%s", usage);
    int32_t today = sl_ms_to_day(sl_now_ms()), d;
    if (kind == 'D') {
        int32_t which = today;
        if (day && sl_date_parse(day, &which) != 0)
            sl_ctl_die(SL_EXIT_USAGE, "--day %s: 应为 YYYY-MM-DD", day);
        return s_build_daily(ctl, which, issue, dir);
    }
    char on[11];
    sl_date_format(today, on);
    if (filled_on && sl_date_parse(filled_on, &d) != 0)
        sl_ctl_die(SL_EXIT_USAGE, "--filled-on %s: 应为 YYYY-MM-DD", filled_on);
    sl_annex_meta_t meta = {NULL, s_operator(filled_by), filled_on ? filled_on : on};
    if (kind == 'w') {
        int32_t monday = sl_rollup_last_week(today);
        if (week && sl_rollup_week_parse(week, &monday) != 0)
            sl_ctl_die(SL_EXIT_USAGE, "--week %s: 应为 YYYY-Www（如 2026-W49）", week);
        return s_build_weekly(ctl, monday, dir, &meta);
    }
    char cur[8];
    snprintf(cur, sizeof cur, "%.7s", on); /* the month running: sent by its end */
    int y, mo;
    char tail;
    if (month && (sscanf(month, "%4d-%2d%c", &y, &mo, &tail) != 2 || strlen(month) != 7 || mo < 1 ||
                  mo > 12))
        sl_ctl_die(SL_EXIT_USAGE, "--month %s: 应为 YYYY-MM", month);
    return s_build_monthly(ctl, month ? month : cur, dir, &meta);
}

int
sl_ctl_report_build(sl_ctl_t *ctl, int argc, char **argv)
{
    return s_build(ctl, argc, argv);
}

static const char *
s_media_type(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (dot && strcmp(dot, ".xlsx") == 0)
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    if (dot && strcmp(dot, ".csv") == 0)
        return "text/csv; charset=utf-8";
    if (dot && strcmp(dot, ".html") == 0)
        return "text/html; charset=utf-8";
    return "application/octet-stream";
}

void
sl_ctl_report_attach(ProtobufCMessage *m, json_t *files, const char *json_path, size_t budget)
{
    if (!json_is_array(files) || json_array_size(files) == 0)
        return;
    bool weekly = m->descriptor == &safeloop__v1__weekly_report__descriptor;
    size_t *n =
        weekly ? &((sl_pb_weekly_report_t *)m)->n_files : &((sl_pb_monthly_report_t *)m)->n_files;
    Safeloop__V1__ReportFile ***v =
        weekly ? &((sl_pb_weekly_report_t *)m)->files : &((sl_pb_monthly_report_t *)m)->files;
    *v = sl_calloc(json_array_size(files) + 1, sizeof **v);
    *n = 0;
    size_t used = protobuf_c_message_get_packed_size(m);
    const char *slash = strrchr(json_path, '/');
    int dirlen = slash ? (int)(slash - json_path) : 1;
    const char *dir = slash ? json_path : ".";
    size_t i;
    json_t *f;
    json_array_foreach(files, i, f)
    {
        const char *name = json_string_value(json_object_get(f, "name"));
        const char *rel = json_string_value(json_object_get(f, "path"));
        if (!name || !rel)
            sl_ctl_die(SL_EXIT_USAGE, "%s: files[%zu] needs name and path", json_path, i);
        char path[4200];
        if (rel[0] == '/')
            snprintf(path, sizeof path, "%s", rel);
        else
            snprintf(path, sizeof path, "%.*s/%s", dirlen, dir, rel);
        size_t len;
        char *data = sl_read_file(path, &len);
        if (!data)
            sl_ctl_die(SL_EXIT_USAGE, "%s: could not read %s: %s", json_path, path,
                       strerror(errno));
        if (used + len + 256 > budget) {
            printf(
                "未随报告发送	%s（%zu字节，超出报文大小上限，上级可据报告数据重新生成）\n", name,
                len);
            free(data);
            continue;
        }
        Safeloop__V1__ReportFile *rf = sl_calloc(1, sizeof *rf);
        safeloop__v1__report_file__init(rf);
        rf->name = sl_strdup(name);
        rf->media_type = sl_strdup(s_media_type(name));
        rf->data.data = (uint8_t *)data;
        rf->data.len = len;
        (*v)[(*n)++] = rf;
        used += len + strlen(name) + 64;
    }
}

int
sl_ctl_case_typical(sl_ctl_t *ctl, int argc, char **argv)
{
    const char *usage =
        "usage: slctl case typical NO --file ANALYSIS.json [--operator NAME]\n"
        "       slctl case typical NO --positive --text T [--operator NAME]   选树提升\n"
        "  ANALYSIS.json: {\"title\": 检查主体+违法主体+案, \"keywords\": 3 到 5 个，"
        "以、分隔, \"summary\", \"facts\", \"outcome\", \"analysis\", \"advice\","
        " \"negative\": true}";
    const char *file = NULL, *operator_name = NULL, *text = NULL;
    bool positive = false;
    static const struct option opts[] = {{"file", required_argument, NULL, 'f'},
                                         {"operator", required_argument, NULL, 'o'},
                                         {"positive", no_argument, NULL, 'p'},
                                         {"text", required_argument, NULL, 't'},
                                         {NULL, 0, NULL, 0}};
    int opt;
    optind = 0;
    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (opt == 'f')
            file = optarg;
        else if (opt == 'o')
            operator_name = optarg;
        else if (opt == 'p')
            positive = true;
        else if (opt == 't')
            text = optarg;
        else
            sl_ctl_die(SL_EXIT_USAGE, "%s", usage);
    }
    if (positive && text && !file && optind == argc - 1) /* 选树提升, through intake */
        return sl_ctl_case_positive(ctl, argv[optind], text, operator_name);
    if (!file || text || optind != argc - 1)
        sl_ctl_die(SL_EXIT_USAGE, "%s", usage);
    const char *case_no = argv[optind];
    json_error_t je;
    json_t *o = json_load_file(file, 0, &je);
    if (!json_is_object(o))
        sl_ctl_die(SL_EXIT_USAGE, "%s: 第 %d 行: %s", file, je.line,
                   o ? "应为 JSON 对象" : je.text);
#define J(k) json_string_value(json_object_get(o, k))
    json_t *neg = json_object_get(o, "negative");
    sl_rollup_typical_t t = {NULL,          J("title"),  J("keywords"),
                             J("summary"),  J("facts"),  J("outcome"),
                             J("analysis"), J("advice"), !json_is_false(neg)};
#undef J
    sl_db_t *db = sl_ctl_db_admin(ctl, true);
    int rc = sl_rollup_typical_make(db, case_no, &t, s_operator(operator_name), sl_now_ms());
    json_decref(o);
    if (rc == SL_DECLINED)
        sl_ctl_die(SL_EXIT_REJECTED,
                   "典型案例未生成：须有标题、3至5个关键词（以、分隔）和基本案情，且案件 %s 须存在",
                   case_no);
    if (rc != 0)
        sl_ctl_die(SL_EXIT_FAIL, "could not make the typical case: %s", sl_db_error(db));
    printf("典型案例\t%s\n", case_no);
    return SL_EXIT_OK;
}
