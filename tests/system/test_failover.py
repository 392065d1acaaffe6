"""test_failover.py — sl-intake on a primary with a synchronous standby; the
primary dies mid-load (pg_ctl stop -m immediate), the standby is promoted, and
the daemon carries on through its multi-host conninfo:

    host=A/sock,B/sock port=PA,PB ... target_session_attrs=read-write

Both clusters are private to this test (deploy/pg-lib.sh; unix sockets in
their own directories, different ports); the standby is a pg_basebackup -R of
the primary, named in the primary's synchronous_standby_names, so a COMMIT
returns only once the standby has the WAL. Producers stream clues and resend
what is not acked (sltest.Producer). Asserts: the standby is synchronous; the
daemon reports the database down during the outage (/healthz) and reconnects
after the promotion; every envelope acked before the failure is in the
promoted database with the case number its ack named; in the end every
envelope is acked and stored exactly once, one case each, numbers gap-free.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import sltest  # noqa: E402
from sltest import check, clue, envelope, free_port, wait_for  # noqa: E402
from safeloop.v1 import envelope_pb2  # noqa: E402

ACK = envelope_pb2.Ack
PGLIB = os.path.join(sltest.SL_SOURCE, "deploy", "pg-lib.sh")
NOW = "2026-03-02T09:00:00+08:00"
PRODUCERS = 2
PER_PRODUCER = 1500
DEADLINE = 60.0


def sh(script, *args, check_rc=True):
    """Runs SCRIPT in bash with deploy/pg-lib.sh sourced; returns stdout."""
    r = subprocess.run(["bash", "-c", "set -euo pipefail; source %s; %s" % (PGLIB, script),
                        "sh"] + list(args), capture_output=True, text=True, timeout=120)
    if check_rc and r.returncode != 0:
        raise AssertionError("failed: %s %s\n%s%s" % (script, args, r.stdout, r.stderr))
    return r.stdout.strip()


def psql(sock, port, db, q):
    r = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", sock,
                        "-p", str(port), "-U", "postgres", "-d", db, "-c", q],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError("psql failed: %s\n%s" % (q, r.stderr))
    return r.stdout.strip()


health = sltest.healthz


def main():
    top = tempfile.mkdtemp(prefix="sl-failover-")
    os.chmod(top, 0o755)
    a, b = os.path.join(top, "a"), os.path.join(top, "b")
    pa, pb = free_port(), free_port()
    proc = log = None
    producers = []
    started = []
    try:
        # 1. The primary, synchronous_standby_names naming the standby.
        sh('sl_pg_init "$1"', a)
        sh('cat >>"$1/data/postgresql.conf" <<EOT\n'
           'port = %d\nshared_buffers = 32MB\nmax_connections = 50\nwal_level = replica\n'
           "max_wal_senders = 5\nsynchronous_standby_names = 'standby1'\nEOT" % pa, a)
        sh('sl_pg_start "$1"', a)
        started.append(a)
        # 2. The standby: a base backup with -R, its own socket dir and port.
        os.makedirs(os.path.join(b, "sock"))
        sh('[ "$(id -u)" -ne 0 ] || chown -R postgres: "$1"; chmod 700 "$1"', b)
        sh('sl_pg_as_owner "$(sl_pg_bindir)/pg_basebackup" -D "$1/data" -R -X stream -c fast '
           '-d "host=$2 port=$3 user=postgres application_name=standby1"',
           b, os.path.join(a, "sock"), str(pa))
        sh('cat >>"$1/data/postgresql.conf" <<EOT\n'
           "unix_socket_directories = '$1/sock'\nport = %d\n"
           "synchronous_standby_names = ''\nEOT\n"
           'chmod 755 "$1" "$1/sock"' % pb, b)
        sh('sl_pg_start "$1"', b)
        started.append(b)
        asock, bsock = os.path.join(a, "sock"), os.path.join(b, "sock")
        wait_for("the standby to be synchronous", lambda: psql(
            asock, pa, "postgres", "SELECT sync_state FROM pg_stat_replication "
            "WHERE application_name = 'standby1'") == "sync", timeout=30)
        sync = psql(asock, pa, "postgres", "SELECT sync_state FROM pg_stat_replication "
                    "WHERE application_name = 'standby1'")
        names = psql(asock, pa, "postgres", "SHOW synchronous_standby_names")
        check("the standby is synchronous", sync == "sync" and names == "standby1",
              "sync_state %r, synchronous_standby_names %r" % (sync, names))
        check("the standby is in recovery",
              psql(bsock, pb, "postgres", "SELECT pg_is_in_recovery()") == "t")

        # 3. The node: multi-host conninfo, keys, schema.
        psql(asock, pa, "postgres", "CREATE DATABASE sl_failover")
        ini = os.path.join(top, "140728.ini")
        http = free_port()
        intake = "tcp://127.0.0.1:%d" % free_port()
        with open(ini, "w") as f:
            f.write("""[node]
