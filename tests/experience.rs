//! The experience around the engine: the JSON Schema for editors (every example passes it,
//! every invalid example fails it as `validate` does), `init`, shell completions, `--help` with
//! an example everywhere, `graph`, colour, progress on a terminal, the JSON event stream, and
//! `fmt` (canonical, keeps comments, `--check` for CI).

mod common;
use common::Env;

fn config_schema(env: &Env) -> jsonschema::Validator {
    let r = env.ok(&["schema", "--json"], 0);
    let s: serde_json::Value = serde_json::from_str(&r.stdout).expect("schema --json is JSON");
    assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
    jsonschema::validator_for(&s).expect("the schema compiles")
}

/// A stack's config files, as strata lists them (variable files are not config).
fn yaml_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    strata::config::yaml_files(std::fs::read_dir(dir).unwrap())
}

fn as_json(path: &std::path::Path) -> serde_json::Value {
    let y: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    serde_json::to_value(y).unwrap()
}

#[test]
fn the_json_schema_accepts_every_example_and_rejects_every_invalid_one() {
    let env = Env::new();
    let v = config_schema(&env);
    let examples = common::repo().join("examples");
    let mut checked = 0;
    for e in std::fs::read_dir(&examples).unwrap() {
        let dir = e.unwrap().path();
        // examples/ci holds a GitHub Actions workflow, not a stack
        if !dir.is_dir() || dir.ends_with("invalid") || dir.ends_with("ci") {
            continue;
        }
        for f in yaml_files(&dir) {
            let doc = as_json(&f);
            let errors: Vec<String> = v
                .iter_errors(&doc)
                .map(|e| format!("{e} at {}", e.instance_path()))
                .collect();
            assert!(
                errors.is_empty(),
                "{} fails the schema:\n{}",
                f.display(),
                errors.join("\n")
            );
            checked += 1;
        }
    }
    assert!(checked >= 1);
    let invalid = examples.join("invalid");
    let files = yaml_files(&invalid);
    assert!(files.len() >= 6);
    for f in files {
        assert!(
            !v.is_valid(&as_json(&f)),
            "{} passes the schema but must not",
            f.display()
        );
        // and strata itself refuses it, naming the file
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let dir = env.path().join(name.trim_end_matches(".yaml"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(&f, dir.join("main.yaml")).unwrap();
        let r = env.run(&["-C", dir.to_str().unwrap(), "validate"]);
        assert_eq!(r.code, 1, "{name}: {r:?}");
        assert!(r.stderr.contains("main.yaml:"), "{name}: {r:?}");
    }
}

#[test]
fn init_writes_a_starter_that_plans() {
    let env = Env::new();
    let r = env.ok(&["init", "fresh"], 0);
    r.out_has("Next: strata -C fresh plan");
    env.ok(&["-C", "fresh", "validate"], 0);
    let r = env.ok(&["-C", "fresh", "plan", "--detailed-exitcode"], 2);
    r.out_has("will be cloned from");
    // in a stack, init checks it and writes nothing (pipelines run `init -input=false` first)
    let before = env.read("fresh/main.yaml");
    let r = env.ok(&["init", "fresh"], 0);
    r.out_has("nothing was written");
    assert_eq!(env.read("fresh/main.yaml"), before);
    // every family's starter is formatted, applies on the sandbox and then has no changes
    for family in ["huaweicloud", "alicloud"] {
        env.ok(&["init", family, "--provider", family], 0);
        env.ok(&["-C", family, "fmt", "--check"], 0);
        env.ok(&["-C", family, "apply", "--auto-approve"], 0);
        env.ok(&["-C", family, "plan", "--detailed-exitcode"], 0);
    }
    let r = env.ok(&["init", "other", "--provider", "nosuch"], 1);
    r.err_has("choose one of");
}

#[test]
fn completions_for_three_shells() {
    let env = Env::new();
    for (shell, needle) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef strata"),
        ("fish", "complete -c strata"),
    ] {
        let r = env.ok(&["completions", shell], 0);
        assert!(
            r.stdout.contains(needle),
            "{shell}: {}",
            &r.stdout[..200.min(r.stdout.len())]
        );
        assert!(
            r.stdout.contains("apply") && r.stdout.contains("force-unlock"),
            "{shell}"
        );
    }
}

#[test]
fn every_command_has_help_with_an_example() {
    let env = Env::new();
    let commands: &[&[&str]] = &[
        &[],
        &["validate"],
        &["plan"],
        &["apply"],
        &["destroy"],
        &["refresh"],
        &["show"],
        &["state", "list"],
        &["state", "show"],
        &["state", "pull"],
        &["state", "rm"],
        &["state", "mv"],
        &["state", "migrate"],
        &["import"],
        &["graph"],
        &["output"],
        &["schema"],
        &["fmt"],
        &["init"],
        &["version"],
        &["completions"],
        &["force-unlock"],
        &["sandbox", "serve"],
        &["sandbox", "ls"],
        &["sandbox", "reset"],
    ];
    for c in commands {
        let mut args = c.to_vec();
        args.push("--help");
        let r = env.ok(&args, 0);
        assert!(
            r.stdout.contains("Example"),
            "strata {c:?} --help has no example:\n{}",
            r.stdout
        );
    }
}

#[test]
fn graph_shows_the_plans_actions() {
    let env = Env::huawei_quickstart();
    let r = env.ok(&["-C", "quickstart", "graph"], 0);
    assert!(r.stdout.starts_with("digraph \"quickstart\""), "{r:?}");
    r.out_has("huaweicloud_rds_parameter_template.base\\ncreate\", color = \"#2da44e\"");
    r.out_has("\\nclone\"");
    assert!(r.stdout.contains("\"huaweicloud_rds_parameter_template.base\" -> \"huaweicloud_rds_parameter_template.base_copy\";"));
    // numbered in apply order: the source before its clone
    let num = |name: &str| -> usize {
        let at = r
            .stdout
            .find(&format!(". huaweicloud_rds_parameter_template.{name}\\n"))
            .unwrap();
        r.stdout[..at]
            .rsplit("label = \"")
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!(num("base") < num("base_copy"));
    env.ok(&common::APPLY, 0);
    let r = env.ok(&["-C", "quickstart", "graph", "--format", "text"], 0);
    r.out_has("huaweicloud_rds_parameter_template.base (no-op)\n    huaweicloud_rds_parameter_template.base_copy (no-op)");
    let has_dot = std::process::Command::new("dot").arg("-V").output().is_ok();
    let r = env.run(&["-C", "quickstart", "graph", "--format", "svg"]);
    if has_dot {
        assert_eq!(r.code, 0);
        r.out_has("<svg");
    } else {
        assert_eq!(r.code, 1);
        r.err_has("Graphviz");
    }
}

/// Run on a pseudo-terminal (util-linux `script`) with extra environment.
fn on_terminal(env: &Env, args: &str, envs: &[(&str, &str)]) -> common::Run {
    let cmd = format!("{} {args}", common::bin().display());
    let mut c = std::process::Command::new("script");
    c.args(["-qec", &cmd, "/dev/null"]).current_dir(env.path());
    c.env_remove("NO_COLOR");
    for (k, v) in envs {
        c.env(k, v);
    }
    common::Run::from(c.output().expect("util-linux script"))
}

#[test]
fn colour_follows_the_terminal_and_no_color() {
    let env = Env::huawei_quickstart();
    let r = on_terminal(&env, "-C quickstart plan", &[]);
    assert!(
        r.stdout.contains("\u{1b}["),
        "a terminal gets colour: {r:?}"
    );
    let r = on_terminal(&env, "-C quickstart plan", &[("NO_COLOR", "1")]);
    assert!(!r.stdout.contains("\u{1b}["), "NO_COLOR: {r:?}");
    let r = on_terminal(&env, "-C quickstart --no-color plan", &[]);
    assert!(!r.stdout.contains("\u{1b}["), "--no-color: {r:?}");
    let r = env.run(&["-C", "quickstart", "plan"]);
    assert!(!r.stdout.contains("\u{1b}["), "a pipe gets none");
}

#[test]
fn progress_on_a_terminal_and_lines_elsewhere() {
    let env = Env::huawei_quickstart();
    let r = on_terminal(
        &env,
        "-C quickstart apply --auto-approve",
        &[("STRATA_SANDBOX", "latency_ms=150")],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout.contains("done ["),
        "the total bar was drawn: {r:?}"
    );
    r.out_has("Creating...");
    r.out_has("Creation complete after");
    r.out_has("Apply complete!");
    let r = env.ok(&common::DESTROY, 0);
    assert!(!r.stdout.contains("done ["), "no bars on a pipe: {r:?}");
    assert!(
        r.stdout.contains("Destruction complete after"),
        "one line per event: {r:?}"
    );
}

#[test]
fn json_event_stream() {
    let env = Env::huawei_quickstart();
    let r = env.ok(
        &["-C", "quickstart", "apply", "--auto-approve", "--json"],
        0,
    );
    let events: Vec<serde_json::Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert_eq!(events[0]["type"], "plan");
    assert_eq!(events[0]["plan"]["summary"]["clone"], 2);
    let count = |t: &str| events.iter().filter(|e| e["type"] == t).count();
    assert_eq!(count("start"), 3);
    assert_eq!(count("complete"), 3);
    let done = events
        .iter()
        .find(|e| {
            e["type"] == "complete" && e["address"] == "huaweicloud_rds_parameter_template.base"
        })
        .unwrap();
    assert!(done["id"].as_str().unwrap().ends_with("pr01"));
    assert!(done["time"].is_string() && done["elapsed_ms"].is_number());
    let last = events.last().unwrap();
    assert_eq!(last["type"], "summary");
    assert_eq!(last["exit_code"], 0);
    assert_eq!(last["outputs"]["seed_engine"]["value"], "sqlserver");
    // an error event names the address and the API's code
    env.edit_quickstart(&[("version: \"8.0\"", "version: \"9.9\"")]);
    let r = env.ok(
        &["-C", "quickstart", "apply", "--auto-approve", "--json"],
        1,
    );
    let err = r
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|e| e["type"] == "error")
        .unwrap();
    assert_eq!(err["address"], "huaweicloud_rds_parameter_template.base");
    assert!(err["message"].as_str().unwrap().contains("DBS.200001"));
    // it cannot prompt
    let r = env.ok(&["-C", "quickstart", "destroy", "--json"], 1);
    r.err_has("--auto-approve");
}

#[test]
fn fmt_rewrites_canonically_and_keeps_comments() {
    let env = Env::new();
    let messy = "# my stack\n\n# the templates\nresources:\n  huaweicloud_rds_parameter_template.t:   # the template\n    datastore: {version: '8.0', type: MySQL}\n    name:   t\nproviders:\n  huaweicloud: {endpoint: sandbox, region: r, project_id: p}\n";
    env.write("s/main.yaml", messy);
    let r = env.ok(&["-C", "s", "fmt", "--check", "--diff"], 3);
    r.out_has("s/main.yaml");
    assert!(r.stdout.contains("+providers:"), "the diff: {r:?}");
    assert_eq!(env.read("s/main.yaml"), messy, "--check changes nothing");
    env.ok(&["-C", "s", "fmt"], 0);
    let out = env.read("s/main.yaml");
    assert!(
        out.starts_with("# my stack\n\nproviders:\n"),
        "the header stays on top: {out}"
    );
    assert!(
        out.contains("\n# the templates\nresources:\n"),
        "a comment stays with its key: {out}"
    );
    assert!(out.contains("huaweicloud_rds_parameter_template.t: # the template\n    name: t\n    datastore: { type: MySQL, version: \"8.0\" }"), "{out}");
    env.ok(&["-C", "s", "fmt", "--check"], 0);
    env.ok(&["-C", "s", "plan"], 0);
    // the examples in the repository are formatted
    let env = Env::with_example("quickstart");
    let r = env.run(&["-C", "quickstart", "fmt", "--check", "--diff"]);
    assert_eq!(
        r.code, 0,
        "examples/quickstart is not formatted:\n{}",
        r.stdout
    );
    env.write("b/main.yaml", "a: [");
    let r = env.ok(&["-C", "b", "fmt"], 1);
    r.err_has("not valid YAML");
}
