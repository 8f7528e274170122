//! Terraform's command-line conventions through the real binary (issue 18, point 3): usage
//! errors exit 1; a pipeline written for Terraform (`-chdir=`, `init -input=false`,
//! `plan -out=… -var … -var-file=…`, `apply -auto-approve tfplan`) runs unchanged (the order
//! of `--var` and `--var-file` is tests/variables.rs's); `--refresh-only`
//! records drift without a single mutating API call; `apply --destroy`; `output --raw` and
//! `--json` with Terraform's types; `version [--json]`; `state pull`; `init` in a stack;
//! `validate --json` in Terraform's shape (pinned).

mod common;
use common::served::Served;
use common::{Env, HUAWEI};

macro_rules! snap {
    ($name:expr, $text:expr) => {
        common::snapshot_settings().bind(|| insta::assert_snapshot!($name, $text))
    };
}

const BASE: &str = "huaweicloud_rds_parameter_template.base";

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[test]
fn usage_errors_exit_1_and_help_exits_0() {
    let env = Env::huawei_quickstart();
    for bad in [
        &["-C", "quickstart", "plan", "--bogus-flag"][..],
        &["-C", "quickstart", "plan", "-bogus"],
        &[
            "-C",
            "quickstart",
            "plan",
            "--detailed-exitcode",
            "--parallelism",
            "0",
        ],
        &["plan", "-auto-approve"],
        &["nosuch"],
    ] {
        let r = env.ok(bad, 1);
        assert!(r.stderr.contains("try '--help'"), "{bad:?}: {r:?}");
    }
    env.ok(&[], 1).err_has("Usage: strata [OPTIONS] <COMMAND>");
    // an unknown single-dash option is reported as the long option it was meant to be
    let r = env.ok(&["-C", "quickstart", "plan", "-outt=x"], 1);
    r.err_has("unexpected argument '--outt' found");
    r.err_has("a similar argument exists: '--out'");
    for help in [
        &["--help"][..],
        &["-help"],
        &["plan", "-help"],
        &["state", "pull", "-h"],
    ] {
        env.ok(help, 0).out_has("Usage:");
    }
    for version in ["--version", "-version"] {
        env.ok(&[version], 0).out_has(env!("CARGO_PKG_VERSION"));
    }
}

#[test]
fn a_terraform_pipeline_runs_unchanged() {
    let env = Env::huawei_quickstart();
    env.write("quickstart/vars/prod.yaml", "env: prod\n");
    let tf = |args: &[&str], code: i32| env.ok(&[&["-chdir=quickstart"][..], args].concat(), code);
    tf(&["init", "-input=false"], 0).out_has("nothing was written");
    assert_eq!(json(&tf(&["validate", "-json"], 0).stdout)["valid"], true);
    let r = tf(
        &[
            "plan",
            "-input=false",
            "-lock=false",
            "-lock-timeout=10s",
            "-no-color",
            "-parallelism=4",
            "-var-file=vars/prod.yaml",
            "-var",
            "env=ci",
            "-out=tfplan",
            "-detailed-exitcode",
        ],
        2,
    );
    r.out_has("\"base-ci\"");
    // -chdir: every relative path is the stack directory's
    assert!(env.path().join("quickstart/tfplan").exists());
    let r = tf(
        &["apply", "-auto-approve", "-input=false", "-json", "tfplan"],
        0,
    );
    let last = r.stdout.lines().last().map(json).expect("a summary");
    assert_eq!(last["type"], "summary");
    assert_eq!(last["exit_code"], 0);
    let st: serde_json::Value = json(&env.read("quickstart/state/quickstart.json"));
    let id = st["resources"][BASE]["id"]
        .as_str()
        .expect("an id")
        .to_string();
    assert_eq!(tf(&["output", "-raw", "base_id"], 0).stdout, id);
    tf(
        &[
            "plan",
            "-var=env=ci",
            "-refresh=false",
            "-detailed-exitcode",
        ],
        0,
    );
    let target = format!("-target={BASE}");
    let replace = format!("-replace={BASE}");
    let r = tf(&["plan", "-var=env=ci", &target, &replace, "-json"], 1);
    r.err_has("unexpected argument '--json'");
    let plan = ["plan", "-var=env=ci", &target, &replace, "-format=json"];
    let summary = &json(&tf(&plan, 0).stdout)["summary"];
    assert_eq!(
        (&summary["replace"], &summary["update"]),
        (&1.into(), &0.into())
    );
    let r = tf(
        &[
            "destroy",
            "-auto-approve",
            "-var=env=ci",
            "-lock-timeout=5s",
        ],
        0,
    );
    r.out_has("Destroy complete! Resources: 3 destroyed.");
}

