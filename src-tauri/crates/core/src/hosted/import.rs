//! Importing this profile's local-mode history into the signed-in account
//! ([`HistoryImport`]): sessions with their messages, projects with their
//! tasks and saved pages, read from the profile's own database and sent in
//! batches (`POST /v1/import/sessions`, `/v1/import/projects`; the shapes
//! and limits are [`super::import_wire`]).
//!
//! Exactly once, whatever stops it: each unit carries its import key (this
//! profile's id, its kind, its local id) and the server writes the key with
//! the records in one transaction, so a batch sent again creates nothing;
//! a unit is recorded here (`import_progress`) only once the server
//! confirmed it, so an import cut off anywhere resumes with the units not
//! recorded, and one that completed finds nothing left to send.
//!
//! A unit the server would refuse is not sent (it would fail its batch on
//! every attempt and block everything after it): each is checked here with
//! the server's own rules ([`ImportUnit::check`]) after NUL characters are
//! replaced, and one still refused, or too large for one request, is
//! recorded as not importable, left on this computer and reported. It does
//! not keep the import from being complete.
//!
//! Nothing local is deleted by importing. Afterwards the user may remove
//! the imported units from this computer ([`HistoryImport::remove_imported`]):
//! only those the server confirmed, and only while they are still as the
//! server holds them (its digest, recorded from its answer). Local-mode credits are not imported (they were never paid
//! for), and nothing is charged: the account's balance does not move.

use super::client::HostedClient;
use super::error::HostedError;
use super::import_local::{encode, Encoded, LocalHistory, UnitKind};
use super::import_wire::{
    BatchAnswer, ImportUnit, ProjectBatch, SessionBatch, MAX_BATCH_BYTES, MAX_BATCH_CHILDREN,
    MAX_BATCH_UNITS, TARGET_BATCH_BYTES,
};
use super::HostedAccount;
use crate::clock::SharedClock;
use crate::db::Db;
use crate::error::{ErrorCode, Result};
use reqwest::Method;
use serde::Serialize;
use std::time::Duration;

/// Room left in a request for what wraps the units (the source, brackets).
const ENVELOPE_BYTES: usize = 1024;

/// How many times a batch is sent while the server answers that another
/// import into the account holds its turn (`database_busy`).
const BUSY_ATTEMPTS: u32 = 5;

/// The pause before sending a batch again after `database_busy`, times the
/// attempts so far.
const BUSY_PAUSE: Duration = Duration::from_millis(250);

/// Counts of records, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ImportCounts {
    pub sessions: u64,
    pub messages: u64,
    pub projects: u64,
    pub tasks: u64,
    pub pages: u64,
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    /// Created in the account by this run.
    pub imported: ImportCounts,
    /// Sent again after an interruption and found imported by the server
    /// (nothing created twice).
    pub already_imported: ImportCounts,
    /// Units that cannot be imported — too large for one request
    /// ([`MAX_BATCH_BYTES`] or [`MAX_BATCH_CHILDREN`]), or refused by the
    /// server's rules even after NUL characters were replaced: not sent,
    /// left on this computer, read again by the next run.
    pub not_importable: u64,
}

/// Where an import stands, for an offer or a progress bar.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ImportStatus {
    /// Conversations on this computer not imported into the account yet
    /// (not counting those found not importable).
    pub sessions_left: u64,
    /// Projects on this computer not imported into the account yet (not
    /// counting those found not importable).
    pub projects_left: u64,
    /// Conversations and projects the account confirmed.
    pub sessions_done: u64,
    pub projects_done: u64,
}

impl ImportStatus {
    pub fn is_complete(&self) -> bool {
        self.sessions_left == 0 && self.projects_left == 0
    }
}

/// How far a running import is: units (conversations and projects)
/// confirmed out of those it set out to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ImportProgress {
    pub done: u64,
    pub total: u64,
}

/// What [`HistoryImport::remove_imported`] removed from this computer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct RemovedLocal {
    pub sessions: u64,
    pub projects: u64,
    /// Confirmed units that differ here from what the account holds
    /// (changed since it received them): kept.
    pub kept_changed: u64,
}

/// This profile's local history and the account it is imported into.
#[derive(Debug, Clone)]
pub struct HistoryImport {
    local: LocalHistory,
    client: HostedClient,
    clock: SharedClock,
}

impl HistoryImport {
    /// The import of `user_id`'s history in `db` (the profile's own
    /// database) into `account`, through `client`.
    pub(crate) fn new(
        db: Db,
        user_id: String,
        account: &HostedAccount,
        client: HostedClient,
        clock: SharedClock,
    ) -> Self {
        Self {
            local: LocalHistory {
                db,
                user_id,
                account: format!("{} {}", account.server, account.user_id),
            },
            client,
            clock,
        }
    }

