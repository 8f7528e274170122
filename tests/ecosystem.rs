//! The tools Terraform users run in CI on `terraform show -json` plans — checkov,
//! terraform-compliance, flatplan, and a Rego policy (evaluated by regorus through the
//! opa-eval package: OPA itself is a Go binary no reachable package registry ships) — run on
//! strata's plan documents (`common::plan_docs`: the quickstart's first plan, the quickstart
//! changed once applied — through `show --json` of its saved plan — and the modules example's
//! plan) and, as the control, on Terraform 1.11's own plan of a comparable `terraform_data`
//! config (`tests/ecosystem/terraform/plan.json`, made by its `make-control.sh`), in the
//! virtual environment `tests/python/venv.sh` makes from
//! `tests/python/requirements-ecosystem.txt` (pinned, from the Python package index).
//!
//! Invariants: each tool must report exactly the objects the plan holds — the counts and
//! addresses are written out here, never read from the document under test — so a document
//! the tools read as empty (or refuse) fails; the control must pass the same way, so a test
//! that fails on strata's plans alone points at the document, not at the harness. When the
//! virtual environment cannot be made, the tests fail under `CI=true` and otherwise warn
//! loudly and pass without running (`common::python`).

mod common;

use common::plan_docs::{self, Documents};
use common::{python, repo};
use serde_json::{json, Value as J};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// How long one run of one tool may take.
const TOOL_TIMEOUT: Duration = Duration::from_secs(300);

const TOOLS: python::Suite = python::Suite::new(
    "ecosystem",
    "requirements-ecosystem.txt",
    "THE TERRAFORM ECOSYSTEM SUITE (checkov, terraform-compliance, flatplan, Rego)",
    "the ecosystem's tools",
);

/// Terraform's own plan of `tests/ecosystem/terraform/after/` against the state of `before/`.
fn control() -> PathBuf {
    repo().join("tests/ecosystem/terraform/plan.json")
}

/// The managed objects each plan holds once applied, sorted.
const CONTROL_PLANNED: [&str; 5] = [
    "module.db.terraform_data.inner",
    "terraform_data.keep",
    "terraform_data.new",
    "terraform_data.repl",
    "terraform_data.upd",
];
const QUICKSTART_PLANNED: [&str; 8] = [
    "alicloud_dataworks_data_source.holo_copy",
    "alicloud_gpdb_instance.warehouse",
    "alicloud_gpdb_instance.warehouse_restore",
    "alicloud_selectdb_cluster_binding.main",
    "commvault_postgresql_instance.orders",
    "huaweicloud_rds_parameter_template.base",
    "huaweicloud_rds_parameter_template.base_copy",
    "huaweicloud_rds_parameter_template.copy_by_v31",
];
/// The quickstart's object the changed config no longer has.
const DELETED: &str = "alicloud_dataworks_data_source.holo_copy";
const MODULES_PLANNED: [&str; 6] = [
    "module.warehouse[\"prod\"].alicloud_gpdb_instance.dr",
    "module.warehouse[\"prod\"].alicloud_gpdb_instance.main",
    "module.warehouse[\"prod\"].commvault_postgresql_instance.protection",
    "module.warehouse[\"staging\"].alicloud_gpdb_instance.dr",
    "module.warehouse[\"staging\"].alicloud_gpdb_instance.main",
    "module.warehouse[\"staging\"].commvault_postgresql_instance.protection",
];

/// The virtual environment's programs, run in a working directory of their own.
struct Tools {
    venv: PathBuf,
    dir: PathBuf,
}

impl Tools {
    /// Run `tool` with `args`, logging to `TOOL.log` in the working directory, insisting
    /// that it exits 0: its output.
    fn ok(&self, case: &str, tool: &str, args: &[&str]) -> String {
        let mut cmd = Command::new(self.venv.join("bin").join(tool));
        cmd.args(args).current_dir(&self.dir).env("NO_COLOR", "1");
        let log = self.dir.join(format!("{tool}.log"));
        let (status, output) = python::run_logged(cmd, &log, tool, TOOL_TIMEOUT);
        assert!(
            status.success(),
            "{case}: {tool} {args:?} ({status}):\n{output}"
        );
        output
    }
}

