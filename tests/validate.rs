//! Every class of bad input through `strata validate` (and `plan`): each problem reported with
//! file, line, address and attribute, all of them at once, exit 1, never a panic.

mod common;
use common::Env;

const PROVIDER: &str = common::HUAWEI;

fn validate(files: &[(&str, &str)]) -> common::Run {
    let env = Env::new();
    for (name, text) in files {
        env.write(&format!("stack/{name}"), text);
    }
    let r = env.ok(&["-C", "stack", "validate"], 1);
    assert!(!r.stderr.contains("panicked"), "{r:?}");
    r
}

/// `validate` refuses `files`, reporting each of `needles`.
fn refused(files: &[(&str, &str)], needles: &[&str]) {
    let r = validate(files);
    for needle in needles {
        has(&r, needle);
    }
}

fn has(r: &common::Run, needle: &str) {
    assert!(r.stderr.contains(needle), "missing {needle:?} in:\n{r:?}");
}

#[test]
fn yaml_syntax_error_names_file_and_line() {
    refused(
        &[("main.yaml", "resources:\n  a.b: [\n")],
        &["stack/main.yaml:3: YAML syntax error"],
    );
}

#[test]
fn top_level_must_be_a_mapping() {
    refused(
        &[("main.yaml", "- a\n- b\n")],
        &["stack/main.yaml:1: the top level must be a mapping"],
    );
}

