//! Append-only journal files: one header line, then one line per entry, each line
//! `<checksum> <json>`, written with one `write` and fsynced before the caller goes on.
//! Invariant: only a last line without its newline is a torn write (a crash mid-write) and
//! is dropped; a complete line (newline-terminated, so written and fsynced whole) that fails
//! its checksum is damage and is refused, wherever it is.
//! Used for state (steps and intents) and for the sandbox's persistence.

use super::{io_err, snapshot, ResourceState, StateError};
use crate::address::Address;
use crate::value::Value;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// One step recorded in a state journal.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Entry {
    /// Written before a mutating call, so a crash after the call can be reconciled.
    Intent {
        id: String,
        addr: Address,
        action: crate::verb::IntentAction,
        /// Natural key / parameters that identify what the call makes (name, target, pair).
        key: Value,
        /// Client token sent with the call, where the API takes one.
        token: String,
    },
    /// An intent ended without changing state (the call failed for certain).
    Settle {
        intent: String,
    },
    Put {
        addr: Address,
        resource: ResourceState,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        intent: Option<String>,
    },
    Remove {
        addr: Address,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        intent: Option<String>,
    },
    /// Move the current object to the deposed list (create_before_destroy): it is deleted
    /// once its replacement exists.
    Depose {
        addr: Address,
    },
    RemoveDeposed {
        addr: Address,
        id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        intent: Option<String>,
    },
    Move {
        from: Address,
        to: Address,
    },
    Outputs {
        outputs: BTreeMap<String, super::OutputState>,
    },
}

impl Entry {
    /// The intent this entry closes, if any.
    pub fn closes(&self) -> Option<&str> {
        match self {
            Entry::Settle { intent } => Some(intent),
            Entry::Put { intent, .. }
            | Entry::Remove { intent, .. }
            | Entry::RemoveDeposed { intent, .. } => intent.as_deref(),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Header {
    pub journal: u32,
    pub lineage: String,
    pub base_serial: u64,
}

fn sum(json: &[u8]) -> String {
    hex::encode(&Sha256::digest(json)[..8])
}

pub fn line<T: Serialize>(v: &T) -> Result<Vec<u8>, StateError> {
    let json = serde_json::to_vec(v).map_err(|e| StateError::Other(format!("serialize: {e}")))?;
    let mut out = sum(&json).into_bytes();
    out.push(b' ');
    out.extend_from_slice(&json);
    out.push(b'\n');
    Ok(out)
}

/// An open journal, appended to.
pub struct JournalFile {
    file: File,
    path: PathBuf,
}

impl JournalFile {
    /// Start a new journal with `header` (replacing any old file).
    pub fn create<H: Serialize>(path: &Path, header: &H) -> Result<JournalFile, StateError> {
        if let Some(dir) = path.parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
            }
        }
        let mut file = snapshot::create_private(path).map_err(|e| io_err(path, e))?;
        file.write_all(&line(header)?)
            .map_err(|e| io_err(path, e))?;
        file.sync_all().map_err(|e| io_err(path, e))?;
        snapshot::sync_dir(path);
        JournalFile::open(path)
    }

    /// Continue an existing journal.
    pub fn open(path: &Path) -> Result<JournalFile, StateError> {
        let file = OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|e| io_err(path, e))?;
        Ok(JournalFile {
            file,
            path: path.to_path_buf(),
        })
    }

    /// Append entries durably: one write, then fdatasync.
    pub fn append<T: Serialize>(&mut self, entries: &[T]) -> Result<(), StateError> {
        let mut buf = Vec::new();
        for e in entries {
            buf.extend_from_slice(&line(e)?);
        }
        self.file
            .write_all(&buf)
            .map_err(|e| io_err(&self.path, e))?;
        self.file.sync_data().map_err(|e| io_err(&self.path, e))
    }
}

/// What reading a journal found.
pub struct Read<H, T> {
    pub header: H,
    pub entries: Vec<T>,
    /// A last line cut short by a crash was dropped.
    pub torn_tail: bool,
    /// Bytes of complete lines (where the next entry would start).
    pub valid_len: u64,
}

/// Read a journal. `Ok(None)` when there is none (or it is empty).
pub fn read<H: DeserializeOwned, T: DeserializeOwned>(
    path: &Path,
) -> Result<Option<Read<H, T>>, StateError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err(path, e)),
    };
    read_bytes(&bytes, path)
}

