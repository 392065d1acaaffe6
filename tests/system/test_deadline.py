"""test_deadline.py — sl-deadline with the clock moved forward.

A county node (140728) and its city (140700), real daemons, SL_NOW pinned and
moved by restarting sl-deadline with later values. At the county, a transfer
to its emergency department left without feedback stands accepted when the
objection window closes, is reminded the working day before its deadline,
then marked overdue and escalated exactly once — with sl-deadline SIGKILLed
and restarted in between — as an Escalation envelope to the parent in the
outbox; that envelope, sent to the city's intake with the county's key,
becomes a verification case there, linked to the county's case and notice. A
received transfer with no progress for 3 working days is flagged 接而不办 and
escalated. At the city, a transfer to the child node 140728 that runs overdue
becomes a verification case at the city itself, linked to the original. A
weekly report received before Monday 10:00 is not listed as missing; the
units that sent none are, and are noted once (report_missing); a weekly
report with fewer than 2 negative typical cases is refused with its code.
"""
import json
import os
import shutil
import sys
import tempfile
import types

sys.path.insert(0, os.path.dirname(__file__))
import pytest  # noqa: E402
import sltest  # noqa: E402
from sltest import check, wait_for  # noqa: E402
from safeloop.v1 import envelope_pb2  # noqa: E402

ACK = envelope_pb2.Ack
T0 = "2022-01-04T09:00:00+08:00"  # Tuesday: transfers on 01-04, feedback by 01-13


def env_at(now):
    e = dict(os.environ)
    e["SL_NOW"] = now
    return e


def deadline_ini():
    port = sltest.free_port()
    return port, """[deadline]
events = tcp://127.0.0.1:%d
http = 127.0.0.1:%d
tick_seconds = 1
not_handled_days = 3
""" % (sltest.free_port(), port)


def submit(node, subject, division, now=T0):
    r = node.slctl("submit", "--subject", subject, "--division", division, "--sector", "煤",
                   env=env_at(now))
    return r.stdout.split("\t")[1]


def notice_of(node, case_no):
    def get():
        out = node.slctl("transfer", "list", "--case", case_no).stdout
        lines = [line.split("\t") for line in out.splitlines() if line]
        return lines[0][0] if lines else None
    return wait_for("transfer of " + case_no, get, timeout=20)


def run_deadline(node, port, now, until, what):
    """(Re)starts sl-deadline at NOW and waits until UNTIL() holds. An
    instance still running (a test before failed with it up) is killed first."""
    if ("deadline", 1) in node.procs:
        node.kill("deadline")
    node.start("deadline", env=env_at(now), wait=False)
    wait_for("sl-deadline to serve", lambda: node._healthy(("deadline", 1), port), timeout=60)
    wait_for(what, until, timeout=30)


def flags(node, notice):
    return node.sql("SELECT concat_ws(',', CASE WHEN accepted_at IS NOT NULL THEN 'accepted' END,"
                    " CASE WHEN reminded_at IS NOT NULL THEN 'reminded' END,"
                    " CASE WHEN overdue_at IS NOT NULL THEN 'overdue' END,"
                    " CASE WHEN not_handled_at IS NOT NULL THEN 'not_handled' END)"
                    " FROM transfer_clock k JOIN transfer t ON t.id = k.transfer_id"
                    " WHERE t.notice_no = '%s'" % notice)


def overdue_line(node, notice):
    for line in node.slctl("overdue").stdout.splitlines():
        cols = line.split("\t")
        if cols[0] == notice:
            return cols
    return None


