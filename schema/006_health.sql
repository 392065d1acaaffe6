-- 006_health.sql — the daemons' heartbeats, for queue health (slctl status, the
-- status page). Each running daemon instance upserts its row every few
-- seconds; a row whose beat is old means the daemon is down or stuck.
CREATE TABLE daemon_state (
    daemon     text NOT NULL,            -- intake, dispatch, deadline, …
    instance   int NOT NULL,             -- --instance N
    version    text NOT NULL,
    pid        int NOT NULL,
    host       text NOT NULL,
    http       text NOT NULL DEFAULT '', -- host:port of /metrics and /healthz, '' if none
    started_at timestamptz NOT NULL,
    beat_at    timestamptz NOT NULL,     -- the last heartbeat
    stopped_at timestamptz,              -- set on a clean stop
    PRIMARY KEY (daemon, instance)
);
