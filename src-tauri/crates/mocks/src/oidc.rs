//! `mock-oidc`: a real OpenID Connect issuer over HTTP on 127.0.0.1, for the
//! sign-in tests and the hosted demo.
//!
//! - `GET /.well-known/openid-configuration`: the discovery document.
//! - `GET /jwks`: the RSA public keys (each with its `kid`).
//! - `GET /authorize`: the authorization-code endpoint with PKCE (S256 only).
//!   An unknown `client_id` or `redirect_uri` gets an error page (never a
//!   redirect, as OAuth 2.0 requires); other faults are redirected back as
//!   `error=…&state=…`. With a `login_hint` naming a test user, or a
//!   configured default user, it signs that user in at once (302 back with
//!   `code` and `state`), so scripts and WebDriver tests need no typing;
//!   otherwise it shows one button per test user.
//! - `POST /token`: `grant_type=authorization_code`; codes are one-time and
//!   short-lived, the `redirect_uri` must match, the PKCE verifier must hash
//!   to the challenge, and the client authenticates (`client_secret_post` or
//!   `client_secret_basic`) when the mock was given a secret. Answers an
//!   RS256 `id_token`, an `access_token`, `token_type` and `expires_in`;
//!   errors in RFC 6749's JSON form.
//! - `POST /__mock/misbehave` (a [`Misbehaviour`] as JSON) and
//!   `POST /__mock/rotate`: the test knobs for the binary; the Rust API is
//!   [`OidcServer::misbehave`] and [`OidcServer::rotate_key`].
//!
//! Registered redirect URIs match exactly, except a loopback
//! `http://127.0.0.1/…` registered without a port, which matches any port
//! (RFC 8252 §7.3: a native app's loopback listener picks its port at run
//! time).

use axum::extract::{Form, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Bits of each generated RSA signing key.
pub const RSA_BITS: usize = 2048;
/// How long an authorization code may wait before it is exchanged.
pub const CODE_TTL: Duration = Duration::from_secs(60);
/// How long issued ID and access tokens live.
pub const TOKEN_TTL: Duration = Duration::from_secs(3600);
/// How far in the past a "expired" ID token's `exp` is (see
/// [`Misbehaviour::expired`]); well past any verifier's leeway.
pub const EXPIRED_BY: Duration = Duration::from_secs(3600);

/// A user the mock can sign in without typing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestUser {
    pub sub: String,
    pub email: String,
    pub name: String,
}

impl TestUser {
    pub fn new(sub: &str, email: &str, name: &str) -> Self {
        Self {
            sub: sub.into(),
            email: email.into(),
            name: name.into(),
        }
    }
}

/// How the mock is registered with its one client.
#[derive(Debug, Clone)]
pub struct OidcConfig {
    pub client_id: String,
    /// When set, `/token` requires it (a confidential client); else the
    /// client is public and PKCE alone binds the code.
    pub client_secret: Option<String>,
    /// The redirect URIs the client registered (see the module docs for
    /// the loopback rule).
    pub redirect_uris: Vec<String>,
    pub users: Vec<TestUser>,
    /// The `sub` signed in at once when `/authorize` has no `login_hint`.
    pub default_user: Option<String>,
}

impl Default for OidcConfig {
    fn default() -> Self {
        Self {
            client_id: "banter-desktop".into(),
            client_secret: None,
            redirect_uris: vec![
                "banter://auth/callback".into(),
                "http://127.0.0.1/callback".into(),
            ],
            users: vec![
                TestUser::new("user-alice", "alice@example.test", "Alice Example"),
                TestUser::new("user-bob", "bob@example.test", "Bob Example"),
            ],
            default_user: None,
        }
    }
}

/// Ways the mock can be told to issue bad ID tokens, for the refusal tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Misbehaviour {
    /// Sign with a key the JWKS never lists (its `kid` is unknown).
    pub unlisted_key: bool,
    /// Put another client's id in `aud`.
    pub wrong_audience: bool,
    /// Issue a token whose `exp` is [`EXPIRED_BY`] in the past.
    pub expired: bool,
    /// Put another issuer in `iss`.
    pub wrong_issuer: bool,
}

