//! The quickstart's Huawei stack, end to end through the real binary and the embedded sandbox:
//! validate, plan, apply, "No changes", update, replace, destroy — and what the sandbox holds at
//! each step. (The whole quickstart, every family at once: tests/alicloud.rs, kill_anywhere.rs.)

mod common;
use common::Env;

#[test]
fn quickstart_lifecycle() {
    let env = Env::huawei_quickstart();
    let r = env.ok(&["-C", "quickstart", "validate"], 0);
    r.out_has("valid");

    let r = env.ok(&common::CHECK, 2);
    r.out_has("# huaweicloud_rds_parameter_template.base will be created");
    assert!(r.stdout.contains(
        "# huaweicloud_rds_parameter_template.copy_by_v31 will be created\n  # (cloned from 66251c9024774eeb9edd8663a4cbb0a1pr04)"
    ));
    assert!(r
        .stdout
        .contains("Actions: 1 to create, 2 to clone, 0 to bind"));
    assert!(
        env.made("parameter_template").is_empty(),
        "plan must not change anything"
    );
    assert!(
        !env.path().join("state/quickstart.json").exists(),
        "plan writes no state"
    );

    let r = env.ok(&common::APPLY, 0);
    r.out_has("Apply complete! Resources: 1 created, 2 cloned");
    let made = env.made("parameter_template");
    let names: Vec<&str> = made.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(names, ["base-staging", "base-staging-copy", "copy_by_v31"]);

    let r = env.ok(&common::CHECK, 0);
    r.out_has("No changes.");

    // state: lineage, serial, 0600, what was made and how
    let st = env.state_json("quickstart");
    assert_eq!(st["serial"], 1);
    let copy = &st["resources"]["huaweicloud_rds_parameter_template.base_copy"];
    assert_eq!(copy["made"]["how"], "cloned");
    assert_eq!(
        copy["dependencies"][0],
        "huaweicloud_rds_parameter_template.base"
    );
    assert_eq!(
        copy["made"]["from"]["source"],
        st["resources"]["huaweicloud_rds_parameter_template.base"]["id"]
    );
    assert!(!env.path().join("state/quickstart.json.journal").exists());
    assert!(!env.path().join("state/quickstart.json.lock").exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(env.path().join("state/quickstart.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // outputs and state commands
    let r = env.ok(&["-C", "quickstart", "output", "seed_engine"], 0);
    assert_eq!(r.stdout.trim(), "sqlserver");
    let r = env.ok(&["-C", "quickstart", "state", "list"], 0);
    assert_eq!(r.stdout.lines().count(), 4, "{r:?}");

    // an update and a replacement
    let text = env.edit_quickstart(&[
        ("max_connections: \"500\"", "max_connections: \"501\""),
        ("name: copy_by_v31", "name: copy_by_v32"),
    ]);
    let r = env.ok(&common::CHECK, 2);
    r.out_has("~ \"max_connections\" = \"500\" -> \"501\"");
    assert!(r
        .stdout
        .contains("Actions: 0 to create, 0 to clone, 0 to bind, 2 to update"));
    let r = env.ok(&common::APPLY, 0);
    r.out_has("2 updated");
    env.ok(&common::CHECK, 0);
    let text = text.replace("version: \"8.0\"", "version: \"5.7\"");
    env.write("quickstart/main.yaml", &text);
    let r = env.ok(&["-C", "quickstart", "plan"], 0);
    r.out_has("-/+ resource \"huaweicloud_rds_parameter_template\" \"base\"");
    assert!(r.stdout.contains("# forces replacement"));
    let r = env.ok(&common::APPLY, 0);
    r.out_has("2 replaced");
    env.ok(&common::CHECK, 0);
    assert_eq!(
        env.made("parameter_template").len(),
        3,
        "replaced, not duplicated"
    );

    // destroy removes exactly what was made; the seeds stay
    let seeds_before = env.sandbox().len() - 3;
    let r = env.ok(&common::DESTROY, 0);
    r.out_has("Destroy complete! Resources: 3 destroyed.");
    assert!(env.made("parameter_template").is_empty());
    assert_eq!(env.sandbox().len(), seeds_before);
    let r = env.ok(&["-C", "quickstart", "state", "list"], 0);
    assert_eq!(r.stdout.trim(), "");
}

#[test]
fn apply_without_a_terminal_needs_auto_approve() {
    let env = Env::huawei_quickstart();
    let r = env.ok(&["-C", "quickstart", "apply"], 1);
    r.err_has("--auto-approve");
    assert!(env.made("parameter_template").is_empty());
}

#[test]
fn json_plan_follows_the_contract() {
    let env = Env::huawei_quickstart();
    let r = env.ok(
        &[
            "-C",
            "quickstart",
            "plan",
            "--format",
            "json",
            "--detailed-exitcode",
        ],
        2,
    );
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["format_version"], "1.2");
    assert_eq!(doc["terraform_version"], "1.11.0");
    assert_eq!(doc["strata_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(doc["stack"], "quickstart");
    assert_eq!(doc["summary"]["create"], 1);
    assert_eq!(doc["summary"]["clone"], 2);
    assert_eq!(doc["summary"]["read"], 1);
    let rc = doc["resource_changes"].as_array().unwrap();
    let copy = rc
        .iter()
        .find(|c| c["address"] == "huaweicloud_rds_parameter_template.base_copy")
        .unwrap();
    assert_eq!(copy["action"], "clone");
    assert_eq!(copy["change"]["actions"], serde_json::json!(["create"]));
    assert_eq!(copy["change"]["before"], serde_json::Value::Null);
    assert_eq!(copy["change"]["after_unknown"]["id"], true);
    // known after apply: left out of `after`, as Terraform writes it
    assert!(copy["change"]["after"].get("id").is_none(), "{copy:#}");
    assert_eq!(
        copy["depends_on"][0],
        "huaweicloud_rds_parameter_template.base"
    );
    assert!(doc["output_changes"]["base_id"]["after_unknown"]
        .as_bool()
        .unwrap());
}
