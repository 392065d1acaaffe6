/* sl_site.h — the public site of a node (三公开), written from the issued
 * publications with the templates of templates/.
 *
 * Per publication: HTML pages of 100 items (Chinese, phone-readable, no
 * external assets, a print layout), JSON, CSV (UTF-8 with BOM, for Excel and
 * WPS) and plain text for a WeChat post; an index of the newest
 * SL_SITE_INDEX_ITEMS with archive pages of SL_SITE_INDEX_ITEMS each for the
 * older (往期公开), and an Atom feed of the newest SL_SITE_FEED_ENTRIES (a
 * reader polls it; it need not grow with the campaign).
 * Each generation of the site is a new directory beside the configured one,
 * swapped in by renaming a symbolic link, so a reader (nginx, the daemon's
 * /site/) never sees half of it. An issued publication never changes, so a
 * generation renders only what is new (and a publication since corrected,
 * whose pages link to the correction) and hard-links the rest from the
 * previous one; an archive page, once full, is rendered again only when one
 * of its publications is corrected. The writer's memo keeps a short record
 * of each issued publication and asks the database only for what it lacks:
 * the time and memory of a regeneration follow what changed, not the node's
 * whole history. */
#ifndef SL_SITE_H
#define SL_SITE_H

#include "sl_db.h"
#include "sl_publish_db.h"
#include "sl_template.h"

#define SL_SITE_PAGE_ITEMS 100
#define SL_SITE_INDEX_ITEMS 100 /* on the index, and on each archive page */
#define SL_SITE_FEED_ENTRIES 50 /* the Atom feed: the newest publications, not every one */

/* What the generation in place was written from, kept by the writer between
 * regenerations. A new memo (or one after a failed write, or a generation
 * swapped in by someone else) renders every publication: so does the first
 * write after a start, which picks up new templates and channels. */
typedef struct sl_site_memo sl_site_memo_t;
sl_site_memo_t *sl_site_memo_new(void);
void sl_site_memo_destroy(sl_site_memo_t **memo);

/* Writes a new generation of the site at DIR (a symbolic link this module
 * manages) from the issued publications in DB, with the templates SET and
 * the reporting channels CHANNELS printed on every page, rendering what
 * MEMO does not hold and linking the rest. ON_NEW (if not NULL) gets each
 * issued publication the memo learns of (every one, on a new memo), without
 * its body. *FILES gets the number of files the site holds, *RENDERED the
 * publications rendered. 0, -1 (logged: files) or SL_AGAIN (database). */
int sl_site_write(sl_db_t *db, const sl_template_set_t *set, const char *dir, const char *channels,
                  sl_site_memo_t *memo, sl_pub_row_cb *on_new, void *arg, long *files,
                  long *rendered);

/* Appends the HTML of page PAGE (1-based) of publication ROW (with its body)
 * to OUT, marked as a preview when ROW is a draft. 0, or -1 if the body or
 * a template is bad. */
int sl_site_page(const sl_template_set_t *set, const sl_pub_row_t *row, const char *channels,
                 int page, sl_buf_t *out);

/* The templates a publication of KIND is rendered with: its page
 * ("publication.html"; a ranking: "ranking.html") and its plain text
 * ("publication.txt"; "ranking.txt"). Static. */
const char *sl_site_page_template(const char *kind);
const char *sl_site_text_template(const char *kind);

/* The content type for a site file name. Static. */
const char *sl_site_content_type(const char *name);

/* True if PATH (below the site's root) is a name the site may hold: no "..",
 * no leading "/", only letters, digits and "._-/". */
bool sl_site_path_ok(const char *path);

#endif
