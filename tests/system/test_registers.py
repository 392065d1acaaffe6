"""test_registers.py — the register of inspections and the city's spot checks
(issue 18), through the real sl-intake, sl-dispatch and slctl of a county
(平遥县, 140728) and its city (晋中市, 140700).

40 inspections of coal mines in 平遥县 over 3 townships are imported at the
county from one CSV file: a file with one bad line is refused whole, naming
the line; the good file adds 40 rows, and the same file again adds nothing.
An inspection that found a problem becomes a clue (channel INSPECTION) linked
to it. The inspections travel up to the city, which draws a 10% sample (at
least 4 units, over all 3 townships) and draws the same units again from the
stored seed. A spot check that finds an unpunished problem the inspection
missed puts the inspecting body on the 约谈问责 list at the city and, sent down,
at the county. Exports are CSV with a BOM; the register rows' audit chains
verify and a tampered event is named.
"""
import csv
import io
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import sltest  # noqa: E402
from sltest import wait_for  # noqa: E402

HEADER = "被检查单位,统一社会信用代码,行业领域,县级行政区划代码,乡镇（街道）,检查主体,检查日期,检查发现,发现问题,已处罚"
TOWNS = ["古陶镇", "洪善镇", "宁固镇"]
BODY = "平遥县应急管理局"
T0 = "2026-11-10T09:00:00+08:00"  # the daemons' clock at start


def credit(i):
    return "91140728MA%08d" % i


def row(i):
    # every 10th found a problem; of those, every other one was punished
    found = i % 10 == 0
    return "平遥县第%d煤业有限公司,%s,煤,140728,%s,%s,2026-11-%02d,%s,%s,%s" % (
        i, credit(i), TOWNS[i % 3], BODY, 1 + i % 20, "通风系统存在隐患" if found else "",
        "是" if found else "否", "是" if found and i % 20 == 0 else "否")


