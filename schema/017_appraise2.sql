-- 017_appraise2.sql — the monthly ranking on the portal (四考核).
-- `slctl appraise approve` releases the month's ranking as a publication of
-- its own kind, already issued (one approval: sl_appraise calls
-- sl_pub_release in the approval's transaction); the final evaluation is
-- released the same way once approved and exported. sl-publish writes it to
-- the site with its chart, JSON and CSV like its other kinds.
ALTER TABLE publication DROP CONSTRAINT publication_kind_check;
ALTER TABLE publication ADD CONSTRAINT publication_kind_check
    CHECK (kind IN ('list', 'progress', 'results', 'exposure', 'ranking'));