/// One RSA key pair with its key id.
struct SigningKey {
    kid: String,
    encoding: EncodingKey,
    /// Base64url big-endian modulus and exponent, as a JWK states them.
    n: String,
    e: String,
}

impl SigningKey {
    fn generate(kid: &str) -> anyhow::Result<Self> {
        let mut rng = rsa::rand_core::OsRng;
        let private = RsaPrivateKey::new(&mut rng, RSA_BITS)?;
        let der = private.to_pkcs1_der()?;
        Ok(Self {
            kid: kid.into(),
            encoding: EncodingKey::from_rsa_der(der.as_bytes()),
            n: URL_SAFE_NO_PAD.encode(private.n().to_bytes_be()),
            e: URL_SAFE_NO_PAD.encode(private.e().to_bytes_be()),
        })
    }

    fn jwk(&self) -> serde_json::Value {
        json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid, "n": self.n, "e": self.e})
    }
}

/// A code handed out by `/authorize`, waiting for `/token`.
struct PendingCode {
    client_id: String,
    redirect_uri: String,
    code_challenge: String,
    nonce: Option<String>,
    user: TestUser,
    issued: Instant,
}

struct Keys {
    /// Listed in the JWKS; the last one signs.
    published: Vec<SigningKey>,
    /// Never listed; signs under [`Misbehaviour::unlisted_key`]. Made on
    /// first use, so a mock that never misbehaves starts with one key only.
    unlisted: Option<SigningKey>,
    generated: usize,
}

struct Shared {
    config: OidcConfig,
    issuer: String,
    keys: Mutex<Keys>,
    codes: Mutex<HashMap<String, PendingCode>>,
    misbehaviour: Mutex<Misbehaviour>,
    jwks_fetches: AtomicUsize,
    tokens_issued: AtomicUsize,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A running mock issuer; stops when dropped.
pub struct OidcServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl OidcServer {
    /// The issuer identifier, which is also the base URL (no trailing `/`).
    pub fn issuer(&self) -> String {
        self.shared.issuer.clone()
    }

    pub fn base_url(&self) -> String {
        self.issuer()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn client_id(&self) -> &str {
        &self.shared.config.client_id
    }

    /// Replaces the misbehaviour for tokens issued from now on.
    pub fn misbehave(&self, misbehaviour: Misbehaviour) {
        *lock(&self.shared.misbehaviour) = misbehaviour;
    }

    /// Adds a new signing key to the JWKS and signs with it from now on
    /// (the old key stays listed, as providers do during rotation).
    pub fn rotate_key(&self) -> anyhow::Result<String> {
        rotate(&self.shared)
    }

    /// How many times `/jwks` was fetched.
    pub fn jwks_fetches(&self) -> usize {
        self.shared.jwks_fetches.load(Ordering::SeqCst)
    }

    /// How many token responses were issued.
    pub fn tokens_issued(&self) -> usize {
        self.shared.tokens_issued.load(Ordering::SeqCst)
    }
}

impl Drop for OidcServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn rotate(shared: &Shared) -> anyhow::Result<String> {
    let mut keys = lock(&shared.keys);
    keys.generated += 1;
    let kid = format!("mock-key-{}", keys.generated);
    let key = SigningKey::generate(&kid)?;
    keys.published.push(key);
    Ok(kid)
}

/// Starts the issuer on `addr` (127.0.0.1 only; port 0 picks one).
pub async fn start_oidc(config: OidcConfig, addr: SocketAddr) -> anyhow::Result<OidcServer> {
    anyhow::ensure!(
        addr.ip().is_loopback(),
        "mock-oidc binds only loopback addresses, not {addr}"
    );
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let keys = Keys {
        published: vec![SigningKey::generate("mock-key-1")?],
        unlisted: None,
        generated: 1,
    };
    let shared = Arc::new(Shared {
        config,
        issuer: format!("http://{addr}"),
        keys: Mutex::new(keys),
        codes: Mutex::new(HashMap::new()),
        misbehaviour: Mutex::new(Misbehaviour::default()),
        jwks_fetches: AtomicUsize::new(0),
        tokens_issued: AtomicUsize::new(0),
    });
    let app = Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/jwks", get(jwks))
        .route("/authorize", get(authorize))
        .route("/token", post(token))
        .route("/__mock/misbehave", post(set_misbehaviour))
        .route("/__mock/rotate", post(rotate_route))
        .with_state(shared.clone());
    let task = tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app).await {
            tracing::warn!(%error, "mock-oidc stopped");
        }
    });
    Ok(OidcServer { addr, shared, task })
}

