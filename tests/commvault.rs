//! Commvault end to end, through the real binary and the sandbox: the SA password never
//! leaves the process in the clear or base64-encoded (plans in every format, logs, errors,
//! `show`, `state show`, JSON events, state and sandbox files) while a changed one is still
//! planned as a replacement; the API's errors reach the user verbatim with the address;
//! sessions (a given token, expiry, a new login, refused credentials); and a create whose
//! answer was lost (SIGKILL, injected 5xx) is adopted, never repeated.

mod common;
use base64::Engine;
use common::{files, http, Env};

const E1: &str = "pgm-6gj1yy9fmpsm49d9.pg.rds.aliyuncs.com:5432";
const E2: &str = "pgm-bp1z3k8m2n7q4w5e.pg.rds.aliyuncs.com:5432";
const E3: &str = "pgm-uf6a1b2c3d4e5f6g.pgsql.rds.aliyuncs.com:1921";
const API: &str = "/commandcenter/api";

fn head(endpoint: &str) -> String {
    head_with(endpoint, "")
}

/// `head` with more provider settings (`extra`, starting with a comma).
fn head_with(endpoint: &str, extra: &str) -> String {
    format!(
        "providers:\n  commvault: {{ endpoint: \"{endpoint}\"{extra} }}\nvariables:\n  \
         sa_password: {{ sensitive: true }}\n  other_password: {{ sensitive: true, default: x }}\n\
         resources:\n"
    )
}

/// A `commvault_postgresql_instance` block named `name`, with some arguments changed.
fn instance(name: &str, changes: &[(&str, &str)]) -> String {
    let mut args = vec![
        ("instance_name", format!("\"{name}[ap-south-1]\"")),
        ("client_name", "alibaba-prod".to_string()),
        ("version", "\"14\"".to_string()),
        ("plan_name", "Server plan".to_string()),
        ("maintenance_db", "postgres".to_string()),
        ("endpoint", E1.to_string()),
        (
            "sa_user",
            "{ user_name: postgres, password: \"${var.sa_password}\" }".to_string(),
        ),
    ];
    for (k, v) in changes {
        match args.iter_mut().find(|(a, _)| a == k) {
            Some(slot) => slot.1 = v.to_string(),
            None => args.push((k, v.to_string())),
        }
    }
    let mut out = format!("  commvault_postgresql_instance.{name}:\n");
    for (k, v) in args {
        out.push_str(&format!("    {k}: {v}\n"));
    }
    out
}

/// Instance names in the sandbox.
fn instances(env: &Env) -> Vec<String> {
    env.made_in("commvault", "instance")
        .into_iter()
        .map(|(_, n)| n)
        .collect()
}

/// Run strata and insist on exit code `code`.
fn expect(env: &Env, args: &[&str], vars: &[(&str, &str)], code: i32) -> common::Run {
    let r = env.run_with(args, vars);
    assert_eq!(r.code, code, "strata {args:?}\n{r:?}");
    r
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s.as_bytes())
}

