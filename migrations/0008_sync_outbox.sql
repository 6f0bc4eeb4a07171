-- Signed in, this computer's copy of the account (a database of its own
-- under accounts/, with this same schema) keeps the edits made while the
-- server cannot be reached, applied to the copy at once and sent to the
-- server in order when it answers again (core `hosted/outbox.rs`). Local
-- mode never writes here.
CREATE TABLE sync_outbox (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    command     TEXT NOT NULL,   -- JSON: the edit, naming records by server id
    created_at  TEXT NOT NULL
);
