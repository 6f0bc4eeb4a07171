//! Sending a chat request: connect and first-byte timeouts, retries before
//! any text exists, and HTTP errors mapped to [`ProviderError`]. The key is
//! only ever put in a header, never in an error or a log line. Redirects are
//! never followed (see [`crate::transport`]): a 3xx is an error.

use super::retry::{self, MAX_RETRIES, MAX_TOTAL_WAIT};
use super::wire::ErrorEnvelope;
use super::ProviderError;
use reqwest::{Response, StatusCode};
use std::time::Duration;

/// How long to wait, and for what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub connect: Duration,
    /// Until the response headers: generous, reasoning models think first.
    pub first_byte: Duration,
    /// Between two reads of a streaming body.
    pub idle: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(10),
            first_byte: Duration::from_secs(120),
            idle: Duration::from_secs(60),
        }
    }
}

#[derive(Debug, Clone)]
pub(super) struct Http {
    client: reqwest::Client,
    pub timeouts: Timeouts,
}

impl Http {
    pub fn new(timeouts: Timeouts) -> Result<Self, ProviderError> {
        let client = crate::transport::client_builder()
            .connect_timeout(timeouts.connect)
            .user_agent(concat!("Banter/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ProviderError::Network(format!("cannot set up HTTP: {e}")))?;
        Ok(Self { client, timeouts })
    }

    /// POSTs `body` until a 2xx answer, retrying what is worth retrying.
    pub async fn post(
        &self,
        url: &str,
        auth: Option<(&'static str, String)>,
        body: &serde_json::Value,
        deployment: &str,
    ) -> Result<Response, ProviderError> {
        let mut waited = Duration::ZERO;
        let mut retry = 0;
        loop {
            let error = match self.attempt(url, auth.as_ref(), body).await {
                Ok(response) if response.status().is_success() => return Ok(response),
                Ok(response) => {
                    let hint = retry::retry_after(response.headers());
                    (classify(response, deployment).await, hint)
                }
                Err(error) => (error, None),
            };
            let (error, hint) = error;
            let wait = retry::delay(retry, hint);
            if !error.is_retryable() || retry >= MAX_RETRIES || waited + wait > MAX_TOTAL_WAIT {
                return Err(error);
            }
            tracing::info!(
                code = %error.code(),
                retry = retry + 1,
                wait_ms = wait.as_millis() as u64,
                "retrying the model request"
            );
            tokio::time::sleep(wait).await;
            waited += wait;
            retry += 1;
        }
    }

    async fn attempt(
        &self,
        url: &str,
        auth: Option<&(&'static str, String)>,
        body: &serde_json::Value,
    ) -> Result<Response, ProviderError> {
        let mut request = self.client.post(url).json(body);
        if let Some((header, value)) = auth {
            request = request.header(*header, value);
        }
        match tokio::time::timeout(self.timeouts.first_byte, request.send()).await {
            Err(_) => Err(ProviderError::Timeout {
                phase: "first byte",
            }),
            Ok(Err(e)) if e.is_timeout() => Err(ProviderError::Timeout { phase: "connect" }),
            Ok(Err(e)) => Err(ProviderError::Network(describe(&e))),
            Ok(Ok(response)) => Ok(response),
        }
    }
}

/// A reqwest error without its URL (which is fine) or anything else secret.
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_connect() {
        "cannot connect"
    } else {
        "request failed"
    };
    let mut cause = String::new();
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        cause = inner.to_string();
        source = inner.source();
    }
    if cause.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}: {cause}")
    }
}

/// Maps a non-2xx answer to a typed error, reading Azure's error envelope.
async fn classify(response: Response, deployment: &str) -> ProviderError {
    let status = response.status();
    let hint = retry::retry_after(response.headers());
    let location = crate::transport::redirect_location(response.headers());
    let text = response.text().await.unwrap_or_default();
    let envelope: ErrorEnvelope = serde_json::from_str(&text).unwrap_or_default();
    let (code, message) = match envelope.error {
        Some(e) => (e.code_str(), e.message.unwrap_or_default()),
        None => (String::new(), text.chars().take(300).collect()),
    };
    match status {
        s if s.is_redirection() => ProviderError::Redirected {
            status: s.as_u16(),
            location,
        },
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => ProviderError::Unauthorized,
        StatusCode::NOT_FOUND => ProviderError::DeploymentNotFound {
            deployment: deployment.to_string(),
        },
        StatusCode::TOO_MANY_REQUESTS => ProviderError::RateLimited { retry_after: hint },
        StatusCode::BAD_REQUEST if code == "content_filter" => {
            ProviderError::ContentFiltered { what: "message" }
        }
        StatusCode::REQUEST_TIMEOUT | StatusCode::CONFLICT => {
            ProviderError::Network(format!("the provider answered {status}; {message}"))
        }
        s if s.is_server_error() => {
            ProviderError::Network(format!("the provider had a server error ({status})"))
        }
        s if s.is_client_error() => ProviderError::BadRequest {
            code: if code.is_empty() {
                status.as_u16().to_string()
            } else {
                code
            },
            message,
        },
        _ => ProviderError::BadResponse(format!("unexpected HTTP status {status}")),
    }
}
