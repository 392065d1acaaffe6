/* cmd_appraise.c — `slctl appraise run|show|explain|approve|export`: the
 * monthly appraisal (四考核) of the places one level down.
 *
 * run scores a month (or the campaign, --final) from the ledger as of its end
 * under the rules file ([appraise] rules, or --rules) and stores the run;
 * show prints the stored run (the approved one if any), and writes the
 * ranking's SVG chart and a printable HTML document; explain walks from a
 * place's total to the cases, report figures, spot checks and accidents
 * behind it; approve approves the month's latest run and with it releases the
 * ranking to the portal (sl-publish writes the page; sl-appraise sends
 * appraisal.published); export writes the approved evaluation as XLSX
 * (libxlsxwriter) and printable HTML for the 目标责任考核 and the copies to
 * 纪委监委 and 组织部 (the final evaluation's first export releases it to the
 * portal). With [appraise] rank_departments the run ranks this level's
 * departments too, apart. Terminal tables in Chinese; --json prints the
 * result as stored. */
#include "slctl.h"

#include "sl_accident.h"
#include "sl_appraise.h"
#include "sl_clock.h"
#include "sl_util.h"

#include <getopt.h>
#include <xlsxwriter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char s_usage[] =
    "usage: slctl appraise run [--month YYYY-MM | --final] [--rules FILE] [--json]\n"
    "       slctl appraise show [--month YYYY-MM | --final] [--json] [--svg FILE] [--html FILE]\n"
    "       slctl appraise explain PLACE [--month YYYY-MM | --final] [--json]\n"
    "       slctl appraise approve --by NAME [--month YYYY-MM | --final]\n"
    "       slctl appraise export [--month YYYY-MM | --final] --xlsx FILE [--html FILE]";

typedef struct {
    const char *period, *rules, *by, *svg, *html, *xlsx, *place;
    char month[16]; /* the default: the month before now (Asia/Shanghai) */
    bool json;
} s_opts_t;

