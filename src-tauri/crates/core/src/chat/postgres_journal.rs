//! Streaming reply text on the server: one row per batch in
//! `chat_reply_chunks` (`migrations/postgres/`), so any instance can show a
//! reply another instance is streaming, and can recover the text of one
//! whose instance died. The statement that ends a reply folds the text
//! into the message and deletes the chunks in one go (they also go with the
//! message, by cascade).

use super::journal::{JournalAppend, Journals};
use crate::error::Result;
use sqlx::PgPool;

#[derive(Debug, Clone)]
pub struct PgJournal {
    pool: PgPool,
}

impl PgJournal {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

impl Journals for PgJournal {
    type Writer = PgJournalWriter;

    async fn create(&self, message_id: i64) -> Result<PgJournalWriter> {
        // Nothing to write yet: a new reply's id is new (an identity column
        // never hands one out twice) and chunks go with their message.
        Ok(PgJournalWriter {
            pool: self.pool.clone(),
            message_id,
            seq: 0,
        })
    }

    async fn read_what_it_can(&self, message_id: i64) -> Option<String> {
        let text: Result<Option<String>, sqlx::Error> = sqlx::query_scalar(
            "SELECT string_agg(content, '' ORDER BY seq) FROM chat_reply_chunks WHERE message_id = $1",
        )
        .bind(message_id)
        .fetch_one(&self.pool)
        .await;
        match text {
            Ok(text) => Some(text.unwrap_or_default()),
            Err(error) => {
                tracing::warn!(message_id, %error, "a reply's streamed text cannot be read");
                None
            }
        }
    }

    /// Nothing left to do: the statement that ended the reply dropped its
    /// chunks (see `ChatRows::mark_interrupted`), one round trip fewer per
    /// reply and never a reply ended with its chunks left behind.
    async fn remove(&self, _message_id: i64) {}
}

/// Appends the batches of one reply, numbered in order.
#[derive(Debug)]
pub struct PgJournalWriter {
    pool: PgPool,
    message_id: i64,
    seq: i32,
}

impl JournalAppend for PgJournalWriter {
    async fn append(&mut self, text: &str) -> Result<()> {
        sqlx::query("INSERT INTO chat_reply_chunks (message_id, seq, content) VALUES ($1, $2, $3)")
            .bind(self.message_id)
            .bind(self.seq)
            .bind(text)
            .execute(&self.pool)
            .await?;
        self.seq += 1;
        Ok(())
    }
}
