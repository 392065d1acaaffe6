"""test_intake.py — sl-intake through its real sockets, database and files.

Submit and resend (ACCEPTED then DUPLICATE with the same number), every kind
of malformed input (typed rejection, dead letter, still serving), repeat
linking, a restart between submit and resend, reporter privacy in pg_dump,
slctl submit / case show / case list / --reveal, and the audit chain.
"""
import os
import subprocess
import sys
import types
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import pytest  # noqa: E402
import sltest  # noqa: E402
from sltest import check, clue, envelope  # noqa: E402
from safeloop.v1 import clue_pb2, envelope_pb2  # noqa: E402
import zmq  # noqa: E402

ACK = envelope_pb2.Ack




@pytest.fixture(scope="module")
def node(nodes):
    n = nodes.node("intake")
    n.start()
    return n


@pytest.fixture(scope="module")
def c(node):
    """The module's REQ client (CURVE, the demo producer); reopened after a restart."""
    holder = types.SimpleNamespace(c=sltest.Client(node.intake, node=node))
    yield holder
    holder.c.close()


def test_accepted_then_duplicate(node, c, state):
    """A Python producer over REQ: ACCEPTED with a case number, then DUPLICATE."""
    env = envelope(clue(reporter=("张三丰", "13912345678")))
    a1 = c.c.send(env)
    state.a1 = a1
    check("accepted", a1.status == ACK.ACCEPTED, str(a1))
    check("case number form", a1.case_no.startswith("140728-") and "-煤-" in a1.case_no,
          a1.case_no)
    a2 = c.c.send(env)
    check("duplicate", a2.status == ACK.DUPLICATE, str(a2))
    check("duplicate carries the same number", a2.case_no == a1.case_no)
    check("one case row", node.sql("SELECT count(*) FROM cases") == "1")
    check("responsible unit is the lead department",
          node.sql("SELECT unit_code FROM cases") == "140728:emergency")


def test_copies_in_one_batch(node):
    """Copies of one envelope arriving together (one batch, most likely): the
    first is registered, the others answer DUPLICATE with its number."""
    d = zmq.Context.instance().socket(zmq.DEALER)
    d.setsockopt(zmq.LINGER, 0)
    d.connect(node.ipc)
    twin = envelope(clue(subject="平遥县双份煤业有限公司", reporter=("李四", "13800000001")))
    others = [envelope(clue(subject="平遥县同批%02d煤业有限公司" % i)) for i in range(20)]
    burst = others[:10] + [twin, twin] + others[10:] + [twin]
    for e in burst:
        d.send_multipart([b"", e.SerializeToString()])
    acks = []
    for _ in burst:
        check("an ack for every copy", d.poll(10000) != 0)
        a = ACK()
        a.ParseFromString(d.recv_multipart()[-1])
        acks.append(a)
    d.close()
    tw = [a for a in acks if a.msg_id == twin.msg_id]
    check("three answers for the three copies", len(tw) == 3, str(tw))
    check("one copy accepted, two duplicates",
          sorted(ACK.Status.Name(a.status) for a in tw)
          == ["ACCEPTED", "DUPLICATE", "DUPLICATE"], str(tw))
    check("the duplicates carry the accepted number",
          len({a.case_no for a in tw}) == 1 and tw[0].case_no, str(tw))
    check("one case for the copies", node.sql(
        "SELECT count(*) FROM cases WHERE subject_name = '平遥县双份煤业有限公司'") == "1")
    check("the others registered once each", node.sql(
        "SELECT count(*) FROM cases WHERE subject_name LIKE '平遥县同批%'") == "20")
    check("one inbox row for the copies", node.sql(
        "SELECT count(*) FROM inbox WHERE msg_id = '%s'" % twin.msg_id) == "1")
    # found inside the batch, not by the inbox's unique key failing the
    # batch (which would also end in one row, after a rollback and retries)
    check("copies found in the batch, no batch rolled back",
          "rolled back" not in node.log(), node.log()[-2000:])


