-- 021 — the deadline clocks of a transfer in a narrow table of their own
-- (issue 22: the deadline tick under 100 ms at 1,000,000 open transfers).
--
-- A tick rewrites the clocks of the transfers it looked at. As columns of
-- transfer (007) that UPDATE could never be HOT (due_at is indexed, the flags
-- were in transfer_flagged's predicate), so each of 1,000 rows got a new
-- version of the wide row and a new entry in every index of transfer, most of
-- the tick's database time on a node whose indexes are not all cached. Here a
-- row is the transfer's id, its next instant (due_at) and the four instants
-- the clocks marked: a tick touches three small indexes of a small table and
-- leaves transfer alone (but for the rare calendar warning and 整改逾期,
-- which stay on transfer where the reports read them).
--
-- Meaning unchanged (007): due_at is the next instant sl-deadline must look at
-- the transfer (NULL: no clock pending; -infinity: look again now). A new
-- transfer gets its row due (the statement trigger below: one INSERT a
-- statement, whatever its rows); an update of a column the clocks read sets
-- it due again (020's row trigger, called only when its WHEN clause holds).
-- SQL on the table lives in services/domain/sl_transfer_clock.c.
CREATE TABLE transfer_clock (
    transfer_id    bigint PRIMARY KEY REFERENCES transfer(id),
    due_at         timestamptz DEFAULT '-infinity',
    accepted_at    timestamptz,  -- the objection window closed: stands accepted
    reminded_at    timestamptz,  -- one working day before the feedback deadline
    overdue_at     timestamptz,  -- the feedback deadline passed (逾期)
    not_handled_at timestamptz   -- no progress nor feedback for N working days (接而不办)
);
INSERT INTO transfer_clock (transfer_id, due_at, accepted_at, reminded_at, overdue_at,
                            not_handled_at)
SELECT id, due_at, accepted_at, reminded_at, overdue_at, not_handled_at FROM transfer;
CREATE INDEX transfer_clock_due ON transfer_clock(due_at) WHERE due_at IS NOT NULL;
CREATE INDEX transfer_clock_flagged ON transfer_clock(transfer_id)
    WHERE reminded_at IS NOT NULL OR overdue_at IS NOT NULL OR not_handled_at IS NOT NULL;

ALTER TABLE transfer DROP COLUMN due_at, DROP COLUMN accepted_at, DROP COLUMN reminded_at,
    DROP COLUMN overdue_at, DROP COLUMN not_handled_at;

CREATE FUNCTION transfer_clock_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO transfer_clock (transfer_id) SELECT id FROM new_transfer;
    RETURN NULL;
END $$;
CREATE TRIGGER transfer_clock_new AFTER INSERT ON transfer
    REFERENCING NEW TABLE AS new_transfer FOR EACH STATEMENT
    EXECUTE FUNCTION transfer_clock_new();

-- the row trigger of 020 (BEFORE UPDATE, its WHEN clause unchanged) now
-- marks the clock row instead of the column
CREATE OR REPLACE FUNCTION transfer_clock_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE transfer_clock SET due_at = '-infinity' WHERE transfer_id = NEW.id;
    RETURN NEW;
END $$;
