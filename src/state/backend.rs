//! The backend interface every state store implements (local files now, PostgreSQL later):
//! lock, load (snapshot + journal replay), append journal entries durably, fold.

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
