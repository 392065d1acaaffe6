"""test_dispatch.py — transfers through the real sl-intake, sl-dispatch and slctl.

A case is submitted, put on a transfer list and transferred with its notice
number and deadlines (SL_NOW pinned: 2022-01-28 across Spring Festival,
2021-09-30 across National Day, an ordinary week), announced until it is
signed for, received, reported on and fed back with a sign-off; the history
shows each step and who did it. Objections accepted (re-transfer with a new
number and deadlines) and rejected (deadlines stand). Refusals — feedback
without sign-off, feedback on a closed transfer, an objection after its
window, a receipt for an unknown transfer — each with its own code and no
change. Two dispatchers, and `slctl dispatch now` twice at once: gap-free
numbers, no case issued twice. A calendar imported while sl-dispatch runs.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import pytest  # noqa: E402
import sltest  # noqa: E402
from sltest import check, clue, envelope, wait_for  # noqa: E402
from safeloop.v1 import envelope_pb2, handling_pb2  # noqa: E402
import zmq  # noqa: E402

ACK = envelope_pb2.Ack
T0 = "2022-01-28T09:00:00+08:00"


def env_at(now):
    e = dict(os.environ)
    e["SL_NOW"] = now
    return e


def submit(node, subject, now=T0, **kw):
    args = ["submit", "--subject", subject, "--division", "140728", "--sector", "煤"]
    for k, v in kw.items():
        args += ["--" + k.replace("_", "-"), v]
    r = node.slctl(*args, env=env_at(now))
    return r.stdout.split("\t")[1]


def transfers(node, case_no):
    """The transfer lines of CASE_NO, as lists of 8 fields."""
    out = node.slctl("transfer", "list", "--case", case_no).stdout
    return [l.split("\t") for l in out.splitlines() if l]


def wait_transfer(node, case_no, n=1):
    return wait_for("transfer of " + case_no, lambda: len(transfers(node, case_no)) >= n and
                    transfers(node, case_no), timeout=20)


def answer(node, kind, notice, *args, now=T0, check_rc=True):
    r = node.slctl("transfer", kind, notice, "--operator", "值班员甲", *args, env=env_at(now),
                   check=False)
    if check_rc and r.returncode != 0:
        raise AssertionError("slctl transfer %s failed (%d): %s%s" % (kind, r.returncode,
                                                                    r.stdout, r.stderr))
    return r


def snapshot(node):
    # every transfer column but the announcement stamps that sl-dispatch moves each scan
    return node.sql("SELECT string_agg((to_jsonb(t) - 'announced_at' - 'announce_count')::text,"
                    " '|' ORDER BY id) FROM transfer t") + \
        node.sql("SELECT count(*) FROM case_event") + \
        node.sql("SELECT string_agg(status || unit_code, ',' ORDER BY id) FROM cases")


def refused(node, name, code, kind, notice, *args, now=T0):
    before = snapshot(node)
    dead = int(node.sql("SELECT count(*) FROM dead_letter"))
    r = answer(node, kind, notice, *args, now=now, check_rc=False)
    check("refused: " + name, r.returncode == 3 and ("rejected: %s:" % code) in r.stderr,
          r.stdout + r.stderr)
    check("refused changes nothing: " + name, snapshot(node) == before)
    check("refused is a dead letter: " + name,
          int(node.sql("SELECT count(*) FROM dead_letter")) == dead + 1)


FEEDBACK = ["--nature", "非法违法生产经营", "--suspended", "--penalized", "--penalty-fen",
            "5000000", "--hazard-rectified", "--interviews", "2", "--result", "已责令停产整顿并罚款5万元",
            "--rectified"]
SIGNOFF = ["--leader", "王县长", "--leader-title", "县长"]


@pytest.fixture(scope="module")
def node(nodes):
    n = nodes.node("dispatch", dispatch_ini="interval_days = 0\nannounce_again_seconds = 5\n")
    n.start("intake", env=env_at(T0))
    n.start("dispatch", env=env_at(T0))
    return n


@pytest.fixture(scope="module")
def node2(nodes):
    return nodes.node("dispatch2")


def test_transfer_issued_announced_and_printable(node, state):
    """A case is put on a list and transferred with its notice number and
    deadlines, announced on the bus until signed for, and printable."""
    sub = zmq.Context.instance().socket(zmq.SUB)
    sub.setsockopt(zmq.SUBSCRIBE, b"transfer.issued")
    sub.setsockopt(zmq.RCVTIMEO, 15000)
    sub.connect(node.dispatch_events)
    case1 = submit(node, "平遥县甲煤业有限公司", description="井下违规作业")
    t = wait_transfer(node, case1)[0]
    notice = t[0]
    check("notice number form", notice == "（煤）移〔2022〕1号", notice)
    check("transfer line: unit, state, dates, no warning",
          t[1:] == [case1, "140728:emergency", "issued", "2022-01-28", "2022-01-30", "2022-02-11",
                    ""], str(t))
    check("case status transferred", node.sql(
        "SELECT status FROM cases WHERE case_no = '%s'" % case1) == "transferred")
    check("one list with the number", node.sql(
        "SELECT list_no || ':' || items FROM transfer_list") == "交办清单〔2022〕第1期:1")
    frames = sub.recv_multipart()
    ev = envelope_pb2.Event()
    ev.ParseFromString(frames[1])
    check("transfer.issued event carries the notice", frames[0] == b"transfer.issued" and
          notice in ev.json and ev.case_no == case1 and "交办（移送）书" in ev.json, ev.json[:200])
    scans = node.metric(node.dispatch_http_port, "sl_dispatch_scans_total")
    wait_for("two more scans", lambda: node.metric(node.dispatch_http_port,
                                                   "sl_dispatch_scans_total") >= scans + 2)
    check("not announced again on every scan", node.sql(
        "SELECT announce_count FROM transfer WHERE notice_no = '%s'" % notice) == "1")
    wait_for("announced again after announce_again_seconds", lambda: int(node.sql(
        "SELECT announce_count FROM transfer WHERE notice_no = '%s'" % notice)) >= 2, timeout=20)
    html = node.slctl("transfer", "show", notice, "--html").stdout
    check("notice HTML (annex 3)", html.startswith("<!DOCTYPE html>") and notice in html and
          "平遥县应急管理局：" in html and "2022年2月11日" in html and "2022年1月30日" in html and
          "@media print" in html and "平遥县甲煤业有限公司" in html, html[:300])
    sub.close()
    state.case1, state.notice = case1, notice


def test_receipt_ends_the_announcements(node, state):
    case1, notice = state.case1, state.notice
    r = answer(node, "receipt", notice, "--receiver", "李科长")
    st, cno, ref, _ = r.stdout.strip().split("\t")
    check("receipt accepted with case and notice", st == "accepted" and cno == case1 and
          ref == notice, r.stdout)
    check("received", transfers(node, case1)[0][3] == "received")
    count = node.sql("SELECT announce_count FROM transfer WHERE notice_no = '%s'" % notice)
    scans = node.metric(node.dispatch_http_port, "sl_dispatch_scans_total")
    wait_for("two more scans", lambda: node.metric(node.dispatch_http_port,
                                                   "sl_dispatch_scans_total") >= scans + 2)
    check("no more announcements once received", node.sql(
        "SELECT announce_count FROM transfer WHERE notice_no = '%s'" % notice) == count)
    refused(node, "receipt twice", "wrong_state", "receipt", notice)


def test_progress_then_feedback_with_sign_off(node, state):
    case1, notice = state.case1, state.notice
    answer(node, "progress", notice, "--text", "已派员现场核查，责令停产")
    check("in progress", transfers(node, case1)[0][3] == "in_progress")
    refused(node, "feedback without sign-off", "missing_signoff", "feedback", notice, *FEEDBACK)
    refused(node, "sign-off without title", "missing_signoff", "feedback", notice, *FEEDBACK,
            "--leader", "王县长")
    answer(node, "feedback", notice, *FEEDBACK, *SIGNOFF)
    check("fed back", transfers(node, case1)[0][3] == "fed_back" and node.sql(
        "SELECT status FROM cases WHERE case_no = '%s'" % case1) == "fed_back")
    fb = node.sql("SELECT feedback FROM transfer WHERE notice_no = '%s'" % notice)
    check("feedback keeps the ten items and sign-off", '"penalty_fen":5000000' in fb and
          '"leader_name":"王县长"' in fb and '"production_suspended":true' in fb, fb)


def test_history_names_each_step_and_actor(node, state):
    case1, notice = state.case1, state.notice
    show = node.slctl("case", "show", case1).stdout
    hist = [l.split("\t") for l in show.split("历史\n")[1].splitlines()]
    kinds = [h[2] for h in hist]
    # ordered to stop (停产整顿): under 挂牌督办 from the feedback (measure ③, issue 16)
    check("history in order", kinds == ["登记", "交办", "签收", "报告进展", "反馈办理结果",
                                        "挂牌督办"],
          str(kinds))
    check("history says who", hist[1][3] == "key=sl-dispatch" and hist[1][4] == "unit=140728" and
          all(h[4] == "unit=140728:emergency" and h[5] == "operator=值班员甲" and
              h[6] != "msg_id=-" for h in hist[2:]), show)
    tshow = node.slctl("transfer", "show", notice).stdout
    check("transfer show with history", "已反馈" in tshow and "反馈办理结果" in tshow and
          "签收" in tshow and "王县长" in tshow, tshow)


def test_objection_stops_the_handling(node, state):
    """An objection (later accepted, below): the transfer waits for the decision."""
    case2 = submit(node, "平遥县乙煤业有限公司")
    old = wait_transfer(node, case2)[0][0]
    answer(node, "objection", old, "--reason", "该矿民爆物品管理归公安机关", "--suggest",
           "140728:police")
    check("objected", transfers(node, case2)[0][3] == "objected")
    refused(node, "progress while objected", "wrong_state", "progress", old, "--text", "x")
    state.case2, state.old = case2, old


def test_objection_rejected_deadlines_stand(node):
    case3 = submit(node, "平遥县丙煤业有限公司")
    n3 = wait_transfer(node, case3)[0][0]
    answer(node, "receipt", n3)
    answer(node, "objection", n3, "--reason", "不属本单位职责")
    before = transfers(node, case3)[0]
    refused(node, "accept without a unit", "missing_field:to_unit", "decide", n3, "--accept",
            "--reason", "x")
    node.slctl("transfer", "decide", n3, "--reject", "--reason", "属于本单位监管范围",
               env=env_at(T0))
    after = transfers(node, case3)[0]
    check("rejected: transfer continues, deadlines stand", after[3] == "received" and
          after[4:7] == before[4:7] and len(transfers(node, case3)) == 1, str(after))


def test_objection_after_its_window_refused(node, state):
    """Intake restarted two weeks later (the next tests run on that day too,
    until test_intake_back_on_the_first_day)."""
    case4 = submit(node, "平遥县丁煤业有限公司")
    n4 = wait_transfer(node, case4)[0][0]
    check("exit 0 on SIGTERM", node.stop("intake") == 0)
    node.start("intake", env=env_at("2022-02-08T09:00:00+08:00"))
    refused(node, "objection after the window", "objection_window_closed", "objection", n4,
            "--reason", "迟到的异议")
    state.case4, state.n4 = case4, n4


def test_objection_accepted_transfers_anew_from_the_decision_day(node, state):
    """The decision on case 2's objection, taken that later day."""
    case2, old = state.case2, state.old
    later = "2022-02-08T10:00:00+08:00"
    r = node.slctl("transfer", "decide", old, "--accept", "--reason", "异议成立",
                   "--operator", "办公室主任", env=env_at(later))
    st, cno, new, _ = r.stdout.strip().split("\t")
    rows = transfers(node, case2)
    check("accepted: old closed, new transfer", len(rows) == 2 and rows[0][3] == "closed" and
          rows[1][0] == new and new != old and rows[1][2] == "140728:police" and
          rows[1][3] == "issued", str(rows))
    check("accepted: new deadlines from the decision's day",
          rows[1][4:7] == ["2022-02-08", "2022-02-10", "2022-02-17"], str(rows[1]))
    check("accepted: case reassigned", node.sql(
        "SELECT status || ' ' || unit_code FROM cases WHERE case_no = '%s'" % case2) ==
        "transferred 140728:police")
    state.new = new


