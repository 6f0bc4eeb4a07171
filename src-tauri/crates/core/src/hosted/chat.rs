//! Sending a message through the server (`POST /v1/chat/send`) and reading
//! its reply as server-sent events: `reply` events carry the core's
//! [`DomainEvent`]s as they happen, then exactly one `outcome` (the same
//! [`SendOutcome`] a local send returns) or `error`. Comment lines are
//! keep-alives (eventsource-stream drops them, as for the providers).
//!
//! The server finishes and stores a reply even when the client goes away,
//! so a stream that breaks after the reply started is not a lost reply:
//! the client waits for it to end on the server and reads it back
//! ([`HostedClient::recover_reply`]). Each send carries an idempotency
//! key (one is made when the caller has none), so the same send tried
//! again never charges twice.

use super::client::{Call, HostedClient};
use super::error::HostedError;
use super::http::{WireError, STREAM_IDLE_TIMEOUT};
use crate::chat::{MessageStatus, Role, SendOutcome, MAX_PAGE};
use crate::events::DomainEvent;
use crate::ids::RecordRef;
use crate::ledger::EntryKind;
use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tokio::time::Instant;

/// How often a reply whose stream broke is looked up while it is still
/// streaming on the server.
pub const RECOVER_POLL_EVERY: Duration = Duration::from_millis(500);
/// How many ledger rows are searched for a recovered reply's spend.
const SPEND_SEARCH_ROWS: u32 = 50;

/// A message to send through the server.
#[derive(Debug, Clone)]
pub struct HostedSend {
    /// Continue this session; `None` starts one.
    pub session: Option<RecordRef>,
    pub content: String,
    pub include_context: bool,
    /// Same key, same send: a retry never charges twice. Made when `None`.
    pub idempotency_key: Option<String>,
    /// Send as another version of this user message (see
    /// `chat::SendRequest::edit_of`).
    pub edit_of: Option<i64>,
    /// Files uploaded with the message; the server checks them again and
    /// stores them beside it (see `chat::SendRequest::attachments`).
    pub attachments: Vec<crate::chat::Attachment>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SendBody<'a> {
    session: Option<String>,
    content: &'a str,
    include_context: bool,
    idempotency_key: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    edit_of: Option<i64>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    attachments: &'a [crate::chat::Attachment],
}

impl HostedClient {
    /// Sends `request`; `on_event` hears the reply's events as they
    /// arrive. Refusals before the reply opens (validation, credits, a busy
    /// session, …) are the server's typed errors.
    pub async fn send(
        &self,
        request: HostedSend,
        on_event: impl FnMut(DomainEvent) + Send,
    ) -> Result<SendOutcome, HostedError> {
        let key = crate::idempotency::key_or_new(request.idempotency_key.clone());
        let body = SendBody {
            session: request.session.as_ref().map(ToString::to_string),
            content: &request.content,
            include_context: request.include_context,
            idempotency_key: &key,
            edit_of: request.edit_of,
            attachments: &request.attachments,
        };
        let response = self
            .open(Call {
                method: Method::POST,
                url: self.transport().url("/v1/chat/send", &[]),
                body: Some(&body),
            })
            .await?;
        let retry = format!(
            "the server may have taken it: look at the conversation first; sent again with \
             idempotency key {key}, it is never charged twice"
        );
        self.read_reply(response, &retry, on_event).await
    }

