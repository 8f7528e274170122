//! `locals:` end to end through the binary: a local shared by blocks (conditionals and
//! functions inside), a local made of a resource's computed attribute (known after apply in
//! the plan, the real value at apply), sensitive locals never shown or stored, locals in
//! provider settings and outputs, `--target` through a local, `fmt` and `schema`, and the
//! errors (cycle, unknown local, a failing local reported once).

mod common;
use common::{Env, HUAWEI};

const T: &str = "huaweicloud_rds_parameter_template";

macro_rules! snap {
    ($name:expr, $text:expr) => {
        common::snapshot_settings().bind(|| insta::assert_snapshot!($name, $text))
    };
}

/// A MySQL template block named `name` (in the YAML sense: `T.name`) with `args`.
fn template(name: &str, args: &str) -> String {
    format!("  {T}.{name}:\n    datastore: {{ type: MySQL, version: \"8.0\" }}\n{args}")
}

fn stack(env: &Env, rest: &str) {
    env.stack("s", HUAWEI, rest);
}

fn state_attr(env: &Env, name: &str, attr: &str) -> serde_json::Value {
    env.state_json("s")["resources"][format!("{T}.{name}")]["attributes"][attr].clone()
}

#[test]
fn a_local_shared_by_two_resources_with_a_conditional_and_a_function() {
    let env = Env::new();
    let blocks = [
        template(
            "a",
            "    name: ${local.prefix}-a\n    values: ${local.settings}\n",
        ),
        template(
            "b",
            "    name: ${local.prefix}-b\n    values: ${local.settings}\n",
        ),
    ]
    .concat();
    stack(
        &env,
        &format!(
            "variables:\n  env: {{ default: staging }}\n  team: {{ default: Core }}\nlocals:\n  prefix: \"${{var.env == \\\"prod\\\" ? \\\"p\\\" : \\\"s\\\"}}-${{lower(var.team)}}\"\n  conns: \"${{var.env == \\\"prod\\\" ? 1000 : 200}}\"\n  settings: {{ max_connections: \"${{local.conns}}\", wait_timeout: \"600\" }}\nresources:\n{blocks}"
        ),
    );
    env.ok(&["-C", "s", "validate"], 0);
    let r = env.ok(&["-C", "s", "plan"], 0);
    r.out_has("name                   = \"s-core-a\"")
        .out_has("name                   = \"s-core-b\"")
        .out_has("\"max_connections\" = \"200\"");
    let r = env.ok(&["-C", "s", "plan", "--var", "env=prod"], 0);
    r.out_has("\"p-core-a\"")
        .out_has("\"p-core-b\"")
        .out_has("\"max_connections\" = \"1000\"");
    env.ok(
        &["-C", "s", "apply", "--auto-approve", "--var", "env=prod"],
        0,
    );
    assert_eq!(
        env.made_names("parameter_template"),
        ["p-core-a", "p-core-b"]
    );
    let r = env.ok(&["-C", "s", "plan", "--var", "env=prod"], 0);
    r.out_has("No changes");
    // changing the variable changes both, through the local
    let r = env.ok(&["-C", "s", "plan"], 0);
    r.out_has("\"p-core-a\" -> \"s-core-a\"")
        .out_has("\"p-core-b\" -> \"s-core-b\"")
        .out_has("2 to update");
}

