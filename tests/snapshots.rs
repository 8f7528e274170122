//! Snapshots of the text plan (insta): what users and reviewers read, pinned. Random ids and
//! timestamps are replaced by placeholders.

mod common;
use common::Env;

macro_rules! snap {
    ($name:expr, $text:expr) => {
        common::snapshot_settings().bind(|| insta::assert_snapshot!($name, $text))
    };
}

#[test]
fn text_plans() {
    let env = Env::huawei_quickstart();
    let r = env.ok(&["-C", "quickstart", "plan"], 0);
    snap!("plan_create", r.stdout);

    env.ok(&common::APPLY, 0);
    let r = env.ok(&["-C", "quickstart", "plan"], 0);
    snap!("plan_no_changes", r.stdout);

    // drift: a value changed outside strata
    env.drift("base-staging-copy", "42");
    // update (values, multi-line description), replace (engine version), delete (removed)
    env.edit_quickstart(&[
        ("max_connections: \"500\"", "max_connections: \"600\""),
        ("version: \"8.0\"", "version: \"5.7\""),
        (
            "    description: copy\n",
            "    description: |\n      first line\n      second line\n",
        ),
        (
            "  seed_engine: ${data.huaweicloud_rds_parameter_template.seed.datastore_name}\n",
            "",
        ),
        (
            "  # A copy of it (the copy API), with one value changed after the copy.\n  huaweicloud_rds_parameter_template.base_copy:\n    clone: { source: \"${huaweicloud_rds_parameter_template.base.id}\" }\n    name: base-${var.env}-copy\n    values:\n      max_connections: \"800\"\n",
            "",
        ),
    ]);
    let r = env.ok(&["-C", "quickstart", "plan"], 0);
    snap!("plan_changes", r.stdout);
}

#[test]
fn validate_errors() {
    let env = Env::new();
    env.stack(
        "stack",
        common::HUAWEI,
        "resources:\n  huaweicloud_rds_parameter_template.a:\n    nmae: x\n    datastore: { type: Oracle, version: \"1\" }\n    description: \"<b>\"\n  huaweicloud_rds_parameter_template.b:\n    name: \"${var.missing}\"\n    clone: { source: \"${huaweicloud_rds_parameter_template.a.idd}\" }\n",
    );
    // a rule between two arguments, in a second file of the stack
    env.write(
        "stack/selectdb.yaml",
        "providers:\n  alicloud: { region: cn-hangzhou, endpoint: sandbox }\nresources:\n  \
         alicloud_selectdb_cluster_binding.self:\n    instance_id: i\n    cluster_id: c\n    \
         cluster_id_bak: c\n",
    );
    let r = env.ok(&["-C", "stack", "validate"], 1);
    snap!("validate_errors", r.stderr);
}

#[test]
fn repeated_block_errors() {
    let env = Env::new();
    let t = "datastore: { type: MySQL, version: \"8.0\" }";
    env.stack(
        "stack",
        common::HUAWEI,
        &format!(
            "resources:\n  huaweicloud_rds_parameter_template.both:\n    count: 2\n    \
             for_each: {{ a: 1 }}\n    name: both\n    {t}\n  \
             huaweicloud_rds_parameter_template.single:\n    name: x-${{each.key}}\n    {t}\n  \
             huaweicloud_rds_parameter_template.negative:\n    count: \"${{1 - 3}}\"\n    \
             name: n\n    {t}\n  huaweicloud_rds_parameter_template.fraction:\n    \
             count: 1.5\n    name: f\n    {t}\n  huaweicloud_rds_parameter_template.list:\n    \
             for_each: [1, 2]\n    name: l-${{each.key}}\n    {t}\n  \
             huaweicloud_rds_parameter_template.twice:\n    for_each: [a, a]\n    \
             name: t-${{each.key}}\n    {t}\n  huaweicloud_rds_parameter_template.mixed:\n    \
             count: 1\n    name: m-${{each.value}}\n    {t}\n"
        ),
    );
    let r = env.ok(&["-C", "stack", "validate"], 1);
    snap!("repeated_block_errors", r.stderr);
}

#[test]
fn repeated_and_deferred_plans() {
    let env = Env::new();
    let t = "datastore: { type: MySQL, version: \"8.0\" }";
    let stack = |copies: usize, teams: &str| {
        format!(
            "resources:\n  huaweicloud_rds_parameter_template.team:\n    for_each: {teams}\n    \
             name: team-${{each.key}}\n    {t}\n    values: {{ max_connections: \"${{each.value}}\" }}\n  \
             huaweicloud_rds_parameter_template.spare:\n    count: {copies}\n    \
             name: spare-${{count.index}}\n    {t}\n  huaweicloud_rds_parameter_template.per_id:\n    \
             for_each: \"${{toset([huaweicloud_rds_parameter_template.team[\\\"red\\\"].id])}}\"\n    \
             name: per-${{substr(each.key, 0, 4)}}\n    {t}\n"
        )
    };
    env.stack(
        "stack",
        common::HUAWEI,
        &stack(2, "{ red: 100, blue: 200 }"),
    );
    let r = env.ok(&["-C", "stack", "plan"], 0);
    snap!("plan_repeated_and_deferred", r.stdout);
    let r = env.ok(&["-C", "stack", "plan", "--format", "markdown"], 0);
    snap!("plan_repeated_and_deferred_markdown", r.stdout);
    env.ok(&["-C", "stack", "apply", "--auto-approve"], 0);
    env.stack(
        "stack",
        common::HUAWEI,
        &stack(1, "{ red: 150, green: 300 }"),
    );
    let r = env.ok(&["-C", "stack", "plan"], 0);
    snap!("plan_repeated_keys_changed", r.stdout);
}
