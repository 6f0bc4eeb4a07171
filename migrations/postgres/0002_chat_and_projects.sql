-- banter-server's schema, part 2: chat, projects, tasks and paid jobs — the
-- desktop's tables, with display ids (CH-, PR-, TK-) numbered per account.

-- Display-id counters, per account.
CREATE TABLE counters (
    user_id  TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name     TEXT NOT NULL,
    value    BIGINT NOT NULL,
    PRIMARY KEY (user_id, name)
);

CREATE TABLE chat_sessions (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    display_id     TEXT NOT NULL,
    title          TEXT,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    message_count  BIGINT NOT NULL DEFAULT 0 CHECK (message_count >= 0),
    UNIQUE (user_id, display_id)
);
CREATE INDEX chat_sessions_by_user_id_and_updated_at
    ON chat_sessions(user_id, updated_at DESC, id DESC);

CREATE TABLE chat_messages (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id        BIGINT NOT NULL REFERENCES chat_sessions(id) ON DELETE CASCADE,
    user_id           TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role              TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
    content           TEXT NOT NULL,
    tokens            BIGINT,
    prompt_tokens     BIGINT,
    reasoning_tokens  BIGINT,
    credits_used      BIGINT NOT NULL DEFAULT 0 CHECK (credits_used >= 0),
    status            TEXT NOT NULL DEFAULT 'complete'
                      CHECK (status IN ('complete', 'streaming', 'interrupted', 'stopped', 'filtered', 'error')),
    error             TEXT,
    spend_id          BIGINT REFERENCES credit_transactions(id),
    -- The server instance writing a streaming reply; an instance that dies
    -- leaves it for another to mark interrupted (and charge or refund once).
    stream_owner      TEXT,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX chat_messages_by_session_id ON chat_messages(session_id, id);
CREATE INDEX chat_messages_by_user_id ON chat_messages(user_id);
CREATE INDEX chat_messages_streaming ON chat_messages(status) WHERE status = 'streaming';
CREATE INDEX chat_messages_search ON chat_messages
    USING gin (to_tsvector('simple', content));

CREATE FUNCTION chat_messages_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE chat_sessions
           SET message_count = message_count + 1,
               updated_at = GREATEST(updated_at, NEW.created_at)
         WHERE id = NEW.session_id;
    ELSE
        UPDATE chat_sessions SET message_count = message_count - 1 WHERE id = OLD.session_id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER chat_messages_count AFTER INSERT OR DELETE ON chat_messages
    FOR EACH ROW EXECUTE FUNCTION chat_messages_count();

CREATE TABLE projects (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    display_id   TEXT NOT NULL,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    UNIQUE (user_id, display_id)
);
CREATE INDEX projects_by_user_id_and_updated_at ON projects(user_id, updated_at DESC, id DESC);

CREATE TABLE tasks (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id   BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    display_id   TEXT NOT NULL,
    title        TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL DEFAULT 'todo' CHECK (status IN ('todo', 'in_progress', 'done')),
    priority     TEXT NOT NULL DEFAULT 'medium' CHECK (priority IN ('low', 'medium', 'high', 'urgent')),
    due_date     DATE,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    UNIQUE (user_id, display_id)
);
CREATE INDEX tasks_by_project_id ON tasks(project_id, id);
CREATE INDEX tasks_by_user_id_and_status ON tasks(user_id, status, updated_at DESC);

CREATE TABLE project_jobs (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('generation', 'scrape')),
    spend_id    BIGINT NOT NULL UNIQUE REFERENCES credit_transactions(id),
    input       TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'failed')),
    owner       TEXT NOT NULL,
    project_id  BIGINT REFERENCES projects(id) ON DELETE SET NULL,
    error_code  TEXT,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX project_jobs_by_user ON project_jobs(user_id, created_at);
CREATE INDEX project_jobs_running ON project_jobs(status) WHERE status = 'running';

CREATE TABLE project_sources (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id  BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    url         TEXT NOT NULL,
    title       TEXT NOT NULL,
    text        TEXT NOT NULL,
    fetched_at  TIMESTAMPTZ NOT NULL,
    job_id      BIGINT UNIQUE REFERENCES project_jobs(id)
);
CREATE INDEX project_sources_by_project ON project_sources(project_id, fetched_at DESC);
