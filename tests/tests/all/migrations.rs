//! Start-up migrations: a fresh database is migrated with no backup; a file
//! that already holds data is copied to `backups/` before pending migrations
//! run (and the copy holds that data); a failed migration reports
//! `database_migration_failed` and leaves the data as it was; a schema version
//! this build does not know is `database_too_new` and the file is left intact.

use banter_core::ErrorCode;
use banter_tests::{at, dir_entries, new_raw_db, raw_conn, settled_copy, Env};
use sqlx::Connection;
use std::collections::BTreeSet;

/// The migration versions this build ships (`migrations/0001_foundation.sql`,
/// `migrations/0002_chat_streaming.sql`, `migrations/0003_reply_journal.sql`, `migrations/0004_message_search.sql`, `migrations/0005_project_jobs_and_sources.sql`, `migrations/0006_purchases.sql`, `migrations/0007_request_fingerprints.sql`, `migrations/0008_sync_outbox.sql`, `migrations/0009_creation_keys.sql`, `migrations/0010_message_branches.sql`, `migrations/0011_import_progress.sql`, `migrations/0012_session_settings.sql`, `migrations/0013_message_attachments.sql`, `migrations/0014_session_model.sql`).
const KNOWN: [i64; 14] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_fresh_database_is_migrated_without_a_backup() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let core = env.open().await;
    let report = core.db().migration();
    assert_eq!(report.applied, KNOWN.to_vec());
    assert_eq!(report.backup, None);
    assert!(!env.data_dir().join("backups").exists());
    core.close().await;
    drop(core);

    // Reopening an up-to-date database applies nothing and copies nothing.
    let again = env.open().await;
    assert!(again.db().migration().applied.is_empty());
    assert_eq!(again.db().migration().backup, None);
    assert!(!env.data_dir().join("backups").exists());

    let mut conn = raw_conn(&env.db_path()).await;
    let versions: Vec<(i64, bool)> =
        sqlx::query_as("SELECT version, success FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    let expected: Vec<(i64, bool)> = KNOWN.iter().map(|&v| (v, true)).collect();
    assert_eq!(versions, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_database_with_data_is_backed_up_before_pending_migrations() {
    // A file that holds data but none of this build's migrations: everything
    // is pending, so the data must be copied before the schema is touched.
    let env = Env::new("2026-03-10T09:00:00Z");
    {
        let mut conn = new_raw_db(&env.db_path()).await;
        sqlx::query("CREATE TABLE notes (body TEXT NOT NULL)")
            .execute(&mut conn)
            .await
            .unwrap();
        sqlx::query("INSERT INTO notes (body) VALUES ('keep me'), ('me too')")
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
    }

    let core = env.open().await;
    let report = core.db().migration().clone();
    assert_eq!(report.applied, KNOWN.to_vec());
    let backups = env.data_dir().join("backups");
    let expected = backups.join("banter-20260310T090000.000Z.db");
    assert_eq!(report.backup.as_deref(), Some(expected.as_path()));
    assert_eq!(
        dir_entries(&backups),
        BTreeSet::from(["banter-20260310T090000.000Z.db".to_string()])
    );

    // Private like the database it copies.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&expected).unwrap().permissions().mode() & 0o777;
        assert_eq!(
            mode,
            banter_core::db::PRIVATE_FILE_MODE,
            "backup mode {mode:o}"
        );
    }

    // The backup is a database holding the old data and not the new schema.
    let mut copy = raw_conn(&expected).await;
    let notes: Vec<String> = sqlx::query_scalar("SELECT body FROM notes ORDER BY rowid")
        .fetch_all(&mut copy)
        .await
        .unwrap();
    assert_eq!(notes, ["keep me", "me too"]);
    let new_tables: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sqlite_master WHERE name IN ('users', 'credit_transactions')",
    )
    .fetch_one(&mut copy)
    .await
    .unwrap();
    assert_eq!(new_tables, 0);

    // The migrated database kept the data and gained the profile.
    let mut live = raw_conn(&env.db_path()).await;
    let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM notes")
        .fetch_one(&mut live)
        .await
        .unwrap();
    assert_eq!(kept, 2);
    assert_eq!(core.balance().await.unwrap().remaining, 100);
    assert_eq!(core.profile().created_at, at("2026-03-10T09:00:00Z"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failed_migration_is_reported_and_leaves_the_data_alone() {
    // A foreign `users` table makes the foundation migration's CREATE fail.
    let env = Env::new("2026-03-10T09:00:00Z");
    {
        let mut conn = new_raw_db(&env.db_path()).await;
        sqlx::query("CREATE TABLE users (name TEXT)")
            .execute(&mut conn)
            .await
            .unwrap();
        sqlx::query("INSERT INTO users (name) VALUES ('ada')")
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
    }

    let err = env.try_open().await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::DatabaseMigrationFailed, "{err}");
    let backups = env.data_dir().join("backups");
    assert!(
        err.to_string().contains(&backups.display().to_string()),
        "the message says where the backup is: {err}"
    );
    assert_eq!(dir_entries(&backups).len(), 1, "one backup was taken");

    let mut conn = raw_conn(&env.db_path()).await;
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM users")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert_eq!(names, ["ada"]);
    let half_done: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sqlite_master WHERE name IN ('user_usage', 'credit_transactions')",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(half_done, 0, "the failed migration was rolled back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_schema_from_a_newer_build_is_refused_and_left_intact() {
    // Work on a settled copy (no connection of the first core left on it), so
    // the file's bytes can be compared before and after.
    let source = Env::new("2026-03-10T09:00:00Z");
    let core = source.open().await;
    let user = core.user_id().to_string();
    let env = Env::new("2026-03-10T09:00:00Z");
    settled_copy(&source.db_path(), &env.db_path()).await;
    core.close().await;

    let mut conn = raw_conn(&env.db_path()).await;
    let columns: Vec<String> =
        sqlx::query_scalar("SELECT name FROM pragma_table_info('_sqlx_migrations') ORDER BY cid")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    assert_eq!(
        columns,
        [
            "version",
            "description",
            "installed_on",
            "success",
            "checksum",
            "execution_time"
        ]
    );
    sqlx::query(
        "INSERT INTO _sqlx_migrations
            (version, description, installed_on, success, checksum, execution_time)
         VALUES (99999999999999, 'from the future', '2027-01-01 00:00:00', 1, x'00', 1)",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    let tables_before = table_names(&env).await;
    let bytes_before = std::fs::read(env.db_path()).unwrap();
    assert_eq!(
        dir_entries(env.data_dir()),
        BTreeSet::from(["banter.db".to_string()])
    );

    let err = env.try_open().await.unwrap_err();
    assert_eq!(
        std::fs::read(env.db_path()).unwrap(),
        bytes_before,
        "file bytes changed"
    );
    // Only the core's migrate lock file may appear; no -wal/-shm, no backup.
    assert_eq!(
        dir_entries(env.data_dir()),
        BTreeSet::from(["banter.db".to_string(), "banter.db.open-lock".to_string()]),
        "files left beside it"
    );
    assert_eq!(err.code(), ErrorCode::DatabaseTooNew, "{err}");
    assert!(err.to_string().contains("99999999999999"), "{err}");
    assert!(!env.data_dir().join("backups").exists());

    assert_eq!(
        table_names(&env).await,
        tables_before,
        "no table was dropped"
    );
    let mut conn = raw_conn(&env.db_path()).await;
    let users: Vec<String> = sqlx::query_scalar("SELECT id FROM users")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert_eq!(users, [user]);
    let ledger: (i64, i64) =
        sqlx::query_as("SELECT COUNT(*), SUM(amount) FROM credit_transactions")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(ledger, (1, 100));
    let versions: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    let expected: Vec<i64> = KNOWN.iter().copied().chain([99_999_999_999_999]).collect();
    assert_eq!(versions, expected);
}

/// A database from a build whose streaming replies kept their text in chunk
/// rows (`0002`): upgrading folds a crashed reply's chunks into the message,
/// and start-up recovery then keeps that text as an `interrupted` reply.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn upgrading_keeps_the_text_of_a_reply_that_was_streaming_in_chunk_rows() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let old = tempfile::tempdir().unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
    for file in ["0001_foundation.sql", "0002_chat_streaming.sql"] {
        std::fs::copy(root.join(file), old.path().join(file)).unwrap();
    }
    let mut conn = new_raw_db(&env.db_path()).await;
    sqlx::migrate::Migrator::new(old.path())
        .await
        .unwrap()
        .run(&mut conn)
        .await
        .unwrap();
    let now = "2026-03-10T08:00:00Z";
    for sql in [
        "INSERT INTO users (id, display_name, created_at) VALUES ('u1', 'Old', ?1)",
        "INSERT INTO chat_sessions (user_id, display_id, title, created_at, updated_at, message_count)
              VALUES ('u1', 'CHAT-1', 'Old chat', ?1, ?1, 2)",
        "INSERT INTO chat_messages (session_id, user_id, role, content, status, created_at, updated_at)
              VALUES (1, 'u1', 'user', 'Tell me a story', 'complete', ?1, ?1)",
        "INSERT INTO chat_messages (session_id, user_id, role, content, status, stream_owner, created_at, updated_at)
              VALUES (1, 'u1', 'assistant', '', 'streaming', 'a-process-long-gone', ?1, ?1)",
        "INSERT INTO chat_message_chunks (message_id, seq, content)
              VALUES (2, 1, ' upon a time'), (2, 0, 'Once')",
    ] {
        sqlx::query(sql).bind(now).execute(&mut conn).await.unwrap();
    }
    conn.close().await.unwrap();

    let core = env.open().await;
    assert_eq!(core.db().migration().applied, KNOWN[2..].to_vec());
    assert!(core.db().migration().backup.is_some());
    let page = core
        .chat()
        .list_messages(&banter_core::ids::RecordRef::Id(1), None, None)
        .await
        .unwrap();
    let reply = &page.messages[1];
    assert_eq!(reply.content, "Once upon a time");
    assert_eq!(reply.status, banter_core::chat::MessageStatus::Interrupted);
    core.close().await;
    assert!(!table_names(&env)
        .await
        .contains(&"chat_message_chunks".to_string()));
}

async fn table_names(env: &Env) -> Vec<String> {
    let mut conn = raw_conn(&env.db_path()).await;
    let names =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .fetch_all(&mut conn)
            .await
            .expect("list the tables");
    // Closed (not just dropped) so its -wal/-shm are gone before the caller looks.
    conn.close().await.expect("close the raw connection");
    names
}
