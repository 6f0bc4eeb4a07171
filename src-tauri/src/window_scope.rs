//! Which sessions the quick-chat window may act on: the ones it started
//! (a send with no session makes one) or was handed. Quick chat is the
//! window most exposed to a stray keystroke or a hostile page rendered in
//! it, so it cannot send into, stop, regenerate or read a conversation of the
//! main window by naming its id. The main window may act on any session.

use crate::windows::QUICK_CHAT;
use banter_core::{ApiError, ErrorCode};
use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

/// The sessions the quick-chat window owns, for this run of the app. Clones
/// share the set (a send's event listener records the session it starts).
#[derive(Debug, Default, Clone)]
pub struct QuickChatSessions {
    owned: Arc<Mutex<HashSet<i64>>>,
}

impl QuickChatSessions {
    /// Records that the window labelled `window` started `session_id`;
    /// only quick chat's own sessions are tracked.
    pub fn started(&self, window: &str, session_id: i64) {
        if window == QUICK_CHAT {
            self.grant(session_id);
        }
    }

    /// Records a session the quick-chat window started or was handed.
    pub fn grant(&self, session_id: i64) {
        self.owned
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(session_id);
    }

    /// Forgets every session: the sign-in changed, and ids now name
    /// another store's sessions (this computer's, or the account's).
    pub fn clear(&self) {
        self.owned
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// Refuses `session_id` to the window labelled `window` unless that
    /// window may act on it.
    pub fn check(&self, window: &str, session_id: i64) -> Result<(), ApiError> {
        if window != QUICK_CHAT
            || self
                .owned
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .contains(&session_id)
        {
            return Ok(());
        }
        Err(ApiError::new(
            ErrorCode::SessionNotInWindow,
            "quick chat can only continue conversations it started; open this one in the main window",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_chat_acts_only_on_its_own_sessions() {
        let scope = QuickChatSessions::default();
        let refused = scope.check(QUICK_CHAT, 7).unwrap_err();
        assert_eq!(refused.code, ErrorCode::SessionNotInWindow);
        assert!(
            scope.check("main", 7).is_ok(),
            "the main window may act on any"
        );
        scope.started("main", 7);
        assert!(
            scope.check(QUICK_CHAT, 7).is_err(),
            "the main window's session"
        );
        scope.started(QUICK_CHAT, 7);
        assert!(scope.check(QUICK_CHAT, 7).is_ok());
        assert!(scope.check(QUICK_CHAT, 8).is_err());
    }
}
