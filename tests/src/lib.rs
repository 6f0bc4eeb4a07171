//! Shared helpers for the end-to-end tests: temporary data directories, cores
//! opened on a [`ManualClock`], ledger shortcuts and raw SQL access to the file.
//!
//! Helpers panic (with `expect`) on failures the test did not ask about, so a
//! test body only handles the errors it means to check.

pub mod hosted;

use banter_core::clock::ManualClock;
use banter_core::db::paths;
use banter_core::ledger::{Action, EntryKind, LedgerEntry, Receipt, SpendRequest, VerifyReport};
use banter_core::providers::{self, AzureConfig, ModelFamily, ProviderConfig, Secret};
use banter_core::secrets::MemorySecrets;
use banter_core::{Core, CoreOptions, Error};
use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, SqliteConnection};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tempfile::TempDir;

/// Parses an RFC 3339 time such as `2026-01-31T23:59:59Z`.
pub fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .expect("a valid RFC 3339 time in the test")
        .with_timezone(&Utc)
}

/// A temporary data directory and the manual clock every core in it runs on.
/// Cores opened from one `Env` share the clock (clones of a `ManualClock`
/// share their time) and the database file, like two processes would.
#[derive(Debug)]
pub struct Env {
    pub dir: TempDir,
    pub clock: ManualClock,
    /// The profile's key store (memory: tests never touch the OS keyring).
    pub secrets: Arc<MemorySecrets>,
}

impl Env {
    /// A fresh, empty data directory with the clock standing at `start`.
    pub fn new(start: &str) -> Self {
        Self {
            dir: tempfile::tempdir().expect("create a temporary data directory"),
            clock: ManualClock::new(at(start)),
            secrets: Arc::new(MemorySecrets::default()),
        }
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Where `Core::open` puts the database in this data directory.
    pub fn db_path(&self) -> PathBuf {
        paths::db_path(self.dir.path())
    }

    /// Moves the shared clock to `rfc3339`, forwards or backwards.
    pub fn set_time(&self, rfc3339: &str) {
        self.clock.set(at(rfc3339));
    }

    pub fn options(&self) -> CoreOptions {
        CoreOptions {
            data_dir: Some(self.dir.path().to_path_buf()),
            clock: Some(Arc::new(self.clock.clone())),
            secrets: Some(self.secrets.clone()),
        }
    }

    /// Opens a core on this directory's database (a new connection pool each time).
    pub async fn try_open(&self) -> Result<Core, Error> {
        Core::open(self.options()).await
    }

    pub async fn open(&self) -> Core {
        self.try_open().await.expect("open the core")
    }
}

/// Opens a core on the file at `path` with `clock`.
pub async fn open_file(path: &Path, clock: &ManualClock) -> Result<Core, Error> {
    Core::open_file(path, Arc::new(clock.clone())).await
}

/// A spend request for the local profile.
pub fn spend_request(core: &Core, action: Action, key: &str) -> SpendRequest {
    SpendRequest {
        user_id: core.user_id().to_string(),
        action,
        idempotency_key: key.to_string(),
        reference: None,
        fingerprint: None,
    }
}

/// Pays for `action` with idempotency key `key`.
pub async fn spend(core: &Core, action: Action, key: &str) -> Result<Receipt, Error> {
    core.ledger().spend(spend_request(core, action, key)).await
}

/// Pays for `action` `n` times (keys `{prefix}-0`, `{prefix}-1`, ...); each must succeed.
pub async fn spend_n(core: &Core, action: Action, n: usize, prefix: &str) -> Vec<LedgerEntry> {
    let mut entries = Vec::with_capacity(n);
    for i in 0..n {
        let receipt = spend(core, action, &format!("{prefix}-{i}"))
            .await
            .expect("a spend the test expects to succeed");
        assert!(!receipt.replayed, "fresh key {prefix}-{i} was replayed");
        entries.push(receipt.entry);
    }
    entries
}

/// Buys `credits` purchased credits with purchase id `key`.
pub async fn purchase(core: &Core, credits: i64, key: &str) -> Receipt {
    core.ledger()
        .credit_purchase(core.user_id(), credits, key, None)
        .await
        .expect("a purchase the test expects to succeed")
}

/// The local profile's whole ledger, oldest first.
pub async fn ledger_rows(core: &Core) -> Vec<LedgerEntry> {
    let mut rows = Vec::new();
    let mut before = None;
    loop {
        let page = core
            .ledger()
            .history(core.user_id(), before, 1000)
            .await
            .expect("read the ledger history");
        let Some(last) = page.last() else { break };
        before = Some(last.id);
        rows.extend(page);
    }
    rows.reverse();
    rows
}

/// The ledger rows of `kind`, oldest first.
pub async fn rows_of_kind(core: &Core, kind: EntryKind) -> Vec<LedgerEntry> {
    ledger_rows(core)
        .await
        .into_iter()
        .filter(|e| e.kind == kind)
        .collect()
}

/// Runs `Ledger::verify` for the local profile; it must hold.
pub async fn verify(core: &Core) -> VerifyReport {
    match core.ledger().verify(core.user_id()).await {
        Ok(report) => report,
        Err(e) => panic!("ledger verify failed: {e}"),
    }
}

/// Checks the ledger adds up to `balance` over `entries` rows.
pub async fn assert_ledger(core: &Core, entries: i64, balance: i64) {
    let report = verify(core).await;
    assert_eq!(report.entries, entries, "ledger entries: {report:?}");
    assert_eq!(report.ledger_sum, balance, "ledger sum: {report:?}");
    assert_eq!(report.balance, balance, "balance: {report:?}");
}

/// A plain SQLite connection to an existing database file, beside the core's
/// own pool (nothing is created if the file is missing).
pub async fn raw_conn(path: &Path) -> SqliteConnection {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(false)
        .connect()
        .await
        .expect("open a raw SQLite connection")
}

/// A plain SQLite connection that creates the file: for building databases
/// by hand (an older or foreign schema) before the core sees them.
pub async fn new_raw_db(path: &Path) -> SqliteConnection {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .connect()
        .await
        .expect("create a scratch SQLite database")
}

/// Builds the local schema as it was before migration `version` (which
/// must exist): every migration in `migrations/` older than it, run on
/// `conn`. For tests that migrate data an older app left.
pub async fn migrate_before(conn: &mut SqliteConnection, version: i64) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
    let mut before = sqlx::migrate::Migrator::new(dir.as_path())
        .await
        .expect("the migrations");
    assert!(before.migrations.iter().any(|m| m.version == version));
    before.migrations = std::borrow::Cow::Owned(
        before
            .migrations
            .iter()
            .filter(|m| m.version < version)
            .cloned()
            .collect(),
    );
    before.run(&mut *conn).await.expect("the old schema");
}

