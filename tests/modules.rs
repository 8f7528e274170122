//! Modules through the binary: `examples/modules` (a warehouse module called once per
//! environment) applies, converges and destroys under `module.NAME["key"]` addresses; nested
//! and counted calls, sensitive outputs, saved plans, `--target` of a module, state
//! commands and `strata graph`'s clusters; every mistake in a call or inside a module is an
//! error naming the module and the file.

mod common;
use common::{Env, HUAWEI};

const APPLY: [&str; 4] = ["-C", "modules", "apply", "--auto-approve"];
const PROD: &str = "module.warehouse[\"prod\"]";

fn listed(env: &Env, dir: &str) -> Vec<String> {
    let r = env.ok(&["-C", dir, "state", "list"], 0);
    r.stdout.lines().map(String::from).collect()
}

#[test]
fn the_example_applies_once_per_environment_converges_and_destroys() {
    let env = Env::with_example("modules");
    let r = env.ok(&APPLY, 0);
    r.out_has("Resources: 4 created, 2 cloned");
    let addrs = listed(&env, "modules");
    let expected: Vec<String> = ["prod", "staging"]
        .iter()
        .flat_map(|e| {
            [
                "alicloud_gpdb_instance.dr",
                "alicloud_gpdb_instance.main",
                "commvault_postgresql_instance.protection",
            ]
            .map(|b| format!("module.warehouse[\"{e}\"].{b}"))
        })
        .collect();
    assert_eq!(addrs, expected);
    // each environment's inputs reached its own objects
    let shown = env.ok(
        &[
            "-C",
            "modules",
            "state",
            "show",
            &format!("{PROD}.alicloud_gpdb_instance.main"),
        ],
        0,
    );
    let seg = shown.stdout.lines().find(|l| l.contains("seg_node_num"));
    assert!(seg.is_some_and(|l| l.ends_with("= 8")), "{}", shown.stdout);
    shown.out_has("\"warehouse-prod\"");
    let state = env.read("state/modules.json");
    assert!(
        !state.contains("sandbox-sa-password"),
        "the password reached the state"
    );
    assert_eq!(
        env.made_in("gpdb", "instance").len(),
        4,
        "{:?}",
        env.sandbox()
    );
    // the outputs through the module boundary
    let dr_id = env.state_json("modules")["resources"][format!("{PROD}.alicloud_gpdb_instance.dr")]
        ["id"]
        .clone();
    let out = env.ok(&["-C", "modules", "output", "--json"], 0);
    let outputs: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(outputs["prod_dr"]["value"], dr_id, "{outputs}");
    assert_eq!(
        outputs["warehouses"]["value"].as_object().map(|o| o.len()),
        Some(2)
    );
    env.ok(&["-C", "modules", "plan", "--detailed-exitcode"], 0)
        .out_has("No changes");
    let r = env.ok(&["-C", "modules", "destroy", "--auto-approve"], 0);
    r.out_has("6 destroyed");
    assert!(env.made_in("gpdb", "instance").is_empty());
    assert!(listed(&env, "modules").is_empty());
}

#[test]
fn a_saved_plan_carries_the_modules_files_and_target_selects_one_instance() {
    let env = Env::with_example("modules");
    let target = ["--target", PROD];
    let plan = env.ok(
        &[&["-C", "modules", "plan", "--out", "p.plan"][..], &target].concat(),
        0,
    );
    plan.out_has("Actions: 2 to create, 1 to clone");
    assert!(
        !plan.stdout.contains("module.warehouse[\"staging\"]"),
        "{}",
        plan.stdout
    );
    // the module's files travel in the plan: changing them on disk does not change what runs
    let module = env.path().join("modules/warehouse/main.yaml");
    let text = std::fs::read_to_string(&module).unwrap();
    std::fs::write(
        &module,
        text.replace("instance_spec: 4C32G", "instance_spec: 8C64G"),
    )
    .unwrap();
    env.ok(&["-C", "modules", "apply", "p.plan"], 0)
        .out_has("Resources: 2 created, 1 cloned");
    let shown = env.ok(
        &[
            "-C",
            "modules",
            "state",
            "show",
            &format!("{PROD}.alicloud_gpdb_instance.main"),
        ],
        0,
    );
    shown.out_has("\"4C32G\"");
    let r = env.ok(&["-C", "modules", "plan", "--target", "module.nope"], 1);
    r.err_has("--target: the configuration has no module instance module.nope");
}

#[test]
fn the_graph_draws_each_module_instance_as_a_cluster() {
    let env = Env::with_example("modules");
    let r = env.ok(&["-C", "modules", "graph"], 0);
    r.out_has("subgraph \"cluster_module.warehouse[\\\"prod\\\"]\"")
        .out_has("subgraph \"cluster_module.warehouse[\\\"staging\\\"]\"")
        .out_has("\"module.warehouse[\\\"prod\\\"].alicloud_gpdb_instance.main\" -> \"module.warehouse[\\\"prod\\\"].alicloud_gpdb_instance.dr\"");
}

const TEMPLATE: &str = "variables:\n  name: { type: string }\n  secret: { type: string, sensitive: true, default: s3cr3t-value }\n\
    resources:\n  huaweicloud_rds_parameter_template.t:\n    name: ${var.name}\n    datastore: { type: MySQL, version: \"8.0\" }\n\
    outputs:\n  name: ${huaweicloud_rds_parameter_template.t.name}\n  secret: { value: \"${var.secret}\", sensitive: true }\n";

