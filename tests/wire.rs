//! The wire: signatures checked by the sandbox, the API's own error codes reaching the user,
//! the standalone `sandbox serve`, and injected faults (5xx, throttling) survived by retries.

mod common;
use common::Env;
use std::io::{Read, Write};

#[test]
fn wrong_credentials_are_refused_by_the_signature_check() {
    let env = Env::with_example("quickstart");
    // Credentials from the environment never go to a sandbox: wrong ones are given in the
    // provider block.
    let text = env.read("quickstart/main.yaml");
    let wrong =
        "endpoint: sandbox\n    access_key: SANDBOXHWAK0000000001\n    secret_key: not-the-secret";
    env.write(
        "quickstart/main.yaml",
        &text.replacen("endpoint: sandbox", wrong, 1),
    );
    let r = env.ok(&common::APPLY, 1);
    assert!(r.all().contains("APIGW.0301"), "{r:?}");
    assert!(r.all().contains("verify aksk signature fail"), "{r:?}");
    assert!(r.all().contains("HTTP 401"), "{r:?}");
    assert!(
        !r.all().contains("not-the-secret"),
        "the secret key is never printed"
    );
}

#[test]
fn api_errors_name_the_address_and_code() {
    let env = Env::new();
    env.stack(
        "s",
        common::HUAWEI_SEEDED,
        "data:\n  huaweicloud_rds_parameter_template.x: { id: 00000000000000000000000000000000pr01 }\n\
         resources:\n  huaweicloud_rds_parameter_template.bad:\n    name: bad\n    datastore: { type: MySQL, version: \"9.9\" }\n",
    );
    let r = env.ok(&["-C", "s", "plan"], 1);
    r.err_has("data.huaweicloud_rds_parameter_template.x");
    r.err_has("DBS.200002");
    env.stack(
        "s",
        common::HUAWEI,
        "resources:\n  huaweicloud_rds_parameter_template.bad:\n    name: bad\n    datastore: { type: MySQL, version: \"9.9\" }\n\
         \x20 huaweicloud_rds_parameter_template.good:\n    name: good\n    datastore: { type: MySQL, version: \"8.0\" }\n\
         \x20 huaweicloud_rds_parameter_template.after_bad:\n    clone: { source: \"${huaweicloud_rds_parameter_template.bad.id}\" }\n    name: after\n",
    );
    let r = env.ok(&["-C", "s", "apply", "--auto-approve"], 1);
    let all = r.all();
    assert!(
        all.contains("huaweicloud_rds_parameter_template.bad: create failed: DBS.200001"),
        "{r:?}"
    );
    assert!(all.contains("not supported for MySQL"), "{r:?}");
    assert!(
        all.contains(
            "after_bad: not applied because huaweicloud_rds_parameter_template.bad failed"
        ),
        "{r:?}"
    );
    // the failure stopped only its dependent: the independent one was made and recorded
    assert_eq!(
        env.made("parameter_template"),
        vec![(
            env.state_json("s")["resources"]["huaweicloud_rds_parameter_template.good"]["id"]
                .as_str()
                .unwrap()
                .to_string(),
            "good".to_string()
        )]
    );
}

