//! Repeated blocks through the binary: `for_each` and `count` make, keep and destroy exactly
//! the instances their keys say; instance addresses work in state commands, `--target` and
//! references; a block whose count / for_each is known only after apply is deferred, applied
//! in the same run, and survives a `kill -9` between the two parts without duplicates.

mod common;
use common::inventory::{check_converged, made_objects};
use common::{Env, HUAWEI};

const STACK: &str = "teams";

fn teams(env: &Env, teams: &str, copies: usize) {
    env.stack(
        STACK,
        HUAWEI,
        &format!(
            "variables:\n  teams:\n    type: map\n    default: {teams}\nresources:\n  \
             huaweicloud_rds_parameter_template.base:\n    for_each: ${{var.teams}}\n    \
             name: base-${{each.key}}\n    datastore: {{ type: MySQL, version: \"8.0\" }}\n    \
             values: {{ max_connections: \"${{each.value}}\" }}\n  \
             huaweicloud_rds_parameter_template.copy:\n    count: {copies}\n    \
             name: copy-${{count.index}}\n    datastore: {{ type: MySQL, version: \"8.0\" }}\n\
             outputs:\n  red: ${{huaweicloud_rds_parameter_template.base[\"red\"].name}}\n  \
             copies: \"${{huaweicloud_rds_parameter_template.copy[*].name}}\"\n"
        ),
    );
}

const APPLY: [&str; 4] = ["-C", STACK, "apply", "--auto-approve"];

fn listed(env: &Env) -> Vec<String> {
    let r = env.ok(&["-C", STACK, "state", "list"], 0);
    r.stdout.lines().map(String::from).collect()
}

const BASE: &str = "huaweicloud_rds_parameter_template.base";
const COPY: &str = "huaweicloud_rds_parameter_template.copy";

#[test]
fn adding_removing_and_changing_keys_touch_only_those_instances() {
    let env = Env::new();
    teams(&env, "{ red: 100, blue: 200 }", 3);
    let r = env.ok(&APPLY, 0);
    r.out_has("Resources: 5 created");
    r.out_has("red = \"base-red\"");
    r.out_has("\"copy-2\"");
    assert_eq!(
        listed(&env),
        [
            format!("{BASE}[\"blue\"]"),
            format!("{BASE}[\"red\"]"),
            format!("{COPY}[0]"),
            format!("{COPY}[1]"),
            format!("{COPY}[2]"),
        ]
    );
    let ids_before = env.state_json(STACK)["resources"][format!("{BASE}[\"red\"]")]["id"].clone();
    // add green, drop blue, change red's value; count 3 → 2
    teams(&env, "{ red: 150, green: 300 }", 2);
    let r = env.ok(&["-C", STACK, "plan"], 0);
    r.out_has(&format!("# {BASE}[\"blue\"] will be destroyed"));
    r.out_has(&format!("# {BASE}[\"green\"] will be created"));
    r.out_has(&format!("# {BASE}[\"red\"] will be updated in-place"));
    r.out_has(&format!("# {COPY}[2] will be destroyed"));
    r.out_has("# (because index [2] is out of range for count)");
    r.out_has("# (because key [\"blue\"] is not in for_each map)");
    assert!(!r.stdout.contains(&format!("{COPY}[0] will")), "{r:?}");
    r.out_has("1 to create, 0 to clone, 0 to bind, 1 to update, 0 to replace, 2 to delete");
    env.ok(&APPLY, 0);
    let st = env.state_json(STACK);
    assert_eq!(
        st["resources"][format!("{BASE}[\"red\"]")]["id"],
        ids_before
    );
    assert_eq!(listed(&env).len(), 4);
    check_converged(&env, STACK, &[], "after the changes");
}

#[test]
fn instance_addresses_in_state_commands_target_and_plan_json() {
    let env = Env::new();
    teams(&env, "{ red: 100, blue: 200 }", 2);
    // one instance only
    let target = format!("--target={BASE}[\"blue\"]");
    let r = env.ok(&["-C", STACK, "apply", "--auto-approve", &target], 0);
    r.out_has("Resources: 1 created");
    assert_eq!(listed(&env), [format!("{BASE}[\"blue\"]")]);
    env.ok(&APPLY, 0);
    let r = env.ok(&["-C", STACK, "state", "show", &format!("{COPY}[1]")], 0);
    r.out_has("name                   = \"copy-1\"");
    env.ok(
        &[
            "-C",
            STACK,
            "state",
            "mv",
            &format!("{COPY}[1]"),
            &format!("{COPY}[5]"),
        ],
        0,
    );
    assert!(listed(&env).contains(&format!("{COPY}[5]")));
    // [5] is outside count = 2: destroyed; [1] is missing: created
    let r = env.ok(&["-C", STACK, "plan", "--format", "json"], 0);
    let plan: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let changes = plan["resource_changes"].as_array().unwrap();
    let of = |addr: String| {
        changes
            .iter()
            .find(|c| c["address"] == addr)
            .unwrap_or_else(|| panic!("{addr} not in {changes:?}"))
    };
    assert_eq!(of(format!("{COPY}[5]"))["change"]["actions"][0], "delete");
    assert_eq!(of(format!("{COPY}[1]"))["change"]["actions"][0], "create");
    assert_eq!(of(format!("{COPY}[1]"))["index"], 1);
    assert_eq!(of(format!("{BASE}[\"red\"]"))["index"], "red");
    assert_eq!(plan["complete"], true);
    common::assert_plan_schema(&plan);
    env.ok(&["-C", STACK, "state", "rm", &format!("{COPY}[5]")], 0);
    assert!(!listed(&env).contains(&format!("{COPY}[5]")));
}

