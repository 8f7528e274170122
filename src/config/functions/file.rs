//! `file(path)`: a UTF-8 file of the stack directory, as a string.
//!
//! Invariants: the path is relative and stays inside `FnCx::dir` — an absolute path, a `..`
//! step, or a symlink resolving outside the directory is refused; only a regular file of at
//! most `MAX_FILE` bytes is read, opened without blocking (a FIFO never hangs the load) and
//! checked on the handle.

use super::args::A;
use crate::value::Value;
use std::io::Read as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Component, Path};

/// The largest file `file` reads: 16 MiB.
pub const MAX_FILE: u64 = 16 << 20;

pub fn file(a: &A<'_>) -> Result<Value, String> {
    let rel = a.str(0)?;
    let path = Path::new(&rel);
    let f = a.f;
    if rel.is_empty() || path.is_absolute() {
        return Err(format!(
            "{f}: argument 1 must be a path relative to the stack directory, got \"{rel}\""
        ));
    }
    if path
        .components()
        .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Err(format!(
            "{f}: the path \"{rel}\" leaves the stack directory"
        ));
    }
    let dir =
        a.cx.dir
            .canonicalize()
            .map_err(|e| format!("{f}: the stack directory: {e}"))?;
    let full = dir
        .join(path)
        .canonicalize()
        .map_err(|e| format!("{f}: cannot read \"{rel}\": {e}"))?;
    if !full.starts_with(&dir) {
        return Err(format!(
            "{f}: the path \"{rel}\" leads outside the stack directory"
        ));
    }
    read_bounded(f, &rel, &full).map(Value::String)
}

fn read_bounded(f: &str, rel: &str, full: &Path) -> Result<String, String> {
    let cannot = |e: std::io::Error| format!("{f}: cannot read \"{rel}\": {e}");
    let handle = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(full)
        .map_err(cannot)?;
    let meta = handle.metadata().map_err(cannot)?;
    if !meta.is_file() {
        return Err(format!("{f}: \"{rel}\" is not a regular file"));
    }
    if meta.len() > MAX_FILE {
        return Err(format!("{f}: \"{rel}\" is larger than {MAX_FILE} bytes"));
    }
    let mut bytes = Vec::new();
    handle
        .take(MAX_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(format!("{f}: \"{rel}\" is larger than {MAX_FILE} bytes"));
    }
    String::from_utf8(bytes).map_err(|_| format!("{f}: \"{rel}\" is not valid UTF-8 text"))
}
