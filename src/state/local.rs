//! The local backend: `state/<stack>.json` (snapshot with checksum, mode 0600), its `.journal`
//! (append-only, fsynced), `.backup` (previous snapshot) and `.lock`.
//!
//! Invariants:
//! - a snapshot is used only with a matching checksum; a missing snapshot beside its backup or
//!   beside a journal that continues a later serial, and a dangling symlink, are errors, never
//!   "no state yet";
//! - this command writes (journal or snapshot) only while `.lock` still names the file it
//!   locked, and holds an OS lock on the journal while it writes it, so a second command is
//!   refused even when the lock file was removed under the first;
//! - the fold is a compare-and-swap: the snapshot on disk must still be the lineage and serial
//!   this command started from;
//! - every snapshot records the stack directory; a state recorded for another directory is
//!   refused (`backend::check_directory`).

use super::backend::{check_directory, replay, Backend, Loaded, LockGuard};
use super::journal::{self, Entry, JournalFile};
use super::lock::{self, FileId, LocalLock};
use super::snapshot::{self, sibling};
use super::{io_err, State, StateError, STATE_VERSION};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Header {
    pub journal: u32,
    pub lineage: String,
    pub base_serial: u64,
    /// Carried so that a state whose first snapshot was never written keeps its key.
    #[serde(default)]
    pub fingerprint_key: String,
}

/// The journal this command appends to, and the OS lock it holds on it.
struct OpenJournal {
    file: JournalFile,
    _lock: File,
}

pub struct LocalBackend {
    pub path: PathBuf,
    stack: String,
    /// The stack directory (canonical) the state belongs to.
    directory: Option<String>,
    journal: Mutex<Option<OpenJournal>>,
    /// The lock file this command locked, once it has.
    held: Mutex<Option<FileId>>,
}

fn poisoned<T>(_: T) -> StateError {
    StateError::Other("the state backend's lock was poisoned".into())
}

impl LocalBackend {
    pub fn new(path: PathBuf, stack: &str) -> LocalBackend {
        LocalBackend {
            path,
            stack: stack.to_string(),
            directory: None,
            journal: Mutex::new(None),
            held: Mutex::new(None),
        }
    }

    /// Record (and check) that the state belongs to the stack in `directory` (canonical).
    pub fn for_directory(mut self, directory: &str) -> LocalBackend {
        self.directory = Some(directory.to_string());
        self
    }

    pub fn journal_path(&self) -> PathBuf {
        sibling(&self.path, ".journal")
    }

    pub fn lock_path(&self) -> PathBuf {
        sibling(&self.path, ".lock")
    }

