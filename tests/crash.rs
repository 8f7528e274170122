//! Crash safety: `apply` is killed with SIGKILL at chosen moments — after an intent is
//! journaled but before its call, after a call returned but before its result is journaled,
//! and between the last journal write and the snapshot fold — and the next run loses nothing
//! and makes nothing twice.

mod common;
use common::Env;
use std::time::{Duration, Instant};

/// Start `apply`, let it reach `checkpoint`, kill it with SIGKILL.
fn kill_at(env: &Env, checkpoint: &str) {
    let args = common::APPLY_SERIALLY;
    env.kill_at(&args, &[], checkpoint);
    // the lock it held named it (checked by kill_at); the file is still there
    assert!(env.path().join("state/quickstart.json.lock").exists());
}

fn names(env: &Env) -> Vec<String> {
    env.made_names("parameter_template")
}

const ALL: [&str; 3] = ["base-staging", "base-staging-copy", "copy_by_v31"];

#[test]
fn killed_between_journal_and_fold_loses_nothing() {
    let env = Env::huawei_quickstart();
    kill_at(&env, "before_fold");
    assert_eq!(names(&env), ALL, "everything was made before the kill");
    assert!(env.path().join("state/quickstart.json.journal").exists());
    assert!(
        !env.path().join("state/quickstart.json").exists(),
        "no snapshot was folded yet"
    );
    // A read-only plan sees the journal's steps: nothing left to do.
    let r = env.ok(&common::CHECK, 0);
    r.err_has("recovered");
    let r = env.ok(&["-C", "quickstart", "state", "list"], 0);
    assert_eq!(r.stdout.lines().count(), 4, "{r:?}");
    // The next apply clears the dead holder's lock, folds the journal and changes nothing.
    let r = env.ok(&common::APPLY, 0);
    r.err_has("found and cleared a stale lock");
    r.out_has("No changes.");
    assert!(!env.path().join("state/quickstart.json.journal").exists());
    assert_eq!(
        env.state_json("quickstart")["resources"]
            .as_object()
            .unwrap()
            .len(),
        4
    );
    assert_eq!(names(&env), ALL);
}

#[test]
fn killed_after_the_call_before_its_result_is_recorded_adopts_the_object() {
    let env = Env::huawei_quickstart();
    kill_at(&env, "call_returned");
    let made = names(&env);
    assert_eq!(
        made.len(),
        1,
        "one create went through before the kill: {made:?}"
    );
    let r = env.ok(&["-C", "quickstart", "plan"], 0);
    r.out_has("Reconciled operations left open by an interrupted run");
    r.out_has("adopted");
    let r = env.ok(&common::APPLY, 0);
    r.out_has("adopted");
    assert_eq!(names(&env), ALL, "nothing made twice");
    env.ok(&common::CHECK, 0);
}

#[test]
fn killed_after_the_intent_before_the_call_plans_it_again() {
    let env = Env::huawei_quickstart();
    kill_at(&env, "intent_written");
    assert!(names(&env).is_empty());
    let r = env.ok(&["-C", "quickstart", "plan"], 0);
    r.out_has("had not taken effect; it is planned again");
    env.ok(&common::APPLY, 0);
    assert_eq!(names(&env), ALL);
    env.ok(&common::CHECK, 0);
}

#[test]
fn ctrl_c_starts_nothing_new_saves_and_exits_130() {
    let env = Env::huawei_quickstart();
    let mut child = env.spawn_with(
        &common::APPLY_SERIALLY,
        &[("STRATA_SANDBOX", "latency_ms=400")],
        std::process::Stdio::piped(),
        std::process::Stdio::null(),
    );
    let stdout = child.stdout.take().unwrap();
    let lines = std::thread::spawn(move || {
        use std::io::BufRead;
        let mut seen = Vec::new();
        for l in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            seen.push(l);
        }
        seen
    });
    // wait until the first operation is in flight, then press Ctrl-C once
    let start = Instant::now();
    while names(&env).is_empty() && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(50));
    }
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let status = child.wait().unwrap();
    let out = lines.join().unwrap().join("\n");
    assert_eq!(status.code(), Some(130), "{out}");
    assert!(out.contains("Interrupt received"), "{out}");
    assert!(out.contains("Apply interrupted."), "{out}");
    let made = names(&env).len();
    assert!(made < 3, "nothing new started after the interrupt: {made}");
    // what was made is in the state; the next run finishes without duplicates
    let st = env.state_json("quickstart");
    let managed = st["resources"]
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| !k.starts_with("data."))
        .count();
    assert_eq!(managed, made, "{st}");
    env.ok(&common::APPLY, 0);
    assert_eq!(names(&env), ALL);
}
