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
use banter_core::chat::{ChatEngine, ReplyListener, SendOutcome, SendRequest};
use banter_core::events::DomainEvent;
use banter_core::ids::IdKind;
use banter_core::Core;
use serde::Serialize;
use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

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
    let session = args
        .session
        .as_deref()
        .map(|id| record(IdKind::ChatSession, id))
        .transpose()?;
    let request = SendRequest {
        session,
        content: args.message,
        include_context: args.context,
        idempotency_key: args.idempotency_key,
    };
    let printer = Printer::new(core.chat_engine().clone(), !out.is_json());
    let send = core.chat_engine().send_to(request, printer.listener());
    tokio::pin!(send);
    let result = loop {
        tokio::select! {
            result = &mut send => break result,
            _ = tokio::signal::ctrl_c() => printer.stop(),
        }
    };
    printer.finish()?;
    let outcome: SendOutcome = result?;
    let balance = &outcome.balance;
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

/// Prints a reply's text to stdout as the send hands it over. Which
/// session it is in is learnt from the reply's first event (a send without
/// `--session` starts one), so Ctrl-C can stop it.
#[derive(Clone)]
struct Printer {
    engine: ChatEngine,
    stream_text: bool,
    state: Arc<Mutex<PrintState>>,
}

#[derive(Default)]
struct PrintState {
    session_id: Option<i64>,
    /// The first failure to write stdout; the reply is stopped then.
    failed: Option<std::io::Error>,
}

impl Printer {
    fn new(engine: ChatEngine, stream_text: bool) -> Self {
        Self {
            engine,
            stream_text,
            state: Arc::default(),
        }
    }

    fn listener(&self) -> ReplyListener {
        let printer = self.clone();
        ReplyListener::new("cli", move |event| printer.on_event(event))
    }

    fn on_event(&self, event: DomainEvent) {
        match event {
            DomainEvent::ReplyStarted { session_id, .. } => {
                self.lock().session_id = Some(session_id);
            }
            DomainEvent::ReplyDelta { delta, .. } if self.stream_text => {
                let mut stdout = std::io::stdout();
                let written = stdout
                    .write_all(text(&delta).as_bytes())
                    .and_then(|()| stdout.flush());
                if let Err(error) = written {
                    // The first failure stops the reply; later ones add nothing.
                    let mut state = self.lock();
                    if state.failed.is_none() {
                        state.failed = Some(error);
                        drop(state);
                        self.stop();
                    }
                }
            }
            _ => {}
        }
    }

    /// Stops the reply, if it has started.
    fn stop(&self) {
        let session_id = self.lock().session_id;
        if let Some(id) = session_id {
            self.engine.stop_reply(id);
        }
    }

    /// The error of a failed stdout write, if one failed.
    fn finish(&self) -> Result<(), CliError> {
        match self.lock().failed.take() {
            Some(error) => Err(CliError::Output(error)),
            None => Ok(()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PrintState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