/// Starts the issuer with the default config on a free loopback port.
pub async fn start_default() -> anyhow::Result<OidcServer> {
    start_oidc(OidcConfig::default(), SocketAddr::from(([127, 0, 0, 1], 0))).await
}

async fn discovery(State(shared): State<Arc<Shared>>) -> Json<serde_json::Value> {
    let issuer = &shared.issuer;
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "code_challenge_methods_supported": ["S256"],
        "grant_types_supported": ["authorization_code"],
        "scopes_supported": ["openid", "email", "profile"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic", "none"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "nonce", "email", "email_verified", "name"],
    }))
}

async fn jwks(State(shared): State<Arc<Shared>>) -> Json<serde_json::Value> {
    shared.jwks_fetches.fetch_add(1, Ordering::SeqCst);
    let keys = lock(&shared.keys);
    let list: Vec<_> = keys.published.iter().map(SigningKey::jwk).collect();
    Json(json!({ "keys": list }))
}

async fn set_misbehaviour(
    State(shared): State<Arc<Shared>>,
    Json(misbehaviour): Json<Misbehaviour>,
) -> Json<Misbehaviour> {
    *lock(&shared.misbehaviour) = misbehaviour;
    Json(misbehaviour)
}

async fn rotate_route(State(shared): State<Arc<Shared>>) -> Response {
    match rotate(&shared) {
        Ok(kid) => Json(json!({ "kid": kid })).into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    }
}

/// Whether `given` is one of the client's registered redirect URIs.
fn redirect_registered(config: &OidcConfig, given: &str) -> bool {
    config.redirect_uris.iter().any(|registered| {
        if registered == given {
            return true;
        }
        // A port-less loopback registration matches any port.
        let (Some(path), Some(rest)) = (
            registered.strip_prefix("http://127.0.0.1/"),
            given.strip_prefix("http://127.0.0.1:"),
        ) else {
            return false;
        };
        let Some((port, given_path)) = rest.split_once('/') else {
            return false;
        };
        !port.is_empty()
            && port.len() <= 5
            && port.bytes().all(|b| b.is_ascii_digit())
            && given_path == path
    })
}

/// `redirect_uri` with `params` appended to its query.
fn with_query(redirect_uri: &str, params: &[(&str, &str)]) -> String {
    let mut out = redirect_uri.to_string();
    let mut sep = if out.contains('?') { '&' } else { '?' };
    for (key, value) in params {
        out.push(sep);
        out.push_str(key);
        out.push('=');
        out.push_str(&form_encode(value));
        sep = '&';
    }
    out
}

/// `application/x-www-form-urlencoded` for one value.
fn form_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A `302 Found` to `url`, as OAuth 2.0 servers answer (axum's `Redirect`
/// only offers 303 and 307).
fn found(url: &str) -> Response {
    match header::HeaderValue::try_from(url) {
        Ok(location) => (StatusCode::FOUND, [(header::LOCATION, location)]).into_response(),
        Err(_) => error_page(
            StatusCode::BAD_REQUEST,
            "redirect_uri is not a valid header",
        ),
    }
}

fn html_escape(value: &str) -> String {
    value
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn random_token(bytes: usize) -> anyhow::Result<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| anyhow::anyhow!("the OS random generator: {e}"))?;
    Ok(URL_SAFE_NO_PAD.encode(buf))
}

fn error_page(status: StatusCode, message: &str) -> Response {
    let body = format!(
        "<!doctype html><title>Sign-in error</title><h1>Sign-in error</h1><p>{}</p>",
        html_escape(message)
    );
    (status, Html(body)).into_response()
}

