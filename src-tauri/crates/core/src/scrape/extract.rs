//! The main text of a page: Mozilla's Readability algorithm (through
//! `dom_smoothie`) for HTML, which drops navigation, footers and other
//! boilerplate; plain text is taken as it is.
//!
//! Readability's time grows with the square of the nesting depth and with
//! the element count, and it cannot be interrupted. So a page is measured
//! first ([`structure::check`], linear, before parsing), the parsed tree is
//! counted again, and the whole runs under a deadline on a blocking thread
//! that holds [`EXTRACTIONS`]'s only permit until its work has really
//! ended: a scrape past its deadline fails (and is refunded) at once, while
//! the work it leaves behind — bounded by the checks to about a second in a
//! release build — can never pile up with others.

use super::fetch::{Page, PageKind};
use super::structure::{self, Bounds};
use super::{ScrapeError, ScrapeLimits};
use crate::validate::MAX_TITLE_CHARS;
use dom_smoothie::{Config, Readability, ReadabilityError, TextMode};
use std::time::Duration;
use tokio::sync::Semaphore;

/// One extraction at a time per process, abandoned ones included.
static EXTRACTIONS: Semaphore = Semaphore::const_new(1);

/// How long a scrape waits for [`EXTRACTIONS`]' permit before it fails as
/// `extraction_timeout`. Apart from the work's own deadline: a page's
/// deadline must measure its own extraction, not the leftover work of an
/// abandoned one (bounded by the page checks) or of other scrapes queued
/// before it — otherwise a burst of ordinary scrapes fails for being queued.
pub const EXTRACTION_QUEUE_WAIT: Duration = Duration::from_secs(30);

/// A page's title and main text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    pub title: String,
    pub text: String,
}

/// Extracts the title and main text within `limits`: a page too deep or
/// too large is `page_too_complex`, one whose extraction takes longer than
/// `extract_timeout` is `extraction_timeout` (so is waiting longer than
/// [`EXTRACTION_QUEUE_WAIT`] for another extraction to end).
pub async fn extract_within(page: Page, limits: &ScrapeLimits) -> Result<Extracted, ScrapeError> {
    let bounds = Bounds {
        max_depth: limits.max_nesting_depth,
        max_elements: limits.max_elements,
    };
    let timeout = limits.extract_timeout;
    let permit = tokio::time::timeout(EXTRACTION_QUEUE_WAIT, EXTRACTIONS.acquire())
        .await
        .map_err(|_| {
            tracing::warn!(
                seconds = EXTRACTION_QUEUE_WAIT.as_secs(),
                "text extraction waited too long for another one to end"
            );
            ScrapeError::ExtractionTimeout {
                seconds: EXTRACTION_QUEUE_WAIT.as_secs(),
            }
        })?
        .map_err(|_| ScrapeError::Network("text extraction is shut down".into()))?;
    let work = async move {
        tokio::task::spawn_blocking(move || {
            let result = extract(&page, bounds);
            drop(permit);
            result
        })
        .await
        .map_err(|e| ScrapeError::Network(format!("text extraction stopped: {e}")))?
    };
    tokio::time::timeout(timeout, work)
        .await
        .unwrap_or_else(|_| {
            tracing::warn!(
                seconds = timeout.as_secs(),
                "text extraction passed its deadline"
            );
            Err(ScrapeError::ExtractionTimeout {
                seconds: timeout.as_secs(),
            })
        })
}

/// Extracts the title and main text; CPU-bound, so [`extract_within`] runs
/// it on a blocking thread.
pub fn extract(page: &Page, bounds: Bounds) -> Result<Extracted, ScrapeError> {
    let (title, text) = match page.kind {
        PageKind::Text => {
            let first = page.text.lines().map(str::trim).find(|l| !l.is_empty());
            (first.unwrap_or_default().to_string(), page.text.clone())
        }
        PageKind::Html => {
            structure::check(&page.text, bounds)?;
            readable(page, bounds.max_elements)?
        }
    };
    let text = tidy(&text);
    if text.is_empty() {
        return Err(ScrapeError::EmptyPage);
    }
    let title = one_line(&title);
    let title = if title.is_empty() {
        page.url.host_str().unwrap_or("Web page").to_string()
    } else {
        title
    };
    Ok(Extracted {
        title: title.chars().take(MAX_TITLE_CHARS).collect(),
        text,
    })
}

