/* cmd_migrate.c — `slctl migrate`: bring the node's database to this build's schema.
 *
 * Applies the missing migrations (idempotent: a current database is left as it
 * is), then writes the node row and its units from the config. */
#include "slctl.h"

#include "sl_publish_db.h"
#include "sl_service.h"
#include "sl_unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
sl_ctl_migrate(sl_ctl_t *ctl, int argc, char **argv)
{
    (void)argv;
    if (argc > 1)
        sl_ctl_die(SL_EXIT_USAGE, "migrate takes no arguments");
    sl_db_t *db = sl_ctl_db(ctl);
    int before = sl_schema_version(db);
    if (sl_schema_migrate(db, true) != 0)
        return SL_EXIT_FAIL;
    if (sl_unit_sync(db, sl_ctl_config(ctl)) != 0)
        return SL_EXIT_FAIL;
    char *role = sl_service_db_user(sl_ctl_config(ctl), "publish");
    if (role && sl_pub_grant(db, role) != 0) {
        fprintf(stderr, "slctl: could not make the role %s: %s\n", role, sl_db_error(db));
        free(role);
        return SL_EXIT_FAIL;
    }
    free(role);
    int after = sl_schema_version(db);
    printf("schema\t%d\t%s\n", after, before == after ? "current" : "migrated");
    return SL_EXIT_OK;
}
