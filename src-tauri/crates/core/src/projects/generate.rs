//! AI project generation (priced by [`crate::ledger::Action::ProjectGeneration`]): a description in, a project with its
//! tasks out.
//!
//! validate → pay, opening the job in the paying transaction → ask the model
//! for structured output (a JSON schema where the deployment takes one, else
//! instructions) → parse and validate; on a bad answer, one repair request
//! with the error → write the project and every task in one transaction that
//! also closes the job. No valid answer (or any failure) → the job fails and
//! the spend is refunded in one transaction; nothing is half-created.

use super::plan::{self, PlanError, ProjectPlan};
use super::rows::ProjectBackend;
use super::{store, tasks, Project, ProjectStore, Task, TaskFilter};
use crate::db::Db;
use crate::error::ErrorCode;
use crate::error::{Error, Result};
use crate::ids::RecordRef;
use crate::jobs::{Job, JobError, JobStatus, Jobs, Opened};
use crate::ledger::{Fingerprint, LedgerEntry};
use crate::providers::{
    ChatProvider, ChatRequest, FinishReason, ModelCatalog, PromptMessage, PromptRole,
    ProviderError, ProviderEvent,
};
use crate::validate::required_text;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Longest project description a user may give the generator.
pub const MAX_PROMPT_CHARS: usize = 4_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenerationError {
    #[error("the model did not produce a usable project: {reason}")]
    InvalidOutput { reason: String },
    #[error("the model's answer was cut off before the project was complete")]
    Truncated,
}

impl GenerationError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::InvalidOutput { .. } => ErrorCode::InvalidModelOutput,
            Self::Truncated => ErrorCode::ModelOutputTruncated,
        }
    }
}

impl From<PlanError> for GenerationError {
    fn from(e: PlanError) -> Self {
        match e {
            PlanError::Truncated => Self::Truncated,
            other => Self::InvalidOutput {
                reason: other.to_string(),
            },
        }
    }
}

/// A project to generate.
#[derive(Debug, Clone, Default)]
pub struct GenerateRequest {
    /// What the user wants (1–4,000 characters).
    pub prompt: String,
    /// Same key, same generation: a retry never charges or creates twice.
    /// The key is bound to the (trimmed) prompt: reused with another one it
    /// is an `idempotency_conflict`.
    pub idempotency_key: Option<String>,
}

/// What a generation created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct GeneratedProject {
    pub project: Project,
    pub tasks: Vec<Task>,
    pub spend: LedgerEntry,
    /// True when the first answer was invalid and the repair request fixed it.
    pub repaired: bool,
    /// True when the key had been used: this is the earlier result.
    pub replayed: bool,
}

/// Generates projects with the chat model, on the desktop's SQLite (the
/// default) or the server's Postgres. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ProjectGenerator<S: ProjectBackend = Db> {
    model: ModelCatalog,
    projects: ProjectStore<S>,
    jobs: Jobs<S>,
}

/// One model answer, read to its end.
struct Answer {
    text: String,
    finish: Option<FinishReason>,
}

impl<S: ProjectBackend> ProjectGenerator<S> {
    pub fn new(model: ModelCatalog, projects: ProjectStore<S>, jobs: Jobs<S>) -> Self {
        Self {
            model,
            projects,
            jobs,
        }
    }

    /// Generates a project from `request.prompt`, for the price of
    /// [`crate::ledger::Action::ProjectGeneration`]. See the
    /// module docs for the steps and the charging rules.
    pub async fn generate(&self, request: GenerateRequest) -> Result<GeneratedProject> {
        let prompt = required_text("prompt", &request.prompt, MAX_PROMPT_CHARS)?;
        let provider = self.model.require()?;
        let key = crate::idempotency::key_or_new(request.idempotency_key);
        let (job, spend) = match self
            .jobs
            .open(
                crate::jobs::JobKind::Generation,
                &prompt,
                &key,
                Fingerprint::project_generation(&prompt),
            )
            .await?
        {
            Opened::New { job, spend } => (job, spend),
            Opened::Replayed { job, spend } => return self.replayed(job, spend).await,
        };
        let result = match self.ask(provider, &prompt).await {
            Ok((plan, repaired)) => self
                .create(&job, plan)
                .await
                .map(|(project, tasks)| (project, tasks, repaired)),
            Err(error) => Err(error),
        };
        match result {
            Ok((project, tasks, repaired)) => Ok(GeneratedProject {
                project,
                tasks,
                spend,
                repaired,
                replayed: false,
            }),
            Err(error) => {
                self.jobs.fail(&job, error.code()).await?;
                Err(error)
            }
        }
    }