    /// What is left to import and what was imported (read here only).
    pub async fn status(&self) -> Result<ImportStatus> {
        Ok(ImportStatus {
            sessions_left: self.local.left(UnitKind::Session).await?,
            projects_left: self.local.left(UnitKind::Project).await?,
            sessions_done: self.local.done(UnitKind::Session).await?,
            projects_done: self.local.done(UnitKind::Project).await?,
        })
    }

    /// Sends every unit not yet confirmed, in batches, telling
    /// `on_progress` after each confirmed batch. Stopped by an error (the
    /// server unreachable, a refusal), it keeps what was confirmed; run it
    /// again to go on. After a complete import it sends nothing.
    pub async fn run(&self, mut on_progress: impl FnMut(ImportProgress)) -> Result<ImportReport> {
        let mut progress = ImportProgress {
            done: 0,
            total: self.local.pending(UnitKind::Session).await?
                + self.local.pending(UnitKind::Project).await?,
        };
        on_progress(progress);
        let mut report = ImportReport::default();
        self.sessions(&mut report, &mut progress, &mut on_progress)
            .await?;
        self.projects(&mut report, &mut progress, &mut on_progress)
            .await?;
        tracing::info!(
            sessions = report.imported.sessions,
            projects = report.imported.projects,
            already = report.already_imported.sessions + report.already_imported.projects,
            not_importable = report.not_importable,
            "local history imported"
        );
        Ok(report)
    }

    async fn sessions(
        &self,
        report: &mut ImportReport,
        progress: &mut ImportProgress,
        on_progress: &mut impl FnMut(ImportProgress),
    ) -> Result<()> {
        let mut after = 0;
        loop {
            let page = self.local.sessions(after, MAX_BATCH_UNITS).await?;
            if page.is_empty() {
                return Ok(());
            }
            let (batch, last) = self.prepare(UnitKind::Session, page, report).await?;
            after = last;
            progress.done += batch.skipped;
            if batch.units.is_empty() {
                continue;
            }
            let batch = batch.units;
            let body = SessionBatch {
                source: self.local.user_id.clone(),
                sessions: batch.iter().map(|e| e.unit.clone()).collect(),
            };
            let answer = self.send("/v1/import/sessions", &body).await?;
            let confirmed = confirm(&batch, &answer)?;
            self.local
                .record(UnitKind::Session, &confirmed, self.clock.now())
                .await?;
            for (encoded, unit) in batch.iter().zip(&answer.units) {
                let counts = if unit.created {
                    &mut report.imported
                } else {
                    &mut report.already_imported
                };
                counts.sessions += 1;
                counts.messages += encoded.unit.messages.len() as u64;
            }
            progress.done += batch.len() as u64;
            on_progress(*progress);
        }
    }

    async fn projects(
        &self,
        report: &mut ImportReport,
        progress: &mut ImportProgress,
        on_progress: &mut impl FnMut(ImportProgress),
    ) -> Result<()> {
        let mut after = 0;
        loop {
            let page = self.local.projects(after, MAX_BATCH_UNITS).await?;
            if page.is_empty() {
                return Ok(());
            }
            let (batch, last) = self.prepare(UnitKind::Project, page, report).await?;
            after = last;
            progress.done += batch.skipped;
            if batch.units.is_empty() {
                continue;
            }
            let batch = batch.units;
            let body = ProjectBatch {
                source: self.local.user_id.clone(),
                projects: batch.iter().map(|e| e.unit.clone()).collect(),
            };
            let answer = self.send("/v1/import/projects", &body).await?;
            let confirmed = confirm(&batch, &answer)?;
            self.local
                .record(UnitKind::Project, &confirmed, self.clock.now())
                .await?;
            for (encoded, unit) in batch.iter().zip(&answer.units) {
                let counts = if unit.created {
                    &mut report.imported
                } else {
                    &mut report.already_imported
                };
                counts.projects += 1;
                counts.tasks += encoded.unit.tasks.len() as u64;
                counts.pages += encoded.unit.pages.len() as u64;
            }
            progress.done += batch.len() as u64;
            on_progress(*progress);
        }
    }

    /// Encodes a page of units read from the profile and takes the next
    /// batch from its front ([`fill`]); the units passed over as not
    /// importable are recorded as such and counted in `report`. Returns
    /// the batch and the id the next page starts after.
    async fn prepare<T: ImportUnit>(
        &self,
        kind: UnitKind,
        page: Vec<T>,
        report: &mut ImportReport,
    ) -> Result<(Filled<T>, i64)> {
        let page = page.into_iter().map(encode).collect::<Result<Vec<_>>>()?;
        let (filled, passed_over, last) = fill(page);
        self.local
            .record_unimportable(kind, &passed_over, self.clock.now())
            .await?;
        report.not_importable += passed_over.len() as u64;
        Ok((
            Filled {
                units: filled,
                skipped: passed_over.len() as u64,
            },
            last,
        ))
    }

