//! Variables end to end, through the binary: the precedence of every source of a value, as
//! Terraform's (default < STRATA_VAR_* < strata.vars.yaml < *.auto.vars.yaml < --var-file and
//! --var in command-line order), auto-loaded files kept out of the config, type conversion and its errors,
//! validation rules, and saved plans made with values from variable files.

mod common;
use common::{Env, Run};

macro_rules! snap {
    ($name:expr, $text:expr) => {
        common::snapshot_settings().bind(|| insta::assert_snapshot!($name, $text))
    };
}

/// A stack `s` of one parameter template named after the variable `name`, whose
/// description is the sensitive variable `note`.
fn stack(env: &Env, variables: &str) {
    env.stack(
        "s",
        common::HUAWEI,
        &format!(
            "variables:\n{variables}resources:\n  huaweicloud_rds_parameter_template.t:\n    name: t-${{var.name}}\n    description: \"${{var.note}}\"\n    datastore: {{ type: MySQL, version: \"8.0\" }}\n"
        ),
    );
}

const VARS: &str = "  name: { default: default }\n  note: { default: none, sensitive: true }\n";

/// The planned name of the template.
fn planned_name(env: &Env, args: &[&str], envs: &[(&str, &str)]) -> String {
    let all = [&["-C", "s", "plan", "--format", "json"][..], args].concat();
    let r = env.ok_with(&all, envs, 0);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("plan JSON");
    let name = &doc["resource_changes"][0]["change"]["after"]["name"];
    name.as_str().unwrap_or_default().to_string()
}

#[test]
fn precedence_of_every_source() {
    let env = Env::new();
    stack(&env, VARS);
    let name = |args: &[&str], envs: &[(&str, &str)]| planned_name(&env, args, envs);
    assert_eq!(name(&[], &[]), "t-default");
    let envs = [("STRATA_VAR_name", "env")];
    assert_eq!(name(&[], &envs), "t-env");
    env.write("s/strata.vars.yaml", "name: base\n");
    assert_eq!(name(&[], &[]), "t-base");
    assert_eq!(
        name(&[], &envs),
        "t-base",
        "the environment is below every file"
    );
    env.write("s/b.auto.vars.yaml", "name: auto-b\n");
    assert_eq!(name(&[], &[]), "t-auto-b");
    env.write("s/a.auto.vars.yaml", "name: auto-a\n");
    assert_eq!(name(&[], &[]), "t-auto-b", "auto files in lexical order");
    env.write("one.yaml", "name: one\n");
    env.write("two.yaml", "name: two\n");
    let files = ["--var-file", "one.yaml", "--var-file", "two.yaml"];
    assert_eq!(name(&files[..2], &[]), "t-one");
    assert_eq!(name(&files, &[]), "t-two", "a later --var-file wins");
    let cli = [&files[..], &["--var", "name=cli"]].concat();
    assert_eq!(name(&cli, &envs), "t-cli");
    // --var and --var-file: the later on the command line wins, in either spelling
    let orders: [(&[&str], &str); 3] = [
        (&["-var", "name=cli", "-var-file=one.yaml"], "t-one"),
        (
            &[
                "--var-file=one.yaml",
                "-var=name=cli",
                "--var-file",
                "two.yaml",
            ],
            "t-two",
        ),
        (
            &[
                "--var-file=one.yaml",
                "--var-file=two.yaml",
                "-var",
                "name=cli",
            ],
            "t-cli",
        ),
    ];
    for (args, want) in orders {
        assert_eq!(name(args, &[]), want, "{args:?}");
    }
}

#[test]
fn auto_loaded_files_are_values_not_config() {
    let env = Env::new();
    stack(&env, VARS);
    // not a config file (its top-level keys are variable names), and left alone by fmt
    let messy = "name:    from-file   # spaced out\n";
    env.write("s/strata.vars.yaml", messy);
    env.write("s/x.auto.vars.yml", "note: quiet\n");
    let r = env.ok(&["-C", "s", "validate"], 0);
    r.out_has("(1 resource, 1 file)");
    env.ok(&["-C", "s", "fmt"], 0);
    env.ok(&["-C", "s", "fmt", "--check"], 0);
    assert_eq!(env.read("s/strata.vars.yaml"), messy);
    assert_eq!(planned_name(&env, &[], &[]), "t-from-file");
    // a name no variable declares: the file, the line, did you mean
    env.write("s/strata.vars.yaml", "# values\nname: x\nnmae: y\n");
    let r = env.ok(&["-C", "s", "plan"], 1);
    r.err_has("s/strata.vars.yaml:3: no variable named \"nmae\" is declared\n  hint: did you mean \"name\"?");
    // a file that is not a mapping
    env.write("s/strata.vars.yaml", "- name\n");
    let r = env.ok(&["-C", "s", "validate"], 1);
    r.err_has("s/strata.vars.yaml:1: a variable file must be a mapping of variable names to values, not a list");
}

