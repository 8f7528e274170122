//! Where a stack's state lives, and opening the backend there.
//!
//! The choice, in order: `--state FILE`; else the config's `backend:` block (a PostgreSQL URL
//! from the block, `--backend-config url=…` or `STRATA_PG_URL`; a file from
//! `--backend-config path=…` or the block); else `--backend-config url=…` or `STRATA_PG_URL`
//! alone select PostgreSQL; else the default file, one per stack directory
//! (`default_file`). The command line only gathers these settings ([`Given`]).

use super::backend::Backend;
use super::local::LocalBackend;
use super::StateError;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where a stack's state lives.
#[derive(Debug, Clone, PartialEq)]
pub enum Place {
    File(PathBuf),
    Postgres(String),
}

/// The config's `backend:` block.
#[derive(Debug, Clone, PartialEq)]
pub enum Configured {
    Local { path: Option<PathBuf> },
    Postgres { url: Option<String> },
}

/// What the command line and the environment say about the place.
#[derive(Debug, Default, Clone)]
pub struct Given {
    /// `--state FILE`.
    pub state_file: Option<PathBuf>,
    /// `--backend-config url=…`.
    pub url: Option<String>,
    /// `--backend-config path=…`.
    pub path: Option<PathBuf>,
    /// `STRATA_PG_URL`.
    pub env_url: Option<String>,
}

/// The stack a place is chosen for.
pub struct Stack<'a> {
    pub name: &'a str,
    /// The stack directory (as given; canonicalised here).
    pub dir: &'a Path,
}

/// Choose the place (see the module's header); the second value is a note to show (a legacy
/// state moved into place).
pub fn choose(
    given: &Given,
    configured: Option<&Configured>,
    stack: &Stack<'_>,
) -> Result<(Place, Option<String>), StateError> {
    if let Some(p) = &given.state_file {
        return Ok((Place::File(p.clone()), None));
    }
    let file = |configured: Option<&PathBuf>| match given.path.clone().or(configured.cloned()) {
        Some(p) => Ok((Place::File(p), None)),
        None => default_file(stack).map(|(p, note)| (Place::File(p), note)),
    };
    let url = || given.url.clone();
    match configured {
        Some(Configured::Postgres { url: block }) => url()
            .or_else(|| block.clone())
            .or(given.env_url.clone())
            .map(|u| (Place::Postgres(u), None))
            .ok_or_else(|| {
                StateError::Other(
                    "backend: postgres needs a URL: give url: in the block, STRATA_PG_URL, or --backend-config url=…".into(),
                )
            }),
        Some(Configured::Local { path }) => file(path.as_ref()),
        None => match url().or(given.env_url.clone()) {
            Some(u) => Ok((Place::Postgres(u), None)),
            None => file(None),
        },
    }
}

/// The default state file, one per stack directory: `state/<the stack directory relative to
/// the current one>.json` — `state/<stack>.json` when run inside the stack directory or for
/// `-C <stack>`, `state/envs/prod/db.json` for `-C envs/prod/db` — or, for a stack outside
/// the current directory, `state/<stack>-<8 hex digits of its canonical path>.json`.
/// A state kept by stack name alone (`state/<stack>.json`, before states were kept per
/// directory) is moved there once, with a note.
fn default_file(stack: &Stack<'_>) -> Result<(PathBuf, Option<String>), StateError> {
    use std::path::Component;
    let here = std::env::current_dir()
        .ok()
        .and_then(|d| std::fs::canonicalize(d).ok());
    let dir = std::fs::canonicalize(stack.dir).unwrap_or_else(|_| match &here {
        Some(h) => h.join(stack.dir),
        None => stack.dir.to_path_buf(),
    });
    let legacy = PathBuf::from("state").join(format!("{}.json", stack.name));
    let rel = here
        .as_deref()
        .and_then(|h| dir.strip_prefix(h).ok())
        .filter(|r| r.components().all(|c| matches!(c, Component::Normal(_))));
    let path = match rel {
        Some(rel) if rel.as_os_str().is_empty() => legacy.clone(),
        Some(rel) => {
            let mut name = rel.as_os_str().to_owned();
            name.push(".json");
            PathBuf::from("state").join(name)
        }
        None => {
            use sha2::Digest;
            let h = sha2::Sha256::digest(dir.as_os_str().as_encoded_bytes());
            let key = hex::encode(&h[..4]);
            PathBuf::from("state").join(format!("{}-{key}.json", stack.name))
        }
    };
    if !stack.dir.is_dir() {
        return Ok((path, None)); // no stack there: nothing to migrate for it
    }
    let note = super::local::adopt_legacy(&legacy, &path)?;
    Ok((path, note))
}

/// A backend and the secret to keep out of messages (a PostgreSQL URL's password).
pub type Opened = (Arc<dyn Backend>, Option<String>);

/// Open the backend at a place for a stack (its name and directory, both recorded and
/// checked).
pub fn open(place: &Place, stack: &Stack<'_>) -> Result<Opened, StateError> {
    let dir = super::backend::canonical_dir(stack.dir);
    Ok(match place {
        Place::File(p) => (
            Arc::new(LocalBackend::new(p.clone(), stack.name).for_directory(&dir)),
            None,
        ),
        Place::Postgres(url) => {
            let b = super::postgres::PgBackend::new(url, stack.name)?.for_directory(&dir);
            let pw = b.password();
            (Arc::new(b), pw)
        }
    })
}
