//! Plans for pull requests and automation, through the real binary: the JSON document against
//! its schema and a Terraform-JSON consumer's checks, markdown (snapshots, the 65,000-character
//! cut, conflicts), saved plans (apply exactly, stale refusals, tampering), exit codes, import,
//! and the lifecycle meta-arguments.

mod common;
use common::Env;
use serde_json::Value as J;

fn plan_json(env: &Env, args: &[&str], code: i32) -> J {
    let mut all = vec!["-C", "quickstart", "plan", "--format", "json"];
    all.extend_from_slice(args);
    let r = env.ok(&all, code);
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {r:?}"))
}

/// What a tool built for `terraform show -json` does with resource_changes (tf-summarize,
/// tfcmt): classify each change by its `actions` array, refusing arrays it does not know.
fn terraform_consumer(doc: &J) -> std::collections::BTreeMap<&'static str, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for rc in doc["resource_changes"].as_array().unwrap() {
        let actions: Vec<&str> = rc["change"]["actions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        let kind = match actions.as_slice() {
            ["no-op"] => "no-op",
            ["create"] => "add",
            ["read"] => "read",
            ["update"] => "change",
            ["delete", "create"] | ["create", "delete"] => "replace",
            ["delete"] => "destroy",
            other => panic!("a Terraform consumer does not know actions {other:?}"),
        };
        // the consumer also relies on before/after being null exactly when Terraform's are
        match kind {
            "add" => assert!(rc["change"]["before"].is_null(), "{rc}"),
            "destroy" => assert!(rc["change"]["after"].is_null(), "{rc}"),
            _ => {}
        }
        *counts.entry(kind).or_insert(0) += 1;
    }
    counts
}

fn check_summary(doc: &J) {
    let c = terraform_consumer(doc);
    let s = &doc["summary"];
    let n = |k: &str| s[k].as_u64().unwrap() as usize;
    let get = |k: &str| c.get(k).copied().unwrap_or(0);
    assert_eq!(get("add"), n("create") + n("clone") + n("bind"), "{doc:#}");
    assert_eq!(get("change"), n("update"));
    assert_eq!(get("replace"), n("replace"));
    assert_eq!(get("destroy"), n("delete"));
    // reads left to apply are resource changes; reads done while planning are in prior_state
    let read_now = doc["prior_state"]["values"]["root_module"]["resources"]
        .as_array()
        .map_or(0, |rs| rs.iter().filter(|r| r["mode"] == "data").count());
    assert_eq!(get("read") + read_now, n("read"), "{doc:#}");
}

