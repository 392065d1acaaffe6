/* cmd_supervision.c — `slctl supervision list`: cases under listed supervision.
 *
 * Reads the database: one listing a line, tab-separated — case number,
 * subject, unit, leader, since (the listing's date), status. Only the current
 * listings unless --all (ended ones too: verified closed, 验收销号). */
#include "slctl.h"

#include "sl_supervision.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void
s_row(void *arg, const char *const *c)
{
    (void)arg;
    printf("%s\t%s\t%s\t%s\t%s\t%s\n", c[0], c[1], c[2], c[3], c[4], c[5]);
}

int
sl_ctl_supervision(sl_ctl_t *ctl, int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "list") != 0)
        sl_ctl_die(SL_EXIT_USAGE, "usage: slctl supervision list [--all]");
    bool all = false;
    static const struct option opts[] = {{"all", no_argument, NULL, 'a'}, {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
        if (opt == 'a')
            all = true;
        else
            return SL_EXIT_USAGE;
    }
    sl_db_t *db = sl_ctl_db_current(ctl);
    if (sl_supervision_list(db, all, s_row, NULL) != 0)
        sl_ctl_die(SL_EXIT_FAIL, "could not list the supervised cases: %s", sl_db_error(db));
    return SL_EXIT_OK;
}
