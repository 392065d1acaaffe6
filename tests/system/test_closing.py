"""test_closing.py — verification, 销号, false completion, the two transfers, six lists,
listed supervision, through the real sl-intake, sl-dispatch and slctl (SL_NOW pinned).

A major-hazard case is listed for supervision under a leader, goes round the
whole loop and is verified closed: its transfer and case close, it leaves the
supervision list (SUPERVISE_END), and its results are in the six lists. A
second case fails verification: it reopens, is marked for escalation once
(FALSE_COMPLETION), and passes on its second feedback. A case flagged
suspected crime also goes to the police, whose 立案 is recorded; one flagged
dereliction to the discipline commission; each case closes only when all its
transfers are closed. The month's CSV starts with a BOM and parses back, one
row per entry, Chinese intact. `case show` names every step and its actor;
`audit verify` passes, and fails once a new event is tampered with.
"""
import csv
import io
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import pytest  # noqa: E402
import sltest  # noqa: E402
from sltest import check, wait_for  # noqa: E402

T0 = "2026-11-10T09:00:00+08:00"  # a Tuesday
MONTH = "2026-11"
ENV = dict(os.environ, SL_NOW=T0)
SIGNOFF = ["--leader", "王县长", "--leader-title", "县长"]


def submit(node, subject, *flags):
    r = node.slctl("submit", "--subject", subject, "--division", "140728", "--sector", "煤",
                   *flags, env=ENV)
    return r.stdout.split("\t")[1]


def transfers(node, case_no):
    out = node.slctl("transfer", "list", "--case", case_no).stdout
    return [l.split("\t") for l in out.splitlines() if l]


def wait_transfers(node, case_no, n):
    return wait_for("%d transfers of %s" % (n, case_no),
                    lambda: len(transfers(node, case_no)) >= n and transfers(node, case_no),
                    timeout=20)


def run(node, *args, rc=0):
    r = node.slctl(*args, "--operator", "核查员甲", env=ENV, check=False)
    if r.returncode != rc:
        raise AssertionError("slctl %s: exit %d, wanted %d: %s%s" % (
            " ".join(args), r.returncode, rc, r.stdout, r.stderr))
    return r


def rejected(node, code, *args):
    r = run(node, *args, rc=3)
    check("rejected %s: %s" % (code, " ".join(args[:2])), ("rejected: %s:" % code) in r.stderr,
          r.stderr)


def status(node, case_no):
    return node.sql("SELECT status FROM cases WHERE case_no = '%s'" % case_no)


def transfer_state(node, notice):
    return node.sql("SELECT state FROM transfer WHERE notice_no = '%s'" % notice)


def entries(node, case_no):
    return node.sql("SELECT string_agg(list || '/' || item, ',' ORDER BY id) FROM ledger_entry"
                    " WHERE case_no = '%s'" % case_no)


def handle(node, notice, *feedback):
    run(node, "transfer", "receipt", notice)
    run(node, "transfer", "progress", notice, "--text", "已派员现场核查")
    run(node, "transfer", "feedback", notice, "--nature", "非法违法生产经营", *feedback,
        *SIGNOFF)


@pytest.fixture(scope="module")
def node(nodes):
    n = nodes.node("closing")
    n.start("intake", env=ENV)
    n.start("dispatch", env=ENV)
    return n


