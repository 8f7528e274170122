//! Short-lived credentials end to end, through the real binary against `strata sandbox serve`:
//! `assume_role` signs every call with the temporary keys STS `AssumeRole` grants a RAM user
//! who can do nothing else, and renews them (more than one AssumeRole) during an apply longer
//! than their life; a `security_token` with temporary keys works for Alibaba Cloud and Huawei
//! Cloud, from the block or the environment, while an expired, foreign or missing token is
//! the documented error with the address; the `assume_role` block is checked by `validate`.
//! No token, temporary secret or base secret ever appears in an output or a file (state,
//! saved plan, plan in every format, the sandbox's world).

mod common;
use common::{files, Env, Server};
use strata::providers::alicloud::sts::{AssumeRole, Role};
use strata::providers::alicloud::{Product, RpcClient};
use strata::providers::credentials::{Issuer, Lease};
use strata::sandbox::alicloud::sts::{role_arn, SEED_ROLE};
use strata::sandbox::alicloud::{CREDENTIALS as ALIBABA, ROLE_ASSUMER};
use strata::sandbox::huawei::CREDENTIALS as HUAWEI;

const WAREHOUSE: &str = "resources:
  alicloud_gpdb_instance.w:
    zone_id: cn-hangzhou-i
    engine_version: \"6.0\"
    instance_spec: 4C32G
    seg_node_num: 4
    storage_size: 100
    description: ci-warehouse
";

