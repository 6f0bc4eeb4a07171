//! Input limits shared by the stores: trimmed text with a minimum and maximum
//! length, counted in characters (not bytes) so non-Latin text is treated fairly.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    #[error("{field} must not be empty")]
    Empty { field: &'static str },
    #[error("{field} is too long: {actual} characters (at most {max})")]
    TooLong {
        field: &'static str,
        max: usize,
        actual: usize,
    },
    #[error("{field} is invalid: {reason}")]
    Invalid { field: &'static str, reason: String },
}

impl ValidationError {
    pub fn field(&self) -> &'static str {
        match self {
            Self::Empty { field } | Self::TooLong { field, .. } | Self::Invalid { field, .. } => {
                field
            }
        }
    }
}

/// Longest session, project or task title.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest project or task description.
pub const MAX_DESCRIPTION_CHARS: usize = 10_000;
/// Longest chat message.
pub const MAX_MESSAGE_CHARS: usize = 32_000;

/// Trims `value` and checks it holds 1..=`max` characters.
pub fn required_text(
    field: &'static str,
    value: &str,
    max: usize,
) -> Result<String, ValidationError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(ValidationError::Empty { field });
    }
    optional_text(field, trimmed, max)
}

/// Trims `value` and checks it holds at most `max` characters (empty allowed).
pub fn optional_text(
    field: &'static str,
    value: &str,
    max: usize,
) -> Result<String, ValidationError> {
    let trimmed = value.trim();
    let actual = trimmed.chars().count();
    if actual > max {
        return Err(ValidationError::TooLong { field, max, actual });
    }
    // Postgres cannot store it in text, and no one types it.
    if trimmed.contains('\0') {
        return Err(ValidationError::Invalid {
            field,
            reason: "it contains a NUL character".into(),
        });
    }
    Ok(trimmed.to_string())
}

/// [`required_text`] on one line: no line breaks, tabs or other control
/// characters (a name shown in lists and menus).
pub fn required_line(
    field: &'static str,
    value: &str,
    max: usize,
) -> Result<String, ValidationError> {
    let text = required_text(field, value, max)?;
    if text.chars().any(char::is_control) {
        return Err(ValidationError::Invalid {
            field,
            reason: "it must be one line without control characters".into(),
        });
    }
    Ok(text)
}

/// Longest link the app opens in the system browser.
pub const MAX_LINK_CHARS: usize = 4_096;

/// A link from a reply that may be opened in the system browser: http,
/// https or mailto only (never `javascript:`, `file:`, `data:` or a custom
/// scheme such as our own `banter:`).
pub fn external_link(url: &str) -> Result<String, ValidationError> {
    let url = required_text("link", url, MAX_LINK_CHARS)?;
    let parsed = reqwest::Url::parse(&url).map_err(|e| ValidationError::Invalid {
        field: "link",
        reason: e.to_string(),
    })?;
    match parsed.scheme() {
        "http" | "https" => Ok(parsed.to_string()),
        "mailto" => Ok(mail_link(&parsed)),
        other => Err(ValidationError::Invalid {
            field: "link",
            reason: format!("{other}: links are not opened; only http, https and mailto"),
        }),
    }
}

/// A `mailto:` link reduced to its addresses and subject. A reply can make
/// a link that pre-fills a message's body, copies (`cc`, `bcc`) or other
/// headers (RFC 6068 allows any); a click would then hand the mail app a
/// message the user did not write, to people they did not pick. Parameter
/// names are matched without regard to case; the first `subject` is kept
/// exactly as the parser normalised it (percent-encoded).
fn mail_link(url: &reqwest::Url) -> String {
    let subject = url.query().and_then(|query| {
        query.split('&').find_map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            name.eq_ignore_ascii_case("subject").then_some(value)
        })
    });
    match subject {
        Some(subject) if !subject.is_empty() => format!("mailto:{}?subject={subject}", url.path()),
        _ => format!("mailto:{}", url.path()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_bounds() {
        assert_eq!(required_text("title", "  hi  ", 5).unwrap(), "hi");
        assert_eq!(
            required_text("title", " \n\t ", 5),
            Err(ValidationError::Empty { field: "title" })
        );
        assert_eq!(
            required_text("title", "héllo!", 5),
            Err(ValidationError::TooLong {
                field: "title",
                max: 5,
                actual: 6
            })
        );
        // Characters, not bytes: five two-byte characters fit in five.
        assert!(required_text("title", "ééééé", 5).is_ok());
        assert_eq!(optional_text("description", "  ", 5).unwrap(), "");
    }

    #[test]
    fn nul_is_refused_everywhere_and_lines_stay_lines() {
        assert!(matches!(
            optional_text("system prompt", "be\0 brief", 50),
            Err(ValidationError::Invalid {
                field: "system prompt",
                ..
            })
        ));
        assert!(required_text("message", "two\nlines\tand a tab", 50).is_ok());
        assert_eq!(required_line("name", "  Pirate  ", 20).unwrap(), "Pirate");
        for bad in ["Pi\nrate", "Pi\trate", "Pi\u{7}rate", "Pi\u{85}rate"] {
            assert!(
                matches!(
                    required_line("name", bad, 20),
                    Err(ValidationError::Invalid { .. })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn only_web_and_mail_links_open() {
        assert_eq!(
            super::external_link(" https://example.com/a?b=1 ").unwrap(),
            "https://example.com/a?b=1"
        );
        assert_eq!(
            super::external_link("mailto:me@example.com").unwrap(),
            "mailto:me@example.com"
        );
        for bad in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "data:text/html,<script>",
            "file:///etc/passwd",
            "banter://purchase/complete",
            "/relative",
            "",
        ] {
            assert!(super::external_link(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn mail_links_keep_only_the_addresses_and_subject() {
        let cases = [
            (
                "mailto:a@example.com?subject=Hello%20there&body=wire%20money&cc=b@evil.test",
                "mailto:a@example.com?subject=Hello%20there",
            ),
            (
                "mailto:a@example.com,b@example.com?BCC=x@evil.test&SUBJECT=Hi",
                "mailto:a@example.com,b@example.com?subject=Hi",
            ),
            (
                "mailto:a@example.com?Body=x&In-Reply-To=y",
                "mailto:a@example.com",
            ),
            (
                "MAILTO:a@example.com?subject=&body=x",
                "mailto:a@example.com",
            ),
            ("mailto:a@example.com#frag", "mailto:a@example.com"),
            (
                "mailto:a@example.com?subject=caf%C3%A9%26tea",
                "mailto:a@example.com?subject=caf%C3%A9%26tea",
            ),
        ];
        for (link, kept) in cases {
            assert_eq!(super::external_link(link).unwrap(), kept, "{link}");
        }
    }
}
