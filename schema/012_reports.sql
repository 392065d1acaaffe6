-- 012_reports.sql — reports compiled from the ledger (日汇总、周报告、月小结):
-- 企业类别 on the case, each level's weekly deadline, the negative typical
-- cases (附件5) operators make from cases, and the indexes the week's figures
-- read by. SQL on campaign_level lives in services/domain/sl_report.c, on
-- typical_case in sl_rollup_db.c.

-- 企业类别 (free text; slctl suggests 生产企业、经营企业、建设项目、个体工商户、
-- 其他) as the clue gives it; the result may give it too (feedback JSON).
ALTER TABLE cases ADD COLUMN category text NOT NULL DEFAULT '';

-- The weekly deadline is data of the receiving node: what it expects from the
-- units below it. A row here for the node's own level replaces the campaign's
-- weekly_dow/weekly_time there: the plan's Monday 10:00 is the counties' and
-- the city departments' deadline at a city; the province, which receives the
-- city's roll-up of them, expects it later the same day.
CREATE TABLE campaign_level (
    campaign_id bigint NOT NULL REFERENCES campaign(id),
    level       text NOT NULL CHECK (level IN ('province', 'city', 'county')),
    weekly_dow  int NOT NULL CHECK (weekly_dow BETWEEN 1 AND 7),
    weekly_time int NOT NULL,                     -- minutes after midnight
    PRIMARY KEY (campaign_id, level)
);
INSERT INTO campaign_level (campaign_id, level, weekly_dow, weekly_time)
SELECT id, l, 1, t FROM campaign, (VALUES ('county', 600), ('city', 600), ('province', 960)) AS v(l, t)
 WHERE name = '2021-2022 安全生产风险隐患大排查大整治“百日攻坚”集中行动';

-- A typical case (典型案例, 附件5) made from a case of this node
-- (`slctl case typical NO --file analysis.json`); the weekly draft offers the
-- negative ones of its week.
CREATE TABLE typical_case (
    id         bigserial PRIMARY KEY,
    case_id    bigint NOT NULL REFERENCES cases(id),
    title      text NOT NULL,                     -- 检查主体+违法主体+案
    keywords   text NOT NULL,                     -- 3 to 5, separated by 、
    summary    text NOT NULL DEFAULT '',          -- 要旨
    facts      text NOT NULL,                     -- 基本案情
    outcome    text NOT NULL DEFAULT '',          -- 处理结果
    analysis   text NOT NULL DEFAULT '',          -- 案例剖析
    advice     text NOT NULL DEFAULT '',          -- 举一反三工作建议
    negative   bool NOT NULL DEFAULT true,
    made_at    timestamptz NOT NULL,
    operator   text NOT NULL DEFAULT '',
    UNIQUE (case_id)
);

-- The week's figures: cases registered in it, results verified in it.
CREATE INDEX cases_registered ON cases(registered_at);
CREATE INDEX transfer_decided ON transfer(decided_at) WHERE decision = 'verify_pass';
