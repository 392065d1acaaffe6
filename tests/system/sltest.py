"""sltest.py — helpers for Python system tests (run by ctest with /usr/bin/python3).

A Node is one safeloop node for a test: its own database made from the
migrated template of the run's cluster (tests/system/pg-fixture.sh), its INI,
keys and run directory in a private temp dir, and its daemons as child
processes. Clients speak the wire contract with classes that protoc generated
from proto/ (SL_GEN_PY), like any outside producer would.
"""
import fcntl
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

SL_BIN = os.environ["SL_BIN"]
SL_SOURCE = os.environ["SL_SOURCE"]
STATE = os.environ["SL_TEST_STATE"]
sys.path.insert(0, os.environ["SL_GEN_PY"])

from safeloop.v1 import clue_pb2, envelope_pb2  # noqa: E402
import zmq  # noqa: E402


def pg_env():
    env = {}
    with open(os.path.join(STATE, "pg.env")) as f:
        for line in f:
            k, _, v = line.strip().partition("=")
            if k:
                env[k] = v
    return env


PG = pg_env()
if PG.get("SL_PG_PASSFILE"):  # a test's psql -U sl_<code>_<daemon> signs in with it
    os.environ.setdefault("PGPASSFILE", PG["SL_PG_PASSFILE"])


def roles_ini(passfile=None):
    """The role part of a node's config: each daemon, and slctl's read-only
    commands, connect as the node's role for it (sl_<code>_intake, …; made by
    slctl migrate, which writes their passwords to PASSFILE, the run's shared
    one by default). Appended after the node's other sections."""
    passfile = passfile or PG.get("SL_PG_PASSFILE")
    ini = "[database]\npassfile = %s\n" % passfile if passfile else ""
    for daemon in ("intake", "dispatch", "deadline", "publish", "appraise", "ctl"):
        ini += "[%s]\ndb_user = sl_{code}_%s\n" % (daemon, daemon)
    return ini


# Ports for daemons under test. A port the kernel hands out (bind to port 0)
# lies in its ephemeral range, where any connect() of any process may take it
# before the daemon binds; so ports come from below that range, and a port is
# reserved across processes by an flock()ed file per port under PORT_DIR: ctest
# jobs running in parallel, and another worktree's suite on the same host,
# never hand out the same port. The lock is held until this process exits.
PORT_DIR = "/tmp/sl-test-ports"


def vm_rss_kib(pid):
    """Resident memory of process PID in KiB (VmRSS), for the benchmarks."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for pid %d" % pid)
PORT_LOW = 20000
_held_ports = {}  # port -> open lock file (closing it would release the port)


def _port_range():
    """The ports free_port() may hand out: [PORT_LOW, start of the kernel's
    ephemeral range), or above its end if that leaves too few below."""
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        lo, hi = (int(x) for x in f.read().split())
    if lo - PORT_LOW >= 2000:
        return range(PORT_LOW, lo)
    if 65535 - hi >= 2000:
        return range(hi + 1, 65536)
    raise AssertionError("no room outside the ephemeral port range %d-%d" % (lo, hi))


def free_port():
    """A TCP port on 127.0.0.1 outside the kernel's ephemeral range, reserved for
    this process (no other test process is handed it) and not bound right now."""
    os.makedirs(PORT_DIR, exist_ok=True)
    try:
        os.chmod(PORT_DIR, 0o1777)
    except PermissionError:
        pass  # another user made it, with the same mode
    ports = _port_range()
    start = random.randrange(len(ports))
    for i in range(len(ports)):
        port = ports[(start + i) % len(ports)]
        if port in _held_ports:
            continue
        try:
            f = open(os.path.join(PORT_DIR, str(port)), "a")
        except OSError:
            continue  # another user's lock file we may not open: theirs
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            f.close()
            continue
        # Without SO_REUSEADDR the bind fails on any use of the port, even a
        # connection in TIME_WAIT: stricter than the daemons' own bind.
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                f.close()  # something outside the tests holds it
                continue
        _held_ports[port] = f
        return port
    raise AssertionError("no free port in %s" % ports)


def psql(dbname, sql, check=True):
    """Runs SQL on DBNAME; returns the unaligned, tuples-only output."""
    r = subprocess.run(
        ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", PG["SL_PG_HOST"],
         "-p", PG["SL_PG_PORT"], "-U", "postgres", "-d", dbname, "-c", sql],
        capture_output=True, text=True)
    if check and r.returncode != 0:
        raise AssertionError("psql failed: %s\n%s" % (sql, r.stderr))
    return r.stdout.strip()


def wait_for(what, cond, timeout=30.0, interval=0.05):
    """Polls COND until it returns something true; fails after TIMEOUT seconds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(interval)
    raise AssertionError("timed out waiting for " + what)


