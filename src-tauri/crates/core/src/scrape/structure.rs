//! How deep and how big an HTML page is, estimated in one linear pass
//! before it is parsed, so a hostile page is refused in milliseconds
//! instead of pinning a core: extraction time grows with the square of
//! the nesting depth, and the HTML parser's "reconstruct the active
//! formatting elements" step can turn a 30 KB page of unclosed `<b>` tags
//! into nearly a million elements.
//!
//! The estimate follows the HTML tree builder closely enough to bound it:
//! end tags close back to the matching open element (unmatched ones are
//! ignored), `<p>`, `<li>`, `<td>`, … close an open sibling, void and raw
//! text elements are leaves, `/>` counts only inside `<svg>`/`<math>` (as
//! in the parser: `<div/>` is an open `<div>`), and formatting elements
//! closed by something else are counted again wherever the parser would
//! reopen them. It errs towards counting more, never towards fewer, except
//! for constant factors (adoption-agency clones), which the element count
//! after parsing catches (`extract`).

use super::ScrapeError;
use std::collections::HashMap;

/// The bounds a page must stay within.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    pub max_depth: usize,
    pub max_elements: usize,
}

/// Most active formatting elements tracked at once: far above what real
/// pages keep open (the parser folds repeats of one tag to three), and
/// small enough that the bookkeeping stays linear.
const MAX_ACTIVE_FORMATTING: usize = 128;

/// How many open elements an implied end tag (`<li>` closing an `<li>`)
/// looks through.
const IMPLIED_END_REACH: usize = 8;

/// Ok if `html` stays within `bounds`; else `page_too_complex`.
pub fn check(html: &str, bounds: Bounds) -> Result<(), ScrapeError> {
    Scanner::new(bounds).run(html.as_bytes())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Plain,
    /// On the list of active formatting elements, with this id.
    Formatting(u32),
    /// `<td>`, `<th>`, `<caption>`, …: closing it forgets the formatting
    /// elements opened inside.
    Marker,
}

#[derive(Debug)]
struct Open<'a> {
    name: &'a [u8],
    kind: Kind,
}

#[derive(Debug)]
enum Active<'a> {
    Marker,
    Element {
        id: u32,
        name: &'a [u8],
        attrs: &'a [u8],
        open: bool,
    },
}

struct Scanner<'a> {
    bounds: Bounds,
    stack: Vec<Open<'a>>,
    /// Open elements by name hash: an end tag searches the stack only when
    /// its name may be there, so the pass stays linear.
    open_names: HashMap<u64, usize>,
    active: Vec<Active<'a>>,
    /// Entries of `active` closed by something else (to reopen).
    closed: usize,
    next_id: u32,
    elements: usize,
}

impl<'a> Scanner<'a> {
    fn new(bounds: Bounds) -> Self {
        Self {
            bounds,
            stack: Vec::new(),
            open_names: HashMap::new(),
            active: Vec::new(),
            closed: 0,
            next_id: 0,
            elements: 0,
        }
    }

    fn run(mut self, b: &'a [u8]) -> Result<(), ScrapeError> {
        let mut i = 0;
        while i < b.len() {
            let Some(lt) = b[i..].iter().position(|&c| c == b'<').map(|p| p + i) else {
                self.text(&b[i..])?;
                break;
            };
            self.text(&b[i..lt])?;
            let rest = &b[lt + 1..];
            if rest.starts_with(b"!--") {
                i = find(b, lt + 4, b"-->").map_or(b.len(), |e| e + 3);
            } else if rest.starts_with(b"!") || rest.starts_with(b"?") {
                i = find(b, lt, b">").map_or(b.len(), |e| e + 1);
            } else if let Some(after) = rest.strip_prefix(b"/") {
                let name = tag_name(after);
                i = find(b, lt, b">").map_or(b.len(), |e| e + 1);
                if !name.is_empty() {
                    self.end_tag(name);
                }
            } else if rest.first().is_some_and(u8::is_ascii_alphabetic) {
                let name = tag_name(rest);
                let attrs_at = lt + 1 + name.len();
                let end = tag_end(b, attrs_at);
                let attrs = &b[attrs_at..end.min(b.len())];
                i = (end + 1).min(b.len());
                let self_closing = attrs.last() == Some(&b'/');
                if is_one_of(name, RAW_TEXT) {
                    self.leaf(true)?;
                    i = closing_tag(b, i, name);
                } else if name.eq_ignore_ascii_case(b"plaintext") {
                    // Everything after it is text.
                    return self.leaf(true);
                } else {
                    self.start_tag(name, attrs, self_closing)?;
                }
            } else {
                i = lt + 1;
            }
        }
        Ok(())
    }