async fn authorize(
    State(shared): State<Arc<Shared>>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let config = &shared.config;
    let param = |name: &str| params.get(name).map(String::as_str).unwrap_or("");
    if param("client_id") != config.client_id {
        return error_page(StatusCode::BAD_REQUEST, "unknown client_id");
    }
    let redirect_uri = param("redirect_uri");
    if !redirect_registered(config, redirect_uri) {
        return error_page(StatusCode::BAD_REQUEST, "redirect_uri is not registered");
    }
    let state = param("state");
    let refuse = |error: &str, description: &str| -> Response {
        let mut query = vec![("error", error), ("error_description", description)];
        if !state.is_empty() {
            query.push(("state", state));
        }
        found(&with_query(redirect_uri, &query))
    };
    if param("response_type") != "code" {
        return refuse("unsupported_response_type", "only response_type=code");
    }
    if !param("scope").split(' ').any(|s| s == "openid") {
        return refuse("invalid_scope", "the openid scope is required");
    }
    if param("code_challenge_method") != "S256" {
        return refuse("invalid_request", "code_challenge_method must be S256");
    }
    let challenge = param("code_challenge");
    if challenge.len() != 43 {
        return refuse(
            "invalid_request",
            "code_challenge must be a SHA-256 in base64url",
        );
    }
    let hint = params
        .get("login_hint")
        .or(config.default_user.as_ref())
        .cloned();
    let Some(hint) = hint else {
        return sign_in_page(config, &params);
    };
    let Some(user) = config
        .users
        .iter()
        .find(|u| u.sub == hint || u.email == hint)
    else {
        return refuse("access_denied", "no such test user");
    };
    let code = match random_token(32) {
        Ok(code) => code,
        Err(error) => return error_page(StatusCode::INTERNAL_SERVER_ERROR, &error.to_string()),
    };
    lock(&shared.codes).insert(
        code.clone(),
        PendingCode {
            client_id: config.client_id.clone(),
            redirect_uri: redirect_uri.to_string(),
            code_challenge: challenge.to_string(),
            nonce: params.get("nonce").cloned(),
            user: user.clone(),
            issued: Instant::now(),
        },
    );
    let mut query = vec![("code", code.as_str())];
    if !state.is_empty() {
        query.push(("state", state));
    }
    found(&with_query(redirect_uri, &query))
}

/// One button per test user; each submits the same request again with
/// `login_hint` set to that user.
fn sign_in_page(config: &OidcConfig, params: &HashMap<String, String>) -> Response {
    let hidden: String = params
        .iter()
        .filter(|(key, _)| key.as_str() != "login_hint")
        .map(|(key, value)| {
            format!(
                r#"<input type="hidden" name="{}" value="{}">"#,
                html_escape(key),
                html_escape(value)
            )
        })
        .collect();
    let buttons: String = config
        .users
        .iter()
        .map(|user| {
            format!(
                r#"<button type="submit" name="login_hint" value="{}" data-sub="{}">Sign in as {} ({})</button>"#,
                html_escape(&user.sub),
                html_escape(&user.sub),
                html_escape(&user.name),
                html_escape(&user.email)
            )
        })
        .collect();
    Html(format!(
        "<!doctype html><title>mock-oidc sign-in</title><h1>Sign in</h1>\
         <form method=\"get\" action=\"/authorize\">{hidden}{buttons}</form>"
    ))
    .into_response()
}

#[derive(Debug, Deserialize)]
struct TokenRequest {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let body = Json(json!({ "error": error, "error_description": description }));
    (status, [(header::CACHE_CONTROL, "no-store")], body).into_response()
}