class Node:
    """One node under test: database, config, keys, daemons."""

    def __init__(self, name, code="140728", extra_ini="", dispatch_ini="interval_days = 0\n"):
        self.code = code
        self.dbname = "t_%s_%d_%d" % (name, os.getpid(), random.randint(0, 1 << 30))
        self.dir = tempfile.mkdtemp(prefix="sl-%s-" % name)
        os.chmod(self.dir, 0o755)
        self.procs = {}
        self.logs = {}
        psql("postgres", 'CREATE DATABASE "%s" TEMPLATE sl_template' % self.dbname)
        self.intake_port = free_port()
        self.events_port = free_port()
        self.http_port = free_port()
        self.intake = "tcp://127.0.0.1:%d" % self.intake_port
        self.ipc = "ipc://%s/run/intake.sock" % self.dir
        self.events = "tcp://127.0.0.1:%d" % self.events_port
        self.intake2_port = free_port()   # [intake.2], for --instance 2
        self.http2_port = free_port()
        self.intake2 = "tcp://127.0.0.1:%d" % self.intake2_port
        self.dispatch_http_port = free_port()
        self.dispatch_events = "tcp://127.0.0.1:%d" % free_port()
        self.dispatch2_http_port = free_port()
        self.dispatch2_events = "tcp://127.0.0.1:%d" % free_port()
        os.makedirs(os.path.join(self.dir, "run"), mode=0o700)
        self.ini = os.path.join(self.dir, "%s.ini" % code)
        # A producer key pair the node accepts clues from (like the demo's).
        self.producer_dir = os.path.join(self.dir, "producer")
        subprocess.run([os.path.join(SL_BIN, "slctl"), "keys", "gen", "--curve-only", "--dir",
                        self.producer_dir], check=True, capture_output=True)
        # And a department's system that answers the lead department's transfers.
        self.dept_dir = os.path.join(self.dir, "dept")
        subprocess.run([os.path.join(SL_BIN, "slctl"), "keys", "gen", "--curve-only", "--dir",
                        self.dept_dir], check=True, capture_output=True)
        extra_ini = """[producer.demo]
public_key = %s/curve.pub
may_send = clue
[producer.emergency]
public_key = %s/curve.pub
unit = %s:emergency
may_send = receipt, objection, progress, feedback, report
""" % (self.producer_dir, self.dept_dir, code) + extra_ini
        with open(self.ini, "w") as f:
            f.write("""[node]
code = %(code)s
run_dir = %(dir)s/run
var_dir = %(dir)s
[database]
conninfo = host=%(host)s port=%(port)s dbname=%(db)s user=postgres
[keys]
curve_public = %(dir)s/keys/curve.pub
curve_secret = %(dir)s/keys/curve.key
seal_public = %(dir)s/keys/seal.pub
seal_secret = %(dir)s/keys/seal.key
[intake]
endpoint = %(intake)s
ipc = %(ipc)s
events = %(events)s
http = 127.0.0.1:%(http)d
[intake.2]
endpoint = tcp://127.0.0.1:%(intake2)d
ipc = ipc://%(dir)s/run/intake2.sock
events = tcp://127.0.0.1:%(events2)d
http = 127.0.0.1:%(http2)d
[dispatch]
events = %(devents)s
http = 127.0.0.1:%(dhttp)d
scan_seconds = 1
%(dispatch)s
[dispatch.2]
events = %(devents2)s
http = 127.0.0.1:%(dhttp2)d
%(roles)s%(extra)s
""" % dict(roles=roles_ini(), devents=self.dispatch_events, dhttp=self.dispatch_http_port,
                devents2=self.dispatch2_events, dhttp2=self.dispatch2_http_port,
                dispatch=dispatch_ini,code=code, dir=self.dir, host=PG["SL_PG_HOST"], port=PG["SL_PG_PORT"],
                db=self.dbname, intake=self.intake, ipc=self.ipc, events=self.events,
                http=self.http_port, intake2=self.intake2_port, http2=self.http2_port,
                events2=free_port(), extra=extra_ini))
        self.slctl("keys", "gen")
        self.slctl("migrate")

    # --- tools ---------------------------------------------------------------
    def slctl(self, *args, check=True, env=None, timeout=120):
        r = subprocess.run([os.path.join(SL_BIN, "slctl"), "-c", self.ini] + list(args),
                           capture_output=True, text=True, env=env, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError("slctl %s failed (%d): %s%s" % (
                " ".join(args), r.returncode, r.stdout, r.stderr))
        return r

    def sql(self, q, check=True):
        return psql(self.dbname, q, check)

    # --- daemons -------------------------------------------------------------
    def start(self, daemon="intake", instance=1, env=None, wait=True):
        key = (daemon, instance)
        running = self.procs.get(key)
        if running is not None and running.poll() is None:
            raise AssertionError("sl-%s.%d of %s is already running (pid %d): stop it first"
                                 % (daemon, instance, self.code, running.pid))
        log = open(os.path.join(self.dir, "%s-%d.log" % (daemon, instance)), "ab")
        args = [os.path.join(SL_BIN, "sl-" + daemon), "-c", self.ini]
        if instance > 1:
            args += ["--instance", str(instance)]
        e = dict(os.environ)
        e.update(env or {})
        self.procs[key] = subprocess.Popen(args, stdout=log, stderr=log, env=e)
        self.logs[key] = log.name
        if wait and daemon == "intake":
            sock = self.ipc if instance == 1 else "ipc://%s/run/intake2.sock" % self.dir
            wait_for("sl-intake to listen", lambda: self._serving(key, sock), timeout=60)
        if wait and daemon == "dispatch":
            port = self.dispatch_http_port if instance == 1 else self.dispatch2_http_port
            wait_for("sl-dispatch to serve", lambda: self._healthy(key, port), timeout=60)
        return self.procs[key]

    def _healthy(self, key, port):
        p = self.procs[key]
        if p.poll() is not None:
            raise AssertionError("sl-%s exited %s; log:\n%s" % (key[0], p.returncode,
                                                                 self.log(*key)))
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port, timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def metric(self, port, name):
        """The value of metric NAME (no labels) on the daemon's /metrics, or 0."""
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
            for line in r.read().decode().splitlines():
                if line.startswith(name + " "):
                    return float(line.split()[1])
        return 0.0

    def _serving(self, key, endpoint):
        p = self.procs[key]
        if p.poll() is not None:
            raise AssertionError("sl-%s exited %s; log:\n%s" % (key[0], p.returncode,
                                                                 self.log(*key)))
        return os.path.exists(endpoint[len("ipc://"):])

    def kill(self, daemon="intake", instance=1):
        """SIGKILLs a daemon (no cleanup runs) and removes the ipc socket file it
        leaves behind, so that start() waits for the new process's own."""
        p = self.procs.pop((daemon, instance))
        p.kill()
        p.wait(30)
        if daemon == "intake":
            sock = self.ipc if instance == 1 else "ipc://%s/run/intake2.sock" % self.dir
            try:
                os.unlink(sock[len("ipc://"):])
            except FileNotFoundError:
                pass

    def log(self, daemon="intake", instance=1):
        with open(self.logs[(daemon, instance)], errors="replace") as f:
            return f.read()

    def stop(self, daemon="intake", instance=1, sig=signal.SIGTERM, timeout=30):
        p = self.procs.pop((daemon, instance), None)
        if p is None:
            return None
        p.send_signal(sig)
        try:
            return p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            raise AssertionError("sl-%s did not stop within %ds" % (daemon, timeout))

    def close(self):
        for key in list(self.procs):
            try:
                self.stop(*key, timeout=10)
            except AssertionError:
                pass
        psql("postgres", 'DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % self.dbname, check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


# --- the wire ------------------------------------------------------------------
def clue(subject="平遥县某某煤业有限公司", division="140728", sector=clue_pb2.COAL_MINE,
         reporter=None, credit=None, **kw):
    c = clue_pb2.ClueReport(channel=clue_pb2.ClueReport.HOTLINE,
                            received_at=int(time.time() * 1000), sector=sector, **kw)
    c.subject.name = subject
    if credit:
        c.subject.credit_code = credit
    c.place.division = division
    if reporter:
        c.reporter.name, c.reporter.phone = reporter
    return c


BODY_FIELDS = {"ClueReport": "clue", "Receipt": "receipt", "Objection": "objection",
               "Progress": "progress", "Feedback": "feedback", "Decision": "decision",
               "Transfer": "transfer", "Escalation": "escalation"}


def envelope(body=None, msg_id=None, producer="sltest"):
    """An Envelope carrying BODY in the oneof field its message type names."""
    e = envelope_pb2.Envelope(msg_id=msg_id or str(uuid.uuid4()), producer=producer,
                              sent_at=int(time.time() * 1000))
    if body is not None:
        getattr(e, BODY_FIELDS[body.DESCRIPTOR.name]).CopyFrom(body)
    return e


def read_key(path):
    with open(path, "rb") as f:
        return f.read().strip()


def curve(sock, node, keydir=None):
    """Makes SOCK a CURVE client of NODE (a Node, or its (dir, producer_dir)
    for another process) with the key pair in KEYDIR (default: the node's demo
    producer)."""
    node_dir, producer_dir = (node.dir, node.producer_dir) if hasattr(node, "dir") else node
    keydir = keydir or producer_dir
    sock.curve_serverkey = read_key(os.path.join(node_dir, "keys/curve.pub"))
    sock.curve_publickey = read_key(os.path.join(keydir, "curve.pub"))
    sock.curve_secretkey = read_key(os.path.join(keydir, "curve.key"))
    return sock


class Client:
    """A REQ client, the simplest producer there is: over TCP with CURVE (the
    node's demo producer key, or the key pair in KEYDIR), or over ipc."""

    def __init__(self, endpoint, timeout_ms=10000, node=None, keydir=None):
        self.ctx = zmq.Context.instance()
        self.endpoint = endpoint
        self.timeout_ms = timeout_ms
        self.node = node
        self.keydir = keydir
        self._open()

    def _open(self):
        self.sock = self.ctx.socket(zmq.REQ)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.RCVTIMEO, self.timeout_ms)
        if self.node is not None and self.endpoint.startswith("tcp://"):
            curve(self.sock, self.node, self.keydir)
        self.sock.connect(self.endpoint)

    def send_raw(self, data):
        """Sends DATA as the envelope frame; returns the Ack."""
        try:
            self.sock.send(data)
            ack = envelope_pb2.Ack()
            ack.ParseFromString(self.sock.recv())
            return ack
        except zmq.Again:
            self.sock.close()
            self._open()
            raise

    def send(self, env):
        return self.send_raw(env.SerializeToString())

    def close(self):
        self.sock.close()


class Producer:
    """A producer as a real one behaves: a DEALER per endpoint, a window of
    outstanding envelopes, and a resend with the same msg_id (the same bytes)
    of whatever has no ack after RESEND seconds. Each envelope goes to every
    endpoint in ENDPOINTS (two endpoints: the same msg_id races two instances).

    run() returns when every envelope holds an ack from every endpoint, or
    fails after DEADLINE seconds. Afterwards acks[msg_id] lists every Ack
    received (resends may earn several) as (endpoint index, Ack), and
    latencies holds, per first ack, seconds from first send to that ack."""

    def __init__(self, endpoints, envelopes, window=32, resend=2.0, deadline=60.0, node=None):
        self.node = node  # TCP endpoints use CURVE with NODE's demo producer key
        self.endpoints = list(endpoints)
        self.envelopes = [(e.msg_id, e.SerializeToString()) for e in envelopes]
        self.window = window
        self.resend = resend
        self.deadline = deadline
        self.acks = {}
        self.latencies = []
        self.resends = 0
        self.error = None

    def run(self):
        ctx = zmq.Context()
        socks = []
        try:
            for ep in self.endpoints:
                s = ctx.socket(zmq.DEALER)
                s.setsockopt(zmq.LINGER, 0)
                if self.node is not None and ep.startswith("tcp://"):
                    curve(s, self.node)
                s.connect(ep)
                socks.append(s)
            self._run(socks)
        except Exception as e:  # reported by the caller, who joins the thread
            self.error = e
        finally:
            for s in socks:
                s.close()
            ctx.term()

    def _run(self, socks):
        poller = zmq.Poller()
        for s in socks:
            poller.register(s, zmq.POLLIN)
        todo = [(mid, data, k) for mid, data in self.envelopes for k in range(len(socks))]
        todo.reverse()
        out = {}  # (msg_id, k) -> [data, first_sent, last_sent]
        end = time.time() + self.deadline
        while todo or out:
            now = time.time()
            if now > end:
                raise AssertionError("producer: %d envelopes unacked after %.0fs"
                                     % (len(out) + len(todo), self.deadline))
            while todo and len(out) < self.window:
                mid, data, k = todo.pop()
                socks[k].send_multipart([b"", data])
                out[(mid, k)] = [data, now, now]
            for key, o in out.items():
                if now - o[2] > self.resend:
                    socks[key[1]].send_multipart([b"", o[0]])
                    o[2] = now
                    self.resends += 1
            for s, _ in poller.poll(100):
                k = socks.index(s)
                while True:
                    try:
                        frames = s.recv_multipart(zmq.NOBLOCK)
                    except zmq.Again:
                        break
                    ack = envelope_pb2.Ack()
                    ack.ParseFromString(frames[-1])
                    self.acks.setdefault(ack.msg_id, []).append((k, ack))
                    o = out.pop((ack.msg_id, k), None)
                    if o is not None:
                        self.latencies.append(time.time() - o[1])


def distinct_clues(n, tag, seed=0):
    """N envelopes of clues about N distinct subjects (no repeat linking), in
    sectors spread over all 16, so every sector's numbering is exercised."""
    rnd = random.Random(seed)
    return [envelope(clue(subject="%s测试企业%06d有限公司" % (tag, i),
                          sector=rnd.randint(1, 16)), producer=tag) for i in range(n)]


def check_exactly_once(node, producers, n):
    """The registry after a stream of N distinct clues from PRODUCERS: each
    clue one case, each msg_id one inbox row, numbers gap-free per (year,
    sector), and every ack the producers hold matches what is stored."""
    for p in producers:
        check("producer finished", p.error is None, repr(p.error))
    acks = {}
    for p in producers:
        for mid, lst in p.acks.items():
            acks.setdefault(mid, []).extend(a for _, a in lst)
    sent = {mid for p in producers for mid, _ in p.envelopes}
    check("every envelope acked", len(sent) == n and sent <= set(acks),
          "%d sent, %d acked" % (len(sent), len(sent & set(acks))))
    bad = [a for lst in acks.values() for a in lst
           if a.status not in (envelope_pb2.Ack.ACCEPTED, envelope_pb2.Ack.DUPLICATE)]
    check("no envelope rejected", not bad, str(bad[:3]))
    check("cases: one row per clue, one per msg_id", node.sql(
        "SELECT count(*), count(DISTINCT source_msg_id) FROM cases") == "%d|%d" % (n, n),
        node.sql("SELECT count(*), count(DISTINCT source_msg_id) FROM cases"))
    check("inbox: each msg_id once", node.sql(
        "SELECT count(*), count(DISTINCT msg_id) FROM inbox") == "%d|%d" % (n, n))
    stored = dict(l.split("|") for l in node.sql(
        "SELECT i.msg_id, i.case_no FROM inbox i JOIN cases c"
        " ON c.source_msg_id = i.msg_id AND c.case_no = i.case_no").splitlines())
    check("inbox and cases agree", len(stored) == n, "%d of %d" % (len(stored), n))
    wrong = [(mid, a.case_no, stored.get(mid)) for mid, lst in acks.items() for a in lst
             if stored.get(mid) != a.case_no]
    check("every ack carries the stored case number (nothing acked then lost)", not wrong,
          str(wrong[:5]))
    accepted = {mid: sum(a.status == envelope_pb2.Ack.ACCEPTED for a in lst)
                for mid, lst in acks.items()}
    check("no msg_id accepted twice", max(accepted.values()) <= 1,
          str([m for m, c in accepted.items() if c > 1][:5]))
    gaps = node.sql(
        "SELECT year, sector, count(*), count(DISTINCT seq), min(seq), max(seq) FROM cases"
        " GROUP BY 1, 2 HAVING min(seq) <> 1 OR max(seq) <> count(*)"
        " OR count(DISTINCT seq) <> count(*)")
    check("case numbers gap-free 1..N per (year, sector)", gaps == "", gaps)
    counters = node.sql(
        "SELECT k.key, k.value, count(c.id) FROM counter k JOIN sector s ON s.short_name = k.key"
        " LEFT JOIN cases c ON c.sector = s.code AND c.year = k.year"
        " WHERE k.scope = 'case' GROUP BY 1, 2 HAVING k.value <> count(c.id)")
    check("counters equal the numbers used (rollbacks gave theirs back)", counters == "",
          counters)
    check_audit(node)
    return acks


def check_audit(*nodes):
    """Fails unless `slctl audit verify` passes on each of NODES."""
    for n in nodes:
        r = n.slctl("audit", "verify", check=False)
        check("audit chains intact at %s" % n.code, r.returncode == 0, r.stdout + r.stderr)


def chromium(url, shot, size="1280,1100"):
    """Renders URL in headless Chromium at window SIZE ("WIDTH,HEIGHT"),
    keeping a screenshot in SHOT; returns (DOM after scripts ran, console lines)."""
    exe = shutil.which("chromium")
    check("chromium is installed", exe is not None)
    profile = tempfile.mkdtemp(prefix="sl-chromium-")
    flags = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0",
             "--window-size=" + size, "--virtual-time-budget=4000"]
    try:
        dom = subprocess.run(flags + ["--dump-dom", url], capture_output=True, text=True,
                             timeout=120)
        subprocess.run(flags + ["--screenshot=" + shot, url], capture_output=True, timeout=120)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    console = [l for l in dom.stderr.split("\n") if ":CONSOLE" in l]
    if not dom.stdout:
        print("chromium exit %d:\n%s" % (dom.returncode, dom.stderr[-3000:]))
    return dom.stdout, console


