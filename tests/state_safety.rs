//! Never lose, never duplicate, never leak — the local state files: one state per stack
//! directory (and a state that names another directory refused), a removed lock file that
//! must not let a second writer in, a missing snapshot beside its backup or journal, a
//! dangling symlink, a snapshot without its checksum, a damaged complete journal line, and a
//! failed snapshot write that must leave no temp file.

mod common;
use common::Env;

/// Apply the quickstart one call at a time (so a checkpoint is reached by the first call).
const APPLY_ONE_AT_A_TIME: [&str; 6] = common::APPLY_SERIALLY;

#[test]
fn stacks_sharing_a_base_name_keep_separate_states() {
    let env = Env::new();
    env.one_template("envs/staging/db", "staging-db");
    env.one_template("envs/prod/db", "prod-db");
    env.ok(&["-C", "envs/staging/db", "apply", "--auto-approve"], 0);
    let r = env.ok(&["-C", "envs/prod/db", "plan", "--detailed-exitcode"], 2);
    assert!(
        r.stdout.contains(
            "Plan: 1 to add, 0 to change, 0 to destroy.\nActions: 1 to create, 0 to clone, 0 to bind, 0 to update, 0 to replace, 0 to delete."
        ),
        "prod plans its own object, nothing of staging's: {r:?}"
    );
    env.ok(&["-C", "envs/prod/db", "apply", "--auto-approve"], 0);
    assert_eq!(
        env.made_names("parameter_template"),
        ["prod-db", "staging-db"]
    );
    for dir in ["envs/staging/db", "envs/prod/db"] {
        env.ok(&["-C", dir, "plan", "--detailed-exitcode"], 0);
        let st: serde_json::Value =
            serde_json::from_str(&env.read(&format!("state/{dir}.json"))).unwrap();
        let recorded = st["directory"].as_str().unwrap_or_default().to_string();
        let canonical = std::fs::canonicalize(env.path().join(dir)).unwrap();
        assert_eq!(recorded, canonical.display().to_string());
    }
    assert!(!env.path().join("state/db.json").exists());
    // pointing one stack at the other's state is refused, naming both directories
    let r = env.ok(
        &[
            "-C",
            "envs/prod/db",
            "--state",
            "state/envs/staging/db.json",
            "plan",
        ],
        1,
    );
    r.err_has("envs/staging/db");
    r.err_has("envs/prod/db");
    r.err_has("--state");
    assert_eq!(
        env.made_names("parameter_template"),
        ["prod-db", "staging-db"]
    );
}

