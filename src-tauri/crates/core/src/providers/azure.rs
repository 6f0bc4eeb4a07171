//! Azure OpenAI: the classic `/openai/deployments/{d}/chat/completions
//! ?api-version=…` form or the v1 `/openai/v1/chat/completions` form, the
//! `api-key` header, and the request shape of the deployment's family.

use super::endpoint::{Endpoint, LengthCap};
use super::{AzureConfig, ModelFamily, Secret};

pub(super) fn endpoint(config: &AzureConfig, key: Secret) -> Endpoint {
    let base = config.endpoint.trim().trim_end_matches('/');
    let (url, model) = match &config.api_version {
        Some(version) => (
            format!(
                "{base}/openai/deployments/{}/chat/completions?api-version={version}",
                config.deployment
            ),
            None,
        ),
        None => (
            format!("{base}/openai/v1/chat/completions"),
            Some(config.deployment.clone()),
        ),
    };
    let o_series = config.family == ModelFamily::OSeries;
    Endpoint {
        url,
        auth: Some(("api-key", key)),
        model,
        instructions_role: if o_series { "developer" } else { "system" },
        length_cap: if o_series {
            LengthCap::MaxCompletionTokens
        } else {
            LengthCap::MaxTokens
        },
        default_cap: config.max_completion_tokens,
        reasoning_effort: if o_series {
            config.reasoning_effort
        } else {
            None
        },
        reasons: o_series,
        streams: config.streams,
        json_schema: structured_outputs(config.api_version.as_deref()),
        vision: config.vision,
        label: format!("Azure OpenAI · {}", config.deployment),
        public_label: format!("Azure OpenAI · {}", config.deployment),
        deployment: config.deployment.clone(),
    }
}

