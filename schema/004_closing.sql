-- 004_closing.sql — closing and accountability (核查销号、两移交、六个清单、挂牌督办).
-- SQL on transfer and transfer_escalation lives in services/domain/sl_transfer.c,
-- on supervision in sl_supervision.c, on ledger_entry in sl_ledger.c.

-- The two transfers (两移交): a case flagged suspected_crime also goes to the
-- police, suspected_dereliction to the discipline commission, each a transfer
-- of its own kind with its own notice, deadlines, answers and result.
ALTER TABLE transfer ADD COLUMN kind text NOT NULL DEFAULT 'handling'
    CHECK (kind IN ('handling', 'police', 'discipline'));

-- Transfers marked for escalation (提级核查), once per transfer and cause.
-- Verification that fails marks FALSE_COMPLETION (虚假办结); the deadline
-- daemon marks OVERDUE and ACCEPTED_NOT_HANDLED, raises each escalation and
-- sets raised_at.
CREATE TABLE transfer_escalation (
    id          bigserial PRIMARY KEY,
    transfer_id bigint NOT NULL REFERENCES transfer(id),
    case_id     bigint NOT NULL REFERENCES cases(id),
    cause       text NOT NULL CHECK (cause IN ('OVERDUE', 'ACCEPTED_NOT_HANDLED',
                                               'FALSE_COMPLETION')),
    marked_at   timestamptz NOT NULL,
    reason      text NOT NULL DEFAULT '',
    msg_id      text NOT NULL DEFAULT '',            -- the envelope that caused it, if any
    raised_at   timestamptz,                         -- NULL until the escalation is raised
    UNIQUE (transfer_id, cause)
);
CREATE INDEX transfer_escalation_pending ON transfer_escalation(id) WHERE raised_at IS NULL;

-- Listed supervision (挂牌督办) of a major-hazard case under a named leader,
-- until the case is verified closed (验收销号).
CREATE TABLE supervision (
    id           bigserial PRIMARY KEY,
    case_id      bigint NOT NULL REFERENCES cases(id),
    leader       text NOT NULL,
    leader_title text NOT NULL DEFAULT '',
    listed_at    timestamptz NOT NULL,
    listed_by    text NOT NULL DEFAULT '',           -- the operator
    msg_id       text NOT NULL DEFAULT '',
    status       text NOT NULL CHECK (status IN ('listed', 'ended')),
    ended_at     timestamptz
);
CREATE UNIQUE INDEX supervision_listed ON supervision(case_id) WHERE status = 'listed';

-- The six lists (六个清单) as ledgers, reported upward by month end. A case's
-- entries are made when its transfer is verified (one row per entry, audited
-- on the case's chain); 选树提升 entries are typed in by operators (case_id
-- NULL; the row itself names who entered it).
CREATE TABLE ledger_entry (
    id           bigserial PRIMARY KEY,
    list         text NOT NULL CHECK (list IN ('隐患整改', '惩治处罚', '约谈问责', '挂牌督办',
                                               '联合惩戒', '选树提升')),
    item         text NOT NULL,                      -- 行政处罚, 停产整顿, 约谈 …
    case_id      bigint REFERENCES cases(id),
    case_no      text NOT NULL DEFAULT '',
    notice_no    text NOT NULL DEFAULT '',
    unit         text NOT NULL,                      -- the unit that handled it, or as typed
    unit_name    text NOT NULL DEFAULT '',
    subject_name text NOT NULL DEFAULT '',
    entry_date   date NOT NULL,                      -- Asia/Shanghai business date of the verification
    month        text NOT NULL,                      -- YYYY-MM of entry_date
    persons      int NOT NULL DEFAULT 0,
    amount_fen   bigint NOT NULL DEFAULT 0,
    details      text NOT NULL DEFAULT '',
    entered_at   timestamptz NOT NULL,
    actor_key    text NOT NULL DEFAULT '',
    operator     text NOT NULL DEFAULT '',
    msg_id       text NOT NULL DEFAULT ''
);
CREATE INDEX ledger_entry_month ON ledger_entry(month, list);
