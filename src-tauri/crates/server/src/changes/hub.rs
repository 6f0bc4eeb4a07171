//! Who on this instance waits for an account's changes, and waking them.
//!
//! One entry per account with subscribers here, holding the last position
//! this instance heard of: the instance's one listener (`crate::listener`)
//! announces each notification, and every subscriber of that account sees
//! the position move. Nothing is queried per subscriber: a notification
//! carries the position, so a thousand open streams cost one Postgres
//! connection (shared with stop requests) and no statement.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::watch;

/// The accounts with subscribers on this instance.
#[derive(Debug, Clone, Default)]
pub struct ChangeHub {
    accounts: Arc<Mutex<HashMap<String, watch::Sender<i64>>>>,
}

impl ChangeHub {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, watch::Sender<i64>>> {
        // The map stays whole whatever a panicking holder did (each step
        // is one insert, lookup or removal).
        self.accounts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Starts waiting for `user_id`'s changes. Subscribe before reading
    /// the account's position, so no change falls between the two.
    pub fn subscribe(&self, user_id: &str) -> Subscription {
        let mut accounts = self.lock();
        let sender = accounts
            .entry(user_id.to_string())
            .or_insert_with(|| watch::channel(0).0);
        Subscription {
            hub: self.clone(),
            user_id: user_id.to_string(),
            position: sender.subscribe(),
        }
    }

    /// `user_id`'s feed has reached `position`: its subscribers here wake
    /// if that is past what they were told.
    pub fn announce(&self, user_id: &str, position: i64) {
        if let Some(sender) = self.lock().get(user_id) {
            sender.send_if_modified(|known| {
                let past = position > *known;
                if past {
                    *known = position;
                }
                past
            });
        }
    }

    /// Announces what a notification on [`super::CHANNEL`] says
    /// (`<position>:<user id>`); anything else is ignored.
    pub fn announce_notification(&self, payload: &str) {
        match payload.split_once(':') {
            Some((position, user_id)) => match position.parse::<i64>() {
                Ok(position) => self.announce(user_id, position),
                Err(_) => tracing::warn!("an account_changes notification without a position"),
            },
            None => tracing::warn!("an account_changes notification of an unknown shape"),
        }
    }

    /// The accounts with subscribers here now.
    pub fn watched(&self) -> Vec<String> {
        self.lock().keys().cloned().collect()
    }

    /// How many subscribers wait here (for tests and logs).
    pub fn subscribers(&self) -> usize {
        self.lock()
            .values()
            .map(watch::Sender::receiver_count)
            .sum()
    }
}

/// One subscriber's wait for an account's changes; leaving drops the
/// account's entry when it was the last one.
#[derive(Debug)]
pub struct Subscription {
    hub: ChangeHub,
    user_id: String,
    position: watch::Receiver<i64>,
}

impl Subscription {
    /// The account's last position this instance heard of.
    pub fn known(&self) -> i64 {
        *self.position.borrow()
    }

    /// Waits until the account's feed is past `position`; returns where it
    /// is then. `None` only if the hub is gone (the instance is ending).
    pub async fn past(&mut self, position: i64) -> Option<i64> {
        self.position
            .wait_for(|&known| known > position)
            .await
            .ok()
            .map(|known| *known)
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut accounts = self.hub.lock();
        // This subscription's receiver is still counted until it is dropped
        // after this function returns.
        if accounts
            .get(&self.user_id)
            .is_some_and(|sender| sender.receiver_count() <= 1)
        {
            accounts.remove(&self.user_id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn subscribers_wake_for_their_account_only_and_leave_no_entry() {
        let hub = ChangeHub::default();
        let mut alice = hub.subscribe("alice");
        let mut alice_too = hub.subscribe("alice");
        let mut bob = hub.subscribe("bob");
        assert_eq!(hub.subscribers(), 3);
        hub.announce_notification("7:alice");
        assert_eq!(alice.past(0).await, Some(7));
        assert_eq!(alice_too.past(6).await, Some(7));
        // Bob heard nothing; an older position wakes nobody.
        assert!(tokio::time::timeout(Duration::from_millis(50), bob.past(0))
            .await
            .is_err());
        hub.announce("alice", 5);
        assert_eq!(alice.known(), 7);
        // A position of an account nobody here waits for is dropped.
        hub.announce("carol", 3);
        assert_eq!(hub.watched().len(), 2);
        // Malformed payloads are ignored.
        hub.announce_notification("alice");
        hub.announce_notification("x:alice");
        assert_eq!(alice.known(), 7);
        drop(alice);
        assert_eq!(hub.watched().len(), 2);
        drop(alice_too);
        drop(bob);
        assert!(hub.watched().is_empty());
        // A user id may itself hold a colon: only the first one splits.
        let mut odd = hub.subscribe("issuer:sub");
        hub.announce_notification("2:issuer:sub");
        assert_eq!(odd.past(1).await, Some(2));
    }
}