static void
s_parse(s_opts_t *o, int argc, char **argv)
{
    enum { O_MONTH = 1, O_FINAL, O_RULES, O_JSON, O_BY, O_SVG, O_HTML, O_XLSX };
    static const struct option opts[] = {{"month", required_argument, NULL, O_MONTH},
                                         {"final", no_argument, NULL, O_FINAL},
                                         {"rules", required_argument, NULL, O_RULES},
                                         {"json", no_argument, NULL, O_JSON},
                                         {"by", required_argument, NULL, O_BY},
                                         {"svg", required_argument, NULL, O_SVG},
                                         {"html", required_argument, NULL, O_HTML},
                                         {"xlsx", required_argument, NULL, O_XLSX},
                                         {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (opt) {
        case O_MONTH:
            o->period = optarg;
            break;
        case O_FINAL:
            o->period = "final";
            break;
        case O_RULES:
            o->rules = optarg;
            break;
        case O_JSON:
            o->json = true;
            break;
        case O_BY:
            o->by = optarg;
            break;
        case O_SVG:
            o->svg = optarg;
            break;
        case O_HTML:
            o->html = optarg;
            break;
        case O_XLSX:
            o->xlsx = optarg;
            break;
        default:
            sl_ctl_die(SL_EXIT_USAGE, "%s", s_usage);
        }
    }
    if (optind < argc)
        o->place = argv[optind];
    if (!o->period) {
        char today[40];
        sl_time_format_iso(sl_now_ms() + 8 * 3600 * 1000LL, today, sizeof today);
        int y = atoi(today), m = atoi(today + 5) - 1;
        if (m == 0) {
            y--;
            m = 12;
        }
        snprintf(o->month, sizeof o->month, "%04d-%02d", y % 10000, m % 100);
        o->period = o->month;
    }
}

static void
s_title(const json_t *res, char *buf, size_t len)
{
    const char *period = json_string_value(json_object_get(res, "period"));
    if (strcmp(period, "final") == 0)
        snprintf(buf, len, "集中行动综合考评");
    else
        snprintf(buf, len, "%.4s年%d月考评", period, atoi(period + 5));
}

/* The rules line every output carries. */
static void
s_rules_line(const json_t *res, FILE *f)
{
    const json_t *r = json_object_get(res, "rules");
    fprintf(f, "考评规则：%s%s，规则文件SHA-256 %.16s…；数据截至%s（含当日）；数据摘要 %.16s…\n",
            json_string_value(json_object_get(r, "version")),
            json_is_true(json_object_get(r, "project_defaults"))
                ? "（项目默认规则，方案未规定权重）"
                : "",
            json_string_value(json_object_get(r, "hash")),
            json_string_value(json_object_get(res, "to")),
            json_string_value(json_object_get(res, "inputs_hash")));
}

/* The ranking's table: a row a place (WHO: 地方) or department, each
 * component's score with its numerator/denominator; CLUES: the clues too. */
static void
s_table(const json_t *list, const char *who, bool clues)
{
    printf("名次\t%s\t总分", who);
    const json_t *c0 = json_object_get(json_array_get(list, 0), "components");
    for (size_t i = 0; i < json_array_size(c0); i++)
        printf("\t%s", json_string_value(json_object_get(json_array_get(c0, i), "name")));
    printf(clues ? "\t问题线索\n" : "\t其中虚假办结\n");
    size_t i;
    const json_t *p;
    json_array_foreach(list, i, p)
    {
        printf("%d\t%s\t%.2f", (int)json_integer_value(json_object_get(p, "rank")),
               json_string_value(json_object_get(p, "name")),
               json_number_value(json_object_get(p, "total")));
        size_t k;
        const json_t *c;
        json_array_foreach(json_object_get(p, "components"), k, c)
        {
            printf("\t%.2f（%lld/%lld）", json_number_value(json_object_get(c, "score")),
                   (long long)json_integer_value(json_object_get(c, "num")),
                   (long long)json_integer_value(json_object_get(c, "den")));
        }
        printf("\t%lld\n", (long long)json_integer_value(
                               json_object_get(p, clues ? "clues" : "false_completions")));
    }
}

static void
s_print(const json_t *res)
{
    char title[64];
    s_title(res, title, sizeof title);
    const json_t *run = json_object_get(res, "run");
    printf("%s排队", title);
    if (run)
        printf("（第%lld次运行，%s）", (long long)json_integer_value(json_object_get(run, "id")),
               strcmp(json_string_value(json_object_get(run, "status")), "approved") == 0
                   ? "已审定"
                   : "待审定");
    printf("\n");
    s_rules_line(res, stdout);
    const json_t *places = json_object_get(res, "places");
    s_table(places, "地方", true);
    size_t i;
    const json_t *p;
    bool any = false;
    json_array_foreach(places, i, p)
    {
        if (!json_is_true(json_object_get(p, "supervision")))
            continue;
        if (!any)
            printf("列入重点督导：\n");
        any = true;
        printf("%s：%s\n", json_string_value(json_object_get(p, "name")),
               json_string_value(json_object_get(p, "reasons")));
    }
    if (!any)
        printf("列入重点督导：无\n");
    const json_t *deps = json_object_get(res, "departments");
    if (deps) {
        printf("本级部门排队（另行排队，不与地方混排）：\n");
        if (json_array_size(deps) > 0)
            s_table(deps, "部门", false);
        else
            printf("本期没有到期的交办\n");
    }
}

static void
s_dump(const json_t *o)
{
    char *t = json_dumps(o, JSON_INDENT(2));
    printf("%s\n", t);
    free(t);
}

static void
s_write(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0)
        sl_ctl_die(SL_EXIT_FAIL, "could not write %s", path);
}