    /// Read the snapshot only (no journal), e.g. to show a state. `Ok(None)` when there is no
    /// file; a dangling symlink is an error.
    pub fn read_snapshot(path: &Path) -> Result<Option<State>, StateError> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                refuse_dangling_link(path)?;
                return Ok(None);
            }
            Err(e) => return Err(io_err(path, e)),
        };
        let text = String::from_utf8(bytes)
            .map_err(|_| snapshot::corrupt_error(path, "it is not UTF-8 text"))?;
        snapshot::require_checksum(&text, path)?;
        let st: State = serde_json::from_str(&text)
            .map_err(|e| snapshot::corrupt_error(path, &format!("it is not a state file ({e})")))?;
        if st.version > STATE_VERSION {
            return Err(StateError::Other(format!(
                "{} was written by a newer strata (state version {}); upgrade strata",
                path.display(),
                st.version
            )));
        }
        Ok(Some(st))
    }

    /// No snapshot: an error when its backup is beside it (the snapshot was deleted or lost,
    /// and starting from nothing would make every object again).
    fn refuse_lost_snapshot(&self) -> Result<(), StateError> {
        let backup = snapshot::backup_path(&self.path);
        if std::fs::symlink_metadata(&backup).is_err() {
            return Ok(());
        }
        let what = match Self::read_snapshot(&backup) {
            Ok(Some(b)) => format!(" (serial {}, lineage {})", b.serial, b.lineage),
            _ => String::new(),
        };
        Err(StateError::Corrupt(format!(
            "{path} is missing, but its backup {b}{what} is beside it: the state was deleted or \
             lost, and starting from nothing would make every object again. Nothing was used. \
             Restore it with: cp {b} {path} (the next plan shows what changed since), or move \
             the backup aside if you really mean to start a new state",
            path = self.path.display(),
            b = backup.display()
        )))
    }

    /// A journal continuing serial `base` > 0 with no snapshot: the snapshot was lost.
    fn lost_snapshot_of_journal(&self, base: u64, lineage: &str) -> StateError {
        let backup = snapshot::backup_path(&self.path);
        let restore = if backup.exists() {
            format!(
                "restore it from its backup (cp {} {}) and run again",
                backup.display(),
                self.path.display()
            )
        } else {
            "restore the snapshot from wherever it went and run again".to_string()
        };
        StateError::Corrupt(format!(
            "{} is missing, but its journal {} continues serial {base} of lineage {lineage}: \
             the snapshot was deleted or lost. Nothing was used; {restore}",
            self.path.display(),
            self.journal_path().display()
        ))
    }

    /// A damaged journal's error, naming what is still intact beside it.
    fn damaged(&self, e: StateError) -> StateError {
        let StateError::Corrupt(msg) = e else {
            return e;
        };
        let backup = snapshot::backup_path(&self.path);
        let backup = if backup.exists() {
            format!(", and its previous version {}", backup.display())
        } else {
            String::new()
        };
        StateError::Corrupt(format!(
            "{msg}. The state before that run ({}{backup}) is untouched; what the run did \
             after the damaged line is unknown, so compare the cloud with it before going on",
            self.path.display()
        ))
    }

    /// Stop before writing when `.lock` no longer names the file this command locked.
    fn check_lock(&self) -> Result<(), StateError> {
        let Some(id) = *self.held.lock().map_err(poisoned)? else {
            return Ok(());
        };
        let lock = self.lock_path();
        if lock::names(&lock, id) {
            return Ok(());
        }
        Err(StateError::Locked(format!(
            "the lock file {} was removed or replaced while this command held it, so another \
             command may be writing this state: stopping before writing anything more (what \
             this command did so far is in {})",
            lock.display(),
            self.journal_path().display()
        )))
    }

    /// Compare-and-swap: the snapshot on disk must still be the one `state` started from.
    fn check_unchanged(&self, state: &State) -> Result<(), StateError> {
        match read_identity(&self.path)? {
            Some(now) if now.lineage != state.lineage || now.serial != state.serial => {
                Err(StateError::Locked(format!(
                    "another writer changed {} while this command ran (it is now lineage {}, \
                     serial {}; this command started from serial {}): nothing was overwritten. \
                     Run the command again",
                    self.path.display(),
                    now.lineage,
                    now.serial,
                    state.serial
                )))
            }
            None if state.serial != 0 => Err(StateError::Locked(format!(
                "{} was removed while this command ran (it started from serial {}): nothing \
                 was written",
                self.path.display(),
                state.serial
            ))),
            _ => Ok(()),
        }
    }

    /// The loaded snapshot (`exists`) with the journal of a run that did not fold replayed
    /// on it: a journal of another lineage, or continuing a later serial, is an error; one
    /// already folded is ignored.
    fn replay_journal(
        &self,
        mut state: State,
        exists: bool,
        mut notes: Vec<String>,
    ) -> Result<Loaded, StateError> {
        let jpath = self.journal_path();
        let nothing_to_replay = |state, notes| Loaded {
            state,
            exists,
            replayed: 0,
            notes,
        };
        let Some(read) = journal::read::<Header, Entry>(&jpath).map_err(|e| self.damaged(e))?
        else {
            return Ok(nothing_to_replay(state, notes));
        };
        let h = &read.header;
        if !exists && state.serial == 0 {
            if h.base_serial > 0 {
                return Err(self.lost_snapshot_of_journal(h.base_serial, &h.lineage));
            }
            // The run that started this state was cut off before its first snapshot.
            state.lineage = h.lineage.clone();
            if !h.fingerprint_key.is_empty() {
                state.fingerprint_key = h.fingerprint_key.clone();
            }
        }
        if h.lineage != state.lineage {
            return Err(StateError::Corrupt(format!(
                "{} belongs to another state (lineage {}, the snapshot's is {}); it was not used",
                jpath.display(),
                h.lineage,
                state.lineage
            )));
        }
        if h.base_serial < state.serial {
            notes.push(format!(
                "{} was already folded into serial {}; ignoring it",
                jpath.display(),
                state.serial
            ));
            return Ok(nothing_to_replay(state, notes));
        }
        if h.base_serial > state.serial {
            return Err(StateError::Corrupt(format!(
                "{} continues serial {}, but the snapshot is at serial {}: the snapshot is older \
                 than its journal (restored from a backup?). Nothing was used",
                jpath.display(),
                h.base_serial,
                state.serial
            )));
        }
        if read.torn_tail {
            notes.push("the last journal entry was cut short by a crash and was dropped".into());
        }
        replay(&mut state, &read.entries);
        if !read.entries.is_empty() {
            notes.push(format!(
                "recovered {} step(s) from the journal of a run that did not finish",
                read.entries.len()
            ));
        }
        Ok(Loaded {
            state,
            exists: true,
            replayed: read.entries.len(),
            notes,
        })
    }

    /// Open the journal to append for `base` (continuing an interrupted run's journal of the
    /// same base, else starting a new one), holding its OS lock.
    fn open_journal(&self, base: &State) -> Result<OpenJournal, StateError> {
        let jpath = self.journal_path();
        let lock = lock_journal(&jpath)?;
        let existing = journal::read::<Header, Entry>(&jpath)?;
        let reuse = existing
            .as_ref()
            .filter(|r| r.header.lineage == base.lineage && r.header.base_serial == base.serial);
        let file = if let Some(r) = reuse {
            // Continue the journal of an interrupted run, dropping a torn last line first.
            lock.set_len(r.valid_len).map_err(|e| io_err(&jpath, e))?;
            JournalFile::open(&jpath)?
        } else {
            JournalFile::create(
                &jpath,
                &Header {
                    journal: 1,
                    lineage: base.lineage.clone(),
                    base_serial: base.serial,
                    fingerprint_key: base.fingerprint_key.clone(),
                },
            )?
        };
        Ok(OpenJournal { file, _lock: lock })
    }
}