#[test]
fn a_missing_or_broken_var_file_is_named() {
    let env = Env::new();
    stack(&env, VARS);
    let r = env.ok(&["-C", "s", "plan", "--var-file", "nosuch.yaml"], 1);
    r.err_has("Error: nosuch.yaml: variable file: cannot read the file");
    r.err_has("a --var-file path is relative to the current directory");
    env.write("bad.yaml", "name: [\n");
    let r = env.ok(&["-C", "s", "validate", "--var-file", "bad.yaml"], 1);
    r.err_has("Error: bad.yaml:2: YAML syntax error");
    // every command that takes --var takes --var-file
    for cmd in ["validate", "plan", "apply", "destroy", "refresh", "import"] {
        let r = env.run(&[cmd, "--help"]);
        assert!(r.stdout.contains("--var-file <FILE>"), "{cmd}: {r:?}");
    }
}

/// A stack whose variables have types and rules.
fn typed(env: &Env) {
    env.stack(
        "s",
        common::HUAWEI,
        "variables:
  env:
    type: string
    default: dev
    validation:
      - condition: \"${contains([\\\"dev\\\", \\\"staging\\\", \\\"prod\\\"], var.env)}\"
        error_message: env must be dev, staging or prod
  connections: { type: number, default: 100 }
  port: { type: number, sensitive: true, default: 5432 }
  teams:
    type: map(object({ size = number, zones = optional(set(string), []) }))
    default: {}
  password:
    type: string
    sensitive: true
    default: long-enough-default
    validation:
      - { condition: \"${length(var.password) >= 12}\", error_message: the password needs 12 characters or more }
resources:
  huaweicloud_rds_parameter_template.t:
    name: t-${var.env}
    description: \"${var.password}\"
    values: { max_connections: \"${var.connections}\" }
    datastore: { type: MySQL, version: \"8.0\" }
",
    );
}

#[test]
fn types_convert_values_from_every_source() {
    let env = Env::new();
    typed(&env);
    env.write(
        "prod.yaml",
        "env: prod\nconnections: \"500\"\nteams:\n  a: { size: \"3\", zones: [z2, z1, z2] }\n",
    );
    let r = env.ok(
        &[
            "-C",
            "s",
            "plan",
            "--format",
            "json",
            "--var-file",
            "prod.yaml",
        ],
        0,
    );
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let after = &doc["resource_changes"][0]["change"]["after"];
    assert_eq!(after["name"], "t-prod");
    assert_eq!(after["values"]["max_connections"], "500");
    let r = env.ok(
        &[
            "-C",
            "s",
            "plan",
            "--var",
            "teams={b: {size: 2}}",
            "--var",
            "connections=7",
        ],
        0,
    );
    r.out_has("max_connections");
}

#[test]
fn conversion_errors_name_the_variable_the_source_and_the_path() {
    let env = Env::new();
    typed(&env);
    env.write(
        "prod.yaml",
        "# the production values\nenv: prod\nteams:\n  a:\n    size: big\n    zones: z1\n  b: { size: 1, colour: red }\n  c: { zones: [] }\n",
    );
    let r = env.ok_with(
        &[
            "-C",
            "s",
            "plan",
            "--var-file",
            "prod.yaml",
            "--var",
            "connections=many",
        ],
        &[("STRATA_VAR_port", "s3cret-port")],
        1,
    );
    assert!(!r.stderr.contains("s3cret"), "{r:?}");
    snap!("variables_conversion_errors", r.stderr);
}

#[test]
fn validation_failures_name_the_variable_its_source_and_the_message() {
    let env = Env::new();
    typed(&env);
    env.ok(&["-C", "s", "validate"], 0);
    env.write("qa.yaml", "# qa\nenv: qa\n");
    let secret = "short-pw";
    let r = env.ok_with(
        &["-C", "s", "plan", "--var-file", "qa.yaml"],
        &[("STRATA_VAR_password", secret)],
        1,
    );
    assert!(!r.all().contains(secret), "{r:?}");
    snap!("variables_validation_failures", r.stderr);
    // validate checks the rules too when the value is known, and skips them when not
    let r = env.ok(&["-C", "s", "validate", "--var", "env=test"], 1);
    r.err_has("variable \"env\" from --var env is not valid: env must be dev, staging or prod");
    env.write("s/strata.vars.yaml", "env: nope\n");
    let r = env.ok(&["-C", "s", "validate"], 1);
    r.err_has("s/strata.vars.yaml:1: variable \"env\" from s/strata.vars.yaml is not valid");
}

#[test]
fn bad_types_and_rules_are_errors_at_validate() {
    let env = Env::new();
    env.stack(
        "s",
        common::HUAWEI,
        "variables:\n  a: { type: \"map(strng)\" }\n  b:\n    validation:\n      - { condition: \"${var.a == \\\"x\\\"}\", error_message: m }\n",
    );
    let r = env.ok(&["-C", "s", "validate"], 1);
    r.err_has("s/main.yaml:4: variables.a.type: \"map(strng)\" is not a type: unknown type \"strng\" at column 5: did you mean \"string\"?");
    r.err_has("s/main.yaml:7: variables.b.validation.0.condition: the condition may refer only to var.b (and call functions), not to ${var.a}");
}

/// `plan --out` with values from a variable file: the sensitive one only as a fingerprint.
fn saved_with_var_file(env: &Env, secret: &str) {
    stack(
        env,
        "  name: { default: default }\n  note: { sensitive: true }\n",
    );
    env.write("v.yaml", &format!("name: from-file\nnote: {secret}\n"));
    env.ok(
        &["-C", "s", "plan", "--var-file", "v.yaml", "--out", "p.json"],
        0,
    );
    let saved = env.read("p.json");
    assert!(
        !saved.contains(secret),
        "the sensitive value is never saved"
    );
    assert!(saved.contains("from-file"));
}

#[test]
fn saved_plans_record_var_file_values_like_var_values() {
    let env = Env::new();
    let secret = "S3cr3t-from-a-var-file";
    saved_with_var_file(&env, secret);
    let apply =
        |more: &[&str]| -> Run { env.run(&[&["-C", "s", "apply"], more, &["p.json"]].concat()) };
    let r = apply(&[]);
    assert_eq!(r.code, 1, "{r:?}");
    r.err_has("needs the sensitive variable \"note\"");
    env.write("other.yaml", "note: another-secret\n");
    let r = apply(&["--var-file", "other.yaml"]);
    assert_eq!(r.code, 1, "{r:?}");
    r.err_has("stale plan: the sensitive variable \"note\" has a different value");
    env.write("changed.yaml", &format!("name: changed\nnote: {secret}\n"));
    let r = apply(&["--var-file", "changed.yaml"]);
    assert_eq!(r.code, 1, "{r:?}");
    r.err_has("--var-file changed.yaml: \"name\" differs from the value the plan was made with");
    let r = apply(&["--var-file", "v.yaml"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(!r.all().contains(secret));
    assert_eq!(env.made_names("parameter_template"), ["t-from-file"]);
}

#[test]
fn a_saved_plan_takes_its_sensitive_value_from_an_auto_loaded_file() {
    let env = Env::new();
    let secret = "S3cr3t-auto";
    saved_with_var_file(&env, secret);
    // the non-sensitive value the auto file gives is ignored: the plan fixes it
    env.write(
        "s/strata.vars.yaml",
        &format!("note: {secret}\nname: ignored\n"),
    );
    env.ok(&["-C", "s", "apply", "p.json"], 0);
    assert_eq!(env.made_names("parameter_template"), ["t-from-file"]);
}

#[test]
fn the_json_schema_describes_type_and_validation() {
    let env = Env::new();
    let r = env.ok(&["schema", "--json"], 0);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let var = &doc["properties"]["variables"]["additionalProperties"]["properties"];
    assert_eq!(var["type"]["type"], serde_json::json!(["string", "null"]));
    assert!(var["type"]["description"]
        .as_str()
        .unwrap()
        .contains("list(T)"));
    let rule = &var["validation"]["items"];
    assert_eq!(
        rule["required"],
        serde_json::json!(["condition", "error_message"])
    );
}

#[test]
fn a_typed_sensitive_default_is_withheld_from_a_saved_plan_and_converted_again() {
    let env = Env::new();
    env.stack(
        "s",
        common::HUAWEI,
        "variables:\n  port:\n    type: number\n    sensitive: true\n    default: 5432\n    validation:\n      - { condition: \"${var.port > 1024}\", error_message: not a privileged port }\nresources:\n  huaweicloud_rds_parameter_template.t:\n    name: t\n    description: \"port ${var.port + 1}\"\n    datastore: { type: MySQL, version: \"8.0\" }\n",
    );
    env.ok(&["-C", "s", "plan", "--out", "p.json"], 0);
    assert!(!env.read("p.json").contains("5432"));
    env.ok(&["-C", "s", "apply", "p.json"], 0);
    assert_eq!(env.made_names("parameter_template"), ["t"]);
}