static void
s_html(const char *path, const json_t *res)
{
    sl_buf_t b;
    sl_buf_init(&b);
    char title[64];
    s_title(res, title, sizeof title);
    sl_buf_printf(&b,
                  "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
                  "<title>%s结果</title><style>body{font-family:serif;margin:2em}"
                  "table{border-collapse:collapse}td,th{border:1px solid #000;padding:4px 8px}"
                  "@media print{body{margin:0}}</style></head><body>\n<h1>%s结果</h1>\n<p>",
                  title, title);
    const json_t *r = json_object_get(res, "rules");
    const json_t *run = json_object_get(res, "run");
    sl_buf_printf(&b, "考评规则：%s%s；数据截至%s。",
                  json_string_value(json_object_get(r, "version")),
                  json_is_true(json_object_get(r, "project_defaults")) ? "（项目默认规则）" : "",
                  json_string_value(json_object_get(res, "to")));
    if (run && json_is_string(json_object_get(run, "approved_by")))
        sl_buf_printf(&b, "审定：%s。", json_string_value(json_object_get(run, "approved_by")));
    else
        sl_buf_puts(&b, "待审定。");
    sl_buf_puts(&b, "</p>\n<table><tr><th>名次</th><th>地方</th><th>总分</th>");
    const json_t *places = json_object_get(res, "places");
    const json_t *c0 = json_object_get(json_array_get(places, 0), "components");
    size_t i, k;
    const json_t *p, *c;
    json_array_foreach(c0, k, c)
    {
        sl_buf_printf(&b, "<th>%s</th>", json_string_value(json_object_get(c, "name")));
    }
    sl_buf_puts(&b, "<th>重点督导</th></tr>\n");
    json_array_foreach(places, i, p)
    {
        sl_buf_printf(&b, "<tr><td>%d</td><td>",
                      (int)json_integer_value(json_object_get(p, "rank")));
        sl_buf_html(&b, json_string_value(json_object_get(p, "name")));
        sl_buf_printf(&b, "</td><td>%.2f</td>", json_number_value(json_object_get(p, "total")));
        json_array_foreach(json_object_get(p, "components"), k, c)
        {
            sl_buf_printf(&b, "<td>%.2f（%lld/%lld）</td>",
                          json_number_value(json_object_get(c, "score")),
                          (long long)json_integer_value(json_object_get(c, "num")),
                          (long long)json_integer_value(json_object_get(c, "den")));
        }
        sl_buf_puts(&b, "<td>");
        sl_buf_html(&b, json_string_value(json_object_get(p, "reasons")));
        sl_buf_puts(&b, "</td></tr>\n");
    }
    sl_buf_puts(&b, "</table>\n");
    char *svg = sl_appraise_svg(res);
    sl_buf_puts(&b, svg);
    free(svg);
    sl_buf_puts(&b, "</body></html>\n");
    s_write(path, b.data);
    sl_buf_free(&b);
}

