//! The account's ledger as a client reads it: rows across the server's
//! pages, and checking that what the server shows adds up — the same proof
//! `Ledger::verify` gives locally (rows sum to the balance bucket by
//! bucket, every row's `balance_after` is the running sum), made from the
//! server's answers.

use super::client::HostedClient;
use super::error::HostedError;
use crate::error::Result;
use crate::ledger::{LedgerEntry, LedgerError, VerifyReport};

/// Rows the server hands out per page at most.
const SERVER_PAGE: u32 = 500;
/// Times a check is repeated when the balance moved while it read.
const VERIFY_ATTEMPTS: usize = 3;

impl HostedClient {
    /// Up to `limit` ledger rows older than `before`, newest first.
    pub async fn ledger_rows(
        &self,
        mut before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<LedgerEntry>, HostedError> {
        let mut rows = Vec::new();
        while rows.len() < limit as usize {
            let want = (limit - rows.len() as u32).min(SERVER_PAGE);
            let page = self.ledger(before, Some(want)).await?;
            rows.extend(page.entries);
            match page.older_cursor {
                Some(cursor) => before = Some(cursor),
                None => break,
            }
        }
        Ok(rows)
    }

    /// Checks the account's ledger adds up to its balance.
    pub async fn verify_ledger(&self) -> Result<VerifyReport> {
        for _ in 0..VERIFY_ATTEMPTS {
            // Reading the balance first applies a due monthly reset, so the
            // rows read next include its row.
            let before = self.balance().await?;
            let mut rows = self.ledger_rows(None, u32::MAX).await?;
            let after = self.balance().await?;
            if before != after {
                continue; // something was spent meanwhile; read again
            }
            rows.reverse();
            let (mut free, mut purchased) = (0i64, 0i64);
            for row in &rows {
                free += row.free_delta;
                purchased += row.purchased_delta;
                if row.amount != row.free_delta + row.purchased_delta
                    || row.balance_after != free + purchased
                {
                    return Err(inconsistent(
                        row,
                        format!(
                            "row {} says {} after it, the rows before it sum to {}",
                            row.id,
                            row.balance_after,
                            free + purchased
                        ),
                    ));
                }
            }
            if free != after.free_remaining || purchased != after.purchased_remaining {
                let user = rows.first().map(|r| r.user_id.clone()).unwrap_or_default();
                return Err(LedgerError::Inconsistent {
                    user_id: user,
                    detail: format!(
                        "the rows sum to free {free} and purchased {purchased}, the balance is free {} and purchased {}",
                        after.free_remaining, after.purchased_remaining
                    ),
                }
                .into());
            }
            return Ok(VerifyReport {
                entries: rows.len() as i64,
                ledger_sum: free + purchased,
                balance: after.remaining,
                free_remaining: after.free_remaining,
                purchased_remaining: after.purchased_remaining,
            });
        }
        Err(HostedError::BadResponse(
            "the balance kept changing while the ledger was read; try again".into(),
        )
        .into())
    }
}

fn inconsistent(row: &LedgerEntry, detail: String) -> crate::Error {
    LedgerError::Inconsistent {
        user_id: row.user_id.clone(),
        detail,
    }
    .into()
}
