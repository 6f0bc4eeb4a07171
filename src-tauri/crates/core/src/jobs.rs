//! Paid project actions that outlive their spend transaction: AI project
//! generation and URL scraping.
//!
//! The model call or the fetch cannot run inside the paying transaction (it
//! would hold SQLite's write lock for seconds), so the action pays first,
//! writing its job row in the same transaction as the spend
//! (`Ledger::spend_with`), and then ends exactly one of two ways:
//! `succeeded`, with its result rows written in one transaction, or `failed`,
//! with the refund in the same transaction. A job left `running` by a process
//! that died is failed and refunded at the next start-up ([`recover`]) — on
//! the server, by another instance ([`recover_stranded_jobs`]) — so a
//! charge is never left without either a result or a refund. The rules are
//! written once over the projects' storage seam
//! ([`crate::projects::rows::ProjectRows`]): SQLite or Postgres.

use crate::clock::SharedClock;
use crate::db::Db;
use crate::error::ErrorCode;
use crate::error::{Error, Result};
use crate::ledger::{Action, Fingerprint, Ledger, LedgerEntry, SpendRequest, TxFuture};
use crate::liveness;
use crate::projects::rows::{ProjectBackend, ProjectRows};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::path::Path;

/// What a job pays for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, sqlx::Type, specta::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
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
#[sqlx(type_name = "text", rename_all = "snake_case")]
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

pub(crate) const JOB_COLUMNS: &str =
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

/// Opens, finishes and recovers jobs for one user, run by one process (the
/// desktop) or server instance: its `owner` name is on every job it opens.
#[derive(Debug, Clone)]
pub struct Jobs<S: ProjectBackend = Db> {
    store: S,
    ledger: Ledger<S>,
    clock: SharedClock,
    user_id: String,
    owner: String,
}

impl<S: ProjectBackend> Jobs<S> {
    pub fn new(
        store: S,
        ledger: Ledger<S>,
        clock: SharedClock,
        user_id: String,
        owner: String,
    ) -> Self {
        Self {
            store,
            ledger,
            clock,
            user_id,
            owner,
        }
    }

    pub(crate) fn store(&self) -> &S {
        &self.store
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
                Box::new(move |conn: &mut S::Conn, spend| {
                    Box::pin(async move {
                        conn.insert_job(&user_id, kind, spend.id, &input, &owner, now)
                            .await
                    })
                }),
                Box::new(|conn: &mut S::Conn, spend| {
                    Box::pin(async move {
                        conn.job_paid_by(spend.id)
                            .await?
                            .ok_or_else(|| Error::not_found("job paid by ledger entry", spend.id))
                    })
                }),
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
        F: for<'c> FnOnce(&'c mut S::Conn) -> TxFuture<'c, (i64, T)>,
    {
        let mut tx = self.store.begin_write().await?;
        let (project_id, value) = result(&mut tx).await?;
        if !tx.succeed_job(job_id, project_id, self.clock.now()).await? {
            // Recovered as interrupted (and refunded) meanwhile: keep that.
            return Err(Error::not_found("running job", job_id));
        }
        S::commit(tx).await?;
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

/// Fails a running job and refunds it; a job no longer running is left as
/// it is (no second refund either way: refunds are once per spend).
async fn fail_and_refund<S: ProjectBackend>(
    ledger: &Ledger<S>,
    job_id: i64,
    spend_id: i64,
    code: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let mut refunds = ledger.begin_refunds().await?;
    if !refunds.conn().fail_job(job_id, code, now).await? {
        return Ok(false);
    }
    let receipt = refunds.refund(spend_id).await?;
    refunds.commit().await?;
    Ok(!receipt.replayed)
}

/// Jobs left `running` by an owner that `is_gone` (a crashed process, a
/// server instance no longer seen) are failed as `interrupted` and refunded,
/// once each even when several recoverers race. Returns how many.
pub async fn recover_stranded_jobs<S, F, Fut>(
    store: &S,
    ledger: &Ledger<S>,
    is_gone: F,
    now: DateTime<Utc>,
) -> Result<u32>
where
    S: ProjectBackend,
    F: Fn(String) -> Fut,
    Fut: Future<Output = Result<bool>>,
{
    let running = store.read().await?.running_jobs().await?;
    let mut recovered = 0;
    for (id, spend_id, owner) in running {
        if !is_gone(owner).await? {
            continue;
        }
        if fail_and_refund(ledger, id, spend_id, INTERRUPTED, now).await? {
            recovered += 1;
        }
    }
    if recovered > 0 {
        tracing::info!(recovered, "refunded paid jobs whose runner is gone");
    }
    Ok(recovered)
}

/// At the desktop's start-up: jobs left `running` by a process that is gone
/// are failed as `interrupted` and refunded. Returns how many.
pub(crate) async fn recover(
    db: &Db,
    ledger: &Ledger,
    run_dir: &Path,
    now: DateTime<Utc>,
) -> Result<usize> {
    let is_gone = |owner: String| async move { Ok(liveness::owner_is_gone(run_dir, &owner)) };
    let recovered = recover_stranded_jobs(db, ledger, is_gone, now).await?;
    Ok(recovered as usize)
}
