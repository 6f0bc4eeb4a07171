-- Importing this profile's local-mode history into a signed-in account
-- (core `hosted/import.rs`): each session (with its messages) or project
-- (with its tasks and saved pages) the server confirmed, with the id the
-- server gave it. Written only after the server's answer, so an import cut
-- off anywhere resumes with what is not here; a unit sent twice is
-- recognised by the server's own keys. `digest` is a hash of what was sent,
-- so removing the local history after the import removes only records
-- still as they were when imported. Nothing local is deleted by the import
-- itself.
CREATE TABLE import_progress (
    account      TEXT NOT NULL,     -- the server's origin and the account id
    kind         TEXT NOT NULL CHECK (kind IN ('session', 'project')),
    local_id     INTEGER NOT NULL,
    server_id    INTEGER NOT NULL,
    digest       TEXT NOT NULL,
    imported_at  TEXT NOT NULL,
    PRIMARY KEY (account, kind, local_id)
) WITHOUT ROWID;
