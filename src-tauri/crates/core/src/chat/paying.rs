//! Paying for a turn: the one step that charges a chat message (or a
//! regenerated reply) and writes its rows in the same transaction.
//!
//! A send pays for the user's message and opens its `streaming` reply; a
//! regeneration pays for a new reply to the message already there. Both go
//! through [`ChatStore::pay_for_turn`], built on the ledger's paid-action
//! protocol (`Ledger::pay`), so a crash can never leave a charge without the
//! rows recovery looks for, and a retried key finds the first exchange.

use super::claims::{another_live_writer, busy, Liveness};
use super::messages::NewMessage;
use super::rows::{ChatBackend, ChatRows};
use super::{title_from_message, ChatMessage, ChatSession, ChatStore, MessageStatus, Role};
use crate::error::{Error, Result};
use crate::idempotency::new_key;
use crate::ids::RecordRef;
use crate::ledger::{Action, Balance, Fingerprint, LedgerEntry, Paid, SpendRequest};
use crate::validate::{required_text, MAX_MESSAGE_CHARS};
use std::sync::Arc;

/// What a turn pays for.
pub(crate) enum Payment<'a> {
    /// A new user message (already validated), with its token count and the
    /// caller's idempotency key.
    Message {
        content: &'a str,
        tokens: i64,
        key: &'a str,
    },
    /// Another reply to `user_message`; the key is fresh, as there is no
    /// retry of a regeneration to recognise.
    Regeneration { user_message: ChatMessage },
}

/// The rows a paid turn wrote (or, on a replay, found).
#[derive(Debug)]
pub(crate) struct PaidTurn {
    pub session: ChatSession,
    pub user_message: ChatMessage,
    /// The opened `streaming` reply (the earlier reply on a replay); `None`
    /// when no reply was asked for.
    pub reply: Option<ChatMessage>,
    pub spend: LedgerEntry,
    pub replayed: bool,
    pub balance: Balance,
}

impl<S: ChatBackend> ChatStore<S> {
    /// Pays for a chat message and saves it, atomically: the balance check,
    /// the charge, its ledger row and the message commit together or not at
    /// all. Retrying with the same `idempotency_key` returns the first
    /// message and charges nothing; the key is bound to the session and the
    /// (trimmed) text, so reusing it for another message or session is an
    /// `idempotency_conflict`.
    pub async fn record_user_message(
        &self,
        session: &RecordRef,
        content: &str,
        idempotency_key: &str,
    ) -> Result<(ChatMessage, LedgerEntry)> {
        let content = required_text("message", content, MAX_MESSAGE_CHARS)?;
        let session = self.get_session(session).await?;
        let payment = Payment::Message {
            tokens: crate::tokens::count(&content),
            content: &content,
            key: idempotency_key,
        };
        let paid = self.pay_for_turn(&session, payment, None).await?;
        Ok((paid.user_message, paid.spend))
    }

    /// Charges one chat message for `payment` in `session` and writes its
    /// rows in the same transaction: the user's message (for a new one) and,
    /// with `writer`, the reply opened as `streaming` under its owner id —
    /// unless another live writer opened one in the session first (checked
    /// under the session's lock: `session_busy`, nothing charged).
    /// Token counts are made by the caller: the first count in a process
    /// loads the tokenizer, far too slow to do while holding the write lock.
    pub(crate) async fn pay_for_turn(
        &self,
        session: &ChatSession,
        payment: Payment<'_>,
        writer: Option<&Arc<dyn Liveness>>,
    ) -> Result<PaidTurn> {
        let (user_id, session_id, now) = (self.user_id.clone(), session.id, self.clock.now());
        // As read before paying; the reply's end reads it again as it is then.
        let session_now = session.clone();
        let writer = writer.cloned();
        let (key, fingerprint, asked) = match payment {
            Payment::Message {
                content,
                tokens,
                key,
            } => (
                key.to_string(),
                Some(Fingerprint::chat_message(session_id, content)),
                Asked::NewMessage {
                    content: content.to_string(),
                    tokens,
                },
            ),
            Payment::Regeneration { user_message } => (
                format!("regenerate:{}:{}", user_message.id, new_key()),
                // A fresh key every time: there is no retry to bind.
                None,
                Asked::AnotherReply(user_message),
            ),
        };
        let request = SpendRequest {
            user_id: self.user_id.clone(),
            action: Action::ChatMessage,
            idempotency_key: key,
            reference: Some(session.display_id.clone()),
            fingerprint,
        };
        let paid = self
            .ledger
            .pay(
                request,
                Box::new(move |conn, spend| {
                    let session = session_now;
                    Box::pin(async move {
                        let user_message = match asked {
                            Asked::NewMessage { content, tokens } => {
                                let message = NewMessage {
                                    session_id,
                                    role: Role::User,
                                    content: &content,
                                    status: MessageStatus::Complete,
                                    credits_used: -spend.amount,
                                    tokens: Some(tokens),
                                    spend_id: Some(spend.id),
                                    at: now,
                                };
                                let title = title_from_message(&content);
                                conn.insert_message(&user_id, message, Some(title.as_str()))
                                    .await?
                            }
                            Asked::AnotherReply(earlier) => earlier,
                        };
                        let reply = match writer {
                            Some(writer) => {
                                let owners = conn.lock_stream_owners(session_id).await?;
                                if another_live_writer(writer.as_ref(), &owners).await? {
                                    return Err(busy(&session));
                                }
                                let owner = writer.owner();
                                let reply = conn
                                    .insert_reply(&user_id, session_id, spend.id, owner, now)
                                    .await?;
                                Some(reply)
                            }
                            None => None,
                        };
                        Ok((session, user_message, reply))
                    })
                }),
                Box::new(|conn, spend| Box::pin(exchange_paid_by(conn, spend.id))),
            )
            .await?;
        let Paid {
            entry,
            value: (session, user_message, reply),
            replayed,
            balance,
        } = paid;
        Ok(PaidTurn {
            session,
            user_message,
            reply,
            spend: entry,
            replayed,
            balance,
        })
    }
}

/// [`Payment`] as the paying transaction owns it.
enum Asked {
    NewMessage { content: String, tokens: i64 },
    AnotherReply(ChatMessage),
}

/// The exchange an earlier spend paid for: its session, its user message
/// and the reply, if one was opened for it.
async fn exchange_paid_by<C: ChatRows>(
    conn: &mut C,
    spend_id: i64,
) -> Result<(ChatSession, ChatMessage, Option<ChatMessage>)> {
    let rows = conn.messages_paid_by(spend_id).await?;
    let mut user = None;
    let mut reply = None;
    for row in rows {
        match row.role {
            Role::User => user = Some(row),
            _ => reply = Some(row),
        }
    }
    let user = user.ok_or_else(|| Error::not_found("message paid by ledger entry", spend_id))?;
    let session = conn.fetch_session(user.session_id).await?;
    Ok((session, user, reply))
}
