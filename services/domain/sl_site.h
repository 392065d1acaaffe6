/* sl_site.h — the public site of a node (三公开), written from the issued
 * publications with the templates of templates/.
 *
 * Per publication: HTML pages of 100 items (Chinese, phone-readable, no
 * external assets, a print layout), JSON, CSV (UTF-8 with BOM, for Excel and
 * WPS) and plain text for a WeChat post; an index and an Atom feed over all.
 * The whole site is written into a new directory beside the configured one
 * and swapped in by renaming a symbolic link, so a reader (nginx, the
 * daemon's /site/) never sees half of it. */
#ifndef SL_SITE_H
#define SL_SITE_H

#include "sl_db.h"
#include "sl_publish_db.h"
#include "sl_template.h"

#define SL_SITE_PAGE_ITEMS 100

/* Rewrites the site at DIR (a symbolic link this module manages) from the
 * issued publications in DB, with the templates SET and the reporting
 * channels CHANNELS printed on every page. *FILES gets the number of files
 * written. 0, -1 (logged: files) or SL_AGAIN (database). */
int sl_site_write(sl_db_t *db, const sl_template_set_t *set, const char *dir, const char *channels,
                  long *files);

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
