/* sl_test_audit.c — test helper: registers test cases and appends audit events.
 *
 * No daemon registers cases yet, so the audit system test makes its chains with
 * this program, through sl_audit like intake will: the case row and its first
 * event in one transaction (sl_audit_append_known), every later event in a
 * transaction of its own (sl_audit_append). Not installed; lands in build/bin.
 *
 *   sl-test-audit -c INI [-n CASE_SEQ] [-k EVENTS] [-t AT_MS]
 *       registers case 140728-2026-煤-CASE_SEQ (6 digits) with EVENTS events
 *       (default 5) and prints "CASE_ID<TAB>CASE_NO"
 *   sl-test-audit -c INI -a CASE_ID [-k EVENTS] [-t AT_MS]
 *       appends EVENTS more events to an existing case
 *   sl-test-audit -c INI -s CASE_ID
 *       appends one event with sl_audit_append_known claiming the chain is empty
 *       (a stale caller): exits 1 if it was refused, as it must be
 *   sl-test-audit -c INI -l CASE_ID
 *       lists the case's events: "SEQ<TAB>AT_MS<TAB>KIND<TAB>PREV_HASH<TAB>HASH"
 * Event i (from 0) happens at AT_MS + i * 1001 ms (default AT_MS 1769999999999,
 * a .999 instant, so a rounding on the way through the database would show).
 * Exits 0, 1 on a database error, 2 on bad arguments. */
#include "sl_audit.h"
#include "sl_config.h"
#include "sl_db.h"
#include "sl_log.h"
#include "sl_util.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
s_event(sl_audit_event_t *ev, char *detail, size_t size, char *msg_id, size_t msize, int i,
        int64_t at_ms)
{
    snprintf(detail, size, "{\"step\":%d,\"note\":\"第%d步\"}", i, i);
    snprintf(msg_id, msize, "test-%" PRId64 "-%d", at_ms, i);
    *ev = (sl_audit_event_t){
        .at_ms = at_ms + (int64_t)i * 1001,
        .kind = i == 0  ? "registered"
                : i % 2 ? "transferred"
                        : "progress",
        .actor_key = "ipc",
        .actor_unit = "140728",
        .operator= i % 2 ? "张三" : "",
        .msg_id = msg_id,
        .detail = detail,
    };
}

/* Appends events FROM..TO-1 to CASE_ID, one transaction each. */
static int
s_append(sl_db_t *db, int64_t case_id, int from, int to, int64_t at_ms)
{
    for (int i = from; i < to; i++) {
        sl_audit_event_t ev;
        char detail[128], msg_id[64];
        s_event(&ev, detail, sizeof detail, msg_id, sizeof msg_id, i, at_ms);
        if (sl_db_begin(db) != 0 || sl_audit_append(db, case_id, &ev) != 0 ||
            sl_db_commit(db) != 0) {
            fprintf(stderr, "sl-test-audit: could not append event %d: %s\n", i, sl_db_error(db));
            sl_db_rollback(db);
            return -1;
        }
    }
    return 0;
}

static int
s_register(sl_db_t *db, int case_seq, int events, int64_t at_ms)
{
    char case_no[64], seq[16], msg_id[64];
    snprintf(case_no, sizeof case_no, "140728-2026-煤-%06d", case_seq);
    snprintf(seq, sizeof seq, "%d", case_seq);
    snprintf(msg_id, sizeof msg_id, "test-case-%d", case_seq);
    const char *p[] = {case_no, seq, msg_id};
    PGresult *r = NULL;
    int64_t case_id = 0;
    if (sl_db_begin(db) != 0)
        goto fail;
    if (sl_db_exec(db, &r,
                   "INSERT INTO cases (case_no, year, sector, seq, status, registered_at, channel,"
                   "  subject_name, subject_key, division, route, unit_code, source_msg_id)"
                   " VALUES ($1, 2026, 1, $2::int, 'registered', '2026-02-02 10:00:00+08',"
                   "  'hotline', 'X', 'x', '140728', 'department', NULL, $3)"
                   " RETURNING id",
                   3, p) != 0)
        goto fail;
    case_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    r = NULL;
    if (events > 0) {
        sl_audit_event_t ev;
        char detail[128], mid[64];
        s_event(&ev, detail, sizeof detail, mid, sizeof mid, 0, at_ms);
        if (sl_audit_append_known(db, case_id, case_no, 0, NULL, &ev, NULL) != 0)
            goto fail;
    }
    if (sl_db_commit(db) != 0)
        goto fail;
    if (s_append(db, case_id, 1, events, at_ms) != 0)
        return -1;
    printf("%" PRId64 "\t%s\n", case_id, case_no);
    return 0;
fail:
    fprintf(stderr, "sl-test-audit: could not register case %s: %s\n", case_no, sl_db_error(db));
    PQclear(r);
    sl_db_rollback(db);
    return -1;
}

