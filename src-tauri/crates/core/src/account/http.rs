//! The one HTTP client of sign-in: no redirects followed (see
//! `crate::transport`), bounded time, bounded answers, and typed errors for
//! the provider's failures.

use super::error::{AccountError, Result};
use crate::transport;
use reqwest::{Response, StatusCode, Url};
use serde::de::DeserializeOwned;
use std::time::Duration;

/// How long connecting to the provider may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one whole request to the provider may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// The largest discovery document, JWKS or token answer read.
pub const MAX_RESPONSE_BYTES: usize = 256 * 1024;

/// A client for the provider's discovery, JWKS and token endpoints.
pub fn client() -> Result<reqwest::Client> {
    transport::client_builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .build()
        .map_err(|e| AccountError::Local(format!("building the HTTP client: {e}")))
}

/// `url` parsed if it is https, or http to this computer.
pub fn endpoint(what: &str, url: &str) -> Result<Url> {
    transport::check_endpoint(url).map_err(|e| AccountError::Unsupported(format!("{what}: {e}")))
}

pub fn send_error(error: reqwest::Error) -> AccountError {
    if error.is_timeout() {
        AccountError::Timeout
    } else {
        // Without the URL: a token endpoint's query never holds a secret,
        // but nothing is gained by repeating it.
        AccountError::Network(error.without_url().to_string())
    }
}

/// Refuses redirects and server errors; other statuses are the caller's.
pub fn check_status(response: &Response) -> Result<()> {
    let status = response.status();
    if status.is_redirection() {
        return Err(AccountError::Redirected {
            status: status.as_u16(),
            location: transport::redirect_location(response.headers()),
        });
    }
    if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
        return Err(AccountError::Unavailable {
            status: status.as_u16(),
        });
    }
    Ok(())
}

/// The body, at most [`MAX_RESPONSE_BYTES`], read as it streams in.
pub async fn read_body(mut response: Response) -> Result<Vec<u8>> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(send_error)? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(AccountError::BadResponse(format!(
                "the answer is larger than {MAX_RESPONSE_BYTES} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// GETs `url` and parses a successful JSON answer.
pub async fn get_json<T: DeserializeOwned>(
    http: &reqwest::Client,
    what: &str,
    url: &Url,
) -> Result<T> {
    let response = http
        .get(url.clone())
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(send_error)?;
    check_status(&response)?;
    let status = response.status();
    if !status.is_success() {
        return Err(AccountError::BadResponse(format!("{what}: HTTP {status}")));
    }
    let body = read_body(response).await?;
    serde_json::from_slice(&body).map_err(|e| AccountError::BadResponse(format!("{what}: {e}")))
}