/// A stack of `base` and `per`, a block repeated `for_each` and named `name`; `rest` follows.
fn per_stack(env: &Env, for_each: &str, name: &str, rest: &str) {
    let t = "datastore: { type: MySQL, version: \"8.0\" }";
    env.stack(
        STACK,
        HUAWEI,
        &format!(
            "resources:\n  huaweicloud_rds_parameter_template.base:\n    name: base\n    {t}\n  \
             huaweicloud_rds_parameter_template.per:\n    for_each: {for_each}\n    \
             name: {name}\n    {t}\n{rest}"
        ),
    );
}

/// `per`'s for_each holds the name of `base` (known when planning); `after` uses `per`.
fn deferred_stack(env: &Env) {
    per_stack(
        env,
        "'${toset([huaweicloud_rds_parameter_template.base.name, \"fixed\"])}'",
        "per-${each.key}",
        "    depends_on: [huaweicloud_rds_parameter_template.base]\n  \
         huaweicloud_rds_parameter_template.after:\n    \
         name: after-${length(huaweicloud_rds_parameter_template.per)}\n    \
         datastore: { type: MySQL, version: \"8.0\" }\n",
    );
}

#[test]
fn a_for_each_known_only_after_apply_is_deferred_and_applied_in_the_same_run() {
    let env = Env::new();
    per_stack(
        &env,
        "\"${toset([huaweicloud_rds_parameter_template.base.id])}\"",
        "per-${substr(each.key, 0, 4)}",
        "",
    );
    let r = env.ok(&["-C", STACK, "plan", "--detailed-exitcode"], 2);
    r.out_has("Deferred: planned once this plan is applied");
    r.out_has("huaweicloud_rds_parameter_template.per: instances known after apply");
    let r = env.ok(&["-C", STACK, "plan", "--format", "json"], 0);
    let plan: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(plan["complete"], false);
    common::assert_plan_schema(&plan);
    assert_eq!(
        plan["deferred_changes"][0]["reason"],
        "instance_count_unknown"
    );
    // a saved plan applies only its part and says what remains
    env.ok(&["-C", STACK, "plan", "--out", "p.plan"], 0);
    let r = env.ok(&["-C", STACK, "apply", "p.plan"], 0);
    r.out_has("Resources: 1 created");
    r.out_has("Still deferred: huaweicloud_rds_parameter_template.per");
    let r = env.ok(&APPLY, 0);
    r.out_has("Resources: 1 created");
    check_converged(&env, STACK, &[], "after the deferred part");
}

#[test]
fn a_deferred_block_and_its_dependents_follow_in_one_apply_and_survive_a_kill() {
    let env = Env::new();
    deferred_stack(&env);
    // the name is known at plan time: nothing is deferred
    let r = env.ok(&["-C", STACK, "plan", "--detailed-exitcode"], 2);
    assert!(!r.stdout.contains("Deferred:"), "{r:?}");
    // with a computed attribute it is
    let text = env.read(&format!("{STACK}/main.yaml")).replace(
        "huaweicloud_rds_parameter_template.base.name,",
        "huaweicloud_rds_parameter_template.base.id,",
    );
    env.write(&format!("{STACK}/main.yaml"), &text);
    let r = env.ok(&["-C", STACK, "plan"], 0);
    r.out_has("huaweicloud_rds_parameter_template.after: waits for a deferred block");
    // one run: base, then per and after
    let fresh = Env::new();
    fresh.stack(STACK, HUAWEI, "");
    fresh.write(&format!("{STACK}/main.yaml"), &text);
    let r = fresh.ok(&APPLY, 0);
    r.out_has("Resources: 1 created");
    r.out_has("Deferred: planning the deferred blocks now that the values they wait for are known: huaweicloud_rds_parameter_template.after, huaweicloud_rds_parameter_template.per");
    r.out_has("Resources: 3 created");
    check_converged(&fresh, STACK, &[], "after one run");
    // killed between the parts: the first part is kept, the rerun makes the rest once
    env.kill_at(&APPLY, &[], "deferred_replan");
    let st = env.state_json(STACK);
    assert_eq!(st["resources"].as_object().unwrap().len(), 1, "{st}");
    // base is made: the rerun plans the deferred block and its dependent at once
    let r = env.ok(&APPLY, 0);
    r.out_has("Resources: 3 created");
    assert!(!r.stdout.contains("Deferred:"), "{r:?}");
    assert_eq!(made_objects(&env).len(), 4);
    check_converged(&env, STACK, &[], "after the kill");
}

