"""test_alert_gauges.py — the status figures deploy/prometheus/alerts.yml needs,
as gauges on sl-intake's /metrics (issue 22): overdue transfers, dead letters
in the last hour, next year's calendar missing — the same figures as
/status.json, refreshed by the status query every 15 s.

One county node: sl-dispatch runs on a date in 2022 (SL_NOW), so the transfer
it issues is long overdue by the real date sl-intake counts with.
"""
import json
import os
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import pytest  # noqa: E402
import sltest  # noqa: E402
from sltest import check, clue, envelope, wait_for  # noqa: E402
from safeloop.v1 import envelope_pb2  # noqa: E402

ACK = envelope_pb2.Ack
T0 = "2022-01-28T09:00:00+08:00"


@pytest.fixture(scope="module")
def node(nodes):
    n = nodes.node("gauges")
    n.start("intake")
    e = dict(os.environ)
    e["SL_NOW"] = T0
    n.start("dispatch", env=e)
    return n


def gauges(node):
    text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % node.http_port,
                                  timeout=10).read().decode()
    out = {}
    for line in text.splitlines():
        if line.startswith(("sl_transfers_overdue ", "sl_dead_letters_last_hour ",
                            "sl_calendar_next_year_missing ")):
            k, v = line.split()
            out[k] = float(v)
    return out


def test_gauges_exported(node):
    g = gauges(node)
    check("the three gauges are on /metrics", set(g) == {
        "sl_transfers_overdue", "sl_dead_letters_last_hour", "sl_calendar_next_year_missing"},
        str(g))


def test_gauges_follow_the_status(node):
    """A refused clue and an overdue transfer show up within a refresh."""
    c = sltest.Client(node.intake, node=node)
    check("refused", c.send(envelope(clue(division="999999"))).status == ACK.REJECTED)
    check("accepted", c.send(envelope(clue(subject="平遥县逾期煤业有限公司"))).status == ACK.ACCEPTED)
    c.close()
    wait_for("the transfer issued", lambda: node.sql("SELECT count(*) FROM transfer") == "1",
             timeout=30)
    g = wait_for("the gauges refreshed", lambda: (
        lambda g: g if g["sl_dead_letters_last_hour"] >= 1 and g["sl_transfers_overdue"] >= 1
        else None)(gauges(node)), timeout=45, interval=1)
    st = json.loads(urllib.request.urlopen("http://127.0.0.1:%d/status.json" % node.http_port,
                                           timeout=20).read().decode())
    check("overdue as in the status", g["sl_transfers_overdue"] == st["overdue"]["count"] == 1,
          "%s %s" % (g, st["overdue"]))
    check("dead letters as in the status",
          g["sl_dead_letters_last_hour"] == st["dead_letters_last_hour"] == 1, str(g))
    check("calendar as in the status", g["sl_calendar_next_year_missing"] ==
          (1.0 if st["calendar"]["next_year_missing"] else 0.0), "%s %s" % (g, st["calendar"]))
