//! Creating a project or task once per client key: a device that made one
//! while the server could not be reached sends it later with a key of its
//! own (`hosted::outbox`), and sends it again, with the same key, when it
//! crashed before hearing the answer. The key is claimed and bound to the
//! new record in the transaction that creates it, so the repeat gets the
//! first one's record instead of a second one; a key reused for another
//! request is refused as `idempotency_conflict`, as the ledger's are.

use super::rows::{ClaimedKey, ProjectBackend, ProjectRows};
use super::store::{fetch_project, insert_project};
use super::tasks::insert_task;
use super::{NewTask, Project, ProjectStore, Task};
use crate::error::{Error, Result};
use crate::ids::RecordRef;
use crate::ledger::LedgerError;
use crate::validate::{required_text, ValidationError};
use sha2::{Digest, Sha256};

/// The longest creation key taken (a device's keys are UUIDs).
pub const MAX_CREATION_KEY_CHARS: usize = 200;

/// Versions the fingerprint's encoding (see [`fingerprint`]).
const DOMAIN: &[u8] = b"banter-creation-fingerprint-v1";

impl<S: ProjectBackend> ProjectStore<S> {
    /// [`Self::create_project`], once per `key`.
    pub async fn create_project_once(
        &self,
        name: &str,
        description: &str,
        key: &str,
    ) -> Result<Project> {
        let key = creation_key(key)?;
        let print = fingerprint("project", &[name.trim(), description.trim()]);
        let now = self.clock.now();
        let mut tx = self.db.begin_write().await?;
        if let Some(claimed) = tx
            .claim_creation_key(&self.user_id, &key, "project", &print, now)
            .await?
        {
            drop(tx);
            let id = earlier(claimed, "project", &print, &key)?;
            return self.get_project(&RecordRef::Id(id)).await;
        }
        let id = insert_project(&mut *tx, &self.user_id, name, description, now).await?;
        tx.bind_creation_key(&self.user_id, &key, id).await?;
        let project = fetch_project(&mut *tx, &self.user_id, &RecordRef::Id(id)).await?;
        S::commit(tx).await?;
        Ok(project)
    }

    /// [`Self::add_task`], once per `key`.
    pub async fn add_task_once(
        &self,
        project: &RecordRef,
        task: NewTask,
        key: &str,
    ) -> Result<Task> {
        let key = creation_key(key)?;
        let now = self.clock.now();
        let mut tx = self.db.begin_write().await?;
        let project = fetch_project(&mut *tx, &self.user_id, project).await?;
        // The wire name (`"medium"`), stable across builds.
        let priority = task
            .priority
            .and_then(|p| serde_json::to_value(p).ok())
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let due = task.due_date.map(|d| d.to_string()).unwrap_or_default();
        let print = fingerprint(
            "task",
            &[
                &project.id.to_string(),
                task.title.trim(),
                task.description.as_deref().unwrap_or("").trim(),
                &priority,
                &due,
            ],
        );
        if let Some(claimed) = tx
            .claim_creation_key(&self.user_id, &key, "task", &print, now)
            .await?
        {
            drop(tx);
            let id = earlier(claimed, "task", &print, &key)?;
            return self.get_task(&RecordRef::Id(id)).await;
        }
        let id = insert_task(&mut *tx, &self.user_id, project.id, &task, now).await?;
        tx.bind_creation_key(&self.user_id, &key, id).await?;
        tx.touch_project(project.id, now).await?;
        S::commit(tx).await?;
        self.get_task(&RecordRef::Id(id)).await
    }
}

/// A creation key as given, checked.
fn creation_key(key: &str) -> Result<String> {
    Ok(required_text("key", key, MAX_CREATION_KEY_CHARS)?)
}

/// The record a key already made, when it was made by this same request.
fn earlier(claimed: ClaimedKey, kind: &str, print: &str, key: &str) -> Result<i64> {
    if claimed.kind != kind || claimed.fingerprint != print {
        return Err(LedgerError::IdempotencyConflict {
            key: key.to_string(),
        }
        .into());
    }
    if claimed.entity_id <= 0 {
        // Only a transaction that rolled back leaves none, and its claim
        // went with it: this cannot be read.
        return Err(Error::from(ValidationError::Invalid {
            field: "key",
            reason: "its first request did not finish; use a new key".into(),
        }));
    }
    Ok(claimed.entity_id)
}

/// SHA-256, as hex, of a canonical encoding of a creation request: a
/// domain tag, the kind and each field, every one length-prefixed.
fn fingerprint(kind: &str, parts: &[&str]) -> String {
    let mut hash = Sha256::new();
    for field in [DOMAIN, kind.as_bytes()]
        .into_iter()
        .chain(parts.iter().map(|p| p.as_bytes()))
    {
        hash.update((field.len() as u64).to_be_bytes());
        hash.update(field);
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}
