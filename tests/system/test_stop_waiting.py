"""test_stop_waiting.py — a daemon waiting for its database stops at once on
SIGTERM (issue 22: sl-intake took 30 s to leave in the fault run).

A daemon that starts while its database is away waits for it (up to 60 s,
retrying with backoff). The wait used to sleep outside the event loop, so a
SIGTERM then (systemd stopping it, the fault harness cutting a link while the
node's PostgreSQL was stopped) was handled only once the database answered or
the wait gave up — and then the drain of a server not yet made crashed
(exit 139). Each daemon here is started on a copy of a node's config whose
database does not exist; SIGTERM a moment later must end it with exit 0
within 2 s, and its log says it stopped while waiting.
"""
import os
import re
import signal
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import sltest  # noqa: E402

DAEMONS = ("intake", "dispatch", "deadline", "publish", "appraise")


@pytest.fixture(scope="module")
def away(nodes):
    """A node's config with the database on a socket directory nobody serves."""
    n = nodes.node("stopwait")
    gone = os.path.join(n.dir, "no-pg")
    os.makedirs(gone)
    with open(n.ini) as f:
        text = f.read()
    path = os.path.join(n.dir, "away.ini")
    with open(path, "w") as f:
        f.write(re.sub(r"(?m)^conninfo = .*$",
                       "conninfo = host=%s port=5432 dbname=nothing user=postgres" % gone, text))
    return n, path


@pytest.mark.parametrize("daemon", DAEMONS)
def test_sigterm_while_waiting_for_the_database(away, daemon):
    n, ini = away
    log = os.path.join(n.dir, "%s-away.log" % daemon)
    with open(log, "wb") as f:
        p = subprocess.Popen([os.path.join(sltest.SL_BIN, "sl-" + daemon), "-c", ini],
                             stdout=f, stderr=f)
    try:
        sltest.wait_for("sl-%s to wait for the database" % daemon,
                        lambda: "waiting up to" in open(log).read(), timeout=20)
        time.sleep(0.5)  # inside the backoff's pause
        t = time.time()
        p.send_signal(signal.SIGTERM)
        rc = p.wait(10)
        took = time.time() - t
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    text = open(log).read()
    assert rc == 0, "sl-%s exited %s on SIGTERM while waiting:\n%s" % (daemon, rc, text)
    assert took < 2.0, "sl-%s took %.1f s to stop:\n%s" % (daemon, took, text)
    assert "stopped while waiting for the database" in text, text
