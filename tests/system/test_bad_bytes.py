"""test_bad_bytes.py — bad bytes never reach the database or an answer (issue 14, item 3).

Raw envelopes over sl-intake's real sockets, as an outside mutation run sends
them: invalid UTF-8 in every string field of every body (msg_id and producer
included), then byte flips and truncations of realistic envelopes, 1,000 in
all. Every answer must parse with Python's protobuf (whose parser refuses a
string field that is not UTF-8, as Java's and Go's do), none may be
`internal` (a producer resends those for ever), a bad msg_id is answered
`bad_msg_id` and a bad string `bad_utf8` naming its field, each rejection is
kept as a dead letter with its fields escaped, every event on PUB parses, the
log stays UTF-8 and the daemon keeps serving.
"""
import os
import random
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(__file__))
import sltest  # noqa: E402
from sltest import check, clue, envelope  # noqa: E402
from safeloop.v1 import envelope_pb2, handling_pb2  # noqa: E402
from google.protobuf import descriptor as pbd  # noqa: E402
import zmq  # noqa: E402

ACK = envelope_pb2.Ack
TOTAL = 1000
BAD = [b"\xff", b"\xc3\x28", b"\xe2\x82", b"\xed\xa0\x80", b"\xc0\xaf", b"\xf8\x88\x80\x80"]


def fill(msg, tokens, path="", depth=0):
    """Sets every string field under MSG (one element of each repeated one) to
    a unique 10-byte ASCII token; TOKENS maps token -> field path."""
    for f in msg.DESCRIPTOR.fields:
        if f.containing_oneof is not None and depth == 0 and f.containing_oneof.name == "body":
            continue
        name = (path + "." if path else "") + f.name
        repeated = f.label == pbd.FieldDescriptor.LABEL_REPEATED
        if f.type == pbd.FieldDescriptor.TYPE_STRING:
            tok = "Qz%06dZq" % len(tokens)
            tokens[tok] = name
            if repeated:
                getattr(msg, f.name).append(tok)
            else:
                setattr(msg, f.name, tok)
        elif f.type == pbd.FieldDescriptor.TYPE_MESSAGE and f.message_type.GetOptions().map_entry:
            key_f, val_f = f.message_type.fields_by_name["key"], f.message_type.fields_by_name["value"]
            key = 7 if key_f.type != pbd.FieldDescriptor.TYPE_STRING else "Qz%06dZq" % len(tokens)
            if isinstance(key, str):
                tokens[key] = name + ".key"
            m = getattr(msg, f.name)
            if val_f.type == pbd.FieldDescriptor.TYPE_STRING:
                tok = "Qz%06dZq" % len(tokens)
                tokens[tok] = name
                m[key] = tok
            elif val_f.type == pbd.FieldDescriptor.TYPE_MESSAGE:
                fill(m[key], tokens, name, depth + 1)
            else:
                m[key] = 1
        elif f.type == pbd.FieldDescriptor.TYPE_MESSAGE and depth < 4:
            if repeated:
                fill(getattr(msg, f.name).add(), tokens, name, depth + 1)
            else:
                fill(getattr(msg, f.name), tokens, name, depth + 1)


def bodies():
    """One envelope per body kind, every string field a token: [(bytes, {token: path})]."""
    out = []
    for field in envelope_pb2.Envelope.DESCRIPTOR.oneofs_by_name["body"].fields:
        e = envelope_pb2.Envelope(sent_at=int(time.time() * 1000))
        tokens = {}
        fill(e, tokens)  # msg_id, producer
        fill(getattr(e, field.name), tokens, "", 1)
        data = e.SerializeToString()
        # a oneof inside a body keeps only its last member: drop the others
        out.append((field.name, data, {t: p for t, p in tokens.items() if t.encode() in data}))
    return out


def realistic():
    """Envelopes as producers send them, to flip and cut."""
    rec = handling_pb2.Receipt(notice_no="（煤）移〔2026〕1号", from_unit="140728:emergency",
                               at=int(time.time() * 1000), receiver_name="李四")
    return [envelope(clue(reporter=("张三", "13800000000"))).SerializeToString(),
            envelope(clue(subject="某化工厂", sector=3)).SerializeToString(),
            envelope(rec).SerializeToString()]