def test_major_hazard_case_listed_for_supervision(node, state):
    a = submit(node, "平遥县甲煤业有限公司", "--major-hazard")
    notice = wait_transfers(node, a, 1)[0][0]
    # listed supervision
    r = run(node, "case", "supervise", a, "--leader", "张副县长", "--title", "副县长")
    check("supervise accepted", r.stdout.startswith("accepted\t" + a + "\tsupervision:"),
          r.stdout)
    # listed without a command when transferred (issue 16), so supervise updates the leader
    check("listed automatically from its transfer", node.sql(
        "SELECT count(*) FROM case_event e JOIN cases c ON c.id = e.case_id WHERE"
        " c.case_no = '%s' AND e.kind = 'supervised' AND e.detail::json->>'auto' = 'true'" % a)
        == "1")
    run(node, "case", "supervise", a, "--leader", "李四")
    run(node, "case", "supervise", a, "--leader", "张副县长", "--title", "副县长")
    b = submit(node, "平遥县乙煤业有限公司")
    wait_transfers(node, b, 1)
    # neither a major hazard nor ordered to stop: listed by hand only with a reason
    rejected(node, "missing_field:reason", "case", "supervise", b, "--leader", "张副县长")
    sup = node.slctl("supervision", "list").stdout.splitlines()
    check("supervision list shows the case", len(sup) == 1 and sup[0].split("\t") == [
        a, "平遥县甲煤业有限公司", "140728:emergency 平遥县应急管理局", "张副县长（副县长）",
        "2026-11-10", "listed"], str(sup))
    state.a, state.b, state.notice = a, b, notice


def test_verified_closed_and_unlisted(node, state):
    """The whole loop: handled, fed back, verified; closed and unlisted."""
    a, notice = state.a, state.notice
    handle(node, notice, "--suspended", "--penalized", "--penalty-fen", "5000000",
           "--hazard-rectified", "--interviews", "2", "--credit-punished", "--disciplined", "1",
           "--criminal", "1", "--rectified")
    check("fed back, still listed", status(node, a) == "fed_back" and
          len(node.slctl("supervision", "list").stdout.splitlines()) == 1)
    rejected(node, "missing_field:reason", "case", "verify", a, "--fail")
    r = run(node, "case", "verify", a, "--pass")
    check("verify pass: ack ref is the notice",
          r.stdout.split("\t")[:3] == ["accepted", a, notice], r.stdout)
    check("transfer and case closed", transfer_state(node, notice) == "closed" and
          status(node, a) == "closed")
    check("unlisted once verified closed", node.slctl("supervision", "list").stdout == "")
    ended = node.slctl("supervision", "list", "--all").stdout.strip().split("\t")
    check("the listing ended", ended[0] == a and ended[5] == "ended", str(ended))


def test_results_entered_in_the_six_lists(node, state):
    a = state.a
    got = entries(node, a)
    check("six-list entries of the results", got == ",".join([
        "隐患整改/重大事故隐患整改", "惩治处罚/行政处罚", "惩治处罚/停产整顿",
        "惩治处罚/刑事责任追究", "约谈问责/党纪政务处分", "约谈问责/约谈",
        "联合惩戒/失信联合惩戒", "挂牌督办/挂牌督办"]), got)
    check("fine amount and persons", node.sql(
        "SELECT amount_fen || ' ' || entry_date || ' ' || month FROM ledger_entry WHERE"
        " item = '行政处罚' AND case_no = '%s'" % a) == "5000000 2026-11-10 2026-11" and
        node.sql("SELECT persons FROM ledger_entry WHERE item = '约谈' AND case_no = '%s'" % a)
        == "2")


def test_closed_case_refuses_more(node, state):
    a, notice = state.a, state.notice
    rejected(node, "wrong_state:closed", "case", "verify", a, "--pass", "--notice", notice)
    r = run(node, "case", "verify", a, "--pass", rc=1)
    check("no fed-back transfer: says so", "没有已反馈待核查的交办书" in r.stderr, r.stderr)
    rejected(node, "wrong_state:closed", "case", "supervise", a, "--leader", "张副县长")


