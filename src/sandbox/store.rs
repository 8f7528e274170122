//! The sandbox's persistent world: collections of JSON documents (`service/kind` → id → doc),
//! stored as `state/sandbox.json` (snapshot) plus an fsynced journal of operations. Several
//! strata processes may share one world (an apply and a `sandbox ls`, two applies): every
//! read and write takes an OS file lock and first catches up with what others appended.
//! Documents carry `name` and `status` (and `status_after` for delayed transitions), so the
//! listing and asynchronous states work the same for every service.

use crate::state::journal::{self, JournalFile};
use crate::state::snapshot::{self, sibling};
use crate::state::StateError;
use serde::{Deserialize, Serialize};
use serde_json::Value as Doc;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct World {
    pub colls: BTreeMap<String, BTreeMap<String, Doc>>,
    /// Derived index: collection → document `name` → ids (kept by `apply`, never stored).
    #[serde(skip)]
    names: HashMap<String, HashMap<String, BTreeSet<String>>>,
}

impl PartialEq for World {
    fn eq(&self, other: &World) -> bool {
        self.colls == other.colls
    }
}

fn name_of(doc: &Doc) -> Option<&str> {
    doc.get("name").and_then(|n| n.as_str())
}

impl World {
    /// Ids of the documents of `coll` named `name`.
    pub fn named<'a>(&'a self, coll: &str, name: &str) -> impl Iterator<Item = &'a String> + 'a {
        self.names
            .get(coll)
            .and_then(|m| m.get(name))
            .into_iter()
            .flatten()
    }

    /// Rebuild the derived index (after loading documents wholesale).
    fn reindex(&mut self) {
        self.names.clear();
        for (coll, docs) in &self.colls {
            let idx = self.names.entry(coll.clone()).or_default();
            for (id, doc) in docs {
                if let Some(n) = name_of(doc) {
                    idx.entry(n.to_string()).or_default().insert(id.clone());
                }
            }
        }
    }

    fn unindex(&mut self, coll: &str, id: &str) {
        let old = self
            .colls
            .get(coll)
            .and_then(|c| c.get(id))
            .and_then(name_of)
            .map(String::from);
        if let (Some(n), Some(idx)) = (old, self.names.get_mut(coll)) {
            if let Some(ids) = idx.get_mut(&n) {
                ids.remove(id);
                if ids.is_empty() {
                    idx.remove(&n);
                }
            }
        }
    }

    pub fn get(&self, coll: &str, id: &str) -> Option<&Doc> {
        self.colls.get(coll).and_then(|c| c.get(id))
    }

    pub fn list(&self, coll: &str) -> impl Iterator<Item = (&String, &Doc)> {
        self.colls.get(coll).into_iter().flat_map(|c| c.iter())
    }

    fn apply(&mut self, op: &Op) {
        match op {
            Op::Put { coll, id, doc } => {
                self.unindex(coll, id);
                if let Some(n) = name_of(doc) {
                    self.names
                        .entry(coll.clone())
                        .or_default()
                        .entry(n.to_string())
                        .or_default()
                        .insert(id.clone());
                }
                self.colls
                    .entry(coll.clone())
                    .or_default()
                    .insert(id.clone(), doc.clone());
            }
            Op::Delete { coll, id } => {
                self.unindex(coll, id);
                if let Some(c) = self.colls.get_mut(coll) {
                    c.remove(id);
                }
            }
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum Op {
    Put { coll: String, id: String, doc: Doc },
    Delete { coll: String, id: String },
}

/// A write transaction: changes apply to the world at once and are journaled on commit.
pub struct Tx<'a> {
    world: &'a mut World,
    ops: Vec<Op>,
}

impl Tx<'_> {
    pub fn world(&self) -> &World {
        self.world
    }
    pub fn get(&self, coll: &str, id: &str) -> Option<&Doc> {
        self.world.get(coll, id)
    }
    pub fn put(&mut self, coll: &str, id: &str, doc: Doc) {
        let op = Op::Put {
            coll: coll.to_string(),
            id: id.to_string(),
            doc,
        };
        self.world.apply(&op);
        self.ops.push(op);
    }
    pub fn delete(&mut self, coll: &str, id: &str) {
        let op = Op::Delete {
            coll: coll.to_string(),
            id: id.to_string(),
        };
        self.world.apply(&op);
        self.ops.push(op);
    }
}

