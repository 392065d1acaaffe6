-- 011_publish.sql — 三公开: what the public may read, and the publications.
-- SQL on case_public and publication lives in services/domain/sl_publish_db.c;
-- sl-publish reads only the pub_* views below, through a role of its own
-- (sl_<code>_publish, made by `slctl migrate` through sl_publish_grant): no
-- column of a view holds the reporter, a contact or a natural person's name.

-- The subject's kind (单位 / 个体工商户 / 自然人): a natural person is
-- published by the config's rule (default surname + 某), never by name.
ALTER TABLE cases ADD COLUMN subject_kind text NOT NULL DEFAULT '单位'
    CHECK (subject_kind IN ('单位', '个体工商户', '自然人'));

-- The office-written public summary of a case (never the reporter's words)
-- and whether the case is held back from publication (e.g. 刑事侦查).
CREATE TABLE case_public (
    case_id     bigint PRIMARY KEY REFERENCES cases(id),
    summary     text NOT NULL DEFAULT '',
    summary_by  text NOT NULL DEFAULT '',
    summary_at  timestamptz,
    held        bool NOT NULL DEFAULT false,
    hold_reason text NOT NULL DEFAULT '',
    held_by     text NOT NULL DEFAULT '',
    held_at     timestamptz,
    msg_id      text NOT NULL DEFAULT ''              -- the envelope of the last change
);

-- A publication: a record, numbered, time-stamped, hashed, never edited.
-- Drafted by sl-publish, released by the office's approval (the only change
-- a row ever sees: state draft → issued); a correction is a new row naming
-- the one it corrects.
CREATE TABLE publication (
    id          bigserial PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('list', 'progress', 'results', 'exposure')),
    period      text NOT NULL,                        -- 2026-12-03, 2026-W49, 2026-12
    title       text NOT NULL,
    body        text NOT NULL,                        -- JSON: what the pages show
    hash        text NOT NULL,                        -- SHA-256 (hex) of body
    items       int NOT NULL DEFAULT 0,
    held        int NOT NULL DEFAULT 0,               -- items held back (暂缓公开)
    missing     int NOT NULL DEFAULT 0,               -- items without a public summary
    corrects    bigint REFERENCES publication(id),
    drafted_at  timestamptz NOT NULL,
    drafted_by  text NOT NULL,
    state       text NOT NULL CHECK (state IN ('draft', 'issued')),
    approved_by text,
    approved_at timestamptz,
    reason      text NOT NULL DEFAULT ''              -- a correction's reason
);
CREATE UNIQUE INDEX publication_period ON publication(kind, period) WHERE corrects IS NULL;
CREATE INDEX publication_drafts ON publication(id) WHERE state = 'draft';

CREATE FUNCTION publication_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'a publication is never deleted';
    END IF;
    IF OLD.state <> 'draft' OR NEW.state <> 'issued' OR NEW.approved_by IS NULL
       OR (OLD.id, OLD.kind, OLD.period, OLD.title, OLD.body, OLD.hash, OLD.corrects,
           OLD.drafted_at) IS DISTINCT FROM
          (NEW.id, NEW.kind, NEW.period, NEW.title, NEW.body, NEW.hash, NEW.corrects,
           NEW.drafted_at) THEN
        RAISE EXCEPTION 'a publication is never edited: only a draft is approved';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER publication_frozen BEFORE UPDATE OR DELETE ON publication
    FOR EACH ROW EXECUTE FUNCTION publication_frozen();

-- What may be published about each transfer of this node: no reporter, no
-- description, no address, no contact, no official's name; a natural
-- person's name reduced to its first character (the rule is applied in
-- sl_disclose.c). Feedback: only the result items the plan publishes.
CREATE VIEW pub_transfer AS
SELECT t.id, t.notice_no, t.kind, t.transfer_date, t.feedback_deadline, t.state,
       t.progress_count, t.fed_back_at, t.closed_at, t.issued_at,
       u.name AS unit_name, c.case_no, c.registered_at, s.name AS sector_name,
       c.division, d.name AS division_name, c.township, c.major_hazard, k.kind AS subject_kind,
       CASE WHEN k.kind = '自然人' THEN '' ELSE c.subject_name END AS subject_name,
       CASE WHEN k.kind = '自然人' THEN left(c.subject_name, 1) ELSE '' END
           AS subject_surname,
       coalesce(p.summary, '') AS summary, coalesce(p.held, false) AS held,
       EXISTS (SELECT 1 FROM transfer_escalation e WHERE e.transfer_id = t.id) AS escalated,
       EXISTS (SELECT 1 FROM transfer_escalation e WHERE e.transfer_id = t.id
               AND e.cause = 'OVERDUE') AS overdue,
       CASE WHEN t.feedback IS NULL THEN NULL ELSE
           (SELECT json_build_object(
                'conclusion', f->>'conclusion', 'violation_nature', f->>'violation_nature',
                'production_suspended', f->'production_suspended', 'closed_down', f->'closed_down',
                'penalized', f->'penalized', 'penalty_fen', f->'penalty_fen',
                'license_revoked', f->'license_revoked',
                'major_hazard_rectified', f->'major_hazard_rectified',
                'escalated_verification', f->'escalated_verification',
                'credit_punished', f->'credit_punished',
                'disciplined_count', f->'disciplined_count', 'criminal_count', f->'criminal_count',
                'rectified', f->'rectified')::text
            FROM (SELECT t.feedback::json AS f) x) END AS result
FROM transfer t
JOIN cases c ON c.id = t.case_id
JOIN unit u ON u.code = t.unit_code
JOIN sector s ON s.code = c.sector
LEFT JOIN division d ON d.code = c.division
LEFT JOIN case_public p ON p.case_id = c.id
-- the subject's kind as the check found it (Feedback.subject_kind), else the clue's
CROSS JOIN LATERAL (SELECT coalesce(nullif(t.feedback::json->>'subject_kind', ''),
                                    c.subject_kind) AS kind) k
WHERE t.replaced_by IS NULL;

CREATE VIEW pub_list AS
SELECT id, list_no, list_date, items FROM transfer_list;

CREATE VIEW pub_node AS
SELECT n.code, n.name, n.level, n.office_short FROM node n;

-- The role sl-publish connects with: reads the views above and writes only
-- its own drafts.
CREATE FUNCTION sl_publish_grant(role text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role) THEN
        EXECUTE format('CREATE ROLE %I LOGIN', role);
    END IF;
    EXECUTE format('GRANT SELECT ON pub_transfer, pub_list, pub_node TO %I', role);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE ON publication TO %I', role);
    EXECUTE format('GRANT USAGE ON SEQUENCE publication_id_seq TO %I', role);
    EXECUTE format('GRANT SELECT ON schema_migrations TO %I', role);
    EXECUTE format('GRANT SELECT ON daemon_state TO %I', role);
    EXECUTE format('GRANT INSERT, UPDATE ON daemon_state TO %I', role);
END $$;
