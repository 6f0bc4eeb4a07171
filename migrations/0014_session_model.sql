-- The configured model a chat is answered by, by its name in the model
-- catalogue (core `providers/catalog.rs`); NULL: the default model. The
-- name is not a reference: renaming a model in Settings moves its chats
-- and removing one sends them to the default (core `models.rs`), but a
-- name that is gone by other means (an edited environment) stays, and the
-- chat's next send says so (`model_not_found`) instead of quietly
-- answering with another model. A device's copy of a hosted account holds
-- the server's value (the change feed carries sessions with this column).
ALTER TABLE chat_sessions ADD COLUMN model TEXT;
