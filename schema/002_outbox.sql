-- 002_outbox.sql — what other nodes must receive, written in the same
-- transaction as the state change that causes it (DESIGN.md rule 3).
-- sl-dispatch alone sends it; a row is delivered only on the peer's Ack.
CREATE TABLE outbox (
    id            bigserial PRIMARY KEY,
    peer          text NOT NULL,                 -- the receiving node's division code
    msg_id        text NOT NULL UNIQUE,          -- the envelope's msg_id (resends reuse it)
    body_kind     text NOT NULL,
    payload       bytea NOT NULL,                -- the encoded Envelope
    case_no       text,
    created_at    timestamptz NOT NULL,
    attempts      int NOT NULL DEFAULT 0,
    next_at       timestamptz NOT NULL,          -- not before this
    delivered_at  timestamptz,
    ack_status    text,                          -- ACCEPTED, DUPLICATE, REJECTED
    parked_reason text                           -- REJECTED: code and text; never retried blindly
);
CREATE INDEX outbox_pending ON outbox(peer, id) WHERE delivered_at IS NULL AND parked_reason IS NULL;