/// `(client_id, client_secret)` from `Authorization: Basic`, if present.
fn basic_auth(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = String::from_utf8(STANDARD.decode(encoded).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

#[derive(Serialize)]
struct IdTokenClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    exp: u64,
    iat: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    email: &'a str,
    email_verified: bool,
    name: &'a str,
}

async fn token(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Form(request): Form<TokenRequest>,
) -> Response {
    let config = &shared.config;
    if request.grant_type.as_deref() != Some("authorization_code") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only authorization_code",
        );
    }
    let basic = basic_auth(&headers);
    let client_id = basic
        .as_ref()
        .map(|(id, _)| id.clone())
        .or_else(|| request.client_id.clone());
    if client_id.as_deref() != Some(config.client_id.as_str()) {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "unknown client");
    }
    if let Some(secret) = &config.client_secret {
        let given = basic
            .map(|(_, secret)| secret)
            .or_else(|| request.client_secret.clone());
        if given.as_deref() != Some(secret.as_str()) {
            return oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "client authentication failed",
            );
        }
    }
    let (Some(code), Some(redirect_uri), Some(verifier)) = (
        request.code.as_deref(),
        request.redirect_uri.as_deref(),
        request.code_verifier.as_deref(),
    ) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "code, redirect_uri and code_verifier are required",
        );
    };
    // One use only: the code is gone whatever the outcome.
    let Some(pending) = lock(&shared.codes).remove(code) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "unknown or used code",
        );
    };
    if pending.issued.elapsed() > CODE_TTL {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "the code expired");
    }
    if pending.client_id != config.client_id || pending.redirect_uri != redirect_uri {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "redirect_uri does not match the authorization request",
        );
    }
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    if challenge != pending.code_challenge {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "PKCE verification failed",
        );
    }
    match issue_tokens(&shared, &pending) {
        Ok(body) => {
            shared.tokens_issued.fetch_add(1, Ordering::SeqCst);
            ([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
        }
        Err(error) => oauth_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            &error.to_string(),
        ),
    }
}

fn issue_tokens(shared: &Shared, pending: &PendingCode) -> anyhow::Result<serde_json::Value> {
    let misbehaviour = *lock(&shared.misbehaviour);
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?;
    let (iat, exp) = if misbehaviour.expired {
        let exp = now.saturating_sub(EXPIRED_BY);
        (exp.saturating_sub(TOKEN_TTL), exp)
    } else {
        (now, now + TOKEN_TTL)
    };
    let wrong_issuer = format!("{}/other-tenant", shared.issuer);
    let claims = IdTokenClaims {
        iss: if misbehaviour.wrong_issuer {
            &wrong_issuer
        } else {
            &shared.issuer
        },
        sub: &pending.user.sub,
        aud: if misbehaviour.wrong_audience {
            "some-other-client"
        } else {
            &pending.client_id
        },
        exp: exp.as_secs(),
        iat: iat.as_secs(),
        nonce: pending.nonce.as_deref(),
        email: &pending.user.email,
        email_verified: true,
        name: &pending.user.name,
    };
    let mut keys = lock(&shared.keys);
    if misbehaviour.unlisted_key && keys.unlisted.is_none() {
        keys.unlisted = Some(SigningKey::generate("mock-key-unlisted")?);
    }
    let key = if let (true, Some(unlisted)) = (misbehaviour.unlisted_key, &keys.unlisted) {
        unlisted
    } else {
        keys.published
            .last()
            .ok_or_else(|| anyhow::anyhow!("no signing key"))?
    };
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(key.kid.clone());
    let id_token = jsonwebtoken::encode(&header, &claims, &key.encoding)?;
    Ok(json!({
        "id_token": id_token,
        "access_token": random_token(32)?,
        "token_type": "Bearer",
        "expires_in": TOKEN_TTL.as_secs(),
        "scope": "openid email profile",
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_registrations_match_any_port_but_nothing_else() {
        let config = OidcConfig::default();
        for ok in [
            "banter://auth/callback",
            "http://127.0.0.1/callback",
            "http://127.0.0.1:5173/callback",
            "http://127.0.0.1:1/callback",
        ] {
            assert!(redirect_registered(&config, ok), "{ok}");
        }
        for bad in [
            "banter://auth/callback?x=1",
            "http://127.0.0.1:80/other",
            "http://127.0.0.1:/callback",
            "http://127.0.0.1:80x/callback",
            "http://127.0.0.1:123456/callback",
            "http://localhost:80/callback",
            "http://127.0.0.1.evil.test:80/callback",
            "https://127.0.0.1:80/callback",
            "",
        ] {
            assert!(!redirect_registered(&config, bad), "{bad}");
        }
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(
            with_query(
                "banter://auth/callback",
                &[("code", "a b&c"), ("state", "x")]
            ),
            "banter://auth/callback?code=a%20b%26c&state=x"
        );
    }
}
