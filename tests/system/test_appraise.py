"""test_appraise.py — the monthly appraisal (四考核) at a city node ranking its counties,
through the real sl-intake, sl-dispatch, sl-appraise and slctl (SL_NOW pinned).

Clues about the counties are registered in November 2026 and transferred to the county
governments; some are fed back on time, one county sends its monthly summary (月小结).
`slctl appraise run --month 2026-11` ranks the 11 counties: the totals match a hand count of
the same cases and figures under the project's default rules, and the county with almost no
clues is ranked and listed for 重点督导 with the reason. After December's cases, a late
feedback and a corrected November summary arrive, November scored again from scratch gives
identical figures, scores and inputs' hash. A rules file with other weights reorders the
ranking as it says and every output names its version. `approve` makes sl-appraise publish
the run (appraisal.published, its /metrics).
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import pytest  # noqa: E402
import sltest  # noqa: E402
import zmq  # noqa: E402
from safeloop.v1 import envelope_pb2  # noqa: E402
from sltest import check, wait_for  # noqa: E402

NOV = "2026-11-03T09:00:00+08:00"  # a Tuesday
RULES = os.path.join(sltest.SL_SOURCE, "deploy", "appraise-rules.ini")
COUNTIES = ["140702", "140703", "140721", "140722", "140723", "140724", "140725",
            "140727", "140728", "140729", "140781"]
CLUES = {c: 3 for c in COUNTIES}
CLUES.update({"140728": 4, "140781": 3, "140729": 0, "140702": 5})
FED_BACK = {"140728": 2, "140702": 5, "140781": 1}  # fed back on time, per county
REPORT = {"major_hazards": 4, "major_hazards_rectified": 3, "illegal_found": 10,
          "illegal_punished": 5, "closed_down": 2, "exposed": 1, "persons_disciplined": 1}
W = dict(hazards=20, punished=15, closed=10, accountable=10, feedback=15, escalated=10,
         reports=10, spotcheck=10)
INSP_HEADER = "被检查单位,统一社会信用代码,行业领域,县级行政区划代码,乡镇（街道）,检查主体,检查日期,检查发现,发现问题,已处罚"
INSP_BODY = "榆次区应急管理局"
SPOT = {"140702": (1, 2)}  # the city's spot checks of the county's inspections: missed, made


def env(at):
    return dict(os.environ, SL_NOW=at)


def slctl(node, at, *args, check=True):
    return node.slctl(*args, env=env(at), check=check)


def hand_count(weights):
    """Each county's total under WEIGHTS, counted from the constants above."""
    out = {}
    for c in COUNTIES:
        n = CLUES[c]
        t = 0.0
        if n:
            t += weights["feedback"] * FED_BACK.get(c, 0) / n + weights["escalated"]
        if c in SPOT:
            t += weights["spotcheck"] * (1 - SPOT[c][0] / SPOT[c][1])
        if c == "140728":
            t += weights["hazards"] * 3 / 4 + weights["punished"] * 5 / 10
            t += weights["closed"] * 2 / 10 + weights["accountable"] * 2 / 10
        out[c] = round(t, 2)
    return out


@pytest.fixture(scope="module")
def city(nodes):
    http, events, pub = sltest.free_port(), sltest.free_port(), sltest.free_port()
    n = nodes.node("appraise", code="140700", extra_ini="""[appraise]
http = 127.0.0.1:%d
events = tcp://127.0.0.1:%d
rules = %s
check_seconds = 1
rank_departments = true

[publish]
http = 127.0.0.1:%d
site_dir = site
templates = %s/templates
tick_seconds = 1
""" % (http, events, RULES, pub, sltest.SL_SOURCE))
    n.appraise_http, n.appraise_events = http, "tcp://127.0.0.1:%d" % events
    n.publish_http, n.site = pub, os.path.join(n.dir, "site")
    n.start("intake", env=env(NOV))
    n.start("dispatch", env=env(NOV))
    return n


def clock(node, at):
    """Restarts sl-intake and sl-dispatch at AT (they refuse envelopes from their future)."""
    for d in ("intake", "dispatch"):
        node.stop(d)
        node.start(d, env=env(at))


