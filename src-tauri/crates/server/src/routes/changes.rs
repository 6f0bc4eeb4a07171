//! The caller's change feed (see `crate::changes`): `GET /v1/changes`
//! pulls the changes after a cursor, a page at a time;
//! `GET /v1/changes/stream` tells a device, as server-sent events, when
//! there is something to pull.
//!
//! Stream wire: `event: changed` with `data: {"position": N}` — at once
//! (the account's position when the stream opens, whatever `after` is, so
//! the client knows it is subscribed), then whenever the account's feed
//! passes both `after` and the last position announced. A keep-alive
//! comment every [`KEEP_ALIVE`]. Changes made through any instance wake
//! the stream, whichever instance serves it; it ends when the instance
//! shuts down (the client reconnects, to another instance, with its
//! cursor).

use crate::auth::Caller;
use crate::changes::feed::{self, ChangePage, DEFAULT_LIMIT, MAX_LIMIT};
use crate::error::{HttpError, HttpResult};
use crate::state::AppState;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use banter_core::validate::ValidationError;
use banter_core::ErrorCode;
use futures_util::stream::{self, StreamExt};
use serde::{Deserialize, Serialize};
use std::convert::Infallible;
use std::time::Duration;

/// How often an idle change stream sends a comment, so proxies and
/// balancers keep it open.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The query of both routes; numbers are read here, so a bad one is a
/// typed error naming its field.
#[derive(Debug, Deserialize)]
pub struct ChangesQuery {
    pub after: Option<String>,
    pub limit: Option<String>,
}

/// `GET /v1/changes?after=P&limit=N`.
pub async fn pull(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<ChangesQuery>, QueryRejection>,
) -> HttpResult<Json<ChangePage>> {
    let query = query_of(query)?;
    let after = after(query.after.as_deref())?;
    let limit = limit(query.limit.as_deref())?;
    Ok(Json(
        feed::read(state.store.pool(), &caller.user_id, after, limit).await?,
    ))
}

/// The data of a `changed` event.
#[derive(Debug, Serialize)]
struct Changed {
    position: i64,
}

/// `GET /v1/changes/stream?after=P`.
pub async fn stream(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<ChangesQuery>, QueryRejection>,
) -> HttpResult<Response> {
    let after = after(query_of(query)?.after.as_deref())?;
    if state.shutting_down.is_cancelled() {
        return Err(HttpError::new(
            ErrorCode::ServerNotReady,
            "this server is shutting down; connect again",
        ));
    }
    // Subscribed before the position is read: a change committed after the
    // read is heard by this instance's listener.
    let subscription = state.changes.subscribe(&caller.user_id);
    let head = feed::head(state.store.pool(), &caller.user_id).await?;
    state.changes.announce(&caller.user_id, head);
    let now = subscription.known().max(head);
    let later = stream::unfold(
        (subscription, now.max(after)),
        |(mut subscription, told)| async move {
            let position = subscription.past(told).await?;
            Some((position, (subscription, position)))
        },
    );
    let events = stream::once(async move { now })
        .chain(later)
        .map(|position| Ok::<_, Infallible>(changed(position)))
        .take_until(state.shutting_down.clone().cancelled_owned());
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response())
}

fn changed(position: i64) -> Event {
    Event::default()
        .event("changed")
        // Serializing one integer cannot fail.
        .data(serde_json::to_string(&Changed { position }).unwrap_or_else(|_| "{}".into()))
}

fn query_of(query: Result<Query<ChangesQuery>, QueryRejection>) -> HttpResult<ChangesQuery> {
    query.map(|Query(q)| q).map_err(|rejection| {
        invalid(
            "query",
            format!("the query string is not understood: {rejection}"),
        )
    })
}

/// `after`: a position, 0 (the start) if absent.
fn after(raw: Option<&str>) -> HttpResult<i64> {
    match raw {
        None => Ok(0),
        Some(raw) => raw.parse::<i64>().ok().filter(|p| *p >= 0).ok_or_else(|| {
            invalid(
                "after",
                format!("{raw:?} is not a feed position (0 or more)"),
            )
        }),
    }
}

/// `limit`: 1 to [`MAX_LIMIT`], [`DEFAULT_LIMIT`] if absent.
fn limit(raw: Option<&str>) -> HttpResult<u32> {
    match raw {
        None => Ok(DEFAULT_LIMIT),
        Some(raw) => raw
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| invalid("limit", format!("{raw:?} is not from 1 to {MAX_LIMIT}"))),
    }
}

fn invalid(field: &'static str, reason: String) -> HttpError {
    banter_core::Error::from(ValidationError::Invalid { field, reason }).into()
}
