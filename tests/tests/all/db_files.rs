//! Opening never "repairs" a database file: a read-only file is
//! `database_read_only`, a file that is not a SQLite database (random bytes, a
//! valid header over garbage, a truncated header) is `database_corrupt`, and
//! in each case the file's bytes are exactly as before and no backup or fresh
//! empty database appears beside it. An existing database reopens with all
//! its data.

use banter_core::ids::RecordRef;
use banter_core::ledger::Action;
use banter_core::Error;
use banter_core::ErrorCode;
use banter_tests::{
    assert_ledger, dir_entries, pseudo_random_bytes, raw_conn, settled_copy, spend, Env,
};
use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;

/// The core's migrate lock file: created beside the database by design.
const LOCK_FILE: &str = "banter.db.open-lock";

/// The data directory's entries, leaving out the migrate lock file.
fn files_beside(env: &Env) -> BTreeSet<String> {
    let mut entries = dir_entries(env.data_dir());
    entries.remove(LOCK_FILE);
    entries
}

/// Opens the core on `env`'s existing `banter.db` and checks it fails with
/// `code` naming the file, leaving the file's bytes and the directory as
/// they were (no backup, no fresh database, no `-wal`/`-shm` left behind).
async fn assert_refused_untouched(env: &Env, code: ErrorCode) -> Error {
    let path = env.db_path();
    let before = std::fs::read(&path).expect("read the database file");
    let files_before = files_beside(env);

    let Err(err) = env.try_open().await else {
        panic!("opening {} should fail with {code}", path.display());
    };
    assert_eq!(err.code(), code, "{err}");
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "the message names the file: {err}"
    );

    let after = std::fs::read(&path).expect("read the database file again");
    assert_eq!(after, before, "file bytes changed");
    assert_eq!(
        files_beside(env),
        files_before,
        "files appeared or vanished beside the database"
    );
    assert!(!env.data_dir().join("backups").exists());
    err
}

fn write_db(env: &Env, bytes: &[u8]) {
    std::fs::write(env.db_path(), bytes).expect("write the database file");
}

