/* publish.h — sl-publish's server: drafts on schedule, auto-approval, the
 * public site, the preview, events and /metrics. */
#ifndef SL_PUBLISH_H
#define SL_PUBLISH_H

#include "sl_config.h"
#include "sl_service.h"

#include <uv.h>

typedef struct sl_publish sl_publish_t;

/* Loads the templates and starts the ticks. NULL on failure (logged). */
sl_publish_t *sl_publish_new(const sl_config_t *cfg, uv_loop_t *loop, sl_service_t *svc);
/* Stops the ticks: DONE(ARG) once the one in flight has finished. */
void sl_publish_drain(sl_publish_t *p, void (*done)(void *), void *arg);
void sl_publish_destroy(sl_publish_t **p);

#endif
