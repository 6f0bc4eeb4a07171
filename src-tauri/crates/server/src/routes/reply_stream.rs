//! A reply as server-sent events. The send runs as its own task, not as
//! part of the request: a client that goes away mid-reply stops hearing
//! it, but the reply is still finished, stored and charged once, and the
//! client picks it up from the session's messages. The task is tracked so
//! a shutdown waits for it (see `crate::serve`).
//!
//! Wire: refusals before the reply opens (validation, credits, a busy
//! session, …) are ordinary JSON errors with their status. Once it opens:
//! `200 text/event-stream`, one `reply` event per core `DomainEvent` of the
//! reply, then exactly one `outcome` (the core's `SendOutcome`) or `error`
//! (`{code, message}`) event.

use crate::error::{HttpError, HttpResult};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use banter_core::chat::{ReplyListener, SendOutcome};
use banter_core::events::DomainEvent;
use banter_core::ErrorCode;
use futures_util::stream::{self, Stream, StreamExt};
use std::convert::Infallible;
use std::future::Future;
use tokio::sync::mpsc;
use tokio_util::task::TaskTracker;

/// What the send task tells the response.
enum Frame {
    Reply(DomainEvent),
    Done(Box<banter_core::Result<SendOutcome>>),
}

/// Starts `send` (given the listener its reply events go to) on `replies`
/// and answers with its stream, or with its error if it failed before the
/// reply opened.
pub async fn respond<F, Fut>(replies: &TaskTracker, send: F) -> HttpResult<Response>
where
    F: FnOnce(ReplyListener) -> Fut,
    Fut: Future<Output = banter_core::Result<SendOutcome>> + Send + 'static,
{
    let (tx, mut rx) = mpsc::unbounded_channel();
    let events = tx.clone();
    // A client that is gone no longer receives: the send goes on regardless.
    let listener = ReplyListener::new("server", move |event| {
        let _ = events.send(Frame::Reply(event));
    });
    let sending = send(listener);
    replies.spawn(async move {
        let done = sending.await;
        let _ = tx.send(Frame::Done(Box::new(done)));
    });
    let first = match rx.recv().await {
        Some(Frame::Done(done)) => match *done {
            Err(error) => return Err(error.into()),
            // A replayed send: the earlier exchange, as the stream's one event.
            Ok(outcome) => Frame::Done(Box::new(Ok(outcome))),
        },
        Some(first) => first,
        // The task ended without a word: it panicked (and was logged).
        None => {
            return Err(HttpError::new(
                ErrorCode::Internal,
                "internal error; it was logged on the server",
            ))
        }
    };
    Ok(Sse::new(events_of(first, rx))
        .keep_alive(KeepAlive::default())
        .into_response())
}

/// `first`, then the rest of the frames, as SSE events; the stream ends
/// after the final frame.
fn events_of(
    first: Frame,
    rx: mpsc::UnboundedReceiver<Frame>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    let rest = stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|frame| (frame, rx))
    });
    stream::once(async { first })
        .chain(rest)
        .map(|frame| Ok(event_of(frame)))
}

fn event_of(frame: Frame) -> Event {
    let (name, data) = match frame {
        Frame::Reply(event) => ("reply", serde_json::to_string(&event)),
        Frame::Done(done) => match *done {
            Ok(outcome) => ("outcome", serde_json::to_string(&outcome)),
            Err(error) => {
                let error = HttpError::from(error);
                ("error", serde_json::to_string(error.body()))
            }
        },
    };
    // Serializing these types cannot fail (no maps with non-string keys).
    Event::default()
        .event(name)
        .data(data.unwrap_or_else(|_| "{}".to_string()))
}
