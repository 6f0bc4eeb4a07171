//! banter-core: everything Banter knows, with no Tauri in sight.
//!
//! [`Core`] opens the database, makes sure the local profile exists, and
//! hands out the stores. The desktop shell, the CLI and the tests are its
//! clients; a rule such as "a chat message costs 3 credits" lives here once.

pub mod chat;
pub mod clock;
pub mod db;
pub mod error;
pub mod events;
pub mod ids;
pub mod ledger;
pub mod projects;
pub mod providers;
pub mod users;
pub mod validate;

pub use error::{ApiError, Error, Result};

use chat::ChatStore;
use clock::{SharedClock, SystemClock};
use db::{paths, Db, DbError};
use events::EventBus;
use ledger::{Balance, Ledger};
use projects::ProjectStore;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use users::Profile;

/// How to open the core.
#[derive(Debug, Clone, Default)]
pub struct CoreOptions {
    /// The data directory; `None` means `BANTER_DATA_DIR`, then the OS default.
    pub data_dir: Option<PathBuf>,
    /// The clock; `None` means the system clock.
    pub clock: Option<SharedClock>,
}

/// An open Banter profile: the database and the stores over it.
#[derive(Debug, Clone)]
pub struct Core {
    db: Db,
    clock: SharedClock,
    events: EventBus,
    profile: Profile,
    ledger: Ledger,
    chat: ChatStore,
    projects: ProjectStore,
}

impl Core {
    pub async fn open(options: CoreOptions) -> Result<Self> {
        let data_dir =
            paths::resolve_data_dir(options.data_dir.as_deref()).ok_or_else(|| DbError::Io {
                path: PathBuf::from("~"),
                source: std::io::Error::other(
                    "no home directory; pass --data-dir or set BANTER_DATA_DIR",
                ),
            })?;
        let clock = options.clock.unwrap_or_else(|| Arc::new(SystemClock));
        Self::open_file(&paths::db_path(&data_dir), clock).await
    }

    /// Opens the database file at `path` directly.
    pub async fn open_file(path: &Path, clock: SharedClock) -> Result<Self> {
        let db = Db::open(path, &clock).await?;
        let profile = users::ensure_local_profile(&db, &clock).await?;
        let events = EventBus::default();
        let ledger = Ledger::new(db.clone(), clock.clone(), events.clone());
        let chat = ChatStore::new(
            db.clone(),
            clock.clone(),
            ledger.clone(),
            profile.id.clone(),
        );
        let projects = ProjectStore::new(db.clone(), clock.clone(), profile.id.clone());
        Ok(Self {
            db,
            clock,
            events,
            profile,
            ledger,
            chat,
            projects,
        })
    }

    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    pub fn user_id(&self) -> &str {
        &self.profile.id
    }

    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    pub fn chat(&self) -> &ChatStore {
        &self.chat
    }

    pub fn projects(&self) -> &ProjectStore {
        &self.projects
    }

    pub fn events(&self) -> &EventBus {
        &self.events
    }

    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The local user's balance (applies a due monthly reset).
    pub async fn balance(&self) -> Result<Balance> {
        self.ledger.balance(&self.profile.id).await
    }

    /// Closes the database cleanly.
    pub async fn close(&self) {
        self.db.close().await;
    }
}
