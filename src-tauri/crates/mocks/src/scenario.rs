//! What a deployment does, read from its name (so a test picks behaviour by
//! pointing at a deployment: `o3-mini-slow`, `gpt-4o-cut`, …).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    Normal,
    Slow,
    RateLimitedOnce,
    RateLimited,
    NotFound,
    PromptFilter,
    FilterMidStream,
    Cut,
    NoStream,
    Utf8Split,
    KeepAlive,
    /// Refuses a JSON-schema `response_format` like an old API version.
    NoSchema,
    /// Answers with [`crate::reply::HOSTILE_REPLY`], terminal escapes and
    /// all, for tests that the text is printed inert.
    Hostile,
}

impl Scenario {
    /// The first keyword found in the deployment name; `Normal` otherwise.
    pub fn of(deployment: &str) -> Self {
        let d = deployment.to_ascii_lowercase();
        let table = [
            ("rate-limited-once", Self::RateLimitedOnce),
            ("rate-limited", Self::RateLimited),
            ("does-not-exist", Self::NotFound),
            ("not-found", Self::NotFound),
            ("prompt-filter", Self::PromptFilter),
            ("filter-mid-stream", Self::FilterMidStream),
            ("nostream", Self::NoStream),
            ("utf8-split", Self::Utf8Split),
            ("keepalive", Self::KeepAlive),
            ("no-schema", Self::NoSchema),
            ("hostile", Self::Hostile),
            ("slow", Self::Slow),
            ("cut", Self::Cut),
        ];
        table
            .iter()
            .find(|(k, _)| d.contains(k))
            .map_or(Self::Normal, |(_, s)| *s)
    }
}

/// gpt-4o / gpt-4.1 deployments take the chat shape; every other name is a
/// reasoning (o-series) deployment with its stricter rules.
pub fn is_reasoning(deployment: &str) -> bool {
    let d = deployment.to_ascii_lowercase();
    !(d.contains("gpt-4o") || d.contains("gpt-4.1"))
}

/// Deployments that take images: gpt-4o, gpt-4.1, o1, o3 and o4-mini do;
/// o1-mini and o3-mini (text only) do not, and neither does a name with
/// `text-only` in it.
pub fn sees_images(deployment: &str) -> bool {
    let d = deployment.to_ascii_lowercase();
    !(d.contains("o1-mini") || d.contains("o3-mini") || d.contains("text-only"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_pick_scenarios() {
        assert_eq!(Scenario::of("o3-mini"), Scenario::Normal);
        assert_eq!(
            Scenario::of("o3-mini-rate-limited-once"),
            Scenario::RateLimitedOnce
        );
        assert_eq!(Scenario::of("gpt-4o-cut"), Scenario::Cut);
        assert_eq!(Scenario::of("o3-mini-hostile"), Scenario::Hostile);
        assert!(is_reasoning("o1-nostream"));
        assert!(!is_reasoning("gpt-4o-mini"));
    }
}
