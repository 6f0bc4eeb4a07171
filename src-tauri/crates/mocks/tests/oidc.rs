//! `mock-oidc` on the wire: its own refusals (as an OAuth 2.0 server must
//! answer them) and the binary announcing its address with working knobs.
//! The full sign-in flows are in `tests/tests/all/sign_in.rs`.

use banter_mocks::oidc::{start_default, Misbehaviour};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client")
}

/// A valid request's query, with `overrides` replacing or adding pairs.
fn authorize_query(overrides: &[(&str, &str)]) -> String {
    let mut pairs = vec![
        ("response_type", "code"),
        ("client_id", "banter-desktop"),
        ("redirect_uri", "banter://auth/callback"),
        ("scope", "openid email"),
        ("state", "st"),
        ("nonce", "nn"),
        // base64url(SHA-256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")), RFC 7636 B.
        (
            "code_challenge",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        ),
        ("code_challenge_method", "S256"),
        ("login_hint", "user-alice"),
    ];
    for (key, value) in overrides {
        pairs.retain(|(k, _)| k != key);
        pairs.push((key, value));
    }
    pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{k}={}",
                v.replace(' ', "%20")
                    .replace(':', "%3A")
                    .replace('/', "%2F")
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[tokio::test]
async fn authorize_refuses_unknown_clients_and_redirects_in_a_page_not_a_redirect() {
    let mock = start_default().await.unwrap();
    for overrides in [
        vec![("client_id", "someone-else")],
        vec![("redirect_uri", "https://evil.test/callback")],
        vec![("redirect_uri", "http://127.0.0.1:1234/other")],
    ] {
        let url = format!(
            "{}/authorize?{}",
            mock.issuer(),
            authorize_query(&overrides)
        );
        let response = browser().get(url).send().await.unwrap();
        assert_eq!(response.status(), 400, "{overrides:?}");
        assert!(response.headers().get("location").is_none());
    }
}

#[tokio::test]
async fn authorize_sends_other_faults_back_to_the_client() {
    let mock = start_default().await.unwrap();
    for (overrides, error) in [
        (vec![("code_challenge_method", "plain")], "invalid_request"),
        (vec![("code_challenge", "short")], "invalid_request"),
        (
            vec![("response_type", "token")],
            "unsupported_response_type",
        ),
        (vec![("scope", "email")], "invalid_scope"),
        (vec![("login_hint", "nobody")], "access_denied"),
    ] {
        let url = format!(
            "{}/authorize?{}",
            mock.issuer(),
            authorize_query(&overrides)
        );
        let response = browser().get(url).send().await.unwrap();
        assert_eq!(response.status(), 302, "{overrides:?}");
        let location = response.headers()["location"].to_str().unwrap().to_string();
        assert!(
            location.starts_with(&format!("banter://auth/callback?error={error}&")),
            "{location}"
        );
        assert!(location.ends_with("&state=st"), "{location}");
    }
}

/// A token request's form fields.
type Form = &'static [(&'static str, &'static str)];

#[tokio::test]
async fn token_answers_errors_in_rfc_6749_form() {
    let mock = start_default().await.unwrap();
    let token = format!("{}/token", mock.issuer());
    let cases: [(Form, u16, &str); 3] = [
        (&[("grant_type", "password")], 400, "unsupported_grant_type"),
        (
            &[("grant_type", "authorization_code"), ("client_id", "x")],
            401,
            "invalid_client",
        ),
        (
            &[
                ("grant_type", "authorization_code"),
                ("client_id", "banter-desktop"),
                ("code", "never-issued"),
                ("redirect_uri", "banter://auth/callback"),
                (
                    "code_verifier",
                    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
                ),
            ],
            400,
            "invalid_grant",
        ),
    ];
    for (form, status, error) in cases {
        let body: String = form
            .iter()
            .map(|(k, v)| format!("{k}={}", v.replace(':', "%3A").replace('/', "%2F")))
            .collect::<Vec<_>>()
            .join("&");
        let response = reqwest::Client::new()
            .post(&token)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{form:?}");
        let json: Value = response.json().await.unwrap();
        assert_eq!(json["error"], error, "{form:?}");
    }
}

/// Kills the child it holds when the test ends, however it ends.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_binary_announces_its_address_and_serves_discovery_and_knobs() {
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_mock-oidc"))
            .args(["--port", "0", "--default-user", "user-bob"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_string();
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");

    let client = reqwest::Client::new();
    let doc: Value = client
        .get(format!("{base}/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["issuer"], base.as_str());
    assert_eq!(doc["token_endpoint"], format!("{base}/token"));
    assert_eq!(doc["code_challenge_methods_supported"][0], "S256");
    let jwks: Value = client
        .get(format!("{base}/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"][0]["kty"], "RSA");
    assert_eq!(jwks["keys"][0]["kid"], "mock-key-1");

    let knobs = Misbehaviour {
        expired: true,
        ..Misbehaviour::default()
    };
    let echoed: Misbehaviour = client
        .post(format!("{base}/__mock/misbehave"))
        .json(&knobs)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(echoed, knobs);
    let unknown = client
        .post(format!("{base}/__mock/misbehave"))
        .json(&serde_json::json!({"no_such_knob": true}))
        .send()
        .await
        .unwrap();
    assert!(unknown.status().is_client_error());
    let rotated: Value = client
        .post(format!("{base}/__mock/rotate"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rotated["kid"], "mock-key-2");

    // The configured default user is signed in without a page.
    let url = format!(
        "{base}/authorize?{}",
        authorize_query(&[("login_hint", "")])
    );
    let url = url.replace("&login_hint=", "");
    let response = browser().get(url).send().await.unwrap();
    assert_eq!(response.status(), 302);
    let location = response.headers()["location"].to_str().unwrap();
    assert!(
        location.starts_with("banter://auth/callback?code="),
        "{location}"
    );
}