/// The sensitive variables a provider block takes its credentials from.
const SECRET_VARS: &str = "variables:
  ak: { sensitive: true }
  sk: { sensitive: true }
  token: { sensitive: true, default: \"\" }
";

/// An `alicloud` block on the sandbox with the credentials of `ak` / `sk`, then `extra`.
fn alicloud_on_sandbox(extra: &str) -> String {
    format!(
        "providers:\n  alicloud:\n    region: cn-hangzhou\n    endpoint: sandbox\n    \
         access_key: ${{var.ak}}\n    secret_key: ${{var.sk}}\n{extra}{SECRET_VARS}{WAREHOUSE}"
    )
}

/// An `alicloud` block whose every product is the standalone sandbox at `url`, then `extra`.
fn alicloud_at(url: &str, extra: &str) -> String {
    format!(
        "providers:\n  alicloud:\n    region: cn-hangzhou\n    insecure_http: true\n    \
         endpoints: {{ gpdb: \"{url}\", dataworks: \"{url}\", selectdb: \"{url}\" }}\n\
         {extra}{WAREHOUSE}"
    )
}

/// Every output seen and every file under the working directory must hold none of `secrets`
/// (nor, when `tokens` is set, anything that looks like an STS token).
struct Leaks {
    seen: Vec<(String, String)>,
}

impl Leaks {
    fn new() -> Leaks {
        Leaks { seen: Vec::new() }
    }

    /// Run strata, insist on `code`, and keep what it printed.
    fn run(&mut self, env: &Env, args: &[&str], envs: &[(&str, &str)], code: i32) -> common::Run {
        let r = env.ok_with(args, envs, code);
        self.seen.push((format!("{args:?}"), r.all()));
        r
    }

    #[track_caller]
    fn assert_none(mut self, env: &Env, secrets: &[&str]) {
        files(env.path(), &mut self.seen);
        assert!(self.seen.len() > 8, "outputs and files were read");
        for (what, text) in &self.seen {
            for s in secrets {
                assert!(!text.contains(s), "{what} shows a secret ({s})");
            }
            // every token the sandbox issues starts with CAIS, as STS's do
            assert!(!text.contains("CAIS"), "{what} shows a security token");
        }
    }
}

/// The standalone sandbox's request counts.
fn requests(url: &str) -> serde_json::Value {
    let text = strata::sandbox::admin_request(url, "GET", "/_sandbox/stats").unwrap();
    serde_json::from_str::<serde_json::Value>(&text).unwrap()["requests"].clone()
}

/// The temporary credentials the sandbox issued, as (key id, document).
fn issued(env: &Env, coll: &str) -> Vec<(String, serde_json::Value)> {
    let store = strata::sandbox::open_store(
        &env.path().join("state/sandbox.json"),
        &strata::families::sandbox(),
    );
    store
        .read(|w| w.list(coll).map(|(k, d)| (k.clone(), d.clone())).collect())
        .unwrap()
}

#[test]
fn assume_role_signs_with_temporary_keys_renewed_during_a_long_apply() {
    let env = Env::new();
    // tokens live 2 s, an instance takes 5 s to become Running: the apply outlives its first
    // temporary keys and must renew them
    let (_server, url) = env.serve_sandbox(&[("STRATA_SANDBOX", "sts_ttl_ms=2000,async_ms=5000")]);
    let vars = [
        ("STRATA_SANDBOX_URL", url.as_str()),
        ("STRATA_VAR_ak", ROLE_ASSUMER.key),
        ("STRATA_VAR_sk", ROLE_ASSUMER.secret),
    ];
    let mut leaks = Leaks::new();
    // the base credentials alone may not touch gpdb
    env.write("s/main.yaml", &alicloud_on_sandbox(""));
    let r = leaks.run(&env, &["-C", "s", "apply", "--auto-approve"], &vars, 1);
    r.err_has("alicloud_gpdb_instance.w");
    r.err_has("Forbidden.RAM");

    let role = format!(
        "    assume_role: {{ role_arn: \"{}\", session_name: ci-run, duration_seconds: 900 }}\n",
        role_arn(SEED_ROLE)
    );
    env.write("s/main.yaml", &alicloud_on_sandbox(&role));
    leaks.run(&env, &["-C", "s", "validate"], &vars, 0);
    leaks.run(&env, &["-C", "s", "plan", "--out", "p.plan"], &vars, 0);
    leaks.run(&env, &["-C", "s", "show", "--json", "p.plan"], &vars, 0);
    strata::sandbox::admin_request(&url, "DELETE", "/_sandbox/stats").unwrap();
    let r = leaks.run(&env, &["-C", "s", "apply", "p.plan"], &vars, 0);
    r.out_has("1 created");
    let calls = requests(&url);
    let assumed = calls["POST / sts:AssumeRole"].as_u64().unwrap_or(0);
    assert!(assumed > 1, "renewed during the apply: {calls}");
    assert_eq!(calls["POST / gpdb:CreateDBInstance"], 1, "{calls}");
    // every AssumeRole was for the role and session asked, by the sandbox's record
    let credentials = issued(&env, "sts/credential");
    assert!(credentials.len() as u64 >= assumed, "{credentials:?}");
    for (key, doc) in &credentials {
        assert!(key.starts_with("STS."), "{key}");
        assert_eq!(
            (doc["role"].as_str(), doc["name"].as_str()),
            (Some(SEED_ROLE), Some("ci-run"))
        );
    }
    for args in [
        &["-C", "s", "plan", "--detailed-exitcode"][..],
        &["-C", "s", "plan", "--format", "json"],
        &["-C", "s", "plan", "--format", "markdown"],
        &["-C", "s", "show"],
        &["-C", "s", "destroy", "--auto-approve", "--json"],
    ] {
        leaks.run(&env, args, &vars, 0);
    }
    let derived: Vec<String> = issued(&env, "sts/credential")
        .iter()
        .map(|(k, _)| strata::sandbox::temporary::derived_secret(k))
        .collect();
    let mut secrets: Vec<&str> = derived.iter().map(String::as_str).collect();
    secrets.push(ROLE_ASSUMER.secret);
    leaks.assert_none(&env, &secrets);
}

/// Temporary credentials for the seeded role from the sandbox at `url`, asked with the
/// library's own AssumeRole.
fn assume(url: &str) -> Lease {
    let client = RpcClient::new(
        Product::Sts,
        "cn-hangzhou",
        url,
        ALIBABA.key,
        ALIBABA.secret,
        1,
    )
    .expect("an STS client");
    let role = Role {
        arn: role_arn(SEED_ROLE),
        session_name: "test".into(),
        duration_seconds: 900,
    };
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(AssumeRole { client, role }.issue())
        .expect("AssumeRole")
}

/// Wait until `lease` has expired.
fn outlive(lease: &Lease) {
    while std::time::SystemTime::now() <= lease.expires {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn alibaba_security_tokens_work_until_they_expire_and_only_with_their_keys() {
    let env = Env::new();
    let (_server, url) = env.serve_sandbox(&[]);
    let brief_dir = Env::new();
    let (_brief, brief_url): (Server, String) =
        brief_dir.serve_sandbox(&[("STRATA_SANDBOX", "sts_ttl_ms=1000")]);
    let (good, other, expired) = (assume(&url), assume(&url), assume(&brief_url));
    let token = |l: &Lease| l.credential.token.clone().unwrap();
    let mut leaks = Leaks::new();
    // from the block: key, secret and token from sensitive variables
    env.write(
        "s/main.yaml",
        &format!(
            "{}{SECRET_VARS}",
            alicloud_at(
                &url,
                "    access_key: ${var.ak}\n    secret_key: ${var.sk}\n    \
                 security_token: ${var.token}\n",
            )
        ),
    );
    let good_token = token(&good);
    let block = [
        ("STRATA_VAR_ak", good.credential.key.as_str()),
        ("STRATA_VAR_sk", good.credential.secret.as_str()),
        ("STRATA_VAR_token", good_token.as_str()),
    ];
    let r = leaks.run(&env, &["-C", "s", "apply", "--auto-approve"], &block, 0);
    r.out_has("1 created");
    leaks.run(&env, &["-C", "s", "plan", "--detailed-exitcode"], &block, 0);
    leaks.run(&env, &["-C", "s", "plan", "--format", "json"], &block, 0);
    // another lease's token with these keys, and none at all: refused by name, with the address
    let other_token = token(&other);
    let foreign = [
        block[0],
        block[1],
        ("STRATA_VAR_token", other_token.as_str()),
    ];
    for (vars, code) in [
        (&foreign[..], "InvalidSecurityToken.MismatchWithAccessKey"),
        (&block[..2], "MissingSecurityToken"),
    ] {
        let r = leaks.run(&env, &["-C", "s", "plan"], vars, 1);
        r.err_has("alicloud_gpdb_instance.w");
        r.err_has(code);
    }
    // from the environment (the Terraform provider's variable name for the token)
    env.write("e/main.yaml", &alicloud_at(&url, ""));
    let environment = [
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", good.credential.key.as_str()),
        (
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
            good.credential.secret.as_str(),
        ),
        ("ALICLOUD_SECURITY_TOKEN", good_token.as_str()),
    ];
    leaks.run(
        &env,
        &["-C", "e", "apply", "--auto-approve"],
        &environment,
        0,
    );
    leaks.run(
        &env,
        &["-C", "e", "destroy", "--auto-approve"],
        &environment,
        0,
    );
    // an expired token: the documented error, with the address
    outlive(&expired);
    env.write("x/main.yaml", &alicloud_at(&brief_url, ""));
    let expired_token = token(&expired);
    let old = [
        (
            "ALIBABA_CLOUD_ACCESS_KEY_ID",
            expired.credential.key.as_str(),
        ),
        (
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
            expired.credential.secret.as_str(),
        ),
        ("ALIBABA_CLOUD_SECURITY_TOKEN", expired_token.as_str()),
    ];
    let r = leaks.run(&env, &["-C", "x", "apply", "--auto-approve"], &old, 1);
    r.err_has("alicloud_gpdb_instance.w");
    r.err_has("InvalidSecurityToken.Expired");
    leaks.run(&env, &["-C", "s", "destroy", "--auto-approve"], &block, 0);
    leaks.assert_none(
        &env,
        &[
            &good.credential.secret,
            &other.credential.secret,
            &expired.credential.secret,
            &good_token,
            &other_token,
            &expired_token,
        ],
    );
}

/// A temporary AK/SK and security token living `seconds` from the sandbox's IAM at `url`,
/// asked as huaweicloudsdkiam asks (signed with the sandbox's AK/SK).
fn huawei_security_token(url: &str, seconds: u64) -> (String, String, String) {
    use strata::providers::huaweicloud::signer::{self, SignRequest};
    let path = "/v3.0/OS-CREDENTIAL/securitytokens";
    let body = serde_json::json!({"auth": {"identity": {
        "methods": ["token"], "token": {"duration_seconds": seconds}}}})
    .to_string();
    let date =
        strata::providers::signing::utc_date(time::OffsetDateTime::now_utc(), signer::SDK_DATE);
    let host = url.trim_start_matches("http://").to_string();
    let headers = vec![
        ("content-type".to_string(), "application/json".to_string()),
        ("host".to_string(), host),
        ("x-sdk-date".to_string(), date.clone()),
    ];
    let auth = signer::authorization(
        HUAWEI.key,
        HUAWEI.secret,
        &SignRequest {
            method: "POST",
            path,
            query: &[],
            headers: &headers,
            body: body.as_bytes(),
        },
    );
    let answer = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let r = reqwest::Client::new()
            .post(format!("{url}{path}"))
            .header("content-type", "application/json")
            .header("x-sdk-date", date)
            .header("authorization", auth)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);
        r.json::<serde_json::Value>().await.unwrap()
    });
    let c = &answer["credential"];
    let text = |k: &str| c[k].as_str().unwrap().to_string();
    (text("access"), text("secret"), text("securitytoken"))
}

