"""test_security.py — CURVE on intake's TCP endpoint, the ZAP handler, who may
send what, and the origin check (issue "Federation security").

A city node 晋中市 (140700) with two child nodes, a parent and two producers:
an unknown key cannot connect; the demo producer submits clues over TCP;
slctl works over ipc; a child that forges another node's origin, a child that
sends a transfer downward, the parent that sends a clue up, a producer that
sends what it may not or speaks for another unit: each refused with its code,
nothing changed, the refusal kept as a dead letter, logged and counted with
the key.
"""
import os
import subprocess
import sys
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(__file__))
import sltest  # noqa: E402
from sltest import check, clue, envelope  # noqa: E402
from safeloop.v1 import clue_pb2, envelope_pb2, handling_pb2  # noqa: E402
import zmq  # noqa: E402

ACK = envelope_pb2.Ack


def keys(node, name):
    d = os.path.join(node.dir, name)
    subprocess.run([os.path.join(sltest.SL_BIN, "slctl"), "keys", "gen", "--curve-only", "--dir",
                    d], check=True, capture_output=True)
    return d


def main():
    base = sltest.Node("security-keys")  # only to make key pairs in a private dir
    kd = base.dir
    mk = lambda n: keys(base, n)  # noqa: E731
    k728, k781, kparent, kemerg, kstranger = (mk("c728"), mk("c781"), mk("parent"), mk("emerg"),
                                              mk("stranger"))
    extra = """[parent]
code = 140000
endpoint = tcp://127.0.0.1:9
public_key = %(kd)s/parent/curve.pub
[child.140728]
endpoint = tcp://127.0.0.1:9
public_key = %(kd)s/c728/curve.pub
[child.140781]
endpoint = tcp://127.0.0.1:9
public_key = %(kd)s/c781/curve.pub
[producer.ems-system]
public_key = %(kd)s/emerg/curve.pub
unit = 140700:emergency
may_send = receipt, progress, feedback
""" % dict(kd=kd)
    node = sltest.Node("security", code="140700", extra_ini=extra)
    try:
        node.start()
        cases0 = node.sql("SELECT count(*) FROM cases")

        # An unknown key cannot connect: no answer, the refusal counted with its key.
        stranger = sltest.Client(node.intake, timeout_ms=1500, node=node, keydir=kstranger)
        try:
            stranger.send(envelope(clue(division="140700")))
            got = True
        except zmq.Again:
            got = False
        check("unknown key gets no answer", not got)
        skey = sltest.read_key(os.path.join(kstranger, "curve.pub")).decode()
        check("unknown key logged", sltest.wait_for(
            "the refusal in the log", lambda: skey in node.log(), timeout=10))
        # A plain (non-CURVE) client neither.
        plain = node_plain = sltest.zmq.Context.instance().socket(zmq.REQ)
        plain.setsockopt(zmq.RCVTIMEO, 1500)
        plain.setsockopt(zmq.LINGER, 0)
        plain.connect(node.intake)
        plain.send(envelope(clue(division="140700")).SerializeToString())
        try:
            plain.recv()
            got = True
        except zmq.Again:
            got = False
        node_plain.close()
        check("a client without CURVE gets no answer", not got)

        # The demo producer submits clues over TCP; slctl works over ipc.
        c = sltest.Client(node.intake, node=node)
        a = c.send(envelope(clue(subject="晋中市某危化企业", division="140700",
                                 sector=clue_pb2.HAZARDOUS_CHEMICALS)))
        check("producer key: accepted", a.status == ACK.ACCEPTED and a.case_no, str(a))
        r = node.slctl("submit", "--subject", "晋中市某燃气公司", "--division", "140700",
                       "--sector", "CITY_GAS")
        check("slctl over ipc: accepted", r.stdout.startswith("accepted\t140700-"), r.stdout)
        accepted = node.sql("SELECT count(*) FROM cases")

        refusals = []

        def refused(name, client, env, code):
            a = client.send(env)
            check(name, a.status == ACK.REJECTED and a.error_code == code,
                  "got %s %s" % (ACK.Status.Name(a.status), a.error_code))
            refusals.append((env.msg_id, code))

        # A child that forges another node's origin.
        child = sltest.Client(node.intake, node=node, keydir=k728)
        fwd = clue(subject="介休某煤矿", division="140781", origin_node="140781")
        fwd.channel = clue_pb2.ClueReport.LOWER_NODE
        refused("child forging another node's origin", child, envelope(fwd), "wrong_origin")
        own = clue(subject="平遥某煤矿", division="140781", origin_node="140728")
        own.channel = clue_pb2.ClueReport.LOWER_NODE
        a = child.send(envelope(own))
        check("child forwarding under its own origin: accepted", a.status == ACK.ACCEPTED, str(a))
        accepted = node.sql("SELECT count(*) FROM cases")
        # A child that sends a transfer downward.
        t = envelope()
        t.transfer.notice_no = "（煤）移〔2026〕1号"
        t.transfer.from_unit = "140728"
        t.transfer.to_unit = "140700"
        t.transfer.case_no = "140728-2026-煤-000001"
        t.transfer.clue.CopyFrom(clue())
        refused("child sending a transfer down", child, t, "not_permitted")
        # A child answering in another child's name.
        rc = envelope()
        rc.receipt.notice_no = "（煤）移〔2026〕1号"
        rc.receipt.from_unit = "140781"
        rc.receipt.at = 1
        refused("child answering for another child", child, rc, "wrong_origin")
        # The parent may not send clues up through us.
        parent = sltest.Client(node.intake, node=node, keydir=kparent)
        refused("parent sending a clue", parent, envelope(clue(division="140700")),
                "not_permitted")
        # A producer: only what may_send lists, only for its own unit.
        emerg = sltest.Client(node.intake, node=node, keydir=kemerg)
        refused("producer sending a clue it may not", emerg, envelope(clue(division="140700")),
                "not_permitted")
        fb = envelope()
        fb.feedback.notice_no = "（危化）移〔2026〕1号"
        fb.feedback.from_unit = "140700:transport"
        fb.feedback.violation_nature = "x"
        refused("producer answering for another unit", emerg, fb, "wrong_origin")
        demo = c
        pr = envelope()
        pr.progress.notice_no = "（危化）移〔2026〕1号"
        pr.progress.from_unit = "140700:emergency"
        pr.progress.text = "进展"
        refused("clue-only producer sending progress", demo, pr, "not_permitted")

        check("nothing changed by refusals", node.sql("SELECT count(*) FROM cases") == accepted)
        for msg_id, code in refusals:
            check("dead letter for " + code, node.sql(
                "SELECT error_code FROM dead_letter WHERE msg_id = '%s'" % msg_id) == code)
        k728pub = sltest.read_key(os.path.join(k728, "curve.pub")).decode()
        check("refusal logged with the key", k728pub in node.log() and "wrong_origin" in node.log())
        text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % node.http_port,
                                      timeout=10).read().decode()
        check("refusals counted with the key", 'sl_intake_refused_total{key="%s",code="wrong_origin"}'
              % k728pub in text, [l for l in text.split("\n") if "refused" in l])
        check("unknown key counted", 'sl_intake_unknown_keys_total{key="%s"}' % skey in text)
        for cl in (c, child, parent, emerg, stranger):
            cl.close()
        check("cases unchanged but for the accepted", int(accepted) == int(cases0) + 3)
    except Exception:
        sltest.dump_logs(node)
        raise
    finally:
        node.close()
        base.close()
    print("1 passed, 0 failed")


if __name__ == "__main__":
    main()