#[derive(Serialize, Deserialize)]
struct SnapshotFile {
    sandbox: u32,
    generation: u64,
    world: World,
}

#[derive(Serialize, Deserialize)]
struct JournalHeader {
    sandbox_journal: u32,
    generation: u64,
}

struct Inner {
    world: World,
    generation: u64,
    /// (device, inode) of the journal file we have read, and how far.
    journal_id: Option<(u64, u64)>,
    offset: u64,
    ops_since_snapshot: usize,
    loaded: bool,
}

pub struct Store {
    path: PathBuf,
    seed: fn(&mut World),
    lock_file: PathBuf,
    inner: Mutex<Inner>,
}

const COMPACT_AFTER: usize = 20_000;

fn file_id(meta: &std::fs::Metadata) -> (u64, u64) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        (meta.dev(), meta.ino())
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        (0, 0)
    }
}

impl Store {
    /// A store at `path` (e.g. `state/sandbox.json`), seeded by `seed` when new.
    pub fn open(path: &Path, seed: fn(&mut World)) -> Store {
        Store {
            path: path.to_path_buf(),
            seed,
            lock_file: sibling(path, ".lock"),
            inner: Mutex::new(Inner {
                world: World::default(),
                generation: 0,
                journal_id: None,
                offset: 0,
                ops_since_snapshot: 0,
                loaded: false,
            }),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn journal_path(&self) -> PathBuf {
        sibling(&self.path, ".journal")
    }

    fn os_lock(&self, exclusive: bool) -> Result<File, String> {
        if let Some(dir) = self.path.parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            }
        }
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&self.lock_file)
            .map_err(|e| format!("{}: {e}", self.lock_file.display()))?;
        let r = if exclusive { f.lock() } else { f.lock_shared() };
        r.map_err(|e| format!("{}: {e}", self.lock_file.display()))?;
        Ok(f)
    }

    /// Read the world as it is now (including other processes' writes).
    pub fn read<R>(&self, f: impl FnOnce(&World) -> R) -> Result<R, String> {
        let mut inner = self.inner.lock().map_err(|_| "sandbox store poisoned")?;
        let lock = self.os_lock(false)?;
        self.catch_up(&mut inner).map_err(|e| e.to_string())?;
        let r = f(&inner.world);
        drop(lock);
        Ok(r)
    }

    /// Change the world; the changes are on disk before this returns.
    pub fn write<R>(&self, f: impl FnOnce(&mut Tx) -> R) -> Result<R, String> {
        let mut inner = self.inner.lock().map_err(|_| "sandbox store poisoned")?;
        let lock = self.os_lock(true)?;
        self.catch_up(&mut inner).map_err(|e| e.to_string())?;
        let mut tx = Tx {
            world: &mut inner.world,
            ops: Vec::new(),
        };
        let r = f(&mut tx);
        let ops = tx.ops;
        if !ops.is_empty() {
            if let Err(e) = self.commit(&mut inner, &ops) {
                inner.loaded = false; // memory is ahead of disk: reload next time
                return Err(e.to_string());
            }
        }
        drop(lock);
        Ok(r)
    }

    fn commit(&self, inner: &mut Inner, ops: &[Op]) -> Result<(), StateError> {
        let jpath = self.journal_path();
        let current = std::fs::metadata(&jpath).ok();
        let ours = current.as_ref().map(file_id) == inner.journal_id && inner.journal_id.is_some();
        if !ours {
            // No journal for this generation yet.
            self.start_journal(inner)?;
        } else if current.as_ref().map(|m| m.len()) != Some(inner.offset) {
            // A torn last line from a killed writer: cut it off before appending.
            let f = OpenOptions::new()
                .write(true)
                .open(&jpath)
                .map_err(|e| crate::state::io_err(&jpath, e))?;
            f.set_len(inner.offset)
                .map_err(|e| crate::state::io_err(&jpath, e))?;
        }
        let mut j = JournalFile::open(&jpath)?;
        j.append(ops)?;
        inner.offset = std::fs::metadata(&jpath)
            .map_err(|e| crate::state::io_err(&jpath, e))?
            .len();
        inner.ops_since_snapshot += ops.len();
        if inner.ops_since_snapshot >= COMPACT_AFTER {
            self.compact(inner)?;
        }
        Ok(())
    }

    /// Fold the journal into a new snapshot generation.
    fn compact(&self, inner: &mut Inner) -> Result<(), StateError> {
        let generation = inner.generation + 1;
        let bytes = snapshot::encode(&SnapshotFile {
            sandbox: 1,
            generation,
            world: inner.world.clone(),
        })?;
        snapshot::write_atomic(&self.path, &bytes, false)?;
        inner.generation = generation;
        inner.ops_since_snapshot = 0;
        self.start_journal(inner)
    }

    /// Start an empty journal for the current generation: a temp file renamed into place, so
    /// it is a new inode and other processes notice the switch.
    fn start_journal(&self, inner: &mut Inner) -> Result<(), StateError> {
        let jpath = self.journal_path();
        let tmp = sibling(&jpath, ".new");
        drop(JournalFile::create(
            &tmp,
            &JournalHeader {
                sandbox_journal: 1,
                generation: inner.generation,
            },
        )?);
        std::fs::rename(&tmp, &jpath).map_err(|e| crate::state::io_err(&jpath, e))?;
        snapshot::sync_dir(&jpath);
        let meta = std::fs::metadata(&jpath).map_err(|e| crate::state::io_err(&jpath, e))?;
        inner.journal_id = Some(file_id(&meta));
        inner.offset = meta.len();
        Ok(())
    }

    fn catch_up(&self, inner: &mut Inner) -> Result<(), StateError> {
        let jpath = self.journal_path();
        let meta = std::fs::metadata(&jpath).ok();
        let id = meta.as_ref().map(file_id);
        let len = meta.as_ref().map(|m| m.len()).unwrap_or(0);
        if !inner.loaded || id != inner.journal_id || len < inner.offset {
            return self.reload(inner);
        }
        if len > inner.offset {
            let mut f = File::open(&jpath).map_err(|e| crate::state::io_err(&jpath, e))?;
            f.seek(SeekFrom::Start(inner.offset))
                .map_err(|e| crate::state::io_err(&jpath, e))?;
            let mut buf = Vec::new();
            f.read_to_end(&mut buf)
                .map_err(|e| crate::state::io_err(&jpath, e))?;
            let lines = journal::parse_lines::<Op>(&buf, &jpath, 0)?;
            for op in &lines.entries {
                inner.world.apply(op);
            }
            inner.ops_since_snapshot += lines.entries.len();
            inner.offset += lines.consumed as u64;
        }
        Ok(())
    }

    fn reload(&self, inner: &mut Inner) -> Result<(), StateError> {
        let (mut world, generation) = match std::fs::read(&self.path) {
            Ok(bytes) => {
                let text = String::from_utf8(bytes)
                    .map_err(|_| snapshot::corrupt_error(&self.path, "it is not UTF-8"))?;
                snapshot::verify(&text, &self.path)?;
                let s: SnapshotFile = serde_json::from_str(&text).map_err(|e| {
                    snapshot::corrupt_error(&self.path, &format!("not a sandbox file: {e}"))
                })?;
                (s.world, s.generation)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut w = World::default();
                (self.seed)(&mut w);
                (w, 0)
            }
            Err(e) => return Err(crate::state::io_err(&self.path, e)),
        };
        let jpath = self.journal_path();
        let meta = std::fs::metadata(&jpath).ok();
        inner.journal_id = None;
        inner.offset = 0;
        inner.ops_since_snapshot = 0;
        if let Some(meta) = meta {
            let read = journal::read::<JournalHeader, Op>(&jpath)?;
            if let Some(r) = read {
                if r.header.generation == generation {
                    for op in &r.entries {
                        world.apply(op);
                    }
                    inner.journal_id = Some(file_id(&meta));
                    inner.offset = r.valid_len;
                    inner.ops_since_snapshot = r.entries.len();
                } else if r.header.generation > generation {
                    return Err(StateError::Corrupt(format!(
                        "{} is newer than {}: the sandbox files do not belong together",
                        jpath.display(),
                        self.path.display()
                    )));
                }
                // an older generation was already folded into the snapshot: ignored
            }
        }
        world.reindex();
        inner.world = world;
        inner.generation = generation;
        inner.loaded = true;
        Ok(())
    }

    /// Forget every object and start again from the seeds.
    pub fn reset(&self) -> Result<(), String> {
        let mut inner = self.inner.lock().map_err(|_| "sandbox store poisoned")?;
        let lock = self.os_lock(true)?;
        for p in [self.path.clone(), self.journal_path()] {
            match std::fs::remove_file(&p) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(format!("{}: {e}", p.display())),
            }
        }
        inner.loaded = false;
        drop(lock);
        Ok(())
    }
}

