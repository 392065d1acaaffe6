"""test_reports.py — the weekly report drafted from the ledger (issue 20).

山西省 140000 → 晋中市 140700 → 平遥县 140728 and 介休市 140781, real
sl-intake and sl-dispatch, SL_NOW in week 2026-W49 (Monday 2026-11-30).

- 晋中市's departments handle three cases of the city's own (A: an illegal
  act, fined 3万元 and suspended; B: a major hazard, rectified, 2 persons
  disciplined and 1 prosecuted; C: a concealed accident); a fourth (D) is
  about 平遥县 and handed down to it.
- 平遥县 handles two cases of its own (E in 古陶镇: fined 1.25万元 and closed
  down; F in 段村镇: a major hazard) and registers D from the city; it makes
  two negative typical cases, drafts its weekly report (`report build`) and
  sends it (`report send`, the files travelling with it). 介休市 sends none.
- 晋中市's draft: annex 4's 总计 equals the sum of its rows, counts D once
  (at 平遥县) and matches the hand count below; 介休市's row is empty, the
  total marked incomplete, 介休市 named; annex 6 has one row per item; the
  XLSX files read back cell by cell with openpyxl, the CSV with its BOM.
- `reports due`: 介休市 is named at the city after Monday 10:00; the
  province's deadline for the city's report is later (16:00) than the city's
  for its counties.
"""
import csv
import io
import json
import os
import sys
import tempfile
import types

sys.path.insert(0, os.path.dirname(__file__))
import openpyxl  # noqa: E402
import pytest  # noqa: E402
from sltest import check, wait_for  # noqa: E402

T0 = "2026-11-30T09:00:00+08:00"      # Monday of 2026-W49
MONDAY_AFTER = "2026-12-07T09:00:00+08:00"
WEEK = "2026-W49"
CAMPAIGN = "2026年冬季安全生产“百日攻坚”集中行动"

# annex 4's columns in the spreadsheet (B..N) and the figure each prints
COLS = ["inspection_groups", "units_inspected", "illegal_found", "illegal_punished",
        "major_hazards", "major_hazards_rectified", "fine_fen", "suspended",
        "licences_revoked", "closed_down", "persons", "exposed", "commitments"]


def env(now):
    return dict(os.environ, SL_NOW=now)


def sl(node, *args, now=T0, check_rc=True):
    r = node.slctl(*args, env=env(now), check=False)
    if check_rc and r.returncode != 0:
        raise AssertionError("slctl %s at %s failed (%d): %s%s" % (
            " ".join(args), node.code, r.returncode, r.stdout, r.stderr))
    return r


def submit(node, subject, division, *extra):
    r = sl(node, "submit", "--subject", subject, "--division", division, "--sector", "煤",
           *extra)
    return r.stdout.split("\t")[1]


def notice_of(node, case_no):
    def get():
        out = node.sql("SELECT t.notice_no FROM transfer t JOIN cases c ON c.id = t.case_id"
                       " WHERE c.case_no = '%s' AND t.kind = 'handling' ORDER BY t.id" % case_no)
        return out.splitlines()[-1] if out else None
    return wait_for("transfer of %s at %s" % (case_no, node.code), get, timeout=60)


def handle(node, case_no, *feedback):
    n = notice_of(node, case_no)
    sl(node, "transfer", "receipt", n, "--operator", "值班员")
    sl(node, "transfer", "feedback", n, "--nature", "非法违法生产经营", "--leader", "张局长",
       "--leader-title", "局长", "--result", "已依法处理", "--rectified", *feedback)
    sl(node, "transfer", "decide", n, "--verify-pass", "--operator", "核查员")


def fen_wan(fen):
    return "%.2f" % (round(fen / 10000) / 100)


@pytest.fixture(scope="module")
def fed(federation):
    for n in federation.values():
        n.start("intake", env={"SL_NOW": T0})
        n.start("dispatch", env={"SL_NOW": T0})
    prov, city, county, jx = (federation[c] for c in ("140000", "140700", "140728", "140781"))
    for n in federation.values():
        sl(n, "campaign", "add", CAMPAIGN, "--start", "2026-11-30", "--end", "2027-03-31",
           "--weekly-day", "1", "--weekly-time", "10:00", "--level-time", "province=16:00")
    return types.SimpleNamespace(prov=prov, city=city, county=county, jx=jx,
                                 dir=tempfile.mkdtemp(prefix="sl-reports-"))


