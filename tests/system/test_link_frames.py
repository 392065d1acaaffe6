"""test_link_frames.py — the link's one-frame envelopes, and a parent older than them.

sl-link sends [Envelope] and reads [Ack], one frame each way: its DEALER has
ZMQ_IMMEDIATE, and libzmq 4.3 aborts (fq.cpp:112, "!_more") when such a socket
handles a reconnect between the two frames of an ack it is reading
(docs/DESIGN.md, "Ingress frames"). An intake older than that form answers a
one-frame envelope `bad_frames` with no msg_id; the link must then speak
[empty][Envelope] to it, park nothing, and deliver every row once.

平遥县's parent 晋中市 is played here by such an older intake: a ROUTER with the
city's CURVE keys that refuses one-frame envelopes and accepts the
REQ-compatible form. 20 clues about 榆次区 (140702) are submitted at the county;
each reaches the "city" once, in two frames; the county's outbox drains, nothing
parked, and the county's log says why it changed the form (and shows no
late acks: the refused window is resent at the switch).
"""
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(__file__))
import sltest  # noqa: E402
from sltest import check, wait_for  # noqa: E402
from safeloop.v1 import envelope_pb2  # noqa: E402
import zmq  # noqa: E402

N = 20


class OlderIntake(threading.Thread):
    """The parent's intake as it was before the one-frame form."""

    def __init__(self, city):
        super().__init__(daemon=True)
        self.sock = zmq.Context.instance().socket(zmq.ROUTER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.curve_server = True
        self.sock.curve_publickey = sltest.read_key(os.path.join(city.dir, "keys/curve.pub"))
        self.sock.curve_secretkey = sltest.read_key(os.path.join(city.dir, "keys/curve.key"))
        self.sock.bind(city.intake)
        self.bare, self.accepted, self.stop = 0, {}, False

    def run(self):
        while not self.stop:
            if not self.sock.poll(50):
                continue
            frames = self.sock.recv_multipart()
            ack = envelope_pb2.Ack()
            if len(frames) == 3 and frames[1] == b"":
                env = envelope_pb2.Envelope()
                env.ParseFromString(frames[2])
                ack.msg_id = env.msg_id
                ack.status = (envelope_pb2.Ack.DUPLICATE if env.msg_id in self.accepted
                              else envelope_pb2.Ack.ACCEPTED)
                self.accepted[env.msg_id] = self.accepted.get(env.msg_id, 0) + 1
            else:
                self.bare += 1
                ack.status = envelope_pb2.Ack.REJECTED
                ack.error_code = "bad_frames"
                ack.error_text = "消息须为 [空帧][Envelope] 两帧（REQ 兼容）"
            self.sock.send_multipart([frames[0], b"", ack.SerializeToString()])
        self.sock.close()


def main():
    nodes = sltest.federation("frames", codes=("140700", "140728"))
    city, county = nodes["140700"], nodes["140728"]
    old = OlderIntake(city)
    old.start()
    try:
        county.start("intake")
        county.start("dispatch")
        c = sltest.Client(county.ipc)
        for k in range(N):
            a = c.send(sltest.envelope(sltest.clue(subject="帧格式测试%02d有限公司" % k,
                                                   division="140702")))
            check("clue %d accepted at the county" % k, a.status == envelope_pb2.Ack.ACCEPTED,
                  str(a))
        c.close()
        wait_for("the county's outbox drained", lambda: sltest.outbox_depth(county) == 0,
                 timeout=60, interval=0.2)
        check("the older intake refused the one-frame form first", old.bare >= 1, str(old.bare))
        check("every row reached it in two frames", len(old.accepted) == N,
              str(len(old.accepted)))
        check("nothing parked for the shape", county.sql(
            "SELECT count(*) FROM outbox WHERE parked_reason IS NOT NULL") == "0")
        check("the county delivered each row once", county.sql(
            "SELECT count(*) FROM outbox WHERE delivered_at IS NOT NULL") == str(N))
        log = county.log("dispatch")
        check("the county's log says why it changed the form",
              "does not take one-frame envelopes" in log)
        check("the refused window was resent at the switch, not as late acks",
              "acks are late" not in log)
    except BaseException:
        sltest.dump_logs(nodes)
        raise
    finally:
        old.stop = True
        old.join(5)
        for n in nodes.values():
            n.close()


if __name__ == "__main__":
    main()