/// The quickstart's Huawei stack against a standalone sandbox.
fn served_quickstart() -> Served {
    Served::start(Env::huawei_quickstart(), "quickstart")
}

impl Served {
    /// The mutating calls since the last look, the counters reset.
    fn mutating_calls(&self) -> Vec<String> {
        let writes = self.writes();
        self.reset();
        writes
    }

    fn recorded(&self, key: &str) -> serde_json::Value {
        self.env.state_json("quickstart")["resources"][BASE]["attributes"]["values"][key].clone()
    }
}

#[test]
fn a_refresh_only_plan_records_drift_and_changes_nothing_in_the_cloud() {
    let w = served_quickstart();
    w.run(&["apply", "--auto-approve"], 0);
    assert!(
        !w.mutating_calls().is_empty(),
        "the counters see an apply's calls"
    );
    w.env.drift("base-staging", "9999");
    // a change in the config too, which a refresh-only plan leaves for a normal one
    w.env
        .edit_quickstart(&[("wait_timeout: \"600\"", "wait_timeout: \"700\"")]);
    let r = w.run(&["plan", "--refresh-only", "--detailed-exitcode"], 2);
    snap!("refresh_only_plan", r.stdout.clone());
    assert!(!r.stdout.contains("will be updated"), "{r:?}");
    let doc = json(
        &w.run(&["plan", "--refresh-only", "--format", "json"], 0)
            .stdout,
    );
    let count = |k: &str| doc[k].as_array().map_or(0, Vec::len);
    assert_eq!(
        (count("resource_changes"), count("resource_drift")),
        (0, 1),
        "{doc}"
    );
    w.run(&["plan", "-refresh-only", "-out=refresh.plan"], 0);
    w.mutating_calls();
    w.run(&["apply", "refresh.plan"], 0);
    assert_eq!(w.mutating_calls(), Vec::<String>::new());
    assert_eq!(w.recorded("max_connections"), "9999");
    assert_eq!(
        w.recorded("wait_timeout"),
        "600",
        "the config's change waits"
    );
    let r = w.run(&["plan", "--refresh-only", "--detailed-exitcode"], 0);
    r.out_has("No changes. Your infrastructure still matches the state.");
    // a normal plan then undoes the drift and makes the config's change
    let r = w.run(&["plan", "--detailed-exitcode"], 2);
    r.out_has("~ \"max_connections\" = \"9999\" -> \"500\"");
    r.out_has("~ \"wait_timeout\"    = \"600\" -> \"700\"");

    // apply --refresh-only in one step: approved, refreshed, recorded, nothing changed
    w.env.drift("base-staging", "1234");
    w.mutating_calls();
    let r = w.run(&["apply", "--refresh-only", "--auto-approve"], 0);
    r.out_has("This is a refresh-only plan");
    assert_eq!(w.mutating_calls(), Vec::<String>::new());
    assert_eq!(w.recorded("max_connections"), "1234");

    // an output the config adds is recorded, from the refreshed state
    let text = w.env.read("quickstart/main.yaml")
        + "  template_name: ${huaweicloud_rds_parameter_template.base.name}\n";
    w.env.write("quickstart/main.yaml", &text);
    let r = w.run(&["plan", "--refresh-only", "--detailed-exitcode"], 2);
    snap!("refresh_only_outputs", r.stdout.clone());
    w.run(&["apply", "--refresh-only", "--auto-approve"], 0);
    assert_eq!(w.mutating_calls(), Vec::<String>::new());
    let r = w.run(&["output", "-raw", "template_name"], 0);
    assert_eq!(r.stdout, "base-staging");

    // what it cannot be combined with
    w.run(&["plan", "--refresh-only", "--refresh=false"], 1)
        .err_has("--refresh-only plans what refresh finds");
    for other in [
        &["--destroy"][..],
        &["--target", BASE],
        &["--replace", BASE],
    ] {
        let r = w.run(&[&["plan", "--refresh-only"][..], other].concat(), 1);
        r.err_has("cannot be used with");
    }
    w.run(&["apply", "--refresh-only", "refresh.plan"], 1);
}