    /// Text between tags: visible text makes the parser reopen closed
    /// formatting elements.
    fn text(&mut self, text: &[u8]) -> Result<(), ScrapeError> {
        if text.iter().any(|c| !c.is_ascii_whitespace()) {
            self.reconstruct()?;
        }
        Ok(())
    }

    fn start_tag(
        &mut self,
        name: &'a [u8],
        attrs: &'a [u8],
        self_closing: bool,
    ) -> Result<(), ScrapeError> {
        if let Some(group) = IMPLIED_END.iter().find(|g| is_one_of(name, g)) {
            let reach = self.stack.len().saturating_sub(IMPLIED_END_REACH);
            if let Some(at) = self.stack[reach..]
                .iter()
                .rposition(|o| is_one_of(o.name, group))
            {
                self.pop_to(reach + at);
            }
        }
        if is_one_of(name, &[b"a", b"nobr"]) {
            // A second <a> first closes the one still open.
            self.end_formatting(name);
        }
        self.reconstruct()?;
        let foreign = self.is_open(b"svg") || self.is_open(b"math");
        if is_one_of(name, VOID) || (self_closing && foreign && !is_one_of(name, BREAKOUT)) {
            return self.leaf(false);
        }
        let kind = if is_one_of(name, FORMATTING) {
            Kind::Formatting(self.add_active(name, attrs)?)
        } else if is_one_of(name, MARKERS) {
            self.active.push(Active::Marker);
            Kind::Marker
        } else {
            Kind::Plain
        };
        self.push(name, kind)
    }

    fn end_tag(&mut self, name: &[u8]) {
        if is_one_of(name, FORMATTING) {
            self.end_formatting(name);
        } else if self.is_open(name) {
            if let Some(at) = self
                .stack
                .iter()
                .rposition(|o| o.name.eq_ignore_ascii_case(name))
            {
                self.pop_to(at);
            }
        }
    }

    /// `</b>`: the latest `<b>` leaves the active list (and the stack).
    fn end_formatting(&mut self, name: &[u8]) {
        let latest = self.active.iter().rposition(|a| match a {
            Active::Marker => false,
            Active::Element { name: n, .. } => n.eq_ignore_ascii_case(name),
        });
        let Some(index) = latest else { return };
        if let Active::Element { id, open, .. } = self.active.remove(index) {
            if !open {
                self.closed = self.closed.saturating_sub(1);
            }
            if let Some(at) = self
                .stack
                .iter()
                .rposition(|o| o.kind == Kind::Formatting(id))
            {
                self.pop_to(at);
            }
        }
    }

    /// Pops `stack[at..]`.
    fn pop_to(&mut self, at: usize) {
        while self.stack.len() > at {
            let Some(open) = self.stack.pop() else { break };
            if let Some(n) = self.open_names.get_mut(&hash(open.name)) {
                *n = n.saturating_sub(1);
            }
            match open.kind {
                Kind::Plain => {}
                Kind::Formatting(closed) => {
                    for a in self.active.iter_mut().rev() {
                        if let Active::Element { id, open, .. } = a {
                            if *id == closed {
                                *open = false;
                                self.closed += 1;
                                break;
                            }
                        }
                    }
                }
                Kind::Marker => {
                    let marker = self
                        .active
                        .iter()
                        .rposition(|a| matches!(a, Active::Marker));
                    self.active.truncate(marker.unwrap_or(0));
                    self.closed = self
                        .active
                        .iter()
                        .filter(|a| matches!(a, Active::Element { open: false, .. }))
                        .count();
                }
            }
        }
    }