#[test]
fn a_local_of_a_computed_attribute_is_known_after_apply_then_real() {
    let env = Env::new();
    let blocks = [
        template("base", "    name: base\n"),
        format!(
            "  {T}.copy:\n    clone: {{ source: \"${{local.base_id}}\" }}\n    name: copy\n    description: ${{local.note}}\n"
        ),
    ]
    .concat();
    stack(
        &env,
        &format!(
            "locals:\n  base_id: ${{{T}.base.id}}\n  note: \"copy of ${{local.base_id}}\"\nresources:\n{blocks}outputs:\n  copied_from: ${{local.base_id}}\n"
        ),
    );
    let r = env.ok(&["-C", "s", "plan"], 0);
    r.out_has("# (cloned from local.base_id)")
        .out_has("source = (known after apply)")
        .out_has("description            = (known after apply)")
        .out_has("copied_from = (known after apply)");
    // the graph shows what apply runs: locals are collapsed into the edges they make
    let g = env.ok(&["-C", "s", "graph", "--format", "text"], 0);
    assert!(!g.stdout.contains("local."), "{g:?}");
    let base_line = g.stdout.lines().position(|l| l.contains(".base"));
    let copy_line = g.stdout.lines().position(|l| l.contains(".copy"));
    assert!(base_line < copy_line, "{g:?}");
    // a saved plan: apply evaluates the local again, from the id the create returned
    env.ok(&["-C", "s", "plan", "--out", "p.plan"], 0);
    let r = env.ok(&["-C", "s", "apply", "p.plan"], 0);
    let base_id = state_attr(&env, "base", "id");
    let id = base_id.as_str().unwrap();
    assert_eq!(
        state_attr(&env, "copy", "description"),
        format!("copy of {id}").as_str()
    );
    r.out_has(&format!("copied_from = \"{id}\""));
    let st = env.state_json("s");
    assert_eq!(
        st["resources"][format!("{T}.copy")]["dependencies"],
        serde_json::json!([format!("{T}.base")])
    );
    env.ok(&["-C", "s", "plan"], 0).out_has("No changes");
    // destroying follows the dependency through the local: the copy goes first
    let r = env.ok(&["-C", "s", "destroy", "--auto-approve"], 0);
    let at = |s: &str| r.stdout.find(s).unwrap_or(usize::MAX);
    assert!(
        at(&format!("{T}.copy: Destroying")) < at(&format!("{T}.base: Destroying")),
        "{r:?}"
    );
}

#[test]
fn a_sensitive_local_is_never_shown_nor_stored() {
    let env = Env::new();
    stack(
        &env,
        &format!(
            "variables:\n  pw: {{ sensitive: true }}\nlocals:\n  secret: \"${{upper(var.pw)}}-x\"\n  plain: \"${{length(var.pw)}}\"\nresources:\n{}outputs:\n  shown: ${{local.secret}}\n",
            template(
                "s",
                "    name: s\n    description: ${local.secret}\n    values: { wait_timeout: \"${local.plain}\" }\n"
            )
        ),
    );
    let pw = [("STRATA_VAR_pw", "hunter2")];
    let secret = "HUNTER2-x";
    env.ok(&["-C", "s", "validate"], 0);
    let addr = format!("{T}.s");
    let mut seen = Vec::new();
    for args in [
        vec!["-C", "s", "plan"],
        vec!["-C", "s", "plan", "--format", "json"],
        vec!["-C", "s", "plan", "--format", "markdown"],
        vec!["-C", "s", "plan", "--out", "p.plan"],
        vec!["-C", "s", "apply", "--auto-approve"],
        vec!["-C", "s", "output"],
        vec!["-C", "s", "output", "--json"],
        vec!["-C", "s", "state", "show", &addr],
    ] {
        seen.push(env.ok_with(&args, &pw, 0));
    }
    seen[0].out_has("description            = (sensitive value)");
    seen[0].out_has("shown = (sensitive value)");
    for r in &seen {
        assert!(!r.all().contains(secret), "{r:?}");
    }
    // what is computed from a secret (here its length) is sensitive too
    assert!(!seen[0].stdout.contains("\"7\""), "{:?}", seen[0]);
    for file in ["p.plan", "state/s.json", "state/s.json.backup"] {
        assert!(!env.read(file).contains(secret), "{file}");
    }
    let r = env.ok_with(&["-C", "s", "output", "shown"], &pw, 1);
    r.err_has("sensitive");
    // the cloud got the real value
    let made = env.sandbox();
    assert!(made.iter().any(|o| o["name"] == "s"));
}

#[test]
fn provider_settings_may_use_locals_of_variables() {
    let env = Env::new();
    env.write(
        "s/main.yaml",
        &format!(
            "variables:\n  project: {{ default: p }}\nlocals:\n  project: ${{var.project}}\nproviders:\n  huaweicloud: {{ region: r, project_id: \"${{local.project}}\", endpoint: sandbox }}\nresources:\n{}",
            template("a", "    name: a\n")
        ),
    );
    env.ok(&["-C", "s", "apply", "--auto-approve"], 0);
    assert_eq!(env.made_names("parameter_template"), ["a"]);
    env.write(
        "s/main.yaml",
        &format!(
            "locals:\n  project: ${{{T}.a.id}}\nproviders:\n  huaweicloud: {{ region: r, project_id: \"${{local.project}}\", endpoint: sandbox }}\nresources:\n{}",
            template("a", "    name: a\n")
        ),
    );
    let r = env.ok(&["-C", "s", "validate"], 1);
    r.err_has("${local.project}: provider settings may use variables (and locals made of them) only, not resources");
}

