"""test_db_loss.py — the database's state, the same way in every daemon, and a
daemon at work is not a daemon down (issue 14, items 1 and 2).

The node's PostgreSQL is private to this test (deploy/pg-lib.sh, its own temp
dir and socket, run as `postgres`), since the fixture's cluster is shared by
every system test running in parallel and this one stops its database.

1. Loss: with sl-intake, sl-dispatch and sl-deadline running and no envelope
   arriving, the cluster stops. Every daemon's /healthz answers 503 and its
   sl_db_up is 0 within 10 s (one heartbeat is 5 s); while it stays down,
   each log holds a handful of lines (the change, no line per attempt); once
   it is back, all answer 200 again by themselves and intake accepts a clue.
2. Work: 50,000 registered cases wait to be transferred, so sl-dispatch forms
   10,000-transfer lists and announces them for a while; the cluster restarts
   immediately (pg_ctl -m immediate) in the middle of it. From the moment
   slctl can read the database again, `slctl status` never reports a daemon
   not running (its heartbeats go on while the scan runs off the loop), every
   /healthz answers 200 once reconnected, and the lists keep coming.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import sltest  # noqa: E402
from sltest import check, clue, envelope, free_port, wait_for  # noqa: E402
from safeloop.v1 import envelope_pb2  # noqa: E402

ACK = envelope_pb2.Ack
PGLIB = os.path.join(sltest.SL_SOURCE, "deploy", "pg-lib.sh")
BACKLOG = 50000
DAEMONS = ("intake", "dispatch", "deadline")


def sh(script, *args):
    """Runs SCRIPT in bash with deploy/pg-lib.sh sourced; returns stdout."""
    r = subprocess.run(["bash", "-c", "set -euo pipefail; source %s; %s" % (PGLIB, script),
                        "sh"] + list(args), capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise AssertionError("failed: %s %s\n%s%s" % (script, args, r.stdout, r.stderr))
    return r.stdout.strip()


health = sltest.healthz


def db_up(port):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=2) as r:
            m = re.search(rb"^sl_db_up (\S+)$", r.read(), re.M)
            return float(m.group(1)) if m else None
    except OSError:
        return None


def log_lines(node, daemon):
    with open(node.logs[(daemon, 1)], "rb") as f:
        return f.read().decode("utf-8", errors="replace").splitlines()


def main():
    pgdir = tempfile.mkdtemp(prefix="sl-dbloss-pg-")
    os.chmod(pgdir, 0o755)
    sock = os.path.join(pgdir, "sock")
    deadline_http = free_port()
    node = None
    started = False
    try:
        sh('sl_pg_init "$1" && sl_pg_start "$1"', pgdir)
        started = True
        sh('sl_pg_psql "$1" postgres -c "CREATE DATABASE sl_dbloss" >/dev/null', sock)
        node = sltest.Node("dbloss", extra_ini="[deadline]\nhttp = 127.0.0.1:%d\n"
                           "tick_seconds = 1\n" % deadline_http)
        # The node's database moves to the private cluster.
        with open(node.ini) as f:
            ini = f.read()
        ini = re.sub(r"(?m)^conninfo = .*$",
                     "conninfo = host=%s port=5432 dbname=sl_dbloss user=postgres" % sock, ini)
        with open(node.ini, "w") as f:
            f.write(ini)
        node.slctl("migrate")

        def sql(q):
            return sh('sl_pg_psql "$1" sl_dbloss -A -t -c "$2"', sock, q)

        ports = {"intake": node.http_port, "dispatch": node.dispatch_http_port,
                 "deadline": deadline_http}
        for d in DAEMONS:
            node.start(d, wait=False)
        wait_for("every daemon healthy", lambda: all(health(ports[d]) == 200 for d in DAEMONS),
                 timeout=60)
        check("three daemons beat", sql("SELECT count(*) FROM daemon_state") == "3")
        c = sltest.Client(node.ipc, timeout_ms=30000)
        check("a clue accepted", c.send(envelope(clue())).status == ACK.ACCEPTED)

        # 1. The database goes away with no envelope arriving.
        before = {d: len(log_lines(node, d)) for d in DAEMONS}
        sh('sl_pg_stop "$1"', pgdir)
        t0 = time.time()
        wait_for("every /healthz to answer 503", lambda: all(
            health(ports[d]) == 503 for d in DAEMONS), timeout=10, interval=0.2)
        noticed = time.time() - t0
        print("all three answered 503 %.1f s after the database stopped" % noticed)
        check("/healthz 503 within 10 s in every daemon", noticed <= 10)
        check("sl_db_up 0 in every daemon", all(db_up(ports[d]) == 0 for d in DAEMONS),
              str({d: db_up(ports[d]) for d in DAEMONS}))
        time.sleep(max(0.0, 15 - (time.time() - t0)))  # fifteen seconds down
        said = {d: log_lines(node, d)[before[d]:] for d in DAEMONS}
        for d in DAEMONS:
            print("sl-%s said %d lines in 15 s down:" % (d, len(said[d])))
            print("\n".join("    " + ln[:200] for ln in said[d]))
        check("each log holds a handful of lines while the database is down",
              all(len(said[d]) <= 4 for d in DAEMONS))
        check("each says the database is unreachable",
              all(any("database unreachable" in ln for ln in said[d]) for d in DAEMONS))
        check("every daemon still running", all(
            node.procs[(d, 1)].poll() is None for d in DAEMONS))
        sh('sl_pg_start "$1"', pgdir)
        t1 = time.time()
        wait_for("every /healthz to answer 200 again", lambda: all(
            health(ports[d]) == 200 for d in DAEMONS), timeout=20, interval=0.2)
        print("all three healthy %.1f s after the database started" % (time.time() - t1))
        check("sl_db_up 1 in every daemon", all(db_up(ports[d]) == 1 for d in DAEMONS))
        check("each says it reconnected", all(
            any("reconnected to database" in ln for ln in log_lines(node, d)) for d in DAEMONS))
        check("a clue accepted after the outage", c.send(envelope(clue())).status == ACK.ACCEPTED)

        # 2. A backlog, and an immediate restart while sl-dispatch works on it.
        sql("INSERT INTO cases (case_no, year, sector, seq, status, registered_at, channel,"
            " subject_name, subject_key, division, route, unit_code, source_msg_id)"
            " SELECT '140728-2025-煤-' || lpad(g::text, 6, '0'), 2025, s.code, g, 'registered',"
            " now(), 'hotline', '某煤业' || g, '某煤业' || g, '140728', 'department',"
            " '140728:emergency', 'backlog-' || g"
            " FROM generate_series(1, %d) g, sector s WHERE s.short_name = '煤'; ANALYZE cases"
            % BACKLOG)
        def issuing():
            return sum(1 for ln in log_lines(node, "dispatch") if "transfer issued" in ln)
        n0 = issuing()
        wait_for("sl-dispatch to be forming a list from the backlog",
                 lambda: issuing() > n0 + 2000, timeout=60, interval=0.5)
        sh('sl_pg_as_owner "$(sl_pg_bindir)/pg_ctl" -D "$1/data" -m immediate -w stop', pgdir)
        sh('sl_pg_start "$1"', pgdir)
        issued0, lines0 = int(sql("SELECT count(*) FROM transfer")), issuing()
        print("restarted (immediate) in the middle of a list: %d transfers committed of %d"
              " cases" % (issued0, BACKLOG))
        t2 = time.time()
        polls, bad, unhealthy = 0, [], []
        while time.time() - t2 < 30:
            r = node.slctl("status", check=False, timeout=30)
            polls += 1
            if r.returncode == 2 or "未运行" in r.stdout:
                bad.append("%.1f s: exit %d\n%s%s" % (time.time() - t2, r.returncode, r.stdout,
                                                        r.stderr))
            if time.time() - t2 > 12:  # every connection has reconnected by now
                unhealthy += [(d, time.time() - t2) for d in DAEMONS if health(ports[d]) != 200]
            time.sleep(1)
        issued1, lines1 = int(sql("SELECT count(*) FROM transfer")), issuing()
        print("%d status polls in 30 s; transfers committed %d -> %d, issued in the log %d -> %d"
              % (polls, issued0, issued1, lines0, lines1))
        check("slctl status never reported a daemon not running", not bad, "\n".join(bad[:3]))
        check("every /healthz 200 once reconnected", not unhealthy, str(unhealthy[:5]))
        check("sl-dispatch was at work meanwhile (issuing the next list)", lines1 > lines0)
        text = "\n".join(ln for ln in log_lines(node, "dispatch") if "transfer issued" not in ln)
        check("a long step says what it does", "forming the transfer list" in text,
              text[-1500:])
        c.close()
    except BaseException:
        if node:
            sltest.dump_logs(node)
            print("---- sl-dispatch, without the transfers issued ----")
            print("\n".join(ln for ln in log_lines(node, "dispatch")
                            if "transfer issued" not in ln)[-6000:])
        raise
    finally:
        if node:
            node.close()
        if started:
            try:
                sh('sl_pg_stop "$1"', pgdir)
            except AssertionError as e:
                print(e)
        shutil.rmtree(pgdir, ignore_errors=True)


if __name__ == "__main__":
    main()
