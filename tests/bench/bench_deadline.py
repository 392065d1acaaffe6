"""bench_deadline.py — what one sl-deadline tick costs with many transfers open.

1,000,000 open transfers (bulk-inserted with generate_series, their clock rows
in transfer_clock inserted after them) on 1,000 cases, each case registered
(an audit event and its chain's head, as intake writes them), of which
batches of 1,000 fall due 3 s apart (--repeat, 5): their feedback deadline
has passed (their 接而不办 was marked before), so each tick marks 1,000
overdue (flag, escalation mark, audit event) and raises each escalation (an
Escalation envelope in the outbox for the parent, an audit event).
sl-deadline starts a few seconds before the first batch falls due, so the
ticks measured are a running daemon's, not its first (no connecting, no
calendar loading). Prints the milliseconds of each of those ticks (from
sl-deadline's log line) and their median, of an idle tick afterwards (the
sl_deadline_tick_seconds gauge: nothing due among the million), the CPU the
database's processes and sl-deadline used a tick (over the ticks and the
idle ticks between them: a few milliseconds each), and the plan of the
tick's query (an index range scan on transfer_clock_due). Figures are
reported, never asserted. One tick is one sample of a noisy machine (runs
on the same VM varied by a fifth), and the first tick with work is dearer
than those after it (below), hence the median and the first beside it.

The clocks of a batch and the raising of what they marked run in one
transaction (sl_escalation_tick), so the log line gives them as one figure.
History, on 2-core machines: 1,644 ms with audit events appended row by row;
125-159 ms once set-based and in one transaction on a quiet machine; on a
Firecracker VM whose kernel reclaims the page cache as it goes, 313-598 ms,
of which the UPDATE of the clock columns of transfer alone took 130-263 ms:
it could not be HOT (due_at indexed, the flags in an index's predicate), so
each row got a new entry in six indexes, whose leaf pages were read from the
disk. Migration 021 moved the clocks to transfer_clock (a narrow row, three
small indexes); on the same VM on 12-06: 165-236 ms in six runs (the clocks'
UPDATE 15 ms), idle 5-8 ms. SL_BENCH_TRACE=1 split one run of 165 ms: the
database 132 ms (the events 25, the outbox 20, the cases' chain heads 19 —
1,000 rows of cases, not HOT —, the due SELECT 17, the marks 16, the clocks
15, the facts 9, COMMIT 9) and 29 ms of sl-deadline's own between
statements (022 then moved the heads out of cases). On 12-07, without the
marks' foreign keys (migration 023), with the clocks sent binary and the
tick's 2,000 log lines written in one go: 134-167 ms on one connection (the
database 109); split over two connections side by side ([deadline]
tick_connections = 2, the default): 112-175 ms (median 128 of 12 runs,
against 145 of 8 on one), the two batches of 500 each
about as long as one of 1,000 was: the database's CPU over the tick was
174 ms on one connection (the busiest process 153), 262 ms on two (120 and
112) — CPU-bound, and the split costs half as much work again. The goal,
under 100 ms, is not met on that machine. The tick's WAL: 3.3 MiB. Then each
connection took a share of its own (sl_transfer_share_t: the second no
longer joined and skipped the rows the first had locked; its due SELECT
21 -> 14.5 ms) and the bench warms the connections up (--warm): two
connections 115-151 ms (the database's CPU 182-229 ms), one 141-153 ms
(146-174), in one session on 12-07. Statements prepared once a session
(sl_db_prepare_statements): an idle tick 6-7 -> 4-5 ms, the tick within the
noise (pg_stat_statements put the planning at ~12 ms of the database's ~90
on one connection: custom plans stay, since forcing generic ones made an
idle tick 20-35 ms). Tried and left out: shares by blocks of 64 ids instead
of id modulo (134-175 ms on two connections), a 32 MiB mmap threshold for
sl-deadline's buffers (the tick 131-137 ms on one connection, sl-deadline's
CPU 52-59 -> 46-48 ms, at the cost of the heap's fragmentation the fixed
128 KiB threshold avoids).

Then the bench itself changed (12-07, later): its cases were never
registered, so each tick wrote the first event of each case and inserted its
chain's head (INSERT ... ON CONFLICT, a speculative insertion a row) where a
real node moves a head that exists; and a single tick was one sample of a
machine whose runs varied by a fifth. Now the cases are registered and five
batches are measured: in ten such runs at 100,000 open, the first tick took
114-143 ms and the ticks after it fell to 80-110, the later ones cheapest —
the statements' plans: a prepared statement is planned for its parameters
(custom) for its first five executions, and a custom plan copies each array
parameter, 1,000 rows' events or envelopes, into the plan as a constant.
So the tick's batches are planned generically (sl_db_plan_generic, once its
due SELECT has rows): in three runs of ten ticks each at 100,000 open, the
first tick 137-143 -> 115-125 ms, the median 97-112 -> 94-100, the
database's CPU a tick 126-143 -> 119-124 ms; at 1,000,000 open, medians 95
and 98 ms, the first ticks 122 and 132. sl-deadline's CPU is now its
process's, its helpers' ended threads too (before, the live threads': 25-35
ms a tick, against 52-60 with them): a third of the CPU the tick costs.
Two more findings the same day. The warm-up tick wrote clocks only (its
transfers were not overdue yet), so the first measured tick was the first
run of every escalation statement; now the warm-up transfers are a day
overdue and raise escalations too. And what the first tick still paid was
the page faults of the cluster's shared memory (each backend maps each
shared buffer, on 4 KiB pages, with two faults the first time it touches
it): on huge pages, which tests/bench/run.sh reserves (sl_pg_hugepages in
deploy/pg-lib.sh) as the operator guide tells a node's operator to, one run
at 1,000,000 open gave 73.7 ms (the first 71.1, all five 71-76; the
database's CPU 93 ms a tick) against 97.4 (the first 107.1; 136 ms) on
4 KiB pages, and the connections' very first tick 81 ms. The table gives
both.

    --open N (SL_BENCH_OPEN, 1000000)   --due M (SL_BENCH_DUE, 1000)
    --warm W (SL_BENCH_WARM, 8): W more transfers, overdue a day already,
    fall due 4 s before the first M, so the ticks measured are not the first
    each connection does with escalations to raise (0: the first is, and pays
    the connection's first look at each table and statement: its catalog
    caches, its plans)
    --repeat R (SL_BENCH_REPEAT, 5): R batches of M fall due, 3 s apart
    --connections K (SL_BENCH_TICK_CONNECTIONS, 2): [deadline] tick_connections
    SL_BENCH_TRACE=1: log every statement of the bench's database
    (log_min_duration_statement = 0) and print the tick's transactions (one
    a connection) statement by statement: the database's time (parse + bind +
    execute) and the time before each that was not the database's.
"""
import argparse
import os
import re
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "system"))
import sltest  # noqa: E402
from sltest import check, wait_for  # noqa: E402