def test_refusals_change_nothing(node, state):
    old, n4 = state.old, state.n4
    refused(node, "feedback on a closed transfer", "wrong_state:closed", "feedback", old,
            *FEEDBACK, *SIGNOFF, "--from", "140728:emergency")
    refused(node, "receipt for an unknown transfer", "unknown_transfer", "receipt",
            "（煤）移〔2022〕999号", "--from", "140728:emergency")
    refused(node, "answer from another unit", "wrong_origin", "receipt", n4, "--from",
            "140728:police")


def test_unit_not_looked_up_sends_nothing(node, state):
    """slctl answers on the unit's behalf: when the transfer's unit cannot be
    read (here slctl's role loses SELECT on transfer; in a fault run, the
    database restarting), it sends nothing and says so (exit 1), instead of
    a guessed unit that intake would refuse wrong_origin as a dead letter."""
    n4 = state.n4
    before = snapshot(node)
    dead = node.sql("SELECT count(*) FROM dead_letter")
    role = "sl_%s_ctl" % node.code
    node.sql("REVOKE SELECT ON transfer FROM %s" % role)
    try:
        r = answer(node, "receipt", n4, check_rc=False)
    finally:
        node.sql("GRANT SELECT ON transfer TO %s" % role)
    check("exit 1, naming the lookup", r.returncode == 1 and
          "could not look up the unit of notice" in r.stderr, r.stdout + r.stderr)
    check("nothing changed", snapshot(node) == before)
    check("no dead letter", node.sql("SELECT count(*) FROM dead_letter") == dead)


