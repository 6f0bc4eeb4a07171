//! A provider that answers every request with one error: it stands in for a
//! model that cannot answer where a paid turn must still be given one (a
//! retry the ledger is expected to replay), so that should it not replay,
//! the turn fails and is refunded like any reply that could not start.

use super::{ChatProvider, ChatRequest, EventStream, ProviderError, ProviderFuture};
use std::sync::Arc;

#[derive(Debug)]
pub struct Refusing(ProviderError);

impl Refusing {
    pub fn provider(error: ProviderError) -> Arc<dyn ChatProvider> {
        Arc::new(Self(error))
    }
}

impl ChatProvider for Refusing {
    fn stream_chat(
        &self,
        _request: ChatRequest,
    ) -> ProviderFuture<'_, Result<EventStream, ProviderError>> {
        let error = self.0.clone();
        Box::pin(async move { Err(error) })
    }

    fn label(&self) -> String {
        "no model".to_string()
    }
}
