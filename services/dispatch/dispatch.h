/* dispatch.h — sl-dispatch, the node's handling work that time starts (DESIGN.md "One node").
 *
 * On every scan ([dispatch] scan_seconds): picks up a newly imported calendar
 * (and recomputes deadlines that carried a calendar warning), forms the
 * transfer list when its round is due ([dispatch] start_date, interval_days,
 * time_of_day; interval 0: whenever registered cases wait), and announces each
 * transfer to a unit that has not yet signed for it as a `transfer.issued`
 * event on [dispatch] events. Runs one sl_link per peer node the config names
 * ([parent], [child.CODE]), re-sealing reporters for the receiver before a
 * row's first send (sl_fed_reseal). Several instances may run on one
 * database; one of them sends to each peer (the link's leader lock). */
#ifndef SL_DISPATCH_H
#define SL_DISPATCH_H

#include "sl_config.h"
#include "sl_service.h"

#include <uv.h>

typedef struct sl_dispatch sl_dispatch_t;

/* Reads the node row through SVC (borrowed: its database is up, its metrics,
 * bus, events and HTTP are the daemon's), opens the links and starts scanning
 * off the loop (the first scan at once). NULL on failure (logged). */
sl_dispatch_t *sl_dispatch_new(const sl_config_t *cfg, uv_loop_t *loop, sl_service_t *svc);
/* Closes the links and frees everything; the service's periodic work must be
 * stopped (sl_service_stop). Accepts *p == NULL. */
void sl_dispatch_destroy(sl_dispatch_t **p);
/* Stops scanning; DONE(ARG) runs once the scan in flight, if any, has ended
 * (it stops at its next step: sl_service_stopping). */
void sl_dispatch_drain(sl_dispatch_t *d, void (*done)(void *), void *arg);

#endif