    /// Sends one batch; while the server answers that another import into
    /// the account holds its turn, sends it again after a pause (up to
    /// [`BUSY_ATTEMPTS`] times).
    async fn send<B: Serialize>(&self, path: &str, body: &B) -> Result<BatchAnswer> {
        let url = self.client.transport().url(path, &[]);
        let mut attempt = 1;
        loop {
            match self.client.send_json(Method::POST, url.clone(), body).await {
                Err(e)
                    if e.server_code() == Some(ErrorCode::DatabaseBusy)
                        && attempt < BUSY_ATTEMPTS =>
                {
                    tracing::info!(
                        attempt,
                        "another import into the account is running; waiting"
                    );
                    tokio::time::sleep(BUSY_PAUSE * attempt).await;
                    attempt += 1;
                }
                answer => return Ok(answer?),
            }
        }
    }

    /// Removes from this computer the conversations and projects the
    /// account confirmed, each only if it is still as the account holds it
    /// (the server's digest): one changed here since — also one changed
    /// after a batch whose answer was lost — is kept and counted. Its
    /// import record stays, so it is not offered again.
    pub async fn remove_imported(&self) -> Result<RemovedLocal> {
        let mut removed = RemovedLocal::default();
        for kind in [UnitKind::Session, UnitKind::Project] {
            for (local_id, digest) in self.local.confirmed(kind).await? {
                if self
                    .local
                    .remove_if_unchanged(kind, local_id, &digest)
                    .await?
                {
                    match kind {
                        UnitKind::Session => removed.sessions += 1,
                        UnitKind::Project => removed.projects += 1,
                    }
                } else if self.local.encoded_now(kind, local_id).await?.is_some() {
                    removed.kept_changed += 1;
                }
            }
        }
        Ok(removed)
    }
}

/// A batch taken from a page, and how many units of the page were passed
/// over as not importable.
struct Filled<T> {
    units: Vec<Encoded<T>>,
    skipped: u64,
}

/// Takes units from the front of `page` (sorted by id) while they fit one
/// request. Returns the batch, the units passed over as not importable
/// (too large for any request, or refused by the server's rules) with why,
/// and the id of the last unit taken or passed over (the next page starts
/// after it).
fn fill<T: ImportUnit>(page: Vec<Encoded<T>>) -> (Vec<Encoded<T>>, Vec<(i64, String)>, i64) {
    let mut batch: Vec<Encoded<T>> = Vec::new();
    let mut passed_over = Vec::new();
    let (mut bytes, mut children, mut last) = (ENVELOPE_BYTES, 0, 0);
    for encoded in page {
        let too_large = encoded.bytes + ENVELOPE_BYTES > MAX_BATCH_BYTES
            || encoded.children > MAX_BATCH_CHILDREN;
        let refusal = if too_large {
            Some(format!(
                "too large for one request ({} bytes, {} records; at most {MAX_BATCH_BYTES} and {MAX_BATCH_CHILDREN})",
                encoded.bytes, encoded.children
            ))
        } else {
            encoded.refusal.clone()
        };
        if let Some(reason) = refusal {
            // The reason names the rule, never the content.
            tracing::warn!(
                local_id = encoded.unit.local_id(),
                bytes = encoded.bytes,
                %reason,
                "a local record cannot be imported; left on this computer"
            );
            last = encoded.unit.local_id();
            passed_over.push((last, reason));
            continue;
        }
        let full = !batch.is_empty()
            && (bytes + encoded.bytes > TARGET_BATCH_BYTES
                || children + encoded.children > MAX_BATCH_CHILDREN);
        if full {
            break;
        }
        bytes += encoded.bytes;
        children += encoded.children;
        last = encoded.unit.local_id();
        batch.push(encoded);
    }
    (batch, passed_over, last)
}

/// The server's answer, checked to name every unit sent in order: `(local
/// id, server id, the server's digest)` for each. The server's digest is
/// what is recorded: for a unit it had from an earlier batch it is what it
/// received then, which removal compares with this computer's copy.
fn confirm<T: ImportUnit>(
    batch: &[Encoded<T>],
    answer: &BatchAnswer,
) -> Result<Vec<(i64, i64, String)>> {
    let matches = answer.units.len() == batch.len()
        && batch
            .iter()
            .zip(&answer.units)
            .all(|(e, u)| e.unit.local_id() == u.local_id && !u.digest.is_empty());
    if !matches {
        return Err(HostedError::BadResponse(
            "the import answer does not name the records sent".into(),
        )
        .into());
    }
    Ok(batch
        .iter()
        .zip(&answer.units)
        .map(|(e, u)| {
            if u.digest != e.digest {
                tracing::info!(
                    local_id = u.local_id,
                    created = u.created,
                    "the account holds another version of this record (changed here since it was imported)"
                );
            }
            (u.local_id, u.id, u.digest.clone())
        })
        .collect())
}
