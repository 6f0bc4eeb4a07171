//! URL scraping (priced by [`crate::ledger::Action::UrlScrape`]): a web page's title and main text, stored on a
//! project (or starting a new one).
//!
//! validate the address (http/https only; `bad_url` costs nothing, and so
//! does a literal non-public address under [`ScrapePolicy::Hosted`]) → pay,
//! opening the job in the paying transaction → fetch within limits,
//! following redirects hop by hop under the address rules of [`network`]
//! → decode → check the page's shape and extract the main text under a
//! deadline → store it (and create the project, if asked) in one
//! transaction that closes the job. Any failure after paying fails the job
//! and refunds it in one transaction, with a typed reason.

pub mod address;
mod charset;
mod error;
mod extract;
mod fetch;
mod limits;
pub mod network;
mod structure;
mod url;

pub use error::ScrapeError;
pub use limits::{ScrapeLimits, MAX_ELEMENTS, MAX_NESTING_DEPTH, MAX_PAGE_BYTES};
pub use network::{Network, ScrapePolicy};
pub use url::{validate as validate_url, MAX_URL_CHARS};

use crate::db::Db;
use crate::error::{Error, Result};
use crate::ids::RecordRef;
use crate::jobs::{Job, JobError, JobKind, JobStatus, Jobs, Opened};
use crate::ledger::{Fingerprint, LedgerEntry};
use crate::projects::rows::{NewSource, ProjectBackend, ProjectRows};
use crate::projects::{self, store, Project, ProjectSource, ProjectStore};
use serde::{Deserialize, Serialize};

/// A page to scrape.
#[derive(Debug, Clone, Default)]
pub struct ScrapeRequest {
    pub url: String,
    /// Store the page on this project; `None` starts a new project named
    /// after the page.
    pub project: Option<RecordRef>,
    /// Same key, same scrape: a retry never charges twice.
    pub idempotency_key: Option<String>,
}

/// What a scrape stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ScrapeResult {
    /// The title, main text, address (after redirects) and fetch time.
    pub source: ProjectSource,
    pub project: Project,
    /// True when this scrape started the project (false on a replay).
    pub created_project: bool,
    pub spend: LedgerEntry,
    /// True when the key had been used: this is the earlier result.
    pub replayed: bool,
}

/// Scrapes pages onto projects, on the desktop's SQLite (the default) or
/// the server's Postgres. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Scraper<S: ProjectBackend = Db> {
    jobs: Jobs<S>,
    projects: ProjectStore<S>,
    limits: ScrapeLimits,
    network: Network,
    policy: ScrapePolicy,
}

impl<S: ProjectBackend> Scraper<S> {
    pub fn new(jobs: Jobs<S>, projects: ProjectStore<S>) -> Result<Self> {
        Ok(Self {
            jobs,
            projects,
            limits: ScrapeLimits::default(),
            network: Network::default(),
            policy: ScrapePolicy::Local,
        })
    }

    /// This scraper with other limits (tests shrink the timeouts).
    pub fn with_limits(&self, limits: ScrapeLimits) -> Result<Self> {
        Ok(Self {
            limits,
            ..self.clone()
        })
    }

    /// This scraper under another [`ScrapePolicy`]: a server fetching URLs
    /// for strangers uses [`ScrapePolicy::Hosted`]; the desktop keeps the
    /// default [`ScrapePolicy::Local`].
    pub fn with_policy(&self, policy: ScrapePolicy) -> Self {
        Self {
            policy,
            ..self.clone()
        }
    }

    pub fn policy(&self) -> ScrapePolicy {
        self.policy
    }

    /// This scraper with another resolver and address scopes (tests call a
    /// loopback address "public" this way, without leaving 127.0.0.0/8; the
    /// server takes its [`Network`] from its state, which its tests set).
    /// Its [`ScrapePolicy`] is kept.
    pub fn with_network(&self, network: Network) -> Self {
        Self {
            network,
            ..self.clone()
        }
    }

    pub fn limits(&self) -> ScrapeLimits {
        self.limits
    }

    /// Scrapes `request.url` for the price of
    /// [`crate::ledger::Action::UrlScrape`]. See the module docs.
    pub async fn scrape(&self, request: ScrapeRequest) -> Result<ScrapeResult> {
        let url = url::validate(&request.url)?;
        self.network.check_typed(&url, self.policy)?;
        // An unknown project is the user's mistake: found before paying.
        let target = match &request.project {
            Some(project) => Some(self.projects.get_project(project).await?.id),
            None => None,
        };
        let key = crate::idempotency::key_or_new(request.idempotency_key);
        let fingerprint = Fingerprint::url_scrape(url.as_str(), target);
        let opened = self
            .jobs
            .open(JobKind::Scrape, url.as_str(), &key, fingerprint);
        let (job, spend) = match opened.await? {
            Opened::New { job, spend } => (job, spend),
            Opened::Replayed { job, spend } => return self.replayed(job, spend).await,
        };
        match self.fetch_and_store(&job, url, target).await {
            Ok((source, project, created_project)) => Ok(ScrapeResult {
                source,
                project,
                created_project,
                spend,
                replayed: false,
            }),
            Err(error) => {
                self.jobs.fail(&job, error.code()).await?;
                Err(error)
            }
        }
    }

    async fn fetch_and_store(
        &self,
        job: &Job,
        url: reqwest::Url,
        target: Option<i64>,
    ) -> Result<(ProjectSource, Project, bool)> {
        let page = fetch::fetch(url, &self.limits, &self.network, self.policy).await?;
        let final_url = page.url.to_string();
        let extracted = extract::extract_within(page, &self.limits).await?;
        tracing::info!(job = job.id, chars = extracted.text.len(), "page scraped");
        let (user_id, now, job_id) = (self.jobs.user_id().to_string(), self.jobs.now(), job.id);
        let source = self
            .jobs
            .succeed(job.id, move |conn| {
                Box::pin(async move {
                    let project_id = match target {
                        // Re-read in the transaction: it may have been deleted.
                        Some(id) => {
                            store::fetch_project(&mut *conn, &user_id, &RecordRef::Id(id))
                                .await?
                                .id
                        }
                        None => {
                            let about = format!("Started from {final_url}");
                            store::insert_project(
                                &mut *conn,
                                &user_id,
                                &extracted.title,
                                &about,
                                now,
                            )
                            .await?
                        }
                    };
                    let page = NewSource {
                        project_id,
                        job_id,
                        url: &final_url,
                        title: &extracted.title,
                        text: &extracted.text,
                        fetched_at: now,
                    };
                    let source = projects::insert_source(&mut *conn, &user_id, page).await?;
                    Ok((project_id, source))
                })
            })
            .await?;
        let project = self
            .projects
            .get_project(&RecordRef::Id(source.project_id))
            .await?;
        Ok((source, project, target.is_none()))
    }

    /// The earlier scrape for a reused idempotency key.
    async fn replayed(&self, job: Job, spend: LedgerEntry) -> Result<ScrapeResult> {
        match job.status {
            JobStatus::Succeeded => {
                let source = self
                    .jobs
                    .store()
                    .read()
                    .await?
                    .source_of_job(job.id)
                    .await?
                    .ok_or_else(|| Error::not_found("scraped page", job.id))?;
                let project = self
                    .projects
                    .get_project(&RecordRef::Id(source.project_id))
                    .await?;
                Ok(ScrapeResult {
                    source,
                    project,
                    created_project: false,
                    spend,
                    replayed: true,
                })
            }
            _ => Err(JobError::of(&job).into()),
        }
    }
}