fn readable(page: &Page, max_elements: usize) -> Result<(String, String), ScrapeError> {
    let config = Config {
        text_mode: TextMode::Formatted,
        // Counted again after parsing: the parser can add elements.
        max_elements_to_parse: max_elements,
        ..Config::default()
    };
    let mut readability =
        Readability::new(page.text.as_str(), Some(page.url.as_str()), Some(config)).map_err(
            |e| {
                tracing::debug!(error = %e, "readability could not start");
                ScrapeError::EmptyPage
            },
        )?;
    let article = readability.parse().map_err(|e| match e {
        ReadabilityError::TooManyElements(_, max) => ScrapeError::PageTooComplex {
            reason: format!("it has more than {max} elements once parsed"),
        },
        e => {
            tracing::debug!(error = %e, "readability found no article");
            ScrapeError::EmptyPage
        }
    })?;
    Ok((article.title, article.text_content.to_string()))
}

/// Unix line ends, no trailing spaces, at most one blank line in a row.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    for line in text.lines() {
        let line = line.trim_end();
        if line.trim().is_empty() {
            blank += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        out.push_str(line);
    }
    out
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn page(kind: PageKind, text: &str) -> Page {
        Page {
            url: reqwest::Url::parse("https://example.com/post").unwrap(),
            kind,
            text: text.to_string(),
        }
    }

    const BOUNDS: Bounds = Bounds {
        max_depth: super::super::limits::MAX_NESTING_DEPTH,
        max_elements: super::super::limits::MAX_ELEMENTS,
    };

    #[test]
    fn plain_text_keeps_its_lines() {
        let got = extract(
            &page(PageKind::Text, "\r\n  Notes  \r\nline two\r\n\r\n\r\nend"),
            BOUNDS,
        )
        .unwrap();
        assert_eq!(got.title, "Notes");
        assert_eq!(got.text, "  Notes\nline two\n\nend");
    }

    #[test]
    fn an_empty_page_is_refused() {
        assert_eq!(
            extract(&page(PageKind::Html, "<html><body></body></html>"), BOUNDS).unwrap_err(),
            ScrapeError::EmptyPage
        );
        assert_eq!(
            extract(&page(PageKind::Text, " \n "), BOUNDS).unwrap_err(),
            ScrapeError::EmptyPage
        );
    }

    /// 20,000 nested `<div>`s took minutes before the bound; now they are
    /// refused before parsing, and the same shape within the bound still
    /// reads.
    #[test]
    fn deep_pages_are_refused_before_parsing() {
        let nested = |n: usize| {
            format!(
                "<html><body>{}<p>{}</p>{}</body></html>",
                "<div>".repeat(n),
                "Deep text, with enough words in it to count as an article. ".repeat(10),
                "</div>".repeat(n)
            )
        };
        let err = extract(&page(PageKind::Html, &nested(20_000)), BOUNDS).unwrap_err();
        assert_eq!(err.code(), ErrorCode::PageTooComplex);
        let ok = extract(&page(PageKind::Html, &nested(100)), BOUNDS).unwrap();
        assert!(ok.text.contains("Deep text"), "{}", ok.text);
    }

    /// The element count after parsing catches what the estimate missed.
    #[test]
    fn the_parsed_tree_is_counted_too() {
        let tight = Bounds {
            max_depth: 512,
            max_elements: 3,
        };
        let err = readable(
            &page(PageKind::Html, "<p>a</p><p>b</p>"),
            tight.max_elements,
        )
        .unwrap_err();
        assert_eq!(err.code(), ErrorCode::PageTooComplex);
    }

    /// Past its deadline an extraction fails at once, typed.
    #[tokio::test]
    async fn a_slow_extraction_hits_its_deadline() {
        let limits = ScrapeLimits {
            extract_timeout: std::time::Duration::from_millis(1),
            ..ScrapeLimits::default()
        };
        let big = format!(
            "<html><body>{}</body></html>",
            "<p>Some words in a paragraph.</p>".repeat(20_000)
        );
        let err = extract_within(page(PageKind::Html, &big), &limits)
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::ExtractionTimeout);
    }
}
