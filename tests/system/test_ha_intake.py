"""test_ha_intake.py — two sl-intake instances of one node side by side; one
is killed (SIGKILL) under load and restarted, as systemd's Restart= would.

The producers are the client side of high availability: each holds one DEALER
connected to both intake endpoints and resends, same bytes, what is not acked
in time (sltest.Producer). Asserts: both instances serve on their own
endpoints ([intake] and [intake.2]); the kill hits envelopes in flight
(producers resend); every envelope is acked; every msg_id is stored exactly
once and registered as exactly one case, numbered without gaps; every ack
(first answer or resend's DUPLICATE) names the case the database holds; the
restarted instance serves again; the audit chain is intact.
"""
import os
import signal
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import sltest  # noqa: E402
from sltest import check, clue, envelope  # noqa: E402
from safeloop.v1 import envelope_pb2  # noqa: E402

ACK = envelope_pb2.Ack
NOW = {"SL_NOW": "2026-03-02T09:00:00+08:00"}
PRODUCERS = 4
PER_PRODUCER = 1500
DEADLINE = 70.0


def healthy(port):
    try:
        return urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port, timeout=2).status == 200
    except Exception:
        return False


def main():
    node = sltest.Node("ha")
    producers = []
    try:
        node.start(instance=1, env=NOW)
        node.start(instance=2, env=NOW)
        for inst, ep in ((1, node.intake), (2, node.intake2)):
            c = sltest.Client(ep, node=node)
            a = c.send(envelope(clue(subject="探针公司%d" % inst)))
            c.close()
            check("instance %d serves on its own endpoint %s" % (inst, ep),
                  a.status == ACK.ACCEPTED, str(a))
        base = int(node.sql("SELECT count(*) FROM cases"))

        envs = [[envelope(clue(subject="高可用测试公司%d-%d" % (p, i)), producer="ha%d" % p)
                 for i in range(PER_PRODUCER)] for p in range(PRODUCERS)]
        producers = [sltest.HAProducer([node.intake, node.intake2], e, window=50,
                                       resend_after=2.0, node=node) for e in envs]
        total = PRODUCERS * PER_PRODUCER
        killed = restarted = False
        t0 = time.time()
        while not all(p.done() for p in producers):
            if time.time() - t0 > DEADLINE:
                raise AssertionError("not every envelope acked within %.0f s: %d of %d" % (
                    DEADLINE, sum(len(p.acks) for p in producers), total))
            for p in producers:
                p.pump(wait_ms=5)
            acked = sum(len(p.acks) for p in producers)
            if not killed and acked >= total // 3:
                in_flight = sum(len(p.inflight) for p in producers)
                rc = node.stop(instance=2, sig=signal.SIGKILL)
                killed = True
                print("killed instance 2 (exit %s) with %d acked, %d in flight" % (
                    rc, acked, in_flight))
            elif killed and not restarted and acked >= 2 * total // 3:
                node.start(instance=2, env=NOW, wait=False)
                restarted = True
                print("restarted instance 2 with %d acked" % acked)
        elapsed = time.time() - t0
        retries = sum(p.retries for p in producers)
        print("%d envelopes in %.1f s, %d resends" % (total, elapsed, retries))
        check("the kill happened under load", killed and restarted)
        check("producers saw the kill: envelopes were resent", retries > 0, str(retries))
        acks = {}
        for p in producers:
            acks.update(p.acks)
        check("every envelope acked", len(acks) == total, "%d of %d" % (len(acks), total))
        check("every ack is accepted or duplicate",
              all(a.status in (ACK.ACCEPTED, ACK.DUPLICATE) for a in acks.values()),
              str([a for a in acks.values() if a.status not in (ACK.ACCEPTED, ACK.DUPLICATE)][:3]))

        # The database: each msg_id once, one case each, numbers without gaps.
        rows = node.sql("SELECT msg_id, coalesce(case_no, '') FROM inbox WHERE producer LIKE 'ha%'")
        stored = {}
        dup_rows = 0
        for line in rows.split("\n"):
            mid, _, case_no = line.partition("|")
            if mid in stored:
                dup_rows += 1
            stored[mid] = case_no
        check("no msg_id stored twice", dup_rows == 0, str(dup_rows))
        check("every msg_id stored: count = sent", len(stored) == total and
              set(stored) == set(acks), "%d stored, %d sent" % (len(stored), total))
        n_cases = int(node.sql("SELECT count(*) FROM cases WHERE subject_name LIKE '高可用测试公司%'"))
        check("one case per envelope", n_cases == total, "%d cases for %d envelopes" % (n_cases, total))
        nums = node.sql("SELECT string_agg(split_part(case_no, '-', 4), ',') FROM cases")
        nums = sorted(int(x) for x in nums.split(","))
        check("case numbers gap-free 1..N", nums == list(range(1, base + total + 1)),
              "%d numbers, max %d" % (len(nums), max(nums)))
        wrong = [m for m, a in acks.items() if a.case_no != stored.get(m)]
        check("every ack names the case the database holds", not wrong,
              "%d differ, e.g. %s" % (len(wrong), wrong[:3]))
        late = [(m, x.case_no) for p in producers for m, xs in p.answers.items() for x in xs
                if x.status in (ACK.ACCEPTED, ACK.DUPLICATE) and x.case_no != stored.get(m)]
        check("resends' answers name the same case", not late, str(late[:3]))
        check("no dead letters", node.sql("SELECT count(*) FROM dead_letter") == "0")

        sltest.wait_for("the restarted instance 2 to be healthy",
                        lambda: healthy(node.http2_port), timeout=30)
        c = sltest.Client(node.intake2, node=node)
        a = c.send(envelope(clue(subject="重启后探针公司")))
        c.close()
        check("the restarted instance serves", a.status == ACK.ACCEPTED, str(a))
        r = node.slctl("audit", "verify", check=False)
        check("audit chain intact", r.returncode == 0, r.stdout + r.stderr)
        check("instance 1 exits 0 on SIGTERM", node.stop(instance=1) == 0)
        check("instance 2 exits 0 on SIGTERM", node.stop(instance=2) == 0)
    except Exception:
        sltest.dump_logs(node)
        raise
    finally:
        for p in producers:
            p.close()
        node.close()
    print("1 passed, 0 failed")


if __name__ == "__main__":
    main()