def reports(a):
    week = {"period_start": "2022-01-03", "period_end": "2022-01-09",
            "figures": {"units_inspected": 12, "illegal_found": 3, "major_hazards": 2,
                        "major_hazards_rectified": 1, "fine_fen": 5000000},
            "items": [{"subject_name": "平遥县丙煤矿", "escalated": True, "problem": "超层越界",
                       "nature": "非法开采"}],
            "typical_cases": [{"title": "县应急局对甲煤业超层越界开采案", "facts": "越界开采",
                               "negative": True},
                              {"title": "县应急局对乙煤业瞒报事故案", "facts": "瞒报",
                               "negative": True}]}
    d = tempfile.mkdtemp(prefix="sl-report-")
    good = os.path.join(d, "week.json")
    week["from_unit"] = "140728:emergency"
    with open(good, "w") as f:
        json.dump(week, f, ensure_ascii=False)
    one = dict(week, typical_cases=week["typical_cases"][:1])
    bad = os.path.join(d, "one.json")
    with open(bad, "w") as f:
        json.dump(one, f, ensure_ascii=False)
    # the plan asks 2 negative typical cases of the counties only (R75)
    r = a.slctl("report", "send", "--weekly", bad, "--local", check=False,
                env=env_at("2022-01-10T09:00:00+08:00"))
    check("a department's report with one negative case is accepted", r.returncode == 0 and
          "accepted" in r.stdout, r.stdout + r.stderr)
    r = a.slctl("report", "send", "--weekly", good, "--local",
                env=env_at("2022-01-10T09:00:00+08:00"))
    check("a weekly report received on time", "accepted" in r.stdout and
          a.sql("SELECT on_time FROM report WHERE from_unit = '140728:emergency'"
                " AND period = '2022-01-03'") == "t", r.stdout + r.stderr)
    due = a.slctl("reports", "due", env=env_at("2022-01-10T10:30:00+08:00")).stdout
    lines = [line.split("\t") for line in due.splitlines()]
    week3 = [line for line in lines if line[2] == "weekly" and line[3] == "2022-01-03"]
    check("the police's missing weekly report is listed", any(
        line[0] == "140728:police" and line[4] == "2022-01-10 10:00" for line in week3), due)
    check("the emergency department's report is not", not any(
        line[0] == "140728:emergency" for line in week3), due)
    check("not yet due is not listed", not any(line[3] == "2022-01-10" for line in lines), due)
    early = a.slctl("reports", "due", env=env_at("2022-01-10T09:59:00+08:00")).stdout
    check("before Monday 10:00 the week is not due", not any(
        line.split("\t")[3] == "2022-01-03" for line in early.splitlines()), early)
    # an upward report goes to the parent's outbox
    mine = dict(week)
    del mine["from_unit"]
    p = os.path.join(d, "mine.json")
    with open(p, "w") as f:
        json.dump(mine, f, ensure_ascii=False)
    few = os.path.join(d, "mine-one.json")
    with open(few, "w") as f:
        json.dump(dict(mine, typical_cases=week["typical_cases"][:1]), f, ensure_ascii=False)
    r = a.slctl("report", "send", "--weekly", few, check=False)
    check("the county's own report with one negative case is refused", r.returncode == 3 and
          "too_few_negative_cases" in r.stderr, r.stdout + r.stderr)
    r = a.slctl("report", "send", "--weekly", p)
    check("report send writes the outbox for the parent", r.stdout.endswith("outbox:140700\n")
          and a.sql("SELECT count(*) FROM outbox WHERE body_kind = 'weekly_report'"
                    " AND peer = '140700'") == "1", r.stdout)
    return d


