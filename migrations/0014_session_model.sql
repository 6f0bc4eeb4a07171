-- The configured model a chat is answered by, by its name in the model
-- catalogue (core `providers/catalog.rs`); NULL: the default model. The
-- name is not a reference: a model removed from Settings leaves its chats
-- naming it, and their next send says so (`model_not_found`) instead of
-- quietly answering with another model. A device's copy of a hosted
-- account holds the server's value (the change feed carries sessions with
-- this column).
ALTER TABLE chat_sessions ADD COLUMN model TEXT;
