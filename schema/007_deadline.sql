-- 007_deadline.sql — sl-deadline: the clocks of each transfer, escalations
-- (提级核查) raised, verification cases linked to what they verify, reports
-- (周报告、月小结) received and missing, campaigns as data.
-- SQL on the transfer clocks and transfer_escalation lives in
-- services/domain/sl_transfer_clock.c; on escalated_case in sl_escalation.c;
-- on report, report_missing, campaign and campaign_phase in sl_report.c.

-- The clocks of a transfer. due_at is the next instant sl-deadline must look
-- at the transfer (NULL: no clock pending), so a tick is an index range scan
-- WHERE due_at <= $now. A trigger sets it to -infinity ("look again") whenever
-- a message changes what the clocks depend on; sl-deadline computes the exact
-- next instant on the working-day calendar (SQL decides nothing by now()).
ALTER TABLE transfer
    ADD COLUMN due_at         timestamptz,
    ADD COLUMN accepted_at    timestamptz,  -- the objection window closed: stands accepted
    ADD COLUMN reminded_at    timestamptz,  -- one working day before the feedback deadline
    ADD COLUMN overdue_at     timestamptz,  -- the feedback deadline passed (逾期)
    ADD COLUMN not_handled_at timestamptz;  -- no progress nor feedback for N working days (接而不办)
CREATE INDEX transfer_due ON transfer(due_at) WHERE due_at IS NOT NULL;
CREATE INDEX transfer_flagged ON transfer(id)
    WHERE state <> 'closed' AND (reminded_at IS NOT NULL OR overdue_at IS NOT NULL
                                 OR not_handled_at IS NOT NULL);

CREATE FUNCTION transfer_clock_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.state IS NOT DISTINCT FROM OLD.state
       AND NEW.receipt_date IS NOT DISTINCT FROM OLD.receipt_date
       AND NEW.progress_count IS NOT DISTINCT FROM OLD.progress_count
       AND NEW.fed_back_at IS NOT DISTINCT FROM OLD.fed_back_at
       AND NEW.objection_deadline IS NOT DISTINCT FROM OLD.objection_deadline
       AND NEW.feedback_deadline IS NOT DISTINCT FROM OLD.feedback_deadline THEN
        RETURN NEW;
    END IF;
    NEW.due_at := '-infinity';
    RETURN NEW;
END $$;
CREATE TRIGGER transfer_clock_touch BEFORE INSERT OR UPDATE ON transfer
    FOR EACH ROW EXECUTE FUNCTION transfer_clock_touch();
UPDATE transfer SET due_at = '-infinity' WHERE state <> 'closed';

-- Where each escalation went (transfer_escalation is 004's).
ALTER TABLE transfer_escalation
    ADD COLUMN raised_to  text,   -- 'verification' | 'parent' | 'supervision'
    ADD COLUMN raised_ref text;   -- the verification case's number, the parent's code, the supervision id

-- A verification case (提级核查) and what it verifies: a case of this node
-- (from_case_id, when the receiver was a child node) or a case of a child node
-- (origin_node's origin_case_no, from its Escalation envelope).
CREATE TABLE escalated_case (
    case_id        bigint PRIMARY KEY REFERENCES cases(id), -- the verification case
    origin_node    text NOT NULL,                    -- the node that issued the transfer
    origin_case_no text NOT NULL,
    notice_no      text NOT NULL,                    -- the transfer that failed
    cause          text NOT NULL CHECK (cause IN ('OVERDUE', 'ACCEPTED_NOT_HANDLED',
                                                  'FALSE_COMPLETION')),
    receiver_unit  text NOT NULL DEFAULT '',         -- the unit that failed
    from_case_id   bigint REFERENCES cases(id),      -- the original, when it is this node's
    msg_id         text NOT NULL DEFAULT '',
    opened_at      timestamptz NOT NULL,
    UNIQUE (origin_node, notice_no, cause)
);

-- Campaigns are data: a new campaign is a row (slctl campaign add), not code.
CREATE TABLE campaign (
    id            bigserial PRIMARY KEY,
    name          text NOT NULL UNIQUE,
    start_date    date NOT NULL,
    end_date      date NOT NULL CHECK (end_date >= start_date),
    weekly_dow    int CHECK (weekly_dow BETWEEN 1 AND 7), -- 1 = Monday; NULL: no weekly report
    weekly_time   int NOT NULL DEFAULT 600,          -- minutes after midnight (10:00)
    monthly       bool NOT NULL DEFAULT true,        -- a six-list report by each month's end
    phases_seen   timestamptz,                       -- phase boundaries up to here were evented
    reports_seen  timestamptz                        -- report deadlines up to here were checked
);
CREATE TABLE campaign_phase (
    campaign_id bigint NOT NULL REFERENCES campaign(id),
    seq         int NOT NULL,
    name        text NOT NULL,
    start_date  date NOT NULL,
    end_date    date NOT NULL CHECK (end_date >= start_date),
    PRIMARY KEY (campaign_id, seq)
);

-- 市安发〔2021〕24号, section 五 (phases) and 六(六) (weekly reports every
-- Monday before 10:00, six lists by each month's end, summaries by 2022-04-06).
INSERT INTO campaign (name, start_date, end_date, weekly_dow, weekly_time, monthly)
VALUES ('2021-2022 安全生产风险隐患大排查大整治“百日攻坚”集中行动', '2021-12-27', '2022-04-06', 1, 600, true);
INSERT INTO campaign_phase (campaign_id, seq, name, start_date, end_date)
SELECT id, s, n, a::date, b::date FROM campaign,
  (VALUES (1, '自查自纠', '2021-12-27', '2022-01-10'),
          (2, '集中整治', '2022-01-01', '2022-03-31'),
          (3, '综合督导', '2022-01-01', '2022-03-31'),
          (4, '工作总结', '2022-04-01', '2022-04-06')) AS p(s, n, a, b);

-- Reports received (周报告 weekly, 月小结 monthly), one per unit, kind and
-- period; a resend of the same period replaces the content, not the time.
CREATE TABLE report (
    id           bigserial PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('weekly', 'monthly')),
    from_unit    text NOT NULL,
    period       text NOT NULL,                      -- weekly: the Monday; monthly: YYYY-MM
    period_start date NOT NULL,
    period_end   date NOT NULL,
    received_at  timestamptz NOT NULL,
    due_at       timestamptz NOT NULL,
    on_time      bool NOT NULL,
    msg_id       text NOT NULL,
    figures      jsonb NOT NULL DEFAULT '{}',
    body         bytea NOT NULL,                     -- the report as received (protobuf)
    updated_at   timestamptz NOT NULL,
    UNIQUE (kind, from_unit, period)
);
-- Reports found missing when due, evented once (report.missing).
CREATE TABLE report_missing (
    kind      text NOT NULL,
    unit      text NOT NULL,
    period    text NOT NULL,
    due_at    timestamptz NOT NULL,
    noted_at  timestamptz NOT NULL,
    PRIMARY KEY (kind, unit, period)
);