def false_completion(node, b):
    notice = transfers(node, b)[0][0]
    handle(node, notice, "--penalized", "--penalty-fen", "100000")
    r = run(node, "case", "verify", b, "--fail", "--reason", "现场核查发现仍在违规生产")
    check("verify fail accepted", r.stdout.split("\t")[:3] == ["accepted", b, notice], r.stdout)
    check("false completion: transfer back to received, case reopened",
          transfer_state(node, notice) == "received" and status(node, b) == "received")
    esc = "SELECT count(*) || ' ' || min(cause) FROM transfer_escalation e JOIN transfer t" \
          " ON t.id = e.transfer_id WHERE t.notice_no = '%s' AND e.raised_at IS NULL" % notice
    check("marked for escalation", node.sql(esc) == "1 FALSE_COMPLETION", node.sql(esc))
    check("no entries from a failed verification", entries(node, b) == "")
    run(node, "transfer", "feedback", notice, "--nature", "非法违法生产经营", *SIGNOFF)
    run(node, "case", "verify", b, "--fail", "--reason", "仍未整改")
    check("escalation marked once per transfer and cause", node.sql(esc) == "1 FALSE_COMPLETION")
    run(node, "transfer", "feedback", notice, "--nature", "非法违法生产经营", "--penalized",
        "--penalty-fen", "200000", "--rectified", *SIGNOFF)
    run(node, "case", "verify", b, "--pass")
    check("passes on the corrected feedback", status(node, b) == "closed" and
          entries(node, b) == "惩治处罚/行政处罚" and node.sql(
              "SELECT amount_fen FROM ledger_entry WHERE case_no = '%s'" % b) == "200000")


def two_transfers(node):
    c = submit(node, "平遥县丙煤业有限公司", "--suspected-crime")
    d = submit(node, "平遥县丁煤业有限公司", "--suspected-dereliction")
    tc = wait_transfers(node, c, 2)
    td = wait_transfers(node, d, 2)
    check("crime: a handling and a police transfer", [t[2] for t in tc] ==
          ["140728:emergency", "140728:police"] and tc[0][0] != tc[1][0] and
          tc[1][4:7] == tc[0][4:7], str(tc))
    check("dereliction: a discipline-commission transfer", [t[2] for t in td] ==
          ["140728:emergency", "140728:discipline"], str(td))
    check("kinds recorded", node.sql(
        "SELECT string_agg(kind, ',' ORDER BY id) FROM transfer t WHERE case_id IN"
        " (SELECT id FROM cases WHERE case_no IN ('%s', '%s'))" % (c, d)) ==
        "handling,police,handling,discipline")
    check("case follows its handling transfer", status(node, c) == "transferred" and
          node.sql("SELECT unit_code FROM cases WHERE case_no = '%s'" % c) == "140728:emergency")
    police, disc = tc[1][0], td[1][0]
    # the handling transfer of c, verified first: the case waits for the police
    run(node, "transfer", "receipt", tc[0][0])
    rejected(node, "bad_field:police_result", "transfer", "feedback", tc[0][0], "--nature", "x",
             "--police-result", "立案", *SIGNOFF)
    run(node, "transfer", "feedback", tc[0][0], "--nature", "非法违法生产经营", "--suspended",
        "--rectified", *SIGNOFF)
    run(node, "case", "verify", c, "--pass")
    check("handling verified, police open: case not closed",
          transfer_state(node, tc[0][0]) == "closed" and status(node, c) == "verified",
          status(node, c))
    run(node, "transfer", "receipt", police)
    check("police answers leave the case's status", status(node, c) == "verified")
    rejected(node, "missing_field:police_result", "transfer", "feedback", police, "--nature",
             "涉嫌重大责任事故罪", *SIGNOFF)
    run(node, "transfer", "feedback", police, "--nature", "涉嫌重大责任事故罪", "--police-filed",
        "--police-result", "以涉嫌重大责任事故罪立案侦查", "--criminal", "2", "--leader", "赵局长",
        "--leader-title", "公安局局长")
    run(node, "case", "verify", c, "--pass")
    check("police verified: case closed", status(node, c) == "closed")
    # ordered to stop: under 挂牌督办 from the feedback (measure ③, issue 16), ended at 销号
    check("police result recorded", entries(node, c) ==
          "惩治处罚/停产整顿,惩治处罚/刑事责任追究,惩治处罚/公安机关立案,挂牌督办/挂牌督办" and "立案侦查" in node.sql(
              "SELECT details FROM ledger_entry WHERE item = '公安机关立案'"))
    # the discipline commission of d, verified while d's handling transfer is open
    run(node, "transfer", "receipt", disc)
    rejected(node, "missing_field:discipline_result", "transfer", "feedback", disc, "--nature",
             "失职渎职", *SIGNOFF)
    run(node, "transfer", "feedback", disc, "--nature", "监管失职", "--discipline-result",
        "给予党内严重警告处分", "--disciplined", "1", "--leader", "孙书记",
        "--leader-title", "县纪委书记")
    r = run(node, "case", "verify", d, "--pass")
    check("discipline verified", r.stdout.split("\t")[2] == disc and
          transfer_state(node, disc) == "closed", r.stdout)
    check("case open while its handling transfer is", status(node, d) == "transferred")
    check("discipline result recorded", entries(node, d) == "约谈问责/党纪政务处分" and
          "给予党内严重警告处分" in node.sql(
              "SELECT details FROM ledger_entry WHERE case_no = '%s'" % d))
    handle(node, td[0][0], "--hazard-rectified", "--rectified")
    r = run(node, "case", "verify", d, "--pass")
    check("and closes with it", status(node, d) == "closed", status(node, d))
    return c, d


