"""bench_publish.py — sl-publish regenerating the portal over a large ledger.

--cases cases with one transfer each (bulk-inserted: an eighth closed with a
verified result, an eighth of them major hazards, every one with the office's
public summary) are drafted as the day's list, the week's progress and the
results (`slctl publish now`, as sl-publish's role), approved, and sl-publish
started: it writes the whole site (HTML pages of 100 items, JSON, CSV, text,
the index and the feed) aside and swaps it in. Prints the time of each draft,
the site's regeneration (sl_publish_site_seconds), its files and bytes.
Figures are reported, never asserted.

    --cases N (SL_BENCH_CASES, 100000)

Measured on the 2-core CI machine (loaded, Debug build), 100,000 cases: drafts
8.7 s (list, 100,000 items), 6.1 s (progress, 87,500), 4.6 s (results,
12,500); the site (three publications: 2,011 files, 391 MB) regenerated in
33.4 s, 35.0 s from the daemon's start. 20,000 cases: 3.4 s; before the
pages shared the body instead of copying it per page, the time grew with the
square of the items.
"""
import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "system"))
import sltest  # noqa: E402
from sltest import check, wait_for  # noqa: E402

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
T = "2026-11-22T10:00:00+08:00"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=int(os.environ.get("SL_BENCH_CASES", 100000)))
    a = ap.parse_args()
    port = sltest.free_port()
    node = sltest.Node("bench-publish", extra_ini="""[publish]
http = 127.0.0.1:%d
site_dir = site
templates = %s/templates
tick_seconds = 1
time_of_day = 23:59
""" % (port, SRC))
    env = dict(os.environ, SL_NOW=T)
    try:
        t = time.time()
        node.sql("""
INSERT INTO cases (case_no, year, sector, seq, status, registered_at, channel, subject_name,
                   subject_key, division, township, route, unit_code, source_msg_id,
                   major_hazard, subject_kind)
SELECT '140728-2026-煤-' || lpad(g::text, 6, '0'), 2026, s.code, g,
       CASE WHEN g %% 8 = 0 THEN 'closed' ELSE 'transferred' END, '2026-11-10 09:00+08',
       'hotline', '平遥县第' || g || '煤业有限公司', 'k' || g, '140728', '古陶镇', 'department',
       '140728:emergency', 'bench-' || g, g %% 8 = 1 OR g %% 64 = 0,
       CASE WHEN g %% 50 = 0 THEN '自然人' ELSE '单位' END
FROM generate_series(1, %d) g, sector s WHERE s.short_name = '煤';
INSERT INTO transfer (notice_no, year, sector, seq, case_id, unit_code, delivery, state,
                      transfer_date, issued_at, objection_deadline, feedback_deadline,
                      feedback, closed_at)
SELECT '（煤）移〔2026〕' || c.seq || '号', 2026, c.sector, c.seq, c.id, c.unit_code, 'event',
       CASE WHEN c.status = 'closed' THEN 'closed' ELSE 'in_progress' END, '2026-11-10',
       '2026-11-10 09:00+08', '2026-11-12', '2026-11-19',
       CASE WHEN c.status = 'closed' THEN '{"violation_nature":"非法违法生产经营",'
            '"production_suspended":true,"major_hazard_rectified":true,"rectified":true}' END,
       CASE WHEN c.status = 'closed' THEN '2026-11-21 10:00+08'::timestamptz END
FROM cases c;
INSERT INTO case_public (case_id, summary, summary_by, summary_at)
SELECT id, '反映该单位存在超层越界开采问题，已交办核查。', '公开专员', now() FROM cases;
ANALYZE;""" % a.cases)
        print("cases: %d loaded in %.1f s" % (a.cases, time.time() - t))
        ids = []
        for kind in ("list", "progress", "results"):
            t = time.time()
            r = node.slctl("publish", "now", kind, env=env)
            ids.append(r.stdout.split("\t")[1])
            print("draft %-8s %6.2f s" % (kind, time.time() - t))
        for i in ids:
            node.slctl("publish", "approve", i, "--by", "bench", env=env)
        t = time.time()
        proc = node.start("publish", env=env, wait=False)
        wait_for("the site", lambda: "site written" in node.log("publish"), timeout=1200)
        print("sl-publish: start to site written %.1f s" % (time.time() - t))
        secs = node.metric(port, "sl_publish_site_seconds")
        files = node.metric(port, "sl_publish_site_files")
        size = subprocess.run(["du", "-sbL", os.path.join(node.dir, "site")],
                              capture_output=True, text=True).stdout.split()[0]
        print("site regenerated in %.2f s: %d files, %.1f MB" % (secs, files, int(size) / 1e6))
        rss_load = sltest.vm_rss_kib(proc.pid) / 1024
        time.sleep(5)  # then idle: nothing new to publish
        rss_idle = sltest.vm_rss_kib(proc.pid) / 1024
        print("sl-publish VmRSS: after regenerating %.1f MiB, idle after %.1f MiB"
              % (rss_load, rss_idle))
        print("BENCH publish cases=%d site_s=%.2f files=%d rss_idle_mib=%.1f rss_load_mib=%.1f"
              % (a.cases, secs, files, rss_idle, rss_load))
        check("site written", files > 0)
    finally:
        node.close()


if __name__ == "__main__":
    main()