    /// Answers the last message of `session` again (a paid action, priced
    /// by the server), as [`Self::send`] does.
    pub async fn regenerate(
        &self,
        session: &RecordRef,
        include_context: bool,
        on_event: impl FnMut(DomainEvent) + Send,
    ) -> Result<SendOutcome, HostedError> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Body {
            session: String,
            include_context: bool,
        }
        let body = Body {
            session: session.to_string(),
            include_context,
        };
        let response = self
            .open(Call {
                method: Method::POST,
                url: self.transport().url("/v1/chat/regenerate", &[]),
                body: Some(&body),
            })
            .await?;
        let retry = "the server may have taken it: look at the conversation before asking again";
        self.read_reply(response, retry, on_event).await
    }

    /// Reads a reply's event stream to its outcome; a stream that breaks
    /// after the reply started is read back from the session. `retry` says
    /// what to do when it broke before.
    async fn read_reply(
        &self,
        response: reqwest::Response,
        retry: &str,
        mut on_event: impl FnMut(DomainEvent) + Send,
    ) -> Result<SendOutcome, HostedError> {
        let (started, broke) = match read_events(response.bytes_stream(), &mut on_event).await {
            Read::Ended(outcome) => return *outcome,
            Read::Broke { started, reason } => (started, reason),
        };
        tracing::info!(reason = %broke, "the reply stream broke; looking the reply up");
        match started {
            Some((session_id, message_id)) => self.recover_reply(session_id, message_id).await,
            None => Err(HostedError::Offline {
                server: self.server(),
                detail: format!("the connection broke before the reply started ({broke}); {retry}"),
            }),
        }
    }

    /// Stops the reply streaming in `session` (`CH-…`, or its row id), on
    /// whichever instance streams it; false when none was streaming.
    pub async fn stop(&self, session: &str) -> Result<bool, HostedError> {
        #[derive(Serialize)]
        struct Stop<'a> {
            session: &'a str,
        }
        #[derive(Deserialize)]
        struct Stopping {
            streaming: bool,
        }
        let answer: Stopping = self
            .json(Call {
                method: Method::POST,
                url: self.transport().url("/v1/chat/stop", &[]),
                body: Some(&Stop { session }),
            })
            .await?;
        Ok(answer.streaming)
    }

    /// The outcome of a send whose stream broke after reply `message_id`
    /// started in session `session_id` (row ids): waits (at most
    /// [`STREAM_IDLE_TIMEOUT`] after the last sign of progress) for the
    /// server to end the reply, then reads the exchange back.
    pub async fn recover_reply(
        &self,
        session_id: i64,
        message_id: i64,
    ) -> Result<SendOutcome, HostedError> {
        let session_ref = RecordRef::Id(session_id);
        let mut deadline = Instant::now() + STREAM_IDLE_TIMEOUT;
        let mut seen_len = 0;
        let (user_message, reply) = loop {
            let page = self.messages(&session_ref, None, Some(MAX_PAGE)).await?;
            let reply = page.messages.iter().find(|m| m.id == message_id).cloned();
            let Some(reply) = reply else {
                return Err(HostedError::BadResponse(format!(
                    "reply {message_id} is not in its session any more"
                )));
            };
            if reply.status != MessageStatus::Streaming {
                let user = page
                    .messages
                    .iter()
                    .filter(|m| m.role == Role::User && m.id < message_id)
                    .max_by_key(|m| m.id)
                    .cloned()
                    .ok_or_else(|| {
                        HostedError::BadResponse("the reply has no message before it".into())
                    })?;
                break (user, reply);
            }
            if reply.content.len() > seen_len {
                seen_len = reply.content.len();
                deadline = Instant::now() + STREAM_IDLE_TIMEOUT;
            }
            if Instant::now() >= deadline {
                return Err(HostedError::Offline {
                    server: self.server(),
                    detail: "the reply stopped arriving".into(),
                });
            }
            tokio::time::sleep(RECOVER_POLL_EVERY).await;
        };
        let session = self.session(&session_ref).await?;
        let spend = self
            .ledger(None, Some(SPEND_SEARCH_ROWS))
            .await?
            .entries
            .into_iter()
            .find(|e| {
                e.kind == EntryKind::Spend
                    && e.reference.as_deref() == Some(session.display_id.as_str())
            })
            .ok_or_else(|| {
                HostedError::BadResponse("the reply's payment is not in the ledger".into())
            })?;
        let balance = self.balance().await?;
        Ok(SendOutcome {
            session,
            user_message,
            reply,
            spend,
            replayed: false,
            balance,
        })
    }
}