def test_department_system_answers_over_the_wire(node, state):
    """The department's own system over the wire (CURVE, its unit's key)."""
    case4, n4, new = state.case4, state.n4, state.new
    c = sltest.Client(node.intake, node=node, keydir=node.dept_dir)
    rc = handling_pb2.Receipt(notice_no=n4, from_unit="140728:emergency",
                              at=1644282000000)
    e = envelope(rc)
    a = c.send(e)
    check("receipt over the wire", a.status == ACK.ACCEPTED and a.ref == n4 and
          a.case_no == case4, str(a))
    a2 = c.send(e)
    check("resend is a duplicate with the same result", a2.status == ACK.DUPLICATE and
          a2.ref == n4 and a2.case_no == case4, str(a2))
    a3 = c.send(envelope(rc))
    check("a second receipt is a typed refusal", a3.status == ACK.REJECTED and
          a3.error_code == "wrong_state:received", str(a3))
    # the emergency department's key, answering a transfer addressed to the police
    fb = handling_pb2.Feedback(notice_no=new, from_unit="140728:emergency",
                               violation_nature="x", at=1644282000000)
    fb.sign_off.leader_name, fb.sign_off.leader_title, fb.sign_off.signed_at = "甲", "局长", 1
    state_before = node.sql("SELECT state FROM transfer WHERE notice_no = '%s'" % new)
    a4 = c.send(envelope(fb))
    check("a producer's feedback for another unit's transfer: wrong_origin",
          a4.status == ACK.REJECTED and a4.error_code == "wrong_origin", str(a4))
    check("... and nothing changed", node.sql(
        "SELECT state FROM transfer WHERE notice_no = '%s'" % new) == state_before)
    c.close()


