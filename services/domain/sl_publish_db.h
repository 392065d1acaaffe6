/* sl_publish_db.h — 三公开 in the database: drafting publications from the
 * pub_* views, the publication records, the office's public summaries and
 * holds.
 *
 * All SQL on publication and case_public is here. Drafting reads only the
 * pub_* views (what sl-publish's own role may read) and decides item by item
 * through sl_disclose; a publication is inserted once and never edited but
 * for its approval (the table's trigger enforces it). */
#ifndef SL_PUBLISH_DB_H
#define SL_PUBLISH_DB_H

#include "sl_apply.h"
#include "sl_audit.h"
#include "sl_codec.h"
#include "sl_db.h"
#include "sl_disclose.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* The kinds of publication: the transfer list (交办清单), the weekly
 * progress (查处整改进展), the results (办理结果), the weekly exposure
 * (曝光: negative typical cases, those held accountable, positive examples). */
typedef enum {
    SL_PUB_LIST = 0,
    SL_PUB_PROGRESS,
    SL_PUB_RESULTS,
    SL_PUB_EXPOSURE,
    SL_PUB_KINDS
} sl_pub_kind_t;

/* "list", "progress", "results", "exposure"; the kind named by TEXT, or -1. */
const char *sl_pub_kind_name(sl_pub_kind_t k);
int sl_pub_kind_parse(const char *text);

/* What a draft is made with. Strings borrowed. */
typedef struct {
    sl_person_rule_t person; /* how natural persons are named */
    const char *by;          /* who drafts: "sl-publish", "slctl" */
    int64_t now_ms;          /* when */
    bool weekly_list;        /* the transfer list is weekly (province) */
} sl_pub_draft_opts_t;

/* Drafts publication KIND for the period NOW falls in, unless one exists
 * for that period (results: unless no case was closed since the last). *ID
 * gets the new draft's id, or 0 when nothing was drafted. One transaction.
 * 0, -1 or SL_AGAIN. */
int sl_pub_draft(sl_db_t *db, sl_pub_kind_t kind, const sl_pub_draft_opts_t *o, int64_t *id);

/* Inserts publication KIND (one sl-publish does not draft: "ranking") for
 * PERIOD already issued, approved BY at NOW_MS, inside the caller's
 * transaction: BODY (borrowed; gets kind, period, title, node, node_name and
 * office) is what the site renders, its "items" counted; the title is the
 * node's name followed by TITLE_TAIL. *ID the publication. 0, -1 or
 * SL_AGAIN (a second one of KIND and PERIOD violates publication_period). */
int sl_pub_release(sl_db_t *db, const char *kind, const char *period, const char *title_tail,
                   json_t *body, const char *by, int64_t now_ms, int64_t *id);

/* Approves draft ID as by BY (the office's approver) at NOW_MS. 0; 1 when
 * there is no such draft (unknown, or already issued); -1 or SL_AGAIN. */
int sl_pub_approve(sl_db_t *db, int64_t id, const char *by, int64_t now_ms);

/* Approves every draft of KIND drafted by the daemon (auto_approve). Returns
 * the number approved, or -1 / SL_AGAIN. */
long sl_pub_approve_kind(sl_db_t *db, sl_pub_kind_t kind, const char *by, int64_t now_ms);

/* Drafts a correction of issued publication ID: the same kind and period,
 * BODY_JSON the corrected body (NULL: the original's, re-drafted from the
 * views now), REASON said on the page. *NEW_ID the draft. 0; 1 if ID is not
 * an issued publication; -1 or SL_AGAIN. */
int sl_pub_correct(sl_db_t *db, int64_t id, const char *reason, const sl_pub_draft_opts_t *o,
                   int64_t *new_id);

/* One publication, as listed. Strings borrowed for the callback's duration. */
typedef struct {
    int64_t id;
    const char *kind, *period, *title, *state, *hash;
    const char *drafted_at, *approved_by, *approved_at; /* "" while a draft */
    int items, held, missing;
    int64_t corrects;     /* 0 if none */
    int64_t corrected_by; /* the newest correction of it, 0 if none */
    const char *reason;
    const char *body; /* the JSON text (only with sl_pub_each's WITH_BODY) */
} sl_pub_row_t;