def notices(node, county):
    return node.sql("SELECT coalesce(string_agg(notice_no, ',' ORDER BY notice_no), '')"
                    " FROM transfer WHERE unit_code = '%s'" % county).split(",")


def test_november(city, state):
    for c in COUNTIES:
        for i in range(CLUES[c]):
            slctl(city, NOV, "submit", "--subject", "%s某某煤业有限公司%d" % (c, i),
                  "--division", c, "--sector", "煤")
    # two inspections in 榆次区 that found nothing; the city spot-checks both: one finds a
    # problem the inspection missed (应发现未发现), the other nothing
    path = os.path.join(city.dir, "insp.csv")
    with open(path, "w", encoding="utf-8") as f:
        f.write(INSP_HEADER + "\n" + "\n".join(
            "榆次区第%d煤业有限公司,91140702MA%08d,煤,140702,郭家堡乡,%s,2026-11-02,,否,否"
            % (i, i, INSP_BODY) for i in (1, 2)) + "\n")
    slctl(city, NOV, "inspection", "import", path)
    for i, problem in ((1, ["--problem"]), (2, [])):
        slctl(city, NOV, "spotcheck", "record", "--inspection",
              "91140702MA%08d|2026-11-02|%s" % (i, INSP_BODY), "--date", "2026-11-03", "--body",
              "晋中市应急管理局", *problem)
    # two clues in the city's own district: transferred to a department of the city
    for i in range(2):
        slctl(city, NOV, "submit", "--subject", "市直某某煤业有限公司%d" % i, "--division",
              "140700", "--sector", "煤")
    total = sum(CLUES.values()) + 2
    wait_for("%d transfers" % total, lambda: int(city.sql(
        "SELECT count(*) FROM transfer WHERE kind = 'handling'")) == total, timeout=60)
    fed = "2026-11-05T10:00:00+08:00"
    clock(city, fed)
    for c, k in FED_BACK.items():
        for notice in notices(city, c)[:k]:
            slctl(city, fed, "transfer", "receipt", notice, "--operator", "县办甲")
            slctl(city, fed, "transfer", "feedback", notice, "--nature", "非法违法生产经营",
                  "--leader", "王县长", "--leader-title", "县长", "--operator", "县办甲")
    dept = city.sql("SELECT t.unit_code || '|' || t.notice_no FROM transfer t JOIN cases c"
                    " ON c.id = t.case_id WHERE c.division = '140700' ORDER BY t.notice_no"
                    " LIMIT 1").split("|")
    state.dept = dept[0]
    slctl(city, fed, "transfer", "receipt", dept[1], "--operator", "局办甲")
    slctl(city, fed, "transfer", "feedback", dept[1], "--nature", "非法违法生产经营",
          "--leader", "王局长", "--leader-title", "局长", "--operator", "局办甲")
    path = os.path.join(city.dir, "nov.json")
    with open(path, "w") as f:
        json.dump({"from_unit": "140728", "month": "2026-11", "figures": REPORT}, f)
    clock(city, "2026-11-28T10:00:00+08:00")
    slctl(city, "2026-11-28T10:00:00+08:00", "report", "send", "--monthly", path, "--local")
    r = slctl(city, "2026-12-01T10:00:00+08:00", "appraise", "run", "--month", "2026-11",
              "--json")
    state.nov = json.loads(r.stdout)
    got = {p["code"]: p["total"] for p in state.nov["places"]}
    want = hand_count(W)
    check("the totals match the hand count", got == want, "%s\n%s" % (got, want))
    ranks = [p["code"] for p in state.nov["places"]]
    want_order = sorted(COUNTIES, key=lambda c: (-want[c], c))
    check("ranked by total, ties by code", ranks == want_order, str(ranks))
    p28 = [p for p in state.nov["places"] if p["code"] == "140728"][0]
    comp = {c["key"]: (c["num"], c["den"]) for c in p28["components"]}
    check("140728's components", comp["hazards"] == (3, 4) and comp["feedback"] == (2, 4) and
          comp["accountable"] == (2, 10), str(comp))
    p02 = [p for p in state.nov["places"] if p["code"] == "140702"][0]
    comp = {c["key"]: (c["num"], c["den"], c["score"]) for c in p02["components"]}
    check("the spot-check indicator: missed of made, a failing", comp["spotcheck"] == (1, 2, 5.0),
          str(comp))
    deps = state.nov["departments"]
    check("the department ranked apart: its transfers' feedback and escalations", len(deps) == 1
          and deps[0]["code"] == state.dept and deps[0]["total"] == W["feedback"] / 2 +
          W["escalated"] and [(c["key"], c["num"], c["den"]) for c in deps[0]["components"]] ==
          [("feedback", 1, 2), ("escalated", 0, 2)] and deps[0]["false_completions"] == 0 and
          state.dept not in got, str(deps))
    check("the rules are the project's defaults",
          state.nov["rules"]["project_defaults"] and state.nov["rules"]["version"] ==
          "项目默认规则-2026.2", str(state.nov["rules"]))