import pgtrace  # noqa: E402

NOW = "2022-01-14T09:00:00+08:00"
# sl-deadline starts a few seconds before the due transfers' instant (their
# due_at, 2022-01-14 00:00+08; its clock runs on from SL_NOW), so the tick
# measured is one of a daemon already running: connected, calendar loaded,
# idle ticks behind it, as on a node that has run a while
START = "2022-01-13T23:59:52+08:00"
# the warm-up transfers' due_at (--warm): after two idle ticks, so each of the
# tick's connections has written a batch before the measured one
WARM_AT = "2022-01-13 23:59:56+08"
# the measured batches' due_at (--repeat): the first at the end of their
# feedback deadline, the others APART seconds after each other, so each
# falls due in a tick of its own with idle ticks between
DUE_AT = "2022-01-14 00:00+08"
APART = 3


def cpu_ns():
    """The CPU time each thread of the cluster's processes has had so far (ns,
    /proc/PID/task/TID/schedstat), by (comm, tid), and sl-deadline's as a
    whole, its helpers' threads that have ended too (/proc/PID/stat, utime
    + stime, in clock ticks), by (comm, pid)."""
    out = {}
    tick_ns = 1e9 / os.sysconf("SC_CLK_TCK")
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/comm" % pid) as f:
                comm = f.read().strip()
            if comm == "sl-deadline":
                with open("/proc/%s/stat" % pid) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                out[(comm, pid)] = (int(fields[11]) + int(fields[12])) * tick_ns
            if comm != "postgres":
                continue
            for tid in os.listdir("/proc/%s/task" % pid):
                with open("/proc/%s/task/%s/schedstat" % (pid, tid)) as f:
                    out[(comm, tid)] = int(f.read().split()[0])
        except OSError:
            pass  # gone meanwhile
    return out


