"""sltest.py — helpers for Python system tests (run by ctest with /usr/bin/python3).

A Node is one safeloop node for a test: its own database made from the
migrated template of the run's cluster (tests/system/pg-fixture.sh), its INI,
keys and run directory in a private temp dir, and its daemons as child
processes. Clients speak the wire contract with classes that protoc generated
from proto/ (SL_GEN_PY), like any outside producer would.
"""
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
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


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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

    def __init__(self, name, code="140728", extra_ini=""):
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
        os.makedirs(os.path.join(self.dir, "run"), mode=0o700)
        self.ini = os.path.join(self.dir, "%s.ini" % code)
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
%(extra)s
""" % dict(code=code, dir=self.dir, host=PG["SL_PG_HOST"], port=PG["SL_PG_PORT"],
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
        return self.procs[key]

    def _serving(self, key, endpoint):
        p = self.procs[key]
        if p.poll() is not None:
            raise AssertionError("sl-%s exited %s; log:\n%s" % (key[0], p.returncode,
                                                                 self.log(*key)))
        return os.path.exists(endpoint[len("ipc://"):])

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


def envelope(body=None, msg_id=None, producer="sltest"):
    e = envelope_pb2.Envelope(msg_id=msg_id or str(uuid.uuid4()), producer=producer,
                              sent_at=int(time.time() * 1000))
    if body is not None:
        e.clue.CopyFrom(body)
    return e


class Client:
    """A REQ client, the simplest producer there is."""

    def __init__(self, endpoint, timeout_ms=10000):
        self.ctx = zmq.Context.instance()
        self.endpoint = endpoint
        self.timeout_ms = timeout_ms
        self._open()

    def _open(self):
        self.sock = self.ctx.socket(zmq.REQ)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.RCVTIMEO, self.timeout_ms)
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


def check(name, cond, detail=""):
    if not cond:
        raise AssertionError("%s %s" % (name, detail))
    print("ok -", name)


class Producer:
    """A producer that keeps a window of envelopes in flight on one DEALER
    connected to every endpoint it knows (ZMQ_IMMEDIATE: only to intakes that
    are up), and resends an envelope, same bytes, when its ack is late. This
    is the client side of high availability: two intakes, either may die.

    Call pump() until done(); acks maps msg_id -> Ack, retries counts resends."""

    def __init__(self, endpoints, envelopes, window=50, resend_after=2.0):
        self.sock = zmq.Context.instance().socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.IMMEDIATE, 1)
        for e in endpoints:
            self.sock.connect(e)
        self.todo = [(e.msg_id, e.SerializeToString()) for e in envelopes]
        self.todo.reverse()
        self.sent = len(self.todo)
        self.inflight = {}          # msg_id -> (bytes, sent at)
        self.acks = {}              # msg_id -> first Ack that settled it
        self.answers = {}           # msg_id -> every Ack received
        self.retries = 0
        self.window = window
        self.resend_after = resend_after

    def _send(self, msg_id, data):
        try:
            self.sock.send_multipart([b"", data], zmq.NOBLOCK)
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