def test_a_week_of_cases(fed, state):
    city, county, jx = fed.city, fed.county, fed.jx
    a = submit(city, "晋中市甲煤业有限公司", "140700", "--violation", "1", "--category", "生产企业")
    b = submit(city, "晋中市乙化工有限公司", "140700", "--major-hazard", "--violation-text",
               "重大危险源未登记")
    c = submit(city, "晋中市丙建筑有限公司", "140700", "--violation", "5")
    d = submit(city, "平遥县丁煤业有限公司", "140728", "--violation", "1", "--township", "洪善镇")
    handle(city, a, "--penalized", "--penalty-fen", "3000000", "--suspended",
           "--category", "经营企业")
    handle(city, b, "--hazard-rectified", "--disciplined", "2", "--criminal", "1")
    e = submit(county, "平遥县戊煤业有限公司", "140728", "--violation", "1", "--township",
               "古陶镇", "--category", "个体工商户")
    f = submit(county, "平遥县己煤业有限公司", "140728", "--major-hazard", "--township", "段村镇")
    submit(jx, "介休市庚焦化有限公司", "140781", "--violation", "1")
    handle(county, e, "--penalized", "--penalty-fen", "1250000", "--closed-down")
    dc = wait_for("D registered at 平遥县", lambda: county.sql(
        "SELECT case_no FROM cases WHERE upper_case_no = '%s'" % d), timeout=60)
    check("D is routed to the child at the city", city.sql(
        "SELECT route FROM cases WHERE case_no = '%s'" % d) == "child")
    state.cases = dict(a=a, b=b, c=c, d=d, e=e, f=f, dc=dc)


def test_county_drafts_and_sends(fed, state):
    county = fed.county
    for no, title in ((state.cases["e"], "平遥县应急管理局对平遥县戊煤业无证开采案"),
                      (state.cases["f"], "平遥县应急管理局对平遥县己煤业重大隐患案")):
        p = os.path.join(fed.dir, "typical.json")
        with open(p, "w") as fh:
            json.dump({"title": title, "keywords": "无证开采、重大隐患、停产整顿",
                       "summary": "依法应当停产整顿", "facts": "经查，该企业……",
                       "outcome": "责令停产整顿并处罚款", "analysis": "1. 企业主体责任……",
                       "advice": "1. 加强巡查；\n2. 严格执法。", "negative": True}, fh,
                      ensure_ascii=False)
        sl(county, "case", "typical", no, "--file", p, now=MONDAY_AFTER)
    out = os.path.join(fed.dir, "county")
    r = sl(county, "report", "build", "--weekly", "--week", WEEK, "--dir", out,
           "--filled-by", "王填表", now=MONDAY_AFTER)
    draft = json.load(open(os.path.join(out, "周报告.json")))
    fig = draft["figures"]
    check("the county counts its own cases and D", fig["illegal_found"] == 2 and
          fig["major_hazards"] == 1 and fig["illegal_punished"] == 1 and
          fig["fine_fen"] == 1250000 and fig["closed_down"] == 1, json.dumps(fig))
    check("rows by township", sorted(x["label"] for x in draft["rows"]) ==
          ["古陶镇", "段村镇", "洪善镇"], r.stdout)
    check("two typical cases offered", len(draft["typical_cases"]) == 2, r.stdout)
    cats = {i["case_no"]: i["category"] for i in draft["items"]}
    check("企业类别 from the clue", cats.get(state.cases["e"]) == "个体工商户", str(cats))
    r = sl(county, "report", "send", "--weekly", os.path.join(out, "周报告.json"),
           now=MONDAY_AFTER)
    check("sent to the city's outbox", r.stdout.strip().endswith("outbox:140700"), r.stdout)
    wait_for("the county's report at the city", lambda: fed.city.sql(
        "SELECT count(*) FROM report WHERE from_unit = '140728' AND period = '2026-11-30'")
        == "1", timeout=60)
    state.county_draft = draft


