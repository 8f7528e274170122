//! Config input that used to be lost, duplicated or leaked (issue 13): nesting that would
//! exhaust time and memory, files too large to read, duplicate keys where the last silently
//! won, a byte-order mark, durations that overflow, non-boolean `sensitive`, stack files that
//! are not regular files, and sensitive values quoted in rule messages. Each is an error that
//! names the file and line (or path), through the real binary.

mod common;
use common::{Env, Run};
use std::process::Stdio;
use std::time::{Duration, Instant};

const PROVIDER: &str = common::HUAWEI;
const ONE: &str = "resources:\n  huaweicloud_rds_parameter_template.t:\n    name: t\n    datastore: { type: MySQL, version: \"8.0\" }\n";

/// Run strata in `env`, killing it if it has not finished after a generous bound (so a hang
/// fails the test instead of stalling the suite; the bound is not a performance assertion).
fn run_bounded(env: &Env, args: &[&str]) -> Run {
    let mut child = env
        .command(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start strata");
    let deadline = Instant::now() + Duration::from_secs(300);
    while child.try_wait().expect("poll strata").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("strata {args:?} did not finish");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Run::from(child.wait_with_output().expect("collect output"))
}

/// Run `strata -C stack <args>`, insisting on exit 1 and no panic.
fn fails(env: &Env, args: &[&str]) -> Run {
    let mut all = vec!["-C", "stack"];
    all.extend_from_slice(args);
    let r = run_bounded(env, &all);
    assert_eq!(r.code, 1, "strata {all:?}\n{r:?}");
    assert!(!r.stderr.contains("panicked"), "{r:?}");
    r
}

fn has(r: &Run, needle: &str) {
    assert!(r.stderr.contains(needle), "missing {needle:?} in:\n{r:?}");
}

fn stack(files: &[(&str, &str)]) -> Env {
    let env = Env::new();
    for (name, text) in files {
        env.write(&format!("stack/{name}"), text);
    }
    env
}

// ---- nesting depth and size (point 11) ----

fn deep_nesting_is_refused(text: &str, line: usize) {
    let env = stack(&[("main.yaml", text)]);
    for cmd in ["validate", "plan"] {
        let r = fails(&env, &[cmd]);
        has(
            &r,
            &format!("stack/main.yaml:{line}: the YAML is nested more than 64 levels deep"),
        );
    }
}

#[test]
fn deep_flow_maps_are_refused_early() {
    let n = 100_000;
    let text = format!("resources: {}1{}\n", "{a: ".repeat(n), "}".repeat(n));
    deep_nesting_is_refused(&text, 1);
}

#[test]
fn deep_flow_lists_are_refused_early() {
    let n = 100_000;
    let text = format!("outputs:\n  o: {}1{}\n", "[".repeat(n), "]".repeat(n));
    deep_nesting_is_refused(&text, 2);
}

#[test]
fn deep_block_lists_are_refused_early() {
    // `- - - x` nests block sequences on one line
    let text = format!("outputs:\n  o:\n    {}x\n", "- ".repeat(100_000));
    deep_nesting_is_refused(&text, 3);
}

#[test]
fn deep_block_maps_are_refused_early() {
    let mut text = String::from("outputs:\n");
    for i in 1..=200 {
        text += &format!("{}k:\n", " ".repeat(i));
    }
    // the 65th level is the key on line 65 (outputs is level 1)
    deep_nesting_is_refused(&text, 65);
}

#[test]
fn an_oversized_file_is_refused_before_it_is_read() {
    let env = stack(&[("main.yaml", ONE)]);
    let comment = "# padding\n".repeat(1_700_000); // 17 MB
    env.write("stack/big.yaml", &comment);
    let r = fails(&env, &["validate"]);
    has(
        &r,
        "stack/big.yaml: the file is 17000000 bytes: a config file may be at most 16777216 bytes",
    );
}

#[test]
fn too_many_values_in_one_file_are_refused() {
    let text = format!("outputs:\n  o: [{}]\n", vec!["0"; 500_001].join(","));
    let r = fails(&stack(&[("main.yaml", &text)]), &["validate"]);
    has(
        &r,
        "stack/main.yaml:2: the file holds more than 500000 values: split the stack",
    );
}

// ---- duplicate keys (point 12) ----

#[test]
fn two_resources_sections_in_one_file_are_an_error() {
    let text = format!(
        "{PROVIDER}resources:\n  huaweicloud_rds_parameter_template.a:\n    name: a\n    datastore: {{ type: MySQL, version: \"8.0\" }}\nresources:\n  huaweicloud_rds_parameter_template.b:\n    name: b\n    datastore: {{ type: MySQL, version: \"8.0\" }}\n"
    );
    let env = stack(&[("main.yaml", &text)]);
    let r = fails(&env, &["validate"]);
    has(
        &r,
        "stack/main.yaml:7: the key \"resources\" appears twice in this mapping (lines 3 and 7)",
    );
    let r = fails(&env, &["plan"]);
    has(&r, "appears twice in this mapping (lines 3 and 7)");
}

#[test]
fn duplicate_keys_are_errors_naming_both_lines() {
    let block = "  huaweicloud_rds_parameter_template.a:\n    name: a\n    datastore: { type: MySQL, version: \"8.0\" }\n";
    let a = "huaweicloud_rds_parameter_template.a";
    let cases = [
        // the same address twice in one file
        (
            format!("{block}{block}"),
            format!("stack/main.yaml:7: {a}: the key \"{a}\" appears twice in this mapping (lines 4 and 7)"),
        ),
        // a quoted key is the same key as a plain one
        (
            format!("{block}    \"name\": b\n"),
            format!("stack/main.yaml:7: {a}.name: the key \"name\" appears twice in this mapping (lines 5 and 7)"),
        ),
        // in a flow map
        (
            block.replace("}", ", 'type': PostgreSQL }"),
            format!("stack/main.yaml:6: {a}.datastore.type: the key \"type\" appears twice in this mapping (both on line 6)"),
        ),
    ];
    for (resources, needle) in cases {
        let text = format!("{PROVIDER}resources:\n{resources}");
        let r = fails(&stack(&[("main.yaml", &text)]), &["validate"]);
        has(&r, &needle);
    }
}

// ---- byte-order mark (point 13) ----

#[test]
fn a_byte_order_mark_is_accepted_and_kept_by_fmt() {
    let text = format!("\u{feff}{PROVIDER}\n{ONE}");
    let env = stack(&[("main.yaml", &text)]);
    let r = run_bounded(&env, &["-C", "stack", "validate"]);
    assert_eq!(r.code, 0, "{r:?}");
    let r = run_bounded(&env, &["-C", "stack", "fmt", "--check"]);
    assert_eq!(r.code, 0, "{r:?}");
    // an unformatted file with a BOM is formatted, and keeps its BOM
    env.write(
        "stack/main.yaml",
        &format!("\u{feff}{ONE}providers:\n  huaweicloud: {{ region: r, project_id: p, endpoint: sandbox }}\n"),
    );
    let r = run_bounded(&env, &["-C", "stack", "fmt"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(env.read("stack/main.yaml"), text);
}

// ---- timeouts and output flags (point 15) ----

#[test]
fn a_timeout_that_overflows_is_an_error() {
    let text = format!(
        "{PROVIDER}resources:\n  huaweicloud_rds_parameter_template.a:\n    name: a\n    datastore: {{ type: MySQL, version: \"8.0\" }}\n    timeouts:\n      create: 18446744073709551615h\n      update: 18446744073709551615\n      delete: 99999999999999999999999s\n"
    );
    let r = fails(&stack(&[("main.yaml", &text)]), &["validate"]);
    let a = "huaweicloud_rds_parameter_template.a.timeouts";
    has(&r, &format!("stack/main.yaml:8: {a}.create: \"18446744073709551615h\" is too long: a timeout may be at most 720h (30 days)"));
    has(&r, &format!("stack/main.yaml:9: {a}.update: \"18446744073709551615\" is too long: a timeout may be at most 720h (30 days)"));
    has(&r, &format!("stack/main.yaml:10: {a}.delete: \"99999999999999999999999s\" is too long: a timeout may be at most 720h (30 days)"));
}

#[test]
fn an_output_flag_that_is_not_a_boolean_is_an_error() {
    let text = format!(
        "{PROVIDER}{ONE}outputs:\n  o:\n    value: ${{huaweicloud_rds_parameter_template.t.id}}\n    sensitive: maybe\n  p:\n    value: 1\n    description: [a]\n"
    );
    let r = fails(&stack(&[("main.yaml", &text)]), &["validate"]);
    has(
        &r,
        "stack/main.yaml:10: outputs.o.sensitive: expected true or false, got a string",
    );
    has(
        &r,
        "stack/main.yaml:13: outputs.p.description: expected a string, got a list",
    );
}

// ---- stack files that are not regular files (point 18) ----

fn not_a_file(make: impl FnOnce(&std::path::Path), needle: &str) {
    let env = stack(&[("main.yaml", &format!("{PROVIDER}{ONE}"))]);
    make(&env.path().join("stack"));
    for cmd in ["validate", "plan"] {
        let r = fails(&env, &[cmd]);
        has(&r, needle);
    }
}

#[test]
fn a_dangling_symlink_is_an_error() {
    not_a_file(
        |d| std::os::unix::fs::symlink(d.join("gone.txt"), d.join("x.yaml")).unwrap(),
        "gone.txt, which does not exist",
    );
}

#[test]
fn a_symlink_loop_is_an_error() {
    not_a_file(
        |d| std::os::unix::fs::symlink(d.join("x.yaml"), d.join("x.yaml")).unwrap(),
        "stack/x.yaml: cannot read the file: it is a symbolic link that loops back on itself",
    );
}

#[test]
fn a_fifo_is_an_error_and_no_hang() {
    not_a_file(
        |d| {
            let st = std::process::Command::new("mkfifo")
                .arg(d.join("x.yaml"))
                .status()
                .unwrap();
            assert!(st.success());
        },
        "stack/x.yaml: cannot read the file: it is a FIFO, not a regular file",
    );
}

#[test]
fn a_directory_named_yaml_is_an_error() {
    not_a_file(
        |d| std::fs::create_dir(d.join("x.yaml")).unwrap(),
        "stack/x.yaml: cannot read the file: it is a directory, not a regular file",
    );
}

// ---- sensitive values in rule messages (point 7) ----

const SECRET: &str = "Zq7-Distinct_Pw-2931";

fn secret_stack() -> Env {
    let text = format!(
        "{PROVIDER}variables:
  pw: {{ default: \"{SECRET}!\", sensitive: true }}
  num: {{ type: number, sensitive: true }}
resources:
  huaweicloud_rds_parameter_template.a:
    name: \"${{var.pw}}-${{var.pw}}-${{var.pw}}-${{var.pw}}\"
    description: \"${{var.pw}}<\"
    datastore: {{ type: \"${{var.pw}}\", version: \"8.0\" }}
"
    );
    stack(&[("main.yaml", &text)])
}

fn no_secret(r: &Run) {
    assert!(
        !r.stdout.contains(SECRET) && !r.stderr.contains(SECRET),
        "the sensitive value leaked:\n{r:?}"
    );
}

#[test]
fn rule_messages_never_show_a_sensitive_value() {
    let env = secret_stack();
    let bad = format!("num={SECRET}");
    let r = fails(&env, &["validate", "--var", &bad]);
    no_secret(&r);
    let a = "stack/main.yaml:8: huaweicloud_rds_parameter_template.a";
    has(&r, &format!("{a}.name: the sensitive value is not valid: a parameter template name is 1–64 characters"));
    has(&r, "stack/main.yaml:9: huaweicloud_rds_parameter_template.a.description: the sensitive value contains characters that are not allowed: ! < > = & \" '");
    has(
        &r,
        "datastore.type: the sensitive value is not one of: MySQL, PostgreSQL, SQLServer, MariaDB",
    );
    has(
        &r,
        "variable \"num\" from --var num: the sensitive value is not a number",
    );

    let r = fails(&env, &["validate", "--json", "--var", &bad]);
    no_secret(&r);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON");
    let messages: Vec<&str> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["summary"].as_str())
        .collect();
    assert_eq!(doc["error_count"], 4, "{messages:?}");
    assert!(
        messages
            .contains(&"the sensitive value is not one of: MySQL, PostgreSQL, SQLServer, MariaDB"),
        "{messages:?}"
    );

    let r = fails(&env, &["plan", "--var", "num=3"]);
    no_secret(&r);
    has(&r, "the sensitive value is not valid");
}