def write(node, name, lines):
    path = os.path.join(node.dir, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\ufeff" + HEADER + "\n" + "\n".join(lines) + "\n")
    return path


def count(node, table, where="true"):
    return int(node.sql("SELECT count(*) FROM %s WHERE %s" % (table, where)))


@pytest.fixture(scope="module")
def nodes():
    ns = sltest.federation("reg", codes=("140700", "140728"))
    reports = []
    try:
        for n in ns.values():
            n.start("intake", env={"SL_NOW": T0})
            n.start("dispatch", env={"SL_NOW": T0})
        yield ns
        # a sanitizer build: the daemons' reports (leaks show at exit) fail the module
        for n in ns.values():
            for key in list(n.procs):
                n.stop(*key)
            reports += ["%s sl-%s: %s" % (n.code, k[0], n.log(*k)[-2000:])
                        for k in n.logs if "Sanitizer" in n.log(*k)]
    except Exception:
        sltest.dump_logs(ns)
        raise
    finally:
        for n in ns.values():
            n.close()
    assert not reports, "\n".join(reports)


@pytest.fixture(scope="module")
def county(nodes):
    return nodes["140728"]


@pytest.fixture(scope="module")
def city(nodes):
    return nodes["140700"]


def test_import_with_a_bad_line_changes_nothing(county):
    lines = [row(i) for i in range(1, 41)]
    lines[15] = lines[15].replace("2026-11-", "2026/11/")  # file line 17 (header is line 1)
    r = county.slctl("inspection", "import", write(county, "bad.csv", lines), check=False)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "line 17:" in r.stderr and "inspected_on" in r.stderr, r.stderr
    assert "nothing was sent" in r.stderr
    assert count(county, "inspection") == 0
    assert count(county, "inbox") == 0


def test_import_adds_40_then_nothing(county):
    path = write(county, "good.csv", [row(i) for i in range(1, 41)])
    r = county.slctl("inspection", "import", path, timeout=300)
    assert r.stdout.count("accepted\t") == 40, r.stdout + r.stderr
    assert count(county, "inspection") == 40
    again = county.slctl("inspection", "import", path, timeout=300)
    assert again.stdout.count("duplicate\t") == 40, again.stdout + again.stderr
    assert "accepted\t" not in again.stdout
    assert count(county, "inspection") == 40


def test_a_problem_found_becomes_a_linked_clue(county):
    linked = county.sql("SELECT count(*) FROM inspection i JOIN cases c ON c.case_no = i.case_no"
                        " WHERE i.problem_found AND c.channel = 'INSPECTION'")
    assert linked == "4"
    assert count(county, "inspection", "NOT problem_found AND case_no IS NOT NULL") == 0


def test_inspections_travel_up(city):
    wait_for("40 inspections at the city", lambda: count(
        city, "inspection", "origin_node = '140728'") == 40, timeout=60)
    # the city registers no clue for them: the county did
    assert count(city, "cases") == 0


def test_draw_is_spread_and_reproducible(city):
    r = city.slctl("spotcheck", "draw", "--county", "140728", "--sector", "煤", "--share", "10")
    head, *picked = r.stdout.splitlines()
    assert head.startswith("draw ") and "picked 4 of 40" in head, r.stdout
    seed = head.split("\t")[1].split()[1]
    assert len(picked) >= 4
    assert {p.split("\t")[3] for p in picked} == set(TOWNS)
    again = city.slctl("spotcheck", "draw", "--county", "140728", "--sector", "煤", "--share",
                       "10", "--seed", seed)
    assert again.stdout.splitlines()[1:] == picked
    draw_id = head.split("\t")[0].split()[1]
    shown = city.slctl("spotcheck", "show", draw_id).stdout.splitlines()
    assert ("seed %s" % seed) in shown[0] and shown[1:] == picked


def test_spot_check_of_a_missed_problem_lists_the_body(city, county):
    key = "%s|2026-11-02|%s" % (credit(1), BODY)  # inspection 1 found nothing
    city.slctl("spotcheck", "record", "--inspection", key, "--date", "2026-11-25",
               "--body", "晋中市应急管理局", "--findings", "瓦斯监测失效", "--problem",
               "--should-punish")
    listed = city.slctl("interview", "list").stdout.splitlines()
    assert len(listed) == 1 and BODY in listed[0] and "应发现未发现、应处罚未处罚" in listed[0]
    # a spot check that finds nothing new lists nobody
    ok_key = "%s|2026-11-01|%s" % (credit(20), BODY)  # found and punished
    city.slctl("spotcheck", "record", "--inspection", ok_key, "--date", "2026-11-25",
               "--body", "晋中市应急管理局", "--problem", "--should-punish")
    assert count(city, "interview_entry") == 1
    # the result travels down to the county that inspected
    wait_for("both spot checks at the county", lambda: count(county, "spot_check") == 2,
             timeout=60)
    assert count(county, "interview_entry") == 1
    assert county.sql("SELECT DISTINCT from_unit FROM spot_check") == "140700"
    assert BODY in county.slctl("interview", "list").stdout


def test_unknown_inspection_is_rejected(city):
    r = city.slctl("spotcheck", "record", "--inspection", "nope", "--date", "2026-11-25",
                   "--body", "晋中市应急管理局", check=False)
    assert r.returncode == 3 and "bad_field:inspection_key" in r.stderr


def test_exports_are_csv_with_bom(county, city):
    out = os.path.join(county.dir, "inspections.csv")
    county.slctl("inspection", "export", "--out", out)
    data = open(out, "rb").read()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][1] == "被检查单位" and len(rows) == 41
    assert rows[1][1] == "平遥县第1煤业有限公司" and rows[1][4] == "平遥县"
    text = city.slctl("interview", "export").stdout
    assert text.startswith("\ufeff") and BODY in text


ACC_HEADER = ("事故日期,县级行政区划代码,乡镇（街道）,事故地点,事故单位,统一社会信用代码,行业领域,"
              "事故等级,死亡人数,受伤人数,瞒报,事故简况,个体经营者姓名")
