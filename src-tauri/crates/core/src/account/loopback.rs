//! The CLI's redirect target (RFC 8252 §7.3): a listener on
//! `http://127.0.0.1:PORT/callback`, port chosen by the OS, that takes the
//! one request the browser makes after sign-in, answers a small page and
//! hands back the provider's answer. Other paths get a 404 and the wait
//! goes on (browsers ask for `/favicon.ico`).

use super::authorize::AuthorizationResponse;
use super::error::{AccountError, Result};
use super::params::parse_callback_query;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

/// The only path answered.
pub const CALLBACK_PATH: &str = "/callback";
/// The largest request head read from the browser.
pub const MAX_REQUEST_BYTES: usize = 16 * 1024;
/// How long one connection may take to send its request.
pub const REQUEST_READ_TIMEOUT: Duration = Duration::from_secs(10);

const DONE_PAGE: &str = "<!doctype html><meta charset=\"utf-8\"><title>Banter</title>\
<p>Banter received the sign-in. You can close this tab and return to the terminal.</p>";
const FAILED_PAGE: &str = "<!doctype html><meta charset=\"utf-8\"><title>Banter</title>\
<p>Banter could not read this sign-in answer. Return to the terminal.</p>";

/// A bound listener; give [`LoopbackListener::redirect_uri`] to the
/// sign-in attempt, then [`LoopbackListener::wait`].
#[derive(Debug)]
pub struct LoopbackListener {
    listener: TcpListener,
    redirect_uri: String,
}

impl LoopbackListener {
    /// Binds 127.0.0.1 on a free port.
    pub async fn bind() -> Result<Self> {
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .await
            .map_err(|e| AccountError::Local(format!("opening the loopback listener: {e}")))?;
        let port = listener
            .local_addr()
            .map_err(|e| AccountError::Local(format!("reading the loopback port: {e}")))?
            .port();
        Ok(Self {
            listener,
            redirect_uri: format!("http://127.0.0.1:{port}{CALLBACK_PATH}"),
        })
    }

    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// Waits at most `timeout` for the browser's request to
    /// [`CALLBACK_PATH`] and returns the answer it carries.
    pub async fn wait(self, timeout: Duration) -> Result<AuthorizationResponse> {
        let deadline = Instant::now() + timeout;
        loop {
            let accepted = tokio::time::timeout_at(deadline, self.listener.accept()).await;
            let (stream, _) = match accepted {
                Err(_) => return Err(AccountError::TimedOut),
                Ok(Err(error)) => {
                    tracing::debug!(%error, "loopback accept failed");
                    continue;
                }
                Ok(Ok(connection)) => connection,
            };
            if let Some(answer) = serve(stream).await {
                return answer;
            }
        }
    }
}

/// Serves one connection: `Some` with the outcome for a request to the
/// callback, `None` for anything else (already answered).
async fn serve(mut stream: TcpStream) -> Option<Result<AuthorizationResponse>> {
    let head = match tokio::time::timeout(REQUEST_READ_TIMEOUT, read_head(&mut stream)).await {
        Ok(Some(head)) => head,
        _ => {
            respond(&mut stream, "400 Bad Request", FAILED_PAGE).await;
            return None;
        }
    };
    let Some(target) = request_target(&head) else {
        respond(&mut stream, "400 Bad Request", FAILED_PAGE).await;
        return None;
    };
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if path != CALLBACK_PATH {
        respond(&mut stream, "404 Not Found", "not found").await;
        return None;
    }
    let answer = parse_callback_query(query);
    let (status, page) = match &answer {
        Ok(_) => ("200 OK", DONE_PAGE),
        Err(_) => ("400 Bad Request", FAILED_PAGE),
    };
    respond(&mut stream, status, page).await;
    Some(answer)
}

/// The request head (through the blank line), if it arrives whole and
/// within [`MAX_REQUEST_BYTES`].
async fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 2048];
    loop {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..read]);
        if buf.windows(4).any(|w| w == b"\r\n\r\n") {
            return String::from_utf8(buf).ok();
        }
        if buf.len() > MAX_REQUEST_BYTES {
            return None;
        }
    }
}

/// The target of a `GET` request line in origin form (`/path?query`).
fn request_target(head: &str) -> Option<&str> {
    let line = head.lines().next()?;
    let mut parts = line.split(' ');
    let (Some("GET"), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    (target.starts_with('/') && version.starts_with("HTTP/1.")).then_some(target)
}

async fn respond(stream: &mut TcpStream, status: &str, body: &str) {
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n\
         Content-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    if let Err(error) = stream.write_all(response.as_bytes()).await {
        tracing::debug!(%error, "answering the browser failed");
    }
    let _ = stream.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_origin_form_gets_are_read() {
        assert_eq!(
            request_target("GET /callback?code=a HTTP/1.1\r\nHost: x\r\n\r\n"),
            Some("/callback?code=a")
        );
        for bad in [
            "POST /callback HTTP/1.1\r\n",
            "GET http://evil/callback HTTP/1.1\r\n",
            "GET /callback\r\n",
            "GET /callback HTTP/1.1 extra\r\n",
            "",
        ] {
            assert_eq!(request_target(bad), None, "{bad:?}");
        }
    }
}
