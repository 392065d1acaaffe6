-- 014_levels.sql — rules where levels meet (issue 16): the upper deadline
-- binds every level below (R25).
-- SQL on these columns lives in services/domain/sl_case.c (the upper dates
-- kept at registration, read for the deadlines, `case show` and the notice;
-- the child's own watch of them, sl_case_upper_*), sl_transfer_list.c (the
-- on-demand list of cases from above) and sl_transfer_clock.c (the watch).

-- A case transferred from above keeps the upper transfer's dates: the
-- department it goes to is due before them (sl_deadline_under_upper), and
-- sl-deadline at this level watches the upper feedback deadline itself.
ALTER TABLE cases
    ADD COLUMN upper_transfer_date      date,        -- the upper transfer's 交办日期
    ADD COLUMN upper_objection_deadline date,        -- its last day to object
    ADD COLUMN upper_feedback_deadline  date,        -- the deadline owed upward
    ADD COLUMN upper_list_no            text,        -- its 交办清单 number
    ADD COLUMN upper_answered_at        timestamptz, -- this level's own feedback sent up
    ADD COLUMN upper_reminded_at        timestamptz, -- reminded the working day before
    ADD COLUMN upper_overdue_at         timestamptz; -- found past it without a feedback sent up

CREATE INDEX cases_upper_open ON cases(upper_feedback_deadline)
    WHERE upper_feedback_deadline IS NOT NULL AND upper_answered_at IS NULL
      AND status <> 'closed';

-- 挂牌督办 as the plan has it (R34, R62): when a case under supervision goes
-- to a lower government, this level's lead department for the sector gets a
-- supervising copy, a transfer of its own kind, due with the lower
-- government's feedback and answered by a supervision report (督办情况).
ALTER TABLE transfer DROP CONSTRAINT transfer_kind_check;
ALTER TABLE transfer ADD CONSTRAINT transfer_kind_check
    CHECK (kind IN ('handling', 'police', 'discipline', 'supervision'));
