-- 020 — the deadline clock's touch (007) without a PL/pgSQL call per row
-- where it cannot change anything (issue 22).
--
-- A new transfer starts due (due_at = -infinity) by the column's default
-- instead of the trigger (no INSERT names due_at), and an update calls the
-- function only when a column the clock reads changes: the trigger's WHEN
-- clause is evaluated without a function call. A list's 10,000 inserts and
-- the announcements' stamps (announced_at, announce_count) call none; what
-- the clock sees is what it saw.
ALTER TABLE transfer ALTER COLUMN due_at SET DEFAULT '-infinity';
DROP TRIGGER transfer_clock_touch ON transfer;
CREATE TRIGGER transfer_clock_touch BEFORE UPDATE ON transfer FOR EACH ROW
    WHEN (NEW.state IS DISTINCT FROM OLD.state
          OR NEW.receipt_date IS DISTINCT FROM OLD.receipt_date
          OR NEW.progress_count IS DISTINCT FROM OLD.progress_count
          OR NEW.fed_back_at IS DISTINCT FROM OLD.fed_back_at
          OR NEW.objection_deadline IS DISTINCT FROM OLD.objection_deadline
          OR NEW.feedback_deadline IS DISTINCT FROM OLD.feedback_deadline)
    EXECUTE FUNCTION transfer_clock_touch();
