//! Files sent with a message: text and code (read as UTF-8 text and put in
//! the prompt after the message) and images (sent as `image_url` content
//! parts to a deployment that can see).
//!
//! Everything is checked before anything is paid for: the count
//! ([`MAX_ATTACHMENTS`]), each file's size ([`MAX_TEXT_ATTACHMENT_BYTES`],
//! [`MAX_IMAGE_ATTACHMENT_BYTES`]) and their sum
//! ([`MAX_MESSAGE_ATTACHMENT_BYTES`]), that a text file is text and an image is
//! one of [`IMAGE_TYPES`] (by its magic bytes, never by its name), that the
//! model can see when images are attached, and that the message with its
//! text files fits [`ATTACHMENT_TOKEN_BUDGET`]. A refused send charges
//! nothing and keeps nothing.
//!
//! Files stay in the conversation: each later turn's prompt carries the
//! files of the earlier user messages in its history as they were sent,
//! within [`HISTORY_ATTACHMENT_TOKEN_BUDGET`] (see [`carry_earlier`]).

use crate::error::ErrorCode;
use crate::tokens;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Most files one message may carry.
pub const MAX_ATTACHMENTS: usize = 8;
/// Largest text or code file, in bytes.
pub const MAX_TEXT_ATTACHMENT_BYTES: usize = 256 * 1024;
/// Largest image, in bytes (Azure takes up to 20 MB; a chat rarely needs
/// more than a screenshot's worth, and the bytes are stored with the message).
pub const MAX_IMAGE_ATTACHMENT_BYTES: usize = 4 * 1024 * 1024;
/// Most bytes all files of one message may hold together (what a hosted
/// send uploads at most, before base64).
pub const MAX_MESSAGE_ATTACHMENT_BYTES: usize = 8 * 1024 * 1024;
/// Most tokens a message and its text files may take together, so the
/// conversation before it and the reply still fit the model's window.
pub const ATTACHMENT_TOKEN_BUDGET: i64 = 32_000;
/// Most tokens the files of the earlier messages a prompt carries (its
/// history, `chat::HISTORY_MESSAGES` messages at most) may take together:
/// as much again as the new message may bring ([`ATTACHMENT_TOKEN_BUDGET`]).
/// With both full, files take 64,000 tokens: half the window of gpt-4o and
/// o1-mini (128,000; o3-mini's is 200,000), leaving the other half for the
/// instructions, the conversation's text and the reply. Over it, the oldest
/// earlier files are left out first ([`carry_earlier`]); the new message's
/// own files are never left out (they are refused before paying instead).
pub const HISTORY_ATTACHMENT_TOKEN_BUDGET: i64 = ATTACHMENT_TOKEN_BUDGET;
/// What one earlier image counts against [`HISTORY_ATTACHMENT_TOKEN_BUDGET`].
/// The provider counts images itself, so this is an estimate, taken high.
/// OpenAI's vision pricing ("Calculating costs" in the images and vision
/// guide): a low-detail image costs 85 tokens; at high detail (which `auto`,
/// what the app asks for by sending no `detail`, may choose) the image is
/// fit in 2048 × 2048, its shorter side scaled to 768 px, and each 512 px
/// tile adds 170: 765 for a square image (2 × 2 tiles), 1,105 for a 16:9
/// screenshot (3 × 2), and at most 1,445 for 4 × 2 tiles (a 2048 × 768
/// image). The most an image can cost is taken, so earlier images never
/// take more of the window than the budget allows.
pub const IMAGE_TOKEN_ESTIMATE: i64 = 85 + 4 * 2 * 170;
/// Longest file name kept (longer ones are cut).
pub const MAX_ATTACHMENT_NAME_CHARS: usize = 200;
/// The image types vision deployments accept, as MIME types.
pub const IMAGE_TYPES: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];

/// What kind of file an attachment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum AttachmentKind {
    /// UTF-8 text or code, shown to the model as text.
    Text,
    /// An image, shown to a vision deployment as an `image_url` part.
    Image,
}

