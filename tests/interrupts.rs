//! Signals at every stage, through the real binary: SIGINT, SIGTERM and SIGHUP never kill
//! strata outright. Before the executor (refresh, planning, the approval prompt) the first one
//! stops the command at a safe point with the lock released and nothing changed; during the
//! executor the first starts nothing new and the second stops the calls in flight, whose
//! intents survive the fold so the next run adopts what they made: every object exactly once,
//! and in state.

mod common;
use common::{inventory, Env};
use std::io::BufRead;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const SLOW: &str = "async_ms=4000";

fn signal(child: &Child, sig: i32) {
    let rc = unsafe { libc::kill(child.id() as i32, sig) };
    assert_eq!(rc, 0, "kill({sig})");
}

/// Start `apply --json` on the whole quickstart; its stdout lines arrive on the channel.
fn start_apply(env: &Env, faults: &str) -> (Child, mpsc::Receiver<String>) {
    let mut child = env
        .command(&["-C", "quickstart", "apply", "--auto-approve", "--json"])
        .env("STRATA_SANDBOX", faults)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn strata");
    let out = child.stdout.take().expect("piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

/// Wait (up to 60 s) for a line containing every one of `parts`.
fn wait_for(rx: &mpsc::Receiver<String>, parts: &[&str]) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(l) if parts.iter().all(|p| l.contains(p)) => return l,
            Ok(_) => {}
            Err(_) => panic!("no line with {parts:?} within 60 s"),
        }
    }
}

fn wait_exit(child: &mut Child) -> i32 {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(s) = child.try_wait().expect("wait") {
            return s.code().unwrap_or(-1);
        }
        assert!(Instant::now() < deadline, "strata did not exit within 60 s");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn converge(env: &Env) {
    env.ok(&common::APPLY, 0);
    inventory::check_converged(env, "quickstart", &[], "after the interrupted apply");
}

#[test]
fn a_second_interrupt_keeps_the_intents_in_flight_and_the_next_run_adopts_them() {
    for (first, second) in [(libc::SIGINT, libc::SIGINT), (libc::SIGINT, libc::SIGTERM)] {
        let env = Env::with_example("quickstart");
        let (mut child, rx) = start_apply(&env, SLOW);
        // The warehouse's CreateDBInstance went through: it waits for `Creating` to end.
        wait_for(
            &rx,
            &["progress", "alicloud_gpdb_instance.warehouse", "Creating"],
        );
        signal(&child, first);
        wait_for(&rx, &["Interrupt received"]);
        signal(&child, second);
        assert_eq!(wait_exit(&mut child), 130);
        let st = env.state_json("quickstart");
        let open: Vec<&str> = st["intents"]
            .as_array()
            .map(|a| a.iter().filter_map(|i| i["addr"].as_str()).collect())
            .unwrap_or_default();
        assert!(
            open.contains(&"alicloud_gpdb_instance.warehouse"),
            "the fold kept the intent of the stopped create: {st}"
        );
        assert!(!env.path().join("state/quickstart.json.journal").exists());
        converge(&env);
    }
}

#[test]
fn sighup_during_the_executor_acts_like_the_first_ctrl_c() {
    let env = Env::with_example("quickstart");
    let (mut child, rx) = start_apply(&env, SLOW);
    wait_for(
        &rx,
        &["progress", "alicloud_gpdb_instance.warehouse", "Creating"],
    );
    signal(&child, libc::SIGHUP);
    wait_for(&rx, &["Interrupt received"]);
    // The call in flight finishes and is recorded; nothing new starts.
    let summary = wait_for(&rx, &["\"type\":\"summary\""]);
    assert!(summary.contains("\"interrupted\":true"), "{summary}");
    assert_eq!(wait_exit(&mut child), 130);
    let st = env.state_json("quickstart");
    assert!(
        st["resources"]["alicloud_gpdb_instance.warehouse"]["id"].is_string(),
        "{st}"
    );
    assert!(st.get("intents").is_none(), "{st}");
    converge(&env);
}

#[test]
fn a_signal_before_the_executor_stops_at_once_and_releases_the_lock() {
    for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        let env = Env::with_example("quickstart");
        env.ok(&common::APPLY, 0);
        let before = std::fs::read(env.path().join("state/quickstart.json")).unwrap();
        // Every call takes 5 s: the signal lands while the apply refreshes, before planning.
        let child = env.spawn_with(
            &common::APPLY,
            &[("STRATA_SANDBOX", "latency_ms=5000")],
            Stdio::null(),
            Stdio::piped(),
        );
        let deadline = Instant::now() + Duration::from_secs(60);
        while !env
            .read("state/quickstart.json.lock")
            .contains(&child.id().to_string())
        {
            assert!(Instant::now() < deadline, "the apply never took the lock");
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(300));
        signal(&child, sig);
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(130), "signal {sig}: {stderr}");
        assert!(stderr.contains("Interrupted"), "{stderr}");
        let after = std::fs::read(env.path().join("state/quickstart.json")).unwrap();
        assert_eq!(before, after, "the state did not change");
        assert!(!env.path().join("state/quickstart.json.journal").exists());
        // The lock is free: a command that must not wait takes it at once.
        let r = env.run(&["-C", "quickstart", "refresh", "--lock-timeout", "0s"]);
        assert_eq!(r.code, 0, "signal {sig}: {r:?}");
        assert!(!r.stderr.contains("stale lock"), "{r:?}");
    }
}

#[test]
fn a_signal_while_the_lock_is_being_taken_still_releases_it() {
    // The lock file is written on a blocking thread; the signal lands before that thread
    // hands the lock back, so the command is cancelled while the lock is not yet its own.
    let env = Env::with_example("quickstart");
    let marker = env.path().join("paused");
    let child = env.spawn_with(
        &common::APPLY,
        &[
            ("STRATA_TEST_PAUSE_AT", "lock_written"),
            ("STRATA_TEST_PAUSE_FILE", marker.to_str().unwrap()),
            ("STRATA_TEST_PAUSE_MS", "1000"),
        ],
        Stdio::null(),
        Stdio::piped(),
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while !marker.exists() {
        assert!(Instant::now() < deadline, "the apply never took the lock");
        std::thread::sleep(Duration::from_millis(20));
    }
    signal(&child, libc::SIGINT);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{out:?}");
    assert!(
        !env.path().join("state/quickstart.json.lock").exists(),
        "the lock file outlived its holder"
    );
}

#[test]
fn a_plan_beside_a_live_apply_leaves_its_calls_in_flight_alone() {
    let env = Env::huawei_quickstart();
    let args = common::APPLY_SERIALLY;
    let mut child = env.pause_at(&args, &[], "call_returned");
    let r = env.ok(&["-C", "quickstart", "plan"], 0);
    assert!(
        !r.all().contains("interrupted run"),
        "a live apply's call is not an interrupted run's: {r:?}"
    );
    r.err_has("1 operation(s) are in flight");
    child.kill().unwrap();
    child.wait().unwrap();
    // Once its holder is dead, the same intent is an interrupted run's, and is reconciled.
    let r = env.ok(&["-C", "quickstart", "plan"], 0);
    r.out_has("Reconciled operations left open by an interrupted run");
}
