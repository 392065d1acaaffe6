"""test_closing_rules.py — closing only what is fixed (issue 15), through the real
sl-intake, sl-dispatch and slctl (SL_NOW pinned).

The result of the check: a feedback with each conclusion (属实, 部分属实, 不属实,
查无实据) is accepted and shown in `case show`, with 暂扣 apart from 吊销, the
exposure and where, and measures ⑤–⑦; they reach the six lists. 提级核查 in
`case show` comes from the node's escalation records, not from the receiver's
flag. A person counted by the handling unit and by the police is counted
once, with the police's figure.

Closing only what is fixed: verify-pass of an unrectified case without a plan
(a date not passed and a responsible person) is refused with a clear message;
a 不属实 case closes without a plan; a plan whose date passes raises 提级核查
(RECTIFY_OVERDUE) once through sl-deadline and reopens the case for
verification (closed → fed_back).

A re-report reopens: a clue about a closed case's subject is linked to it,
counted, puts it back to verification (event `reopened`) with its new facts
kept on the case and the count on the notice; between a city and its county, a
repeat reaching the city is passed to the county that holds the case.
"""
import json
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import sltest  # noqa: E402
from sltest import wait_for  # noqa: E402
from test_closing import transfers, wait_transfers  # noqa: E402
from test_deadline import deadline_ini, env_at, run_deadline  # noqa: E402

T0 = "2026-11-10T09:00:00+08:00"  # a Tuesday
ENV = dict(os.environ, SL_NOW=T0)
SIGNOFF = ["--leader", "王县长", "--leader-title", "县长"]


DEADLINE_PORT, DEADLINE_INI = deadline_ini()


@pytest.fixture(scope="module")
def node(nodes):
    n = nodes.node("rules", extra_ini=DEADLINE_INI)
    n.start("intake", env=ENV)
    n.start("dispatch", env=ENV)
    yield n
    assert n.slctl("audit", "verify", check=False).returncode == 0


def run(node, *args, rc=0, env=ENV):
    r = node.slctl(*args, "--operator", "核查员甲", env=env, check=False)
    assert r.returncode == rc, "slctl %s: exit %d, wanted %d: %s%s" % (
        " ".join(args), r.returncode, rc, r.stdout, r.stderr)
    return r


def rejected(node, code, *args):
    r = run(node, *args, rc=3)
    assert ("rejected: %s:" % code) in r.stderr, r.stderr
    return r


def submit(node, subject, *flags, env=ENV):
    r = node.slctl("submit", "--subject", subject, "--division", "140728", "--sector", "煤",
                   *flags, env=env)
    return r.stdout.split("\t")[1]


def feedback(node, notice, *flags, env=ENV):
    run(node, "transfer", "receipt", notice, env=env)
    run(node, "transfer", "feedback", notice, "--nature", "非法违法生产经营", *flags, *SIGNOFF,
        env=env)


def status(node, case_no):
    return node.sql("SELECT status FROM cases WHERE case_no = '%s'" % case_no)


def show(node, case_no):
    """`case show` before the history: label → value (the last of a label wins)."""
    head = node.slctl("case", "show", case_no).stdout.split("历史\n")[0]
    return dict(l.lstrip().split("\t", 1) for l in head.splitlines() if "\t" in l)


def entries(node, case_no):
    return node.sql("SELECT string_agg(list || '/' || item || ':' || persons, ',' ORDER BY id)"
                    " FROM ledger_entry WHERE case_no = '%s'" % case_no)


# --- 1. the result of checking, complete --------------------------------------------


@pytest.mark.parametrize("conclusion", ["属实", "部分属实", "不属实", "查无实据"])
def test_each_conclusion_accepted_and_shown(node, conclusion):
    a = submit(node, "平遥县结论%s煤业有限公司" % conclusion)
    notice = wait_transfers(node, a, 1)[0][0]
    rectify = [] if conclusion in ("不属实", "查无实据") else ["--rectified"]
    feedback(node, notice, "--conclusion", conclusion, *rectify)
    stored = node.sql("SELECT feedback::json->>'conclusion' FROM transfer WHERE notice_no = '%s'"
                      % notice)
    assert stored == {"属实": "SUBSTANTIATED", "部分属实": "PARTLY_SUBSTANTIATED",
                      "不属实": "UNSUBSTANTIATED", "查无实据": "NO_EVIDENCE"}[conclusion]
    assert show(node, a)["核查结论"] == conclusion


