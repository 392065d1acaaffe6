-- 016_publish2.sql — 三公开, the rest (issue 19): exposure (曝光) of negative
-- typical cases and of the units and persons held accountable, positive
-- examples (选树提升), and earlier findings in the weekly progress.
-- SQL on these views and on case_public lives in
-- services/domain/sl_publish_db.c; sl-publish reads only pub_* views.

-- A positive example (选树提升) the office marks on a case (`slctl case
-- typical NO --positive --text T`, a PublicNote through intake): the
-- office's words, published once a publication carrying it is approved.
ALTER TABLE case_public
    ADD COLUMN positive    text NOT NULL DEFAULT '',
    ADD COLUMN positive_by text NOT NULL DEFAULT '',
    ADD COLUMN positive_at timestamptz;

-- The typical cases (附件5) as they may be published: the office-written
-- fields of the annex and where the case is; no reporter, no address, no
-- contact. Positive examples marked on a case come in as rows with
-- negative = false and the office's text as the facts.
CREATE VIEW pub_typical AS
SELECT c.case_no, t.title, t.keywords, t.summary, t.facts, t.outcome, t.analysis, t.advice,
       t.negative, t.made_at, s.name AS sector_name, c.division,
       coalesce(d.name, c.division) AS division_name, c.township,
       coalesce(p.held, false) AS held
FROM typical_case t
JOIN cases c ON c.id = t.case_id
JOIN sector s ON s.code = c.sector
LEFT JOIN division d ON d.code = c.division
LEFT JOIN case_public p ON p.case_id = c.id
UNION ALL
SELECT c.case_no, '', '', '', p.positive, '', '', '', false, p.positive_at,
       s.name, c.division, coalesce(d.name, c.division), c.township, p.held
FROM case_public p
JOIN cases c ON c.id = p.case_id
JOIN sector s ON s.code = c.sector
LEFT JOIN division d ON d.code = c.division
WHERE p.positive <> '';

-- The units (and, by count, the persons) held accountable by a check of this
-- node: the closed handling transfers whose result exposed the subject
-- (公开曝光) or took measures ⑤–⑦, 党纪政务处分 or 刑事责任追究. Only the
-- counts of persons and where it was exposed; never the measures' free text
-- (it may name an official).
CREATE VIEW pub_accountable AS
SELECT p.id, p.notice_no, p.case_no, p.transfer_date, p.closed_at, p.unit_name, p.sector_name,
       p.division, p.division_name, p.township, p.subject_kind, p.subject_name,
       p.subject_surname, p.summary, p.held, p.state, p.feedback_deadline, p.progress_count,
       p.escalated, p.overdue, p.result,
       coalesce((f->>'exposed')::bool, false) AS exposed,
       coalesce(f->>'exposed_where', '') AS exposed_where,
       coalesce((f->'accountability'->>'persons')::int, 0) AS accountability_persons,
       f->'accountability' IS NOT NULL AS accountability,
       coalesce((f->'protective_umbrella'->>'persons')::int, 0) AS umbrella_persons,
       f->'protective_umbrella' IS NOT NULL AS umbrella,
       coalesce((f->'organisational'->>'persons')::int, 0) AS organisational_persons,
       f->'organisational' IS NOT NULL AS organisational
FROM pub_transfer p
JOIN transfer t ON t.id = p.id
CROSS JOIN LATERAL (SELECT t.feedback::json AS f) x
WHERE p.kind = 'handling' AND p.state = 'closed' AND t.feedback IS NOT NULL
  AND (coalesce((f->>'exposed')::bool, false) OR f->'accountability' IS NOT NULL
       OR f->'protective_umbrella' IS NOT NULL OR f->'organisational' IS NOT NULL
       OR coalesce((f->>'disciplined_count')::int, 0) > 0
       OR coalesce((f->>'criminal_count')::int, 0) > 0);

-- Earlier findings (the registers' earlier_finding, R13, R49) by the case
-- they became: which list they come from, nothing else.
CREATE VIEW pub_earlier AS
SELECT f.case_no,
       (ARRAY['大督查', '大盘点', '大起底', '近三年举报'])[f.source_list] AS source
FROM earlier_finding f WHERE f.case_no IS NOT NULL;

-- The publishing role reads every pub_* view (those of later migrations too,
-- once `slctl migrate` runs this again) and writes only its drafts.
CREATE OR REPLACE FUNCTION sl_publish_grant(role text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v record;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role) THEN
        EXECUTE format('CREATE ROLE %I LOGIN', role);
    END IF;
    FOR v IN SELECT viewname FROM pg_views
             WHERE schemaname = 'public' AND viewname LIKE 'pub\_%' LOOP
        EXECUTE format('GRANT SELECT ON %I TO %I', v.viewname, role);
    END LOOP;
    EXECUTE format('GRANT SELECT, INSERT, UPDATE ON publication TO %I', role);
    EXECUTE format('GRANT USAGE ON SEQUENCE publication_id_seq TO %I', role);
    EXECUTE format('GRANT SELECT ON schema_migrations TO %I', role);
    EXECUTE format('GRANT SELECT ON daemon_state TO %I', role);
    EXECUTE format('GRANT INSERT, UPDATE ON daemon_state TO %I', role);
END $$;

-- The progress asks pub_earlier per item.
CREATE INDEX earlier_finding_case ON earlier_finding(case_no);
