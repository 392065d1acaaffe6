"""bench_intake.py — sl-intake's throughput and ack latency, beside the database's own limit.

N producer processes × M envelopes each (distinct clues with reporter data, so
sealing is paid as in production), each producer a DEALER with a window of
outstanding envelopes; prints envelopes/s and the ack latency p50/p99 (first
send to ack). M is large enough (20,000) that the rate is the sustained one,
not the producers' start-up.

Then, on the same cluster and database, the database's own limit for the same
work: pgbench replays sl-intake's transaction statement for statement and
round trip for round trip (BEGIN, the msg_id look-up, the subject locks and
the repeat look-up in one; counters; cases with their audit events and chain
heads; inbox rows with COMMIT; REPLAY_TX, pipelines as libpq's, -M extended) with
as many envelopes per transaction as sl-intake's batches averaged, the rows
copied from what sl-intake just stored, generated inside the server so no
client cost is paid, over 1, 2 and 4 connections, synchronous_commit=on. The
best of the three is the limit, and the ratio intake/limit is printed. For
scale it also prints bare-row speed (inbox-shaped rows, 100-row INSERTs, 4
connections) — a table with no case, no audit event and no repeat look-up, so
not the same work. Also sl-intake's resident memory idle and after the load.

Figures are reported, never asserted (CONVENTIONS.md); the run fails only if
the registry is wrong afterwards or a tool is missing.

    --producers N (SL_BENCH_PRODUCERS, 8)   --envelopes M (SL_BENCH_ENVELOPES, 20000)
    --window W (SL_BENCH_WINDOW, 64)        --db-seconds S (SL_BENCH_DB_SECONDS, 10)
    --batch-max B (SL_BENCH_BATCH_MAX: [intake] batch_max; default: the daemon's)
    --rate R (SL_BENCH_RATE, 0): a steady R envelopes/s over all producers (the
      ack latency at a given load); 0 sends as fast as acks come back
    --no-db (SL_BENCH_NO_DB=1): skip the database's limits
    --client c|python (SL_BENCH_CLIENT, c): the load generator; the C one
      (tests/bench/sl_bench_producer.c) costs less CPU than sl-intake itself,
      the Python one (sltest.Producer) more, on a 2-core machine
    --trace (SL_BENCH_TRACE=1): log every statement of sl-intake's run
      (pgtrace.py) and print its batch transaction statement by statement
      (the database's time, parse and bind apart from execute, and the time
      before each that was not the database's), averaged over the batches,
      beside the one-connection replay's per-command latencies (pgbench -r);
      the logging slows the run, so its rate is not the figure
"""
import argparse
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "system"))
import sltest  # noqa: E402
from sltest import check  # noqa: E402

import pgtrace  # noqa: E402

Ack = sltest.envelope_pb2.Ack


def run_c_producers(node, a):
    """N sl-bench-producer processes (the load generator in C)."""
    exe = os.path.join(sltest.SL_BIN, "sl-bench-producer")
    check("the C load generator is built", os.access(exe, os.X_OK), exe)
    outs = [os.path.join(node.dir, "lat-%d.txt" % i) for i in range(a.producers)]
    t0 = time.time()
    procs = [subprocess.Popen(
        [exe, "--endpoint", node.intake, "--server-key", os.path.join(node.dir, "keys/curve.pub"),
         "--public", os.path.join(node.producer_dir, "curve.pub"),
         "--secret", os.path.join(node.producer_dir, "curve.key"),
         "--count", str(a.envelopes), "--window", str(a.window), "--tag", str(i),
         "--rate", str(a.rate / a.producers), "--out", outs[i]], stdout=subprocess.PIPE, text=True) for i in range(a.producers)]
    results = [p.communicate(timeout=900)[0] for p in procs]
    t1 = time.time()
    check("every producer finished", all(p.returncode == 0 for p in procs), str(results))
    lat = []
    for o in outs:
        with open(o) as f:
            lat.extend(int(x) / 1e6 for x in f)
    acked = sum(int(r.split()[3]) for r in results)
    return t0, t1, lat, {"ACCEPTED": acked}