/* A caller whose idea of the chain is stale: claims case CASE_ID has no events. */
static int
s_stale(sl_db_t *db, int64_t case_id, int64_t at_ms)
{
    sl_audit_event_t ev;
    char detail[128], msg_id[64];
    s_event(&ev, detail, sizeof detail, msg_id, sizeof msg_id, 0, at_ms);
    PGresult *r = NULL;
    char id[24];
    snprintf(id, sizeof id, "%" PRId64, case_id);
    const char *p[] = {id};
    if (sl_db_exec(db, &r, "SELECT case_no FROM cases WHERE id = $1", 1, p) != 0 ||
        PQntuples(r) != 1) {
        PQclear(r);
        return -1;
    }
    int rc = sl_db_begin(db);
    if (rc == 0)
        rc = sl_audit_append_known(db, case_id, PQgetvalue(r, 0, 0), 0, NULL, &ev, NULL);
    if (rc == 0)
        rc = sl_db_commit(db);
    else
        sl_db_rollback(db);
    PQclear(r);
    return rc;
}

static void
s_print_event(void *arg, const sl_audit_event_t *ev, const char *prev_hash, const char *hash)
{
    (void)arg;
    printf("%d\t%" PRId64 "\t%s\t%s\t%s\n", (int)ev->seq, ev->at_ms, ev->kind, prev_hash, hash);
}

int
main(int argc, char **argv)
{
    const char *ini = NULL;
    int case_seq = 1, events = 5, opt;
    int64_t append_to = 0, list = 0, stale = 0, at_ms = 1769999999999;
    sl_log_init("sl-test-audit", NULL);
    while ((opt = getopt(argc, argv, "c:n:k:t:a:l:s:")) != -1) {
        switch (opt) {
        case 'c':
            ini = optarg;
            break;
        case 'n':
            case_seq = atoi(optarg);
            break;
        case 'k':
            events = atoi(optarg);
            break;
        case 't':
            at_ms = strtoll(optarg, NULL, 10);
            break;
        case 'a':
            append_to = strtoll(optarg, NULL, 10);
            break;
        case 'l':
            list = strtoll(optarg, NULL, 10);
            break;
        case 's':
            stale = strtoll(optarg, NULL, 10);
            break;
        default:
            return 2;
        }
    }
    if (!ini || case_seq < 1 || events < 0) {
        fprintf(stderr, "usage: sl-test-audit -c INI [-n CASE_SEQ] [-k EVENTS] [-t AT_MS]"
                        " [-a CASE_ID | -s CASE_ID | -l CASE_ID]\n");
        return 2;
    }
    char *err = NULL;
    sl_config_t *cfg = sl_config_load(ini, 1, &err);
    if (!cfg) {
        fprintf(stderr, "sl-test-audit: %s\n", err ? err : "could not load config");
        free(err);
        return 2;
    }
    sl_db_t *db = sl_db_new(sl_config_str(cfg, "database", "conninfo"));
    int rc = 1;
    if (sl_db_connect(db) != 0) {
        fprintf(stderr, "sl-test-audit: could not connect: %s\n", sl_db_error(db));
        goto done;
    }
    if (list)
        rc = sl_audit_list(db, list, s_print_event, NULL) < 0;
    else if (stale)
        rc = s_stale(db, stale, at_ms) != 0;
    else if (append_to)
        rc = s_append(db, append_to, 1, events + 1, at_ms) != 0;
    else
        rc = s_register(db, case_seq, events, at_ms) != 0;
done:
    sl_db_destroy(&db);
    sl_config_destroy(&cfg);
    return rc;
}
