-- 023 — escalation marks without foreign keys (issue 22: the deadline tick
-- under 100 ms at 1,000,000 open transfers).
--
-- A tick with 1,000 transfers due inserts 1,000 marks (004), and each row's
-- two foreign-key checks (transfer, cases) ran as a trigger of their own:
-- 9 ms of the 17 ms that INSERT took. Both writers take the ids from the
-- transfer row they hold locked (the tick's FOR UPDATE OF k, t; the
-- decision's FOR UPDATE OF t in sl_transfer_answer.c), and no
-- path deletes a transfer or a case (the ledger keeps them), so the checks
-- could never fail. As case_event and case_chain (001, 022), the hot path
-- goes without; the unique (transfer_id, cause) that makes a mark once stays.
ALTER TABLE transfer_escalation
    DROP CONSTRAINT transfer_escalation_transfer_id_fkey,
    DROP CONSTRAINT transfer_escalation_case_id_fkey;
