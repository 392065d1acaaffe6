"""test_link_outage.py — a parent that is down only grows its children's outboxes.

晋中市's sl-intake is stopped while 10,000 clues about a place outside each
county (榆次区 140702) are submitted at 平遥县 and 介休市 (5,000 each, by the C
load generator; 1,000 each under ASan). Both counties accept them at once and
queue them for the parent; `slctl link list` shows the backlog and the
parent disconnected. Then the city's intake is started: every item is
delivered exactly once (one case per forwarded msg_id, none missing, none
twice), and both outboxes drain to zero, oldest first.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import sltest  # noqa: E402
from sltest import check, wait_for  # noqa: E402

T0 = "2021-11-15T09:00:00+08:00"


def main():
    n_each = 1000 if sltest.asan() else 5000
    nodes = sltest.federation("outage", codes=("140700", "140728", "140781"))
    city, counties = nodes["140700"], [nodes["140728"], nodes["140781"]]
    env = {"SL_NOW": T0}
    try:
        city.start("intake", env=env)
        for c in counties:
            c.start("intake", env=env)
            c.start("dispatch", env=env)
        city.stop("intake")
        t0 = time.time()
        sltest.bulk_wait([sltest.bulk(c, n_each, "o%s" % c.code, division="140702")
                          for c in counties])
        print("queued %d items at the counties in %.1f s" % (2 * n_each, time.time() - t0))
        for c in counties:
            check("%s holds its backlog for the parent" % c.code,
                  sltest.outbox_depth(c) == n_each, str(sltest.outbox_depth(c)))

        def down(c):
            lines = c.slctl("link", "list", env=dict(os.environ, SL_NOW=T0)).stdout.splitlines()
            f = lines[1].split("\t") if len(lines) > 1 else []
            return f if f and f[8] == "no" and f[2] == str(n_each) else None
        f = wait_for("link list: backlog, parent not connected", lambda: down(counties[0]),
                     timeout=20)
        check("link list names the parent", f[0] == "140700" and f[1] == "上级", str(f))

        city.start("intake", env=env)
        t1 = time.time()
        wait_for("both outboxes drained", lambda: all(
            sltest.outbox_depth(c) == 0 for c in counties), timeout=180, interval=0.5)
        print("drained %d items in %.1f s" % (2 * n_each, time.time() - t1))
        sltest.check_forwarded_once(city, counties, n_each)
        order = counties[0].sql(
            "SELECT bool_and(d1 <= d2) FROM (SELECT delivered_at AS d1, lead(delivered_at)"
            " OVER (ORDER BY id) AS d2 FROM outbox) s WHERE d2 IS NOT NULL")
        check("the backlog drained oldest first", order == "t", order)
    except BaseException:
        sltest.dump_logs(nodes)
        raise
    finally:
        for n in nodes.values():
            n.close()


if __name__ == "__main__":
    main()
