/* cmd_link.c — `slctl link …` and `slctl case …-up`: the node's links to its
 * parent and children, as operators watch them, and this node's answers to
 * a transfer from above.
 *
 * link list joins what the outbox says (depth, the oldest undelivered row,
 * parked rows) with what the sending sl-dispatch last wrote to link_state
 * (sent, acked, retried, connected); a link_state row older than 15 s means
 * no sl-dispatch sends for that peer now. Answers up are envelopes through
 * the node's intake like every other change (DESIGN.md "Federation"). */
#include "slctl.h"

#include "sl_clock.h"
#include "sl_link.h"
#include "sl_outbox.h"
#include "sl_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_STALE_S 15.0 /* link_state older than this: the sender is gone */

static const char s_usage[] =
    "usage: slctl link list       one line per peer: peer, name, outbox depth, age of the\n"
    "                             oldest undelivered row (s), sent, acked, retried, parked,\n"
    "                             connected (yes/no/stale: no sl-dispatch sends now)\n"
    "       slctl link parked     rows a peer refused (or that cannot be sealed for it):\n"
    "                             id, peer, msg_id, kind, reason\n"
    "       slctl link release ID send a parked row again, once its cause is fixed\n";

typedef struct {
    char peer[8];
    char name[64];
    sl_outbox_stats_t ob;
    sl_link_state_t st;
    bool has_st;
} s_peer_t;

typedef struct {
    s_peer_t *v;
    size_t n;
} s_peers_t;

static s_peer_t *
s_find(s_peers_t *ps, const char *peer)
{
    for (size_t i = 0; i < ps->n; i++)
        if (strcmp(ps->v[i].peer, peer) == 0)
            return &ps->v[i];
    ps->v = sl_realloc(ps->v, (ps->n + 1) * sizeof *ps->v);
    s_peer_t *p = &ps->v[ps->n++];
    memset(p, 0, sizeof *p);
    snprintf(p->peer, sizeof p->peer, "%s", peer);
    return p;
}

static void
s_state(void *arg, const sl_link_state_t *st)
{
    s_peer_t *p = s_find(arg, st->peer);
    p->st = *st;
    p->has_st = true;
}

static int
s_list(sl_ctl_t *ctl)
{
    sl_config_t *cfg = sl_ctl_config(ctl);
    sl_db_t *db = sl_ctl_db_current(ctl);
    s_peers_t ps = {0};
    const char *names[64];
    size_t np = 0;
    if (sl_config_has(cfg, "parent", "code")) {
        const char *code = sl_config_str(cfg, "parent", "code");
        s_peer_t *p = s_find(&ps, code);
        snprintf(p->name, sizeof p->name, "上级");
        names[np++] = code; /* the config's string: ps.v moves as it grows */
    }
    const char *const *kids;
    size_t nk = sl_config_family(cfg, "child", &kids);
    for (size_t i = 0; i < nk && np < SL_ARRAY_LEN(names); i++) {
        char section[32];
        snprintf(section, sizeof section, "child.%s", kids[i]);
        const char *nm = sl_config_str(cfg, section, "name");
        s_peer_t *p = s_find(&ps, kids[i]);
        snprintf(p->name, sizeof p->name, "%s", nm ? nm : "下级");
        names[np++] = kids[i];
    }
    int64_t now = sl_now_ms();
    sl_outbox_stats_t *st;
    size_t n;
    if (sl_outbox_stats(db, names, np, now, &st, &n) != 0)
        sl_ctl_die(SL_EXIT_FAIL, "could not read the outbox: %s", sl_db_error(db));
    for (size_t i = 0; i < n; i++)
        s_find(&ps, st[i].peer)->ob = st[i];
    free(st);
    if (sl_link_states(db, now, s_state, &ps) != 0)
        sl_ctl_die(SL_EXIT_FAIL, "could not read link_state: %s", sl_db_error(db));
    printf("peer\tname\tdepth\toldest_s\tsent\tacked\tretried\tparked\tconnected\n");
    for (size_t i = 0; i < ps.n; i++) {
        const s_peer_t *p = &ps.v[i];
        const char *conn = !p->has_st                ? "stale"
                           : p->st.age_s > S_STALE_S ? "stale"
                           : p->st.connected         ? "yes"
                                                     : "no";
        printf("%s\t%s\t%ld\t%.0f\t%lld\t%lld\t%lld\t%ld\t%s\n", p->peer,
               p->name[0] ? p->name : "-", p->ob.depth, p->ob.oldest_s, p->st.sent, p->st.acked,
               p->st.retried, p->ob.parked, conn);
    }
    free(ps.v);
    return SL_EXIT_OK;
}

