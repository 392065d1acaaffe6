"""test_levels.py — rules where levels meet (issue 16), on the demo's chain.

山西省 140000 → 晋中市 140700 → 平遥县 140728, each its own database, real
sl-intake and sl-dispatch, rounds every other day from 2021-11-17 (so nothing
waits for a round on Monday 2021-11-15), SL_NOW pinned to that Monday.

1. The upper deadline binds (R25): the province forms a list on demand; the
   city and the county each transfer the case on at once, in an on-demand
   list of cases from above, not held for the round. The province's city is
   due 2021-11-24 (7 working days); the city's county 2021-11-23 (one
   working day before); the county's emergency bureau 2021-11-22. `case show`
   at the city and the county prints the deadline owed upward, and the
   county's notice asks for the feedback by its own date. The bureau answers
   on 11-23, one day late: sl-deadline at the county marks it overdue there
   and reminds the county of the deadline it owes the city that day;
   the county and the city still answer up that day, the province's transfer
   is fed back in time, not overdue.
"""
import os
import sys
import types

sys.path.insert(0, os.path.dirname(__file__))
import pytest  # noqa: E402
import sltest  # noqa: E402
from sltest import check, wait_for  # noqa: E402
from test_deadline import deadline_ini, env_at  # noqa: E402

T0 = "2021-11-15T09:00:00+08:00"  # a Monday
LATE = "2021-11-23T10:00:00+08:00"  # the county's bureau is a day late
DISPATCH = "interval_days = 2\nstart_date = 2021-11-17\n"

FEEDBACK = ["--nature", "非法违法生产经营", "--suspended", "--penalized", "--penalty-fen",
            "3000000", "--result", "已停产整顿并处罚款3万元", "--rectified"]


def sl(node, *args, now=T0, check_rc=True):
    r = node.slctl(*args, env=env_at(now), check=False)
    if check_rc and r.returncode != 0:
        raise AssertionError("slctl %s at %s failed (%d): %s%s" % (
            " ".join(args), node.code, r.returncode, r.stdout, r.stderr))
    return r


def transfer_of(node, case_no, state=None, kind="handling"):
    """The newest transfer of KIND of CASE_NO as a dict, waiting for it (and for STATE)."""
    cols = ("notice_no", "unit_code", "state", "transfer_date", "objection_deadline",
            "feedback_deadline", "list_no", "overdue", "fed_back_date")

    def get():
        out = node.sql(
            "SELECT t.notice_no, t.unit_code, t.state, t.transfer_date, t.objection_deadline,"
            " t.feedback_deadline, coalesce(l.list_no, ''),"
            " (SELECT k.overdue_at IS NOT NULL FROM transfer_clock k WHERE k.transfer_id = t.id),"
            " coalesce((t.fed_back_at AT TIME ZONE 'Asia/Shanghai')::date::text, '')"
            " FROM transfer t JOIN cases c ON c.id = t.case_id"
            " LEFT JOIN transfer_list l ON l.id = t.list_id"
            " WHERE c.case_no = '%s' AND t.kind = '%s' ORDER BY t.id DESC LIMIT 1"
            % (case_no, kind))
        if not out:
            return None
        row = dict(zip(cols, out.split("|")))
        return row if state is None or row["state"] == state else None
    return wait_for("%s transfer of %s at %s%s" % (kind, case_no, node.code,
                                                   " in state " + state if state else ""),
                    get, timeout=60)


def upper_case(node, upper_notice):
    return wait_for("the case of %s at %s" % (upper_notice, node.code), lambda: node.sql(
        "SELECT case_no FROM cases WHERE upper_notice_no = '%s'" % upper_notice) or None,
        timeout=60)


def show(node, case_no):
    out = sl(node, "case", "show", case_no).stdout
    return dict(l.split("\t", 1) for l in out.splitlines() if "\t" in l)


def start_chain(nodes, name, codes):
    """The chain CODES (the county last, with sl-deadline configured and a
    leader for 煤 under [supervision]), sl-intake and sl-dispatch running at T0."""
    chain = nodes.federation(name, codes=codes, dispatch_ini=DISPATCH)
    county = chain[codes[-1]]
    county.deadline_port, ini = deadline_ini()
    with open(county.ini, "a") as f:
        f.write(ini + "[supervision]\n煤 = 李某某 副县长\n")
    for n in chain.values():
        n.start("intake", env=env_at(T0))
        n.start("dispatch", env=env_at(T0))
    return chain


