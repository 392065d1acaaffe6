"""test_dispatch_stop.py — SIGTERM while sl-dispatch forms a list: a prompt
stop, and the next start issues every transfer exactly once (issue 22).

12,000 registered cases wait, every fourth suspected of a crime (issued one
by one, with its police transfer: the first list takes seconds). Once the log
says the list is being formed, sl-dispatch gets SIGTERM: it exits 0 within
3 s, says the list was rolled back, and nothing of it is left — no transfer,
no list, no notice number taken, every case still registered with its one
"registered" event. Started again, it issues the two lists: each case one
handling transfer, each flagged case one police transfer, the notice and
list numbers gap-free from 1, one "transferred" event per transfer and every
audit chain intact.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import sltest  # noqa: E402
from sltest import check, wait_for  # noqa: E402

CASES = 12000
STOP_WITHIN = 3.0  # seconds from SIGTERM to exit


def main():
    node = sltest.Node("dispatch-stop")
    try:
        node.sql("""
INSERT INTO unit (code, kind, name, dept_key)
VALUES ('140728:police', 'police', '平遥县公安局', 'police') ON CONFLICT (code) DO NOTHING;
INSERT INTO cases (case_no, year, sector, seq, status, registered_at, channel, subject_name,
                   subject_key, division, route, unit_code, source_msg_id, suspected_crime)
SELECT '140728-2025-煤-' || lpad(g::text, 6, '0'), 2025, s.code, g, 'registered', now(),
       'hotline', '某煤业' || g, '某煤业' || g, '140728', 'department', '140728:emergency',
       'stop-' || g, g %% 4 = 0
FROM generate_series(1, %d) g, sector s WHERE s.short_name = '煤';
ANALYZE cases;""" % CASES)
        proc = node.start("dispatch", wait=False)
        wait_for("sl-dispatch to be forming its first list",
                 lambda: "forming the transfer list" in node.log("dispatch"), timeout=60,
                 interval=0.02)
        check("the list not formed yet when SIGTERM goes",
              "transfer list formed" not in node.log("dispatch"))
        t = time.time()
        rc = node.stop("dispatch", timeout=60)
        took = time.time() - t
        log = node.log("dispatch")
        print("stopped %.2f s after SIGTERM, exit %s" % (took, rc))
        check("exit 0", rc == 0, log[-2000:])
        check("within %.0f s" % STOP_WITHIN, took < STOP_WITHIN, "%.2f s" % took)
        check("the log says the list was rolled back", "stopping: rolled back" in log,
              log[-2000:])
        check("no list formed", "transfer list formed" not in log)
        check("nothing of the list is left",
              node.sql("SELECT (SELECT count(*) FROM transfer) || ':' ||"
                       " (SELECT count(*) FROM transfer_list) || ':' ||"
                       " (SELECT count(*) FROM counter WHERE scope IN ('notice', 'list'))"
                       " || ':' || (SELECT count(*) FROM case_event)") == "0:0:0:0")
        check("every case still registered",
              node.sql("SELECT string_agg(DISTINCT status, ',') FROM cases") == "registered")

        node.start("dispatch", wait=False)
        wait_for("every case transferred after the restart",
                 lambda: node.sql("SELECT count(*) FROM cases WHERE status = 'registered'")
                 == "0", timeout=240, interval=0.5)
        wait_for("the lists formed", lambda: node.log("dispatch").count(
            "transfer list formed") >= 2, timeout=60)
        flagged = CASES // 4
        check("one handling transfer per case, one police transfer per flagged case",
              node.sql("SELECT count(*) FILTER (WHERE kind = 'handling') || ':' ||"
                       " count(DISTINCT case_id) FILTER (WHERE kind = 'handling') || ':' ||"
                       " count(*) FILTER (WHERE kind = 'police') || ':' ||"
                       " count(DISTINCT case_id) FILTER (WHERE kind = 'police') FROM transfer")
              == "%d:%d:%d:%d" % (CASES, CASES, flagged, flagged))
        check("notice numbers gap-free from 1",
              node.sql("SELECT min(seq) || ':' || max(seq) || ':' || count(DISTINCT seq)"
                       " FROM transfer") == "1:%d:%d" % (CASES + flagged, CASES + flagged))
        check("list numbers gap-free from 1",
              node.sql("SELECT string_agg(seq::text, ',' ORDER BY seq) FROM transfer_list")
              == "1,2")
        check("one 'transferred' event per transfer",
              node.sql("SELECT count(*) FROM case_event WHERE kind = 'transferred'")
              == str(CASES + flagged))
        r = node.slctl("audit", "verify", check=False)
        check("every audit chain intact", r.returncode == 0, r.stdout + r.stderr)
        node.stop("dispatch", timeout=60)
    except BaseException:
        sltest.dump_logs([node])
        raise
    finally:
        node.close()


if __name__ == "__main__":
    main()