#[test]
fn huawei_temporary_keys_work_only_with_their_unexpired_security_token() {
    let env = Env::new();
    let (_server, url) = env.serve_sandbox(&[]);
    let brief_dir = Env::new();
    let (_brief, brief_url) = brief_dir.serve_sandbox(&[("STRATA_SANDBOX", "sts_ttl_ms=1000")]);
    let (ak, sk, token) = huawei_security_token(&url, 900);
    let (old_ak, old_sk, old_token) = huawei_security_token(&brief_url, 900);
    let stack = |u: &str| {
        format!(
            "providers:\n  huaweicloud: {{ region: r, project_id: p, endpoint: \"{u}\", \
             insecure_http: true }}\nresources:\n  huaweicloud_rds_parameter_template.db:\n    \
             name: ci-params\n    datastore: {{ type: MySQL, version: \"8.0\" }}\n"
        )
    };
    env.write("h/main.yaml", &stack(&url));
    env.write("x/main.yaml", &stack(&brief_url));
    let keys = [
        ("HW_ACCESS_KEY", ak.as_str()),
        ("HW_SECRET_KEY", sk.as_str()),
    ];
    let variable = [("HW_SECURITY_TOKEN", token.as_str())];
    let signed = [&keys[..], &variable].concat();
    let mut leaks = Leaks::new();
    let r = leaks.run(&env, &["-C", "h", "apply", "--auto-approve"], &signed, 0);
    r.out_has("1 created");
    // huaweicloudsdkcore's name for the token works as well
    let sdk = [
        &keys[..],
        &[("HUAWEICLOUD_SDK_SECURITY_TOKEN", token.as_str())],
    ]
    .concat();
    leaks.run(&env, &["-C", "h", "plan", "--detailed-exitcode"], &sdk, 0);
    let r = leaks.run(&env, &["-C", "h", "plan"], &keys, 1);
    r.err_has("huaweicloud_rds_parameter_template.db");
    r.err_has("APIGW.0301");
    r.err_has("X-Security-Token of a temporary AK is missing");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let expired = [
        ("HW_ACCESS_KEY", old_ak.as_str()),
        ("HW_SECRET_KEY", old_sk.as_str()),
        ("HW_SECURITY_TOKEN", old_token.as_str()),
    ];
    let r = leaks.run(&env, &["-C", "x", "apply", "--auto-approve"], &expired, 1);
    r.err_has("huaweicloud_rds_parameter_template.db");
    r.err_has("the security token has expired");
    leaks.run(&env, &["-C", "h", "destroy", "--auto-approve"], &signed, 0);
    leaks.assert_none(&env, &[&sk, &old_sk, &token, &old_token, HUAWEI.secret]);
}

