"""test_intake_instances.py — two sl-intake instances on one database.

Instance 1 reads [intake], instance 2 (`--instance 2`) reads [intake.2]. Some
producers feed instance 1, some instance 2, and some send every envelope, with
the SAME msg_id, to both instances at once, racing the inbox's unique key.
Clues are spread over all sectors, so both instances take numbers from the
same counters. At the end: each msg_id registered once, no duplicate and no
missing case numbers per (year, sector), and all acks consistent — every ack
of a msg_id, from either instance, carries the stored case number, and a
msg_id is ACCEPTED exactly once (the loser of a race answers DUPLICATE).
Then clues about one subject with different msg_ids reach both instances at
the same moment, round after round: one case per subject, the other clue
linked to it as a repeat report (without the registration lock, nearly every
round opened two cases).

SL_INSTANCES_CLUES sets the clues per producer (default 400; 200 in a
sanitizer build).
"""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
import sltest  # noqa: E402
from sltest import check  # noqa: E402

Ack = sltest.envelope_pb2.Ack
ASAN = "asan" in os.environ.get("SL_BUILD", "")
PER = int(os.environ.get("SL_INSTANCES_CLUES", "200" if ASAN else "400"))
HARD_TIMEOUT = 110 if ASAN else 55


def same_subject_race(node, rounds=20):
    """Two clues about one subject, different msg_ids, one to each instance at
    the same moment (each in a burst of other clues, so the transactions
    overlap): one case, the other clue linked to it as a repeat report."""
    import zmq
    socks = []
    for ep in (node.ipc, "ipc://%s/run/intake2.sock" % node.dir):
        d = zmq.Context.instance().socket(zmq.DEALER)
        d.setsockopt(zmq.LINGER, 0)
        d.connect(ep)
        socks.append(d)
    subjects = []
    for r in range(rounds):
        subject = "平遥县同时举报%02d煤业有限公司" % r
        subjects.append(subject)
        bursts = []
        for side in range(2):
            filler = [sltest.envelope(sltest.clue(subject="平遥县陪同%d-%02d-%03d有限公司" % (side, r, i),
                                                  sector=1 + i % 16)) for i in range(60)]
            bursts.append(filler[:30] + [sltest.envelope(sltest.clue(subject=subject))] + filler[30:])
        frames = [[[b"", e.SerializeToString()] for e in b] for b in bursts]
        for k in range(len(frames[0])):
            for side in range(2):
                socks[side].send_multipart(frames[side][k])
        for side in range(2):
            for _ in frames[side]:
                check("an ack for every clue of the burst", socks[side].poll(20000) != 0)
                socks[side].recv_multipart()
    for d in socks:
        d.close()
    bad = node.sql("SELECT string_agg(subject_name || '=' || n, ', ') FROM (SELECT subject_name,"
                   " count(*) AS n FROM cases WHERE subject_name LIKE '平遥县同时举报%'"
                   " GROUP BY subject_name HAVING count(*) <> 1) s")
    check("a subject reported to both instances at once: one case each", bad == "", bad)
    check("... and the second report counted as a repeat", node.sql(
        "SELECT count(*) FROM cases WHERE subject_name LIKE '平遥县同时举报%'"
        " AND repeat_count = 1") == str(rounds))


def main():
    watchdog = threading.Timer(HARD_TIMEOUT, lambda: os._exit(
        print("test_intake_instances: hard timeout of %ds exceeded" % HARD_TIMEOUT,
              flush=True) or 3))
    watchdog.daemon = True
    watchdog.start()
    node = sltest.Node("instances")
    try:
        node.start(instance=1)
        node.start(instance=2)
        plan = [("one", [node.intake]), ("one", [node.intake]),
                ("two", [node.intake2]), ("two", [node.intake2]),
                ("race", [node.intake, node.intake2]), ("race", [node.intake, node.intake2]),
                ("race", [node.intake2, node.intake])]
        envs = sltest.distinct_clues(PER * len(plan), "双实例", seed=7)
        producers = [sltest.Producer(eps, envs[i::len(plan)], window=24, resend=3.0,
                                     deadline=HARD_TIMEOUT - 10, node=node)
                     for i, (_, eps) in enumerate(plan)]
        threads = [threading.Thread(target=p.run) for p in producers]
        t0 = time.time()
        for t in threads:
            t.start()
        for t in threads:
            t.join(HARD_TIMEOUT)
        print("# %d clues in %.1fs, %d resends" % (len(envs), time.time() - t0,
                                                    sum(p.resends for p in producers)))
        acks = sltest.check_exactly_once(node, producers, len(envs))
        once = [m for m, lst in acks.items() if sum(a.status == Ack.ACCEPTED for a in lst) != 1]
        check("each msg_id ACCEPTED exactly once, by one instance", not once, str(once[:5]))

        # Each instance did its share: the dedicated producers' acks.
        for (kind, eps), p in zip(plan, producers):
            if kind != "race":
                check("%s served its producer" % ("instance 1" if eps == [node.intake]
                                                  else "instance 2"),
                      all(any(a.status == Ack.ACCEPTED for _, a in p.acks[m])
                          for m, _ in p.envelopes))
        # The races: both acks of a racing msg_id agree; count who won.
        won = [0, 0]
        raced, disagree = 0, []
        for (kind, eps), p in zip(plan, producers):
            if kind != "race":
                continue
            for m, _ in p.envelopes:
                raced += 1
                by = {}
                for k, a in p.acks[m]:
                    by.setdefault(eps[k], []).append(a)
                numbers = {a.case_no for l in by.values() for a in l}
                if not (len(by) == 2 and len(numbers) == 1 and "" not in numbers):
                    disagree.append((m, by))
                for ep, lst in by.items():
                    if any(a.status == Ack.ACCEPTED for a in lst):
                        won[0 if ep == node.intake else 1] += 1
        check("racing msg_ids answered by both instances with one case number",
              raced > 0 and not disagree, "%d raced; %s" % (raced, str(disagree[:3])))
        print("# races won: instance 1 %d, instance 2 %d" % tuple(won))
        rolled = sum(node.log("intake", i).count("inbox_msg_id_key") for i in (1, 2))
        print("# batches rolled back on the inbox's unique key and retried: %d" % rolled)
        same_subject_race(node)
        check("instance 1 exits 0 on SIGTERM", node.stop(instance=1) == 0)
        check("instance 2 exits 0 on SIGTERM", node.stop(instance=2) == 0)
    except Exception:
        sltest.dump_logs(node)
        raise
    finally:
        node.close()
    print("1 passed, 0 failed")


if __name__ == "__main__":
    main()