def test_unknown_conclusion_refused_by_slctl(node):
    a = submit(node, "平遥县未知结论煤业有限公司")
    notice = wait_transfers(node, a, 1)[0][0]
    r = run(node, "transfer", "feedback", notice, "--nature", "x", "--conclusion", "大概属实",
            *SIGNOFF, rc=2)
    assert "--conclusion" in r.stderr


def test_untrue_case_closes_without_a_plan(node):
    a = submit(node, "平遥县无需整改煤业有限公司")
    notice = wait_transfers(node, a, 1)[0][0]
    run(node, "transfer", "receipt", notice)
    rejected(node, "bad_field:rectify_by", "transfer", "feedback", notice, "--nature", "x",
             "--conclusion", "不属实", "--rectify-by", "2026-12-31", *SIGNOFF)
    run(node, "transfer", "feedback", notice, "--nature", "举报不实", "--conclusion", "不属实",
        *SIGNOFF)
    assert show(node, a)["整改情况"] == "无需整改（核查不属实或查无实据）"
    run(node, "case", "verify", a, "--pass")
    assert status(node, a) == "closed"


def test_result_items_shown_and_entered(node):
    a = submit(node, "平遥县暂扣煤业有限公司")
    notice = wait_transfers(node, a, 1)[0][0]
    run(node, "transfer", "receipt", notice)
    rejected(node, "missing_field:exposed_where", "transfer", "feedback", notice, "--nature", "x",
             "--exposed", "", *SIGNOFF)
    rejected(node, "missing_field:accountability.detail", "transfer", "feedback", notice,
             "--nature", "x", "--accountability-persons", "2", *SIGNOFF)
    run(node, "transfer", "feedback", notice, "--nature", "非法违法生产经营", "--conclusion", "属实",
        "--license-suspended", "--exposed", "晋中日报 2026-11-20",
        "--accountability", "对应处罚未处罚的执法人员问责", "--accountability-persons", "2",
        "--umbrella", "对充当保护伞的某所长立案审查", "--umbrella-persons", "1",
        "--organisational", "乡长免职", "--organisational-persons", "1",
        "--rectified", *SIGNOFF)
    s = show(node, a)
    assert s["暂扣证照"] == "是" and s["吊销证照"] == "否"
    assert s["公开曝光"] == "是（晋中日报 2026-11-20）"
    assert s["⑤追责问责（应发现未发现、应处罚未处罚）"] == "是：对应处罚未处罚的执法人员问责（2人）"
    assert s["⑥查处“保护伞”"] == "是：对充当保护伞的某所长立案审查（1人）"
    assert s["⑦组织处理"] == "是：乡长免职（1人）"
    assert s["办理结果"].startswith(notice)
    run(node, "case", "verify", a, "--pass")
    assert entries(node, a) == ",".join([
        "惩治处罚/暂扣证照:0", "约谈问责/公开曝光:0", "约谈问责/追责问责:2",
        "惩治处罚/查处保护伞:1", "约谈问责/组织处理:1"])


def test_escalation_from_the_nodes_records(node):
    # the receiver says it was escalated: the node has no such record
    a = submit(node, "平遥县自报提级煤业有限公司")
    na = wait_transfers(node, a, 1)[0][0]
    feedback(node, na, "--escalated", "--rectified")
    s = show(node, a)
    assert s["提级核查"] == "否" and s["承办单位自报提级核查"] == "是"
    # a failed verification marks 虚假办结: the node's record says so
    b = submit(node, "平遥县虚假办结煤业有限公司")
    nb = wait_transfers(node, b, 1)[0][0]
    feedback(node, nb, "--rectified")
    run(node, "case", "verify", b, "--fail", "--reason", "现场核查发现仍在生产")
    assert show(node, b)["提级核查"] == "是：虚假办结（待提级）"


