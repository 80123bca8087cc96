//! SQLite is single-instance: `pingan run` holds an exclusive lock on
//! `<database file>.lock` for the life of the process, and a second one on
//! the same file is refused at start. The operating system drops the lock
//! when the process ends, even by `kill -9`, so a stale file never blocks a
//! restart. (`pingan migrate`, `import` and `export` do not take it.)

use std::fs::{File, OpenOptions, TryLockError};
use std::path::PathBuf;

/// Held for as long as the process runs the bot.
#[derive(Debug)]
pub struct FileLock {
    _file: File,
}

/// The database file of a `sqlite:` URL; `None` for an in-memory database.
pub fn database_path(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && !path.starts_with(":memory:") && !url.contains("mode=memory"))
        .then(|| PathBuf::from(path))
}

/// Takes the lock for the database at `url`, or explains in one line why not.
pub fn take(url: &str) -> anyhow::Result<Option<FileLock>> {
    let Some(db) = database_path(url) else {
        return Ok(None);
    };
    let mut name = db.into_os_string();
    name.push(".lock");
    let path = PathBuf::from(name);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| anyhow::anyhow!("cannot open the lock file {}: {e}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(FileLock { _file: file })),
        Err(TryLockError::WouldBlock) => Err(anyhow::anyhow!(
            "another pingan is already running on this SQLite database ({} is locked); \
             SQLite allows one instance, use PostgreSQL to run several",
            path.display()
        )),
        Err(TryLockError::Error(e)) => Err(anyhow::anyhow!("cannot lock {}: {e}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_comes_from_the_url() {
        assert_eq!(
            database_path("sqlite:///tmp/a.db?mode=rwc"),
            Some(PathBuf::from("/tmp/a.db"))
        );
        assert_eq!(
            database_path("sqlite:pingan.db"),
            Some(PathBuf::from("pingan.db"))
        );
        assert_eq!(database_path("sqlite::memory:"), None);
        assert_eq!(database_path("postgres://x/y"), None);
    }

    #[test]
    fn a_second_lock_on_the_same_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("p.db").display());
        let first = take(&url).unwrap();
        assert!(first.is_some());
        let second = take(&url).unwrap_err().to_string();
        assert!(second.contains("already running"), "{second}");
        drop(first);
        assert!(take(&url).unwrap().is_some(), "free again once dropped");
    }
}
