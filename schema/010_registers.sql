-- 010_registers.sql — the campaign's registers (issue 18): inspections and the
-- city's spot checks of them, the 约谈问责 list; and the audit chain
-- generalised to any subject, so a register row is audited like a case.

-- The audit chain of any subject other than a case ------------------------------
-- A subject is "<kind>:<id>" (inspection:<key>, spot_draw:<id> …); its chain
-- starts at genesis(subject) = SHA-256("safeloop:" || subject), the same rule
-- as a case's ("safeloop:case:" || case_no), and hashes each event as
-- case_event does (sl_audit.h).
CREATE TABLE audit_subject (
    subject text PRIMARY KEY,
    seq     int NOT NULL DEFAULT 0,                -- last event's seq
    head    text NOT NULL DEFAULT ''               -- last event's hash
);
CREATE TABLE subject_event (
    subject    text NOT NULL REFERENCES audit_subject(subject),
    seq        int NOT NULL,
    at         timestamptz NOT NULL,
    kind       text NOT NULL,                     -- recorded, spot_checked, drawn …
    actor_key  text NOT NULL DEFAULT '',
    actor_unit text NOT NULL DEFAULT '',
    operator   text NOT NULL DEFAULT '',
    msg_id     text NOT NULL DEFAULT '',
    detail     text NOT NULL DEFAULT '{}',
    prev_hash  text NOT NULL,
    hash       text NOT NULL,
    PRIMARY KEY (subject, seq)
);

-- Inspections (R81–R82) ------------------------------------------------------
-- One row per inspection, recorded at the county (origin_node '') or received
-- from a child node (origin_node its code). key = credit_code|inspected_on|
-- inspecting_body is the register's idempotency key.
CREATE TABLE inspection (
    id              bigserial PRIMARY KEY,
    key             text NOT NULL UNIQUE,
    unit_name       text NOT NULL,
    credit_code     text NOT NULL,
    sector          smallint NOT NULL,
    division        text NOT NULL REFERENCES division(code),
    township        text NOT NULL DEFAULT '',      -- as given
    township_key    text NOT NULL DEFAULT '',      -- normalised (no township lists in the divisions data)
    inspecting_body text NOT NULL,
    inspected_on    date NOT NULL,
    findings        text NOT NULL DEFAULT '',
    problem_found   bool NOT NULL DEFAULT false,
    punished        bool NOT NULL DEFAULT false,
    origin_node     text NOT NULL DEFAULT '',
    case_no         text,                          -- the clue a problem became (channel INSPECTION)
    msg_id          text NOT NULL,
    recorded_at     timestamptz NOT NULL
);
CREATE INDEX inspection_county ON inspection(division, sector);

-- Spot checks (R83) ------------------------------------------------------------
-- A draw: the seed is stored, so the same draw can be made again.
CREATE TABLE spot_draw (
    id         bigserial PRIMARY KEY,
    division   text NOT NULL REFERENCES division(code),
    sector     smallint NOT NULL,
    share      int NOT NULL CHECK (share BETWEEN 1 AND 100),
    seed       bigint NOT NULL,
    population int NOT NULL,                       -- inspected units it was drawn from
    drawn_at   timestamptz NOT NULL,
    operator   text NOT NULL DEFAULT ''
);
CREATE TABLE spot_draw_item (
    draw_id       bigint NOT NULL REFERENCES spot_draw(id),
    pos           int NOT NULL,
    inspection_id bigint NOT NULL REFERENCES inspection(id),
    PRIMARY KEY (draw_id, pos)
);
-- A spot check's result, against the inspection it checks.
CREATE TABLE spot_check (
    id            bigserial PRIMARY KEY,
    inspection_id bigint NOT NULL REFERENCES inspection(id),
    checked_on    date NOT NULL,
    checking_body text NOT NULL,
    findings      text NOT NULL DEFAULT '',
    problem_found bool NOT NULL DEFAULT false,
    should_punish bool NOT NULL DEFAULT false,
    from_unit     text NOT NULL DEFAULT '',        -- the parent that spot-checked, when sent down
    msg_id        text NOT NULL,
    recorded_at   timestamptz NOT NULL,
    UNIQUE (inspection_id, checked_on, checking_body)
);
-- 约谈问责: 应发现未发现、应处罚未处罚 (measure ⑤), naming the inspecting body.
CREATE TABLE interview_entry (
    id              bigserial PRIMARY KEY,
    spot_check_id   bigint NOT NULL UNIQUE REFERENCES spot_check(id),
    inspection_id   bigint NOT NULL REFERENCES inspection(id),
    inspecting_body text NOT NULL,
    division        text NOT NULL,
    reason          text NOT NULL,                 -- 应发现未发现 / 应处罚未处罚 / both, joined by '、'
    created_at      timestamptz NOT NULL
);

