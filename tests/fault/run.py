#!/usr/bin/python3
"""run.py — the fault harness (issue 22): traffic through a demo-shaped
federation while daemons, databases and links fail, then a count of what the
promises say must be zero.

    tests/fault/run.py [--seed N] [--minutes M] [--build DIR]

(--build build-asan: under the sanitizers; tests/run.sh runs the short form
in the plain build only.)

山西省 140000 → 晋中市 140700 → 平遥县 140728 and 介休市 140781, each node
with its own PostgreSQL cluster (private, as tests/system/pg-fixture.sh
starts one), its own database, keys and daemons (DAEMONS). While the faults
run:
- at each county a producer (CURVE, the node's demo producer key) submits
  clues about its own county and about the other one (those are forwarded to
  the city and transferred down), resending each until it is acked;
- the province registers a clue now and then with `slctl submit` (it travels
  down two levels);
- each county's emergency bureau answers its transfers from its own system
  (CURVE, the department's key): receipt, progress, feedback, each resent
  until acked under one msg_id;
- each node's operator verifies fed-back transfers (`slctl transfer decide
  --verify-pass`, the decision goes down) and sends its own feedback up once
  its level is closed (`slctl case feedback-up`).
The faults come from a schedule drawn from the seed: a daemon killed
(SIGKILL) and restarted, a daemon paused (SIGSTOP past the link's heartbeat
timeout, then SIGCONT), a node's PostgreSQL restarted (immediate: a crash) or
stopped for a while, a link cut (the peer's sl-intake stopped for a while).
Then the checker restores and restarts everything, drains (senders acked,
outboxes empty, every chain answered to its top, no escalation pending) and
counts. It prints the counts and the schedule with its seed; any count not
zero (or a drain that does not finish) fails, and `--seed N --minutes M`
replays the same schedule.

The long form (--minutes > 2) also samples every 10 s each daemon's resident
memory, open descriptors and allocator figures (sl_heap_used_bytes and
sl_heap_free_bytes of its /metrics) and its database connections
(pg_stat_activity by application_name, which each daemon gets from
PGAPPNAME), compares each process with itself from its first minute to its
last sample (per daemon the longest-lived; --spare CODE[,CODE...] pauses
those nodes' daemons instead of killing them, so they live throughout),
prints the comparison and fails when a process that lived through the run
(sampled over two thirds of it or more) grew by more than 10%, or a
daemon's connections did ("flat", issue 22; a figure that went down is no
leak and passes). A process killed after a few minutes is printed, not
judged: "after the long run" is a figure it never reached. The spared
nodes are where the rule is read (the long run spares the city and a
county, --spare 140700,140728): sparing the city is what showed its
sl-dispatch growing with the transfers it announced again on every scan.
sl-publish and sl-appraise run under the faults like the others: the checker
also counts a publication or an appraisal made twice and an issued
publication missing from the site.

Nothing is left running: daemons get PR_SET_PDEATHSIG, and a watchdog
process outside this one stops the clusters and daemons if it dies (a ctest
timeout kills with SIGKILL).
"""
import argparse
import collections
import ctypes
import heapq
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))

# The daemons every node runs (a section [NAME] with `http` is written for
# any daemon that is not intake or dispatch, whose sections sltest.Node
# writes).
DAEMONS = ("intake", "dispatch", "deadline", "publish", "appraise")
# Extra configuration of a daemon's section, beyond its http port: sl-publish
# drafts what is due at once and releases every kind itself (no office here),
# writing the site under the node's directory; sl-appraise scores the
# campaign's past months with the project's rules.
DAEMON_INI = {"deadline": "tick_seconds = 1\n",
              "publish": "site_dir = site\ntemplates = %s/templates\ntick_seconds = 1\n"
                         "time_of_day = 00:00\nauto_approve = list, progress, results\n" % SOURCE,
              "appraise": "rules = %s/deploy/appraise-rules.ini\ncheck_seconds = 2\n" % SOURCE}
CODES = ("140000", "140700", "140728", "140781")
COUNTIES = ("140728", "140781")
TOP = "140000"
FAIL_ONE = 8  # a county fails about one in FAIL_ONE first feedbacks of its bureau
FEEDBACK = ["--nature", "非法违法生产经营", "--suspended", "--penalized", "--penalty-fen",
            "3000000", "--result", "已停产整顿并处罚款3万元", "--rectified"]


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--minutes", type=float, default=2.0)
    ap.add_argument("--build", default=os.environ.get("SL_BUILD", os.path.join(SOURCE, "build")))
    ap.add_argument("--rate", type=float, default=2.0, help="clues per second per county")
    ap.add_argument("--spare", default="", metavar="CODE[,CODE...]",
                    help="the nodes whose daemons are paused instead of killed or stopped, so"
                         " each of their processes lives from the first minute to the end (the"
                         " long form judges those that did)")
    a = ap.parse_args()
    if a.seed is None:
        a.seed = int(os.environ.get("SL_FAULT_SEED", "0")) or random.SystemRandom().randrange(1, 1 << 31)
    return a


ARGS = parse_args()
SPARE = [c for c in ARGS.spare.split(",") if c]
BUILD = os.path.abspath(ARGS.build)
os.environ.setdefault("SL_BIN", os.path.join(BUILD, "bin"))
os.environ.setdefault("SL_SOURCE", SOURCE)
os.environ.setdefault("SL_GEN_PY", os.path.join(BUILD, "gen-py"))
os.environ["SL_BUILD"] = BUILD
# a sanitizer build (--build build-asan, by hand: tests/run.sh runs this in
# the plain suite only) reports as tests/run.sh has it, the same leaks suppressed
os.environ.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:halt_on_error=1")
os.environ.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
os.environ.setdefault("LSAN_OPTIONS", "suppressions=" + os.path.join(SOURCE, "tests", "lsan.supp"))
WORK = tempfile.mkdtemp(prefix="sl-fault-")
os.chmod(WORK, 0o755)
os.environ["SL_TEST_STATE"] = WORK
with open(os.path.join(WORK, "pg.env"), "w") as f:  # sltest reads one at import; each node swaps
    f.write("SL_PG_DIR=/nonexistent\nSL_PG_HOST=/nonexistent\nSL_PG_PORT=5432\n")
    # the daemons connect as their roles (sltest.roles_ini) with the passwords
    # each node's slctl migrate writes here (the clusters require scram of them)
    f.write("SL_PG_PASSFILE=%s\n" % os.path.join(WORK, "pgpass"))
