//! Injectable time. Every rule that depends on "now" (monthly resets, Pro
//! expiry, timestamps) asks a [`Clock`], so tests can stand on a month boundary.

use chrono::{DateTime, Utc};
use std::sync::{Arc, Mutex, PoisonError};

/// A source of the current UTC time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to; clones share the same time.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Arc::new(Mutex::new(at)))
    }

    /// Moves the clock to `at`, forwards or backwards.
    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = at;
    }

    /// Moves the clock to `at` if it is behind it (never back), in one step:
    /// an [`Self::advance`] meanwhile is never lost.
    pub fn set_at_least(&self, at: DateTime<Utc>) {
        let mut now = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if *now < at {
            *now = at;
        }
    }

    pub fn advance(&self, by: chrono::Duration) {
        let mut now = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Shared handle to whichever clock the core runs on.
pub type SharedClock = Arc<dyn Clock>;
