-- 001_foundation.sql — reference data, units, inbox, dead letters, cases, the
-- audit chain and gap-free counters.
--
-- Lines of the form `-- @copy TABLE(cols) FROM data/FILE.csv` load an embedded
-- CSV file (with header) by COPY at that point of the migration.

-- Reference data ------------------------------------------------------------
CREATE TABLE sector (
    code            smallint PRIMARY KEY,          -- the wire enum value
    enum_name       text NOT NULL UNIQUE,          -- COAL_MINE …
    name            text NOT NULL,                 -- 煤矿
    short_name      text NOT NULL UNIQUE,          -- 煤, used in case and notice numbers
    lead_department text NOT NULL,                 -- base name at city/county level
    dept_key        text NOT NULL                  -- the lead department's unit key
);
-- @copy sector(code,enum_name,name,short_name,lead_department,dept_key) FROM data/sectors.csv

CREATE TABLE violation (
    code smallint PRIMARY KEY,                     -- 共性内容 1–12
    text text NOT NULL
);
-- @copy violation(code,text) FROM data/violations.csv

CREATE TABLE division (
    code        text PRIMARY KEY CHECK (code ~ '^[0-9]{6}$'),
    name        text NOT NULL,
    level       text NOT NULL CHECK (level IN ('province', 'city', 'county')),
    parent_code text REFERENCES division(code)
);
-- @copy division(code,name,level,parent_code) FROM data/shanxi_divisions.csv