/// A checked file, ready to send and store. Its JSON form (the hosted
/// upload, the JSON export) carries the bytes as standard base64 in `data`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    pub name: String,
    pub kind: AttachmentKind,
    /// `text/plain; charset=utf-8` for text, the sniffed type for images.
    pub mime: String,
    #[serde(with = "base64_bytes")]
    pub data: Vec<u8>,
}

impl std::fmt::Debug for Attachment {
    /// Names and sizes only: contents never reach a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attachment")
            .field("kind", &self.kind)
            .field("mime", &self.mime)
            .field("bytes", &self.data.len())
            .finish_non_exhaustive()
    }
}

/// A stored attachment as lists show it (without its bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct AttachmentInfo {
    pub id: i64,
    pub message_id: i64,
    pub name: String,
    pub kind: AttachmentKind,
    pub mime: String,
    pub size_bytes: i64,
    /// Prompt tokens of a text file (0 for an image).
    pub tokens: i64,
}

/// Why a file cannot be attached.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttachmentError {
    #[error("at most {max} files can be attached to one message")]
    TooMany { max: usize },
    #[error("{name} is {size} bytes; the largest {what} that can be attached is {max} bytes")]
    TooLarge {
        name: String,
        what: &'static str,
        size: usize,
        max: usize,
    },
    #[error("{name} is not a text file (binary or not UTF-8); attach text, code or a PNG, JPEG, GIF or WebP image")]
    NotText { name: String },
    #[error("{name} is a {mime} image; only PNG, JPEG, GIF and WebP images can be attached")]
    UnsupportedImage { name: String, mime: String },
    #[error(
        "the message and its files come to {tokens} tokens; at most {budget} fit in one message"
    )]
    OverBudget { tokens: i64, budget: i64 },
    #[error("{model} cannot see images; choose a vision-capable model or remove the image")]
    ModelCannotSee { model: String },
    #[error("cannot read {name}: {reason}")]
    Unreadable { name: String, reason: String },
}

impl AttachmentError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::TooMany { .. } => ErrorCode::TooManyAttachments,
            Self::TooLarge { .. } => ErrorCode::AttachmentTooLarge,
            Self::NotText { .. } => ErrorCode::AttachmentNotText,
            Self::UnsupportedImage { .. } => ErrorCode::AttachmentUnsupported,
            Self::OverBudget { .. } => ErrorCode::AttachmentOverBudget,
            Self::ModelCannotSee { .. } => ErrorCode::ModelCannotSee,
            Self::Unreadable { .. } => ErrorCode::AttachmentUnreadable,
        }
    }
}

impl Attachment {
    /// Checks `data` as a file called `name`: an image by its magic bytes
    /// (one of [`IMAGE_TYPES`], at most [`MAX_IMAGE_ATTACHMENT_BYTES`]),
    /// anything else as UTF-8 text without NUL bytes (at most
    /// [`MAX_TEXT_ATTACHMENT_BYTES`]).
    pub fn new(name: &str, data: Vec<u8>) -> Result<Self, AttachmentError> {
        let name = clean_name(name);
        if let Some(kind) =
            infer::get(&data).filter(|k| k.matcher_type() == infer::MatcherType::Image)
        {
            let mime = kind.mime_type();
            if !IMAGE_TYPES.contains(&mime) {
                return Err(AttachmentError::UnsupportedImage {
                    name,
                    mime: mime.to_string(),
                });
            }
            if data.len() > MAX_IMAGE_ATTACHMENT_BYTES {
                return Err(AttachmentError::TooLarge {
                    name,
                    what: "image",
                    size: data.len(),
                    max: MAX_IMAGE_ATTACHMENT_BYTES,
                });
            }
            return Ok(Self {
                name,
                kind: AttachmentKind::Image,
                mime: mime.to_string(),
                data,
            });
        }
        if data.len() > MAX_TEXT_ATTACHMENT_BYTES {
            return Err(AttachmentError::TooLarge {
                name,
                what: "text file",
                size: data.len(),
                max: MAX_TEXT_ATTACHMENT_BYTES,
            });
        }
        if data.contains(&0) || std::str::from_utf8(&data).is_err() {
            return Err(AttachmentError::NotText { name });
        }
        Ok(Self {
            name,
            kind: AttachmentKind::Text,
            mime: "text/plain; charset=utf-8".to_string(),
            data,
        })
    }

