/* cmd_migrate.c — `slctl migrate`: bring the node's database to this build's schema.
 *
 * Applies the missing migrations (idempotent: a current database is left as it
 * is), then writes the node row and its units from the config. `--to N` stops
 * after migration N and writes nothing else (a staged upgrade). Then makes
 * the daemons' roles and grants them their tables (sl_roles_sync; with
 * [database] passfile, their passwords: kept, or new with
 * --rotate-passwords). */
#include "slctl.h"

#include "sl_roles.h"
#include "sl_unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
sl_ctl_migrate(sl_ctl_t *ctl, int argc, char **argv)
{
    int to = 0;
    bool rotate = false;
    if (argc == 2 && strcmp(argv[1], "--rotate-passwords") == 0) {
        rotate = true;
    } else if (argc == 3 && strcmp(argv[1], "--to") == 0) {
        char *end;
        long v = strtol(argv[2], &end, 10);
        if (*end || v < 1)
            sl_ctl_die(SL_EXIT_USAGE, "migrate --to takes a migration number, got \"%s\"",
                       argv[2]);
        to = (int)v;
    } else if (argc > 1) {
        sl_ctl_die(SL_EXIT_USAGE, "migrate takes no arguments but --to N or --rotate-passwords");
    }
    sl_db_t *db = sl_ctl_db_admin(ctl, false);
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
    char err[512];
    if (sl_roles_sync(db, sl_ctl_config(ctl), rotate, err, sizeof err) != 0) {
        fprintf(stderr, "slctl: %s\n", err);
        return SL_EXIT_FAIL;
    }
    int after = sl_schema_version(db);
    printf("schema\t%d\t%s\n", after, before == after ? "current" : "migrated");
    return SL_EXIT_OK;
}
