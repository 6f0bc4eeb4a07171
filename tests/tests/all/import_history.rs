//! Importing a profile's local-mode history into the account it signs in
//! to (`HistoryImport`, `POST /v1/import/…`): a real local database of
//! 1,000 conversations and some projects, a real server pair on Postgres,
//! and a real network between them that the test takes down halfway
//! (`banter_mocks::gateway`). The import must be complete and exactly once
//! — also when the server's answer to a batch it committed was lost — reach
//! another device through the change feed, move no credits, and never mix
//! two accounts.

use banter_core::chat::ChatSession;
use banter_core::hosted::import_wire::MAX_BATCH_CHILDREN;
use banter_core::hosted::{HistoryImport, ImportCounts, ImportProgress, ImportReport};
use banter_core::ids::RecordRef;
use banter_core::validate::MAX_TITLE_CHARS;
use banter_core::Core;
use banter_core::ErrorCode;
use banter_server::routes::import::IMPORT_LOCK_CLASS;
use banter_tests::hosted::{sign_in_core, sign_in_core_as, Chatting};
use banter_tests::Env;
use chrono::{DateTime, Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::{PgPool, Row};
use std::collections::{BTreeMap, BTreeSet};

const SESSIONS: i64 = 1_000;
const PROJECTS: i64 = 12;
const TASKS_PER_PROJECT: i64 = 4;

/// What the local history holds, written in the profile's own schema.
struct Fixture {
    messages: i64,
    pages: i64,
}

/// Writes `SESSIONS` conversations (1–3 messages each, one reply left
/// `streaming`) and `PROJECTS` projects with tasks and a saved page on
/// every other one, into `core`'s own database, at times spread over a
/// year. One transaction, as fast as the disk allows.
async fn local_history(core: &Core, tag: &str) -> Fixture {
    let user = core.user_id().to_string();
    let start: DateTime<Utc> = banter_tests::at("2025-03-01T08:00:00Z");
    let mut tx = core.db().begin_write().await.expect("write");
    let mut messages = 0;
    for n in 1..=SESSIONS {
        let created = start + Duration::minutes(n * 431);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO chat_sessions (user_id, display_id, title, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(&user)
        .bind(format!("CH-{n:06}"))
        .bind((n % 7 != 0).then(|| format!("{tag} conversation {n}")))
        .bind(created)
        .bind(created)
        .fetch_one(&mut *tx)
        .await
        .expect("session");
        for k in 0..(1 + n % 3) {
            let role = if k % 2 == 0 { "user" } else { "assistant" };
            let status = if n == 500 && k == 1 {
                "streaming"
            } else {
                "complete"
            };
            let at = created + Duration::seconds(k * 20);
            sqlx::query(
                "INSERT INTO chat_messages (session_id, user_id, role, content, tokens, credits_used,
                                            status, created_at, updated_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(id)
            .bind(&user)
            .bind(role)
            .bind(format!("{tag} message {k} of {n}: é ✓ «quotes»"))
            .bind((role == "assistant").then_some(40 + k))
            .bind(if role == "user" { 3 } else { 0 })
            .bind(status)
            .bind(at)
            .bind(at)
            .execute(&mut *tx)
            .await
            .expect("message");
            messages += 1;
        }
    }
    let mut pages = 0;
    for n in 1..=PROJECTS {
        let created = start + Duration::days(n);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO projects (user_id, display_id, name, description, status, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(&user)
        .bind(format!("PR-{n:06}"))
        .bind(format!("{tag} project {n}"))
        .bind("what it is about")
        .bind(if n == 3 { "archived" } else { "active" })
        .bind(created)
        .bind(created + Duration::hours(1))
        .fetch_one(&mut *tx)
        .await
        .expect("project");
        for t in 1..=TASKS_PER_PROJECT {
            sqlx::query(
                "INSERT INTO tasks (project_id, user_id, display_id, title, status, priority,
                                    due_date, created_at, updated_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(id)
            .bind(&user)
            .bind(format!("TK-{:06}", (n - 1) * TASKS_PER_PROJECT + t))
            .bind(format!("{tag} task {t} of project {n}"))
            .bind(if t == 1 { "done" } else { "todo" })
            .bind(if t == 2 { "urgent" } else { "medium" })
            .bind((t == 3).then_some("2026-05-01"))
            .bind(created)
            .bind(created)
            .execute(&mut *tx)
            .await
            .expect("task");
        }
        if n % 2 == 0 {
            sqlx::query(
                "INSERT INTO project_sources (project_id, user_id, url, title, text, fetched_at)
                 VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(id)
            .bind(&user)
            .bind(format!("http://127.0.0.1/page-{n}"))
            .bind(format!("page {n}"))
            .bind("the page's main text\n\nin two paragraphs")
            .bind(created)
            .execute(&mut *tx)
            .await
            .expect("page");
            pages += 1;
        }
    }
    tx.commit().await.expect("commit");
    Fixture { messages, pages }
}

async fn importer(core: &Core) -> HistoryImport {
    core.history_import()
        .await
        .expect("settings")
        .expect("signed in")
}

async fn pg_count(pool: &PgPool, sql: &str, user: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(user)
        .fetch_one(pool)
        .await
        .expect("count")
}

/// A conversation as compared across the two databases: title, times, and
/// each message's role, text, status, tokens and time, in order.
type Conversation = (Option<String>, String, Vec<String>);

/// The local conversations by local id.
async fn local_conversations(core: &Core) -> BTreeMap<i64, Conversation> {
    let rows = sqlx::query(
        "SELECT s.id, s.title, s.created_at, m.role, m.content, m.status, m.tokens, m.created_at AS at
           FROM chat_sessions s LEFT JOIN chat_messages m ON m.session_id = s.id
          ORDER BY s.id, m.id",
    )
    .fetch_all(core.db().pool())
    .await
    .expect("local rows");
    let mut out: BTreeMap<i64, Conversation> = BTreeMap::new();
    for row in rows {
        let id: i64 = row.get("id");
        let created: DateTime<Utc> = row.get("created_at");
        let entry = out
            .entry(id)
            .or_insert_with(|| (row.get("title"), created.to_rfc3339(), Vec::new()));
        if let Some(role) = row.get::<Option<String>, _>("role") {
            let status: String = row.get("status");
            // A reply still streaming here is imported as stopped.
            let status = if status == "streaming" {
                "stopped".to_string()
            } else {
                status
            };
            let at: DateTime<Utc> = row.get("at");
            entry.2.push(format!(
                "{role}|{}|{status}|{:?}|{}",
                row.get::<String, _>("content"),
                row.get::<Option<i64>, _>("tokens"),
                at.to_rfc3339()
            ));
        }
    }
    out
}

/// The account's imported conversations, by the local id they came from.
async fn imported_conversations(pool: &PgPool, user: &str) -> BTreeMap<i64, Conversation> {
    let rows = sqlx::query(
        "SELECT k.local_id, s.title, s.created_at, m.role, m.content, m.status, m.tokens,
                m.credits_used, m.created_at AS at
           FROM imported_records k
           JOIN chat_sessions s ON s.id = k.record_id AND s.user_id = k.user_id
           LEFT JOIN chat_messages m ON m.session_id = s.id
          WHERE k.user_id = $1 AND k.kind = 'session'
          ORDER BY k.local_id, m.id",
    )
    .bind(user)
    .fetch_all(pool)
    .await
    .expect("server rows");
    let mut out: BTreeMap<i64, Conversation> = BTreeMap::new();
    for row in rows {
        let id: i64 = row.get("local_id");
        let created: DateTime<Utc> = row.get("created_at");
        let entry = out
            .entry(id)
            .or_insert_with(|| (row.get("title"), created.to_rfc3339(), Vec::new()));
        if let Some(role) = row.get::<Option<String>, _>("role") {
            assert_eq!(
                row.get::<i64, _>("credits_used"),
                0,
                "no credits on imports"
            );
            let at: DateTime<Utc> = row.get("at");
            entry.2.push(format!(
                "{role}|{}|{}|{:?}|{}",
                row.get::<String, _>("content"),
                row.get::<String, _>("status"),
                row.get::<Option<i64>, _>("tokens"),
                at.to_rfc3339()
            ));
        }
    }
    out
}

/// Every session of a copy, through its own listing.
async fn all_sessions(copy: &banter_core::hosted::Replica) -> Vec<ChatSession> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = copy
            .chat()
            .list_sessions(cursor.as_deref(), Some(200))
            .await
            .expect("the copy's sessions");
        out.extend(page.sessions);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return out,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_sessions_import_completely_and_once_even_when_cut_off_and_resumed() {
    let s = Chatting::start().await;
    let network = s.gateway_to_a().await;
    let env = Env::new("2026-03-10T12:00:00Z");
    let laptop = env.open().await;
    let fixture = local_history(&laptop, "laptop").await;
    let client = sign_in_core(&laptop, &network.url()).await;
    let account = laptop
        .hosted()
        .account()
        .await
        .expect("settings")
        .expect("signed in");
    let user = account.user_id.clone();
    let pool = s.h.a.state.store.pool().clone();
    // The account already has a conversation: imported ones number after it.
    let own = client
        .create_session(Some("made online"))
        .await
        .expect("a session");
    assert_eq!(own.display_id, "CH-000001");
    let balance = client.balance().await.expect("balance");
    let ledger_rows = pg_count(
        &pool,
        "SELECT COUNT(*) FROM credit_transactions WHERE user_id = $1",
        &user,
    )
    .await;

    let import = importer(&laptop).await;
    let status = import.status().await.expect("status");
    assert_eq!(
        (
            status.sessions_left,
            status.projects_left,
            status.sessions_done
        ),
        (SESSIONS as u64, PROJECTS as u64, 0)
    );

    // Halfway, the network goes down: the next batch never reaches the server.
    let mut seen: Vec<ImportProgress> = Vec::new();
    let cut = import
        .run(|p| {
            seen.push(p);
            if p.done >= SESSIONS as u64 / 2 {
                network.set_up(false);
            }
        })
        .await
        .expect_err("the network went down mid-import");
    assert_eq!(cut.code(), banter_core::ErrorCode::Offline, "{cut}");
    let total = (SESSIONS + PROJECTS) as u64;
    assert_eq!(
        seen.first().copied(),
        Some(ImportProgress { done: 0, total })
    );
    assert!(seen.windows(2).all(|w| w[0].done < w[1].done), "{seen:?}");
    let halfway = import.status().await.expect("status");
    let done = halfway.sessions_done as i64;
    assert!(
        (SESSIONS / 2..SESSIONS).contains(&done),
        "stopped at {done} of {SESSIONS}"
    );
    assert_eq!(halfway.sessions_left as i64, SESSIONS - done);
    let on_server = |sql: &'static str| {
        let pool = pool.clone();
        let user = user.clone();
        async move { pg_count(&pool, sql, &user).await }
    };
    // Exactly the confirmed ones are on the server (and the one made online).
    assert_eq!(
        on_server("SELECT COUNT(*) FROM chat_sessions WHERE user_id = $1").await,
        done + 1
    );

    // The answers to the last 40 confirmed conversations are "lost": the
    // server committed them, this computer never recorded them.
    let forgotten = sqlx::query(
        "DELETE FROM import_progress WHERE kind = 'session' AND local_id IN
           (SELECT local_id FROM import_progress WHERE kind = 'session'
             ORDER BY local_id DESC LIMIT 40)",
    )
    .execute(laptop.db().pool())
    .await
    .expect("forget")
    .rows_affected();
    assert_eq!(forgotten, 40);

    // Back online: the rest goes, the forgotten 40 are recognised.
    network.set_up(true);
    let report = import.run(|_| {}).await.expect("resumed");
    let per_session_messages =
        |range: std::ops::RangeInclusive<i64>| -> u64 { range.map(|n| (1 + n % 3) as u64).sum() };
    assert_eq!(
        report.imported,
        ImportCounts {
            sessions: (SESSIONS - done) as u64,
            messages: per_session_messages(done + 1..=SESSIONS),
            projects: PROJECTS as u64,
            tasks: (PROJECTS * TASKS_PER_PROJECT) as u64,
            pages: fixture.pages as u64,
        }
    );
    assert_eq!(
        report.already_imported,
        ImportCounts {
            sessions: 40,
            messages: per_session_messages(done - 39..=done),
            ..ImportCounts::default()
        }
    );
    assert_eq!(report.not_importable, 0);

    // Exactly once, on the server.
    assert_eq!(
        on_server("SELECT COUNT(*) FROM chat_sessions WHERE user_id = $1").await,
        SESSIONS + 1
    );
    assert_eq!(
        on_server("SELECT COUNT(*) FROM chat_messages WHERE user_id = $1").await,
        fixture.messages
    );
    assert_eq!(
        on_server("SELECT COUNT(*) FROM projects WHERE user_id = $1").await,
        PROJECTS
    );
    assert_eq!(
        on_server("SELECT COUNT(*) FROM tasks WHERE user_id = $1").await,
        PROJECTS * TASKS_PER_PROJECT
    );
    assert_eq!(
        on_server("SELECT COUNT(*) FROM project_sources WHERE user_id = $1").await,
        fixture.pages
    );
    assert_eq!(
        on_server("SELECT COUNT(*) FROM imported_records WHERE user_id = $1").await,
        SESSIONS + PROJECTS
    );
    // The account's numbering: no display id twice, the imported after CH-000001.
    assert_eq!(
        on_server("SELECT COUNT(DISTINCT display_id) FROM chat_sessions WHERE user_id = $1").await,
        SESSIONS + 1
    );
    assert_eq!(
        on_server("SELECT COUNT(DISTINCT display_id) FROM tasks WHERE user_id = $1").await,
        PROJECTS * TASKS_PER_PROJECT
    );
    // Contents: titles, times, every message in order (streaming → stopped).
    let local = local_conversations(&laptop).await;
    assert_eq!(local.len() as i64, SESSIONS);
    assert_eq!(imported_conversations(&pool, &user).await, local);
    let stopped =
        on_server("SELECT COUNT(*) FROM chat_messages WHERE user_id = $1 AND status = 'stopped'")
            .await;
    assert_eq!(stopped, 1);
    // Message counts and activity times follow the messages.
    assert_eq!(
        on_server(
            "SELECT COUNT(*) FROM chat_sessions s WHERE s.user_id = $1 AND s.message_count
                 <> (SELECT COUNT(*) FROM chat_messages m WHERE m.session_id = s.id)"
        )
        .await,
        0
    );
    let project = client
        .project(&RecordRef::Display("PR-000003".into()))
        .await
        .expect("an imported project");
    assert_eq!(
        (
            project.name.as_str(),
            project.status,
            project.total_tasks,
            project.open_tasks
        ),
        (
            "laptop project 3",
            banter_core::projects::ProjectStatus::Archived,
            4,
            3
        )
    );

    // No credit moved: the balance and the ledger are as before.
    assert_eq!(client.balance().await.expect("balance"), balance);
    assert_eq!(
        on_server("SELECT COUNT(*) FROM credit_transactions WHERE user_id = $1").await,
        ledger_rows
    );

    // Complete: a re-import sends nothing and changes nothing.
    assert!(import.status().await.expect("status").is_complete());
    assert_eq!(
        import.run(|_| {}).await.expect("again"),
        ImportReport::default()
    );
    assert_eq!(
        on_server("SELECT COUNT(*) FROM chat_sessions WHERE user_id = $1").await,
        SESSIONS + 1
    );

    // Another device of the account receives them through the change feed.
    let env_b = Env::new("2026-03-10T12:00:00Z");
    let desktop = env_b.open().await;
    sign_in_core(&desktop, &s.h.b.url).await;
    let on_desktop = desktop
        .hosted()
        .history()
        .await
        .expect("settings")
        .expect("signed in");
    on_desktop.pull().await.expect("pulled");
    let copy = on_desktop.copy().expect("the desktop's copy");
    let copied = all_sessions(copy).await;
    assert_eq!(copied.len() as i64, SESSIONS + 1);
    assert_eq!(
        copied.iter().map(|s| s.message_count).sum::<i64>(),
        fixture.messages
    );
    let copied_projects = copy
        .projects()
        .list_projects(true, None)
        .await
        .expect("the copy's projects");
    assert_eq!(copied_projects.len() as i64, PROJECTS);

    // The desktop's own (empty) local history has nothing to import.
    let nothing = importer(&desktop).await;
    assert!(nothing.status().await.expect("status").is_complete());

    // Keeping or removing: removal takes only what the account confirmed and
    // is unchanged here; a conversation changed since is kept.
    sqlx::query("UPDATE chat_sessions SET title = 'changed here' WHERE id = 1")
        .execute(laptop.db().pool())
        .await
        .expect("a local change");
    let removed = import.remove_imported().await.expect("removed");
    assert_eq!(
        (removed.sessions, removed.projects, removed.kept_changed),
        ((SESSIONS - 1) as u64, PROJECTS as u64, 1)
    );
    assert_eq!(banter_tests::count_rows(&laptop, "chat_sessions").await, 1);
    assert_eq!(banter_tests::count_rows(&laptop, "projects").await, 0);
    // The account keeps all of it.
    assert_eq!(
        on_server("SELECT COUNT(*) FROM chat_sessions WHERE user_id = $1").await,
        SESSIONS + 1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn another_accounts_import_never_mixes_and_bad_batches_are_refused() {
    let s = Chatting::start().await;
    let pool = s.h.a.state.store.pool().clone();

    // One profile imports into Alice's account, signs out, signs in as Bob:
    // for Bob nothing is imported yet, and his import is his own.
    let env = Env::new("2026-03-10T12:00:00Z");
    let laptop = env.open().await;
    let small = {
        let mut tx = laptop.db().begin_write().await.expect("write");
        for n in 1..=3 {
            sqlx::query(
                "INSERT INTO chat_sessions (user_id, display_id, title, created_at, updated_at)
                 VALUES (?, ?, ?, '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z')",
            )
            .bind(laptop.user_id())
            .bind(format!("CH-{n:06}"))
            .bind(format!("mine {n}"))
            .execute(&mut *tx)
            .await
            .expect("session");
        }
        tx.commit().await.expect("commit");
        3_u64
    };
    let alice = sign_in_core(&laptop, &s.h.a.url).await;
    let report = importer(&laptop)
        .await
        .run(|_| {})
        .await
        .expect("alice's import");
    assert_eq!(report.imported.sessions, small);
    alice.sign_out().await.expect("signed out");
    sign_in_core_as(&laptop, &s.h.a.url, Some("user-bob")).await;
    let for_bob = importer(&laptop).await;
    assert_eq!(for_bob.status().await.expect("status").sessions_left, small);
    assert_eq!(
        for_bob
            .run(|_| {})
            .await
            .expect("bob's import")
            .imported
            .sessions,
        small
    );
    let bob = laptop
        .hosted()
        .account()
        .await
        .expect("settings")
        .expect("bob");
    let others = pg_count(
        &pool,
        "SELECT COUNT(*) FROM users WHERE id <> $1",
        &bob.user_id,
    )
    .await;
    assert_eq!(others, 1, "alice and bob only");
    for user in sqlx::query_scalar::<_, String>("SELECT id FROM users")
        .fetch_all(&pool)
        .await
        .expect("users")
    {
        assert_eq!(
            pg_count(
                &pool,
                "SELECT COUNT(*) FROM chat_sessions WHERE user_id = $1",
                &user
            )
            .await,
            small as i64
        );
    }

    // A hostile client replaying another profile's keys under its own
    // account creates its own records, never learns the other's ids.
    let carol = s.h.sign_in("carol", "carol's laptop").await;
    let token = carol.tokens.access_token.clone();
    let alices_ids: BTreeSet<i64> =
        sqlx::query_scalar("SELECT record_id FROM imported_records WHERE user_id <> $1")
            .bind(&bob.user_id)
            .fetch_all(&pool)
            .await
            .expect("alice's keys")
            .into_iter()
            .collect();
    let batch = |source: &str, ids: &[i64]| {
        json!({
            "source": source,
            "sessions": ids.iter().map(|id| json!({
                "localId": id, "title": "x",
                "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z",
                "messages": [{"role": "user", "content": "hi", "status": "complete",
                              "error": null, "tokens": null, "promptTokens": null,
                              "reasoningTokens": null,
                              "createdAt": "2026-01-01T00:00:00Z",
                              "updatedAt": "2026-01-01T00:00:00Z"}]
            })).collect::<Vec<_>>()
        })
    };
    let post = |body: Value| {
        let h = &s.h;
        let token = token.clone();
        async move {
            h.call(
                Method::POST,
                &h.b.url,
                "/v1/import/sessions",
                Some(&token),
                Some(body),
            )
            .await
        }
    };
    let (status, answer) = post(batch(laptop.user_id(), &[1, 2, 3])).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let units = answer["units"].as_array().expect("units");
    assert!(units.iter().all(|u| u["created"] == true), "{answer}");
    let carols: BTreeSet<i64> = units
        .iter()
        .map(|u| u["id"].as_i64().expect("id"))
        .collect();
    assert!(carols.is_disjoint(&alices_ids));
    // Sent again, on the other instance: the same ids, nothing created.
    let (status, again) =
        s.h.call(
            Method::POST,
            &s.h.a.url,
            "/v1/import/sessions",
            Some(&token),
            Some(batch(laptop.user_id(), &[1, 2, 3])),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(again["units"]
        .as_array()
        .expect("units")
        .iter()
        .all(|u| u["created"] == false));
    assert_eq!(
        again["units"],
        json!(units
            .iter()
            .map(|u| json!({
                "localId": u["localId"], "id": u["id"], "created": false, "digest": u["digest"]
            }))
            .collect::<Vec<_>>())
    );
    assert_eq!(
        pg_count(
            &pool,
            "SELECT COUNT(*) FROM chat_sessions WHERE user_id = $1",
            &carol.user_id
        )
        .await,
        3
    );

    // Bad batches: typed errors, nothing written.
    let refused = [
        (batch("a/b", &[1]), "source"),
        (batch("src", &[]), "sessions"),
        (batch("src", &[4, 4]), "localId"),
        (batch("src", &(1..=101).collect::<Vec<_>>()), "sessions"),
        (
            json!({"source": "src", "sessions": [{"localId": 1}]}),
            "body",
        ),
    ];
    for (body, field) in refused {
        let (status, error) = post(body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
        assert_eq!(
            (error["code"].as_str(), error["field"].as_str()),
            (Some("invalid_input"), Some(field))
        );
    }
    let mut nul = batch("src", &[9]);
    nul["sessions"][0]["messages"][0]["content"] = json!("a\u{0}b");
    let (status, error) = post(nul).await;
    assert_eq!(
        (status, error["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("content"))
    );
    let (status, error) =
        s.h.call(
            Method::POST,
            &s.h.a.url,
            "/v1/import/sessions",
            None,
            Some(batch("src", &[1])),
        )
        .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("not_signed_in"))
    );
    assert_eq!(
        pg_count(
            &pool,
            "SELECT COUNT(*) FROM chat_sessions WHERE user_id = $1",
            &carol.user_id
        )
        .await,
        3
    );
}

/// Writes one local conversation per entry of `sessions` (its title and
/// its messages' texts) into `core`'s own database; returns their ids.
async fn local_sessions(core: &Core, sessions: &[(&str, Vec<String>)]) -> Vec<i64> {
    let user = core.user_id().to_string();
    let mut tx = core.db().begin_write().await.expect("write");
    let mut ids = Vec::new();
    for (n, (title, messages)) in sessions.iter().enumerate() {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO chat_sessions (user_id, display_id, title, created_at, updated_at)
             VALUES (?, ?, ?, '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z')
             RETURNING id",
        )
        .bind(&user)
        .bind(format!("CH-{:06}", n + 1))
        .bind(title)
        .fetch_one(&mut *tx)
        .await
        .expect("session");
        for content in messages {
            add_message(&mut tx, &user, id, content).await;
        }
        ids.push(id);
    }
    tx.commit().await.expect("commit");
    ids
}

async fn add_message(tx: &mut sqlx::SqliteConnection, user: &str, session: i64, content: &str) {
    sqlx::query(
        "INSERT INTO chat_messages (session_id, user_id, role, content, credits_used, status,
                                    created_at, updated_at)
         VALUES (?, ?, 'user', ?, 0, 'complete', '2026-01-01T00:00:01.000000Z',
                 '2026-01-01T00:00:01.000000Z')",
    )
    .bind(session)
    .bind(user)
    .bind(content)
    .execute(tx)
    .await
    .expect("message");
}

/// The texts of the account's messages in the conversation imported from
/// local id `local_id`, in order.
async fn imported_texts(pool: &PgPool, user: &str, local_id: i64) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT m.content FROM imported_records k
           JOIN chat_messages m ON m.session_id = k.record_id
          WHERE k.user_id = $1 AND k.kind = 'session' AND k.local_id = $2
          ORDER BY m.id",
    )
    .bind(user)
    .bind(local_id)
    .fetch_all(pool)
    .await
    .expect("imported messages")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn removal_keeps_what_changed_after_an_answer_was_lost_and_busy_turns_are_retried() {
    let s = Chatting::start().await;
    let pool = s.h.a.state.store.pool().clone();
    let env = Env::new("2026-03-10T12:00:00Z");
    let laptop = env.open().await;
    let hello = |n: i64| vec![format!("hello {n}")];
    let ids = local_sessions(
        &laptop,
        &[("one", hello(1)), ("two", hello(2)), ("three", hello(3))],
    )
    .await;
    sign_in_core(&laptop, &s.h.a.url).await;
    let user = laptop
        .hosted()
        .account()
        .await
        .expect("settings")
        .expect("signed in")
        .user_id;
    let import = importer(&laptop).await;

    // Another import of the account holds its turn: the server answers
    // `database_busy` at once (no connection waits), the client sends the
    // batch again a few times, then gives up with that typed error.
    let mut holder = pool.begin().await.expect("a transaction");
    sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
        .bind(IMPORT_LOCK_CLASS)
        .bind(&user)
        .execute(&mut *holder)
        .await
        .expect("the account's import turn");
    let busy = import.run(|_| {}).await.expect_err("the turn is held");
    assert_eq!(busy.code(), ErrorCode::DatabaseBusy, "{busy}");
    assert_eq!(
        pg_count(
            &pool,
            "SELECT COUNT(*) FROM chat_sessions WHERE user_id = $1",
            &user
        )
        .await,
        0
    );
    // Released while the client waits between attempts: the import goes on.
    let release = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        holder.rollback().await.expect("released");
    });
    let report = import.run(|_| {}).await.expect("imported after waiting");
    release.await.expect("the holder");
    assert_eq!(report.imported.sessions, 3);

    // The server committed conversation "two", its answer was lost (this
    // computer never recorded it), and then a message was added to it here.
    sqlx::query("DELETE FROM import_progress WHERE kind = 'session' AND local_id = ?")
        .bind(ids[1])
        .execute(laptop.db().pool())
        .await
        .expect("forget");
    {
        let mut tx = laptop.db().begin_write().await.expect("write");
        add_message(&mut tx, laptop.user_id(), ids[1], "added after the import").await;
        tx.commit().await.expect("commit");
    }
    assert!(!import.status().await.expect("status").is_complete());

    // Resumed: the server knows the key and creates nothing; it says what
    // it holds (the first version), and that is what this computer records.
    let resumed = import.run(|_| {}).await.expect("resumed");
    assert_eq!(
        (resumed.imported.sessions, resumed.already_imported.sessions),
        (0, 1)
    );
    assert!(import.status().await.expect("status").is_complete());
    assert_eq!(imported_texts(&pool, &user, ids[1]).await, ["hello 2"]);

    // Removing: "one" and "three" go; "two" holds a message the account
    // never received, so it stays, counted as changed.
    let removed = import.remove_imported().await.expect("removed");
    assert_eq!(
        (removed.sessions, removed.projects, removed.kept_changed),
        (2, 0, 1)
    );
    let left: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT s.id, (SELECT COUNT(*) FROM chat_messages m WHERE m.session_id = s.id)
           FROM chat_sessions s",
    )
    .fetch_all(laptop.db().pool())
    .await
    .expect("local sessions");
    assert_eq!(left, [(ids[1], 2)]);

    // The answer names the server's digest, not an echo of what was sent.
    let carol = s.h.sign_in("carol", "carol's laptop").await;
    let body = |content: &str| {
        json!({"source": "src", "sessions": [{
            "localId": 1, "title": "x",
            "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z",
            "messages": [{"role": "user", "content": content, "status": "complete",
                          "error": null, "tokens": null, "promptTokens": null,
                          "reasoningTokens": null, "createdAt": "2026-01-01T00:00:00Z",
                          "updatedAt": "2026-01-01T00:00:00Z"}]}]})
    };
    let post = |body: Value| {
        let h = &s.h;
        let token = carol.tokens.access_token.clone();
        async move {
            h.call(
                Method::POST,
                &h.a.url,
                "/v1/import/sessions",
                Some(&token),
                Some(body),
            )
            .await
        }
    };
    let (status, first) = post(body("first")).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let (status, second) = post(body("second")).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_eq!(second["units"][0]["created"], false);
    assert_eq!(second["units"][0]["digest"], first["units"][0]["digest"]);
    // While another import of carol's holds the turn: 409 `database_busy`.
    let mut holder = pool.begin().await.expect("a transaction");
    sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
        .bind(IMPORT_LOCK_CLASS)
        .bind(&carol.user_id)
        .execute(&mut *holder)
        .await
        .expect("carol's import turn");
    let (status, error) = post(body("third")).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (StatusCode::CONFLICT, Some("database_busy")),
        "{error}"
    );
    holder.rollback().await.expect("released");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn records_the_server_would_refuse_are_repaired_or_left_here_without_blocking_the_rest() {
    let s = Chatting::start().await;
    let pool = s.h.a.state.store.pool().clone();
    let env = Env::new("2026-03-10T12:00:00Z");
    let laptop = env.open().await;
    let many: Vec<String> = (0..=MAX_BATCH_CHILDREN).map(|n| format!("m{n}")).collect();
    let long_title = "t".repeat(MAX_TITLE_CHARS + 1);
    let ids = local_sessions(
        &laptop,
        &[
            ("plain", vec!["hi".into()]),
            // The local schema holds a NUL; Postgres cannot.
            ("with a NUL", vec!["before\0after".into()]),
            // Longer than any title the server accepts.
            (long_title.as_str(), vec!["long".into()]),
            // More messages than one request carries.
            ("huge", many),
            ("after them", vec!["still imported".into()]),
        ],
    )
    .await;
    sign_in_core(&laptop, &s.h.a.url).await;
    let user = laptop
        .hosted()
        .account()
        .await
        .expect("settings")
        .expect("signed in")
        .user_id;
    let import = importer(&laptop).await;
    assert_eq!(import.status().await.expect("status").sessions_left, 5);

    let mut seen = Vec::new();
    let report = import.run(|p| seen.push(p)).await.expect("imported");
    assert_eq!(
        (report.imported.sessions, report.not_importable),
        (3, 2),
        "{report:?}"
    );
    assert_eq!(seen.last().map(|p| (p.done, p.total)), Some((5, 5)));
    assert_eq!(
        imported_texts(&pool, &user, ids[1]).await,
        ["before\u{FFFD}after"]
    );
    assert_eq!(
        imported_texts(&pool, &user, ids[4]).await,
        ["still imported"]
    );
    // Complete without the two: the offer does not come back, a run sends
    // nothing new and says again what stays here.
    let status = import.status().await.expect("status");
    assert!(status.is_complete(), "{status:?}");
    assert_eq!(
        import.run(|_| {}).await.expect("again"),
        ImportReport {
            not_importable: 2,
            ..ImportReport::default()
        }
    );
    assert_eq!(
        pg_count(
            &pool,
            "SELECT COUNT(*) FROM chat_sessions WHERE user_id = $1",
            &user
        )
        .await,
        3
    );

    // Removing takes the three the account holds (the repaired one too:
    // the account holds it as it would be sent now) and keeps the two.
    let removed = import.remove_imported().await.expect("removed");
    assert_eq!((removed.sessions, removed.kept_changed), (3, 0));
    let left: Vec<i64> = sqlx::query_scalar("SELECT id FROM chat_sessions ORDER BY id")
        .fetch_all(laptop.db().pool())
        .await
        .expect("local sessions");
    assert_eq!(left, [ids[2], ids[3]]);

    // Made importable here, it is sent by the next run.
    sqlx::query("UPDATE chat_sessions SET title = 'shorter' WHERE id = ?")
        .bind(ids[2])
        .execute(laptop.db().pool())
        .await
        .expect("a local fix");
    let report = import.run(|_| {}).await.expect("the fixed one");
    assert_eq!((report.imported.sessions, report.not_importable), (1, 1));
    assert_eq!(imported_texts(&pool, &user, ids[2]).await, ["long"]);
}

/// The import carries a conversation's text, not yet its files: removing
/// what was imported keeps a conversation with files on this computer,
/// whole, and counts it as kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn removal_keeps_a_conversation_whose_files_were_not_imported() {
    let s = Chatting::start().await;
    let env = Env::new("2026-03-10T12:00:00Z");
    let laptop = env.open().await;
    let ids = local_sessions(
        &laptop,
        &[
            ("plain", vec!["hello".to_string()]),
            ("with a file", vec!["see the notes".to_string()]),
        ],
    )
    .await;
    sqlx::query(
        "INSERT INTO message_attachments
            (message_id, position, name, kind, mime, size_bytes, tokens, data, created_at)
         SELECT id, 0, 'notes.md', 'text', 'text/markdown', 6, 2, x'2320686921', created_at
           FROM chat_messages WHERE session_id = ?",
    )
    .bind(ids[1])
    .execute(laptop.db().pool())
    .await
    .expect("a file on the second conversation");
    sign_in_core(&laptop, &s.h.a.url).await;
    let import = importer(&laptop).await;
    let done = import.run(|_| {}).await.expect("imported");
    assert_eq!(done.imported.sessions, 2);

    let removed = import.remove_imported().await.expect("removed");
    assert_eq!(
        (removed.sessions, removed.kept_changed),
        (1, 1),
        "{removed:?}"
    );
    let left: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT s.id, (SELECT COUNT(*) FROM message_attachments a
                         JOIN chat_messages m ON m.id = a.message_id
                        WHERE m.session_id = s.id)
           FROM chat_sessions s",
    )
    .fetch_all(laptop.db().pool())
    .await
    .expect("local sessions");
    assert_eq!(left, [(ids[1], 1)]);
}
