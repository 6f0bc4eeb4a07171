//! banter-core: everything Banter knows, with no Tauri in sight.
//!
//! [`Core`] opens the database, makes sure the local profile exists, and
//! hands out the stores. The desktop shell, the CLI and the tests are its
//! clients; a rule such as the price of a chat message lives here once
//! ([`ledger::Costs`]).

pub mod account;
pub mod billing;
pub mod chat;
pub mod clock;
pub mod context;
pub mod db;
mod error;
mod error_code;
pub mod events;
pub mod hosted;
pub mod idempotency;
pub mod ids;
pub mod jobs;
pub mod ledger;
mod liveness;
pub mod model_settings;
pub mod models;
pub mod personas;
pub mod projects;
pub mod providers;
pub mod scrape;
pub mod secrets;
pub mod settings;
pub mod tokens;
mod transport;
pub mod users;
pub mod validate;

// What the doors (the shell, the CLI, the tests) use: the modules above
// that are `pub`, [`Core`] and the error types. Everything else is internal.
pub use error::{ApiError, Error, ErrorCode, Result};

use chat::{ChatEngine, ChatStore};
use clock::{SharedClock, SystemClock};
use db::{paths, Db, DbError};
use events::EventBus;
use ledger::{Balance, Ledger};
use liveness::OwnerLock;
use projects::{ProjectGenerator, ProjectStore};
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
    /// Where API keys are kept; `None` means the OS keyring (see [`secrets`]).
    pub secrets: Option<secrets::SharedSecrets>,
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
    engine: ChatEngine,
    model: providers::ModelCatalog,
    /// What the catalogue was last built from ([`models`]); the lock makes
    /// rebuilds take turns, so an older read never replaces a newer one.
    models_built: Arc<tokio::sync::Mutex<Option<String>>>,
    generator: ProjectGenerator,
    scraper: scrape::Scraper,
    settings: settings::Settings,
    secrets: secrets::SharedSecrets,
    billing: billing::Billing,
    hosted: hosted::HostedAccounts,
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
        let secrets = options.secrets.unwrap_or_else(secrets::default_store);
        Self::open_file_with(&paths::db_path(&data_dir), clock, secrets).await
    }

    /// Opens the database file at `path` directly, keys in the OS keyring.
    pub async fn open_file(path: &Path, clock: SharedClock) -> Result<Self> {
        Self::open_file_with(path, clock, secrets::default_store()).await
    }

    /// Opens the database file at `path` with `secrets` as the key store.
    pub async fn open_file_with(
        path: &Path,
        clock: SharedClock,
        secrets: secrets::SharedSecrets,
    ) -> Result<Self> {
        let db = Db::open(path, &clock).await?;
        let profile = users::ensure_local_profile(&db, &clock).await?;
        let events = EventBus::default();
        let ledger = Ledger::new(db.clone(), clock.clone(), events.clone());
        let journal = chat::ReplyJournal::beside(path);
        let chat = ChatStore::new(
            db.clone(),
            clock.clone(),
            ledger.clone(),
            profile.id.clone(),
            journal.clone(),
        );
        let projects = ProjectStore::new(db.clone(), clock.clone(), profile.id.clone());
        // Claim this process before looking for crashed replies, so no other
        // process can mistake our streams for stranded ones.
        let data_dir = path.parent().unwrap_or_else(|| Path::new("."));
        let run_dir = data_dir.join("run");
        let owner = Arc::new(OwnerLock::acquire(&run_dir)?);
        chat::recover_interrupted(&db, &ledger, &journal, &run_dir, clock.now()).await?;
        jobs::recover(&db, &ledger, &run_dir, clock.now()).await?;
        let jobs = jobs::Jobs::new(
            db.clone(),
            ledger.clone(),
            clock.clone(),
            profile.id.clone(),
            owner.id().to_string(),
        );
        let model = providers::ModelCatalog::default();
        let refresh_lock = hosted::refresh_lock_path(&run_dir);
        let liveness = liveness::ProcessLiveness::new(owner, run_dir);
        let engine = ChatEngine::new(
            chat.clone(),
            Arc::new(projects.clone()),
            events.clone(),
            model.clone(),
            chat::Claims::new(Arc::new(liveness)),
        );
        let generator = ProjectGenerator::new(model.clone(), projects.clone(), jobs.clone());
        let scraper = scrape::Scraper::new(jobs, projects.clone())?;
        let settings = settings::Settings::new(db.clone(), clock.clone());
        let billing = billing::Billing::new(
            db.clone(),
            ledger.clone(),
            clock.clone(),
            events.clone(),
            profile.clone(),
            secrets.clone(),
        );
        let hosted = hosted::HostedAccounts::new(
            settings.clone(),
            secrets.clone(),
            profile.id.clone(),
            data_dir.join(hosted::ACCOUNTS_DIR),
            clock.clone(),
            events.clone(),
        )
        .with_refresh_lock(refresh_lock);
        Ok(Self {
            db,
            clock,
            events,
            profile,
            ledger,
            chat,
            projects,
            engine,
            model,
            models_built: Arc::default(),
            generator,
            scraper,
            settings,
            secrets,
            billing,
            hosted,
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

    /// Sending messages and streaming replies.
    pub fn chat_engine(&self) -> &ChatEngine {
        &self.engine
    }

    /// AI project generation.
    pub fn generator(&self) -> &ProjectGenerator {
        &self.generator
    }

    /// URL scraping onto projects.
    pub fn scraper(&self) -> &scrape::Scraper {
        &self.scraper
    }

    pub fn events(&self) -> &EventBus {
        &self.events
    }

    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }

    /// The database itself, for tests that inspect or damage rows.
    #[cfg(feature = "test-support")]
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Where the database file is.
    pub fn db_path(&self) -> &Path {
        self.db.path()
    }

    /// Purchases through Autumn: checkout, reconcile, Pro.
    pub fn billing(&self) -> &billing::Billing {
        &self.billing
    }

    /// Hosted mode: the server this profile is signed in to, if any, and
    /// signing in (see [`hosted`]).
    pub fn hosted(&self) -> &hosted::HostedAccounts {
        &self.hosted
    }

    /// Importing this profile's local-mode history into the account it is
    /// signed in to; `None` in local mode.
    pub async fn history_import(&self) -> Result<Option<hosted::HistoryImport>> {
        let Some(account) = self.hosted.account().await? else {
            return Ok(None);
        };
        let client = self.hosted.client_for(&account)?;
        Ok(Some(hosted::HistoryImport::new(
            self.db.clone(),
            self.profile.id.clone(),
            &account,
            client,
            self.clock.clone(),
        )))
    }

    /// Typed settings (the chat model, …).
    pub fn settings(&self) -> &settings::Settings {
        &self.settings
    }

    /// Uses the configured chat models (see [`models`]): the Azure
    /// deployment named by the environment (`AZURE_OPENAI_ENDPOINT`,
    /// `AZURE_OPENAI_DEPLOYMENT`, optional `AZURE_OPENAI_API_VERSION`) as
    /// the default if set, and the models saved in Settings. Each key is
    /// the one stored for its endpoint in the OS keyring, else (Azure only)
    /// `AZURE_OPENAI_KEY`. Errors if the default model cannot answer (none
    /// configured, no key), or if a setting is damaged; the other models
    /// are in place all the same.
    pub async fn use_configured_provider(&self) -> Result<()> {
        self.use_model(None).await
    }

    /// [`Self::use_configured_provider`], checking that the model called
    /// `name` (the default for `None`) can answer.
    pub async fn use_model(&self, name: Option<&str>) -> Result<()> {
        self.load_models().await?;
        self.model.require_named(name)?;
        Ok(())
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
