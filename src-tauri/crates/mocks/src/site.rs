//! A fixture web site over real HTTP on 127.0.0.1, for URL-scraping tests:
//! a normal article with navigation and footer boilerplate, 404 and 410,
//! a slow server, huge bodies, a PDF, redirect chains and a loop, pages in
//! windows-1252 and Shift_JIS, plain text, an empty page, pathologically
//! nested pages, and a redirect to any address (for redirect-safety tests).

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// The article's `<title>`.
pub const ARTICLE_TITLE: &str = "How Sourdough Rises";
/// A sentence of the article's main text.
pub const ARTICLE_SENTENCE: &str =
    "Wild yeast and lactic acid bacteria ferment the flour slowly overnight.";
/// Boilerplate that extraction must drop.
pub const NAV_TEXT: &str = "Subscribe to our newsletter";
pub const FOOTER_TEXT: &str = "Copyright Example Bakery Corporation";
/// Text of the windows-1252 page (charset in the header).
pub const LATIN1_TEXT: &str = "Crème brûlée à la carte, déjà vu, naïve façade.";
/// Text of the Shift_JIS page (charset only in `<meta>`).
pub const SJIS_TEXT: &str = "日本語のテキストは正しく読めるべきです。";
/// The plain-text page.
pub const PLAIN_TEXT: &str = "Release notes\n\nVersion 2 fixes the oven timer.\n";
/// The text at the bottom of `/nested/{n}`.
pub const NESTED_TEXT: &str = "The innermost paragraph of a very deep page.";
/// Deepest `/nested/{n}` served.
pub const MAX_NESTED: usize = 200_000;
/// Size of the huge bodies: 10 MB.
pub const HUGE_BYTES: usize = 10 * 1024 * 1024;

/// How the site behaves.
#[derive(Debug, Clone)]
pub struct SiteConfig {
    /// How long `/slow` waits before answering, and `/slow-body` between
    /// its first bytes and the rest.
    pub slow: Duration,
}

impl Default for SiteConfig {
    fn default() -> Self {
        Self {
            slow: Duration::from_secs(30),
        }
    }
}

/// A running fixture site; shuts down when dropped.
#[derive(Debug)]
pub struct Site {
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Site {
    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Starts the site on a free port of 127.0.0.1, on the current runtime.
pub async fn start_site(config: SiteConfig) -> std::io::Result<Site> {
    start_site_on(Ipv4Addr::LOCALHOST.into(), config).await
}

/// Starts the site on a free port of `ip`, which must be a loopback
/// address (tests use 127.0.0.2 as a stand-in for a public host; Linux
/// routes all of 127.0.0.0/8 to the loopback interface).
pub async fn start_site_on(ip: IpAddr, config: SiteConfig) -> std::io::Result<Site> {
    if !ip.is_loopback() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("the fixture site listens on loopback only, not {ip}"),
        ));
    }
    let listener = tokio::net::TcpListener::bind(SocketAddr::new(ip, 0)).await?;
    let addr = listener.local_addr()?;
    let app = Router::new()
        .route("/article", get(article))
        .route("/big-article", get(big_article))
        .route(
            "/missing",
            get(|| async { (StatusCode::NOT_FOUND, "no such page") }),
        )
        .route("/gone", get(|| async { (StatusCode::GONE, "gone") }))
        .route(
            "/broken",
            get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "oops") }),
        )
        .route("/slow", get(slow))
        .route("/slow-body", get(slow_body))
        .route("/huge", get(|| async { huge(false) }))
        .route("/huge-declared", get(|| async { huge(true) }))
        .route("/pdf", get(pdf))
        .route("/loop", get(|| async { Redirect::temporary("/loop") }))
        .route("/hops/{n}", get(hops))
        .route(
            "/to-file",
            get(|| async { Redirect::temporary("file:///etc/passwd") }),
        )
        .route("/latin1-header", get(latin1_header))
        .route("/sjis-meta", get(sjis_meta))
        .route("/plain", get(plain))
        .route("/empty", get(empty))
        .route("/nested/{n}", get(nested))
        .route("/redirect", get(redirect))
        .with_state(Arc::new(config));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let server = axum::serve(listener, app).with_graceful_shutdown(async {
            let _ = rx.await;
        });
        if let Err(error) = server.await {
            tracing::warn!(%error, "fixture site stopped");
        }
    });
    Ok(Site {
        addr,
        shutdown: Some(tx),
    })
}

fn html(body: impl Into<Body>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body.into(),
    )
        .into_response()
}