def test_few_clues_listed_and_ranked(city, state):
    p = [p for p in state.nov["places"] if p["code"] == "140729"][0]
    check("140729 is ranked", p["rank"] >= 1 and p["clues"] == 0, str(p))
    check("and listed for 重点督导 with the reason", p["supervision"] and
          p["reasons"].startswith("问题线索偏少（本月0条，低于其他地方中位数3.0条的30%）"),
          p["reasons"])
    out = slctl(city, "2026-12-01T10:00:00+08:00", "appraise", "show", "--month",
                "2026-11").stdout
    check("the table names the rules and the supervision", "项目默认规则-2026.2" in out and
          "列入重点督导：" in out and "问题线索偏少" in out, out)


def test_rerun_after_december_is_identical(city, state):
    clock(city, "2026-12-02T10:00:00+08:00")
    path = os.path.join(city.dir, "nov2.json")
    with open(path, "w") as f:
        json.dump({"from_unit": "140728", "month": "2026-11",
                   "figures": dict(REPORT, major_hazards_rectified=4)}, f)
    slctl(city, "2026-12-02T10:00:00+08:00", "report", "send", "--monthly", path, "--local")
    dec = "2026-12-03T09:00:00+08:00"
    clock(city, dec)
    for i in range(3):
        slctl(city, dec, "submit", "--subject", "介休市十二月煤业%d" % i, "--division", "140781",
              "--sector", "煤")
    wait_for("december's transfers", lambda: len(notices(city, "140781")) == 6, timeout=60)
    notice = notices(city, "140781")[1]  # a November transfer fed back late
    slctl(city, dec, "transfer", "receipt", notice, "--operator", "县办甲")
    slctl(city, dec, "transfer", "feedback", notice, "--nature", "非法违法生产经营", "--leader",
          "王县长", "--leader-title", "县长", "--operator", "县办甲")
    r = slctl(city, "2026-12-05T10:00:00+08:00", "appraise", "run", "--month", "2026-11",
              "--json")
    again = json.loads(r.stdout)
    check("a second run was stored", again["run"]["id"] != state.nov["run"]["id"])
    check("identical inputs and scores", again["inputs_hash"] == state.nov["inputs_hash"] and
          again["places"] == state.nov["places"])
    ex = json.loads(slctl(city, dec, "appraise", "explain", "140728", "--month", "2026-11",
                          "--json").stdout)
    check("explain walks to the cases", len(ex["transfers_due"]) == 4 and
          sum(t["on_time"] for t in ex["transfers_due"]) == 2 and len(ex["clues"]) == 4, str(ex))
    check("and to the report version as of November's end",
          ex["reports"][0]["figures"]["major_hazards_rectified"] == 3, str(ex["reports"]))
    out = slctl(city, dec, "appraise", "explain", "140728", "--month", "2026-11").stdout
    check("explain in Chinese", "按时反馈" in out and "月小结" in out, out)