-- Accidents (R53, R60) -----------------------------------------------------------
-- key = division|occurred_on|subject_name. traced: the start of 一追溯 (a
-- 较大 or graver accident, or one concealed); a place with a 较大 or graver
-- accident gets 开小灶 (`slctl accident focus`).
CREATE TABLE accident (
    id           bigserial PRIMARY KEY,
    key          text NOT NULL UNIQUE,
    occurred_on  date NOT NULL,
    division     text NOT NULL REFERENCES division(code),
    township     text NOT NULL DEFAULT '',
    place        text NOT NULL DEFAULT '',
    subject_name text NOT NULL,
    credit_code  text NOT NULL DEFAULT '',
    sector       smallint NOT NULL,
    level        smallint NOT NULL CHECK (level BETWEEN 1 AND 4), -- 一般 较大 重大 特别重大
    deaths       int NOT NULL DEFAULT 0 CHECK (deaths >= 0),
    injuries     int NOT NULL DEFAULT 0 CHECK (injuries >= 0),
    concealed    bool NOT NULL DEFAULT false,                     -- 瞒报
    description  text NOT NULL DEFAULT '',
    traced       bool NOT NULL,                                   -- 启动责任追溯
    msg_id       text NOT NULL,
    recorded_at  timestamptz NOT NULL
);
-- An individual owner's name: personal, in a table of its own so a role can
-- be denied it whole.
CREATE TABLE accident_owner (
    accident_id bigint PRIMARY KEY REFERENCES accident(id),
    owner_name  text NOT NULL
);

-- Responsible officials (R60) ------------------------------------------------------
-- One row per post a person held; key = person_id|unit|title|from_on. unit is
-- a unit code (140728:emergency) or a unit's name, as the register gives it.
CREATE TABLE official_post (
    id          bigserial PRIMARY KEY,
    key         text NOT NULL UNIQUE,
    person_id   text NOT NULL,
    name        text NOT NULL,
    unit        text NOT NULL,
    title       text NOT NULL,
    from_on     date NOT NULL,
    to_on       date,                              -- NULL while held
    msg_id      text NOT NULL,
    recorded_at timestamptz NOT NULL,
    CHECK (to_on IS NULL OR to_on >= from_on)
);
CREATE INDEX official_post_name ON official_post(name);
-- Officials' phone numbers: personal, in a table of their own.
CREATE TABLE official_phone (
    person_id text PRIMARY KEY,
    phone     text NOT NULL
);

-- Earlier findings (R13, R49) ------------------------------------------------------
-- A problem of an earlier list, registered as a case; the special ledger
-- (专项台账) lists these apart. source_list: 1 大督查, 2 大盘点, 3 大起底,
-- 4 近三年举报.
CREATE TABLE earlier_finding (
    id          bigserial PRIMARY KEY,
    source_list smallint NOT NULL CHECK (source_list BETWEEN 1 AND 4),
    source_ref  text NOT NULL,
    case_no     text,                              -- the case it became
    msg_id      text NOT NULL,
    recorded_at timestamptz NOT NULL,
    UNIQUE (source_list, source_ref)
);

-- Liaison persons (R79, annex 7) and safety commitments (R70, annex 2) --------------
CREATE TABLE liaison (
    unit   text PRIMARY KEY,                       -- one per member unit
    name   text NOT NULL,
    post   text NOT NULL,
    since  timestamptz NOT NULL,
    msg_id text NOT NULL
);
-- Liaisons' phones: personal, shown to the office, never published.
CREATE TABLE liaison_phone (
    unit         text PRIMARY KEY REFERENCES liaison(unit),
    office_phone text NOT NULL DEFAULT '',
    mobile       text NOT NULL DEFAULT ''
);
CREATE TABLE commitment (
    id          bigserial PRIMARY KEY,
    key         text NOT NULL UNIQUE,
    unit_name   text NOT NULL,
    credit_code text NOT NULL DEFAULT '',
    division    text NOT NULL REFERENCES division(code),
    signer      text NOT NULL,
    signed_on   date NOT NULL,
    publicity   smallint NOT NULL CHECK (publicity BETWEEN 1 AND 3), -- 电视台 张贴 其他
    msg_id      text NOT NULL,
    recorded_at timestamptz NOT NULL
);

-- Implementation plans (R78) ---------------------------------------------------------
-- The date each campaign wants its member units' plans by; the 2021-2022
-- campaign's: "于12月底前报".
CREATE TABLE plan_due (
    campaign_id bigint PRIMARY KEY REFERENCES campaign(id),
    due_on      date NOT NULL
);
INSERT INTO plan_due (campaign_id, due_on)
SELECT id, '2021-12-31' FROM campaign WHERE name LIKE '2021-2022 %';
-- One plan per member unit (a resend replaces the content, not the time).
CREATE TABLE implementation_plan (
    unit         text PRIMARY KEY,
    title        text NOT NULL,
    submitted_on date NOT NULL,
    received_at  timestamptz NOT NULL,
    msg_id       text NOT NULL
);
-- Units found without a plan when due, evented once (report.missing, kind plan).
CREATE TABLE plan_missing (
    campaign_id bigint NOT NULL REFERENCES campaign(id),
    unit        text NOT NULL,
    due_on      date NOT NULL,
    noted_at    timestamptz NOT NULL,
    PRIMARY KEY (campaign_id, unit)
);