def run_py_producers(node, a):
    """N Python producer processes (sltest.Producer)."""
    ctx = multiprocessing.get_context("spawn")
    ready, start, out = ctx.Queue(), ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=producer_main,
                         args=(node.intake, (node.dir, node.producer_dir), i, a.envelopes,
                               a.window, ready, start, out))
             for i in range(a.producers)]
    for p in procs:
        p.start()
    # Envelopes are built before the clock starts.
    for _ in procs:
        ready.get(timeout=300)
    t0 = time.time()
    start.set()
    results = [out.get(timeout=900) for _ in procs]
    t1 = max(r[2] for r in results)
    for p in procs:
        p.join(60)
    errors = [r[5] for r in results if r[5]]
    check("every producer finished", not errors, str(errors))
    status = {}
    lat = []
    for r in results:
        lat.extend(r[3])
        for k, v in r[4].items():
            status[k] = status.get(k, 0) + v
    return t0, t1, lat, status


def producer_main(endpoint, keys, index, count, window, ready, start, out):
    envs = []
    for i in range(count):
        c = sltest.clue(subject="压测企业%02d-%07d有限公司" % (index, i), sector=1 + i % 16,
                        reporter=("王%d" % i, "139%08d" % i),
                        description="夜间违规作业，未按规定进行瓦斯检测，现场有人员作业。")
        envs.append(sltest.envelope(c, producer="bench-%d" % index))
    p = sltest.Producer([endpoint], envs, window=window, resend=30.0, deadline=900, node=keys)
    ready.put(index)
    start.wait()
    t0 = time.time()
    p.run()
    t1 = time.time()
    status = {}
    for lst in p.acks.values():
        for _, a in lst:
            status[Ack.Status.Name(a.status)] = status.get(Ack.Status.Name(a.status), 0) + 1
    out.put((index, t0, t1, p.latencies, status, repr(p.error) if p.error else None))


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def db_limit(node, seconds, workdir):
    """Rows/s of inbox-shaped 100-row INSERTs over 4 connections (pgbench)."""
    pgbench = shutil.which("pgbench")
    check("pgbench is installed (postgresql-client)", pgbench is not None)
    node.sql("CREATE TABLE bench_inbox (id bigserial PRIMARY KEY, msg_id text NOT NULL UNIQUE,"
             " raw bytea NOT NULL, received_at timestamptz NOT NULL)")
    script = os.path.join(workdir, "inbox100.sql")
    with open(script, "w") as f:
        f.write("INSERT INTO bench_inbox (msg_id, raw, received_at)"
                " SELECT gen_random_uuid()::text, decode(repeat(md5(random()::text), 19), 'hex'),"
                " now() FROM generate_series(1, 100);\n")
    check("synchronous_commit is on", node.sql("SHOW synchronous_commit") == "on")
    r = subprocess.run([pgbench, "-n", "-c", "4", "-j", "4", "-T", str(seconds), "-f", script,
                        "-h", sltest.PG["SL_PG_HOST"], "-p", sltest.PG["SL_PG_PORT"],
                        "-U", "postgres", node.dbname],
                       capture_output=True, text=True, timeout=seconds + 120)
    check("pgbench ran", r.returncode == 0, r.stdout + r.stderr)
    m = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", r.stdout)
    check("pgbench reported tps", m is not None, r.stdout)
    rows = int(node.sql("SELECT count(*) FROM bench_inbox"))
    raw = float(node.sql("SELECT avg(length(raw)) FROM bench_inbox"))
    return float(m.group(1)) * 100, rows, raw


REPLAY_SRC = """
CREATE TABLE bench_src AS
SELECT row_number() OVER (ORDER BY c.id)::int AS k, c.year, c.sector, c.channel, c.received_at,
       c.subject_name, c.subject_key, c.credit_code, c.division, c.township, c.address,
       c.violations, c.violation_text, c.description, c.major_hazard, c.suspected_crime,
       c.suspected_dereliction, c.reporter_sealed, c.route, c.unit_code, c.case_no,
       c.source_msg_id, c.sector_text, c.upper_office, c.category, c.subject_kind,
       e.actor_key, e.actor_unit, e.detail, e.prev_hash, e.hash,
       i.producer, i.sender, i.body_kind, i.raw
  FROM cases c JOIN case_event e ON e.case_id = c.id AND e.seq = 1
  JOIN inbox i ON i.msg_id = c.source_msg_id;
CREATE UNIQUE INDEX ON bench_src (k);
CREATE SEQUENCE bench_no;
ANALYZE bench_src;
"""

