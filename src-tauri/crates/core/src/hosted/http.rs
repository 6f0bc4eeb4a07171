//! The HTTP side of one Banter server: its origin, one client that never
//! follows a redirect (a bearer token must not travel to wherever a `3xx`
//! points; see `crate::transport`), bounded time and bounded answers, and
//! the server's `{code, message}` errors read back into [`HostedError`].
//!
//! Requests are only ever built from [`Server::url`], which joins a fixed
//! `/v1/…` path (and escaped path segments) onto the server's origin, so a
//! token is sent nowhere else.

use super::error::HostedError;
use crate::error::{ApiError, ErrorCode};
use crate::transport;
use reqwest::{Response, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::time::Duration;

/// How long connecting to the server may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long an ordinary request (not a streamed reply) may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest silence inside a streamed reply; the server's keep-alive
/// comments arrive well within it.
pub const STREAM_IDLE_TIMEOUT: Duration = Duration::from_secs(90);
/// The largest answer read (a long session's export is the biggest).
pub const MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;

/// One server, by origin (`scheme://host[:port]`).
#[derive(Debug, Clone)]
pub struct Server {
    origin: Url,
    http: reqwest::Client,
}

impl Server {
    /// `url` reduced to its origin, if it is https, or http to this
    /// computer (see `crate::transport::check_endpoint`).
    pub fn new(url: &str) -> Result<Self, HostedError> {
        let parsed =
            transport::check_endpoint(url).map_err(|e| HostedError::BadServerUrl(e.to_string()))?;
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(HostedError::BadServerUrl(
                "a server URL carries no user name or password".into(),
            ));
        }
        let origin = Url::parse(&transport::origin_of(&parsed))
            .map_err(|e| HostedError::BadServerUrl(e.to_string()))?;
        let http = transport::client_builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .read_timeout(STREAM_IDLE_TIMEOUT)
            .build()
            .map_err(|e| HostedError::BadResponse(format!("building the HTTP client: {e}")))?;
        Ok(Self { origin, http })
    }

    /// `scheme://host[:port]`, as settings and the keyring name it.
    pub fn origin(&self) -> String {
        transport::origin_of(&self.origin)
    }

    /// The server's URL of `path` (a fixed `/v1/…` path) followed by
    /// `segments`, each escaped as one path segment.
    pub fn url(&self, path: &str, segments: &[&str]) -> Url {
        let mut url = self.origin.clone();
        url.set_path(path);
        if !segments.is_empty() {
            if let Ok(mut parts) = url.path_segments_mut() {
                parts.pop_if_empty().extend(segments);
            }
        }
        url
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Sends `request`; a success comes back for the caller to read, every
    /// failure as a typed error.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Result<Response, HostedError> {
        let response = request.send().await.map_err(|e| self.offline(&e))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        if status.is_redirection() {
            return Err(HostedError::BadResponse(format!(
                "HTTP {status} pointing to {}; redirects are not followed",
                transport::redirect_location(response.headers())
            )));
        }
        let body = read_body(response, self).await?;
        match refusal(status, &body) {
            Some(error) => Err(error),
            None if matches!(
                status,
                StatusCode::BAD_GATEWAY
                    | StatusCode::SERVICE_UNAVAILABLE
                    | StatusCode::GATEWAY_TIMEOUT
            ) =>
            {
                Err(HostedError::Offline {
                    server: self.origin(),
                    detail: format!("HTTP {status} from a gateway"),
                })
            }
            None => Err(HostedError::BadResponse(format!("HTTP {status}"))),
        }
    }

    /// Sends `request` and reads a JSON answer of type `T`.
    pub async fn json<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, HostedError> {
        let response = self.send(request.timeout(REQUEST_TIMEOUT)).await?;
        let body = read_body(response, self).await?;
        serde_json::from_slice(&body).map_err(|e| HostedError::BadResponse(e.to_string()))
    }

    /// Sends `request`, whose success has no body worth reading (what
    /// there is is read and dropped, within [`MAX_RESPONSE_BYTES`]).
    pub async fn no_content(&self, request: reqwest::RequestBuilder) -> Result<(), HostedError> {
        let response = self.send(request.timeout(REQUEST_TIMEOUT)).await?;
        read_body(response, self).await?;
        Ok(())
    }

    /// The error of a request that got no answer.
    pub fn offline(&self, error: &reqwest::Error) -> HostedError {
        HostedError::Offline {
            server: self.origin(),
            detail: if error.is_timeout() {
                "no answer in time".to_string()
            } else if error.is_connect() {
                "cannot connect".to_string()
            } else {
                error.to_string()
            },
        }
    }
}

