"""test_sectors.py — reference data as Shanxi names it: the sector OTHER, unit
names per level, config overrides and member units, routing city gas at
province level, through the real sl-intake, sl-dispatch and slctl.

A county node routes sector OTHER (其他行业领域, here 电力) to the department
its config names; the clue is registered, transferred there, and the case view
and the notice show the sector as the reporter named it. A clue of OTHER
without its name is refused. A unit renamed in the config carries its name on
the notice; a member unit the config adds exists and owes the weekly report.
A province node names its departments as the province does (no 局→厅 rule)
and sends a city-gas clue to 山西省住房和城乡建设厅.
"""
import os
import re
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import sltest  # noqa: E402
from sltest import wait_for  # noqa: E402

T0 = "2026-11-10T09:00:00+08:00"  # a Tuesday
ENV = dict(os.environ, SL_NOW=T0)

COUNTY_INI = """[routing]
other_sector_unit = industry
[unit.housing]
name = 平遥县住房和城乡建设管理局
[unit.commerce]
name = 平遥县商务局
weekly_report = true
[unit.traffic]
name = 晋中市公安局交通警察支队平遥大队
"""


def transfers(node, case_no):
    out = node.slctl("transfer", "list", "--case", case_no).stdout
    return [l.split("\t") for l in out.splitlines() if l]


def submit(node, *args):
    return node.slctl("submit", "--channel", "hotline", "--subject", "平遥县某某发电有限公司",
                      "--division", "140728", *args, env=ENV, check=False)


@pytest.fixture(scope="module")
def county():
    node = sltest.Node("sectors", "140728", extra_ini=COUNTY_INI)
    try:
        node.start("intake", env=ENV)
        node.start("dispatch", env=ENV)
        yield node
    except Exception:
        sltest.dump_logs(node)
        raise
    finally:
        node.close()


@pytest.fixture(scope="module")
def province():
    node = sltest.Node("province", "140000", extra_ini="[node]\nkeep_sectors = CITY_GAS\n")
    try:
        node.start("intake", env=ENV)
        yield node
    finally:
        node.close()


def test_other_sector_end_to_end(county):
    r = submit(county, "--sector", "OTHER", "--sector-text", "电力",
               "--description", "变电站消防设施损坏，长期未修复")
    assert r.returncode == 0, r.stdout + r.stderr
    case_no = r.stdout.split("\t")[1]
    assert case_no.startswith("140728-2026-其他-"), case_no
    t = wait_for("transfer of " + case_no, lambda: transfers(county, case_no), timeout=20)[0]
    assert t[0] == "（其他）移〔2026〕1号", t
    assert t[2] == "140728:industry", t
    show = county.slctl("case", "show", case_no).stdout
    assert "其他行业领域（电力）" in show, show
    assert "平遥县工业和信息化局" in show, show
    html = county.slctl("transfer", "show", t[0], "--html").stdout
    assert "平遥县工业和信息化局：" in html, html[:400]
    assert "其他行业领域（电力）" in html, html


def test_other_sector_needs_its_name(county):
    r = submit(county, "--sector", "其他")
    assert r.returncode == 3, r.stdout + r.stderr
    assert "missing_field" in r.stderr and "sector_text" in r.stderr, r.stderr


def test_unit_named_by_config_on_the_notice(county):
    r = submit(county, "--sector", "建筑", "--subject", "平遥县某建筑工程有限公司")
    assert r.returncode == 0, r.stdout + r.stderr
    case_no = r.stdout.split("\t")[1]
    t = wait_for("transfer of " + case_no, lambda: transfers(county, case_no), timeout=20)[0]
    assert t[2] == "140728:housing", t
    html = county.slctl("transfer", "show", t[0], "--html").stdout
    assert "平遥县住房和城乡建设管理局：" in html, html[:400]
    assert "平遥县住房和城乡建设管理局" in county.slctl("case", "show", case_no).stdout


def test_member_units(county):
    rows = county.sql("SELECT code || '|' || kind || '|' || name || '|' || weekly_report"
                      " FROM unit WHERE kind = 'member' ORDER BY code").splitlines()
    assert rows == ["140728:commerce|member|平遥县商务局|true",
                    "140728:traffic|member|晋中市公安局交通警察支队平遥大队|false"], rows
    # derived names at county level
    names = dict(l.split("|") for l in county.sql(
        "SELECT code || '|' || name FROM unit WHERE kind <> 'child'").splitlines())
    assert names["140728:ecology"] == "晋中市生态环境局平遥分局"
    assert names["140728:resources"] == "平遥县自然资源局"
    assert names["140728:fire"] == "平遥县消防救援大队"
    assert names["140728:discipline"] == "平遥县纪委监委"
    # a member unit owes the weekly report only if its section says so
    due = county.slctl("reports", "due", env=dict(os.environ, SL_NOW="2026-11-17T12:00:00+08:00"))
    owing = {l.split("\t")[0] for l in due.stdout.splitlines()}
    assert "140728:commerce" in owing and "140728:emergency" in owing, due.stdout
    assert "140728:traffic" not in owing, due.stdout


