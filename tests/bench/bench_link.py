"""bench_link.py — one link's throughput, and draining a 100,000-item backlog.

Two nodes, 晋中市 (140700) and 平遥县 (140728), real sl-intake and
sl-dispatch, a CURVE link between them. Clues about 榆次区 (outside the
county) are submitted at 平遥县 by the C load generator and forwarded to
晋中市 through the outbox; each carries a reporter, so each is re-sealed for
the city before its first send.

1. Steady state: the city is up; SL_BENCH_LINK_ITEMS (default 20,000) clues
   are submitted; figure: items per second from the first submission until
   the last is registered at the city.
2. Backlog: the city's intake is stopped, SL_BENCH_LINK_BACKLOG (default
   100,000) clues queue at the county, then the city's intake starts; figures:
   the time to drain the outbox to zero, and items per second while draining.
Figures only; nothing is asserted about speed (CONVENTIONS.md "Tests").
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "system"))
import sltest  # noqa: E402
from sltest import check, wait_for  # noqa: E402


def at_city(city):
    return int(city.sql("SELECT count(*) FROM cases WHERE channel = 'LOWER_NODE'"))


def submit(county, n, tag, producers=4):
    per = n // producers
    sltest.bulk_wait([sltest.bulk(county, per, "%s%d" % (tag, i), division="140702",
                                  window=500) for i in range(producers)], timeout=1200)
    return per * producers


def main():
    items = int(os.environ.get("SL_BENCH_LINK_ITEMS", "20000"))
    backlog = int(os.environ.get("SL_BENCH_LINK_BACKLOG", "100000"))
    nodes = sltest.federation("benchlink", codes=("140700", "140728"))
    city, county = nodes["140700"], nodes["140728"]
    try:
        city.start("intake")
        county.start("intake")
        county.start("dispatch")

        # 1. steady state
        t0 = time.time()
        n1 = submit(county, items, "s")
        wait_for("steady-state items at the city", lambda: at_city(city) >= n1, timeout=1200,
                 interval=0.2)
        t1 = time.time()
        rate1 = n1 / (t1 - t0)

        # 2. a backlog of BACKLOG items while the city is down
        city.stop("intake")
        t2 = time.time()
        n2 = submit(county, backlog, "b")
        t3 = time.time()
        check("the backlog waits in the outbox", sltest.outbox_depth(county) == n2)
        city.start("intake")
        t4 = time.time()
        wait_for("the backlog drained", lambda: sltest.outbox_depth(county) == 0, timeout=1800,
                 interval=0.5)
        t5 = time.time()
        check("every item at the city once", city.sql(
            "SELECT count(*), count(DISTINCT source_msg_id) FROM cases"
            " WHERE channel = 'LOWER_NODE'") == "%d|%d" % (n1 + n2, n1 + n2))
        print("bench_link: steady state: %d items over one link in %.1f s: %.0f items/s "
              "(submission at the county included)" % (n1, t1 - t0, rate1))
        print("bench_link: backlog: %d items queued at the county in %.1f s" % (n2, t3 - t2))
        print("bench_link: backlog: drained %d items in %.1f s: %.0f items/s" % (
            n2, t5 - t4, n2 / (t5 - t4)))
        print("BENCH link items=%d items_s=%.0f backlog=%d drain_s=%.1f drain_items_s=%.0f" % (
            n1, rate1, n2, t5 - t4, n2 / (t5 - t4)))
    except BaseException:
        sltest.dump_logs(nodes)
        raise
    finally:
        for n in nodes.values():
            n.close()


if __name__ == "__main__":
    main()
