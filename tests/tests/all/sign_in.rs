//! Signing in with OpenID Connect against `mock-oidc` over real HTTP on
//! 127.0.0.1: the client half (authorization URL, the answer through the
//! `banter://auth/callback` deep link or the CLI's loopback listener,
//! `state` checked) and the server half (code exchange, ID-token
//! verification), and each refusal as its own typed error.

use banter_core::account::id_token::IdTokenVerifier;
use banter_core::account::jwks::JwksCache;
use banter_core::account::{
    AccountError, AuthorizationResponse, ClientCredentials, CodeGrant, LoopbackListener,
    OidcProvider, SignInAttempt,
};
use banter_core::billing::deep_link::{self, DeepLink};
use banter_core::ErrorCode;
use banter_mocks::oidc::{start_oidc, Misbehaviour, OidcConfig, OidcServer};
use chrono::Utc;
use std::time::Duration;

const APP_REDIRECT: &str = "banter://auth/callback";

async fn mock_with(config: OidcConfig) -> OidcServer {
    start_oidc(config, ([127, 0, 0, 1], 0).into())
        .await
        .expect("start mock-oidc")
}

/// The mock, signing Alice in at once (no page).
async fn mock() -> OidcServer {
    mock_with(OidcConfig {
        default_user: Some("user-alice".into()),
        ..OidcConfig::default()
    })
    .await
}

async fn provider(mock: &OidcServer) -> OidcProvider {
    provider_with_secret(mock, None).await
}

async fn provider_with_secret(mock: &OidcServer, secret: Option<&str>) -> OidcProvider {
    OidcProvider::discover(
        &mock.issuer(),
        ClientCredentials {
            client_id: mock.client_id().to_string(),
            client_secret: secret.map(str::to_string),
        },
    )
    .await
    .expect("discover mock-oidc")
}

/// The system browser: follows nothing, so each hop is seen.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client")
}

/// Opens `url` in the "browser" and returns where the provider redirects.
async fn redirect_from(url: &str) -> String {
    let response = browser().get(url).send().await.expect("authorize");
    let status = response.status();
    let location = response
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .map(str::to_string);
    assert_eq!(status, 302, "{location:?}");
    location.expect("a Location")
}

/// The app's path: the redirect arrives as a deep link and goes through
/// the strict parser.
async fn answer_through_deep_link(attempt: &SignInAttempt) -> AuthorizationResponse {
    let location = redirect_from(attempt.authorization_url().as_str()).await;
    assert!(
        location.starts_with("banter://auth/callback?"),
        "{location}"
    );
    match deep_link::parse(&location).expect("a valid link") {
        DeepLink::AuthCallback(answer) => answer,
        other => panic!("not a sign-in link: {other:?}"),
    }
}

/// An attempt for the app, signed in at the mock, with its grant.
async fn grant_for(provider: &OidcProvider) -> CodeGrant {
    let attempt = provider.begin(APP_REDIRECT).expect("begin");
    let answer = answer_through_deep_link(&attempt).await;
    attempt.finish(answer).expect("finish")
}

async fn sign_in(
    provider: &OidcProvider,
) -> Result<banter_core::account::VerifiedIdentity, AccountError> {
    let grant = grant_for(provider).await;
    provider.complete(&grant, Utc::now()).await
}

#[tokio::test]
async fn the_app_signs_in_through_the_deep_link() {
    let mock = mock().await;
    let provider = provider(&mock).await;
    let attempt = provider.begin(APP_REDIRECT).unwrap();
    let url = attempt.authorization_url().as_str().to_string();
    assert!(
        url.starts_with(&format!("{}/authorize?", mock.issuer())),
        "{url}"
    );
    for part in [
        "response_type=code",
        "code_challenge_method=S256",
        "scope=openid+email+profile",
        "redirect_uri=banter%3A%2F%2Fauth%2Fcallback",
    ] {
        assert!(url.contains(part), "{part} missing in {url}");
    }
    let answer = answer_through_deep_link(&attempt).await;
    let grant = attempt.finish(answer).unwrap();
    assert_eq!(grant.redirect_uri, APP_REDIRECT);
    assert!(
        !url.contains(&grant.code_verifier),
        "the verifier never leaves the client"
    );

    let identity = provider.complete(&grant, Utc::now()).await.unwrap();
    assert_eq!(identity.subject, "user-alice");
    assert_eq!(identity.email.as_deref(), Some("alice@example.test"));
    assert_eq!(identity.name.as_deref(), Some("Alice Example"));
    assert_eq!(identity.issuer, mock.issuer());
    assert_eq!(mock.tokens_issued(), 1);
}