/* From the total to the cases (ledger figures) and the report figures. */
static void
s_print_explain(const json_t *ex)
{
    const json_t *score = json_object_get(ex, "score");
    const char *place = json_string_value(json_object_get(ex, "place"));
    if (score) {
        printf("%s：第%d名，总分%.2f\n", json_string_value(json_object_get(score, "name")),
               (int)json_integer_value(json_object_get(score, "rank")),
               json_number_value(json_object_get(score, "total")));
        size_t k;
        const json_t *c;
        json_array_foreach(json_object_get(score, "components"), k, c)
        {
            printf("  %s：%.2f分＝权重%g×%s%lld/%lld\n",
                   json_string_value(json_object_get(c, "name")),
                   json_number_value(json_object_get(c, "score")),
                   json_number_value(json_object_get(c, "weight")),
                   json_is_true(json_object_get(c, "failing")) ? "（1－" : "",
                   (long long)json_integer_value(json_object_get(c, "num")),
                   (long long)json_integer_value(json_object_get(c, "den")));
        }
        if (json_is_true(json_object_get(score, "supervision")))
            printf("  列入重点督导：%s\n", json_string_value(json_object_get(score, "reasons")));
    } else
        printf("%s：本期尚无存储的考评结果（slctl appraise run）\n", place);
    size_t i;
    const json_t *t;
    printf("本期到期的交办（按时反馈、接而不办、逾期、虚假办结的分母）：\n");
    json_array_foreach(json_object_get(ex, "transfers_due"), i, t)
    {
        printf("  %s\t%s\t反馈期限%s\t%s\n", json_string_value(json_object_get(t, "notice_no")),
               json_string_value(json_object_get(t, "case_no")),
               json_string_value(json_object_get(t, "feedback_deadline")),
               json_is_true(json_object_get(t, "on_time")) ? "按时反馈" : "未按时反馈");
    }
    printf("本期被提级核查：\n");
    json_array_foreach(json_object_get(ex, "escalations"), i, t)
    {
        printf("  %s\t%s\t%s\n", json_string_value(json_object_get(t, "notice_no")),
               json_string_value(json_object_get(t, "case_no")),
               json_string_value(json_object_get(t, "cause")));
    }
    printf("本期核查销号：\n");
    json_array_foreach(json_object_get(ex, "verified"), i, t)
    {
        printf("  %s\t%s\t%s\t%s\n", json_string_value(json_object_get(t, "notice_no")),
               json_string_value(json_object_get(t, "case_no")),
               json_is_true(json_object_get(t, "found_true")) ? "属实" : "非属实",
               json_is_true(json_object_get(t, "measures")) ? "已采取措施①至④之一"
                                                            : "未采取措施①至④");
    }
    printf("报告数字（四个一批）：\n");
    json_array_foreach(json_object_get(ex, "reports"), i, t)
    {
        char *fig = json_dumps(json_object_get(t, "figures"), JSON_COMPACT | JSON_SORT_KEYS);
        printf("  %s\t%s\t%s\t%s\n",
               strcmp(json_string_value(json_object_get(t, "kind")), "monthly") == 0 ? "月小结"
                                                                                     : "周报告",
               json_string_value(json_object_get(t, "period")),
               json_string_value(json_object_get(t, "msg_id")), fig);
        free(fig);
    }
    printf("本期问题线索%zu条\n", json_array_size(json_object_get(ex, "clues")));
    printf("抽查（抽查发现问题）：\n");
    json_array_foreach(json_object_get(ex, "spot_checks"), i, t)
    {
        const char *missed = json_string_value(json_object_get(t, "missed"));
        printf("  %s\t%s\t检查主体%s\t抽查主体%s\t%s\n",
               json_string_value(json_object_get(t, "checked_on")),
               json_string_value(json_object_get(t, "unit")),
               json_string_value(json_object_get(t, "inspecting_body")),
               json_string_value(json_object_get(t, "checking_body")),
               missed ? missed : "未发现问题");
    }
    printf("较大以上事故（开小灶，截至期末已登记）：\n");
    json_array_foreach(json_object_get(ex, "accidents"), i, t)
    {
        const char *rec = json_string_value(json_object_get(t, "recorded_at"));
        if (!rec || strlen(rec) < 16)
            rec = "0000-00-00T00:00";
        printf("  %s\t%s\t%s事故\t死亡%lld人\t登记于%.10s %.5s\n",
               json_string_value(json_object_get(t, "occurred_on")),
               json_string_value(json_object_get(t, "subject")),
               sl_accident_level_name((int)json_integer_value(json_object_get(t, "level"))),
               (long long)json_integer_value(json_object_get(t, "deaths")), rec, rec + 11);
    }
}

/* The evaluation as a spreadsheet for the 目标责任考核 and the copies to 纪委监委
 * and 组织部: a title, the rules and approval lines, one row a place. */
