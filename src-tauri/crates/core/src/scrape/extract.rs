//! The main text of a page: Mozilla's Readability algorithm (through
//! `dom_smoothie`) for HTML, which drops navigation, footers and other
//! boilerplate; plain text is taken as it is.

use super::fetch::{Page, PageKind};
use super::ScrapeError;
use crate::validate::MAX_TITLE_CHARS;
use dom_smoothie::{Config, Readability, TextMode};

/// A page's title and main text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    pub title: String,
    pub text: String,
}

/// Extracts the title and main text; CPU-bound, so callers run it on a
/// blocking thread.
pub fn extract(page: &Page) -> Result<Extracted, ScrapeError> {
    let (title, text) = match page.kind {
        PageKind::Text => {
            let first = page.text.lines().map(str::trim).find(|l| !l.is_empty());
            (first.unwrap_or_default().to_string(), page.text.clone())
        }
        PageKind::Html => readable(page)?,
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

fn readable(page: &Page) -> Result<(String, String), ScrapeError> {
    let config = Config {
        text_mode: TextMode::Formatted,
        ..Config::default()
    };
    let mut readability =
        Readability::new(page.text.as_str(), Some(page.url.as_str()), Some(config)).map_err(
            |e| {
                tracing::debug!(error = %e, "readability could not start");
                ScrapeError::EmptyPage
            },
        )?;
    let article = readability.parse().map_err(|e| {
        tracing::debug!(error = %e, "readability found no article");
        ScrapeError::EmptyPage
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

    fn page(kind: PageKind, text: &str) -> Page {
        Page {
            url: reqwest::Url::parse("https://example.com/post").unwrap(),
            kind,
            text: text.to_string(),
        }
    }

    #[test]
    fn plain_text_keeps_its_lines() {
        let got = extract(&page(
            PageKind::Text,
            "\r\n  Notes  \r\nline two\r\n\r\n\r\nend",
        ))
        .unwrap();
        assert_eq!(got.title, "Notes");
        assert_eq!(got.text, "  Notes\nline two\n\nend");
    }

    #[test]
    fn an_empty_page_is_refused() {
        assert_eq!(
            extract(&page(PageKind::Html, "<html><body></body></html>")).unwrap_err(),
            ScrapeError::EmptyPage
        );
        assert_eq!(
            extract(&page(PageKind::Text, " \n ")).unwrap_err(),
            ScrapeError::EmptyPage
        );
    }
}