def ledgers(node, a):
    text = '晋中某煤业"安全生产标准化"一级达标,树为典型\n经验在全县推广'
    r = run(node, "ledger", "add", "--list", "选树提升", "--unit", "平遥县应急管理局",
            "--text", text)
    check("good example entered", r.stdout.strip().isdigit(), r.stdout)
    rc = run(node, "ledger", "add", "--list", "惩治处罚", "--unit", "x", "--text", "y", rc=2)
    check("other lists are not typed in", "选树提升" in rc.stderr, rc.stderr)
    out = os.path.join(node.dir, "six.csv")
    node.slctl("ledger", "export", "--month", MONTH, "--out", out)
    raw = open(out, "rb").read()
    check("CSV starts with the UTF-8 BOM", raw[:3] == b"\xef\xbb\xbf", repr(raw[:8]))
    rows = list(csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline="")))
    total = int(node.sql("SELECT count(*) FROM ledger_entry WHERE month = '%s'" % MONTH))
    check("header then one row per entry", rows[0][:4] == ["清单", "事项", "线索编号", "交办文号"]
          and len(rows) == total + 1 and total == 16,  # 16: c's 挂牌督办 (measure ③, issue 16)
          "%d rows, %d entries" % (len(rows), total))
    check("Chinese text and quoting intact", any(r[0] == "选树提升" and r[10] == text for r in rows)
          and any(r[2] == a and r[6] == "平遥县甲煤业有限公司" and r[9] == "50000.00"
                  for r in rows), str(rows[-1]))
    check("numbers leave the node with their office",
          any(r[2] == a and r[3].startswith("平遥县“百日攻坚”办（煤）移〔2026〕") for r in rows),
          str([r[3] for r in rows]))
    node.slctl("ledger", "export", "--list", "惩治处罚", "--month", MONTH, "--out", out)
    rows = list(csv.reader(io.StringIO(open(out, "rb").read()[3:].decode("utf-8"), newline="")))
    want = int(node.sql("SELECT count(*) FROM ledger_entry WHERE list = '惩治处罚'"))
    check("one list's CSV", len(rows) == want + 1 and all(r[0] == "惩治处罚" for r in rows[1:]),
          str(len(rows)))
    show = node.slctl("ledger", "show", "--list", "隐患整改", "--month", MONTH).stdout
    lines = [l.split("\t") for l in show.splitlines()]
    check("ledger show", len(lines) == 2 and all(l[0] == "隐患整改" and len(l) == 12
                                                 for l in lines), show)
    check("another month is empty", node.slctl("ledger", "show", "--month", "2026-12").stdout
          == "")
    summary = [l.split("\t") for l in node.slctl("ledger", "summary", "--month", MONTH)
               .stdout.splitlines()]
    db = dict(l.split("|") for l in node.sql(
        "SELECT string_agg(list || '|' || n, ',') FROM (SELECT list, count(*) n FROM"
        " ledger_entry GROUP BY list) x").split(","))
    check("summary: the six lists with their counts",
          [s[0] for s in summary] == ["隐患整改", "惩治处罚", "约谈问责", "挂牌督办", "联合惩戒",
                                      "选树提升"] and
          all(s[1] == db.get(s[0], "0") for s in summary), str(summary))