def test_weights_change_the_ranking(city, state):
    path = os.path.join(city.dir, "rules.ini")
    with open(RULES) as f:
        text = f.read()
    text = text.replace("version = 项目默认规则-2026.2", "version = 晋中市规则-试行1")
    text = text.replace("project_defaults = true", "project_defaults = false")
    text = text.replace("feedback = 15 ", "feedback = 60 ")
    with open(path, "w") as f:
        f.write(text)
    r = slctl(city, "2026-12-05T10:00:00+08:00", "appraise", "run", "--month", "2026-11",
              "--rules", path, "--json")
    res = json.loads(r.stdout)
    w = dict(W, feedback=60)
    want = hand_count(w)
    got = {p["code"]: p["total"] for p in res["places"]}
    check("totals as the new weights say", got == want, "%s\n%s" % (got, want))
    check("the ranking changed", [p["code"] for p in res["places"]][0] == "140702" and
          [p["code"] for p in state.nov["places"]][0] == "140728",
          str([p["code"] for p in res["places"]]))
    check("the output names the rules version", res["rules"]["version"] == "晋中市规则-试行1")
    out = slctl(city, "2026-12-05T10:00:00+08:00", "appraise", "show", "--month",
                "2026-11").stdout
    check("the table too", "考评规则：晋中市规则-试行1，" in out, out)


def test_approve_publishes(city, state):
    svg = os.path.join(city.dir, "rank.svg")
    html = os.path.join(city.dir, "rank.html")
    slctl(city, "2026-12-05T10:00:00+08:00", "appraise", "show", "--month", "2026-11", "--svg",
          svg, "--html", html)
    with open(svg) as f:
        s = f.read()
    check("an SVG without external assets", s.startswith("<svg") and "href" not in s and
          "晋中市规则-试行1" in s and s.count("<rect") == 12, s[:300])
    with open(html) as f:
        check("a printable document", "<table>" in f.read())
    city.start("appraise", env=env("2026-12-05T10:00:00+08:00"), wait=False)
    wait_for("sl-appraise healthy", lambda: city._healthy(("appraise", 1), city.appraise_http),
             timeout=60)
    # connected before the approval: the event is sent once
    sub = sltest.subscriber(city.appraise_events, "appraisal.published")
    check("nothing published before the approval", city.sql(
        "SELECT count(*) FROM appraisal_run WHERE published_at IS NOT NULL") == "0")
    r = slctl(city, "2026-12-06T10:00:00+08:00", "appraise", "approve", "--by", "李主任",
              "--month", "2026-11")
    check("approved", "李主任" in r.stdout, r.stdout)
    r = slctl(city, "2026-12-06T10:00:00+08:00", "appraise", "approve", "--by", "李主任",
              "--month", "2026-11", check=False)
    check("once", r.returncode == 1 and "已由李主任审定" in r.stderr, r.stderr)
    frames = sub.recv_multipart()
    ev = envelope_pb2.Event()
    ev.ParseFromString(frames[1])
    body = json.loads(ev.json)
    check("appraisal.published names the month, approver and rules",
          body["period"] == "2026-11" and body["approved_by"] == "李主任" and
          body["rules"] == "晋中市规则-试行1" and len(body["places"]) == 11, ev.json[:300])
    check("published once", city.sql(
        "SELECT count(*) FROM appraisal_run WHERE published_at IS NOT NULL") == "1")
    state.pub = int(city.sql("SELECT id FROM publication WHERE kind = 'ranking'"
                             " AND period = '2026-11' AND state = 'issued'"
                             " AND approved_by = '李主任'") or 0)
    check("the approval alone released the ranking", state.pub > 0)
    check("its /metrics", city.metric(city.appraise_http, "sl_appraise_published_total") == 1)
    out = slctl(city, "2026-12-06T10:00:00+08:00", "appraise", "show", "--month",
                "2026-11").stdout
    check("show gives the approved run", "已审定" in out and "晋中市规则-试行1" in out, out)
    wait_for("the daemon scores the campaign's months", lambda: int(city.sql(
        "SELECT count(*) FROM appraisal_run WHERE computed_by = 'sl-appraise'")) >= 1,
        timeout=60)


