//! Every machine-readable error code Banter hands out, in one enum.
//!
//! The code is what crosses into the UI (through `ApiError`), into the CLI's
//! `--json` output and into `ReplyFailed` events, and what scripts and screens
//! branch on; each wire string is part of that contract and must never change.
//! The codes of the shell and of the CLI live here too, so the UI can be
//! checked against one complete list.
//!
//! The list is written once, in [`error_codes!`], which derives the enum, its
//! wire string ([`ErrorCode::as_str`]) and [`ErrorCode::ALL`] from it, so no
//! variant can be left out of either.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Builds [`ErrorCode`] from `Variant => "wire_string"` entries: the enum,
/// [`ErrorCode::ALL`] and [`ErrorCode::as_str`]. The wire string must equal
/// serde's `snake_case` name of the variant (a unit test checks every one).
macro_rules! error_codes {
    ($( $(#[doc = $doc:expr])* $variant:ident => $wire:literal, )*) => {
        /// A stable, machine-readable error code; serialized as its
        /// `snake_case` name (see [`ErrorCode::as_str`]).
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, specta::Type,
        )]
        #[serde(rename_all = "snake_case")]
        pub enum ErrorCode {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [ErrorCode] = &[$(Self::$variant),*];

            /// The code as it appears on the wire (`"not_found"`, …).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $wire,)*
                }
            }
        }
    };
}