def test_police_figure_counted_once(node):
    c = submit(node, "平遥县刑责煤业有限公司", "--suspected-crime")
    handling, police = [t[0] for t in wait_transfers(node, c, 2)]
    feedback(node, handling, "--criminal", "2", "--rectified")
    run(node, "case", "verify", c, "--pass", "--notice", handling)
    run(node, "transfer", "receipt", police)
    run(node, "transfer", "feedback", police, "--nature", "涉嫌重大责任事故罪", "--police-filed",
        "--police-result", "以涉嫌重大责任事故罪立案侦查", "--criminal", "3",
        "--leader", "赵局长", "--leader-title", "公安局局长")
    run(node, "case", "verify", c, "--pass")
    assert status(node, c) == "closed"
    assert entries(node, c) == "惩治处罚/刑事责任追究:3,惩治处罚/公安机关立案:0"


# --- 2. closing only what is fixed ----------------------------------------------------


def test_unrectified_without_plan_refused(node):
    a = submit(node, "平遥县未整改煤业有限公司")
    notice = wait_transfers(node, a, 1)[0][0]
    feedback(node, notice, "--conclusion", "属实", "--suspended")
    r = rejected(node, "not_rectified", "case", "verify", a, "--pass")
    assert "尚未整改到位" in r.stderr and "不能验收销号" in r.stderr, r.stderr
    assert status(node, a) == "fed_back"
    # a plan needs its responsible person, and a date not passed
    run(node, "case", "verify", a, "--fail", "--reason", "须整改到位或提交整改计划")
    run(node, "transfer", "feedback", notice, "--nature", "非法违法生产经营", "--rectify-by",
        "2026-11-30", *SIGNOFF)
    r = rejected(node, "not_rectified", "case", "verify", a, "--pass")
    assert "责任人" in r.stderr, r.stderr
    run(node, "case", "verify", a, "--fail", "--reason", "整改计划须明确责任人")
    run(node, "transfer", "feedback", notice, "--nature", "非法违法生产经营", "--rectify-by",
        "2026-11-01", "--rectify-responsible", "张三（矿长）", *SIGNOFF)
    r = rejected(node, "not_rectified", "case", "verify", a, "--pass")
    assert "2026-11-01已过" in r.stderr, r.stderr
    assert status(node, a) == "fed_back"


