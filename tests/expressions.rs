//! Expressions and functions end to end, through the binary: `file(…)` reads from the stack
//! directory (not the working directory) and refuses paths leaving it; every expression error
//! of a stack is reported at once with file, line, address and attribute (snapshot); secrets
//! flowing through operators, functions and `for` expressions never reach the plan.

mod common;
use common::Env;

macro_rules! snap {
    ($name:expr, $text:expr) => {
        common::snapshot_settings().bind(|| insta::assert_snapshot!($name, $text))
    };
}

const TEMPLATE: &str =
    "  huaweicloud_rds_parameter_template.app:\n    datastore: { type: MySQL, version: \"8.0\" }\n";

#[test]
fn file_reads_from_the_stack_directory() {
    let env = Env::new();
    env.write("stack/desc.txt", "  from the stack  \n");
    env.write("stack/conf/limits.json", "{\"max_connections\": 300}");
    // a file of the same name in the working directory is not the one read
    env.write("desc.txt", "from the working directory\n");
    env.stack(
        "stack",
        common::HUAWEI,
        &format!(
            "resources:\n{TEMPLATE}    name: app\n    description: ${{trimspace(file(\"desc.txt\"))}}\n    values:\n      max_connections: ${{tostring(jsondecode(file(\"conf/limits.json\")).max_connections)}}\noutputs:\n  raw: ${{file(\"desc.txt\")}}\n"
        ),
    );
    env.ok(&["-C", "stack", "validate"], 0);
    let r = env.ok(&["-C", "stack", "plan"], 0);
    r.out_has("= \"from the stack\"")
        .out_has("\"max_connections\" = \"300\"")
        .out_has("raw = \"  from the stack  \\n\"");
    assert!(!r.stdout.contains("working directory"), "{r:?}");
}

#[test]
fn file_refuses_paths_outside_the_stack_directory() {
    let env = Env::new();
    env.write("secret.txt", "hunter2\n");
    env.write("stack/.keep", "");
    std::os::unix::fs::symlink(
        env.path().join("secret.txt"),
        env.path().join("stack/link.txt"),
    )
    .expect("symlink");
    env.stack(
        "stack",
        common::HUAWEI,
        "outputs:\n  up: ${file(\"../secret.txt\")}\n  abs: ${file(\"/etc/hostname\")}\n  link: ${file(\"link.txt\")}\n",
    );
    let r = env.ok(&["-C", "stack", "plan"], 1);
    r.err_has("file: the path \"../secret.txt\" leaves the stack directory")
        .err_has("must be a path relative to the stack directory, got \"/etc/hostname\"")
        .err_has("file: the path \"link.txt\" leads outside the stack directory");
    assert!(!r.all().contains("hunter2"), "{r:?}");
}

#[test]
fn expression_errors_are_reported_at_once_with_where() {
    let env = Env::new();
    env.stack(
        "stack",
        common::HUAWEI,
        &format!(
            "variables:\n  env: {{ default: prod }}\nresources:\n{TEMPLATE}    name: ${{lenght(var.env)}}\n    description: '${{var.env == \"prod\" ? \"big\" \"small\"}}'\n    values:\n      max_connections: ${{var.env * 2}}\n  huaweicloud_rds_parameter_template.other:\n    datastore: {{ type: MySQL, version: \"8.0\" }}\n    name: ${{upper}}\n    description: ${{format(\"%s-%s\", var.env)}}\noutputs:\n  zero: ${{1 / 0}}\n  index: ${{[1, 2][5]}}\n"
        ),
    );
    let r = env.ok(&["-C", "stack", "validate"], 1);
    // an argument whose expression does not parse is not also "missing"
    assert!(!r.stderr.contains("missing required argument"), "{r:?}");
    snap!("expression_errors", r.stderr);
}

#[test]
fn an_unquoted_conditional_is_a_yaml_error_at_its_line() {
    let env = Env::new();
    env.stack(
        "stack",
        common::HUAWEI,
        "variables:\n  env: { default: prod }\noutputs:\n  size: ${var.env == \"prod\" ? \"big\" : \"small\"}\n",
    );
    env.ok(&["-C", "stack", "validate"], 1)
        .err_has("stack/main.yaml:6: YAML syntax error: mapping values are not allowed");
    // quoted, as docs/expressions.md says, it works
    env.stack(
        "stack",
        common::HUAWEI,
        "variables:\n  env: { default: prod }\noutputs:\n  size: '${var.env == \"prod\" ? \"big\" : \"small\"}'\n",
    );
    env.ok(&["-C", "stack", "plan"], 0)
        .out_has("size = \"big\"");
}

#[test]
fn secrets_through_expressions_never_reach_the_plan() {
    let env = Env::new();
    env.stack(
        "stack",
        common::HUAWEI,
        &format!(
            "variables:\n  pw: {{ sensitive: true }}\n  env: {{ default: prod }}\nresources:\n{TEMPLATE}    name: app-${{var.env}}\n    description: '${{var.pw == \"x\" ? \"same\" : \"other\"}}'\n    values:\n      a: ${{upper(var.pw)}}\n      b: '${{[for c in [\"x\", var.pw] : c if c != var.env][1]}}'\n      c: ${{base64encode(var.pw)}}\n      d: ${{try(tonumber(var.pw), \"nan\")}}\n      e: ${{tostring(nonsensitive(length(var.pw)))}}\n"
        ),
    );
    let r = env.ok_with(
        &["-C", "stack", "plan"],
        &[("STRATA_VAR_pw", "Sup3rSecret")],
        0,
    );
    for leak in [
        "Sup3rSecret",
        "SUP3RSECRET",
        "U3VwM3JTZWNyZXQ=",
        "other",
        "nan",
    ] {
        assert!(!r.all().contains(leak), "{leak} in the plan\n{r:?}");
    }
    r.out_has("= \"app-prod\"")
        .out_has("+ \"e\" = \"11\"")
        .out_has("+ \"a\" = (sensitive value)")
        .out_has("+ \"b\" = (sensitive value)")
        .out_has("+ \"d\" = (sensitive value)");
    let json = env.ok_with(
        &["-C", "stack", "plan", "--format", "json"],
        &[("STRATA_VAR_pw", "Sup3rSecret")],
        0,
    );
    for leak in ["Sup3rSecret", "SUP3RSECRET", "U3VwM3JTZWNyZXQ="] {
        assert!(!json.stdout.contains(leak), "{leak} in the plan JSON");
    }
}