def check(name, cond, detail=""):
    if not cond:
        raise AssertionError("%s %s" % (name, detail))
    print("ok -", name)


class HAProducer:
    """A producer that keeps a window of envelopes in flight on one DEALER
    connected to every endpoint it knows (ZMQ_IMMEDIATE: only to intakes that
    are up), and resends an envelope, same bytes, when its ack is late. This
    is the client side of high availability: two intakes, either may die.

    Call pump() until done(); acks maps msg_id -> Ack, retries counts resends.
    add() queues one more envelope (one whose msg_id it holds is ignored).
    TCP endpoints use CURVE with NODE's demo producer key, or the key pair in
    KEYDIR (a department's system). Envelopes go in the bare form, one frame,
    as sl-link sends them: a DEALER with ZMQ_IMMEDIATE that reads two-frame
    acks aborts in libzmq 4.3 (fq.cpp:112) when it handles an intake's
    restart between the frames (docs/DESIGN.md, "Ingress frames")."""

    def __init__(self, endpoints, envelopes, window=50, resend_after=2.0, node=None,
                 keydir=None):
        self.sock = zmq.Context.instance().socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.IMMEDIATE, 1)
        if node is not None:
            curve(self.sock, node, keydir)
        for e in endpoints:
            self.sock.connect(e)
        self.todo = [(e.msg_id, e.SerializeToString()) for e in envelopes]
        self.todo.reverse()
        self.known = {mid for mid, _ in self.todo}
        self.sent = len(self.todo)
        self.inflight = {}          # msg_id -> (bytes, sent at)
        self.acks = {}              # msg_id -> first Ack that settled it
        self.answers = {}           # msg_id -> every Ack received
        self.retries = 0
        self.window = window
        self.resend_after = resend_after

    def add(self, env):
        if env.msg_id not in self.known:
            self.known.add(env.msg_id)
            self.todo.insert(0, (env.msg_id, env.SerializeToString()))
            self.sent += 1

    def _send(self, msg_id, data):
        try:
            self.sock.send(data, zmq.NOBLOCK)
        except zmq.Again:
            pass  # no intake up: it counts as sent and is resent when late
        self.inflight[msg_id] = (data, time.time())

    def pump(self, wait_ms=20):
        """Sends up to the window, resends late ones, reads acks."""
        now = time.time()
        for msg_id, (data, at) in list(self.inflight.items()):
            if now - at > self.resend_after:
                self.retries += 1
                self._send(msg_id, data)
        while self.todo and len(self.inflight) < self.window:
            self._send(*self.todo.pop())
        if self.sock.poll(wait_ms, zmq.POLLIN):
            while True:
                try:
                    frames = self.sock.recv_multipart(zmq.NOBLOCK)
                except zmq.Again:
                    break
                ack = envelope_pb2.Ack()
                ack.ParseFromString(frames[-1])
                self.answers.setdefault(ack.msg_id, []).append(ack)
                if ack.status == envelope_pb2.Ack.REJECTED and ack.error_code == "internal":
                    continue  # "resend later": it stays in flight
                if ack.msg_id in self.inflight:
                    del self.inflight[ack.msg_id]
                    self.acks[ack.msg_id] = ack

    def done(self):
        return not self.todo and not self.inflight

    def close(self):
        self.sock.close()