static void
s_xlsx(const char *path, const json_t *res)
{
    lxw_workbook *wb = workbook_new(path);
    if (!wb)
        sl_ctl_die(SL_EXIT_FAIL, "could not write %s", path);
    lxw_worksheet *ws = workbook_add_worksheet(wb, "考评结果");
    lxw_format *bold = workbook_add_format(wb);
    format_set_bold(bold);
    char title[64], line[512];
    s_title(res, title, sizeof title);
    snprintf(line, sizeof line, "%s结果", title);
    worksheet_write_string(ws, 0, 0, line, bold);
    const json_t *r = json_object_get(res, "rules");
    const json_t *run = json_object_get(res, "run");
    snprintf(line, sizeof line, "考评规则：%s%s；数据截至%s；审定：%s",
             json_string_value(json_object_get(r, "version")),
             json_is_true(json_object_get(r, "project_defaults")) ? "（项目默认规则）" : "",
             json_string_value(json_object_get(res, "to")),
             json_is_string(json_object_get(run, "approved_by"))
                 ? json_string_value(json_object_get(run, "approved_by"))
                 : "待审定");
    worksheet_write_string(ws, 1, 0, line, NULL);
    const json_t *places = json_object_get(res, "places");
    const json_t *c0 = json_object_get(json_array_get(places, 0), "components");
    lxw_col_t col = 0;
    worksheet_write_string(ws, 3, col++, "名次", bold);
    worksheet_write_string(ws, 3, col++, "地方", bold);
    worksheet_write_string(ws, 3, col++, "总分", bold);
    size_t i, k;
    const json_t *p, *c;
    json_array_foreach(c0, k, c)
    {
        snprintf(line, sizeof line, "%s得分", json_string_value(json_object_get(c, "name")));
        worksheet_write_string(ws, 3, col++, line, bold);
        snprintf(line, sizeof line, "%s（分子/分母）",
                 json_string_value(json_object_get(c, "name")));
        worksheet_write_string(ws, 3, col++, line, bold);
    }
    worksheet_write_string(ws, 3, col++, "问题线索（条）", bold);
    worksheet_write_string(ws, 3, col, "重点督导", bold);
    json_array_foreach(places, i, p)
    {
        lxw_row_t row = (lxw_row_t)(4 + i);
        col = 0;
        worksheet_write_number(ws, row, col++,
                               (double)json_integer_value(json_object_get(p, "rank")), NULL);
        worksheet_write_string(ws, row, col++, json_string_value(json_object_get(p, "name")), NULL);
        worksheet_write_number(ws, row, col++, json_number_value(json_object_get(p, "total")),
                               NULL);
        json_array_foreach(json_object_get(p, "components"), k, c)
        {
            worksheet_write_number(ws, row, col++, json_number_value(json_object_get(c, "score")),
                                   NULL);
            snprintf(line, sizeof line, "%lld/%lld",
                     (long long)json_integer_value(json_object_get(c, "num")),
                     (long long)json_integer_value(json_object_get(c, "den")));
            worksheet_write_string(ws, row, col++, line, NULL);
        }
        worksheet_write_number(ws, row, col++,
                               (double)json_integer_value(json_object_get(p, "clues")), NULL);
        worksheet_write_string(ws, row, col, json_string_value(json_object_get(p, "reasons")),
                               NULL);
    }
    worksheet_set_column(ws, 1, 1, 20, NULL);
    lxw_error err = workbook_close(wb);
    if (err != LXW_NO_ERROR)
        sl_ctl_die(SL_EXIT_FAIL, "could not write %s: %s", path, lxw_strerror(err));
}

static const char *
s_rules_path(sl_ctl_t *ctl, const s_opts_t *o)
{
    return o->rules ? o->rules : sl_config_str(sl_ctl_config(ctl), "appraise", "rules");
}

