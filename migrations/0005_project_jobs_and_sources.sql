-- Paid project actions (AI generation, URL scraping) and scraped pages.
--
-- A job row is written in the same transaction as the spend that pays for
-- it, so a charge always has a row saying what it bought. It ends
-- `succeeded` (with the project it created or fed) or `failed` (in the same
-- transaction as its refund). A job left `running` by a process that died is
-- failed and refunded at the next start-up; `owner` names the process (see
-- the core's liveness module).
CREATE TABLE project_jobs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('generation', 'scrape')),
    spend_id    INTEGER NOT NULL UNIQUE REFERENCES credit_transactions(id),
    input       TEXT NOT NULL,                        -- the description, or the URL
    status      TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'failed')),
    owner       TEXT NOT NULL,                        -- the process running it
    project_id  INTEGER REFERENCES projects(id) ON DELETE SET NULL,
    error_code  TEXT,                                 -- why it failed (a stable code)
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX project_jobs_by_user ON project_jobs(user_id, created_at);
CREATE INDEX project_jobs_running ON project_jobs(status) WHERE status = 'running';

-- The main text of a scraped web page, kept on a project.
CREATE TABLE project_sources (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id  INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    url         TEXT NOT NULL,                        -- the address after redirects
    title       TEXT NOT NULL,
    text        TEXT NOT NULL,
    fetched_at  TEXT NOT NULL,
    job_id      INTEGER UNIQUE REFERENCES project_jobs(id)
);
CREATE INDEX project_sources_by_project ON project_sources(project_id, fetched_at DESC);
