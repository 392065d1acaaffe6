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
#include "sl_service.h"

#include <uv.h>

typedef struct sl_deadline sl_deadline_t;

/* Reads the node row through SVC (borrowed: its database is up, its metrics,
 * events and HTTP are the daemon's) and starts ticking off the loop (the
 * first tick at once). NULL on failure (logged). */
sl_deadline_t *sl_deadline_new(const sl_config_t *cfg, uv_loop_t *loop, sl_service_t *svc);
/* Frees everything; the service's periodic work must be stopped (sl_service_stop).
 * Accepts *p == NULL. */
void sl_deadline_destroy(sl_deadline_t **p);
/* Stops ticking; DONE(ARG) runs once the tick in flight, if any, has ended. */
void sl_deadline_drain(sl_deadline_t *d, void (*done)(void *), void *arg);

#endif
