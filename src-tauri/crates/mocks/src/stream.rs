//! Azure's streaming reply, byte for byte as api-facts A3 describes it: the
//! prompt-annotation first event, a role chunk, text chunks with filter
//! results, the stop chunk, an annotation chunk after the stop, the usage
//! chunk (only when asked), `data: [DONE]`. Scenarios bend it: slow words,
//! keep-alive comments with CRLF, tiny writes that split UTF-8 characters,
//! a late content-filter stop, or a socket cut mid-body.

use axum::body::Body;
use bytes::Bytes;
use serde_json::{json, Value};
use std::time::Duration;
use tokio::sync::mpsc;

/// One step of a scripted stream.
#[derive(Debug, Clone)]
pub enum Step {
    Event(Value),
    Done,
    Comment(&'static str),
    Pause(Duration),
    /// Drop the connection without finishing the body.
    Cut,
}

/// How the bytes go out.
#[derive(Debug, Clone, Copy, Default)]
pub struct Wire {
    pub crlf: bool,
    /// Write this many bytes at a time (0: whole events).
    pub piece: usize,
}

const MODEL: &str = "o3-mini-2025-01-31";
const ID: &str = "chatcmpl-mock";

fn safe_filters() -> Value {
    let safe = json!({"filtered": false, "severity": "safe"});
    json!({"hate": safe, "self_harm": safe, "sexual": safe, "violence": safe,
           "protected_material_code": {"filtered": false, "detected": false},
           "protected_material_text": {"filtered": false, "detected": false}})
}

fn chunk(choices: Value, usage_field: bool) -> Value {
    let mut c = json!({"choices": choices, "created": 1_736_407_895, "id": ID, "model": MODEL,
                       "object": "chat.completion.chunk", "system_fingerprint": "fp_mock"});
    if usage_field {
        c["usage"] = Value::Null;
    }
    c
}

/// The prompt annotation Azure sends before anything else.
pub fn first_event(usage_field: bool) -> Value {
    let mut e = json!({"choices": [], "created": 0, "id": "", "model": "", "object": "",
        "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": safe_filters()}]});
    if usage_field {
        e["usage"] = Value::Null;
    }
    e
}

pub fn role_chunk(usage_field: bool) -> Value {
    chunk(
        json!([{"content_filter_results": {}, "delta": {"content": "", "refusal": null, "role": "assistant"},
                  "finish_reason": null, "index": 0, "logprobs": null}]),
        usage_field,
    )
}

pub fn text_chunk(text: &str, usage_field: bool) -> Value {
    chunk(
        json!([{"content_filter_results": safe_filters(), "delta": {"content": text},
                  "finish_reason": null, "index": 0, "logprobs": null}]),
        usage_field,
    )
}

pub fn stop_chunk(usage_field: bool) -> Value {
    finish_chunk("stop", usage_field)
}

/// The last content chunk: an empty delta and `reason` (`stop`, `length`).
pub fn finish_chunk(reason: &str, usage_field: bool) -> Value {
    chunk(
        json!([{"content_filter_results": {}, "delta": {}, "finish_reason": reason, "index": 0, "logprobs": null}]),
        usage_field,
    )
}

/// An asynchronous-filter annotation: no delta, empty id.
pub fn annotation_chunk(end_offset: usize, finish_reason: Option<&str>) -> Value {
    let mut filters = safe_filters();
    if finish_reason == Some("content_filter") {
        filters["protected_material_text"] = json!({"filtered": true, "detected": true});
    }
    json!({"choices": [{"index": 0, "finish_reason": finish_reason, "content_filter_results": filters,
                        "content_filter_offsets": {"check_offset": 0, "start_offset": 0, "end_offset": end_offset}}],
           "created": 0, "id": "", "model": "", "object": ""})
}

pub fn usage_chunk(usage: Value) -> Value {
    json!({"choices": [], "created": 1_736_407_895, "id": ID, "model": MODEL,
           "object": "chat.completion.chunk", "system_fingerprint": "fp_mock", "usage": usage})
}

/// Plays `steps` as a `text/event-stream` body. Stops early if the client
/// goes away.
pub fn body(steps: Vec<Step>, wire: Wire) -> Body {
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(16);
    tokio::spawn(async move {
        let end = if wire.crlf { "\r\n" } else { "\n" };
        for step in steps {
            let text = match step {
                Step::Pause(d) => {
                    tokio::time::sleep(d).await;
                    continue;
                }
                Step::Cut => {
                    let _ = tx
                        .send(Err(std::io::Error::other("connection cut by the mock")))
                        .await;
                    return;
                }
                Step::Event(v) => format!("data: {v}{end}{end}"),
                Step::Done => format!("data: [DONE]{end}{end}"),
                Step::Comment(c) => format!(": {c}{end}{end}"),
            };
            let bytes = Bytes::from(text);
            let pieces: Vec<Bytes> = if wire.piece == 0 {
                vec![bytes]
            } else {
                bytes
                    .chunks(wire.piece)
                    .map(Bytes::copy_from_slice)
                    .collect()
            };
            for piece in pieces {
                if tx.send(Ok(piece)).await.is_err() {
                    return;
                }
                if wire.piece > 0 {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            }
        }
    });
    Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }))
}
