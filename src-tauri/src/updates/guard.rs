//! Whether an update may be installed now. Installing ends with a restart,
//! which would cut a streaming reply short (its text is kept and its charge
//! settled by the core's recovery, but the user loses the rest of it) and
//! would interrupt a checkout the user is paying in the browser; so the
//! install waits until neither is going on.

use super::policy::UpdateError;
use serde::Serialize;

/// What is going on that a restart would interrupt. The UI shows it beside
/// the install button; the install command checks it itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct InstallBlockers {
    /// Replies streaming in this app, locally or through the server.
    pub replies_streaming: u32,
    /// Checkouts still waiting for their payment.
    pub checkouts_pending: u32,
}

impl InstallBlockers {
    /// From the counts as the core gives them (saturating: a count past
    /// `u32::MAX` still blocks).
    pub fn new(replies_streaming: usize, checkouts_pending: usize) -> Self {
        Self {
            replies_streaming: u32::try_from(replies_streaming).unwrap_or(u32::MAX),
            checkouts_pending: u32::try_from(checkouts_pending).unwrap_or(u32::MAX),
        }
    }
}

/// `Ok` when nothing would be interrupted; else the first reason, a
/// streaming reply before a pending checkout (the reply ends by itself soon).
pub fn may_install(blockers: InstallBlockers) -> Result<(), UpdateError> {
    if blockers.replies_streaming > 0 {
        return Err(UpdateError::ReplyStreaming {
            count: blockers.replies_streaming as usize,
        });
    }
    if blockers.checkouts_pending > 0 {
        return Err(UpdateError::CheckoutPending {
            count: blockers.checkouts_pending as usize,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use banter_core::ErrorCode;

    fn refusal(replies: usize, checkouts: usize) -> Option<ErrorCode> {
        may_install(InstallBlockers::new(replies, checkouts))
            .err()
            .map(|e| e.code())
    }

    #[test]
    fn nothing_going_on_allows_the_install() {
        assert_eq!(refusal(0, 0), None);
        assert!(may_install(InstallBlockers::default()).is_ok());
    }

    #[test]
    fn a_streaming_reply_refuses_it() {
        assert_eq!(refusal(1, 0), Some(ErrorCode::UpdateReplyStreaming));
        assert_eq!(refusal(3, 0), Some(ErrorCode::UpdateReplyStreaming));
    }

    #[test]
    fn a_pending_checkout_refuses_it() {
        assert_eq!(refusal(0, 1), Some(ErrorCode::UpdateCheckoutPending));
    }

    #[test]
    fn a_reply_is_named_first_when_both_are_going_on() {
        assert_eq!(refusal(2, 1), Some(ErrorCode::UpdateReplyStreaming));
    }

    #[test]
    fn the_refusal_says_how_many_and_what_to_do() {
        let message = may_install(InstallBlockers::new(2, 0))
            .unwrap_err()
            .to_string();
        assert!(message.contains("2 in all"), "{message}");
        assert!(message.contains("stop it"), "{message}");
        let message = may_install(InstallBlockers::new(0, 1))
            .unwrap_err()
            .to_string();
        assert!(message.contains("checkout"), "{message}");
    }

    #[test]
    fn counts_past_u32_still_block() {
        assert_eq!(
            InstallBlockers::new(usize::MAX, 0).replies_streaming,
            u32::MAX
        );
        assert_eq!(
            refusal(usize::MAX, usize::MAX),
            Some(ErrorCode::UpdateReplyStreaming)
        );
    }
}
