/* cmd_migrate.c — `slctl migrate`: bring the node's database to this build's schema.
 *
 * Applies the missing migrations (idempotent: a current database is left as it
 * is), then writes the node row and its units from the config. `--to N` stops
 * after migration N and writes nothing else (a staged upgrade). */
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
    int to = 0;
    if (argc == 3 && strcmp(argv[1], "--to") == 0) {
        char *end;
        long v = strtol(argv[2], &end, 10);
        if (*end || v < 1)
            sl_ctl_die(SL_EXIT_USAGE, "migrate --to takes a migration number, got \"%s\"",
                       argv[2]);
        to = (int)v;
    } else if (argc > 1) {
        sl_ctl_die(SL_EXIT_USAGE, "migrate takes no arguments but --to N");
    }
    sl_db_t *db = sl_ctl_db(ctl);
    int before = sl_schema_version(db);
    if (sl_schema_migrate_to(db, true, to) != 0)
        return SL_EXIT_FAIL;
    if (to && to < sl_schema_latest()) {
        /* the node's rows are written by this build's code for this build's
         * schema: only once every migration is applied */
        printf("schema\t%d\tpartial (run slctl migrate without --to to finish)\n",
               sl_schema_version(db));
        return SL_EXIT_OK;
    }
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
