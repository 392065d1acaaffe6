/* appraise.h — sl-appraise, the monthly appraisal (四考核) of the places below.
 *
 * Every [appraise] check_seconds (and at once on start), off the loop: each
 * month that has ended and has no run yet (the month before now, and the
 * campaigns' months) is scored from the ledger as of its end under the rules
 * file ([appraise] rules) and stored (appraisal.computed); each run approved
 * with `slctl appraise approve` and not yet published is marked published and
 * evented (appraisal.published), for sl-publish to put on the portal. */
#ifndef SL_APPRAISE_DAEMON_H
#define SL_APPRAISE_DAEMON_H

#include "sl_config.h"
#include "sl_service.h"

#include <uv.h>

typedef struct sl_appraiser sl_appraiser_t;

/* Reads the rules file (its errors stop the start) and starts checking off
 * the loop through SVC (borrowed). NULL on failure (logged). */
sl_appraiser_t *sl_appraiser_new(const sl_config_t *cfg, uv_loop_t *loop, sl_service_t *svc);
/* Frees everything; the service's periodic work must be stopped. Accepts *p == NULL. */
void sl_appraiser_destroy(sl_appraiser_t **p);
/* Stops checking; DONE(ARG) runs once the check in flight, if any, has ended. */
void sl_appraiser_drain(sl_appraiser_t *a, void (*done)(void *), void *arg);

#endif
