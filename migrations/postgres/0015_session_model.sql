-- The operator's model a chat is answered by, by its name in the server's
-- model catalogue (`GET /v1/models`; core `providers/catalog.rs`); NULL:
-- the default model. An update of a session already reaches the change
-- feed (its update trigger), so a chat's model reaches every device.
-- Adding a nullable column with no default rewrites nothing and holds its
-- lock only for the catalogue change.
ALTER TABLE chat_sessions ADD COLUMN model TEXT;
