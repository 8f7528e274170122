//! Snapshot files: pretty JSON with a trailing SHA-256 checksum of the body, written to a temp
//! file, fsynced and renamed into place (the previous version kept as `.backup`).
//! Invariants: a state snapshot is used only when its checksum is present and matches
//! (`require_checksum`); a failed write leaves no temp file behind and the old snapshot intact.

use super::{io_err, StateError};
use sha2::{Digest, Sha256};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

const MARK: &str = ",\n  \"checksum\": \"";

/// Serialize `v` and append its checksum.
pub fn encode<T: serde::Serialize>(v: &T) -> Result<Vec<u8>, StateError> {
    let mut body =
        serde_json::to_vec_pretty(v).map_err(|e| StateError::Other(format!("serialize: {e}")))?;
    let sum = hex::encode(Sha256::digest(&body));
    // body ends with "\n}": splice the checksum in as the last field
    if body.ends_with(b"\n}") {
        body.truncate(body.len() - 2);
        body.extend_from_slice(format!("{MARK}{sum}\"\n}}\n").as_bytes());
    } else {
        body.extend_from_slice(b"\n");
    }
    Ok(body)
}

/// Check the checksum. `Ok(false)` when the file has none (written by hand or by an older
/// version); an error when it has one that does not match.
pub fn verify(text: &str, path: &Path) -> Result<bool, StateError> {
    let Some(pos) = text.rfind(MARK) else {
        return Ok(false);
    };
    let rest = &text[pos + MARK.len()..];
    let Some(end) = rest.find('"') else {
        return Err(corrupt(path, "the checksum field is cut short"));
    };
    let expected = &rest[..end];
    let mut body = text.as_bytes()[..pos].to_vec();
    body.extend_from_slice(b"\n}");
    let actual = hex::encode(Sha256::digest(&body));
    if actual != expected {
        return Err(corrupt(
            path,
            "its checksum does not match its content (truncated, or edited by hand)",
        ));
    }
    Ok(true)
}

/// Check a state snapshot's checksum, refusing one without it: a state file is always
/// written with one, so a missing (or renamed) checksum field is damage, not an old format.
pub fn require_checksum(text: &str, path: &Path) -> Result<(), StateError> {
    if verify(text, path)? {
        Ok(())
    } else {
        Err(corrupt(
            path,
            "its \"checksum\" field is missing: it was cut short, edited or damaged (every \
             state file is written with one)",
        ))
    }
}

fn corrupt(path: &Path, why: &str) -> StateError {
    let backup = backup_path(path);
    let hint = if backup.exists() {
        format!(
            "the last good version is probably {}: inspect it, and copy it over {} if it is right",
            backup.display(),
            path.display()
        )
    } else {
        "no backup file exists next to it".to_string()
    };
    StateError::Corrupt(format!(
        "{} is damaged and was not used: {why}. {hint}",
        path.display()
    ))
}

pub fn corrupt_error(path: &Path, why: &str) -> StateError {
    corrupt(path, why)
}

pub fn backup_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".backup");
    PathBuf::from(s)
}

pub fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Create a file readable by its owner only.
pub fn create_private(path: &Path) -> std::io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
}

/// Write `bytes` to `path` atomically: temp file, fsync, keep the old file as `.backup`
/// (a hard link, so no copy), rename, fsync the directory. On any failure (a full disk) the
/// temp file is removed and `path` is left as it was.
pub fn write_atomic(path: &Path, bytes: &[u8], keep_backup: bool) -> Result<(), StateError> {
    write_atomic_with(path, bytes, keep_backup, |f, b| f.write_all(b))
}

/// `write_atomic` with the write itself a parameter, so tests can inject a failure.
fn write_atomic_with(
    path: &Path,
    bytes: &[u8],
    keep_backup: bool,
    write: impl FnOnce(&mut File, &[u8]) -> std::io::Result<()>,
) -> Result<(), StateError> {
    if let Some(dir) = path.parent() {
        if !dir.as_os_str().is_empty() {
            fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
        }
    }
    let tmp = sibling(path, &format!(".tmp.{}", std::process::id()));
    let written =
        write_temp(&tmp, bytes, write).and_then(|()| replace_with(path, &tmp, keep_backup));
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written
}

/// Create `tmp` (mode 0600), write `bytes` with `write` and fsync it.
fn write_temp(
    tmp: &Path,
    bytes: &[u8],
    write: impl FnOnce(&mut File, &[u8]) -> std::io::Result<()>,
) -> Result<(), StateError> {
    let mut f = create_private(tmp).map_err(|e| io_err(tmp, e))?;
    write(&mut f, bytes).map_err(|e| io_err(tmp, e))?;
    f.sync_all().map_err(|e| io_err(tmp, e))
}

/// Keep the old `path` as `.backup` (when asked), then rename `tmp` over `path`.
fn replace_with(path: &Path, tmp: &Path, keep_backup: bool) -> Result<(), StateError> {
    if keep_backup && path.exists() {
        let backup = backup_path(path);
        let btmp = sibling(&backup, ".tmp");
        let _ = fs::remove_file(&btmp);
        if fs::hard_link(path, &btmp).is_ok() {
            fs::rename(&btmp, &backup).map_err(|e| io_err(&backup, e))?;
        } else {
            fs::copy(path, &backup).map_err(|e| io_err(&backup, e))?;
        }
    }
    fs::rename(tmp, path).map_err(|e| io_err(path, e))?;
    sync_dir(path);
    Ok(())
}

pub fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_round_trip_and_tamper_detection() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.json");
        let bytes = encode(&serde_json::json!({"a": 1, "b": [1, 2]})).unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(verify(&text, &p).unwrap());
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed["a"], 1);
        let tampered = text.replace("\"a\": 1", "\"a\": 2");
        assert!(verify(&tampered, &p).is_err());
        assert!(!verify("{\"a\": 1}", &p).unwrap());
        let renamed = text.replace("\"checksum\"", "\"checksun\"");
        let err = require_checksum(&renamed, &p).unwrap_err().to_string();
        assert!(err.contains("\"checksum\" field is missing"), "{err}");
        assert!(require_checksum(&text, &p).is_ok());
        write_atomic(&p, &bytes, true).unwrap();
        write_atomic(&p, b"{}", true).unwrap();
        assert_eq!(fs::read(backup_path(&p)).unwrap(), bytes);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }

    #[test]
    fn a_failed_write_leaves_no_temp_file_and_the_old_snapshot_intact() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.json");
        write_atomic(&p, b"old", true).unwrap();
        let tmp = sibling(&p, &format!(".tmp.{}", std::process::id()));
        let disk_full = |f: &mut File, b: &[u8]| {
            f.write_all(&b[..1])?;
            Err(std::io::Error::from_raw_os_error(libc::ENOSPC))
        };
        let err = write_atomic_with(&p, b"new", true, disk_full)
            .unwrap_err()
            .to_string();
        assert!(err.contains("No space left on device"), "{err}");
        assert!(!tmp.exists(), "the temp file was removed");
        assert_eq!(fs::read(&p).unwrap(), b"old");
        assert!(!backup_path(&p).exists(), "nothing was rotated");
        // a rename that fails (the target is a non-empty directory) cleans up too
        let d = dir.path().join("d.json");
        fs::create_dir_all(d.join("inside")).unwrap();
        assert!(write_atomic(&d, b"x", false).is_err());
        assert!(!sibling(&d, &format!(".tmp.{}", std::process::id())).exists());
    }
}