/// Copies the database at `src` to `dst` as one self-contained WAL-mode file
/// with no `-wal`/`-shm` beside it and no connection left open on it
/// (`VACUUM INTO`, then a raw connection that is the file's only user).
///
/// Tests that compare a file's bytes before and after an open use such a
/// copy: `Core::close` does not always close every connection before it
/// returns (see `db_files.rs`), and a late close would checkpoint into the
/// original file while the test is looking at it.
pub async fn settled_copy(src: &Path, dst: &Path) {
    let mut conn = raw_conn(src).await;
    sqlx::query("VACUUM INTO ?")
        .bind(dst.to_string_lossy().into_owned())
        .execute(&mut conn)
        .await
        .expect("copy the database with VACUUM INTO");
    conn.close().await.expect("close the source connection");
    let mut copy = raw_conn(dst).await;
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode = WAL")
        .fetch_one(&mut copy)
        .await
        .expect("put the copy in WAL mode");
    assert_eq!(mode, "wal");
    copy.close().await.expect("close the copy");
}

/// `SELECT COUNT(*)` with one bound integer, on a raw connection.
pub async fn count_where(conn: &mut SqliteConnection, sql: &str, bind: i64) -> i64 {
    sqlx::query_scalar(sql)
        .bind(bind)
        .fetch_one(conn)
        .await
        .expect("run a counting query")
}

/// The names of the entries of `dir` (not recursive).
pub fn dir_entries(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .expect("list a directory")
        .map(|e| {
            e.expect("read a directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

/// Deterministic pseudo-random bytes (a 64-bit LCG), so a "random" file is
/// the same on every run.
pub fn pseudo_random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 56) as u8
        })
        .collect()
}

/// The mock Azure server's `deployment` as a chat model: the `gpt-4o…`
/// deployments take the gpt request shape, the rest the o-series one.
pub fn mock_azure_config(mock_base_url: &str, deployment: &str, streams: bool) -> ProviderConfig {
    ProviderConfig::Azure(AzureConfig {
        endpoint: mock_base_url.to_string(),
        deployment: deployment.to_string(),
        api_version: Some("2025-04-01-preview".into()),
        family: if deployment.contains("gpt-4o") {
            ModelFamily::Gpt
        } else {
            ModelFamily::OSeries
        },
        streams,
        reasoning_effort: None,
        max_completion_tokens: None,
        vision: false,
    })
}

/// Points `core`'s chat model (also used by project generation) at the mock
/// Azure server's `deployment`, with the mock's default key.
pub fn use_mock_model(core: &Core, mock_base_url: &str, deployment: &str) {
    let config = mock_azure_config(mock_base_url, deployment, !deployment.contains("nostream"));
    let provider =
        providers::build(&config, Some(Secret::new("test-key"))).expect("build the mock provider");
    core.chat_engine().set_provider(Some(provider));
}

/// `SELECT COUNT(*) FROM <table>` on the core's own pool (table names are
/// the test's constants, never input).
pub async fn count_rows(core: &Core, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(core.db().pool())
        .await
        .expect("count rows")
}

/// Spends credits down to exactly `balance` with URL-scrape (5) and chat
/// (3) spends paid straight to the ledger.
pub async fn spend_down_to(core: &Core, balance: i64) {
    let diff = core.balance().await.expect("balance").remaining - balance;
    let chats = (0..5)
        .find(|b| diff - 3 * b >= 0 && (diff - 3 * b) % 5 == 0)
        .unwrap_or_else(|| panic!("cannot spend exactly {diff} in steps of 5 and 3"));
    let scrapes = (diff - 3 * chats) / 5;
    for i in 0..scrapes {
        spend(core, Action::UrlScrape, &format!("spend-down-s{i}"))
            .await
            .expect("spend down");
    }
    for i in 0..chats {
        spend(core, Action::ChatMessage, &format!("spend-down-c{i}"))
            .await
            .expect("spend down");
    }
    assert_eq!(core.balance().await.expect("balance").remaining, balance);
}

/// Sends `text` into `session` without context or idempotency key: the
/// plain send most tests make.
pub async fn send_text(
    core: &Core,
    session: i64,
    text: &str,
) -> Result<banter_core::chat::SendOutcome, Error> {
    core.chat_engine()
        .send(banter_core::chat::SendRequest {
            session: Some(banter_core::ids::RecordRef::Id(session)),
            content: text.into(),
            include_context: false,
            idempotency_key: None,
            edit_of: None,
            attachments: Vec::new(),
        })
        .await
}
