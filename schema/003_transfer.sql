-- 003_transfer.sql — transfer lists (交办清单) and transfers (交办), one notice
-- number each. The state machine is services/domain/sl_transfer_fsm.c; all SQL
-- on these tables lives in services/domain/sl_transfer.c.

-- A list formed on schedule ([dispatch] start_date, interval_days,
-- time_of_day) or on demand (`slctl dispatch now`).
CREATE TABLE transfer_list (
    id         bigserial PRIMARY KEY,
    list_no    text NOT NULL UNIQUE,                 -- 交办清单〔2026〕第3期
    year       int NOT NULL,
    seq        int NOT NULL,
    list_date  date NOT NULL,                        -- the transfer date of its items
    round_date date,                                 -- the scheduled round it belongs to; NULL on demand
    formed_at  timestamptz NOT NULL,
    formed_by  text NOT NULL,                        -- sl-dispatch instance or slctl operator
    items      int NOT NULL,
    UNIQUE (year, seq)
);
CREATE UNIQUE INDEX transfer_list_round ON transfer_list(round_date) WHERE round_date IS NOT NULL;

CREATE TABLE transfer (
    id                 bigserial PRIMARY KEY,
    notice_no          text NOT NULL UNIQUE,         -- （煤）移〔2026〕17号
    year               int NOT NULL,
    sector             smallint NOT NULL REFERENCES sector(code),
    seq                int NOT NULL,                 -- gap-free per node, sector and year
    case_id            bigint NOT NULL REFERENCES cases(id),
    list_id            bigint REFERENCES transfer_list(id), -- NULL: re-transfer after an objection
    unit_code          text NOT NULL REFERENCES unit(code),
    delivery           text NOT NULL CHECK (delivery IN ('event', 'outbox')),
    state              text NOT NULL CHECK (state IN ('issued', 'received', 'objected',
                                                      'in_progress', 'fed_back', 'closed')),
    transfer_date      date NOT NULL,
    issued_at          timestamptz NOT NULL,
    objection_deadline date NOT NULL,                -- 2 working days after receipt (or transfer)
    feedback_deadline  date NOT NULL,                -- 7 working days after the transfer date
    calendar_warning   text NOT NULL DEFAULT '',     -- a deadline counted in a year with no notice
    receipt_date       date,
    received_at        timestamptz,
    receiver_name      text,
    objection_reason   text,
    suggested_unit     text,
    objected_at        timestamptz,
    decision           text,                         -- objection_accept/_reject, verify_pass/_fail
    decision_reason    text,
    decided_at         timestamptz,
    progress_count     int NOT NULL DEFAULT 0,
    last_progress_at   timestamptz,
    fed_back_at        timestamptz,
    feedback           text,                         -- JSON: the ten result items and the sign-off
    closed_at          timestamptz,
    replaces           bigint REFERENCES transfer(id),
    replaced_by        bigint REFERENCES transfer(id),
    announced_at       timestamptz,                  -- last transfer.issued event
    announce_count     int NOT NULL DEFAULT 0,
    UNIQUE (year, sector, seq)
);
CREATE INDEX transfer_case ON transfer(case_id);
CREATE INDEX transfer_unreceived ON transfer(id) WHERE state = 'issued' AND delivery = 'event';
CREATE INDEX transfer_warned ON transfer(id) WHERE calendar_warning <> '' AND state <> 'closed';