def test_ranking_on_the_portal(city, state):
    city.start("publish", env=env("2026-12-06T10:00:00+08:00"), wait=False)
    page = os.path.join(city.site, "p", "%d.html" % state.pub)
    wait_for("sl-publish writes the ranking", lambda: os.path.exists(page), timeout=60)
    with open(page, encoding="utf-8") as f:
        h = f.read()
    check("the ranking page: title, rules, approval, chart",
          "晋中市2026年11月集中行动考评排队结果" in h and "考评规则：晋中市规则-试行1" in h and
          "审定：李主任" in h and "<svg" in h and "重点督导" in h and "问题线索偏少" in h, h[:2000])
    check("the places in rank order with their components",
          h.index("<td>1</td>") < h.index("<td>2</td>") and "2/4" in h, h[-3000:])
    for ext in ("svg", "json", "csv", "txt"):
        check("its %s" % ext, os.path.exists(os.path.join(city.site, "p", "%d.%s" % (
            state.pub, ext))))
    raw = open(os.path.join(city.site, "p", "%d.csv" % state.pub), "rb").read()
    rows = raw.decode("utf-8-sig").splitlines()
    check("the CSV: a header and a row per county, then the department's", len(rows) == 15 and
          rows[0].startswith("名次,地方,总分,") and rows[1].startswith("1,") and
          rows[13].startswith("名次,部门,总分,") and rows[14].startswith("1,"), rows)
    check("the page ranks the department apart", "本级部门考评排队" in h)
    j = json.load(open(os.path.join(city.site, "p", "%d.json" % state.pub), encoding="utf-8"))
    check("the JSON names the rules version", j["publication"]["rules_version"] ==
          "晋中市规则-试行1" and len(j["publication"]["items"]) == 11)
    show = slctl(city, "2026-12-06T10:00:00+08:00", "publish", "show", str(state.pub)).stdout
    check("slctl publish show: the record and its text (the approved run's ranking)",
          "ranking" in show and "第1名　榆次区人民政府" in show and "审定：李主任" in show and
          "本级部门考评排队：" in show, show)
    idx = open(os.path.join(city.site, "index.html"), encoding="utf-8").read()
    check("listed on the index", "p/%d.html" % state.pub in idx)


def test_final_evaluation_published_only_once_exported(city, state):
    at = "2026-12-06T10:00:00+08:00"
    slctl(city, at, "campaign", "add", "2026年冬季集中行动", "--start", "2026-11-01", "--end",
          "2026-11-30")
    res = json.loads(slctl(city, at, "appraise", "run", "--final", "--json").stdout)
    check("the final evaluation spans the campaign", res["from"] == "2026-11-01" and
          res["to"] == "2026-11-30" and len(res["places"]) == 11, str(res)[:300])
    r = slctl(city, at, "appraise", "export", "--final", "--xlsx",
              os.path.join(city.dir, "x.xlsx"), check=False)
    check("no export before the approval", r.returncode == 1 and "尚未审定" in r.stderr, r.stderr)
    slctl(city, at, "appraise", "approve", "--final", "--by", "省政府")
    check("approved, not yet exported: not on the portal", city.sql(
        "SELECT count(*) FROM publication WHERE kind = 'ranking' AND period = 'final'") == "0")
    checks = city.metric(city.appraise_http, "sl_appraise_checks_total")
    wait_for("two more checks", lambda: city.metric(
        city.appraise_http, "sl_appraise_checks_total") >= checks + 2, timeout=30)
    check("approved but not exported: not published", city.sql(
        "SELECT published_at IS NULL FROM appraisal_run WHERE month = 'final'"
        " AND status = 'approved'") == "t")
    xlsx = os.path.join(city.dir, "final.xlsx")
    html = os.path.join(city.dir, "final.html")
    slctl(city, at, "appraise", "export", "--final", "--xlsx", xlsx, "--html", html)
    import openpyxl
    ws = openpyxl.load_workbook(xlsx).active
    check("the spreadsheet", ws["A1"].value == "集中行动综合考评结果" and
          "审定：省政府" in ws["A2"].value and ws["A4"].value == "名次" and
          ws.max_row == 4 + 11, "%s %s %d" % (ws["A1"].value, ws["A2"].value, ws.max_row))
    with open(html) as f:
        h = f.read()
    check("the printable document names the approval", "审定：省政府" in h and "<svg" in h)
    wait_for("published once exported", lambda: city.sql(
        "SELECT published_at IS NOT NULL FROM appraisal_run WHERE month = 'final'"
        " AND status = 'approved'") == "t", timeout=30)
    fid = int(city.sql("SELECT id FROM publication WHERE kind = 'ranking' AND period = 'final'"))
    page = os.path.join(city.site, "p", "%d.html" % fid)
    wait_for("the final evaluation on the portal", lambda: os.path.exists(page), timeout=60)
    with open(page, encoding="utf-8") as f:
        h = f.read()
    check("its page", "晋中市集中行动综合考评结果" in h and "审定：省政府" in h and
          "集中行动期间（2026-11-01至2026-11-30）" in h, h[:1500])