#[test]
fn a_stack_outside_the_current_directory_gets_a_state_named_by_its_path() {
    let env = Env::new();
    env.one_template("db", "outside-db");
    std::fs::create_dir_all(env.path().join("work")).unwrap();
    let r = common::Run::from(
        env.command(&["-C", "../db", "apply", "--auto-approve"])
            .current_dir(env.path().join("work"))
            .output()
            .unwrap(),
    );
    assert_eq!(r.code, 0, "{r:?}");
    let names: Vec<String> = std::fs::read_dir(env.path().join("work/state"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json") && n != "sandbox.json")
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    let n = &names[0];
    assert!(
        n.starts_with("db-") && n.len() == "db-".len() + 8 + ".json".len(),
        "{n}"
    );
    assert!(!env.path().join("work/state/db.json").exists());
}

/// Rewrite a state file as an older strata wrote it: no `directory` field.
fn make_legacy(path: &std::path::Path) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let o = v.as_object_mut().unwrap();
    o.remove("directory");
    o.remove("checksum");
    std::fs::write(path, strata::state::snapshot::encode(&v).unwrap()).unwrap();
}

#[test]
fn a_legacy_state_by_stack_name_is_moved_once_with_a_note() {
    let env = Env::new();
    env.one_template("examples/quickstart", "legacy");
    env.ok(
        &[
            "-C",
            "examples/quickstart",
            "--state",
            "state/quickstart.json",
            "apply",
            "--auto-approve",
        ],
        0,
    );
    make_legacy(&env.path().join("state/quickstart.json"));
    let r = env.ok(
        &["-C", "examples/quickstart", "plan", "--detailed-exitcode"],
        0,
    );
    r.err_has("moved the state state/quickstart.json to state/examples/quickstart.json");
    assert!(!env.path().join("state/quickstart.json").exists());
    let r = env.ok(
        &["-C", "examples/quickstart", "plan", "--detailed-exitcode"],
        0,
    );
    assert!(!r.stderr.contains("moved"), "said once: {r:?}");
    assert_eq!(env.made_names("parameter_template"), ["legacy"]);
}

#[test]
fn a_removed_lock_file_does_not_let_a_second_apply_in() {
    let env = Env::huawei_quickstart();
    let args = APPLY_ONE_AT_A_TIME;
    let mut first = env.pause_at(&args, &[], "intent_written");
    std::fs::remove_file(env.path().join("state/quickstart.json.lock")).unwrap();
    let r = env.run(&args);
    let _ = first.kill();
    let _ = first.wait();
    assert_eq!(
        r.code, 1,
        "the second apply must not run beside the first: {r:?}"
    );
    r.err_has("is still being written by");
    r.err_has("quickstart.json.lock was removed");
    // the next apply finishes the first's work: every object once, and in the state
    env.ok(&args, 0);
    let names = env.made("parameter_template");
    assert_eq!(names.len(), 3, "{names:?}");
    let st = env.state_json("quickstart");
    for (id, name) in &names {
        let held = st["resources"]
            .as_object()
            .unwrap()
            .values()
            .any(|r| r["id"] == id.as_str());
        assert!(held, "{name} ({id}) is in the state");
    }
    env.ok(&common::CHECK, 0);
}

fn apply_twice(env: &Env) {
    env.ok(&common::APPLY, 0);
    env.edit_quickstart(&[("\"600\"", "\"601\"")]);
    env.ok(&common::APPLY, 0);
}

#[test]
fn a_missing_snapshot_beside_its_backup_is_an_error_not_an_empty_state() {
    let env = Env::huawei_quickstart();
    apply_twice(&env);
    std::fs::remove_file(env.path().join("state/quickstart.json")).unwrap();
    for args in [
        &["-C", "quickstart", "plan"][..],
        &common::APPLY,
        &["-C", "quickstart", "state", "list"],
    ] {
        let r = env.ok(args, 1);
        assert!(
            r.stderr.contains("state/quickstart.json is missing"),
            "{args:?}: {r:?}"
        );
        r.err_has("cp state/quickstart.json.backup state/quickstart.json");
    }
    assert_eq!(env.made_names("parameter_template").len(), 3);
    std::fs::copy(
        env.path().join("state/quickstart.json.backup"),
        env.path().join("state/quickstart.json"),
    )
    .unwrap();
    env.ok(&["-C", "quickstart", "plan", "--refresh=false"], 0);
}

#[test]
fn a_missing_snapshot_beside_a_later_journal_is_an_error() {
    let env = Env::applied_quickstart();
    env.edit_quickstart(&[("\"600\"", "\"601\"")]);
    env.kill_at(&common::APPLY, &[], "before_fold");
    std::fs::remove_file(env.path().join("state/quickstart.json")).unwrap();
    let r = env.ok(&["-C", "quickstart", "plan"], 1);
    r.err_has("state/quickstart.json is missing");
    r.err_has("quickstart.json.journal");
}

#[cfg(unix)]
#[test]
fn a_dangling_symlink_as_state_is_an_error() {
    let env = Env::huawei_quickstart();
    std::fs::create_dir_all(env.path().join("state")).unwrap();
    std::os::unix::fs::symlink(
        env.path().join("gone/quickstart.json"),
        env.path().join("state/quickstart.json"),
    )
    .unwrap();
    let r = env.ok(&["-C", "quickstart", "plan"], 1);
    r.err_has("is a symbolic link to");
    r.err_has("which does not exist");
    let r = env.ok(&common::APPLY, 1);
    r.err_has("is a symbolic link to");
    assert!(env.made_names("parameter_template").is_empty());
}

#[test]
fn a_snapshot_whose_checksum_key_was_renamed_is_refused() {
    let env = Env::applied_quickstart();
    let path = env.path().join("state/quickstart.json");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("\"checksum\"", "\"checksun\"")).unwrap();
    let r = env.ok(&["-C", "quickstart", "plan"], 1);
    r.err_has("\"checksum\" field is missing");
    r.err_has("quickstart.json is damaged");
}

#[test]
fn a_damaged_complete_last_journal_line_is_refused_not_dropped() {
    let env = Env::huawei_quickstart();
    env.kill_at(&APPLY_ONE_AT_A_TIME, &[], "call_returned");
    let jpath = env.path().join("state/quickstart.json.journal");
    let mut bytes = std::fs::read(&jpath).unwrap();
    assert_eq!(bytes.last(), Some(&b'\n'));
    let lines = bytes.iter().filter(|b| **b == b'\n').count();
    let at = bytes.len() - 5;
    bytes[at] ^= 1;
    std::fs::write(&jpath, &bytes).unwrap();
    let r = env.ok(&["-C", "quickstart", "plan"], 1);
    assert!(
        r.stderr.contains(&format!(
            "quickstart.json.journal is damaged at line {lines}"
        )),
        "{r:?}"
    );
    // a truly torn last line (no newline) is still dropped
    bytes.truncate(at);
    std::fs::write(&jpath, &bytes).unwrap();
    let r = env.ok(&["-C", "quickstart", "plan"], 0);
    r.err_has("cut short by a crash");
}

/// Run strata with the file-size limit set to `limit` bytes (writes beyond it fail with
/// EFBIG, as on a full disk).
#[cfg(unix)]
fn run_with_file_limit(env: &Env, args: &[&str], limit: u64) -> common::Run {
    use std::os::unix::process::CommandExt;
    let mut c = env.command(args);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        c.pre_exec(move || {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let l = libc::rlimit {
                rlim_cur: limit,
                rlim_max: limit,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &l) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    common::Run::from(c.output().unwrap())
}

#[cfg(unix)]
#[test]
fn a_full_disk_during_the_snapshot_write_leaves_no_temp_file() {
    let env = Env::applied_quickstart();
    let path = env.path().join("state/quickstart.json");
    let before = std::fs::read(&path).unwrap();
    assert!(before.len() > 2048, "{}", before.len());
    let r = run_with_file_limit(
        &env,
        &[
            "-C",
            "quickstart",
            "state",
            "rm",
            "huaweicloud_rds_parameter_template.copy_by_v31",
        ],
        1024,
    );
    assert_eq!(r.code, 1, "{r:?}");
    r.err_has("File too large");
    let left: Vec<String> = std::fs::read_dir(env.path().join("state"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp"))
        .collect();
    assert!(left.is_empty(), "temp files left: {left:?}");
    assert_eq!(std::fs::read(&path).unwrap(), before, "nothing was lost");
}