    /// Reopens the formatting elements after the last marker that were
    /// closed by something else, as the parser does.
    fn reconstruct(&mut self) -> Result<(), ScrapeError> {
        if self.closed == 0 {
            return Ok(());
        }
        let from = self
            .active
            .iter()
            .rposition(|a| matches!(a, Active::Marker))
            .map_or(0, |m| m + 1);
        for index in from..self.active.len() {
            if let Active::Element {
                id,
                name,
                open: open @ false,
                ..
            } = &mut self.active[index]
            {
                *open = true;
                self.closed = self.closed.saturating_sub(1);
                let (id, name) = (*id, *name);
                self.push(name, Kind::Formatting(id))?;
            }
        }
        Ok(())
    }

    /// A new entry on the active list; a fourth identical one (same name
    /// and attributes) replaces the oldest, as in the parser.
    fn add_active(&mut self, name: &'a [u8], attrs: &'a [u8]) -> Result<u32, ScrapeError> {
        let from = self
            .active
            .iter()
            .rposition(|a| matches!(a, Active::Marker))
            .map_or(0, |m| m + 1);
        let same: Vec<usize> = (from..self.active.len())
            .filter(|&i| match &self.active[i] {
                Active::Element {
                    name: n, attrs: a, ..
                } => n.eq_ignore_ascii_case(name) && *a == attrs,
                Active::Marker => false,
            })
            .collect();
        if same.len() >= 3 {
            if let Active::Element { open: false, .. } = self.active.remove(same[0]) {
                self.closed = self.closed.saturating_sub(1);
            }
        }
        if self.active.len() >= MAX_ACTIVE_FORMATTING {
            return Err(too_complex(format!(
                "more than {MAX_ACTIVE_FORMATTING} formatting tags are left open"
            )));
        }
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        self.active.push(Active::Element {
            id,
            name,
            attrs,
            open: true,
        });
        Ok(id)
    }

    fn push(&mut self, name: &'a [u8], kind: Kind) -> Result<(), ScrapeError> {
        self.count_element(self.stack.len() + 1)?;
        *self.open_names.entry(hash(name)).or_insert(0) += 1;
        self.stack.push(Open { name, kind });
        Ok(())
    }

    /// An element with no children; `text` says whether it may hold text
    /// (then the parser may reopen formatting elements first).
    fn leaf(&mut self, text: bool) -> Result<(), ScrapeError> {
        if text {
            self.reconstruct()?;
        }
        self.count_element(self.stack.len() + 1)
    }

    fn count_element(&mut self, depth: usize) -> Result<(), ScrapeError> {
        self.elements += 1;
        if depth > self.bounds.max_depth {
            return Err(too_complex(format!(
                "its elements are nested more than {} deep",
                self.bounds.max_depth
            )));
        }
        if self.elements > self.bounds.max_elements {
            return Err(too_complex(format!(
                "it has more than {} elements",
                self.bounds.max_elements
            )));
        }
        Ok(())
    }

    fn is_open(&self, name: &[u8]) -> bool {
        self.open_names.get(&hash(name)).is_some_and(|&n| n > 0)
    }
}

fn too_complex(reason: String) -> ScrapeError {
    ScrapeError::PageTooComplex { reason }
}