typedef void(sl_pub_row_cb)(void *arg, const sl_pub_row_t *row);

/* Calls CB for each publication (DRAFTS_ONLY: the drafts; ISSUED_ONLY: the
 * issued ones), oldest first; with the body if WITH_BODY. 0, -1 or SL_AGAIN. */
int sl_pub_each(sl_db_t *db, bool drafts_only, bool issued_only, bool with_body, sl_pub_row_cb *cb,
                void *arg);
/* Publication ID with its body through CB. 0; 1 if there is none; -1 / SL_AGAIN. */
int sl_pub_get(sl_db_t *db, int64_t id, sl_pub_row_cb *cb, void *arg);

/* A text that changes whenever the set of issued publications does (for
 * regenerating the site only then) into OUT (SIZE bytes). 0, -1 or SL_AGAIN. */
int sl_pub_issued_sig(sl_db_t *db, char *out, size_t size);

/* The issued publications with an id above AFTER, oldest first, without
 * their bodies (what is new since a reader last looked; a draft issued after
 * a newer one is found by sl_pub_issued_ids). 0, -1 or SL_AGAIN. */
int sl_pub_issued_after(sl_db_t *db, int64_t after, sl_pub_row_cb *cb, void *arg);

/* The ids of every issued publication, ascending, appended to IDS (the
 * caller frees IDS->v). 0, -1 or SL_AGAIN. */
typedef struct {
    int64_t *v;
    size_t n, cap;
} sl_pub_ids_t;
int sl_pub_issued_ids(sl_db_t *db, sl_pub_ids_t *ids);

/* A node's publications at a glance, in one query whatever their number. */
typedef struct {
    long drafts;     /* waiting for approval */
    double oldest_s; /* the age of the oldest draft, 0 if none */
    long issued;
    int missing, held; /* the newest list's (清单) */
} sl_pub_status_t;
int sl_pub_status(sl_db_t *db, sl_pub_status_t *st);

/* Makes ROLE (if it does not exist) and grants it what sl-publish may read
 * and write: the pub_* views and its drafts (schema 011's sl_publish_grant).
 * 0, -1 or SL_AGAIN. */
int sl_pub_grant(sl_db_t *db, const char *role);

/* Sets the public summary of case CASE_NO (the office's words) or holds the
 * case back (HOLD true, REASON why) / releases it (HOLD false), inside the
 * caller's transaction; audited on the case's chain (public_summary,
 * public_hold). 0; 1 if there is no such case; -1 or SL_AGAIN. */
int sl_case_public_summary(sl_db_t *db, const char *case_no, const char *text,
                           const sl_actor_t *actor, int64_t now_ms);
int sl_case_public_hold(sl_db_t *db, const char *case_no, bool hold, const char *reason,
                        const sl_actor_t *actor, int64_t now_ms);
/* Marks case CASE_NO as a positive example (选树提升) in the office's words
 * TEXT; audited (public_positive). As sl_case_public_summary. */
int sl_case_public_positive(sl_db_t *db, const char *case_no, const char *text,
                            const sl_actor_t *actor, int64_t now_ms);

/* Validates a PublicNote body (case_no, kind, text for SUMMARY and HOLD, at
 * most 1000 characters). 0, or SL_DECLINED with ERR set. Pure. */
int sl_pub_note_validate(const sl_pb_envelope_t *env, sl_codec_error_t *err);
/* Applies ENV's PublicNote inside the batch's transaction (SENDER the
 * actor's key): the summary, the hold or its release, audited on the case.
 * 0 (RES: the case, topic case.public_note), SL_DECLINED (RES->err: no such
 * case), -1 or SL_AGAIN. */
int sl_pub_note_apply(sl_db_t *db, const char *node, int64_t now_ms, const sl_pb_envelope_t *env,
                      const char *sender, sl_apply_result_t *res);

#endif