fn raw_http(addr: &str, request: &str) -> String {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn standalone_server_serves_the_same_api() {
    let server_dir = Env::new();
    let (mut server, url) = server_dir.serve_sandbox(&[]);
    let host = url.trim_start_matches("http://").to_string();

    // unsigned requests are refused the way the real gateway refuses them
    let resp = raw_http(
        &host,
        &format!("GET /v3/p/configurations HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"),
    );
    assert!(resp.starts_with("HTTP/1.1 401"), "{resp}");
    assert!(resp.contains("APIGW.0301"), "{resp}");
    // a path no service serves is answered in JSON, naming the request and what is served
    let resp = raw_http(
        &host,
        &format!("GET /no/such/api HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"),
    );
    assert!(resp.starts_with("HTTP/1.1 404"), "{resp}");
    assert!(resp.contains("\"code\":\"Sandbox.NotFound\""), "{resp}");
    assert!(resp.contains("GET /no/such/api"), "{resp}");
    assert!(resp.contains("/commandcenter/api/"), "{resp}");

    let env = Env::with_example("quickstart");
    env.ok_with(&common::APPLY, &[("STRATA_SANDBOX_URL", &url)], 0);
    assert_eq!(
        server_dir.made("parameter_template").len(),
        3,
        "made in the server's world"
    );
    assert!(
        env.made("parameter_template").is_empty(),
        "not in an in-process one"
    );
    env.ok_with(&common::CHECK, &[("STRATA_SANDBOX_URL", &url)], 0);
    server.kill().unwrap();
    server.wait().unwrap();
}

#[test]
fn apply_and_destroy_converge_through_injected_faults() {
    let env = Env::with_example("quickstart");
    let faults = [("STRATA_SANDBOX", "fail_rate=0.3,throttle_rate=0.2,seed=11")];
    env.ok_with(&common::APPLY, &faults, 0);
    let names: Vec<String> = env.made_names("parameter_template");
    assert_eq!(
        names,
        ["base-staging", "base-staging-copy", "copy_by_v31"],
        "each exactly once"
    );
    env.ok_with(&common::CHECK, &faults, 0);
    env.ok_with(&common::DESTROY, &faults, 0);
    assert!(env.made("parameter_template").is_empty());
    let r = env.run_with(
        &["-C", "quickstart", "plan"],
        &[("STRATA_SANDBOX", "fail_rate=2")],
    );
    assert_eq!(r.code, 1);
    r.err_has("STRATA_SANDBOX: fail_rate=2");
}

#[test]
fn a_create_that_fails_part_way_is_recorded_tainted_and_replaced() {
    let env = Env::new();
    env.stack(
        "s",
        common::HUAWEI_SEEDED,
        "resources:\n  huaweicloud_rds_parameter_template.c:\n    clone: { source: 66251c9024774eeb9edd8663a4cbb0a1pr04 }\n    name: c\n    values: { no_such_parameter: \"1\" }\n",
    );
    let r = env.ok(&["-C", "s", "apply", "--auto-approve"], 1);
    assert!(r.all().contains("IgnoredParams"), "{r:?}");
    assert!(r.all().contains("no_such_parameter"), "{r:?}");
    assert!(r.all().contains("recorded in state as tainted"), "{r:?}");
    let made = env.made("parameter_template");
    assert_eq!(made.len(), 1, "the copy exists once: {made:?}");
    let st = env.state_json("s");
    assert_eq!(
        st["resources"]["huaweicloud_rds_parameter_template.c"]["tainted"],
        true
    );
    assert_eq!(
        st["resources"]["huaweicloud_rds_parameter_template.c"]["id"],
        made[0].0.as_str()
    );
    // fixed config: the tainted copy is replaced, not kept
    env.stack(
        "s",
        common::HUAWEI_SEEDED,
        "resources:\n  huaweicloud_rds_parameter_template.c:\n    clone: { source: 66251c9024774eeb9edd8663a4cbb0a1pr04 }\n    name: c\n    values: { \"max degree of parallelism\": \"4\" }\n",
    );
    let r = env.ok(&["-C", "s", "plan", "--format", "json"], 0);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        doc["resource_changes"][0]["action_reason"],
        "replace_because_tainted"
    );
    let r = env.ok(&["-C", "s", "plan"], 0);
    r.out_has("is tainted, so must be replaced");
    env.ok(&["-C", "s", "apply", "--auto-approve"], 0);
    let again = env.made("parameter_template");
    assert_eq!(again.len(), 1);
    assert_ne!(again[0].0, made[0].0, "a new copy replaced the tainted one");
    env.ok(&["-C", "s", "plan", "--detailed-exitcode"], 0);
}

#[test]
fn the_serve_banner_tells_each_sdk_what_to_set() {
    let banner = strata::sandbox::server::banner("127.0.0.1:8080", &strata::families::sandbox());
    common::snapshot_settings().bind(|| insta::assert_snapshot!("serve_banner", banner));
}
