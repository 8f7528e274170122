//! The text plan as tfcmt and Atlantis read it (docs/plan-text.md "Lines other tools parse"):
//! their published regular expressions, copied below with where they come from, and the
//! decisions their parsers take with them, run on strata's real plans — the quickstart, a plan
//! with no changes, one with an update, a replacement, a delete and drift, a destroy plan and
//! a failing plan. What they find must be what strata's JSON plan says.

mod common;
use common::Env;
use regex::Regex;
use serde_json::Value as J;
use std::collections::BTreeSet;

/// tfcmt's plan parser: suzuki-shunsuke/tfcmt, `pkg/terraform/parser.go` — the regular
/// expressions of `NewPlanParser` and the whole lines `PlanParser.Parse` compares.
mod tfcmt {
    use super::Regex;

    pub const PASS: &str = r"(?m)^(Plan: \d|No changes.)";
    pub const FAIL: &str = r"(?m)^([│|] )?(Error: )";
    pub const OUTPUTS_CHANGES: &str = r"(?m)^Changes to Outputs:";
    pub const HAS_DESTROY: &str = r"(?m)([1-9][0-9]* to destroy.)";
    pub const HAS_NO_CHANGES: &str = r"(?m)^(No changes.)";
    pub const CREATE: &str = r"^ *# (.*) will be created$";
    pub const UPDATE: &str = r"^ *# (.*) will be updated in-place$";
    pub const DELETE: &str = r"^ *# (.*) will be destroyed$";
    pub const REPLACE: &str = r"^ *# (.*?)(?: is tainted, so)? must be replaced$";
    pub const REPLACE_OPTION: &str = r"^ *# (.*?) will be replaced, as requested$";
    pub const ACTIONS_HEADER: &str = "Terraform will perform the following actions:";
    pub const OUTSIDE_NOTE: &str = "Note: Objects have changed outside of Terraform";
    pub const OUTSIDE_END: &str = "Unless you have made equivalent changes to your configuration";

    /// What `PlanParser.Parse` returns (the fields the default template and the resource
    /// lists use).
    #[derive(Debug, Default)]
    pub struct Parsed {
        pub parse_error: bool,
        pub result: String,
        pub has_destroy: bool,
        pub has_no_changes: bool,
        pub has_error: bool,
        pub created: Vec<String>,
        pub updated: Vec<String>,
        pub deleted: Vec<String>,
        pub replaced: Vec<String>,
        pub changed_result: String,
        pub outside_terraform: String,
    }

    fn re(s: &str) -> Regex {
        Regex::new(s).expect("tfcmt's regular expressions compile")
    }

    /// The capture of `pattern` on `line`, as `extractResource` takes it.
    fn extract(pattern: &Regex, line: &str) -> Option<String> {
        pattern.captures(line).map(|c| c[1].to_string())
    }

    /// `PlanParser.Parse`, step by step.
    pub fn parse(body: &str) -> Parsed {
        let (pass, fail, outputs) = (re(PASS), re(FAIL), re(OUTPUTS_CHANGES));
        if !fail.is_match(body) && !pass.is_match(body) && !outputs.is_match(body) {
            return Parsed {
                parse_error: true,
                ..Parsed::default()
            };
        }
        let lines: Vec<&str> = body.split('\n').collect();
        let mut p = Parsed::default();
        let mut first: Option<usize> = None;
        let mut error_at: Option<usize> = None;
        let (mut change_start, mut change_end) = (None, None);
        let (mut outside_start, mut outside_end) = (None, None);
        let kinds = [
            re(CREATE),
            re(UPDATE),
            re(DELETE),
            re(REPLACE),
            re(REPLACE_OPTION),
        ];
        for (i, line) in lines.iter().enumerate() {
            if *line == OUTSIDE_NOTE {
                outside_start = Some(i + 1);
            }
            if outside_start.is_some() && outside_end.is_none() && line.starts_with(OUTSIDE_END) {
                outside_end = Some(i + 1);
            }
            if *line == ACTIONS_HEADER {
                change_start = Some(i + 1);
            }
            if *line == "Changes to Outputs:" && change_start.is_none() {
                change_start = Some(i);
            }
            if (line.starts_with("─────") || line.starts_with("-----"))
                && change_start.is_some()
                && change_end.is_none()
            {
                change_end = Some(i - 1);
            }
            if error_at.is_none() && fail.is_match(line) {
                error_at = Some(i);
                first = Some(i);
            }
            if first.is_none() && (pass.is_match(line) || outputs.is_match(line)) {
                first = Some(i);
            }
            // the first pattern that matches decides the list (replace and "replace, as
            // requested" both list a replacement)
            let found = kinds
                .iter()
                .enumerate()
                .find_map(|(k, re)| extract(re, line).map(|r| (k, r)));
            match found {
                Some((0, r)) => p.created.push(r),
                Some((1, r)) => p.updated.push(r),
                Some((2, r)) => p.deleted.push(r),
                Some((_, r)) => p.replaced.push(r),
                None => {}
            }
        }
        let first_line = first.map(|i| lines[i]).unwrap_or_default();
        if fail.is_match(first_line) {
            p.has_error = true;
            p.result = lines[first.unwrap_or_default()..].join("\n");
        } else if pass.is_match(first_line) {
            p.result = first_line.to_string();
        } else if outputs.is_match(first_line) {
            p.result = "Only Outputs will be changed.".into();
        }
        p.result = p.result.trim().to_string();
        p.has_destroy = re(HAS_DESTROY).is_match(first_line);
        p.has_no_changes = re(HAS_NO_CHANGES).is_match(first_line);
        if let (Some(s), Some(e)) = (outside_start, outside_end) {
            p.outside_terraform = lines[s..e].join("\n");
        }
        if let Some(s) = change_start {
            let e = change_end.unwrap_or(lines.len() - 1);
            p.changed_result = lines[s..e].join("\n");
        }
        p
    }
}

