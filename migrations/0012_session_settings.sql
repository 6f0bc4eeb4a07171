-- A chat's own settings, kept on its session (core `chat/settings.rs`):
-- the system prompt sent instead of the app's default instructions, and the
-- reasoning effort asked of o-series deployments. NULL: the app's default
-- (the default prompt, the deployment's own effort). Existing sessions keep
-- the defaults. A device's copy of a hosted account holds the server's
-- values (the change feed carries sessions with these columns).
ALTER TABLE chat_sessions ADD COLUMN system_prompt TEXT;
ALTER TABLE chat_sessions ADD COLUMN reasoning_effort TEXT
    CHECK (reasoning_effort IN ('low', 'medium', 'high'));

-- Saved personas to start a chat from: a name, the system prompt a chat
-- started from it gets, and optionally its reasoning effort (core
-- `personas.rs`). They belong to this profile and stay on this computer,
-- also when it is signed in to a server.
CREATE TABLE personas (
    id INTEGER PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL COLLATE NOCASE,
    prompt TEXT NOT NULL,
    reasoning_effort TEXT CHECK (reasoning_effort IN ('low', 'medium', 'high')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (user_id, name)
);

-- Which model (its deployment or model name) and which effort answered a
-- reply, written when the reply ends with text; NULL for user messages,
-- replies that failed, and replies from before.
ALTER TABLE chat_messages ADD COLUMN model TEXT;
ALTER TABLE chat_messages ADD COLUMN reasoning_effort TEXT
    CHECK (reasoning_effort IN ('low', 'medium', 'high'));
