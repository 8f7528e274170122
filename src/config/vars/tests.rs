//! Unit tests of variable resolution: precedence, conversion with the value's source, the
//! names files and `--var` give, and validation rules.

use super::*;
use crate::config::SourceFile;

fn config(vars: &str) -> Config {
    let files = vec![SourceFile {
        path: "main.yaml".into(),
        text: format!("variables:\n{vars}"),
        module: String::new(),
    }];
    let (cfg, diags) = crate::config::load_sources(std::path::Path::new("."), "s", files);
    assert!(!diags.has_errors(), "{diags}");
    cfg
}

fn file(path: &str, text: &str, auto: bool) -> VarFile {
    VarFile::parse(path.into(), text, auto).unwrap()
}

fn run(cfg: &Config, files: &[VarFile], cli: &[(&str, &str)], env: &[(&str, &str)]) -> Resolved {
    run_ordered(cfg, files, cli, &[], env)
}

/// `run`, with each `--var` after `files_before[i]` of the `--var-file`s.
fn run_ordered(
    cfg: &Config,
    files: &[VarFile],
    cli: &[(&str, &str)],
    files_before: &[usize],
    env: &[(&str, &str)],
) -> Resolved {
    let cli: Vec<(String, String)> = cli
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let env = |k: &str| {
        env.iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.to_string())
    };
    let given = Given {
        files,
        cli: &cli,
        files_before,
        env: &env,
    };
    let mut r = resolve_given(cfg, &given, Missing::Error);
    cfg.resolve_lines(&mut r.diags);
    r
}

fn messages(r: &Resolved) -> Vec<String> {
    r.diags.0.iter().map(|d| d.to_string()).collect()
}

#[test]
fn precedence_from_default_to_the_command_line() {
    let cfg = config("  v: { default: default }\n");
    let base = file("strata.vars.yaml", "v: base\n", true);
    let auto_a = file("a.auto.vars.yaml", "v: auto-a\n", true);
    let auto_b = file("b.auto.vars.yaml", "v: auto-b\n", true);
    let one = file("one.yaml", "v: one\n", false);
    let two = file("two.yaml", "v: two\n", false);
    let all = [base, auto_a, auto_b, one, two];
    let env = [("STRATA_VAR_v", "env")];
    let cli = [("v", "cli-1"), ("v", "cli-2")];
    let got = |n: usize, env: &[(&str, &str)], cli: &[(&str, &str)]| {
        let r = run(&cfg, &all[..n], cli, env);
        assert!(r.diags.is_empty(), "{:?}", messages(&r));
        (r.vars["v"].value.clone(), r.sources["v"].describe("v"))
    };
    let s = |v: &str, from: &str| (Value::str(v), from.to_string());
    assert_eq!(got(0, &[], &[]), s("default", "its default"));
    assert_eq!(got(0, &env, &[]), s("env", "STRATA_VAR_v"));
    // as in Terraform, the environment is below every variable file
    assert_eq!(got(1, &env, &[]), s("base", "strata.vars.yaml"));
    assert_eq!(got(3, &[], &[]), s("auto-b", "b.auto.vars.yaml"));
    assert_eq!(got(4, &[], &[]), s("one", "one.yaml"));
    assert_eq!(got(5, &[], &[]), s("two", "two.yaml"));
    assert_eq!(got(5, &env, &[]), s("two", "two.yaml"));
    assert_eq!(got(5, &env, &cli), s("cli-2", "--var v"));
    // --var and --var-file: the later on the command line wins
    let ordered = |files_before: &[usize]| {
        let r = run_ordered(&cfg, &all, &cli, files_before, &env);
        (r.vars["v"].value.clone(), r.sources["v"].describe("v"))
    };
    assert_eq!(ordered(&[0, 0]), s("two", "two.yaml"));
    assert_eq!(ordered(&[0, 1]), s("two", "two.yaml"));
    assert_eq!(ordered(&[1, 2]), s("cli-2", "--var v"));
    // a null in a file is "not given"
    let unset = file("n.yaml", "v: null\n", false);
    let r = run(&cfg, &[all[0].clone(), unset], &[], &[]);
    assert_eq!(r.vars["v"].value, Value::str("base"));
}

