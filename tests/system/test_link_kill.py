"""test_link_kill.py — kill -9 on either end of a link during traffic.

平遥县 and 介休市 forward clues about 榆次区 (outside both) to 晋中市 while
the test SIGKILLs, at random moments, a county's sending sl-dispatch (and
starts it again) or the city's receiving sl-intake (and starts it again).
Afterwards every forwarded clue is at the city exactly once: nothing lost
(a row is marked delivered only on its ack; a restarted sender takes the
leader lock and sends what is unacked again), nothing applied twice (the
city answers a resend DUPLICATE by msg_id).
"""
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import sltest  # noqa: E402
from sltest import check, wait_for  # noqa: E402

T0 = "2021-11-15T09:00:00+08:00"


def main():
    rnd = random.Random(int(os.environ.get("SL_TEST_SEED", time.time())))
    n_each = 800 if sltest.asan() else 4000
    nodes = sltest.federation("kill", codes=("140700", "140728", "140781"),
                              dispatch_ini="window = 200\n")
    city, counties = nodes["140700"], [nodes["140728"], nodes["140781"]]
    env = {"SL_NOW": T0}
    kills = {"dispatch": 0, "intake": 0}
    try:
        city.start("intake", env=env)
        for c in counties:
            c.start("intake", env=env)
            c.start("dispatch", env=env)
        procs = [sltest.bulk(c, n_each, "k%s" % c.code, division="140702", window=100)
                 for c in counties]

        def havoc(rounds, first):
            for i in range(rounds):
                time.sleep(rnd.uniform(0.2, 0.8))
                # each end at least once, then at random
                if (i == 0 and first == "dispatch") or (i == 1 and first == "intake") or (
                        i > 1 and rnd.random() < 0.5):
                    c = rnd.choice(counties)
                    c.kill("dispatch")
                    kills["dispatch"] += 1
                    c.start("dispatch", env=env)
                else:
                    city.kill("intake")
                    kills["intake"] += 1
                    time.sleep(rnd.uniform(0.0, 0.5))
                    city.start("intake", env=env)

        havoc(6, "dispatch")
        sltest.bulk_wait(procs)
        # and while the backlog drains
        havoc(4, "intake")
        print("killed: %d sending dispatchers, %d receiving intakes" % (
            kills["dispatch"], kills["intake"]))
        check("both ends were killed", kills["dispatch"] > 0 and kills["intake"] > 0, str(kills))
        wait_for("both outboxes drained", lambda: all(
            sltest.outbox_depth(c) == 0 for c in counties), timeout=180, interval=0.5)
        sltest.check_forwarded_once(city, counties, n_each)
        dups = city.sql("SELECT count(*) FROM dead_letter")
        check("no envelope refused at the city", dups == "0", dups)
    except BaseException:
        sltest.dump_logs(nodes)
        raise
    finally:
        for n in nodes.values():
            n.close()


if __name__ == "__main__":
    main()
