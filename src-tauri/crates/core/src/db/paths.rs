//! Where the data lives: `--data-dir`, else `BANTER_DATA_DIR`, else the OS
//! data directory (e.g. `~/.local/share/banter` on Linux).

use std::path::{Path, PathBuf};

/// Environment variable that overrides the data directory.
pub const DATA_DIR_ENV: &str = "BANTER_DATA_DIR";
/// The database file's name inside the data directory.
pub const DB_FILE: &str = "banter.db";

/// Picks the data directory: an explicit choice wins, then the environment,
/// then the platform default. `None` only if the OS has no home directory.
pub fn resolve_data_dir(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(dir) = explicit {
        return Some(dir.to_path_buf());
    }
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("app", "Banter", "banter").map(|d| d.data_dir().to_path_buf())
}

/// The database path inside `data_dir`.
pub fn db_path(data_dir: &Path) -> PathBuf {
    data_dir.join(DB_FILE)
}

/// Where pre-migration backups go.
pub fn backup_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("backups")
}
