//! The cross-process writer slot: a kernel lock on `<db>.write-lock` that
//! every Banter process takes before SQLite's write lock.
//!
//! Why not rely on SQLite's busy timeout alone: a writer that finds the
//! database locked sleeps in SQLite's busy handler and polls (up to every
//! 100 ms), so under dozens of writers a lock freed between two polls goes
//! to whoever polls next, and an unlucky process can poll for its whole
//! timeout and fail with "database is locked". A blocked `flock` is instead
//! woken by the kernel the moment the holder lets go, so a waiting writer
//! never sleeps through a free lock.

use super::{files, DbError};
use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};

/// The `tracing` target of the "write lock taken" event, whose `wait_us`
/// field is the time from asking for the lock to holding SQLite's write
/// lock. The contention benchmark (`benches/write_contention.rs`) reads it.
pub const WRITE_LOCK_TARGET: &str = "banter_core::db::write_lock";

/// Where the slot's lock file lives; cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct WriterSlot {
    path: PathBuf,
}

/// A held slot. Dropping it closes the file, which releases the lock.
#[derive(Debug)]
pub(crate) struct SlotGuard {
    _file: File,
}

impl WriterSlot {
    pub(crate) fn beside(db_path: &Path) -> Self {
        Self {
            path: files::beside(db_path, ".write-lock"),
        }
    }

    /// Waits for the slot. Each call opens the file anew: a lock belongs to
    /// an open file, so two tasks of one process never share one by mistake,
    /// and a wait abandoned by a cancelled task releases its lock as soon as
    /// the blocked thread gets it (the file is dropped with the result).
    pub(crate) async fn take(&self) -> Result<SlotGuard, DbError> {
        let file = files::private_options()
            .open(&self.path)
            .map_err(self.io())?;
        match file.try_lock() {
            Ok(()) => return Ok(SlotGuard { _file: file }),
            Err(TryLockError::WouldBlock) => {}
            Err(TryLockError::Error(source)) => return Err(self.io()(source)),
        }
        // Blocking wait, off the async workers.
        let locked = tokio::task::spawn_blocking(move || file.lock().map(|()| file))
            .await
            .map_err(|join| self.io()(std::io::Error::other(join)))?;
        let file = locked.map_err(self.io())?;
        Ok(SlotGuard { _file: file })
    }

    fn io(&self) -> impl FnOnce(std::io::Error) -> DbError + '_ {
        move |source| DbError::Io {
            path: self.path.clone(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_second_taker_waits_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let slot = WriterSlot::beside(&dir.path().join("banter.db"));
        let first = slot.take().await.unwrap();
        let waiting = tokio::spawn({
            let slot = slot.clone();
            async move { slot.take().await.map(|_| ()) }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "the slot is held");
        drop(first);
        waiting.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn a_cancelled_wait_does_not_keep_the_slot() {
        let dir = tempfile::tempdir().unwrap();
        let slot = WriterSlot::beside(&dir.path().join("banter.db"));
        let first = slot.take().await.unwrap();
        let abandoned = tokio::time::timeout(Duration::from_millis(20), slot.take()).await;
        assert!(
            abandoned.is_err(),
            "the wait timed out while the slot was held"
        );
        drop(first);
        // The abandoned wait may get the lock in its thread, then drops it.
        tokio::time::timeout(Duration::from_secs(10), slot.take())
            .await
            .expect("the slot is free again")
            .unwrap();
    }
}
