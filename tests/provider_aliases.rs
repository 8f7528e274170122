//! Provider aliases through the binary: two configurations of one provider, each with its own
//! endpoint, region and credentials, chosen per block with `provider:` and passed into
//! modules; the state records which configuration made each object; removing a configuration
//! the state still needs is an error naming the objects.

mod common;
use common::Env;

const CREDS: [(&str, &str); 2] = [
    (
        "ALIBABA_CLOUD_ACCESS_KEY_ID",
        strata::sandbox::alicloud::CREDENTIALS.key,
    ),
    (
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
        strata::sandbox::alicloud::CREDENTIALS.secret,
    ),
];

fn warehouse(name: &str, zone: &str, provider: &str) -> String {
    format!(
        "  alicloud_gpdb_instance.{name}:\n    {provider}zone_id: {zone}\n    engine_version: \"6.0\"\n    \
         instance_spec: 4C32G\n    seg_node_num: 4\n    storage_size: 100\n"
    )
}

fn provider(name: &str, region: &str, url: &str) -> String {
    format!("  {name}:\n    region: {region}\n    insecure_http: true\n    max_concurrency: 2\n    endpoints:\n      gpdb: {url}\n")
}

fn calls(url: &str, action: &str) -> u64 {
    let text = strata::sandbox::admin_request(url, "GET", "/_sandbox/stats").unwrap();
    let stats: serde_json::Value = serde_json::from_str(&text).unwrap();
    stats["requests"][format!("POST / gpdb:{action}")]
        .as_u64()
        .unwrap_or(0)
}

#[test]
fn two_aliases_in_two_regions_reach_their_own_endpoints_and_state_records_them() {
    let (hangzhou, shanghai) = (Env::new(), Env::new());
    let (_a, url_a) = hangzhou.serve_sandbox(&[]);
    let (_b, url_b) = shanghai.serve_sandbox(&[]);
    let env = Env::new();
    let providers = format!(
        "providers:\n{}{}",
        provider("alicloud", "cn-hangzhou", &url_a),
        provider("alicloud.dr", "cn-shanghai", &url_b)
    );
    let resources = format!(
        "resources:\n{}{}",
        warehouse("main", "cn-hangzhou-i", ""),
        warehouse("dr", "cn-shanghai-b", "provider: alicloud.dr\n    ")
    );
    env.write("s/main.yaml", &format!("{providers}{resources}"));
    env.ok_with(&["-C", "s", "apply", "--auto-approve"], &CREDS, 0)
        .out_has("Resources: 2 created");
    // each configuration's calls went to its own endpoint, one create each
    assert_eq!(calls(&url_a, "CreateDBInstance"), 1);
    assert_eq!(calls(&url_b, "CreateDBInstance"), 1);
    assert_eq!(hangzhou.made_in("gpdb", "instance").len(), 1);
    assert_eq!(shanghai.made_in("gpdb", "instance").len(), 1);
    let st = env.state_json("s");
    assert_eq!(
        st["resources"]["alicloud_gpdb_instance.dr"]["provider"],
        "alicloud.dr"
    );
    assert_eq!(
        st["resources"]["alicloud_gpdb_instance.main"]["provider"],
        "alicloud"
    );
    // refresh reads each object through its own configuration
    env.ok_with(&["-C", "s", "plan", "--detailed-exitcode"], &CREDS, 0)
        .out_has("No changes");
    // the block gone and its configuration too: the state still needs it
    env.write(
        "s/main.yaml",
        &format!(
            "providers:\n{}resources:\n{}",
            provider("alicloud", "cn-hangzhou", &url_a),
            warehouse("main", "cn-hangzhou-i", "")
        ),
    );
    let r = env.ok_with(&["-C", "s", "plan"], &CREDS, 1);
    r.err_has("provider configuration \"alicloud.dr\" is no longer in the config")
        .err_has("alicloud_gpdb_instance.dr");
    // with the configuration back, the orphan is destroyed through it
    env.write(
        "s/main.yaml",
        &format!(
            "{providers}resources:\n{}",
            warehouse("main", "cn-hangzhou-i", "")
        ),
    );
    env.ok_with(&["-C", "s", "apply", "--auto-approve"], &CREDS, 0)
        .out_has("1 destroyed");
    assert!(shanghai.made_in("gpdb", "instance").is_empty());
    assert_eq!(hangzhou.made_in("gpdb", "instance").len(), 1);
}

