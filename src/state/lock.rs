//! The local state lock: an OS file lock (which the kernel releases when its holder dies,
//! even by `kill -9`) on `<state>.lock`, whose content names the holder. A lock file left by
//! a dead holder on this machine is cleared and reported; one from another host needs
//! `force-unlock`.
//! Invariant: a holder can tell whether the path still names the file it locked
//! (`LocalLock::identity`, `names`), so a lock file removed or replaced under it is noticed.

use super::{io_err, StateError};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LockInfo {
    #[serde(rename = "ID")]
    pub id: String,
    pub operation: String,
    pub who: String,
    pub pid: u32,
    pub host: String,
    pub since: String,
    pub version: String,
}

impl LockInfo {
    pub fn new(operation: &str) -> LockInfo {
        LockInfo {
            id: uuid::Uuid::new_v4().to_string(),
            operation: operation.to_string(),
            who: std::env::var("USER").unwrap_or_else(|_| "unknown".into()),
            pid: std::process::id(),
            host: hostname(),
            since: crate::util::now_rfc3339(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }

    pub fn describe(&self) -> String {
        format!(
            "pid {} on host {} (operation: {}, user: {}, since {}, lock ID {})",
            self.pid, self.host, self.operation, self.who, self.since, self.id
        )
    }
}

/// The error for a lock someone else holds, naming the holder and how long we waited.
pub fn held(what: &str, holder: Option<&LockInfo>, wait: Duration) -> StateError {
    let who = holder
        .map(|i| i.describe())
        .unwrap_or_else(|| "another strata process (it is still starting)".into());
    let waited = if wait.is_zero() {
        "use --lock-timeout to wait for it".to_string()
    } else {
        format!("waited {}s", wait.as_secs())
    };
    StateError::Locked(format!("{what} is locked by {who}: {waited}"))
}

pub fn hostname() -> String {
    gethostname::gethostname().to_string_lossy().into_owned()
}

/// A held lock; released (and its file removed) when dropped.
pub struct LocalLock {
    file: File,
    path: PathBuf,
    pub info: LockInfo,
    /// Set when a dead holder's lock was found and cleared.
    pub cleared: Option<String>,
}

impl Drop for LocalLock {
    fn drop(&mut self) {
        // Remove the file while still holding the lock, so nobody locks a file about to vanish
        // (unless it was replaced under us: then it is another holder's).
        if self.identity().is_none_or(|id| names(&self.path, id)) {
            let _ = std::fs::remove_file(&self.path);
        }
        let _ = self.file.unlock();
    }
}

impl LocalLock {
    /// The locked file's identity (device, inode), to check later that `path` still names it.
    pub fn identity(&self) -> Option<FileId> {
        self.file.metadata().ok().map(|m| file_id(&m))
    }
}

/// A file's identity: (device, inode) on unix.
pub type FileId = (u64, u64);

/// Whether `path` names the file whose identity is `id` (false when it was removed or
/// replaced).
pub fn names(path: &Path, id: FileId) -> bool {
    std::fs::metadata(path).is_ok_and(|m| file_id(&m) == id)
}

fn read_info(file: &mut File) -> Option<LockInfo> {
    let mut s = String::new();
    file.rewind().ok()?;
    file.read_to_string(&mut s).ok()?;
    serde_json::from_str(&s).ok()
}

/// Acquire the lock at `path`, waiting up to `wait` for a live holder to finish.
pub fn acquire(path: &Path, operation: &str, wait: Duration) -> Result<LocalLock, StateError> {
    if let Some(dir) = path.parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
        }
    }
    let deadline = Instant::now() + wait;
    loop {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| io_err(path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                if Instant::now() >= deadline {
                    return Err(held("the state", read_info(&mut file).as_ref(), wait));
                }
                std::thread::sleep(Duration::from_millis(100));
                continue;
            }
            Err(TryLockError::Error(e)) => return Err(io_err(path, e)),
        }
        // The file may have been removed by its previous holder between our open and lock.
        let same = match (file.metadata(), std::fs::metadata(path)) {
            (Ok(a), Ok(b)) => same_file(&a, &b),
            _ => false,
        };
        if !same {
            continue;
        }
        let mut cleared = None;
        if let Some(old) = read_info(&mut file) {
            if old.host != hostname() {
                let _ = file.unlock();
                return Err(StateError::Locked(format!(
                    "the state is locked by {}; that host is not this one, so strata cannot \
                     tell whether the holder is alive. If it is gone, run: strata force-unlock {}",
                    old.describe(),
                    old.id
                )));
            }
            cleared = Some(format!(
                "found and cleared a stale lock left by {}: that process is gone",
                old.describe()
            ));
        }
        let info = LockInfo::new(operation);
        let text = serde_json::to_string_pretty(&info).unwrap_or_default();
        file.set_len(0).map_err(|e| io_err(path, e))?;
        file.rewind().map_err(|e| io_err(path, e))?;
        file.write_all(text.as_bytes())
            .map_err(|e| io_err(path, e))?;
        file.sync_data().map_err(|e| io_err(path, e))?;
        crate::util::checkpoint("lock_written");
        return Ok(LocalLock {
            file,
            path: path.to_path_buf(),
            info,
            cleared,
        });
    }
}

fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    file_id(a) == file_id(b)
}

#[cfg(unix)]
fn file_id(m: &std::fs::Metadata) -> FileId {
    use std::os::unix::fs::MetadataExt;
    (m.dev(), m.ino())
}

#[cfg(not(unix))]
fn file_id(_: &std::fs::Metadata) -> FileId {
    (0, 0)
}

/// Remove a lock by its ID. Refuses when a live process on this machine holds it.
pub fn force_unlock(path: &Path, id: &str) -> Result<String, StateError> {
    let mut file = match OpenOptions::new().read(true).write(true).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(StateError::Other(format!(
                "there is no lock at {}: nothing to unlock",
                path.display()
            )))
        }
        Err(e) => return Err(io_err(path, e)),
    };
    let info = read_info(&mut file);
    match &info {
        Some(i) if i.id == id => {}
        Some(i) => {
            return Err(StateError::Other(format!(
                "the lock ID is {}, not {id}: nothing was changed",
                i.id
            )))
        }
        None => {
            return Err(StateError::Other(format!(
                "{} names no holder: nothing was changed",
                path.display()
            )))
        }
    }
    let info = info.expect("checked above");
    match file.try_lock() {
        Ok(()) => {
            std::fs::remove_file(path).map_err(|e| io_err(path, e))?;
            let _ = file.unlock();
            Ok(format!("removed the lock held by {}", info.describe()))
        }
        Err(TryLockError::WouldBlock) => Err(StateError::Locked(format!(
            "the lock is held by a live process: {}; stop it rather than unlocking",
            info.describe()
        ))),
        Err(TryLockError::Error(e)) => Err(io_err(path, e)),
    }
}

/// Who holds the lock now, if anyone (for status messages).
pub fn holder(path: &Path) -> Option<LockInfo> {
    let mut f = File::open(path).ok()?;
    read_info(&mut f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_acquire_names_the_holder_and_release_removes_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.json.lock");
        let l = acquire(&p, "apply", Duration::ZERO).unwrap();
        assert!(l.cleared.is_none());
        let err = acquire(&p, "plan", Duration::ZERO)
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains(&format!("pid {}", std::process::id())),
            "{err}"
        );
        assert!(err.contains("operation: apply"), "{err}");
        assert!(force_unlock(&p, &l.info.id).is_err(), "live holder");
        let id = l.identity().unwrap();
        assert!(names(&p, id));
        drop(l);
        assert!(!names(&p, id));
        assert!(!p.exists());
    }

    #[test]
    fn dead_holders_lock_is_cleared() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.json.lock");
        let mut info = LockInfo::new("apply");
        info.pid = 999_999;
        std::fs::write(&p, serde_json::to_string(&info).unwrap()).unwrap();
        let l = acquire(&p, "apply", Duration::ZERO).unwrap();
        assert!(l.cleared.as_deref().unwrap().contains("999999"));
    }

    #[test]
    fn other_hosts_lock_needs_force_unlock() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.json.lock");
        let mut info = LockInfo::new("apply");
        info.host = "elsewhere".into();
        std::fs::write(&p, serde_json::to_string(&info).unwrap()).unwrap();
        let err = acquire(&p, "apply", Duration::ZERO)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("force-unlock"), "{err}");
        assert!(force_unlock(&p, "wrong").is_err());
        force_unlock(&p, &info.id).unwrap();
        assert!(acquire(&p, "apply", Duration::ZERO).is_ok());
    }
}