    /// [`Self::new`] for bytes that came as standard base64 (the app's
    /// composer); bytes that do not decode are `Unreadable`.
    pub fn from_base64(name: &str, data: &str) -> Result<Self, AttachmentError> {
        // Refused before decoding when it cannot fit any cap decoded.
        let cap = MAX_IMAGE_ATTACHMENT_BYTES.max(MAX_TEXT_ATTACHMENT_BYTES);
        if data.len() / 4 * 3 > cap + 3 {
            return Err(AttachmentError::TooLarge {
                name: clean_name(name),
                what: "file",
                size: data.len() / 4 * 3,
                max: cap,
            });
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data.as_bytes())
            .map_err(|_| AttachmentError::Unreadable {
                name: clean_name(name),
                reason: "it did not arrive whole; attach it again".into(),
            })?;
        Self::new(name, bytes)
    }

    /// Reads and checks the file at `path`, refusing one larger than any
    /// attachment may be before reading it.
    pub fn read_file(path: &Path) -> Result<Self, AttachmentError> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        let unreadable = |e: std::io::Error| AttachmentError::Unreadable {
            name: clean_name(&name),
            reason: e.to_string(),
        };
        let metadata = std::fs::metadata(path).map_err(unreadable)?;
        // Devices, pipes and /proc files say 0 bytes and may never end.
        if !metadata.is_file() {
            return Err(unreadable(std::io::Error::other("not a regular file")));
        }
        let cap = MAX_IMAGE_ATTACHMENT_BYTES.max(MAX_TEXT_ATTACHMENT_BYTES);
        let too_large = |size: u64| AttachmentError::TooLarge {
            name: clean_name(&name),
            what: "file",
            size: usize::try_from(size).unwrap_or(usize::MAX),
            max: cap,
        };
        if metadata.len() > cap as u64 {
            return Err(too_large(metadata.len()));
        }
        // Read at most one byte past the cap: a file that grew since is
        // refused without reading it all.
        let mut data = Vec::new();
        std::io::Read::read_to_end(
            &mut std::io::Read::take(
                std::fs::File::open(path).map_err(unreadable)?,
                cap as u64 + 1,
            ),
            &mut data,
        )
        .map_err(unreadable)?;
        if data.len() > cap {
            return Err(too_large(data.len() as u64));
        }
        Self::new(&name, data)
    }

    /// The file as text (`None` for an image).
    pub fn text(&self) -> Option<&str> {
        match self.kind {
            AttachmentKind::Text => std::str::from_utf8(&self.data).ok(),
            AttachmentKind::Image => None,
        }
    }

    /// The image as a `data:` URL, as the `image_url` part carries it.
    pub fn data_url(&self) -> String {
        format!(
            "data:{};base64,{}",
            self.mime,
            base64::engine::general_purpose::STANDARD.encode(&self.data)
        )
    }

    /// Prompt tokens of a text file as [`prompt_text`] shows it; 0 for an
    /// image (the provider prices images itself).
    pub fn tokens(&self) -> i64 {
        self.text()
            .map_or(0, |text| tokens::count(&file_block(&self.name, text)))
    }
}

