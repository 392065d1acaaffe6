-- 022 — the head of each case's audit chain in a narrow table of its own
-- (issue 22: the deadline tick under 100 ms at 1,000,000 open transfers).
--
-- Every audit event moves its case's head (001: cases.audit_seq, the last
-- event's seq; cases.audit_head, its hash). As columns of cases that UPDATE
-- was a new version of the wide row, and, on its full pages, a new entry in
-- each of the eight indexes of cases: 19 ms of a tick that appends to 1,000
-- cases. Here a row is the case's id, the seq and the hash of its last
-- event, on pages left 30% free so the move is HOT.
--
-- A case without a row has no event yet: seq 0, head '' (001's defaults), so a
-- case inserted by any path (a bulk import too) needs nothing more. The row is
-- written with the case's first event: intake's registration inserts it in
-- the statement that inserts the cases and their events, every other append
-- inserts or moves it. Whoever moves a head has locked the case's row first
-- (FOR UPDATE, or the UPDATE of cases that comes with it), as the UPDATE of
-- cases used to: the lock order between an append and a change of the case
-- stays the one it was. No foreign key, as case_event (the hot path): the row
-- is written with its case. SQL on the table lives in
-- services/domain/sl_audit.c.
CREATE TABLE case_chain (
    case_id bigint PRIMARY KEY,  -- cases.id
    seq     int NOT NULL,        -- the last event's seq (case_event.seq)
    head    text NOT NULL        -- the last event's hash
) WITH (fillfactor = 70);
INSERT INTO case_chain (case_id, seq, head)
SELECT id, audit_seq, audit_head FROM cases WHERE audit_seq > 0;
ALTER TABLE cases DROP COLUMN audit_seq, DROP COLUMN audit_head;
