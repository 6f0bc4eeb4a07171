//! The mock's answers: deterministic text from the request (so tests can
//! assert it exactly) and token counts shaped like Azure's.

use serde_json::Value;

/// The text of the last user message, with a note per image it carries
/// (`[image/png image, 67 bytes]`), so tests see what arrived.
pub fn last_user_message(body: &Value) -> String {
    let Some(content) = body["messages"]
        .as_array()
        .and_then(|m| m.iter().rev().find(|m| m["role"] == "user"))
        .map(|m| &m["content"])
    else {
        return String::new();
    };
    let mut text = crate::content::text(content);
    for image in crate::content::images(content) {
        text.push_str(&format!(" [{} image, {} bytes]", image.mime, image.bytes));
    }
    text
}

/// The reply as chunks of one word each (with the space after it).
pub fn reply_chunks(body: &Value, filler_words: usize) -> Vec<String> {
    let last = last_user_message(body);
    let directive = parse_words_directive(&last);
    let mut text = format!("Mock reply to: {last}");
    for i in 1..=directive.unwrap_or(filler_words) {
        text.push_str(&format!(" word{i}"));
    }
    let mut chunks: Vec<String> = text.split_inclusive(' ').map(str::to_string).collect();
    if chunks.is_empty() {
        chunks.push(text);
    }
    chunks
}

/// A reply that tries to drive the terminal it is printed on: OSC 0 (set
/// the window title), OSC 52 (write the clipboard), CSI 2J (clear the
/// screen), BEL, and the one-character C1 CSI (U+009B), around ordinary
/// text, emoji, CJK and right-to-left text that must survive untouched.
pub const HOSTILE_REPLY: &str = "Title: \u{1b}]0;pwned title\u{7} clipboard: \u{1b}]52;c;ZWNobyBwd25lZA==\u{7} clear: \u{1b}[2J bell: \u{7} c1: \u{9b}31m red. Kept: 🎉 日本語 שלום.";

/// [`HOSTILE_REPLY`] in chunks cut inside its escape sequences, so a client
/// that cleaned each chunk by looking for whole sequences would miss them.
pub fn hostile_chunks() -> Vec<String> {
    let mut chunks = Vec::new();
    let mut rest = HOSTILE_REPLY;
    // Cut right after every ESC and BEL: each sequence spans two chunks.
    while let Some(at) = rest.find(['\u{1b}', '\u{7}']) {
        let (head, tail) = rest.split_at(at + 1);
        chunks.push(head.to_string());
        rest = tail;
    }
    if !rest.is_empty() {
        chunks.push(rest.to_string());
    }
    chunks
}

/// `[[words:N]]` in the message asks for N filler words (long replies).
fn parse_words_directive(text: &str) -> Option<usize> {
    let start = text.find("[[words:")? + "[[words:".len();
    let end = text[start..].find("]]")? + start;
    text[start..end].trim().parse().ok()
}

/// Prompt tokens: words plus 4 per message, deterministic.
pub fn prompt_tokens(body: &Value) -> u64 {
    body["messages"].as_array().map_or(0, |messages| {
        messages
            .iter()
            .map(|m| {
                crate::content::text(&m["content"])
                    .split_whitespace()
                    .count() as u64
                    // Azure prices a low-detail image at 85 tokens.
                    + 85 * crate::content::images(&m["content"]).len() as u64
                    + 4
            })
            .sum()
    })
}

/// Reasoning deployments think before they answer.
pub fn reasoning_tokens(reasoning: bool) -> u64 {
    if reasoning {
        16
    } else {
        0
    }
}

pub fn usage(body: &Value, chunks: usize, reasoning: bool) -> Value {
    let prompt = prompt_tokens(body);
    let completion = chunks as u64 + reasoning_tokens(reasoning);
    serde_json::json!({
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "completion_tokens_details": {
            "reasoning_tokens": reasoning_tokens(reasoning),
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0
        },
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0}
    })
}