def city(b, b_port):
    b.start("dispatch", env=env_at(T0))
    c = submit(b, "平遥县丁煤业有限公司", "140728")
    n = notice_of(b, c)
    check("the city transfers down to the child node",
          b.sql("SELECT unit_code || '|' || delivery FROM transfer WHERE notice_no = '%s'" % n)
          == "140728|outbox")
    b.stop("dispatch")  # so the verification case stays registered for the checks
    # Two transfers are overdue at the city by 01-14: the verification case it
    # opened for the county's escalation (handed to its own emergency
    # department: escalated on to the province) and the one to the child.
    run_deadline(b, b_port, "2022-01-14T09:00:00+08:00",
                 lambda: b.sql("SELECT count(*) FROM transfer_escalation WHERE raised_at IS NOT"
                               " NULL") == "2", "the city's overdue escalations")
    b.kill("deadline")
    run_deadline(b, b_port, "2022-01-17T09:00:00+08:00",
                 lambda: b.metric(b_port, "sl_deadline_ticks_total") >= 3, "three more ticks")
    b.stop("deadline")
    vno = b.sql("SELECT e.raised_ref FROM transfer_escalation e JOIN transfer t"
                " ON t.id = e.transfer_id WHERE t.notice_no = '%s' AND e.cause = 'OVERDUE'"
                " AND e.raised_to = 'verification'" % n)
    row = b.sql("SELECT c.channel || '|' || c.unit_code || '|' || x.origin_node || '|' ||"
                " x.origin_case_no || '|' || x.notice_no || '|' || o.case_no"
                " FROM cases c JOIN escalated_case x ON x.case_id = c.id"
                " JOIN cases o ON o.id = x.from_case_id WHERE c.case_no = '%s'" % vno)
    check("a verification case at the issuing node, linked to the original",
          row == "escalation|140700:emergency|140700|%s|%s|%s" % (c, n, c), row)
    check("one verification case however often restarted", b.sql(
        "SELECT count(*) FROM escalated_case WHERE origin_node = '140700'") == "1")
    check("the child's transfer is not escalated to the province; the department's is",
          b.sql("SELECT string_agg(o.case_no, ',') FROM outbox o WHERE body_kind = 'escalation'"
                " AND peer = '140000'") == b.sql(
              "SELECT c.case_no FROM cases c JOIN escalated_case x ON x.case_id = c.id"
              " WHERE x.origin_node = '140728'"))
    check("the verification case is audited", b.sql(
        "SELECT string_agg(e.kind, ',' ORDER BY e.seq) FROM case_event e JOIN cases c"
        " ON c.id = e.case_id WHERE c.case_no = '%s'" % vno) == "registered")


@pytest.fixture(scope="module")
def pair(nodes):
    """The county 140728 (a) and its parent city 140700 (b), each with its
    sl-deadline HTTP port; sl-intake running at both."""
    a_port, a_ini = deadline_ini()
    a = nodes.node("deadline", code="140728", extra_ini=a_ini)
    b_port, b_ini = deadline_ini()
    b = nodes.node("deadline-city", code="140700", extra_ini=b_ini + """[child.140728]
endpoint = tcp://127.0.0.1:9
public_key = %s/keys/curve.pub
""" % a.dir)
    b.start("intake", env=env_at(T0))
    a.start("intake", env=env_at(T0))
    return types.SimpleNamespace(a=a, a_port=a_port, b=b, b_port=b_port)


def test_reports(pair, state):
    state.reportdir = reports(pair.a)  # before sl-deadline first looks at 2022-01-11


def test_county_transfers(pair, state):
    a = pair.a
    a.start("dispatch", env=env_at(T0))
    c1 = submit(a, "平遥县甲煤业有限公司", "140728")
    c2 = submit(a, "平遥县乙煤业有限公司", "140728")
    n1, n2 = notice_of(a, c1), notice_of(a, c2)
    check("transfers to the emergency department",
          a.sql("SELECT string_agg(DISTINCT unit_code, ',') FROM transfer") == "140728:emergency")
    a.slctl("transfer", "receipt", n2, "--operator", "值班员", "--receiver", "王科长",
            env=env_at(T0))
    check("the due column is an index range", "transfer_clock_due" in a.sql(
        "SELECT indexdef FROM pg_indexes WHERE indexname = 'transfer_clock_due'"))
    state.c1, state.c2, state.n1, state.n2 = c1, c2, n1, n2


def test_county_tuesday_not_handled(pair, state):
    a, a_port, n1, n2 = pair.a, pair.a_port, state.n1, state.n2
    # Tuesday 01-11: n1's window closed (accepted), not yet reminded; n2 idle
    # since its receipt on 01-04 for 3 working days (01-05 … 01-07): 接而不办.
    run_deadline(a, a_port, "2022-01-11T09:00:00+08:00",
                 lambda: "not_handled" in flags(a, n2), "接而不办 on " + n2)
    check("n1 stands accepted, not reminded yet", flags(a, n1) == "accepted", flags(a, n1))
    check("n2 not handled", flags(a, n2) == "accepted,not_handled", flags(a, n2))
    line = overdue_line(a, n2)
    check("slctl overdue lists 接而不办", line is not None and "接而不办" in line[5], str(line))
    check("n1 not in slctl overdue before its reminder", overdue_line(a, n1) is None)
    wait_for("the 接而不办 escalation raised", lambda: a.sql(
        "SELECT count(*) FROM transfer_escalation WHERE raised_at IS NOT NULL") == "1")
    # phases: 自查自纠 began 12-27 and ended with 01-10, the next two began 01-01
    wait_for("the phase boundaries evented",
             lambda: a.metric(a_port, "sl_deadline_phase_events_total") == 4.0)
    a.kill("deadline")


