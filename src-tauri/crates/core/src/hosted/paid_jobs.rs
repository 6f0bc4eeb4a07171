//! The paid project actions through the server: AI project generation
//! (`POST /v1/projects/generate`) and saving a web page (`POST /v1/scrape`).
//! The server prices, spends and refunds with the core's rules; the
//! idempotency key (one is made when the caller has none) is carried
//! through, so a retried call never charges twice.

use super::client::HostedClient;
use super::error::HostedError;
use crate::idempotency::key_or_new;
use crate::ids::RecordRef;
use crate::projects::GeneratedProject;
use crate::scrape::ScrapeResult;
use reqwest::Method;
use serde::Serialize;

impl HostedClient {
    /// Generates a project with tasks from `prompt` on the server.
    pub async fn generate(
        &self,
        prompt: &str,
        idempotency_key: Option<&str>,
    ) -> Result<GeneratedProject, HostedError> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Body<'a> {
            prompt: &'a str,
            idempotency_key: String,
        }
        let body = Body {
            prompt,
            idempotency_key: key_or_new(idempotency_key.map(str::to_string)),
        };
        let url = self.transport().url("/v1/projects/generate", &[]);
        self.send_json(Method::POST, url, &body).await
    }

    /// Saves the page at `url` on `project` (or a new project) on the
    /// server, which fetches it under its address policy.
    pub async fn scrape(
        &self,
        url: &str,
        project: Option<&RecordRef>,
        idempotency_key: Option<&str>,
    ) -> Result<ScrapeResult, HostedError> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Body<'a> {
            url: &'a str,
            project: Option<String>,
            idempotency_key: String,
        }
        let body = Body {
            url,
            project: project.map(ToString::to_string),
            idempotency_key: key_or_new(idempotency_key.map(str::to_string)),
        };
        let target = self.transport().url("/v1/scrape", &[]);
        self.send_json(Method::POST, target, &body).await
    }
}
