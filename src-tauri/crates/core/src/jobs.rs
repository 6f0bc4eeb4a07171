//! Paid project actions that outlive their spend transaction: AI project
//! generation and URL scraping.
//!
//! The model call or the fetch cannot run inside the paying transaction (it
//! would hold SQLite's write lock for seconds), so the action pays first,
//! writing its job row in the same transaction as the spend
//! (`Ledger::spend_with`), and then ends exactly one of two ways:
//! `succeeded`, with its result rows written in one transaction, or `failed`,
//! with the refund in the same transaction. A job left `running` by a process
//! that died is failed and refunded at the next start-up ([`recover`]), so a
//! charge is never left without either a result or a refund.

use crate::clock::SharedClock;
use crate::db::Db;
use crate::error::ErrorCode;
use crate::error::{Error, Result};
use crate::ledger::{Action, Fingerprint, Ledger, LedgerEntry, SpendRequest, TxFuture};
use crate::liveness;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;
use std::path::Path;

/// What a job pays for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, sqlx::Type, specta::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(rename_all = "snake_case")]
pub enum JobKind {
    Generation,
    Scrape,
}

impl JobKind {
    pub const fn action(self) -> Action {
        match self {
            Self::Generation => Action::ProjectGeneration,
            Self::Scrape => Action::UrlScrape,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, sqlx::Type, specta::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(rename_all = "snake_case")]
pub enum JobStatus {
    Running,
    Succeeded,
    Failed,
}

/// One paid action and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Job {
    pub id: i64,
    pub kind: JobKind,
    pub spend_id: i64,
    /// The description (generation) or the URL (scrape).
    pub input: String,
    pub status: JobStatus,
    /// The project it created or fed, once it succeeded.
    pub project_id: Option<i64>,
    /// Why it failed: a stable error code (`timeout`, `interrupted`, …).
    pub error_code: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const JOB_COLUMNS: &str =
    "id, kind, spend_id, input, status, project_id, error_code, created_at, updated_at";

/// Error code of a job whose process died while it ran.
pub const INTERRUPTED: &str = "interrupted";

/// A retried action (same idempotency key) whose first run did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    #[error("this request is still running")]
    InProgress,
    #[error("this request failed earlier ({code}) and was refunded; send it with a new key")]
    FailedEarlier { code: String },
}

impl JobError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::InProgress => ErrorCode::JobInProgress,
            Self::FailedEarlier { .. } => ErrorCode::JobFailed,
        }
    }

    /// The outcome of a replay of `job` that did not succeed.
    pub(crate) fn of(job: &Job) -> Self {
        match job.status {
            JobStatus::Failed => Self::FailedEarlier {
                code: job.error_code.clone().unwrap_or_default(),
            },
            _ => Self::InProgress,
        }
    }
}

/// The outcome of [`Jobs::open`].
#[derive(Debug)]
pub(crate) enum Opened {
    /// Paid now; the job is running.
    New { job: Job, spend: LedgerEntry },
    /// The idempotency key was used before: this is that job, nothing charged.
    Replayed { job: Job, spend: LedgerEntry },
}

/// Opens, finishes and recovers jobs for one profile and process.
#[derive(Debug, Clone)]
pub(crate) struct Jobs {
    db: Db,
    ledger: Ledger,
    clock: SharedClock,
    user_id: String,
    owner: String,
}

impl Jobs {
    pub(crate) fn new(
        db: Db,
        ledger: Ledger,
        clock: SharedClock,
        user_id: String,
        owner: String,
    ) -> Self {
        Self {
            db,
            ledger,
            clock,
            user_id,
            owner,
        }
    }

