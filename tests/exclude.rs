//! `--exclude ADDR` through the binary (OpenTofu's `-exclude`): plan and apply everything but
//! the excluded addresses and what depends on them; destroy everything but them and what
//! they need; saved plans record the exclusion.

mod common;
use common::Env;

const BASE: &str = "huaweicloud_rds_parameter_template.base";
const COPY: &str = "huaweicloud_rds_parameter_template.base_copy";
const V31: &str = "huaweicloud_rds_parameter_template.copy_by_v31";

#[test]
fn exclude_skips_the_address_and_its_dependents() {
    let env = Env::huawei_quickstart();
    let r = env.ok(&["-C", "quickstart", "plan", "--exclude", BASE], 0);
    r.out_has(&format!("{V31} will be created\n  # (cloned from"));
    assert!(!r.stdout.contains(&format!("{BASE} will")), "{}", r.stdout);
    assert!(
        !r.stdout.contains(&format!("{COPY} will")),
        "its dependent is excluded too"
    );
    // a saved plan records it, and applies exactly that
    env.ok(
        &[
            "-C",
            "quickstart",
            "plan",
            "--exclude",
            BASE,
            "--out",
            "p.plan",
        ],
        0,
    );
    let saved = env.read("p.plan");
    assert!(
        saved.contains("\"excludes\""),
        "the saved plan records --exclude"
    );
    env.ok(&["-C", "quickstart", "apply", "p.plan"], 0);
    assert_eq!(env.made_names("parameter_template"), ["copy_by_v31"]);
    // the rest, later
    env.ok(&common::APPLY, 0);
    assert_eq!(env.made("parameter_template").len(), 3);
}

#[test]
fn apply_and_destroy_honour_exclude() {
    let env = Env::huawei_quickstart();
    env.ok(&common::apply_with(&["--exclude", COPY]), 0);
    assert_eq!(
        env.made_names("parameter_template"),
        ["base-staging", "copy_by_v31"]
    );
    env.ok(&common::APPLY, 0);
    // destroying, an excluded object keeps what it needs
    let r = env.ok(
        &[
            "-C",
            "quickstart",
            "destroy",
            "--auto-approve",
            "--exclude",
            COPY,
        ],
        0,
    );
    r.out_has("Destroy complete!");
    assert_eq!(
        env.made_names("parameter_template"),
        ["base-staging", "base-staging-copy"]
    );
    let st = env.state_json("quickstart");
    assert!(st["resources"][BASE].is_object() && st["resources"][COPY].is_object());
    assert!(st["resources"][V31].is_null());
}