/// The body, at most [`MAX_RESPONSE_BYTES`], read as it streams in.
async fn read_body(mut response: Response, server: &Server) -> Result<Vec<u8>, HostedError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| server.offline(&e))? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(HostedError::BadResponse(format!(
                "the answer is larger than {MAX_RESPONSE_BYTES} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The server's error body (`ApiError`'s JSON); the code is read as text
/// first so a code this build does not know is reported, not a parse error.
#[derive(Debug, Deserialize)]
pub(super) struct WireError {
    code: String,
    message: String,
    needed: Option<i64>,
    available: Option<i64>,
    field: Option<String>,
}

impl WireError {
    pub(super) fn into_error(self, status: u16) -> HostedError {
        match serde_json::from_value::<ErrorCode>(serde_json::Value::String(self.code.clone())) {
            Ok(code) => HostedError::Server {
                status,
                error: ApiError {
                    code,
                    message: self.message,
                    needed: self.needed,
                    available: self.available,
                    field: self.field,
                },
            },
            Err(_) => HostedError::BadResponse(format!(
                "the server refused with a code this version does not know ({}): {}",
                self.code, self.message
            )),
        }
    }
}

/// The refusal in an error answer, if it is the server's JSON error.
fn refusal(status: StatusCode, body: &[u8]) -> Option<HostedError> {
    let wire: WireError = serde_json::from_slice(body).ok()?;
    Some(wire.into_error(status.as_u16()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    #[test]
    fn only_the_origin_is_kept_and_segments_are_escaped() {
        let server = Server::new("http://127.0.0.1:8787/some/path?q=1").unwrap();
        assert_eq!(server.origin(), "http://127.0.0.1:8787");
        assert_eq!(
            server
                .url("/v1/sessions", &["CH-000001", "messages"])
                .as_str(),
            "http://127.0.0.1:8787/v1/sessions/CH-000001/messages"
        );
        assert_eq!(
            server.url("/v1/sessions", &["../../evil?x"]).as_str(),
            "http://127.0.0.1:8787/v1/sessions/..%2F..%2Fevil%3Fx"
        );
    }

    #[test]
    fn plain_http_elsewhere_and_credentials_are_refused() {
        for bad in [
            "http://banter.example.com",
            "ftp://127.0.0.1",
            "https://user:pw@banter.example.com",
            "not a url",
        ] {
            assert!(
                matches!(Server::new(bad), Err(HostedError::BadServerUrl(_))),
                "{bad}"
            );
        }
        assert!(Server::new("https://banter.example.com").is_ok());
    }

    /// A server on 127.0.0.1 that answers every request with `response`;
    /// returns its URL and how many connections it took.
    async fn answering(response: &'static str) -> (String, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(AtomicUsize::new(0));
        let counting = seen.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                counting.fetch_add(1, Ordering::SeqCst);
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf).await;
                let _ = stream.write_all(response.as_bytes()).await;
                let _ = stream.shutdown().await;
            }
        });
        (url, seen)
    }

    #[tokio::test]
    async fn a_redirect_is_refused_and_the_token_goes_nowhere_else() {
        let (elsewhere, visits) = answering("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}").await;
        let redirect: &'static str = Box::leak(
            format!(
                "HTTP/1.1 307 Temporary Redirect\r\nLocation: {elsewhere}/v1/credits\r\n\
                 Content-Length: 0\r\nConnection: close\r\n\r\n"
            )
            .into_boxed_str(),
        );
        let (origin, _) = answering(redirect).await;
        let server = Server::new(&origin).unwrap();
        let request = server
            .http()
            .get(server.url("/v1/credits", &[]))
            .bearer_auth("bat_secret");
        let result: Result<serde_json::Value, _> = server.json(request).await;
        match result {
            Err(HostedError::BadResponse(m)) => assert!(m.contains("not followed"), "{m}"),
            other => panic!("{other:?}"),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(
            visits.load(Ordering::SeqCst),
            0,
            "the redirect was followed"
        );
    }

    #[tokio::test]
    async fn no_server_or_a_gateway_saying_it_is_down_is_offline() {
        // A port nothing listens on (bound, then let go).
        let gone = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", gone.local_addr().unwrap());
        drop(gone);
        let server = Server::new(&url).unwrap();
        let result: Result<serde_json::Value, _> = server
            .json(server.http().get(server.url("/v1/credits", &[])))
            .await;
        assert!(
            matches!(result, Err(HostedError::Offline { .. })),
            "{result:?}"
        );

        let (gateway, _) = answering(
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/html\r\nContent-Length: 6\r\n\r\n<html>",
        )
        .await;
        let server = Server::new(&gateway).unwrap();
        let result: Result<serde_json::Value, _> = server
            .json(server.http().get(server.url("/v1/credits", &[])))
            .await;
        let Err(error) = result else {
            panic!("a 503 was a success")
        };
        assert_eq!(error.code(), ErrorCode::Offline, "{error:?}");
    }

    #[test]
    fn server_errors_keep_their_code_and_fields() {
        let body =
            br#"{"code":"insufficient_credits","message":"not enough","needed":3,"available":1}"#;
        let Some(HostedError::Server { status, error }) =
            refusal(StatusCode::PAYMENT_REQUIRED, body)
        else {
            panic!("not a refusal");
        };
        assert_eq!(
            (status, error.code, error.needed, error.available),
            (402, ErrorCode::InsufficientCredits, Some(3), Some(1))
        );
        let unknown = refusal(
            StatusCode::BAD_REQUEST,
            br#"{"code":"from_the_future","message":"m"}"#,
        );
        assert!(
            matches!(unknown, Some(HostedError::BadResponse(_))),
            "{unknown:?}"
        );
        assert!(refusal(StatusCode::BAD_GATEWAY, b"<html>").is_none());
    }
}