def main():
    node = sltest.Node("bad-bytes")
    rng = random.Random(14)
    try:
        node.start()
        ctx = zmq.Context.instance()
        sub = ctx.socket(zmq.SUB)
        sub.setsockopt(zmq.SUBSCRIBE, b"")
        sub.setsockopt(zmq.RCVHWM, 100000)
        sub.connect(node.events)
        time.sleep(0.3)  # the subscription reaches the PUB socket
        req = sltest.Client(node.ipc, timeout_ms=20000)

        answers = {"parsed": 0, "unparsable": 0}
        statuses = {}
        failures = []

        def send(data, what):
            req.sock.send(data)
            raw = req.sock.recv()
            a = ACK()
            try:
                a.ParseFromString(raw)
            except Exception as e:  # the parser refused the answer
                answers["unparsable"] += 1
                failures.append("%s: answer does not parse (%s): %r" % (what, e, raw[:80]))
                return None
            answers["parsed"] += 1
            key = ACK.Status.Name(a.status) + (":" + a.error_code.split(":")[0]
                                               if a.error_code else "")
            statuses[key] = statuses.get(key, 0) + 1
            if a.error_code == "internal":
                failures.append("%s: answered internal: %s" % (what, a.error_text))
            return a

        # 1. Invalid UTF-8 in every string field of every body.
        sent = 0
        for body, data, tokens in bodies():
            for tok, path in tokens.items():
                bad = BAD[sent % len(BAD)]
                t = tok.encode()
                mutated = data.replace(t, bad + t[len(bad):], 1)
                a = send(mutated, "%s.%s" % (body, path))
                sent += 1
                if a is None:
                    continue
                want = "bad_msg_id" if path == "msg_id" else "bad_utf8"
                if a.status != ACK.REJECTED or a.error_code != want:
                    failures.append("%s.%s: %s %s (want %s)" % (
                        body, path, ACK.Status.Name(a.status), a.error_code, want))
                elif want == "bad_utf8" and path.split(".")[-1] not in a.error_text:
                    failures.append("%s.%s: error text does not name the field: %s" % (
                        body, path, a.error_text))
                if path == "msg_id" and a.msg_id != "":
                    failures.append("%s.msg_id: a bad msg_id was echoed: %r" % (body, a.msg_id))
        fields = sent
        print("invalid UTF-8 in %d string fields of %d bodies" % (fields, len(bodies())))
        check("no string field's bad bytes broke an answer", not failures,
              "\n".join(failures[:20]))

        # 2. Byte flips and truncations, up to TOTAL envelopes.
        pool = [d for _, d, _ in bodies()] + realistic()
        while sent < TOTAL:
            base = bytearray(rng.choice(pool))
            kind = rng.random()
            if kind < 0.45:
                for _ in range(rng.randint(1, 3)):
                    i = rng.randrange(len(base))
                    base[i] ^= 1 << rng.randrange(8)
                what = "flip"
            elif kind < 0.8:
                base = base[:rng.randrange(len(base))]
                what = "cut"
            else:
                i = rng.randrange(len(base))
                base[i:i + 1] = rng.choice(BAD)
                what = "splice"
            send(bytes(base), "%s #%d" % (what, sent))
            sent += 1
        print("answers: %s; by status: %s" % (answers, sorted(statuses.items())))
        check("every one of %d envelopes answered with an Ack that parses" % TOTAL,
              answers["parsed"] == TOTAL and answers["unparsable"] == 0, "\n".join(failures[:20]))
        check("none answered internal", statuses.get("REJECTED:internal", 0) == 0,
              "\n".join(failures[:20]))

        # 3. What is stored: each rejection a dead letter, its text fields UTF-8
        # (PostgreSQL would have refused anything else), bad msg_ids escaped.
        rejected = sum(v for k, v in statuses.items() if k.startswith("REJECTED"))
        check("each rejection kept as a dead letter", int(node.sql(
            "SELECT count(*) FROM dead_letter")) == rejected)
        check("a bad msg_id is stored escaped", int(node.sql(
            "SELECT count(*) FROM dead_letter WHERE error_code = 'bad_msg_id'"
            " AND msg_id LIKE '%\\x%'")) >= len(bodies()))
        check("a bad producer is stored escaped", int(node.sql(
            "SELECT count(*) FROM dead_letter WHERE producer LIKE '%\\x%'")) >= len(bodies()))

        # 4. Every event on PUB parses; the log is UTF-8; the daemon still serves.
        events = bad_events = 0
        while sub.poll(500):
            topic, payload = sub.recv_multipart()
            ev = envelope_pb2.Event()
            try:
                ev.ParseFromString(payload)
                topic.decode("utf-8")
                events += 1
            except Exception:
                bad_events += 1
        print("%d events received" % events)
        check("events received and every one parses", events > 0 and bad_events == 0,
              "%d did not parse" % bad_events)
        with open(node.logs[("intake", 1)], "rb") as f:
            log = f.read()
        try:
            log.decode("utf-8")
            utf8 = True
        except UnicodeDecodeError as e:
            utf8 = False
            print(e)
        check("the log is valid UTF-8", utf8)
        check("the rejections are logged", log.count(b"envelope rejected") >= rejected // 2)

        # Over TCP with CURVE (the demo producer may send clues): the same answer.
        c = sltest.Client(node.intake, node=node)
        e = envelope(clue()).SerializeToString()
        mid = e.find(b"-")
        a = c.send_raw(e[:mid] + b"\xff" + e[mid + 1:])
        check("over TCP: bad_msg_id, not echoed", a.status == ACK.REJECTED and
              a.error_code == "bad_msg_id" and a.msg_id == "", str(a))
        a = c.send(envelope(clue(), msg_id=str(uuid.uuid4())))
        check("still accepting", a.status == ACK.ACCEPTED, str(a))
        check("sl-intake still running", node.procs[("intake", 1)].poll() is None)
        c.close()
        req.close()
        sub.close()
    except BaseException:
        sltest.dump_logs(node)
        raise
    finally:
        node.close()


if __name__ == "__main__":
    main()