/// Atlantis's plan summary: runatlantis/atlantis, `server/events/models/models.go` — the
/// "Summary regexes" and `NewPlanSuccessStats` / `DiffSummary` / `NoChanges`.
mod atlantis {
    use super::Regex;

    pub const RE_CHANGES_OUTSIDE: &str = r"Note: Objects have changed outside of Terraform";
    pub const RE_PLAN_CHANGES: &str =
        r"Plan: (?:(\d+) to import, )?(\d+) to add, (\d+) to change, (\d+) to destroy.";
    pub const RE_NO_CHANGES: &str = r"No changes. (Infrastructure is up-to-date|Your infrastructure matches the configuration).";

    /// `PlanSuccessStats`.
    #[derive(Debug, PartialEq, Eq, Default)]
    pub struct Stats {
        pub import: usize,
        pub add: usize,
        pub change: usize,
        pub destroy: usize,
        pub changes: bool,
        pub changes_outside: bool,
    }

    fn re(s: &str) -> Regex {
        Regex::new(s).expect("Atlantis's regular expressions compile")
    }

    pub fn stats(output: &str) -> Stats {
        let m = re(RE_PLAN_CHANGES).captures(output);
        let n = |i: usize| {
            m.as_ref()
                .and_then(|c| c.get(i))
                .map_or(0, |g| g.as_str().parse().unwrap_or(0))
        };
        Stats {
            import: n(1),
            add: n(2),
            change: n(3),
            destroy: n(4),
            changes: m.is_some(),
            changes_outside: re(RE_CHANGES_OUTSIDE).is_match(output),
        }
    }

    /// `DiffSummary`: the count line, else the no-changes sentence, else nothing.
    pub fn diff_summary(output: &str) -> String {
        let found = re(RE_PLAN_CHANGES)
            .find(output)
            .or_else(|| re(RE_NO_CHANGES).find(output));
        found.map(|m| m.as_str().to_string()).unwrap_or_default()
    }

    pub fn no_changes(output: &str) -> bool {
        re(RE_NO_CHANGES).is_match(output)
    }
}

/// The addresses strata's JSON plan gives each of its verbs, and the counts Terraform's line
/// must carry: (add, change, destroy).
struct Expected {
    by_action: std::collections::BTreeMap<String, BTreeSet<String>>,
}

impl Expected {
    fn of(env: &Env, args: &[&str]) -> Expected {
        let all = [&["-C", "quickstart", "plan", "--format", "json"], args].concat();
        let r = env.ok(&all, 0);
        let doc: J = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {r:?}"));
        let mut by_action = std::collections::BTreeMap::<String, BTreeSet<String>>::new();
        for c in doc["resource_changes"]
            .as_array()
            .expect("resource_changes")
        {
            let action = c["action"].as_str().expect("action").to_string();
            let addr = c["address"].as_str().expect("address").to_string();
            by_action.entry(action).or_default().insert(addr);
        }
        Expected { by_action }
    }

    fn of_actions(&self, actions: &[&str]) -> BTreeSet<String> {
        actions
            .iter()
            .flat_map(|a| self.by_action.get(*a).cloned().unwrap_or_default())
            .collect()
    }

    /// Terraform's counts: clones and binds add, a replacement adds and destroys.
    fn counts(&self) -> (usize, usize, usize) {
        let n = |a: &[&str]| self.of_actions(a).len();
        let replace = n(&["replace"]);
        (
            n(&["create", "clone", "bind"]) + replace,
            n(&["update"]),
            n(&["delete"]) + replace,
        )
    }
}

fn set(v: &[String]) -> BTreeSet<String> {
    v.iter().cloned().collect()
}