int
sl_ctl_appraise(sl_ctl_t *ctl, int argc, char **argv)
{
    if (argc < 2)
        sl_ctl_die(SL_EXIT_USAGE, "%s", s_usage);
    const char *what = argv[1];
    s_opts_t o = {0};
    s_parse(&o, argc - 1, argv + 1);
    sl_db_t *db = sl_ctl_db_admin(ctl, true);
    json_t *res = NULL;
    int rc;
    if (strcmp(what, "run") == 0) {
        sl_appraise_rules_t rules;
        char err[512];
        if (sl_appraise_rules_load(s_rules_path(ctl, &o), &rules, err, sizeof err) != 0)
            sl_ctl_die(SL_EXIT_USAGE, "%s", err);
        rc = sl_appraise_compute(db, &rules, o.period,
                                 sl_config_bool(sl_ctl_config(ctl), "appraise", "rank_departments"),
                                 &res);
        if (rc == SL_DECLINED)
            sl_ctl_die(SL_EXIT_USAGE, "not a period: \"%s\" (YYYY-MM, or --final with a campaign)",
                       o.period);
        long long id;
        if (rc != 0 || sl_appraise_store(db, res, "slctl", sl_now_ms(), &id) != 0)
            sl_ctl_die(SL_EXIT_FAIL, "could not score %s: %s", o.period, sl_db_error(db));
        json_object_set_new(res, "run",
                            json_pack("{s:I, s:s}", "id", (json_int_t)id, "status", "draft"));
    } else if (strcmp(what, "show") == 0) {
        if (sl_appraise_show(db, o.period, &res) != 0)
            sl_ctl_die(SL_EXIT_FAIL, "could not read the appraisal: %s", sl_db_error(db));
        if (!res)
            sl_ctl_die(SL_EXIT_FAIL, "%s尚无考评结果，请先运行 slctl appraise run", o.period);
        if (o.svg)
            s_write(o.svg, json_string_value(json_object_get(res, "svg")));
        if (o.html)
            s_html(o.html, res);
        json_object_del(res, "svg");
    } else if (strcmp(what, "explain") == 0) {
        if (!o.place)
            sl_ctl_die(SL_EXIT_USAGE, "%s", s_usage);
        json_t *run = NULL;
        if (sl_appraise_show(db, o.period, &run) != 0 ||
            sl_appraise_explain(db, o.period, o.place, &res) != 0)
            sl_ctl_die(SL_EXIT_FAIL, "could not explain %s: %s", o.place, sl_db_error(db));
        size_t i;
        const json_t *p;
        json_array_foreach(run ? json_object_get(run, "places") : NULL, i, p)
        {
            if (strcmp(json_string_value(json_object_get(p, "code")), o.place) == 0)
                json_object_set(res, "score", (json_t *)p);
        }
        if (run)
            json_object_set(res, "rules", json_object_get(run, "rules"));
        json_decref(run);
    } else if (strcmp(what, "export") == 0) {
        if (!o.xlsx)
            sl_ctl_die(SL_EXIT_USAGE, "%s", s_usage);
        char why[256] = "";
        rc = sl_appraise_mark_exported(db, o.period, sl_now_ms(), why, sizeof why);
        if (rc == SL_DECLINED)
            sl_ctl_die(SL_EXIT_FAIL, "%s", why);
        if (rc != 0 || sl_appraise_show(db, o.period, &res) != 0 || !res)
            sl_ctl_die(SL_EXIT_FAIL, "could not export %s: %s", o.period, sl_db_error(db));
        s_xlsx(o.xlsx, res);
        if (o.html)
            s_html(o.html, res);
        printf("%s的考评结果已导出：%s%s%s\n", o.period, o.xlsx, o.html ? "、" : "",
               o.html ? o.html : "");
        json_decref(res);
        return SL_EXIT_OK;
    } else if (strcmp(what, "approve") == 0) {
        if (!o.by || !*o.by)
            sl_ctl_die(SL_EXIT_USAGE, "%s", s_usage);
        char why[256] = "";
        rc = sl_appraise_approve(db, o.period, o.by, sl_now_ms(), why, sizeof why);
        if (rc == SL_DECLINED)
            sl_ctl_die(SL_EXIT_FAIL, "%s", why);
        if (rc != 0)
            sl_ctl_die(SL_EXIT_FAIL, "could not approve %s: %s", o.period, sl_db_error(db));
        printf("%s的考评结果已由%s审定，将由 sl-appraise 发布\n", o.period, o.by);
        return SL_EXIT_OK;
    } else
        sl_ctl_die(SL_EXIT_USAGE, "%s", s_usage);
    if (o.json)
        s_dump(res);
    else if (strcmp(what, "explain") == 0)
        s_print_explain(res);
    else
        s_print(res);
    json_decref(res);
    return SL_EXIT_OK;
}
