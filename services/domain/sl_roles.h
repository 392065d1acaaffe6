/* sl_roles.h — the node's database roles, one per daemon (issue 22).
 *
 * Each daemon connects as a role of its own (sl_<code>_intake, _dispatch,
 * _deadline, _publish, _appraise; _ctl for slctl's read-only commands) that
 * may write only the tables its modules own and read what it needs. The
 * grants come from one list, schema/data/owners.csv (table, writer module,
 * the daemons that run it, the columns only some roles read), through the
 * SQL function sl_role_grant of migration 018; tests/layout/check_owners.py
 * reads the same list. slctl migrate calls sl_roles_sync. */
#ifndef SL_ROLES_H
#define SL_ROLES_H

#include "sl_config.h"
#include "sl_db.h"

#include <stdbool.h>
#include <stddef.h>

/* The daemons with a role of their own ("ctl": slctl's read-only commands),
 * NULL-terminated. */
extern const char *const sl_roles_daemons[];

/* The role DAEMON connects as on CFG's node: [DAEMON] db_user ({code}
 * replaced), or sl_<code>_<daemon> when unset. Caller frees. */
char *sl_roles_name(const sl_config_t *cfg, const char *daemon);

/* Makes every role of the node if missing and grants each what owners.csv
 * says (revoking what it had), in one transaction on DB (an administrator's
 * connection). With [database] passfile set, sets each role's password — the
 * one the file has, or a new random one if it has none or ROTATE — and writes
 * the file (mode 0600; other lines kept), holding a lock on PASSFILE.lock
 * meanwhile. 0, or -1 with the reason in ERR. */
int sl_roles_sync(sl_db_t *db, const sl_config_t *cfg, bool rotate, char *err, size_t size);

#endif