/// How a reply's event stream ended.
enum Read {
    /// With its `outcome` or `error` event.
    Ended(Box<Result<SendOutcome, HostedError>>),
    /// Without either: the reply's `(session, message)` if it had started.
    Broke {
        started: Option<(i64, i64)>,
        reason: String,
    },
}

/// Reads a reply's server-sent events, handing each `reply` event to
/// `on_event`, up to its `outcome` or `error` event.
async fn read_events<S, B, E>(body: S, on_event: &mut (impl FnMut(DomainEvent) + Send)) -> Read
where
    S: futures_util::Stream<Item = Result<B, E>> + Unpin,
    B: AsRef<[u8]>,
    E: std::fmt::Display,
{
    let mut events = body.eventsource();
    let mut started: Option<(i64, i64)> = None;
    loop {
        let event = match events.next().await {
            None => {
                let reason = "the stream ended before the outcome".to_string();
                return Read::Broke { started, reason };
            }
            Some(Err(e)) => {
                let reason = e.to_string();
                return Read::Broke { started, reason };
            }
            Some(Ok(event)) => event,
        };
        match event.event.as_str() {
            "reply" => {
                // A kind of event a newer server adds is not this client's
                // to show; the outcome still ends the reply.
                let Ok(event) = serde_json::from_str::<DomainEvent>(&event.data) else {
                    tracing::debug!("skipping a reply event this client does not know");
                    continue;
                };
                if let DomainEvent::ReplyStarted {
                    session_id,
                    message_id,
                } = event
                {
                    started = Some((session_id, message_id));
                }
                on_event(event);
            }
            "outcome" => return Read::Ended(Box::new(parse(&event.data, "the outcome"))),
            "error" => {
                // After the reply opened nothing is the request's fault: it
                // failed on the server's side (or its model's), as a 502
                // would say.
                let error = parse::<WireError>(&event.data, "the error");
                return Read::Ended(Box::new(error.and_then(|e| Err(e.into_error(502)))));
            }
            // Events a newer server may add are not this client's.
            _ => {}
        }
    }
}

fn parse<'a, T: Deserialize<'a>>(data: &'a str, what: &str) -> Result<T, HostedError> {
    serde_json::from_str(data).map_err(|e| HostedError::BadResponse(format!("{what}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn body(text: &'static str) -> impl futures_util::Stream<Item = Result<&'static [u8], String>> {
        futures_util::stream::iter(vec![Ok(text.as_bytes())])
    }

    #[tokio::test]
    async fn reply_events_this_client_does_not_know_are_skipped() {
        let mut heard = Vec::new();
        let read = read_events(
            body(
                "event: reply\ndata: {\"type\":\"reply_started\",\"sessionId\":1,\"messageId\":2}\n\n\
                 event: reply\ndata: {\"type\":\"a_kind_from_the_future\"}\n\n\
                 event: reply\ndata: {\"type\":\"reply_delta\",\"sessionId\":1,\"messageId\":2,\"delta\":\"hi\"}\n\n\
                 event: error\ndata: {\"code\":\"rate_limited\",\"message\":\"the model failed\"}\n\n",
            ),
            &mut |event| heard.push(event),
        )
        .await;
        assert_eq!(heard.len(), 2, "{heard:?}");
        let Read::Ended(ended) = read else {
            panic!("the error event ends the reply");
        };
        let Err(error) = *ended else {
            panic!("the error event is an error");
        };
        assert_eq!(error.code(), ErrorCode::RateLimited, "{error:?}");
    }

    #[tokio::test]
    async fn a_stream_that_breaks_says_whether_the_reply_had_started() {
        let read = read_events(
            body("event: reply\ndata: {\"type\":\"reply_started\",\"sessionId\":1,\"messageId\":2}\n\n"),
            &mut |_| {},
        )
        .await;
        assert!(matches!(
            read,
            Read::Broke {
                started: Some((1, 2)),
                ..
            }
        ));
        let read = read_events(body(": keep-alive\n\n"), &mut |_| {}).await;
        assert!(matches!(read, Read::Broke { started: None, .. }));
    }
}