def test_intake_back_on_the_first_day(node):
    node.stop("intake")
    node.start("intake", env=env_at(T0))


def two_dispatchers(node):
    node.stop("dispatch")
    node.start("dispatch", env=env_at(T0))
    node.start("dispatch", 2, env=env_at(T0))
    c = sltest.Client(node.intake, node=node)
    cases = [c.send(envelope(clue(subject="并发测试煤矿%d号" % i))).case_no for i in range(12)]
    c.close()
    for cn in cases:
        wait_transfer(node, cn)
    node.stop("dispatch", 2)
    node.stop("dispatch")
    # slctl dispatch now, twice at once, without a daemon
    c = sltest.Client(node.intake, node=node)
    more = [c.send(envelope(clue(subject="手动交办煤矿%d号" % i))).case_no for i in range(5)]
    c.close()
    cmd = [os.path.join(sltest.SL_BIN, "slctl"), "-c", node.ini, "dispatch", "now"]
    ps = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           env=env_at(T0)) for _ in range(2)]
    outs = [p.communicate(timeout=60) for p in ps]
    check("dispatch now twice: both exit 0", all(p.returncode == 0 for p in ps), str(outs))
    lines = [o[0].strip() for o in outs if o[0].strip()]
    check("dispatch now twice: one list with every case", len(lines) == 1 and
          lines[0].endswith("\t5"), str(outs))
    for cn in cases + more:
        check("issued once: " + cn, node.sql(
            "SELECT count(*) FROM transfer t JOIN cases c ON c.id = t.case_id"
            " WHERE c.case_no = '%s'" % cn) == "1")
    seqs = node.sql("SELECT string_agg(seq::text, ',' ORDER BY seq) FROM transfer"
                    " WHERE year = 2022 AND sector = 1").split(",")
    check("notice numbers gap-free", [int(s) for s in seqs] == list(range(1, len(seqs) + 1)),
          str(seqs))
    lseq = node.sql("SELECT string_agg(seq::text, ',' ORDER BY seq) FROM transfer_list").split(",")
    check("list numbers gap-free", [int(s) for s in lseq] == list(range(1, len(lseq) + 1)))
    node.start("dispatch", env=env_at(T0))


