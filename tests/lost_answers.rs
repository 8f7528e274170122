//! Lost answers, through the real binary against the sandbox's targeted faults: a create whose
//! answer is lost is found and finished (never tainted, never made twice); a look-up that
//! fails keeps the intent open instead of creating again; an apply that leaves anything
//! unfinished never exits 0.

mod common;
use common::{inventory, Env};

const WAREHOUSE: &str = "providers:
  alicloud: { region: cn-hangzhou, endpoint: sandbox }
resources:
  alicloud_gpdb_instance.primary:
    zone_id: cn-hangzhou-i
    engine_version: \"6.0\"
    instance_spec: 4C32G
    seg_node_num: 4
    storage_size: 100
    description: primary-accept
  alicloud_gpdb_instance.restore:
    clone: { source: \"${alicloud_gpdb_instance.primary.id}\", backup: latest }
    zone_id: cn-hangzhou-i
";

const TEMPLATE: &str = "providers:
  huaweicloud:
    region: ap-southeast-1
    project_id: 054e292c9880d4992f02c0196d3ea468
    endpoint: sandbox
resources:
  huaweicloud_rds_parameter_template.one:
    name: lost-answer
    datastore: { type: MySQL, version: \"8.0\" }
";

fn apply(env: &Env, dir: &str, faults: &str) -> common::Run {
    env.run_with(
        &["-C", dir, "apply", "--auto-approve", "--parallelism", "1"],
        &[("STRATA_SANDBOX", faults)],
    )
}

#[test]
fn an_instance_found_still_creating_is_waited_for_and_finished_not_tainted() {
    let env = Env::new();
    env.write("dw/main.yaml", WAREHOUSE);
    // Every CreateDBInstance takes effect but its answer is lost: both instances (the
    // primary, and the clone's target) are found by their token while still `Creating`.
    let faults = "async_ms=400,lose=CreateDBInstance*2";
    let r = apply(&env, "dw", faults);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("answer was lost; found gp-"), "{r:?}");
    let st = env.state_json("dw");
    for addr in [
        "alicloud_gpdb_instance.primary",
        "alicloud_gpdb_instance.restore",
    ] {
        let res = &st["resources"][addr];
        assert!(res.get("tainted").is_none(), "{addr} is tainted: {st}");
    }
    let restored = &st["resources"]["alicloud_gpdb_instance.restore"]["attributes"]["backup_id"];
    assert!(restored.as_str().is_some_and(|b| !b.is_empty()), "{st}");
    assert_eq!(env.made_in("gpdb", "instance").len(), 2);
    inventory::check_converged(&env, "dw", &[], "after lost CreateDBInstance answers");
}

#[test]
fn a_failing_look_up_keeps_the_intent_open_and_never_creates_again() {
    let env = Env::new();
    env.write("t/main.yaml", TEMPLATE);
    // The create takes effect and its answer is lost; every look-up (the list) then fails.
    let faults = "lose=POST /huaweicloud/rds/v3/{project}/configurations,\
                  fail=GET /huaweicloud/rds/v3/{project}/configurations*1000";
    let r = apply(&env, "t", faults);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr.contains("looking for what it made failed"),
        "{r:?}"
    );
    assert_eq!(env.made_names("parameter_template"), ["lost-answer"]);
    let st = env.state_json("t");
    assert_eq!(st["intents"].as_array().map(Vec::len), Some(1), "{st}");
    // The next run finds what the lost create made and adopts it: made once, in state.
    let r = apply(&env, "t", "");
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("adopted"), "{r:?}");
    assert_eq!(env.made_names("parameter_template"), ["lost-answer"]);
    inventory::check_converged(&env, "t", &[], "after a failing look-up");
}