def test_plan_date_passes_escalates_once_and_reopens(node):
    a = submit(node, "平遥县整改计划煤业有限公司", "--major-hazard")
    notice = wait_transfers(node, a, 1)[0][0]
    feedback(node, notice, "--conclusion", "部分属实", "--suspended", "--rectify-by", "2026-11-20",
             "--rectify-responsible", "张三（矿长）")
    run(node, "case", "verify", a, "--pass")
    assert status(node, a) == "closed"
    tid = node.sql("SELECT id FROM transfer WHERE notice_no = '%s'" % notice)
    assert node.sql("SELECT rectify_by FROM transfer WHERE id = %s" % tid) == "2026-11-20"
    s = show(node, a)
    assert s["整改情况"] == "未整改，整改期限2026-11-20，责任人张三（矿长）" and s["提级核查"] == "否"
    esc = "SELECT count(*) FROM transfer_escalation WHERE transfer_id = %s" \
          " AND cause = 'RECTIFY_OVERDUE'" % tid
    ticks = "sl_deadline_ticks_total"
    # the plan's last day: nothing yet
    run_deadline(node, DEADLINE_PORT, "2026-11-20T22:00:00+08:00",
                 lambda: node.metric(DEADLINE_PORT, ticks) >= 2, "two ticks")
    node.kill("deadline")
    assert node.sql(esc) == "0" and status(node, a) == "closed"
    # the day after: 提级核查 (整改逾期) and back to verification
    run_deadline(node, DEADLINE_PORT, "2026-11-21T09:00:00+08:00",
                 lambda: node.sql(esc + " AND raised_at IS NOT NULL") == "1", "escalation raised")
    node.kill("deadline")
    assert status(node, a) == "fed_back"
    assert node.sql("SELECT state FROM transfer WHERE id = %s" % tid) == "fed_back"
    kinds = node.sql("SELECT string_agg(kind, ',' ORDER BY seq) FROM case_event WHERE case_id ="
                     " (SELECT id FROM cases WHERE case_no = '%s')" % a).split(",")
    assert kinds[-4:-1] == ["rectify_overdue", "reopened", "escalated"] or \
        kinds[-3:] == ["rectify_overdue", "reopened", "escalated"], kinds
    assert "plan_accepted" in kinds and "case_closed" in kinds  # what closing wrote stays
    # its own entry, and the 挂牌督办 one: a major hazard is listed by itself; the
    # hazard open on its plan is on 隐患整改 from the feedback (issue 16)
    assert node.sql("SELECT string_agg(list, ',' ORDER BY list) FROM ledger_entry"
                    " WHERE case_no = '%s'" % a) == "惩治处罚,挂牌督办,隐患整改", \
        node.sql("SELECT string_agg(list, ',' ORDER BY list) FROM ledger_entry"
                 " WHERE case_no = '%s'" % a)
    assert show(node, a)["提级核查"] == "是：整改逾期（已提级）"
    # once: later ticks, after a kill, add nothing
    run_deadline(node, DEADLINE_PORT, "2026-11-23T09:00:00+08:00",
                 lambda: node.metric(DEADLINE_PORT, ticks) >= 3, "three more ticks")
    assert node.stop("deadline") == 0
    assert node.sql(esc) == "1"
    assert node.sql("SELECT count(*) FROM case_event WHERE kind = 'rectify_overdue' AND case_id ="
                    " (SELECT id FROM cases WHERE case_no = '%s')" % a) == "1"
    # verified again: fails (not rectified), fed back rectified, closes for good
    run(node, "case", "verify", a, "--fail", "--reason", "整改期限已过仍未整改")
    run(node, "transfer", "feedback", notice, "--nature", "非法违法生产经营", "--rectified",
        *SIGNOFF)
    run(node, "case", "verify", a, "--pass")
    assert status(node, a) == "closed"
    assert node.sql("SELECT rectify_by IS NULL FROM transfer WHERE id = %s" % tid) == "t"


# --- a re-report reopens -------------------------------------------------------------


def events_of(node, case_no):
    return node.sql("SELECT string_agg(kind, ',' ORDER BY seq) FROM case_event WHERE case_id ="
                    " (SELECT id FROM cases WHERE case_no = '%s')" % case_no).split(",")


def test_repeat_reopens_closed_case(node):
    subject = "平遥县反复举报煤业有限公司"
    a = submit(node, subject, "--description", "超层越界开采")
    notice = wait_transfers(node, a, 1)[0][0]
    feedback(node, notice, "--conclusion", "属实", "--penalized", "--penalty-fen", "100000",
             "--rectified")
    run(node, "case", "verify", a, "--pass")
    assert status(node, a) == "closed"
    # the same subject again (full-width spelling), after 销号
    r = node.slctl("submit", "--subject", "平遥县反复举报煤业有限公司 ", "--division", "140728",
                   "--sector", "煤", "--description", "销号后仍在夜间违规开采",
                   "--township", "洪善镇", env=ENV)
    fields = r.stdout.split("\t")
    assert fields[1] == a and fields[2].startswith("repeat:1"), r.stdout
    assert status(node, a) == "fed_back"
    assert node.sql("SELECT state FROM transfer WHERE notice_no = '%s'" % notice) == "fed_back"
    assert len(transfers(node, a)) == 1  # linked, not a new case nor a new transfer
    kinds = events_of(node, a)
    assert kinds[-2:] == ["repeated", "reopened"], kinds
    assert "case_closed" in kinds and "ledger_entered" in kinds  # what closing wrote stays
    assert node.sql("SELECT count(*) FROM ledger_entry WHERE case_no = '%s'" % a) == "1"
    facts = node.sql("SELECT detail FROM case_event WHERE kind = 'repeated' AND case_id ="
                     " (SELECT id FROM cases WHERE case_no = '%s')" % a)
    facts = json.loads(facts)
    assert facts["description"] == "销号后仍在夜间违规开采" and facts["township"] == "洪善镇", facts
    s = show(node, a)
    assert s["状态"] == "已反馈" and s["反复举报次数"] == "1"
    html = node.slctl("transfer", "show", notice, "--html").stdout
    assert "该问题线索已被反复举报1次" in html
    # verified again: the re-report says it was falsely closed
    run(node, "case", "verify", a, "--fail", "--reason", "销号后被反复举报，核查属虚假办结")
    assert status(node, a) == "received"
    assert show(node, a)["提级核查"] == "是：虚假办结（待提级）"
    # a second repeat while it is open: counted, nothing reopened
    submit(node, subject)
    assert node.sql("SELECT repeat_count FROM cases WHERE case_no = '%s'" % a) == "2"
    assert events_of(node, a).count("reopened") == 1


