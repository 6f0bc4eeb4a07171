//! Paying for a turn: the one step that charges a chat message (or a
//! regenerated reply) and writes its rows in the same transaction.
//!
//! A send pays for the user's message and opens its `streaming` reply; a
//! regeneration pays for a new reply to the message already there. Both go
//! through [`ChatStore::pay_for_turn`], built on the ledger's paid-action
//! protocol (`Ledger::pay`), so a crash can never leave a charge without the
//! rows recovery looks for, and a retried key finds the first exchange.

use super::attachments::Attachment;
use super::claims::{busy, ReplyWriter};
use super::messages::NewMessage;
use super::prompt::HISTORY_MESSAGES;
use super::rows::{ChatBackend, ChatRows, HistoryEnd, HistoryMessage};
use super::{title_from_message, ChatMessage, ChatSession, ChatStore, MessageStatus, Role};
use crate::error::{Error, Result};
use crate::idempotency::new_key;
use crate::ids::RecordRef;
use crate::ledger::{Action, Balance, CheckStep, Fingerprint, LedgerEntry, Paid, SpendRequest};
use crate::validate::{required_text, MAX_MESSAGE_CHARS};
use chrono::{DateTime, Utc};

/// What a turn pays for.
pub(crate) enum Payment<'a> {
    /// A new user message (already validated), with its token count and the
    /// caller's idempotency key, after the active leaf or, as another
    /// version of `edit_of`, beside it.
    Message {
        content: &'a str,
        tokens: i64,
        key: &'a str,
        edit_of: Option<&'a ChatMessage>,
        /// The digest of the files sent with it (bound to the key too).
        files: Option<&'a str>,
        /// The files themselves, stored with the message in the paying
        /// transaction (a paid message never lacks its files).
        attachments: &'a [Attachment],
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
    /// The conversation before the user message (its path), newest first,
    /// as the model is shown it (`ChatRows::lock_for_reply`), read in the
    /// paying transaction before the reply was opened; empty on a replay.
    /// Their files are read after paying (see `ChatEngine::answer`).
    pub history: Vec<HistoryMessage>,
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
            edit_of: None,
            files: None,
            attachments: &[],
        };
        let paid = self.pay_for_turn(&session, payment, None).await?;
        Ok((paid.user_message, paid.spend))
    }

    /// Charges one chat message for `payment` in `session` and writes its
    /// rows in the same transaction: the user's message (for a new one) and,
    /// with `writer`, the reply opened as `streaming` under its owner id —
    /// unless another live writer is answering in the session (checked
    /// first, under the session's lock: `session_busy`, nothing charged or
    /// replayed).
    /// Token counts are made by the caller: the first count in a process
    /// loads the tokenizer, far too slow to do while holding the write lock.
    pub(crate) async fn pay_for_turn(
        &self,
        session: &ChatSession,
        payment: Payment<'_>,
        writer: Option<&ReplyWriter>,
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
                edit_of,
                files,
                attachments,
            } => (
                key.to_string(),
                Some(match (edit_of, files) {
                    (edited, Some(files)) => Fingerprint::chat_with_files(
                        session_id,
                        edited.map(|m| m.id),
                        content,
                        files,
                    ),
                    (Some(edited), None) => Fingerprint::chat_edit(session_id, edited.id, content),
                    (None, None) => Fingerprint::chat_message(session_id, content),
                }),
                Asked::NewMessage {
                    content: content.to_string(),
                    tokens,
                    attachments: attachments.to_vec(),
                    end: match edit_of {
                        Some(edited) => HistoryEnd::At(edited.parent_id),
                        None => HistoryEnd::ActiveLeaf,
                    },
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
        let check: CheckStep<_, S::Conn> = check_for_turn(session.clone(), &asked, writer.clone());
        let paid = self
            .ledger
            .pay_checked(
                request,
                check,
                Box::new(move |conn, spend, (history, leaf)| {
                    let session = session_now;
                    Box::pin(async move {
                        let turn = TurnRows {
                            user_id: &user_id,
                            session_id,
                            spend,
                            now,
                        };
                        let (user_message, reply) = turn.write(conn, asked, leaf, writer).await?;
                        Ok((session, user_message, reply, history))
                    })
                }),
                Box::new(|conn, spend| {
                    Box::pin(async move {
                        let (session, user, reply) = exchange_paid_by(conn, spend.id).await?;
                        Ok((session, user, reply, Vec::new()))
                    })
                }),
            )
            .await?;
        let Paid {
            entry,
            value: (session, user_message, reply, history),
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
            history,
        })
    }
}

