//! A driver's error, through the real binary against the sandbox's targeted faults: the
//! `--json` summary keeps the API's code, request id and retryability, and a call that fails
//! retryably every time is attempted exactly `STRATA_RETRY_ATTEMPTS` times in all (one retry
//! layer, never one around another).

mod common;
use common::Env;

/// One parameter template (written in flow style).
const TEMPLATE: &str = "providers:
  huaweicloud: { region: ap-southeast-1, project_id: 054e292c9880d4992f02c0196d3ea468, endpoint: sandbox }
resources:
  huaweicloud_rds_parameter_template.one: { name: failing, datastore: { type: MySQL, version: \"8.0\" } }
";

const CREATE: &str = "POST /v3/{project}/configurations";
const DELETE: &str = "DELETE /v3/{project}/configurations/{id}";

/// The summary event of an `apply --json` / `destroy --json` run.
fn summary(stdout: &str) -> serde_json::Value {
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|e| e["type"] == "summary")
        .unwrap_or_else(|| panic!("no summary event in {stdout}"))
}

/// TEMPLATE in `t/` of a working directory, and a sandbox server on which one route fails
/// (a 5xx) every time.
struct Failing {
    _server: common::Server, // first: stopped before its directory goes
    url: String,
    env: Env,
}

impl Failing {
    fn new(route: &str) -> Failing {
        let env = Env::new();
        env.write("t/main.yaml", TEMPLATE);
        let (server, url) = env.serve_sandbox(&[("STRATA_SANDBOX", &format!("fail={route}*1000"))]);
        Failing {
            _server: server,
            url,
            env,
        }
    }

    /// `strata args` against the server, `attempts` attempts a call, insisting on exit `code`.
    fn ok(&self, args: &[&str], attempts: &str, code: i32) -> common::Run {
        let envs = [
            ("STRATA_SANDBOX_URL", self.url.as_str()),
            ("STRATA_RETRY_ATTEMPTS", attempts),
        ];
        self.env.ok_with(args, &envs, code)
    }
}

/// The sandbox server's request counters.
fn stats(url: &str) -> serde_json::Value {
    let text = strata::sandbox::admin_request(url, "GET", "/_sandbox/stats")
        .expect("the sandbox's counters");
    serde_json::from_str(&text).expect("JSON")
}

#[test]
fn the_json_summary_names_the_api_code_request_id_and_retryability() {
    let f = Failing::new(CREATE);
    let r = f.ok(&["-C", "t", "apply", "--auto-approve", "--json"], "2", 1);
    // The create's 5xx is ambiguous: looked for, then tried again — 2 attempts in all.
    let stats = stats(&f.url);
    assert_eq!(stats["requests"][CREATE], 2, "{stats}");
    let s = summary(&r.stdout);
    let failure = &s["failures"][0];
    assert_eq!(
        failure["address"], "huaweicloud_rds_parameter_template.one",
        "{s}"
    );
    assert_eq!(failure["code"], "DBS.200005", "{s}");
    assert_eq!(failure["retryable"], true, "{s}");
    let rid = failure["request_id"].as_str().unwrap_or_default();
    assert!(!rid.is_empty(), "{s}");
    let message = failure["message"].as_str().unwrap_or_default();
    assert!(message.starts_with("create failed: DBS.200005"), "{s}");
    assert!(message.contains(rid), "{s}");
}

#[test]
fn a_call_failing_retryably_every_time_is_attempted_exactly_attempts_times() {
    let f = Failing::new(DELETE);
    f.ok(&["-C", "t", "apply", "--auto-approve"], "3", 0);
    strata::sandbox::admin_request(&f.url, "DELETE", "/_sandbox/stats")
        .expect("reset the sandbox's counters");
    let r = f.ok(&["-C", "t", "destroy", "--auto-approve", "--json"], "3", 1);
    let stats = stats(&f.url);
    assert_eq!(stats["requests"][DELETE], 3, "{stats}");
    assert_eq!(summary(&r.stdout)["failures"][0]["code"], "DBS.200005");
}