/// Milliseconds since the epoch (for delayed status transitions).
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// A document's status now: `status`, unless `status_after.at` has passed.
pub fn status(doc: &Doc) -> Option<String> {
    if let Some(after) = doc.get("status_after") {
        if after["at"].as_u64().is_some_and(|at| now_ms() >= at) {
            return after["status"].as_str().map(String::from);
        }
    }
    doc.get("status").and_then(|s| s.as_str()).map(String::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn seed(w: &mut World) {
        w.colls
            .entry("svc/thing".into())
            .or_default()
            .insert("seed-1".into(), json!({"name": "seeded"}));
    }

    /// Two stores (two processes) on the file `name` of a new directory.
    fn two_stores(name: &str) -> (tempfile::TempDir, PathBuf, Store, Store) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(name);
        let a = Store::open(&p, seed);
        let b = Store::open(&p, seed);
        (dir, p, a, b)
    }

    #[test]
    fn two_stores_on_one_file_see_each_others_writes() {
        let (_dir, p, a, b) = two_stores("state/sandbox.json");
        assert_eq!(a.read(|w| w.list("svc/thing").count()).unwrap(), 1);
        a.write(|tx| tx.put("svc/thing", "x", json!({"name": "x"})))
            .unwrap();
        b.write(|tx| tx.put("svc/thing", "y", json!({"name": "y"})))
            .unwrap();
        assert_eq!(a.read(|w| w.list("svc/thing").count()).unwrap(), 3);
        a.write(|tx| tx.delete("svc/thing", "seed-1")).unwrap();
        assert!(b.read(|w| w.get("svc/thing", "seed-1").is_none()).unwrap());
        // a fresh process sees the same
        let c = Store::open(&p, seed);
        assert_eq!(c.read(|w| w.list("svc/thing").count()).unwrap(), 2);
        // a torn last line (writer killed mid-append) is dropped and cut off
        let jp = sibling(&p, ".journal");
        let mut bytes = std::fs::read(&jp).unwrap();
        bytes.extend_from_slice(b"0000000000000000 {\"op\":\"put\"");
        std::fs::write(&jp, &bytes).unwrap();
        let d = Store::open(&p, seed);
        d.write(|tx| tx.put("svc/thing", "z", json!({"name": "z"})))
            .unwrap();
        assert_eq!(
            Store::open(&p, seed)
                .read(|w| w.list("svc/thing").count())
                .unwrap(),
            3
        );
        c.reset().unwrap();
        assert_eq!(a.read(|w| w.list("svc/thing").count()).unwrap(), 1);
    }

    #[test]
    fn compaction_keeps_everything() {
        let (_dir, _, a, b) = two_stores("sandbox.json");
        b.read(|_| ()).unwrap();
        {
            let mut inner = a.inner.lock().unwrap();
            a.catch_up(&mut inner).unwrap();
            a.compact(&mut inner).unwrap();
        }
        a.write(|tx| tx.put("svc/thing", "after", json!({})))
            .unwrap();
        assert!(b.read(|w| w.get("svc/thing", "after").is_some()).unwrap());
        assert!(b.read(|w| w.get("svc/thing", "seed-1").is_some()).unwrap());
    }

    #[test]
    fn delayed_status() {
        let d = json!({"status": "Creating", "status_after": {"at": 0, "status": "Running"}});
        assert_eq!(status(&d).as_deref(), Some("Running"));
        let d =
            json!({"status": "Creating", "status_after": {"at": u64::MAX, "status": "Running"}});
        assert_eq!(status(&d).as_deref(), Some("Creating"));
    }
}