error_codes! {
    // ----- Input and lookups (core) -----
    /// A value failed validation (empty text, bad id, unparsable shortcut…);
    /// `ApiError.field` names the value.
    InvalidInput => "invalid_input",
    /// A record, page or file asked for does not exist.
    NotFound => "not_found",

    // ----- Database (core) -----
    /// SQLite stayed busy or locked past the busy timeout.
    DatabaseBusy => "database_busy",
    /// The database file is damaged or not a database; it is left untouched.
    DatabaseCorrupt => "database_corrupt",
    /// Any other SQLite failure.
    Database => "database",
    /// The database file or its folder cannot be written.
    DatabaseReadOnly => "database_read_only",
    /// The database was written by a newer Banter; it is not downgraded.
    DatabaseTooNew => "database_too_new",
    /// A schema migration failed; the database is left at its old version.
    DatabaseMigrationFailed => "database_migration_failed",
    /// The database file or data directory cannot be opened or created.
    DatabaseUnavailable => "database_unavailable",

    // ----- Credits ledger (core) -----
    /// A spend needs more credits than the balance holds;
    /// `ApiError.needed` and `ApiError.available` say how many.
    InsufficientCredits => "insufficient_credits",
    /// An idempotency key was reused for a different operation or amount.
    IdempotencyConflict => "idempotency_conflict",
    /// A refund was asked for a ledger entry that is not a spend.
    NotRefundable => "not_refundable",
    /// A purchase would add zero or fewer credits.
    InvalidAmount => "invalid_amount",
    /// The ledger's rows disagree with its cached balance.
    LedgerInconsistent => "ledger_inconsistent",

    // ----- Model provider (core) -----
    /// No chat model (endpoint, deployment or key) is configured yet.
    ProviderNotConfigured => "provider_not_configured",
    /// A chat names a model that is not configured (any more).
    ModelNotFound => "model_not_found",
    /// The provider refused the API key.
    Unauthorized => "unauthorized",
    /// The provider has no deployment or model of the configured name.
    DeploymentNotFound => "deployment_not_found",
    /// The provider is rate limiting us and retries ran out.
    RateLimited => "rate_limited",
    /// The provider's content filter refused the prompt.
    ContentFiltered => "content_filtered",
    /// The provider, or a web page being scraped, did not answer in time.
    Timeout => "timeout",
    /// The provider, or a web page being scraped, could not be reached.
    Network => "network",
    /// The provider rejected the request as malformed.
    BadRequest => "bad_request",
    /// The provider's answer could not be understood.
    BadResponse => "bad_response",
    /// The provider answered with a redirect, which is never followed (it
    /// would carry the API key elsewhere).
    ProviderRedirected => "provider_redirected",
    /// The provider endpoint is plain HTTP to a non-loopback host.
    InsecureEndpoint => "insecure_endpoint",

    // ----- Chat (core) -----
    /// The session already has a reply on its way.
    SessionBusy => "session_busy",
    /// A reply's text could not be written to its journal on disk.
    ReplyNotSaved => "reply_not_saved",
    /// A message carries more files than one message may.
    TooManyAttachments => "too_many_attachments",
    /// An attached file is larger than its kind may be.
    AttachmentTooLarge => "attachment_too_large",
    /// An attached file is neither UTF-8 text nor a supported image.
    AttachmentNotText => "attachment_not_text",
    /// An attached image is of a type vision models do not take.
    AttachmentUnsupported => "attachment_unsupported",
    /// A message with its text files is too many tokens for one message.
    AttachmentOverBudget => "attachment_over_budget",
    /// Images were attached for a model that is not marked vision-capable.
    ModelCannotSee => "model_cannot_see",
    /// An attached file could not be read from disk.
    AttachmentUnreadable => "attachment_unreadable",

    // ----- Settings and secrets (core) -----
    /// A stored setting cannot be read back.
    SettingCorrupt => "setting_corrupt",
    /// The OS keyring cannot be reached to read or store an API key.
    KeyringUnavailable => "keyring_unavailable",

    // ----- Billing (core) -----
    /// No Autumn billing key is configured.
    BillingNotConfigured => "billing_not_configured",
    /// Autumn refused the billing key.
    BillingUnauthorized => "billing_unauthorized",
    /// Autumn answered with a server error or is down.
    BillingUnavailable => "billing_unavailable",
    /// Autumn could not be reached.
    BillingNetwork => "billing_network",
    /// Autumn's answer could not be understood.
    BillingBadResponse => "billing_bad_response",
    /// Autumn refused the request.
    BillingRejected => "billing_rejected",
    /// Autumn answered about a different customer than this profile.
    BillingCustomerMismatch => "billing_customer_mismatch",
    /// The product asked for is not one Banter sells.
    UnknownProduct => "unknown_product",
    /// The checkout URL Autumn returned is not a safe https page.
    UnsafeCheckoutUrl => "unsafe_checkout_url",
    /// Autumn answered with a redirect, which is never followed.
    BillingRedirected => "billing_redirected",
    /// The Autumn endpoint is plain HTTP to a non-loopback host.
    BillingInsecureEndpoint => "billing_insecure_endpoint",
    /// A `banter://` link is malformed or not one Banter handles.
    BadDeepLink => "bad_deep_link",
    /// A webhook delivery lacks `svix-id`, `svix-timestamp` or
    /// `svix-signature`.
    WebhookMissingHeader => "webhook_missing_header",
    /// A webhook header or body is not in the shape Svix and Autumn send.
    WebhookMalformed => "webhook_malformed",
    /// A webhook was signed too long ago or too far ahead of our clock.
    WebhookTimestampOutOfRange => "webhook_timestamp_out_of_range",
    /// No signature of a webhook matches its body and our secret.
    WebhookBadSignature => "webhook_bad_signature",
    /// The configured webhook secret is not `whsec_<base64>`.
    WebhookBadSecret => "webhook_bad_secret",

    // ----- Signing in (core) -----
    /// The sign-in answer's `state` is not the one this attempt sent (another
    /// attempt's answer, or a forged one).
    SignInStateMismatch => "sign_in_state_mismatch",
    /// The sign-in provider refused (the user declined, or the code was
    /// used, expired or did not match its verifier).
    SignInRefused => "sign_in_refused",
    /// The sign-in provider could not be reached, timed out or is down.
    SignInUnavailable => "sign_in_unavailable",
    /// The sign-in provider's documents are malformed, name another issuer,
    /// or it lacks what Banter needs (code flow, PKCE S256, RS256, https).
    SignInBadProvider => "sign_in_bad_provider",
    /// The provider's ID token failed verification (signature, key,
    /// issuer, audience, expiry, issue time, nonce or a missing claim).
    IdTokenInvalid => "id_token_invalid",
    /// The sign-in answer (loopback redirect or deep link) is malformed.
    SignInBadCallback => "sign_in_bad_callback",
    /// No sign-in answer arrived in time.
    SignInTimedOut => "sign_in_timed_out",
    /// Sign-in could not start on this computer (random generator, socket).
    SignInFailed => "sign_in_failed",

    // ----- Project generation (core) -----
    /// The model's project plan is not valid JSON of the expected shape.
    InvalidModelOutput => "invalid_model_output",
    /// The model's project plan was cut off at its token limit.
    ModelOutputTruncated => "model_output_truncated",

    // ----- Web scraping (core) -----
    /// The URL is not an http(s) URL to a public host.
    BadUrl => "bad_url",
    /// The web server answered with an HTTP error status.
    HttpError => "http_error",
    /// The page is larger than the scraper accepts.
    TooLarge => "too_large",
    /// The response is neither HTML nor plain text (a PDF, an image…).
    NotAWebPage => "not_a_web_page",
    /// The page redirected more times than the scraper follows.
    TooManyRedirects => "too_many_redirects",
    /// The page has no readable text.
    EmptyPage => "empty_page",
    /// The page redirected to a private or loopback address.
    RedirectToPrivateAddress => "redirect_to_private_address",
    /// Under the hosted address policy: the address (or one its name
    /// resolves to) is not on the public internet.
    PrivateAddress => "private_address",
    /// The page's HTML is too deep or too large to extract safely.
    PageTooComplex => "page_too_complex",
    /// Extracting the page's text took too long.
    ExtractionTimeout => "extraction_timeout",

    // ----- Jobs (core) -----
    /// A paid request with the same idempotency key is still running.
    JobInProgress => "job_in_progress",
    /// A paid request with the same idempotency key failed earlier and was
    /// refunded; it needs a new key.
    JobFailed => "job_failed",

    // ----- Accounts (server) -----
    /// A request to the server carried no access token, or one it does not
    /// know: the device must sign in.
    NotSignedIn => "not_signed_in",
    /// The access token's time is up; refresh it.
    TokenExpired => "token_expired",
    /// This device was signed out (by the user, from another device, or
    /// because its refresh token was used twice); sign in again.
    DeviceRevoked => "device_revoked",
    /// A refresh token that was already used came back: it was copied, so
    /// the device it belonged to is signed out.
    RefreshTokenReused => "refresh_token_reused",
    /// The server's database cannot be reached or is not migrated yet.
    ServerNotReady => "server_not_ready",

    // ----- Hosted client (core) -----
    /// The Banter server cannot be reached (no connection, a timeout, a
    /// gateway says it is down): paid actions are refused, nothing charged.
    Offline => "offline",
    /// The Banter server's answer is not what its API promises.
    ServerBadResponse => "server_bad_response",
    /// The action runs only on this computer's own data and credits, so it
    /// is not offered while signed in to a server (yet).
    NotAvailableSignedIn => "not_available_signed_in",

    // ----- Desktop shell -----
    /// The quick-chat shortcut could not be registered (another app may
    /// hold it).
    ShortcutUnavailable => "shortcut_unavailable",
    /// The quick-chat window asked to act on a session it did not start.
    SessionNotInWindow => "session_not_in_window",
    /// A link or checkout page could not be opened in the browser.
    OpenFailed => "open_failed",
    /// A conversation export could not be written.
    ExportFailed => "export_failed",
    /// No update manifest address is configured for this build.
    UpdateNotConfigured => "update_not_configured",
    /// The update manifest address is not a valid http(s) URL.
    UpdateBadUrl => "update_bad_url",
    /// An update address is plain http to another computer (only https,
    /// or http to this computer, is used).
    UpdateInsecureUrl => "update_insecure_url",
    /// The update's signature does not match the app's update key (or
    /// names another version); the download was discarded.
    UpdateBadSignature => "update_bad_signature",
    /// The update server could not be reached or gave no usable answer.
    UpdateUnavailable => "update_unavailable",
    /// The version asked to install is no longer the one the server offers.
    UpdateNotOffered => "update_not_offered",
    /// The verified update could not be installed; the running version is
    /// kept.
    UpdateInstallFailed => "update_install_failed",
    /// An update is not installed while a reply is streaming.
    UpdateReplyStreaming => "update_reply_streaming",
    /// An update is not installed while a checkout waits for its payment.
    UpdateCheckoutPending => "update_checkout_pending",

    // ----- Desktop UI -----
    /// Never made by Rust: the UI's own code for a call into the core that
    /// failed before the core could answer (a fault of the IPC bridge).
    /// Listed so the UI's code tables are checked against it too.
    Ipc => "ipc",

    // ----- Command-line tool -----
    /// The command line was wrong (unknown command, bad value).
    InvalidArguments => "invalid_arguments",
    /// The CLI's output could not be written.
    OutputFailed => "output_failed",
    /// Anything else that went wrong outside the core (e.g. the async
    /// runtime would not start).
    Internal => "internal",
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_code_round_trips_through_serde_as_its_wire_string() {
        for &code in ErrorCode::ALL {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()), "{code:?}");
            assert_eq!(code.to_string(), code.as_str());
            let back: ErrorCode = serde_json::from_str(&json).unwrap();
            assert_eq!(back, code);
        }
    }

    #[test]
    fn wire_strings_are_unique() {
        let unique: HashSet<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(unique.len(), ErrorCode::ALL.len());
    }

    #[test]
    fn unknown_wire_strings_are_refused() {
        assert!(serde_json::from_str::<ErrorCode>("\"no_such_code\"").is_err());
        assert!(serde_json::from_str::<ErrorCode>("\"NotFound\"").is_err());
    }
}
