/* cmd_audit.c — `slctl audit verify`: check every case's audit chain (一追溯).
 *
 * Prints each break as one line "CASE_NO<TAB>seq N<TAB>reason" on stdout (for
 * scripts), then a summary on stderr; exits 0 if every chain is intact, 1 if
 * any break was found or the database failed. The checking is sl_audit's. */
#include "slctl.h"

#include "sl_audit.h"

#include <stdio.h>
#include <string.h>

static void
s_print_break(void *arg, const char *case_no, int32_t seq, const char *reason)
{
    (void)arg;
    printf("%s\tseq %d\t%s\n", case_no, (int)seq, reason);
}

static int
s_verify(sl_ctl_t *ctl)
{
    sl_db_t *db = sl_ctl_db_current(ctl);
    long cases = 0, events = 0;
    int breaks = sl_audit_verify(db, s_print_break, NULL, &cases, &events);
    fflush(stdout);
    if (breaks < 0) {
        fprintf(stderr, "slctl: could not verify the audit chains: %s\n", sl_db_error(db));
        return SL_EXIT_FAIL;
    }
    fprintf(stderr, "audit: %ld cases, %ld events checked, %d breaks\n", cases, events, breaks);
    return breaks == 0 ? SL_EXIT_OK : SL_EXIT_FAIL;
}

int
sl_ctl_audit(sl_ctl_t *ctl, int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "verify") == 0)
        return s_verify(ctl);
    sl_ctl_die(SL_EXIT_USAGE, "usage: slctl -c NODE.ini audit verify");
}