def history(node, a):
    show = node.slctl("case", "show", a).stdout
    hist = [l.split("\t") for l in show.split("历史\n")[1].splitlines()]
    kinds = [h[2] for h in hist]
    # listed by itself when transferred (issue 16), then the leader named (and changed) thrice
    check("case show lists every step", kinds[:10] == [
        "登记", "交办", "挂牌督办", "变更督办领导", "变更督办领导", "变更督办领导", "签收",
        "报告进展", "反馈办理结果", "核查销号"] and kinds[10:18] == ["列入清单台账"] * 7 +
        ["已验收销号"] and kinds[18:] == ["列入清单台账", "办结销号"], str(kinds))
    check("with its actor", all(h[3].startswith("key=") and h[4].startswith("unit=") and
                                h[5].startswith("operator=") for h in hist) and
          hist[2][4] == "unit=140728" and hist[5][5] == "operator=核查员甲" and
          hist[9][5] == "operator=核查员甲" and hist[9][6] != "msg_id=-" and
          hist[6][4] == "unit=140728:emergency", show)
    check("supervision history names the leader", "决定：已验收销号" in hist[17][7] and
          "决定：挂牌督办" in hist[2][7] and "督办领导：张副县长" in hist[5][7], hist[17][7])


def test_false_completion(node, state):
    false_completion(node, state.b)


def test_two_transfers(node):
    two_transfers(node)


def test_ledgers(node, state):
    ledgers(node, state.a)


def test_history(node, state):
    history(node, state.a)


def test_audit_chains_intact(node):
    sltest.check_audit(node)


def test_tampered_ledger_event_breaks_the_chain(node):
    node.sql("UPDATE case_event SET detail = replace(detail, '\"persons\":2', '\"persons\":9')"
             " WHERE kind = 'ledger_entered' AND detail LIKE '%\"persons\":2%'")
    r = node.slctl("audit", "verify", check=False)
    check("a tampered ledger event breaks the chain", r.returncode == 1 and
          "hash" in r.stdout, r.stdout + r.stderr)


def test_other_case_listed_by_hand_with_its_reason(node):
    """Manual listing stays for cases the plan does not list by itself (issue 16)."""
    c = submit(node, "平遥县丙建材有限公司")
    wait_transfers(node, c, 1)
    r = run(node, "case", "supervise", c, "--leader", "王副县长", "--title", "副县长",
            "--reason", "群众反复举报，县政府决定挂牌督办")
    check("listed by hand with its reason",
          r.stdout.startswith("accepted\t" + c + "\tsupervision:"), r.stdout)
    sup = [l.split("\t") for l in node.slctl("supervision", "list").stdout.splitlines()]
    check("on the 挂牌督办 list from that day",
          any(x[0] == c and x[3] == "王副县长（副县长）" and x[5] == "listed" for x in sup), str(sup))
    check("the reason is in its history", node.sql(
        "SELECT e.detail::json->>'reason' FROM case_event e JOIN cases c ON c.id = e.case_id"
        " WHERE c.case_no = '%s' AND e.kind = 'supervised'" % c) == "群众反复举报，县政府决定挂牌督办")


def test_daemons_exit_0_on_sigterm(node):
    check("daemons exit 0 on SIGTERM", node.stop("dispatch") == 0 and
          node.stop("intake") == 0)