sys.path.insert(0, os.path.join(SOURCE, "tests", "system"))
import sltest  # noqa: E402
from safeloop.v1 import clue_pb2, envelope_pb2, handling_pb2  # noqa: E402
import zmq  # noqa: E402

ACK = envelope_pb2.Ack
LOCK = threading.RLock()  # one node's cluster switched in for sltest.psql at a time


def log(msg):
    print("[%7.1f] %s" % (time.time() - T_START, msg), flush=True)


T_START = time.time()


# --- private PostgreSQL clusters ------------------------------------------------
def pg_lib(*cmd):
    return subprocess.run(["bash", "-c", 'source "%s/deploy/pg-lib.sh"; "$@"' % SOURCE, "pg-lib"]
                          + list(cmd), capture_output=True, text=True)


def pg_bin():
    return pg_lib("sl_pg_bindir").stdout.strip()


def as_owner(args):
    return (["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []) + args


class Cluster:
    def __init__(self, code):
        self.dir = tempfile.mkdtemp(prefix="sl-fault-pg-%s-" % code)
        r = pg_lib("sl_pg_init", self.dir)
        if r.returncode != 0:
            raise AssertionError("initdb failed: " + r.stderr)
        with open(os.path.join(self.dir, "data", "postgresql.conf"), "a") as f:
            f.write("shared_buffers = 32MB\nmax_connections = 100\n")
        self.host = os.path.join(self.dir, "sock")
        self.running = False
        self.start()

    def pg_ctl(self, *args):
        return subprocess.run(as_owner([os.path.join(PG_BIN, "pg_ctl"), "-D",
                                        os.path.join(self.dir, "data"), "-l",
                                        os.path.join(self.dir, "server.log"), "-w", "-t", "60"]
                                       + list(args)), capture_output=True, text=True)

    def up(self):
        return self.pg_ctl("status").returncode == 0

    def start(self):
        if self.up():
            self.running = True
            return
        r = self.pg_ctl("start")
        if r.returncode != 0:
            raise AssertionError("pg_ctl start failed: %s%s" % (r.stdout, r.stderr))
        self.running = True

    def stop(self, mode="fast"):
        r = self.pg_ctl("-m", mode, "stop")
        if r.returncode != 0 and self.up():
            raise AssertionError("pg_ctl stop failed: %s%s" % (r.stdout, r.stderr))
        self.running = False

    def restart(self):
        self.pg_ctl("-m", "immediate", "restart")
        self.running = True

    def remove(self):
        if os.path.exists(os.path.join(self.dir, "data", "postmaster.pid")):
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


PG_BIN = pg_bin()


def _pdeathsig():
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class FaultNode(sltest.Node):
    """An sltest.Node on its own cluster, with every daemon of DAEMONS."""

    def __init__(self, code, cluster):
        self.cluster = cluster
        self.http = {}
        extra = ""
        for d in DAEMONS:
            if d not in ("intake", "dispatch"):
                self.http[d] = sltest.free_port()
                extra += "[%s]\nhttp = 127.0.0.1:%d\n%s" % (d, self.http[d], DAEMON_INI.get(d, ""))
        with LOCK:
            self._switch()
            sltest.psql("postgres", "CREATE DATABASE sl_template")
            super().__init__("fault-%s" % code, code=code, extra_ini=extra,
                             dispatch_ini="interval_days = 0\n" + sltest.FAST_LINK)
        self.http["intake"] = self.http_port
        self.http["dispatch"] = self.dispatch_http_port
        self.paused = set()
        self.born = {}  # pid -> when started
        WATCH.add(self.dir, "dir")

    def _switch(self):
        sltest.PG["SL_PG_HOST"] = self.cluster.host
        sltest.PG["SL_PG_PORT"] = "5432"

    def sql(self, q, check=True):
        with LOCK:
            self._switch()
            return sltest.psql(self.dbname, q, check)

    def rows(self, q):
        """The rows of Q as lists; fails if the database does not answer."""
        return [l.split("|") for l in self.sql(q).splitlines() if l]

    def try_sql(self, q):
        """The rows of Q as lists, or None while the database does not answer."""
        try:
            out = self.sql(q)
        except AssertionError:
            return None
        return [l.split("|") for l in out.splitlines() if l]

    def start(self, daemon="intake", instance=1, env=None, wait=True):
        log_f = open(os.path.join(self.dir, "%s-%d.log" % (daemon, instance)), "ab")
        e = dict(os.environ, PGAPPNAME="sl-" + daemon)
        p = subprocess.Popen([os.path.join(sltest.SL_BIN, "sl-" + daemon), "-c", self.ini],
                             stdout=log_f, stderr=log_f, env=e, preexec_fn=_pdeathsig)
        log_f.close()
        self.procs[(daemon, instance)] = p
        self.born[p.pid] = time.time()
        self.logs[(daemon, instance)] = log_f.name
        WATCH.add(p.pid)
        if wait:
            deadline = time.time() + 30
            while time.time() < deadline and p.poll() is None:
                if sltest.healthz(self.http[daemon]):
                    break
                time.sleep(0.1)
        return p

    def running(self, daemon):
        p = self.procs.get((daemon, 1))
        return p is not None and p.poll() is None

    def sigkill(self, daemon):
        if (daemon, 1) in self.procs:
            self.cont(daemon)
            self.kill(daemon)

    def pause(self, daemon):
        p = self.procs.get((daemon, 1))
        if p is not None and p.poll() is None:
            p.send_signal(signal.SIGSTOP)
            self.paused.add(daemon)

    def cont(self, daemon):
        p = self.procs.get((daemon, 1))
        if p is not None and daemon in self.paused:
            p.send_signal(signal.SIGCONT)
        self.paused.discard(daemon)

    def ensure(self, daemon, wait=True):
        """Running and not paused; a daemon that died by itself is a finding.
        WAIT: for its /healthz (up to 30 s; not when undoing a fault, whose
        daemon may wait for a database still away while the schedule goes on)."""
        self.cont(daemon)
        p = self.procs.get((daemon, 1))
        if p is not None and p.poll() is not None:
            FINDINGS.append("%s sl-%s exited by itself (status %s)" % (self.code, daemon,
                                                                        p.returncode))
            self.procs.pop((daemon, 1))
        if not self.running(daemon):
            self.start(daemon, wait=wait)

    def close(self):
        for d in list(self.paused):
            self.cont(d)
        with LOCK:
            self._switch()
            super().close()


FINDINGS = []


class Watchdog:
    """A process of its own that stops our daemons and clusters if we die."""

    def __init__(self):
        self.file = os.path.join(WORK, "watch")
        open(self.file, "w").close()
        script = r'''
while kill -0 %d 2>/dev/null; do sleep 1; done
for p in $(grep '^pid ' %s | cut -d' ' -f2); do kill -CONT $p; kill -KILL $p; done 2>/dev/null
for d in $(grep '^pg ' %s | cut -d' ' -f2); do
  %s "%s/pg_ctl" -D "$d/data" -m immediate stop >/dev/null 2>&1; rm -rf "$d"
done
for d in $(grep '^dir ' %s | cut -d' ' -f2); do rm -rf "$d"; done
''' % (os.getpid(), self.file, self.file,
       "runuser -u postgres --" if os.getuid() == 0 else "", PG_BIN, self.file)
        self.proc = subprocess.Popen(["bash", "-c", script], start_new_session=True,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def add(self, pid, kind="pid"):
        with open(self.file, "a") as f:
            f.write("%s %s\n" % (kind, pid))

    def stop(self):
        self.proc.kill()
        self.proc.wait()


WATCH = Watchdog()
WATCH.add(WORK, "dir")


# --- traffic -----------------------------------------------------------------------
def sender(node, keydir, name):
    """A producer as a real one behaves (sltest.HAProducer: CURVE, resends of
    the same bytes until acked); envelopes from other threads wait in .queue
    for the thread that pumps it."""
    s = sltest.HAProducer([node.intake], [], window=200, node=node, keydir=keydir)
    s.name, s.queue = name, collections.deque()
    return s


def pump(s):
    while s.queue:
        s.add(s.queue.popleft())
    s.pump(5)


def acked(s):
    """msg_id -> every status of the answers that settled it (not REJECTED)."""
    return {m: [a.status for a in s.answers[m]] for m, a in s.acks.items()
            if a.status != ACK.REJECTED}


def rejected(s):
    return {m: a.error_code for m, a in s.acks.items() if a.status == ACK.REJECTED}


def det_id(*parts):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "|".join(parts)))


class Traffic:
    """Clues, department answers and operator decisions, until stopped."""

    def __init__(self, nodes, rnd, tag):
        self.nodes, self.rnd, self.tag = nodes, rnd, tag
        self.clue_senders = {c: sender(nodes[c], None, "producer") for c in COUNTIES}
        self.dept_senders = {c: sender(nodes[c], nodes[c].dept_dir, "emergency")
                             for c in COUNTIES}
        self.subjects = {}  # subject -> (where submitted, division, kind: own|fwd|top)
        self.submitted = {}  # subject -> msg_id (clues over the wire)
        self.top_pending = []  # province subjects still to submit with slctl
        self.n = 0
        self.producing = True
        self.stop = False
        self.errors = []
        self.slctl_failures = collections.Counter()
        self.failed = set()  # (county, notice) verified as a false completion

    # clues at the counties and the province
    def produce(self):
        for c in COUNTIES:
            if self.rnd.random() < 0.7:
                div, kind = c, "own"
            else:
                div, kind = [x for x in COUNTIES if x != c][0], "fwd"
            self.n += 1
            subject = "%s故障测试%s企业%05d有限公司" % (sltest.FED_NAMES[div], self.tag, self.n)
            env = sltest.envelope(sltest.clue(subject=subject, division=div,
                                              sector=clue_pb2.COAL_MINE), producer="fault")
            self.subjects[subject] = (c, div, kind)
            self.submitted[subject] = env.msg_id
            self.clue_senders[c].add(env)

    def produce_top(self):
        self.n += 1
        div = self.rnd.choice(COUNTIES)
        subject = "%s故障测试%s省交企业%05d有限公司" % (sltest.FED_NAMES[div], self.tag, self.n)
        self.subjects[subject] = (TOP, div, "top")
        self.top_pending.append(subject)

    def submit_top(self):
        """The province's operator registers a clue; one msg_id per clue, so a
        command repeated after no answer (exit 4) is a duplicate at worst."""
        for subject in list(self.top_pending):
            div = self.subjects[subject][1]
            if self.slctl(TOP, "submit", "--subject", subject, "--division", div, "--sector",
                          "煤", "--description", "超层越界开采", "--msg-id", det_id(subject)):
                self.top_pending.remove(subject)

    def slctl(self, code, *args):
        """An operator's command (with its own msg_id), repeated while it fails."""
        r = self.nodes[code].slctl(*args, "--timeout", "5", check=False, timeout=60)
        if r.returncode != 0:
            self.slctl_failures[(args[0], args[1], r.returncode,
                                 (r.stderr.strip().splitlines() or [""])[-1][:60])] += 1
        return r.returncode == 0

    # the counties' emergency bureaus answer from their own systems
    def answer(self, code):
        node, s = self.nodes[code], self.dept_senders[code]
        rows = node.try_sql("SELECT notice_no, state, coalesce(decided_at::text, '') FROM transfer"
                            " WHERE unit_code = '%s:emergency' AND kind = 'handling' AND state IN"
                            " ('issued', 'received', 'in_progress')" % code)
        now = int(time.time() * 1000)
        for notice, st, decided in rows or []:  # decided: handled again after a failed check
            unit = code + ":emergency"
            if st == "issued":
                body = handling_pb2.Receipt(notice_no=notice, from_unit=unit, at=now,
                                            receiver_name="应急局值班员")
            elif st == "received":
                body = handling_pb2.Progress(notice_no=notice, from_unit=unit, at=now,
                                             text="已现场检查")
            else:
                body = handling_pb2.Feedback(
                    notice_no=notice, from_unit=unit, at=now, violation_nature="非法违法生产经营",
                    production_suspended=True, penalized=True, penalty_fen=3000000,
                    result_text="已停产整顿并处罚款3万元", rectified=True,
                    conclusion=handling_pb2.Feedback.SUBSTANTIATED)
                body.sign_off.leader_name = "张局长"
                body.sign_off.leader_title = "局长"
                body.sign_off.signed_at = now
            s.queue.append(sltest.envelope(body, msg_id=det_id(code, notice, st, decided),
                                           producer="emergency"))

    # each node's operator: verify what was fed back, answer up what is closed
    def operate(self, code):
        """Verify what was fed back: a county fails one first feedback of its
        bureau in FAIL_ONE (虚假办结: re-transferred, and sl-deadline raises
        the escalation to the city, which opens a verification case); answer,
        on behalf of a unit with no system of its own, the transfers to it
        (the city's verification cases); answer up once this level closed."""
        node = self.nodes[code]
        for notice, unit, first, fed in node.try_sql(
                "SELECT notice_no, unit_code, decided_at IS NULL, fed_back_at::text FROM transfer"
                " WHERE state = 'fed_back' AND kind = 'handling'") or []:
            if (code in COUNTIES and unit == code + ":emergency" and first == "t" and
                    int(det_id(notice)[:4], 16) % FAIL_ONE == 0):
                self.slctl(code, "transfer", "decide", notice, "--verify-fail", "--reason",
                           "现场复核仍在生产", "--operator", "核查员",
                           "--msg-id", det_id(code, "decide", notice, fed))
                self.failed.add((code, notice))
            else:
                self.slctl(code, "transfer", "decide", notice, "--verify-pass", "--operator",
                           "核查员", "--msg-id", det_id(code, "decide", notice, fed))
        for notice, st in node.try_sql(
                "SELECT t.notice_no, t.state FROM transfer t JOIN unit u ON u.code = t.unit_code"
                " WHERE t.kind = 'handling' AND u.kind = 'department' AND t.unit_code <> '%s'"
                " AND t.state IN ('issued', 'received', 'in_progress')"
                % (code + ":emergency" if code in COUNTIES else "")) or []:
            args = {"issued": ["receipt"], "received": ["progress", "--text", "已现场核查"],
                    "in_progress": ["feedback"] + FEEDBACK + [
                        "--leader", "王局长", "--leader-title", "局长"]}[st]
            self.slctl(code, "transfer", args[0], notice, *args[1:], "--operator", "值班员",
                       "--msg-id", det_id(code, st, notice))
        if code == TOP:
            return
        rows = node.try_sql(
            "SELECT c.case_no FROM cases c WHERE c.upper_notice_no IS NOT NULL"
            " AND c.status = 'closed' AND NOT EXISTS (SELECT 1 FROM case_event e"
            " WHERE e.case_id = c.id AND e.kind = 'answered_up'"
            " AND e.detail::jsonb->>'body' = 'feedback')")
        for (case_no,) in rows or []:
            self.slctl(code, "case", "feedback-up", case_no, *FEEDBACK, "--leader", "李县长",
                       "--leader-title", "县长", "--operator", "值班员",
                       "--msg-id", det_id(code, "feedback-up", case_no))

    def senders(self):
        return list(self.clue_senders.values()) + list(self.dept_senders.values())

    def run_senders(self):
        last = 0.0
        try:
            while not self.stop:
                now = time.time()
                if self.producing and now - last >= 1.0 / ARGS.rate:
                    last = now
                    self.produce()
                    if self.rnd.random() < 0.05 * 2 / ARGS.rate:
                        self.produce_top()
                for s in self.senders():
                    pump(s)
        except Exception as e:  # noqa: BLE001 — reported by the main thread
            self.errors.append(repr(e))
            raise

    def run_operators(self):
        try:
            while not self.stop:
                self.submit_top()
                for c in COUNTIES:
                    self.answer(c)
                for c in CODES:
                    self.operate(c)
                time.sleep(0.5)
        except Exception as e:  # noqa: BLE001
            self.errors.append(repr(e))
            raise


# --- faults ------------------------------------------------------------------------
def schedule(rnd, seconds, quiet):
    """[(at, kind, node, daemon, duration)], a fault every few seconds, none of
    two on the same target at once, none during QUIET windows [(from, to)]."""
    out, busy, t = [], {}, 3.0
    kinds = ["kill"] * 4 + ["pause"] * 2 + ["pg_restart", "pg_stop", "link_cut"]
    while True:
        t += rnd.uniform(1.0, 6.0)
        if t >= seconds:
            return out
        kind, code, daemon = rnd.choice(kinds), rnd.choice(CODES), rnd.choice(DAEMONS)
        if code in SPARE and kind in ("kill", "link_cut"):
            kind = "pause"  # same draws as without --spare, the process lives on
        if kind == "kill":
            dur = rnd.uniform(0.2, 3.0)
        elif kind == "pause":
            dur = rnd.uniform(4.0, 10.0)
        elif kind == "pg_restart":
            dur, daemon = 0.0, "pg"
        elif kind == "pg_stop":
            dur, daemon = rnd.uniform(3.0, 20.0), "pg"
        else:
            dur, daemon = rnd.uniform(10.0, 60.0 if seconds > 300 else 30.0), "intake"
        end = t + dur
        if any(a < end + 2 and t < b for a, b in quiet) or end > seconds:
            continue
        if busy.get((code, daemon), 0) > t:
            continue
        busy[(code, daemon)] = end + 1
        out.append((round(t, 1), kind, code, daemon, round(dur, 1)))


def fault_name(f):
    at, kind, code, daemon, dur = f
    what = {"kill": "SIGKILL sl-%s, restart after %.1fs", "pause": "SIGSTOP sl-%s for %.1fs",
            "pg_restart": "PostgreSQL (%s) restarted (immediate)",
            "pg_stop": "PostgreSQL (%s) stopped for %.1fs",
            "link_cut": "link cut: sl-%s stopped for %.1fs"}[kind]
    args = (daemon, dur) if "%.1f" in what else (daemon,)
    return "t=%6.1fs %s %s" % (at, code, what % args)


def apply_fault(nodes, f, undo):
    """Applies F unless its target is still under an earlier fault (a fault
    that took long to apply, e.g. a daemon slow to stop, delays the next);
    returns whether it was applied."""
    at, kind, code, daemon, dur = f
    n = nodes[code]
    if any(u[1] == code and u[3] == daemon for u in undo):
        return False
    if kind == "kill":
        n.sigkill(daemon)
        heapq.heappush(undo, (time.time() + dur, code, "start", daemon))
    elif kind == "pause":
        n.pause(daemon)
        heapq.heappush(undo, (time.time() + dur, code, "cont", daemon))
    elif kind == "pg_restart":
        n.cluster.restart()
    elif kind == "pg_stop":
        n.cluster.stop("fast")
        heapq.heappush(undo, (time.time() + dur, code, "pg_start", "pg"))
    else:
        t = time.time()
        try:
            n.stop("intake", timeout=60)
        except AssertionError:
            FINDINGS.append("%s sl-intake did not stop within 60 s of SIGTERM (killed)" % code)
        if time.time() - t > 10:
            log("  (%s sl-intake took %.1fs to stop)" % (code, time.time() - t))
        heapq.heappush(undo, (time.time() + dur, code, "start", "intake"))
    return True


def undo_one(nodes, u):
    _, code, what, daemon = u
    n = nodes[code]
    if what == "start":
        n.ensure(daemon, wait=False)
    elif what == "cont":
        n.cont(daemon)
    else:
        n.cluster.start()


# --- resources --------------------------------------------------------------------
SAMPLE_EVERY = 10.0  # seconds between resource samples in the long form
SETTLED = 60.0       # a process is compared with itself from this age on
JUDGED = 2.0 / 3     # and judged if sampled over this share of the run or more


def heap(n, daemon):
    """sl_heap_used_bytes and sl_heap_free_bytes of a daemon's /metrics, in kB."""
    try:
        return [int(n.metric(n.http[daemon], m) / 1024)
                for m in ("sl_heap_used_bytes", "sl_heap_free_bytes")]
    except (OSError, ValueError):
        return [-1, -1]


def sample(nodes):
    """{"CODE sl-DAEMON": {pid, age, rss, fds, used, free}} of every running
    daemon (kB, descriptors), and {"CODE sl-DAEMON": connections}."""
    procs, conns = {}, {}
    for code, n in nodes.items():
        byapp = dict((r[0], int(r[1])) for r in n.try_sql(
            "SELECT application_name, count(*) FROM pg_stat_activity WHERE datname = '%s'"
            " GROUP BY 1" % n.dbname) or [])
        for d in DAEMONS:
            key = "%s sl-%s" % (code, d)
            p = n.procs.get((d, 1))
            if p is None or p.poll() is not None or d in n.paused:
                continue  # a daemon stopped has no connection: not a figure
            conns[key] = byapp.get("sl-" + d, 0)
            try:
                with open("/proc/%d/status" % p.pid) as f:
                    rss = [int(l.split()[1]) for l in f if l.startswith("VmRSS:")][0]
                fds = len(os.listdir("/proc/%d/fd" % p.pid))
            except (OSError, IndexError):
                continue
            used, free = heap(n, d)
            procs[key] = dict(pid=p.pid, age=time.time() - n.born.get(p.pid, T_START), rss=rss,
                              fds=fds, used=used, free=free, t=time.time())
    return procs, conns


class Resources:
    """Each process compared with itself: its first samples once SETTLED old
    and its last ones (the median of three each); per daemon the longest-lived process is the figure (with a
    fault every few seconds, few live from the first minute to the end).
    Connections are per daemon (pg_stat_activity cannot tell two processes
    of one daemon apart): the median of three samples from the quiet window
    after the first minute on against the last three (the end's quiet
    window)."""

    def __init__(self):
        self.firsts, self.lasts, self.key = {}, {}, {}
        self.conns_first, self.conns_last = {}, {}  # per daemon, from the first minute on

    def take(self, nodes, when=None):
        procs, conns = sample(nodes)
        for key, v in procs.items():
            if v["age"] >= SETTLED:
                f = self.firsts.setdefault(v["pid"], [])
                if len(f) < 3:
                    f.append(v)
                self.lasts.setdefault(v["pid"], collections.deque(maxlen=3)).append(v)
                self.key[v["pid"]] = key
        for key, k in conns.items():
            if when == "first" or key in self.conns_first and len(self.conns_first[key]) < 3:
                self.conns_first.setdefault(key, []).append(k)
            if self.conns_first:
                self.conns_last.setdefault(key, collections.deque(maxlen=3)).append(k)

    @staticmethod
    def median(samples):
        """The median of each figure over SAMPLES (a request of ours or a
        reconnect in flight is not the process's size)."""
        out = dict(samples[-1])
        for k in ("rss", "fds", "used", "free"):
            out[k] = sorted(x[k] for x in samples)[len(samples) // 2]
        return out

    def report(self):
        """Prints the comparison; True if every daemon is flat."""
        ok = True
        print("\nresources, each process against itself from its first minute to its end"
              " (medians of 3 samples 10 s apart; kB; heap: in use / free inside the allocator;"
              " judged if it lived through %.0f%% of the run or more):" % (100 * JUDGED))
        print("  %-20s %7s %6s %19s %11s %21s %15s %9s" % (
            "daemon", "pid", "min", "RSS", "fds", "heap used", "heap free", "db conns"))
        keys = sorted(set(self.key.values()) | set(self.conns_last))
        for key in keys:
            pids = [p for p, k in self.key.items() if k == key]
            a = sorted(self.conns_first.get(key, [-1]))[len(self.conns_first.get(key, [-1])) // 2]
            b = sorted(self.conns_last.get(key, [-1]))[len(self.conns_last.get(key, [-1])) // 2]
            cflat = flat(a, b)
            if not pids:
                print("  %-20s no process lived %d s%s%d → %d %s" % (
                    key, SETTLED, " " * 40, a, b, "" if cflat else "NOT FLAT"))
                ok = ok and cflat
                continue
            pid = max(pids, key=lambda p: self.lasts[p][-1]["t"] - self.firsts[p][0]["t"])
            span = (self.lasts[pid][-1]["t"] - self.firsts[pid][0]["t"]) / 60
            f, l = self.median(self.firsts[pid]), self.median(list(self.lasts[pid]))
            judged = span >= JUDGED * (ARGS.minutes - SETTLED / 60)
            pflat = flat(f["rss"], l["rss"]) and flat(f["fds"], l["fds"])
            verdict = ("flat" if pflat else "NOT FLAT") if judged else \
                ("(not judged: %s)" % ("%+.1f%%" % (100.0 * l["rss"] / f["rss"] - 100)
                                       if f["rss"] else "?"))
            if not cflat:
                verdict += ", connections NOT FLAT"
            print("  %-20s %7d %6.1f %8d → %-8d %4d → %-4d %9d → %-9d %6d → %-6d %3d → %-3d %s" % (
                key, pid, span, f["rss"], l["rss"], f["fds"], l["fds"], f["used"], l["used"],
                f["free"], l["free"], a, b, verdict))
            ok = ok and cflat and (pflat or not judged)
        return ok


def flat(a, b):
    """B, the end's figure, within 10% above A, the first minute's. A figure
    that went down (a descriptor closed, memory given back) is no leak."""
    return b <= a * 1.10


# --- the checker -------------------------------------------------------------------
def drained(nodes, traffic):
    if any(not s.done() or s.queue for s in traffic.senders()) or traffic.top_pending:
        return "senders have envelopes in flight"
    for code, n in nodes.items():
        r = n.try_sql("SELECT (SELECT count(*) FROM outbox WHERE delivered_at IS NULL),"
                      " (SELECT count(*) FROM transfer WHERE kind = 'handling' AND state <> 'closed'),"
                      " (SELECT count(*) FROM transfer_escalation WHERE raised_at IS NULL)")
        if r is None:
            return "%s does not answer" % code
        if r[0] != ["0", "0", "0"]:
            return "%s: outbox %s, transfers open %s %s, escalations pending %s" % (
                code, r[0][0], r[0][1], n.try_sql(
                    "SELECT notice_no, unit_code, state FROM transfer WHERE kind = 'handling'"
                    " AND state <> 'closed' LIMIT 3"), r[0][2])
        why = site_behind(n)
        if why:
            return why
    return None


def site_behind(n):
    """Why N's site does not show what sl-publish released (None if it does):
    every kind is released without the office here, so no draft waits, and
    each issued publication has its page."""
    r = n.try_sql("SELECT count(*) FILTER (WHERE state = 'draft'),"
                  " coalesce(string_agg(id::text, ' ') FILTER (WHERE state = 'issued'), '')"
                  " FROM publication")
    if r is None:
        return "%s does not answer" % n.code
    if r[0][0] != "0":
        return "%s: %s publications still drafts" % (n.code, r[0][0])
    missing = [i for i in r[0][1].split() if not os.path.exists(
        os.path.join(n.dir, "site", "p", "%s.html" % i))]
    return "%s: issued, not on the site: %s" % (n.code, missing[:5]) if missing else None


def expected_nodes(sub):
    at, div, kind = sub
    if kind == "own":
        return {at}
    if kind == "fwd":
        return {"140700", div}
    return {TOP, "140700", div}


def top_node(sub):
    return {"own": sub[0], "fwd": "140700", "top": TOP}[sub[2]]


# A verification case (提级核查) repeats the subject of the case it verifies.
NOT_ESCALATED = "c.id NOT IN (SELECT case_id FROM escalated_case)"


def count_escalations(nodes, traffic, c, detail):
    """Each false completion a county verified is marked once, raised once to
    the city and opens one verification case there; nothing else is."""
    failed = set(traffic.failed)
    for code in COUNTIES:
        for notice, to in nodes[code].rows(
                "SELECT t.notice_no, coalesce(e.raised_to, '') FROM transfer_escalation e"
                " JOIN transfer t ON t.id = e.transfer_id") or []:
            if (code, notice) not in failed or to != "parent":
                c["unexpected rows"] += 1
                detail.append("%s: escalation of %s (raised to %r)" % (code, notice, to))
    city = {(r[0], r[1]): int(r[2]) for r in nodes["140700"].rows(
        "SELECT origin_node, notice_no, count(*) FROM escalated_case GROUP BY 1, 2") or []}
    for key, k in city.items():
        if key not in failed:
            c["unexpected rows"] += 1
            detail.append("140700: verification of %s %s, never failed" % key)
        if k > 1:
            c["escalations raised twice"] += k - 1
    for key in failed - set(city):
        c["acked envelopes missing"] += 1
        detail.append("140700: no verification of %s %s (the escalation was delivered)" % key)


def count(nodes, traffic):
    c = dict.fromkeys(["acked envelopes missing", "applied twice", "unexpected rows",
                       "outboxes left", "feedback that never reached the top",
                       "escalations raised twice", "published or appraised twice",
                       "issued, not on the site"], 0)
    detail = []
    subjects = traffic.subjects
    # acked envelopes: each in its node's inbox (clues: as the case or forwarded)
    for code in COUNTIES:
        n = nodes[code]
        inbox = {r[0] for r in n.rows("SELECT msg_id FROM inbox") or []}
        for s in (traffic.clue_senders[code], traffic.dept_senders[code]):
            missing = [m for m in acked(s) if m not in inbox]
            c["acked envelopes missing"] += len(missing)
            detail += ["%s %s: acked, not in the inbox: %s" % (code, s.name, m) for m in missing[:5]]
            twice = [m for m, st in acked(s).items() if st.count(ACK.ACCEPTED) > 1]
            c["applied twice"] += len(twice)
            detail += ["%s: %s accepted twice" % (code, m) for m in twice[:5]]
            for m, e in rejected(s).items():  # reported; a refusal leaves no row
                detail.append("%s %s: rejected %s (%s)" % (code, s.name, m, e))
    for code, n in nodes.items():
        rows = n.rows("SELECT subject_name, count(*) FROM cases c WHERE %s GROUP BY 1"
                         % NOT_ESCALATED) or []
        have = {r[0]: int(r[1]) for r in rows}
        for subj, k in have.items():
            if k > 1:
                c["applied twice"] += k - 1
                detail.append("%s: %d cases of %s" % (code, k, subj))
            if subj not in subjects or code not in expected_nodes(subjects[subj]):
                c["unexpected rows"] += 1
                detail.append("%s: unexpected case of %s" % (code, subj))
        for subj, sub in subjects.items():
            if code in expected_nodes(sub) and subj not in have:
                was_acked = sub[2] != "top" and traffic.submitted[subj] in \
                    acked(traffic.clue_senders[sub[0]])
                if was_acked or sub[2] == "top":
                    c["acked envelopes missing"] += 1
                    detail.append("%s: no case of %s (acked)" % (code, subj))
        dup = n.rows("SELECT msg_id, count(*) FROM inbox GROUP BY 1 HAVING count(*) > 1") or []
        c["applied twice"] += len(dup)
        dup = n.rows("SELECT c.subject_name, count(*) FROM transfer t JOIN cases c ON"
                        " c.id = t.case_id WHERE t.kind = 'handling' AND t.replaces IS NULL"
                        " AND %s GROUP BY 1 HAVING count(*) > 1" % NOT_ESCALATED) or []
        c["applied twice"] += len(dup)
        detail += ["%s: %s transferred %s times" % (code, r[0], r[1]) for r in dup]
        # one envelope, one effect: no event twice on a case from the same msg_id
        dup = n.rows("SELECT case_id, kind, msg_id, count(*) FROM case_event WHERE msg_id <> ''"
                     " GROUP BY 1, 2, 3, detail HAVING count(*) > 1") or []
        c["applied twice"] += len(dup)
        detail += ["%s: case %s event %s twice from %s" % (code, r[0], r[1], r[2]) for r in dup]
        dl = n.rows("SELECT count(*) FROM dead_letter")
        c["unexpected rows"] += int(dl[0][0]) if dl else 0
        detail += ["%s: dead letter %s from %s (%s): %s %s" % ((code,) + tuple(r)) for r in n.rows(
            "SELECT msg_id, producer, sender, error_code, error_text FROM dead_letter"
            " ORDER BY id LIMIT 5") or []]
        left = n.rows("SELECT count(*), count(parked_reason) FROM outbox WHERE delivered_at IS NULL")
        c["outboxes left"] += int(left[0][0]) if left else 1
        if left and left[0][0] != "0":
            detail.append("%s: %s outbox rows left (%s parked): %s" % (
                code, left[0][0], left[0][1], n.rows(
                    "SELECT body_kind, parked_reason FROM outbox WHERE delivered_at IS NULL"
                    " LIMIT 5")))
        esc = n.rows("SELECT case_no, peer, count(*) FROM outbox WHERE body_kind = 'escalation'"
                        " GROUP BY 1, 2 HAVING count(*) > 1") or []
        esc2 = n.rows("SELECT transfer_id, cause, count(*) FROM transfer_escalation"
                         " GROUP BY 1, 2 HAVING count(*) > 1") or []
        c["escalations raised twice"] += len(esc) + len(esc2)
        # sl-publish: one publication per kind and period (nothing here
        # corrects one); sl-appraise: one run per month; each page released
        for kind, period, k in n.rows("SELECT kind, period, count(*) FROM publication"
                                      " GROUP BY 1, 2 HAVING count(*) > 1") or []:
            c["published or appraised twice"] += int(k) - 1
            detail.append("%s: %s publication of %s %s times" % (code, kind, period, k))
        for month, k in n.rows("SELECT month, count(*) FROM appraisal_run GROUP BY 1"
                               " HAVING count(*) > 1") or []:
            c["published or appraised twice"] += int(k) - 1
            detail.append("%s: appraisal of %s computed %s times" % (code, month, k))
        why = site_behind(n)
        if why:
            c["issued, not on the site"] += 1
            detail.append(why)
    count_escalations(nodes, traffic, c, detail)
    # every chain answered at its top
    tops = {}
    for code, n in nodes.items():
        tops[code] = {r[0]: r[1] for r in n.rows(
            "SELECT c.subject_name, t.state FROM transfer t JOIN cases c ON c.id = t.case_id"
            " WHERE t.kind = 'handling' AND t.replaced_by IS NULL AND %s" % NOT_ESCALATED) or []}
    for subj, sub in subjects.items():
        st = tops[top_node(sub)].get(subj)
        if st not in ("fed_back", "closed"):
            c["feedback that never reached the top"] += 1
            detail.append("%s: top %s holds %s" % (subj, top_node(sub), st))
    return c, detail


def main():
    rnd = random.Random(ARGS.seed)
    seconds = ARGS.minutes * 60
    longform = ARGS.minutes > 2
    quiet = [(50, 70), (seconds - 40, seconds)] if longform else []
    faults = schedule(random.Random(ARGS.seed * 7919 + 1), seconds, quiet)
    print("fault run: seed %d, %.1f minutes of faults, %d faults, daemons %s%s"
          % (ARGS.seed, ARGS.minutes, len(faults), ", ".join(DAEMONS),
             ", %s paused instead of killed" % " and ".join(SPARE) if SPARE else ""), flush=True)
    print("replay: tests/fault/run.py --seed %d --minutes %g%s" % (
        ARGS.seed, ARGS.minutes, " --spare " + ARGS.spare if ARGS.spare else ""))
    clusters, nodes, traffic, threads = {}, {}, None, []
    ok = False
    try:
        for code in CODES:
            clusters[code] = Cluster(code)
            WATCH.add(clusters[code].dir, "pg")
        for code in CODES:
            nodes[code] = FaultNode(code, clusters[code])
        for code, n in nodes.items():
            with open(n.ini, "a") as f:
                f.write(sltest.link_sections(nodes, code))
            n.slctl("migrate")
        for n in nodes.values():
            for d in DAEMONS:
                n.start(d)
        log("federation up (%s)" % WORK)
        traffic = Traffic(nodes, rnd, "%x" % ARGS.seed)
        threads = [threading.Thread(target=traffic.run_senders, daemon=True),
                   threading.Thread(target=traffic.run_operators, daemon=True)]
        for t in threads:
            t.start()
        t0 = time.time()
        undo, todo, skipped = [], list(faults), set()
        res, sampled = Resources(), 0.0
        while time.time() - t0 < seconds:
            now = time.time() - t0
            while undo and undo[0][0] <= time.time():
                undo_one(nodes, heapq.heappop(undo))
            if todo and todo[0][0] <= now:
                f = todo.pop(0)
                if apply_fault(nodes, f, undo):
                    log(fault_name(f))
                else:
                    skipped.add(f)
                    log(fault_name(f) + " — skipped: the target is still under a fault")
            if longform and now - sampled >= SAMPLE_EVERY:
                sampled = now
                res.take(nodes)
            if longform and not res.conns_first and now >= 60:
                res.take(nodes, "first")
            if traffic.errors:
                raise AssertionError("traffic failed: %s" % traffic.errors)
            time.sleep(0.05)
        log("faults over: %d clues submitted; draining" % len(traffic.subjects))
        traffic.producing = False
        for u in sorted(undo):
            undo_one(nodes, u)
        for n in nodes.values():
            if not n.cluster.running:
                n.cluster.start()
            for d in DAEMONS:
                n.ensure(d)
                try:
                    rc = n.stop(d, timeout=60)
                except AssertionError:
                    rc = "nothing (killed after 60 s)"
                if rc != 0:  # each exits 0 on SIGTERM (ASan's reports make it non-zero)
                    FINDINGS.append("%s sl-%s exited %s on SIGTERM" % (n.code, d, rc))
                n.start(d)
        # a drain that does not finish fails: 5 minutes for the short form (3
        # were too few for a sanitizer build on a machine that reads its
        # binaries from the disk at each start: the province's last clues were
        # still coming back answered through the city and a county)
        drain_end = time.time() + (600 if longform else 300)
        why = drained(nodes, traffic)
        while why and time.time() < drain_end:
            if traffic.errors:
                raise AssertionError("traffic failed: %s" % traffic.errors)
            time.sleep(1)
            why = drained(nodes, traffic)
        time.sleep(2 if why else 3)  # clocks quiet: one more tick of every daemon
        traffic.stop = True
        for t in threads:
            t.join(30)
        log("drained" if not why else "NOT drained: %s" % why)
        counts, detail = count(nodes, traffic)
        print("\nfault schedule (seed %d):" % ARGS.seed)
        for f in faults:
            print("  " + fault_name(f) + (" (skipped: target still faulted)" if f in skipped
                                          else ""))
        sent = sum(s.sent for s in traffic.senders())
        print("\ntraffic: %d clues (%d at the province), %d envelopes over the wire, %d resends,"
              " %d refused, %d false completions escalated, %d slctl commands failed"
              " and retried" % (
                  len(traffic.subjects), sum(1 for s in traffic.subjects.values() if s[2] == "top"),
                  sent, sum(s.retries for s in traffic.senders()),
                  sum(len(rejected(s)) for s in traffic.senders()), len(traffic.failed),
                  sum(traffic.slctl_failures.values())))
        for k, v in traffic.slctl_failures.most_common(8):
            print("  %5d × slctl %s %s exit %d: %s" % ((v,) + k))
        print("\ncounts:")
        for k, v in counts.items():
            print("  %-40s %d" % (k, v))
        for d in detail[:40]:
            print("  · " + d)
        for f in FINDINGS:
            print("  ! " + f)
        ok = not why and not any(counts.values()) and not FINDINGS
        if longform:
            ok = res.report() and ok
        print("\nfault run %s (seed %d)" % ("PASSED" if ok else "FAILED", ARGS.seed))
        if not ok:
            sltest.dump_logs(nodes, lines=15)
    finally:
        if traffic:
            traffic.stop = True
            for t in threads:
                t.join(10)
            for s in traffic.senders():
                s.close()
        for n in nodes.values():
            try:
                n.close()
            except Exception as e:  # noqa: BLE001
                print("closing %s: %r" % (n.code, e))
        for c in clusters.values():
            c.remove()
        WATCH.stop()
        shutil.rmtree(WORK, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    sys.exit(main())
