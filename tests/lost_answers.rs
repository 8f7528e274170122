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
    r.out_has("answer was lost; found gp-");
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
    let faults = "lose=POST /v3/{project}/configurations,\
                  fail=GET /v3/{project}/configurations*1000";
    let r = apply(&env, "t", faults);
    assert_eq!(r.code, 1, "{r:?}");
    r.err_has("looking for what it made failed");
    assert_eq!(env.made_names("parameter_template"), ["lost-answer"]);
    let st = env.state_json("t");
    assert_eq!(st["intents"].as_array().map(Vec::len), Some(1), "{st}");
    // The next run finds what the lost create made and adopts it: made once, in state.
    let r = apply(&env, "t", "");
    assert_eq!(r.code, 0, "{r:?}");
    r.out_has("adopted");
    assert_eq!(env.made_names("parameter_template"), ["lost-answer"]);
    inventory::check_converged(&env, "t", &[], "after a failing look-up");
}

/// Half of all calls fail (half of those after taking effect) and a fifth are throttled, on
/// the whole quickstart: every apply that exits 0 has left everything complete — each object
/// once, in state, and a plan with nothing to do. `STRATA_FAULT_SEEDS` sets how many seeds.
#[test]
fn at_fifty_percent_faults_an_apply_that_exits_0_is_really_complete() {
    let seeds: u64 = std::env::var("STRATA_FAULT_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(6);
    let zero_exits = std::sync::atomic::AtomicUsize::new(0);
    let failed_runs = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for worker in 0..2 {
            let (zero_exits, failed_runs) = (&zero_exits, &failed_runs);
            scope.spawn(move || {
                for seed in (1..=seeds).filter(|s| s % 2 == worker) {
                    let env = Env::with_example("quickstart");
                    let mut converged = false;
                    let mut errors = Vec::new();
                    for attempt in 0..12 {
                        // a new seed per run: the same seed would replay the same faults
                        let faults = format!(
                            "fail_rate=0.5,throttle_rate=0.2,async_ms=150,seed={}",
                            seed * 100 + attempt
                        );
                        let r = env.run_with(&common::APPLY, &[("STRATA_SANDBOX", &faults)]);
                        assert!(!r.all().contains("panicked"), "seed {seed}: {r:?}");
                        if r.code == 0 {
                            zero_exits.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            let point = format!("seed {seed}, apply {attempt} exited 0");
                            inventory::check_converged(&env, "quickstart", &[], &point);
                            converged = true;
                            break;
                        }
                        failed_runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        let first_error = r.stderr.lines().find(|l| l.contains("Error"));
                        errors.push(first_error.unwrap_or_default().to_string());
                    }
                    assert!(
                        converged,
                        "seed {seed}: never converged in 12 applies: {errors:#?}"
                    );
                }
            });
        }
    });
    eprintln!(
        "50% faults: {seeds} seeds; {} applies exited 0, each complete; {} exited 1 (a fault \
         outlasted the retries) and were run again",
        zero_exits.into_inner(),
        failed_runs.into_inner()
    );
}
