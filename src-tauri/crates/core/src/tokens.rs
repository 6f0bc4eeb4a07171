//! Token counting with OpenAI's `o200k_base` encoding (o-series and gpt-4o),
//! used for user messages and whenever a provider reports no usage.

/// Tokens in `text`. The vocabulary ships inside tiktoken-rs and is loaded
/// once per process.
pub fn count(text: &str) -> i64 {
    let tokens = tiktoken_rs::o200k_base_singleton()
        .encode_ordinary(text)
        .len();
    i64::try_from(tokens).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_o200k_tokens() {
        assert_eq!(super::count(""), 0);
        assert_eq!(super::count("hello"), 1);
        assert_eq!(super::count("hello world"), 2);
        assert!(super::count(&"lorem ipsum ".repeat(100)) >= 200);
    }
}