# One transaction of sl-intake's for a batch of new clues, statement for
# statement and round trip for round trip (sl_apply_batch): BEGIN, the msg_id
# look-up, the subject locks and the repeat look-up (sl_case's four index
# look-ups a clue: open and closed cases, by name key and by credit code), the
# counters, the cases with their audit events and chain heads in one statement
# (a data-modifying WITH, as sl_audit_insert_rows_with), the inbox rows with
# COMMIT. Pipelines (\startpipeline) are libpq's, as sl_db_defer's; -M
# extended is intake's protocol. The rows are copied from what the intake
# stored (:n of them): the same tables, indexes, widths and values, generated
# in the server so no client cost is paid. New keys (case_no, msg_id) keep
# every row unique.
REPLAY_TX = """\\set off random(0, {nsrc} - {n})
\\startpipeline
BEGIN;
SELECT msg_id, case_no, ref FROM inbox WHERE msg_id = ANY (ARRAY(
  SELECT gen_random_uuid()::text FROM generate_series(1, {n})));
SELECT count(pg_advisory_xact_lock(x)) FROM (
  SELECT DISTINCT 4611686018427387904 + abs(hashtext(division || ':' || sector))::bigint AS x
    FROM bench_src WHERE k > :off AND k <= :off + {n} ORDER BY 1) AS s;
WITH k AS MATERIALIZED (SELECT division, sector::int AS sector, subject_key || '#' AS skey,
                  coalesce(credit_code, '') AS credit
             FROM bench_src WHERE k > :off AND k <= :off + {n})
SELECT id, case_no, division, sector, subject_key, credit, repeat_count, closed FROM (
  SELECT DISTINCT m.* FROM k CROSS JOIN LATERAL (
    SELECT c.id, c.case_no, c.division, c.sector, c.subject_key,
           coalesce(c.credit_code, '') AS credit, c.repeat_count, c.status = 'closed' AS closed
      FROM cases c WHERE c.division = k.division AND c.sector = k.sector
       AND c.subject_key = k.skey AND c.status <> 'closed'
    UNION ALL
    SELECT c.id, c.case_no, c.division, c.sector, c.subject_key, c.credit_code,
           c.repeat_count, false
      FROM cases c WHERE k.credit <> '' AND c.division = k.division AND c.sector = k.sector
       AND c.credit_code = k.credit AND c.status <> 'closed' AND c.credit_code IS NOT NULL
    UNION ALL
    SELECT c.id, c.case_no, c.division, c.sector, c.subject_key,
           coalesce(c.credit_code, ''), c.repeat_count, true
      FROM cases c WHERE c.division = k.division AND c.sector = k.sector
       AND c.subject_key = k.skey AND c.status = 'closed'
    UNION ALL
    SELECT c.id, c.case_no, c.division, c.sector, c.subject_key, c.credit_code,
           c.repeat_count, true
      FROM cases c WHERE k.credit <> '' AND c.division = k.division AND c.sector = k.sector
       AND c.credit_code = k.credit AND c.status = 'closed' AND c.credit_code IS NOT NULL
    OFFSET 0) AS m) AS u
  ORDER BY closed, CASE WHEN closed THEN -id ELSE id END;
\\endpipeline
INSERT INTO counter (scope, year, key, value)
SELECT 'case', 9999, sector::text, count(*) FROM bench_src
 WHERE k > :off AND k <= :off + {n} GROUP BY sector ORDER BY 1
ON CONFLICT (scope, year, key) DO UPDATE SET value = counter.value + excluded.value
RETURNING key, value;
WITH src AS MATERIALIZED (
  SELECT s.*, s.case_no || '/' || nextval('bench_no') AS no
    FROM bench_src s WHERE k > :off AND k <= :off + {n}),
fresh AS (
  INSERT INTO cases (case_no, year, sector, seq, status, registered_at, channel, received_at,
         subject_name, subject_key, credit_code, division, township, address, violations,
         violation_text, description, major_hazard, suspected_crime, suspected_dereliction,
         reporter_sealed, route, unit_code, source_msg_id, upper_case_no, upper_notice_no,
         repeat_count, sector_text, upper_office, category, subject_kind)
  SELECT no, year, sector, k, 'registered', now(), channel, received_at, subject_name,
         subject_key, credit_code, division, township, address, violations, violation_text,
         description, major_hazard, suspected_crime, suspected_dereliction, reporter_sealed,
         route, unit_code, gen_random_uuid()::text, NULL, NULL, 0, sector_text,
         upper_office, category, subject_kind
    FROM src
  RETURNING id, case_no),
chain AS (
  INSERT INTO case_chain (case_id, seq, head)
  SELECT f.id, 1, s.hash FROM src s JOIN fresh f ON f.case_no = s.no)
INSERT INTO case_event (case_id, seq, at, kind, actor_key, actor_unit, operator, msg_id,
       detail, prev_hash, hash)
SELECT coalesce(NULL::bigint, f.id), 1, now(), 'registered', e.actor_key, e.actor_unit, '',
       e.source_msg_id, e.detail, e.prev_hash, e.hash
  FROM src e LEFT JOIN fresh f ON f.case_no = e.no
RETURNING case_id, hash;
\\startpipeline
INSERT INTO inbox (msg_id, producer, sender, body_kind, received_at, raw, case_no, ref)
SELECT gen_random_uuid()::text, producer, sender, body_kind, now(), raw,
       case_no || '/' || nextval('bench_no'), NULL
  FROM bench_src WHERE k > :off AND k <= :off + {n};
COMMIT;
\\endpipeline
"""


