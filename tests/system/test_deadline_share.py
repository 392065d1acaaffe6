"""test_deadline_share.py — sl-deadline's tick on two connections
([deadline] tick_connections = 2) when the helper's connection is refused.

The tick's connection and its helper's take shares of their own of the due
transfers (the even ids and the odd); a helper that cannot do its batch leaves
its share to the tick's connection, which takes every share in the rounds
after. One county node of its own code (140722: its roles are its own, not
shared with the other tests' nodes in the cluster) whose deadline role may
hold two connections, the daemon's loop's and its tick's: the helper's
connect is refused. Six transfers issued on Tuesday 2022-01-04 are due by
01-13; sl-deadline starts at 01-13 23:59:55, its first tick (alone) marks
them accepted and reminded, and at midnight all six are overdue at once, in
a tick that has a helper. All six are marked overdue and escalated; the
helper's failure is counted (sl_deadline_tick_errors_total).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import pytest  # noqa: E402
import sltest  # noqa: E402
from sltest import check, wait_for  # noqa: E402

CODE = "140722"
T0 = "2022-01-04T09:00:00+08:00"
START = "2022-01-13T23:59:55+08:00"
SUBJECTS = ["左权县%s煤业有限公司" % c for c in "甲乙丙丁戊己"]


def env_at(now):
    e = dict(os.environ)
    e["SL_NOW"] = now
    return e


@pytest.fixture(scope="module")
def node(nodes):
    port = sltest.free_port()
    n = nodes.node("deadline-share", code=CODE, extra_ini="""[deadline]
events = tcp://127.0.0.1:%d
http = 127.0.0.1:%d
tick_seconds = 1
tick_connections = 2
""" % (sltest.free_port(), port))
    n.deadline_port = port
    n.start("intake", env=env_at(T0))
    n.start("dispatch", env=env_at(T0))
    yield n
    n.sql("ALTER ROLE sl_%s_deadline CONNECTION LIMIT -1" % CODE)


def test_six_transfers_issued(node):
    for s in SUBJECTS:
        node.slctl("submit", "--subject", s, "--division", CODE, "--sector", "煤",
                   env=env_at(T0))
    wait_for("six transfers", lambda: node.sql("SELECT count(*) FROM transfer") == "6",
             timeout=30)
    check("odd and even ids both", node.sql(
        "SELECT count(DISTINCT id % 2) FROM transfer") == "2")


def test_a_refused_helper_leaves_no_transfer_behind(node):
    # the daemon's two: its loop's and its tick's (the worker thread's)
    node.sql("ALTER ROLE sl_%s_deadline CONNECTION LIMIT 2" % CODE)
    node.start("deadline", env=env_at(START), wait=False)
    wait_for("sl-deadline to serve",
             lambda: node._healthy(("deadline", 1), node.deadline_port), timeout=60)
    overdue = "SELECT count(*) FROM transfer_clock WHERE overdue_at IS NOT NULL"
    wait_for("all six overdue", lambda: node.sql(overdue) == "6", timeout=30)
    check("escalated, each once", node.sql(
        "SELECT count(*), count(DISTINCT case_no) FROM outbox"
        " WHERE body_kind = 'escalation'") == "6|6")
    check("the helper's batch failed and was counted",
          node.metric(node.deadline_port, "sl_deadline_tick_errors_total") >= 1)
    log = node.log("deadline", 1)
    check("no error logged", "level=error" not in log, log[-2000:])
