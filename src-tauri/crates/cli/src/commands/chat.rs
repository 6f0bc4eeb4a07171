//! `chat`: send a message and stream the reply to stdout as it arrives.
//! The remaining credits go to stderr, so stdout holds only the reply; with
//! `--json`, one object is printed at the end instead. The streamed text is
//! the model's, so each piece is made inert ([`text`]) before it is printed;
//! the JSON keeps it exact.
//!
//! Locally the core's engine sends with this profile's model; signed in,
//! the server sends (its model, the account's credits) and streams the
//! reply back. Both hand the printer the same events and outcome.

use super::record;
use crate::args::ChatArgs;
use crate::error::CliError;
use crate::output::Output;
use crate::terminal::{cell, text};
use banter_core::chat::{
    Attachment, ChatEngine, ReplyListener, SendOutcome, SendRequest, MAX_PAGE,
};
use banter_core::events::DomainEvent;
use banter_core::hosted::{HostedClient, HostedHistory, HostedSend};
use banter_core::ids::{IdKind, RecordRef};
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

pub async fn run(
    core: &Core,
    hosted: Option<HostedHistory>,
    args: ChatArgs,
    out: &mut Output,
) -> Result<(), CliError> {
    let session = args
        .session
        .as_deref()
        .map(|id| record(IdKind::ChatSession, id, hosted.is_some()))
        .transpose()?;
    // Read and checked before anything is sent or paid for.
    let attachments = args
        .attach
        .iter()
        .map(|path| Attachment::read_file(path).map_err(banter_core::Error::from))
        .collect::<Result<Vec<_>, _>>()?;
    if hosted.is_none() {
        // Before a session is started for the chat's settings.
        // The chat's own model is the engine's to check (a chat naming
        // another model needs no usable default).
        match args.model.as_deref() {
            Some(name) => core.use_model(Some(name)).await?,
            None => core.refresh_models().await?,
        }
    }
    let target = super::chat_settings::apply(core, hosted.as_ref(), session, &args).await?;
    let session = target.session;
    let stream_text = !out.is_json();
    let history = hosted.clone();
    let (printer, result) = match hosted {
        Some(history) => {
            let printer = Printer::new(
                Stopper::Hosted {
                    server: Box::new(history.client().clone()),
                    session: session.clone(),
                },
                stream_text,
            );
            let request = HostedSend {
                session,
                content: args.message,
                include_context: args.context,
                idempotency_key: args.idempotency_key,
                edit_of: args.edit,
                attachments,
            };
            let listener = printer.clone();
            let send = history.send(request, move |event| listener.on_event(event));
            let result = until_done(send, &printer).await;
            (printer, result.map_err(CliError::from))
        }
        None => {
            let request = SendRequest {
                session,
                content: args.message,
                include_context: args.context,
                idempotency_key: args.idempotency_key,
                edit_of: args.edit,
                attachments,
            };
            let printer = Printer::new(
                Stopper::Local(Box::new(core.chat_engine().clone())),
                stream_text,
            );
            let send = core.chat_engine().send_to(request, printer.listener());
            let result = until_done(send, &printer).await;
            (printer, result.map_err(CliError::from))
        }
    };
    if let (Err(error), Some(started)) = (&result, &target.started) {
        // Locally nothing can have been kept elsewhere, and only an empty
        // chat is removed; signed in, only after a refusal the server made
        // before keeping anything.
        if history.is_none() || super::chat_settings::refused_before_anything_was_kept(error) {
            super::chat_settings::discard_if_empty(core, history.as_ref(), started).await;
        }
    }
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
        // A replayed send streamed nothing; a hosted reply whose stream
        // broke was read back whole: print what was not shown yet.
        print!("{}", text(printer.unprinted(&outcome.reply.content)));
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

/// Runs `send` to its end; Ctrl-C stops the reply (which then ends).
async fn until_done<T>(send: impl std::future::Future<Output = T>, printer: &Printer) -> T {
    tokio::pin!(send);
    loop {
        tokio::select! {
            result = &mut send => break result,
            _ = tokio::signal::ctrl_c() => printer.stop(),
        }
    }
}

/// Who stops a reply: the local engine, or the server.
#[derive(Clone)]
enum Stopper {
    Local(Box<ChatEngine>),
    Hosted {
        /// Boxed, as the engine: both are large and cloned rarely.
        server: Box<HostedClient>,
        /// The session named on the command line, if any.
        session: Option<RecordRef>,
    },
}

/// Prints a reply's text to stdout as the send hands it over. Which
/// session it is in is learnt from the reply's first event (a send without
/// `--session` starts one), so Ctrl-C can stop it.
#[derive(Clone)]
struct Printer {
    stopper: Stopper,
    stream_text: bool,
    state: Arc<Mutex<PrintState>>,
}

#[derive(Default)]
struct PrintState {
    session_id: Option<i64>,
    /// The reply's text handed to stdout so far (before neutralising).
    printed: String,
    /// The first failure to write stdout; the reply is stopped then.
    failed: Option<std::io::Error>,
}

impl Printer {
    fn new(stopper: Stopper, stream_text: bool) -> Self {
        Self {
            stopper,
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
                let mut state = self.lock();
                match written {
                    Ok(()) => state.printed.push_str(&delta),
                    // The first failure stops the reply; later ones add nothing.
                    Err(error) if state.failed.is_none() => {
                        state.failed = Some(error);
                        drop(state);
                        self.stop();
                    }
                    Err(_) => {}
                }
            }
            _ => {}
        }
    }

    /// Stops the reply, if it has started.
    fn stop(&self) {
        let Some(session_id) = self.lock().session_id else {
            return;
        };
        match &self.stopper {
            Stopper::Local(engine) => {
                engine.stop_reply(session_id);
            }
            Stopper::Hosted { server, session } => {
                let server = (**server).clone();
                let named = session.as_ref().map(ToString::to_string);
                tokio::spawn(async move {
                    let stopped = match named {
                        Some(session) => server.stop(&session).await,
                        None => match display_id(&server, session_id).await {
                            Ok(session) => server.stop(&session).await,
                            Err(e) => Err(e),
                        },
                    };
                    if let Err(error) = stopped {
                        eprintln!("could not stop the reply: {error}");
                    }
                });
            }
        }
    }

    /// The tail of `content` that was not printed while streaming.
    fn unprinted<'a>(&self, content: &'a str) -> &'a str {
        let state = self.lock();
        content
            .strip_prefix(state.printed.as_str())
            .unwrap_or(if state.printed.is_empty() {
                content
            } else {
                ""
            })
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

/// The display id (`CH-…`) of the account's session with row id `id`: a
/// new session's reply names only its row id. It is the most recently
/// active one, so the first page has it.
async fn display_id(
    server: &HostedClient,
    id: i64,
) -> Result<String, banter_core::hosted::HostedError> {
    let page = server.sessions(None, Some(MAX_PAGE)).await?;
    Ok(page
        .sessions
        .into_iter()
        .find(|s| s.id == id)
        .map_or_else(|| id.to_string(), |s| s.display_id))
}
