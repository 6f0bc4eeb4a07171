//! Verifying the provider's ID token (OpenID Connect Core §3.1.3.7): RS256
//! only, signed by a key of the provider's JWKS, from the configured
//! issuer, for this client, not expired, issued recently, carrying this
//! sign-in's nonce and a subject.

use super::error::{AccountError, Result};
use super::jwks::JwksCache;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use serde::Deserialize;
use std::collections::HashSet;
use std::time::Duration;

/// How far the provider's clock may be off from ours, for `exp` and `iat`.
pub const CLOCK_LEEWAY: Duration = Duration::from_secs(60);
/// An ID token issued longer ago than this is refused: it was just minted
/// by the code exchange, so an old one is a replay.
pub const MAX_ID_TOKEN_AGE: Duration = Duration::from_secs(10 * 60);
/// The only signature algorithm accepted.
pub const ALGORITHM: &str = "RS256";

/// Who signed in, as the provider vouches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedIdentity {
    pub issuer: String,
    /// The provider's stable id for the user; with `issuer`, the account key.
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    pub name: Option<String>,
    pub issued_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, Deserialize)]
struct Claims {
    iss: Option<String>,
    sub: Option<String>,
    aud: Option<Audience>,
    azp: Option<String>,
    exp: Option<i64>,
    iat: Option<i64>,
    nonce: Option<String>,
    email: Option<String>,
    email_verified: Option<bool>,
    name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

/// Checks ID tokens of one provider for one client.
#[derive(Debug)]
pub struct IdTokenVerifier {
    issuer: String,
    client_id: String,
    jwks: JwksCache,
}

impl IdTokenVerifier {
    pub fn new(issuer: &str, client_id: &str, jwks: JwksCache) -> Self {
        Self {
            issuer: issuer.to_string(),
            client_id: client_id.to_string(),
            jwks,
        }
    }

    /// Verifies `token` against the sign-in's `nonce` at time `now`.
    pub async fn verify(
        &self,
        token: &str,
        nonce: &str,
        now: DateTime<Utc>,
    ) -> Result<VerifiedIdentity> {
        let alg = header_algorithm(token)?;
        if alg != ALGORITHM {
            return Err(AccountError::UnsupportedAlgorithm(alg));
        }
        let header = jsonwebtoken::decode_header(token)
            .map_err(|e| AccountError::MalformedIdToken(e.to_string()))?;
        let key = self.jwks.key_for(header.kid.as_deref()).await?;
        // The signature is checked by jsonwebtoken; the claims below, here,
        // against the caller's clock and with typed errors.
        let mut validation = Validation::new(Algorithm::RS256);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims = HashSet::new();
        let claims = jsonwebtoken::decode::<Claims>(token, &key, &validation)
            .map_err(|e| match e.kind() {
                ErrorKind::InvalidSignature => AccountError::BadSignature,
                ErrorKind::InvalidAlgorithm => AccountError::UnsupportedAlgorithm(alg.clone()),
                _ => AccountError::MalformedIdToken(e.to_string()),
            })?
            .claims;
        self.check_claims(claims, nonce, now.timestamp())
    }

    fn check_claims(&self, claims: Claims, nonce: &str, now: i64) -> Result<VerifiedIdentity> {
        let iss = claims.iss.ok_or(AccountError::MissingClaim("iss"))?;
        if iss != self.issuer {
            return Err(AccountError::WrongIssuer {
                expected: self.issuer.clone(),
                found: iss,
            });
        }
        let audiences = match claims.aud.ok_or(AccountError::MissingClaim("aud"))? {
            Audience::One(aud) => vec![aud],
            Audience::Many(list) => list,
        };
        if !audiences.contains(&self.client_id) {
            return Err(AccountError::WrongAudience);
        }
        // Several audiences, or an `azp` at all: it must name this client.
        if (audiences.len() > 1 || claims.azp.is_some())
            && claims.azp.as_deref() != Some(self.client_id.as_str())
        {
            return Err(AccountError::WrongAudience);
        }
        let leeway = secs(CLOCK_LEEWAY);
        let exp = claims.exp.ok_or(AccountError::MissingClaim("exp"))?;
        if now > exp.saturating_add(leeway) {
            return Err(AccountError::Expired);
        }
        let iat = claims.iat.ok_or(AccountError::MissingClaim("iat"))?;
        if iat > now.saturating_add(leeway) || iat < now.saturating_sub(secs(MAX_ID_TOKEN_AGE)) {
            return Err(AccountError::BadIssueTime);
        }
        let token_nonce = claims.nonce.ok_or(AccountError::MissingClaim("nonce"))?;
        if !super::pkce::constant_time_eq(&token_nonce, nonce) {
            return Err(AccountError::NonceMismatch);
        }
        let subject = claims
            .sub
            .filter(|s| !s.is_empty())
            .ok_or(AccountError::MissingClaim("sub"))?;
        Ok(VerifiedIdentity {
            issuer: iss,
            subject,
            email: claims.email,
            email_verified: claims.email_verified,
            name: claims.name,
            issued_at: iat,
            expires_at: exp,
        })
    }
}

fn secs(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

/// The header's `alg` as written, read before anything else so `none` and
/// HMAC tokens are refused by name (jsonwebtoken would call them malformed).
fn header_algorithm(token: &str) -> Result<String> {
    let malformed = || AccountError::MalformedIdToken("not a signed JWT".into());
    let mut parts = token.split('.');
    let (Some(header), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed());
    };
    let bytes = URL_SAFE_NO_PAD.decode(header).map_err(|_| malformed())?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| malformed())?;
    value
        .get("alg")
        .and_then(serde_json::Value::as_str)
        .map(str::to_string)
        .ok_or_else(malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unsigned(header: &str, claims: &str) -> String {
        format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(claims)
        )
    }