/// What the compare-and-swap compares: a snapshot's lineage and serial.
#[derive(Deserialize)]
struct Identity {
    lineage: String,
    serial: u64,
}

/// The lineage and serial of the snapshot at `path` (checksum checked, the rest not built).
fn read_identity(path: &Path) -> Result<Option<Identity>, StateError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err(path, e)),
    };
    snapshot::require_checksum(&text, path)?;
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| snapshot::corrupt_error(path, &format!("it is not a state file ({e})")))
}

/// A path that is a symbolic link to nothing is an error (the state is elsewhere, not absent).
fn refuse_dangling_link(path: &Path) -> Result<(), StateError> {
    let Ok(m) = std::fs::symlink_metadata(path) else {
        return Ok(());
    };
    if !m.file_type().is_symlink() {
        return Ok(());
    }
    let target = std::fs::read_link(path)
        .map(|t| t.display().to_string())
        .unwrap_or_else(|_| "?".into());
    Err(StateError::Corrupt(format!(
        "{} is a symbolic link to {target}, which does not exist: the state is not there (a \
         moved or unmounted directory?). Nothing was used; fix the link, or point --state at \
         the state file",
        path.display()
    )))
}

/// Take this command's OS lock on the journal (creating an empty one if there is none).
fn lock_journal(jpath: &Path) -> Result<File, StateError> {
    if let Some(dir) = jpath.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
    }
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(jpath)
        .map_err(|e| io_err(jpath, e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => Err(journal_busy_error(jpath, None)),
        Err(TryLockError::Error(e)) => Err(io_err(jpath, e)),
    }
}

/// Whether a live process holds the journal's OS lock (it is writing it).
fn journal_busy(jpath: &Path) -> Result<bool, StateError> {
    let file = match File::open(jpath) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(io_err(jpath, e)),
    };
    match file.try_lock() {
        Ok(()) => {
            let _ = file.unlock();
            Ok(false)
        }
        Err(TryLockError::WouldBlock) => Ok(true),
        Err(TryLockError::Error(e)) => Err(io_err(jpath, e)),
    }
}

fn journal_busy_error(jpath: &Path, lock: Option<&Path>) -> StateError {
    let removed = lock
        .map(|l| format!(", though its lock file {} was removed", l.display()))
        .unwrap_or_default();
    StateError::Locked(format!(
        "the state's journal {} is still being written by a live strata process{removed}: \
         refusing to run beside it. Wait for it to finish (--lock-timeout), or stop it",
        jpath.display()
    ))
}