/// [`Payment`] as the paying transaction owns it.
enum Asked {
    NewMessage {
        content: String,
        tokens: i64,
        attachments: Vec<Attachment>,
        /// Where the path the message follows ends.
        end: HistoryEnd,
    },
    AnotherReply(ChatMessage),
}

/// The conversation before a turn's user message, newest first, and the
/// message it ends at (the new message's parent).
type Before = (Vec<HistoryMessage>, Option<i64>);

/// The check a turn makes before paying: the session locked and the path
/// the turn follows read (see `ChatRows::lock_for_reply`); a turn that
/// opens a reply is refused as busy if another live writer is answering in
/// the session. Hands on the conversation before the turn's user message,
/// for the prompt, and where it ends.
fn check_for_turn<C: ChatRows>(
    session: ChatSession,
    asked: &Asked,
    writer: Option<ReplyWriter>,
) -> CheckStep<Before, C> {
    let end = match asked {
        Asked::NewMessage { end, .. } => *end,
        Asked::AnotherReply(user_message) => HistoryEnd::At(user_message.parent_id),
    };
    Box::new(move |conn| {
        Box::pin(async move {
            let found = conn
                .lock_for_reply(session.id, end, HISTORY_MESSAGES)
                .await?;
            if writer.is_some_and(|writer| writer.another_live_writer(&found.owners)) {
                return Err(busy(&session));
            }
            Ok((found.history, found.leaf))
        })
    })
}

/// Where a paid turn's rows go, and what paid for them.
struct TurnRows<'a> {
    user_id: &'a str,
    session_id: i64,
    spend: &'a LedgerEntry,
    now: DateTime<Utc>,
}

impl TurnRows<'_> {
    /// Writes the turn's rows: the user's message (for a new one, after
    /// `parent`) and, with `writer`, the reply opened as `streaming` under
    /// its owner id (the check has made sure no other live writer answers
    /// in the session). Returns the user message and the reply.
    async fn write<C: ChatRows>(
        &self,
        conn: &mut C,
        asked: Asked,
        parent: Option<i64>,
        writer: Option<ReplyWriter>,
    ) -> Result<(ChatMessage, Option<ChatMessage>)> {
        let (content, tokens, attachments) = match asked {
            Asked::NewMessage {
                content,
                tokens,
                attachments,
                ..
            } => (content, tokens, attachments),
            Asked::AnotherReply(earlier) => {
                let reply = match writer {
                    Some(writer) => Some(
                        conn.insert_reply(
                            self.user_id,
                            self.session_id,
                            earlier.id,
                            self.spend.id,
                            writer.owner(),
                            self.now,
                        )
                        .await?,
                    ),
                    None => None,
                };
                return Ok((earlier, reply));
            }
        };
        let message = NewMessage {
            session_id: self.session_id,
            parent_id: parent,
            role: Role::User,
            content: &content,
            status: MessageStatus::Complete,
            credits_used: -self.spend.amount,
            tokens: Some(tokens),
            spend_id: Some(self.spend.id),
            at: self.now,
        };
        let title = title_from_message(&content);
        let (message, reply) = match writer {
            Some(writer) => {
                let (message, reply) = conn
                    .insert_exchange(self.user_id, message, Some(&title), writer.owner())
                    .await?;
                (message, Some(reply))
            }
            None => (
                conn.insert_message(self.user_id, message, Some(&title))
                    .await?,
                None,
            ),
        };
        if !attachments.is_empty() {
            conn.insert_attachments(message.id, &attachments, self.now)
                .await?;
        }
        Ok((message, reply))
    }
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
