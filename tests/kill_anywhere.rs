//! Kill anywhere: `apply` of the quickstart, against a sandbox with latency, is killed with
//! SIGKILL at many moments spread over its whole run — before, during and after mutating
//! calls — then re-run until it converges. Every time: each object exists exactly once in the
//! sandbox, the state holds exactly those objects, and a final plan says "No changes".
//! `STRATA_KILL_POINTS` sets how many kill points (default 32).

mod common;
use common::{inventory, Env};
use inventory::made_objects;
use std::time::{Duration, Instant};

const FAULTS: &str = "latency_ms=40,async_ms=150,seed=3";

fn apply(env: &Env) -> common::Run {
    env.run_with(
        &["-C", "quickstart", "apply", "--auto-approve"],
        &[("STRATA_SANDBOX", FAULTS)],
    )
}

fn check_converged(env: &Env, point: &str) {
    inventory::check_converged(env, "quickstart", &[("STRATA_SANDBOX", FAULTS)], point);
}

/// Returns whether the kill hit a running apply.
fn kill_after(env: &Env, delay: Duration) -> bool {
    let mut child = env
        .command(&["-C", "quickstart", "apply", "--auto-approve"])
        .env("STRATA_SANDBOX", FAULTS)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(delay);
    let running = child.try_wait().unwrap().is_none();
    let _ = child.kill(); // SIGKILL; a no-op when it already finished
    child.wait().unwrap();
    running
}

#[test]
fn kill_anywhere_loses_nothing_and_duplicates_nothing() {
    let points: usize = std::env::var("STRATA_KILL_POINTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(32);
    // How long an uninterrupted apply takes here: the kill points spread over it.
    let baseline = Env::with_example("quickstart");
    let t0 = Instant::now();
    let r = apply(&baseline);
    let total = t0.elapsed();
    assert_eq!(r.code, 0, "{r:?}");
    check_converged(&baseline, "baseline");
    let expected = made_objects(&baseline).len();

    let delays: Vec<Duration> = (0..points)
        .map(|i| total.mul_f64(0.03 + 1.1 * i as f64 / points as f64))
        .collect();
    let workers = 4;
    let killed_running = std::sync::atomic::AtomicUsize::new(0);
    let recovered = std::sync::atomic::AtomicUsize::new(0);
    let reconciled = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for w in 0..workers {
            let delays = &delays;
            let (killed_running, recovered, reconciled) =
                (&killed_running, &recovered, &reconciled);
            scope.spawn(move || {
                for (i, delay) in delays.iter().enumerate().filter(|(i, _)| i % workers == w) {
                    let point = format!(
                        "kill point {i} at {}ms of {}ms",
                        delay.as_millis(),
                        total.as_millis()
                    );
                    let env = Env::with_example("quickstart");
                    if kill_after(&env, *delay) {
                        killed_running.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }
                    let mut converged = false;
                    for _ in 0..4 {
                        let r = apply(&env);
                        if r.stderr.contains("recovered") {
                            recovered.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        }
                        if r.stdout.contains("Reconciled operations") {
                            reconciled.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        }
                        assert!(!r.all().contains("panicked"), "{point}: {r:?}");
                        if r.code == 0 {
                            converged = true;
                            break;
                        }
                    }
                    assert!(converged, "{point}: apply never converged");
                    check_converged(&env, &point);
                    assert_eq!(
                        made_objects(&env).len(),
                        expected,
                        "{point}: wrong number of objects"
                    );
                }
            });
        }
    });
    let hit = killed_running.into_inner();
    eprintln!(
        "kill anywhere: {points} kill points over a {}ms apply; {hit} killed a running apply; \
         {} recoveries replayed a journal; {} reconciled open intents; all converged",
        total.as_millis(),
        recovered.into_inner(),
        reconciled.into_inner()
    );
    assert!(
        hit * 4 >= points * 3,
        "most kill points must land while apply runs: {hit}/{points}"
    );
}