def test_member_unit_receives_a_transfer(county):
    r = submit(county, "--sector", "OTHER", "--sector-text", "商贸", "--subject",
               "平遥县某商贸有限公司", "--description", "商场消防通道堵塞")
    case_no = r.stdout.split("\t")[1]
    old = wait_for("transfer of " + case_no, lambda: transfers(county, case_no), timeout=20)[0]
    county.slctl("transfer", "objection", old[0], "--operator", "值班员甲", "--reason",
                 "商贸企业归商务部门管理", "--suggest", "140728:commerce", env=ENV)
    r = county.slctl("transfer", "decide", old[0], "--accept", "--reason", "异议成立",
                     "--operator", "办公室主任", env=ENV)
    new = r.stdout.strip().split("\t")[2]
    rows = transfers(county, case_no)
    assert rows[-1][0] == new and rows[-1][2] == "140728:commerce", rows
    html = county.slctl("transfer", "show", new, "--html").stdout
    assert "平遥县商务局：" in html and "现将该事项交办你单位" in html, html[:600]
    show = county.slctl("transfer", "show", old[0]).stdout
    assert "状态\t已撤回" in show, show


def test_province_names_and_city_gas_route(province):
    names = dict(l.split("|") for l in province.sql(
        "SELECT code || '|' || name FROM unit WHERE kind <> 'child'").splitlines())
    assert names["140000:market"] == "山西省市场监督管理局"
    assert names["140000:resources"] == "山西省自然资源厅"
    assert names["140000:housing"] == "山西省住房和城乡建设厅"
    assert names["140000:emergency"] == "山西省应急管理厅"
    assert names["140000:fire"] == "山西省消防救援总队"
    assert "140000:urban" not in names, sorted(names)
    assert not any("城市管理厅" in n or "市场监督管理厅" in n or "规划和自然资源厅" in n
                   for n in names.values()), names
    r = province.slctl("submit", "--subject", "平遥县某燃气有限公司", "--division", "140728",
                       "--sector", "燃气", env=ENV)
    case_no = r.stdout.split("\t")[1]
    assert province.sql("SELECT unit_code FROM cases WHERE case_no = '%s'" % case_no) \
        == "140000:housing"


# A value that is a code, number or key, not a word: unit codes (140728:industry),
# credit codes, ISO times, hash prefixes, daemons (sl-intake#1), versions, endpoints, 交办文号/线索编号 (their letters are Chinese).
CODE = re.compile(r"^(\d{6}(:[a-z_]+)?|[0-9a-f]{12}|sl-[a-z-]+#\d+|v[\d.]+|[\d.]+:\d+|[0-9A-Z]{18}|\d{4}-\d\d-\d\d(T[\d:.]+([+-]\d\d:\d\d|Z)?)?)$")


def english(text):
    """Lines of TEXT ("label<TAB>value" or a labelled detail line) holding an
    ASCII letter outside a code."""
    bad = []
    for line in text.splitlines():
        for part in re.split(r"[\s：；（）]", line.strip()):
            part = part.strip()
            if re.match(r"^[a-z_]+=", part):  # key=value: a key and a code for scripts
                continue
            if part and not CODE.match(part) and re.search(r"[A-Za-z]", part):
                bad.append(line)
    return bad


def test_operator_output_has_no_english(county):
    r = submit(county, "--sector", "OTHER", "--sector-text", "电力", "--subject",
               "平遥县某电力工程有限公司", "--violation", "8", "--channel", "inspection")
    case_no = r.stdout.split("\t")[1]
    t = wait_for("transfer of " + case_no, lambda: transfers(county, case_no), timeout=20)[0]
    cal = county.slctl("calendar", "list", "--year", "2026").stdout
    assert "调休上班" in cal and "春节" in cal and "放假" in cal, cal
    assert english(cal) == [], english(cal)
    show = county.slctl("case", "show", case_no).stdout
    assert "督查检查" in show and "已交办" in show and "\t交办\t" in show, show
    assert english(show) == [], english(show)
    tshow = county.slctl("transfer", "show", t[0]).stdout
    assert "交办文号\t（其他）移〔2026〕" in tshow and "办理" in tshow, tshow
    assert english(tshow) == [], english(tshow)
    st = county.slctl("status", check=False).stdout
    assert "数据库    正常" in st, st
    assert english(st) == [], english(st)


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q", "-p", "no:cacheprovider"]))
