//! Which processes are alive, told by file locks the OS releases when a
//! process dies — even by `kill -9`.
//!
//! Each open [`crate::Core`] holds an exclusive lock on
//! `<data>/run/<owner>.lock` and stamps the replies it streams with its
//! owner id. At start-up, a `streaming` reply is only declared interrupted
//! when its owner's lock can be taken, i.e. that process is gone; the app
//! and the CLI can then run side by side without spoiling each other's work.

use crate::chat::{Liveness, LivenessFuture};
use crate::db::DbError;
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// This process's claim; the lock is held until it is dropped.
#[derive(Debug)]
pub struct OwnerLock {
    id: String,
    path: PathBuf,
    _file: File,
}

impl OwnerLock {
    /// Takes a fresh owner id and locks its file in `run_dir`.
    pub fn acquire(run_dir: &Path) -> Result<Self, DbError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| DbError::Io { path, source }
        };
        crate::db::files::create_private_dir(run_dir)?;
        let id = uuid::Uuid::new_v4().to_string();
        let path = lock_path(run_dir, &id);
        let file = crate::db::files::private_options()
            .open(&path)
            .map_err(io(&path))?;
        file.try_lock().map_err(|e| match e {
            TryLockError::Error(source) => DbError::Io {
                path: path.clone(),
                source,
            },
            TryLockError::WouldBlock => DbError::Io {
                path: path.clone(),
                source: std::io::Error::other("a fresh owner lock is already held"),
            },
        })?;
        Ok(Self {
            id,
            path,
            _file: file,
        })
    }

    pub fn id(&self) -> &str {
        &self.id
    }
}

impl Drop for OwnerLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// True when the process that took `owner` is gone (its lock is free or its
/// file is missing). Cleans up the stale lock file.
pub fn owner_is_gone(run_dir: &Path, owner: &str) -> bool {
    // Owner ids are UUIDs we made; anything else is not a live owner.
    if uuid::Uuid::parse_str(owner).is_err() {
        return true;
    }
    let path = lock_path(run_dir, owner);
    let Ok(file) = OpenOptions::new().write(true).open(&path) else {
        return true;
    };
    match file.try_lock() {
        Ok(()) => {
            let _ = std::fs::remove_file(&path);
            true
        }
        Err(_) => false,
    }
}

/// The desktop's [`Liveness`]: this process's [`OwnerLock`], and the lock
/// files of the others in the same `run` directory.
#[derive(Debug)]
pub(crate) struct ProcessLiveness {
    lock: Arc<OwnerLock>,
    run_dir: PathBuf,
}

impl ProcessLiveness {
    pub(crate) fn new(lock: Arc<OwnerLock>, run_dir: PathBuf) -> Self {
        Self { lock, run_dir }
    }
}

impl Liveness for ProcessLiveness {
    fn owner(&self) -> &str {
        self.lock.id()
    }

    fn is_gone<'a>(&'a self, owner: &'a str) -> LivenessFuture<'a> {
        Box::pin(std::future::ready(Ok(owner_is_gone(&self.run_dir, owner))))
    }
}

fn lock_path(run_dir: &Path, owner: &str) -> PathBuf {
    run_dir.join(format!("{owner}.lock"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_is_alive_and_a_dropped_one_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        let lock = OwnerLock::acquire(dir.path()).unwrap();
        let id = lock.id().to_string();
        assert!(!owner_is_gone(dir.path(), &id));
        drop(lock);
        assert!(owner_is_gone(dir.path(), &id));
        assert!(owner_is_gone(dir.path(), "not-a-uuid"));
    }
}