def test_city_draft_counts_once(fed, state):
    city = fed.city
    out = os.path.join(fed.dir, "city")
    r = sl(city, "report", "build", "--weekly", "--week", WEEK, "--dir", out,
           "--filled-by", "李填表", "--filled-on", "2026-12-07", now=MONDAY_AFTER)
    check("介休市 named as missing", "未报送\t介休市（140781）" in r.stdout, r.stdout)
    draft = json.load(open(os.path.join(out, "周报告.json")))
    state.city_draft, state.city_dir = draft, out
    rows = {x["label"]: x for x in draft["rows"]}
    check("rows: 市直各部门 first, then each of the 11 counties", draft["rows"][0]["label"] ==
          "市直各部门" and len(rows) == 12 and "介休市" in rows and "平遥县" in rows,
          str(list(rows)))
    check("介休市's row empty and missing", rows["介休市"]["missing"] and
          rows["介休市"]["figures"] == {})
    check("incomplete, 介休市 named, 平遥县 not", draft["incomplete"] and
          "140781" in draft["missing_units"] and "140728" not in draft["missing_units"])
    total = draft["figures"]
    for k in ("illegal_found", "illegal_punished", "major_hazards", "major_hazards_rectified",
              "fine_fen", "suspended", "closed_down", "persons_disciplined",
              "persons_prosecuted"):
        s = sum(x["figures"].get(k, 0) for x in draft["rows"])
        check("总计 %s is the sum of the rows" % k, total[k] == s, "%s %s" % (total[k], s))
    own = rows["市直各部门"]["figures"]
    # the hand count: city A, C illegal; B major; D is 平遥县's; county E, D illegal, F major
    hand = dict(illegal_found=4, illegal_punished=2, major_hazards=2, major_hazards_rectified=1,
                fine_fen=4250000, suspended=1, closed_down=1, persons_disciplined=2,
                persons_prosecuted=1)
    for k, v in hand.items():
        check("总计 %s matches the hand count" % k, total[k] == v, "%s %s" % (total[k], v))
    check("the city's own row leaves D to 平遥县", own["illegal_found"] == 2 and
          own["major_hazards"] == 1, json.dumps(own))
    items = draft["items"]
    nos = [i["case_no"] for i in items]
    c = state.cases
    check("annex 6: one row per item, D once (as 平遥县's case)", len(items) == 6 and
          sorted(nos) == sorted([c["a"], c["b"], c["c"], c["dc"], c["e"], c["f"]]), str(nos))
    kinds = {i["case_no"]: i["kind"] for i in items}
    check("kinds", kinds[c["b"]] == "重大隐患" and kinds[c["c"]] == "瞒报事故" and
          kinds[c["a"]] == "非法违法行为", str(kinds))
    cats = {i["case_no"]: i["category"] for i in items}
    check("企业类别: the result's over the clue's", cats[c["a"]] == "经营企业", str(cats))


