//! Reading a reply's stream: text is appended to the reply's journal and
//! announced in batches, each at most [`BATCH_INTERVAL`] old or
//! [`BATCH_TOKENS`] long, whichever comes first.
//!
//! Text is announced only once it is stored. The batch still open when the
//! stream ends is not appended to the journal: the statement that ends the
//! reply writes it into the message row, and it is announced after that
//! ([`Unsaid`]) — one write fewer per reply, the whole of a short one.

use super::journal::{JournalAppend, JournalError};
use super::listener::Announcer;
use crate::error::Result;
use crate::events::DomainEvent;
use crate::providers::{EventStream, FinishReason, ProviderError, ProviderEvent, TokenUsage};
use crate::tokens;
use futures_util::StreamExt;
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;

/// A batch of reply text is saved and announced after this long…
pub const BATCH_INTERVAL: Duration = Duration::from_millis(50);
/// …or once it holds this many tokens, whichever comes first.
pub const BATCH_TOKENS: i64 = 10;

/// What the stream delivered.
#[derive(Default)]
pub(super) struct Streamed {
    /// All the text, [`Unsaid`]'s included (not when `not_saved` is set:
    /// then only what was saved and shown).
    pub text: String,
    /// The end of the stream, neither saved nor announced yet.
    pub unsaid: Unsaid,
    pub usage: Option<TokenUsage>,
    pub finish: Option<FinishReason>,
    pub stopped: bool,
    pub error: Option<ProviderError>,
    /// Set when the journal could not be written: the reply must end now.
    pub not_saved: Option<JournalError>,
}

/// What the stream ended with and nobody has heard yet: the last batch of
/// text (in no journal: the reply's end stores it) and the usage report
/// that came after it. Announced once the reply's end is stored.
#[derive(Debug, Default)]
pub(super) struct Unsaid {
    pub text: String,
    pub usage: Option<TokenUsage>,
}

impl Unsaid {
    /// Announces the text, then the usage, as the stream gave them.
    pub(super) fn announce(self, announce: &Announcer, session_id: i64, message_id: i64) {
        if !self.text.is_empty() {
            announce.emit(DomainEvent::ReplyDelta {
                session_id,
                message_id,
                delta: self.text,
            });
        }
        if let Some(usage) = self.usage {
            announce.emit(DomainEvent::ReplyUsage {
                session_id,
                message_id,
                usage,
            });
        }
    }
}

/// The reply being read: where its text goes and who hears it.
pub(super) struct ReplyStream<'a> {
    pub announce: &'a Announcer,
    pub session_id: i64,
    pub message_id: i64,
}

impl ReplyStream<'_> {
    /// Reads `stream` to its end (or a stop), saving and announcing text in
    /// batches; what is left at the end is [`Streamed::unsaid`]. A journal
    /// that cannot be opened or written ends the reply there
    /// (`Streamed::not_saved`): text the user never saw is not announced.
    pub(super) async fn read<J: JournalAppend>(
        &self,
        journal: Result<J>,
        mut stream: EventStream,
        stop: &mut watch::Receiver<bool>,
    ) -> Streamed {
        let mut out = Streamed::default();
        let mut batch = Batch::default();
        let mut journal = match journal {
            Ok(journal) => journal,
            Err(error) => {
                out.not_saved = Some(JournalError::not_saved(&error));
                return out;
            }
        };
        loop {
            let deadline = batch.deadline;
            tokio::select! {
                biased;
                _ = stop.changed() => {
                    out.stopped = true;
                    break;
                }
                _ = tokio::time::sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => {
                    if !self.flush(&mut batch, &mut out, &mut journal).await {
                        return out;
                    }
                }
                event = stream.next() => match event {
                    Some(Ok(ProviderEvent::Delta(text))) => {
                        // Keep events in stream order: a usage report
                        // waiting goes out (with the text before it) first.
                        if batch.usage.is_some()
                            && !self.flush(&mut batch, &mut out, &mut journal).await
                        {
                            return out;
                        }
                        batch.push(&text);
                        if batch.tokens >= BATCH_TOKENS
                            && !self.flush(&mut batch, &mut out, &mut journal).await
                        {
                            return out;
                        }
                    }
                    Some(Ok(ProviderEvent::Usage(usage))) => {
                        if batch.usage.is_some()
                            && !self.flush(&mut batch, &mut out, &mut journal).await
                        {
                            return out;
                        }
                        out.usage = Some(usage);
                        batch.usage = Some(usage);
                        batch
                            .deadline
                            .get_or_insert_with(|| Instant::now() + BATCH_INTERVAL);
                    }
                    Some(Ok(ProviderEvent::Finished(reason))) => out.finish = Some(reason),
                    Some(Err(error)) => {
                        out.error = Some(error);
                        break;
                    }
                    None => break,
                },
            }
        }
        // The rest is stored by the reply's end, and announced after it.
        out.text.push_str(&batch.text);
        out.unsaid = Unsaid {
            text: batch.text,
            usage: batch.usage,
        };
        if out.finish.is_none() && !out.stopped && out.error.is_none() {
            out.error = Some(ProviderError::Network(
                "the reply stream ended before the model finished".into(),
            ));
        }
        out
    }

    /// Appends the pending batch to the reply's journal and announces it,
    /// then the usage report after it. False, with `out.not_saved` set, when
    /// the journal could not be written: that batch is neither kept nor
    /// announced.
    async fn flush(
        &self,
        batch: &mut Batch,
        out: &mut Streamed,
        journal: &mut impl JournalAppend,
    ) -> bool {
        if !batch.text.is_empty() {
            if let Err(error) = journal.append(&batch.text).await {
                out.not_saved = Some(JournalError::not_saved(&error));
                return false;
            }
            out.text.push_str(&batch.text);
        }
        let said = Unsaid {
            text: std::mem::take(&mut batch.text),
            usage: batch.usage.take(),
        };
        said.announce(self.announce, self.session_id, self.message_id);
        batch.tokens = 0;
        batch.deadline = None;
        true
    }
}

/// Text waiting to be saved and announced, and the usage report after it.
#[derive(Default)]
struct Batch {
    text: String,
    tokens: i64,
    usage: Option<TokenUsage>,
    deadline: Option<Instant>,
}

impl Batch {
    fn push(&mut self, text: &str) {
        self.text.push_str(text);
        self.tokens += tokens::count(text).max(1);
        self.deadline
            .get_or_insert_with(|| Instant::now() + BATCH_INTERVAL);
    }
}
