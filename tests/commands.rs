//! The other commands through the real binary: show, state list/show/rm/mv, output, graph,
//! refresh and drift, locks (held, stale, other host, force-unlock), sensitive values, targets.

mod common;
use common::Env;
use std::time::Duration;

#[test]
fn show_state_and_output_commands() {
    let env = Env::applied_quickstart();
    let r = env.ok(&["-C", "quickstart", "show"], 0);
    r.out_has("resource \"huaweicloud_rds_parameter_template\" \"base\" {");
    r.out_has("name                   = \"base-staging\"");
    let r = env.ok(&["-C", "quickstart", "show", "--json"], 0);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(doc.get("fingerprint_key").is_none());
    assert_eq!(doc["stack"], "quickstart");
    let r = env.ok(
        &[
            "-C",
            "quickstart",
            "state",
            "show",
            "huaweicloud_rds_parameter_template.base_copy",
        ],
        0,
    );
    r.out_has("# made: cloned");
    assert!(r
        .stdout
        .contains("# depends on: huaweicloud_rds_parameter_template.base"));
    let r = env.ok(&["-C", "quickstart", "output", "--json"], 0);
    let out: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(out["seed_engine"]["value"], "sqlserver");
    env.ok(&["-C", "quickstart", "output", "nope"], 1);
    env.ok(
        &[
            "-C",
            "quickstart",
            "state",
            "show",
            "huaweicloud_rds_parameter_template.nope",
        ],
        1,
    );

    // mv, then the plan sees the object under its new address only after the config follows
    env.ok(
        &[
            "-C",
            "quickstart",
            "state",
            "mv",
            "huaweicloud_rds_parameter_template.copy_by_v31",
            "huaweicloud_rds_parameter_template.renamed",
        ],
        0,
    );
    env.edit_quickstart(&[(
        "huaweicloud_rds_parameter_template.copy_by_v31:",
        "huaweicloud_rds_parameter_template.renamed:",
    )]);
    env.ok(&common::CHECK, 0);
    assert!(env.path().join("state/quickstart.json.backup").exists());

    // rm forgets the object: the plan wants to create it again and the API refuses the name
    env.ok(
        &[
            "-C",
            "quickstart",
            "state",
            "rm",
            "huaweicloud_rds_parameter_template.renamed",
        ],
        0,
    );
    let r = env.ok(&["-C", "quickstart", "plan"], 0);
    r.out_has("Actions: 0 to create, 1 to clone");
    let r = env.ok(&common::APPLY, 1);
    assert!(r.all().contains("DBS.200001"), "{r:?}");
    assert!(r.all().contains("already exists"), "{r:?}");
    assert!(r.all().contains("HTTP 400"), "{r:?}");
}

#[test]
fn graph_in_dot_and_text() {
    let env = Env::huawei_quickstart();
    let r = env.ok(&["-C", "quickstart", "graph"], 0);
    assert!(r.stdout.starts_with("digraph \"quickstart\""));
    assert!(r.stdout.contains(
        "\"huaweicloud_rds_parameter_template.base\" -> \"huaweicloud_rds_parameter_template.base_copy\";"
    ));
    let r = env.ok(&["-C", "quickstart", "graph", "--format", "text"], 0);
    assert!(
        r.stdout.contains(
            "+ huaweicloud_rds_parameter_template.base (create)\n  + huaweicloud_rds_parameter_template.base_copy (clone)"
        ),
        "an indented tree with the plan's actions: {r:?}"
    );
}

#[test]
fn drift_is_reported_and_planned_back() {
    let env = Env::applied_quickstart();
    env.drift("base-staging", "9999");
    let r = env.ok(&common::CHECK, 2);
    r.out_has("Note: Objects have changed outside of Terraform");
    assert!(r
        .stdout
        .contains("# huaweicloud_rds_parameter_template.base has changed"));
    r.out_has("~ \"max_connections\" = \"9999\" -> \"500\"");
    // without refresh, strata trusts the state
    env.ok(
        &[
            "-C",
            "quickstart",
            "plan",
            "--refresh=false",
            "--detailed-exitcode",
        ],
        0,
    );
    // refresh updates the state only
    let r = env.ok(&["-C", "quickstart", "refresh"], 0);
    r.out_has("1 changed outside strata");
    let st = env.state_json("quickstart");
    assert_eq!(
        st["resources"]["huaweicloud_rds_parameter_template.base"]["attributes"]["values"]
            ["max_connections"],
        "9999"
    );
    env.ok(&common::APPLY, 0);
    env.ok(&common::CHECK, 0);
    // deleted outside: planned again
    let store = strata::sandbox::open_store(
        &env.path().join("state/sandbox.json"),
        &strata::families::sandbox(),
    );
    store
        .write(|tx| {
            let id = tx
                .world()
                .list("rds/parameter_template")
                .find(|(_, d)| d["name"] == "copy_by_v31")
                .map(|(i, _)| i.clone())
                .unwrap();
            tx.delete("rds/parameter_template", &id);
        })
        .unwrap();
    let r = env.ok(&["-C", "quickstart", "plan"], 0);
    r.out_has("# huaweicloud_rds_parameter_template.copy_by_v31 has been deleted");
    r.out_has("# (cloned from");
}