    pub(crate) fn db(&self) -> &Db {
        &self.db
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub(crate) fn user_id(&self) -> &str {
        &self.user_id
    }

    /// Pays for `kind` and writes its `running` job row in the same
    /// transaction; a reused key returns the earlier job and charges nothing
    /// when `fingerprint` matches the first request, and is refused as
    /// `idempotency_conflict` when it does not.
    pub(crate) async fn open(
        &self,
        kind: JobKind,
        input: &str,
        key: &str,
        fingerprint: Fingerprint,
    ) -> Result<Opened> {
        let request = SpendRequest {
            user_id: self.user_id.clone(),
            action: kind.action(),
            idempotency_key: key.to_string(),
            reference: None,
            fingerprint: Some(fingerprint),
        };
        let (user_id, input, owner, now) = (
            self.user_id.clone(),
            input.to_string(),
            self.owner.clone(),
            self.clock.now(),
        );
        let paid = self
            .ledger
            .pay(
                request,
                Box::new(move |conn, spend| {
                    Box::pin(async move {
                        insert_job(conn, &user_id, kind, spend.id, &input, &owner, now).await
                    })
                }),
                Box::new(|conn, spend| Box::pin(job_paid_by(conn, spend.id))),
            )
            .await?;
        let (job, spend) = (paid.value, paid.entry);
        Ok(if paid.replayed {
            Opened::Replayed { job, spend }
        } else {
            Opened::New { job, spend }
        })
    }

    /// Runs `result` — the job's own rows, returning the project they belong
    /// to — and marks the job succeeded, all in one transaction.
    pub(crate) async fn succeed<T, F>(&self, job_id: i64, result: F) -> Result<T>
    where
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> TxFuture<'c, (i64, T)>,
    {
        let mut tx = self.db.begin_write().await?;
        let (project_id, value) = result(&mut tx).await?;
        let done = sqlx::query(
            "UPDATE project_jobs SET status = 'succeeded', project_id = ?, updated_at = ?
              WHERE id = ? AND status = 'running'",
        )
        .bind(project_id)
        .bind(self.clock.now())
        .bind(job_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            // Recovered as interrupted (and refunded) meanwhile: keep that.
            return Err(Error::not_found("running job", job_id));
        }
        tx.commit().await?;
        Ok(value)
    }

    /// Marks the job failed with `code` and refunds its spend, in one
    /// transaction. Returns whether a refund was written now.
    pub(crate) async fn fail(&self, job: &Job, code: ErrorCode) -> Result<bool> {
        tracing::info!(job = job.id, kind = ?job.kind, %code, "paid job failed; refunding");
        fail_and_refund(
            &self.ledger,
            job.id,
            job.spend_id,
            code.as_str(),
            self.clock.now(),
        )
        .await
    }
}

/// The job an earlier spend paid for.
async fn job_paid_by(conn: &mut SqliteConnection, spend_id: i64) -> Result<Job> {
    let sql = format!("SELECT {JOB_COLUMNS} FROM project_jobs WHERE spend_id = ?");
    sqlx::query_as(&sql)
        .bind(spend_id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| Error::not_found("job paid by ledger entry", spend_id))
}

async fn insert_job(
    conn: &mut SqliteConnection,
    user_id: &str,
    kind: JobKind,
    spend_id: i64,
    input: &str,
    owner: &str,
    now: DateTime<Utc>,
) -> Result<Job> {
    let sql = format!(
        "INSERT INTO project_jobs (user_id, kind, spend_id, input, owner, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING {JOB_COLUMNS}"
    );
    Ok(sqlx::query_as(&sql)
        .bind(user_id)
        .bind(kind)
        .bind(spend_id)
        .bind(input)
        .bind(owner)
        .bind(now)
        .bind(now)
        .fetch_one(conn)
        .await?)
}

/// Fails a running job and refunds it; a job no longer running is left as
/// it is (no second refund either way: refunds are once per spend).
async fn fail_and_refund(
    ledger: &Ledger,
    job_id: i64,
    spend_id: i64,
    code: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let mut refunds = ledger.begin_refunds().await?;
    let done = sqlx::query(
        "UPDATE project_jobs SET status = 'failed', error_code = ?, updated_at = ?
          WHERE id = ? AND status = 'running'",
    )
    .bind(code)
    .bind(now)
    .bind(job_id)
    .execute(refunds.conn())
    .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    let receipt = refunds.refund(spend_id).await?;
    refunds.commit().await?;
    Ok(!receipt.replayed)
}

/// At start-up: jobs left `running` by a process that is gone are failed as
/// `interrupted` and refunded. Returns how many.
pub(crate) async fn recover(
    db: &Db,
    ledger: &Ledger,
    run_dir: &Path,
    now: DateTime<Utc>,
) -> Result<usize> {
    let running: Vec<(i64, i64, String)> =
        sqlx::query_as("SELECT id, spend_id, owner FROM project_jobs WHERE status = 'running'")
            .fetch_all(db.pool())
            .await?;
    let mut recovered = 0;
    for (id, spend_id, owner) in running {
        if !liveness::owner_is_gone(run_dir, &owner) {
            continue;
        }
        if fail_and_refund(ledger, id, spend_id, INTERRUPTED, now).await? {
            recovered += 1;
        }
    }
    if recovered > 0 {
        tracing::info!(recovered, "refunded paid jobs interrupted by a crash");
    }
    Ok(recovered)
}