def test_county_wednesday_reminded(pair, state):
    a, a_port, c1, n1 = pair.a, pair.a_port, state.c1, state.n1
    # Wednesday 01-12, the working day before the deadline 01-13: reminded.
    run_deadline(a, a_port, "2022-01-12T09:00:00+08:00",
                 lambda: "reminded" in flags(a, n1), "the reminder of " + n1)
    check("reminded, not overdue", flags(a, n1) == "accepted,reminded", flags(a, n1))
    line = overdue_line(a, n1)
    check("slctl overdue lists the reminder", line is not None and line[1] == c1 and
          line[2] == "140728:emergency" and line[3] == "2022-01-13" and line[5] == "已提醒",
          str(line))
    check("both open transfers reminded (n2 was received, not fed back)",
          a.metric(a_port, "sl_deadline_reminders_total") == 2.0)
    check("no OVERDUE yet", a.sql("SELECT count(*) FROM transfer_escalation"
                                  " WHERE cause = 'OVERDUE'") == "0")
    a.kill("deadline")


def test_county_friday_overdue_escalated_once(pair, state):
    a, a_port, c1, c2, n1 = pair.a, pair.a_port, state.c1, state.c2, state.n1
    # Friday 01-14: overdue, escalated to the parent through the outbox.
    run_deadline(a, a_port, "2022-01-14T09:00:00+08:00",
                 lambda: a.sql("SELECT count(*) FROM transfer_escalation WHERE cause = 'OVERDUE'"
                               " AND raised_at IS NOT NULL") == "2", "the overdue escalations")
    a.kill("deadline")  # SIGKILL after the escalation, then again later: still once
    run_deadline(a, a_port, "2022-01-15T09:00:00+08:00",
                 lambda: a.metric(a_port, "sl_deadline_ticks_total") >= 3, "three more ticks")
    a.stop("deadline")
    run_deadline(a, a_port, "2022-01-20T09:00:00+08:00",
                 lambda: a.metric(a_port, "sl_deadline_ticks_total") >= 3, "three more ticks")
    check("sl-deadline exits 0 on SIGTERM", a.stop("deadline") == 0)
    check("overdue flagged", flags(a, n1) == "accepted,reminded,overdue", flags(a, n1))
    check("one escalation per transfer and cause", a.sql(
        "SELECT string_agg(cause || ':' || raised_to || ':' || raised_ref, ',' ORDER BY cause)"
        " FROM transfer_escalation") == "ACCEPTED_NOT_HANDLED:parent:140700,"
        "OVERDUE:parent:140700,OVERDUE:parent:140700")
    check("one outbox row per escalation", a.sql(
        "SELECT count(*) FROM outbox WHERE body_kind = 'escalation' AND peer = '140700'") == "3")
    check("escalated once per cause on each audit chain", a.sql(
        "SELECT string_agg(c.case_no || '=' || n, ',' ORDER BY c.case_no) FROM (SELECT case_id,"
        " count(*) n FROM case_event WHERE kind = 'escalated' GROUP BY case_id) e"
        " JOIN cases c ON c.id = e.case_id") == "%s=1,%s=2" % (c1, c2))
    check("overdue on each audit chain once", a.sql(
        "SELECT count(*) FROM case_event WHERE kind = 'overdue'") == "2")
    line = overdue_line(a, n1)
    check("slctl overdue: overdue and escalated", line is not None and
          line[5] == "已提醒、已逾期、已提级核查", str(line))
    esc = a.slctl("escalation", "list").stdout
    check("slctl escalation list", n1 in esc and "OVERDUE" in esc and "parent" in esc, esc)