/// Take the lock file, then make sure no live process still writes the journal (a holder
/// whose lock file was removed under it): wait for it up to `wait`, else refuse.
fn acquire(lock: &Path, jpath: &Path, op: &str, wait: Duration) -> Result<LocalLock, StateError> {
    let deadline = Instant::now() + wait;
    loop {
        let held = lock::acquire(lock, op, deadline.saturating_duration_since(Instant::now()))?;
        if !journal_busy(jpath)? {
            return Ok(held);
        }
        drop(held);
        if Instant::now() >= deadline {
            return Err(journal_busy_error(jpath, Some(lock)));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Move a state kept by stack name (`legacy`, as strata kept it before states were kept per
/// stack directory) to `new`, with its backup and journal, once: only when `new` has no
/// snapshot yet and the legacy state records no directory. Returns the note to show.
pub fn adopt_legacy(legacy: &Path, new: &Path) -> Result<Option<String>, StateError> {
    let present = |p: &Path| std::fs::symlink_metadata(p).is_ok();
    let ljournal = sibling(legacy, ".journal");
    if legacy == new || present(new) || !(present(legacy) || present(&ljournal)) {
        return Ok(None);
    }
    let _lock = lock::acquire(&sibling(legacy, ".lock"), "state migration", Duration::ZERO)?;
    if LocalBackend::read_snapshot(legacy)?.is_some_and(|st| st.directory.is_some()) {
        return Ok(None); // a state of this version, placed there on purpose
    }
    if let Some(dir) = new.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
    }
    // The snapshot last: an interrupted move is finished by the next run.
    for suffix in [".backup", ".journal", ""] {
        let (from, to) = (sibling(legacy, suffix), sibling(new, suffix));
        if present(&from) && !present(&to) {
            std::fs::rename(&from, &to).map_err(|e| io_err(&from, e))?;
        }
    }
    snapshot::sync_dir(new);
    snapshot::sync_dir(legacy);
    Ok(Some(format!(
        "moved the state {} to {} (with its backup and journal): each stack directory now has \
         its own state file, so stacks whose directories share a name no longer share one",
        legacy.display(),
        new.display()
    )))
}

struct Guard(LocalLock);

impl LockGuard for Guard {
    fn id(&self) -> &str {
        &self.0.info.id
    }
    fn cleared(&self) -> Option<&str> {
        self.0.cleared.as_deref()
    }
}

#[async_trait]
impl Backend for LocalBackend {
    fn describe(&self) -> String {
        self.path.display().to_string()
    }

    async fn lock(
        &self,
        operation: &str,
        wait: Duration,
    ) -> Result<Box<dyn LockGuard>, StateError> {
        let (path, jpath) = (self.lock_path(), self.journal_path());
        let op = operation.to_string();
        let l = tokio::task::spawn_blocking(move || acquire(&path, &jpath, &op, wait))
            .await
            .map_err(|e| StateError::Other(e.to_string()))??;
        *self.held.lock().map_err(poisoned)? = l.identity();
        Ok(Box::new(Guard(l)))
    }

    async fn load(&self) -> Result<Loaded, StateError> {
        let snap = Self::read_snapshot(&self.path)?;
        let exists = snap.is_some();
        if !exists {
            self.refuse_lost_snapshot()?;
        }
        let state = snap.unwrap_or_else(|| State {
            directory: self.directory.clone(),
            ..State::new(&self.stack)
        });
        let mut notes = Vec::new();
        notes.extend(check_directory(
            &state,
            self.directory.as_deref(),
            &self.path.display().to_string(),
            "Run this stack without --state (its own default file), or give it its own with \
             --state FILE",
        )?);
        self.replay_journal(state, exists, notes)
    }

    async fn append(&self, base: &State, entries: &[Entry]) -> Result<(), StateError> {
        self.check_lock()?;
        let mut guard = self.journal.lock().map_err(poisoned)?;
        if guard.is_none() {
            *guard = Some(self.open_journal(base)?);
        }
        guard.as_mut().expect("opened above").file.append(entries)
    }

    async fn persist(&self, state: &mut State) -> Result<(), StateError> {
        self.check_lock()?;
        self.check_unchanged(state)?;
        state.serial += 1;
        if self.directory.is_some() {
            state.directory = self.directory.clone();
        }
        let bytes = snapshot::encode(state)?;
        snapshot::write_atomic(&self.path, &bytes, true)?;
        let mut guard = self.journal.lock().map_err(poisoned)?;
        let jpath = self.journal_path();
        let removed = match std::fs::remove_file(&jpath) {
            Ok(()) => {
                snapshot::sync_dir(&jpath);
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_err(&jpath, e)),
        };
        // The journal's OS lock is released only once the journal is gone.
        *guard = None;
        removed
    }

    async fn force_unlock(&self, id: &str) -> Result<String, StateError> {
        lock::force_unlock(&self.lock_path(), id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::Address;
    use crate::state::{Object, ResourceState};
    use crate::value::Value;

    fn res(id: &str) -> ResourceState {
        ResourceState::new(&Address::managed("t", "r"), Object::created(id), vec![])
    }

    /// A backend on `s.json` in a new directory, and the empty state it loads.
    async fn fresh() -> (tempfile::TempDir, PathBuf, LocalBackend, State) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        let b = LocalBackend::new(path.clone(), "s");
        let st = b.load().await.unwrap().state;
        (dir, path, b, st)
    }

    #[tokio::test]
    async fn journal_survives_a_crash_before_the_fold() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/s.json");
        let b = LocalBackend::new(path.clone(), "s");
        let loaded = b.load().await.unwrap();
        assert!(!loaded.exists);
        let base = loaded.state;
        let a = Address::managed("t", "a");
        b.append(
            &base,
            &[Entry::Intent {
                id: "i1".into(),
                addr: a.clone(),
                action: crate::verb::IntentAction::Create,
                key: Value::Null,
                token: "tok".into(),
            }],
        )
        .await
        .unwrap();
        b.append(
            &base,
            &[Entry::Put {
                addr: a.clone(),
                resource: res("x1"),
                intent: Some("i1".into()),
            }],
        )
        .await
        .unwrap();
        b.append(
            &base,
            &[Entry::Intent {
                id: "i2".into(),
                addr: Address::managed("t", "b"),
                action: crate::verb::IntentAction::Create,
                key: Value::Null,
                token: "tok2".into(),
            }],
        )
        .await
        .unwrap();
        // "crash": a new backend object reads what is on disk
        let b2 = LocalBackend::new(path.clone(), "s");
        let l2 = b2.load().await.unwrap();
        assert_eq!(l2.state.lineage, base.lineage);
        assert_eq!(l2.state.resources[&a].id, "x1");
        assert_eq!(l2.state.intents.len(), 1);
        assert_eq!(l2.state.intents[0].id, "i2");
        let mut st = l2.state;
        b2.persist(&mut st).await.unwrap();
        assert_eq!(st.serial, 1);
        assert!(!b2.journal_path().exists());
        let l3 = LocalBackend::new(path.clone(), "s").load().await.unwrap();
        assert_eq!(l3.state, st);
        assert_eq!(l3.state.intents.len(), 1, "a fold keeps the open intent");
    }

    #[tokio::test]
    async fn a_journal_already_folded_is_ignored() {
        let (_dir, path, b, mut st) = fresh().await;
        let a = Address::managed("t", "a");
        b.append(
            &st,
            &[Entry::Put {
                addr: a.clone(),
                resource: res("x1"),
                intent: None,
            }],
        )
        .await
        .unwrap();
        let jbytes = std::fs::read(b.journal_path()).unwrap();
        st.apply(&Entry::Put {
            addr: a.clone(),
            resource: res("x1"),
            intent: None,
        });
        b.persist(&mut st).await.unwrap();
        // killed between the snapshot rename and the journal removal
        std::fs::write(b.journal_path(), jbytes).unwrap();
        let l = LocalBackend::new(path, "s").load().await.unwrap();
        assert_eq!(l.state, st);
        assert_eq!(l.replayed, 0);
    }

    #[tokio::test]
    async fn corrupt_snapshot_is_refused_with_the_backup_named() {
        let (_dir, path, b, mut st) = fresh().await;
        b.persist(&mut st).await.unwrap();
        b.persist(&mut st).await.unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, &text[..text.len() / 2]).unwrap();
        let err = b.load().await.unwrap_err().to_string();
        assert!(err.contains("s.json.backup"), "{err}");
    }

    fn settle() -> Entry {
        Entry::Settle { intent: "i".into() }
    }

    #[tokio::test]
    async fn a_removed_lock_file_stops_its_holder_and_keeps_a_second_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        let b1 = LocalBackend::new(path.clone(), "s");
        let _g1 = b1.lock("apply", Duration::ZERO).await.unwrap();
        let st = b1.load().await.unwrap().state;
        b1.append(&st, &[settle()]).await.unwrap();
        std::fs::remove_file(b1.lock_path()).unwrap();
        // the first still writes its journal: a second is refused, lock file or not
        let b2 = LocalBackend::new(path.clone(), "s");
        let err = b2.lock("apply", Duration::ZERO).await.err().unwrap();
        assert!(err.to_string().contains("still being written"), "{err}");
        assert!(err.to_string().contains("s.json.lock was removed"), "{err}");
        // and the first, whose lock file is gone, writes nothing more
        let err = b1.append(&st, &[settle()]).await.unwrap_err().to_string();
        assert!(err.contains("was removed or replaced"), "{err}");
        let mut st1 = st.clone();
        assert!(b1.persist(&mut st1).await.is_err());
        assert!(!path.exists());
    }
}
