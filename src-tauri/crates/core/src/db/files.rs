//! The data directory's files are private to the user: the directory is
//! created `0700`, and the database (whose mode SQLite copies to its `-wal`
//! and `-shm`), reply journals, lock files and backups are `0600`. Chats and
//! the ledger are nobody else's business on a shared machine.

use super::DbError;
use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

/// Mode of directories Banter creates for its data (owner only).
pub const PRIVATE_DIR_MODE: u32 = 0o700;
/// Mode of every file Banter writes in its data directory (owner only).
pub const PRIVATE_FILE_MODE: u32 = 0o600;
/// Pre-migration backups kept in `backups/`: the newest few cover a bad
/// upgrade and the one before it, while a profile that is migrated often
/// does not pile up copies of itself (each is a full database).
pub const BACKUPS_KEPT: usize = 3;

/// `<path><suffix>`, e.g. `banter.db-wal` beside `banter.db`.
pub(crate) fn beside(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Creates `dir` (and missing parents) owner-only. An existing directory is
/// left as it is: it may be one the user chose and shares on purpose.
pub(crate) fn create_private_dir(dir: &Path) -> Result<(), DbError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, PRIVATE_DIR_MODE);
    builder.create(dir).map_err(|source| DbError::Io {
        path: dir.to_path_buf(),
        source,
    })
}

/// Options that create a file owner-only (and open an existing one for
/// writing without truncating it).
pub(crate) fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, PRIVATE_FILE_MODE);
    options
}

/// Makes `path` owner-only, creating it empty if it does not exist (an
/// empty file is what SQLite treats as a new database).
pub(crate) fn make_private_file(path: &Path) -> Result<(), DbError> {
    let io = |source| DbError::Io {
        path: path.to_path_buf(),
        source,
    };
    private_options().open(path).map_err(io)?;
    set_private(path).map_err(io)
}

/// Sets an existing file owner-only (a no-op off Unix).
pub(crate) fn set_private(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(PRIVATE_FILE_MODE))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path)
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777
    }

    #[test]
    fn new_dirs_and_files_are_owner_only() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a/b");
        create_private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), PRIVATE_DIR_MODE);
        let file = dir.join("banter.db");
        std::fs::write(&file, b"").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        make_private_file(&file).unwrap();
        assert_eq!(mode(&file), PRIVATE_FILE_MODE);
    }
}