# --- a federation ----------------------------------------------------------------
# The demo's divisions: 山西省 → 晋中市 → 平遥县, 介休市.
FED_PARENT = {"140700": "140000", "140728": "140700", "140781": "140700"}
FED_NAMES = {"140000": "山西省", "140700": "晋中市", "140728": "平遥县", "140781": "介休市"}

# Links that notice a dead peer and retry within seconds, for tests.
FAST_LINK = "retry_min_ms = 50\nretry_max_ms = 1000\nack_timeout_ms = 3000\n"


def link_sections(nodes, code):
    """The [parent] and [child.CODE] sections of node CODE among NODES (code ->
    Node): endpoints, CURVE public keys and sealing public keys exchanged."""
    out = ""
    parent = FED_PARENT.get(code)
    if parent in nodes:
        p = nodes[parent]
        out += ("[parent]\ncode = %s\nendpoint = %s\npublic_key = %s/keys/curve.pub\n"
                "seal_public = %s/keys/seal.pub\n" % (parent, p.intake, p.dir, p.dir))
    for child, par in sorted(FED_PARENT.items()):
        if par == code and child in nodes:
            c = nodes[child]
            out += ("[child.%s]\nendpoint = %s\npublic_key = %s/keys/curve.pub\n"
                    "seal_public = %s/keys/seal.pub\nname = %s\n"
                    % (child, c.intake, c.dir, c.dir, FED_NAMES[child]))
    return out


