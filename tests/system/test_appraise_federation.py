"""test_appraise_federation.py — the appraisal's acceptance on the demo federation:
山西省 140000 → 晋中市 140700 → 平遥县 140728 and 介休市 140781, each its own database,
real sl-intake and sl-dispatch, SL_NOW pinned.

Clues are registered at the province about 晋中市's counties in November 2026; the province
transfers them to 晋中市 (a child running a node), which registers them and transfers them
down: to 平遥县 and 介休市 over their links, to the other counties' governments at the city.
平遥县 and 介休市 handle some and answer up through the federation (their bureaus' feedback
verified, then their own, signed by the county head); the city records the answers of two
counties without a node; 平遥县 sends its monthly summary (月小结) up. The city ranks its 11
counties for November: every figure matches a hand count of the same cases in this file; the
county with no clue (灵石县) is ranked and listed for 重点督导 with the reason. After
December's clues and a late feedback on a November transfer, November scored again from
scratch gives identical scores and inputs' hash. A rules file with another weight reorders
the ranking as the file says, and the output names its version.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import pytest  # noqa: E402
import sltest  # noqa: E402
from sltest import check, wait_for  # noqa: E402

NOV = "2026-11-03T09:00:00+08:00"  # a Tuesday
DEC = "2026-12-02T09:00:00+08:00"
RULES = os.path.join(sltest.SL_SOURCE, "deploy", "appraise-rules.ini")
COUNTIES = ["140702", "140703", "140721", "140722", "140723", "140724", "140725",
            "140727", "140728", "140729", "140781"]
CLUES = {c: 2 for c in COUNTIES}
CLUES.update({"140728": 3, "140781": 2, "140729": 0})
# answered on time: through the federation by the county nodes, at the city for the others
ANSWERED_UP = {"140728": 2, "140781": 1}
ANSWERED_AT_CITY = {"140702": 2, "140703": 1}
REPORT = {"major_hazards": 5, "major_hazards_rectified": 4, "illegal_found": 8,
          "illegal_punished": 6, "closed_down": 2, "exposed": 1, "persons_disciplined": 1}
W = dict(hazards=20, punished=15, closed=10, accountable=10, feedback=15, escalated=10,
         reports=10, spotcheck=10)
FEEDBACK = ["--nature", "非法违法生产经营", "--suspended", "--penalized", "--penalty-fen",
            "3000000", "--result", "已停产整顿并处罚款3万元", "--rectified"]


def hand_count(w):
    """Each county's total under weights W, counted from the constants above: 按时反馈 =
    answered on time of the transfers due (all November's, due within the month); no
    escalation (its failing scores full); 平遥县's 四个一批 from its 月小结."""
    out = {}
    for c in COUNTIES:
        n, t = CLUES[c], 0.0
        if n:
            fed = ANSWERED_UP.get(c, 0) + ANSWERED_AT_CITY.get(c, 0)
            t += w["feedback"] * fed / n + w["escalated"]
        if c == "140728":
            t += w["hazards"] * 4 / 5 + w["punished"] * 6 / 8 + w["closed"] * 2 / 8
            t += w["accountable"] * 2 / 8
        out[c] = round(t, 2)
    return out


def sl(node, at, *args):
    return node.slctl(*args, env=dict(os.environ, SL_NOW=at))


def clock(nodes, at):
    for n in nodes:
        for d in ("intake", "dispatch"):
            n.stop(d)
            n.start(d, env={"SL_NOW": at})


@pytest.fixture(scope="module")
def fed(federation):
    for n in federation.values():
        n.start("intake", env={"SL_NOW": NOV})
        n.start("dispatch", env={"SL_NOW": NOV})
    return federation


def city_notices(city, county):
    out = city.sql("SELECT coalesce(string_agg(notice_no, ',' ORDER BY notice_no), '')"
                   " FROM transfer WHERE kind = 'handling' AND unit_code = '%s'" % county)
    return [x for x in out.split(",") if x]


def answer_up(county, notice):
    """The county node: its case of the city's NOTICE handled by its bureau, verified, and
    its own feedback sent up to the city."""
    case = wait_for("the case of %s at %s" % (notice, county.code), lambda: county.sql(
        "SELECT case_no FROM cases WHERE upper_notice_no = '%s'" % notice), timeout=60)
    own = wait_for("its transfer at %s" % county.code, lambda: county.sql(
        "SELECT t.notice_no FROM transfer t JOIN cases c ON c.id = t.case_id"
        " WHERE c.case_no = '%s'" % case), timeout=60)
    sl(county, NOV, "transfer", "receipt", own, "--operator", "值班员")
    sl(county, NOV, "transfer", "feedback", own, *FEEDBACK, "--leader", "张局长",
       "--leader-title", "局长", "--operator", "值班员")
    sl(county, NOV, "transfer", "decide", own, "--verify-pass", "--operator", "县核查员")
    sl(county, NOV, "case", "feedback-up", case, *FEEDBACK, "--leader", "李县长",
       "--leader-title", "县长", "--operator", "值班员")


def test_clues_through_the_federation(fed, state):
    prov, city = fed["140000"], fed["140700"]
    for c in COUNTIES:
        for i in range(CLUES[c]):
            sl(prov, NOV, "submit", "--subject", "%s某某煤业有限公司%d" % (c, i),
               "--division", c, "--sector", "煤")
    total = sum(CLUES.values())
    wait_for("%d transfers at the city" % total, lambda: int(city.sql(
        "SELECT count(*) FROM transfer WHERE kind = 'handling'")) == total, timeout=90)
    check("every city case came down from the province", city.sql(
        "SELECT count(*) FROM cases WHERE channel = 'UPPER_TRANSFER'") == str(total))
    for c, k in ANSWERED_UP.items():
        for notice in city_notices(city, c)[:k]:
            answer_up(fed[c], notice)
    for c, k in ANSWERED_AT_CITY.items():
        for notice in city_notices(city, c)[:k]:
            sl(city, NOV, "transfer", "receipt", notice, "--operator", "县办甲")
            sl(city, NOV, "transfer", "feedback", notice, *FEEDBACK, "--leader", "王县长",
               "--leader-title", "县长", "--operator", "县办甲")
    county = fed["140728"]
    path = os.path.join(county.dir, "nov.json")
    with open(path, "w") as f:
        json.dump({"from_unit": "140728", "month": "2026-11", "figures": REPORT}, f)
    sl(county, NOV, "report", "send", "--monthly", path)
    answered = sum(ANSWERED_UP.values()) + sum(ANSWERED_AT_CITY.values())
    wait_for("the answers and the summary at the city", lambda: city.sql(
        "SELECT (SELECT count(*) FROM transfer WHERE fed_back_at IS NOT NULL) || ','"
        " || (SELECT count(*) FROM report WHERE from_unit = '140728')") == "%d,1" % answered,
        timeout=90)


def test_city_ranks_its_counties(fed, state):
    city = fed["140700"]
    state.nov = json.loads(sl(city, "2026-12-01T10:00:00+08:00", "appraise", "run", "--month",
                              "2026-11", "--rules", RULES, "--json").stdout)
    got = {p["code"]: p["total"] for p in state.nov["places"]}
    want = hand_count(W)
    check("11 counties, totals as counted by hand", got == want, "%s\n%s" % (got, want))
    order = [p["code"] for p in state.nov["places"]]
    check("ranked by total, ties by code", order == sorted(COUNTIES, key=lambda c: (-want[c], c)),
          str(order))
    p = {p["code"]: p for p in state.nov["places"]}
    comp = {c["key"]: (c["num"], c["den"]) for c in p["140728"]["components"]}
    check("平遥县's components: answered through the federation, its 月小结",
          comp["feedback"] == (2, 3) and comp["hazards"] == (4, 5) and
          comp["punished"] == (6, 8) and comp["escalated"] == (0, 3), str(comp))
    comp = {c["key"]: (c["num"], c["den"]) for c in p["140781"]["components"]}
    check("介休市's", comp["feedback"] == (1, 2), str(comp))
    check("clues counted per county", all(p[c]["clues"] == CLUES[c] for c in COUNTIES),
          str({c: p[c]["clues"] for c in COUNTIES}))
    check("the output names the rules version", state.nov["rules"]["version"] ==
          "项目默认规则-2026.2" and state.nov["rules"]["project_defaults"])


def test_county_without_clues_ranked_and_listed(fed, state):
    p = [p for p in state.nov["places"] if p["code"] == "140729"][0]
    check("灵石县 is ranked last", p["rank"] == 11 and p["total"] == 0, str(p))
    check("and listed for 重点督导 with the reason", p["supervision"] and p["reasons"].startswith(
        "问题线索偏少（本月0条，低于其他地方中位数2.0条的30%）"), p["reasons"])
    out = sl(fed["140700"], "2026-12-01T10:00:00+08:00", "appraise", "show", "--month",
             "2026-11").stdout
    check("the table says so", "列入重点督导：" in out and "灵石县人民政府：问题线索偏少" in out,
          out)


def test_rerun_after_december_is_identical(fed, state):
    prov, city = fed["140000"], fed["140700"]
    clock((prov, city), DEC)
    before = int(city.sql("SELECT count(*) FROM transfer WHERE kind = 'handling'"))
    for c in ("140729", "140702"):
        sl(prov, DEC, "submit", "--subject", "%s十二月煤业有限公司" % c, "--division", c,
           "--sector", "煤")
    wait_for("December's transfers at the city", lambda: int(city.sql(
        "SELECT count(*) FROM transfer WHERE kind = 'handling'")) == before + 2, timeout=90)
    late = city_notices(city, "140703")[1]  # a November transfer answered in December
    sl(city, DEC, "transfer", "receipt", late, "--operator", "县办甲")
    sl(city, DEC, "transfer", "feedback", late, *FEEDBACK, "--leader", "王县长",
       "--leader-title", "县长", "--operator", "县办甲")
    again = json.loads(sl(city, "2026-12-05T10:00:00+08:00", "appraise", "run", "--month",
                          "2026-11", "--rules", RULES, "--json").stdout)
    check("a new run", again["run"]["id"] != state.nov["run"]["id"])
    check("identical inputs' hash and scores", again["inputs_hash"] == state.nov["inputs_hash"]
          and again["places"] == state.nov["places"])


def test_a_weight_changes_the_ranking(fed, state):
    city = fed["140700"]
    path = os.path.join(city.dir, "rules.ini")
    with open(RULES) as f:
        text = f.read()
    for old, new in (("version = 项目默认规则-2026.2", "version = 晋中市规则-试行2"),
                     ("project_defaults = true", "project_defaults = false"),
                     ("hazards = 20 ", "hazards = 0 "), ("feedback = 15 ", "feedback = 60 ")):
        check("the rules file has %s" % old, old in text)
        text = text.replace(old, new)
    with open(path, "w") as f:
        f.write(text)
    res = json.loads(sl(city, "2026-12-05T10:00:00+08:00", "appraise", "run", "--month",
                        "2026-11", "--rules", path, "--json").stdout)
    want = hand_count(dict(W, hazards=0, feedback=60))
    got = {p["code"]: p["total"] for p in res["places"]}
    check("totals as the file says", got == want, "%s\n%s" % (got, want))
    before = [p["code"] for p in state.nov["places"]]
    after = [p["code"] for p in res["places"]]
    check("the ranking changed: 平遥县 no longer first", before[0] == "140728" and
          after[0] == "140702" and after.index("140728") > 0, "%s\n%s" % (before, after))
    check("the output names the new version", res["rules"]["version"] == "晋中市规则-试行2" and
          not res["rules"]["project_defaults"])
    out = sl(city, "2026-12-05T10:00:00+08:00", "appraise", "show", "--month", "2026-11").stdout
    check("the table too", "考评规则：晋中市规则-试行2，" in out, out)
