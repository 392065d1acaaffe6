/* intake.h — sl-intake, the node's only ingress (DESIGN.md "One node").
 *
 * Takes envelopes on a ROUTER over TCP and one over the node's ipc endpoint,
 * validates them, stores and applies them in one transaction per batch (group
 * commit), and answers each with an Ack only after that transaction has
 * committed. Rejections are answered and kept as dead letters. */
#ifndef SL_INTAKE_H
#define SL_INTAKE_H

#include "sl_config.h"
#include "sl_service.h"

#include <uv.h>

typedef struct sl_intake sl_intake_t;

/* Loads the node's keys and reference data through SVC (borrowed: its
 * database is up; its metrics, bus, events and HTTP are the daemon's), adds
 * the status page's routes and binds the sockets. NULL on failure (logged). */
sl_intake_t *sl_intake_new(const sl_config_t *cfg, uv_loop_t *loop, sl_service_t *svc);
/* Stops taking messages, finishes the batch in flight, closes everything;
 * accepts *p == NULL. Run the loop afterwards to let handles close. */
void sl_intake_destroy(sl_intake_t **p);
/* Stop taking new messages; when what was taken has been answered, calls
 * DONE(ARG) on the loop. */
void sl_intake_drain(sl_intake_t *in, void (*done)(void *), void *arg);

#endif