def federation(name, codes=("140000", "140700", "140728", "140781"), dispatch_ini=""):
    """Nodes for CODES, each its own database, linked to each other as parent
    and children with exchanged keys (then migrated again: the parent marks
    its children as running a node); every scan forms a list unless
    DISPATCH_INI sets interval_days. Returns {code: Node}; close each."""
    nodes = {}
    try:
        for code in codes:
            nodes[code] = Node("%s-%s" % (name, code), code=code,
                               dispatch_ini=("" if "interval_days" in dispatch_ini
                                             else "interval_days = 0\n") + FAST_LINK +
                               dispatch_ini)
        for code, n in nodes.items():
            with open(n.ini, "a") as f:
                f.write(link_sections(nodes, code))
            n.slctl("migrate")
    except Exception:
        for n in nodes.values():
            n.close()
        raise
    return nodes


def dump_logs(nodes, lines=40):
    """Prints the tail of every daemon log of NODES (after a failure): a Node,
    a sequence of them (None skipped) or a {code: Node} dict."""
    if isinstance(nodes, Node):
        nodes = [nodes]
    elif isinstance(nodes, dict):
        nodes = list(nodes.values())
    for n in nodes:
        if n is None:
            continue
        for key in list(n.logs):
            try:
                text = n.log(*key).splitlines()[-lines:]
            except OSError:
                continue
            print("---- %s sl-%s.%d ----" % (n.code, key[0], key[1]))
            print("\n".join(text))


