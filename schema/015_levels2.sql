-- 015_levels2.sql — rules where levels meet, the rest (issue 16).
-- SQL on these columns lives in services/domain/sl_case.c (sl_case_upper_*)
-- and sl_federation.c (the parent's withdrawal).

-- The parent withdrew its transfer (it accepted an objection and re-routed
-- the case): this level no longer owes it a feedback, and sl-deadline no
-- longer watches the upper deadline (sl_case_upper_watch).
ALTER TABLE cases
    ADD COLUMN upper_withdrawn_at timestamptz; -- the upper transfer withdrawn from this level
