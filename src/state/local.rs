//! The local backend: `state/<stack>.json` (snapshot with checksum, mode 0600), its `.journal`
//! (append-only, fsynced), `.backup` (previous snapshot) and `.lock`.

use super::backend::{replay, Backend, Loaded, LockGuard};
use super::journal::{self, Entry, JournalFile};
use super::lock::{self, LocalLock};
use super::snapshot::{self, sibling};
use super::{io_err, State, StateError, STATE_VERSION};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Header {
    pub journal: u32,
    pub lineage: String,
    pub base_serial: u64,
    /// Carried so that a state whose first snapshot was never written keeps its key.
    #[serde(default)]
    pub fingerprint_key: String,
}

pub struct LocalBackend {
    pub path: PathBuf,
    stack: String,
    journal: Mutex<Option<JournalFile>>,
}

impl LocalBackend {
    pub fn new(path: PathBuf, stack: &str) -> LocalBackend {
        LocalBackend {
            path,
            stack: stack.to_string(),
            journal: Mutex::new(None),
        }
    }

    pub fn journal_path(&self) -> PathBuf {
        sibling(&self.path, ".journal")
    }

    pub fn lock_path(&self) -> PathBuf {
        sibling(&self.path, ".lock")
    }

    /// Read the snapshot only (no journal), e.g. to show a state.
    pub fn read_snapshot(path: &Path) -> Result<Option<State>, StateError> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err(path, e)),
        };
        let text = String::from_utf8(bytes)
            .map_err(|_| snapshot::corrupt_error(path, "it is not UTF-8 text"))?;
        snapshot::verify(&text, path)?;
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
        let path = self.lock_path();
        let op = operation.to_string();
        let l = tokio::task::spawn_blocking(move || lock::acquire(&path, &op, wait))
            .await
            .map_err(|e| StateError::Other(e.to_string()))??;
        Ok(Box::new(Guard(l)))
    }

    async fn load(&self) -> Result<Loaded, StateError> {
        let snap = Self::read_snapshot(&self.path)?;
        let exists = snap.is_some();
        let mut state = snap.unwrap_or_else(|| State::new(&self.stack));
        let jpath = self.journal_path();
        let mut notes = Vec::new();
        let nothing_to_replay = |state, notes| Loaded {
            state,
            exists,
            replayed: 0,
            notes,
        };
        let Some(read) = journal::read::<Header, Entry>(&jpath)? else {
            return Ok(nothing_to_replay(state, notes));
        };
        let h = &read.header;
        if !exists && state.serial == 0 {
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

    async fn append(&self, base: &State, entries: &[Entry]) -> Result<(), StateError> {
        let mut guard = self
            .journal
            .lock()
            .map_err(|_| StateError::Other("journal poisoned".into()))?;
        if guard.is_none() {
            let jpath = self.journal_path();
            let existing = journal::read::<Header, Entry>(&jpath)?;
            let reuse = existing.as_ref().is_some_and(|r| {
                r.header.lineage == base.lineage && r.header.base_serial == base.serial
            });
            let file = if reuse {
                // Continue the journal of an interrupted run, dropping a torn last line first.
                if let Some(r) = &existing {
                    let f = std::fs::OpenOptions::new()
                        .write(true)
                        .open(&jpath)
                        .map_err(|e| io_err(&jpath, e))?;
                    f.set_len(r.valid_len).map_err(|e| io_err(&jpath, e))?;
                }
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
            *guard = Some(file);
        }
        guard.as_mut().expect("opened above").append(entries)
    }

    async fn persist(&self, state: &mut State) -> Result<(), StateError> {
        state.serial += 1;
        let bytes = snapshot::encode(state)?;
        snapshot::write_atomic(&self.path, &bytes, true)?;
        let mut guard = self
            .journal
            .lock()
            .map_err(|_| StateError::Other("journal poisoned".into()))?;
        *guard = None;
        let jpath = self.journal_path();
        match std::fs::remove_file(&jpath) {
            Ok(()) => snapshot::sync_dir(&jpath),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err(&jpath, e)),
        }
        Ok(())
    }

    async fn force_unlock(&self, id: &str) -> Result<String, StateError> {
        lock::force_unlock(&self.lock_path(), id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::Address;
    use crate::state::{Made, ResourceState};
    use crate::value::Value;

    fn res(id: &str) -> ResourceState {
        ResourceState {
            ty: "t".into(),
            provider: "t".into(),
            mode: crate::address::Mode::Managed,
            id: id.into(),
            attributes: Value::Null,
            made: Made::Created,
            sensitive: Default::default(),
            dependencies: vec![],
            tainted: false,
        }
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
                action: "create".into(),
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
                action: "create".into(),
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
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        let b = LocalBackend::new(path.clone(), "s");
        let mut st = b.load().await.unwrap().state;
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
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        let b = LocalBackend::new(path.clone(), "s");
        let mut st = b.load().await.unwrap().state;
        b.persist(&mut st).await.unwrap();
        b.persist(&mut st).await.unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, &text[..text.len() / 2]).unwrap();
        let err = b.load().await.unwrap_err().to_string();
        assert!(err.contains("s.json.backup"), "{err}");
    }
}