code = 140728
run_dir = %(top)s/run
var_dir = %(top)s
[database]
conninfo = host=%(asock)s,%(bsock)s port=%(pa)d,%(pb)d dbname=sl_failover user=postgres target_session_attrs=read-write connect_timeout=5
[keys]
seal_public = %(top)s/keys/seal.pub
curve_public = %(top)s/keys/curve.pub
curve_secret = %(top)s/keys/curve.key
[producer.demo]
public_key = %(top)s/producer/curve.pub
may_send = clue
[intake]
endpoint = %(intake)s
ipc = ipc://%(top)s/run/intake.sock
http = 127.0.0.1:%(http)d
""" % dict(top=top, asock=asock, bsock=bsock, pa=pa, pb=pb, intake=intake, http=http))
        os.makedirs(os.path.join(top, "run"), mode=0o700)
        slctl = os.path.join(sltest.SL_BIN, "slctl")
        subprocess.run([slctl, "keys", "gen", "--dir", os.path.join(top, "keys")], check=True,
                       capture_output=True, timeout=60)
        subprocess.run([slctl, "keys", "gen", "--curve-only", "--dir",
                        os.path.join(top, "producer")], check=True, capture_output=True, timeout=60)
        r = subprocess.run([slctl, "-c", ini, "migrate"], capture_output=True, text=True,
                           timeout=120)
        check("migrate through the multi-host conninfo", r.returncode == 0, r.stderr)

        env = dict(os.environ, SL_NOW=NOW)
        log = open(os.path.join(top, "intake.log"), "ab")
        proc = subprocess.Popen([os.path.join(sltest.SL_BIN, "sl-intake"), "-c", ini],
                                stdout=log, stderr=log, env=env)
        wait_for("sl-intake to be healthy", lambda: proc.poll() is None and health(http) == 200,
                 timeout=60)

        # 4. Load; the primary dies at a third; the standby is promoted.
        total = PRODUCERS * PER_PRODUCER
        producers = [sltest.HAProducer([intake], [envelope(clue(subject="切换测试公司%d-%d" % (p, i)),
                                                          producer="fo%d" % p)
                                                 for i in range(PER_PRODUCER)],
                                     window=50, resend_after=2.0,
                                     node=(top, os.path.join(top, "producer")))
                     for p in range(PRODUCERS)]
        acked_before = None
        promoted = False
        t0 = time.time()
        saw_down = False
        while not all(p.done() for p in producers):
            if time.time() - t0 > DEADLINE:
                raise AssertionError("not every envelope acked within %.0f s: %d of %d" % (
                    DEADLINE, sum(len(p.acks) for p in producers), total))
            if proc.poll() is not None:
                raise AssertionError("sl-intake exited %s" % proc.returncode)
            for p in producers:
                p.pump(wait_ms=5)
            acked = sum(len(p.acks) for p in producers)
            if acked_before is None and acked >= total // 3:
                sh('sl_pg_as_owner "$(sl_pg_bindir)/pg_ctl" -D "$1/data" -m immediate -w stop',
                   a)
                acked_before = {}
                for p in producers:
                    acked_before.update(p.acks)
                print("primary stopped (immediate) with %d acked" % len(acked_before))
                t_down = time.time()
            elif acked_before is not None and not promoted:
                # The daemon notices (/healthz: database unreachable) and keeps
                # trying: the standby refuses it (read-only, target_session_attrs)
                # until it is promoted.
                if health(http) == 503:
                    saw_down = True
                with open(log.name, errors="replace") as f:
                    refused = sum(1 for ln in f if "database" in ln and
                                  ("read-only" in ln or "hot standby" in ln))
                if time.time() - t_down > 20:
                    raise AssertionError("the standby did not refuse sl-intake's reconnects "
                                         "(read-only) within 20 s of the outage")
                # the daemon says the new reason once (sl_service: a state
                # change, not every attempt, is logged)
                if saw_down and refused >= 1:
                    print("%d reconnects refused while the standby was read-only" % refused)
                    sh('sl_pg_as_owner "$(sl_pg_bindir)/pg_ctl" -D "$1/data" -w -t 60 promote',
                       b)
                    promoted = True
                    print("standby promoted %.1f s after the primary stopped" % (
                        time.time() - t_down))
        elapsed = time.time() - t0
        retries = sum(p.retries for p in producers)
        print("%d envelopes in %.1f s, %d resends" % (total, elapsed, retries))
        check("the failover happened under load", acked_before is not None and promoted)
        check("/healthz reported the database unreachable during the outage", saw_down)
        check("the standby is now the primary",
              psql(bsock, pb, "postgres", "SELECT pg_is_in_recovery()") == "f")
        with open(log.name, errors="replace") as f:
            text = f.read()
        check("the daemon reconnected", "reconnected to database" in text, text[-2000:])
        check("the daemon did not restart", proc.poll() is None)
        print("\n".join([ln for ln in text.split("\n") if "level=warn" in ln or
                         "level=error" in ln or "reconnected" in ln][:12]))

        # 5. The promoted database holds everything, once.
        acks = {}
        for p in producers:
            acks.update(p.acks)
        check("every envelope acked", len(acks) == total, "%d of %d" % (len(acks), total))
        check("every ack accepted or duplicate",
              all(x.status in (ACK.ACCEPTED, ACK.DUPLICATE) for x in acks.values()))
        rejected = [x for p in producers for xs in p.answers.values() for x in xs
                    if x.status == ACK.REJECTED]
        check("the outage was 'try later', never a rejection (not even internal)",
              not rejected, "%d rejected, e.g. %s" % (len(rejected), rejected[:2]))
        rows = psql(bsock, pb, "sl_failover",
                    "SELECT msg_id, coalesce(case_no, '') FROM inbox WHERE producer LIKE 'fo%'")
        stored, twice = {}, 0
        for line in rows.split("\n"):
            mid, _, case_no = line.partition("|")
            twice += mid in stored
            stored[mid] = case_no
        lost = [m for m in acked_before if m not in stored]
        check("every envelope acked before the failure survived the failover", not lost,
              "%d lost, e.g. %s" % (len(lost), lost[:3]))
        moved = [m for m, x in acked_before.items() if stored.get(m) != x.case_no]
        check("... with the case number its ack named", not moved, str(moved[:3]))
        check("no msg_id stored twice", twice == 0, str(twice))
        check("every envelope stored: count = sent", len(stored) == total and
              set(stored) == set(acks), "%d stored of %d" % (len(stored), total))
        wrong = [m for m, x in acks.items() if x.case_no != stored.get(m)]
        check("every ack names the case the promoted database holds", not wrong, str(wrong[:3]))
        n_cases = int(psql(bsock, pb, "sl_failover", "SELECT count(*) FROM cases"))
        check("one case per envelope", n_cases == total, "%d cases" % n_cases)
        nums = sorted(int(x) for x in psql(bsock, pb, "sl_failover",
                                           "SELECT split_part(case_no, '-', 4) FROM cases"
                                           ).split("\n"))
        check("case numbers gap-free 1..N", nums == list(range(1, total + 1)),
              "%d numbers, max %d" % (len(nums), nums[-1]))
        proc.send_signal(signal.SIGTERM)
        check("exit 0 on SIGTERM", proc.wait(30) == 0)
        proc = None
    except Exception:
        if log:
            with open(log.name, errors="replace") as f:
                print("--- log of sl-intake ---\n" + f.read()[-4000:])
        for d in started:
            p = os.path.join(d, "server.log")
            if os.path.exists(p):
                with open(p, errors="replace") as f:
                    print("--- %s ---\n%s" % (p, f.read()[-1500:]))
        raise
    finally:
        for p in producers:
            p.close()
        if proc and proc.poll() is None:
            proc.kill()
            proc.wait()
        for d in started:
            sh('sl_pg_as_owner "$(sl_pg_bindir)/pg_ctl" -D "$1/data" -m immediate -w stop '
               '>/dev/null 2>&1 || true', d, check_rc=False)
        shutil.rmtree(top, ignore_errors=True)
    print("1 passed, 0 failed")


if __name__ == "__main__":
    main()
