"""bench_reports.py — drafting a city's weekly report over a large week.

晋中市 140700 with 100,000 cases registered in week 2026-W49 (bulk-inserted
with generate_series, spread from Monday 08:00 to Sunday 23:59:59, 576,000
seconds; a spread of 600,000 s put 2,400 of the city's own cases of a
1,000,000 into the next week and left annex 6 at 99,800 rows, not 102,200):
one in ten its departments' own, the rest handed to its
11 counties; every case has a handling transfer, half of them verified in the
week with a feedback (fines, suspensions …); each county's weekly report
received, its annex 6 carrying 200 items. Prints the wall time of
`slctl report build --weekly --week 2026-W49` (the ledger reads, the roll-up,
annexes 4 and 6 as XLSX and CSV, annex 5 and the draft), the sizes of the
files and the totals. Figures are reported, never asserted.

    --cases N (SL_BENCH_CASES, 100000)   --own-every K (1 in K cases is the city's own, 10)
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "system"))
import sltest  # noqa: E402
from sltest import check  # noqa: E402
from safeloop.v1 import reports_pb2  # noqa: E402

NOW = "2026-12-07T09:00:00+08:00"


def county_body(code, n_items):
    w = reports_pb2.WeeklyReport(from_unit=code, period_start="2026-11-30",
                                 period_end="2026-12-06")
    for i in range(n_items):
        it = w.items.add()
        it.case_no = "%s-2026-煤-%06d" % (code, i + 1)
        it.subject_name = "某某煤业有限公司%d" % i
        it.township = "某镇"
        it.category = "生产企业"
        it.kind = "非法违法行为"
        it.problem = "无证开采"
        it.nature = "非法违法生产经营"
        it.measures = "停产整顿"
        it.escalated = i % 7 == 0
    return w.SerializeToString().hex()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=int(os.environ.get("SL_BENCH_CASES", 100000)))
    ap.add_argument("--own-every", type=int, default=10)
    a = ap.parse_args()
    node = sltest.Node("bench-reports", code="140700")
    try:
        counties = node.sql("SELECT code FROM unit WHERE kind = 'child' ORDER BY code").split()
        t0 = time.time()
        node.sql("""
INSERT INTO cases (case_no, year, sector, seq, status, registered_at, channel, subject_name,
                   subject_key, division, township, route, unit_code, source_msg_id, violations,
                   major_hazard, category)
SELECT '140700-2026-煤-' || lpad(g::text, 7, '0'), 2026, s.code, g, 'closed',
       timestamptz '2026-11-30 08:00+08' + (g %% 576000) * interval '1 second',
       'hotline', '某煤业' || g, '某煤业' || g,
       CASE WHEN g %% %(own)d = 0 THEN '140700' ELSE (%(counties)s)[1 + g %% %(nc)d] END, '',
       CASE WHEN g %% %(own)d = 0 THEN 'department' ELSE 'child' END,
       CASE WHEN g %% %(own)d = 0 THEN '140700:emergency' ELSE (%(counties)s)[1 + g %% %(nc)d] END,
       'bench-' || g, CASE WHEN g %% 3 = 0 THEN '{1}'::smallint[] ELSE '{}' END, g %% 3 = 1,
       '生产企业'
FROM generate_series(1, %(cases)d) g, sector s WHERE s.short_name = '煤';
ALTER TABLE transfer DISABLE TRIGGER USER;
INSERT INTO transfer (notice_no, year, sector, seq, case_id, unit_code, delivery, state,
                      transfer_date, issued_at, objection_deadline, feedback_deadline,
                      decision, decided_at, fed_back_at, feedback)
SELECT '（煤）移〔2026〕' || c.seq || '号', 2026, c.sector, c.seq, c.id, c.unit_code, 'outbox',
       CASE WHEN c.seq %% 2 = 0 THEN 'closed' ELSE 'in_progress' END, '2026-11-30',
       c.registered_at, '2026-12-02', '2026-12-09',
       CASE WHEN c.seq %% 2 = 0 THEN 'verify_pass' END,
       CASE WHEN c.seq %% 2 = 0 THEN c.registered_at + interval '1 day' END,
       CASE WHEN c.seq %% 2 = 0 THEN c.registered_at + interval '20 hours' END,
       CASE WHEN c.seq %% 2 = 0 THEN '{"violation_nature": "非法违法生产经营", "penalized": true,'
         || ' "penalty_fen": ' || (c.seq %% 100) * 10000 || ', "production_suspended": '
         || (c.seq %% 4 = 0) || ', "closed_down": false, "major_hazard_rectified": true,'
         || ' "disciplined_count": ' || (c.seq %% 5 = 0)::int || ', "criminal_count": 0,'
         || ' "measures": "停产整顿", "result_text": "已处罚"}' END
FROM cases c;
ALTER TABLE transfer ENABLE TRIGGER USER;
ANALYZE cases;
ANALYZE transfer;
""" % dict(cases=a.cases, own=a.own_every, nc=len(counties),
           counties="ARRAY[%s]" % ",".join("'%s'" % c for c in counties)))
        for code in counties:
            fig = json.dumps({"illegal_found": 300, "illegal_punished": 120, "major_hazards": 40,
                              "major_hazards_rectified": 30, "fine_fen": 12345678,
                              "persons_disciplined": 3, "persons_prosecuted": 1})
            node.sql("INSERT INTO report (kind, from_unit, period, period_start, period_end,"
                     " received_at, due_at, on_time, msg_id, figures, body, updated_at)"
                     " VALUES ('weekly', '%s', '2026-11-30', '2026-11-30', '2026-12-06',"
                     " '2026-12-07 08:00+08', '2026-12-07 10:00+08', true, 'bench-%s', '%s',"
                     " '\\x%s', '2026-12-07 08:00+08')"
                     % (code, code, fig, county_body(code, 200)))
        load = time.time() - t0
        check("loaded", node.sql("SELECT count(*) FROM cases") == str(a.cases))
        out = tempfile.mkdtemp(prefix="sl-bench-reports-")
        t1 = time.time()
        r = node.slctl("report", "build", "--weekly", "--week", "2026-W49", "--dir", out,
                       env=dict(os.environ, SL_NOW=NOW), timeout=600)
        build = time.time() - t1
        print("BENCH reports cases=%d build_s=%.2f" % (a.cases, build))  # before the checks
        sys.stdout.flush()
        draft = json.load(open(os.path.join(out, "周报告.json")))
        own = a.cases // a.own_every
        check("the city counts its own cases only, the counties' from their reports",
              draft["rows"][0]["figures"]["illegal_found"] +
              draft["rows"][0]["figures"]["major_hazards"] >= own * 2 // 3, r.stdout[:500])
        check("one annex 6 row per own case and county item",
              len(draft["items"]) == own + 200 * len(counties), str(len(draft["items"])))
        sizes = {f: os.path.getsize(os.path.join(out, f)) for f in sorted(os.listdir(out))}
        print("cases: %d (%d the city's own, the rest in %d counties), loaded in %.1f s"
              % (a.cases, own, len(counties), load))
        print("report build --weekly: %.2f s wall (annex 6: %d rows)" % (build, len(draft["items"])))
        print("files: " + ", ".join("%s %d KiB" % (f, s // 1024) for f, s in sizes.items()))
        print("totals: " + " ".join(r.stdout.splitlines()[2].split("\t")))
        subprocess.run(["rm", "-rf", out])
    finally:
        node.close()
    print("1 passed, 0 failed")


if __name__ == "__main__":
    main()