ACCIDENTS = [
    "2026-11-03,140728,古陶镇,古陶镇东街,平遥县第1煤业有限公司,%s,煤,一般,0,2,否,运输巷片帮," % credit(1),
    "2026-11-05,140728,洪善镇,洪善村,平遥县洪善烟花爆竹店,,民爆,较大,3,1,否,储存间爆炸,张三丰",
    "2026-11-07,140728,宁固镇,宁固工业园,平遥县第7煤业有限公司,%s,煤,一般,1,0,是,冒顶," % credit(7),
]


def test_accidents(county):
    path = os.path.join(county.dir, "acc.csv")
    with open(path, "w", encoding="utf-8") as f:
        f.write(ACC_HEADER + "\n" + "\n".join(
            ACCIDENTS[:2] + [ACCIDENTS[2].replace(",一般,", ",中等,")]) + "\n")
    r = county.slctl("accident", "import", path, check=False)
    assert r.returncode == 2 and "line 4:" in r.stderr and "bad_field:level" in r.stderr, r.stderr
    assert count(county, "accident") == 0
    with open(path, "w", encoding="utf-8") as f:
        f.write(ACC_HEADER + "\n" + "\n".join(ACCIDENTS) + "\n")
    assert county.slctl("accident", "import", path).stdout.count("accepted\t") == 3
    assert county.slctl("accident", "import", path).stdout.count("duplicate\t") == 3
    listed = county.slctl("accident", "list").stdout.splitlines()
    assert len(listed) == 3
    # a 较大 accident and a concealed one start the trace (一追溯)
    assert [l.split("\t")[-1] for l in listed] == ["否", "是", "是"]
    assert county.slctl("accident", "focus").stdout.split("\t")[:3] == ["平遥县", "洪善镇", "1"]
    # the individual owner's name is kept apart and never listed or exported
    assert county.sql("SELECT owner_name FROM accident_owner") == "张三丰"
    out = county.slctl("accident", "export").stdout
    assert out.startswith("\ufeff事故") is False and out.startswith("\ufeff编号")
    assert "张三丰" not in out and "张三丰" not in "\n".join(listed)
    assert count(county, "subject_event", "subject LIKE 'accident:%'") == 3


OFF_HEADER = "人员编号,姓名,单位,职务,任职起始,任职终止,联系电话"


