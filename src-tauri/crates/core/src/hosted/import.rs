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
//! Nothing local is deleted by importing. Afterwards the user may remove
//! the imported units from this computer ([`HistoryImport::remove_imported`]):
//! only those the server confirmed, and only while they are still as they
//! were sent. Local-mode credits are not imported (they were never paid
//! for), and nothing is charged: the account's balance does not move.

use super::client::HostedClient;
use super::error::HostedError;
use super::import_local::{encode, Encoded, LocalHistory, UnitKind};
use super::import_wire::{
    BatchAnswer, ProjectBatch, ProjectUnit, SessionBatch, SessionUnit, MAX_BATCH_BYTES,
    MAX_BATCH_CHILDREN, MAX_BATCH_UNITS, TARGET_BATCH_BYTES,
};
use super::HostedAccount;
use crate::clock::SharedClock;
use crate::db::Db;
use crate::error::Result;
use reqwest::Method;
use serde::Serialize;

/// Room left in a request for what wraps the units (the source, brackets).
const ENVELOPE_BYTES: usize = 1024;

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
    /// Units too large for one request ([`MAX_BATCH_BYTES`] or
    /// [`MAX_BATCH_CHILDREN`]): not sent, left on this computer.
    pub too_large: u64,
}

/// Where an import stands, for an offer or a progress bar.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ImportStatus {
    /// Conversations on this computer not imported into the account yet.
    pub sessions_left: u64,
    /// Projects on this computer not imported into the account yet.
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
    /// Confirmed units changed here since they were sent: kept.
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
        let before = self.status().await?;
        let mut progress = ImportProgress {
            done: 0,
            total: before.sessions_left + before.projects_left,
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
            too_large = report.too_large,
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
            let page = page
                .into_iter()
                .map(|s| {
                    let children = s.messages.len();
                    encode(s, children)
                })
                .collect::<Result<Vec<_>>>()?;
            let (batch, skipped, last) = fill(page);
            after = last;
            report.too_large += skipped;
            progress.done += skipped;
            if batch.is_empty() {
                continue;
            }
            let body = SessionBatch {
                source: self.local.user_id.clone(),
                sessions: batch.iter().map(|e| e.unit.clone()).collect(),
            };
            let answer = self.send("/v1/import/sessions", &body).await?;
            let confirmed = confirm(&batch, &answer, |s: &SessionUnit| s.local_id)?;
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
            let page = page
                .into_iter()
                .map(|p| {
                    let children = p.tasks.len() + p.pages.len();
                    encode(p, children)
                })
                .collect::<Result<Vec<_>>>()?;
            let (batch, skipped, last) = fill(page);
            after = last;
            report.too_large += skipped;
            progress.done += skipped;
            if batch.is_empty() {
                continue;
            }
            let body = ProjectBatch {
                source: self.local.user_id.clone(),
                projects: batch.iter().map(|e| e.unit.clone()).collect(),
            };
            let answer = self.send("/v1/import/projects", &body).await?;
            let confirmed = confirm(&batch, &answer, |p: &ProjectUnit| p.local_id)?;
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

    async fn send<B: Serialize>(&self, path: &str, body: &B) -> Result<BatchAnswer> {
        let url = self.client.transport().url(path, &[]);
        Ok(self.client.send_json(Method::POST, url, body).await?)
    }

    /// Removes from this computer the conversations and projects the
    /// account confirmed, each only if it is still as it was sent (one
    /// changed here since is kept). Its import record stays, so it is not
    /// offered again.
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

/// Takes units from the front of `page` (sorted by id) while they fit one
/// request. Returns the batch, how many units were passed over as too
/// large for any request, and the id of the last unit taken or passed
/// over (the next page starts after it).
fn fill<T: HasId>(page: Vec<Encoded<T>>) -> (Vec<Encoded<T>>, u64, i64) {
    let mut batch: Vec<Encoded<T>> = Vec::new();
    let (mut bytes, mut children, mut skipped, mut last) = (ENVELOPE_BYTES, 0, 0, 0);
    for encoded in page {
        if encoded.bytes + ENVELOPE_BYTES > MAX_BATCH_BYTES || encoded.children > MAX_BATCH_CHILDREN
        {
            tracing::warn!(
                local_id = encoded.unit.id(),
                bytes = encoded.bytes,
                "a local record is too large to import; left on this computer"
            );
            skipped += 1;
            last = encoded.unit.id();
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
        last = encoded.unit.id();
        batch.push(encoded);
    }
    (batch, skipped, last)
}

/// A unit's local id.
trait HasId {
    fn id(&self) -> i64;
}

impl HasId for SessionUnit {
    fn id(&self) -> i64 {
        self.local_id
    }
}

impl HasId for ProjectUnit {
    fn id(&self) -> i64 {
        self.local_id
    }
}

/// The server's answer, checked to name every unit sent in order: `(local
/// id, server id, digest)` for each.
fn confirm<T>(
    batch: &[Encoded<T>],
    answer: &BatchAnswer,
    local_id: impl Fn(&T) -> i64,
) -> Result<Vec<(i64, i64, String)>> {
    let matches = answer.units.len() == batch.len()
        && batch
            .iter()
            .zip(&answer.units)
            .all(|(e, u)| local_id(&e.unit) == u.local_id);
    if !matches {
        return Err(HostedError::BadResponse(
            "the import answer does not name the records sent".into(),
        )
        .into());
    }
    Ok(batch
        .iter()
        .zip(&answer.units)
        .map(|(e, u)| (u.local_id, u.id, e.digest.clone()))
        .collect())
}
