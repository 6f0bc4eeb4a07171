//! `chat --system TEXT | --persona NAME`, `--effort` and `--model`: the chat's own
//! settings, stored on its session before the message is sent (so the
//! chat keeps them for later sends, on every device when signed in). The
//! flags given replace those settings; the others stay as the session has
//! them. Without `--session` a new session is started for them, and
//! removed again if the send keeps nothing in it.

use crate::args::ChatArgs;
use crate::error::CliError;
use banter_core::chat::{ChatSession, SessionSettings};
use banter_core::hosted::HostedHistory;
use banter_core::ids::RecordRef;
use banter_core::Core;

/// Where the message goes once the settings are stored.
pub struct Target {
    pub session: Option<RecordRef>,
    /// The session was started here for the settings.
    pub started: Option<RecordRef>,
}

/// Stores the settings the flags ask for on `session` (a new one when
/// `None`); without such flags nothing happens.
pub async fn apply(
    core: &Core,
    hosted: Option<&HostedHistory>,
    session: Option<RecordRef>,
    args: &ChatArgs,
) -> Result<Target, CliError> {
    if args.system.is_none()
        && args.persona.is_none()
        && args.effort.is_none()
        && args.model.is_none()
    {
        return Ok(Target {
            session,
            started: None,
        });
    }
    // The persona is this computer's, read before anything is created.
    let persona = match &args.persona {
        Some(name) => Some(core.persona(name).await?),
        None => None,
    };
    let (current, started) = match &session {
        Some(id) => (get(core, hosted, id).await?, false),
        None => match paid_with_key(core, hosted, args.idempotency_key.as_deref()).await? {
            // A retry of a send that was paid: the same chat again, so the
            // send replays instead of conflicting with its own key.
            Some(earlier) => (earlier, false),
            None => (create(core, hosted).await?, true),
        },
    };
    let id = RecordRef::Id(current.id);
    let mut settings = current.settings();
    if let Some(persona) = &persona {
        // A persona is a prompt and an effort; the chat keeps its model.
        settings = SessionSettings {
            model: settings.model,
            ..persona.settings()
        };
    }
    if let Some(model) = &args.model {
        settings.model = Some(model.clone());
    }
    if let Some(prompt) = &args.system {
        settings.system_prompt = Some(prompt.clone());
    }
    if let Some(effort) = args.effort {
        settings.reasoning_effort = Some(effort.into());
    }
    let stored = set(core, hosted, &id, current.model.as_deref(), settings).await;
    if let Err(error) = stored {
        if started {
            discard_if_empty(core, hosted, &id).await;
        }
        return Err(error);
    }
    Ok(Target {
        session: Some(id.clone()),
        started: started.then_some(id),
    })
}

/// The chat a send with `key` was paid in, when a retry names no chat.
/// Signed in, the server is the one that knows, and it is asked only
/// through the send itself: a chat's settings with a key need `--session`.
async fn paid_with_key(
    core: &Core,
    hosted: Option<&HostedHistory>,
    key: Option<&str>,
) -> Result<Option<ChatSession>, CliError> {
    match (key, hosted) {
        (None, _) => Ok(None),
        (Some(key), None) => Ok(core.chat().session_paid_with(key).await?),
        (Some(_), Some(_)) => Err(CliError::Usage(
            "--idempotency-key with --system, --persona, --effort or --model needs --session \
             when signed in (a retry must reach the same chat)"
                .into(),
        )),
    }
}

/// Whether a failed send is one refused before anything of it was kept
/// anywhere (bad input, no credits, no model): only then is a session
/// started for it removed. After any other failure — the network or the
/// server gone mid-send — the send may have been kept and paid on the
/// server while this device's copy does not show it yet.
pub fn refused_before_anything_was_kept(error: &CliError) -> bool {
    use banter_core::ErrorCode;
    matches!(
        error.to_api().code,
        ErrorCode::InvalidInput
            | ErrorCode::InsufficientCredits
            | ErrorCode::ProviderNotConfigured
            | ErrorCode::ModelNotFound
            | ErrorCode::ModelCannotSee
            | ErrorCode::TooManyAttachments
            | ErrorCode::AttachmentTooLarge
            | ErrorCode::AttachmentNotText
            | ErrorCode::AttachmentUnsupported
            | ErrorCode::AttachmentOverBudget
            | ErrorCode::AttachmentUnreadable
            | ErrorCode::IdempotencyConflict
    )
}

/// Removes a session started for a send that kept nothing in it. Best
/// effort: an empty session left behind is harmless.
pub async fn discard_if_empty(core: &Core, hosted: Option<&HostedHistory>, id: &RecordRef) {
    let empty = matches!(get(core, hosted, id).await, Ok(s) if s.message_count == 0);
    if empty {
        let removed = match hosted {
            Some(history) => history.delete(id).await.map(drop),
            None => core.chat().delete_session(id).await.map(drop),
        };
        if let Err(error) = removed {
            tracing::warn!(code = %error.code(), "could not remove an empty session");
        }
    }
}

async fn get(
    core: &Core,
    hosted: Option<&HostedHistory>,
    id: &RecordRef,
) -> Result<ChatSession, CliError> {
    Ok(match hosted {
        Some(history) => history.session(id).await?,
        None => core.chat().get_session(id).await?,
    })
}

async fn create(core: &Core, hosted: Option<&HostedHistory>) -> Result<ChatSession, CliError> {
    Ok(match hosted {
        Some(history) => history.create_session(None).await?,
        None => core.chat().create_session(None).await?,
    })
}

/// Stores `settings` on the chat `id`, whose model is now `current`.
async fn set(
    core: &Core,
    hosted: Option<&HostedHistory>,
    id: &RecordRef,
    current: Option<&str>,
    settings: SessionSettings,
) -> Result<ChatSession, CliError> {
    Ok(match hosted {
        Some(history) => history.set_settings(id, settings).await?,
        None => {
            core.check_session_model(current, &settings).await?;
            core.chat().set_session_settings(id, settings).await?
        }
    })
}