@pytest.fixture(scope="module")
def fed(nodes):
    f = nodes.federation("rules", codes=("140700", "140728"))
    for n in f.values():
        n.start("intake", env=ENV)
        n.start("dispatch", env=ENV)
    return f


def test_repeat_passed_to_the_child_holding_the_case(fed):
    city, county = fed["140700"], fed["140728"]
    subject = "平遥县下级持有煤业有限公司"
    c = submit(city, subject, "--description", "无证开采")
    cnotice = wait_transfers(city, c, 1)[0][0]
    county_case = wait_for("the county's case of %s" % cnotice, lambda: county.sql(
        "SELECT case_no FROM cases WHERE upper_notice_no = '%s'" % cnotice), timeout=60)
    assert county.sql("SELECT repeat_count FROM cases WHERE case_no = '%s'" % county_case) == "0"
    # a repeat report reaches the city: counted there and passed to the county
    r = city.slctl("submit", "--subject", subject, "--division", "140728", "--sector", "煤",
                   "--description", "又在夜间开采", env=ENV)
    assert r.stdout.split("\t")[1] == c and "repeat:1" in r.stdout, r.stdout
    wait_for("the repeat at the county", lambda: county.sql(
        "SELECT repeat_count FROM cases WHERE case_no = '%s'" % county_case) == "1", timeout=60)
    assert county.sql("SELECT count(*) FROM cases") == "1"  # linked, not a new case
    facts = county.sql("SELECT detail FROM case_event WHERE kind = 'repeated' AND case_id ="
                       " (SELECT id FROM cases WHERE case_no = '%s')" % county_case)
    assert json.loads(facts)["description"] == "又在夜间开采", facts


def test_repeat_from_above_reopens_a_case_closed_below(fed):
    city, county = fed["140700"], fed["140728"]
    subject = "平遥县县级销号煤业有限公司"
    k = submit(county, subject, "--description", "无证开采")
    knotice = wait_transfers(county, k, 1)[0][0]
    feedback(county, knotice, "--rectified")
    run(county, "case", "verify", k, "--pass")
    assert status(county, k) == "closed"
    # the same subject reported to the city: transferred down like any clue
    c = submit(city, subject, "--description", "关停后又恢复生产")
    cnotice = wait_transfers(city, c, 1)[0][0]
    new = wait_for("the county's case of %s" % cnotice, lambda: county.sql(
        "SELECT case_no FROM cases WHERE upper_notice_no = '%s'" % cnotice), timeout=60)
    assert new != k  # the transfer is a case of its own, to answer the city
    assert status(county, k) == "fed_back"  # and the case closed here is reopened
    assert county.sql("SELECT repeat_count FROM cases WHERE case_no = '%s'" % k) == "1"
    assert events_of(county, k)[-1] == "reopened"


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q", "-p", "no:cacheprovider"]))