def officials(node, name, lines):
    path = os.path.join(node.dir, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(OFF_HEADER + "\n" + "\n".join(lines) + "\n")
    return node.slctl("official", "import", path)


def at(now):
    return dict(os.environ, SL_NOW=now)


def test_trace_a_person_across_a_change_of_post(county):
    officials(county, "off1.csv", [
        "P001,王建国,140728:emergency,局长,2026-01-01,2026-11-15,13900001111",
        "P001,王建国,平遥县人民政府,副县长,2026-11-16,,13900001111",
        "P002,李四,140728:emergency,副局长,2026-01-01,,13900002222",
    ])
    # case A: a problem an inspection found, fed back on 11-10 under 局长 王建国's sign-off
    case_a = county.sql("SELECT case_no FROM inspection WHERE case_no IS NOT NULL ORDER BY id"
                        " LIMIT 1")
    notice = wait_for("the transfer of %s" % case_a, lambda: county.slctl(
        "transfer", "list", "--case", case_a).stdout.split("\t")[0], timeout=30)
    e = at("2026-11-10T10:00:00+08:00")
    county.slctl("transfer", "receipt", notice, env=e)
    county.slctl("transfer", "progress", notice, "--text", "已派员现场核查", env=e)
    county.slctl("transfer", "feedback", notice, "--nature", "非法违法生产经营", "--leader",
                 "王建国", "--leader-title", "局长", env=e)
    # case B: a major hazard listed for supervision on 11-20 under 副县长 王建国
    county.stop("intake")
    county.start("intake", env={"SL_NOW": "2026-11-20T09:00:00+08:00"})
    e = at("2026-11-20T09:00:00+08:00")
    case_b = county.slctl("submit", "--subject", "平遥县某化工有限公司", "--division", "140728",
                          "--sector", "危化", "--major-hazard", env=e).stdout.split("\t")[1]
    county.slctl("case", "supervise", case_b, "--leader", "王建国", "--title", "副县长", env=e)

    r = county.slctl("trace", "--person", "王建国")
    rows = [l.split("\t") for l in r.stdout.splitlines()]
    assert [(x[0], x[1]) for x in rows] == [(case_a, "签发"), (case_b, "挂牌督办")], r.stdout
    assert rows[0][4] == "140728:emergency 局长" and rows[1][4] == "平遥县人民政府 副县长"
    assert rows[0][5] == "" and rows[1][5] == ""
    # who acted at each step of case A
    steps = county.slctl("trace", "--case", case_a).stdout.splitlines()
    signed = [l.split("\t") for l in steps if "王建国" in l]
    assert len(signed) == 1 and signed[0][6] == "P001", steps

    # a second 王建国 (another unit): the name is ambiguous, listed, not guessed
    officials(county, "off2.csv", ["P003,王建国,140728:housing,局长,2026-01-01,,"])
    amb = county.slctl("trace", "--person", "王建国", check=False)
    assert amb.returncode == 1 and "P001" in amb.stderr and "P003" in amb.stderr
    assert "names 2 people" in amb.stderr
    assert county.slctl("trace", "--person", "P001").stdout == r.stdout

    # phones never listed or exported
    out = county.slctl("official", "list").stdout + county.slctl("official", "export").stdout
    assert "王建国" in out and "1390000" not in out
    assert county.sql("SELECT count(*) FROM official_phone") == "2"


FIND_HEADER = ("来源清单,原编号,被举报单位,统一社会信用代码,行业领域,县级行政区划代码,乡镇（街道）,"
               "问题描述,重大事故隐患")
FINDINGS = [
    "大督查,DDC-017,平遥县某非煤矿山有限公司,,非煤,140728,古陶镇,越界开采,否",
    "近三年举报,JB-2024-003,平遥县某加油站,,危化,140728,洪善镇,反复举报违规储存,是",
    "近三年举报,JB-2025-101,平遥县某建筑工地,,建筑,140728,宁固镇,无证施工,否",
]


def test_earlier_findings_become_cases_listed_apart(county):
    path = os.path.join(county.dir, "find.csv")
    cases_before = count(county, "cases")
    with open(path, "w", encoding="utf-8") as f:
        f.write(FIND_HEADER + "\n" + "\n".join(FINDINGS[:2] + ["大排查" + FINDINGS[2][5:]]) + "\n")
    r = county.slctl("finding", "import", path, check=False)
    assert r.returncode == 2 and "line 4:" in r.stderr and "source_list" in r.stderr, r.stderr
    assert count(county, "earlier_finding") == 0 and count(county, "cases") == cases_before
    with open(path, "w", encoding="utf-8") as f:
        f.write(FIND_HEADER + "\n" + "\n".join(FINDINGS) + "\n")
    assert county.slctl("finding", "import", path).stdout.count("accepted\t") == 3
    assert county.slctl("finding", "import", path).stdout.count("duplicate\t") == 3
    assert count(county, "cases") == cases_before + 3
    ledger = [l.split("\t") for l in county.slctl("finding", "list").stdout.splitlines()]
    assert [(x[0], x[1]) for x in ledger] == [("大督查", "DDC-017"), ("近三年举报", "JB-2024-003"),
                                              ("近三年举报", "JB-2025-101")]
    assert all(x[2].startswith("140728-2026-") for x in ledger)
    # numbered and transferred like any other case
    wait_for("the finding's transfer", lambda: county.slctl(
        "transfer", "list", "--case", ledger[0][2]).stdout.strip() != "", timeout=30)
    text = county.slctl("finding", "export").stdout
    assert text.startswith("\ufeff来源清单") and "JB-2025-101" in text


def write_csv(node, name, header, lines):
    path = os.path.join(node.dir, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(header + "\n" + "\n".join(lines) + "\n")
    return path


def test_liaisons_phones_stay_with_the_office(county):
    header = "单位,姓名,职务,办公电话,手机"
    bad = write_csv(county, "lia-bad.csv", header, ["140728:emergency,赵六,科长,,"])
    r = county.slctl("liaison", "import", bad, check=False)
    assert r.returncode == 2 and "line 2:" in r.stderr and count(county, "liaison") == 0
    path = write_csv(county, "lia.csv", header, [
        "140728:emergency,赵六,安全生产基础科科长,0354-5600001,13800000001",
        "140728:housing,钱七,质量安全股股长,,13800000002"])
    assert county.slctl("liaison", "import", path).stdout.count("accepted\t") == 2
    assert county.slctl("liaison", "import", path).stdout.count("duplicate\t") == 2
    # a new liaison for a unit replaces the old one
    county.slctl("liaison", "import", write_csv(county, "lia2.csv", header, [
        "140728:housing,孙八,质量安全股副股长,,13800000003"]))
    listed = county.slctl("liaison", "list").stdout + county.slctl("liaison", "export").stdout
    assert "孙八" in listed and "钱七" not in listed and "1380000" not in listed
    assert "0354-5600001" not in listed
    contacts = county.slctl("liaison", "contacts").stdout
    assert "13800000003" in contacts and "0354-5600001" in contacts


def test_commitments_counted_per_county(county):
    header = "承诺单位,统一社会信用代码,县级行政区划代码,承诺人,签署日期,公开方式"
    path = write_csv(county, "com.csv", header, [
        "平遥县人民政府,,140728,王县长,2026-11-12,电视台",
        "平遥县应急管理局,,140728,王建国,2026-11-12,张贴",
        "平遥县第1煤业有限公司,%s,140728,周矿长,2026-11-13,张贴" % credit(1)])
    assert county.slctl("commitment", "import", path).stdout.count("accepted\t") == 3
    assert county.slctl("commitment", "import", path).stdout.count("duplicate\t") == 3
    assert county.slctl("commitment", "count").stdout.split() == ["平遥县", "3", "1", "2"]
    bad = write_csv(county, "com-bad.csv", header, ["某公司,,140728,某人,2026-11-13,广播"])
    r = county.slctl("commitment", "import", bad, check=False)
    assert r.returncode == 2 and "bad_field:publicity" in r.stderr
    assert count(county, "commitment") == 3


def test_implementation_plans_are_a_report_due(county):
    campaign = county.sql("SELECT name FROM campaign ORDER BY id LIMIT 1")
    county.slctl("plan", "due", campaign, "--date", "2026-11-30")
    path = write_csv(county, "plan.csv", "单位,方案名称,印发日期",
                     ["140728:emergency,平遥县应急管理局“百日攻坚”集中行动实施方案,2026-11-08"])
    assert county.slctl("plan", "import", path).stdout.count("accepted\t") == 1
    assert county.slctl("plan", "import", path).stdout.count("duplicate\t") == 1
    rows = {l.split("\t")[0]: l.split("\t") for l in county.slctl(
        "plan", "list", env=at("2026-11-20T09:00:00+08:00")).stdout.splitlines()}
    assert rows["140728:emergency"][4] == "按时" and rows["140728:housing"][4] == "待报"
    # after the date sl-deadline notes each unit without a plan once (report.missing)
    county.start("deadline", env={"SL_NOW": "2026-12-01T09:00:00+08:00"})
    wait_for("missing plans noted", lambda: count(county, "plan_missing") > 0, timeout=60)
    assert count(county, "plan_missing", "unit = '140728:emergency'") == 0
    assert count(county, "plan_missing", "unit = '140728:housing'") == 1
    county.stop("deadline")


def test_register_rows_are_audited(county):
    r = county.slctl("audit", "verify")
    assert r.returncode == 0
    subject = "inspection:%s|2026-11-11|%s" % (credit(10), BODY)
    kinds = county.sql("SELECT string_agg(kind, ',' ORDER BY seq) FROM subject_event"
                       " WHERE subject = '%s'" % subject)
    assert kinds == "recorded,clue_registered"
    county.sql("UPDATE subject_event SET detail = '{}' WHERE subject = '%s' AND seq = 1"
               % subject)
    bad = county.slctl("audit", "verify", check=False)
    assert bad.returncode == 1 and subject in (bad.stdout + bad.stderr)


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q", "-p", "no:cacheprovider"]))
