/* sl_score.c — the appraisal's arithmetic: rules file, totals, ranks, triggers.
 *
 * Pure: no database, no files. sl_appraise reads the figures and the rules
 * file's bytes and stores what comes out; slctl and sl-appraise show it. The
 * rules file is a small INI of its own (sections [rules], [weights],
 * [triggers]); a key this file does not know is an error, so a typo cannot
 * silently leave a weight at zero. */
#include "sl_score.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *key;  /* rules file, JSON */
    const char *name; /* as printed */
    bool failing;     /* counts failures */
} s_ind[SL_IND_COUNT] = {
    [SL_IND_HAZARDS] = {"hazards", "重大隐患整改", false},
    [SL_IND_PUNISHED] = {"punished", "打击非法违法", false},
    [SL_IND_CLOSED] = {"closed", "关闭取缔", false},
    [SL_IND_ACCOUNTABLE] = {"accountable", "问责曝光", false},
    [SL_IND_FEEDBACK] = {"feedback", "按时反馈", false},
    [SL_IND_ESCALATED] = {"escalated", "接而不办、逾期、虚假办结", true},
    [SL_IND_REPORTS] = {"reports", "按时报告", false},
    [SL_IND_SPOTCHECK] = {"spotcheck", "抽查发现问题", true},
};

const char *
sl_score_ind_key(int i)
{
    return i >= 0 && i < SL_IND_COUNT ? s_ind[i].key : NULL;
}

const char *
sl_score_ind_name(int i)
{
    return i >= 0 && i < SL_IND_COUNT ? s_ind[i].name : NULL;
}

bool
sl_score_ind_failing(int i)
{
    return i >= 0 && i < SL_IND_COUNT && s_ind[i].failing;
}

/* --- the rules file ---------------------------------------------------------- */

static char *
s_trim(char *s)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

static int
s_number(const char *v, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || end == v || *s_trim(end) || !isfinite(d) || d < lo || d > hi)
        return -1;
    *out = d;
    return 0;
}

/* One KEY = VALUE of SECTION into R. 0, or -1 with ERR. */
static int
s_rule(sl_score_rules_t *r, const char *section, const char *key, const char *v, char *err,
       size_t errlen)
{
    double d;
    if (strcmp(section, "rules") == 0) {
        if (strcmp(key, "version") == 0)
            snprintf(r->version, sizeof r->version, "%s", v);
        else if (strcmp(key, "label") == 0)
            snprintf(r->label, sizeof r->label, "%s", v);
        else if (strcmp(key, "project_defaults") == 0) {
            if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0) {
                snprintf(err, errlen, "[rules] project_defaults: true or false, not \"%s\"", v);
                return -1;
            }
            r->project_defaults = strcmp(v, "true") == 0;
        } else
            goto unknown;
        return 0;
    }
    if (strcmp(section, "weights") == 0) {
        for (int i = 0; i < SL_IND_COUNT; i++)
            if (strcmp(key, s_ind[i].key) == 0) {
                if (s_number(v, 0, 1000, &r->weight[i]) != 0) {
                    snprintf(err, errlen, "[weights] %s: a number from 0 to 1000, not \"%s\"", key,
                             v);
                    return -1;
                }
                return 0;
            }
        goto unknown;
    }
    if (strcmp(section, "triggers") == 0) {
        double *share = strcmp(key, "few_clues_share") == 0       ? &r->few_clues_share
                        : strcmp(key, "low_rectify_rate") == 0    ? &r->low_rectify_rate
                        : strcmp(key, "weak_measures_share") == 0 ? &r->weak_measures_share
                                                                  : NULL;
        if (share) {
            if (s_number(v, 0, 1, share) != 0) {
                snprintf(err, errlen, "[triggers] %s: a share from 0 to 1, not \"%s\"", key, v);
                return -1;
            }
            return 0;
        }
        if (strcmp(key, "accidents") == 0) {
            if (s_number(v, 1, 1000, &d) != 0 || d != floor(d)) {
                snprintf(err, errlen, "[triggers] accidents: a whole number from 1, not \"%s\"", v);
                return -1;
            }
            r->accidents = (int64_t)d;
            return 0;
        }
        goto unknown;
    }
    snprintf(err, errlen, "unknown section [%s]", section);
    return -1;
unknown:
    snprintf(err, errlen, "unknown key \"%s\" in [%s]", key, section);
    return -1;
}

int
sl_score_rules_parse(const char *text, size_t len, sl_score_rules_t *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    r->few_clues_share = 0.3;
    r->low_rectify_rate = 0.6;
    r->weak_measures_share = 0.5;
    r->accidents = 1;
    char section[32] = "";
    char line[512], msg[256];
    size_t pos = 0;
    int lineno = 0;
    while (pos < len) {
        size_t e = pos;
        while (e < len && text[e] != '\n')
            e++;
        lineno++;
        size_t n = e - pos < sizeof line - 1 ? e - pos : sizeof line - 1;
        memcpy(line, text + pos, n);
        line[n] = '\0';
        pos = e + 1;
        char *s = s_trim(line);
        if (lineno == 1 && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB &&
            (unsigned char)s[2] == 0xBF)
            s += 3; /* a BOM */
        if (!*s || *s == ';' || *s == '#')
            continue;
        if (*s == '[') {
            char *close = strchr(s, ']');
            if (!close || close - s - 1 >= (long)sizeof section) {
                snprintf(err, errlen, "line %d: bad section header", lineno);
                return -1;
            }
            *close = '\0';
            snprintf(section, sizeof section, "%s", s_trim(s + 1));
            continue;
        }
        char *eq = strchr(s, '=');
        if (!eq || !*section) {
            snprintf(err, errlen, "line %d: expected KEY = VALUE in a section", lineno);
            return -1;
        }
        *eq = '\0';
        for (char *c = eq + 1; *c; c++) /* an inline comment: whitespace, then ';' */
            if (*c == ';' && c > eq + 1 && isspace((unsigned char)c[-1])) {
                *c = '\0';
                break;
            }
        if (s_rule(r, section, s_trim(s), s_trim(eq + 1), msg, sizeof msg) != 0) {
            snprintf(err, errlen, "line %d: %s", lineno, msg);
            return -1;
        }
    }
    if (!r->version[0]) {
        snprintf(err, errlen, "[rules] version is missing");
        return -1;
    }
    return 0;
}

