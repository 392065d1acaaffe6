/* sl_score.h — the appraisal's arithmetic (四考核): indicators, weights,
 * ranking and the supervision triggers, values in and values out.
 *
 * A place (a government one level down) comes with its indicators for one
 * month, each a numerator over a denominator (sl_appraise reads them from the
 * ledger and the reports as of the month's end); the rules (an INI file,
 * versioned) weigh them. The total is the sum of weight × numerator ÷
 * denominator (1 − that for an indicator that counts failures; 0 when the
 * denominator is 0: nothing to show is no credit). The supervision triggers
 * (重点督导, 开小灶) are not scores: a place they name is still ranked. */
#ifndef SL_SCORE_H
#define SL_SCORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The indicators, in the order they are shown. */
typedef enum {
    SL_IND_HAZARDS = 0, /* 重大隐患整改: rectified of found (report) */
    SL_IND_PUNISHED,    /* 打击非法违法: punished of found (report) */
    SL_IND_CLOSED,      /* 关闭取缔: closed of illegal acts found (report) */
    SL_IND_ACCOUNTABLE, /* 问责曝光: units and persons of illegal acts found (report) */
    SL_IND_FEEDBACK, /* 按时反馈: transfers fed back by their deadline of those due (ledger) */
    SL_IND_ESCALATED, /* 接而不办、逾期、虚假办结: escalations of transfers due (ledger; a failing)
                       */
    SL_IND_REPORTS,   /* 按时报告: reports on time of those due (reports) */
    SL_IND_SPOTCHECK, /* 抽查发现问题: the spot checks recorded at this node of the place's
                       * inspections that found 应发现未发现 or 应处罚未处罚, of those made
                       * (registers; a failing) */
    SL_IND_COUNT
} sl_score_ind_t;

/* Why a place is listed for supervision (bits). */
enum {
    SL_TRIGGER_FEW_CLUES = 1 << 0,     /* 问题线索偏少 */
    SL_TRIGGER_LOW_RECTIFY = 1 << 1,   /* 问题隐患整改率偏低 */
    SL_TRIGGER_WEAK_MEASURES = 1 << 2, /* 落实“七项措施”不力 */
    SL_TRIGGER_ACCIDENT = 1 << 3,      /* 发生较大事故：开小灶 */
};

typedef struct {
    int64_t num; /* numerator */
    int64_t den; /* denominator */
} sl_score_ratio_t;

typedef struct {
    char code[48];                      /* the unit's code (a division code; 140700:emergency) */
    char name[96];                      /* 平遥县人民政府 */
    sl_score_ratio_t ind[SL_IND_COUNT]; /* the month's indicators */
    int64_t clues;                      /* clues registered about the place in the month */
    int64_t verified_true;              /* cases verified in the month, found 属实 */
    int64_t no_measures;                /* of those, none of measures ①–④ applied */
    int64_t accidents;                  /* 较大 (or worse) accidents in the month */
    /* filled by sl_score_compute */
    double component[SL_IND_COUNT]; /* weight × value */
    double total;                   /* sum of the components, rounded to 0.01 */
    int rank;                       /* 1 = first; equal totals share a rank */
    unsigned triggers;              /* SL_TRIGGER_* */
    double peers_median_clues;      /* the other places' median of clues */
} sl_score_place_t;

typedef struct {
    char version[64];            /* [rules] version */
    char label[128];             /* [rules] label: whose rules, e.g. 项目默认规则 */
    bool project_defaults;       /* [rules] project_defaults: the file is the project's */
    double weight[SL_IND_COUNT]; /* [weights] */
    double few_clues_share;      /* [triggers] few_clues_share: of the peers' median */
    double low_rectify_rate;     /* [triggers] low_rectify_rate */
    double weak_measures_share;  /* [triggers] weak_measures_share */
    int64_t accidents;           /* [triggers] accidents: 较大 accidents for 开小灶 */
} sl_score_rules_t;

/* The indicator's key in the rules file and JSON ("hazards"), and its Chinese
 * name (重大隐患整改). NULL out of range. */
const char *sl_score_ind_key(int i);
const char *sl_score_ind_name(int i);
/* True for an indicator that counts failures (its value is 1 − num/den). */
bool sl_score_ind_failing(int i);

/* Parses the rules file's TEXT (LEN bytes) into R. 0, or -1 with ERR (ERRLEN
 * bytes) naming the line and what is wrong (an unknown section or key, a bad
 * number, no version). */
int sl_score_rules_parse(const char *text, size_t len, sl_score_rules_t *r, char *err,
                         size_t errlen);

/* Fills each place's components, total, triggers and rank (N places). The
 * places are not reordered. */
void sl_score_compute(const sl_score_rules_t *r, sl_score_place_t *p, size_t n);
/* Sorts P by rank, then code (the ranking as shown). */
void sl_score_sort(sl_score_place_t *p, size_t n);
/* The reasons of P's triggers in Chinese, one clause each separated by "；",
 * into BUF (LEN bytes); "" when none. */
void sl_score_reasons(const sl_score_rules_t *r, const sl_score_place_t *p, char *buf, size_t len);

#endif