/// Checks a message's attachments before a send: how many, whether the
/// model can see when there are images (`model` names it in the refusal),
/// and that `content` with the text files fits [`ATTACHMENT_TOKEN_BUDGET`].
/// Returns the tokens of the message with its files.
pub fn check_for_send(
    content: &str,
    attachments: &[Attachment],
    vision: bool,
    model: &str,
) -> Result<i64, AttachmentError> {
    if attachments.len() > MAX_ATTACHMENTS {
        return Err(AttachmentError::TooMany {
            max: MAX_ATTACHMENTS,
        });
    }
    let bytes: usize = attachments.iter().map(|a| a.data.len()).sum();
    if bytes > MAX_MESSAGE_ATTACHMENT_BYTES {
        return Err(AttachmentError::TooLarge {
            name: "the attached files".into(),
            what: "set of files for one message",
            size: bytes,
            max: MAX_MESSAGE_ATTACHMENT_BYTES,
        });
    }
    if !vision && attachments.iter().any(|a| a.kind == AttachmentKind::Image) {
        return Err(AttachmentError::ModelCannotSee {
            model: model.to_string(),
        });
    }
    let total = attachments
        .iter()
        .map(Attachment::tokens)
        .fold(tokens::count(content), i64::saturating_add);
    if total > ATTACHMENT_TOKEN_BUDGET {
        return Err(AttachmentError::OverBudget {
            tokens: total,
            budget: ATTACHMENT_TOKEN_BUDGET,
        });
    }
    Ok(total)
}

/// The user's message as the model reads it: the text, then each text file
/// in a block naming it. Images go separately, as content parts.
pub fn prompt_text(content: &str, attachments: &[Attachment]) -> String {
    let mut text = content.to_string();
    for attachment in attachments {
        if let Some(body) = attachment.text() {
            text.push_str("\n\n");
            text.push_str(&file_block(&attachment.name, body));
        }
    }
    text
}

/// SHA-256 (hex) over the files' names and bytes, in order, each field
/// length-prefixed; `None` without files. Binds an idempotency key to the
/// files it was first sent with.
pub fn digest(attachments: &[Attachment]) -> Option<String> {
    use sha2::{Digest, Sha256};
    if attachments.is_empty() {
        return None;
    }
    let mut hash = Sha256::new();
    for a in attachments {
        for field in [a.name.as_bytes(), &a.data] {
            hash.update((field.len() as u64).to_be_bytes());
            hash.update(field);
        }
    }
    Some(hash.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// The images of `attachments` as `data:` URLs, in order.
pub fn image_urls(attachments: &[Attachment]) -> Vec<String> {
    attachments
        .iter()
        .filter(|a| a.kind == AttachmentKind::Image)
        .map(Attachment::data_url)
        .collect()
}

/// How one file of an earlier message goes with it in a prompt (see
/// [`carry_earlier`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Carried {
    /// A text file's named block, after the message's text (as
    /// [`prompt_text`] puts it).
    Block(String),
    /// An image, as the `data:` URL of its content part.
    Image(String),
    /// One line in the file's place, after the message's text, naming a
    /// file that is left out and why.
    Note(String),
}

/// How the files of the earlier messages a prompt carries go with them.
/// `files` are those messages' files, each with its message's id, oldest
/// first (by message then position, as `ChatStore::attachments_of_messages`
/// reads them); the answer is in the same order.
///
/// Text files go as their named blocks and images as image parts while
/// they fit [`HISTORY_ATTACHMENT_TOKEN_BUDGET`] together (an image counted
/// as [`IMAGE_TOKEN_ESTIMATE`]), and while the images' bytes fit
/// [`MAX_MESSAGE_ATTACHMENT_BYTES`] (what one message may bring: providers
/// cap a request's size, and a chat of many large photos must not grow
/// past it and fail every later turn); past either, the oldest are left
/// out first, each replaced by a note naming it. They are counted newest
/// first (with the tokenizer, as [`Attachment::tokens`] counts; the caller
/// holds no write lock): the first that does not fit is left out with
/// every older one, which are not counted at all. For a model that cannot
/// see (`vision` false), every image is a note instead, counting nothing:
/// the model may have changed since it was sent, and the send goes on
/// without it.
pub fn carry_earlier(files: Vec<(i64, Attachment)>, vision: bool) -> Vec<(i64, Carried)> {
    let mut left = HISTORY_ATTACHMENT_TOKEN_BUDGET;
    let mut bytes_left = MAX_MESSAGE_ATTACHMENT_BYTES;
    let mut full = false;
    let mut carried = Vec::with_capacity(files.len());
    for (message_id, file) in files.into_iter().rev() {
        let shown = match file.kind {
            AttachmentKind::Image if !vision => Carried::Note(format!(
                "[image {} not shown: this model cannot see images]",
                file.name
            )),
            _ if full => left_out(&file),
            AttachmentKind::Image
                if IMAGE_TOKEN_ESTIMATE <= left && file.data.len() <= bytes_left =>
            {
                left -= IMAGE_TOKEN_ESTIMATE;
                bytes_left -= file.data.len();
                Carried::Image(file.data_url())
            }
            AttachmentKind::Image => {
                full = true;
                left_out(&file)
            }
            AttachmentKind::Text => {
                // Checked as UTF-8 when it was attached; a damaged row
                // still goes, its damage marked, and is counted as it goes.
                let block = file_block(&file.name, &String::from_utf8_lossy(&file.data));
                let cost = tokens::count(&block);
                if cost <= left {
                    left -= cost;
                    Carried::Block(block)
                } else {
                    full = true;
                    left_out(&file)
                }
            }
        };
        carried.push((message_id, shown));
    }
    carried.reverse();
    carried
}

/// The note in place of an earlier file the budget leaves out.
fn left_out(file: &Attachment) -> Carried {
    let what = match file.kind {
        AttachmentKind::Text => "file",
        AttachmentKind::Image => "image",
    };
    Carried::Note(format!(
        "[{what} {} left out: over the context budget]",
        file.name
    ))
}

fn file_block(name: &str, text: &str) -> String {
    format!("Attached file `{name}`:\n````\n{text}\n````")
}

/// The last part of a path, without control characters and cut to
/// [`MAX_ATTACHMENT_NAME_CHARS`]; "file" when nothing is left.
fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_ATTACHMENT_NAME_CHARS)
        .collect();
    let cleaned = cleaned.trim();
    if cleaned.is_empty() {
        "file".to_string()
    } else {
        cleaned.to_string()
    }
}

