//! How long to wait before trying again, while no text has reached the user.
//! The provider's own hint wins (`retry-after-ms`, then `Retry-After` in
//! seconds) when it is between 0 and 60 s; otherwise exponential backoff
//! from 0.5 s to 8 s with up to 25 % jitter, as the official OpenAI clients do.

use reqwest::header::HeaderMap;
use std::time::Duration;

/// Retries after the first attempt.
pub const MAX_RETRIES: u32 = 3;
/// Most total waiting across retries.
pub const MAX_TOTAL_WAIT: Duration = Duration::from_secs(60);
const HINT_LIMIT: Duration = Duration::from_secs(60);

/// The server's hint, if it gave a usable one.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let read = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<f64>().ok())
    };
    let hint = read("retry-after-ms")
        .map(|ms| ms / 1000.0)
        .or_else(|| read("x-ms-retry-after-ms").map(|ms| ms / 1000.0))
        .or_else(|| read("retry-after"))?;
    (hint.is_finite() && hint >= 0.0)
        .then(|| Duration::from_secs_f64(hint))
        .filter(|d| *d <= HINT_LIMIT)
}

/// The wait before retry number `retry` (0-based).
pub fn delay(retry: u32, hint: Option<Duration>) -> Duration {
    if let Some(hint) = hint {
        return hint;
    }
    let base = Duration::from_millis(500)
        .saturating_mul(1 << retry.min(4))
        .min(Duration::from_secs(8));
    // Up to 25 % less, so clients that failed together do not retry together.
    let jitter = (uuid::Uuid::new_v4().as_u128() % 1000) as f64 / 1000.0 * 0.25;
    base.mul_f64(1.0 - jitter)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn hints_in_order_of_preference() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert("retry-after-ms", HeaderValue::from_static("150"));
        assert_eq!(retry_after(&h), Some(Duration::from_millis(150)));
        h.insert("retry-after-ms", HeaderValue::from_static("120000"));
        assert_eq!(retry_after(&h), None, "over 60 s is ignored");
        h.insert("retry-after-ms", HeaderValue::from_static("soon"));
        assert_eq!(
            retry_after(&h),
            Some(Duration::from_secs(2)),
            "falls back to Retry-After"
        );
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        for retry in 0..6 {
            let d = delay(retry, None);
            let base = Duration::from_millis(500) * (1 << retry.min(4));
            let base = base.min(Duration::from_secs(8));
            assert!(d <= base && d >= base.mul_f64(0.75), "{retry}: {d:?}");
        }
        assert_eq!(
            delay(0, Some(Duration::from_millis(7))),
            Duration::from_millis(7)
        );
    }
}
