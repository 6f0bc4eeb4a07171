//! Branches: a session's messages form a tree.
//!
//! Each message names the message it follows (`ChatMessage::parent_id`).
//! Editing a sent user message and sending it again adds a sibling of that
//! message; regenerating a reply adds a sibling of that reply. Nothing is
//! overwritten. The session's active leaf (`ChatSession::active_leaf_id`)
//! ends the path that is the conversation: what the session shows, what
//! search finds, what export writes as the conversation, what its message
//! count counts, and what the model is sent (the last
//! [`super::HISTORY_MESSAGES`] of it). A new message becomes the active
//! leaf; switching to another version of a message moves the leaf to the
//! newest message after that version.

use super::rows::{ChatBackend, ChatRows};
use super::{ChatMessage, ChatSession, ChatStore, Role};
use crate::error::{Error, Result};
use crate::ids::RecordRef;
use crate::validate::ValidationError;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A message that has other versions: every version (its siblings and
/// itself), oldest first. The UI shows "‹ 2/3 ›" from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Branch {
    pub message_id: i64,
    pub versions: Vec<i64>,
}

/// A session's tree by shape: each message's id and parent, by id.
pub(super) struct Tree {
    parents: HashMap<i64, Option<i64>>,
    children: HashMap<Option<i64>, Vec<i64>>,
}

impl Tree {
    pub(super) fn new(links: &[(i64, Option<i64>)]) -> Self {
        let mut children: HashMap<Option<i64>, Vec<i64>> = HashMap::new();
        for &(id, parent) in links {
            children.entry(parent).or_default().push(id);
        }
        for ids in children.values_mut() {
            ids.sort_unstable();
        }
        Self {
            parents: links.iter().copied().collect(),
            children,
        }
    }

    pub(super) fn contains(&self, id: i64) -> bool {
        self.parents.contains_key(&id)
    }

    /// The versions of `id` (its parent's children), oldest first.
    pub(super) fn versions(&self, id: i64) -> &[i64] {
        self.parents
            .get(&id)
            .and_then(|parent| self.children.get(parent))
            .map_or(&[], Vec::as_slice)
    }

    /// The newest message at or after `id`: a leaf, since a reply or a
    /// follow-up is always newer than what it follows.
    pub(super) fn newest_under(&self, id: i64) -> i64 {
        let mut newest = id;
        let mut stack = vec![id];
        while let Some(next) = stack.pop() {
            newest = newest.max(next);
            if let Some(children) = self.children.get(&Some(next)) {
                // Children are newer than their parent: the guard keeps a
                // damaged tree from looping.
                stack.extend(children.iter().filter(|&&child| child > next));
            }
        }
        newest
    }

    /// The ids on the path ending at `leaf`, first to last.
    pub(super) fn path_to(&self, leaf: Option<i64>) -> Vec<i64> {
        let mut path = Vec::new();
        let mut at = leaf;
        while let Some(id) = at {
            path.push(id);
            at = self
                .parents
                .get(&id)
                .copied()
                .flatten()
                .filter(|&parent| parent < id);
        }
        path.reverse();
        path
    }

    /// The [`Branch`]es of `messages` (those with more than one version).
    pub(super) fn branches_of<'a>(
        &self,
        messages: impl IntoIterator<Item = &'a ChatMessage>,
    ) -> Vec<Branch> {
        messages
            .into_iter()
            .filter_map(|m| {
                let versions = self.versions(m.id);
                (versions.len() > 1).then(|| Branch {
                    message_id: m.id,
                    versions: versions.to_vec(),
                })
            })
            .collect()
    }
}

impl<S: ChatBackend> ChatStore<S> {
    /// Makes the path through `message_id` (a message of `session`) the
    /// active one: the conversation shown and sent to the model from now
    /// on ends at the newest message after it. Switching to a sibling at a
    /// fork is choosing another version there.
    pub async fn switch_branch(&self, session: &RecordRef, message_id: i64) -> Result<ChatSession> {
        let session = self.get_session(session).await?;
        let mut tx = self.db.begin_write().await?;
        let tree = Tree::new(&tx.message_links(session.id).await?);
        if !tree.contains(message_id) {
            return Err(Error::not_found("message in this session", message_id));
        }
        let switched = tx
            .set_active_leaf(&self.user_id, session.id, tree.newest_under(message_id))
            .await?;
        S::commit(tx).await?;
        switched.ok_or_else(|| Error::not_found("chat session", session.id))
    }