@pytest.fixture(scope="module")
def fed(nodes):
    chain = start_chain(nodes, "levels", ("140000", "140700", "140728"))
    prov, city, county = (chain[c] for c in ("140000", "140700", "140728"))
    return types.SimpleNamespace(prov=prov, city=city, county=county)


# --- 1. the upper deadline binds -------------------------------------------------
def test_upper_deadline_binds_down_the_chain(fed, state):
    prov, city, county = fed.prov, fed.city, fed.county
    r = sl(prov, "submit", "--subject", "平遥县某某煤业有限公司", "--division", "140728",
           "--sector", "煤", "--description", "超层越界开采")
    pcase = r.stdout.split("\t")[1]
    sl(prov, "dispatch", "now", "--operator", "省值班员")
    p = transfer_of(prov, pcase)
    check("the province's list on demand goes to 晋中市, due in 7 working days",
          p["unit_code"] == "140700" and p["feedback_deadline"] == "2021-11-24", str(p))
    ccase = upper_case(city, p["notice_no"])
    c = transfer_of(city, ccase)
    check("the city transfers it on at once (no round before 11-17), in a list of its own",
          c["unit_code"] == "140728" and c["transfer_date"] == "2021-11-15" and c["list_no"],
          str(c))
    check("the city's county is due a working day before the province's deadline",
          c["feedback_deadline"] == "2021-11-23", str(c))
    check("the city's objection window is not later than the province's",
          c["objection_deadline"] <= p["objection_deadline"], str((c, p)))
    kcase = upper_case(county, c["notice_no"])
    k = transfer_of(county, kcase)
    check("the county's bureau is due a working day before the city's deadline",
          k["unit_code"] == "140728:emergency" and k["feedback_deadline"] == "2021-11-22",
          str(k))
    check("a deadline below is before the one above", k["feedback_deadline"] <
          c["feedback_deadline"] < p["feedback_deadline"])
    cs, ks = show(city, ccase), show(county, kcase)
    check("case show at the city prints the deadline owed upward",
          cs.get("向上级反馈期限", "").startswith("2021-11-24") and
          cs.get("上级交办日期") == "2021-11-15", str(cs))
    check("case show at the county prints the deadline owed upward",
          ks.get("向上级反馈期限", "").startswith("2021-11-23（未向上级反馈）"), str(ks))
    notice = sl(county, "transfer", "show", k["notice_no"], "--html").stdout
    check("the county's notice asks for the feedback by its own date",
          "2021年11月22日前（按上级交办时限，预留本级核查时间）反馈我办" in notice and
          "自交办之日起7个工作日内" not in notice, notice)
    state.p, state.c, state.k = p, c, k
    state.pcase, state.ccase, state.kcase = pcase, ccase, kcase


def test_a_day_late_below_and_in_time_above(fed, state):
    prov, city, county = fed.prov, fed.city, fed.county
    k = state.k
    sl(county, "transfer", "receipt", k["notice_no"], "--operator", "值班员")
    county.start("deadline", env=env_at(LATE), wait=False)
    wait_for("the bureau's transfer overdue at the county",
             lambda: transfer_of(county, state.kcase)["overdue"] == "t", timeout=60)
    wait_for("the county reminded of the deadline it owes the city (11-23, a day before)",
             lambda: county.sql("SELECT upper_reminded_at IS NOT NULL AND upper_overdue_at IS NULL"
                                " FROM cases WHERE case_no = '%s'" % state.kcase) == "t",
             timeout=30)
    county.stop("deadline")
    sl(county, "transfer", "feedback", k["notice_no"], *FEEDBACK, "--leader", "张局长",
       "--leader-title", "局长", "--operator", "值班员", now=LATE)
    sl(county, "transfer", "decide", k["notice_no"], "--verify-pass", "--operator", "县核查员",
       now=LATE)
    sl(county, "case", "feedback-up", state.kcase, *FEEDBACK, "--leader", "李县长",
       "--leader-title", "县长", "--operator", "值班员", now=LATE)
    check("case show at the county: fed back up",
          "已向上级反馈" in show(county, state.kcase).get("向上级反馈期限", ""))
    c = transfer_of(city, state.ccase, state="fed_back")
    check("the county answered the city in time", c["overdue"] == "f", str(c))
    sl(city, "transfer", "decide", c["notice_no"], "--verify-pass", "--operator", "市核查员",
       now=LATE)
    sl(city, "case", "feedback-up", state.ccase, *FEEDBACK, "--leader", "赵市长",
       "--leader-title", "市长", "--operator", "值班员", now=LATE)
    p = transfer_of(prov, state.pcase, state="fed_back")
    check("the city answered the province in time, not overdue", p["overdue"] == "f", str(p))