#[test]
fn json_plans_match_the_schema_and_terraform_consumers() {
    let env = Env::huawei_quickstart();
    let doc = plan_json(&env, &["--detailed-exitcode"], 2);
    common::assert_plan_schema(&doc);
    check_summary(&doc);
    env.ok(&common::APPLY, 0);
    let doc = plan_json(&env, &["--detailed-exitcode"], 0);
    common::assert_plan_schema(&doc);
    assert_eq!(doc["has_changes"], false);
    // updates, replacements, deletes, drift, a requested replacement
    env.drift("base-staging-copy", "1");
    env.edit_quickstart(&[
        ("version: \"8.0\"", "version: \"5.7\""),
        ("description: copy", "description: changed"),
    ]);
    let doc = plan_json(&env, &["--detailed-exitcode"], 2);
    common::assert_plan_schema(&doc);
    check_summary(&doc);
    let by = |a: &str| {
        doc["resource_changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["address"] == a)
            .unwrap()
            .clone()
    };
    let base = by("huaweicloud_rds_parameter_template.base");
    assert_eq!(base["action"], "replace");
    assert_eq!(
        base["change"]["actions"],
        serde_json::json!(["delete", "create"])
    );
    assert_eq!(base["action_reason"], "replace_because_cannot_update");
    assert_eq!(
        base["change"]["replace_paths"],
        serde_json::json!([["datastore"]])
    );
    assert_eq!(base["change"]["after_unknown"]["id"], true);
    assert_eq!(
        by("huaweicloud_rds_parameter_template.copy_by_v31")["action"],
        "update"
    );
    assert_eq!(
        doc["resource_drift"][0]["address"],
        "huaweicloud_rds_parameter_template.base_copy"
    );
    assert_eq!(doc["resource_drift"][0]["action"], "update");
    let doc = plan_json(&env, &["--destroy"], 0);
    common::assert_plan_schema(&doc);
    check_summary(&doc);
    assert!(doc["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["action"] == "delete" || c["action"] == "read"));
    let doc = plan_json(
        &env,
        &[
            "--replace",
            "huaweicloud_rds_parameter_template.copy_by_v31",
        ],
        0,
    );
    common::assert_plan_schema(&doc);
    let doc = plan_json(
        &env,
        &["--target", "huaweicloud_rds_parameter_template.copy_by_v31"],
        0,
    );
    common::assert_plan_schema(&doc);
}

#[test]
fn markdown_plans() {
    let env = Env::huawei_quickstart();
    let snap = |name: &str, text: &str| {
        common::snapshot_settings().bind(|| insta::assert_snapshot!(name, text));
    };
    let markdown_plan = |code: i32| {
        let args = [
            "-C",
            "quickstart",
            "plan",
            "--format",
            "markdown",
            "--detailed-exitcode",
        ];
        env.ok(&args, code)
    };
    let r = markdown_plan(2);
    assert!(r.stdout.starts_with("<!-- strata:plan:quickstart -->\n"));
    snap("markdown_create", &r.stdout);
    env.ok(&common::APPLY, 0);
    let r = markdown_plan(0);
    snap("markdown_no_changes", &r.stdout);
    env.drift("base-staging-copy", "1");
    let text = env.edit_quickstart(&[
        ("version: \"8.0\"", "version: \"5.7\""),
        ("max_connections: \"800\"", "max_connections: \"900\""),
        (
            "  # A copy of the template named in the API's own example.\n  huaweicloud_rds_parameter_template.copy_by_v31:\n    clone: { source: 66251c9024774eeb9edd8663a4cbb0a1pr04 }\n    name: copy_by_v31\n    description: copy\n",
            "",
        ),
    ]);
    let r = env.ok(&["-C", "quickstart", "plan", "--format", "markdown"], 0);
    r.out_has("> [!WARNING]");
    r.out_has("Drift: 1 object changed outside strata");
    snap("markdown_changes", &r.stdout);
    // a plan that would destroy a protected resource: shown, loudly, and refused
    let protected = text.replace(
        "    name: base-${var.env}\n",
        "    name: base-${var.env}\n    lifecycle: { prevent_destroy: true }\n",
    );
    env.write("quickstart/main.yaml", &protected);
    let r = markdown_plan(1);
    r.out_has("> [!CAUTION]");
    r.err_has("huaweicloud_rds_parameter_template.base");
    r.err_has("prevent_destroy");
    snap("markdown_prevent_destroy", &r.stdout);
    let r = env.ok(&["-C", "quickstart", "plan", "--format", "json"], 1);
    let doc: J = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["errored"], true);
    common::assert_plan_schema(&doc);
    let r = env.ok(&common::APPLY, 1);
    r.err_has("prevent_destroy");
    assert!(
        !r.stdout.contains("Destroying"),
        "nothing was applied: {r:?}"
    );
}

#[test]
fn markdown_is_cut_at_65000_characters_and_says_so() {
    let env = Env::new();
    let mut text = format!("{}resources:\n", common::HUAWEI);
    for i in 0..150 {
        text += &format!(
            "  huaweicloud_rds_parameter_template.t{i:03}:\n    name: template-number-{i:03}\n    description: \"{}\"\n    datastore: {{ type: MySQL, version: \"8.0\" }}\n    values: {{ max_connections: \"{}\", wait_timeout: \"600\" }}\n",
            "x".repeat(200),
            100 + i
        );
    }
    env.write("big/main.yaml", &text);
    let r = env.ok(&["-C", "big", "plan", "--format", "markdown"], 0);
    assert!(r.stdout.len() <= 65_000, "{} characters", r.stdout.len());
    assert!(
        r.stdout.len() > 50_000,
        "uses the room it has: {}",
        r.stdout.len()
    );
    assert!(
        r.stdout
            .contains("cut here to stay within 65000 characters"),
        "says so"
    );
    assert!(r.stdout.contains("150 to create"));
    // each resource its own fold, as many as fit; the rest said to be left out
    let folds = r
        .stdout
        .matches("<details><summary><code>+</code> create")
        .count();
    assert!(folds > 20 && folds < 150, "{folds} folds");
    assert!(r
        .stdout
        .contains("more sections left out to stay within 65000 characters"));
    // still well-formed: every fence and details block that opens also closes
    assert_eq!(r.stdout.matches("```").count() % 2, 0);
    assert_eq!(
        r.stdout.matches("<details>").count(),
        r.stdout.matches("</details>").count()
    );
    assert!(r.stdout.trim_end().ends_with("</sub>"));
}

#[test]
fn saved_plans_apply_exactly_and_refuse_when_stale() {
    let env = Env::huawei_quickstart();
    let r = env.ok(&["-C", "quickstart", "plan", "--out", "plan.json"], 0);
    r.out_has("strata -C quickstart apply plan.json");
    // the saved file is the plan document
    let doc: J = serde_json::from_str(&env.read("plan.json")).unwrap();
    common::assert_plan_schema(&doc);
    let r = env.ok(&["-C", "quickstart", "show", "plan.json"], 0);
    r.out_has("Actions: 1 to create, 2 to clone");
    assert!(
        r.stdout.contains("base_id     = (known after apply)"),
        "unknowns survive saving: {r:?}"
    );
    let r = env.ok(&["-C", "quickstart", "show", "plan.json", "--json"], 0);
    common::assert_plan_schema(&serde_json::from_str(&r.stdout).unwrap());
    // the config changes after planning: the saved plan still applies what was reviewed
    env.edit_quickstart(&[("name: copy_by_v31", "name: not_reviewed")]);
    let r = env.ok(&["-C", "quickstart", "apply", "plan.json"], 0);
    r.out_has("Apply complete! Resources: 1 created, 2 cloned");
    let names: Vec<String> = env.made_names("parameter_template");
    assert_eq!(names, ["base-staging", "base-staging-copy", "copy_by_v31"]);
    // applying it again: the state moved
    let r = env.ok(&["-C", "quickstart", "apply", "plan.json"], 1);
    assert!(
        r.stderr.contains(
            "stale plan: the state moved from serial 1 (when the plan was made) to serial 2"
        ),
        "{r:?}"
    );
    // a plan made now, then someone else applies first
    env.edit_quickstart(&[("\"600\"", "\"700\"")]);
    env.ok(
        &[
            "-C",
            "quickstart",
            "plan",
            "--out",
            "p2.json",
            "--detailed-exitcode",
        ],
        2,
    );
    env.ok(&common::APPLY, 0);
    let r = env.ok(&["-C", "quickstart", "apply", "p2.json"], 1);
    r.err_has("from serial 2");
    // against another state (lineage)
    env.ok(&["-C", "quickstart", "plan", "--out", "p3.json"], 0);
    let r = env.ok(
        &[
            "-C",
            "quickstart",
            "--state",
            "other.json",
            "apply",
            "p3.json",
        ],
        1,
    );
    r.err_has("stale plan: it was made for state lineage");
    // damaged or edited files are refused
    let edited = env.read("p3.json").replace("copy_by_v31", "copy_by_v99");
    env.write("p4.json", &edited);
    let r = env.ok(&["-C", "quickstart", "apply", "p4.json"], 1);
    r.err_has("does not authenticate");
    env.ok(&["-C", "quickstart", "show", "nosuch.json"], 1);
}

#[test]
fn saved_plans_never_hold_secrets_and_need_them_again() {
    let env = Env::new();
    let secret = "S3cr3tValueForPlans";
    env.stack(
        "s",
        common::HUAWEI,
        "variables:\n  note: { sensitive: true }\n  env: { default: dev }\n\
         resources:\n  huaweicloud_rds_parameter_template.t:\n    name: t-${var.env}\n    description: \"${var.note}\"\n    datastore: { type: MySQL, version: \"8.0\" }\n",
    );
    env.ok_with(
        &["-C", "s", "plan", "--out", "p.json", "--var", "env=prod"],
        &[("STRATA_VAR_note", secret)],
        0,
    );
    assert!(!env.read("p.json").contains(secret));
    let r = env.run(&["-C", "s", "apply", "p.json"]);
    assert_eq!(r.code, 1);
    r.err_has("needs the sensitive variable \"note\"");
    let r = env.run_with(
        &["-C", "s", "apply", "p.json"],
        &[("STRATA_VAR_note", "different")],
    );
    assert_eq!(r.code, 1);
    r.err_has("different value from the one the plan was made with");
    let r = env.run_with(
        &["-C", "s", "apply", "p.json", "--var", "env=dev"],
        &[("STRATA_VAR_note", secret)],
    );
    assert_eq!(
        r.code, 1,
        "non-sensitive values are fixed by the plan: {r:?}"
    );
    env.ok_with(
        &["-C", "s", "apply", "p.json"],
        &[("STRATA_VAR_note", secret)],
        0,
    );
    assert_eq!(
        env.made("parameter_template")[0].1,
        "t-prod",
        "the planned value of env"
    );
}

#[test]
fn detailed_exit_codes_in_every_format() {
    let env = Env::huawei_quickstart();
    // in every format: 2 with changes, 0 without, 1 on an error
    let plan_exits = |code: i32| {
        for f in ["text", "json", "markdown"] {
            env.ok(
                &[
                    "-C",
                    "quickstart",
                    "plan",
                    "--format",
                    f,
                    "--detailed-exitcode",
                ],
                code,
            );
        }
    };
    plan_exits(2);
    env.ok(&common::APPLY, 0);
    plan_exits(0);
    env.write("quickstart/broken.yaml", "resources: [");
    plan_exits(1);
}

#[test]
fn import_adopts_existing_objects() {
    let env = Env::applied_quickstart();
    let id = env.state_json("quickstart")["resources"]
        ["huaweicloud_rds_parameter_template.copy_by_v31"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    env.ok(
        &[
            "-C",
            "quickstart",
            "state",
            "rm",
            "huaweicloud_rds_parameter_template.copy_by_v31",
        ],
        0,
    );
    // not in config, already in state, no such object: each refused
    let r = env.ok(
        &[
            "-C",
            "quickstart",
            "import",
            "huaweicloud_rds_parameter_template.nope",
            &id,
        ],
        1,
    );
    r.err_has("is not in the configuration");
    let base = env.state_json("quickstart")["resources"]["huaweicloud_rds_parameter_template.base"]
        ["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = env.ok(
        &[
            "-C",
            "quickstart",
            "import",
            "huaweicloud_rds_parameter_template.base",
            &base,
        ],
        1,
    );
    r.err_has("is already in the state");
    let r = env.ok(
        &[
            "-C",
            "quickstart",
            "import",
            "huaweicloud_rds_parameter_template.copy_by_v31",
            "00000000000000000000000000000000pr04",
        ],
        1,
    );
    r.err_has("no huaweicloud_rds_parameter_template with id");
    let r = env.ok(
        &[
            "-C",
            "quickstart",
            "import",
            "huaweicloud_rds_parameter_template.copy_by_v31",
            &id,
        ],
        0,
    );
    r.out_has("Import successful!");
    let st = env.state_json("quickstart");
    assert_eq!(
        st["resources"]["huaweicloud_rds_parameter_template.copy_by_v31"]["made"]["how"],
        "imported"
    );
    env.ok(&common::CHECK, 0);
    assert_eq!(
        env.made("parameter_template").len(),
        3,
        "nothing made, nothing lost"
    );
    // a seed object strata never made can be adopted too
    let env2 = Env::new();
    env2.stack(
        "s",
        common::HUAWEI_SEEDED,
        "resources:\n  huaweicloud_rds_parameter_template.seed:\n    name: Default-SQLServer-2017_EE\n    datastore: { type: SQLServer, version: 2017_EE }\n",
    );
    env2.ok(
        &[
            "-C",
            "s",
            "import",
            "huaweicloud_rds_parameter_template.seed",
            "66251c9024774eeb9edd8663a4cbb0a1pr04",
        ],
        0,
    );
    let r = env2.ok(&["-C", "s", "plan", "--detailed-exitcode"], 2);
    assert!(
        r.stdout.contains(
            "- description = \"Default parameter template for sqlserver 2017_EE\" -> null"
        ),
        "the config differs only in description: {r:?}"
    );
}

#[test]
fn lifecycle_meta_arguments_through_the_binary() {
    let env = Env::applied_quickstart();
    // ignore_changes hides a change of that attribute
    let text = env.edit_quickstart(&[(
        "    description: copy\n",
        "    description: ignored change\n    lifecycle: { ignore_changes: [description] }\n",
    )]);
    env.ok(&common::CHECK, 0);
    // prevent_destroy: a destroy plan fails with exit 1, naming the resource and the file
    let text = text.replace(
        "    name: copy_by_v31\n",
        "    name: copy_by_v31\n    lifecycle: { prevent_destroy: true }\n",
    );
    let text = text.replace("    lifecycle: { ignore_changes: [description] }\n", "");
    env.write("quickstart/main.yaml", &text);
    let r = env.ok(&common::DESTROY, 1);
    r.err_has("quickstart/main.yaml:");
    r.err_has("huaweicloud_rds_parameter_template.copy_by_v31.lifecycle.prevent_destroy");
    assert_eq!(
        env.made("parameter_template").len(),
        3,
        "nothing was destroyed"
    );
    let r = env.ok(&["-C", "quickstart", "plan", "--destroy"], 1);
    r.err_has("prevent_destroy");
}