    /// Asks for a plan; one repair request if the first answer is unusable.
    async fn ask(
        &self,
        provider: Arc<dyn ChatProvider>,
        prompt: &str,
    ) -> Result<(ProjectPlan, bool)> {
        let today = self.jobs.now().date_naive();
        let mut structured = provider.supports_json_schema();
        let mut messages = first_messages(prompt, today, structured);
        let first = match self.call(&*provider, &messages, structured).await {
            Err(Error::Provider(ProviderError::BadRequest { code, message }))
                if structured && refuses_response_format(&code, &message) =>
            {
                tracing::info!("the deployment refused a JSON schema; asking with instructions");
                structured = false;
                messages = first_messages(prompt, today, structured);
                self.call(&*provider, &messages, structured).await?
            }
            other => other?,
        };
        let error = match plan::parse(&first.text, first.finish.as_ref()) {
            Ok(plan) => return Ok((plan, false)),
            Err(error) => error,
        };
        tracing::info!(%error, "the model's project was unusable; asking once to repair it");
        messages.push(PromptMessage {
            role: PromptRole::Assistant,
            content: first.text,
            images: Vec::new(),
        });
        messages.push(PromptMessage {
            role: PromptRole::User,
            content: plan::repair_request(&error),
            images: Vec::new(),
        });
        let second = self.call(&*provider, &messages, structured).await?;
        plan::parse(&second.text, second.finish.as_ref())
            .map(|plan| (plan, true))
            .map_err(|e| GenerationError::from(e).into())
    }

    /// Sends one request and reads the whole answer (a deployment that does
    /// not stream delivers it as one chunk).
    async fn call(
        &self,
        provider: &dyn ChatProvider,
        messages: &[PromptMessage],
        structured: bool,
    ) -> Result<Answer> {
        let request = ChatRequest {
            messages: messages.to_vec(),
            max_completion_tokens: None,
            response_format: structured.then(plan::response_format),
            reasoning_effort: None,
        };
        let mut stream = provider.stream_chat(request).await?;
        let mut answer = Answer {
            text: String::new(),
            finish: None,
        };
        while let Some(event) = stream.next().await {
            match event? {
                ProviderEvent::Delta(text) => answer.text.push_str(&text),
                ProviderEvent::Finished(reason) => answer.finish = Some(reason),
                ProviderEvent::Usage(_) => {}
            }
        }
        if answer.finish.is_none() {
            return Err(ProviderError::Network(
                "the answer stream ended before the model finished".into(),
            )
            .into());
        }
        Ok(answer)
    }

    /// Writes the project and all its tasks, and closes the job, in one
    /// transaction.
    async fn create(&self, job: &Job, plan: ProjectPlan) -> Result<(Project, Vec<Task>)> {
        let (user_id, now) = (self.jobs.user_id().to_string(), self.jobs.now());
        let project_id = self
            .jobs
            .succeed(job.id, move |conn| {
                Box::pin(async move {
                    let id = store::insert_project(
                        &mut *conn,
                        &user_id,
                        &plan.name,
                        &plan.description,
                        now,
                    )
                    .await?;
                    for task in &plan.tasks {
                        tasks::insert_task(&mut *conn, &user_id, id, task, now).await?;
                    }
                    Ok((id, id))
                })
            })
            .await?;
        self.project_with_tasks(project_id).await
    }

    async fn project_with_tasks(&self, project_id: i64) -> Result<(Project, Vec<Task>)> {
        let project = self
            .projects
            .get_project(&RecordRef::Id(project_id))
            .await?;
        let mut tasks = self
            .projects
            .list_tasks(&TaskFilter {
                project: Some(RecordRef::Id(project_id)),
                ..Default::default()
            })
            .await?;
        // In the order the model gave them (ids are assigned in that order).
        tasks.sort_by_key(|t| t.id);
        Ok((project, tasks))
    }

    /// The earlier generation for a reused idempotency key.
    async fn replayed(&self, job: Job, spend: LedgerEntry) -> Result<GeneratedProject> {
        match (job.status, job.project_id) {
            (JobStatus::Succeeded, Some(project_id)) => {
                let (project, tasks) = self.project_with_tasks(project_id).await?;
                Ok(GeneratedProject {
                    project,
                    tasks,
                    spend,
                    repaired: false,
                    replayed: true,
                })
            }
            (JobStatus::Succeeded, None) => Err(Error::not_found("generated project", job.id)),
            _ => Err(JobError::of(&job).into()),
        }
    }
}

fn first_messages(prompt: &str, today: chrono::NaiveDate, structured: bool) -> Vec<PromptMessage> {
    vec![
        PromptMessage {
            role: PromptRole::Developer,
            content: plan::instructions(today, structured),
            images: Vec::new(),
        },
        PromptMessage {
            role: PromptRole::User,
            content: prompt.to_string(),
            images: Vec::new(),
        },
    ]
}

/// A 400 that is about `response_format` (an API version or model without
/// structured outputs), as opposed to the request as a whole.
fn refuses_response_format(code: &str, message: &str) -> bool {
    let text = format!("{code} {message}").to_ascii_lowercase();
    text.contains("response_format") || text.contains("json_schema")
}
