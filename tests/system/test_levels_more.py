"""test_levels_more.py — rules where levels meet (issue 16), the rest.

晋中市 140700 → 平遥县 140728, each its own database, real sl-intake,
sl-dispatch and sl-deadline; SL_NOW pinned to Monday 2021-11-15, rounds every
other day from 2021-11-17 (a case from above goes on at once, on demand).

1. An objection at the county against a case from the city is relayed up at
   once while the city's objection window is open; the city accepts it and
   re-routes the case: the county's case is withdrawn and its watch of the
   deadline it owed the city ends (sl-deadline past that day warns only of
   the case still owed). Past the upper window an objection is decided at the
   county only, and the case's history says why; accepted there, the case's
   new transfer is due by the county's own [dispatch] upper_margin_days.
2. The status shows the deadline owed upward.
3. Measure ③: the bureau's feedback reports 责令停产停业整顿: the county, whose
   bureau handles the case, lists it for 挂牌督办 by itself under the leader
   [supervision] names; when the county reports it up, the city, whose case
   is with the county, gives its lead department the supervising copy then.
4. The 隐患整改 list holds a major hazard still open, with its 整改时限 and
   责任人; a person prosecuted, reported by both the bureau and the police, is
   counted once.
"""
import json
import os
import sys
import types

sys.path.insert(0, os.path.dirname(__file__))
import pytest  # noqa: E402
from sltest import check, wait_for  # noqa: E402
from test_deadline import env_at  # noqa: E402
from test_levels import sl, show, start_chain, transfer_of, upper_case  # noqa: E402


def events(node, case_no):
    return node.sql("SELECT string_agg(e.kind, ',' ORDER BY e.seq) FROM case_event e"
                    " JOIN cases c ON c.id = e.case_id WHERE c.case_no = '%s'" % case_no).split(",")


def down_the_chain(fed, subject, *flags):
    """A clue submitted at the city for 平遥县: (the city's case, its transfer,
    the county's case, the county's transfer to its bureau)."""
    r = sl(fed.city, "submit", "--subject", subject, "--division", "140728", "--sector", "煤",
           "--description", "超层越界开采", *flags)
    ccase = r.stdout.split("\t")[1]
    sl(fed.city, "dispatch", "now", "--operator", "市值班员")
    c = transfer_of(fed.city, ccase)
    kcase = upper_case(fed.county, c["notice_no"])
    return ccase, c, kcase, transfer_of(fed.county, kcase)


@pytest.fixture(scope="module")
def fed(nodes):
    chain = start_chain(nodes, "levels2", ("140700", "140728"))
    return types.SimpleNamespace(city=chain["140700"], county=chain["140728"])


# --- 1. an objection below is relayed up; a withdrawn case is not watched ------
def test_objection_relayed_up_and_withdrawn(fed, state):
    city, county = fed.city, fed.county
    ccase, c, kcase, k = down_the_chain(fed, "平遥县某异议煤业有限公司")
    sl(county, "transfer", "receipt", k["notice_no"], "--operator", "值班员")
    sl(county, "transfer", "objection", k["notice_no"], "--reason", "该矿属市级监管企业",
       "--suggest", "140728:housing")
    up = transfer_of(city, ccase, state="objected")
    reason = city.sql("SELECT objection_reason FROM transfer WHERE notice_no = '%s'"
                      % up["notice_no"])
    check("the bureau's objection reached the city at once, with its reason",
          reason.startswith("该矿属市级监管企业"), reason)
    check("the county's history says it was relayed up",
          "objection_relayed_up" in events(county, kcase), str(events(county, kcase)))
    sl(city, "transfer", "decide", c["notice_no"], "--accept", "--to", "140700:emergency",
       "--reason", "异议成立，由市应急管理局直接办理", "--operator", "市调度员")
    wait_for("the county's case withdrawn from above", lambda: county.sql(
        "SELECT upper_withdrawn_at IS NOT NULL FROM cases WHERE case_no = '%s'" % kcase) == "t",
        timeout=60)
    check("case show at the county: nothing owed upward any more",
          show(county, kcase).get("向上级反馈期限", "").endswith("（上级已撤回交办，无需反馈）"),
          str(show(county, kcase)))
    state.withdrawn = kcase


