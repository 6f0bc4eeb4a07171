-- A chat's own settings, kept on its session (core `chat/settings.rs`):
-- the system prompt sent instead of the app's default instructions, and the
-- reasoning effort asked of o-series deployments. NULL: the app's default.
-- An update of a session already reaches the change feed (its update
-- trigger), so a change of settings reaches the account's other devices.
--
-- The checks are NOT VALID: the new columns hold only NULLs, and a check
-- added with its column would have Postgres read the whole table under an
-- exclusive lock (stalling every send) to prove it. New and changed rows
-- are checked all the same.
ALTER TABLE chat_sessions ADD COLUMN system_prompt TEXT;
ALTER TABLE chat_sessions ADD COLUMN reasoning_effort TEXT;
ALTER TABLE chat_sessions ADD CONSTRAINT chat_sessions_reasoning_effort_check
    CHECK (reasoning_effort IN ('low', 'medium', 'high')) NOT VALID;

-- Which model (its deployment or model name) and which effort answered a
-- reply, written when the reply ends with text; NULL for user messages,
-- replies that failed, and replies from before.
ALTER TABLE chat_messages ADD COLUMN model TEXT;
ALTER TABLE chat_messages ADD COLUMN reasoning_effort TEXT;
ALTER TABLE chat_messages ADD CONSTRAINT chat_messages_reasoning_effort_check
    CHECK (reasoning_effort IN ('low', 'medium', 'high')) NOT VALID;