ACC_HEADER = ("事故日期,县级行政区划代码,乡镇（街道）,事故地点,事故单位,统一社会信用代码,行业领域,"
              "事故等级,死亡人数,受伤人数,瞒报,事故简况,个体经营者姓名")


def import_accident(city, at, row):
    clock(city, at)
    path = os.path.join(city.dir, "acc-%s.csv" % at[:10])
    with open(path, "w", encoding="utf-8") as f:
        f.write(ACC_HEADER + "\n" + row + "\n")
    out = slctl(city, at, "accident", "import", path).stdout
    check("the accident accepted", out.count("accepted\t") == 1, out)


def test_accident_kaixiaozao(city, state):
    """开小灶 from a 较大 accident recorded through the registers path (sl-intake), as of the
    month's end: an accident recorded late counts in the month it was recorded, never in the
    month already past."""
    import_accident(city, "2026-10-21T10:00:00+08:00",
                    "2026-10-20,140721,胡村镇,胡村,太谷区胡村煤业有限公司,,煤,较大,3,2,否,"
                    "瓦斯爆炸,")
    oct1 = json.loads(slctl(city, "2026-11-01T10:00:00+08:00", "appraise", "run", "--month",
                            "2026-10", "--json").stdout)
    p = {p["code"]: p for p in oct1["places"]}
    check("the county with a 较大 accident is listed, ranked, with the reason",
          p["140721"]["supervision"] and p["140721"]["rank"] >= 1 and
          "发生较大事故1起，开小灶" in p["140721"]["reasons"] and p["140721"]["accidents"] == 1,
          str(p["140721"]))
    check("no other county", not p["140722"]["accidents"], str(p["140722"]))
    # an October accident recorded in December: October as of its end did not know it
    import_accident(city, "2026-12-06T11:00:00+08:00",
                    "2026-10-25,140722,晋福镇,晋福村,榆社县晋福化工有限公司,,危化,重大,10,0,否,"
                    "反应釜爆炸,")
    oct2 = json.loads(slctl(city, "2026-12-06T11:00:00+08:00", "appraise", "run", "--month",
                            "2026-10", "--json").stdout)
    check("October scored again is identical", oct2["inputs_hash"] == oct1["inputs_hash"] and
          oct2["places"] == oct1["places"])
    dec = json.loads(slctl(city, "2027-01-02T10:00:00+08:00", "appraise", "run", "--month",
                           "2026-12", "--json").stdout)
    p = {p["code"]: p for p in dec["places"]}
    check("it counts in December, the month it was recorded",
          p["140722"]["accidents"] == 1 and "发生较大事故1起，开小灶" in p["140722"]["reasons"]
          and not p["140721"]["accidents"], str(p["140722"]))
    ex = json.loads(slctl(city, "2027-01-02T10:00:00+08:00", "appraise", "explain", "140722",
                          "--month", "2026-12", "--json").stdout)
    check("explain names the accident", len(ex["accidents"]) == 1 and
          ex["accidents"][0]["occurred_on"] == "2026-10-25" and ex["accidents"][0]["level"] == 3,
          str(ex["accidents"]))
    out = slctl(city, "2027-01-02T10:00:00+08:00", "appraise", "explain", "140722", "--month",
                "2026-12").stdout
    check("in Chinese", "较大以上事故" in out and "重大事故" in out, out[-600:])


def test_stops_cleanly(city):
    for d in ("appraise", "publish"):
        rc = city.stop(d)
        log = city.log(d)
        check("sl-%s exits 0 on SIGTERM, nothing from the sanitizers" % d,
              rc == 0 and "Sanitizer" not in log, "exit %s\n%s" % (rc, log[-3000:]))