#[test]
fn values_are_converted_to_the_type_and_problems_name_the_source() {
    let cfg = config(
        "  n: { type: number, default: \"3\" }\n  tags: { type: set(string) }\n  teams:\n    type: map(object({ size = number, zone = optional(string, \"a\") }))\n",
    );
    let f = file(
        "team.vars.yaml",
        "tags: [b, a, b]\nteams:\n  x: { size: \"2\" }\n",
        false,
    );
    let r = run(&cfg, std::slice::from_ref(&f), &[], &[]);
    assert!(r.diags.is_empty(), "{:?}", messages(&r));
    assert_eq!(r.vars["n"].value, Value::int(3));
    assert_eq!(
        r.vars["tags"].value,
        Value::List(vec![Value::str("a"), Value::str("b")])
    );
    let team = r.vars["teams"].value.get("x").unwrap();
    assert_eq!(team.get("size"), Some(&Value::int(2)));
    assert_eq!(team.get("zone"), Some(&Value::str("a")));

    let bad = file(
        "team.vars.yaml",
        "tags: x\nteams:\n  x:\n    size: big\n  y: { size: 1, colour: red }\n",
        false,
    );
    let r = run(&cfg, &[bad], &[("n", "many")], &[]);
    assert_eq!(
        messages(&r),
        [
            "Error: main.yaml:2: variable \"n\" from --var n: \"many\" is not a number",
            "Error: team.vars.yaml:1: variable \"tags\" from team.vars.yaml: expected a set (written as a list), got a string",
            "Error: team.vars.yaml:4: variable \"teams\" from team.vars.yaml: teams[\"x\"].size: \"big\" is not a number",
            "Error: team.vars.yaml:5: variable \"teams\" from team.vars.yaml: teams[\"y\"]: unexpected attribute \"colour\" (the attributes are: size, zone)",
        ]
    );
}

#[test]
fn a_bad_default_is_reported_even_when_another_value_is_given() {
    let cfg = config("  n:\n    type: number\n    default: lots\n  s: { type: number, sensitive: true, default: hunter2 }\n");
    let r = run(&cfg, &[], &[("n", "1")], &[]);
    assert_eq!(
        messages(&r),
        [
            "Error: main.yaml:4: variable \"n\" from its default: \"lots\" is not a number",
            "Error: main.yaml:5: variable \"s\" from its default: the sensitive value is not a number",
        ]
    );
    assert!(!messages(&r).concat().contains("hunter2"));
}

#[test]
fn names_no_variable_declares_are_errors_with_their_line() {
    let cfg = config("  env: {}\n");
    let f = file("x.auto.vars.yaml", "env: a\nenvv: b\n", true);
    let r = run(&cfg, &[f], &[("nope", "1")], &[]);
    let m = messages(&r);
    assert_eq!(m.len(), 2, "{m:?}");
    assert!(
        m[0].contains("--var nope: no variable named \"nope\" is declared"),
        "{m:?}"
    );
    assert_eq!(
        m[1],
        "Error: x.auto.vars.yaml:2: no variable named \"envv\" is declared\n  hint: did you mean \"env\"?"
    );
}

#[test]
fn unset_variables_are_errors_or_unknown() {
    let cfg = config("  a: {}\n");
    let r = run(&cfg, &[], &[], &[]);
    assert!(messages(&r)[0].contains("variable \"a\" has no value"));
    let (vars, diags) = resolve(&cfg, &[], &|_| None, Missing::Unknown);
    assert!(diags.is_empty());
    assert_eq!(vars["a"].value, Value::Unknown);
}