static void
s_parked_row(void *arg, int64_t id, const char *peer, const char *msg_id, const char *kind,
             const char *reason)
{
    (void)arg;
    printf("%lld\t%s\t%s\t%s\t%s\n", (long long)id, peer, msg_id, kind, reason);
}

int
sl_ctl_link(sl_ctl_t *ctl, int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "list") == 0 && argc == 2)
        return s_list(ctl);
    if (argc == 2 && strcmp(argv[1], "parked") == 0) {
        sl_db_t *db = sl_ctl_db_current(ctl);
        if (sl_outbox_parked(db, s_parked_row, NULL) != 0)
            sl_ctl_die(SL_EXIT_FAIL, "could not read the outbox: %s", sl_db_error(db));
        return SL_EXIT_OK;
    }
    if (argc == 3 && strcmp(argv[1], "release") == 0) {
        char *end;
        long long id = strtoll(argv[2], &end, 10);
        if (*end || id <= 0)
            sl_ctl_die(SL_EXIT_USAGE, "link release takes a parked row's id (slctl link parked)");
        sl_db_t *db = sl_ctl_db_admin(ctl, true);
        int rc = sl_outbox_release(db, id);
        if (rc < 0)
            sl_ctl_die(SL_EXIT_FAIL, "could not release row %lld: %s", id, sl_db_error(db));
        if (rc == 1)
            sl_ctl_die(SL_EXIT_FAIL, "no parked outbox row %lld", id);
        printf("released\t%lld\n", id);
        return SL_EXIT_OK;
    }
    fputs(s_usage, argc >= 2 && strcmp(argv[1], "help") == 0 ? stdout : stderr);
    return argc >= 2 && strcmp(argv[1], "help") == 0 ? SL_EXIT_OK : SL_EXIT_USAGE;
}

int
sl_ctl_case_up(sl_ctl_t *ctl, const char *kind, int argc, char **argv)
{
    /* argv: "<kind>-up" CASE_NO [flags…]; the answer names the upper notice */
    const char *case_no = argc >= 2 && argv[1][0] != '-' ? argv[1] : NULL;
    int at = 1;
    if (!case_no)
        sl_ctl_die(SL_EXIT_USAGE, "usage: slctl case %s-up CASE_NO [flags of slctl transfer %s]",
                   kind, kind);
    sl_db_t *db = sl_ctl_db_current(ctl);
    const char *p[] = {case_no};
    PGresult *r;
    if (sl_db_exec(db, &r, "SELECT coalesce(upper_notice_no, '') FROM cases WHERE case_no = $1", 1,
                   p) != 0)
        sl_ctl_die(SL_EXIT_FAIL, "could not read case %s: %s", case_no, sl_db_error(db));
    if (PQntuples(r) == 0 || !*PQgetvalue(r, 0, 0)) {
        bool none = PQntuples(r) == 0;
        PQclear(r);
        sl_ctl_die(SL_EXIT_FAIL, none ? "no case %s" : "case %s did not come from an upper node",
                   case_no);
    }
    char *notice = sl_strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    char **av = sl_calloc((size_t)argc + 3, sizeof *av);
    int ac = 0;
    av[ac++] = (char *)kind;
    for (int i = 1; i < argc; i++)
        av[ac++] = i == at ? notice : argv[i];
    av[ac++] = "--from";
    av[ac++] = (char *)sl_config_node(sl_ctl_config(ctl));
    optind = 0;
    int rc = sl_ctl_transfer_answer(ctl, kind, ac, av);
    free(av);
    free(notice);
    return rc;
}