#[tokio::test]
async fn the_cli_signs_in_through_the_loopback_listener() {
    let mock = mock().await;
    let provider = provider(&mock).await;
    let listener = LoopbackListener::bind().await.unwrap();
    let redirect_uri = listener.redirect_uri().to_string();
    assert!(
        redirect_uri.starts_with("http://127.0.0.1:"),
        "{redirect_uri}"
    );
    assert!(redirect_uri.ends_with("/callback"));
    let attempt = provider.begin(&redirect_uri).unwrap();
    let waiting = tokio::spawn(listener.wait(Duration::from_secs(20)));

    // A browser's stray request to another path is answered 404 and the
    // listener keeps waiting.
    let origin = redirect_uri.trim_end_matches("/callback");
    let stray = browser()
        .get(format!("{origin}/favicon.ico"))
        .send()
        .await
        .unwrap();
    assert_eq!(stray.status(), 404);

    let location = redirect_from(attempt.authorization_url().as_str()).await;
    assert!(
        location.starts_with(&format!("{redirect_uri}?code=")),
        "{location}"
    );
    let page = browser().get(&location).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("You can close this tab"));

    let answer = waiting.await.unwrap().unwrap();
    let grant = attempt.finish(answer).unwrap();
    let identity = provider.complete(&grant, Utc::now()).await.unwrap();
    assert_eq!(identity.subject, "user-alice");
    assert_eq!(identity.email.as_deref(), Some("alice@example.test"));
}

#[tokio::test]
async fn a_refusal_through_the_loopback_listener_is_the_providers_own_error() {
    let mock = mock().await;
    let provider = provider(&mock).await;
    let listener = LoopbackListener::bind().await.unwrap();
    let attempt = provider.begin(listener.redirect_uri()).unwrap();
    let waiting = tokio::spawn(listener.wait(Duration::from_secs(20)));
    let url = format!("{}&login_hint=nobody", attempt.authorization_url());
    let location = redirect_from(&url).await;
    assert!(location.contains("error=access_denied"), "{location}");
    let page = browser().get(&location).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let answer = waiting.await.unwrap().unwrap();
    let err = attempt.finish(answer).unwrap_err();
    assert!(
        matches!(&err, AccountError::AuthorizationRefused { error, .. } if error == "access_denied"),
        "{err:?}"
    );
    assert_eq!(mock.tokens_issued(), 0);
}

#[tokio::test]
async fn the_loopback_listener_gives_up_after_its_timeout() {
    let listener = LoopbackListener::bind().await.unwrap();
    let err = listener.wait(Duration::from_millis(200)).await.unwrap_err();
    assert_eq!(err, AccountError::TimedOut);
    assert_eq!(err.code(), ErrorCode::SignInTimedOut);
}

