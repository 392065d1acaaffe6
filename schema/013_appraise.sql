-- 013_appraise.sql — the monthly appraisal (四考核) and the report versions it
-- reads as of a month's end. SQL on appraisal_run lives in
-- services/domain/sl_appraise.c; report_version is written by the trigger
-- below only (every version of a report with the time it was recorded).

-- Each version of a report (周报告, 月小结) as received: report keeps only the
-- latest content, so a month's appraisal reads the version that stood at the
-- month's end here, not a correction sent later.
CREATE TABLE report_version (
    id          bigserial PRIMARY KEY,
    kind        text NOT NULL,
    from_unit   text NOT NULL,
    period      text NOT NULL,
    period_end  date NOT NULL,
    on_time     bool NOT NULL,
    figures     jsonb NOT NULL,
    msg_id      text NOT NULL,
    recorded_at timestamptz NOT NULL                 -- the report row's updated_at
);
CREATE INDEX report_version_unit ON report_version(from_unit, kind, period_end);

CREATE FUNCTION report_version_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_version (kind, from_unit, period, period_end, on_time, figures, msg_id,
                                recorded_at)
    VALUES (NEW.kind, NEW.from_unit, NEW.period, NEW.period_end, NEW.on_time, NEW.figures,
            NEW.msg_id, NEW.updated_at);
    RETURN NEW;
END $$;
CREATE TRIGGER report_version_keep AFTER INSERT OR UPDATE OF figures, msg_id ON report
    FOR EACH ROW EXECUTE FUNCTION report_version_keep();
-- Reports received before this migration: their current content, at its time.
INSERT INTO report_version (kind, from_unit, period, period_end, on_time, figures, msg_id,
                            recorded_at)
SELECT kind, from_unit, period, period_end, on_time, figures, msg_id, updated_at FROM report;

-- One appraisal of one month (or the final evaluation, month = 'final'): the
-- places one level down, each with its components, rank and triggers, as
-- computed from the ledger as of the month's end under one rules file.
CREATE TABLE appraisal_run (
    id            bigserial PRIMARY KEY,
    month         text NOT NULL,                     -- YYYY-MM, or the campaign's 'final'
    as_of         timestamptz NOT NULL,              -- the month's end (Asia/Shanghai)
    computed_at   timestamptz NOT NULL,
    computed_by   text NOT NULL,                     -- sl-appraise instance or slctl operator
    rules_version text NOT NULL,                     -- [rules] version of the rules file
    rules_hash    text NOT NULL,                     -- SHA-256 of the rules file's bytes
    inputs_hash   text NOT NULL,                     -- SHA-256 of the figures read
    result        jsonb NOT NULL,                    -- places, components, ranks, triggers
    svg           text NOT NULL DEFAULT '',          -- the ranking's bar chart
    status        text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'approved')),
    approved_by   text,
    approved_at   timestamptz,
    exported_at   timestamptz,                       -- the final evaluation's export written (slctl appraise export)
    published_at  timestamptz                        -- appraisal.published sent (sl-appraise); the final evaluation only once exported
);
CREATE INDEX appraisal_run_month ON appraisal_run(month, id);
CREATE UNIQUE INDEX appraisal_run_approved ON appraisal_run(month) WHERE status = 'approved';