def test_withdrawn_case_not_watched_upward(fed, state):
    """Past the deadline owed to the city (11-24) sl-deadline at the county
    marks the case still owed overdue upward, and leaves the withdrawn one."""
    county = fed.county
    _, _, kcase, _ = down_the_chain(fed, "平遥县某未反馈煤业有限公司")
    county.start("deadline", env=env_at("2021-11-26T10:00:00+08:00"), wait=False)
    wait_for("the case still owed overdue upward", lambda: county.sql(
        "SELECT upper_overdue_at IS NOT NULL FROM cases WHERE case_no = '%s'" % kcase) == "t",
        timeout=60)
    county.stop("deadline")
    ev = events(county, state.withdrawn)
    check("the withdrawn case is not watched against the upper deadline",
          "upper_overdue" not in ev and "upper_reminded" not in ev, str(ev))
    state.owed = kcase


def test_status_shows_the_deadline_owed_upward(fed, state):
    """The county's status (JSON, text, page) counts the case still owed
    upward, its deadline and that it is overdue; not the withdrawn one."""
    county = fed.county
    at = "2021-11-26T10:00:00+08:00"
    st = json.loads(sl(county, "status", "--json", "--no-probe", now=at,
                       check_rc=False).stdout)
    up = st["upper"]
    check("one case owed upward, overdue since 11-24, the withdrawn one not counted",
          up["owed"] == 1 and up["overdue"] == 1 and up["next_deadline"] == "" and
          [i["case_no"] for i in up["items"]] == [state.owed] and
          up["items"][0]["upper_feedback_deadline"] == "2021-11-24", str(up))
    check("a warning says so", "1 件上级交办事项已逾期未向上级反馈" in st["warnings"],
          str(st["warnings"]))
    text = sl(county, "status", "--no-probe", now=at, check_rc=False).stdout
    check("the text form shows it", "向上级反馈  待反馈 1    最近期限 无    已逾期 1" in text, text)


FEEDBACK = ["--nature", "非法违法生产经营", "--suspended", "--rectified", "--result",
            "已责令停产停业整顿", "--leader", "张局长", "--leader-title", "局长", "--operator", "值班员"]


def supervised(node, case_no):
    return [l.split("\t") for l in sl(node, "supervision", "list").stdout.splitlines()
            if l.startswith(case_no)]


def test_ordered_to_stop_is_supervised(fed, state):
    city, county = fed.city, fed.county
    ccase, c, kcase, k = down_the_chain(fed, "平遥县某非法生产煤业有限公司")
    check("not under 挂牌督办 before the check", supervised(county, kcase) == [] and city.sql(
        "SELECT count(*) FROM transfer t JOIN cases c ON c.id = t.case_id"
        " WHERE c.case_no = '%s' AND t.kind = 'supervision'" % ccase) == "0")
    sl(county, "transfer", "receipt", k["notice_no"], "--operator", "值班员")
    sl(county, "transfer", "feedback", k["notice_no"], *FEEDBACK)
    sup = supervised(county, kcase)
    check("the county lists it for 挂牌督办 without a command, under the sector's leader",
          len(sup) == 1 and sup[0][3] == "李某某（副县长）" and sup[0][5] == "listed", str(sup))
    check("audited as listed automatically", county.sql(
        "SELECT e.detail::json->>'auto' FROM case_event e JOIN cases c ON c.id = e.case_id"
        " WHERE c.case_no = '%s' AND e.kind = 'supervised'" % kcase) == "true")
    sl(county, "transfer", "decide", k["notice_no"], "--verify-pass", "--operator", "县核查员")
    sl(county, "case", "feedback-up", kcase, *FEEDBACK[:-6], "--leader", "李县长",
       "--leader-title", "县长", "--operator", "值班员")
    transfer_of(city, ccase, state="fed_back")
    copy = transfer_of(city, ccase, kind="supervision")
    check("the city's lead department gets the supervising copy then",
          copy["unit_code"].startswith("140700:"), str(copy))
    check("the city does not list it (the county handles it)", supervised(city, ccase) == [])
    check("one copy only", city.sql(
        "SELECT count(*) FROM transfer t JOIN cases c ON c.id = t.case_id"
        " WHERE c.case_no = '%s' AND t.kind = 'supervision'" % ccase) == "1")