#[test]
fn empty_directory() {
    let env = Env::new();
    std::fs::create_dir_all(env.path().join("empty")).unwrap();
    let r = env.ok(&["-C", "empty", "validate"], 1);
    r.err_has("no *.yaml or *.yml files");
    let r = env.ok(&["-C", "missing-dir", "validate"], 1);
    r.err_has("cannot read the config directory");
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = format!(
        "{PROVIDER}resources:
  huaweicloud_rds_parameter_template.one:
    nmae: x
    description: \"bad <chars>\"
    datastore: {{ type: Oracle, version: \"1\" }}
    values: {{ a: [1] }}
  huaweicloud_rds_parameter_template.two:
    name: \"${{var.nope}}\"
    clone: {{ source: \"${{huaweicloud_rds_parameter_template.one.idd}}\" }}
    depends_on: [huaweicloud_rds_parameter_template.zzz]
    lifecycle: {{ ignore_changes: [nam] }}
    timeouts: {{ create: soon }}
  huaweicloud_rds_paramter_template.typo:
    name: x
outputs:
  o: ${{huaweicloud_rds_parameter_template.ghost.id}}
unknown_section: 1
"
    );
    let r = validate(&[("main.yaml", &text)]);
    let f = "stack/main.yaml";
    has(
        &r,
        &format!("{f}:5: huaweicloud_rds_parameter_template.one.nmae: unknown argument"),
    );
    has(&r, "did you mean \"name\"?");
    has(
        &r,
        &format!("{f}:4: huaweicloud_rds_parameter_template.one.name: missing required argument"),
    );
    has(
        &r,
        &format!("{f}:6: huaweicloud_rds_parameter_template.one.description: contains '<', '>'"),
    );
    has(&r, &format!("{f}:7: huaweicloud_rds_parameter_template.one.datastore.type: \"Oracle\" is not one of"));
    has(
        &r,
        &format!(
            "{f}:8: huaweicloud_rds_parameter_template.one.values.a: expected string, got list"
        ),
    );
    has(&r, &format!("{f}:10: huaweicloud_rds_parameter_template.two.name: ${{var.nope}}: no variable named \"nope\""));
    has(
        &r,
        "huaweicloud_rds_parameter_template has no attribute \"idd\"",
    );
    has(&r, &format!("{f}:12: huaweicloud_rds_parameter_template.two.depends_on: huaweicloud_rds_parameter_template.zzz is not declared"));
    has(&r, &format!("{f}:13: huaweicloud_rds_parameter_template.two.lifecycle.ignore_changes: \"nam\" is not an argument"));
    has(&r, &format!("{f}:14: huaweicloud_rds_parameter_template.two.timeouts.create: \"soon\" is not a duration"));
    has(
        &r,
        &format!("{f}:15: huaweicloud_rds_paramter_template.typo: unknown resource type"),
    );
    has(
        &r,
        &format!(
            "{f}:18: outputs.o: ${{huaweicloud_rds_parameter_template.ghost.id}}: no resource"
        ),
    );
    has(
        &r,
        &format!("{f}:19: unknown top-level section \"unknown_section\""),
    );
    has(&r, "13 errors found");
}

#[test]
fn address_defined_in_two_files() {
    let block = "resources:\n  huaweicloud_rds_parameter_template.a:\n    name: a\n    datastore: { type: MySQL, version: \"8.0\" }\n";
    refused(
        &[("a.yaml", &format!("{PROVIDER}{block}")), ("b.yml", block)],
        &[
            "stack/b.yml:2: huaweicloud_rds_parameter_template.a: huaweicloud_rds_parameter_template.a is defined twice: in stack/a.yaml and in stack/b.yml",
        ],
    );
}

#[test]
fn dependency_cycle_is_printed_as_a_path() {
    let mut text = PROVIDER.to_string() + "resources:\n";
    for (me, next) in [("a", "c"), ("b", "a"), ("c", "b")] {
        text += &format!(
            "  huaweicloud_rds_parameter_template.{me}:\n    name: \"${{huaweicloud_rds_parameter_template.{next}.name}}\"\n    datastore: {{ type: MySQL, version: \"8.0\" }}\n"
        );
    }
    refused(
        &[("main.yaml", &text)],
        &[
            "dependency cycle: huaweicloud_rds_parameter_template.a -> huaweicloud_rds_parameter_template.b -> huaweicloud_rds_parameter_template.c -> huaweicloud_rds_parameter_template.a",
        ],
    );
}

#[test]
fn api_rules_are_checked_before_any_call() {
    let text = format!(
        "{PROVIDER}resources:
  huaweicloud_rds_parameter_template.a:
    name: \"{}\"
    description: \"{}\"
    datastore: {{ type: MySQL, version: \"8.0\" }}
  huaweicloud_rds_parameter_template.b:
    name: \"with space\"
    clone: {{ source: x }}
",
        "n".repeat(65),
        "d".repeat(257)
    );
    refused(
        &[("main.yaml", &text)],
        &[
            "huaweicloud_rds_parameter_template.a.name: \"nnnn",
            "is not valid: a parameter template name is 1–64 characters",
            "huaweicloud_rds_parameter_template.a.description: is 257 characters long: must be 0–256 characters",
            "huaweicloud_rds_parameter_template.b.name: \"with space\" is not valid",
        ],
    );
}

#[test]
fn provider_missing_and_wrong_types() {
    refused(
        &[(
            "main.yaml",
            "resources:\n  huaweicloud_rds_parameter_template.a:\n    name: [x]\n    datastore: { type: MySQL, version: \"8.0\" }\n",
        )],
        &[
            "provider \"huaweicloud\" is not configured",
            "huaweicloud_rds_parameter_template.a.name: expected string, got list",
        ],
    );
}

#[test]
fn rules_apply_to_interpolated_values_at_plan_time() {
    let env = Env::new();
    env.write(
        "stack/main.yaml",
        &format!(
            "{PROVIDER}variables:\n  suffix: {{ default: ok }}\nresources:\n  huaweicloud_rds_parameter_template.a:\n    name: \"t-${{var.suffix}}\"\n    datastore: {{ type: MySQL, version: \"8.0\" }}\n"
        ),
    );
    env.ok(&["-C", "stack", "validate"], 0);
    let r = env.ok(&["-C", "stack", "plan", "--var", "suffix=not ok!"], 1);
    r.err_has("\"t-not ok!\" is not valid");
    let r = env.ok(&["-C", "stack", "plan", "--var", "nosuch=1"], 1);
    r.err_has("no variable named \"nosuch\" is declared");
}

#[test]
fn validate_json_lists_diagnostics() {
    let env = Env::new();
    env.write("stack/main.yaml", "resources:\n  bogus_type.x: {}\n");
    let r = env.ok(&["-C", "stack", "validate", "--json"], 1);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["valid"], false);
    let d = &doc["diagnostics"][0];
    assert_eq!(d["range"]["filename"], "stack/main.yaml");
    assert_eq!(d["range"]["start"]["line"], 2);
    assert_eq!(d["address"], "bogus_type.x");
}

#[test]
fn arbitrary_garbage_never_panics() {
    let env = Env::new();
    let inputs: &[&[u8]] = &[
        b"\xff\xfe\x00garbage",
        b"resources: 5",
        b"resources:\n  ? [a, b]\n  : 1\n",
        b"resources: { a.b.c.d: {} }",
        b"resources: { huaweicloud_rds_parameter_template.x: { name: \"${\" } }",
        b"resources: { huaweicloud_rds_parameter_template.x: { name: \"${a.b[99999999999999999999]}\" } }",
        b"variables: { v: 3 }\noutputs: { o: ${var.v} }",
        b"&a [*a, *a]",
        b"!!binary aGVsbG8=",
        b"outputs: { o: { value: 1, sensitive: maybe } }",
        b"data: { huaweicloud_rds_parameter_template.d: {} }",
        b"backend: { type: ftp }",
        b"---\na: 1\n---\nb: 2\n",
    ];
    for (i, input) in inputs.iter().enumerate() {
        let dir = format!("g{i}");
        std::fs::create_dir_all(env.path().join(&dir)).unwrap();
        std::fs::write(env.path().join(&dir).join("main.yaml"), input).unwrap();
        let r = env.run(&["-C", &dir, "validate"]);
        assert!(!r.stderr.contains("panicked"), "input {i}: {r:?}");
        assert!(r.code == 0 || r.code == 1, "input {i}: {r:?}");
        if r.code == 1 {
            assert!(
                r.stderr.contains("Error: g"),
                "input {i} has no located error: {r:?}"
            );
        }
    }
}

// ---- the language's own keys, checked from one table (issue 14) ----

#[test]
fn an_output_with_a_misspelt_key_is_an_error_not_a_map_value() {
    // Before: any key besides value/sensitive/description turned the whole mapping into the
    // output's value, so `sensitive: maybe` (and the secret's flag) was silently dropped.
    refused(
        &[(
            "main.yaml",
            "variables:\n  pw: { sensitive: true, default: x }\noutputs:\n  o:\n    value: ${var.pw}\n    sensitive: maybe\n    descripton: the password\n",
        )],
        &[
            "stack/main.yaml:6: outputs.o.sensitive: expected true or false, got a string",
            "stack/main.yaml:7: unknown key \"descripton\" in an output",
            "did you mean \"description\"",
        ],
    );
}

#[test]
fn an_output_with_sensitive_but_no_value_is_an_error() {
    refused(
        &[(
            "main.yaml",
            "outputs:\n  o:\n    vaule: x\n    sensitive: true\n",
        )],
        &[
            "stack/main.yaml:3: unknown key \"vaule\" in an output",
            "an output with sensitive: needs value:",
        ],
    );
}

#[test]
fn a_variable_key_of_the_wrong_type_says_what_is_expected() {
    let r = validate(&[(
        "main.yaml",
        "variables:\n  v:\n    sensitive: maybe\n    description: [a]\n",
    )]);
    has(
        &r,
        "stack/main.yaml:3: variables.v.sensitive: expected true or false, got a string",
    );
    has(
        &r,
        "stack/main.yaml:4: variables.v.description: expected a string, got a list",
    );
}

// ---- every numeric setting range-checked (issue 14) ----

#[test]
fn a_number_too_large_for_an_integer_is_out_of_range_not_accepted() {
    // Before: a value above i64::MAX skipped the range check (max_concurrency became a
    // semaphore of usize::MAX).
    refused(
        &[(
            "main.yaml",
            "providers:\n  huaweicloud: { region: r, project_id: p, endpoint: sandbox, max_concurrency: 18446744073709551615 }\n  alicloud: { region: cn-hangzhou, endpoint: sandbox }\nresources:\n  alicloud_gpdb_instance.w:\n    zone_id: cn-hangzhou-i\n    engine_version: \"6.0\"\n    instance_spec: 4C32G\n    seg_node_num: 18446744073709551614\n    storage_size: 200\n",
        )],
        &[
            "stack/main.yaml:2: providers.huaweicloud.max_concurrency: 18446744073709551615 is out of range: must be 1–256",
            "stack/main.yaml:9: alicloud_gpdb_instance.w.seg_node_num: 18446744073709551614 is out of range: must be 2–512 in steps of 2",
        ],
    );
}

#[test]
fn ids_must_be_positive() {
    refused(
        &[(
            "main.yaml",
            "providers:\n  alicloud: { region: cn-hangzhou, endpoint: sandbox }\n  commvault: { endpoint: sandbox }\nresources:\n  alicloud_dataworks_data_source.d:\n    clone: { source: 16036 }\n    project_id: -5\n  commvault_postgresql_instance.c:\n    client_name: c\n    instance_name: i\n    application_id: 0\n",
        )],
        &[
            "stack/main.yaml:7: alicloud_dataworks_data_source.d.project_id: -5 is out of range: must be at least 1",
            "commvault_postgresql_instance.c.application_id: 0 is out of range: must be at least 1",
        ],
    );
}

#[test]
fn max_concurrency_from_a_variable_is_range_checked() {
    let text = "variables:\n  mc: { default: -1 }\nproviders:\n  huaweicloud: { region: r, project_id: p, endpoint: sandbox, max_concurrency: \"${var.mc}\" }\n";
    let r = validate(&[("main.yaml", text)]);
    has(
        &r,
        "stack/main.yaml:4: providers.huaweicloud.max_concurrency: -1 is out of range: must be 1–256",
    );
    let env = Env::new();
    env.write("stack/main.yaml", text);
    for given in ["mc=0", "mc=257", "mc=99999999999999999999999"] {
        let r = env.run(&["-C", "stack", "validate", "--var", given]);
        assert_eq!(r.code, 1, "{given}: {r:?}");
        assert!(r.stderr.contains("max_concurrency"), "{given}: {r:?}");
    }
}

#[test]
fn timeouts_of_zero_or_below_are_errors() {
    let r = validate(&[(
        "main.yaml",
        &format!("{PROVIDER}resources:\n  huaweicloud_rds_parameter_template.a:\n    name: a\n    datastore: {{ type: MySQL, version: \"8.0\" }}\n    timeouts: {{ create: 0, update: -5, delete: 0s, read: 721h }}\n"),
    )]);
    let at = "stack/main.yaml:7: huaweicloud_rds_parameter_template.a.timeouts";
    has(&r, &format!("{at}.create: \"0\" is not a duration"));
    has(&r, &format!("{at}.update: \"-5\" is not a duration"));
    has(&r, &format!("{at}.delete: \"0s\" is not a duration"));
    has(&r, &format!("{at}.read: \"721h\" is too long"));
}

#[test]
fn parallelism_and_lock_timeout_flags_are_range_checked() {
    let env = Env::new();
    env.write("stack/main.yaml", PROVIDER);
    let cases: &[(&[&str], &str)] = &[
        (
            &["apply", "--auto-approve", "--parallelism", "0"],
            "must be 1–256",
        ),
        (
            &["apply", "--auto-approve", "--parallelism", "100000"],
            "must be 1–256",
        ),
        (
            &["destroy", "--auto-approve", "--parallelism", "0"],
            "must be 1–256",
        ),
        (&["plan", "--parallelism", "0"], "must be 1–256"),
        (&["refresh", "--parallelism", "257"], "must be 1–256"),
        (
            &["apply", "--auto-approve", "--lock-timeout=-5s"],
            "--lock-timeout",
        ),
        (
            &["apply", "--auto-approve", "--lock-timeout", "721h"],
            "at most 720h",
        ),
    ];
    for (args, needle) in cases {
        let mut all = vec!["-C", "stack"];
        all.extend_from_slice(args);
        let r = env.run(&all);
        assert_ne!(r.code, 0, "{args:?}: {r:?}");
        assert!(r.stderr.contains(needle), "{args:?}: {r:?}");
        assert!(!r.stderr.contains("Apply complete"), "{args:?}: {r:?}");
    }
}
