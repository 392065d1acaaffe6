-- 008_words.sql — reference data in the words an office uses: the sector
-- OTHER (其他行业领域), each lead department's name per level, member units,
-- the holiday names in Chinese, the issuing office printed with notice numbers.
--
-- sectors.csv is the one source of sector and department names (the binaries
-- read the same file); this migration brings a node migrated before it up to
-- the file's current columns and rows.

-- Sectors: per-level department names, the department leading at province
-- level, and the row OTHER (17, short name 其他).
ALTER TABLE sector
    ADD COLUMN dept_province     text,            -- 应急管理厅; a pattern may use {parent} {short} {name}
    ADD COLUMN dept_city         text,            -- 应急管理局
    ADD COLUMN dept_county       text,            -- {parent}生态环境局{short}分局
    ADD COLUMN province_dept_key text;            -- leads at province level if not dept_key (CITY_GAS: housing)
CREATE TEMP TABLE sector_load (LIKE sector);
-- @copy sector_load(code,enum_name,name,short_name,lead_department,dept_key,dept_province,dept_city,dept_county,province_dept_key) FROM data/sectors.csv
INSERT INTO sector SELECT * FROM sector_load
    ON CONFLICT (code) DO UPDATE SET enum_name = EXCLUDED.enum_name, name = EXCLUDED.name,
        short_name = EXCLUDED.short_name, lead_department = EXCLUDED.lead_department,
        dept_key = EXCLUDED.dept_key, dept_province = EXCLUDED.dept_province,
        dept_city = EXCLUDED.dept_city, dept_county = EXCLUDED.dept_county,
        province_dept_key = EXCLUDED.province_dept_key;
DROP TABLE sector_load;

-- A clue of sector OTHER names its sector in words (电力, 水利 …).
ALTER TABLE cases ADD COLUMN sector_text text NOT NULL DEFAULT '';

-- Member units the plan names that lead no sector ([unit.KEY] in the config:
-- 晋中开发区, 商务局, 交警支队 …); they owe the weekly report if the config says so.
ALTER TABLE unit DROP CONSTRAINT unit_kind_check;
ALTER TABLE unit ADD CONSTRAINT unit_kind_check
    CHECK (kind IN ('department', 'police', 'discipline', 'child', 'member'));
ALTER TABLE unit ADD COLUMN weekly_report bool NOT NULL DEFAULT true;

-- Holiday names in Chinese. Nodes migrated before hold the English names of
-- the first data file; a fresh node loaded the Chinese ones, and 001 (which
-- looked for 'New Year%') put the 2023 notice's 2022-12-31 under 2022.
UPDATE calendar_day SET name = CASE name
        WHEN 'New Year''s Day' THEN '元旦'
        WHEN 'Spring Festival' THEN '春节'
        WHEN 'Tomb-sweeping Day' THEN '清明节'
        WHEN 'Labour Day' THEN '劳动节'
        WHEN 'Dragon Boat Festival' THEN '端午节'
        WHEN 'Mid-autumn Festival' THEN '中秋节'
        WHEN 'National Day' THEN '国庆节'
        ELSE name END;
UPDATE calendar_day SET notice_year = extract(year FROM day)::int + 1
 WHERE extract(month FROM day) = 12 AND name = '元旦'
   AND notice_year = extract(year FROM day)::int;
UPDATE calendar_notice n SET days = (SELECT count(*) FROM calendar_day d WHERE d.notice_year = n.year)
 WHERE source = 'schema/data/cn_calendar.csv';

-- Which unit leads each sector at this node (written by slctl migrate from
-- sectors.csv and [routing] other_sector_unit): intake routes by it, an
-- escalation's verification goes to it.
CREATE TABLE sector_lead (
    sector    smallint PRIMARY KEY REFERENCES sector(code),
    unit_code text NOT NULL REFERENCES unit(code)   -- 140000:housing for CITY_GAS at province level
);

-- Notice numbers between nodes: every node issues （煤）移〔2026〕1号, so a
-- number that leaves its node is printed after its issuing office's short
-- name ([dispatch] office_short, written by slctl migrate); a case from above
-- keeps the upper office that its Transfer named.
ALTER TABLE node ADD COLUMN office_short text NOT NULL DEFAULT '';  -- 晋中市“百日攻坚”办
ALTER TABLE cases ADD COLUMN upper_office text NOT NULL DEFAULT ''; -- the upper_notice_no's issuer