#[test]
fn apply_destroy_destroys_and_input_false_never_asks() {
    let env = Env::applied_quickstart();
    let quick =
        |args: &[&str], code: i32| env.ok(&[&["-C", "quickstart"][..], args].concat(), code);
    // without --auto-approve, --input=false refuses instead of asking
    let r = quick(&["apply", "--destroy", "-input=false"], 1);
    r.err_has("--input=false forbids asking: pass --auto-approve");
    quick(&["destroy", "--input=false"], 1).err_has("--input=false");
    quick(&["plan", "--out", "p.plan"], 0);
    quick(&["apply", "--destroy", "p.plan"], 1).err_has("cannot be used with");
    // --lock=false is accepted and said to be ignored: a write keeps the lock
    let r = quick(&["apply", "--destroy", "--auto-approve", "-lock=false"], 0);
    r.out_has("Destroy complete! Resources: 3 destroyed.");
    r.err_has("--lock=false: strata still locks the state");
    assert_eq!(env.made("parameter_template"), Vec::new());
}

#[test]
fn output_raw_and_json_as_terraform_prints_them() {
    let env = Env::new();
    let outputs = "outputs:\n  s: hello\n  n: 3\n  b: true\n  l: [1, a]\n  m: { a: 1, b: x }\n  id: ${huaweicloud_rds_parameter_template.db.id}\n  sec: { value: \"${huaweicloud_rds_parameter_template.db.name}\", sensitive: true }\n";
    env.one_template("s", "t1");
    let text = env.read("s/main.yaml") + outputs;
    env.write("s/main.yaml", &text);
    env.ok(&["-C", "s", "apply", "--auto-approve"], 0);
    let doc = json(&env.ok(&["-C", "s", "output", "--json"], 0).stdout);
    let id = doc["id"]["value"].clone();
    assert!(id.as_str().is_some_and(|s| !s.is_empty()), "{doc}");
    assert_eq!(
        doc,
        serde_json::json!({
            "b": { "sensitive": false, "type": "bool", "value": true },
            "id": { "sensitive": false, "type": "string", "value": id },
            "l": { "sensitive": false, "type": ["tuple", ["number", "string"]], "value": [1, "a"] },
            "m": { "sensitive": false, "type": ["object", { "a": "number", "b": "string" }], "value": { "a": 1, "b": "x" } },
            "n": { "sensitive": false, "type": "number", "value": 3 },
            "s": { "sensitive": false, "type": "string", "value": "hello" },
            "sec": { "sensitive": true, "type": "dynamic", "value": null },
        })
    );
    let raw = |name: &str, code: i32| env.ok(&["-C", "s", "output", "-raw", name], code);
    assert_eq!(raw("s", 0).stdout, "hello");
    assert_eq!(raw("n", 0).stdout, "3");
    assert_eq!(raw("b", 0).stdout, "true");
    raw("l", 1).err_has("output \"l\" is tuple: --raw prints only strings, numbers and booleans");
    raw("m", 1).err_has("is object");
    raw("sec", 1).err_has("is sensitive");
    assert!(!env
        .run(&["-C", "s", "output", "-raw", "sec"])
        .all()
        .contains("t1"));
    env.ok(&["-C", "s", "output", "-raw"], 1)
        .err_has("required");
}