-- The official calendar: only days that differ from Monday–Friday working.
CREATE TABLE calendar_day (
    day         date PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name        text NOT NULL,
    notice_year int NOT NULL                       -- the State Council notice it came from
);
CREATE INDEX calendar_day_notice ON calendar_day(notice_year);
-- Years whose notice has been imported; a deadline in any other year is
-- computed on weekends only and flagged.
CREATE TABLE calendar_notice (
    year        int PRIMARY KEY,
    imported_at timestamptz NOT NULL,
    source      text NOT NULL,
    days        int NOT NULL
);
CREATE TEMP TABLE calendar_load (day date, kind text, name text);
-- @copy calendar_load(day,kind,name) FROM data/cn_calendar.csv
-- A notice may list the last days of the year before (the 2023 notice lists
-- 2022-12-31 for New Year's Day).
INSERT INTO calendar_day (day, kind, name, notice_year)
SELECT day, kind, name,
       extract(year FROM day)::int
         + CASE WHEN extract(month FROM day) = 12 AND name ILIKE 'New Year%' THEN 1 ELSE 0 END
  FROM calendar_load;
INSERT INTO calendar_notice (year, imported_at, source, days)
SELECT notice_year, '2026-11-01 00:00:00+08', 'schema/data/cn_calendar.csv', count(*)
  FROM calendar_day GROUP BY notice_year;
DROP TABLE calendar_load;

-- The node ------------------------------------------------------------------
-- One row: which node this database belongs to (set by slctl migrate).
CREATE TABLE node (
    code       text PRIMARY KEY REFERENCES division(code),
    name       text NOT NULL,
    level      text NOT NULL,
    parent     text,
    singleton  bool NOT NULL DEFAULT true UNIQUE CHECK (singleton)
);

-- The node's units: its lead departments, police, discipline commission and
-- its children's governments (DESIGN.md "Receivers that run no node").
CREATE TABLE unit (
    code      text PRIMARY KEY,                    -- 140728:emergency, 140728:police; a child: 140781
    kind      text NOT NULL CHECK (kind IN ('department', 'police', 'discipline', 'child')),
    name      text NOT NULL,                       -- 平遥县应急管理局
    dept_key  text,                                -- for departments and police
    division  text REFERENCES division(code),      -- for children: the child's division
    has_node  bool NOT NULL DEFAULT false          -- the child runs a safeloop node
);

-- Gap-free counters: incremented by UPDATE … RETURNING inside the transaction
-- that uses the number, so a rollback gives the number back.
CREATE TABLE counter (
    scope text   NOT NULL,                         -- 'case', 'notice', 'list'
    year  int    NOT NULL,
    key   text   NOT NULL,                         -- e.g. the sector short name
    value bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (scope, year, key)
);

-- Ingress ---------------------------------------------------------------------
-- Every accepted envelope, as stored after sealing the reporter data. msg_id is
-- unique forever: a resend is answered DUPLICATE with the stored result.
CREATE TABLE inbox (
    id          bigserial PRIMARY KEY,
    msg_id      text NOT NULL UNIQUE,
    producer    text NOT NULL DEFAULT '',
    sender      text NOT NULL DEFAULT '',          -- CURVE key (Z85) or 'ipc'
    body_kind   text NOT NULL,
    received_at timestamptz NOT NULL,
    raw         bytea NOT NULL,
    case_no     text,                              -- the result sent in the ack
    ref         text
);

-- Rejected envelopes, with the reason; a rejection does not use up a msg_id.
CREATE TABLE dead_letter (
    id          bigserial PRIMARY KEY,
    msg_id      text,
    producer    text,
    sender      text NOT NULL DEFAULT '',
    received_at timestamptz NOT NULL,
    error_code  text NOT NULL,
    error_text  text NOT NULL,
    raw         bytea,                             -- re-encoded with reporter sealed, or sealed whole
    raw_sealed  bool NOT NULL DEFAULT false        -- raw is one sealed box (undecodable input)
);
CREATE INDEX dead_letter_received ON dead_letter(received_at);

-- Cases (台账) ---------------------------------------------------------------
CREATE TABLE cases (
    id                    bigserial PRIMARY KEY,
    case_no               text NOT NULL UNIQUE,   -- 140728-2026-煤-000017
    year                  int NOT NULL,
    sector                smallint NOT NULL,      -- checked by intake against sl_sector (no FK: hot path)
    seq                   int NOT NULL,
    status                text NOT NULL,
    registered_at         timestamptz NOT NULL,
    channel               text NOT NULL,
    received_at           timestamptz,
    subject_name          text NOT NULL,
    subject_key           text NOT NULL,          -- normalised name (DOMAIN.md "the same subject")
    credit_code           text,
    division              text NOT NULL,          -- checked by intake against the divisions
    township              text NOT NULL DEFAULT '',
    address               text NOT NULL DEFAULT '',
    violations            smallint[] NOT NULL DEFAULT '{}',
    violation_text        text NOT NULL DEFAULT '',
    description           text NOT NULL DEFAULT '',
    major_hazard          bool NOT NULL DEFAULT false,
    suspected_crime       bool NOT NULL DEFAULT false,
    suspected_dereliction bool NOT NULL DEFAULT false,
    reporter_sealed       bytea,                  -- sealed reporter record
    route                 text NOT NULL,          -- 'department', 'child', 'parent'
    unit_code             text REFERENCES unit(code),
    repeat_count          int NOT NULL DEFAULT 0, -- 反复举报
    source_msg_id         text NOT NULL,
    upper_case_no         text,
    upper_notice_no       text,
    audit_seq             int NOT NULL DEFAULT 0, -- last event's seq
    audit_head            text NOT NULL DEFAULT '', -- last event's hash
    CHECK (seq > 0)                        -- case_no (unique) encodes year, sector, seq
);
CREATE INDEX cases_repeat ON cases(division, sector, subject_key) WHERE status <> 'closed';
CREATE INDEX cases_credit ON cases(division, sector, credit_code) WHERE status <> 'closed' AND credit_code IS NOT NULL;

-- The audit chain (一追溯): every state change of a case, hash-chained per case.
CREATE TABLE case_event (
    case_id    bigint NOT NULL,                   -- cases.id, written with its case (no FK: hot path)
    seq        int NOT NULL,
    at         timestamptz NOT NULL,
    kind       text NOT NULL,                     -- registered, repeated, transferred, …
    actor_key  text NOT NULL DEFAULT '',          -- CURVE key or 'ipc'
    actor_unit text NOT NULL DEFAULT '',          -- the unit or node acting
    operator   text NOT NULL DEFAULT '',          -- the person, when an operator typed it
    msg_id     text NOT NULL DEFAULT '',          -- the envelope it came from
    detail     text NOT NULL DEFAULT '{}',        -- JSON text, hashed as stored
    prev_hash  text NOT NULL,
    hash       text NOT NULL,
    PRIMARY KEY (case_id, seq)
);