def test_escalation_envelope_accepted_at_the_parent(pair, state):
    """The envelope in the outbox, and what the parent makes of it."""
    a, b, c1, n1 = pair.a, pair.b, state.c1, state.n1
    hexed = a.sql("SELECT encode(payload, 'hex') FROM outbox o WHERE body_kind = 'escalation'"
                  " AND case_no = '%s'" % c1)
    env = envelope_pb2.Envelope()
    env.ParseFromString(bytes.fromhex(hexed))
    e = env.escalation
    check("Escalation envelope content", e.notice_no == n1 and e.origin_node == "140728" and
          e.case_no == c1 and e.cause == e.OVERDUE and e.receiver_unit == "140728:emergency" and
          e.feedback_deadline == "2022-01-13" and e.clue.subject.name == "平遥县甲煤业有限公司" and
          e.clue.place.division == "140728", str(e))
    cli = sltest.Client(b.intake, node=b, keydir=os.path.join(a.dir, "keys"))
    ack = cli.send_raw(bytes.fromhex(hexed))
    check("the parent accepts the county's escalation", ack.status == ACK.ACCEPTED and
          ack.ref == "escalation:" + c1, str(ack))
    again = cli.send_raw(bytes.fromhex(hexed))
    check("a resend is a duplicate", again.status == ACK.DUPLICATE and
          again.case_no == ack.case_no, str(again))
    cli.close()
    row = b.sql("SELECT c.channel || '|' || c.status || '|' || c.unit_code || '|' ||"
                " x.origin_node || '|' || x.origin_case_no || '|' || x.notice_no || '|' || x.cause"
                " FROM cases c JOIN escalated_case x ON x.case_id = c.id"
                " WHERE c.case_no = '%s'" % ack.case_no)
    check("a verification case at the parent, linked to the origin",
          row == "escalation|registered|140700:emergency|140728|%s|%s|OVERDUE" % (c1, n1), row)
    desc = b.sql("SELECT description FROM cases WHERE case_no = '%s'" % ack.case_no)
    check("the verification case names the number, the unit and the clue",
          desc.startswith("提级核查（逾期未办结）：原交办文号%s（平遥县交办），原承办单位平遥县应急管理局，"
                          "原线索编号%s。" % (n1, c1)), desc)


def test_missing_reports_noted_once(pair):
    """report.missing noted once per unit and week, not for the one received."""
    a, a_port = pair.a, pair.a_port
    run_deadline(a, a_port, "2022-01-20T09:00:00+08:00",
                 lambda: a.sql("SELECT count(*) FROM report_missing") != "0",
                 "missing reports noted")
    a.kill("deadline")
    run_deadline(a, a_port, "2022-01-20T10:00:00+08:00",
                 lambda: a.metric(a_port, "sl_deadline_ticks_total") >= 2, "two ticks")
    a.stop("deadline")
    check("missing noted for the police", a.sql(
        "SELECT count(*) FROM report_missing WHERE unit = '140728:police' AND kind = 'weekly'"
        " AND period IN ('2021-12-27', '2022-01-03', '2022-01-10')") == "3")
    check("not for the report received in time", a.sql(
        "SELECT count(*) FROM report_missing WHERE unit = '140728:emergency'"
        " AND period = '2022-01-03'") == "0")


def test_campaigns(pair):
    a = pair.a
    camp = a.slctl("campaign", "list").stdout
    check("the seed campaign with its phases", "百日攻坚" in camp and "自查自纠 2021-12-27～2022-01-10"
          in camp and "工作总结 2022-04-01～2022-04-06" in camp and "周一 10:00" in camp, camp)
    a.slctl("campaign", "add", "2023 春季攻坚", "--start", "2023-03-01", "--end", "2023-03-31",
            "--weekly-day", "5", "--weekly-time", "17:00", "--phase", "排查:2023-03-01:2023-03-15")
    check("a new campaign is a row", "2023 春季攻坚" in a.slctl("campaign", "list").stdout)


def test_city(pair):
    city(pair.b, pair.b_port)


def test_audit_chains_intact(pair, state):
    sltest.check_audit(pair.a, pair.b)
    if getattr(state, "reportdir", None):
        shutil.rmtree(state.reportdir, ignore_errors=True)