#[test]
fn a_module_gets_an_alias_for_its_default_configuration() {
    let (hangzhou, shanghai) = (Env::new(), Env::new());
    let (_a, url_a) = hangzhou.serve_sandbox(&[]);
    let (_b, url_b) = shanghai.serve_sandbox(&[]);
    let env = Env::new();
    env.write(
        "m/wh/main.yaml",
        &format!("resources:\n{}", warehouse("w", "cn-shanghai-b", "")),
    );
    env.write(
        "m/main.yaml",
        &format!(
            "providers:\n{}{}modules:\n  dr:\n    source: ./wh\n    providers: {{ alicloud: alicloud.dr }}\n  here:\n    source: ./wh\n",
            provider("alicloud", "cn-hangzhou", &url_a),
            provider("alicloud.dr", "cn-shanghai", &url_b)
        ),
    );
    env.ok_with(&["-C", "m", "apply", "--auto-approve"], &CREDS, 0)
        .out_has("Resources: 2 created");
    assert_eq!(calls(&url_a, "CreateDBInstance"), 1);
    assert_eq!(calls(&url_b, "CreateDBInstance"), 1);
    let st = env.state_json("m");
    assert_eq!(
        st["resources"]["module.dr.alicloud_gpdb_instance.w"]["provider"],
        "alicloud.dr"
    );
    assert_eq!(
        st["resources"]["module.here.alicloud_gpdb_instance.w"]["provider"],
        "alicloud"
    );
}

#[test]
fn a_provider_that_is_not_configured_or_of_another_family_is_an_error_at_the_key() {
    let env = Env::new();
    env.write(
        "e/main.yaml",
        "providers:\n  alicloud: { region: cn-hangzhou, endpoint: sandbox }\n  alicloud.dr: { region: cn-shanghai, endpoint: sandbox }\n  alicloud.bad name: {}\n\
         resources:\n  alicloud_gpdb_instance.a:\n    provider: alicloud.rd\n    zone_id: z\n    engine_version: \"6.0\"\n    instance_spec: 4C32G\n    seg_node_num: 4\n    storage_size: 100\n\
         \x20 huaweicloud_rds_parameter_template.t:\n    provider: alicloud.dr\n    name: t\n    datastore: { type: MySQL, version: \"8.0\" }\n",
    );
    let r = env.ok(&["-C", "e", "validate"], 1);
    r.err_has("e/main.yaml:4: \"alicloud.bad name\" is not a provider configuration name")
        .err_has("e/main.yaml:7: alicloud_gpdb_instance.a.provider: provider \"alicloud.rd\" is not configured")
        .err_has("did you mean \"alicloud.dr\"?")
        .err_has("provider \"alicloud.dr\" is a configuration of alicloud, but huaweicloud_rds_parameter_template.t is a huaweicloud resource");
}

#[test]
fn a_stack_may_use_an_alias_without_the_default_configuration() {
    let env = Env::new();
    env.write(
        "o/main.yaml",
        &format!(
            "providers:\n  alicloud.dr: {{ region: cn-shanghai, endpoint: sandbox }}\nresources:\n{}",
            warehouse("dr", "cn-shanghai-b", "provider: alicloud.dr\n    ")
        ),
    );
    env.ok(&["-C", "o", "apply", "--auto-approve"], 0)
        .out_has("Resources: 1 created");
    env.ok(&["-C", "o", "plan", "--detailed-exitcode"], 0);
    env.ok(&["-C", "o", "destroy", "--auto-approve"], 0)
        .out_has("1 destroyed");
}
