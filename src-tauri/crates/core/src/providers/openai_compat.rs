//! OpenAI-compatible servers (Ollama, llama.cpp server, LM Studio):
//! `{base_url}/chat/completions`, an optional bearer key, `system` role.

use super::endpoint::{Endpoint, LengthCap};
use super::{OpenAiCompatConfig, Secret};

pub(super) fn endpoint(config: &OpenAiCompatConfig, key: Option<Secret>) -> Endpoint {
    let base = config.base_url.trim().trim_end_matches('/');
    Endpoint {
        url: format!("{base}/chat/completions"),
        auth: key.map(|k| {
            (
                "authorization",
                Secret::new(format!("Bearer {}", k.expose())),
            )
        }),
        model: Some(config.model.clone()),
        instructions_role: "system",
        length_cap: LengthCap::MaxTokens,
        default_cap: None,
        reasoning_effort: None,
        reasons: false,
        streams: config.streams,
        // Ollama and llama.cpp's server take a JSON-schema response format.
        json_schema: true,
        vision: config.vision,
        label: format!("{} · {}", base, config.model),
        // The server's address stays out of what model lists show.
        public_label: format!("OpenAI-compatible · {}", config.model),
        deployment: config.model.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_and_bearer() {
        let c = OpenAiCompatConfig {
            base_url: "http://127.0.0.1:11434/v1/".into(),
            model: "llama3".into(),
            streams: true,
            vision: false,
        };
        let e = endpoint(&c, Some(Secret::new("k")));
        assert_eq!(e.url, "http://127.0.0.1:11434/v1/chat/completions");
        assert_eq!(
            e.auth.as_ref().map(|(h, k)| (*h, k.expose())),
            Some(("authorization", "Bearer k"))
        );
        assert!(endpoint(&c, None).auth.is_none());
    }
}