#[test]
fn a_held_lock_names_its_holder_and_a_dead_ones_is_cleared() {
    let env = Env::huawei_quickstart();
    let lock_path = env.path().join("state/quickstart.json.lock");
    let held = strata::state::lock::acquire(&lock_path, "apply", Duration::ZERO).unwrap();
    let r = env.ok(&common::APPLY, 1);
    r.err_has(&format!("pid {}", std::process::id()));
    r.err_has("operation: apply");
    r.err_has(&held.info.id);
    // read-only commands do not need it
    env.ok(&["-C", "quickstart", "plan", "--refresh=false"], 0);
    env.ok(&["-C", "quickstart", "state", "list"], 0);
    // --lock-timeout waits for it
    let release = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(700));
        drop(held);
    });
    let r = env.ok(
        &[
            "-C",
            "quickstart",
            "apply",
            "--auto-approve",
            "--lock-timeout",
            "20s",
        ],
        0,
    );
    r.out_has("Apply complete!");
    release.join().unwrap();

    // a lock file left by a process that died on this host is cleared, and said so
    let mut info = strata::state::lock::LockInfo::new("apply");
    info.pid = 4_000_000;
    std::fs::write(&lock_path, serde_json::to_string(&info).unwrap()).unwrap();
    let r = env.ok(&common::APPLY, 0);
    r.err_has("found and cleared a stale lock left by pid 4000000");
    assert!(!lock_path.exists());

    // one from another host needs force-unlock with its ID
    info.host = "build-agent-7".into();
    std::fs::write(&lock_path, serde_json::to_string(&info).unwrap()).unwrap();
    let r = env.ok(&common::APPLY, 1);
    r.err_has(&format!("strata force-unlock {}", info.id));
    env.ok(&["-C", "quickstart", "force-unlock", "wrong-id"], 1);
    env.ok(&["-C", "quickstart", "force-unlock", &info.id], 0);
    env.ok(&common::APPLY, 0);
}

