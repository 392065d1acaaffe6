"""test_intake_fault.py — sl-intake killed with SIGKILL in the middle of a stream.

Several producers (DEALER, a window of outstanding envelopes, resend of the
unacked with the same msg_id) send distinct clues while the daemon is killed
with `kill -9` a few times at random moments and restarted. At the end every
clue is registered exactly once, every msg_id is in the inbox once, case
numbers are gap-free per (year, sector) (a kill mid-transaction rolls back
and gives its numbers back), and every ack a producer holds matches a stored
row with the same case number: nothing acked was lost.

SL_FAULT_CLUES sets the number of clues (default 3000; 1500 in a sanitizer
build), SL_FAULT_SEED the random seed.
"""
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
import sltest  # noqa: E402
from sltest import check  # noqa: E402

ASAN = "asan" in os.environ.get("SL_BUILD", "")
N = int(os.environ.get("SL_FAULT_CLUES", "1500" if ASAN else "3000"))
PRODUCERS = 4
KILLS = 3
HARD_TIMEOUT = 110 if ASAN else 55


def main():
    seed = int(os.environ.get("SL_FAULT_SEED", str(int(time.time()))))
    rnd = random.Random(seed)
    print("# seed %d, %d clues, %d producers, %d kills" % (seed, N, PRODUCERS, KILLS))
    # Fail rather than hang: the whole test has a hard bound.
    watchdog = threading.Timer(HARD_TIMEOUT, lambda: os._exit(
        print("test_intake_fault: hard timeout of %ds exceeded" % HARD_TIMEOUT, flush=True) or 3))
    watchdog.daemon = True
    watchdog.start()
    node = sltest.Node("fault")
    try:
        node.start()
        envs = sltest.distinct_clues(N, "故障", seed)
        producers = [sltest.Producer([node.intake], envs[i::PRODUCERS], window=16, resend=1.0,
                                     deadline=HARD_TIMEOUT - 10, node=node) for i in range(PRODUCERS)]
        threads = [threading.Thread(target=p.run) for p in producers]
        t0 = time.time()
        for t in threads:
            t.start()

        def acked():
            return sum(len(p.acks) for p in producers)

        # Kill at random points spread over the stream, each at a random moment.
        points = sorted(rnd.uniform((k + 0.3) / (KILLS + 1), (k + 0.9) / (KILLS + 1))
                        for k in range(KILLS))
        kills = []
        for frac in points:
            sltest.wait_for("%.0f%% of the stream acked" % (frac * 100),
                            lambda: acked() >= frac * N or not any(t.is_alive() for t in threads),
                            timeout=HARD_TIMEOUT, interval=0.002)
            time.sleep(rnd.uniform(0, 0.02))  # a random moment, not a synchronisation
            done = acked()
            node.kill()
            kills.append(done)
            node.start()
        for t in threads:
            t.join(HARD_TIMEOUT)
        elapsed = time.time() - t0
        print("# killed at %s acks of %d; %.1fs; %d resends" % (
            kills, N, elapsed, sum(p.resends for p in producers)))
        check("every kill hit the middle of the stream", len(kills) == KILLS and
              all(0 < k < N for k in kills), str(kills))
        acks = sltest.check_exactly_once(node, producers, N)
        dups = sum(1 for lst in acks.values() for a in lst
                   if a.status == sltest.envelope_pb2.Ack.DUPLICATE)
        print("# %d DUPLICATE acks answered resends" % dups)
        check("exit 0 on SIGTERM after the storm", node.stop() == 0)
    except Exception:
        sltest.dump_logs(node)
        raise
    finally:
        node.close()
    print("1 passed, 0 failed")


if __name__ == "__main__":
    main()
