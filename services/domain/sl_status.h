/* sl_status.h — queue health of one node, for people: what `slctl status` and
 * the status page show.
 *
 * Gathers from the node's database (daemon heartbeats, the outbox per peer,
 * link figures sl-dispatch records, dead letters of the last hour, overdue and
 * due transfers, calendar warnings) and from each daemon's /healthz, and
 * grades it: 0 all well, 1 warnings, 2 something needs a person (the database
 * unreachable, a daemon down, a link down with a backlog). The figures are one
 * JSON object so the tool, the page and scripts read the same thing. */
#ifndef SL_STATUS_H
#define SL_STATUS_H

#include "sl_db.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

enum { SL_STATUS_OK = 0, SL_STATUS_WARN = 1, SL_STATUS_CRITICAL = 2 };

/* The node's status at NOW_MS as a new JSON object (the caller json_decref()s
 * it). DB may be unreachable: the object then says so (level 2). With PROBE,
 * each daemon's /healthz is asked (short timeouts). Keys: node, name, at,
 * level, problems[], warnings[], database{up, rtt_ms}, daemons[], links[],
 * dead_letters_last_hour, overdue{count, items[]}, due_soon, upper{owed,
 * next_deadline, overdue, items[]} (the deadline owed upward), calendar{years[],
 * warnings[], next_year_missing}. */
json_t *sl_status_gather(sl_db_t *db, const char *node, int64_t now_ms, bool probe);

/* The status as text for a terminal, UTF-8, one screen. */
char *sl_status_text(const json_t *status);

/* The status page: a self-contained HTML document (Chinese, no external
 * assets) that renders STATUS and refreshes itself from JSON_URL. */
char *sl_status_page(const json_t *status, const char *json_url);

#endif
