//! Request fingerprints: what binds an idempotency key to the request it was
//! first used for, as Stripe's keys are bound to their parameters.
//!
//! A spend stores the fingerprint of its request beside its key. A retry
//! with the same key must carry the same fingerprint: then it replays the
//! first result; otherwise it is refused as `idempotency_conflict` and
//! charges nothing. Without this, a key reused by mistake for another message
//! would silently return the earlier exchange as if the new one had been sent.
//!
//! The fingerprint covers what the user pays for and what is recorded: the
//! action and its content (the session and message, the description, the
//! page address and target project). Options that only shape the prompt,
//! such as including project context in a chat, are not part of it.

use super::costs::Action;
use sha2::{Digest, Sha256};

/// Versions the encoding below, so a future change cannot match old rows by
/// accident.
const DOMAIN: &[u8] = b"banter-request-fingerprint-v1";

/// SHA-256, as 64 lowercase hex digits, of a canonical encoding of a paid
/// request: a domain tag, the action's name and each part, every field
/// length-prefixed (so `("ab", "c")` and `("a", "bc")` differ).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// A chat message: the session it goes to (by row id, so `CH-000001`
    /// and `1` are the same request) and its trimmed text.
    pub fn chat_message(session_id: i64, content: &str) -> Self {
        Self::of(Action::ChatMessage, &[&session_id.to_string(), content])
    }

    /// A user message edited and sent again: as [`Self::chat_message`], and
    /// the message (row id) it is another version of.
    pub fn chat_edit(session_id: i64, edited: i64, content: &str) -> Self {
        let edited = format!("edit:{edited}");
        Self::of(
            Action::ChatMessage,
            &[&session_id.to_string(), content, &edited],
        )
    }

    /// A chat message (or, with `edited`, an edit) that carries files: as
    /// [`Self::chat_message`] / [`Self::chat_edit`], and the digest of the
    /// files (`chat::attachments::digest`), so a key reused with other files
    /// is a conflict, not a replay.
    pub fn chat_with_files(
        session_id: i64,
        edited: Option<i64>,
        content: &str,
        files: &str,
    ) -> Self {
        let edited = edited.map_or_else(String::new, |e| format!("edit:{e}"));
        let files = format!("files:{files}");
        Self::of(
            Action::ChatMessage,
            &[&session_id.to_string(), content, &edited, &files],
        )
    }

    /// An AI project generation: the trimmed description.
    pub fn project_generation(prompt: &str) -> Self {
        Self::of(Action::ProjectGeneration, &[prompt])
    }

    /// A URL scrape: the parsed (normalised) address and the project it
    /// feeds, or none for "start a new project".
    pub fn url_scrape(url: &str, project_id: Option<i64>) -> Self {
        let target = project_id.map_or_else(|| "new".to_string(), |id| id.to_string());
        Self::of(Action::UrlScrape, &[url, &target])
    }

    fn of(action: Action, parts: &[&str]) -> Self {
        let mut hash = Sha256::new();
        for field in [DOMAIN, action.as_str().as_bytes()]
            .into_iter()
            .chain(parts.iter().map(|p| p.as_bytes()))
        {
            hash.update((field.len() as u64).to_be_bytes());
            hash.update(field);
        }
        let hex = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
        Self(hex)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_requests_have_equal_fingerprints() {
        let a = Fingerprint::chat_message(1, "hello");
        assert_eq!(a, Fingerprint::chat_message(1, "hello"));
        assert_eq!(a.as_str().len(), 64);
        assert!(a.as_str().bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn any_difference_changes_the_fingerprint() {
        let base = Fingerprint::chat_message(1, "hello");
        assert_ne!(base, Fingerprint::chat_message(2, "hello"));
        assert_ne!(base, Fingerprint::chat_message(1, "hello!"));
        assert_ne!(base, Fingerprint::chat_edit(1, 7, "hello"));
        assert_ne!(
            Fingerprint::chat_edit(1, 7, "hello"),
            Fingerprint::chat_edit(1, 8, "hello")
        );
        // Length prefixes keep field boundaries: "1"+"1x" is not "11"+"x".
        assert_ne!(
            Fingerprint::chat_message(1, "1x"),
            Fingerprint::chat_message(11, "x")
        );
        // The action is part of it.
        assert_ne!(
            Fingerprint::project_generation("a"),
            Fingerprint::of(Action::UrlScrape, &["a"])
        );
        assert_ne!(
            Fingerprint::url_scrape("https://a.test/", None),
            Fingerprint::url_scrape("https://a.test/", Some(1))
        );
    }
}
