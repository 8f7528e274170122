//! The markdown plan as a pull-request bot posts it (docs/plan-text.md "Markdown plan"): a
//! failed plan's comment on stdout (marker, what failed, every diagnostic; exit 1), one
//! `<details>` per resource, drift as a diff said to be undone, the link to the CI run.

mod common;
use common::Env;

fn snap(name: &str, text: &str) {
    common::snapshot_settings().bind(|| insta::assert_snapshot!(name, text));
}

const MARKDOWN: [&str; 5] = ["-C", "quickstart", "plan", "--format", "markdown"];

/// The diagnostics strata printed on stderr, each with the lines that follow it.
fn diagnostics(stderr: &str) -> Vec<String> {
    let mut all: Vec<String> = Vec::new();
    for line in stderr.lines() {
        match all.last_mut() {
            Some(d) if line.starts_with("  ") => {
                d.push('\n');
                d.push_str(line);
            }
            _ if line.starts_with("Error: ") || line.starts_with("Warning: ") => {
                all.push(line.to_string())
            }
            _ => {}
        }
    }
    all
}

#[test]
fn a_failed_plan_is_a_comment_with_every_diagnostic() {
    let env = Env::huawei_quickstart();
    env.write(
        "quickstart/broken.yaml",
        "resources:\n  huaweicloud_rds_parameter_template.bad:\n    nmae: x\n    datastore: { type: MySQL, version: \"8.0\" }\n",
    );
    let link = [(
        "STRATA_COMMENT_LINK",
        "https://ci.example/acme/infra/runs/42",
    )];
    let r = env.ok_with(&MARKDOWN, &link, 1);
    assert!(
        r.stdout.starts_with("<!-- strata:plan:quickstart -->\n"),
        "{r:?}"
    );
    r.out_has("### strata plan for `quickstart` failed")
        .out_has("[CI run](<https://ci.example/acme/infra/runs/42>)")
        .out_has("**The plan failed: the configuration is not valid.**");
    let printed = diagnostics(&r.stderr);
    assert_eq!(printed.len(), 2, "{r:?}");
    for d in &printed {
        r.out_has(d);
    }
    r.out_has("**2 errors:**");
    snap("markdown_failed", &r.stdout);

    // a failure past the configuration says which step failed, and its message
    std::fs::remove_file(env.path().join("quickstart/broken.yaml")).unwrap();
    let r = env.ok(&[&MARKDOWN[..], &["--target", "no-dot"]].concat(), 1);
    r.out_has("**The plan failed: an address given on the command line is not valid.**")
        .out_has("Error: --target: \"no-dot\" is not a resource address");
    assert!(!r.stdout.contains("[CI run]"), "no link unless given");

    // the text and JSON formats print nothing on stdout when they fail
    env.write("quickstart/broken.yaml", "resources: 7\n");
    for format in ["text", "json"] {
        let r = env.ok(&["-C", "quickstart", "plan", "--format", format], 1);
        assert_eq!(r.stdout, "", "{r:?}");
    }
}

#[test]
fn each_resource_has_its_own_fold_and_drift_is_a_diff_said_to_be_undone() {
    let env = Env::applied_quickstart();
    env.drift("base-staging-copy", "1");
    env.edit_quickstart(&[("description: copy", "description: changed")]);
    let r = env.ok(&MARKDOWN, 0);
    // two changes (the copy put back, the description), each folded on its own
    let folds: Vec<&str> = r.stdout.split("<details><summary><code>").skip(1).collect();
    assert_eq!(folds.len(), 2, "{}", r.stdout);
    assert!(folds[0].starts_with("~</code> update <code>huaweicloud_rds_parameter_template.base_copy</code></summary>\n\n```diff\n"));
    assert!(folds[1].starts_with(
        "~</code> update <code>huaweicloud_rds_parameter_template.copy_by_v31</code>"
    ));
    // the drift is a diff, and the row of the change that puts it back says so
    r.out_has("| `~` update | `huaweicloud_rds_parameter_template.base_copy` | `values` change in place; undoes a change made outside strata |")
        .out_has("| `~` update | `huaweicloud_rds_parameter_template.copy_by_v31` | `description` change in place |")
        .out_has("<details><summary>Drift: 1 object changed outside strata since the last apply</summary>\n\n")
        .out_has("\n```diff\n  # huaweicloud_rds_parameter_template.base_copy has changed\n");
    assert!(
        !r.stdout.contains("Terraform"),
        "markdown speaks of strata only"
    );

    // configured to match what changed outside: nothing is undone, nothing says so
    env.edit_quickstart(&[
        ("description: copy", "description: changed"),
        ("max_connections: \"800\"", "max_connections: \"1\""),
    ]);
    let r = env.ok(&MARKDOWN, 0);
    r.out_has("Drift: 1 object changed outside strata");
    assert!(!r.stdout.contains("; undoes a change"), "{}", r.stdout);
}

#[test]
fn the_comment_links_the_ci_run() {
    let env = Env::huawei_quickstart();
    let flag = [
        &MARKDOWN[..],
        &["--comment-link", "https://ci.example/run/1"],
    ]
    .concat();
    let env_link = [("STRATA_COMMENT_LINK", "https://ci.example/run/2")];
    // the flag wins over the environment variable
    let r = env.ok_with(&flag, &env_link, 0);
    r.out_has(
        "### strata plan for `quickstart`\n\n[CI run](<https://ci.example/run/1>)\n\n**Plan:**",
    );
    let r = env.ok_with(&MARKDOWN, &env_link, 0);
    r.out_has("[CI run](<https://ci.example/run/2>)");
    // set but empty: no link
    let r = env.ok_with(&MARKDOWN, &[("STRATA_COMMENT_LINK", "")], 0);
    assert!(!r.stdout.contains("[CI run]"), "{r:?}");
    // only a web address that cannot break out of the link
    for bad in [
        "javascript:alert(1)",
        "https://ci.example/a b",
        "https://x/>y",
    ] {
        let r = env.run(&[&MARKDOWN[..], &["--comment-link", bad]].concat());
        assert_eq!(r.stdout, "", "{r:?}");
        assert!(r.stderr.contains("--comment-link"), "{r:?}");
    }
}

#[test]
fn a_refresh_only_plan_records_the_drift_and_puts_nothing_back() {
    let env = Env::applied_quickstart();
    env.drift("base-staging-copy", "1");
    let r = env.ok(&[&MARKDOWN[..], &["--refresh-only"]].concat(), 0);
    r.out_has("**Refresh only:** 1 object changed outside strata. Applying this plan records what the cloud holds in the state and changes no object in the cloud.")
        .out_has("A refresh-only plan puts nothing back")
        .out_has("```diff\n  # huaweicloud_rds_parameter_template.base_copy has changed\n");
    assert!(!r.stdout.contains("undoes a change"), "{}", r.stdout);
    assert!(!r.stdout.contains("No changes"), "{}", r.stdout);
}