/// Azure accepts a `json_schema` response format from API version
/// `2024-08-01-preview` on (and on the v1 form). Dated versions sort as text.
fn structured_outputs(api_version: Option<&str>) -> bool {
    match api_version {
        None => true,
        Some(v) => v.get(..10).is_some_and(|date| date >= "2024-08-01"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::endpoint::CompletionsProvider;
    use crate::providers::http::Timeouts;
    use crate::providers::{ChatRequest, PromptMessage, PromptRole, ReasoningEffort};
    use serde_json::json;

    fn config(api_version: Option<&str>, family: ModelFamily) -> AzureConfig {
        AzureConfig {
            endpoint: "https://res.openai.azure.com/".into(),
            deployment: "my-o3".into(),
            api_version: api_version.map(str::to_string),
            family,
            streams: true,
            reasoning_effort: Some(ReasoningEffort::Medium),
            max_completion_tokens: Some(8000),
            vision: false,
        }
    }

    fn request() -> ChatRequest {
        ChatRequest {
            messages: vec![
                PromptMessage {
                    role: PromptRole::Developer,
                    content: "Be brief.".into(),
                    images: Vec::new(),
                },
                PromptMessage {
                    role: PromptRole::User,
                    content: "hi".into(),
                    images: Vec::new(),
                },
            ],
            max_completion_tokens: None,
            response_format: None,
            reasoning_effort: None,
        }
    }

    #[test]
    fn both_url_forms() {
        let classic = endpoint(
            &config(Some("2025-04-01-preview"), ModelFamily::OSeries),
            Secret::new("k"),
        );
        assert_eq!(
            classic.url,
            "https://res.openai.azure.com/openai/deployments/my-o3/chat/completions?api-version=2025-04-01-preview"
        );
        assert_eq!(classic.model, None);
        let v1 = endpoint(&config(None, ModelFamily::OSeries), Secret::new("k"));
        assert_eq!(
            v1.url,
            "https://res.openai.azure.com/openai/v1/chat/completions"
        );
        assert_eq!(v1.model.as_deref(), Some("my-o3"));
    }

    #[test]
    fn o_series_body_uses_developer_and_max_completion_tokens() {
        let e = endpoint(&config(None, ModelFamily::OSeries), Secret::new("k"));
        let body = CompletionsProvider::new(e, Timeouts::default())
            .unwrap()
            .body(&request());
        assert_eq!(
            body,
            json!({
                "model": "my-o3",
                "messages": [{"role": "developer", "content": "Be brief."}, {"role": "user", "content": "hi"}],
                "stream": true,
                "stream_options": {"include_usage": true},
                "max_completion_tokens": 8000,
                "reasoning_effort": "medium"
            })
        );
    }

    #[test]
    fn images_go_as_content_parts_after_the_text() {
        let mut c = config(None, ModelFamily::Gpt);
        c.vision = true;
        let provider =
            CompletionsProvider::new(endpoint(&c, Secret::new("k")), Timeouts::default()).unwrap();
        assert!(crate::providers::ChatProvider::supports_vision(&provider));
        let mut asked = request();
        asked.messages[1].images = vec!["data:image/png;base64,iVBORw0KGgo=".into()];
        let body = provider.body(&asked);
        assert_eq!(
            body["messages"][0],
            json!({"role": "system", "content": "Be brief."})
        );
        assert_eq!(
            body["messages"][1],
            json!({"role": "user", "content": [
                {"type": "text", "text": "hi"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
            ]})
        );
    }

    #[test]
    fn gpt_body_uses_system_and_max_tokens() {
        let mut c = config(Some("2024-10-21"), ModelFamily::Gpt);
        c.streams = false;
        let body = CompletionsProvider::new(endpoint(&c, Secret::new("k")), Timeouts::default())
            .unwrap()
            .body(&request());
        assert_eq!(
            body,
            json!({
                "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}],
                "stream": false,
                "max_tokens": 8000
            })
        );
    }

    #[test]
    fn a_chats_own_effort_overrides_the_deployments_on_o_series_only() {
        let mut asked = request();
        asked.reasoning_effort = Some(ReasoningEffort::High);
        let o = endpoint(&config(None, ModelFamily::OSeries), Secret::new("k"));
        let o = CompletionsProvider::new(o, Timeouts::default()).unwrap();
        assert_eq!(o.body(&asked)["reasoning_effort"], json!("high"));
        assert_eq!(o.body(&request())["reasoning_effort"], json!("medium"));
        let gpt = endpoint(&config(None, ModelFamily::Gpt), Secret::new("k"));
        let gpt = CompletionsProvider::new(gpt, Timeouts::default()).unwrap();
        assert!(gpt.body(&asked).get("reasoning_effort").is_none());
    }

    #[test]
    fn efforts_parse_from_their_names_only() {
        for effort in ReasoningEffort::ALL {
            assert_eq!(effort.as_str().parse::<ReasoningEffort>().unwrap(), effort);
        }
        assert!("extreme".parse::<ReasoningEffort>().is_err());
        assert!("".parse::<ReasoningEffort>().is_err());
    }

    #[test]
    fn structured_outputs_from_2024_08_01_preview_and_on_v1() {
        assert!(structured_outputs(None));
        assert!(structured_outputs(Some("2024-08-01-preview")));
        assert!(structured_outputs(Some("2024-10-21")));
        assert!(structured_outputs(Some("2025-04-01-preview")));
        assert!(!structured_outputs(Some("2024-06-01")));
        assert!(!structured_outputs(Some("preview")));
    }

    #[test]
    fn a_response_format_is_sent_only_when_asked() {
        let e = endpoint(&config(None, ModelFamily::OSeries), Secret::new("k"));
        let provider = CompletionsProvider::new(e, Timeouts::default()).unwrap();
        assert!(provider.body(&request()).get("response_format").is_none());
        let mut asked = request();
        asked.response_format = Some(crate::providers::ResponseFormat::JsonSchema {
            name: "plan".into(),
            strict: true,
            schema: json!({"type": "object"}),
        });
        assert_eq!(
            provider.body(&asked)["response_format"],
            json!({"type": "json_schema", "json_schema": {"name": "plan", "strict": true, "schema": {"type": "object"}}})
        );
    }

    #[test]
    fn the_key_never_prints() {
        let e = endpoint(
            &config(None, ModelFamily::OSeries),
            Secret::new("super-secret"),
        );
        assert!(!format!("{e:?}").contains("super-secret"));
    }
}