def print_intake_trace(logpath, offset):
    """sl-intake's batch transactions from the cluster's log (SL_BENCH_TRACE=1):
    of those shaped as most are (a batch of new clues), per statement the
    average of the database's time (parse and bind; execute) and of the time
    before it that was not the database's (sl-intake working, the round trip).
    The first tenth are left out (the cluster's caches warming)."""
    txs = [t for t in pgtrace.transactions(logpath, offset, lambda t: t.startswith("BEGIN"))
           if any("INSERT INTO inbox" in r[3] for r in t)]
    shapes = {}
    for tx in txs:
        st = pgtrace.steps(tx)
        shapes.setdefault(tuple(x[0][:40] for x in st), []).append(st)
    if not shapes:
        print("TRACE: no batch logged")
        return
    batches = max(shapes.values(), key=len)
    batches = batches[len(batches) // 10:]
    print("TRACE sl-intake's batch, average of %d transactions (of %d logged):" % (
        len(batches), len(txs)))
    print("TRACE %9s %9s %9s  %s" % ("bind ms", "exec ms", "other ms", "statement"))
    tot = [0.0, 0.0, 0.0]
    for k, first in enumerate(batches[0]):
        avg = [sum(b[k][j] for b in batches) / len(batches) for j in (1, 2, 3)]
        tot = [t + x for t, x in zip(tot, avg)]
        print("TRACE %9.2f %9.2f %9.2f  %s" % (avg[0], avg[1], avg[2], first[0][:60]))
    print("TRACE %9.2f %9.2f %9.2f  (the transaction: %.2f ms)" % (*tot, sum(tot)))


def print_replay_trace(out):
    """The one-connection replay's statements as pgbench -r gives them (a
    pipeline's time is on its \\endpipeline)."""
    print("TRACE the replay (pgbench -r, 1 connection), ms per command:")
    body = out[out.find("statement latencies"):].splitlines()[1:]
    for ln in body:
        m = re.match(r"\s*([\d.]+)\s+\d+\s+(.*)", ln)
        if m and float(m.group(1)) >= 0.05:
            print("TRACE %9s %9.2f  %s" % ("", float(m.group(1)), m.group(2)[:60]))


def db_replay(node, batch, seconds, workdir, trace=False):
    """Envelopes/s the database takes when it is handed sl-intake's own
    transactions with nothing in front of it: pgbench replays them (REPLAY_TX,
    BATCH rows each) over 1, 2 and 4 connections. Returns ({connections:
    rate}, envelopes a transaction); with TRACE, prints the statements'
    latencies (pgbench -r) of the one-connection replay."""
    pgbench = shutil.which("pgbench")
    check("pgbench is installed (postgresql-client)", pgbench is not None)
    node.sql(REPLAY_SRC)
    nsrc = int(node.sql("SELECT count(*) FROM bench_src"))
    n = max(1, min(batch, nsrc))
    script = os.path.join(workdir, "replay.sql")
    with open(script, "w") as f:
        f.write(REPLAY_TX.format(nsrc=nsrc, n=n))
    rates = {}
    for conns in (1, 2, 4):
        before = int(node.sql("SELECT count(*) FROM cases"))
        per = ["-r"] if trace and conns == 1 else []  # per-command latencies
        r = subprocess.run([pgbench, "-n", *per, "-M", "extended", "-c", str(conns),
                            "-j", str(conns),
                            "-T", str(seconds), "-f", script, "-h", sltest.PG["SL_PG_HOST"], "-p",
                            sltest.PG["SL_PG_PORT"], "-U", "postgres", node.dbname],
                           capture_output=True, text=True, timeout=seconds + 120)
        check("pgbench replayed intake's transaction (%d connections)" % conns,
              r.returncode == 0, r.stdout + r.stderr)
        m = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", r.stdout)
        check("pgbench reported tps", m is not None, r.stdout)
        if per:
            print_replay_trace(r.stdout)
        added = int(node.sql("SELECT count(*) FROM cases")) - before
        check("the replay registered cases", added > 0, r.stdout)
        rates[conns] = float(m.group(1)) * n
    return rates, n


def main():
    env = os.environ.get
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--producers", type=int, default=int(env("SL_BENCH_PRODUCERS", "8")))
    ap.add_argument("--envelopes", type=int, default=int(env("SL_BENCH_ENVELOPES", "20000")))
    ap.add_argument("--window", type=int, default=int(env("SL_BENCH_WINDOW", "64")))
    ap.add_argument("--db-seconds", type=int, default=int(env("SL_BENCH_DB_SECONDS", "10")))
    ap.add_argument("--batch-max", type=int, default=int(env("SL_BENCH_BATCH_MAX", "0")))
    ap.add_argument("--client", choices=["c", "python"], default=env("SL_BENCH_CLIENT", "c"))
    ap.add_argument("--rate", type=float, default=float(env("SL_BENCH_RATE", "0")),
                    help="a steady total envelopes/s (C client only); 0: as fast as acked")
    ap.add_argument("--no-db", action="store_true", default=env("SL_BENCH_NO_DB", "") == "1",
                    help="skip the database's limits (a latency run)")
    ap.add_argument("--trace", action="store_true", default=env("SL_BENCH_TRACE", "") == "1",
                    help="print the batch statement by statement (slows the run)")
    a = ap.parse_args()
    total = a.producers * a.envelopes
    extra = "batch_max = %d\n" % a.batch_max if a.batch_max else ""
    node = sltest.Node("bench")
    try:
        if extra:  # into the node's own [intake] section
            with open(node.ini) as f:
                text = f.read()
            with open(node.ini, "w") as f:
                f.write(text.replace("[intake]\n", "[intake]\n" + extra, 1))
        trace = a.trace
        if trace:  # every statement's duration in the cluster's log (pgtrace.py)
            logpath, logstart = pgtrace.start(node)
        proc = node.start()  # returns once it listens; default log level, as deployed
        rss_idle = sltest.vm_rss_kib(proc.pid)
        if a.client == "c":
            t0, t1, lat, status = run_c_producers(node, a)
        else:
            t0, t1, lat, status = run_py_producers(node, a)
        elapsed = t1 - t0
        rate = total / elapsed
        if trace:
            pgtrace.stop(node)
        rss_load = sltest.vm_rss_kib(proc.pid)
        check("every envelope accepted once", status.get("ACCEPTED") == total, str(status))
        check("one case per envelope", node.sql("SELECT count(*) FROM cases") == str(total))
        gaps = node.sql("SELECT sector FROM cases GROUP BY year, sector"
                        " HAVING max(seq) <> count(*)")
        check("numbers gap-free", gaps == "", gaps)
        metrics = ""
        try:
            import urllib.request
            metrics = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % node.http_port,
                                             timeout=10).read().decode()
        except OSError:
            pass
        m_sum = re.search(r"^sl_intake_batch_size_sum (\S+)", metrics, re.M)
        m_cnt = re.search(r"^sl_intake_batch_size_count (\S+)", metrics, re.M)
        avg_batch = float(m_sum.group(1)) / float(m_cnt.group(1)) if m_sum and m_cnt else 0
        raw_avg = float(node.sql("SELECT avg(length(raw)) FROM inbox"))

        # rows intake wrote: inbox, cases, case_event, case_chain (one each an envelope) and
        # the counters
        rows = total * 4 + int(node.sql("SELECT count(*) FROM counter WHERE scope = 'case'"))
        if trace:
            print_intake_trace(logpath, logstart)
        if a.no_db:
            replay, replay_n, db_rate, db_rows, db_raw = {0: float("nan")}, 0, float("nan"), 0, 0
        else:
            replay, replay_n = db_replay(node, int(round(avg_batch)) or 1, a.db_seconds, node.dir,
                                         trace)
            db_rate, db_rows, db_raw = db_limit(node, a.db_seconds, node.dir)
        print("bench_intake: %d %s producers x %d envelopes, window %d%s%s" % (
            a.producers, a.client, a.envelopes, a.window,
            ", batch_max %d" % a.batch_max if a.batch_max else "",
            ", at %.0f/s" % a.rate if a.rate else ""))
        print("  intake:   %d envelopes in %.2f s = %.0f envelopes/s (avg batch %.0f,"
              " inbox raw avg %.0f B)" % (total, elapsed, rate, avg_batch, raw_avg))
        print("  ack latency: p50 %.1f ms, p99 %.1f ms, max %.1f ms" % (
            pct(lat, 0.50) * 1e3, pct(lat, 0.99) * 1e3, max(lat) * 1e3))
        best = max(replay.values())
        print("  database's limit for intake's work: %.0f envelopes/s (pgbench replaying"
              " intake's transaction, %d envelopes each, %s, synchronous_commit=on)" % (
                  best, replay_n, ", ".join("%d conn %.0f/s" % (c, r)
                                            for c, r in sorted(replay.items()))))
        print("  ratio intake/database: %.2f" % (rate / best))
        print("  for scale, bare rows: %.0f rows/s (pgbench, 4 connections, 100-row INSERTs"
              " into an inbox-shaped table without indexes beyond its keys, %d rows of raw"
              " %.0f B in %d s); intake/bare rows %.2f" % (
                  db_rate, db_rows, db_raw, a.db_seconds, rate / db_rate))
        print("  sl-intake VmRSS: idle %.1f MiB, after load %.1f MiB" % (
            rss_idle / 1024, rss_load / 1024))
        print("  rows written: %.0f rows/s (inbox, cases, case_event, case_chain, counters)"
              " beside %.0f rows/s bare" % (rows / elapsed, db_rate))
        print("BENCH intake producers=%d rate=%.0f envelopes_s=%.0f p50_ms=%.1f p99_ms=%.1f"
              " replay_s=%.0f ratio=%.2f rows_s=%.0f bare_rows_s=%.0f rss_idle_mib=%.1f"
              " rss_load_mib=%.1f" % (
                  a.producers, a.rate, rate, pct(lat, 0.50) * 1e3, pct(lat, 0.99) * 1e3, best,
                  rate / best, rows / elapsed, db_rate, rss_idle / 1024, rss_load / 1024))
        check("exit 0 on SIGTERM", node.stop() == 0)
    except Exception:
        sltest.dump_logs(node)
        raise
    finally:
        node.close()
    print("1 passed, 0 failed")


if __name__ == "__main__":
    main()