def asan():
    """True in a sanitizer build (SL_BUILD names it): tests scale counts down."""
    return "asan" in os.environ.get("SL_BUILD", "")


def bulk(node, count, tag, division="140728", window=500):
    """Starts sl-bench-producer (the load generator in C) sending COUNT distinct
    clues about DIVISION to NODE's intake with its demo producer key; returns
    the Popen (stdout: "sent N acked N rejected N seconds S")."""
    exe = os.path.join(SL_BIN, "sl-bench-producer")
    return subprocess.Popen(
        [exe, "--endpoint", node.intake, "--server-key", os.path.join(node.dir, "keys/curve.pub"),
         "--public", os.path.join(node.producer_dir, "curve.pub"),
         "--secret", os.path.join(node.producer_dir, "curve.key"),
         "--count", str(count), "--window", str(window), "--tag", tag, "--resend", "3",
         "--division", division, "--out", os.path.join(node.dir, "bulk-%s.txt" % tag)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def bulk_wait(procs, timeout=300):
    """Waits for bulk() producers; fails unless each acked all it sent."""
    for p in procs:
        out, err = p.communicate(timeout=timeout)
        f = out.split()
        check("bulk producer acked everything", p.returncode == 0 and len(f) >= 6 and
              f[1] == f[3] and f[5] == "0", out + err)


def outbox_depth(node):
    return int(node.sql("SELECT count(*) FROM outbox WHERE delivered_at IS NULL"
                        " AND parked_reason IS NULL"))


def check_forwarded_once(city, counties, n_each):
    """Every clue the COUNTIES forwarded reached CITY exactly once: one case
    per forwarded msg_id, none twice, none missing; their outboxes drained."""
    for c in counties:
        check("%s forwarded %d" % (c.code, n_each), c.sql(
            "SELECT count(*) FROM outbox WHERE body_kind = 'clue'") == str(n_each))
        check("%s outbox drained, nothing parked" % c.code, c.sql(
            "SELECT count(*) FILTER (WHERE delivered_at IS NULL),"
            " count(*) FILTER (WHERE parked_reason IS NOT NULL) FROM outbox") == "0|0")
    total = n_each * len(counties)
    got = city.sql("SELECT count(*), count(DISTINCT source_msg_id), count(DISTINCT subject_name)"
                   " FROM cases WHERE channel = 'LOWER_NODE'")
    check("the city holds each forwarded clue once (%d)" % total,
          got == "%d|%d|%d" % (total, total, total), got)
    check("the city's inbox: each forwarded msg_id once", city.sql(
        "SELECT count(*), count(DISTINCT msg_id) FROM inbox WHERE body_kind = 'clue'") ==
        "%d|%d" % (total, total))
    sent = set()
    for c in counties:
        sent |= set(c.sql("SELECT msg_id FROM outbox WHERE body_kind = 'clue'").split())
    stored = set(city.sql("SELECT source_msg_id FROM cases WHERE channel = 'LOWER_NODE'").split())
    check("what the city stored is what the counties sent", sent == stored,
          "%d sent, %d stored, %d missing" % (len(sent), len(stored), len(sent - stored)))
    origins = city.sql("SELECT string_agg(DISTINCT i.sender, ',') FROM inbox i")
    check("each came over a child's CURVE key", "ipc" not in origins, origins)


def healthz(port):
    """The HTTP status of a daemon's /healthz on 127.0.0.1:PORT (200, 503, …),
    or 0 if nothing answered."""
    try:
        return urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port, timeout=2).status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return 0


def subscriber(endpoint, *topics, timeout_ms=30000, connected_within=60):
    """A SUB socket on ENDPOINT for TOPICS that is connected (the ZMTP
    handshake done, so the subscription is on its way to the publisher) when
    this returns: a publisher that binds later is waited for. Without the wait
    an event sent right after the publisher starts can be lost (ZeroMQ's slow
    joiner)."""
    import zmq
    from zmq.utils.monitor import recv_monitor_message
    sub = zmq.Context.instance().socket(zmq.SUB)
    for t in topics:
        sub.setsockopt(zmq.SUBSCRIBE, t.encode() if isinstance(t, str) else t)
    sub.setsockopt(zmq.RCVTIMEO, timeout_ms)
    mon = sub.get_monitor_socket(zmq.EVENT_HANDSHAKE_SUCCEEDED)
    sub.connect(endpoint)
    mon.setsockopt(zmq.RCVTIMEO, connected_within * 1000)
    try:
        recv_monitor_message(mon)
    finally:
        sub.disable_monitor()
        mon.close()
    return sub
