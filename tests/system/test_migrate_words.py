"""test_migrate_words.py — migration 008 on a node migrated before it.

A database is brought back to its state before 008 (the columns and table 008
adds dropped, no sector OTHER, the holiday names in English as the first data
file had them), then `slctl migrate` runs 008 on it: the sectors gain OTHER and
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
-- a node that old had none of the later migrations either (011: 三公开)
DROP VIEW IF EXISTS pub_transfer, pub_list, pub_node;
DROP FUNCTION IF EXISTS sl_publish_grant(text);
DROP TABLE IF EXISTS publication, case_public;
DROP FUNCTION IF EXISTS publication_frozen();
ALTER TABLE cases DROP COLUMN IF EXISTS subject_kind;
DELETE FROM schema_migrations WHERE version > 8;
DROP TABLE sector_lead;
ALTER TABLE sector DROP COLUMN dept_province, DROP COLUMN dept_city, DROP COLUMN dept_county,
    DROP COLUMN province_dept_key;
DELETE FROM sector WHERE code = 17;
ALTER TABLE cases DROP COLUMN sector_text, DROP COLUMN upper_office;
ALTER TABLE unit DROP COLUMN weekly_report;
DELETE FROM unit WHERE kind = 'member';
ALTER TABLE unit DROP CONSTRAINT unit_kind_check;
ALTER TABLE unit ADD CONSTRAINT unit_kind_check
    CHECK (kind IN ('department', 'police', 'discipline', 'child'));
ALTER TABLE node DROP COLUMN office_short;
UPDATE calendar_day SET name = CASE name WHEN '元旦' THEN 'New Year''s Day'
    WHEN '春节' THEN 'Spring Festival' WHEN '国庆节' THEN 'National Day' ELSE name END;
UPDATE unit SET name = '山西省市场监督管理厅' WHERE code = '140000:market';
DELETE FROM schema_migrations WHERE version = 8;
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
    assert node.sql("SELECT count(*) FROM sector") == "16"
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