def test_city_xlsx_and_csv(fed, state):
    draft, out = state.city_draft, state.city_dir
    wb = openpyxl.load_workbook(os.path.join(out, "附件4.xlsx"))
    ws = wb.active
    check("title", ws["A1"].value == "“百日攻坚”集中行动统计表", ws["A1"].value)
    check("填报单位/填表人/填表日期", ws["A2"].value == "填报单位：晋中市" and
          "李填表" in "".join(str(c.value or "") for c in ws[2]) and
          "填表日期：2026-12-07" in "".join(str(c.value or "") for c in ws[2]),
          str([c.value for c in ws[2]]))
    merged = {str(m) for m in ws.merged_cells.ranges}
    for m in ("A1:N1", "A3:A5", "B3:B5", "D3:G3", "D4:E4", "F4:G4", "H3:K3", "H4:H5", "L3:L5"):
        check("merged header %s" % m, m in merged, str(sorted(merged)))
    check("header words", ws["D3"].value == "集中行动开展情况" and
          ws["D4"].value == "非法违法生产经营建设行为案例" and ws["D5"].value == "排查" and
          ws["E5"].value == "查处" and ws["H4"].value == "行政罚款", "")
    check("units", [ws.cell(6, c).value for c in range(2, 15)] ==
          ["（个）", "（家）", "（个）", "（个）", "（项）", "（项）", "（万元）", "（家）", "（个）",
           "（家）", "（人）", "（家）", "（家）"], str([c.value for c in ws[6]]))

    def expect(fig, k):
        if k == "persons":
            return "%d/%d" % (fig.get("persons_disciplined", 0), fig.get("persons_prosecuted", 0))
        if k == "fine_fen":
            return float(fen_wan(fig.get(k, 0)))
        return fig.get(k, 0)

    rows = [("总计（不完整）", draft["figures"], False)] + [
        (x["label"], x["figures"], x["missing"]) for x in draft["rows"]]
    for i, (label, fig, missing) in enumerate(rows):
        r = 7 + i
        check("row %d label" % r, ws.cell(r, 1).value == label, str(ws.cell(r, 1).value))
        for j, k in enumerate(COLS):
            got = ws.cell(r, 2 + j).value
            want = None if missing else expect(fig, k)
            if missing:
                check("%s %s empty" % (label, k), got in (None, ""), repr(got))
            else:
                check("%s %s" % (label, k), got == want, "%r != %r" % (got, want))
    check("fine format two decimals", ws.cell(7, 8).number_format == "0.00")
    note = ws.cell(7 + len(rows), 1).value
    check("the note names 介休市", "介休市（140781）" in note and "注：1." in note, note)

    wb6 = openpyxl.load_workbook(os.path.join(out, "附件6.xlsx"))
    ws6 = wb6.active
    check("annex 6 title and headers",
          ws6["A1"].value == "非法违法生产经营建设行为、重大事故隐患统计表" and
          ws6["B3"].value == "生产经营建设单位名称/非法业主名称" and ws6["C3"].value == "是否提级核查"
          and ws6["E3"].value == "企业类别")
    for i, it in enumerate(draft["items"]):
        r = 4 + i
        check("annex 6 row %d" % r, ws6.cell(r, 1).value == i + 1 and
              ws6.cell(r, 2).value == it["subject_name"] and
              ws6.cell(r, 3).value == ("是" if it["escalated"] else "否") and
              (ws6.cell(r, 5).value or "") == it["category"] and
              ws6.cell(r, 6).value.startswith(it["kind"] + "："),
              str([c.value for c in ws6[r]]))
    check("annex 6 has no more rows", ws6.cell(4 + len(draft["items"]), 1).value is None)

    raw = open(os.path.join(out, "附件4.csv"), "rb").read()
    check("CSV starts with a BOM", raw.startswith(b"\xef\xbb\xbf"))
    rows4 = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    check("CSV header", rows4[0][0] == "项目单位" and rows4[0][7] == "行政罚款（万元）" and
          rows4[0][11] == "处理人员情况（党政纪处分/追究刑事责任）（人）", str(rows4[0]))
    check("CSV total", rows4[1][0] == "总计（不完整）" and rows4[1][3] == "4" and
          rows4[1][7] == "4.25" and rows4[1][11] == "2/1", str(rows4[1]))
    jx = [x for x in rows4 if x[0] == "介休市"]
    check("CSV 介休市 empty", jx and all(v == "" for v in jx[0][1:]), str(jx))
    raw6 = open(os.path.join(out, "附件6.csv"), "rb").read().decode("utf-8-sig")
    rows6 = list(csv.reader(io.StringIO(raw6)))
    check("CSV annex 6: header and one row per item", len(rows6) == 1 + len(draft["items"]) and
          rows6[1][0] == "1" and rows6[1][1] == draft["items"][0]["subject_name"], raw6[:300])


def test_county_files_travel_with_the_report(fed, state):
    got = fed.city.sql("SELECT length(body) FROM report WHERE from_unit = '140728'")
    check("the body carries the files", int(got) > 5000, got)
    html = open(os.path.join(fed.dir, "county", "附件5.html"), encoding="utf-8").read()
    check("annex 5 as a print document", "@page" in html and "【案例剖析】" in html and
          "平遥县应急管理局对平遥县戊煤业无证开采案" in html, html[:200])


def test_reports_due_per_level(fed, state):
    city, prov = fed.city, fed.prov
    due = sl(city, "reports", "due", now="2026-12-07T10:30:00+08:00").stdout
    lines = [x.split("\t") for x in due.splitlines()]
    week = [x for x in lines if x[2] == "weekly" and x[3] == "2026-11-30"]
    check("介休市 due at the city by Monday 10:00", any(
        x[0] == "140781" and x[4] == "2026-12-07 10:00" for x in week), due)
    check("平遥县 sent in time", not any(x[0] == "140728" for x in week), due)
    early = sl(prov, "reports", "due", now="2026-12-07T10:30:00+08:00").stdout
    check("the city's report is not yet due at the province at 10:30",
          not any(x.split("\t")[0] == "140700" and x.split("\t")[3] == "2026-11-30"
                  for x in early.splitlines()), early)
    late = sl(prov, "reports", "due", now="2026-12-07T16:30:00+08:00").stdout
    check("the province expects the city by 16:00", any(
        x.split("\t")[0] == "140700" and x.split("\t")[4] == "2026-12-07 16:00"
        for x in late.splitlines()), late)