/// An article page: header, navigation, the article, a sidebar, a footer.
pub fn article_html(paragraphs: usize) -> String {
    let filler = "The dough is folded every half hour, so the gluten network grows strong \
                  enough to hold the gas the culture makes, and the crumb turns open and glossy.";
    let mut body = format!("<p>{ARTICLE_SENTENCE} {filler}</p>");
    for i in 0..paragraphs {
        body.push_str(&format!(
            "<p>Paragraph {i}: {filler} Bakers judge readiness by the poke test, not the clock.</p>"
        ));
    }
    format!(
        r#"<!DOCTYPE html><html><head><title>{ARTICLE_TITLE}</title></head><body>
<header class="site-header"><a href="/">Example Bakery</a></header>
<nav class="menu"><ul><li><a href="/">Home</a></li><li><a href="/shop">Shop</a></li>
<li><a href="/news">{NAV_TEXT}</a></li></ul></nav>
<main><article><h1>{ARTICLE_TITLE}</h1>{body}</article></main>
<aside class="sidebar"><a href="/a">Related: bagels</a><a href="/b">Related: rye</a></aside>
<footer class="site-footer"><p>{FOOTER_TEXT}</p><a href="/privacy">Privacy</a></footer>
</body></html>"#
    )
}

async fn article() -> Response {
    html(article_html(6))
}

/// About 1 MB of article text.
async fn big_article() -> Response {
    html(article_html(5_000))
}

async fn slow(State(config): State<Arc<SiteConfig>>) -> Response {
    tokio::time::sleep(config.slow).await;
    html(article_html(6))
}

/// Headers and a first chunk at once, then nothing for a long time.
async fn slow_body(State(config): State<Arc<SiteConfig>>) -> Response {
    let wait = config.slow;
    let stream = futures_util::stream::unfold(0u8, move |step| async move {
        match step {
            0 => Some((
                Ok::<_, std::io::Error>(Bytes::from_static(
                    b"<!DOCTYPE html><html><head><title>Slow</title>",
                )),
                1,
            )),
            1 => {
                tokio::time::sleep(wait).await;
                Some((Ok(Bytes::from_static(b"</html>")), 2))
            }
            _ => None,
        }
    });
    html(Body::from_stream(stream))
}

/// 10 MB of HTML in 64 KB chunks; `declared` also sends Content-Length.
fn huge(declared: bool) -> Response {
    let chunk = Bytes::from(vec![b'a'; 64 * 1024]);
    let count = HUGE_BYTES / chunk.len();
    let stream =
        futures_util::stream::iter((0..count).map(move |_| Ok::<_, std::io::Error>(chunk.clone())));
    let mut response = html(Body::from_stream(stream));
    if declared {
        response.headers_mut().insert(
            header::CONTENT_LENGTH,
            header::HeaderValue::from(HUGE_BYTES),
        );
    }
    response
}

async fn pdf() -> Response {
    (
        [(header::CONTENT_TYPE, "application/pdf")],
        b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj<<>>endobj\n".to_vec(),
    )
        .into_response()
}

/// `/hops/n` redirects to `/hops/n-1` … `/hops/0`, which is the article.
async fn hops(Path(n): Path<u32>) -> Response {
    if n == 0 {
        return html(article_html(6));
    }
    Redirect::temporary(&format!("/hops/{}", n - 1)).into_response()
}

fn encoded_page(title: &str, text: &str, meta: &str) -> String {
    let para = format!("<p>{text}</p>").repeat(8);
    format!(
        "<!DOCTYPE html><html><head>{meta}<title>{title}</title></head>\
         <body><article><h1>{title}</h1>{para}</article></body></html>"
    )
}

/// windows-1252 bytes, the charset named only in the Content-Type header.
async fn latin1_header() -> Response {
    let page = encoded_page("Café menu", LATIN1_TEXT, "");
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&page);
    (
        [(header::CONTENT_TYPE, "text/html; charset=windows-1252")],
        bytes.into_owned(),
    )
        .into_response()
}

/// Shift_JIS bytes, the charset named only in `<meta charset>`.
async fn sjis_meta() -> Response {
    let page = encoded_page("日本語のページ", SJIS_TEXT, r#"<meta charset="Shift_JIS">"#);
    let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(&page);
    ([(header::CONTENT_TYPE, "text/html")], bytes.into_owned()).into_response()
}

async fn plain() -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        PLAIN_TEXT,
    )
        .into_response()
}

async fn empty() -> Response {
    html("<!DOCTYPE html><html><head><title>Nothing</title></head><body><div></div></body></html>")
}

/// `n` nested `<div>`s (at most [`MAX_NESTED`]) around one paragraph.
pub fn nested_html(n: usize) -> String {
    let n = n.min(MAX_NESTED);
    format!(
        "<!DOCTYPE html><html><head><title>Deep</title></head><body>{}<p>{NESTED_TEXT}</p>{}</body></html>",
        "<div>".repeat(n),
        "</div>".repeat(n)
    )
}

async fn nested(Path(n): Path<usize>) -> Response {
    html(nested_html(n))
}

/// `/redirect?to=<address>`: a 302 to any address, as a hostile page might.
async fn redirect(Query(query): Query<HashMap<String, String>>) -> Response {
    match query.get("to") {
        Some(to) => Redirect::temporary(to).into_response(),
        None => (StatusCode::BAD_REQUEST, "?to= is missing").into_response(),
    }
}
