//! Waiting for asynchronous cloud operations: poll a status until it reaches a target, fail
//! fast on a failure status, report each status change (for progress display), and give up at
//! the operation's timeout with a message naming the status it was stuck in.

use super::{CallCx, ProviderError, Result};
use std::future::Future;
use std::time::{Duration, Instant};

/// What a poll saw: the object's status, or that it does not exist.
pub enum Seen {
    Status(String),
    Gone,
}

fn interval(start: Duration, max: Duration, n: u32) -> Duration {
    let grown = start.as_secs_f64() * 1.5f64.powi(n.min(20) as i32);
    Duration::from_secs_f64(grown.min(max.as_secs_f64()))
}

/// The polling loop both waits share: read, report a changed status, let `done` decide
/// (`Some` ends the wait), and give up at the operation's timeout naming the last status.
/// `goal` says what was awaited ("Running", "deleted") in the timeout message.
async fn poll<T, F, Fut>(
    cx: &CallCx<'_>,
    what: &str,
    goal: &str,
    max_interval: Duration,
    mut read: F,
    mut done: impl FnMut(&Seen) -> Option<Result<T>>,
) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Seen>>,
{
    let started = Instant::now();
    let mut last = String::from("(not read yet)");
    let mut n = 0;
    loop {
        let seen = read().await?;
        if let Seen::Status(s) = &seen {
            if *s != last {
                cx.status(s);
                last = s.clone();
            }
        }
        if let Some(result) = done(&seen) {
            return result;
        }
        if started.elapsed() >= cx.timeout {
            return Err(ProviderError::timeout(format!(
                "timed out after {}s waiting for {what} to be {goal}: it was stuck in {last}",
                cx.timeout.as_secs()
            )));
        }
        let pause = interval(Duration::from_millis(100), max_interval, n)
            .min(cx.timeout.saturating_sub(started.elapsed()))
            .max(Duration::from_millis(10));
        tokio::time::sleep(pause).await;
        n += 1;
    }
}

/// Poll `read` until the status is one of `target`. `failed` statuses end the wait at once;
/// the object disappearing ends it too. `what` names the object in messages.
pub async fn for_status<F, Fut>(
    cx: &CallCx<'_>,
    what: &str,
    target: &[&str],
    failed: &[&str],
    max_interval: Duration,
    read: F,
) -> Result<String>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Seen>>,
{
    let goal = target.join(" or ");
    poll(cx, what, &goal, max_interval, read, |seen| match seen {
        Seen::Gone => Some(Err(ProviderError::new(
            "Vanished",
            format!("{what} disappeared while waiting for it to be {goal}"),
        ))),
        Seen::Status(s) if target.contains(&s.as_str()) => Some(Ok(s.clone())),
        Seen::Status(s) if failed.contains(&s.as_str()) => Some(Err(ProviderError::new(
            "FailedState",
            format!("{what} went to {s} while waiting for {goal}"),
        ))),
        Seen::Status(_) => None,
    })
    .await
}

/// Poll `read` until the object is gone.
pub async fn for_gone<F, Fut>(
    cx: &CallCx<'_>,
    what: &str,
    max_interval: Duration,
    read: F,
) -> Result<()>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Seen>>,
{
    poll(cx, what, "deleted", max_interval, read, |seen| {
        matches!(seen, Seen::Gone).then_some(Ok(()))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::Address;
    use crate::providers::Progress;
    use std::sync::Mutex;

    struct Seen_(Mutex<Vec<String>>);
    impl Progress for Seen_ {
        fn status(&self, _: &Address, s: &str) {
            self.0.lock().unwrap().push(s.to_string());
        }
    }

    #[tokio::test]
    async fn waits_through_statuses_and_reports_them() {
        let addr = Address::managed("t", "a");
        let p = Seen_(Mutex::new(vec![]));
        let cx = CallCx {
            addr: &addr,
            timeout: Duration::from_secs(5),
            progress: &p,
        };
        let mut polls = vec!["Creating", "Creating", "Restoring", "Running"].into_iter();
        let s = for_status(
            &cx,
            "gp-1",
            &["Running"],
            &["Deleting"],
            Duration::from_millis(5),
            || {
                let next = polls.next().unwrap_or("Running").to_string();
                async move { Ok(Seen::Status(next)) }
            },
        )
        .await
        .unwrap();
        assert_eq!(s, "Running");
        assert_eq!(*p.0.lock().unwrap(), ["Creating", "Restoring", "Running"]);
    }

    /// The failure of a wait for `Running` on an object always in `status`.
    async fn always(cx: &CallCx<'_>, status: &str, failed: &[&str]) -> ProviderError {
        for_status(
            cx,
            "gp-1",
            &["Running"],
            failed,
            Duration::from_millis(20),
            || async { Ok(Seen::Status(status.into())) },
        )
        .await
        .unwrap_err()
    }

    #[tokio::test]
    async fn timeout_names_the_stuck_status() {
        let addr = Address::managed("t", "a");
        let cx = CallCx {
            addr: &addr,
            timeout: Duration::from_millis(150),
            progress: &crate::providers::NoProgress,
        };
        let e = always(&cx, "Creating", &[]).await;
        assert_eq!(e.code, "Timeout");
        assert!(e.message.contains("stuck in Creating"), "{e}");
        let e = always(&cx, "Deleting", &["Deleting"]).await;
        assert_eq!(e.code, "FailedState");
        let mut n = 0;
        for_gone(&cx, "gp-1", Duration::from_millis(5), || {
            n += 1;
            let gone = n > 2;
            async move {
                Ok(if gone {
                    Seen::Gone
                } else {
                    Seen::Status("Deleting".into())
                })
            }
        })
        .await
        .unwrap();
    }
}
