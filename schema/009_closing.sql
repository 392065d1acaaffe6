-- 009_closing.sql — closing only what is fixed (issue 15): an accepted
-- rectification plan watched until its date, a new escalation cause when the
-- date passes unrectified, closed cases found again by a re-report.
-- SQL on these columns lives in services/domain/sl_transfer_reopen.c (the
-- plan, reopening), sl_transfer_clock.c (its clock), sl_closing.c (reading
-- them) and sl_case.c (the repeat look-up).

-- A handling transfer verified closed on an accepted plan (not yet
-- rectified): the plan's date, one more clock of sl-deadline (transfer.due_at,
-- 007): when it passes unrectified the transfer is marked (once), escalated
-- (RECTIFY_OVERDUE) and reopened for verification.
ALTER TABLE transfer
    ADD COLUMN rectify_by         date,         -- the accepted plan's date; NULL: closed rectified, or open
    ADD COLUMN rectify_overdue_at timestamptz;  -- when the plan's date was found passed unrectified

-- The new cause (proto Escalation.Cause RECTIFY_OVERDUE = 4).
ALTER TABLE transfer_escalation DROP CONSTRAINT transfer_escalation_cause_check;
ALTER TABLE transfer_escalation ADD CONSTRAINT transfer_escalation_cause_check
    CHECK (cause IN ('OVERDUE', 'ACCEPTED_NOT_HANDLED', 'FALSE_COMPLETION', 'RECTIFY_OVERDUE'));
ALTER TABLE escalated_case DROP CONSTRAINT escalated_case_cause_check;
ALTER TABLE escalated_case ADD CONSTRAINT escalated_case_cause_check
    CHECK (cause IN ('OVERDUE', 'ACCEPTED_NOT_HANDLED', 'FALSE_COMPLETION', 'RECTIFY_OVERDUE'));

-- A re-report about a closed case's subject finds it (DOMAIN.md "The same
-- subject"; 001's cases_repeat and cases_credit cover open cases only).
CREATE INDEX cases_repeat_closed ON cases(division, sector, subject_key) WHERE status = 'closed';
CREATE INDEX cases_credit_closed ON cases(division, sector, credit_code)
    WHERE status = 'closed' AND credit_code IS NOT NULL;