#[test]
fn the_teams_example_applies_with_its_variable_files_and_converges() {
    let env = Env::with_example("teams");
    let prod_file = common::repo().join("examples/teams/vars/prod.yaml");
    env.write(
        "teams/vars/prod.yaml",
        &std::fs::read_to_string(prod_file).unwrap(),
    );
    let prod = ["--var-file", "teams/vars/prod.yaml"];
    // formatted as strata fmt writes it, expressions as written
    env.ok(&["-C", "teams", "fmt", "--check"], 0);
    let r = env.ok(&["-C", "teams", "plan"], 0);
    r.out_has("name                   = \"staging-payments\"");
    r.out_has("\"max_connections\" = \"400\"");
    let apply = [&["-C", "teams", "apply", "--auto-approve"][..], &prod[..]].concat();
    let r = env.ok(&apply, 0);
    r.out_has("Resources: 3 created, 2 cloned");
    r.out_has("copies = 2");
    let st = env.state_json("teams");
    let payments = &st["resources"][format!("{BASE_TEAM}[\"payments\"]")];
    assert_eq!(payments["attributes"]["name"], "prod-payments");
    assert_eq!(payments["attributes"]["values"]["max_connections"], "800");
    assert!(st["resources"][format!("{COPY_TEAM}[\"reporting\"]")].is_object());
    assert!(st["resources"][format!("{COPY_TEAM}[\"search\"]")].is_null());
    let plan = [
        &["-C", "teams", "plan", "--detailed-exitcode"][..],
        &prod[..],
    ]
    .concat();
    env.ok(&plan, 0);
    let made = made_objects(&env);
    assert_eq!(made.len(), 5, "{made:?}");
    assert!(made.values().all(|ids| ids.len() == 1), "{made:?}");
}

const BASE_TEAM: &str = "huaweicloud_rds_parameter_template.team";
const COPY_TEAM: &str = "huaweicloud_rds_parameter_template.team_copy";

#[test]
fn replace_import_and_depends_on_work_on_instances_and_whole_blocks() {
    let env = Env::new();
    teams(&env, "{ red: 100, blue: 200 }", 2);
    env.ok(&APPLY, 0);
    // --replace one instance, then the whole block
    let one = format!("--replace={BASE}[\"red\"]");
    let r = env.ok(&["-C", STACK, "plan", &one], 0);
    r.out_has(&format!("# {BASE}[\"red\"] will be replaced, as requested"));
    assert!(
        !r.stdout.contains(&format!("{BASE}[\"blue\"] will")),
        "{r:?}"
    );
    let all = format!("--replace={BASE}");
    let r = env.ok(&["-C", STACK, "plan", &all], 0);
    r.out_has(&format!("# {BASE}[\"red\"] will be replaced, as requested"));
    r.out_has(&format!(
        "# {BASE}[\"blue\"] will be replaced, as requested"
    ));
    // import into an instance: forgotten, then adopted at its address
    let red = format!("{BASE}[\"red\"]");
    let id = env.state_json(STACK)["resources"][&red]["id"]
        .as_str()
        .unwrap()
        .to_string();
    env.ok(&["-C", STACK, "state", "rm", &red], 0);
    env.ok(&["-C", STACK, "import", &red, &id], 0);
    assert_eq!(env.state_json(STACK)["resources"][&red]["id"], id.as_str());
    let r = env.ok(&["-C", STACK, "import", BASE, &id], 1);
    r.err_has("uses for_each: import into");
    // depends_on a repeated block waits for every instance
    let text = env.read(&format!("{STACK}/main.yaml")).replace(
        "outputs:",
        "  huaweicloud_rds_parameter_template.after:\n    name: after\n    \
         datastore: { type: MySQL, version: \"8.0\" }\n    \
         depends_on: [huaweicloud_rds_parameter_template.copy]\noutputs:",
    );
    env.write(&format!("{STACK}/main.yaml"), &text);
    let r = env.ok(&["-C", STACK, "plan", "--format", "json"], 0);
    let plan: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let after = plan["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "huaweicloud_rds_parameter_template.after")
        .unwrap()
        .clone();
    assert_eq!(
        after["depends_on"],
        serde_json::json!([format!("{COPY}[0]"), format!("{COPY}[1]")])
    );
}
