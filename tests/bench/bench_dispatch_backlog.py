"""bench_dispatch_backlog.py — sl-dispatch working through a backlog: is the
daemon at work also a daemon that answers?

--cases registered cases (bulk-inserted, untransferred) wait when sl-dispatch
starts ([dispatch] interval_days = 0, scan_seconds = 1, so it forms one
10,000-transfer list after another). For --seconds it samples every 0.5 s:
its heartbeat's age (daemon_state.beat_at), the /healthz answer and how long
it took. Prints the time of each list and of each announcement round (from
the log), the largest heartbeat age, the slowest /healthz and any that was not
200. Figures are reported, never asserted.

    --cases N (SL_BENCH_CASES, 50000)   --seconds S (SL_BENCH_SECONDS, 90)

Each list's issuing time is the time between its two log lines ("forming the
transfer list", "transfer list formed"); the BENCH line carries the median of
the full (10,000-transfer) lists.

Measured on the 2-core CI machine (loaded), 50,000 cases, 120 s:
- before issue 14 (the scan on the loop; each transfer not yet received
  announced by its own 12-join query and notice, every scan): two lists, 53 s
  apart; the heartbeat 118 s old at the end (slctl status: not running);
  SIGTERM took 80.7 s.
- after (the scan off the loop; announcements 1,000 per round trip): five
  lists, about 24 s apart; announcing 40,000 transfers 5.6 s; the heartbeat
  never older than 5.0 s; /healthz always 200 within 27 ms; SIGTERM 0.8 s
  (between scans; within one, the list in flight is finished first).
- issue 22, 50,000 cases, 40-60 s, the same tree before and after, runs
  alternated (load average 1.6-5.3: two other engineers benchmarking).
  Before: plain cases issued set-based, but each case row updated twice (its
  status, then its audit head, which re-ran the unit foreign-key check on
  every row) and a PL/pgSQL trigger call per inserted transfer; a 10,000
  list in 0.73-1.44 s (median of five lists per run; 4.1-5.2 s measured
  earlier on a busier machine), SIGTERM 0.5-4.2 s (5.6-16 s when it lands
  in a list: the list was finished first). After: one UPDATE per case row
  (status and audit head together), the trigger only where the clock's
  columns change (migration 020); 0.58-0.85 s a list, and SIGTERM 0.1 s
  (a list in flight is rolled back, announcements stop after their chunk).
  What is left is PostgreSQL's own work (log_min_duration_statement = 0):
  the transfer INSERT is the largest part, a third or more (four foreign-key
  checks a row, nine indexes), then the case update (not HOT: every index of
  cases) and the events' insert; the C between them is under 0.1 s.
"""
import argparse
import os
import re
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "system"))
import sltest  # noqa: E402
from sltest import check  # noqa: E402


def probe(port):
    t = time.time()
    try:
        st = urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port, timeout=10).status
    except urllib.error.HTTPError as e:
        st = e.code
    except OSError:
        st = 0
    return st, time.time() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=int(os.environ.get("SL_BENCH_CASES", 50000)))
    ap.add_argument("--seconds", type=float,
                    default=float(os.environ.get("SL_BENCH_SECONDS", 90)))
    a = ap.parse_args()
    node = sltest.Node("bench-backlog")
    try:
        node.sql("""
INSERT INTO cases (case_no, year, sector, seq, status, registered_at, channel, subject_name,
                   subject_key, division, route, unit_code, source_msg_id)
SELECT '140728-2025-煤-' || lpad(g::text, 6, '0'), 2025, s.code, g, 'registered', now(),
       'hotline', '某煤业' || g, '某煤业' || g, '140728', 'department', '140728:emergency',
       'bench-' || g
FROM generate_series(1, %d) g, sector s WHERE s.short_name = '煤';
ANALYZE cases;""" % a.cases)
        check("loaded", node.sql("SELECT count(*) FROM cases") == str(a.cases))
        proc = node.start("dispatch", wait=False)
        time.sleep(1)  # started, before its first list
        rss_start = sltest.vm_rss_kib(proc.pid) / 1024
        port = node.dispatch_http_port
        t0 = time.time()
        worst_age, worst_probe, not_ok, samples = 0.0, 0.0, [], 0
        while time.time() - t0 < a.seconds:
            st, took = probe(port)
            age = node.sql("SELECT coalesce(extract(epoch FROM now() - max(beat_at)), -1)"
                           " FROM daemon_state WHERE daemon = 'dispatch'", check=False)
            samples += 1
            worst_probe = max(worst_probe, took)
            if age and float(age) >= 0:
                worst_age = max(worst_age, float(age))
            if st != 200 and time.time() - t0 > 5:
                not_ok.append((round(time.time() - t0, 1), st))
            time.sleep(0.5)
        rss_load = sltest.vm_rss_kib(proc.pid) / 1024
        log = node.log("dispatch")
        ts = lambda ln: re.search(r"ts=\S+T(\d+):(\d+):([\d.]+)", ln)  # noqa: E731
        print("cases: %d, sampled %d times over %.0f s" % (a.cases, samples, a.seconds))
        start, forming, lists = None, {}, []
        for ln in log.splitlines():
            m = ts(ln)
            if not m:
                continue
            secs = int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3))
            if start is None:
                start = secs
            lm = re.search(r"list=(\"[^\"]*\"|\S+) msg=\"?(forming the transfer list|transfer list"
                           r" formed with (\d+) transfers)", ln)
            if lm and lm.group(2).startswith("forming"):
                forming[lm.group(1)] = secs
            elif lm and lm.group(1) in forming:
                lists.append((int(lm.group(3)), secs - forming[lm.group(1)]))
            if "transfer list formed" in ln or "announced" in ln:
                print("  %6.1f s  %s" % (secs - start, ln.split("msg=", 1)[-1]))
        for items, took in lists:
            print("list of %d transfers issued in %.2f s (%.3f ms a transfer)"
                  % (items, took, 1000 * took / max(items, 1)))
        print("largest heartbeat age: %.1f s (slctl status says down past 15 s)" % worst_age)
        print("slowest /healthz: %.3f s; not 200: %s" % (worst_probe, not_ok[:10] or "none"))
        print("transfers issued: %s" % node.sql("SELECT count(*) FROM transfer"))
        t = time.time()
        stop = -1.0
        try:
            node.stop("dispatch", timeout=120)  # SIGTERM: the scan stops at its next step
            stop = time.time() - t
            print("stopped %.1f s after SIGTERM" % stop)
        except AssertionError as e:
            print(e)
        full = sorted(took for items, took in lists if items >= 10000) or \
            sorted(took * 10000.0 / items for items, took in lists if items)
        print("BENCH dispatch cases=%d lists=%d list10k_s=%s heartbeat_max_s=%.1f"
              " healthz_max_s=%.3f sigterm_s=%.1f rss_idle_mib=%.1f rss_load_mib=%.1f"
              % (a.cases, len(lists), "%.2f" % full[len(full) // 2] if full else "-",
                 worst_age, worst_probe, stop, rss_start, rss_load))
    finally:
        node.close()


if __name__ == "__main__":
    main()
