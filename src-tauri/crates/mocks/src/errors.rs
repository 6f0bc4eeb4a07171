//! Azure's error bodies, as api-facts A4 records them.

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

pub fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({"error": {"code": "401", "message": "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource."}})),
    )
        .into_response()
}

pub fn deployment_not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"error": {"code": "DeploymentNotFound", "message": "The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again."}})),
    )
        .into_response()
}

pub fn resource_not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"error": {"code": "404", "message": "Resource not found"}})),
    )
        .into_response()
}

pub fn rate_limited() -> Response {
    let mut headers = HeaderMap::new();
    headers.insert("retry-after-ms", HeaderValue::from_static("150"));
    headers.insert("retry-after", HeaderValue::from_static("1"));
    headers.insert(
        "x-ratelimit-remaining-requests",
        HeaderValue::from_static("0"),
    );
    (
        StatusCode::TOO_MANY_REQUESTS,
        headers,
        Json(json!({"error": {"code": "429", "message": "Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2025-04-01-preview have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after 1 second. Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit."}})),
    )
        .into_response()
}

pub fn prompt_filtered() -> Response {
    let filtered = json!({"filtered": true, "severity": "high"});
    let safe = json!({"filtered": false, "severity": "safe"});
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": {
            "message": "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry.",
            "type": null,
            "param": "prompt",
            "code": "content_filter",
            "status": 400,
            "innererror": {
                "code": "ResponsibleAIPolicyViolation",
                "content_filter_result": {
                    "hate": safe, "self_harm": safe, "sexual": safe, "violence": filtered,
                    "jailbreak": {"filtered": false, "detected": false}
                }
            }
        }})),
    )
        .into_response()
}

pub fn invalid_request(param: &str, code: &str, message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}})),
    )
        .into_response()
}

pub fn unsupported_parameter(param: &str) -> Response {
    let message = if param == "max_tokens" {
        "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.".to_string()
    } else {
        format!("Unsupported parameter: '{param}' is not supported with this model.")
    };
    invalid_request(param, "unsupported_parameter", &message)
}
