//! A message's `content` as the chat-completions API takes it: a string, or
//! an array of content parts (`{"type":"text","text":…}` and
//! `{"type":"image_url","image_url":{"url":…,"detail"?}}`), the form that
//! carries images to vision deployments.

use base64::Engine as _;
use serde_json::Value;

/// Image types a vision deployment takes in a `data:` URL.
const IMAGE_TYPES: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];

/// An image part's `data:` URL, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub mime: String,
    pub bytes: usize,
}

/// Why `content` is malformed, as a 400's message; `None` when it is fine.
pub fn problem(content: &Value) -> Option<String> {
    match content {
        Value::String(_) => None,
        Value::Array(parts) if parts.is_empty() => Some("'content' must not be empty.".into()),
        Value::Array(parts) => parts.iter().enumerate().find_map(|(i, part)| {
            part_problem(part).map(|why| format!("Invalid content part {i}: {why}"))
        }),
        _ => Some("'content' must be a string or an array of content parts.".into()),
    }
}

fn part_problem(part: &Value) -> Option<String> {
    match part["type"].as_str() {
        Some("text") if part["text"].is_string() => None,
        Some("text") => Some("a text part needs a string 'text'.".into()),
        Some("image_url") => {
            if let Some(detail) = part["image_url"].get("detail") {
                if !matches!(detail.as_str(), Some("auto" | "low" | "high")) {
                    return Some("'detail' must be auto, low or high.".into());
                }
            }
            match part["image_url"]["url"].as_str() {
                Some(url) if url.starts_with("https://") => None,
                Some(url) => data_image(url).err(),
                None => Some("an image_url part needs 'image_url.url'.".into()),
            }
        }
        _ => Some("'type' must be text or image_url.".into()),
    }
}

/// Decodes `data:image/…;base64,…`, checking the bytes are that image type.
fn data_image(url: &str) -> Result<Image, String> {
    let rest = url
        .strip_prefix("data:")
        .ok_or("the url must be https or a data: URL")?;
    let (mime, data) = rest
        .split_once(";base64,")
        .ok_or("a data: URL must be base64")?;
    if !IMAGE_TYPES.contains(&mime) {
        return Err(format!("unsupported image type {mime}"));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .map_err(|_| "the data: URL is not valid base64".to_string())?;
    let magic: &[&[u8]] = match mime {
        "image/png" => &[b"\x89PNG\r\n\x1a\n"],
        "image/jpeg" => &[b"\xff\xd8\xff"],
        "image/gif" => &[b"GIF87a", b"GIF89a"],
        _ => &[b"RIFF"],
    };
    if !magic.iter().any(|m| bytes.starts_with(m)) {
        return Err(format!("the data is not a {mime} image"));
    }
    Ok(Image {
        mime: mime.to_string(),
        bytes: bytes.len(),
    })
}

/// The text of `content`: the string, or its text parts joined by spaces.
pub fn text(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p["text"].as_str())
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    }
}

/// The `data:` images of `content`, in order.
pub fn images(content: &Value) -> Vec<Image> {
    content.as_array().map_or_else(Vec::new, |parts| {
        parts
            .iter()
            .filter_map(|p| p["image_url"]["url"].as_str())
            .filter_map(|url| data_image(url).ok())
            .collect()
    })
}

/// True when any message of `body` carries an image part.
pub fn has_images(body: &Value) -> bool {
    body["messages"].as_array().is_some_and(|messages| {
        messages.iter().any(|m| {
            m["content"]
                .as_array()
                .is_some_and(|parts| parts.iter().any(|p| p["type"] == "image_url"))
        })
    })
}