def calendars(node):
    """Other dates on a second node, and a calendar imported while sl-dispatch runs."""
    node.start("intake", env=env_at("2021-09-30T09:00:00+08:00"))
    for now, want in [("2021-09-30T09:00:00+08:00", ["2021-09-30", "2021-10-09", "2021-10-15"]),
                      ("2022-03-15T09:00:00+08:00", ["2022-03-15", "2022-03-17", "2022-03-24"])]:
        cn = submit(node, "日期测试煤矿" + now[:10], now=now)
        r = node.slctl("dispatch", "now", env=env_at(now))
        check("dispatch now without a daemon", r.stdout.endswith("\t1\n"), r.stdout + r.stderr)
        t = transfers(node, cn)[0]
        check("deadlines on " + now[:10], t[4:7] == want and t[7] == "", str(t))
    # 2027 has no notice yet
    y = "2027-09-30T09:00:00+08:00"
    node.start("dispatch", env=env_at(y))
    cn = submit(node, "日历测试煤矿", now=y)
    t = wait_transfer(node, cn)[0]
    check("weekends only, with a warning naming 2027",
          t[4:7] == ["2027-09-30", "2027-10-04", "2027-10-11"] and "2027" in t[7] and
          "calendar import" in t[7], str(t))
    csv = os.path.join(node.dir, "2027.csv")
    with open(csv, "w") as f:
        f.write("date,kind,name\n2027-09-26,workday,National Day\n")
        for d in range(1, 8):
            f.write("2027-10-%02d,holiday,National Day\n" % d)
        f.write("2027-10-09,workday,National Day\n")
    node.slctl("calendar", "import", csv, "--year", "2027")
    wait_for("deadlines recomputed without a restart", lambda: transfers(node, cn)[0][5:] ==
             ["2027-10-09", "2027-10-15", ""], timeout=20)
    cn2 = submit(node, "日历测试煤矿二号", now=y)
    t2 = wait_transfer(node, cn2)[0]
    check("a new transfer uses the imported year", t2[5:] == ["2027-10-09", "2027-10-15", ""],
          str(t2))
    check("recompute audited", node.sql(
        "SELECT count(*) FROM case_event e JOIN cases c ON c.id = e.case_id WHERE"
        " c.case_no = '%s' AND e.kind = 'deadlines_recomputed'" % cn) == "1")


def test_two_dispatchers(node):
    two_dispatchers(node)


def test_audit_chains_intact(node):
    sltest.check_audit(node)


def test_dispatch_exits_0_on_sigterm(node):
    check("dispatch exits 0 on SIGTERM", node.stop("dispatch") == 0)


def test_calendars(node2):
    calendars(node2)


def test_audit_chains_intact_calendars(node2):
    sltest.check_audit(node2)


def test_daemons_exit_0_on_sigterm_calendars(node2):
    check("daemons exit 0 on SIGTERM (2)", node2.stop("dispatch") == 0 and
          node2.stop("intake") == 0)