#[test]
fn version_in_terraforms_shape() {
    let env = Env::new();
    let r = env.ok(&["version"], 0);
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        r.stdout.starts_with(&format!("strata v{version}\non ")),
        "{r:?}"
    );
    let doc = json(&env.ok(&["version", "-json"], 0).stdout);
    assert_eq!(doc["strata_version"], version);
    let platform = doc["platform"].as_str().expect("a platform");
    let re = regex::Regex::new("^[a-z0-9]+_[a-z0-9]+$").unwrap();
    assert!(re.is_match(platform), "{platform}");
    assert!(r.stdout.ends_with(&format!("on {platform}\n")), "{r:?}");
    let families = doc["provider_families"].as_array().expect("a list");
    assert!(families.contains(&"huaweicloud".into()), "{doc}");
}

#[test]
fn state_pull_prints_the_state_document() {
    let env = Env::huawei_quickstart();
    let r = env.ok(&["-C", "quickstart", "state", "pull"], 0);
    assert_eq!(
        r.stdout, "",
        "no state yet: nothing, as terraform state pull"
    );
    env.ok(&common::APPLY, 0);
    let pulled = json(&env.ok(&["-C", "quickstart", "state", "pull"], 0).stdout);
    let on_disk = env.state_json("quickstart");
    assert_eq!(pulled["lineage"], on_disk["lineage"]);
    assert_eq!(pulled["serial"], on_disk["serial"]);
    assert_eq!(pulled["resources"], on_disk["resources"]);
    // the fingerprint key stays in the backend
    assert!(on_disk.get("fingerprint_key").is_some());
    assert!(pulled.get("fingerprint_key").is_none());
    let shown = json(&env.ok(&["-C", "quickstart", "show", "--json"], 0).stdout);
    assert_eq!(pulled, shown);
}

#[test]
fn init_in_a_stack_checks_it_and_writes_nothing() {
    let env = Env::applied_quickstart();
    let before = env.read("quickstart/main.yaml");
    let r = env.ok(&["-C", "quickstart", "init", "-input=false"], 0);
    r.out_has("holds a stack already: nothing was written. Checked:");
    r.out_has("  - the configuration loads: 1 file, 3 resources, 1 data source, 2 outputs");
    r.out_has("  - provider families: huaweicloud — built in to strata");
    r.out_has("  - the state: state/quickstart.json, serial ");
    r.out_has("strata has been successfully initialized!");
    assert_eq!(env.read("quickstart/main.yaml"), before);
    let files = std::fs::read_dir(env.path().join("quickstart"))
        .unwrap()
        .count();
    assert_eq!(files, 1, "nothing was added");
    // a config that does not load fails init
    env.write("broken/main.yaml", "resources: [\n");
    env.ok(&["-C", "broken", "init", "-input=false"], 1)
        .err_has("the configuration does not load");
}

#[test]
fn validate_json_in_terraforms_shape() {
    let env = Env::new();
    env.stack(
        "bad",
        HUAWEI,
        "variables:\n  pw: { default: hunter22, sensitive: true, typo: 1 }\nresources:\n  bogus_type.x: {}\n  huaweicloud_rds_parameter_template.t:\n    name: \"bad name!\"\n    datastore: { type: MySQL, version: \"8.0\" }\n",
    );
    let r = env.ok(&["-C", "bad", "validate", "-json"], 1);
    assert!(!r.all().contains("hunter22"), "a sensitive default: {r:?}");
    let doc = json(&r.stdout);
    assert_eq!(doc["format_version"], "1.0");
    assert_eq!(doc["error_count"], 3);
    let d = &doc["diagnostics"][1];
    // the second error sits on line 6 of bad/main.yaml, `  bogus_type.x: {}`: after the
    // provider block's 74 bytes, the variables' 65 and `resources:`'s 11, and 2 blanks
    let start = serde_json::json!({"line": 6, "column": 3, "byte": 152});
    assert_eq!(d["range"]["start"], start);
    snap!("validate_json", r.stdout.clone());
    // a syntax error at the end of a file: an empty range past its last line break
    env.write("eof/main.yaml", "resources: [\n");
    let doc = json(&env.ok(&["-C", "eof", "validate", "-json"], 1).stdout);
    let at = serde_json::json!({"line": 2, "column": 1, "byte": 13});
    let range = &doc["diagnostics"][0]["range"];
    assert_eq!((&range["start"], &range["end"]), (&at, &at), "{doc}");
}
