"""test_office.py — notice numbers between nodes carry their issuing office.

Every node numbers its notices （煤）移〔2026〕1号, so a number that leaves its
node is printed after the issuing office's short name ([dispatch]
office_short, carried in the Transfer as from_office): the city 晋中市 sets
its own, the county 平遥县 takes the default. A case the county receives from
the city shows the city's office before the number in `case show` and in the
notice the county issues in turn, so the two nodes' （煤）移〔2026〕1号 cannot be
confused.
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import sltest  # noqa: E402
from sltest import wait_for  # noqa: E402

T0 = "2026-11-10T09:00:00+08:00"  # a Tuesday
ENV = {"SL_NOW": T0}


@pytest.fixture(scope="module")
def nodes():
    nodes = sltest.federation("office", codes=("140700", "140728"))
    try:
        city = nodes["140700"]
        with open(city.ini, "a") as f:
            f.write("[dispatch]\noffice_short = 晋中市“百日攻坚”办\n")
        city.slctl("migrate")
        for n in nodes.values():
            n.start("intake", env=ENV)
            n.start("dispatch", env=ENV)
        yield nodes
    except Exception:
        sltest.dump_logs(nodes)
        raise
    finally:
        for n in nodes.values():
            n.close()


def notices(node, where):
    return node.sql("SELECT t.notice_no FROM transfer t JOIN cases c ON c.id = t.case_id"
                    " WHERE %s ORDER BY t.id" % where).splitlines()


def test_offices_written_by_migrate(nodes):
    assert nodes["140700"].sql("SELECT office_short FROM node") == "晋中市“百日攻坚”办"
    assert nodes["140728"].sql("SELECT office_short FROM node") == "平遥县“百日攻坚”办"


def test_number_from_above_carries_its_office(nodes):
    city, county = nodes["140700"], nodes["140728"]
    r = city.slctl("submit", "--subject", "平遥县某某煤业有限公司", "--division", "140728",
                   "--sector", "煤", "--violation", "5", env=dict(os.environ, **ENV))
    ccase = r.stdout.split("\t")[1]
    cnotice = wait_for("the city's transfer", lambda: notices(
        city, "c.case_no = '%s'" % ccase), timeout=60)[0]
    assert cnotice == "（煤）移〔2026〕1号"
    row = wait_for("the county's case", lambda: county.sql(
        "SELECT case_no || '|' || upper_office FROM cases WHERE upper_notice_no = '%s'"
        % cnotice), timeout=60)
    kcase, office = row.split("|")
    assert office == "晋中市“百日攻坚”办"
    show = county.slctl("case", "show", kcase).stdout
    assert "上级交办的交办文号\t晋中市“百日攻坚”办（煤）移〔2026〕1号" in show, show
    # The county numbers its own notice the same way; its text names the city's.
    knotice = wait_for("the county's transfer", lambda: notices(
        county, "c.case_no = '%s'" % kcase), timeout=60)[0]
    assert knotice == "（煤）移〔2026〕1号"
    html = county.slctl("transfer", "show", knotice, "--html").stdout
    assert ("收到上级交办的平遥县某某煤业有限公司涉嫌瞒报、谎报生产安全事故的问题线索"
            "（交办文号：晋中市“百日攻坚”办（煤）移〔2026〕1号）") in html, html


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q", "-p", "no:cacheprovider"]))
