/* cmd_dispatch.c — `slctl dispatch now`: form a transfer list at once.
 *
 * The list is formed directly in the node's database through the same module
 * sl-dispatch uses (sl_transfer_form_list), under the same formation lock, so
 * it works whether sl-dispatch runs or not and never races it: a list that
 * the daemon is forming finishes first, then this one takes what is left. A
 * running sl-dispatch announces the new transfers on its next scan. Prints
 * "list_no<TAB>transfers", or nothing with exit 0 when no case waits. */
#include "slctl.h"

#include "sl_calendar_db.h"
#include "sl_clock.h"
#include "sl_transfer.h"
#include "sl_util.h"

#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
sl_ctl_dispatch(sl_ctl_t *ctl, int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "now") != 0)
        sl_ctl_die(SL_EXIT_USAGE, "usage: slctl dispatch now [--operator NAME]");
    const char *operator_name = NULL;
    static const struct option opts[] = {{"operator", required_argument, NULL, 'o'},
                                         {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
        if (opt == 'o')
            operator_name = optarg;
        else
            return SL_EXIT_USAGE;
    }
    if (!operator_name) {
        struct passwd *pw = getpwuid(getuid());
        operator_name = pw ? pw->pw_name : "unknown";
    }
    sl_db_t *db = sl_ctl_db_admin(ctl, true);
    const char *node = sl_config_node(sl_ctl_config(ctl));
    sl_calendar_t *cal = NULL;
    if (sl_calendar_load(db, &cal) != 0)
        sl_ctl_die(SL_EXIT_FAIL, "could not load the calendar: %s", sl_db_error(db));
    sl_transfer_actor_t actor = {
        .key = "slctl", .unit = node, .operator_name = operator_name, .msg_id = ""};
    sl_transfer_formed_t f;
    sl_transfer_form_opts_t form = {
        .upper_margin = sl_transfer_upper_margin(sl_ctl_config(ctl)),
        .cfg = sl_ctl_config(ctl)};
    int rc = sl_transfer_form_list(db, cal, node, sl_now_ms(), -1, true, &form, &actor, &f);
    sl_calendar_destroy(&cal);
    if (rc != 0)
        sl_ctl_die(SL_EXIT_FAIL, "could not form a transfer list: %s", sl_db_error(db));
    if (f.items > 0)
        printf("%s\t%ld\n", f.list_no, f.items);
    else
        fprintf(stderr, "slctl: no registered case waits for a transfer\n");
    return SL_EXIT_OK;
}