def test_child_overdue_against_the_upper_deadline(fed, state):
    """A second clue down the chain, the county silent: on 11-24 sl-deadline at
    the county marks the case overdue against the deadline it owes the city
    (11-23) — its own warning, once; `case show` says so."""
    prov, city, county = fed.prov, fed.city, fed.county
    r = sl(prov, "submit", "--subject", "平遥县另一煤业有限公司", "--division", "140728",
           "--sector", "煤", "--description", "无证开采")
    pcase = r.stdout.split("\t")[1]
    sl(prov, "dispatch", "now", "--operator", "省值班员")
    ccase = upper_case(city, transfer_of(prov, pcase)["notice_no"])
    kcase = upper_case(county, transfer_of(city, ccase)["notice_no"])
    transfer_of(county, kcase)
    county.start("deadline", env=env_at("2021-11-24T10:00:00+08:00"), wait=False)
    wait_for("the county overdue against the city's deadline", lambda: county.sql(
        "SELECT upper_overdue_at IS NOT NULL FROM cases WHERE case_no = '%s'" % kcase) == "t",
        timeout=60)
    county.stop("deadline")
    check("recorded once, in the case's history", county.sql(
        "SELECT count(*) FROM case_event e JOIN cases c ON c.id = e.case_id"
        " WHERE c.case_no = '%s' AND e.kind = 'upper_overdue'" % kcase) == "1")
    check("case show at the county says it is overdue upward",
          show(county, kcase).get("向上级反馈期限") == "2021-11-23（已逾期）")


# --- 2. 两移交 once, by the level that handles the case ------------------------
def police_transfers(node):
    return int(node.sql("SELECT count(*) FROM transfer WHERE kind = 'police'"))


def test_police_transfer_once_in_the_federation(fed, state):
    """A clue flagged suspected_crime at the province, handled city → county:
    one police transfer in the whole federation, issued by the county (whose
    bureau handles it); the province and the city record it as the lower
    level's duty. The police's notice asks it to investigate."""
    prov, city, county = fed.prov, fed.city, fed.county
    before = [police_transfers(n) for n in (prov, city, county)]
    r = sl(prov, "submit", "--subject", "平遥县涉罪煤业有限公司", "--division", "140728",
           "--sector", "煤", "--description", "非法盗采", "--suspected-crime")
    pcase = r.stdout.split("\t")[1]
    sl(prov, "dispatch", "now", "--operator", "省值班员")
    ccase = upper_case(city, transfer_of(prov, pcase)["notice_no"])
    kcase = upper_case(county, transfer_of(city, ccase)["notice_no"])
    police = transfer_of(county, kcase, kind="police")
    check("the county issues the police transfer, to its own police",
          police["unit_code"] == "140728:police", str(police))
    after = [police_transfers(n) for n in (prov, city, county)]
    check("exactly one police transfer in the federation",
          [a - b for a, b in zip(after, before)] == [0, 0, 1], str((before, after)))
    for node, case in ((prov, pcase), (city, ccase)):
        check("%s records the police transfer as the lower level's duty" % node.code,
              node.sql("SELECT count(*) FROM case_event e JOIN cases c ON c.id = e.case_id"
                       " WHERE c.case_no = '%s' AND e.kind = 'two_transfers_below'" % case) ==
              "1")
    notice = sl(county, "transfer", "show", police["notice_no"], "--html").stdout
    check("the police's notice asks it to investigate, not to transfer",
          "现将该涉嫌犯罪问题线索移送你局，请依法调查处理，并将立案或不予立案情况于" in notice
          and "移交公安机关" not in notice, notice)
    r = sl(city, "case", "refer", ccase, "--police", "--reason", "核查发现涉嫌犯罪",
           "--operator", "市值班员", check_rc=False)
    check("the city may not refer a case it handed down",
          r.returncode == 3 and "wrong_state:handed_down" in r.stderr, r.stdout + r.stderr)