#[test]
fn sensitive_values_never_appear_but_changes_are_seen() {
    let env = Env::new();
    let secret = "Tr0ub4dor3xyzzy";
    env.stack(
        "s",
        common::HUAWEI,
        "variables:\n  note: { sensitive: true }\n\
         resources:\n  huaweicloud_rds_parameter_template.t:\n    name: t\n    description: \"${var.note}\"\n    datastore: { type: MySQL, version: \"8.0\" }\n\
         outputs:\n  leaked: ${huaweicloud_rds_parameter_template.t.description}\n",
    );
    let with = |args: &[&str]| env.run_with(args, &[("STRATA_VAR_note", secret)]);
    let r = with(&["-C", "s", "plan"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout
            .lines()
            .any(|l| l.contains("+ description") && l.ends_with("= (sensitive value)")),
        "{r:?}"
    );
    assert!(!r.all().contains(secret));
    let r = with(&["-C", "s", "plan", "--format", "json"]);
    assert!(!r.all().contains(secret));
    let r = with(&["-C", "s", "apply", "--auto-approve"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(!r.all().contains(secret), "{r:?}");
    r.out_has("leaked = <sensitive>");
    for (args, code) in [
        (vec!["-C", "s", "show"], 0),
        (vec!["-C", "s", "show", "--json"], 0),
        (
            vec![
                "-C",
                "s",
                "state",
                "show",
                "huaweicloud_rds_parameter_template.t",
            ],
            0,
        ),
        (vec!["-C", "s", "output"], 0),
        (vec!["-C", "s", "output", "leaked"], 1),
    ] {
        let r = with(&args);
        assert_eq!(r.code, code, "{args:?} {r:?}");
        assert!(!r.all().contains(secret), "{args:?} {r:?}");
    }
    for e in std::fs::read_dir(env.path().join("state")).unwrap() {
        let p = e.unwrap().path();
        if p.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("s.json")
        {
            assert!(
                !std::fs::read_to_string(&p).unwrap().contains(secret),
                "{p:?}"
            );
        }
    }
    let r = with(&["-C", "s", "plan", "--detailed-exitcode"]);
    assert_eq!(r.code, 0, "unchanged secret, no diff: {r:?}");
    let r = env.run_with(
        &["-C", "s", "plan", "--detailed-exitcode"],
        &[("STRATA_VAR_note", "another")],
    );
    assert_eq!(r.code, 2, "a changed secret is still detected: {r:?}");
    assert!(
        r.stdout
            .lines()
            .any(|l| l.contains("~ description") && l.contains("(sensitive value)")),
        "{r:?}"
    );
    let r = env.run(&["-C", "s", "plan"]);
    assert_eq!(r.code, 1);
    r.err_has("variable \"note\" has no value");
    r.err_has("STRATA_VAR_note");
}

#[test]
fn targets_and_replace() {
    let env = Env::huawei_quickstart();
    let r = env.ok(
        &[
            "-C",
            "quickstart",
            "plan",
            "--target",
            "huaweicloud_rds_parameter_template.base_copy",
        ],
        0,
    );
    r.out_has("Actions: 1 to create, 1 to clone");
    env.ok(
        &[
            "-C",
            "quickstart",
            "apply",
            "--auto-approve",
            "--target",
            "huaweicloud_rds_parameter_template.base",
        ],
        0,
    );
    assert_eq!(env.made("parameter_template").len(), 1);
    env.ok(&common::APPLY, 0);
    let r = env.ok(
        &[
            "-C",
            "quickstart",
            "plan",
            "--replace",
            "huaweicloud_rds_parameter_template.copy_by_v31",
        ],
        0,
    );
    r.out_has("will be replaced, as requested");
    env.ok(
        &[
            "-C",
            "quickstart",
            "plan",
            "--replace",
            "huaweicloud_rds_parameter_template.nope",
        ],
        1,
    );
    let r = env.ok(
        &[
            "-C",
            "quickstart",
            "plan",
            "--destroy",
            "--detailed-exitcode",
        ],
        2,
    );
    assert!(
        r.stdout.contains(
            "Plan: 0 to add, 0 to change, 3 to destroy.\nActions: 0 to create, 0 to clone, 0 to bind, 0 to update, 0 to replace, 3 to delete."
        ),
        "{r:?}"
    );
    env.ok(
        &["-C", "quickstart", "plan", "--target", "not an address"],
        1,
    );
}

#[test]
fn sandbox_reset_forgets_what_was_made() {
    let env = Env::applied_quickstart();
    assert_eq!(env.made("parameter_template").len(), 3);
    let r = env.ok(&["sandbox", "reset"], 0);
    r.out_has("reset to its seed objects");
    assert!(env.made("parameter_template").is_empty());
    let seeds = env.sandbox();
    assert!(seeds
        .iter()
        .any(|o| o["id"] == "66251c9024774eeb9edd8663a4cbb0a1pr04"));
    // the state still remembers them: refresh sees they are gone
    let r = env.ok(&["-C", "quickstart", "plan"], 0);
    r.out_has("has been deleted");
}

/// The applied quickstart with `base` to be replaced under create_before_destroy (its clone
/// `base_copy` is replaced with it).
fn replaced_under_create_before_destroy() -> Env {
    let env = Env::applied_quickstart();
    env.edit_quickstart(&[
        (
            "    name: base-${var.env}\n",
            "    name: base-${var.env}-v2\n    lifecycle: { create_before_destroy: true }\n",
        ),
        ("version: \"8.0\"", "version: \"5.7\""),
    ]);
    env
}

#[test]
fn create_before_destroy_makes_the_replacement_first() {
    let env = replaced_under_create_before_destroy();
    let r = env.ok(&["-C", "quickstart", "plan"], 0);
    r.out_has("+/- resource \"huaweicloud_rds_parameter_template\" \"base\"");
    assert!(r.stdout.contains("create replacement and then destroy"));
    let r = env.ok(&common::APPLY_SERIALLY, 0);
    let pos = |needle: &str| {
        r.stdout
            .find(needle)
            .unwrap_or_else(|| panic!("{needle:?} missing: {r:?}"))
    };
    assert!(
        pos("huaweicloud_rds_parameter_template.base: Creation complete")
            < pos("huaweicloud_rds_parameter_template.base: Destroying...")
    );
    // the clone of it moved to the new source before the old one went
    assert!(
        pos("huaweicloud_rds_parameter_template.base_copy: Clone complete")
            < pos("huaweicloud_rds_parameter_template.base: Destroying...")
    );
    let st = env.state_json("quickstart");
    assert!(st.get("deposed").is_none(), "no deposed object left: {st}");
    let names: Vec<String> = env.made_names("parameter_template");
    assert_eq!(
        names,
        ["base-staging-copy", "base-staging-v2", "copy_by_v31"]
    );
    env.ok(&common::CHECK, 0);
}

/// `graph` prints the executor's graph, not the config's: a replacement under
/// create_before_destroy destroys the old object only after its dependent moved to the new one.
#[test]
fn graph_shows_the_executors_order_for_a_replacement() {
    let env = replaced_under_create_before_destroy();
    let r = env.ok(&["-C", "quickstart", "graph"], 0);
    let base = "huaweicloud_rds_parameter_template.base";
    let copy = "huaweicloud_rds_parameter_template.base_copy";
    for (from, to) in [
        (base.to_string(), format!("{base} (destroy)")),
        (copy.to_string(), format!("{base} (destroy)")),
        (format!("{copy} (destroy)"), copy.to_string()),
        (base.to_string(), copy.to_string()),
    ] {
        let edge = format!("\"{from}\" -> \"{to}\";");
        assert!(r.stdout.contains(&edge), "{edge} missing: {r:?}");
    }
    let num = |node: &str| -> usize {
        let at = r
            .stdout
            .find(&format!("  \"{node}\" [label = \""))
            .unwrap_or_else(|| panic!("{node} missing: {r:?}"));
        let label = &r.stdout[at..];
        let label = &label[label.find("label = \"").unwrap() + 9..];
        label[..label.find('.').unwrap()].parse().unwrap()
    };
    assert!(num(base) < num(copy), "{r:?}");
    assert!(num(copy) < num(&format!("{base} (destroy)")), "{r:?}");
    r.out_has(&format!(". {base}\\nreplace: create\""));
    let r = env.ok(&["-C", "quickstart", "graph", "--format", "text"], 0);
    assert!(
        r.stdout.contains(&format!(
            "  + {copy} (replace: create)\n    - {base} (replace: destroy)"
        )),
        "{r:?}"
    );
    let r = env.ok(&["-C", "quickstart", "graph", "--help"], 0);
    r.out_has("the order apply");
}

/// Run strata on a pseudo-terminal (util-linux `script`), answering `answer` to its prompt.
fn on_terminal(env: &Env, args: &str, answer: &str) -> common::Run {
    use std::io::Write;
    let cmd = format!("{} {args}", common::bin().display());
    let mut child = std::process::Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .current_dir(env.path())
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("util-linux script runs");
    let mut stdin = child.stdin.take().unwrap();
    // answer once the prompt has had time to appear
    std::thread::sleep(Duration::from_millis(800));
    stdin.write_all(format!("{answer}\n").as_bytes()).unwrap();
    drop(stdin);
    common::Run::from(child.wait_with_output().unwrap())
}

#[test]
fn a_terminal_is_asked_for_yes() {
    let env = Env::huawei_quickstart();
    let r = on_terminal(&env, "-C quickstart apply", "no");
    r.out_has("Only 'yes' will be accepted to approve.");
    r.out_has("Apply cancelled.");
    assert_eq!(r.code, 1, "{r:?}");
    assert!(env.made("parameter_template").is_empty());
    let r = on_terminal(&env, "-C quickstart apply", "yes");
    r.out_has("Apply complete!");
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(env.made("parameter_template").len(), 3);
}

/// A replace is counted once, as "replace": its destroy half adds no key of its own (it used
/// to add `""` to the `--json` summary's `done` map).
#[test]
fn a_json_replace_summary_counts_replace_once_and_no_empty_verb() {
    let env = Env::applied_quickstart();
    let r = env.ok(
        &[
            "-C",
            "quickstart",
            "apply",
            "--auto-approve",
            "--json",
            "--replace",
            "huaweicloud_rds_parameter_template.copy_by_v31",
        ],
        0,
    );
    let summary: serde_json::Value = r
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|e| e["type"] == "summary")
        .expect("a summary event");
    assert_eq!(
        summary["done"],
        serde_json::json!({ "replace": 1 }),
        "{r:?}"
    );
}