#[test]
fn the_assume_role_block_is_checked_before_any_call() {
    let env = Env::new();
    let block = |arn: &str, session: &str, seconds: &str| {
        format!(
            "    assume_role: {{ role_arn: \"{arn}\", session_name: \"{session}\", \
             duration_seconds: {seconds} }}\n"
        )
    };
    let good = role_arn(SEED_ROLE);
    let vars = [("STRATA_VAR_ak", "a"), ("STRATA_VAR_sk", "s")];
    for (extra, problem) in [
        (
            block("arn:aws:iam::1:role/x", "ci", "900"),
            "providers.alicloud.assume_role.role_arn: ",
        ),
        (
            block(&good, "a b", "900"),
            "providers.alicloud.assume_role.session_name: ",
        ),
        (
            block(&good, "ci", "899"),
            "providers.alicloud.assume_role.duration_seconds: 899 is out of range: must be 900–43200",
        ),
        (
            "    assume_role: { session_name: ci }\n".to_string(),
            "providers.alicloud.assume_role.role_arn: missing required argument",
        ),
    ] {
        env.write("s/main.yaml", &alicloud_on_sandbox(&extra));
        let r = env.ok_with(&["-C", "s", "validate"], &vars, 1);
        r.err_has(problem);
    }
    env.write(
        "s/main.yaml",
        &alicloud_on_sandbox(&block(&good, "ci", "43200")),
    );
    env.ok_with(&["-C", "s", "validate"], &vars, 0);
}

#[test]
fn a_role_sts_refuses_is_the_error_of_the_call_that_needed_it() {
    let env = Env::new();
    let nobody = "acs:ram::1000000000000001:role/nobody";
    env.write(
        "s/main.yaml",
        &alicloud_on_sandbox(&format!("    assume_role: {{ role_arn: \"{nobody}\" }}\n")),
    );
    let vars = [
        ("STRATA_VAR_ak", ROLE_ASSUMER.key),
        ("STRATA_VAR_sk", ROLE_ASSUMER.secret),
    ];
    // nothing to read: planning calls nothing, so assumes nothing
    env.ok_with(&["-C", "s", "plan"], &vars, 0);
    let r = env.ok_with(&["-C", "s", "apply", "--auto-approve"], &vars, 1);
    r.err_has("alicloud_gpdb_instance.w");
    r.err_has(&format!(
        "EntityNotExist.Role: assuming role {nobody}: The specified Role not exists ."
    ));
    assert!(!r.all().contains(ROLE_ASSUMER.secret));
}