def test_raised_after_checking(fed, state):
    """A clue without the flags at the county: its bureau's feedback reports a
    crime found by the check, and the police transfer is issued then; `case
    refer --discipline` issues the discipline transfer through intake; a second
    refer is refused."""
    county = fed.county
    r = sl(county, "submit", "--subject", "平遥县某某建材有限公司", "--division", "140728",
           "--sector", "煤", "--description", "违规储存炸药")
    kcase = r.stdout.split("\t")[1]
    sl(county, "dispatch", "now", "--operator", "县值班员")
    k = transfer_of(county, kcase)
    sl(county, "transfer", "receipt", k["notice_no"], "--operator", "值班员")
    check("no police transfer before the check", county.sql(
        "SELECT count(*) FROM transfer t JOIN cases c ON c.id = t.case_id"
        " WHERE c.case_no = '%s' AND t.kind <> 'handling'" % kcase) == "0")
    sl(county, "transfer", "feedback", k["notice_no"], *FEEDBACK, "--crime-found",
       "--leader", "张局长", "--leader-title", "局长", "--operator", "值班员")
    police = transfer_of(county, kcase, kind="police")
    check("the feedback reporting a crime issues the police transfer",
          police["unit_code"] == "140728:police", str(police))
    check("the case is now flagged suspected crime", county.sql(
        "SELECT suspected_crime FROM cases WHERE case_no = '%s'" % kcase) == "t")
    sl(county, "case", "refer", kcase, "--discipline", "--reason", "核查发现监管人员失职",
       "--operator", "县值班员")
    disc = transfer_of(county, kcase, kind="discipline")
    check("case refer --discipline issues the discipline transfer",
          disc["unit_code"] == "140728:discipline", str(disc))
    r = sl(county, "case", "refer", kcase, "--police", "--reason", "再次移交",
           "--operator", "县值班员", check_rc=False)
    check("a second police transfer is refused",
          r.returncode == 3 and "wrong_state:referred" in r.stderr, r.stdout + r.stderr)


# --- 3. 挂牌督办 as the plan has it ------------------------------------------------
def test_major_hazard_supervised_without_a_command(fed, state):
    """A major-hazard clue at the province, handed city → county: the county,
    whose bureau handles it, lists it for supervision by itself, on the day it
    is transferred; the city's lead department for the sector gets the
    supervising copy, due with the county's feedback, answered by a
    supervision report; `case supervise` then changes the leader."""
    prov, city, county = fed.prov, fed.city, fed.county
    r = sl(prov, "submit", "--subject", "平遥县隐患煤业有限公司", "--division", "140728",
           "--sector", "煤", "--description", "采空区隐患未治理", "--major-hazard")
    pcase = r.stdout.split("\t")[1]
    sl(prov, "dispatch", "now", "--operator", "省值班员")
    ccase = upper_case(city, transfer_of(prov, pcase)["notice_no"])
    handling = transfer_of(city, ccase)
    copy = transfer_of(city, ccase, kind="supervision")
    lead = city.sql("SELECT unit_code FROM sector_lead s JOIN sector x ON x.code = s.sector"
                    " WHERE x.name LIKE '%煤%' LIMIT 1")
    check("the city's lead department gets the supervising copy",
          copy["unit_code"] == lead and lead.startswith("140700:"), str((copy, lead)))
    check("due with the county's feedback",
          copy["feedback_deadline"] == handling["feedback_deadline"], str((copy, handling)))
    notice = sl(city, "transfer", "show", copy["notice_no"], "--html").stdout
    check("the copy asks for 挂牌督办 and its report",
          "请你局对该事项进行挂牌督办，并将督办情况及结果于" in notice, notice)
    kcase = upper_case(county, handling["notice_no"])
    transfer_of(county, kcase)
    sup = wait_for("the county's 挂牌督办 list", lambda: [
        l.split("\t") for l in sl(county, "supervision", "list").stdout.splitlines()
        if l.startswith(kcase)] or None, timeout=30)
    check("listed at the county from the day it is transferred, without a command, under"
          " the leader [supervision] names for the sector",
          sup[0][4] == "2021-11-15" and sup[0][5] == "listed" and sup[0][3] == "李某某（副县长）",
          str(sup))
    check("not listed at the city, which handed it down", city.sql(
        "SELECT count(*) FROM supervision s JOIN cases c ON c.id = s.case_id"
        " WHERE c.case_no = '%s'" % ccase) == "0")
    r = sl(county, "case", "supervise", kcase, "--leader", "王副县长", "--title", "副县长",
           "--operator", "县值班员")
    check("case supervise on a listed case names the leader", r.returncode == 0 and any(
        "王副县长（副县长）" in l for l in sl(county, "supervision", "list").stdout.splitlines()))
    sl(city, "transfer", "receipt", copy["notice_no"], "--operator", "值班员")
    sl(city, "transfer", "feedback", copy["notice_no"], "--nature", "非法违法生产经营",
       "--result", "已对该事项挂牌督办，督促平遥县按期完成采空区治理", "--leader", "刘局长",
       "--leader-title", "局长", "--operator", "值班员")
    check("the supervision report is in", transfer_of(city, ccase, kind="supervision")["state"]
          == "fed_back")