    /// Every message of `session`, every branch, oldest first (streaming
    /// replies with their text so far), with the session.
    pub async fn message_tree(
        &self,
        session: &RecordRef,
    ) -> Result<(ChatSession, Vec<ChatMessage>)> {
        let session = self.get_session(session).await?;
        let messages = self.db.read().await?.session_messages(session.id).await?;
        Ok((session, self.with_streamed_text(messages).await?))
    }

    /// The [`Branch`]es among `messages` of session `session_id`.
    pub(super) async fn branches_among(
        &self,
        session_id: i64,
        messages: &[ChatMessage],
    ) -> Result<Vec<Branch>> {
        if messages.is_empty() {
            return Ok(Vec::new());
        }
        let links = self.db.read().await?.message_links(session_id).await?;
        Ok(Tree::new(&links).branches_of(messages))
    }

    /// The user's session that message `message_id` is in.
    pub(super) async fn session_of_message(&self, message_id: i64) -> Result<ChatSession> {
        let message = self.db.read().await?.fetch_message(message_id).await;
        let session_id = match message {
            Ok(message) => message.session_id,
            Err(Error::NotFound { .. }) => return Err(Error::not_found("message", message_id)),
            Err(other) => return Err(other),
        };
        // Another user's message is not found either.
        self.get_session(&RecordRef::Id(session_id))
            .await
            .map_err(|_| Error::not_found("message", message_id))
    }

    /// The user message `message_id` of `session_id`, to be edited and sent
    /// again as another version of it.
    pub(super) async fn editable_message(
        &self,
        session_id: i64,
        message_id: i64,
    ) -> Result<ChatMessage> {
        let message = self.db.read().await?.fetch_message(message_id).await;
        let message = match message {
            Ok(message) if message.session_id == session_id => message,
            Ok(_) | Err(Error::NotFound { .. }) => {
                return Err(Error::not_found("message in this session", message_id))
            }
            Err(other) => return Err(other),
        };
        if message.role != Role::User {
            return Err(ValidationError::Invalid {
                field: "editOf",
                reason: "only your own messages can be edited; regenerate a reply instead".into(),
            }
            .into());
        }
        Ok(message)
    }

    /// Shows `previous` again if the active leaf is a newer version of it
    /// (a regenerated reply that brought no text gives way to the reply it
    /// was to follow). Best effort, like any other view choice: a failure
    /// is logged.
    pub(super) async fn step_back(&self, session_id: i64, previous: &ChatMessage) {
        let stepped = async {
            let mut tx = self.db.begin_write().await?;
            let session = tx.fetch_session(session_id).await?;
            if let Some(leaf) = session.active_leaf_id.filter(|&leaf| leaf > previous.id) {
                let leaf = tx.fetch_message(leaf).await?;
                if leaf.parent_id == previous.parent_id {
                    tx.set_active_leaf(&self.user_id, session_id, previous.id)
                        .await?;
                }
            }
            S::commit(tx).await
        };
        if let Err(error) = stepped.await {
            tracing::warn!(code = %error.code(), "could not show the earlier reply again");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Tree;

    /// 1 ─ 2 ─ 3 ─ 4
    ///       └ 5 ─ 6     (2 has two replies: 3 and 5)
    /// 7                 (the first message edited)
    fn tree() -> Tree {
        Tree::new(&[
            (1, None),
            (2, Some(1)),
            (3, Some(2)),
            (4, Some(3)),
            (5, Some(2)),
            (6, Some(5)),
            (7, None),
        ])
    }

    #[test]
    fn versions_are_the_siblings_oldest_first() {
        let tree = tree();
        assert_eq!(tree.versions(3), &[3, 5]);
        assert_eq!(tree.versions(5), &[3, 5]);
        assert_eq!(tree.versions(1), &[1, 7]);
        assert_eq!(tree.versions(4), &[4]);
        assert!(tree.versions(99).is_empty());
    }

    #[test]
    fn a_switch_lands_on_the_newest_message_after_the_version() {
        let tree = tree();
        assert_eq!(tree.newest_under(3), 4);
        assert_eq!(tree.newest_under(5), 6);
        assert_eq!(tree.newest_under(1), 6);
        assert_eq!(tree.newest_under(7), 7);
    }

    #[test]
    fn the_path_runs_from_the_first_message_to_the_leaf() {
        let tree = tree();
        assert_eq!(tree.path_to(Some(6)), vec![1, 2, 5, 6]);
        assert_eq!(tree.path_to(Some(4)), vec![1, 2, 3, 4]);
        assert!(tree.path_to(None).is_empty());
        // A damaged row pointing forward ends the walk instead of looping.
        let damaged = Tree::new(&[(1, Some(2)), (2, Some(1))]);
        assert_eq!(damaged.path_to(Some(2)), vec![1, 2]);
    }
}