#[test]
fn the_sa_password_never_appears_anywhere() {
    const P1: &str = "Kx7-orders-SA-Secret-4q2v";
    const P2: &str = "Rotated-SA-Secret-9w3z";
    let forms = [P1.to_string(), b64(P1), P2.to_string(), b64(P2)];
    let env = Env::new();
    env.write("s/main.yaml", &(head("sandbox") + &instance("orders", &[])));
    let v1 = [("STRATA_VAR_sa_password", P1)];
    let v2 = [("STRATA_VAR_sa_password", P2)];
    let mut seen = Vec::new();
    let mut run = |args: &[&str], vars: &[(&str, &str)], code: i32| {
        let r = expect(&env, args, vars, code);
        seen.push((format!("{args:?}"), r.all()));
        r
    };

    run(&["-C", "s", "validate"], &v1, 0);
    let r = run(&["-C", "s", "plan", "--detailed-exitcode"], &v1, 2);
    r.out_has("password  = (sensitive value)");
    let r = run(&["-C", "s", "plan", "--format", "json"], &v1, 0);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let change = &doc["resource_changes"][0]["change"];
    assert_eq!(
        change["after"]["sa_user"]["password"],
        serde_json::Value::Null
    );
    assert_eq!(change["after_sensitive"]["sa_user"]["password"], true);
    assert_eq!(change["after"]["sa_user"]["user_name"], "postgres");
    run(&["-C", "s", "plan", "--format", "markdown"], &v1, 0);
    run(&["-C", "s", "plan", "--out", "orders.plan"], &v1, 0);
    run(&["-C", "s", "show", "orders.plan"], &v1, 0);
    let r = run(&["-C", "s", "apply", "orders.plan"], &v1, 0);
    r.out_has("1 created");
    assert_eq!(instances(&env), ["orders[ap-south-1]"]);
    run(&["-C", "s", "plan", "--detailed-exitcode"], &v1, 0);
    run(&["-C", "s", "show"], &v1, 0);
    let r = run(
        &[
            "-C",
            "s",
            "state",
            "show",
            "commvault_postgresql_instance.orders",
        ],
        &v1,
        0,
    );
    r.out_has("client_id      = 444");
    run(&["-C", "s", "refresh"], &v1, 0);
    // the state keeps a keyed fingerprint, the sandbox a salted hash
    let st = env.state_json("s");
    let fp =
        &st["resources"]["commvault_postgresql_instance.orders"]["sensitive"]["sa_user.password"];
    assert!(fp.as_str().unwrap().starts_with("hmac-sha256:"), "{st}");
    let world = env.read("state/sandbox.json.journal");
    assert!(world.contains("\"sha256\""), "{world}");

    // The DBA rotates the password (the sandbox forgets the one it trusted) and the config
    // follows: the change is seen through the fingerprint alone and replaces the instance.
    let store = strata::sandbox::open_store(
        &env.path().join("state/sandbox.json"),
        &strata::families::sandbox(),
    );
    store
        .write(|tx| {
            let mut db = tx.get("commvault/database", E1).cloned().unwrap();
            db.as_object_mut().unwrap().remove("sa_password");
            tx.put("commvault/database", E1, db);
        })
        .unwrap();
    let r = run(&["-C", "s", "plan", "--detailed-exitcode"], &v2, 2);
    r.out_has("must be replaced");
    r.out_has("# forces replacement");
    let r = run(&["-C", "s", "plan", "--format", "json"], &v2, 0);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["resource_changes"][0]["action"], "replace", "{doc}");
    let r = run(&["-C", "s", "apply", "--auto-approve", "--json"], &v2, 0);
    for line in r.stdout.lines() {
        serde_json::from_str::<serde_json::Value>(line).expect("one JSON event a line");
    }
    run(&["-C", "s", "plan", "--detailed-exitcode"], &v2, 0);
    // the old password is now the changed one
    run(&["-C", "s", "plan", "--detailed-exitcode"], &v1, 2);
    assert_eq!(instances(&env).len(), 1, "replaced, not duplicated");
    run(&["-C", "s", "destroy", "--auto-approve", "--json"], &v2, 0);
    assert!(instances(&env).is_empty());

    let mut everything = seen;
    files(env.path(), &mut everything);
    assert!(everything.len() > 20, "outputs and files were read");
    for (what, text) in &everything {
        for f in &forms {
            assert!(
                !text.contains(f.as_str()),
                "{what} shows the password ({f})"
            );
        }
    }
}

