"""bench_appraise.py — what scoring one month costs over a million cases.

Two nodes, each with N cases (1,000,000) registered in November 2026 about its 11
children, all transferred to them (one handling transfer each, its `transferred` audit
event with the feedback deadline), 70% fed back (a `fed_back` event, two thirds of them on
time), 5% marked for escalation and 30% verified (a `verified` event, half with none of
measures ①–④), bulk-inserted with generate_series; and each child's monthly summary. The
province (140000) ranks its 11 cities, the city (140700) its 11 counties. Prints the
seconds of `slctl appraise run --month 2026-11` (read as of the month's end, scored,
stored) and of a second run, and checks that the two runs' inputs' hashes agree; before
them sl-appraise itself scores the month due, and its resident memory at start and its
peak (VmHWM) once the month is stored are printed. Figures are reported, never asserted.

    --cases N (SL_BENCH_CASES, 1000000)
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "system"))
import sltest  # noqa: E402
from sltest import check  # noqa: E402

RULES = os.path.join(sltest.SL_SOURCE, "deploy", "appraise-rules.ini")
NOW = "2026-12-01T10:00:00+08:00"

LOAD = """
CREATE TEMP TABLE kids AS
  SELECT row_number() OVER (ORDER BY code) - 1 AS k, code FROM unit WHERE kind = 'child';
INSERT INTO cases (case_no, year, sector, seq, status, registered_at, channel, subject_name,
                   subject_key, division, route, unit_code, source_msg_id)
SELECT '%(node)s-2026-煤-' || lpad(g::text, 7, '0'), 2026, s.code, g, 'in_progress',
       timestamptz '2026-11-02 09:00+08' + (g %% 25) * interval '1 day', 'hotline',
       '某煤业' || g, '某煤业' || g, kids.code, 'child', kids.code, 'bench-' || g
FROM generate_series(1, %(n)d) g JOIN kids ON kids.k = g %% (SELECT count(*) FROM kids),
     sector s WHERE s.short_name = '煤';
ALTER TABLE transfer DISABLE TRIGGER USER;
INSERT INTO transfer (notice_no, year, sector, seq, case_id, unit_code, delivery, state,
                      transfer_date, issued_at, objection_deadline, feedback_deadline)
SELECT '（煤）移〔2026〕' || c.seq || '号', 2026, c.sector, c.seq, c.id, c.unit_code, 'event',
       'received', (c.registered_at AT TIME ZONE 'Asia/Shanghai')::date, c.registered_at,
       (c.registered_at AT TIME ZONE 'Asia/Shanghai')::date + 2,
       (c.registered_at AT TIME ZONE 'Asia/Shanghai')::date + 9
FROM cases c;
ALTER TABLE transfer ENABLE TRIGGER USER;
INSERT INTO case_event (case_id, seq, at, kind, detail, prev_hash, hash)
SELECT t.case_id, 1, t.issued_at, 'transferred',
       json_build_object('notice_no', t.notice_no, 'unit', t.unit_code,
                         'feedback_deadline', t.feedback_deadline)::text, '', ''
FROM transfer t;
INSERT INTO case_event (case_id, seq, at, kind, detail, prev_hash, hash)
SELECT t.case_id, 2, t.issued_at + CASE WHEN t.seq %% 3 = 0 THEN interval '12 days'
                                        ELSE interval '3 days' END, 'fed_back',
       json_build_object('notice_no', t.notice_no, 'feedback',
                         json_build_object('penalized', t.seq %% 2 = 0))::text, '', ''
FROM transfer t WHERE t.seq %% 10 < 7;
INSERT INTO case_event (case_id, seq, at, kind, detail, prev_hash, hash)
SELECT t.case_id, 3, t.issued_at + interval '4 days', 'verified',
       json_build_object('notice_no', t.notice_no)::text, '', ''
FROM transfer t WHERE t.seq %% 10 < 3;
INSERT INTO case_event (case_id, seq, at, kind, detail, prev_hash, hash)
SELECT t.case_id, 4, t.issued_at + interval '10 days', 'escalation_marked',
       json_build_object('notice_no', t.notice_no, 'cause', 'OVERDUE')::text, '', ''
FROM transfer t WHERE t.seq %% 20 = 9;
INSERT INTO report (kind, from_unit, period, period_start, period_end, received_at, due_at,
                    on_time, msg_id, figures, body, updated_at)
SELECT 'monthly', code, '2026-11', '2026-11-01', '2026-11-30', '2026-11-29 10:00+08',
       '2026-11-30 23:59+08', true, 'bench-report-' || code,
       json_build_object('major_hazards', 10 + k, 'major_hazards_rectified', 5 + k,
                         'illegal_found', 40, 'illegal_punished', 20 + k,
                         'closed_down', k, 'exposed', 2)::jsonb, '', '2026-11-29 10:00+08'
FROM kids;
ANALYZE cases; ANALYZE transfer; ANALYZE case_event; ANALYZE report_version;
"""


def bench(code, what, n):
    node = sltest.Node("bench-appraise-%s" % code, code=code, extra_ini="[appraise]\nrules = %s\n"
                       % RULES)
    try:
        t0 = time.time()
        node.sql(LOAD % dict(node=code, n=n))
        load = time.time() - t0
        events = node.sql("SELECT count(*) FROM case_event")
        env = dict(os.environ, SL_NOW=NOW)
        # the daemon scores the month due by itself: its resident memory at
        # start (idle) and its peak (VmHWM) once the month is stored
        proc = node.start("appraise", env=env)
        time.sleep(0.5)
        rss_idle = sltest.vm_rss_kib(proc.pid)
        sltest.wait_for("sl-appraise to score 2026-11", lambda: node.sql(
            "SELECT count(*) FROM appraisal_run WHERE month = '2026-11'") != "0", timeout=1800)
        with open("/proc/%d/status" % proc.pid) as f:
            rss_peak = next(int(l.split()[1]) for l in f if l.startswith("VmHWM:"))
        check("sl-appraise exits 0 on SIGTERM", node.stop("appraise") == 0)
        runs = []
        for _ in range(2):
            t0 = time.time()
            r = node.slctl("appraise", "run", "--month", "2026-11", "--json", env=env,
                           timeout=1800)
            runs.append((time.time() - t0, json.loads(r.stdout)))
        res = runs[0][1]
        print("%s: %d cases, %s audit events (loaded in %.1f s); %d places ranked; "
              "appraise run %.2f s, again %.2f s; first: %s %.2f; inputs %s"
              % (what, n, events, load, len(res["places"]), runs[0][0], runs[1][0],
                 res["places"][0]["name"], res["places"][0]["total"], res["inputs_hash"][:12]))
        print("sl-appraise: VmRSS %.1f MiB at start, VmHWM %.1f MiB after scoring the month"
              % (rss_idle / 1024, rss_peak / 1024))
        print("BENCH appraise node=%s cases=%d run_s=%.2f again_s=%.2f rss_idle_mib=%.1f"
              " rss_load_mib=%.1f" % (code, n, runs[0][0], runs[1][0], rss_idle / 1024,
                                      rss_peak / 1024))
        check("%s: the two runs agree" % what, runs[0][1]["inputs_hash"] ==
              runs[1][1]["inputs_hash"] and runs[0][1]["places"] == runs[1][1]["places"])
        sys.stdout.flush()
    finally:
        node.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=int(os.environ.get("SL_BENCH_CASES", 1000000)))
    a = ap.parse_args()
    bench("140000", "province ranking its cities", a.cases)
    bench("140700", "city ranking its counties", a.cases)


if __name__ == "__main__":
    main()
