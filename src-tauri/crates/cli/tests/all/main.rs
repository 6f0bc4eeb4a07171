//! The `banter-cli` tests, as one test binary (one link instead of one per
//! file). Each module runs the CLI as real processes; none changes
//! process-wide state, so they can share a test process.

mod common;

mod attach;
mod billing;
mod branches;
mod chat;
mod chat_settings;
mod cli;
mod generate_scrape;
mod hosted;
mod idempotency;
mod import;
mod inert_output;
mod models;