/// What both parsers must find in a plan that changes something: strata's counts and, in
/// tfcmt's lists, every address by its verb.
fn check_changes(output: &str, want: &Expected) -> (tfcmt::Parsed, atlantis::Stats) {
    let (add, change, destroy) = want.counts();
    let line = format!("Plan: {add} to add, {change} to change, {destroy} to destroy.");
    let t = tfcmt::parse(output);
    assert!(
        !t.parse_error && !t.has_error && !t.has_no_changes,
        "{t:?}\n{output}"
    );
    assert_eq!(t.result, line, "{output}");
    assert_eq!(t.has_destroy, destroy > 0);
    assert_eq!(
        set(&t.created),
        want.of_actions(&["create", "clone", "bind"])
    );
    assert_eq!(set(&t.updated), want.of_actions(&["update"]));
    assert_eq!(set(&t.deleted), want.of_actions(&["delete"]));
    assert_eq!(set(&t.replaced), want.of_actions(&["replace"]));
    assert!(t.changed_result.contains("will be"), "{t:?}");
    let a = atlantis::stats(output);
    assert_eq!(
        (a.import, a.add, a.change, a.destroy),
        (0, add, change, destroy)
    );
    assert!(a.changes && !atlantis::no_changes(output));
    assert_eq!(atlantis::diff_summary(output), line);
    (t, a)
}

#[test]
fn tfcmt_and_atlantis_read_the_quickstart_plan() {
    let env = Env::with_example("quickstart");
    let r = env.ok(&["-C", "quickstart", "plan"], 0);
    let want = Expected::of(&env, &[]);
    let (t, a) = check_changes(&r.all(), &want);
    assert_eq!(t.result, "Plan: 8 to add, 0 to change, 0 to destroy.");
    assert_eq!(want.of_actions(&["clone"]).len(), 4);
    assert_eq!(want.of_actions(&["bind"]).len(), 1);
    assert!(!a.changes_outside && t.outside_terraform.is_empty());
    // strata's own breakdown follows, in words no parser counts
    r.out_has("Plan: 8 to add, 0 to change, 0 to destroy.\nActions: 3 to create, 4 to clone, 1 to bind, 0 to update, 0 to replace, 0 to delete.\n");
}

#[test]
fn tfcmt_and_atlantis_read_no_changes_changes_destroy_and_errors() {
    let env = Env::applied_quickstart();
    // no changes
    let r = env.ok(&["-C", "quickstart", "plan"], 0);
    let t = tfcmt::parse(&r.all());
    assert!(t.has_no_changes && !t.has_destroy && !t.has_error, "{t:?}");
    assert_eq!(
        t.result,
        "No changes. Your infrastructure matches the configuration."
    );
    assert!(t.created.is_empty() && t.updated.is_empty() && t.deleted.is_empty());
    assert!(atlantis::no_changes(&r.all()));
    assert_eq!(atlantis::stats(&r.all()), atlantis::Stats::default());

    // an update, a replacement, a delete, and drift
    env.drift("base-staging-copy", "42");
    env.edit_quickstart(&[
        ("version: \"8.0\"", "version: \"5.7\""),
        ("description: copy", "description: changed"),
        (
            "  huaweicloud_rds_parameter_template.base_copy:\n    clone: { source: \"${huaweicloud_rds_parameter_template.base.id}\" }\n    name: base-${var.env}-copy\n    values:\n      max_connections: \"800\"\n",
            "",
        ),
    ]);
    let r = env.ok(&["-C", "quickstart", "plan"], 0);
    let want = Expected::of(&env, &[]);
    let (t, a) = check_changes(&r.all(), &want);
    assert_eq!(t.result, "Plan: 1 to add, 1 to change, 2 to destroy.");
    assert!(a.changes_outside);
    assert!(
        t.outside_terraform
            .contains("huaweicloud_rds_parameter_template.base_copy has changed"),
        "{t:?}"
    );

    // a destroy plan
    let r = env.ok(&["-C", "quickstart", "plan", "--destroy"], 0);
    let want = Expected::of(&env, &["--destroy"]);
    let (t, _) = check_changes(&r.all(), &want);
    assert_eq!(t.deleted.len(), 3);

    // an error: tfcmt reports it, Atlantis finds no summary
    env.write(
        "quickstart/broken.yaml",
        "resources:\n  huaweicloud_rds_parameter_template.bad:\n    nmae: x\n",
    );
    let r = env.ok(&["-C", "quickstart", "plan"], 1);
    let t = tfcmt::parse(&r.all());
    assert!(t.has_error && !t.has_no_changes, "{t:?}");
    assert!(t.result.starts_with("Error: "), "{t:?}");
    assert!(t.result.contains("nmae: unknown argument"), "{t:?}");
    assert_eq!(atlantis::diff_summary(&r.all()), "");
}