mod base64_bytes {
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The smallest valid PNG (1×1, transparent).
    pub(crate) const PNG: &[u8] = &[
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f,
        0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00,
        0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49,
        0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
    ];

    #[test]
    fn text_files_are_text_and_counted() {
        let a = Attachment::new("src/main.rs", b"fn main() {}\n".to_vec()).unwrap();
        assert_eq!(a.kind, AttachmentKind::Text);
        assert_eq!(a.name, "main.rs");
        assert!(a.tokens() > tokens::count("fn main() {}"));
        let total = check_for_send("look", std::slice::from_ref(&a), false, "m").unwrap();
        assert_eq!(total, tokens::count("look") + a.tokens());
        let prompt = prompt_text("look", &[a]);
        assert!(prompt.starts_with("look\n\nAttached file `main.rs`:"));
        assert!(prompt.contains("fn main() {}"));
    }

    #[test]
    fn binary_and_invalid_utf8_are_refused() {
        let nul = Attachment::new("a.bin", vec![b'a', 0, b'b']).unwrap_err();
        assert_eq!(nul.code(), ErrorCode::AttachmentNotText);
        let latin1 = Attachment::new("l.txt", vec![b'c', 0xe9, b'!']).unwrap_err();
        assert_eq!(latin1.code(), ErrorCode::AttachmentNotText);
        // A zip is not text either, whatever it is called.
        let zip = Attachment::new("notes.txt", b"PK\x03\x04\x14\x00\x00\x00".to_vec()).unwrap_err();
        assert_eq!(zip.code(), ErrorCode::AttachmentNotText);
    }

