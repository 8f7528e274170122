//! Crash recovery: the one module that owns intents. Apply opens an intent in the journal
//! before every mutating call and closes it with the call's result (`Intent`); the next run
//! reconciles whatever is still open with the cloud (`reconcile`). Both build what they record
//! about an object the same way (`record`).
//!
//! Architecture invariant: recovery sits beneath plan and apply and above state and
//! providers: it imports `state`, `providers`, `value`, `verb` and `address`, never `plan`,
//! `apply`, `config` or `cli`.
//! Architecture invariant: an intent's key and the entries closing it are built only here, so
//! what a reconcile adopts is recorded exactly as the create would have recorded it.

mod intent;
mod reconcile;
pub mod record;

pub use intent::{Intent, IntentKey};
pub use reconcile::{reconcile, Recover};
