//! The plan document in Terraform's shape, through the real binary: every key Terraform 1.11's
//! own document has (its plan of a comparable `terraform_data` config,
//! `tests/ecosystem/terraform/plan.json`, is the reference) is in strata's, with the same
//! kind of value; one line, or indented with `--pretty`; `show --json PLAN` is the document
//! `plan --format json` printed; unknowns left out of `after`; plan-time reads only in
//! `prior_state`; attribute-only `replace_paths`; modules as child modules and module calls;
//! no secret anywhere (docs/plan-json.md).

mod common;

use common::plan_docs::{self, change_of, read};
use common::{assert_plan_schema, repo, Env};
use serde_json::{json, Value as J};
use std::collections::BTreeSet;

fn control() -> J {
    read(&repo().join("tests/ecosystem/terraform/plan.json"))
}

fn keys(v: &J) -> BTreeSet<String> {
    v.as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

/// Every key of Terraform's `theirs` is in strata's `ours`, holding the same kind of JSON
/// value (`null` matching anything: a value Terraform happened not to have).
#[track_caller]
fn has_terraforms_keys(what: &str, theirs: &J, ours: &J) {
    let missing: Vec<String> = keys(theirs).difference(&keys(ours)).cloned().collect();
    assert!(
        missing.is_empty(),
        "{what}: strata lacks {missing:?}\n{ours:#}"
    );
    for k in keys(theirs) {
        let kind = |v: &J| std::mem::discriminant(v);
        let (t, o) = (&theirs[&k], &ours[&k]);
        if !t.is_null() && !o.is_null() {
            assert_eq!(kind(t), kind(o), "{what}.{k}: Terraform {t}, strata {o}");
        }
    }
}

/// The resource change of `doc` whose `change.actions` are `actions`.
fn change_with(doc: &J, actions: J) -> &J {
    plan_docs::change(doc, &actions.to_string(), |rc| {
        rc["change"]["actions"] == actions
    })
}

#[test]
fn the_document_has_every_key_terraforms_has() {
    let docs = plan_docs::make();
    let (tf, change, modules) = (control(), read(&docs.change), read(&docs.modules));
    assert_eq!(tf["format_version"], change["format_version"]);
    has_terraforms_keys("document", &tf, &change);
    let first = |d: &J, list: &str| d[list]["root_module"]["resources"][0].clone();
    has_terraforms_keys(
        "planned_values",
        &tf["planned_values"],
        &change["planned_values"],
    );
    has_terraforms_keys(
        "planned_values resource",
        &first(&tf, "planned_values"),
        &first(&change, "planned_values"),
    );
    has_terraforms_keys("prior_state", &tf["prior_state"], &change["prior_state"]);
    let prior = |d: &J| d["prior_state"]["values"]["root_module"]["resources"][0].clone();
    has_terraforms_keys("prior_state resource", &prior(&tf), &prior(&change));
    for actions in [
        json!(["delete"]),
        json!(["no-op"]),
        json!(["delete", "create"]),
        json!(["update"]),
    ] {
        let (t, o) = (
            change_with(&tf, actions.clone()),
            change_with(&change, actions.clone()),
        );
        has_terraforms_keys(&format!("{actions} change"), t, o);
        has_terraforms_keys(
            &format!("{actions} change.change"),
            &t["change"],
            &o["change"],
        );
    }
    let first_plan = read(&docs.quickstart);
    let (t, o) = (
        change_with(&tf, json!(["create"])),
        change_with(&first_plan, json!(["create"])),
    );
    has_terraforms_keys("create change.change", &t["change"], &o["change"]);
    let cfg = |d: &J| d["configuration"].clone();
    has_terraforms_keys("configuration", &cfg(&tf), &cfg(&change));
    has_terraforms_keys(
        "root_module",
        &cfg(&tf)["root_module"],
        &cfg(&modules)["root_module"],
    );
    has_terraforms_keys(
        "configuration resource",
        &cfg(&tf)["root_module"]["resources"][0],
        &cfg(&change)["root_module"]["resources"][0],
    );
    has_terraforms_keys(
        "provider_config",
        &cfg(&tf)["provider_config"]["terraform"],
        &cfg(&change)["provider_config"]["huaweicloud"],
    );
    let call = |d: &J, name: &str| d["configuration"]["root_module"]["module_calls"][name].clone();
    has_terraforms_keys(
        "module call",
        &call(&tf, "db"),
        &call(&modules, "warehouse"),
    );
    let child = |d: &J| d["planned_values"]["root_module"]["child_modules"][0].clone();
    has_terraforms_keys("child module", &child(&tf), &child(&modules));
    has_terraforms_keys(
        "relevant attribute",
        &tf["relevant_attributes"][0],
        &change["relevant_attributes"][0],
    );
    for doc in [&first_plan, &change, &modules] {
        assert_plan_schema(doc);
    }
}

#[test]
fn terraforms_value_shapes_for_creates_deletes_and_unknowns() {
    let docs = plan_docs::make();
    let (first, change) = (read(&docs.quickstart), read(&docs.change));
    let copy = change_of(&first, "huaweicloud_rds_parameter_template.base_copy");
    // known only after apply: left out of `after`, `true` in `after_unknown`
    assert!(copy["change"]["after"].get("id").is_none(), "{copy:#}");
    assert_eq!(copy["change"]["after_unknown"]["id"], true);
    assert_eq!(copy["change"]["before_sensitive"], false);
    assert_eq!(copy["provider_name"], "strata.dev/builtin/huaweicloud");
    let base_id = &first["output_changes"]["base_id"];
    assert!(base_id.get("after").is_none(), "{base_id}");
    assert_eq!(base_id["after_unknown"], true);
    let gone = change_of(&change, "alicloud_dataworks_data_source.holo_copy");
    assert_eq!(gone["change"]["after"], J::Null);
    assert_eq!(gone["change"]["after_unknown"], json!({}));
    assert_eq!(gone["change"]["after_sensitive"], false);
    assert_eq!(gone["action_reason"], "delete_because_no_resource_config");
    let kept = change_of(&change, "alicloud_gpdb_instance.warehouse");
    assert_eq!(kept["change"]["actions"], json!(["no-op"]));
    assert_eq!(kept["change"]["after_unknown"], json!({}));
    assert_eq!(kept["change"]["after"], kept["change"]["before"]);
    assert_eq!(first["terraform_version"], "1.11.0");
    assert_eq!(first["strata_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        (first["applyable"].clone(), first["complete"].clone()),
        (json!(true), json!(true))
    );
}

#[test]
fn replace_paths_name_attributes_a_moved_clone_source_has_its_own_reason_and_each_says_why() {
    let docs = plan_docs::make();
    let change = read(&docs.change);
    let base = change_of(&change, "huaweicloud_rds_parameter_template.base");
    assert_eq!(base["change"]["replace_paths"], json!([["datastore"]]));
    assert_eq!(base["action_reason"], "replace_because_cannot_update");
    assert_eq!(
        base["replace_reasons"],
        json!([{ "path": ["datastore"],
                 "reason": "a template's engine and version are fixed when it is made" }])
    );
    let copy = change_of(&change, "huaweicloud_rds_parameter_template.base_copy");
    assert_eq!(copy["change"]["actions"], json!(["delete", "create"]));
    assert_eq!(copy["change"]["replace_paths"], json!([]));
    assert_eq!(
        copy["action_reason"],
        "replace_because_clone_source_changed"
    );
    assert_eq!(
        copy["replace_reasons"],
        json!([{ "path": ["clone"],
                 "reason": "a clone is made from its source only when it is created" }])
    );
    let update = change_of(&change, "huaweicloud_rds_parameter_template.copy_by_v31");
    assert_eq!(update["change"]["after"]["description"], "changed");
}

#[test]
fn one_line_unless_pretty_and_show_prints_the_saved_document() {
    let docs = plan_docs::make();
    let shown = std::fs::read_to_string(&docs.change).unwrap();
    assert_eq!(
        shown, docs.change_printed,
        "show --json PLAN is what plan printed"
    );
    assert_eq!(shown.lines().count(), 1, "{shown}");
    assert!(shown.ends_with("}\n"));
    let saved = std::fs::read_to_string(&docs.change_plan).unwrap();
    assert_eq!(
        saved.lines().count(),
        1,
        "a saved plan file is one line too"
    );
    let env = &docs.quickstart_env;
    let plan_file = docs.change_plan.to_str().unwrap();
    let pretty = env.ok(
        &["-C", "quickstart", "show", "--json", "--pretty", plan_file],
        0,
    );
    assert!(pretty.stdout.lines().count() > 100, "{}", pretty.stdout);
    let same: J = serde_json::from_str(&pretty.stdout).unwrap();
    assert_eq!(same, read(&docs.change));
    let planned = env.ok(
        &["-C", "quickstart", "plan", "--format", "json", "--pretty"],
        0,
    );
    assert!(planned
        .stdout
        .starts_with("{\n  \"format_version\": \"1.2\""));
}

#[test]
fn reads_done_while_planning_are_prior_state_and_deferred_reads_are_changes() {
    let docs = plan_docs::make();
    let first = read(&docs.quickstart);
    let data = |list: &J| -> Vec<String> {
        list.as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["mode"] == "data")
            .map(|r| r["address"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(data(&first["resource_changes"]), Vec::<String>::new());
    assert_eq!(
        data(&first["planned_values"]["root_module"]["resources"]),
        Vec::<String>::new()
    );
    assert_eq!(
        data(&first["prior_state"]["values"]["root_module"]["resources"]),
        [
            "data.alicloud_selectdb_instance.main",
            "data.huaweicloud_rds_parameter_template.seed"
        ]
    );
    assert_eq!(
        first["summary"]["read"], 2,
        "strata's summary still counts them"
    );
    let env = Env::new();
    env.stack(
        "s",
        common::HUAWEI,
        "resources:\n  huaweicloud_rds_parameter_template.base:\n    name: b\n    datastore: { type: MySQL, version: \"8.0\" }\n\
         data:\n  huaweicloud_rds_parameter_template.made:\n    id: ${huaweicloud_rds_parameter_template.base.id}\n",
    );
    let doc: J =
        serde_json::from_str(&env.ok(&["-C", "s", "plan", "--format", "json"], 0).stdout).unwrap();
    let read_later = change_of(&doc, "data.huaweicloud_rds_parameter_template.made");
    assert_eq!(read_later["change"]["actions"], json!(["read"]));
    assert_eq!(read_later["action_reason"], "read_because_config_unknown");
    assert_eq!(
        data(&doc["planned_values"]["root_module"]["resources"]),
        ["data.huaweicloud_rds_parameter_template.made"]
    );
    assert_plan_schema(&doc);
}

#[test]
fn modules_are_child_modules_and_module_calls() {
    let docs = plan_docs::make();
    let doc = read(&docs.modules);
    let children = doc["planned_values"]["root_module"]["child_modules"]
        .as_array()
        .unwrap();
    let addresses: Vec<&str> = children
        .iter()
        .filter_map(|c| c["address"].as_str())
        .collect();
    assert_eq!(
        addresses,
        [
            "module.warehouse[\"prod\"]",
            "module.warehouse[\"staging\"]"
        ]
    );
    assert!(children
        .iter()
        .all(|c| c["resources"].as_array().map(Vec::len) == Some(3)));
    let dr = change_of(&doc, "module.warehouse[\"prod\"].alicloud_gpdb_instance.dr");
    assert_eq!(dr["module_address"], "module.warehouse[\"prod\"]");
    let cfg = &doc["configuration"];
    let call = &cfg["root_module"]["module_calls"]["warehouse"];
    assert_eq!(call["source"], "./warehouse");
    assert_eq!(
        call["for_each_expression"],
        json!({ "references": ["var.environments"] })
    );
    assert_eq!(
        call["expressions"]["env"],
        json!({ "references": ["each.key"] })
    );
    let inner = call["module"]["resources"].as_array().unwrap();
    let key_of = |address: &str| {
        inner
            .iter()
            .find(|r| r["address"] == address)
            .map(|r| r["provider_config_key"].clone())
            .unwrap_or_else(|| panic!("no {address} in {call:#}"))
    };
    assert_eq!(key_of("alicloud_gpdb_instance.dr"), "alicloud.dr");
    assert_eq!(key_of("alicloud_gpdb_instance.main"), "alicloud");
    assert_eq!(cfg["provider_config"]["alicloud.dr"]["alias"], "dr");
    assert_eq!(
        cfg["root_module"]["outputs"]["prod_dr"]["expression"]["references"],
        json!([
            "module.warehouse[\"prod\"].dr_id",
            "module.warehouse[\"prod\"]",
            "module.warehouse"
        ])
    );
}

/// A stack with secrets written everywhere a config can hold one.
const SECRETS: &str = r#"providers:
  alicloud: { region: cn-hangzhou, endpoint: sandbox, access_key: AKID-not-secret, secret_key: s3cr3t-provider-key }
  commvault: { endpoint: sandbox }
variables:
  pw: { default: s3cr3t-variable-default, sensitive: true }
resources:
  alicloud_gpdb_instance.w:
    zone_id: cn-hangzhou-i
    engine_version: "6.0"
    instance_spec: 4C32G
    seg_node_num: 4
    storage_size: 200
  commvault_postgresql_instance.lit:
    instance_name: pgm-a[ap-south-1]
    client_name: alibaba-prod
    version: "14"
    plan_name: Server plan
    maintenance_db: postgres
    endpoint: h:5432
    sa_user: { user_name: postgres, password: s3cr3t-literal-password }
  commvault_postgresql_instance.var:
    instance_name: pgm-b[ap-south-1]
    client_name: alibaba-prod
    version: "14"
    plan_name: Server plan
    maintenance_db: postgres
    endpoint: h:5432
    sa_user: { user_name: postgres, password: "${var.pw}" }
outputs:
  pw: { value: "${var.pw}", sensitive: true }
  literal: { value: s3cr3t-output-literal, sensitive: true }
"#;

#[test]
fn no_secret_is_ever_in_the_document() {
    let env = Env::new();
    env.write("s/main.yaml", SECRETS);
    let printed = env.ok(&["-C", "s", "plan", "--format", "json"], 0).stdout;
    // a saved plan would carry the config's literal secrets in its copy of the files: refused
    let r = env.ok(
        &["-C", "s", "plan", "--format", "json", "--out", "p.plan"],
        1,
    );
    r.err_has("is sensitive but written literally");
    assert!(!r.all().contains("s3cr3t"), "{r:?}");
    // with the secrets given through sensitive variables, the whole file holds none of them
    let through_vars = SECRETS
        .replace(
            "access_key: AKID-not-secret, secret_key: s3cr3t-provider-key",
            "access_key: AKID-not-secret, secret_key: \"${var.pw}\"",
        )
        .replace(
            "password: s3cr3t-literal-password",
            "password: \"${var.pw}\"",
        )
        .replace("value: s3cr3t-output-literal", "value: \"${var.pw}\"");
    env.write("v/main.yaml", &through_vars);
    env.ok(
        &["-C", "v", "plan", "--format", "json", "--out", "v.plan"],
        0,
    );
    let shown = env.ok(&["-C", "v", "show", "--json", "v.plan"], 0).stdout;
    let file = env.read("v.plan");
    for text in [&printed, &shown, &file] {
        assert!(
            !text.contains("s3cr3t"),
            "a secret is in the document:\n{text}"
        );
    }
    let doc: J = serde_json::from_str(&printed).unwrap();
    assert_plan_schema(&doc);
    assert_eq!(doc["variables"]["pw"], json!({ "sensitive": true }));
    let cfg = &doc["configuration"];
    assert_eq!(
        cfg["root_module"]["variables"]["pw"],
        json!({ "sensitive": true })
    );
    assert_eq!(
        cfg["provider_config"]["alicloud"]["expressions"]["secret_key"],
        json!({})
    );
    assert_eq!(
        cfg["provider_config"]["alicloud"]["expressions"]["access_key"],
        json!({ "constant_value": "AKID-not-secret" })
    );
    for name in ["lit", "var"] {
        let address = format!("commvault_postgresql_instance.{name}");
        let rc = change_of(&doc, &address);
        assert_eq!(rc["change"]["after"]["sa_user"]["password"], J::Null);
        assert_eq!(
            rc["change"]["after_sensitive"],
            json!({ "sa_user": { "password": true } })
        );
        let planned = doc["planned_values"]["root_module"]["resources"]
            .as_array()
            .and_then(|rs| rs.iter().find(|r| r["address"] == address.as_str()))
            .unwrap();
        assert_eq!(
            planned["sensitive_values"],
            json!({ "sa_user": { "password": true } })
        );
    }
    let outputs = &doc["planned_values"]["outputs"];
    assert_eq!(outputs["literal"], json!({ "sensitive": true }));
    assert_eq!(
        cfg["root_module"]["outputs"]["literal"]["expression"],
        json!({})
    );
}