#[test]
fn a_target_takes_what_its_locals_use() {
    let env = Env::new();
    let blocks = [
        template("base", "    name: base\n"),
        template("other", "    name: other\n"),
        template("user", "    name: user\n    description: ${local.d}\n"),
    ]
    .concat();
    stack(
        &env,
        &format!(
            "locals:\n  id: ${{{T}.base.id}}\n  d: \"uses ${{local.id}}\"\nresources:\n{blocks}"
        ),
    );
    let target = format!("{T}.user");
    let r = env.ok(
        &["-C", "s", "apply", "--auto-approve", "--target", &target],
        0,
    );
    r.out_has("2 created");
    assert_eq!(env.made_names("parameter_template"), ["base", "user"]);
}

#[test]
fn validate_evaluates_locals_and_reports_a_failing_one_once() {
    let env = Env::new();
    stack(
        &env,
        &format!(
            "variables:\n  unset: {{}}\nlocals:\n  later: \"${{upper(var.unset)}}\"\n  bad: \"${{1 + \\\"one\\\"}}\"\n  uses_bad: ${{local.bad}}\nresources:\n{}",
            [
                template("a", "    name: ${local.later}\n"),
                template("b", "    name: b-${local.uses_bad}\n"),
            ]
            .concat()
        ),
    );
    let r = env.ok(&["-C", "s", "validate"], 1);
    r.err_has("s/main.yaml:7: local.bad: operator +");
    assert_eq!(r.stderr.matches("operator +").count(), 1, "{r:?}");
    r.err_has("1 error found");
    // plan reports it once too (and the unset variable)
    let r = env.ok_with(&["-C", "s", "plan"], &[("STRATA_VAR_unset", "x")], 1);
    r.err_has("s/main.yaml:7: local.bad: operator +");
    assert_eq!(r.stderr.matches("operator +").count(), 1, "{r:?}");
}

#[test]
fn fmt_keeps_locals_and_schema_describes_them() {
    let env = Env::new();
    env.write(
        "s/main.yaml",
        "outputs:\n  o: ${local.b}\nlocals:\n  # why b\n  b: \"${upper(local.a)}\"   # shouting\n  a: x\nvariables:\n  v: { default: 1 }\n",
    );
    env.ok(&["-C", "s", "fmt"], 0);
    assert_eq!(
        env.read("s/main.yaml"),
        "variables:\n  v: { default: 1 }\n\nlocals:\n  # why b\n  b: ${upper(local.a)} # shouting\n  a: x\n\noutputs:\n  o: ${local.b}\n"
    );
    env.ok(&["-C", "s", "validate"], 0);
    let r = env.ok(&["schema", "--json"], 0);
    let schema: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let locals = &schema["properties"]["locals"];
    assert_eq!(locals["type"], "object");
    assert!(locals["description"]
        .as_str()
        .unwrap()
        .contains("${local.NAME}"));
}

#[test]
fn cycle_error() {
    let env = Env::new();
    stack(
        &env,
        &format!(
            "locals:\n  x: ${{{T}.r.id}}\n  label: r-${{local.x}}\nresources:\n{}",
            template("r", "    name: r\n    description: ${local.label}\n")
        ),
    );
    let r = env.ok(&["-C", "s", "validate"], 1);
    snap!("locals_cycle_error", r.stderr.clone());
    let p = env.ok(&["-C", "s", "plan"], 1);
    p.err_has(r.stderr.lines().next().unwrap_or("?"));
    env.write(
        "s/more.yaml",
        "locals:\n  a: ${local.b}\n  b: \"${local.a}\"\n",
    );
    env.write("s/main.yaml", HUAWEI);
    let r = env.ok(&["-C", "s", "validate"], 1);
    r.err_has("s/more.yaml:2: local.a: dependency cycle: local.a -> local.b -> local.a");
}

#[test]
fn unknown_local_error() {
    let env = Env::new();
    env.write(
        "s/main.yaml",
        &format!(
            "{HUAWEI}locals:\n  team_name: core\n  label: ${{local.team_nmae}}-x\nresources:\n{}outputs:\n  o: ${{local.lable}}\n",
            template("r", "    name: ${local.teamname}\n    description: ${local}\n")
        ),
    );
    env.write("s/other.yaml", "locals:\n  team_name: again\n");
    let r = env.ok(&["-C", "s", "validate"], 1);
    snap!("locals_unknown_error", r.stderr);
}
