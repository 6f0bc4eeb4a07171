//! One configured OpenID Connect provider, as the Banter server uses it:
//! discovered once, then [`OidcProvider::complete`] turns a client's
//! [`CodeGrant`] into a [`VerifiedIdentity`] (exchange, then verify).

use super::authorize::{CodeGrant, SignInAttempt};
use super::discovery::{self, ProviderMetadata};
use super::error::Result;
use super::exchange::{self, ClientCredentials};
use super::http;
use super::id_token::{IdTokenVerifier, VerifiedIdentity};
use super::jwks::JwksCache;
use chrono::{DateTime, Utc};

#[derive(Debug)]
pub struct OidcProvider {
    client: reqwest::Client,
    metadata: ProviderMetadata,
    credentials: ClientCredentials,
    verifier: IdTokenVerifier,
}

impl OidcProvider {
    /// Fetches `issuer`'s discovery document (see [`discovery::discover`]).
    pub async fn discover(issuer: &str, credentials: ClientCredentials) -> Result<Self> {
        let client = http::client()?;
        let metadata = discovery::discover(&client, issuer).await?;
        let jwks = JwksCache::new(client.clone(), metadata.jwks_uri.clone());
        let verifier = IdTokenVerifier::new(&metadata.issuer, &credentials.client_id, jwks);
        Ok(Self {
            client,
            metadata,
            credentials,
            verifier,
        })
    }

    pub fn metadata(&self) -> &ProviderMetadata {
        &self.metadata
    }

    pub fn client_id(&self) -> &str {
        &self.credentials.client_id
    }

    /// A new sign-in attempt for a client returning to `redirect_uri` (the
    /// client side usually builds this itself from the metadata).
    pub fn begin(&self, redirect_uri: &str) -> Result<SignInAttempt> {
        SignInAttempt::begin(&self.metadata, &self.credentials.client_id, redirect_uri)
    }

    /// Exchanges the code and verifies the ID token at time `now`.
    pub async fn complete(
        &self,
        grant: &CodeGrant,
        now: DateTime<Utc>,
    ) -> Result<VerifiedIdentity> {
        let tokens = exchange::exchange_code(
            &self.client,
            &self.metadata.token_endpoint,
            &self.credentials,
            grant,
        )
        .await?;
        let identity = self
            .verifier
            .verify(&tokens.id_token, &grant.nonce, now)
            .await?;
        tracing::info!("a sign-in was verified");
        Ok(identity)
    }
}