def test_monthly_six_lists_roll_up(fed, state):
    city, county = fed.city, fed.county
    out = os.path.join(fed.dir, "county-month")
    r = sl(county, "report", "build", "--monthly", "--month", "2026-11", "--dir", out,
           now="2026-11-30T18:00:00+08:00")
    cdraft = json.load(open(os.path.join(out, "月小结.json")))
    own = county.sql("SELECT count(*) FROM ledger_entry WHERE month = '2026-11'")
    check("the county's six lists: its ledger's entries", sum(x["count"] for x in cdraft["lists"])
          == int(own) == len(cdraft["entries"]) and int(own) >= 2, r.stdout)
    sl(county, "report", "send", "--monthly", os.path.join(out, "月小结.json"),
       now="2026-11-30T18:00:00+08:00")
    wait_for("the county's monthly report at the city", lambda: city.sql(
        "SELECT count(*) FROM report WHERE kind = 'monthly' AND from_unit = '140728'") == "1",
        timeout=60)
    out = os.path.join(fed.dir, "city-month")
    r = sl(city, "report", "build", "--monthly", "--month", "2026-11", "--dir", out,
           now="2026-11-30T18:00:00+08:00")
    draft = json.load(open(os.path.join(out, "月小结.json")))
    mine = city.sql("SELECT e.list, count(*) FROM ledger_entry e LEFT JOIN cases c"
                    " ON c.id = e.case_id WHERE e.month = '2026-11' AND"
                    " (c.id IS NULL OR c.route <> 'child') GROUP BY 1")
    hand = {}
    for line in mine.splitlines():
        name, n = line.split("|")
        hand[name] = int(n)
    for x in cdraft["lists"]:
        if x["count"]:
            hand[x["list"]] = hand.get(x["list"], 0) + x["count"]
    got = {x["list"]: x["count"] for x in draft["lists"] if x["count"]}
    check("the city's six lists: its own entries plus the county's", got == hand,
          "%s %s" % (got, hand))
    check("the entries: its own and the county's", len(draft["entries"]) ==
          sum(hand.values()), str(len(draft["entries"])))
    check("介休市 named", "未报送\t介休市（140781）" in r.stdout, r.stdout)
    wb = openpyxl.load_workbook(os.path.join(out, "六个清单.xlsx"))
    ws = wb["汇总"]
    check("summary sheet", ws["A1"].value == "六个清单（2026年11月）" and
          [ws.cell(4 + i, 2).value for i in range(6)] == [x["count"] for x in draft["lists"]] and
          "介休市（140781）" in ws["A11"].value, str([[c.value for c in r] for r in ws.rows]))
    ws = wb["明细"]
    check("detail sheet: one row per entry", ws.cell(3 + len(draft["entries"]), 1).value ==
          len(draft["entries"]) and ws.cell(4 + len(draft["entries"]), 1).value is None)
    raw = open(os.path.join(out, "六个清单.csv"), "rb").read()
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    check("CSV with BOM, one row per entry", raw.startswith(b"\xef\xbb\xbf") and
          rows[0][1] == "清单" and len(rows) == 1 + len(draft["entries"]))


def test_daily_summary_and_briefing(fed, state):
    city = fed.city
    out = os.path.join(fed.dir, "city-day")
    r = sl(city, "report", "build", "--daily", "--day", "2026-11-30", "--issue", "3", "--dir",
           out, now="2026-11-30T18:00:00+08:00")
    lines = {x.split("\t")[0]: x.split("\t")[1:] for x in r.stdout.splitlines()}
    # 晋中市: A, B, C registered, transferred, A and B answered; 平遥县: D handed down
    check("by county", lines.get("晋中市") == ["3", "3", "2", "0", "0"] and
          lines.get("平遥县") == ["1", "1", "0", "0", "0"] and
          lines.get("合计") == ["4", "4", "2", "0", "0"], r.stdout)
    day = open(os.path.join(out, "日汇总.html"), encoding="utf-8").read()
    check("日汇总: by county and by sector",
          "一、按地区" in day and "二、按行业领域" in day and
          "<tr><td>晋中市</td><td>3</td><td>3</td><td>2</td><td>0</td><td>0</td></tr>" in day and
          "<td>煤矿</td><td>4</td>" in day, day)
    brief = open(os.path.join(out, "简报.html"), encoding="utf-8").read()
    check("简报: issue, sentences, table", "第3期" in brief and
          "2026年11月30日，晋中市共受理问题线索4条，交办4件，收到办理反馈2件" in brief and
          "市委、市政府主要领导" in brief and "<table>" in brief, brief)
