/* deadline.h — sl-deadline, the node's clocks (DESIGN.md "Deadlines and escalation").
 *
 * On every tick ([deadline] tick_seconds, and at once on start, so clocks that
 * passed while it was down are acted on): the transfers whose next clock has
 * come (sl_transfer_clock), the escalations marked and not yet raised
 * (sl_escalation), the campaigns' report deadlines and phase boundaries
 * (sl_report). Each step is one transaction under the leader lock, so of
 * several instances one acts; events go out after each commit. */
#ifndef SL_DEADLINE_DAEMON_H
#define SL_DEADLINE_DAEMON_H

#include "sl_config.h"

#include <uv.h>

typedef struct sl_deadline sl_deadline_t;

/* Connects to the database (waiting up to a minute), checks the schema and
 * the node row, binds the events socket and the HTTP port, and starts the tick
 * timer (the first tick runs at once). NULL on failure (logged). */
sl_deadline_t *sl_deadline_new(const sl_config_t *cfg, uv_loop_t *loop);
/* Stops the timer and frees everything; accepts *p == NULL. */
void sl_deadline_destroy(sl_deadline_t **p);
/* Stops ticking; a tick runs to its end inside one loop callback, so nothing
 * is in flight afterwards: calls DONE(ARG) at once. */
void sl_deadline_drain(sl_deadline_t *d, void (*done)(void *), void *arg);

#endif