    #[test]
    fn images_by_magic_bytes_not_names() {
        let png = Attachment::new("photo.txt", PNG.to_vec()).unwrap();
        assert_eq!(
            (png.kind, png.mime.as_str()),
            (AttachmentKind::Image, "image/png")
        );
        assert!(png
            .data_url()
            .starts_with("data:image/png;base64,iVBORw0KGgo"));
        assert_eq!(png.tokens(), 0);
        let bmp = Attachment::new(
            "x.bmp",
            b"BM\x3a\x00\x00\x00\x00\x00\x00\x00\x36\x00".to_vec(),
        );
        assert_eq!(bmp.unwrap_err().code(), ErrorCode::AttachmentUnsupported);
    }

    #[test]
    fn sizes_are_capped() {
        let big = Attachment::new("big.txt", vec![b'a'; MAX_TEXT_ATTACHMENT_BYTES + 1]);
        assert_eq!(big.unwrap_err().code(), ErrorCode::AttachmentTooLarge);
        let mut image = PNG.to_vec();
        image.resize(MAX_IMAGE_ATTACHMENT_BYTES + 1, 0);
        let big = Attachment::new("big.png", image);
        assert_eq!(big.unwrap_err().code(), ErrorCode::AttachmentTooLarge);
    }

    #[test]
    fn images_need_a_model_that_can_see() {
        let png = Attachment::new("p.png", PNG.to_vec()).unwrap();
        let refused = check_for_send(
            "what is this?",
            std::slice::from_ref(&png),
            false,
            "o3-mini",
        );
        let error = refused.unwrap_err();
        assert_eq!(error.code(), ErrorCode::ModelCannotSee);
        assert!(error.to_string().contains("o3-mini cannot see images"));
        assert!(check_for_send("what is this?", &[png], true, "gpt-4o").is_ok());
    }

    #[test]
    fn the_budget_and_the_count_are_enforced() {
        // Under the size cap, over the token budget.
        let words = "token ".repeat(40_000);
        let file = Attachment::new("words.txt", words.into_bytes()).unwrap();
        let error = check_for_send("hi", &[file], false, "m").unwrap_err();
        assert_eq!(error.code(), ErrorCode::AttachmentOverBudget);
        let small = Attachment::new("a.txt", b"a".to_vec()).unwrap();
        let many = vec![small; MAX_ATTACHMENTS + 1];
        let error = check_for_send("hi", &many, false, "m").unwrap_err();
        assert_eq!(error.code(), ErrorCode::TooManyAttachments);
        let mut image = PNG.to_vec();
        image.resize(MAX_IMAGE_ATTACHMENT_BYTES, 0);
        let image = Attachment::new("big.png", image).unwrap();
        let error = check_for_send("hi", &[image.clone(), image.clone(), image], true, "m");
        assert_eq!(error.unwrap_err().code(), ErrorCode::AttachmentTooLarge);
    }

    #[test]
    fn names_are_cleaned_and_json_carries_base64() {
        let a = Attachment::new("..\\dir/\u{1b}[2Jnote.md", b"# hi".to_vec()).unwrap();
        assert_eq!(a.name, "[2Jnote.md");
        let json = serde_json::to_value(&a).unwrap();
        assert_eq!(json["data"], "IyBoaQ==");
        let back: Attachment = serde_json::from_value(json).unwrap();
        assert_eq!(back, a);
        let decoded = Attachment::from_base64("note.md", "IyBoaQ==").unwrap();
        assert_eq!(
            (decoded.name.as_str(), decoded.data),
            ("note.md", a.data.clone())
        );
        let broken = Attachment::from_base64("note.md", "IyBo*Q==").unwrap_err();
        assert_eq!(broken.code(), ErrorCode::AttachmentUnreadable);
        assert!(!format!("{a:?}").contains("hi"));
    }

    /// A text file of about `words` tokens.
    fn words(name: &str, words: usize) -> Attachment {
        Attachment::new(name, "token ".repeat(words).into_bytes()).unwrap()
    }

