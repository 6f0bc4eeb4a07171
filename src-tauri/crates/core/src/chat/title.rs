//! A session's automatic title, taken from its first message at no charge.

/// Longest automatic title, in characters.
const MAX_AUTO_TITLE: usize = 60;

/// The first non-blank line of `message`, whitespace collapsed, cut at a word
/// boundary near 60 characters with an ellipsis.
pub fn title_from_message(message: &str) -> String {
    let line = message
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let collapsed = line.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() <= MAX_AUTO_TITLE {
        return collapsed;
    }
    let cut: String = collapsed.chars().take(MAX_AUTO_TITLE - 1).collect();
    let at_word = match cut.rfind(' ') {
        Some(i) if i > MAX_AUTO_TITLE / 2 => &cut[..i],
        _ => cut.as_str(),
    };
    format!("{}…", at_word.trim_end())
}

#[cfg(test)]
mod tests {
    use super::title_from_message;

    #[test]
    fn titles() {
        assert_eq!(
            title_from_message("\n\n  How do   I sort a Vec?\nMore"),
            "How do I sort a Vec?"
        );
        let long = "word ".repeat(30);
        let t = title_from_message(&long);
        assert!(t.chars().count() <= 60, "{t}");
        assert!(t.ends_with('…'));
        assert!(!t.contains("wor…"), "cut at a word boundary: {t}");
        let cjk = "漢".repeat(100);
        assert_eq!(title_from_message(&cjk).chars().count(), 60);
    }
}
