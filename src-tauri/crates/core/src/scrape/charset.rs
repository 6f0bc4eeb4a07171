//! Turning page bytes into text in the page's own encoding: a byte-order
//! mark first, then the `charset` of the Content-Type header, then (for
//! HTML) a `<meta charset>` near the top, else UTF-8 — the order browsers
//! use. Decoding is `encoding_rs` (the WHATWG Encoding Standard), so labels
//! such as `latin1` or `shift_jis` mean what they mean in a browser.

use encoding_rs::{Encoding, UTF_8};

/// How far into an HTML document a `<meta charset>` is looked for.
const META_PRESCAN_BYTES: usize = 4_096;

/// Decodes `bytes`; malformed sequences become U+FFFD, never an error.
pub fn decode(bytes: &[u8], header_charset: Option<&str>, html: bool) -> String {
    let encoding = sniff(bytes, header_charset, html);
    // `decode` also honours (and removes) a byte-order mark.
    let (text, used, had_errors) = encoding.decode(bytes);
    if had_errors {
        tracing::debug!(encoding = used.name(), "page had malformed bytes");
    }
    text.into_owned()
}

/// The encoding the page is in.
pub fn sniff(bytes: &[u8], header_charset: Option<&str>, html: bool) -> &'static Encoding {
    if let Some((bom, _)) = Encoding::for_bom(bytes) {
        return bom;
    }
    if let Some(e) = header_charset.and_then(|l| Encoding::for_label(l.trim().as_bytes())) {
        return e;
    }
    if html {
        if let Some(e) = meta_charset(&bytes[..bytes.len().min(META_PRESCAN_BYTES)]) {
            // A meta tag cannot honestly declare UTF-16 (it was read as
            // ASCII); the standard says to take UTF-8 then.
            return e.output_encoding();
        }
    }
    UTF_8
}

/// The `charset` parameter of a Content-Type header value.
pub fn charset_param(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches(['"', '\'']).to_string())
            .filter(|v| !v.is_empty())
    })
}

/// `<meta charset="…">` or `<meta http-equiv="Content-Type" content="…;
/// charset=…">` in the first bytes of a document.
fn meta_charset(head: &[u8]) -> Option<&'static Encoding> {
    let lower = head.to_ascii_lowercase();
    let mut from = 0;
    while let Some(start) = find(&lower[from..], b"<meta").map(|i| i + from) {
        let end = find(&lower[start..], b">").map_or(lower.len(), |i| i + start);
        let tag = &lower[start..end];
        if let Some(at) = find(tag, b"charset") {
            let rest = &tag[at + b"charset".len()..];
            let rest = trim_start(rest);
            if let Some(rest) = rest.strip_prefix(b"=") {
                let rest = trim_start(rest);
                let rest = rest
                    .strip_prefix(b"\"")
                    .or_else(|| rest.strip_prefix(b"'"))
                    .unwrap_or(rest);
                let len = rest
                    .iter()
                    .position(|b| {
                        matches!(b, b'"' | b'\'' | b';' | b' ' | b'/' | b'>')
                            || b.is_ascii_whitespace()
                    })
                    .unwrap_or(rest.len());
                if let Some(e) = Encoding::for_label(&rest[..len]) {
                    return Some(e);
                }
            }
        }
        from = end.max(start + 1);
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let n = bytes.iter().take_while(|b| b.is_ascii_whitespace()).count();
    &bytes[n..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_wins_over_meta() {
        let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode("<meta charset=utf-8>café");
        assert_eq!(
            decode(&bytes, Some("windows-1252"), true),
            "<meta charset=utf-8>café"
        );
    }

    #[test]
    fn meta_charset_in_both_spellings() {
        let (sjis, _, _) =
            encoding_rs::SHIFT_JIS.encode("<meta charset=\"Shift_JIS\"><p>日本語</p>");
        assert!(decode(&sjis, None, true).contains("日本語"));
        let (latin, _, _) = encoding_rs::WINDOWS_1252.encode(
            "<META HTTP-EQUIV='Content-Type' CONTENT='text/html; charset=ISO-8859-1'>naïve",
        );
        assert!(decode(&latin, None, true).ends_with("naïve"));
    }

    #[test]
    fn defaults_bom_and_params() {
        assert_eq!(decode("héllo".as_bytes(), None, true), "héllo");
        assert_eq!(decode(b"\xEF\xBB\xBFhi", Some("latin1"), false), "hi");
        assert_eq!(
            charset_param("text/html; Charset=\"Shift_JIS\""),
            Some("Shift_JIS".into())
        );
        assert_eq!(charset_param("text/html"), None);
        // Plain text is not searched for meta tags.
        assert_eq!(sniff(b"<meta charset=shift_jis>", None, false), UTF_8);
    }
}
