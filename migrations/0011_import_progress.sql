-- Importing this profile's local-mode history into a signed-in account
-- (core `hosted/import.rs`): each session (with its messages) or project
-- (with its tasks and saved pages) the server confirmed, with the id the
-- server gave it. Written only after the server's answer, so an import cut
-- off anywhere resumes with what is not here; a unit sent twice is
-- recognised by the server's own keys. `digest` is the server's hash of
-- what it holds for the unit (what it received the first time), so
-- removing the local history after the import removes only records still
-- as the account has them. Nothing local is deleted by the import itself.
CREATE TABLE import_progress (
    account      TEXT NOT NULL,     -- the server's origin and the account id
    kind         TEXT NOT NULL CHECK (kind IN ('session', 'project')),
    local_id     INTEGER NOT NULL,
    server_id    INTEGER NOT NULL,
    digest       TEXT NOT NULL,
    imported_at  TEXT NOT NULL,
    PRIMARY KEY (account, kind, local_id)
) WITHOUT ROWID;

-- Units this client found it cannot import into this account (too large
-- for one request, or refused by the server's rules even after NUL
-- characters were replaced), with why. They are left on this computer and
-- not counted as left to import, so an import can be complete without
-- them; every run reads them again and sends one that became importable
-- (its row is then removed).
CREATE TABLE import_unimportable (
    account      TEXT NOT NULL,     -- as import_progress.account
    kind         TEXT NOT NULL CHECK (kind IN ('session', 'project')),
    local_id     INTEGER NOT NULL,
    reason       TEXT NOT NULL,
    found_at     TEXT NOT NULL,
    PRIMARY KEY (account, kind, local_id)
) WITHOUT ROWID;