def test_copies_across_batches(node):
    """A burst of 1,100 clues and then copies of its first 60 (a producer
    resending while its batch is in the database): the copies land in the
    batches after the first (batch_max 1,024). Each copy answers DUPLICATE
    with its original's number, found by its batch's own msg_id look-up, and
    no batch is rolled back on the inbox's unique key for it."""
    d = zmq.Context.instance().socket(zmq.DEALER)
    d.setsockopt(zmq.LINGER, 0)
    d.setsockopt(zmq.SNDHWM, 0)
    d.setsockopt(zmq.RCVHWM, 0)
    d.connect(node.ipc)
    firsts = [envelope(clue(subject="平遥县跨批%04d煤业有限公司" % i)) for i in range(1100)]
    burst = firsts + firsts[:60]
    for e in burst:
        d.send_multipart([b"", e.SerializeToString()])
    acks = {}
    for _ in burst:
        check("an ack for every envelope", d.poll(20000) != 0)
        a = ACK()
        a.ParseFromString(d.recv_multipart()[-1])
        acks.setdefault(a.msg_id, []).append(a)
    d.close()
    for e in firsts[:60]:
        got = sorted(ACK.Status.Name(a.status) for a in acks[e.msg_id])
        check("a copy answers DUPLICATE with its original's number",
              got == ["ACCEPTED", "DUPLICATE"] and len({a.case_no for a in acks[e.msg_id]}) == 1,
              str(acks[e.msg_id]))
    check("1100 cases", node.sql(
        "SELECT count(*) FROM cases WHERE subject_name LIKE '平遥县跨批%'") == "1100")
    check("no batch rolled back for a copy", "rolled back" not in node.log(),
          node.log()[-2000:])