pub fn read_bytes<H: DeserializeOwned, T: DeserializeOwned>(
    bytes: &[u8],
    path: &Path,
) -> Result<Option<Read<H, T>>, StateError> {
    if bytes.is_empty() {
        return Ok(None);
    }
    let lines = parse_lines::<serde_json::Value>(bytes, path, 0)?;
    let mut values = lines.entries.into_iter();
    let Some(h) = values.next() else {
        if lines.torn_tail {
            return Ok(None);
        }
        return Err(damaged(path, 1, "no header"));
    };
    let header: H =
        serde_json::from_value(h).map_err(|e| damaged(path, 1, &format!("bad header: {e}")))?;
    let mut entries = Vec::new();
    for (i, v) in values.enumerate() {
        entries.push(
            serde_json::from_value(v)
                .map_err(|e| damaged(path, i + 2, &format!("bad entry: {e}")))?,
        );
    }
    Ok(Some(Read {
        header,
        entries,
        torn_tail: lines.torn_tail,
        valid_len: lines.consumed as u64,
    }))
}

fn damaged(path: &Path, n: usize, why: &str) -> StateError {
    StateError::Corrupt(format!(
        "{} is damaged at line {n}: {why}. It was not used, so nothing was lost from it; \
         move it aside only once you know what it held",
        path.display()
    ))
}

/// Entries parsed from journal bytes (lines after any header the caller skipped).
pub struct Lines<T> {
    pub entries: Vec<T>,
    /// Bytes of the complete, valid lines.
    pub consumed: usize,
    pub torn_tail: bool,
}

/// Parse checksummed lines. `first_line` numbers lines in messages. A last line without its
/// newline is a torn write and is dropped; a complete line with a bad checksum is damage,
/// refused (even the last one: its newline proves it was written whole).
pub fn parse_lines<T: DeserializeOwned>(
    bytes: &[u8],
    path: &Path,
    first_line: usize,
) -> Result<Lines<T>, StateError> {
    let mut entries = Vec::new();
    let mut start = 0usize;
    let mut consumed = 0usize;
    let mut n = first_line;
    let mut torn_tail = false;
    while start < bytes.len() {
        n += 1;
        let Some(rel_end) = bytes[start..].iter().position(|b| *b == b'\n') else {
            torn_tail = true;
            break;
        };
        let l = &bytes[start..start + rel_end];
        start += rel_end + 1;
        if l.len() < 18 || l[16] != b' ' || l[..16] != *sum(&l[17..]).as_bytes() {
            return Err(damaged(path, n, "the checksum does not match"));
        }
        entries.push(
            serde_json::from_slice(&l[17..])
                .map_err(|e| damaged(path, n, &format!("bad entry: {e}")))?,
        );
        consumed = start;
    }
    Ok(Lines {
        entries,
        consumed,
        torn_tail,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn append_read_and_torn_tail() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("j");
        let h = Header {
            journal: 1,
            lineage: "L".into(),
            base_serial: 3,
        };
        let mut j = JournalFile::create(&p, &h).unwrap();
        j.append(&[Entry::Settle { intent: "a".into() }]).unwrap();
        j.append(&[Entry::Settle { intent: "b".into() }]).unwrap();
        let r: Read<Header, Entry> = read(&p).unwrap().unwrap();
        assert_eq!(r.header, h);
        assert_eq!(r.entries.len(), 2);
        assert!(!r.torn_tail);
        // a crash mid-write leaves half a line: dropped, earlier entries kept
        let mut bytes = std::fs::read(&p).unwrap();
        let full = bytes.len();
        bytes.extend_from_slice(b"0123456789abcdef {\"op\":\"set");
        std::fs::write(&p, &bytes).unwrap();
        let r: Read<Header, Entry> = read(&p).unwrap().unwrap();
        assert_eq!(r.entries.len(), 2);
        assert!(r.torn_tail);
        assert_eq!(r.valid_len, full as u64);
        // damage in the middle is refused, never silently skipped
        let mut bytes = std::fs::read(&p).unwrap();
        let second = bytes.iter().position(|b| *b == b'\n').unwrap() + 20;
        bytes[second] ^= 1;
        std::fs::write(&p, &bytes).unwrap();
        assert!(read::<Header, Entry>(&p).is_err());
        // so is a complete last line (its newline was written) that fails its checksum
        let q = dir.path().join("k");
        let mut k = JournalFile::create(&q, &h).unwrap();
        k.append(&[Entry::Settle { intent: "a".into() }]).unwrap();
        let mut bytes = std::fs::read(&q).unwrap();
        let end = bytes.len();
        bytes[end - 3] ^= 1;
        std::fs::write(&q, &bytes).unwrap();
        let err = read::<Header, Entry>(&q).err().unwrap().to_string();
        assert!(err.contains("damaged at line 2"), "{err}");
    }
}
