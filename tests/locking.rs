//! Locking and state files with real concurrent processes: a second apply meets the first's
//! lock (naming it) or waits for it; read-only commands run beside an apply without harming
//! it; damaged state and journal files are refused with the way back named.

mod common;
use common::Env;
use std::time::{Duration, Instant};

const SLOW: &str = "latency_ms=250,seed=1";

fn wait_for(path: &std::path::Path) {
    let start = Instant::now();
    while !path.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{path:?} never appeared"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn two_applies_on_one_stack() {
    let env = Env::with_example("quickstart");
    let first = env.spawn_with(
        &common::APPLY,
        &[("STRATA_SANDBOX", SLOW)],
        std::process::Stdio::piped(),
        std::process::Stdio::piped(),
    );
    let pid = first.id();
    wait_for(&env.path().join("state/quickstart.json.lock"));
    // the second fails at once, naming the holder
    let r = env.ok_with(&common::APPLY, &[("STRATA_SANDBOX", SLOW)], 1);
    r.err_has(&format!("the state is locked by pid {pid}"));
    r.err_has("operation: apply");
    r.err_has("--lock-timeout");
    // read-only commands work beside it and do not disturb it
    for args in [
        &["-C", "quickstart", "plan", "--refresh=false"][..],
        &["-C", "quickstart", "show"],
        &["-C", "quickstart", "state", "list"],
        &["sandbox", "ls"],
    ] {
        let r = env.run(args);
        assert_eq!(r.code, 0, "{args:?} during an apply: {r:?}");
    }
    // a third waits for it with --lock-timeout, then finds nothing left to do
    let r = env.ok_with(
        &common::apply_with(&["--lock-timeout", "60s"]),
        &[("STRATA_SANDBOX", SLOW)],
        0,
    );
    let out = first.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        r.stdout.contains("No changes."),
        "the waiter saw the first's work: {r:?}"
    );
    assert_eq!(env.made("parameter_template").len(), 3);
    env.ok(&common::CHECK, 0);
}

#[test]
fn applies_on_two_stacks_do_not_block_each_other() {
    let env = Env::with_example("quickstart");
    std::fs::create_dir_all(env.path().join("second")).unwrap();
    env.stack(
        "second",
        common::HUAWEI,
        "resources:\n  huaweicloud_rds_parameter_template.other:\n    name: other\n    datastore: { type: MySQL, version: \"8.0\" }\n",
    );
    let a = env.spawn_with(
        &common::APPLY,
        &[("STRATA_SANDBOX", SLOW)],
        std::process::Stdio::null(),
        std::process::Stdio::inherit(),
    );
    wait_for(&env.path().join("state/quickstart.json.lock"));
    env.ok_with(
        &["-C", "second", "apply", "--auto-approve"],
        &[("STRATA_SANDBOX", SLOW)],
        0,
    );
    assert!(a.wait_with_output().unwrap().status.success());
    // both in one shared sandbox, written by two processes at once
    assert_eq!(env.made("parameter_template").len(), 4);
    env.ok(&common::CHECK, 0);
    env.ok(&["-C", "second", "plan", "--detailed-exitcode"], 0);
}

#[test]
fn damaged_state_files_are_refused_never_treated_as_empty() {
    let env = Env::with_example("quickstart");
    env.ok(&common::APPLY, 0);
    env.edit_quickstart(&[("\"600\"", "\"601\"")]);
    env.ok(&common::APPLY, 0);
    let state = env.path().join("state/quickstart.json");
    let good = std::fs::read(&state).unwrap();
    // truncated
    std::fs::write(&state, &good[..good.len() / 2]).unwrap();
    for args in [
        &["-C", "quickstart", "plan"][..],
        &common::APPLY,
        &["-C", "quickstart", "state", "list"],
    ] {
        let r = env.run(args);
        assert_eq!(r.code, 1, "{args:?}: {r:?}");
        r.err_has("quickstart.json is damaged");
        assert!(
            r.stderr.contains("state/quickstart.json.backup"),
            "names the last good copy: {r:?}"
        );
    }
    assert_eq!(
        env.made("parameter_template").len(),
        3,
        "nothing was re-created"
    );
    // one flipped byte
    let mut flipped = good.clone();
    let i = flipped.len() / 3;
    flipped[i] = if flipped[i] == b'a' { b'b' } else { b'a' };
    std::fs::write(&state, &flipped).unwrap();
    let r = env.ok(&["-C", "quickstart", "plan"], 1);
    r.err_has("checksum does not match");
    // the backup named is a good state
    std::fs::copy(env.path().join("state/quickstart.json.backup"), &state).unwrap();
    let r = env.ok(
        &[
            "-C",
            "quickstart",
            "plan",
            "--refresh=false",
            "--detailed-exitcode",
        ],
        2,
    );
    assert!(
        r.stdout.contains("\"600\" -> \"601\""),
        "the backup is one step behind: {r:?}"
    );
    // and refresh heals it from the cloud
    env.ok(&common::CHECK, 0);
    std::fs::write(&state, &good).unwrap();
    env.ok(&common::CHECK, 0);

    // a journal damaged in the middle is refused; a torn last line is dropped
    let journal = env.path().join("state/quickstart.json.journal");
    let st: serde_json::Value = serde_json::from_slice(&good[..good.len()]).unwrap();
    let header = format!(
        "{{\"journal\":1,\"lineage\":\"{}\",\"base_serial\":{}}}",
        st["lineage"].as_str().unwrap(),
        st["serial"]
    );
    let line = |json: &str| {
        use sha2::Digest;
        format!(
            "{} {json}\n",
            &hex::encode(sha2::Sha256::digest(json.as_bytes()))[..16]
        )
    };
    let settle = "{\"op\":\"settle\",\"intent\":\"x\"}";
    let mut text = line(&header) + &line(settle) + &line(settle);
    std::fs::write(&journal, &text).unwrap();
    env.ok(&common::CHECK, 0);
    text.push_str("0123456789abcdef {\"op\":\"sett");
    std::fs::write(&journal, &text).unwrap();
    let r = env.ok(&common::CHECK, 0);
    r.err_has("cut short by a crash");
    let damaged = line(&header) + &line(settle).replace("settle", "settlx") + &line(settle);
    std::fs::write(&journal, damaged).unwrap();
    let r = env.ok(&["-C", "quickstart", "plan"], 1);
    r.err_has("quickstart.json.journal is damaged at line 2");
    std::fs::remove_file(&journal).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        env.ok(&common::APPLY, 0);
        for f in ["quickstart.json", "quickstart.json.backup"] {
            let mode = std::fs::metadata(env.path().join("state").join(f))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{f}");
        }
    }
}
