//! Mock servers over real HTTP on 127.0.0.1, for tests and `make demo`.
//!
//! One concern per module:
//! - [`azure`]: the Azure OpenAI (and OpenAI-compatible) chat-completions
//!   mock; its types are re-exported here since most tests want them.
//! - [`autumn`]: the Autumn billing mock; [`webhooks`]: its webhooks, signed
//!   and delivered as Svix does.
//! - [`oidc`]: an OpenID Connect issuer (discovery, JWKS, authorization
//!   code with PKCE, RS256 ID tokens) for the sign-in tests.
//! - [`site`]: web pages for the scraping tests.
//! - [`scenario`], [`stream`], [`reply`], [`project`], [`errors`]: how the
//!   chat mock picks a behaviour, streams, words replies, plans projects and
//!   shapes Azure's error bodies; [`content`]: text and image content parts.
//! - [`process`]: the start-up the mock binaries share.
//! - [`gateway`]: a TCP gateway that can be taken down and brought back
//!   (a device losing its network).
//! - [`postgres`]: a throwaway Postgres cluster (not a mock: the real server).
//! - [`secret_service`]: a throwaway D-Bus session bus with gnome-keyring on
//!   it, so tokens kept in the "OS keyring" outlive one CLI process.

pub mod autumn;
pub mod azure;
pub mod content;
pub mod errors;
pub mod gateway;
pub mod oidc;
pub mod postgres;
pub mod process;
pub mod project;
pub mod reply;
pub mod scenario;
pub mod secret_service;
pub mod site;
pub mod stream;
pub mod webhooks;

pub use azure::{start, start_on, MockConfig, MockServer, RecordedRequest};
pub use process::announce_and_wait;