/// A stack calling `outer` twice (count), each calling `inner` (a template) once.
fn nested(env: &Env) {
    env.write("n/inner/main.yaml", TEMPLATE);
    env.write(
        "n/outer/main.yaml",
        "variables:\n  prefix: { type: string }\nmodules:\n  inner:\n    source: ../inner\n    name: ${var.prefix}-inner\n\
         outputs:\n  names: ${module.inner.name}\n  secret: ${module.inner.secret}\n",
    );
    env.stack(
        "n",
        HUAWEI,
        "modules:\n  outer:\n    source: ./outer\n    count: 2\n    prefix: team${count.index}\n\
         outputs:\n  first: ${module.outer[0].names}\n  leaked: ${module.outer[1].secret}\n",
    );
}

#[test]
fn nested_and_counted_calls_address_their_objects_and_keep_secrets_sensitive() {
    let env = Env::new();
    nested(&env);
    let plan = env.ok(&["-C", "n", "plan"], 0);
    assert!(!plan.all().contains("s3cr3t-value"), "{}", plan.all());
    let r = env.ok(&["-C", "n", "apply", "--auto-approve"], 0);
    assert!(!r.all().contains("s3cr3t-value"), "{}", r.all());
    r.out_has("first = \"team0-inner\"")
        .out_has("leaked = (sensitive value)");
    assert_eq!(
        listed(&env, "n"),
        [
            "module.outer[0].module.inner.huaweicloud_rds_parameter_template.t",
            "module.outer[1].module.inner.huaweicloud_rds_parameter_template.t",
        ]
    );
    assert_eq!(
        env.made_names("parameter_template"),
        ["team0-inner", "team1-inner"]
    );
    assert!(!env.read("state/n.json").contains("s3cr3t-value"));
    // state commands take module addresses
    let a = "module.outer[1].module.inner.huaweicloud_rds_parameter_template.t";
    env.ok(&["-C", "n", "state", "show", a], 0)
        .out_has("\"team1-inner\"");
}

fn errors_of(env: &Env, dir: &str) -> String {
    let r = env.ok(&["-C", dir, "validate"], 1);
    r.stderr.replace(env.path().to_str().unwrap(), "[tmp]")
}

#[test]
fn mistakes_in_calls_and_inside_modules_name_the_module_and_the_file() {
    let env = Env::new();
    env.write("e/m/main.yaml", "variables:\n  name: { type: string }\nresources:\n  huaweicloud_rds_parameter_template.t:\n    name: ${var.name}\n    datastore: { type: MySQL, version: \"8.0\" }\n    bogus_argument: 1\n    description: ${var.missing}\n");
    env.write(
        "e/loop/main.yaml",
        "modules:\n  again:\n    source: ../loop\n",
    );
    env.stack(
        "e",
        HUAWEI,
        "modules:\n  git:\n    source: git::https://example.com/m.git\n  registry:\n    source: hashicorp/consul/aws\n\
         \x20 good:\n    source: ./m\n    nmae: x\n  needs:\n    source: ./m\n  missing:\n    source: ./nowhere\n  again:\n    source: ./loop\n\
         outputs:\n  o: ${module.godo.x}\n",
    );
    let text = errors_of(&env, "e");
    insta::with_settings!({ snapshot_path => "snapshots" }, {
        common::snapshot_settings().bind(|| insta::assert_snapshot!("module_errors", text));
    });
}

#[test]
fn a_call_repeated_over_values_known_only_after_apply_is_refused() {
    let env = Env::new();
    env.write("u/m/main.yaml", TEMPLATE);
    env.stack(
        "u",
        HUAWEI,
        "resources:\n  huaweicloud_rds_parameter_template.base:\n    name: base\n    datastore: { type: MySQL, version: \"8.0\" }\n\
         modules:\n  m:\n    source: ./m\n    for_each: ${toset([huaweicloud_rds_parameter_template.base.id])}\n    name: x\n",
    );
    let r = env.ok(&["-C", "u", "plan"], 1);
    r.err_has("the for_each of module \"m\" must be known before anything is applied");
}

#[test]
fn inputs_are_converted_to_their_type_and_checked_by_the_module_rules() {
    let env = Env::new();
    env.write(
        "v/m/main.yaml",
        "variables:\n  size:\n    type: number\n    validation:\n      - condition: ${var.size > 1}\n        error_message: size must exceed 1\n\
         outputs:\n  doubled: ${var.size * 2}\n",
    );
    env.stack(
        "v",
        HUAWEI,
        "modules:\n  small:\n    source: ./m\n    size: 1\n  word:\n    source: ./m\n    size: abc\n  text:\n    source: ./m\n    size: \"4\"\n\
         outputs:\n  d: ${module.text.doubled}\n",
    );
    let r = env.ok(&["-C", "v", "validate"], 1);
    r.err_has("v/main.yaml:6: module \"small\" input \"size\" is not valid: size must exceed 1")
        .err_has("v/main.yaml:9: module \"word\" input \"size\":");
    assert!(!r.stderr.contains("output.doubled"), "{}", r.stderr);
    env.write("v/main.yaml", &format!("{HUAWEI}modules:\n  text:\n    source: ./m\n    size: \"4\"\noutputs:\n  d: ${{module.text.doubled}}\n"));
    env.ok(&["-C", "v", "apply", "--auto-approve"], 0)
        .out_has("d = 8");
}
