//! What every request handler shares. Nothing here is state that matters
//! beyond one request: the database is the only memory instances share.

use crate::auth::sign_in::SignInProvider;
use crate::changes::ChangeHub;
use crate::instances::InstanceLiveness;
use banter_core::billing::autumn::AutumnClient;
use banter_core::billing::{WebhookSecret, WebhookVerifier};
use banter_core::chat::Claims;
use banter_core::clock::SharedClock;
use banter_core::db::postgres::PgStore;
use banter_core::events::EventBus;
use banter_core::ledger::Ledger;
use banter_core::providers::{ChatProvider, ModelCatalog, NamedModel};
use banter_core::scrape::Network;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// How long replies in flight may go on after a shutdown begins before they
/// are stopped (kept and charged once if they had text, refunded if not).
/// Below the 30 s an orchestrator usually waits before killing a process.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

#[derive(Debug, Clone)]
pub struct AppState {
    pub store: PgStore,
    pub ledger: Ledger<PgStore>,
    pub clock: SharedClock,
    /// This instance's name (see `Config::instance_name`).
    pub instance: String,
    /// Autumn with the operator's secret key; `None` when purchases are off.
    pub autumn: Option<AutumnClient>,
    /// Checks Autumn's webhooks; `None` when no signing secret is set.
    pub webhooks: Option<Arc<WebhookVerifier>>,
    /// The OpenID Connect provider accounts sign in with.
    pub sign_in: SignInProvider,
    /// The operator's chat models, for chat (a chat's own, or the default)
    /// and project generation (the default); none configured: both are
    /// refused as `provider_not_configured`.
    pub model: ModelCatalog,
    /// The sessions this instance is answering in, with their stop switches.
    pub claims: Claims,
    /// Every reply this instance is streaming, so a shutdown can wait for them.
    pub replies: TaskTracker,
    /// See [`DEFAULT_SHUTDOWN_GRACE`].
    pub shutdown_grace: Duration,
    /// How scrapes resolve and judge addresses: the system's resolver and
    /// the standard ranges; tests inject a resolver that stays on loopback.
    pub scrape_network: Network,
    /// The accounts whose change feed someone here is subscribed to.
    pub changes: ChangeHub,
    /// Cancelled when a shutdown begins: open change streams end then.
    pub shutting_down: CancellationToken,
}

impl AppState {
    pub fn new(
        store: PgStore,
        clock: SharedClock,
        instance: String,
        sign_in: SignInProvider,
    ) -> Self {
        // The ledger announces changes on a bus; the server has no window to
        // tell, so nobody listens (devices ask for their balance).
        let ledger = Ledger::new(store.clone(), clock.clone(), EventBus::default());
        let liveness = InstanceLiveness::new(store.pool().clone(), instance.clone(), clock.clone());
        Self {
            store,
            ledger,
            clock,
            instance,
            autumn: None,
            webhooks: None,
            sign_in,
            model: ModelCatalog::default(),
            claims: Claims::new(Arc::new(liveness)),
            replies: TaskTracker::new(),
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
            scrape_network: Network::default(),
            changes: ChangeHub::default(),
            shutting_down: CancellationToken::new(),
        }
    }

    /// Replies and generation are answered by `provider` (the operator's
    /// one model).
    pub fn with_model(self, provider: Arc<dyn ChatProvider>) -> Self {
        self.model.set(Some(provider));
        self
    }

    /// Chats are answered by the model they name among `models`, the rest
    /// (and generation) by `default` (the first when `None`).
    pub fn with_models(self, models: Vec<NamedModel>, default: Option<String>) -> Self {
        self.model.replace(models, default);
        self
    }

    /// Replies in flight at a shutdown may go on for `grace`.
    pub fn with_shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }

    /// Autumn's webhooks are checked with `secret`.
    pub fn with_webhook_secret(mut self, secret: WebhookSecret) -> Self {
        self.webhooks = Some(Arc::new(WebhookVerifier::new(secret, self.clock.clone())));
        self
    }

    /// Purchases go to Autumn through `client`.
    pub fn with_autumn(mut self, client: AutumnClient) -> Self {
        self.autumn = Some(client);
        self
    }

    /// Scrapes find and judge addresses through `network`.
    pub fn with_scrape_network(mut self, network: Network) -> Self {
        self.scrape_network = network;
        self
    }
}