#[test]
fn api_errors_reach_the_user_verbatim_with_the_address() {
    let env = Env::new();
    let stack = head("sandbox")
        + &instance("ok", &[("endpoint", E2)])
        + &instance("no_client", &[("client_name", "no-such-client")])
        + &instance("offline", &[("client_name", "alibaba-dr")])
        + &instance("no_plan", &[("plan_name", "Gold plan")])
        + &instance(
            "unknown_db",
            &[("endpoint", "pgm-0000000000000000.pg.rds.aliyuncs.com:5432")],
        );
    env.write("s/main.yaml", &stack);
    let vars = [
        ("STRATA_VAR_sa_password", "pw-one"),
        ("STRATA_RETRY_ATTEMPTS", "2"),
    ];
    let r = expect(&env, &["-C", "s", "apply", "--auto-approve"], &vars, 1);
    let all = r.all();
    for expected in [
        "commvault_postgresql_instance.no_client: create failed: 2: Client [no-such-client] does not exist. (HTTP 404)",
        "commvault_postgresql_instance.offline: create failed: 4444: Unable to connect to client [] to execute [PostgresBrowseAgent].",
        "commvault_postgresql_instance.no_plan: create failed: 2: Plan [Gold plan] does not exist. (HTTP 200)",
        "commvault_postgresql_instance.unknown_db: create failed: 4444: Connection to PostgreSQL Server failed.",
        "Is the server running on host \"pgm-0000000000000000.pg.rds.aliyuncs.com\"",
        "services are running. (HTTP 400)",
        "TCP/IP connections on port 5432?~] (HTTP 500)",
    ] {
        assert!(all.contains(expected), "missing {expected:?}\n{r:?}");
    }
    assert_eq!(instances(&env), ["ok[ap-south-1]"], "only the good one");

    // a second instance of the same database with another password: refused by the database
    let stack = head("sandbox")
        + &instance("ok", &[("endpoint", E2)])
        + &instance(
            "second",
            &[
                ("endpoint", E2),
                (
                    "sa_user",
                    "{ user_name: postgres, password: \"${var.other_password}\" }",
                ),
            ],
        );
    env.write("s/main.yaml", &stack);
    let vars = [
        ("STRATA_VAR_sa_password", "pw-one"),
        ("STRATA_VAR_other_password", "pw-two"),
    ];
    let r = expect(&env, &["-C", "s", "apply", "--auto-approve"], &vars, 1);
    assert!(r.all().contains(
        "commvault_postgresql_instance.second: create failed: 4444: Connection to PostgreSQL Server failed.\n[~Connection to Database Failed: FATAL:  password authentication failed for user \"postgres\"~] (HTTP 400)"
    ), "{r:?}");
    assert!(!r.all().contains("pw-two"), "{r:?}");

    // the state forgets the first: creating it again is a duplicate name (409, code 3)
    let stack = head("sandbox") + &instance("ok", &[("endpoint", E2)]);
    env.write("s/main.yaml", &stack);
    env.ok(
        &["-C", "s", "state", "rm", "commvault_postgresql_instance.ok"],
        0,
    );
    let r = expect(&env, &["-C", "s", "apply", "--auto-approve"], &vars, 1);
    assert!(r.all().contains(
        "commvault_postgresql_instance.ok: create failed: 3: An instance by this name already exists. (HTTP 409)"
    ), "{r:?}");
    assert_eq!(
        instances(&env),
        ["ok[ap-south-1]"],
        "someone else's, untouched"
    );

    // a broken endpoint is refused before any call, with file, line and attribute
    env.write(
        "s/main.yaml",
        &(head("sandbox") + &instance("bad", &[("endpoint", "db.example.com")])),
    );
    let r = expect(&env, &["-C", "s", "validate"], &vars, 1);
    r.err_has("main.yaml:");
    r.err_has("endpoint");
    r.err_has("host:port");
}

fn logins(host: &str) -> u64 {
    let body = strata::sandbox::admin_request(host, "GET", "/_sandbox/stats").unwrap();
    let stats: serde_json::Value = serde_json::from_str(&body).unwrap();
    stats["requests"][format!("POST {API}/Login")]
        .as_u64()
        .unwrap_or(0)
}

