//! A `text/event-stream` body turned into [`ProviderEvent`]s.
//!
//! eventsource-stream does the SSE framing (comments, CRLF, events split
//! across reads, UTF-8 characters split across reads); this adapter reads
//! each `data:` payload as a chat chunk and tolerates Azure's extras.

use super::wire::{finish_reason, Chunk};
use super::{EventStream, ProviderError, ProviderEvent, TokenUsage};
use bytes::Bytes;
use eventsource_stream::Eventsource;
use futures_util::{Stream, StreamExt};
use std::collections::VecDeque;
use std::time::Duration;

/// The events in one parsed chunk, in order: text, finish, usage.
pub(super) fn chunk_events(chunk: Chunk) -> Vec<ProviderEvent> {
    let mut events = Vec::new();
    for choice in chunk.choices {
        if let Some(text) = choice
            .delta
            .and_then(|d| d.content)
            .filter(|t| !t.is_empty())
        {
            events.push(ProviderEvent::Delta(text));
        }
        if let Some(reason) = choice.finish_reason {
            events.push(ProviderEvent::Finished(finish_reason(&reason)));
        }
    }
    if let Some(usage) = chunk.usage {
        events.push(ProviderEvent::Usage(TokenUsage::from(usage)));
    }
    events
}

struct State<S> {
    sse: S,
    queued: VecDeque<ProviderEvent>,
    done: bool,
    idle: Duration,
}

/// Reads `body` until `data: [DONE]`. A body that ends or breaks before it
/// ends the stream with an error; so does `idle` without a byte.
pub(super) fn events<B, E>(body: B, idle: Duration) -> EventStream
where
    B: Stream<Item = Result<Bytes, E>> + Send + 'static,
    E: std::fmt::Display + Send + 'static,
{
    let state = State {
        sse: Box::pin(body.eventsource()),
        queued: VecDeque::new(),
        done: false,
        idle,
    };
    futures_util::stream::unfold(state, |mut state| async move {
        loop {
            if let Some(event) = state.queued.pop_front() {
                return Some((Ok(event), state));
            }
            if state.done {
                return None;
            }
            let next = match tokio::time::timeout(state.idle, state.sse.next()).await {
                Ok(next) => next,
                Err(_) => {
                    state.done = true;
                    return Some((Err(ProviderError::Timeout { phase: "idle" }), state));
                }
            };
            let event = match next {
                Some(Ok(event)) => event,
                Some(Err(error)) => {
                    state.done = true;
                    let error = ProviderError::Network(format!("the reply stream broke: {error}"));
                    return Some((Err(error), state));
                }
                None => {
                    state.done = true;
                    let error = ProviderError::Network(
                        "the reply stream ended before it was complete".into(),
                    );
                    return Some((Err(error), state));
                }
            };
            let data = event.data.trim();
            if data.is_empty() {
                continue;
            }
            if data == "[DONE]" {
                state.done = true;
                continue;
            }
            match serde_json::from_str::<Chunk>(data) {
                Ok(chunk) => state.queued.extend(chunk_events(chunk)),
                Err(error) => {
                    state.done = true;
                    let error =
                        ProviderError::BadResponse(format!("unreadable stream chunk: {error}"));
                    return Some((Err(error), state));
                }
            }
        }
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::FinishReason;

    /// An Azure transcript as in api-facts A3: prompt annotation first, role
    /// chunk, text, stop, an annotation after the stop, usage, [DONE].
    const AZURE: &str = concat!(
        "data: {\"choices\":[],\"created\":0,\"id\":\"\",\"model\":\"\",\"object\":\"\",\"prompt_filter_results\":[{\"prompt_index\":0,\"content_filter_results\":{}}],\"usage\":null}\r\n\r\n",
        ": keep-alive\n\n",
        "data: {\"choices\":[{\"content_filter_results\":{},\"delta\":{\"content\":\"\",\"role\":\"assistant\"},\"finish_reason\":null,\"index\":0}],\"id\":\"c\",\"usage\":null}\n\n",
        "data: {\"choices\":[{\"delta\":{\"content\":\"Hé 👋🏽 \"},\"finish_reason\":null,\"index\":0}],\"usage\":null}\n\n",
        "data: {\"choices\":[{\"delta\":{\"content\":\"世界\"},\"finish_reason\":null,\"index\":0,\"obfuscation\":\"x\"}],\"usage\":null}\n\n",
        "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\",\"index\":0}],\"usage\":null}\n\n",
        "data: {\"choices\":[{\"index\":0,\"finish_reason\":null,\"content_filter_results\":{},\"content_filter_offsets\":{\"check_offset\":0,\"start_offset\":0,\"end_offset\":9}}],\"id\":\"\",\"usage\":null}\n\n",
        "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":20,\"completion_tokens\":210,\"completion_tokens_details\":{\"reasoning_tokens\":192},\"total_tokens\":230}}\n\n",
        "data: [DONE]\n\n",
    );

    async fn collect(pieces: Vec<Vec<u8>>) -> Vec<Result<ProviderEvent, ProviderError>> {
        let body = futures_util::stream::iter(
            pieces
                .into_iter()
                .map(|p| Ok::<_, std::io::Error>(Bytes::from(p))),
        );
        events(body, Duration::from_secs(5)).collect().await
    }

    fn expected() -> Vec<Result<ProviderEvent, ProviderError>> {
        vec![
            Ok(ProviderEvent::Delta("Hé 👋🏽 ".into())),
            Ok(ProviderEvent::Delta("世界".into())),
            Ok(ProviderEvent::Finished(FinishReason::Stop)),
            Ok(ProviderEvent::Usage(TokenUsage {
                prompt_tokens: 20,
                completion_tokens: 210,
                reasoning_tokens: 192,
            })),
        ]
    }

    #[tokio::test]
    async fn reads_an_azure_transcript_in_one_piece() {
        assert_eq!(collect(vec![AZURE.as_bytes().to_vec()]).await, expected());
    }

    #[tokio::test]
    async fn reads_it_one_byte_at_a_time_even_inside_utf8_characters() {
        let pieces = AZURE.as_bytes().iter().map(|b| vec![*b]).collect();
        assert_eq!(collect(pieces).await, expected());
    }

    #[tokio::test]
    async fn a_body_that_ends_without_done_is_an_error_after_the_text() {
        let cut = &AZURE[..AZURE
            .find("data: {\"choices\":[{\"delta\":{},\"finish")
            .unwrap()];
        let got = collect(vec![cut.as_bytes().to_vec()]).await;
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(matches!(got[2], Err(ProviderError::Network(_))));
    }

    #[tokio::test]
    async fn a_late_content_filter_finish_is_reported() {
        let body = "data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\n\
                    data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n\
                    data: {\"choices\":[{\"index\":0,\"finish_reason\":\"content_filter\",\"content_filter_results\":{\"protected_material_text\":{\"detected\":true,\"filtered\":true}}}],\"id\":\"\"}\n\n\
                    data: [DONE]\n\n";
        let got = collect(vec![body.as_bytes().to_vec()]).await;
        assert_eq!(
            got.last(),
            Some(&Ok(ProviderEvent::Finished(FinishReason::ContentFilter)))
        );
    }

    #[tokio::test]
    async fn garbage_is_a_bad_response() {
        let got = collect(vec![b"data: {not json\n\n".to_vec()]).await;
        assert!(matches!(
            got.as_slice(),
            [Err(ProviderError::BadResponse(_))]
        ));
    }
}