/// A new data directory holding a settled copy of a real Banter database
/// (a profile that spent 3 credits), with no connection open on it.
async fn env_with_a_real_database() -> Env {
    let source = Env::new("2026-03-10T09:00:00Z");
    let core = source.open().await;
    spend(&core, Action::ChatMessage, "before")
        .await
        .expect("spend on the source database");
    let env = Env::new("2026-03-10T09:00:00Z");
    settled_copy(&source.db_path(), &env.db_path()).await;
    core.close().await;
    env
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_read_only_database_is_refused_and_left_as_it_was() {
    let env = env_with_a_real_database().await;
    let path = env.db_path();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();

    let err = assert_refused_untouched(&env, ErrorCode::DatabaseReadOnly).await;
    assert!(err.is_user_error());
    assert!(matches!(err, Error::Db(_)));
    // Still refused the second time (nothing was "fixed" in between).
    assert_refused_untouched(&env, ErrorCode::DatabaseReadOnly).await;

    // Made writable again, it opens with its data intact.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let core = env.open().await;
    assert_ledger(&core, 2, 97).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn random_bytes_are_refused_as_corrupt_and_left_as_they_were() {
    let env = Env::new("2026-03-10T09:00:00Z");
    write_db(&env, &pseudo_random_bytes(64 * 1024, 7));
    let err = assert_refused_untouched(&env, ErrorCode::DatabaseCorrupt).await;
    assert!(!err.is_user_error());
    assert_eq!(err.to_api().code, ErrorCode::DatabaseCorrupt);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sqlite_header_over_garbage_is_refused_as_corrupt_and_left_as_it_was() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let mut bytes = b"SQLite format 3\0".to_vec();
    bytes.extend(pseudo_random_bytes(64 * 1024 - 16, 11));
    write_db(&env, &bytes);
    assert_refused_untouched(&env, ErrorCode::DatabaseCorrupt).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_plausible_header_with_a_garbage_schema_is_refused_and_left_as_it_was() {
    // A real database whose first page is overwritten after its 100-byte
    // header: SQLite accepts the header and trips over the schema.
    let env = env_with_a_real_database().await;
    let mut bytes = std::fs::read(env.db_path()).unwrap();
    assert!(bytes.len() > 4096, "the copy has more than one page");
    bytes[100..4096].copy_from_slice(&pseudo_random_bytes(4096 - 100, 13));
    write_db(&env, &bytes);
    assert_refused_untouched(&env, ErrorCode::DatabaseCorrupt).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_file_shorter_than_a_header_is_corrupt_but_an_empty_file_is_a_new_database() {
    let env = Env::new("2026-03-10T09:00:00Z");
    write_db(&env, b"SQLite");
    assert_refused_untouched(&env, ErrorCode::DatabaseCorrupt).await;

    write_db(&env, b"");
    let core = env.open().await;
    assert_ledger(&core, 1, 100).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_directory_in_place_of_the_database_is_refused() {
    let env = Env::new("2026-03-10T09:00:00Z");
    std::fs::create_dir(env.db_path()).unwrap();
    let err = env.try_open().await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::DatabaseUnavailable);
    assert!(env.db_path().is_dir());
    assert_eq!(
        files_beside(&env),
        BTreeSet::from(["banter.db".to_string()])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reopening_keeps_the_profile_balance_and_records() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let core = env.open().await;
    let profile = core.profile().clone();
    let session = core.chat().create_session(Some("Kept")).await.unwrap();
    core.chat()
        .record_user_message(&RecordRef::Id(session.id), "remember me", "m1")
        .await
        .unwrap();
    core.projects()
        .create_project("Kept project", "")
        .await
        .unwrap();
    core.ledger()
        .credit_purchase(core.user_id(), 250, "inv_1", None)
        .await
        .unwrap();
    let balance = core.balance().await.unwrap();
    core.close().await;
    drop(core);

    env.clock.advance(chrono::Duration::hours(2));
    let again = env.open().await;
    assert_eq!(
        again.profile(),
        &profile,
        "the same profile, not a new signup"
    );
    assert_eq!(again.balance().await.unwrap(), balance);
    assert_ledger(&again, 3, 347).await;
    let s = again
        .chat()
        .get_session(&RecordRef::Display("CH-000001".into()))
        .await
        .unwrap();
    assert_eq!((s.title.as_deref(), s.message_count), (Some("Kept"), 1));
    assert_eq!(
        again
            .projects()
            .list_projects(false, None)
            .await
            .unwrap()
            .len(),
        1
    );
    let next = again.chat().create_session(None).await.unwrap();
    assert_eq!(next.display_id, "CH-000002", "counters survive a reopen");
}

/// Regression: `SqlitePool::close` can return while a connection is still
/// open, so the last-connection checkpoint did not always happen and
/// `banter.db` alone (as a user would copy it after quitting) held no tables.
/// `Db::close` now checkpoints with `wal_checkpoint(TRUNCATE)` first: after
/// `close()` returns, `banter.db` alone holds all the data.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn after_close_the_database_file_alone_holds_the_data() {
    let mut failures = Vec::new();
    for round in 0..100 {
        let env = Env::new("2026-03-10T09:00:00Z");
        let core = env.open().await;
        spend(&core, Action::ChatMessage, "m1").await.unwrap();
        core.close().await;
        drop(core);

        // Copy banter.db alone, as a user backing up their data would.
        let elsewhere = tempfile::tempdir().unwrap();
        let copy = elsewhere.path().join("banter.db");
        std::fs::copy(env.db_path(), &copy).unwrap();
        let mut conn = raw_conn(&copy).await;
        let users: Result<i64, _> = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&mut conn)
            .await;
        if !matches!(users, Ok(1)) {
            let wal_left = env.data_dir().join("banter.db-wal").exists();
            failures.push(format!("round {round}: {users:?}, -wal left: {wal_left}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} rounds: {failures:#?}",
        failures.len()
    );
}

/// The data directory Banter creates is the user's alone (`0700`), and so
/// are the database, its WAL sidecars and the lock files (`0600`): chats and
/// the ledger are nobody else's business on a shared machine.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_data_directory_and_its_files_are_private() {
    use banter_core::db::{PRIVATE_DIR_MODE, PRIVATE_FILE_MODE};
    let env = Env::new("2026-03-10T09:00:00Z");
    let data_dir = env.data_dir().join("profile").join("banter");
    let mut options = env.options();
    options.data_dir = Some(data_dir.clone());
    let core = banter_core::Core::open(options).await.unwrap();
    spend(&core, Action::ChatMessage, "m1").await.unwrap();
    let mode = |path: &std::path::Path| {
        std::fs::metadata(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .permissions()
            .mode()
            & 0o777
    };
    for dir in [data_dir.clone(), data_dir.join("run")] {
        assert_eq!(mode(&dir), PRIVATE_DIR_MODE, "{}", dir.display());
    }
    let mut files = 0;
    for dir in [data_dir.clone(), data_dir.join("run")] {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                assert_eq!(mode(&path), PRIVATE_FILE_MODE, "{}", path.display());
                files += 1;
            }
        }
    }
    // banter.db, -wal, -shm, the open and write locks, this process's owner lock.
    assert!(files >= 6, "{files} files checked");
    core.close().await;
}