def test_listed_by_hand_while_below_gives_the_copy(fed, state):
    """A case the plan does not list by itself, listed by hand at the city (with
    the office's reason) while it is with the county: the city's listing names
    its leader, and its lead department gets the supervising copy then, due
    with the county's feedback."""
    city = fed.city
    ccase, c, kcase, k = down_the_chain(fed, "平遥县某反复举报煤业有限公司")
    check("no copy before the listing", city.sql(
        "SELECT count(*) FROM transfer t JOIN cases c ON c.id = t.case_id"
        " WHERE c.case_no = '%s' AND t.kind = 'supervision'" % ccase) == "0")
    sl(city, "case", "supervise", ccase, "--leader", "王某某", "--title", "副市长",
       "--reason", "群众反复举报，市政府决定挂牌督办", "--operator", "市值班员")
    sup = supervised(city, ccase)
    check("on the city's 挂牌督办 list", len(sup) == 1 and sup[0][3] == "王某某（副市长）", str(sup))
    copy = transfer_of(city, ccase, kind="supervision")
    check("the city's lead department gets the supervising copy",
          copy["unit_code"].startswith("140700:"), str(copy))
    check("due with the county's feedback",
          copy["feedback_deadline"] == c["feedback_deadline"], "%s %s" % (copy, c))


def test_listed_by_hand_before_its_list_gives_the_copy(fed, state):
    """Listed by hand at the city before its list (the round has not come):
    when the list hands it to the county, the city's lead department gets
    the supervising copy with it, once."""
    city = fed.city
    r = sl(city, "submit", "--subject", "平遥县某先挂牌煤业有限公司", "--division", "140728",
           "--sector", "煤", "--description", "超层越界开采")
    ccase = r.stdout.split("\t")[1]
    sl(city, "case", "supervise", ccase, "--leader", "王某某", "--title", "副市长",
       "--reason", "群众反复举报，市政府决定挂牌督办", "--operator", "市值班员")
    sl(city, "dispatch", "now", "--operator", "市值班员")
    c = transfer_of(city, ccase)
    copy = transfer_of(city, ccase, kind="supervision")
    check("the copy goes with the list, to the city's lead department",
          copy["unit_code"].startswith("140700:") and copy["list_no"] == c["list_no"] and
          copy["feedback_deadline"] == c["feedback_deadline"], "%s %s" % (copy, c))
    check("one copy only", city.sql(
        "SELECT count(*) FROM transfer t JOIN cases c ON c.id = t.case_id"
        " WHERE c.case_no = '%s' AND t.kind = 'supervision'" % ccase) == "1")


def ledger(node, case_no, lst):
    return [l.split("\t") for l in sl(node, "ledger", "show", "--list", lst).stdout.splitlines()
            if "\t%s\t" % case_no in l]


def test_open_hazard_on_the_list(fed, state):
    county = fed.county
    _, _, kcase, k = down_the_chain(fed, "平遥县某隐患未改煤业有限公司", "--major-hazard")
    sl(county, "transfer", "receipt", k["notice_no"], "--operator", "值班员")
    check("nothing on 隐患整改 before the feedback", ledger(county, kcase, "隐患整改") == [])
    sl(county, "transfer", "feedback", k["notice_no"], "--nature", "存在重大事故隐患",
       "--result", "已下达整改指令", "--rectify-by", "2021-12-31",
       "--rectify-responsible", "王五（矿长）", "--leader", "张局长", "--leader-title", "局长",
       "--operator", "值班员")
    rows = ledger(county, kcase, "隐患整改")
    check("the open hazard is on 隐患整改 with its 整改时限 and 责任人, before any verification",
          len(rows) == 1 and rows[0][1] == "重大事故隐患（整改中）" and
          "整改时限：2021-12-31；责任人：王五（矿长）" in rows[0][10], str(rows))