#[test]
fn sessions_tokens_expiry_and_refused_credentials() {
    let server_dir = Env::new();
    let (mut server, url) = server_dir.serve_sandbox(&[("STRATA_SANDBOX", "token_ttl_ms=1500")]);
    let host = url.trim_start_matches("http://").to_string();

    // the wire: no token, no answer; a wrong password, a 200 with errList; the right one, a token
    let (status, body) = http(&host, "GET", &format!("{API}/instance"), None, "");
    assert_eq!(status, 401);
    assert_eq!(
        body,
        serde_json::json!({"errorMessage": "Access Denied", "errorCode": 5})
    );
    let login = |pw: &str| {
        let body = serde_json::json!({"username": "admin", "password": b64(pw)}).to_string();
        http(&host, "POST", &format!("{API}/Login"), None, &body)
    };
    let (status, body) = login("wrong");
    assert_eq!(status, 200);
    assert!(body["errList"][0]["errLogMessage"].is_string(), "{body}");
    let (_, body) = login("sandbox-commvault-password");
    let token = body["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("QSDK "), "{token}");
    let before = logins(&host);

    // a given token is used as it is: no login
    let env = Env::new();
    env.write("s/main.yaml", &(head("sandbox") + &instance("db", &[])));
    let with_token = [
        ("STRATA_SANDBOX_URL", url.as_str()),
        ("COMMVAULT_AUTHTOKEN", token.as_str()),
        ("STRATA_VAR_sa_password", "pw"),
    ];
    expect(
        &env,
        &["-C", "s", "apply", "--auto-approve"],
        &with_token,
        0,
    );
    assert_eq!(logins(&host), before, "the token was enough");
    assert_eq!(server_dir.made_in("commvault", "instance").len(), 1);

    // idle past its lifetime, the token is refused: one new login, and the plan goes on
    std::thread::sleep(std::time::Duration::from_millis(1700));
    expect(
        &env,
        &["-C", "s", "plan", "--detailed-exitcode"],
        &with_token,
        0,
    );
    assert_eq!(logins(&host), before + 1, "logged in again once");

    // a real endpoint URL: no sandbox credentials to fall back on
    // (over plain http, which the block must allow)
    let endpoint = format!("{url}{API}");
    let stack = head_with(&endpoint, ", insecure_http: true") + &instance("db", &[]);
    env.write("s/main.yaml", &stack);
    let r = expect(&env, &["-C", "s", "plan"], &with_token, 1);
    r.err_has("is plain http (insecure_http: true)");
    for s in [
        "commvault_postgresql_instance.db",
        "5: Access Denied",
        "COMMVAULT_AUTHTOKEN",
        "HTTP 401",
    ] {
        assert!(r.stderr.contains(s), "missing {s:?}: {r:?}");
    }
    let wrong = [
        ("COMMVAULT_USERNAME", "admin"),
        ("COMMVAULT_PASSWORD", "not-the-password"),
        ("STRATA_VAR_sa_password", "pw"),
    ];
    let r = expect(&env, &["-C", "s", "plan"], &wrong, 1);
    r.err_has("login as \"admin\" failed: Invalid Username or Password");
    assert!(!r.all().contains("not-the-password"));
    let right = [
        ("COMMVAULT_USERNAME", "admin"),
        ("COMMVAULT_PASSWORD", "sandbox-commvault-password"),
        ("STRATA_VAR_sa_password", "pw"),
    ];
    expect(&env, &["-C", "s", "plan", "--detailed-exitcode"], &right, 0);
    let r = expect(&env, &["-C", "s", "plan"], &right[2..], 1);
    r.err_has("COMMVAULT_USERNAME");
    server.kill().unwrap();
    server.wait().unwrap();
}

#[test]
fn a_create_whose_answer_was_lost_is_adopted_not_repeated() {
    let vars = [("STRATA_VAR_sa_password", "pw")];
    for checkpoint in ["intent_written", "call_returned"] {
        let env = Env::new();
        env.write("s/main.yaml", &(head("sandbox") + &instance("db", &[])));
        env.kill_at(&["-C", "s", "apply", "--auto-approve"], &vars, checkpoint);
        let made_before = instances(&env).len();
        assert_eq!(made_before, usize::from(checkpoint == "call_returned"));
        let r = expect(&env, &["-C", "s", "apply", "--auto-approve"], &vars, 0);
        assert!(
            r.stdout.contains("Reconciled operations"),
            "{checkpoint}: {r:?}"
        );
        let made = env.made_in("commvault", "instance");
        assert_eq!(made.len(), 1, "{checkpoint}: exactly once: {made:?}");
        let st = env.state_json("s");
        assert_eq!(
            st["resources"]["commvault_postgresql_instance.db"]["id"], made[0].0,
            "{checkpoint}"
        );
        expect(&env, &["-C", "s", "plan", "--detailed-exitcode"], &vars, 0);
    }

    // throttling and 5xx (some after the call took effect) in Commvault's format
    let env = Env::new();
    let stack = head("sandbox")
        + &instance("a", &[])
        + &instance("b", &[("endpoint", E2)])
        + &instance("c", &[("endpoint", E3)]);
    env.write("s/main.yaml", &stack);
    let faults = [
        ("STRATA_VAR_sa_password", "pw"),
        ("STRATA_SANDBOX", "fail_rate=0.25,throttle_rate=0.15,seed=5"),
    ];
    expect(&env, &["-C", "s", "apply", "--auto-approve"], &faults, 0);
    assert_eq!(
        instances(&env),
        ["a[ap-south-1]", "b[ap-south-1]", "c[ap-south-1]"],
        "each exactly once"
    );
    expect(
        &env,
        &["-C", "s", "plan", "--detailed-exitcode"],
        &faults,
        0,
    );
    expect(&env, &["-C", "s", "destroy", "--auto-approve"], &faults, 0);
    assert!(instances(&env).is_empty());
    let listed = env.sandbox();
    assert!(listed
        .iter()
        .any(|o| o["kind"] == "client" && o["name"] == "alibaba-prod" && o["id"] == "444"));
}

#[test]
fn the_init_starter_protects_a_database() {
    let env = Env::new();
    let r = expect(&env, &["init", "cv", "--provider", "commvault"], &[], 0);
    r.out_has("a commvault stack");
    expect(&env, &["-C", "cv", "fmt", "--check"], &[], 0);
    let r = expect(&env, &["-C", "cv", "apply", "--auto-approve"], &[], 0);
    r.out_has("1 created");
    assert_eq!(instances(&env), ["pgm-bp1z3k8m2n7q4w5e[cn-hangzhou]"]);
    expect(&env, &["-C", "cv", "plan", "--detailed-exitcode"], &[], 0);
}
