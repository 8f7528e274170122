//! The backend interface every state store implements (`local`: files, `postgres`: tables):
//! lock, load (snapshot + journal replay), append journal entries durably, fold.
//! Every implementation passes the one conformance suite, `tests/backends.rs`.
//! Every backend records the stack directory in the state it writes and refuses a state
//! recorded for another directory (`check_directory`).

use super::journal::Entry;
use super::{State, StateError};
use async_trait::async_trait;
use std::time::Duration;

pub use super::OpenIntent;

#[derive(Debug)]
pub struct Loaded {
    pub state: State,
    /// Whether anything was stored before (a snapshot or a journal). The intents left open
    /// (by this journal or kept by earlier folds) are `state.intents`.
    pub exists: bool,
    /// Journal entries replayed from a run that did not finish.
    pub replayed: usize,
    pub notes: Vec<String>,
}

/// A held lock; dropping it releases the lock.
pub trait LockGuard: Send + Sync {
    fn id(&self) -> &str;
    /// A message when a dead holder's lock was found and cleared.
    fn cleared(&self) -> Option<&str>;
}

#[async_trait]
pub trait Backend: Send + Sync {
    /// Where the state lives, for messages.
    fn describe(&self) -> String;
    async fn lock(&self, operation: &str, wait: Duration)
        -> Result<Box<dyn LockGuard>, StateError>;
    async fn load(&self) -> Result<Loaded, StateError>;
    /// Append entries to the journal durably (returns once they are on disk).
    async fn append(&self, base: &State, entries: &[Entry]) -> Result<(), StateError>;
    /// Write `state` as the new snapshot (serial + 1) and retire the journal.
    async fn persist(&self, state: &mut State) -> Result<(), StateError>;
    async fn force_unlock(&self, id: &str) -> Result<String, StateError>;
}

/// Replay journal entries onto a state (which then holds the intents left open).
pub fn replay(state: &mut State, entries: &[Entry]) {
    for e in entries {
        state.apply(e);
    }
}

/// A stack directory as recorded in states: its canonical path (as given when it cannot be
/// resolved).
pub fn canonical_dir(dir: &std::path::Path) -> String {
    std::fs::canonicalize(dir)
        .unwrap_or_else(|_| dir.to_path_buf())
        .display()
        .to_string()
}

/// Check that a loaded state belongs to the stack directory `mine` (canonical). A state
/// recorded for another directory that still exists is refused, naming both and the way on;
/// one whose directory no longer exists here (the stack moved, or the state came from
/// another machine) is taken over, with a note. `where_` names the state in messages, `way`
/// says how to give this stack a state of its own.
pub fn check_directory(
    state: &State,
    mine: Option<&str>,
    where_: &str,
    way: &str,
) -> Result<Option<String>, StateError> {
    let (Some(theirs), Some(mine)) = (state.directory.as_deref(), mine) else {
        return Ok(None);
    };
    if theirs == mine {
        return Ok(None);
    }
    if std::path::Path::new(theirs).is_dir() {
        return Err(StateError::Other(format!(
            "{where_} is the state of the stack in {theirs}, not of this one in {mine}: each \
             stack directory has its own state, and nothing was used. {way}"
        )));
    }
    Ok(Some(format!(
        "{where_} was recorded for the stack in {theirs}, which does not exist here: it now \
         belongs to this stack in {mine}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_of_another_existing_directory_is_refused() {
        let a = tempfile::tempdir().unwrap();
        let mut st = State::new("db");
        let theirs = a.path().display().to_string();
        st.directory = Some(theirs.clone());
        assert!(check_directory(&st, Some(&theirs), "s.json", "")
            .unwrap()
            .is_none());
        let err = check_directory(&st, Some("/elsewhere/db"), "s.json", "")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&theirs) && err.contains("/elsewhere/db"),
            "{err}"
        );
        st.directory = Some("/no/such/dir/db".into());
        let note = check_directory(&st, Some("/elsewhere/db"), "s.json", "").unwrap();
        assert!(note.unwrap().contains("does not exist here"));
        st.directory = None;
        assert!(check_directory(&st, Some("/elsewhere/db"), "s.json", "")
            .unwrap()
            .is_none());
    }
}
