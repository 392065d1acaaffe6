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
    try:
        for n in ns.values():
            n.start("intake")
            n.start("dispatch")
        yield ns
    except Exception:
        sltest.dump_logs(ns)
        raise
    finally:
        for n in ns.values():
            n.close()


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
