//! Kill anywhere: `apply` of the quickstart, against a sandbox with latency, is killed with
//! SIGKILL at many moments spread over its whole run — before, during and after mutating
//! calls — then re-run until it converges. Every time: each object exists exactly once in the
//! sandbox, the state holds exactly those objects, and a final plan says "No changes". The
//! same again with 30 % of calls failing (half after taking effect) and 20 % throttled, a new
//! fault seed for every run. `STRATA_KILL_POINTS` sets how many kill points (default 32, and
//! half as many under faults).

mod common;
use common::{inventory, Env};
use inventory::made_objects;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const CALM: &str = "latency_ms=40,async_ms=150";
const FAULTY: &str = "latency_ms=40,async_ms=150,fail_rate=0.3,throttle_rate=0.2";

/// The sandbox settings of one run: `base` with its own seed.
fn faults(base: &str, seed: usize) -> String {
    format!("{base},seed={seed}")
}

fn apply(env: &Env, sandbox: &str) -> common::Run {
    env.run_with(&common::APPLY, &[("STRATA_SANDBOX", sandbox)])
}

/// Returns whether the kill hit a running apply.
fn kill_after(env: &Env, delay: Duration, sandbox: &str) -> bool {
    let mut child = env.spawn_with(
        &common::APPLY,
        &[("STRATA_SANDBOX", sandbox)],
        std::process::Stdio::null(),
        std::process::Stdio::null(),
    );
    std::thread::sleep(delay);
    let running = child.try_wait().unwrap().is_none();
    let _ = child.kill(); // SIGKILL; a no-op when it already finished
    child.wait().unwrap();
    running
}

#[derive(Default)]
struct Counts {
    killed_running: AtomicUsize,
    recovered: AtomicUsize,
    reconciled: AtomicUsize,
    failed_runs: AtomicUsize,
}

/// Kill at one point, then re-run (a new seed each time) until an apply exits 0; it must have
/// left everything complete.
fn one_point(base: &str, i: usize, delay: Duration, total: Duration, expected: usize, c: &Counts) {
    let point = format!(
        "{base}: kill point {i} at {}ms of {}ms",
        delay.as_millis(),
        total.as_millis()
    );
    let env = Env::with_example("quickstart");
    if kill_after(&env, delay, &faults(base, i * 100)) {
        c.killed_running.fetch_add(1, Ordering::SeqCst);
    }
    for attempt in 1..=8 {
        let r = apply(&env, &faults(base, i * 100 + attempt));
        if r.stderr.contains("recovered") {
            c.recovered.fetch_add(1, Ordering::SeqCst);
        }
        if r.stdout.contains("Reconciled operations") {
            c.reconciled.fetch_add(1, Ordering::SeqCst);
        }
        assert!(!r.all().contains("panicked"), "{point}: {r:?}");
        if r.code == 0 {
            inventory::check_converged(&env, "quickstart", &[("STRATA_SANDBOX", CALM)], &point);
            assert_eq!(
                made_objects(&env).len(),
                expected,
                "{point}: wrong number of objects"
            );
            return;
        }
        c.failed_runs.fetch_add(1, Ordering::SeqCst);
    }
    panic!("{point}: apply never converged");
}

fn kill_points(base: &str, points: usize) {
    // How long an uninterrupted apply takes here: the kill points spread over it.
    // (Under faults: the first seed whose apply succeeds from scratch.)
    let (baseline, total) = (0..8)
        .find_map(|seed| {
            let env = Env::with_example("quickstart");
            let t0 = Instant::now();
            let r = apply(&env, &faults(base, 90_000 + seed));
            (r.code == 0).then(|| (env, t0.elapsed()))
        })
        .expect("an uninterrupted apply succeeds");
    inventory::check_converged(
        &baseline,
        "quickstart",
        &[("STRATA_SANDBOX", CALM)],
        "baseline",
    );
    let expected = made_objects(&baseline).len();
    let delays: Vec<Duration> = (0..points)
        // within the baseline's span (runs under four parallel workers vary around it; a
        // point past the end would only kill a finished apply)
        .map(|i| total.mul_f64(0.03 + 0.9 * i as f64 / points as f64))
        .collect();
    let workers = 4;
    let c = Counts::default();
    std::thread::scope(|scope| {
        for w in 0..workers {
            let (delays, c) = (&delays, &c);
            scope.spawn(move || {
                for (i, delay) in delays.iter().enumerate().filter(|(i, _)| i % workers == w) {
                    one_point(base, i, *delay, total, expected, c);
                }
            });
        }
    });
    let hit = c.killed_running.into_inner();
    eprintln!(
        "kill anywhere ({base}): {points} kill points over a {}ms apply; {hit} killed a running \
         apply; {} recoveries replayed a journal; {} reconciled open intents; {} re-runs failed \
         on a fault and were run again; all converged, every object exactly once and in state",
        total.as_millis(),
        c.recovered.into_inner(),
        c.reconciled.into_inner(),
        c.failed_runs.into_inner()
    );
    assert!(
        hit * 4 >= points * 3,
        "most kill points must land while apply runs: {hit}/{points}"
    );
}

fn points() -> usize {
    std::env::var("STRATA_KILL_POINTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(32)
}

#[test]
fn kill_anywhere_loses_nothing_and_duplicates_nothing() {
    kill_points(CALM, points());
}

#[test]
fn kill_anywhere_under_faults_loses_nothing_and_duplicates_nothing() {
    kill_points(FAULTY, points() / 2);
}
