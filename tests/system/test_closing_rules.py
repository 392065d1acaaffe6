"""test_closing_rules.py — closing only what is fixed (issue 15), through the real
sl-intake, sl-dispatch and slctl (SL_NOW pinned).

The result of the check: a feedback with each conclusion (属实, 部分属实, 不属实,
查无实据) is accepted and shown in `case show`, with 暂扣 apart from 吊销, the
exposure and where, and measures ⑤–⑦; they reach the six lists. 提级核查 in
`case show` comes from the node's escalation records, not from the receiver's
flag. A person counted by the handling unit and by the police is counted
once, with the police's figure.
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import sltest  # noqa: E402
from test_closing import transfers, wait_transfers  # noqa: E402

T0 = "2026-11-10T09:00:00+08:00"  # a Tuesday
ENV = dict(os.environ, SL_NOW=T0)
SIGNOFF = ["--leader", "王县长", "--leader-title", "县长"]


@pytest.fixture(scope="module")
def node():
    n = sltest.Node("rules")
    try:
        n.start("intake", env=ENV)
        n.start("dispatch", env=ENV)
        yield n
        assert n.slctl("audit", "verify", check=False).returncode == 0
    except Exception:
        sltest.dump_logs(n)
        raise
    finally:
        n.close()


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


def test_untrue_case_carries_no_plan(node):
    a = submit(node, "平遥县无需整改煤业有限公司")
    notice = wait_transfers(node, a, 1)[0][0]
    run(node, "transfer", "receipt", notice)
    rejected(node, "bad_field:rectify_by", "transfer", "feedback", notice, "--nature", "x",
             "--conclusion", "不属实", "--rectify-by", "2026-12-31", *SIGNOFF)
    run(node, "transfer", "feedback", notice, "--nature", "举报不实", "--conclusion", "不属实",
        *SIGNOFF)
    assert show(node, a)["整改情况"] == "无需整改（核查不属实或查无实据）"


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
    assert s["⑤追责问责（应发现未发现、应处罚未处罚）"] == "是：对应处罚未处罚的执法人员问责（2 人）"
    assert s["⑥查处“保护伞”"] == "是：对充当保护伞的某所长立案审查（1 人）"
    assert s["⑦组织处理"] == "是：乡长免职（1 人）"
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


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q", "-p", "no:cacheprovider"]))
