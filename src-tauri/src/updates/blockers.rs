//! Gathering what an install would interrupt ([`InstallBlockers`]): the
//! replies streaming here — the core's own (local sends) and the ones this
//! app relays from the server ([`ServerReplies`]) — and the checkouts
//! waiting for their payment (the server's when signed in, else this
//! computer's).

use super::guard::InstallBlockers;
use crate::hosted;
use banter_core::{ApiError, Core};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Replies this app is relaying from the server (a signed-in send or
/// regenerate): the core's claims see only local sends. Managed state;
/// each send holds a [`ServerReply`] while it runs.
#[derive(Debug, Clone, Default)]
pub struct ServerReplies(Arc<AtomicUsize>);

impl ServerReplies {
    /// Counts one reply until the returned guard is dropped.
    pub fn begin(&self) -> ServerReply {
        self.0.fetch_add(1, Ordering::SeqCst);
        ServerReply(self.0.clone())
    }

    pub fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// One relayed reply, counted while it lives.
#[derive(Debug)]
pub struct ServerReply(Arc<AtomicUsize>);

impl Drop for ServerReply {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// What is going on now. Fails (and so refuses the install) when the
/// pending checkouts cannot be read, e.g. the server is unreachable.
pub async fn current(core: &Core, relayed: &ServerReplies) -> Result<InstallBlockers, ApiError> {
    let checkouts = match hosted::signed_in(core).await? {
        Some(client) => client.pending_checkouts().await?.len(),
        None => core.billing().pending().await?.len(),
    };
    let replies = core.chat_engine().streaming_replies() + relayed.count();
    Ok(InstallBlockers::new(replies, checkouts))
}

/// Against the core's real state: a profile in a temporary directory, its
/// replies streamed from the mock Azure server on 127.0.0.1.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::updates::{may_install, UpdateError};
    use banter_core::chat::SendRequest;
    use banter_core::events::DomainEvent;
    use banter_core::ids::RecordRef;
    use banter_core::providers::{self, AzureConfig, ModelFamily, ProviderConfig, Secret};
    use banter_core::secrets::MemorySecrets;
    use banter_core::CoreOptions;
    use banter_mocks::MockConfig;

    async fn core_in(dir: &std::path::Path) -> Core {
        Core::open(CoreOptions {
            data_dir: Some(dir.to_path_buf()),
            clock: None,
            secrets: Some(std::sync::Arc::new(MemorySecrets::default())),
        })
        .await
        .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn install_is_refused_while_a_local_reply_streams_and_allowed_after() {
        let dir = tempfile::tempdir().unwrap();
        let core = core_in(dir.path()).await;
        let mock = banter_mocks::start(MockConfig {
            slow_ms: 100,
            ..MockConfig::default()
        })
        .await
        .unwrap();
        let config = ProviderConfig::Azure(AzureConfig {
            endpoint: mock.base_url(),
            // The mock's scenario by deployment name: words slowly.
            deployment: "o3-mini-slow".into(),
            api_version: Some("2025-04-01-preview".into()),
            family: ModelFamily::OSeries,
            streams: true,
            reasoning_effort: None,
            max_completion_tokens: None,
            vision: false,
        });
        let provider = providers::build(&config, Some(Secret::new("test-key"))).unwrap();
        core.chat_engine().set_provider(Some(provider));
        let relayed = ServerReplies::default();
        assert_eq!(
            current(&core, &relayed).await.unwrap(),
            InstallBlockers::default()
        );

        let session = core.chat().create_session(None).await.unwrap();
        let mut events = core.events().subscribe();
        let sending = {
            let core = core.clone();
            tokio::spawn(async move {
                core.chat_engine()
                    .send(SendRequest {
                        session: Some(RecordRef::Id(session.id)),
                        content: "go slowly".into(),
                        include_context: false,
                        idempotency_key: None,
                        edit_of: None,
                        attachments: Vec::new(),
                    })
                    .await
            })
        };
        while !matches!(events.recv().await, Ok(DomainEvent::ReplyDelta { .. })) {}

        let streaming = current(&core, &relayed).await.unwrap();
        assert_eq!(streaming, InstallBlockers::new(1, 0));
        assert!(matches!(
            may_install(streaming),
            Err(UpdateError::ReplyStreaming { count: 1 })
        ));

        assert!(core.chat_engine().stop_reply(session.id));
        sending.await.unwrap().unwrap();
        let after = current(&core, &relayed).await.unwrap();
        assert_eq!(after, InstallBlockers::default());
        assert!(may_install(after).is_ok());
    }

    #[tokio::test]
    async fn a_reply_relayed_from_the_server_counts_while_it_runs() {
        let dir = tempfile::tempdir().unwrap();
        let core = core_in(dir.path()).await;
        let relayed = ServerReplies::default();
        let reply = relayed.begin();
        let during = current(&core, &relayed).await.unwrap();
        assert_eq!(during.replies_streaming, 1);
        assert!(may_install(during).is_err());
        drop(reply);
        assert!(may_install(current(&core, &relayed).await.unwrap()).is_ok());
    }
}