def test_person_counted_once(fed, state):
    county = fed.county
    r = sl(county, "submit", "--subject", "平遥县某涉罪建材有限公司", "--division", "140728",
           "--sector", "煤", "--description", "非法储存炸药")
    kcase = r.stdout.split("\t")[1]
    sl(county, "dispatch", "now", "--operator", "县值班员")
    k = transfer_of(county, kcase)
    sl(county, "transfer", "receipt", k["notice_no"], "--operator", "值班员")
    sl(county, "transfer", "feedback", k["notice_no"], "--nature", "非法违法生产经营",
       "--crime-found", "--criminal", "2", "--rectified", "--result", "已移送公安机关",
       "--leader", "张局长", "--leader-title", "局长", "--operator", "值班员")
    police = transfer_of(county, kcase, kind="police")
    sl(county, "transfer", "decide", k["notice_no"], "--verify-pass", "--operator", "县核查员")
    sl(county, "transfer", "receipt", police["notice_no"], "--operator", "值班员")
    sl(county, "transfer", "feedback", police["notice_no"], "--nature", "涉嫌非法制造爆炸物罪",
       "--police-filed", "--police-result", "以涉嫌非法储存爆炸物罪立案侦查", "--criminal", "2",
       "--leader", "赵局长", "--leader-title", "公安局局长", "--operator", "值班员")
    sl(county, "transfer", "decide", police["notice_no"], "--verify-pass",
       "--operator", "县核查员")
    rows = [r for r in ledger(county, kcase, "惩治处罚") if r[1] == "刑事责任追究"]
    check("the two persons prosecuted are counted once, from the police",
          sum(int(r[8]) for r in rows) == 2 and len(rows) == 1, str(rows))


def test_objection_after_the_upper_window_decided_here(fed, state):
    """The bureau signs on 11-17 (its own window to 11-19) and objects on
    11-18, after the city's window (11-17): the county decides alone, and its
    history says why; the city's transfer stays received."""
    city, county = fed.city, fed.county
    ccase, c, kcase, k = down_the_chain(fed, "平遥县某晚异议煤业有限公司")
    late = "2021-11-18T10:00:00+08:00"
    county.stop("intake")
    county.start("intake", env=env_at(late))
    sl(county, "transfer", "receipt", k["notice_no"], "--at", "2021-11-17T09:00:00+08:00",
       "--operator", "值班员", now=late)
    sl(county, "transfer", "objection", k["notice_no"], "--reason", "该矿属市级监管企业", now=late)
    transfer_of(county, kcase, state="objected")
    why = county.sql("SELECT e.detail::json->>'reason' FROM case_event e JOIN cases c"
                     " ON c.id = e.case_id WHERE c.case_no = '%s'"
                     " AND e.kind = 'objection_kept_local'" % kcase)
    check("the county's history says why the objection stays here",
          why == "上级交办的异议期已于2021-11-17届满，该异议由本级决定，不再报送上级", why)
    check("the city's transfer is not objected",
          transfer_of(city, ccase)["state"] == "received", str(transfer_of(city, ccase)))


def test_objection_accepted_here_keeps_the_node_margin(fed, state):
    """The county, configured one working day stricter than the default
    ([dispatch] upper_margin_days = 2), accepts that objection and hands the
    case to its police: the new transfer is due two working days before the
    2021-11-24 the county owes the city, 2021-11-22, as sl-dispatch's own
    transfers are (it was the default margin's 11-23)."""
    city, county = fed.city, fed.county
    kcase = county.sql("SELECT c.case_no FROM cases c JOIN transfer t ON t.case_id = c.id"
                       " WHERE t.state = 'objected' ORDER BY t.id DESC LIMIT 1")
    k = transfer_of(county, kcase, state="objected")
    ccase = county.sql("SELECT upper_case_no FROM cases WHERE case_no = '%s'" % kcase)
    check("the county owes the city 2021-11-24",
          transfer_of(city, ccase)["feedback_deadline"] == "2021-11-24", ccase)
    late = "2021-11-18T11:00:00+08:00"
    with open(county.ini) as f:
        text = f.read()
    with open(county.ini, "w") as f:
        f.write(text.replace("[dispatch]\n", "[dispatch]\nupper_margin_days = 2\n", 1))
    county.stop("intake")
    county.start("intake", env=env_at(late))
    sl(county, "transfer", "decide", k["notice_no"], "--accept", "--to", "140728:police",
       "--operator", "县值班员", now=late)
    police = transfer_of(county, kcase)
    check("the re-issued transfer goes to the police",
          police["unit_code"] == "140728:police" and police["notice_no"] != k["notice_no"],
          str(police))
    check("due two working days before the deadline owed upward",
          police["feedback_deadline"] == "2021-11-22", str(police))
