/* sl_template.h — a small template language over JSON values, for the pages
 * that leave a node (the public site, its feed, the WeChat text).
 *
 * Templates are files in the repo (templates/), read once at start; no HTML
 * is written in C. The syntax is a subset of Mustache:
 *   {{name}}         the value, escaped for the template's kind (the one place
 *                    escaping happens); {{a.b}} walks objects, {{a.0}} arrays
 *   {{{name}}}       the value unescaped (for text the code built safely)
 *   {{#name}}…{{/name}}  for each element of an array, or once if the value is
 *                    true / a non-empty string / an object (then its scope)
 *   {{^name}}…{{/name}}  once if the value is absent, false, empty or []
 *   {{> file}}       another template of the same set, in the current scope
 * Names are looked up in the innermost scope first; "." is the scope itself. */
#ifndef SL_TEMPLATE_H
#define SL_TEMPLATE_H

#include "sl_util.h"

#include <jansson.h>

typedef struct sl_template_set sl_template_set_t;

/* How {{name}} escapes: HTML/XML (& < > " ') or not at all (plain text). */
typedef enum { SL_ESCAPE_HTML = 0, SL_ESCAPE_NONE } sl_escape_t;

/* Reads every file of directory DIR (not recursive). NULL on failure, with
 * *ERR (caller frees) saying which file and why. */
sl_template_set_t *sl_template_load(const char *dir, char **err);
void sl_template_destroy(sl_template_set_t **p);

/* The templates of the repo's templates/ as compiled into the binary
 * (cmake/embed.cmake): what the transfer notice (notice.html) and the status
 * page (status.html) are rendered with, needing no installed files. Made
 * once, never destroyed; NULL only if an embedded file is not UTF-8. */
const sl_template_set_t *sl_template_embedded(void);

/* Appends template NAME rendered over DATA (borrowed) to OUT, escaping with
 * ESC. 0, or -1 when there is no such template or it does not parse (OUT then
 * holds what was rendered up to the error). */
int sl_template_render(const sl_template_set_t *set, const char *name, const json_t *data,
                       sl_escape_t esc, sl_buf_t *out);

/* Renders the template text TEXT (for tests); as sl_template_render. */
int sl_template_render_text(const char *text, const json_t *data, sl_escape_t esc, sl_buf_t *out);

/* Appends S to OUT escaped for HTML and XML. */
void sl_template_escape(sl_buf_t *out, const char *s);

#endif
