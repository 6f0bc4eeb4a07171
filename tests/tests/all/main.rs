//! The end-to-end tests over banter-core, as one test binary (one link
//! instead of one per file); each module is one concern, as its file says.
//! No test here changes process-wide state (environment, working directory,
//! signal handlers, a global tracing subscriber), so they can share a process.

mod app_sign_in;
mod attachments;
mod attachments_history;
mod bad_input;
mod branches;
mod chat_engine;
mod chat_models;
mod chat_settings;
mod chat_store;
mod db_files;
mod hosted_client;
mod idempotency;
mod import_history;
mod key_scope;
mod ledger_race;
mod migrations;
mod model_settings;
mod month_reset;
mod offline_history;
mod open_race;
mod paid_actions_race;
mod postgres_ledger;
mod pro;
mod project_generation;
mod project_store;
mod purchases;
mod refunds;
mod reply_journal;
mod scraping;
mod search_export;
mod send_path;
mod server_accounts;
mod server_branches;
mod server_changes;
mod server_chat;
mod server_models;
mod server_paid_jobs;
mod server_projects;
mod server_purchases;
mod server_recovery;
mod server_session_settings;
mod server_sessions;
mod server_sign_in;
mod server_webhooks;
mod sign_in;
mod signals;
mod sync_devices;
mod sync_property;
mod webhooks;
