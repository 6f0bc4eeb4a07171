//! Typed commands the web UI calls through the generated `ui/src/bindings.ts`.
//! Each one forwards to the core and turns its error into an `ApiError`.

pub mod credits;
