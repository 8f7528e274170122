//! The vendors' official SDKs, as shipped, against the real `strata sandbox serve`: each test
//! starts the binary on a port of its own (read from its banner) with a world of its own
//! (`STRATA_SANDBOX_FILE` in a temporary directory), and runs one vendor's Python suite of
//! `tests/sdk/` against it in the virtual environment `tests/python/venv.sh` makes from
//! `tests/python/requirements-sdk.txt` (pinned packages from the Python package index).
//!
//! Invariants: a failing Python test fails the Rust test with the Python output; a Python run
//! that executed no test fails too. When the virtual environment cannot be made (no Python,
//! no network to the index), the tests fail loudly under `CI=true` and otherwise print a loud
//! warning to stderr and pass without running.

mod common;

use common::{python, repo, Env};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

/// How long one vendor's suite may take before it is stopped and the test fails.
const SUITE_TIMEOUT: Duration = Duration::from_secs(300);

/// The SDK suite's virtual environment (`common::python`).
const SDKS: python::Suite = python::Suite::new(
    "sdk",
    "requirements-sdk.txt",
    "THE VENDOR SDK CONFORMANCE SUITE",
    "the official SDKs",
);

fn venv() -> Option<PathBuf> {
    python::venv(&SDKS)
}

/// The sandbox settings of every suite but the faults': asynchronous changes in 300 ms.
const QUICK: &str = "async_ms=300";

/// The Commvault suite's: also a short idle token life (at most 10 s), for its expiry test.
const COMMVAULT: &str = "async_ms=300,token_ttl_ms=3000";

/// The short-lived credentials suite's: temporary credentials live 3 s at most, for its
/// expiry tests.
const STS: &str = "async_ms=300,sts_ttl_ms=3000";

/// The faults `tests/sdk/test_faults.py` expects (its `FAULTS`, which it checks): the first
/// call of each named operation fails, every other call is throttled.
const FAULTS: &str = "throttle_rate=1,fail=gpdb:DescribeDBInstanceAttribute*1+dataworks:GetDataSource*1\
                      +selectdb:DescribeDBInstanceAttribute*1+GET /v3/{project}/configurations/{id}*1";

/// Run the Python test module `module` of `tests/sdk/` against a fresh sandbox started with
/// `STRATA_SANDBOX=faults`; panics with the Python output unless every test passed, at least
/// one ran and none was skipped.
fn conforms(module: &str, faults: &str) {
    let Some(venv) = venv() else { return };
    let env = Env::new();
    let world = env.path().join("sandbox.json");
    let world = world.to_str().expect("a UTF-8 temporary path");
    let (_server, url) =
        env.serve_sandbox(&[("STRATA_SANDBOX_FILE", world), ("STRATA_SANDBOX", faults)]);
    let mut python = Command::new(venv.join("bin/python"));
    python
        .args(["-m", "unittest", "-v", module])
        .current_dir(repo().join("tests/sdk"))
        .env("STRATA_SANDBOX_ADDR", url.trim_start_matches("http://"))
        .env("STRATA_SANDBOX_FAULTS", faults);
    let output = finished(
        python,
        &env.path().join(format!("{module}.log")),
        module,
        &url,
    );
    let ran = output.lines().find_map(|l| {
        l.strip_prefix("Ran ")?
            .split(' ')
            .next()?
            .parse::<u32>()
            .ok()
    });
    assert!(
        ran.is_some_and(|n| n > 0),
        "the {module} SDK suite ran no test:\n{output}"
    );
    assert!(
        !output.contains("skipped"),
        "the {module} SDK suite skipped tests, which must all run:\n{output}"
    );
}

/// The output of `python` (stdout and stderr, through the file `log`) once it exited 0 within
/// [`SUITE_TIMEOUT`]; panics with it otherwise.
fn finished(python: Command, log: &std::path::Path, what: &str, url: &str) -> String {
    let (status, output) = python::run_logged(python, log, what, SUITE_TIMEOUT);
    assert!(
        status.success(),
        "{what} failed against {url} ({status}):\n{output}"
    );
    output
}

/// Run `examples/sdk/<name>.py` as README.md tells a user to, against a fresh sandbox: it must
/// exit 0, print every line of `expected` (in order), and leave the sandbox holding exactly
/// what it held before (the example deletes what it made).
fn example_runs(name: &str, expected: &[&str]) {
    let Some(venv) = venv() else { return };
    let env = Env::new();
    let world = env.path().join("sandbox.json");
    let world_text = world.to_str().expect("a UTF-8 temporary path");
    let settings = [
        ("STRATA_SANDBOX_FILE", world_text),
        ("STRATA_SANDBOX", QUICK),
    ];
    let (_server, url) = env.serve_sandbox(&settings);
    let inventory = || {
        env.ok_with(&["sandbox", "ls", "--json"], &settings, 0)
            .stdout
    };
    let before = inventory();
    let mut python = Command::new(venv.join("bin/python"));
    python
        .arg(repo().join(format!("examples/sdk/{name}.py")))
        .arg(url.trim_start_matches("http://"));
    let output = finished(python, &env.path().join(format!("{name}.log")), name, &url);
    let mut rest = output.as_str();
    for line in expected {
        let at = rest
            .find(line)
            .unwrap_or_else(|| panic!("{name}.py did not print {line:?} (in order):\n{output}"));
        rest = &rest[at + line.len()..];
    }
    assert_eq!(
        inventory(),
        before,
        "{name}.py left objects behind:\n{output}"
    );
}

#[test]
fn the_readme_alibaba_example_runs() {
    example_runs(
        "alibaba",
        &[
            "gpdb: CreateDBInstance -> gp-",
            "gpdb: CloneDBInstance gp-bp1seedwarehouse01 backup 1111111111 -> gp-",
            "gpdb: DeleteDBInstance gp-",
            "selectdb: CreateDBClusterBinding -> 6585",
            "dataworks: CloneDataSource 16036 -> ",
            "dataworks: DeleteDataSource ",
        ],
    );
}

#[test]
fn the_readme_huawei_example_runs() {
    example_runs(
        "huawei",
        &[
            "rds: copy 66251c9024774eeb9edd8663a4cbb0a1pr04 -> ",
            "rds: show ",
            "rds: delete ",
            "rds: show after delete -> 404 DBS.200002",
        ],
    );
}

#[test]
fn the_readme_commvault_example_runs() {
    example_runs(
        "commvault",
        &[
            "commvault: logged in as admin",
            "commvault: Create Instance -> ",
            "commvault: get ",
            "commvault: deleted ",
            "commvault: an unknown plan -> Failed to create instance",
            "Plan [No such plan] does not exist.",
        ],
    );
}

#[test]
fn gpdb_sdk_conforms() {
    conforms("test_gpdb", QUICK);
}

#[test]
fn dataworks_sdk_conforms() {
    conforms("test_dataworks", QUICK);
}

#[test]
fn selectdb_sdk_conforms() {
    conforms("test_selectdb", QUICK);
}

#[test]
fn huawei_rds_sdk_conforms() {
    conforms("test_huawei_rds", QUICK);
}

#[test]
fn aliyun_core_v2_sdk_conforms() {
    conforms("test_aliyun_core_v2", QUICK);
}

#[test]
fn short_lived_credentials_conform_to_the_sdks() {
    conforms("test_sts", STS);
}

#[test]
fn commvault_sdk_conforms() {
    conforms("test_commvault", COMMVAULT);
}

#[test]
fn injected_faults_are_the_sdks_typed_errors() {
    conforms("test_faults", FAULTS);
}
