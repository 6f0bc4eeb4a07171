//! `account import`: the CLI's local-mode history imported into the account
//! it signs in to — the real CLI against two server instances on Postgres
//! (the helpers of [`super::hosted`]).

use super::common::{fails, ok};
use super::hosted::{cli_json, oidc, run_cli, servers, signed_in};
use serde_json::{json, Value};
use tempfile::TempDir;

async fn pg_count(h: &banter_tests::hosted::Hosted, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(h.a.state.store.pool())
        .await
        .expect("count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn account_import_copies_local_history_once_and_says_so() {
    let oidc = oidc().await;
    let h = servers(&oidc).await;
    let dir = TempDir::new().unwrap();
    let d = dir.path();

    // Not signed in: nothing to import into.
    let error = fails(&run_cli(d, &["--json", "account", "import"]).await, 1);
    assert_eq!(error["code"], "not_signed_in", "{error}");

    // Local mode: two conversations, a project with two tasks.
    for title in ["Lisbon", "Porto"] {
        cli_json(d, &["sessions", "new", "--title", title]).await;
    }
    cli_json(d, &["projects", "new", "Trip"]).await;
    cli_json(d, &["tasks", "add", "PR-000001", "Book flights"]).await;
    cli_json(d, &["tasks", "add", "PR-000001", "Pack"]).await;
    // One the server's rules refuse (a title longer than any it accepts,
    // written straight into the local database, as an older version could
    // have): it stays here, and the import is complete without it.
    let too_long = "x".repeat(banter_core::validate::MAX_TITLE_CHARS + 1);
    local_sql(
        d,
        "INSERT INTO chat_sessions (user_id, display_id, title, created_at, updated_at)
         SELECT user_id, 'CH-000003', ?, created_at, updated_at FROM chat_sessions LIMIT 1",
        &too_long,
    )
    .await;

    signed_in(d, &h.a.url).await;
    let imported = cli_json(d, &["account", "import"]).await;
    let zero = json!({"sessions": 0, "messages": 0, "projects": 0, "tasks": 0, "pages": 0});
    assert_eq!(
        imported,
        json!({
            "imported": {"sessions": 2, "messages": 0, "projects": 1, "tasks": 2, "pages": 0},
            "alreadyImported": zero,
            "notImportable": 1,
            "complete": true,
            "removedLocal": null,
        })
    );
    assert_eq!(pg_count(&h, "SELECT COUNT(*) FROM chat_sessions").await, 2);
    assert_eq!(pg_count(&h, "SELECT COUNT(*) FROM tasks").await, 2);
    // The account lists them (through the server, as every signed-in command).
    let listed = cli_json(d, &["sessions", "list"]).await;
    let mut titles: Vec<&str> = listed["sessions"]
        .as_array()
        .expect("sessions")
        .iter()
        .map(|s| s["title"].as_str().unwrap_or(""))
        .collect();
    titles.sort_unstable();
    assert_eq!(titles, ["Lisbon", "Porto"]);

    // Again: nothing sent, nothing created; the text says why credits stay.
    let again = run_cli(d, &["account", "import"]).await;
    let text = String::from_utf8_lossy(ok(&again)).to_string();
    assert_eq!(
        text.lines().collect::<Vec<_>>(),
        [
            "imported: 0 conversations (0 messages), 0 projects (0 tasks, 0 saved pages)",
            "already imported: 0 conversations (0 messages), 0 projects (0 tasks, 0 saved pages)",
            "cannot be imported (too large for one request, or refused by the server's rules): 1 — kept on this computer",
            "local-mode credits are not transferred (they were never paid for); the import charged nothing",
        ]
    );
    assert_eq!(pg_count(&h, "SELECT COUNT(*) FROM chat_sessions").await, 2);

    // Removing what the account confirmed from this computer: the import
    // is complete although one record could not be imported.
    let removed = cli_json(d, &["account", "import", "--remove-local"]).await;
    assert_eq!(
        (&removed["complete"], &removed["notImportable"]),
        (&json!(true), &json!(1)),
        "{removed}"
    );
    assert_eq!(
        removed["removedLocal"],
        json!({"sessions": 2, "projects": 1, "keptChanged": 0}),
        "{removed}"
    );
    assert_eq!(pg_count(&h, "SELECT COUNT(*) FROM chat_sessions").await, 2);
    let out = cli_json(d, &["account", "logout"]).await;
    assert_eq!(out["signedOut"], Value::Bool(true));
    let local = cli_json(d, &["sessions", "list"]).await;
    let left: Vec<&str> = local["sessions"]
        .as_array()
        .expect("sessions")
        .iter()
        .map(|s| s["title"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(left, [too_long.as_str()], "{local}");
}

/// Runs `sql` (binding `value`) on the CLI's local database in `dir`.
async fn local_sql(dir: &std::path::Path, sql: &str, value: &str) {
    use sqlx::sqlite::SqliteConnectOptions;
    use sqlx::{ConnectOptions, Connection};
    let mut db = SqliteConnectOptions::new()
        .filename(dir.join("banter.db"))
        .connect()
        .await
        .expect("the CLI's database");
    sqlx::query(sql)
        .bind(value)
        .execute(&mut db)
        .await
        .expect("a local write");
    db.close().await.expect("closed");
}