GOOD = envelope(clue()).SerializeToString()
MALFORMED = [
    ("truncated", GOOD[: len(GOOD) // 2], "bad_protobuf"),
    ("garbage", b"\x07\xff\x00garbage\x13\x37" * 10, "bad_protobuf"),
    ("empty frame", b"", "empty_frame"),
    ("invalid utf-8", envelope(clue(subject="XXXX公司")).SerializeToString().replace(
        b"XXXX", b"\xff\xfe\xfd\xfc"), "bad_utf8"),
    ("missing subject", envelope(clue(subject="  ")).SerializeToString(),
     "missing_field:subject.name"),
    ("unknown sector", envelope(clue(sector=0)).SerializeToString(), "unknown_sector"),
    ("unknown division", envelope(clue(division="999999")).SerializeToString(),
     "unknown_division"),
    ("bad violation", envelope(clue(violations=[13])).SerializeToString(), "unknown_violation"),
    ("no body", envelope().SerializeToString(), "unknown_body"),
    ("too large", envelope(clue(description="x" * (10 * 1024 * 1024))).SerializeToString(),
     "too_large"),
]


@pytest.mark.parametrize("name,data,code", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_rejected(c, name, data, code):
    a = c.c.send_raw(data)
    check("rejected: " + name, a.status == ACK.REJECTED and a.error_code == code,
          "got %s %s" % (ACK.Status.Name(a.status), a.error_code))


def test_frame_shapes(node):
    """A DEALER's bare [Envelope] is answered [Ack], the REQ-compatible
    [empty][Envelope] is answered [empty][Ack]; other shapes are bad_frames."""
    d = sltest.curve(sltest.zmq.Context.instance().socket(zmq.DEALER), node)
    d.setsockopt(zmq.RCVTIMEO, 10000)
    d.connect(node.intake)

    def answer(frames):
        d.send_multipart(frames)
        got = d.recv_multipart()
        a = ACK()
        a.ParseFromString(got[-1])
        return got, a

    env = sltest.envelope(sltest.clue(subject="一帧报文测试企业有限公司"))
    got, a = answer([env.SerializeToString()])
    check("bare form: one-frame ack", len(got) == 1, repr(got))
    check("bare form: accepted", a.status == ACK.ACCEPTED and a.msg_id == env.msg_id, str(a))
    got, a = answer([b"", env.SerializeToString()])
    check("REQ form: [empty][Ack]", len(got) == 2 and got[0] == b"", repr(got))
    check("REQ form: the same envelope again is a duplicate", a.status == ACK.DUPLICATE, str(a))
    got, a = answer([b"", GOOD, b"extra"])
    check("rejected: extra frames", a.error_code == "bad_frames" and len(got) == 2, str(a))
    got, a = answer([b"x", GOOD])
    check("rejected: a first frame that is not empty", a.error_code == "bad_frames", str(a))
    got, a = answer([b""])
    check("rejected: an empty bare frame", a.error_code == "empty_frame" and len(got) == 1, str(a))
    d.close()


def test_rejections_are_dead_letters(node):
    """Every rejection above (run before this, in file order) is a dead letter."""
    cases = MALFORMED
    n_dead = int(node.sql("SELECT count(*) FROM dead_letter"))
    check("every rejection is a dead letter", n_dead == len(cases) + 3, str(n_dead))
    codes = node.sql("SELECT string_agg(DISTINCT error_code, ',' ORDER BY error_code) "
                     "FROM dead_letter")
    check("dead letters keep the codes", "unknown_division" in codes and "too_large" in codes,
          codes)


def test_still_serving_after_rejections(c):
    c = c.c
    a = c.send(envelope(clue(subject="另一家公司")))
    check("still serving after rejections", a.status == ACK.ACCEPTED, str(a))
    rej = envelope(clue(sector=0))
    c.send(rej)
    rej.clue.sector = clue_pb2.COAL_MINE
    rej.clue.subject.name = "第三家公司"
    a = c.send(rej)
    check("a rejected msg_id is not used up", a.status == ACK.ACCEPTED, str(a))


def test_repeat_reports_linked(node, c, state):
    """Repeat reports (反复举报): same subject, county and sector, while open."""
    c, a1 = c.c, state.a1
    r1 = c.send(envelope(clue(subject=" 平遥县 某某煤业有限公司 ")))
    check("repeat linked to the open case", r1.case_no == a1.case_no and
          r1.status == ACK.ACCEPTED, str(r1))
    r2 = c.send(envelope(clue(subject="平遥县某某煤业有限公司", sector=clue_pb2.METALLURGY)))
    check("another sector is another case", r2.case_no != a1.case_no, str(r2))
    cc1 = c.send(envelope(clue(subject="甲公司", credit="91140728MA0XXXXX1A")))
    cc2 = c.send(envelope(clue(subject="甲公司（改名）", credit="91140728ma0xxxxx1a")))
    check("credit code decides", cc1.case_no == cc2.case_no, "%s %s" % (cc1, cc2))
    check("repeat counted", node.sql("SELECT repeat_count FROM cases WHERE case_no = '%s'"
                                     % a1.case_no) == "1")


def test_outside_the_territory_forwarded(node, c):
    c = c.c
    fwd = c.send(envelope(clue(division="140781")))
    check("outside the territory: forwarded", fwd.status == ACK.ACCEPTED and
          fwd.ref == "forwarded:140700" and fwd.case_no == "", str(fwd))
    check("forward waits in the outbox",
          node.sql("SELECT count(*) FROM outbox WHERE peer = '140700'") == "1")


def test_duplicate_across_a_restart(node, c):
    env4 = envelope(clue(subject="重启测试公司"))
    a4 = c.c.send(env4)
    check("exit 0 on SIGTERM", node.stop() == 0)
    node.start()
    c.c.close()
    c.c = sltest.Client(node.intake, node=node)
    a5 = c.c.send(env4)
    check("duplicate across a restart", a5.status == ACK.DUPLICATE and
          a5.case_no == a4.case_no, str(a5))


def test_slctl_submit(node, state):
    r = node.slctl("submit", "--subject", "王家庄非法小煤窑", "--division", "140728",
                   "--sector", "煤", "--channel", "letter", "--reporter-name", "李四光",
                   "--reporter-phone", "13800001111", "--violation", "1",
                   "--description", "夜间偷采")
    status, case_no, ref, msg_id = r.stdout.strip().split("\t")
    check("slctl submit accepted", status == "accepted" and case_no.startswith("140728-"),
          r.stdout)
    r = node.slctl("submit", "--subject", "王家庄非法小煤窑", "--division", "140728",
                   "--sector", "COAL_MINE", "--msg-id", msg_id)
    check("slctl resend is duplicate", r.stdout.startswith("duplicate\t" + case_no), r.stdout)
    r = node.slctl("submit", "--subject", "无领域", "--division", "140728", "--sector", "99",
                   check=False)
    check("slctl bad sector exits 2", r.returncode == 2, r.stderr)
    r = node.slctl("submit", "--subject", "某公司", "--division", "990000", "--sector", "煤",
                   check=False)
    check("slctl rejected exits 3 with the code", r.returncode == 3 and
          "unknown_division" in r.stderr, r.stderr)
    state.case_no = case_no


def test_case_list_and_show(node, state):
    case_no = state.case_no
    lines = node.slctl("case", "list").stdout.strip().split("\n")
    check("case list one line per case", len(lines) == int(node.sql(
        "SELECT count(*) FROM cases")), str(lines))
    check("case list fields", any(l.split("\t")[0] == case_no and "COAL_MINE" in l
                                  for l in lines), str(lines))
    show = node.slctl("case", "show", case_no).stdout
    check("case show history", "\t登记\t" in show and "王家庄非法小煤窑" in show, show)
    check("case show hides the reporter", "李四光" not in show and "13800001111" not in show)


def test_reveal(node, state):
    case_no = state.case_no
    rev = node.slctl("case", "show", case_no, "--reveal", "--key",
                     os.path.join(node.dir, "keys/seal.key"), "--operator", "审计员甲").stdout
    check("reveal opens the reporter", "李四光" in rev and "13800001111" in rev, rev)
    check("reveal is recorded on the chain", node.sql(
        "SELECT count(*) FROM case_event e JOIN cases c ON c.id = e.case_id WHERE "
        "c.case_no = '%s' AND e.kind = 'reporter_revealed' AND e.operator = '审计员甲'"
        % case_no) == "1")
    other = os.path.join(node.dir, "otherkeys")
    subprocess.run([os.path.join(sltest.SL_BIN, "slctl"), "keys", "gen", "--dir", other],
                   check=True, capture_output=True)
    r = node.slctl("case", "show", case_no, "--reveal", "--key",
                   os.path.join(other, "seal.key"), check=False)
    check("a wrong key opens nothing", r.returncode == 1 and "李四光" not in r.stdout,
          r.stdout + r.stderr)


def test_audit_chain_intact(node):
    sltest.check_audit(node)


def test_no_reporter_in_pg_dump(node):
    """No reporter data in a dump of the node, as text or as hex."""
    dump = subprocess.run(["pg_dump", "-h", sltest.PG["SL_PG_HOST"], "-p",
                           sltest.PG["SL_PG_PORT"], "-U", "postgres", node.dbname],
                          capture_output=True, check=True).stdout
    for secret in ["张三丰", "13912345678", "李四光", "13800001111"]:
        b = secret.encode()
        check("pg_dump has no " + secret, b not in dump and b.hex().encode() not in dump)


def test_metrics_and_healthz(node):
    text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % node.http_port,
                                  timeout=10).read().decode()
    check("metrics: accepted counted", 'sl_intake_envelopes_total{status="accepted"}' in text,
          text[:500])
    check("healthz ok", urllib.request.urlopen("http://127.0.0.1:%d/healthz" % node.http_port,
                                               timeout=10).status == 200)


def test_exit_0_on_sigterm(node):
    check("exit 0 on SIGTERM at the end", node.stop() == 0)