const VOID: &[&[u8]] = &[
    b"area",
    b"base",
    b"basefont",
    b"bgsound",
    b"br",
    b"col",
    b"embed",
    b"frame",
    b"hr",
    b"img",
    b"image",
    b"input",
    b"keygen",
    b"link",
    b"meta",
    b"param",
    b"source",
    b"track",
    b"wbr",
];

/// Their content is text up to the matching end tag.
const RAW_TEXT: &[&[u8]] = &[
    b"script",
    b"style",
    b"textarea",
    b"title",
    b"xmp",
    b"iframe",
    b"noembed",
    b"noframes",
    b"noscript",
];

const FORMATTING: &[&[u8]] = &[
    b"a", b"b", b"big", b"code", b"em", b"font", b"i", b"nobr", b"s", b"small", b"strike",
    b"strong", b"tt", b"u",
];

const MARKERS: &[&[u8]] = &[
    b"td",
    b"th",
    b"caption",
    b"applet",
    b"object",
    b"marquee",
    b"template",
];

/// Tags that close an open tag of their own group nearby.
const IMPLIED_END: &[&[&[u8]]] = &[
    &[b"p"],
    &[b"li"],
    &[b"dd", b"dt"],
    &[b"option"],
    &[b"optgroup"],
    &[b"tr"],
    &[b"td", b"th"],
    &[b"thead", b"tbody", b"tfoot"],
    &[b"rb", b"rt", b"rp", b"rtc"],
];

/// HTML tags that end `<svg>`/`<math>` content, where `/>` means nothing.
const BREAKOUT: &[&[u8]] = &[
    b"b",
    b"big",
    b"blockquote",
    b"body",
    b"br",
    b"center",
    b"code",
    b"dd",
    b"div",
    b"dl",
    b"dt",
    b"em",
    b"embed",
    b"h1",
    b"h2",
    b"h3",
    b"h4",
    b"h5",
    b"h6",
    b"head",
    b"hr",
    b"i",
    b"img",
    b"li",
    b"listing",
    b"menu",
    b"meta",
    b"nobr",
    b"ol",
    b"p",
    b"pre",
    b"ruby",
    b"s",
    b"small",
    b"span",
    b"strong",
    b"strike",
    b"sub",
    b"sup",
    b"table",
    b"tt",
    b"u",
    b"ul",
    b"var",
    b"font",
];

fn is_one_of(name: &[u8], set: &[&[u8]]) -> bool {
    set.iter().any(|s| s.eq_ignore_ascii_case(name))
}

/// The tag name at the start of `b` (letters, digits, `-`, `:`, `_`).
fn tag_name(b: &[u8]) -> &[u8] {
    let len = b
        .iter()
        .position(|c| !(c.is_ascii_alphanumeric() || matches!(c, b'-' | b':' | b'_')))
        .unwrap_or(b.len());
    &b[..len]
}

/// The index of the `>` ending a start tag whose attributes begin at
/// `from`, skipping quoted attribute values.
fn tag_end(b: &[u8], from: usize) -> usize {
    let mut quote = None;
    for (i, &c) in b.iter().enumerate().skip(from) {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == b'"' || c == b'\'' => quote = Some(c),
            None if c == b'>' => return i,
            None => {}
        }
    }
    b.len()
}

/// Just past `</name…>` at or after `from` (ASCII case-insensitive), or
/// the end.
fn closing_tag(b: &[u8], from: usize, name: &[u8]) -> usize {
    let mut i = from;
    while let Some(at) = find(b, i, b"</") {
        let after = &b[at + 2..];
        if after.len() >= name.len() && after[..name.len()].eq_ignore_ascii_case(name) {
            return find(b, at, b">").map_or(b.len(), |e| e + 1);
        }
        i = at + 2;
    }
    b.len()
}

