//! Interrupts: SIGINT (Ctrl-C), SIGTERM and SIGHUP are caught from the start of every command
//! (`install`), so none of them ever kills strata outright.
//!
//! Invariants:
//! - Outside a protected section (`protect`), the first interrupt cancels the command
//!   (`cancelled` resolves): the command stops at its next await point, which is always between
//!   two whole journal or state writes, so nothing is half-written, and its lock is released.
//! - Inside a protected section (the executor and the fold after it), interrupts are counted
//!   for the executor (`Interrupts::next`): the first starts nothing new and lets the calls in
//!   flight finish, the second stops them (their intents stay in the state to be reconciled).
//!   The section's owner decides; the command is not cancelled under it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use tokio::sync::watch;

struct Hub {
    /// Interrupts received so far.
    count: watch::Sender<u32>,
    /// Set by the first interrupt received outside a protected section.
    cancel: watch::Sender<bool>,
    protected: AtomicUsize,
}

fn hub() -> &'static Hub {
    static HUB: OnceLock<Hub> = OnceLock::new();
    HUB.get_or_init(|| Hub {
        count: watch::channel(0).0,
        cancel: watch::channel(false).0,
        protected: AtomicUsize::new(0),
    })
}

fn received() {
    let h = hub();
    h.count.send_modify(|c| *c += 1);
    if h.protected.load(Ordering::SeqCst) == 0 {
        h.cancel.send_replace(true);
    }
}

/// Start listening for SIGINT, SIGTERM and SIGHUP (call once, inside the runtime). A signal
/// that cannot be listened for keeps its default action.
pub fn install() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        for kind in [
            SignalKind::interrupt(),
            SignalKind::terminate(),
            SignalKind::hangup(),
        ] {
            if let Ok(mut s) = signal(kind) {
                tokio::spawn(async move {
                    while s.recv().await.is_some() {
                        received();
                    }
                });
            }
        }
    }
    #[cfg(not(unix))]
    {
        tokio::spawn(async {
            while tokio::signal::ctrl_c().await.is_ok() {
                received();
            }
        });
    }
}

/// Resolves once an interrupt arrived outside a protected section.
pub async fn cancelled() {
    let mut rx = hub().cancel.subscribe();
    let _ = rx.wait_for(|c| *c).await;
}

/// While the returned value lives, interrupts do not cancel the command: its owner handles
/// them (through `Protected::interrupts`, which counts from the moment protection began).
pub struct Protected {
    start: u32,
}

pub fn protect() -> Protected {
    let h = hub();
    h.protected.fetch_add(1, Ordering::SeqCst);
    Protected {
        start: *h.count.borrow(),
    }
}

impl Protected {
    /// The interrupts that arrive under this protection.
    pub fn interrupts(&self) -> Interrupts {
        Interrupts {
            rx: hub().count.subscribe(),
            start: self.start,
            handled: self.start,
        }
    }
}

impl Drop for Protected {
    fn drop(&mut self) {
        hub().protected.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Counts the interrupts that arrive under a protection.
pub struct Interrupts {
    rx: watch::Receiver<u32>,
    start: u32,
    handled: u32,
}

impl Interrupts {
    /// Wait for the next interrupt not handled yet; returns how many have arrived under the
    /// protection.
    /// Cancel-safe: nothing is counted until it returns.
    pub async fn next(&mut self) -> u32 {
        let handled = self.handled;
        if self.rx.wait_for(|c| *c > handled).await.is_err() {
            std::future::pending::<()>().await;
        }
        self.handled += 1;
        self.handled - self.start
    }
}
