//! The `/v1` routes, one file per area. Handlers are thin: they take a
//! [`crate::auth::Caller`], call the core or the server's stores, and shape
//! the answer.

pub mod account;
pub mod changes;
pub mod chat;
pub mod credits;
pub mod import;
mod import_rows;
pub mod models;
pub mod paid_jobs;
pub mod projects;
pub mod purchases;
pub mod reply_stream;
pub mod sessions;
pub mod webhooks;
