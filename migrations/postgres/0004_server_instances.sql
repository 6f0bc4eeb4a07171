-- Which server instances are alive: each one refreshes its row every few
-- seconds. A streaming reply whose writer (chat_messages.stream_owner) has
-- not been seen for a while is stranded, and another instance ends it
-- (interrupted; refunded if nothing was streamed).
CREATE TABLE server_instances (
    name        TEXT PRIMARY KEY,
    started_at  TIMESTAMPTZ NOT NULL,
    last_seen   TIMESTAMPTZ NOT NULL
);
