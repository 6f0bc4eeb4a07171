//! The operator's chat models: the one `AZURE_OPENAI_*` sets (the default
//! when set), and any listed in a models file (`BANTER_MODELS_FILE`), each
//! with the name chats remember it by and the environment variable that
//! holds its key. Keys stay in the environment; the file holds none, so it
//! can be kept in version control.
//!
//! ```json
//! { "default": "o3-mini",
//!   "models": [
//!     { "name": "o3-mini", "keyEnv": "AZURE_EAST_KEY",
//!       "config": { "kind": "azure", "endpoint": "https://east.openai.azure.com",
//!                   "deployment": "o3-mini", "apiVersion": null, "family": "o_series",
//!                   "streams": true, "reasoningEffort": null,
//!                   "maxCompletionTokens": null, "vision": false } },
//!     { "name": "Local llama",
//!       "config": { "kind": "open_ai_compatible", "baseUrl": "http://127.0.0.1:11434/v1",
//!                   "model": "llama3.1", "streams": true } } ] }
//! ```

use banter_core::models::environment_model;
use banter_core::providers::catalog::checked_model_name;
use banter_core::providers::{self, azure_key_from_env, NamedModel, ProviderConfig, Secret};
use banter_core::settings::SavedModel;
use serde::Deserialize;
use std::path::Path;

/// The models file's name for an environment variable.
pub const ENV_MODELS_FILE: &str = "BANTER_MODELS_FILE";

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ModelsFile {
    /// The default model's name; unset, the first one (after the
    /// environment's, which is the default whenever it is set).
    default: Option<String>,
    models: Vec<FileModel>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FileModel {
    name: String,
    config: ProviderConfig,
    /// The environment variable holding this model's key; none sends none
    /// (a local server that wants no key).
    key_env: Option<String>,
}

/// Why the operator's models could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ModelsError {
    #[error("{path}: {detail}")]
    File { path: String, detail: String },
    #[error("model {name:?}: {detail}")]
    Model { name: String, detail: String },
    #[error("AZURE_OPENAI_*: {0}")]
    Environment(String),
}

/// The operator's models and the default's name. Every model must be
/// usable: a mistake in the file or a missing key stops the server at
/// start rather than failing chats later. `var` reads the environment
/// variables the file names for keys (`std::env::var` but in tests).
pub fn operator_models(
    file: Option<&Path>,
    var: &dyn Fn(&str) -> Option<String>,
) -> Result<(Vec<NamedModel>, Option<String>), ModelsError> {
    let mut models = Vec::new();
    let mut default = None;
    let environment = environment_model().map_err(|e| ModelsError::Environment(e.to_string()))?;
    if let Some(SavedModel { name, config }) = environment {
        let provider = providers::build(&config, azure_key_from_env())
            .map_err(|e| ModelsError::Environment(e.to_string()))?;
        default = Some(name.clone());
        models.push(NamedModel {
            name,
            provider: Ok(provider),
        });
    }
    let Some(path) = file else {
        return Ok((models, default));
    };
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ModelsError::File {
        path: shown.clone(),
        detail: e.to_string(),
    })?;
    let listed: ModelsFile = serde_json::from_str(&text).map_err(|e| ModelsError::File {
        path: shown.clone(),
        detail: e.to_string(),
    })?;
    for model in listed.models {
        let bad = |detail: String| ModelsError::Model {
            name: model.name.clone(),
            detail,
        };
        let name = checked_model_name(&model.name).map_err(|e| bad(e.to_string()))?;
        if models.iter().any(|m: &NamedModel| m.name == name) {
            return Err(bad("another model has this name".into()));
        }
        let key = match &model.key_env {
            Some(name) => Some(
                var(name)
                    .filter(|k| !k.trim().is_empty())
                    .map(|k| Secret::new(k.trim()))
                    .ok_or_else(|| bad(format!("its key variable {name} is not set")))?,
            ),
            None => None,
        };
        let provider = providers::build(&model.config, key).map_err(|e| bad(e.to_string()))?;
        models.push(NamedModel {
            name,
            provider: Ok(provider),
        });
    }
    if default.is_none() {
        if let Some(wanted) = listed.default {
            if !models.iter().any(|m| m.name == wanted) {
                return Err(ModelsError::File {
                    path: shown,
                    detail: format!("the default {wanted:?} is not one of its models"),
                });
            }
            default = Some(wanted);
        }
    }
    Ok((models, default))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().expect("temp file");
        std::fs::write(file.path(), text).expect("write");
        file
    }

    // The environment's Azure variables are not set in these tests (the
    // server's test runs set none), so only the file's models are listed.
    #[test]
    fn a_models_file_lists_named_models_with_their_keys() {
        let key_var = "BANTER_TEST_MODELS_FILE_KEY";
        let var = |name: &str| (name == key_var).then(|| "k-123".to_string());
        let file = write(&format!(
            r#"{{ "default": "Local llama", "models": [
                {{ "name": "o3-mini", "keyEnv": "{key_var}", "config": {{ "kind": "azure",
                   "endpoint": "https://east.openai.azure.com", "deployment": "o3-mini",
                   "apiVersion": null, "family": "o_series", "streams": true,
                   "reasoningEffort": null, "maxCompletionTokens": null }} }},
                {{ "name": " Local llama ", "config": {{ "kind": "open_ai_compatible",
                   "baseUrl": "http://127.0.0.1:11434/v1", "model": "llama3.1", "streams": true }} }}
            ] }}"#
        ));
        let (models, default) = operator_models(Some(file.path()), &var).expect("models");
        let names: Vec<_> = models.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["o3-mini", "Local llama"]);
        assert_eq!(default.as_deref(), Some("Local llama"));
    }

    #[test]
    fn mistakes_in_the_file_stop_the_server_with_the_models_name() {
        let missing_key = write(
            r#"{ "models": [ { "name": "east", "keyEnv": "BANTER_TEST_UNSET_KEY_VAR",
                 "config": { "kind": "open_ai_compatible", "baseUrl": "http://127.0.0.1:1/v1",
                             "model": "m", "streams": true } } ] }"#,
        );
        let none = |_: &str| None;
        let error = operator_models(Some(missing_key.path()), &none).expect_err("no key");
        assert!(error.to_string().contains("\"east\""), "{error}");
        assert!(
            error.to_string().contains("BANTER_TEST_UNSET_KEY_VAR"),
            "{error}"
        );
        let twice = write(
            r#"{ "models": [
                 { "name": "a", "config": { "kind": "open_ai_compatible",
                   "baseUrl": "http://127.0.0.1:1/v1", "model": "m", "streams": true } },
                 { "name": "a", "config": { "kind": "open_ai_compatible",
                   "baseUrl": "http://127.0.0.1:1/v1", "model": "n", "streams": true } } ] }"#,
        );
        assert!(operator_models(Some(twice.path()), &none).is_err());
        let plain_http = write(
            r#"{ "models": [ { "name": "far", "config": { "kind": "open_ai_compatible",
                 "baseUrl": "http://example.com/v1", "model": "m", "streams": true } } ] }"#,
        );
        let error = operator_models(Some(plain_http.path()), &none).expect_err("insecure");
        assert!(error.to_string().contains("far"), "{error}");
        let wrong_default = write(r#"{ "default": "nope", "models": [] }"#);
        assert!(operator_models(Some(wrong_default.path()), &none).is_err());
    }
}
