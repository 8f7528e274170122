//! The CI example (examples/ci): the workflow's steps run for real against the sandbox — plan
//! with a saved plan and markdown, one pull-request comment created then updated in place (a
//! stand-in `gh` records the API calls), and the saved plan applied on "merge".

mod common;
use common::Env;
use std::os::unix::fs::PermissionsExt;

fn script() -> std::path::PathBuf {
    common::repo().join("examples/ci/strata-ci.sh")
}

/// A stand-in for the GitHub CLI: logs each call; answers the comment listing from a file.
fn fake_gh(env: &Env) -> std::path::PathBuf {
    let bin = env.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let gh = bin.join("gh");
    std::fs::write(
        &gh,
        format!(
            "#!/usr/bin/env bash\necho \"$*\" >> {log}\nif [ \"$1 $2\" = \"api --paginate\" ]; then cat {existing} 2>/dev/null; fi\nexit 0\n",
            log = env.path().join("gh.log").display(),
            existing = env.path().join("existing-comment-id").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&gh, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

fn run_script(env: &Env, args: &[&str]) -> common::Run {
    run_script_with(env, args, &[])
}

fn run_script_with(env: &Env, args: &[&str], envs: &[(&str, &str)]) -> common::Run {
    let path = format!(
        "{}:{}",
        fake_gh(env).display(),
        std::env::var("PATH").unwrap()
    );
    let out = std::process::Command::new("bash")
        .arg(script())
        .args(args)
        .current_dir(env.path())
        .env("STRATA", common::bin())
        .env("PATH", path)
        .env("GITHUB_REPOSITORY", "acme/infra")
        .env_remove("STRATA_SANDBOX_URL")
        .env_remove("STRATA_COMMENT_LINK")
        .env_remove("GITHUB_RUN_ID")
        .envs(envs.iter().copied())
        .output()
        .unwrap();
    common::Run::from(out)
}

#[test]
fn the_ci_steps_plan_comment_and_apply() {
    let env = Env::with_example("quickstart");
    let r = run_script(&env, &["plan", "quickstart", "out"]);
    assert_eq!(r.code, 2, "changes present: {r:?}");
    let md = env.read("out/plan.md");
    assert!(md.starts_with("<!-- strata:plan:quickstart -->"), "{md}");
    assert!(env.path().join("out/plan.json").exists());

    // first push: no comment yet, one is added
    let r = run_script(&env, &["comment", "7", "out/plan.md"]);
    assert_eq!(r.code, 0, "{r:?}");
    r.out_has("added a comment to pull request #7");
    let log = env.read("gh.log");
    assert!(log.contains("api --paginate repos/acme/infra/issues/7/comments --jq .[] | select(.body | startswith(\"<!-- strata:plan:quickstart -->\")) | .id"), "{log}");
    assert!(
        log.contains("api --method POST repos/acme/infra/issues/7/comments -F body=@out/plan.md"),
        "{log}"
    );
    // next push: the comment carrying the marker is found and updated in place
    env.write("existing-comment-id", "98765\n");
    let r = run_script(&env, &["comment", "7", "out/plan.md"]);
    r.out_has("updated comment 98765");
    assert!(env.read("gh.log").contains(
        "api --method PATCH repos/acme/infra/issues/comments/98765 -F body=@out/plan.md"
    ));

    // merge: the reviewed plan is applied exactly
    let r = run_script(&env, &["apply", "quickstart", "out/plan.json"]);
    assert_eq!(r.code, 0, "{r:?}");
    r.out_has("Apply complete!");
    assert_eq!(env.made("parameter_template").len(), 3);
    // re-applying the same plan is refused as stale
    let r = run_script(&env, &["apply", "quickstart", "out/plan.json"]);
    assert_eq!(r.code, 1, "{r:?}");
    r.err_has("stale plan");
    // and a plan with no changes exits 0
    let r = run_script(&env, &["plan", "quickstart", "out2"]);
    assert_eq!(r.code, 0, "{r:?}");
}

#[test]
fn the_plan_comment_links_the_run_and_a_failed_plan_lists_its_errors() {
    let env = Env::huawei_quickstart();
    let actions = [
        ("GITHUB_SERVER_URL", "https://github.example"),
        ("GITHUB_RUN_ID", "4242"),
    ];
    let r = run_script_with(&env, &["plan", "quickstart", "out"], &actions);
    assert_eq!(r.code, 2, "{r:?}");
    let md = env.read("out/plan.md");
    assert!(
        md.contains("[CI run](<https://github.example/acme/infra/actions/runs/4242>)"),
        "{md}"
    );
    // a link given outright is kept
    let mine = [("STRATA_COMMENT_LINK", "https://ci.example/job/7")];
    run_script_with(
        &env,
        &["plan", "quickstart", "out"],
        &[&actions[..], &mine].concat(),
    );
    assert!(env
        .read("out/plan.md")
        .contains("[CI run](<https://ci.example/job/7>)"));
    // a failed plan: strata's own comment, with the error, under the same marker
    env.write(
        "quickstart/broken.yaml",
        "resources:\n  huaweicloud_rds_parameter_template.x:\n    nmae: y\n",
    );
    let r = run_script_with(&env, &["plan", "quickstart", "out"], &actions);
    assert_eq!(r.code, 1, "{r:?}");
    let md = env.read("out/plan.md");
    assert!(md.starts_with("<!-- strata:plan:quickstart -->\n"), "{md}");
    assert!(
        md.contains("**The plan failed: the configuration is not valid.**"),
        "{md}"
    );
    assert!(md.contains("nmae: unknown argument"), "{md}");
    assert!(!md.contains("See the job log"), "{md}");
}

#[test]
fn the_workflow_runs_those_steps() {
    let text = std::fs::read_to_string(common::repo().join("examples/ci/strata.yml")).unwrap();
    let wf: serde_yaml::Value = serde_yaml::from_str(&text).expect("the workflow is valid YAML");
    let steps = |job: &str| -> Vec<String> {
        wf["jobs"][job]["steps"]
            .as_sequence()
            .unwrap()
            .iter()
            .filter_map(|s| s["run"].as_str().map(String::from))
            .collect()
    };
    let plan = steps("plan").join("\n");
    let plan_env = &wf["jobs"]["plan"]["steps"][2]["env"]["STRATA_COMMENT_LINK"];
    assert_eq!(
        plan_env.as_str(),
        Some("${{ github.server_url }}/${{ github.repository }}/actions/runs/${{ github.run_id }}")
    );
    assert!(plan.contains("strata-ci.sh plan"));
    assert!(plan.contains("strata-ci.sh comment"));
    let uploads: Vec<&serde_yaml::Value> = wf["jobs"]["plan"]["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/upload-artifact"))
        })
        .collect();
    assert_eq!(uploads.len(), 1);
    assert_eq!(uploads[0]["with"]["path"].as_str(), Some("out/plan.json"));
    let apply = steps("apply").join("\n");
    assert!(apply.contains("strata-ci.sh fetch"));
    assert!(apply.contains("strata-ci.sh apply"));
    assert!(wf["on"]["pull_request"].is_mapping() && wf["on"]["push"].is_mapping());
}
