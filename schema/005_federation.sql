-- 005_federation.sql — what sl-dispatch's links know live, persisted for
-- operators (`slctl link list`). Depth, the oldest row and parked rows come
-- from the outbox itself; sent/acked/retried and "connected" exist only in the
-- sending process, so the instance that holds a peer's leader lock writes them
-- here every few seconds. updated_at tells a stale (stopped) sender.
CREATE TABLE link_state (
    peer        text PRIMARY KEY,          -- the peer node's division code
    instance    text NOT NULL,             -- sl-dispatch or sl-dispatch.N that sends
    connected   bool NOT NULL,             -- the peer's intake is connected (heartbeats alive)
    inflight    int NOT NULL,              -- sent, not yet acked
    sent        bigint NOT NULL,           -- envelopes sent since that process started (resends included)
    acked       bigint NOT NULL,           -- rows marked delivered since then
    retried     bigint NOT NULL,           -- resends since then
    parked      bigint NOT NULL,           -- rows parked since then
    backoff_ms  int NOT NULL,              -- current backoff, 0 if none
    started_at  timestamptz NOT NULL,      -- when that process started
    updated_at  timestamptz NOT NULL       -- last write; old: the sender is gone
);
