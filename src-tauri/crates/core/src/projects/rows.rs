//! The projects store's storage seam, like chat's (`crate::chat::rows`): the
//! statements the project, task, saved-page and paid-job rules run, on one
//! connection. The desktop's SQLite ([`super::sqlite_rows`]) and the
//! server's Postgres ([`super::postgres_rows`]) implement them; validation,
//! display-id rules, paying, refunding and recovery stay in the core's
//! modules (`projects::store`, `projects::tasks`, `crate::jobs`).

use super::{Priority, Project, ProjectSource, ProjectStatus, SourceExcerpt, Task, TaskStatus};
use crate::error::Result;
use crate::ids::RecordRef;
use crate::jobs::{Job, JobKind};
use crate::ledger::rows::{LedgerRows, LedgerStore};
use chrono::{DateTime, NaiveDate, Utc};
use std::future::Future;

/// A task's stored fields (already validated).
#[derive(Debug, Clone, Copy)]
pub struct TaskFields<'a> {
    pub title: &'a str,
    pub description: &'a str,
    pub status: TaskStatus,
    pub priority: Priority,
    pub due_date: Option<NaiveDate>,
}

/// A page to store on a project: its address after redirects, title and text.
#[derive(Debug, Clone, Copy)]
pub struct NewSource<'a> {
    pub project_id: i64,
    pub job_id: i64,
    pub url: &'a str,
    pub title: &'a str,
    pub text: &'a str,
    pub fetched_at: DateTime<Utc>,
}

/// What a creation key was first claimed for (see `super::keyed`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ClaimedKey {
    pub kind: String,
    pub fingerprint: String,
    /// The record it created (0 while the claiming transaction runs).
    pub entity_id: i64,
}

/// A job left `running`: its id, its spend and the process or instance
/// that ran it.
pub type RunningJob = (i64, i64, String);

/// The statements on projects, tasks, saved pages and paid jobs. Methods
/// that take a `user_id` only ever see that user's rows.
pub trait ProjectRows: LedgerRows {
    /// A new project with the next display id of its numbering (one per
    /// install on SQLite, per account on Postgres); returns its row id.
    fn insert_project(
        &mut self,
        user_id: &str,
        name: &str,
        description: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<i64>> + Send;

    fn fetch_project(
        &mut self,
        user_id: &str,
        project: &RecordRef,
    ) -> impl Future<Output = Result<Option<Project>>> + Send;

    /// By recent activity; archived ones only when asked.
    fn list_projects(
        &mut self,
        user_id: &str,
        include_archived: bool,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<Project>>> + Send;

    /// Inside a write transaction: no other writer changes the project
    /// until it ends (SQLite: already true, it has one writer; Postgres:
    /// `FOR UPDATE`), so a partial update never loses a racing one.
    fn lock_project(
        &mut self,
        user_id: &str,
        project: &RecordRef,
    ) -> impl Future<Output = Result<()>> + Send;

    fn write_project(
        &mut self,
        id: i64,
        name: &str,
        description: &str,
        status: ProjectStatus,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Claims creation key `key` of the user for a record of `kind` made by
    /// the request with `fingerprint`, until the transaction ends: `None`
    /// when the key is new (the caller creates the record and binds it),
    /// else what the key was claimed for. On Postgres a second claim of a
    /// key being claimed waits until the first transaction ends.
    fn claim_creation_key(
        &mut self,
        user_id: &str,
        key: &str,
        kind: &str,
        fingerprint: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<ClaimedKey>>> + Send;

    /// Records that the key claimed above created record `entity_id`.
    fn bind_creation_key(
        &mut self,
        user_id: &str,
        key: &str,
        entity_id: i64,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Marks project `id` as just changed (a task or a page was added).
    fn touch_project(
        &mut self,
        id: i64,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Deletes the project (its tasks and pages by cascade); false when the
    /// user has no such project.
    fn delete_project(
        &mut self,
        user_id: &str,
        project: &RecordRef,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// A new task with the next display id; returns its row id.
    fn insert_task(
        &mut self,
        user_id: &str,
        project_id: i64,
        task: TaskFields<'_>,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<i64>> + Send;

    fn fetch_task(
        &mut self,
        user_id: &str,
        task: &RecordRef,
    ) -> impl Future<Output = Result<Option<Task>>> + Send;

    /// Tasks by priority (most urgent first), then due date, then age.
    /// `open_only`: not done, and — across projects — of active projects.
    fn list_tasks(
        &mut self,
        user_id: &str,
        project_id: Option<i64>,
        status: Option<TaskStatus>,
        open_only: bool,
    ) -> impl Future<Output = Result<Vec<Task>>> + Send;

    /// [`Self::lock_project`] for a task.
    fn lock_task(
        &mut self,
        user_id: &str,
        task: &RecordRef,
    ) -> impl Future<Output = Result<()>> + Send;

    fn write_task(
        &mut self,
        id: i64,
        task: TaskFields<'_>,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<()>> + Send;

    fn delete_task(
        &mut self,
        user_id: &str,
        task: &RecordRef,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// A project's saved pages, newest first.
    fn list_sources(
        &mut self,
        user_id: &str,
        project_id: i64,
    ) -> impl Future<Output = Result<Vec<ProjectSource>>> + Send;

    fn fetch_source(
        &mut self,
        user_id: &str,
        id: i64,
    ) -> impl Future<Output = Result<Option<ProjectSource>>> + Send;

    fn delete_source(
        &mut self,
        user_id: &str,
        id: i64,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// The newest pages of active projects, cut to `chars` characters in SQL
    /// so a large page is never loaded.
    fn recent_source_excerpts(
        &mut self,
        user_id: &str,
        chars: i64,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<SourceExcerpt>>> + Send;

    fn insert_source(
        &mut self,
        user_id: &str,
        source: NewSource<'_>,
    ) -> impl Future<Output = Result<ProjectSource>> + Send;

    /// The page a scrape job stored.
    fn source_of_job(
        &mut self,
        job_id: i64,
    ) -> impl Future<Output = Result<Option<ProjectSource>>> + Send;

    /// A `running` job written by `owner`.
    fn insert_job(
        &mut self,
        user_id: &str,
        kind: JobKind,
        spend_id: i64,
        input: &str,
        owner: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Job>> + Send;

    /// The job an earlier spend paid for.
    fn job_paid_by(&mut self, spend_id: i64) -> impl Future<Output = Result<Option<Job>>> + Send;

    /// `running` → `succeeded` with its project; false when it no longer
    /// ran (recovered meanwhile). On Postgres the row stays locked until
    /// the transaction ends.
    fn succeed_job(
        &mut self,
        id: i64,
        project_id: i64,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// `running` → `failed` with `code`; false when it no longer ran.
    fn fail_job(
        &mut self,
        id: i64,
        code: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// Every job still `running`, by id.
    fn running_jobs(&mut self) -> impl Future<Output = Result<Vec<RunningJob>>> + Send;
}

/// A store projects and paid jobs can live in.
pub trait ProjectBackend: LedgerStore<Conn: ProjectRows> {}

impl<S: LedgerStore<Conn: ProjectRows>> ProjectBackend for S {}