    fn notes(carried: &[(i64, Carried)]) -> Vec<&str> {
        carried
            .iter()
            .filter_map(|(_, c)| match c {
                Carried::Note(note) => Some(note.as_str()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn earlier_files_over_their_budget_are_left_out_oldest_first() {
        // Three files of a third of the budget and a bit more: the newest
        // two fit, the oldest does not, and neither does the smaller file
        // before it (older files go first, whatever their size).
        let third = usize::try_from(HISTORY_ATTACHMENT_TOKEN_BUDGET / 3).unwrap() + 100;
        let files = vec![
            (1, Attachment::new("tiny.txt", b"x".to_vec()).unwrap()),
            (1, words("old.txt", third)),
            (2, words("mid.txt", third)),
            (3, words("new.txt", third)),
        ];
        let kept: i64 = files[2..].iter().map(|(_, f)| f.tokens()).sum();
        assert!(kept <= HISTORY_ATTACHMENT_TOKEN_BUDGET);
        assert!(kept + files[1].1.tokens() > HISTORY_ATTACHMENT_TOKEN_BUDGET);
        let carried = carry_earlier(files.clone(), false);
        let ids: Vec<_> = carried.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, [1, 1, 2, 3], "in the order given");
        assert_eq!(
            notes(&carried),
            [
                "[file tiny.txt left out: over the context budget]",
                "[file old.txt left out: over the context budget]"
            ]
        );
        for (n, (_, file)) in files.iter().enumerate().skip(2) {
            let text = file.text().unwrap();
            assert_eq!(carried[n].1, Carried::Block(file_block(&file.name, text)));
        }
        // Well within the budget, every file goes.
        let few = carry_earlier(files[..3].to_vec(), false);
        assert!(few.iter().all(|(_, c)| matches!(c, Carried::Block(_))));
    }

    #[test]
    fn earlier_images_count_against_the_budget_and_need_a_model_that_sees() {
        let png = Attachment::new("p.png", PNG.to_vec()).unwrap();
        // A newer file that leaves less than one image's estimate.
        let mut fill = usize::try_from(HISTORY_ATTACHMENT_TOKEN_BUDGET).unwrap();
        let big = loop {
            let file = words("big.txt", fill);
            let room = HISTORY_ATTACHMENT_TOKEN_BUDGET - file.tokens();
            if (0..IMAGE_TOKEN_ESTIMATE).contains(&room) {
                break file;
            }
            fill -= 50;
        };
        let files = vec![(1, png.clone()), (2, png.clone()), (3, big)];
        let carried = carry_earlier(files.clone(), true);
        assert_eq!(
            notes(&carried),
            [
                "[image p.png left out: over the context budget]",
                "[image p.png left out: over the context budget]"
            ]
        );
        // Without the big file both images go, as image parts.
        let images = carry_earlier(files[..2].to_vec(), true);
        assert_eq!(
            images.iter().map(|(_, c)| c.clone()).collect::<Vec<_>>(),
            [
                Carried::Image(png.data_url()),
                Carried::Image(png.data_url())
            ]
        );
        // To a model that cannot see, each image is a note, and costs nothing.
        let blind = carry_earlier(files, false);
        assert_eq!(
            notes(&blind),
            [
                "[image p.png not shown: this model cannot see images]",
                "[image p.png not shown: this model cannot see images]"
            ]
        );
        assert!(matches!(blind[2].1, Carried::Block(_)));

        // Images whose bytes together pass what one message may bring: the
        // oldest is left out, though their tokens would fit.
        let mut large = PNG.to_vec();
        large.resize(MAX_MESSAGE_ATTACHMENT_BYTES / 2, 0);
        let large = Attachment::new("large.png", large).unwrap();
        let photos = vec![(1, large.clone()), (2, large.clone()), (3, png.clone())];
        const { assert!(3 * IMAGE_TOKEN_ESTIMATE <= HISTORY_ATTACHMENT_TOKEN_BUDGET) };
        let carried = carry_earlier(photos, true);
        assert_eq!(
            notes(&carried),
            ["[image large.png left out: over the context budget]"]
        );
        assert_eq!(carried[1].1, Carried::Image(large.data_url()));
    }
}
