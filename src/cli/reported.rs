//! The diagnostics a command printed, kept when it asks (`plan --format markdown` puts every
//! one in the comment of a failed plan).
//!
//! Invariant: nothing is kept until [`start`]; what is kept is each diagnostic as printed to
//! stderr — redacted, without colour — in the order printed.

use std::sync::{Mutex, MutexGuard};

static KEPT: Mutex<Option<Vec<String>>> = Mutex::new(None);

fn kept() -> MutexGuard<'static, Option<Vec<String>>> {
    KEPT.lock().unwrap_or_else(|e| e.into_inner())
}

/// Keep every diagnostic printed from now on.
pub fn start() {
    *kept() = Some(Vec::new());
}

/// A diagnostic just printed (kept only after [`start`]).
pub fn keep(text: &str) {
    if let Some(all) = kept().as_mut() {
        all.push(text.to_string());
    }
}

/// What was kept since [`start`]; keeping stops.
pub fn take() -> Vec<String> {
    kept().take().unwrap_or_default()
}
