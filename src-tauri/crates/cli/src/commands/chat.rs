//! `chat`: send a message and stream the reply to stdout as it arrives.
//! The remaining credits go to stderr, so stdout holds only the reply; with
//! `--json`, one object is printed at the end instead. The streamed text is
//! the model's, so each piece is made inert ([`text`]) before it is printed;
//! the JSON keeps it exact.

use super::record;
use crate::args::ChatArgs;
use crate::error::CliError;
use crate::output::Output;
use crate::terminal::{cell, text};
use banter_core::chat::{SendOutcome, SendRequest};
use banter_core::events::DomainEvent;
use banter_core::ids::{IdKind, RecordRef};
use banter_core::Core;
use serde::Serialize;
use std::io::Write;
use tokio::sync::broadcast::error::TryRecvError;

/// The `--json` result.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ChatResult<'a> {
    session: &'a str,
    message_id: i64,
    reply: &'a str,
    status: banter_core::chat::MessageStatus,
    tokens: Option<i64>,
    credits_used: i64,
    balance: i64,
    replayed: bool,
}

pub async fn run(core: &Core, args: ChatArgs, out: &mut Output) -> Result<(), CliError> {
    core.use_configured_provider().await?;
    let session = target_session(core, &args).await?;
    let session_id = core.chat().get_session(&session).await?.id;
    let request = SendRequest {
        session,
        content: args.message,
        include_context: args.context,
        idempotency_key: args.idempotency_key,
    };
    let mut events = core.events().subscribe();
    let stream_text = !out.is_json();
    let mut stdout = std::io::stdout();
    let mut print = |event: DomainEvent| -> Result<(), CliError> {
        if let DomainEvent::ReplyDelta {
            session_id: s,
            delta,
            ..
        } = event
        {
            if stream_text && s == session_id {
                stdout
                    .write_all(text(&delta).as_bytes())
                    .and_then(|()| stdout.flush())
                    .map_err(CliError::Output)?;
            }
        }
        Ok(())
    };
    let send = core.engine().send(request);
    tokio::pin!(send);
    let result = loop {
        tokio::select! {
            result = &mut send => break result,
            event = events.recv() => if let Ok(event) = event { print(event)?; },
            _ = tokio::signal::ctrl_c() => { core.engine().stop(session_id); }
        }
    };
    // Everything the send announced is queued by now.
    loop {
        match events.try_recv() {
            Ok(event) => print(event)?,
            Err(TryRecvError::Lagged(_)) => continue,
            Err(_) => break,
        }
    }
    let outcome: SendOutcome = result?;
    let balance = core.balance().await?;
    if out.is_json() {
        let result = ChatResult {
            session: &outcome.session.display_id,
            message_id: outcome.reply.id,
            reply: &outcome.reply.content,
            status: outcome.reply.status,
            tokens: outcome.reply.tokens,
            credits_used: -outcome.spend.amount,
            balance: balance.remaining,
            replayed: outcome.replayed,
        };
        out.emit(&result, |_| Ok(()))
    } else {
        if outcome.replayed {
            print!("{}", text(&outcome.reply.content));
        }
        println!();
        eprintln!(
            "{} · {:?} · {} credits left",
            cell(&outcome.session.display_id),
            outcome.reply.status,
            balance.remaining
        );
        Ok(())
    }
}

/// The session to send to. `--session` names it. Without it, a send starts
/// a new session, except when `--idempotency-key` was already used for a
/// message: the key is bound to its session and message (see
/// `banter_core::ledger::Fingerprint`), so a retry of a send that started its
/// own session goes back to that session. With the same message it replays
/// the first exchange (nothing is charged or sent, no empty session is left
/// behind); with another message it is refused as `idempotency_conflict`.
async fn target_session(core: &Core, args: &ChatArgs) -> Result<RecordRef, CliError> {
    if let Some(id) = &args.session {
        return record(IdKind::ChatSession, id);
    }
    if let Some(key) = &args.idempotency_key {
        if let Some(earlier) = core.chat().session_paid_with(key).await? {
            return Ok(RecordRef::Id(earlier.id));
        }
    }
    Ok(RecordRef::Id(core.chat().create_session(None).await?.id))
}
