//! What can go wrong with a chat that is neither the model's nor the disk's.

use crate::error::ErrorCode;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChatError {
    #[error("{session} is still answering the previous message; stop it or wait")]
    SessionBusy { session: String },
}

impl ChatError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::SessionBusy { .. } => ErrorCode::SessionBusy,
        }
    }
}