#[test]
fn validation_rules_are_checked_with_the_source_named() {
    let cfg = config(
        "  env:\n    default: dev\n    validation:\n      - condition: \"${contains([\\\"dev\\\", \\\"prod\\\"], var.env)}\"\n        error_message: env is dev or prod\n      - { condition: \"${length(var.env) < 5}\", error_message: at most 4 characters }\n  pw:\n    sensitive: true\n    validation:\n      - { condition: \"${length(var.pw) >= 8}\", error_message: the password is too short }\n",
    );
    let r = run(&cfg, &[], &[("pw", "long-enough")], &[]);
    assert!(r.diags.is_empty(), "{:?}", messages(&r));
    let f = file("prod.vars.yaml", "# prod\nenv: staging\n", false);
    let r = run(&cfg, &[f], &[], &[("STRATA_VAR_pw", "short")]);
    assert_eq!(
        messages(&r),
        [
            "Error: prod.vars.yaml:2: variable \"env\" from prod.vars.yaml is not valid: env is dev or prod",
            "Error: prod.vars.yaml:2: variable \"env\" from prod.vars.yaml is not valid: at most 4 characters",
            "Error: main.yaml:11: variable \"pw\" from STRATA_VAR_pw is not valid: the password is too short",
        ]
    );
    let r = run(&cfg, &[], &[("pw", "x"), ("env", "test")], &[]);
    assert!(messages(&r)[0]
        .starts_with("Error: main.yaml:5: variable \"env\" from --var env is not valid"));
    // unknown (validate without a value): skipped
    let (_, diags) = resolve(&cfg, &[], &|_| None, Missing::Unknown);
    assert!(diags.is_empty(), "{diags}");
}

#[test]
fn bad_rules_are_errors_at_load() {
    let load = |rules: &str| {
        let files = vec![SourceFile {
            path: "main.yaml".into(),
            text: format!("variables:\n  v:\n    validation:\n{rules}"),
            module: String::new(),
        }];
        let (_, diags) = crate::config::load_sources(std::path::Path::new("."), "s", files);
        diags
            .0
            .iter()
            .map(|d| d.message.clone())
            .collect::<Vec<_>>()
    };
    let cases = [
        (
            "      - { condition: \"${var.w}\", error_message: m }\n",
            "may refer only to var.v (and call functions), not to ${var.w}",
        ),
        (
            "      - { condition: \"${length(var.v) > 1}\" }\n",
            "the validation rule needs error_message",
        ),
        (
            "      - { error_message: m }\n",
            "the validation rule needs condition",
        ),
        (
            "      - { condition: always, error_message: m }\n",
            "must be true or false, not a string",
        ),
        (
            "      - { condition: \"${var.v ==}\", error_message: m }\n",
            "syntax error",
        ),
        (
            "      - { condition: \"${true}\", error_message: m, message: x }\n",
            "unknown key \"message\" in a validation rule",
        ),
        ("      - just text\n", "a validation rule must be a mapping"),
        ("      x: 1\n", "expected a list of mappings, got a map"),
    ];
    for (rules, msg) in cases {
        let got = load(rules);
        assert!(got.iter().any(|m| m.contains(msg)), "{rules}: {got:?}");
    }
    assert!(load("      - { condition: \"${var.v != \\\"\\\"}\", error_message: m }\n").is_empty());
}

#[test]
fn bad_types_are_errors_at_load_with_their_line() {
    let files = vec![SourceFile {
        path: "main.yaml".into(),
        text: "variables:\n  v:\n    type: list(strnig)\n".into(),
        module: String::new(),
    }];
    let (cfg, mut diags) = crate::config::load_sources(std::path::Path::new("."), "s", files);
    cfg.resolve_lines(&mut diags);
    assert_eq!(
        diags.0[0].to_string(),
        "Error: main.yaml:3: variables.v.type: \"list(strnig)\" is not a type: unknown type \"strnig\" at column 6: did you mean \"string\"?"
    );
}

#[test]
fn a_condition_that_is_not_a_bool_is_reported_at_the_rule() {
    let cfg = config("  n:\n    default: 5\n    validation:\n      - { condition: \"${var.n}\", error_message: m }\n      - { condition: \"${var.n.x}\", error_message: m }\n");
    let r = run(&cfg, &[], &[], &[]);
    assert_eq!(
        messages(&r),
        [
            "Error: main.yaml:5: variable \"n\": validation rule 1: the condition must be true or false, but it is a number",
            "Error: main.yaml:6: variable \"n\": validation rule 2: the condition cannot be evaluated: ${var.n.x}: cannot take attribute \"x\" of a number",
        ]
    );
}