def huge_pages_kib():
    """The cluster's shared memory in huge pages so far (KiB, the postmaster's
    Shared_Hugetlb): 0 when it runs on 4 KiB pages."""
    with open(os.path.join(sltest.PG["SL_PG_DIR"], "data", "postmaster.pid")) as f:
        pid = f.readline().strip()
    with open("/proc/%s/smaps_rollup" % pid) as f:
        return sum(int(line.split()[1]) for line in f if line.startswith("Shared_Hugetlb:"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--open", type=int, default=int(os.environ.get("SL_BENCH_OPEN", 1000000)))
    ap.add_argument("--due", type=int, default=int(os.environ.get("SL_BENCH_DUE", 1000)))
    ap.add_argument("--warm", type=int, default=int(os.environ.get("SL_BENCH_WARM", 8)))
    ap.add_argument("--repeat", type=int, default=int(os.environ.get("SL_BENCH_REPEAT", 5)))
    ap.add_argument("--connections", type=int,
                    default=int(os.environ.get("SL_BENCH_TICK_CONNECTIONS", 2)))
    a = ap.parse_args()
    port = sltest.free_port()
    node = sltest.Node("bench-deadline", extra_ini="""[deadline]
http = 127.0.0.1:%d
tick_seconds = 1
tick_connections = %d
""" % (port, a.connections))
    try:
        # its resident memory idle: on the empty node, after a few ticks
        proc = node.start("deadline", env=dict(os.environ, SL_NOW=NOW), wait=False)
        def ticks_so_far():
            try:
                return node.metric(port, "sl_deadline_ticks_total")
            except OSError:  # not listening yet
                return 0
        wait_for("sl-deadline ticking", lambda: ticks_so_far() >= 2, timeout=60)
        rss_idle = sltest.vm_rss_kib(proc.pid) / 1024
        check("sl-deadline exits 0 on SIGTERM", node.stop("deadline") == 0)
        node.sql("DELETE FROM daemon_state WHERE daemon = 'deadline'")
        t0 = time.time()
        node.sql("""
INSERT INTO cases (case_no, year, sector, seq, status, registered_at, channel, subject_name,
                   subject_key, division, route, unit_code, source_msg_id)
SELECT '140728-2021-煤-' || lpad(g::text, 6, '0'), 2021, s.code, g, 'in_progress',
       '2022-01-04 09:00+08', 'hotline', '某煤业' || g, '某煤业' || g, '140728', 'department',
       '140728:emergency', 'bench-' || g
FROM generate_series(1, %(cases)d) g, sector s WHERE s.short_name = '煤';
INSERT INTO case_event (case_id, seq, at, kind, detail, prev_hash, hash)
SELECT id, 1, registered_at, 'registered', '{}', '', encode(sha256(case_no::bytea), 'hex')
FROM cases;
INSERT INTO case_chain (case_id, seq, head) SELECT case_id, seq, hash FROM case_event;
ALTER TABLE transfer DISABLE TRIGGER transfer_clock_new;
INSERT INTO transfer (notice_no, year, sector, seq, case_id, unit_code, delivery, state,
                      transfer_date, issued_at, objection_deadline, feedback_deadline,
                      receipt_date, received_at)
SELECT '（煤）移〔2021〕' || g || '号', 2021, s.code, g, c0.id + (g %% %(cases)d), '140728:emergency',
       'event', 'received', '2022-01-04', '2022-01-04 09:00+08', '2022-01-06',
       CASE WHEN g <= %(batches)d THEN date '2022-01-13'
            WHEN g <= %(batches)d + %(warm)d THEN date '2022-01-12' ELSE date '2022-01-28' END,
       '2022-01-04', '2022-01-04 10:00+08'
FROM generate_series(1, %(open)d) g, sector s,
     (SELECT min(id) AS id FROM cases) c0 WHERE s.short_name = '煤';
ALTER TABLE transfer ENABLE TRIGGER transfer_clock_new;
INSERT INTO transfer_clock (transfer_id, accepted_at, not_handled_at, reminded_at, due_at)
SELECT id, '2022-01-07 00:00+08', '2022-01-08 00:00+08',
       CASE WHEN seq <= %(batches)d + %(warm)d THEN timestamptz '2022-01-12 00:00+08' END,
       CASE WHEN seq <= %(batches)d THEN timestamptz '%(due_at)s'
                                         + (seq - 1) / %(due)d * interval '%(apart)d s'
            WHEN seq <= %(batches)d + %(warm)d THEN timestamptz '%(warm_at)s'
            ELSE timestamptz '2022-01-27 00:00+08' END
FROM transfer;
ANALYZE transfer_clock;
ANALYZE transfer;
""" % dict(cases=min(a.due, 1000), open=a.open, due=a.due, batches=a.due * a.repeat, warm=a.warm,
           due_at=DUE_AT, apart=APART, warm_at=WARM_AT))
        # as a node that has run a while: vacuumed (hint bits, visibility map)
        # and past a checkpoint, so the tick does not pay for the bulk load's
        # first touches nor compete with the checkpoint it sets off
        node.sql("VACUUM (ANALYZE) transfer")
        node.sql("VACUUM (ANALYZE) transfer_clock")
        node.sql("VACUUM (ANALYZE) cases")
        node.sql("CHECKPOINT")
        load = time.time() - t0
        check("loaded", node.sql("SELECT count(*) FROM transfer WHERE state <> 'closed'")
              == str(a.open))
        plan = node.sql("EXPLAIN SELECT transfer_id FROM transfer_clock"
                        " WHERE due_at <= '%s'::timestamptz ORDER BY due_at LIMIT 1000" % NOW)
        trace = os.environ.get("SL_BENCH_TRACE")
        if trace:  # every statement's duration in the cluster's log (pgtrace.py)
            logpath, logstart = pgtrace.start(node)
        proc = node.start("deadline", env=dict(os.environ, SL_NOW=START), wait=False)
        wait_for("two idle ticks before the due instant", lambda: ticks_so_far() >= 2, timeout=60)
        def tick_lines(least):  # the log's ticks with at least LEAST due
            return [m for m in re.finditer(
                r"tick: (\d+) transfers due, (\d+) escalations raised, ([\d.]+) ms"
                r"(?: \(clocks and raising ([\d.]+) ms(?:, (\d+) connection)?)?",
                node.log("deadline")) if int(m.group(1)) >= least]

        def tick_line(least):  # the first of them
            return (tick_lines(least) or [None])[0]
        check("sl-deadline idle before the due instant (it started within 4 s)",
              tick_line(1) is None, node.log("deadline")[-2000:])
        warmed = a.warm > 0 and wait_for("the warm-up tick", lambda: tick_line(1), timeout=60)
        check("the warm-up tick before the due instant",
              not a.warm or int(warmed.group(1)) == a.warm, warmed and warmed.group(0))
        cpu0 = cpu_ns()
        lsn0 = node.sql("SELECT pg_current_wal_insert_lsn()")
        lines = wait_for("the ticks with the due transfers",
                         lambda: len(tick_lines(a.due)) >= a.repeat and tick_lines(a.due),
                         timeout=600)
        line = lines[0]
        ticks_ms = [float(m.group(3)) for m in lines]
        due_ms = statistics.median(ticks_ms)
        clocks_ms = [float(m.group(4)) for m in lines if m.group(4)]
        # the CPU the database and sl-deadline used from the warm-up tick to
        # the last tick's log line, a tick's share: the tick and ~3 idle
        # ticks
        cpu1 = cpu_ns()
        used = {k: (cpu1[k] - cpu0.get(k, 0)) / 1e6 / a.repeat for k in cpu1}
        pg_ms = sum(v for k, v in used.items() if k[0] == "postgres")
        busiest = sorted((v for k, v in used.items() if k[0] == "postgres"), reverse=True)
        dl_ms = sum(v for k, v in used.items() if k[0] == "sl-deadline")
        wal = int(node.sql("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '%s')"
                           % lsn0)) / a.repeat
        # published once each, whichever connection raised it (a helper's
        # events go out from the tick's thread after the join)
        check("every escalation published once",
              node.metric(port, "sl_deadline_escalations_total") == a.due * a.repeat + a.warm,
              str(node.metric(port, "sl_deadline_escalations_total")))
        check("every due transfer marked once", node.sql(
            "SELECT count(*) FROM transfer_escalation WHERE raised_at IS NOT NULL")
              == str(a.due * a.repeat + a.warm),
              line.group(0) + " " + node.sql("SELECT count(*) FROM transfer_escalation"))
        if trace:
            print_trace(logpath, logstart, a.connections)
        ticks = node.metric(port, "sl_deadline_ticks_total")
        wait_for("two idle ticks", lambda: node.metric(port, "sl_deadline_ticks_total") >= ticks + 2,
                 timeout=60)
        idle_ms = 1000 * node.metric(port, "sl_deadline_tick_seconds")
        rss = sltest.vm_rss_kib(proc.pid) / 1024  # after the big tick and idle ones
        node.stop("deadline")
        print("open transfers: %d, due: %d (loaded in %.1f s)" % (a.open, a.due, load))
        print("ticks with %s due (%s escalations raised), one every %d s: %s ms (median %.1f)"
              % ("/".join(m.group(1) for m in lines), "/".join(m.group(2) for m in lines), APART,
                 ", ".join("%.1f" % v for v in ticks_ms), due_ms))
        if clocks_ms:
            print("  of which the clocks and raising the escalations: median %.1f ms"
                  % statistics.median(clocks_ms))
        if warmed:
            print("  after a warm-up tick with %s due: %s ms" % (warmed.group(1), warmed.group(3)))
        print("CPU a tick (and the idle ticks before it): the database %.1f ms (its busiest processes %s ms),"
              " sl-deadline %.1f ms" % (pg_ms, ", ".join("%.1f" % v for v in busiest[:a.connections]),
                                       dl_ms))
        huge = huge_pages_kib() > 0
        print("idle tick over %d open transfers: %.2f ms" % (a.open, idle_ms))
        print("the cluster's shared memory: %s" % ("in huge pages" if huge else "in 4 KiB pages"))
        print("sl-deadline VmRSS: %.1f MiB on the empty node, %.1f MiB after the ticks"
              % (rss_idle, rss))
        print("BENCH deadline open=%d due=%d tick_ms=%.1f first_ms=%.1f min_ms=%.1f max_ms=%.1f"
              " repeat=%d"
              " clocks_ms=%s idle_ms=%.2f rss_idle_mib=%.1f rss_load_mib=%.1f connections=%s"
              " wal_mib=%.1f pg_cpu_ms=%.1f deadline_cpu_ms=%.1f warm=%d huge_pages=%d"
              % (a.open, a.due, due_ms, ticks_ms[0], min(ticks_ms), max(ticks_ms), a.repeat,
                 "%.1f" % statistics.median(clocks_ms) if clocks_ms else "-", idle_ms, rss_idle,
                 rss, line.group(5) or "1", wal / 1048576.0, pg_ms, dl_ms, a.warm, huge))
        print("plan:\n" + plan)
    finally:
        node.close()
    print("1 passed, 0 failed")


def print_trace(logpath, start, connections):
    """The tick's transactions from the cluster's log (SL_BENCH_TRACE=1): per
    statement, the database's time (parse + bind + execute, as logged) and the
    time before it that was not the database's (sl-deadline working, the round
    trip), from the leader lock (a helper's: from its due SELECT) to COMMIT;
    of the transactions logged, the CONNECTIONS longest, each of one batch
    (the idle ticks before them are a few milliseconds each)."""
    txs = pgtrace.transactions(logpath, start, lambda t: "pg_try_advisory_xact_lock" in t
                               or t.startswith("SELECT t.id, t.case_id, c.case_no"))
    if not txs:
        print("TRACE: no statements logged")
        return
    for tx in sorted(txs, key=pgtrace.span)[-connections:]:
        db = other = 0.0
        print("TRACE %9s %9s  %s" % ("db ms", "other ms", "statement"))
        for text, bind, execute, gap in pgtrace.steps(tx):
            print("TRACE %9.2f %9.2f  %s" % (bind + execute, gap, text[:60]))
            db, other = db + bind + execute, other + gap
        print("TRACE %9.2f %9.2f  (the transaction: %.2f ms)" % (db, other, db + other))


if __name__ == "__main__":
    main()