    const ISS: &str = "http://127.0.0.1:9/issuer";
    const CLIENT: &str = "banter-desktop";
    const NOW: i64 = 1_800_000_000;

    fn verifier() -> IdTokenVerifier {
        // Never fetched: these tests check claims only.
        let jwks = JwksCache::new(
            reqwest::Client::new(),
            "http://127.0.0.1:9/jwks".parse().unwrap(),
        );
        IdTokenVerifier::new(ISS, CLIENT, jwks)
    }

    fn claims(edit: impl FnOnce(&mut serde_json::Value)) -> Claims {
        let mut value = serde_json::json!({
            "iss": ISS, "sub": "u1", "aud": CLIENT, "exp": NOW + 300, "iat": NOW,
            "nonce": "n1", "email": "a@example.test",
        });
        edit(&mut value);
        serde_json::from_value(value).unwrap()
    }

    fn check(edit: impl FnOnce(&mut serde_json::Value)) -> Result<VerifiedIdentity> {
        verifier().check_claims(claims(edit), "n1", NOW)
    }

    #[test]
    fn good_claims_give_the_identity() {
        let identity = check(|_| {}).unwrap();
        assert_eq!(identity.subject, "u1");
        assert_eq!(identity.email.as_deref(), Some("a@example.test"));
        // Within the leeway on either side.
        let leeway = secs(CLOCK_LEEWAY);
        assert!(check(|c| c["exp"] = (NOW - leeway).into()).is_ok());
        assert!(check(|c| c["iat"] = (NOW + leeway).into()).is_ok());
        assert!(check(|c| {
            c["aud"] = serde_json::json!([CLIENT, "other"]);
            c["azp"] = CLIENT.into();
        })
        .is_ok());
    }

    /// A change to the good claims.
    type Edit = Box<dyn FnOnce(&mut serde_json::Value)>;

    #[test]
    fn each_bad_claim_has_its_own_error() {
        let leeway = secs(CLOCK_LEEWAY);
        let too_old = NOW - secs(MAX_ID_TOKEN_AGE) - 1;
        let table: Vec<(Edit, AccountError)> = vec![
            (
                Box::new(move |c| c["exp"] = (NOW - leeway - 1).into()),
                AccountError::Expired,
            ),
            (
                Box::new(move |c| c["iat"] = (NOW + leeway + 1).into()),
                AccountError::BadIssueTime,
            ),
            (
                Box::new(move |c| c["iat"] = too_old.into()),
                AccountError::BadIssueTime,
            ),
            (
                Box::new(|c| c["nonce"] = "n2".into()),
                AccountError::NonceMismatch,
            ),
            (
                Box::new(|c| c["aud"] = "other".into()),
                AccountError::WrongAudience,
            ),
            (
                Box::new(|c| c["aud"] = serde_json::json!([CLIENT, "other"])),
                AccountError::WrongAudience,
            ),
            (
                Box::new(|c| c["azp"] = "other".into()),
                AccountError::WrongAudience,
            ),
            (
                Box::new(|c| c["sub"] = "".into()),
                AccountError::MissingClaim("sub"),
            ),
            (
                Box::new(|c| {
                    c.as_object_mut().unwrap().remove("sub");
                }),
                AccountError::MissingClaim("sub"),
            ),
            (
                Box::new(|c| {
                    c.as_object_mut().unwrap().remove("nonce");
                }),
                AccountError::MissingClaim("nonce"),
            ),
            (
                Box::new(|c| {
                    c.as_object_mut().unwrap().remove("exp");
                }),
                AccountError::MissingClaim("exp"),
            ),
            (
                Box::new(|c| c["iss"] = format!("{ISS}/").into()),
                AccountError::WrongIssuer {
                    expected: ISS.into(),
                    found: format!("{ISS}/"),
                },
            ),
        ];
        for (edit, expected) in table {
            let err = check(edit).unwrap_err();
            assert_eq!(err, expected);
            assert_eq!(err.code(), crate::ErrorCode::IdTokenInvalid);
        }
    }

    #[test]
    fn none_and_hmac_are_refused_by_name() {
        let none = unsigned(r#"{"alg":"none"}"#, r#"{"sub":"x"}"#);
        assert_eq!(header_algorithm(&none).unwrap(), "none");
        let hs = unsigned(r#"{"alg":"HS256","typ":"JWT"}"#, "{}");
        assert_eq!(header_algorithm(&hs).unwrap(), "HS256");
        for bad in ["", "a.b", "a.b.c.d", "!!.b.c"] {
            assert!(matches!(
                header_algorithm(bad),
                Err(AccountError::MalformedIdToken(_))
            ));
        }
    }
}