/// A plan the tools read, and the managed objects it holds once applied (sorted).
struct Case {
    name: &'static str,
    plan: PathBuf,
    planned: Vec<String>,
}

/// Run `check` on every plan (the control first) with the tools; nothing, after the loud
/// warning, when their virtual environment cannot be made outside CI.
fn for_each_plan(check: impl Fn(&Tools, &Case)) {
    let Some(venv) = python::venv(&TOOLS) else {
        return;
    };
    let docs = plan_docs::make();
    let tools = Tools {
        venv,
        dir: docs.quickstart_env.path().to_path_buf(),
    };
    for case in cases(&docs) {
        check(&tools, &case);
    }
}

fn text(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

fn sorted(v: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut v: Vec<String> = v.into_iter().collect();
    v.sort();
    v
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// The plans the tools read.
fn cases(docs: &Documents) -> Vec<Case> {
    let case = |name, plan: &Path, planned: &[&str]| Case {
        name,
        plan: plan.to_path_buf(),
        planned: strings(planned),
    };
    vec![
        case("control", &control(), &CONTROL_PLANNED),
        case("quickstart", &docs.quickstart, &QUICKSTART_PLANNED),
        Case {
            name: "change",
            plan: docs.change.clone(),
            planned: strings(&QUICKSTART_PLANNED)
                .into_iter()
                .filter(|a| a != DELETED)
                .collect(),
        },
        case("modules", &docs.modules, &MODULES_PLANNED),
    ]
}

/// checkov's JSON report of `case` with the custom policies of tests/ecosystem/checkov/.
fn checkov(tools: &Tools, case: &Case) -> J {
    let out = tools.dir.join("checkov-out");
    let policies = repo().join("tests/ecosystem/checkov");
    let args = [
        "-f",
        text(&case.plan),
        "--framework",
        "terraform_plan",
        "--skip-download",
        "--external-checks-dir",
        text(&policies),
        "-o",
        "json",
        "--output-file-path",
        text(&out),
        "--soft-fail",
    ];
    tools.ok(case.name, "checkov", &args);
    match plan_docs::read(&out.join("results_json.json")) {
        J::Array(mut all) if all.len() == 1 => all.remove(0),
        report => report,
    }
}

/// The resources a checkov report has `check` results for, as passed or failed.
fn checked(report: &J, check: &str, outcome: &str) -> Vec<String> {
    let results = report["results"][outcome]
        .as_array()
        .cloned()
        .unwrap_or_default();
    sorted(
        results
            .iter()
            .filter(|r| r["check_id"] == check)
            .filter_map(|r| r["resource"].as_str())
            .map(String::from),
    )
}

/// The objects of `case` whose description is left unknown (base_copy: a clone) or absent.
fn undescribed(case: &str) -> Vec<String> {
    match case {
        "control" => strings(&CONTROL_PLANNED),
        "modules" => Vec::new(),
        _ => strings(&["huaweicloud_rds_parameter_template.base_copy"]),
    }
}

#[test]
fn checkov_reads_every_planned_object() {
    for_each_plan(|tools, case| {
        let report = checkov(tools, case);
        let summary = &report["summary"];
        let what = format!("{}: {summary}", case.name);
        assert_eq!(summary["resource_count"], case.planned.len(), "{what}");
        assert_eq!(summary["parsing_errors"], 0, "{what}");
        let passed = checked(&report, "CKV2_STRATA_1", "passed_checks");
        assert_eq!(passed, case.planned, "{what}");
        let failed = checked(&report, "CKV2_STRATA_2", "failed_checks");
        assert_eq!(failed, undescribed(case.name), "{what}");
    });
}

/// terraform-compliance's closing line `N scenarios (N passed)` of a run whose every scenario
/// passed (none failed, none skipped: a type the tool does not find skips its scenario).
fn scenarios_passed(output: &str) -> Option<usize> {
    let line = output.lines().find(|l| l.contains(" scenarios ("))?;
    let (n, rest) = line.trim().split_once(" scenarios (")?;
    (rest == format!("{n} passed)"))
        .then(|| n.parse().ok())
        .flatten()
}

/// How many scenarios the features of tests/ecosystem/compliance/CASE/ hold.
fn scenarios(case: &str) -> usize {
    match case {
        "quickstart" => 5,
        "change" => 4,
        _ => 2,
    }
}

#[test]
fn terraform_compliance_counts_resources_by_type() {
    for_each_plan(|tools, case| {
        let features = repo().join("tests/ecosystem/compliance").join(case.name);
        let args = ["-f", text(&features), "-p", text(&case.plan)];
        let output = strip_ansi(&tools.ok(case.name, "terraform-compliance", &args));
        let n = scenarios(case.name);
        assert_eq!(
            scenarios_passed(&output),
            Some(n),
            "{}:\n{output}",
            case.name
        );
    });
}

/// `text` without ANSI colour sequences (terraform-compliance colours regardless).
fn strip_ansi(text: &str) -> String {
    let re = regex::Regex::new("\x1b\\[[0-9;]*m").expect("a valid pattern");
    re.replace_all(text, "").into_owned()
}

/// The provider configurations flatplan must find in `case`, by name.
fn providers(case: &str) -> Vec<String> {
    match case {
        "control" => strings(&["terraform"]),
        "modules" => strings(&["alicloud", "alicloud", "commvault"]),
        _ => strings(&["alicloud", "commvault", "huaweicloud"]),
    }
}

#[test]
fn flatplan_finds_every_planned_object_and_provider() {
    for_each_plan(|tools, case| {
        let output = tools.ok(case.name, "flatplan", &["--path", text(&case.plan)]);
        let flat: J = output
            .lines()
            .find_map(|l| serde_json::from_str(l).ok())
            .unwrap_or_else(|| panic!("{}: flatplan printed no JSON:\n{output}", case.name));
        let names = |key: &str, field: &str| {
            let items = flat[key].as_array().into_iter().flatten();
            sorted(items.map(|r| r[field].as_str().unwrap_or_default().to_string()))
        };
        assert_eq!(names("resources", "address"), case.planned, "{}", case.name);
        assert_eq!(
            names("providers", "name"),
            providers(case.name),
            "{}",
            case.name
        );
    });
}

/// What tests/ecosystem/opa/plan.rego's `summary` must be for each plan.
fn rego_summary(case: &str) -> J {
    match case {
        "control" => json!({
            "by_actions": { "create": 1, "delete": 1, "delete,create": 1, "no-op": 2, "update": 1 },
            "by_provider": { "terraform.io/builtin/terraform": 6 },
            "deny": ["terraform_data.gone", "terraform_data.repl"],
            "planned": CONTROL_PLANNED,
        }),
        "quickstart" => json!({
            "by_actions": { "create": 8 },
            "by_provider": { "strata.dev/builtin/alicloud": 4, "strata.dev/builtin/commvault": 1,
                             "strata.dev/builtin/huaweicloud": 3 },
            "deny": [],
            "planned": QUICKSTART_PLANNED,
        }),
        "change" => json!({
            "by_actions": { "delete": 1, "delete,create": 2, "no-op": 4, "update": 1 },
            "by_provider": { "strata.dev/builtin/alicloud": 4, "strata.dev/builtin/commvault": 1,
                             "strata.dev/builtin/huaweicloud": 3 },
            "deny": [DELETED,
                     "huaweicloud_rds_parameter_template.base",
                     "huaweicloud_rds_parameter_template.base_copy"],
            "planned": QUICKSTART_PLANNED.iter().filter(|a| **a != DELETED).collect::<Vec<_>>(),
        }),
        _ => json!({
            "by_actions": { "create": 6 },
            "by_provider": { "strata.dev/builtin/alicloud": 4, "strata.dev/builtin/commvault": 2 },
            "deny": [],
            "planned": MODULES_PLANNED,
        }),
    }
}

#[test]
fn a_rego_policy_over_planned_values_and_resource_changes_sees_every_object() {
    let opa = repo().join("tests/ecosystem/opa");
    let (script, policy) = (opa.join("evaluate.py"), opa.join("plan.rego"));
    for_each_plan(|tools, case| {
        let args = [text(&script), text(&policy), text(&case.plan)];
        let output = tools.ok(case.name, "python", &args);
        let summary: J = serde_json::from_str(output.trim())
            .unwrap_or_else(|e| panic!("{}: {e}:\n{output}", case.name));
        assert_eq!(summary, rego_summary(case.name), "{}", case.name);
    });
}
