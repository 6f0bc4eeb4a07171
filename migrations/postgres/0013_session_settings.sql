-- A chat's own settings, kept on its session (core `chat/settings.rs`):
-- the system prompt sent instead of the app's default instructions, and the
-- reasoning effort asked of o-series deployments. NULL: the app's default.
-- An update of a session already reaches the change feed (its update
-- trigger), so a change of settings reaches the account's other devices.
ALTER TABLE chat_sessions ADD COLUMN system_prompt TEXT;
ALTER TABLE chat_sessions ADD COLUMN reasoning_effort TEXT
    CHECK (reasoning_effort IN ('low', 'medium', 'high'));