#[tokio::test]
async fn the_sign_in_page_offers_each_test_user_and_signs_the_chosen_one_in() {
    let mock = mock_with(OidcConfig::default()).await;
    let provider = provider(&mock).await;
    let attempt = provider.begin(APP_REDIRECT).unwrap();
    let page = browser()
        .get(attempt.authorization_url().as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains(r#"name="login_hint" value="user-alice""#),
        "{html}"
    );
    assert!(
        html.contains(r#"name="login_hint" value="user-bob""#),
        "{html}"
    );

    // The button submits the same request with `login_hint`.
    let chosen = format!("{}&login_hint=user-bob", attempt.authorization_url());
    let location = redirect_from(&chosen).await;
    let DeepLink::AuthCallback(answer) = deep_link::parse(&location).unwrap() else {
        panic!("{location}");
    };
    let grant = attempt.finish(answer).unwrap();
    let identity = provider.complete(&grant, Utc::now()).await.unwrap();
    assert_eq!(identity.subject, "user-bob");
    assert_eq!(identity.email.as_deref(), Some("bob@example.test"));
}

#[tokio::test]
async fn a_foreign_state_is_refused_before_any_exchange() {
    let mock = mock().await;
    let provider = provider(&mock).await;
    let mine = provider.begin(APP_REDIRECT).unwrap();
    let other = provider.begin(APP_REDIRECT).unwrap();
    assert_ne!(mine.state(), other.state());
    // The other attempt's real answer, handed to this one.
    let answer = answer_through_deep_link(&other).await;
    let err = mine.finish(answer.clone()).unwrap_err();
    assert_eq!(err, AccountError::StateMismatch);
    assert_eq!(err.code(), ErrorCode::SignInStateMismatch);
    // A forged refusal naming another state is refused the same way.
    let forged = AuthorizationResponse::Error {
        error: "access_denied".into(),
        description: None,
        state: Some(other.state().to_string()),
    };
    assert_eq!(
        mine.finish(forged).unwrap_err(),
        AccountError::StateMismatch
    );
    assert_eq!(mock.tokens_issued(), 0, "nothing was exchanged");
    // The answer still belongs to its own attempt.
    assert!(other.finish(answer).is_ok());
}

#[tokio::test]
async fn the_providers_refusal_reaches_the_client_as_its_own_error() {
    let mock = mock().await;
    let provider = provider(&mock).await;
    let attempt = provider.begin(APP_REDIRECT).unwrap();
    let url = format!("{}&login_hint=nobody", attempt.authorization_url());
    let location = redirect_from(&url).await;
    let DeepLink::AuthCallback(answer) = deep_link::parse(&location).unwrap() else {
        panic!("{location}");
    };
    let err = attempt.finish(answer).unwrap_err();
    assert!(
        matches!(&err, AccountError::AuthorizationRefused { error, .. } if error == "access_denied"),
        "{err:?}"
    );
    assert_eq!(err.code(), ErrorCode::SignInRefused);
}

async fn refused_with(misbehaviour: Misbehaviour) -> AccountError {
    let mock = mock().await;
    let provider = provider(&mock).await;
    mock.misbehave(misbehaviour);
    let err = sign_in(&provider).await.expect_err("refused");
    assert_eq!(err.code(), ErrorCode::IdTokenInvalid, "{err:?}");
    assert_eq!(
        mock.tokens_issued(),
        1,
        "the token was issued and then refused"
    );
    err
}

#[tokio::test]
async fn a_token_for_another_audience_is_refused() {
    let err = refused_with(Misbehaviour {
        wrong_audience: true,
        ..Misbehaviour::default()
    })
    .await;
    assert_eq!(err, AccountError::WrongAudience);
}

#[tokio::test]
async fn an_expired_id_token_is_refused() {
    let err = refused_with(Misbehaviour {
        expired: true,
        ..Misbehaviour::default()
    })
    .await;
    assert_eq!(err, AccountError::Expired);
}

#[tokio::test]
async fn a_token_from_another_issuer_is_refused() {
    let err = refused_with(Misbehaviour {
        wrong_issuer: true,
        ..Misbehaviour::default()
    })
    .await;
    assert!(matches!(err, AccountError::WrongIssuer { .. }), "{err:?}");
}

#[tokio::test]
async fn an_unknown_signing_key_is_refused_after_one_jwks_refetch() {
    let mock = mock().await;
    let provider = provider(&mock).await;
    sign_in(&provider).await.unwrap();
    assert_eq!(mock.jwks_fetches(), 1);
    // Cached: a second good sign-in fetches nothing.
    sign_in(&provider).await.unwrap();
    assert_eq!(mock.jwks_fetches(), 1);

    mock.misbehave(Misbehaviour {
        unlisted_key: true,
        ..Misbehaviour::default()
    });
    let err = sign_in(&provider).await.unwrap_err();
    assert_eq!(err, AccountError::UnknownSigningKey);
    assert_eq!(err.code(), ErrorCode::IdTokenInvalid);
    assert_eq!(mock.jwks_fetches(), 2, "exactly one refetch, then refused");
}

#[tokio::test]
async fn a_rotated_signing_key_is_found_by_the_one_refetch() {
    let mock = mock().await;
    let provider = provider(&mock).await;
    sign_in(&provider).await.unwrap();
    assert_eq!(mock.jwks_fetches(), 1);
    mock.rotate_key().unwrap();
    let identity = sign_in(&provider).await.unwrap();
    assert_eq!(identity.subject, "user-alice");
    assert_eq!(mock.jwks_fetches(), 2);
}

#[tokio::test]
async fn a_wrong_nonce_is_refused() {
    let mock = mock().await;
    let provider = provider(&mock).await;
    let mut grant = grant_for(&provider).await;
    let other = grant_for(&provider).await;
    grant.nonce = other.nonce.clone();
    let err = provider.complete(&grant, Utc::now()).await.unwrap_err();
    assert_eq!(err, AccountError::NonceMismatch);
    assert_eq!(err.code(), ErrorCode::IdTokenInvalid);
}

#[tokio::test]
async fn a_code_is_exchanged_only_once() {
    let mock = mock().await;
    let provider = provider(&mock).await;
    let grant = grant_for(&provider).await;
    provider.complete(&grant, Utc::now()).await.unwrap();
    let err = provider.complete(&grant, Utc::now()).await.unwrap_err();
    assert!(
        matches!(&err, AccountError::TokenRefused { error, .. } if error == "invalid_grant"),
        "{err:?}"
    );
    assert_eq!(err.code(), ErrorCode::SignInRefused);
    assert_eq!(mock.tokens_issued(), 1);
}

#[tokio::test]
async fn a_wrong_pkce_verifier_is_refused_and_burns_the_code() {
    let mock = mock().await;
    let provider = provider(&mock).await;
    let mut grant = grant_for(&provider).await;
    let right = grant.code_verifier.clone();
    grant.code_verifier = grant_for(&provider).await.code_verifier;
    assert_ne!(grant.code_verifier, right);
    let err = provider.complete(&grant, Utc::now()).await.unwrap_err();
    assert!(
        matches!(&err, AccountError::TokenRefused { error, .. } if error == "invalid_grant"),
        "{err:?}"
    );
    // The code is gone: the right verifier no longer helps an interceptor.
    grant.code_verifier = right;
    assert!(provider.complete(&grant, Utc::now()).await.is_err());
    assert_eq!(mock.tokens_issued(), 0);
}

#[tokio::test]
async fn a_confidential_client_authenticates_with_its_secret() {
    let mock = mock_with(OidcConfig {
        client_secret: Some("s3cret".into()),
        default_user: Some("user-alice".into()),
        ..OidcConfig::default()
    })
    .await;
    let wrong = provider_with_secret(&mock, Some("guess")).await;
    let err = sign_in(&wrong).await.unwrap_err();
    assert!(
        matches!(&err, AccountError::TokenRefused { error, .. } if error == "invalid_client"),
        "{err:?}"
    );
    let public = provider(&mock).await;
    assert!(matches!(
        sign_in(&public).await.unwrap_err(),
        AccountError::TokenRefused { .. }
    ));
    let right = provider_with_secret(&mock, Some("s3cret")).await;
    assert_eq!(sign_in(&right).await.unwrap().subject, "user-alice");
}

#[tokio::test]
async fn the_discovery_document_must_name_the_configured_issuer_exactly() {
    let mock = mock().await;
    let credentials = ClientCredentials {
        client_id: mock.client_id().to_string(),
        client_secret: None,
    };
    let err = OidcProvider::discover(&format!("{}/", mock.issuer()), credentials.clone())
        .await
        .unwrap_err();
    assert!(
        matches!(err, AccountError::IssuerMismatch { .. }),
        "{err:?}"
    );
    assert_eq!(err.code(), ErrorCode::SignInBadProvider);
    // A provider that is not there is unavailable, not malformed.
    let gone = format!(
        "http://{}",
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
    );
    let err = OidcProvider::discover(&gone, credentials)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::SignInUnavailable, "{err:?}");
}

#[tokio::test]
async fn unsigned_and_hmac_tokens_are_refused_by_name() {
    let mock = mock().await;
    let jwks = JwksCache::new(
        reqwest::Client::new(),
        format!("{}/jwks", mock.issuer()).parse().unwrap(),
    );
    let verifier = IdTokenVerifier::new(&mock.issuer(), mock.client_id(), jwks);
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let claims = format!(
        r#"{{"iss":"{}","sub":"x","aud":"{}","exp":9999999999,"iat":{},"nonce":"n"}}"#,
        mock.issuer(),
        mock.client_id(),
        Utc::now().timestamp()
    );
    for alg in ["none", "HS256"] {
        let token = format!(
            "{}.{}.{}",
            b64(&format!(r#"{{"alg":"{alg}"}}"#)),
            b64(&claims),
            b64("sig")
        );
        let err = verifier.verify(&token, "n", Utc::now()).await.unwrap_err();
        assert_eq!(err, AccountError::UnsupportedAlgorithm(alg.into()));
    }
    assert_eq!(
        mock.jwks_fetches(),
        0,
        "refused before any key is looked up"
    );
}

/// A bare HTTP server on 127.0.0.1 answering each path with a fixed raw
/// response (404 otherwise), counting the requests it gets — for provider
/// faults `mock-oidc` does not play.
struct RawServer {
    base: String,
    hits: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn raw_server(routes: impl Fn(&str) -> Vec<(String, String)>) -> RawServer {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let routes = routes(&base);
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = hits.clone();
    let task = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            let head = String::from_utf8_lossy(&head);
            let path = head.split(' ').nth(1).unwrap_or("");
            let response = routes
                .iter()
                .find(|(p, _)| p == path)
                .map(|(_, r)| r.clone())
                .unwrap_or_else(|| {
                    "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_string()
                });
            let _ = stream.write_all(response.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
    });
    RawServer { base, hits, task }
}

fn json_response(body: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

fn discovery_doc(base: &str, token_endpoint: &str) -> String {
    format!(
        r#"{{"issuer":"{base}","authorization_endpoint":"{base}/authorize","token_endpoint":"{token_endpoint}","jwks_uri":"{base}/jwks","response_types_supported":["code"],"id_token_signing_alg_values_supported":["RS256"],"code_challenge_methods_supported":["S256"]}}"#
    )
}

fn any_grant() -> CodeGrant {
    CodeGrant {
        code: "code".into(),
        code_verifier: "v".repeat(43),
        redirect_uri: APP_REDIRECT.into(),
        nonce: "n".into(),
    }
}

fn public_client() -> ClientCredentials {
    ClientCredentials {
        client_id: "banter-desktop".into(),
        client_secret: None,
    }
}

#[tokio::test]
async fn a_redirecting_token_endpoint_is_refused_not_followed() {
    let elsewhere = raw_server(|_| Vec::new()).await;
    let target = format!("{}/steal", elsewhere.base);
    let provider_server = raw_server(|base| {
        vec![
            (
                "/.well-known/openid-configuration".to_string(),
                json_response(&discovery_doc(base, &format!("{base}/token"))),
            ),
            (
                "/token".to_string(),
                format!("HTTP/1.1 307 Temporary Redirect\r\nLocation: {target}\r\nContent-Length: 0\r\n\r\n"),
            ),
        ]
    })
    .await;
    let provider = OidcProvider::discover(&provider_server.base, public_client())
        .await
        .unwrap();
    let err = provider
        .complete(&any_grant(), Utc::now())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, AccountError::Redirected { status: 307, location } if location == &target),
        "{err:?}"
    );
    assert_eq!(err.code(), ErrorCode::SignInUnavailable);
    assert_eq!(
        elsewhere.hits.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "the code and verifier went nowhere else"
    );
}

#[tokio::test]
async fn a_failing_token_endpoint_is_unavailable_and_transient() {
    let server = raw_server(|base| {
        vec![
            (
                "/.well-known/openid-configuration".to_string(),
                json_response(&discovery_doc(base, &format!("{base}/token"))),
            ),
            (
                "/token".to_string(),
                "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n".to_string(),
            ),
        ]
    })
    .await;
    let provider = OidcProvider::discover(&server.base, public_client())
        .await
        .unwrap();
    let err = provider
        .complete(&any_grant(), Utc::now())
        .await
        .unwrap_err();
    assert_eq!(err, AccountError::Unavailable { status: 503 });
    assert!(err.is_transient());
}

#[tokio::test]
async fn a_plain_http_endpoint_off_this_computer_is_refused_before_any_request() {
    // The address is only text here: it is refused before anything connects.
    let server = raw_server(|base| {
        vec![(
            "/.well-known/openid-configuration".to_string(),
            json_response(&discovery_doc(base, "http://login.example.test/token")),
        )]
    })
    .await;
    let err = OidcProvider::discover(&server.base, public_client())
        .await
        .unwrap_err();
    assert!(matches!(err, AccountError::Unsupported(_)), "{err:?}");
    assert_eq!(err.code(), ErrorCode::SignInBadProvider);
    assert_eq!(server.hits.load(std::sync::atomic::Ordering::SeqCst), 1);
}
