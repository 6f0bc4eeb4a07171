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
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SendBody<'a> {
    session: Option<String>,
    content: &'a str,
    include_context: bool,
    idempotency_key: &'a str,
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
        let mut events = response.bytes_stream().eventsource();
        // The reply's session and message, once it has started.
        let mut started: Option<(i64, i64)> = None;
        let broke = loop {
            let event = match events.next().await {
                None => break "the stream ended before the outcome".to_string(),
                Some(Err(e)) => break e.to_string(),
                Some(Ok(event)) => event,
            };
            match event.event.as_str() {
                "reply" => {
                    let event: DomainEvent = parse(&event.data, "a reply event")?;
                    if let DomainEvent::ReplyStarted {
                        session_id,
                        message_id,
                    } = event
                    {
                        started = Some((session_id, message_id));
                    }
                    on_event(event);
                }
                "outcome" => {
                    return parse(&event.data, "the outcome");
                }
                "error" => {
                    // After the reply opened nothing is the request's fault:
                    // it failed on the server's side (or its model's), as a
                    // 502 would say.
                    let error: WireError = parse(&event.data, "the error")?;
                    return Err(error.into_error(502));
                }
                // Events a newer server may add are not this client's.
                _ => {}
            }
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

fn parse<'a, T: Deserialize<'a>>(data: &'a str, what: &str) -> Result<T, HostedError> {
    serde_json::from_str(data).map_err(|e| HostedError::BadResponse(format!("{what}: {e}")))
}
