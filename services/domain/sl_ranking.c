/* sl_ranking.c — the ranking publication's body and CSV.
 *
 * Figures are formatted here once (totals and scores to 0.01, the
 * numerator/denominator as "2/4"), so the page, the WeChat text and the CSV
 * print the same text; the templates only place it. */
#include "sl_ranking.h"

#include "sl_csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The places (or departments) of a result as the body's items. */
static json_t *
s_items(const json_t *places, json_t *supervised)
{
    json_t *items = json_array();
    size_t i;
    const json_t *p;
    json_array_foreach(places, i, p)
    {
        json_t *comp = json_array();
        size_t k;
        const json_t *c;
        json_array_foreach(json_object_get(p, "components"), k, c)
        {
            json_t *o = json_pack("{s:O}", "name", json_object_get(c, "name"));
            json_object_set_new(
                o, "num",
                json_sprintf("%lld", (long long)json_integer_value(json_object_get(c, "num"))));
            json_object_set_new(
                o, "den",
                json_sprintf("%lld", (long long)json_integer_value(json_object_get(c, "den"))));
            json_object_set_new(
                o, "weight", json_sprintf("%g", json_number_value(json_object_get(c, "weight"))));
            json_object_set_new(
                o, "score", json_sprintf("%.2f", json_number_value(json_object_get(c, "score"))));
            json_array_append_new(comp, o);
        }
        const char *why = json_string_value(json_object_get(p, "reasons"));
        json_t *it =
            json_pack("{s:O, s:O, s:O, s:o, s:o, s:b, s:s}", "index", json_object_get(p, "rank"),
                      "code", json_object_get(p, "code"), "name", json_object_get(p, "name"),
                      "total", json_sprintf("%.2f", json_number_value(json_object_get(p, "total"))),
                      "components", comp, "supervision",
                      json_is_true(json_object_get(p, "supervision")), "reasons", why ? why : "");
        json_object_set(it, "clues", json_object_get(p, "clues"));
        if (supervised && why && *why)
            json_array_append_new(
                supervised,
                json_pack("{s:O, s:s}", "name", json_object_get(p, "name"), "reasons", why));
        json_array_append_new(items, it);
    }
    return items;
}

/* The indicators' names and weights as the header of the table. */
static json_t *
s_heads(const json_t *places)
{
    json_t *h = json_array();
    size_t k;
    const json_t *c;
    json_array_foreach(json_object_get(json_array_get(places, 0), "components"), k, c)
    {
        json_t *o = json_pack("{s:O, s:b}", "name", json_object_get(c, "name"), "failing",
                              json_is_true(json_object_get(c, "failing")));
        json_object_set_new(o, "weight",
                            json_sprintf("%g", json_number_value(json_object_get(c, "weight"))));
        json_array_append_new(h, o);
    }
    return h;
}

json_t *
sl_ranking_body(const json_t *result, const char *by, const char *svg)
{
    const char *period = json_string_value(json_object_get(result, "period"));
    const json_t *rules = json_object_get(result, "rules");
    bool final = period && strcmp(period, "final") == 0;
    json_t *period_text =
        final ? json_sprintf("集中行动期间（%s至%s）",
                             json_string_value(json_object_get(result, "from")),
                             json_string_value(json_object_get(result, "to")))
              : json_sprintf("%.4s年%d月", period ? period : "", period ? atoi(period + 5) : 0);
    const json_t *places = json_object_get(result, "places");
    json_t *supervised = json_array();
    json_t *body = json_pack(
        "{s:o, s:O, s:O, s:O, s:O, s:O, s:b, s:O, s:s, s:s, s:o, s:o, s:o, s:b}", "period_text",
        period_text, "from", json_object_get(result, "from"), "to", json_object_get(result, "to"),
        "as_of", json_object_get(result, "as_of"), "rules_version",
        json_object_get(rules, "version"), "rules_label", json_object_get(rules, "label"),
        "project_defaults", json_is_true(json_object_get(rules, "project_defaults")), "rules_hash",
        json_object_get(rules, "hash"), "approved_by", by ? by : "", "svg", svg ? svg : "",
        "indicators", s_heads(places), "items", s_items(places, supervised), "supervised",
        supervised, "final", final);
    json_object_set(body, "inputs_hash", json_object_get(result, "inputs_hash"));
    if (json_array_size(places) == 0)
        json_object_set_new(body, "empty_text", json_string("本期无考评对象。"));
    const json_t *deps = json_object_get(result, "departments");
    if (json_array_size(deps) > 0) {
        json_object_set_new(body, "departments", s_items(deps, NULL));
        json_object_set_new(body, "department_indicators", s_heads(deps));
    }
    return body;
}

/* One section of the CSV: a header row and a row per item (REASONS: with
 * the supervision's reasons, the places'). */
static void
s_csv_rows(const json_t *heads, const json_t *items, const char *who, bool reasons, sl_buf_t *b)
{
    sl_csv_put(b, "名次", true);
    sl_csv_put(b, who, false);
    sl_csv_put(b, "总分", false);
    size_t k;
    const json_t *h;
    json_array_foreach(heads, k, h)
    {
        const char *name = json_string_value(json_object_get(h, "name"));
        char *t = sl_asprintf("%s（分子/分母）", name);
        sl_csv_put(b, t, false);
        free(t);
        t = sl_asprintf("%s得分（权重%s）", name, json_string_value(json_object_get(h, "weight")));
        sl_csv_put(b, t, false);
        free(t);
    }
    if (reasons)
        sl_csv_put(b, "列入重点督导的原因", false);
    sl_buf_puts(b, "\r\n");
    size_t i;
    const json_t *it;
    json_array_foreach(items, i, it)
    {
        char rank[16];
        snprintf(rank, sizeof rank, "%lld",
                 (long long)json_integer_value(json_object_get(it, "index")));
        sl_csv_put(b, rank, true);
        sl_csv_put(b, json_string_value(json_object_get(it, "name")), false);
        sl_csv_put(b, json_string_value(json_object_get(it, "total")), false);
        const json_t *c;
        json_array_foreach(json_object_get(it, "components"), k, c)
        {
            char *t = sl_asprintf("%s/%s", json_string_value(json_object_get(c, "num")),
                                  json_string_value(json_object_get(c, "den")));
            sl_csv_put(b, t, false);
            free(t);
            sl_csv_put(b, json_string_value(json_object_get(c, "score")), false);
        }
        const char *why = json_string_value(json_object_get(it, "reasons"));
        if (reasons)
            sl_csv_put(b, why ? why : "", false);
        sl_buf_puts(b, "\r\n");
    }
}

void
sl_ranking_csv(const json_t *body, sl_buf_t *out)
{
    sl_buf_puts(out, "\xEF\xBB\xBF");
    s_csv_rows(json_object_get(body, "indicators"), json_object_get(body, "items"), "地方", true,
               out);
    if (json_array_size(json_object_get(body, "departments")) > 0) {
        sl_buf_puts(out, "\r\n");
        s_csv_rows(json_object_get(body, "department_indicators"),
                   json_object_get(body, "departments"), "部门", false, out);
    }
}