fn find(haystack: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// FNV-1a of the lower-cased name.
fn hash(name: &[u8]) -> u64 {
    name.iter().fold(0xcbf2_9ce4_8422_2325, |h, c| {
        (h ^ u64::from(c.to_ascii_lowercase())).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    const BOUNDS: Bounds = Bounds {
        max_depth: 512,
        max_elements: 100_000,
    };

    fn nested(n: usize) -> String {
        format!(
            "<html><body>{}<p>deep text</p>{}</body></html>",
            "<div>".repeat(n),
            "</div>".repeat(n)
        )
    }

    fn code(html: &str, bounds: Bounds) -> Option<ErrorCode> {
        check(html, bounds).err().map(|e| e.code())
    }

    #[test]
    fn deep_nesting_is_refused_and_shallow_pages_pass() {
        assert_eq!(code(&nested(400), BOUNDS), None);
        assert_eq!(code(&nested(600), BOUNDS), Some(ErrorCode::PageTooComplex));
        assert_eq!(
            code(&nested(50_000), BOUNDS),
            Some(ErrorCode::PageTooComplex)
        );
        // `<div/>` is an open <div> in HTML.
        let slashed = "<div/>".repeat(1_000);
        assert_eq!(code(&slashed, BOUNDS), Some(ErrorCode::PageTooComplex));
        // Unclosed tags that close their siblings do not nest.
        let list = format!("<ul>{}</ul>", "<li>item".repeat(5_000));
        let table = format!("<table>{}</table>", "<tr><td>a<td>b".repeat(5_000));
        let paras = "<p>para".repeat(5_000);
        for page in [list, table, paras] {
            assert_eq!(code(&page, BOUNDS), None);
        }
        // Self-closing tags count inside SVG.
        let svg = format!("<svg>{}</svg>", "<path d='M0 0'/>".repeat(5_000));
        assert_eq!(code(&svg, BOUNDS), None);
    }

    #[test]
    fn comments_scripts_and_attributes_hold_no_elements() {
        let hidden = format!(
            "<!-- {} --><script>{}</script><style>{}</STYLE><div title='{}'>x</div>",
            "<div>".repeat(2_000),
            "<div>".repeat(2_000),
            "<div>".repeat(2_000),
            "<div>".repeat(2_000),
        );
        assert_eq!(code(&hidden, BOUNDS), None);
    }

    #[test]
    fn too_many_elements_are_refused() {
        let flat = "<span>x</span>".repeat(1_001);
        let small = Bounds {
            max_depth: 512,
            max_elements: 1_000,
        };
        assert_eq!(code(&flat, small), Some(ErrorCode::PageTooComplex));
        assert_eq!(code(&"<span>x</span>".repeat(999), small), None);
    }

    /// 300 formatting tags closed by a `</div>` are reopened by the parser
    /// in every later paragraph: 3,000 paragraphs are 900,000 elements.
    #[test]
    fn reopened_formatting_elements_are_counted() {
        let mut page = String::from("<body><div>");
        for i in 0..300 {
            page.push_str(&format!("<b class=c{i}>"));
        }
        page.push_str("</div>");
        page.push_str(&"<p>x</p>".repeat(3_000));
        assert_eq!(code(&page, BOUNDS), Some(ErrorCode::PageTooComplex));
        // Closed properly, the same tags are harmless.
        let closed = format!(
            "<div>{}</div>{}",
            "<b>bold</b>".repeat(300),
            "<p>x</p>".repeat(3_000)
        );
        assert_eq!(code(&closed, BOUNDS), None);
        // Formatting left open in table cells is forgotten at each cell's end.
        let cells = format!(
            "<table>{}</table>",
            (0..5_000)
                .map(|i| format!("<tr><td><font color=c{i}>x</td></tr>"))
                .collect::<String>()
        );
        assert_eq!(code(&cells, BOUNDS), None);
        // Repeats of one tag are folded to three, as in the parser.
        let repeats = format!(
            "<div>{}</div>{}",
            "<i>".repeat(400),
            "<p>x</p>".repeat(3_000)
        );
        assert_eq!(code(&repeats, BOUNDS), None);
    }
}
