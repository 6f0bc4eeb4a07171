//! Signing in with OpenID Connect (authorization code + PKCE, RFC 8252).
//!
//! Both halves live here so every rule is written once:
//! - the client's (desktop app, CLI): [`SignInAttempt`] makes the PKCE
//!   verifier, `state` and `nonce` ([`pkce`]) and the authorization URL
//!   ([`authorize`]), checks the answer's `state` and yields the
//!   [`CodeGrant`] for the server; [`loopback`] is the CLI's redirect
//!   target, [`params`] the shape rules the deep link shares;
//! - the server's: [`OidcProvider`] ([`provider`]) discovers the provider
//!   ([`discovery`]), exchanges the code ([`exchange`]) and verifies the
//!   ID token ([`id_token`]) against the cached JWKS ([`jwks`]).
//!
//! Nothing here logs a token, a code, a verifier or a nonce, and their
//! `Debug` forms hide them.

pub mod authorize;
pub mod discovery;
mod error;
pub mod exchange;
mod http;
pub mod id_token;
pub mod jwks;
pub mod loopback;
pub mod params;
pub mod pkce;
pub mod provider;

pub use authorize::{AuthorizationResponse, CodeGrant, SignInAttempt};
pub use discovery::ProviderMetadata;
pub use error::AccountError;
pub use exchange::ClientCredentials;
pub use id_token::{IdTokenVerifier, VerifiedIdentity};
pub use loopback::LoopbackListener;
pub use provider::OidcProvider;
