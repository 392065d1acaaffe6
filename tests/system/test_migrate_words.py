"""test_migrate_words.py — migration 008 on a node migrated before it.

A database is emptied and migrated to 007 (`slctl migrate --to 7`, as a build
of that time left it, the holiday names in English as the first data file had
them), then `slctl migrate` runs 008 and the later ones on it: the sectors gain OTHER and
their per-level names, the holidays their Chinese names, the units their names
as the province names them, and the node its office; a second run changes
nothing.
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import sltest  # noqa: E402

BEFORE_008 = """
DROP SCHEMA public CASCADE;
CREATE SCHEMA public;
"""
# the sectors and holiday names as the first data files had them (001 copies
# today's files: no OTHER then, holidays in English)
ENGLISH_NAMES = """
DELETE FROM sector WHERE code = 17;
UPDATE calendar_day SET name = CASE name WHEN '元旦' THEN 'New Year''s Day'
    WHEN '春节' THEN 'Spring Festival' WHEN '国庆节' THEN 'National Day' ELSE name END;
"""


@pytest.fixture(scope="module")
def node():
    n = sltest.Node("mig8", "140000")
    try:
        yield n
    finally:
        n.close()


def test_008_on_an_older_node(node):
    node.sql(BEFORE_008)
    # a node as a build of migrations 001–007 left it
    node.slctl("migrate", "--to", "7")
    node.sql(ENGLISH_NAMES)
    assert node.sql("SELECT count(*) FROM sector") == "16"
    assert node.sql("SELECT max(version) FROM schema_migrations") == "7"
    out = node.slctl("migrate").stdout
    assert out.startswith("applied\t008_words.sql"), out
    assert node.sql("SELECT count(*) FROM sector") == "17"
    assert node.sql("SELECT short_name || '|' || dept_province FROM sector WHERE code = 17") \
        == "其他|应急管理厅"
    assert node.sql("SELECT province_dept_key FROM sector WHERE enum_name = 'CITY_GAS'") \
        == "housing"
    assert node.sql("SELECT string_agg(DISTINCT name, ',' ORDER BY name) FROM calendar_day"
                    " WHERE day IN ('2022-01-01', '2022-02-01', '2022-10-01')") \
        == "元旦,国庆节,春节"
    assert node.sql("SELECT count(*) FROM calendar_day WHERE name ~ '[A-Za-z]'") == "0"
    assert node.sql("SELECT name FROM unit WHERE code = '140000:market'") == "山西省市场监督管理局"
    assert node.sql("SELECT unit_code FROM sector_lead WHERE sector = 6") == "140000:housing"
    assert node.sql("SELECT office_short FROM node") == "山西省“百日攻坚”办"
    again = node.slctl("migrate").stdout
    assert again.endswith("current\n"), again


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q", "-p", "no:cacheprovider"]))