/* --- scoring ------------------------------------------------------------------- */

static int
s_cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The median of every place's clues but SELF's (0 when there is no other). */
static double
s_peers_median(const sl_score_place_t *p, size_t n, size_t self, int64_t *tmp)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (i != self)
            tmp[m++] = p[i].clues;
    if (m == 0)
        return 0;
    qsort(tmp, m, sizeof *tmp, s_cmp_i64);
    return m % 2 ? (double)tmp[m / 2] : (tmp[m / 2 - 1] + tmp[m / 2]) / 2.0;
}

static double
s_value(int i, sl_score_ratio_t q)
{
    if (q.den <= 0)
        return 0;
    double v = (double)q.num / (double)q.den;
    if (v > 1)
        v = 1;
    if (v < 0)
        v = 0;
    return s_ind[i].failing ? 1 - v : v;
}

void
sl_score_compute(const sl_score_rules_t *r, sl_score_place_t *p, size_t n)
{
    int64_t *tmp = n ? malloc(n * sizeof *tmp) : NULL;
    for (size_t k = 0; k < n; k++) {
        double t = 0;
        for (int i = 0; i < SL_IND_COUNT; i++) {
            p[k].component[i] = round(r->weight[i] * s_value(i, p[k].ind[i]) * 100) / 100;
            t += p[k].component[i];
        }
        p[k].total = round(t * 100) / 100;
        p[k].triggers = 0;
        p[k].peers_median_clues = tmp ? s_peers_median(p, n, k, tmp) : 0;
        if (n > 1 && (double)p[k].clues < r->few_clues_share * p[k].peers_median_clues)
            p[k].triggers |= SL_TRIGGER_FEW_CLUES;
        const sl_score_ratio_t *h = &p[k].ind[SL_IND_HAZARDS];
        if (h->den > 0 && (double)h->num < r->low_rectify_rate * (double)h->den)
            p[k].triggers |= SL_TRIGGER_LOW_RECTIFY;
        if (p[k].verified_true > 0 &&
            (double)p[k].no_measures > r->weak_measures_share * (double)p[k].verified_true)
            p[k].triggers |= SL_TRIGGER_WEAK_MEASURES;
        if (p[k].accidents >= r->accidents && p[k].accidents > 0)
            p[k].triggers |= SL_TRIGGER_ACCIDENT;
    }
    free(tmp);
    /* Competition ranking (1, 2, 2, 4): a place's rank is 1 + the number of
     * places with a higher total; totals are rounded to 0.01, so equal means
     * equal as printed. */
    for (size_t k = 0; k < n; k++) {
        int above = 0;
        for (size_t j = 0; j < n; j++)
            if (llround(p[j].total * 100) > llround(p[k].total * 100))
                above++;
        p[k].rank = above + 1;
    }
}

static int
s_cmp_rank(const void *a, const void *b)
{
    const sl_score_place_t *x = a, *y = b;
    if (x->rank != y->rank)
        return x->rank - y->rank;
    return strcmp(x->code, y->code);
}

void
sl_score_sort(sl_score_place_t *p, size_t n)
{
    if (n > 1)
        qsort(p, n, sizeof *p, s_cmp_rank);
}

void
sl_score_reasons(const sl_score_rules_t *r, const sl_score_place_t *p, char *buf, size_t len)
{
    size_t off = 0;
    buf[0] = '\0';
#define S_ADD(...)                                                                                 \
    do {                                                                                           \
        if (off < len) {                                                                           \
            int w_ = snprintf(buf + off, len - off, "%s", off ? "；" : "");                        \
            off += w_ > 0 ? (size_t)w_ : 0;                                                        \
        }                                                                                          \
        if (off < len) {                                                                           \
            int w_ = snprintf(buf + off, len - off, __VA_ARGS__);                                  \
            off += w_ > 0 ? (size_t)w_ : 0;                                                        \
        }                                                                                          \
    } while (0)
    if (p->triggers & SL_TRIGGER_FEW_CLUES)
        S_ADD("问题线索偏少（本月%lld条，低于其他地方中位数%.1f条的%.0f%%）", (long long)p->clues,
              p->peers_median_clues, r->few_clues_share * 100);
    if (p->triggers & SL_TRIGGER_LOW_RECTIFY)
        S_ADD("问题隐患整改率偏低（重大隐患整改%lld项/排查%lld项，低于%.0f%%）",
              (long long)p->ind[SL_IND_HAZARDS].num, (long long)p->ind[SL_IND_HAZARDS].den,
              r->low_rectify_rate * 100);
    if (p->triggers & SL_TRIGGER_WEAK_MEASURES)
        S_ADD("落实“七项措施”不力（查实%lld件中%lld件未采取措施①至④，超过%.0f%%）",
              (long long)p->verified_true, (long long)p->no_measures, r->weak_measures_share * 100);
    if (p->triggers & SL_TRIGGER_ACCIDENT)
        S_ADD("发生较大事故%lld起，开小灶", (long long)p->accidents);
#undef S_ADD
}
