//! Makes stored and remote text inert before it reaches a terminal.
//!
//! Model replies, scraped pages, titles, names and billing fields are not
//! ours: printed raw, an `ESC ] 0 ; … BEL` would retitle the window, an
//! `ESC ] 52 ; c ; … BEL` would write the clipboard, `ESC [ 2 J` would clear
//! the screen, and C1 controls (U+0080–U+009F, such as the one-character CSI
//! U+009B) act like escapes on some terminals. Every text-mode print of such
//! text goes through this module; `--json` output does not (serde escapes
//! control characters, so the JSON keeps the exact text).
//!
//! The rule, one character at a time:
//! - C0 controls, DEL and C1 controls are shown as a visible escape,
//!   `\x1b`, `\x07`, `\x9b` (lowercase hex): the text stays readable, an
//!   injection attempt stays visible, and nothing reaches the terminal as a
//!   control. Only newline and tab are kept, in message bodies ([`text`]);
//!   in one-line table cells ([`cell`]) they become a space.
//! - Bidirectional embedding, override and isolate controls (U+202A–U+202E,
//!   U+2066–U+2069; the "Trojan Source" characters, which reorder how the
//!   rest of a line is shown) are shown as `\u{202e}` and so on. Right-to-left
//!   text itself needs none of them and is unchanged, as are the implicit
//!   marks U+200E/U+200F, emoji, CJK and every other printable character.
//!
//! Because each character is mapped on its own, text streamed in pieces is
//! made safe piece by piece: an escape sequence split across two deltas is
//! neutralised just the same.

use std::fmt::Write as _;

/// Text for a message body: keeps line breaks and tabs, neutralises every
/// other control (see the module docs).
pub fn text(s: &str) -> String {
    neutralise(s, Layout::Keep)
}

/// Text for one table cell or one line: like [`text`], but line breaks and
/// tabs become spaces so the cell cannot break the layout.
pub fn cell(s: &str) -> String {
    neutralise(s, Layout::Flatten)
}

#[derive(Clone, Copy)]
enum Layout {
    Keep,
    Flatten,
}

fn neutralise(s: &str, layout: Layout) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' | '\t' => out.push(match layout {
                Layout::Keep => c,
                Layout::Flatten => ' ',
            }),
            // C0, DEL and C1: `char::is_control` is exactly these (Cc).
            c if c.is_control() => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c if is_bidi_control(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

/// The explicit bidirectional formatting characters that reorder the text
/// after them: LRE, RLE, PDF, LRO, RLO and LRI, RLI, FSI, PDI.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// OSC 0 (title), OSC 52 (clipboard), CSI 2J (clear), BEL and the C1 CSI.
    const HOSTILE: &str =
        "a\x1b]0;owned\x07b\x1b]52;c;aGk=\x07c\x1b[2Jd\x07e\u{9b}31mf\rg\x7fh\x00i";

    #[test]
    fn controls_become_visible_escapes() {
        assert_eq!(
            text(HOSTILE),
            "a\\x1b]0;owned\\x07b\\x1b]52;c;aGk=\\x07c\\x1b[2Jd\\x07e\\x9b31mf\\x0dg\\x7fh\\x00i"
        );
        for out in [text(HOSTILE), cell(HOSTILE)] {
            assert!(!out.chars().any(char::is_control), "{out:?}");
        }
    }

    #[test]
    fn bodies_keep_lines_and_tabs_cells_flatten_them() {
        assert_eq!(text("one\n\ttwo"), "one\n\ttwo");
        assert_eq!(cell("one\n\ttwo"), "one  two");
    }

    #[test]
    fn bidi_overrides_are_shown_and_ordinary_unicode_is_kept() {
        assert_eq!(text("x\u{202e}y\u{2066}z"), "x\\u{202e}y\\u{2066}z");
        let plain = "emoji 🎉, 日本語, שלום עולם, مرحبا, \u{200f}mark, café";
        assert_eq!(text(plain), plain);
        assert_eq!(cell(plain), plain);
    }

    #[test]
    fn a_sequence_split_across_pieces_is_neutralised_the_same() {
        let whole = text(HOSTILE);
        for at in 0..HOSTILE.len() {
            if let (Some(a), Some(b)) = (HOSTILE.get(..at), HOSTILE.get(at..)) {
                assert_eq!(text(a) + &text(b), whole);
            }
        }
    }
}
